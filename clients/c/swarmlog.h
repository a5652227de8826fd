/* swarmlog.h — libswarmlog, a small C client for swarmlog's event commands
 * (EV.ADD, EV.QUERY, EV.READ, EV.SUBSCRIBE), built on hiredis.
 *
 * Conventions (every function below follows them):
 *  - Functions return int: SWL_OK (0) on success, a negative SWL_ERR_* code
 *    otherwise; swl_strerror() names a code, swl_errmsg() gives the details
 *    of the last failure on a client (the server's error text, the socket
 *    error, the argument that was wrong).
 *  - Byte strings from the network are (pointer, length) pairs (swl_bytes),
 *    binary-safe. Strings the library hands out are also NUL-terminated
 *    (ptr[len] == '\0'), for convenience only: they may contain NUL bytes.
 *  - Whatever the library allocates and returns through an out-parameter
 *    belongs to the caller and has exactly one free function, named next
 *    to it. Arguments are only read during the call: nothing passed in is
 *    kept afterwards.
 *  - A client is one connection; use it from one thread at a time.
 *  - After SWL_ERR_IO the connection is gone (closed, reset, timed out):
 *    every later call returns SWL_ERR_IO until swl_connect() succeeds again.
 *    Other errors leave the connection usable.
 *
 * Offset maps: the server describes positions in the log as JSON object
 * text, {"<stream id>": <offset>, ...}, where a stream id is a node's
 * source stream and offsets count 0, 1, 2, ... without gaps. As a lower
 * bound (FROM) a map is exclusive — "everything up to here was seen" — so
 * a consumer that stores the map together with what it processed resumes
 * with no gap and no repeat. swl_offsets is that map as a value (parse,
 * merge events in, serialize, save to a file atomically, load). */
#ifndef SWARMLOG_H
#define SWARMLOG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- return codes ---- */
enum swl_status {
    SWL_OK = 0,
    SWL_ERR_ARG = -1,          /* invalid argument (NULL, empty key, no fields, ...); nothing sent */
    SWL_ERR_NOMEM = -2,        /* out of memory */
    SWL_ERR_IO = -3,           /* cannot connect, connection lost or timed out; reconnect */
    SWL_ERR_PROTOCOL = -4,     /* the server's reply has an unexpected shape */
    SWL_ERR_SERVER = -5,       /* the server answered an error (text in swl_errmsg) */
    SWL_ERR_AUTH = -6,         /* wrong password (WRONGPASS) or a password is required (NOAUTH) */
    SWL_ERR_WRONGVERSION = -7, /* EV.ADD's EXPECT did not hold: nothing was stored */
    SWL_ERR_PARSE = -8,        /* malformed offset map text */
    SWL_ERR_FILE = -9,         /* a file operation failed; errno tells which */
    SWL_ERR_NOENT = -10        /* the cursor file does not exist */
};

/* A static, human-readable description of a return code ("unknown error
 * code" for anything else). Never NULL. */
const char *swl_strerror(int code);

/* ---- byte strings ---- */
typedef struct swl_bytes {
    const char *ptr; /* NULL means "absent" where the field is optional */
    size_t len;
} swl_bytes;

/* A NUL-terminated string as swl_bytes (NULL gives an absent value). */
static inline swl_bytes swl_str(const char *s)
{
    swl_bytes b = { s, s ? strlen(s) : 0 };
    return b;
}

typedef struct swl_field {
    swl_bytes name, value;
} swl_field;

/* ---- offset maps ---- */
typedef struct swl_offsets swl_offsets;

/* An empty map ({}: the beginning of the log) in *out. Free with
 * swl_offsets_free(). Returns SWL_OK or SWL_ERR_NOMEM. */
int swl_offsets_new(swl_offsets **out);
/* Frees m; NULL is allowed. */
void swl_offsets_free(swl_offsets *m);
/* A deep copy of m in *out (caller frees). SWL_OK or SWL_ERR_NOMEM. */
int swl_offsets_copy(const swl_offsets *m, swl_offsets **out);

/* Parses the JSON object text the server uses (text[0..len), not
 * necessarily NUL-terminated): string keys (escapes \" \\ \/ \b \f \n \r
 * \t and \u00XX except \u0000), non-negative integer values below 2^63, JSON
 * whitespace. Empty stream ids, a stream given twice, fractions, exponents,
 * leading zeros and text after the object are rejected. On success *out is
 * a new map (caller frees). On failure returns SWL_ERR_PARSE (or
 * SWL_ERR_NOMEM / SWL_ERR_ARG), leaves *out NULL and, when err is not NULL,
 * writes a message naming the position (1-based) into err[0..errlen). */
