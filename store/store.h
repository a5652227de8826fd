/* store.h — swarmlog's persistent state: one LMDB environment per data
 * directory. Knows no sockets and no commands.
 *
 * This first cut opens the environment, owns the data-directory lock, and
 * keeps the node's identity (node id, schema version) in the `meta`
 * sub-database, plus the `keys` sub-database the keyspace counts from. The
 * event log, key views and consumer groups build on this (docs/storage.md). */
#ifndef SWARMLOG_STORE_H
#define SWARMLOG_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_foreign;

/* Error codes: 0 success; negative store codes below; positive values are
 * LMDB/errno codes passed through. store_strerror() describes any of them. */
enum {
    STORE_ERR_LOCKED = -30001,  /* another process owns the data directory */
    STORE_ERR_SCHEMA = -30002,  /* written by a newer, unknown schema version */
    STORE_ERR_CORRUPT = -30003, /* meta record malformed */
    STORE_ERR_NOMEM = -30004,
    STORE_ERR_NOKEY = -30005,       /* the key does not exist */
    STORE_ERR_ID_SMALL = -30006,    /* XADD ID equal or smaller than the key's top */
    STORE_ERR_ID_ZERO = -30007,     /* XADD ID 0-0 */
    STORE_ERR_ID_EXHAUSTED = -30008,/* the key's last ID is max-max */
    STORE_ERR_FULL = -30009,        /* disk full: nothing of the command stored */
    STORE_ERR_TOO_BIG = -30010,     /* a record beyond the store's limits */
    STORE_ERR_SEQ_OVERFLOW = -30011,/* XADD ms-* when the key's last ID is ms-max */
    STORE_ERR_COLLISION = -30012,   /* two long key names share a keyed 128-bit hash */
    STORE_ERR_SETID_TOP = -30014,   /* XSETID ID below the key's newest entry */
    STORE_ERR_SETID_ADDED = -30015, /* XSETID ENTRIESADDED below the key's length */
    STORE_ERR_NOGROUP = -30016,     /* the key has no such consumer group */
    STORE_ERR_BUSYGROUP = -30017,   /* XGROUP CREATE: the group exists */
    STORE_ERR_NAME_LONG = -30018,   /* a group or consumer name beyond STORE_GROUP_NAME_MAX */
    STORE_ERR_WRONGVERSION = -30019,/* EV.ADD EXPECT did not hold: nothing stored */
    STORE_ERR_OWN_STREAM = -30020,  /* an imported event of this node's own stream */
    STORE_ERR_GAP = -30021,         /* an imported event after a missing offset */
    STORE_ERR_CONFLICT = -30022,    /* an imported offset already holds a different event */
    STORE_ERR_RECOVERING = -30023,  /* a new event while the own stream is behind its peers */
    STORE_ERR_BAD_TOMBSTONE = -30024, /* an imported $xdel/$del event whose payload is malformed */
};

enum store_durability {
    STORE_DURABILITY_STRICT = 0,  /* fsync at every turn commit */
    STORE_DURABILITY_RELAXED = 1, /* no fsync at commit; store_sync() once a second */
    STORE_DURABILITY_NONE = 2,    /* the OS decides */
};

#define STORE_SCHEMA_VERSION 7
#define STORE_NODE_ID_LEN 22 /* base62, >= 130 bits of randomness */

/* A stream entry ID, <ms>-<seq>. */
struct store_id {
    uint64_t ms, seq;
};

/* -1, 0 or 1 as a is before, equal to or after b. */
static inline int store_id_cmp(struct store_id a, struct store_id b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    return a.seq < b.seq ? -1 : a.seq > b.seq;
}

/* Steps *id to the next / previous ID, carrying across the sequence (as
 * Redis's streamIncrID / streamDecrID). Returns 0, or -1 when there is none
 * (after max-max, before 0-0); *id is then unchanged. */
static inline int store_id_incr(struct store_id *id)
{
    if (id->seq < UINT64_MAX)
        id->seq++;
    else if (id->ms < UINT64_MAX)
        *id = (struct store_id){ id->ms + 1, 0 };
    else
        return -1;
    return 0;
}

static inline int store_id_decr(struct store_id *id)
{
    if (id->seq > 0)
        id->seq--;
    else if (id->ms > 0)
        *id = (struct store_id){ id->ms - 1, UINT64_MAX };
    else
        return -1;
    return 0;
}

