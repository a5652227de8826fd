/* resp.h — the RESP2/RESP3 wire protocol: an incremental request parser and a
 * reply writer. This module knows no commands and no sockets: bytes go in,
 * requests come out; reply values go in, bytes come out.
 *
 * Ownership in one sentence: the parser owns its buffer and every pointer it
 * hands out points into it, valid until the next call on that parser; the
 * writer owns its output bytes until the caller takes them with
 * resp_buf_consume(). */
#ifndef SWARMLOG_RESP_H
#define SWARMLOG_RESP_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Request parser                                                      */
/* ------------------------------------------------------------------ */

/* One argument of a request: binary-safe, NOT NUL-terminated. */
struct resp_arg {
    const char *ptr;
    size_t len;
};

/* A complete request. argv points into parser-owned memory and stays valid
 * until the next resp_parser_* call on the same parser. */
struct resp_request {
    int argc;
    const struct resp_arg *argv;
    int is_inline; /* 1 if it came as an inline command (telnet/nc style) */
};

/* Limits applied while parsing. Redis's defaults are given in brackets. */
struct resp_limits {
    size_t max_bulk;      /* proto-max-bulk-len [512 MiB] */
    size_t max_query;     /* client-query-buffer-limit [1 GiB]: buffered bytes
                             not yet consumed, including the request in
                             progress */
    size_t max_inline;    /* longest inline request / header line [64 KiB] */
    long max_multibulk;   /* largest *<count> accepted [1024*1024] */
};

#define RESP_LIMITS_DEFAULT_MAX_BULK (512u * 1024u * 1024u)
#define RESP_LIMITS_DEFAULT_MAX_QUERY (1024u * 1024u * 1024u)
#define RESP_LIMITS_DEFAULT_MAX_INLINE (64u * 1024u)
#define RESP_LIMITS_DEFAULT_MAX_MULTIBULK (1024L * 1024L)

/* Parser return codes. Errors are sticky: once resp_parser_next() returned
 * a negative code it returns the same code forever. */
enum {
    RESP_NEED_MORE = 0,       /* no complete request buffered yet */
    RESP_REQUEST = 1,         /* *out holds a complete request */
    RESP_ERR_PROTOCOL = -1,   /* malformed input; see resp_parser_error() */
    RESP_ERR_QUERY_LIMIT = -2,/* more than max_query bytes buffered */
    RESP_ERR_NOMEM = -3,      /* allocation failed */
};

struct resp_parser;

/* Creates a parser with the given limits (copied; NULL = Redis defaults).
 * Returns NULL when out of memory. */
struct resp_parser *resp_parser_create(const struct resp_limits *limits);
void resp_parser_free(struct resp_parser *p);

/* Replaces the limits; takes effect for the next header parsed. */
void resp_parser_set_limits(struct resp_parser *p, const struct resp_limits *limits);

/* While unauthenticated is set, Redis's tighter pre-AUTH limits apply:
 * a multibulk count above 10 or a bulk above 16384 bytes is a protocol error
 * ("Protocol error: unauthenticated multibulk length" / "... bulk length"). */
void resp_parser_set_unauthenticated(struct resp_parser *p, int unauthenticated);

/* Zero-copy feeding: returns a pointer where at least `min` bytes may be
 * written (the buffer grows if needed) and stores the writable size in
 * *avail. The caller reads into it and then calls resp_parser_commit() with
 * the number of bytes actually written. Returns NULL when out of memory or
 * when growing would exceed max_query (the next resp_parser_next() then
 * reports the error). */
char *resp_parser_space(struct resp_parser *p, size_t min, size_t *avail);
void resp_parser_commit(struct resp_parser *p, size_t n);

/* Copying feed: appends len bytes. Returns 0 or a negative RESP_ERR_*. */
int resp_parser_feed(struct resp_parser *p, const char *data, size_t len);

/* Parses the next complete request. Returns RESP_REQUEST (and fills *out),
 * RESP_NEED_MORE, or a negative error (sticky). Work done on a partial
 * request is kept, so feeding a large bulk byte by byte stays linear.
 * Empty inline lines and "*0" / "*-1" multibulks are skipped, as in Redis. */
int resp_parser_next(struct resp_parser *p, struct resp_request *out);

/* The Redis error text for a RESP_ERR_PROTOCOL, without the "ERR " prefix,
 * e.g. "Protocol error: invalid bulk length". Static storage or owned by the
 * parser; never contains CR or LF. NULL when there is no error. */
const char *resp_parser_error(const struct resp_parser *p);