int swl_offsets_parse(const char *text, size_t len, swl_offsets **out, char *err, size_t errlen);

/* Serializes m as compact JSON ({"s":3,"t":0}; streams in insertion order)
 * into a malloc'd NUL-terminated string *out (caller frees with free()),
 * its length in *len (len may be NULL). SWL_OK or SWL_ERR_NOMEM. */
int swl_offsets_to_json(const swl_offsets *m, char **out, size_t *len);

/* Number of streams in m, and the i-th (0 <= i < count) in insertion order:
 * *stream stays valid until m is changed or freed. Returns SWL_OK or
 * SWL_ERR_ARG (i out of range). */
size_t swl_offsets_count(const swl_offsets *m);
int swl_offsets_entry(const swl_offsets *m, size_t i, const char **stream, uint64_t *offset);

/* 1 and *offset when stream is in m, 0 when it is not. */
int swl_offsets_get(const swl_offsets *m, const char *stream, uint64_t *offset);
/* Sets stream's offset (adding the stream, or lowering/raising it).
 * Returns SWL_OK, SWL_ERR_ARG (empty stream, offset >= 2^63) or
 * SWL_ERR_NOMEM. */
int swl_offsets_set(swl_offsets *m, const char *stream, uint64_t offset);
/* Whether m already covers (stream, offset): 1 when offset <= m[stream],
 * 0 otherwise. A consumer that processes an event only when this is 0
 * and merges it afterwards never processes an event twice. */
int swl_offsets_covers(const swl_offsets *m, const char *stream, uint64_t offset);
/* Per stream, raises dst to max(dst, src); streams only in src are added.
 * Never lowers an offset. SWL_OK or SWL_ERR_NOMEM (dst then unchanged
 * for the streams not yet merged, never corrupt). */
int swl_offsets_merge(swl_offsets *dst, const swl_offsets *src);

/* Writes m to path so that a crash at any moment (process kill, power
 * loss) leaves path holding either the previous complete map or the new
 * one, never a torn file: it writes "<path>.tmp" (one writer per path),
 * fsyncs it, renames it over path and fsyncs the directory. Returns
 * SWL_OK, SWL_ERR_NOMEM, or SWL_ERR_FILE with errno set (the temp file is
 * removed; path holds the old map, or the new one when only the final
 * directory fsync failed). */
int swl_offsets_save(const swl_offsets *m, const char *path);
/* Reads a map saved by swl_offsets_save() (or any file holding offset map
 * JSON, at most 16 MiB) into *out (caller frees). Returns SWL_OK,
 * SWL_ERR_NOENT (no such file: start from swl_offsets_new()),
 * SWL_ERR_FILE (errno set), SWL_ERR_PARSE (message in err as for
 * swl_offsets_parse, which err may be NULL) or SWL_ERR_NOMEM. */
int swl_offsets_load(const char *path, swl_offsets **out, char *err, size_t errlen);

/* ---- events ---- */
typedef struct swl_event {
    const char *stream;    /* source stream id (NUL-terminated) */
    uint64_t offset;       /* position in the stream: 0, 1, 2, ... */
    uint64_t lamport;      /* Lamport time */
    int64_t timestamp_us;  /* wall clock at publish, microseconds */
    swl_bytes key;         /* the key it was added to */
    swl_bytes entry_id;    /* its entry ID in the key, "<ms>-<seq>" */
    const swl_bytes *tags; /* ntags tags; the key is the first */
    size_t ntags;
    swl_bytes type;        /* ptr NULL when the event has no type */
    swl_bytes event_id;    /* ptr NULL when the event has no event id */
    const swl_field *fields; /* nfields name/value pairs, in order */
    size_t nfields;
} swl_event;

/* Raises m's offset for ev's stream to ev->offset (never lowers it).
 * SWL_OK or SWL_ERR_NOMEM. */
int swl_offsets_merge_event(swl_offsets *m, const swl_event *ev);