/* Binary-safe bytes. */
struct store_bytes {
    const char *ptr;
    size_t len;
};

/* Opens (creating if needed) the store in directory `dir`, which must
 * exist. Takes an exclusive lock on the directory for the life of the
 * store; a second opener gets STORE_ERR_LOCKED. On the first open a node id
 * is generated and persisted. Returns 0 and *out, or an error code. */
int store_open(struct store **out, const char *dir);

/* As store_open, with the initial map size in bytes (0 = the default
 * 64 MiB). The map grows on demand either way; tests use a small one. */
int store_open_sized(struct store **out, const char *dir, size_t initial_map);

/* Closes the environment and releases the lock. NULL is allowed. */
void store_close(struct store *s);

/* The node id: STORE_NODE_ID_LEN printable, URL-safe characters; valid for
 * the life of the store. */
const char *store_node_id(const struct store *s);
/* The node's source stream id, "<node id>-0"; valid for the life of the store. */
const char *store_own_stream(const struct store *s);

/* Number of keys in the keyspace. Returns 0 and *out, or an error code. */
int store_key_count(struct store *s, uint64_t *out);

/* ---- durability and transactions ---- */

/* Sets the durability mode (takes effect at the next turn commit). */
int store_set_durability(struct store *s, enum store_durability d);
/* Flushes to disk now (relaxed mode calls it once a second). */
int store_sync(struct store *s);

/* Opens the turn's write transaction if none is open. Every write command
 * runs between store_cmd_begin and store_cmd_end. Returns 0, or an error
 * code (also when the turn has already failed). */
int store_cmd_begin(struct store *s);
/* Ends a write command. Returns 0, or the error that failed the turn: the
 * command (and the turn) will not be stored. */
int store_cmd_end(struct store *s);
/* Makes the turn's writes durable (per the durability mode) and ends the
 * turn. Returns 0 (also when no turn was open) or an error code, in which
 * case none of the turn's writes are stored. Store operations check their
 * input before writing, so one that returns an input error (NOKEY, ID_*,
 * SEQ_OVERFLOW) has written nothing; any other error fails the turn. */
int store_turn_commit(struct store *s);
/* 1 if a write command ran in the open turn. */
int store_turn_dirty(const struct store *s);

/* ---- streams (writes between store_cmd_begin and store_cmd_end) ---- */

enum store_id_mode { STORE_ID_EXPLICIT, STORE_ID_AUTO_SEQ, STORE_ID_AUTO };
enum store_trim { STORE_TRIM_NONE, STORE_TRIM_MAXLEN, STORE_TRIM_MINID };

/* Trimming, as XADD's and XTRIM's MAXLEN/MINID [=|~] threshold [LIMIT n]. */
struct store_trim_spec {
    enum store_trim strategy;
    int approx;            /* '~': only whole nodes of 100 entries, at most limit entries */
    uint64_t maxlen;
    struct store_id minid;
    long long limit;       /* -1: default (100 * 10 when approx, none when exact) */
};

struct store_xadd_req {
    struct store_bytes key;
    int nomkstream;                 /* missing key: STORE_ERR_NOKEY, nothing stored */
    enum store_id_mode id_mode;
    struct store_id id;             /* EXPLICIT: the ID; AUTO_SEQ: id.ms */
    const struct store_bytes *fields; /* field, value, field, value ... */
    size_t nfields;                 /* even, >= 2 */
    struct store_trim_spec trim;
    uint64_t now_ms;                /* wall clock for '*' IDs */
    uint64_t now_us;                /* event timestamp */
    /* EV.ADD's event metadata (XADD: none) */
    const struct store_bytes *tags; /* besides the key, which is always one */
    size_t ntags;
    struct store_bytes type, eventid; /* ptr NULL: none */
    const struct store_foreign *foreign; /* internal: an imported event's place (store_ev_import) */
};

/* Appends one entry to a key: one event of the node's source stream (next
 * offset, lamport+1) and its place in the key view. Then trims if asked.
 * Returns 0 with *id_out, or STORE_ERR_NOKEY / _ID_SMALL / _ID_ZERO /
 * _ID_EXHAUSTED (nothing stored) or another error code. */
int store_xadd(struct store *s, const struct store_xadd_req *req, struct store_id *id_out);

