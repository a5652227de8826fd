/* reply.h — the one way handlers answer a client. Each function appends to
 * the client's output buffer in the client's protocol (RESP2 or RESP3) and
 * schedules the flush; nothing reaches the socket before the end of the
 * loop turn (so later work, e.g. a group commit, can run first). */
#ifndef SWARMLOG_REPLY_H
#define SWARMLOG_REPLY_H

#include <stddef.h>

struct client;

void reply_ok(struct client *c);
void reply_simple(struct client *c, const char *s);
void reply_simple_len(struct client *c, const char *s, size_t len);
/* Error replies, with Redis's addReplyError convention: text beginning with
 * '-' carries its own code ("-NOAUTH Authentication required."), any other
 * text gets "ERR " prepended. CR/LF inside become spaces. Counted in
 * errorstats under the code. */
void reply_error(struct client *c, const char *text);
void reply_errorf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Redis's standard texts. */
void reply_error_syntax(struct client *c);                    /* ERR syntax error */
void reply_error_arity(struct client *c, const char *fullname);/* ERR wrong number of arguments for '%s' command */
void reply_error_subcommand(struct client *c, const char *sub, size_t sublen, const char *container);
/* ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP. */
struct resp_arg;
void reply_error_subcommand_syntax(struct client *c, const struct resp_arg *sub, const char *container);
void reply_error_not_integer(struct client *c);               /* ERR value is not an integer or out of range */

void reply_int(struct client *c, long long v);
void reply_bulk(struct client *c, const char *s, size_t len);
void reply_bulk_cstr(struct client *c, const char *s);         /* NULL -> null */
void reply_null(struct client *c);
/* Bytes that are already a RESP reply (moved within the output buffer). */
void reply_raw(struct client *c, const char *s, size_t len);
void reply_null_array(struct client *c);
void reply_array(struct client *c, size_t n);
void reply_map(struct client *c, size_t n);
void reply_set(struct client *c, size_t n);
void reply_push(struct client *c, size_t n);
void reply_double(struct client *c, double d);
void reply_bool(struct client *c, int v);
void reply_verbatim(struct client *c, const char *s, size_t len, const char *ext);
/* Help text: an array of simple strings, in Redis's HELP layout (first a
 * "<CMD> <subcommand> [<arg> ...]. Subcommands are:" line, then the lines,
 * then "HELP" / "    Prints this help."). lines ends with NULL. */
void reply_help(struct client *c, const char *container, const char *const *lines);

/* The text of a store error code, as an ERR reply. */
void reply_store_error(struct client *c, int rc);
struct store_id;
struct store_bytes;
/* A stream entry ID as a bulk string "<ms>-<seq>". */
void reply_stream_id(struct client *c, struct store_id id);
/* A stream entry [id, [field, value, ...]]; a store_entry_fn (ctx is the
 * client), for XRANGE, XREVRANGE and XREAD. */
int reply_stream_entry(void *ctx, struct store_id id, const struct store_bytes *fields, size_t n);

size_t reply_defer(struct client *c);
void reply_set_deferred_array(struct client *c, size_t mark, size_t n);
void reply_set_deferred_map(struct client *c, size_t mark, size_t n);
void reply_set_deferred_set(struct client *c, size_t mark, size_t n);
/* XREAD's per-key answer: a map of n keys in RESP3, an array of n
 * [key, entries] pairs in RESP2. */
void reply_set_deferred_keyed(struct client *c, size_t mark, size_t n);

#endif