/* The event as one line of JSON (no newline) in a malloc'd NUL-terminated
 * *out (caller frees with free()), its length in *len (may be NULL):
 * {"stream":..,"offset":N,"lamport":N,"timestamp":N,"key":S,"id":S,
 *  "tags":[S,..],"type":S|null,"eventid":S|null,"payload":[name,value,..]}.
 * A byte string S that is valid UTF-8 is a JSON string (", \ and control
 * characters escaped, so NUL bytes survive as \u0000); any other byte
 * string is {"base64":"..."} — lossless and never ambiguous. The payload
 * is a flat array because field names may repeat. SWL_OK or
 * SWL_ERR_NOMEM. */
int swl_event_to_json(const swl_event *ev, char **out, size_t *len);

/* Events returned by swl_query() / swl_read(). Everything it points to —
 * events, their strings, next — belongs to the batch and lives until
 * swl_batch_free(). To keep next beyond that, take it: save the pointer
 * and set b->next = NULL before freeing the batch (the caller then frees
 * it with swl_offsets_free()). */
typedef struct swl_batch {
    swl_event *events;
    size_t nevents;
    swl_offsets *next; /* the continuation: pass it as the next FROM (TO for LAMPORTDESC) */
    void *priv_;       /* the library's; do not touch */
} swl_batch;

void swl_batch_free(swl_batch *b);

/* ---- the client ---- */
typedef struct swl_client swl_client;

/* A new, unconnected client in *out (caller frees with swl_client_free).
 * Reply timeout 10 s. Returns SWL_OK or SWL_ERR_NOMEM. */
int swl_client_new(swl_client **out);
/* Closes the connection, if any, and frees c. NULL is allowed. */
void swl_client_free(swl_client *c);

/* Connects c to host:port (closing an earlier connection first), sends
 * AUTH <password> when password is not NULL, then PING to check the
 * connection is ready. Returns SWL_OK; SWL_ERR_ARG (host NULL, port not
 * 1..65535); SWL_ERR_IO (cannot connect or timed out); SWL_ERR_AUTH
 * (wrong password, or the server requires one and none was given).
 * Details in swl_errmsg(c). On failure c is left unconnected. */
int swl_connect(swl_client *c, const char *host, int port, const char *password);

/* Sets how long connecting and each reply may take, in milliseconds; 0
 * means no limit. EV.READ with BLOCK waits its block time on top of it
 * (BLOCK 0: no limit); swl_subscribe() waits for events without limit.
 * Applies at once. A timeout is reported as SWL_ERR_IO. Returns SWL_OK or
 * SWL_ERR_ARG (ms < 0). */
int swl_set_timeout(swl_client *c, int ms);

/* The details of the last failure on c ("" when none). Valid until the
 * next call on c. Never NULL. */
const char *swl_errmsg(const swl_client *c);

/* ---- publishing: EV.ADD ---- */
enum swl_expect {
    SWL_EXPECT_ANY = 0,  /* no expectation (the default) */
    SWL_EXPECT_NOKEY,    /* the key must not exist */
    SWL_EXPECT_EXISTS,   /* the key must exist */
    SWL_EXPECT_REVISION  /* the key must be at .revision (-1: no key) */
};

struct swl_publish {
    swl_bytes key;              /* required, non-empty */
    const swl_bytes *tags;      /* ntags extra tags (the key is always a tag); none empty */
    size_t ntags;
    swl_bytes type;             /* ptr NULL: no type */
    swl_bytes event_id;         /* ptr NULL: none; else non-empty: makes retries idempotent */
    enum swl_expect expect;
    int64_t revision;           /* for SWL_EXPECT_REVISION: >= -1 */
    const swl_field *fields;    /* nfields >= 1 name/value pairs */
    size_t nfields;
};

#define SWL_STREAM_MAX 256   /* room for a stream id and its NUL */
#define SWL_ENTRY_ID_MAX 48  /* room for "<u64>-<u64>" and its NUL */

/* Where a published event was stored. */
typedef struct swl_position {
    char stream[SWL_STREAM_MAX];
    uint64_t offset;
    uint64_t lamport;
    int64_t timestamp_us;
    char entry_id[SWL_ENTRY_ID_MAX];
} swl_position;