/* Number of entries in key (0 when missing). */
int store_xlen(struct store *s, struct store_bytes key, uint64_t *len);

/* Entries trimmed from key per spec (removed from the key view; the events
 * stay in the log). *removed = 0 for a missing key. */
int store_xtrim(struct store *s, struct store_bytes key, const struct store_trim_spec *spec,
                uint64_t *removed);

/* Deletes the given IDs from key; *deleted counts those that existed. */
int store_xdel(struct store *s, struct store_bytes key, const struct store_id *ids, size_t n,
               uint64_t *deleted);

/* Called once per entry of a range, in order. Return 0 to go on, nonzero
 * to stop. fields points into LMDB pages: valid only during the call. */
typedef int (*store_entry_fn)(void *ctx, struct store_id id, const struct store_bytes *fields,
                              size_t nfields);

/* Visits entries of key with start <= id <= end (both inclusive), ascending,
 * or descending when rev, at most count (count < 0: all). Returns the number
 * visited (>= 0) or a negative error code. A missing key visits nothing. */
long long store_range(struct store *s, struct store_bytes key, struct store_id start,
                      struct store_id end, int rev, long long count, store_entry_fn fn, void *ctx);

/* ---- keyspace ---- */

/* 1 if key exists, 0 if not, or a negative error code. */
int store_exists(struct store *s, struct store_bytes key);
/* Deletes key and its entries (the events stay in the log). 1 if it
 * existed, 0 if not, or a negative error code. */
int store_del(struct store *s, struct store_bytes key);

/* XSETID: sets the key's last ID, and when given its entries-added count
 * (entries_added >= 0) and max deleted ID (non-zero), with Redis 7.0's
 * checks: STORE_ERR_NOKEY, _SETID_TOP, _SETID_ADDED. */
int store_xsetid(struct store *s, struct store_bytes key, struct store_id id, long long entries_added,
                 struct store_id max_deleted);

/* Calls fn with every key name, in creation order (as SCAN). The name is
 * valid during the call only. fn returns nonzero to stop. Returns 0 or an
 * error code. */
typedef int (*store_key_fn)(void *ctx, struct store_bytes key);
int store_keys(struct store *s, store_key_fn fn, void *ctx);

/* SCAN: calls fn with up to count keys from cursor on (0 starts), in the
 * order keys were created, and sets *next to the cursor that continues
 * (0 when the scan is complete). A key that exists for the whole scan is
 * returned exactly once, whatever is deleted or added meanwhile. Returns 0
 * or an error code. */
int store_scan(struct store *s, uint64_t cursor, uint64_t count, store_key_fn fn, void *ctx, uint64_t *next);

/* Removes every key and its entries (FLUSHALL); the event log stays, as
 * events are immutable. Inside a write command. Returns 0 or a code. */
int store_flush(struct store *s);

/* Key state, for XINFO STREAM and XADD checks. */
struct store_key_info {
    uint64_t length;
    struct store_id last_id;          /* last generated ID */
    struct store_id max_deleted_id;
    uint64_t entries_added;
    struct store_id first_id;         /* 0-0 when empty */
    uint64_t incarnation;             /* changes when the key is deleted and made again */
};
/* Returns 0 with *info, STORE_ERR_NOKEY, or an error code. */
int store_key_info(struct store *s, struct store_bytes key, struct store_key_info *info);

/* The key's newest live entry: 1 and *id, 0 for none (or no key), or an
 * error code (< 0 or an LMDB code). */
int store_key_newest(struct store *s, struct store_bytes key, struct store_id *id);

/* Redis's radix-tree figures for XINFO STREAM: the stream nodes (listpacks)
 * the key has in Redis's layout (radix-tree-keys) and the nodes of the rax
 * indexing them (radix-tree-nodes). O(nodes). Returns 0, STORE_ERR_NOKEY or
 * a code. */
int store_key_radix(struct store *s, struct store_bytes key, uint64_t *keys, uint64_t *nodes);

/* ---- consumer groups (writes between store_cmd_begin and store_cmd_end) ---- */

#define STORE_GROUP_NAME_MAX 400       /* bytes of a group or consumer name */
#define STORE_ENTRIES_READ_UNKNOWN (-1) /* Redis's SCG_INVALID_ENTRIES_READ */

/* Where a group stands: XGROUP CREATE / SETID's id (or `$`: the key's last
 * ID) and ENTRIESREAD (STORE_ENTRIES_READ_UNKNOWN when not given). */
