/* swl_internal.h — what libswarmlog's source files share: the client
 * struct, command building, reply checks, the event parser and the test
 * fault hook. Not installed; not for applications. */
#ifndef SWARMLOG_SWL_INTERNAL_H
#define SWARMLOG_SWL_INTERNAL_H

#include <stdarg.h>

#include <hiredis/hiredis.h>

#include "swarmlog.h"

#define SWL_DEFAULT_TIMEOUT_MS 10000

struct swl_client {
    redisContext *rc;  /* NULL when not connected */
    int timeout_ms;    /* 0: none */
    char err[512];
};

/* Records a failure's details in c->err and returns code. */
int swl__fail(swl_client *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A command's arguments. Adding never fails on the spot: an allocation
 * failure is sticky (oom) and reported once by swl__command. */
struct swl_cmd {
    const char **argv;
    size_t *lens;
    size_t n, cap;
    char **owned;      /* buffers to free with the command */
    size_t nowned, capowned;
    int oom;
};

void swl__cmd_add(struct swl_cmd *cmd, const char *ptr, size_t len);
void swl__cmd_add_str(struct swl_cmd *cmd, const char *s);
void swl__cmd_add_bytes(struct swl_cmd *cmd, swl_bytes b);
/* Adds s, which the command then owns (freed by swl__cmd_free); NULL
 * counts as an allocation failure. */
void swl__cmd_add_owned(struct swl_cmd *cmd, char *s, size_t len);
void swl__cmd_add_i64(struct swl_cmd *cmd, long long v);
/* Adds m (NULL: "{}") as JSON text. */
void swl__cmd_add_offsets(struct swl_cmd *cmd, const swl_offsets *m);
/* Adds WHERE and TYPES when given. */
void swl__cmd_add_filter(struct swl_cmd *cmd, const char *where, const char *const *types, size_t ntypes);
void swl__cmd_free(struct swl_cmd *cmd);

/* Sends cmd and reads its reply. Returns SWL_OK with a non-error reply in
 * *out (caller frees with freeReplyObject), or an error code with details
 * in c->err: error replies map to SWL_ERR_AUTH (NOAUTH, WRONGPASS),
 * SWL_ERR_WRONGVERSION or SWL_ERR_SERVER; a lost connection to SWL_ERR_IO
 * (the connection is then closed). */
int swl__command(swl_client *c, struct swl_cmd *cmd, redisReply **out);
/* Sends cmd without reading a reply. SWL_OK, SWL_ERR_NOMEM or SWL_ERR_IO. */
int swl__send(swl_client *c, struct swl_cmd *cmd);
/* Reads the next reply: as swl__command without sending. */
int swl__receive(swl_client *c, redisReply **out);
/* Sets the socket timeout for the coming replies: ms > 0, or 0 for none.
 * SWL_OK or SWL_ERR_IO. */
int swl__socket_timeout(swl_client *c, long long ms);
/* Closes the connection (c->rc = NULL). */
void swl__disconnect(swl_client *c);

/* Checks that r is an event (a flat name/value array) and counts its tags
 * and fields. SWL_OK or SWL_ERR_PROTOCOL (what is wrong in why). */
int swl__event_count(const redisReply *r, size_t *ntags, size_t *nfields, const char **why);
/* Fills ev from r (checked by swl__event_count) pointing into r; the tags
 * and fields go to the arrays given (room for the counts). */
void swl__event_fill(const redisReply *r, swl_event *ev, swl_bytes *tags, swl_field *fields);

/* Test hook: when set, file operations of swl_offsets_save ask it before
 * each step ("open", "write", "fsync", "close", "rename", "fsync-dir");
 * a nonzero answer is the errno that step fails with. */
extern int (*swl_fault_hook)(const char *site);

#endif