/* Bytes buffered and not yet consumed (CLIENT LIST qbuf), and the current
 * allocation (qbuf + qbuf-free). */
size_t resp_parser_buffered(const struct resp_parser *p);
size_t resp_parser_capacity(const struct resp_parser *p);

/* Releases buffer memory beyond what the unconsumed bytes need (called on
 * idle connections so a past large request does not pin memory). */
void resp_parser_shrink(struct resp_parser *p);

/* Splits one inline line the way Redis's sdssplitargs does: whitespace
 * separated, "double quotes" with \n \r \t \b \a \\ \" \xHH escapes,
 * 'single quotes' with \' only; a closing quote must be followed by space or
 * end. Writes unescaped bytes into out (at least len bytes), records up to
 * max_args arguments. Returns the number of arguments (may exceed max_args:
 * then only max_args were recorded), or -1 for unbalanced quotes. Exposed
 * for config-file parsing, which uses the same syntax as redis.conf. */
int resp_split_args(const char *line, size_t len, char *out, struct resp_arg *args, int max_args);

/* ------------------------------------------------------------------ */
/* Reply writer                                                        */
/* ------------------------------------------------------------------ */

/* A growable output buffer that frames replies for one protocol version.
 * On allocation failure `oom` becomes 1 and further writes are ignored; the
 * owner must then drop the connection. */
struct resp_buf {
    char *data;
    size_t len;  /* bytes written */
    size_t cap;
    int proto;   /* 2 or 3 */
    int oom;
};

void resp_buf_init(struct resp_buf *b, int proto);
void resp_buf_free(struct resp_buf *b);
/* Removes the first n bytes (they were sent). */
void resp_buf_consume(struct resp_buf *b, size_t n);
/* Frees the allocation when empty and larger than `keep` bytes. */
void resp_buf_shrink(struct resp_buf *b, size_t keep);

/* Each writer appends one complete RESP value (or an aggregate header whose
 * elements the caller writes next). RESP3-only types fall back to their
 * RESP2 shapes exactly as Redis does:
 *   null        -> $-1            null_array -> *-1
 *   map n       -> *2n            set n      -> *n      push n -> *n
 *   double      -> bulk "%.17g" ("inf"/"-inf"/"nan")
 *   bool        -> :1 / :0        verbatim   -> bulk (without "txt:") */
void resp_add_simple(struct resp_buf *b, const char *s, size_t len);
/* Error text without the leading '-'; must begin with a code such as "ERR ".
 * CR and LF in the text are replaced by spaces (a reply must never break
 * framing). */
void resp_add_error(struct resp_buf *b, const char *s, size_t len);
void resp_add_int(struct resp_buf *b, long long v);
void resp_add_bulk(struct resp_buf *b, const char *s, size_t len);
void resp_add_null(struct resp_buf *b);
void resp_add_null_array(struct resp_buf *b);
void resp_add_array(struct resp_buf *b, size_t n);
void resp_add_map(struct resp_buf *b, size_t n);
void resp_add_set(struct resp_buf *b, size_t n);
void resp_add_push(struct resp_buf *b, size_t n);
void resp_add_double(struct resp_buf *b, double d);
void resp_add_bool(struct resp_buf *b, int v);
/* ext is exactly three bytes, e.g. "txt". */
void resp_add_verbatim(struct resp_buf *b, const char *s, size_t len, const char *ext);
/* Appends bytes that are already framed RESP (e.g. a cached reply). */
void resp_add_raw(struct resp_buf *b, const char *s, size_t len);

/* Deferred aggregate length, for replies whose element count is known only
 * after writing them: resp_defer() marks the place, resp_set_deferred_*()
 * inserts the header there later (moving the bytes after it). */
size_t resp_defer(struct resp_buf *b);
void resp_set_deferred_array(struct resp_buf *b, size_t mark, size_t n);
void resp_set_deferred_map(struct resp_buf *b, size_t mark, size_t n);
void resp_set_deferred_set(struct resp_buf *b, size_t mark, size_t n);

/* Longest decimal text of a 64-bit integer: ULLONG_MAX has 20 digits and
 * LLONG_MIN is '-' plus 19 digits. */
#define RESP_INT_CHARS 20

/* Formats v in decimal into dst (at least RESP_INT_CHARS bytes), without a
 * terminator; no locale, no printf. Returns the number of bytes written. */
size_t resp_fmt_u64(char *dst, unsigned long long v);
size_t resp_fmt_i64(char *dst, long long v);

#endif