struct store_group_pos {
    int last;
    struct store_id id;
    long long entries_read;
};

struct store_group_info {
    struct store_bytes name;   /* valid during the callback */
    struct store_id last_id;   /* last delivered */
    long long entries_read;    /* STORE_ENTRIES_READ_UNKNOWN: unknown */
    uint64_t pending, consumers;
    int lag_known;             /* Redis 7.0's lag rules; 0: nil */
    long long lag;
};
typedef int (*store_group_fn)(void *ctx, const struct store_group_info *g);

struct store_consumer_info {
    struct store_bytes name;   /* valid during the callback */
    uint64_t pending;
    uint64_t seen_ms;          /* last interaction, unix ms */
};
typedef int (*store_consumer_fn)(void *ctx, const struct store_consumer_info *c);

/* XGROUP CREATE: 0, STORE_ERR_NOKEY (unless mkstream), _BUSYGROUP,
 * _NAME_LONG or a code. mkstream creates a missing key empty. */
int store_group_create(struct store *s, struct store_bytes key, struct store_bytes group,
                       const struct store_group_pos *pos, int mkstream);
/* XGROUP SETID: 0, STORE_ERR_NOKEY, _NOGROUP or a code. */
int store_group_setid(struct store *s, struct store_bytes key, struct store_bytes group,
                      const struct store_group_pos *pos);
/* XGROUP DESTROY: 1, 0 (no such group), STORE_ERR_NOKEY or a code. */
int store_group_destroy(struct store *s, struct store_bytes key, struct store_bytes group);
/* XGROUP CREATECONSUMER: 1 created, 0 existed, or an error code. */
int store_consumer_create(struct store *s, struct store_bytes key, struct store_bytes group,
                          struct store_bytes consumer, uint64_t now_ms);
/* XGROUP DELCONSUMER: the consumer's pending count (0 if none), or an
 * error code (< 0). */
long long store_consumer_delete(struct store *s, struct store_bytes key, struct store_bytes group,
                                struct store_bytes consumer);
/* One group: 0, STORE_ERR_NOKEY, _NOGROUP or a code. */
int store_group_get(struct store *s, struct store_bytes key, struct store_bytes group,
                    struct store_group_info *out);
/* The key's groups, in name order. 0, STORE_ERR_NOKEY or a code. */
int store_groups(struct store *s, struct store_bytes key, store_group_fn fn, void *ctx);
/* A group's consumers, in name order. 0, STORE_ERR_NOKEY, _NOGROUP or a code. */
int store_consumers(struct store *s, struct store_bytes key, struct store_bytes group, store_consumer_fn fn,
                    void *ctx);

/* XREADGROUP: consumer (created if new, its seen time refreshed) reads
 * from group. */
struct store_readgroup {
    struct store_bytes key, group, consumer;
    long long count; /* <= 0: all */
    int noack;
    uint64_t now_ms;
};
/* `>`: the entries after the group's last delivered ID, passed to fn (which
 * writes nothing to the store); the group's last ID and entries-read
 * advance, and unless noack each entry becomes pending for the consumer
 * (delivery time now, count 1). Returns the number delivered, or an error
 * code (< 0): STORE_ERR_NOKEY, _NOGROUP, _NAME_LONG. */
long long store_readgroup_new(struct store *s, const struct store_readgroup *rq, store_entry_fn fn, void *ctx);
/* An explicit ID: the consumer's own pending entries after `after`, at
 * most count; fn gets fields NULL for an entry deleted since. Each entry
 * still present counts one more delivery, now. */
long long store_readgroup_pending(struct store *s, const struct store_readgroup *rq, struct store_id after,
                                  store_entry_fn fn, void *ctx);
/* XACK: *acked = how many of ids were pending (and no longer are). A
 * missing key or group acknowledges nothing. */
int store_ack(struct store *s, struct store_bytes key, struct store_bytes group, const struct store_id *ids,
              size_t n, uint64_t *acked);

/* XCLAIM / XAUTOCLAIM: give pending entries to `consumer` (created, and its
 * seen time refreshed, at the first claim). */