/* Publishes one event (EV.ADD) and fills *pos (may be NULL) with its
 * stored position once the server has committed it. With an event id that
 * the server already stored, nothing new is stored and *pos is the stored
 * event's position (a safe retry). Returns SWL_OK; SWL_ERR_WRONGVERSION
 * when the expectation failed (nothing stored; swl_errmsg says where the
 * key is, e.g. "WRONGVERSION expected 3, key is at 4"); SWL_ERR_ARG for a
 * missing key or fields, an empty tag or event id, a revision < -1, or a
 * first field named like an EV.ADD option that is not otherwise given
 * (TYPE, EVENTID: the server would read it as that option — put another
 * field first); SWL_ERR_SERVER, SWL_ERR_AUTH, SWL_ERR_IO,
 * SWL_ERR_PROTOCOL, SWL_ERR_NOMEM. */
int swl_publish(swl_client *c, const struct swl_publish *p, swl_position *pos);

/* ---- querying: EV.QUERY, EV.READ ---- */
enum swl_order {
    SWL_ORDER_LAMPORT = 0, /* ascending (lamport, stream, offset): the default */
    SWL_ORDER_LAMPORTDESC, /* the reverse; continue by passing next as .to */
    SWL_ORDER_STREAM       /* stream by stream, offsets ascending */
};

struct swl_query {
    const char *where;          /* tag expression; NULL: every event */
    const char *const *types;   /* ntypes event types (any of them); none when 0 */
    size_t ntypes;
    const swl_offsets *from;    /* exclusive lower bound; NULL: {} (the beginning) */
    const swl_offsets *to;      /* inclusive upper bound; NULL: what is stored now */
    enum swl_order order;
    size_t count;               /* at most this many events; 0: the server's default (all) */
};

/* EV.QUERY. On SWL_OK, *out is a new batch (caller frees with
 * swl_batch_free) with the events in the requested order and next, the
 * map that continues the query. Errors: SWL_ERR_SERVER (bad WHERE, a
 * stream in from/to the server does not hold, ...), SWL_ERR_ARG,
 * SWL_ERR_IO, SWL_ERR_AUTH, SWL_ERR_PROTOCOL, SWL_ERR_NOMEM; *out is then
 * NULL. */
int swl_query(swl_client *c, const struct swl_query *q, swl_batch **out);

struct swl_read {
    const char *where;          /* tag expression; NULL: every event */
    const char *const *types;
    size_t ntypes;
    const swl_offsets *from;    /* exclusive; NULL: {} */
    size_t count;               /* 0: the server's default */
    long long block_ms;         /* < 0: do not wait; 0: wait forever; > 0: wait that long */
};

/* EV.READ: the matching events after from, in Lamport order. When nothing
 * matches (after waiting, with block_ms >= 0) it returns SWL_OK with an
 * empty batch whose next equals from. Otherwise as swl_query(). */
int swl_read(swl_client *c, const struct swl_read *r, swl_batch **out);

/* ---- subscribing: EV.SUBSCRIBE ---- */

/* Called for every event (ev != NULL) and once for the caught-up marker
 * (ev == NULL: the history is delivered, what follows is live). cursor is
 * the subscription's map, already covering ev (or merged with the
 * caught-up map): saving it after handling ev resumes right after ev.
 * ev and cursor are valid only during the call. Return 0 to go on,
 * nonzero to stop. */
typedef int (*swl_subscribe_fn)(void *arg, const swl_event *ev, const swl_offsets *cursor);

struct swl_subscribe {
    const char *where;          /* tag expression; NULL: every event */
    const char *const *types;
    size_t ntypes;
    swl_offsets *cursor;        /* required; in: subscribe FROM it; out: covers exactly the
                                   events passed to fn (and the caught-up map) */
    swl_subscribe_fn fn;        /* required */
    void *arg;                  /* passed to fn */
};

/* Subscribes and calls s->fn for the history after s->cursor, the
 * caught-up marker, then live events as they are committed, waiting
 * without a timeout. Runs until fn returns nonzero: it then unsubscribes
 * (events that arrived meanwhile are dropped, not merged into the cursor:
 * subscribing again from s->cursor delivers them), leaves the connection
 * usable and returns SWL_OK. Otherwise returns an error: SWL_ERR_SERVER
 * (e.g. a bad WHERE; connection usable), SWL_ERR_IO (connection lost),
 * SWL_ERR_PROTOCOL, SWL_ERR_NOMEM (connection closed), SWL_ERR_ARG; in
 * every case s->cursor covers exactly the events fn was called with. */
int swl_subscribe(swl_client *c, const struct swl_subscribe *s);

#ifdef __cplusplus
}
#endif

#endif