struct store_claim {
    struct store_bytes key, group, consumer;
    long long min_idle;        /* ms; 0: any */
    uint64_t now_ms;
    uint64_t delivery_ms;      /* the claimed entries' new delivery time */
    long long retrycount;      /* >= 0: set the delivery count; else +1 unless justid */
    int force, justid;
    int has_lastid;
    struct store_id lastid;    /* XCLAIM LASTID: the group's last ID moves up to it */
};
/* XCLAIM: ids in order, as Redis 7.0: an ID whose entry is gone loses its
 * PEL entry; FORCE makes missing PEL entries; too recent ones are skipped.
 * *claimed (malloc'd, caller frees) lists what was claimed, in order.
 * Returns 0, STORE_ERR_NOKEY, _NOGROUP, _NAME_LONG or a code. */
int store_claim(struct store *s, const struct store_claim *cl, const struct store_id *ids, size_t n,
                struct store_id **claimed, size_t *nclaimed);
struct store_autoclaim_result {
    struct store_id cursor;          /* 0-0: the end of the PEL */
    struct store_id *claimed, *deleted; /* malloc'd, caller frees */
    size_t nclaimed, ndeleted;
};
/* XAUTOCLAIM: the group's PEL from start, at most count claims or
 * deletions within count*10 PEL entries looked at. */
int store_autoclaim(struct store *s, const struct store_claim *cl, struct store_id start, long long count,
                    struct store_autoclaim_result *out);

/* XPENDING key group: the count and the smallest and largest pending IDs
 * (store_consumers gives the per-consumer counts). */
struct store_pending_summary {
    uint64_t count;
    struct store_id min, max;
};
int store_pending_summary(struct store *s, struct store_bytes key, struct store_bytes group,
                          struct store_pending_summary *out);
/* XPENDING key group [IDLE ms] start end count [consumer] */
struct store_pending_query {
    struct store_bytes key, group;
    struct store_bytes consumer;   /* ptr NULL: every consumer */
    struct store_id start, end;    /* inclusive */
    long long count, min_idle;
    uint64_t now_ms;
};
typedef int (*store_pending_fn)(void *ctx, struct store_id id, struct store_bytes consumer, uint64_t delivery_ms,
                                uint64_t deliveries);
/* Returns the number of entries passed to fn, or an error code (< 0). */
long long store_pending_range(struct store *s, const struct store_pending_query *q, store_pending_fn fn, void *ctx);

/* ---- the event log (EV.*) ---- */

#define STORE_STREAM_ID_MAX 64 /* bytes of a source stream id, "<node id>-0", with its NUL */

enum store_expect { STORE_EXPECT_ANY, STORE_EXPECT_NOKEY, STORE_EXPECT_EXISTS, STORE_EXPECT_REVISION };

/* EV.ADD: an XADD with `*` (x.id_mode STORE_ID_AUTO), the event's tags,
 * type and event id in x, and an expectation on the key's revision (the
 * number of events ever added to it minus one; -1 for no key). */
struct store_ev_add_req {
    struct store_xadd_req x;
    enum store_expect expect;
    long long revision;        /* STORE_EXPECT_REVISION */
};
/* Where an event is: its source stream, offset, clock, time, entry ID. */
struct store_ev_pos {
    char stream[STORE_STREAM_ID_MAX];
    uint64_t offset, lamport, timestamp_us;
    struct store_id id;
    int existed;               /* EV.ADD: the event id was already stored; nothing written */
};
/* Inside a write command. Returns 0 with *pos (pos->existed for a repeated
 * event id: its stored position, nothing written), STORE_ERR_WRONGVERSION
 * with the key's *revision (nothing written), or an XADD error. */
int store_ev_add(struct store *s, const struct store_ev_add_req *req, struct store_ev_pos *pos, long long *revision);

/* A tag expression, as EV.QUERY's WHERE (parsed by the server). */
enum store_tag_op { STORE_TAG_LEAF, STORE_TAG_ALL, STORE_TAG_LOCAL, STORE_TAG_AND, STORE_TAG_OR };
struct store_tag_expr {
    enum store_tag_op op;
    char *tag;                       /* STORE_TAG_LEAF: the tag bytes */
    size_t len;
    struct store_tag_expr *l, *r;    /* STORE_TAG_AND, STORE_TAG_OR */
};

/* An event as stored, for a callback (pointers valid during the call). */
struct store_event {
    const char *stream;              /* "<node id>-0" */
    uint64_t offset, lamport, timestamp_us;
    struct store_bytes key;
    struct store_id id;
    const struct store_bytes *tags;  /* the key first, then the others */
    size_t ntags;
    struct store_bytes type, eventid; /* ptr NULL: none */
    const struct store_bytes *fields;
    size_t nfields;
};
typedef int (*store_event_fn)(void *ctx, const struct store_event *ev);

enum store_ev_order { STORE_ORDER_LAMPORT, STORE_ORDER_LAMPORTDESC, STORE_ORDER_STREAM };

/* Bounds of a query for one stream: events with from < offset <= to. */
struct store_ev_bound {
    const char *stream;
    int64_t from;                    /* -1: from the first event */
    int64_t to;                      /* inclusive; -1: nothing */
};
struct store_ev_query {
    const struct store_tag_expr *where;  /* NULL: every event */
    const struct store_bytes *types;     /* any of these types; ntypes 0: any event */
    size_t ntypes;
    const struct store_ev_bound *bounds; /* the streams to read (others: none) */
    size_t nbounds;
    enum store_ev_order order;
    long long count;                     /* <= 0: no limit */
};
/* Runs a query: fn gets the matching events in order (LAMPORT: ascending
 * (lamport, stream id, offset); LAMPORTDESC: descending; STREAM: stream by
 * stream in the bounds' order, ascending offsets). cont gets, per stream,
 * where the next page starts: for ascending orders the new `from` (the last
 * offset returned, or `to` when the stream was read to its end); for
 * LAMPORTDESC the new `to` (one below the smallest returned, or `from`).
 * Returns the number of events, or an error code (< 0). Cost: index seeks
 * per matching event (and per AND step), not a scan of the log. */
long long store_ev_query(struct store *s, const struct store_ev_query *q, store_event_fn fn, void *ctx,
                         int (*cont)(void *ctx, const char *stream, int64_t offset), void *cont_ctx);

/* An event of another node's stream, as replication brings it. */
struct store_import {
    const char *stream;              /* "<node id>-0" */
    uint64_t offset, lamport, timestamp_us;
    struct store_bytes key;
    const struct store_bytes *tags;  /* may include the key */
    size_t ntags;
    struct store_bytes type, eventid; /* ptr NULL: none */
    const struct store_bytes *fields;
    size_t nfields;
    uint64_t now_ms;                 /* for its local entry ID in the key (as XADD '*') */
};
/* Stores an imported event, inside a write command: at its (stream,
 * offset), with its lamport (the node's clock moves up to it), its tags,
 * type and event id, and as a new entry of its key with a local ID.
 * Idempotent: 0 stored, 1 when that offset already holds the same event.
 * STORE_ERR_OWN_STREAM (an event of this node's own stream that it does
 * not hold; one it holds is checked and skipped like any other), _GAP
 * (offsets of a stream come in order),
 * _CONFLICT (the offset holds another event): nothing stored. */
int store_ev_import(struct store *s, const struct store_import *ev);

/* Peers added at runtime (EV.PEER), kept across restarts. Inside a write
 * command: store_peer_set adds (present) or removes an address. */
int store_peer_set(struct store *s, const char *addr, int present);
int store_peers(struct store *s, int (*fn)(void *ctx, const char *addr), void *ctx);

/* A peer holds this node's own stream up to offset up_to, beyond what is
 * here (the node was restored from an older copy): until the node has
 * imported its own events up to there, they are imported like any other,
 * and new events of its own (XADD, EV.ADD) are refused with
 * STORE_ERR_RECOVERING, so no offset is reused. store_recovering tells
 * whether that is still the case. */
void store_set_recovering(struct store *s, uint64_t up_to);
int store_recovering(struct store *s);

/* Every source stream holding events here, with its last offset. */
typedef int (*store_offset_fn)(void *ctx, const char *stream, uint64_t last_offset);
int store_log_offsets(struct store *s, store_offset_fn fn, void *ctx);
/* The number of events stored. */
int store_log_count(struct store *s, uint64_t *events);

/* The node's event log: next offset of its source stream and its clock. */
int store_log_head(struct store *s, uint64_t *next_offset, uint64_t *lamport);

/* Bytes used by the environment's data file (pages in use x page size) and
 * its configured map size, for INFO. Returns 0 or an error code. */
int store_usage(struct store *s, uint64_t *used_bytes, uint64_t *map_bytes);

/* A static, human-readable description of an error code. */
const char *store_strerror(int code);

#endif
