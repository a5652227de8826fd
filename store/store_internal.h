/* store_internal.h — shared by the store's files; not for other modules. */
#ifndef SWARMLOG_STORE_INTERNAL_H
#define SWARMLOG_STORE_INTERNAL_H

#include <lmdb.h>
#include <stdint.h>

#include "store.h"

/* Key names up to this length are LMDB keys as they are ('k' + name);
 * longer ones are named by a prefix and a keyed hash ('h' + 440 bytes +
 * 16 hash bytes), with the full name kept in the value and checked. An LMDB
 * key holds at most 511 bytes. */
#define STORE_KEY_INLINE 480
#define STORE_KEY_PREFIX 440
#define STORE_KEY_LMDB_MAX (1 + STORE_KEY_INLINE)
/* entries: be64 keynum -> sorted items be64 ms | be64 seq | be32 stream# |
 * be48 offset | be48 node (entries.c) */
#define STORE_ENTRY_ITEM 32
/* Streams whose heads an import batch keeps at hand. */
#define STORE_STREAM_SLOTS 16
/* Redis's stream-node-max-entries: '~' trimming removes whole nodes. */
#define STORE_NODE_ENTRIES 100

struct store {
    MDB_env *env;
    MDB_dbi meta, streams, stream_nums, events, keys, entries, nodes, scan;
    MDB_dbi groups, consumers, cnames, pel, cpel; /* consumer groups (groups.c) */
    MDB_dbi tags, types, eventids;                /* event-log indexes (log.c) */
    MDB_dbi gone;                                 /* tombstones waiting for their events (tombstone.c) */
    int lock_fd;
    enum store_durability durability;
    MDB_txn *turn;   /* the loop turn's write transaction, or NULL */
    MDB_txn *rtxn;   /* the read-only handle store_read_txn renews, or NULL */
    int rtxn_live;   /* rtxn is in use (not reset) */
    int turn_dirty;  /* a write command ran in the turn */
    int turn_failed; /* an LMDB error mid-write: the turn must be aborted */
    /* the node's source stream, mirrored from LMDB for the open turn */
    uint32_t own_stream;
    uint64_t next_offset, lamport;
    uint64_t recover_next; /* peers hold this node's stream up to before here; 0 none (store_set_recovering) */
    char node_id[STORE_NODE_ID_LEN + 1];
    char own_name[STORE_STREAM_ID_MAX]; /* "<node id>-0": the source stream's id (store_log_load) */
    unsigned char key_secret[16]; /* SipHash key for long key names */
    /* other nodes' streams an import touched in the open turn: number and
     * next offset, so a batch of imports looks each up once (evlog.c) */
    struct store_stream_slot {
        char name[STORE_STREAM_ID_MAX];
        uint32_t num;
        uint64_t next;
    } slots[STORE_STREAM_SLOTS];
    unsigned nslots;  /* valid in the open turn only */
    /* cursors of the open turn's write transaction (LMDB frees them when
     * it ends): an append lands next to the previous one, and a cursor
     * already on that page skips the descent from the root */
    MDB_cursor *wc_events, *wc_entries, *wc_tags, *wc_types;
    int gone_maybe;   /* the `gone` table may have rows (tombstone.c) */
};

/* The key view's entry index (entries.c). A cursor over one key's entries:
 * seek (dir > 0: the first at or after id; dir < 0: the last at or before),
 * step to the next / previous, delete the current one. Each returns 0 with
 * *e, MDB_NOTFOUND past the key's entries, or a code. */
struct store_entry {
    struct store_id id;
    uint32_t stream;
    uint64_t offset, node;
};
struct store_entry_cur {
    MDB_cursor *cur;
    unsigned char kb[8];
    MDB_val key;
};
int store_entry_open(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_entry_cur *c);
void store_entry_close(struct store_entry_cur *c);
int store_entry_seek(struct store_entry_cur *c, struct store_id id, int dir, struct store_entry *e);
int store_entry_step(struct store_entry_cur *c, int dir, struct store_entry *e);
int store_entry_del(struct store_entry_cur *c);
/* 1 if e's offset and node fit the item's 48 bits each. */
int store_entry_fits(const struct store_entry *e);
void store_entry_encode(unsigned char *p, const struct store_entry *e);
/* Adds the key's newest entry (its ID above every other of the key). */
int store_entry_append(struct store *s, MDB_txn *txn, uint64_t keynum, const struct store_entry *e);
/* Removes every entry of the key. */
int store_entry_drop_key(struct store *s, MDB_txn *txn, uint64_t keynum);
/* On an MDB_DUPSORT cursor: the first duplicate of key at or after *data
 * (dir > 0) or the last at or before it (dir < 0; one that *data is a
 * prefix of counts as at it), into *data; 0,
 * MDB_NOTFOUND, or an LMDB code. */
int store_dup_seek(MDB_cursor *cur, MDB_val *key, MDB_val *data, int dir);

/* SipHash-2-4 of data under a 16-byte key (siphash.c). */
uint64_t store_siphash(const unsigned char key[16], const void *data, size_t len);

/* The turn's write transaction, or NULL when none is open (readers then
 * open a read-only one). */
MDB_txn *store_txn(struct store *s);

/* The turn's cursor on dbi kept in *slot (opened on first use), or NULL
 * outside the turn's transaction or when it cannot be opened. */
MDB_cursor *store_turn_cursor(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **slot);
/* mdb_put through the turn's cursor on dbi kept in *slot (opened on first
 * use; a plain mdb_put when it cannot be). */
int store_turn_put(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **slot, MDB_val *k, MDB_val *v, unsigned flags);

/* Runs a read: uses the open write transaction, or the store's read-only
 * one (renewed). *own tells the caller to end it with store_read_end when
 * done (nothing read stays valid after that). */
int store_read_txn(struct store *s, MDB_txn **txn, int *own);
void store_read_end(struct store *s, MDB_txn *txn, int own);
/* The number of rows of a sub-database, read as store_read_txn reads. */
int store_db_count(struct store *s, MDB_dbi dbi, uint64_t *out);

/* Maps an LMDB result to a store code; an error that may have left partial
 * writes marks the open turn failed (txn.c). */
int store_rc(struct store *s, int rc);

/* Big-endian fixed-width integers, so LMDB's byte order is numeric order. */
static inline void be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static inline uint64_t be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static inline void be32_put(unsigned char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static inline uint32_t be32_get(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The internal number of a key (stream.c): 0, MDB_NOTFOUND, or a code. */
int store_keynum(struct store *s, MDB_txn *txn, struct store_bytes key, uint64_t *keynum);

/* store_key_info inside a given transaction. */
int store_key_info_txn(struct store *s, MDB_txn *txn, struct store_bytes key, struct store_key_info *info);
/* Allocates the next number of a meta counter ("next_keynum", ...). */
int store_meta_next(struct store *s, MDB_txn *txn, const char *counter, uint64_t *out);
/* Creates key as an empty stream (XGROUP CREATE MKSTREAM). */
int store_key_make_empty(struct store *s, MDB_txn *txn, struct store_bytes key, uint64_t *keynum);
/* Consumer-group state of one deleted key / of every key (groups.c). */
int store_groups_drop_key(struct store *s, MDB_txn *txn, uint64_t keynum);
int store_groups_drop_all(struct store *s, MDB_txn *txn);

/* The LMDB key form of a name (a key, tag, type or event id): 'k' + name
 * up to STORE_KEY_INLINE bytes, else 'h' + prefix + keyed 128-bit hash.
 * buf holds STORE_KEY_LMDB_MAX bytes. */
MDB_val store_name_key(const struct store *s, struct store_bytes name, unsigned char *buf);
/* Adds the tag index rows of every stored event (upgrading to schema 5). */
int store_log_index_build(struct store *s, MDB_txn *txn);

/* Gives schema <= 6 key records their tail node's figures (stream.c). */
int store_keys_upgrade(struct store *s, MDB_txn *txn);
/* Fills the SCAN index from `keys` (opening a schema-1 store). */
int store_scan_index_build(struct store *s, MDB_txn *txn);

/* Event log (log.c). */
int store_log_load(struct store *s, MDB_txn *txn);
/* Brings the log's tables of a schema < 3 store to schema 3. */
int store_log_upgrade(struct store *s, MDB_txn *txn);
/* Appends an event of the node's own stream. *offset receives its offset. */
/* An event received from elsewhere: where it already is. */
struct store_foreign {
    uint32_t stream;
    uint64_t offset, lamport;
};
struct store_event_in {
    const struct store_foreign *foreign; /* NULL: a new event of this node */
    struct store_bytes key;
    struct store_id entry_id;
    const struct store_bytes *fields;
    size_t nfields;
    uint64_t timestamp_us;
    const struct store_bytes *tags; /* besides the key; may repeat it or each other */
    size_t ntags;
    struct store_bytes type, eventid; /* ptr NULL: none */
};
int store_log_append(struct store *s, MDB_txn *txn, const struct store_event_in *ev,
                     uint32_t *stream, uint64_t *offset);
/* The last event of stream# through cur (on `events`): 1 with its offset
 * and lamport, 0 if the stream has none, or a negative / LMDB error code. */
int store_stream_last(struct store *s, MDB_cursor *cur, uint32_t stream, uint64_t *offset, uint64_t *lamport);
/* The next offset of stream# (0 when it has no event). */
int store_stream_next(struct store *s, MDB_txn *txn, uint32_t stream, uint64_t *next);
/* The number of a source stream by id: 0 and *num, MDB_NOTFOUND (unless
 * create: then it is registered), or a code. */
int store_stream_num(struct store *s, MDB_txn *txn, const char *name, int create, uint32_t *num);
/* 1 if the stored record holds the same event as ev with that lamport
 * (entry IDs aside), 0 if not, -1 out of memory. */
int store_log_same(const MDB_val *rec, const struct store_event_in *ev, uint64_t lamport);
/* The head of an event record (any version): its numbers, and where the
 * part from the key onwards starts. 0 or STORE_ERR_CORRUPT. */
struct store_rec_head {
    uint64_t lamport, timestamp_us;
    struct store_id id;
    const unsigned char *rest, *end;
};
int store_record_head(const MDB_val *rec, struct store_rec_head *h);
/* Reads a varint (7 bits a byte, low first) from [*p, end). Returns 0 and
 * advances *p, or -1. */
int store_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *v);
/* Decodes the payload of an event record: fills up to max fields, returns
 * the number of fields (may exceed max: call again with more room), or -1
 * for a malformed record. */
long long store_event_fields(const MDB_val *rec, struct store_bytes *fields, size_t max);
int store_event_get(struct store *s, MDB_txn *txn, uint32_t stream, uint64_t offset, MDB_val *rec);

/* Redis stream-node emulation (node.c). The figures of a key's tail node
 * (the one entries join) change with every entry, so they live in the key
 * record, which an XADD rewrites anyway; the node's row in `nodes` gets them
 * when the node stops being the tail. No entry ever added (live + deleted
 * == 0): the tail node does not exist (never made, or dropped). */
struct store_tail {
    uint64_t node;
    struct store_id last; /* the last ID added to it (deleted or not) */
    uint64_t lp_bytes, live, deleted;
};
/* store_node_place picks the node a new entry lands in (the tail, or a new
 * one: fresh when the key never had an entry) and accounts it in *t;
 * store_node_entry_deleted accounts a deleted entry (an emptied node is
 * dropped, as XDEL does, unless keep_empty: trimming inside a node keeps
 * it). */
int store_node_place(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_tail *t, int fresh,
                     const struct store_event_in *ev);
int store_node_entry_deleted(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_tail *t, uint64_t node,
                             int keep_empty);
/* The oldest node of a key (deleted-only nodes included): 1 with its
 * number, live count and last ID ever added; 0 if none; or a code. */
int store_node_first(struct store *s, MDB_txn *txn, uint64_t keynum, const struct store_tail *t, uint64_t *node,
                     uint64_t *live, struct store_id *last);
int store_node_drop(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_tail *t, uint64_t node);
/* The figures of node `node` of keynum from its row (schema-6 upgrade):
 * 0, MDB_NOTFOUND, or a code. */
int store_node_figures(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_tail *t);

/* The key and entry ID an event record holds (0-0: not an entry). */
int store_event_key(const MDB_val *rec, struct store_bytes *key, struct store_id *id);
/* The name of stream# n into buf (STORE_STREAM_ID_MAX bytes). */
int store_stream_name(struct store *s, MDB_txn *txn, uint32_t n, char *buf);

/* Key-view removals on behalf of tombstones (stream.c). store_entry_remove
 * removes entry id of key if it still holds event (stream#, offset), as
 * XDEL; store_key_remove_upto removes every entry of key whose event's
 * offset is at most upto[stream#] (upto has nupto slots, -1: none), as DEL
 * where no entry is left. A missing key or entry is no error. */
int store_entry_remove(struct store *s, MDB_txn *txn, struct store_bytes key, struct store_id id, uint32_t stream,
                       uint64_t offset);
int store_key_remove_upto(struct store *s, MDB_txn *txn, struct store_bytes key, const int64_t *upto, size_t nupto);

/* Tombstones (tombstone.c): deletions that replicate. */
enum tomb_kind { TOMB_NONE, TOMB_XDEL, TOMB_DEL };
enum tomb_kind store_tomb_kind(struct store_bytes type);
/* This node's tombstones: XDEL removed the entries of these events; DEL
 * removed key (its payload: this node's offset map). */
int store_tomb_xdel(struct store *s, MDB_txn *txn, struct store_bytes key, const uint32_t *streams,
                    const uint64_t *offsets, size_t n);
int store_tomb_del(struct store *s, MDB_txn *txn, struct store_bytes key);
/* 1 if a received tombstone's payload is well formed, 0 if not. */
int store_tomb_valid(const struct store_bytes *fields, size_t nfields);
/* Stores a received tombstone (ev->foreign set) and applies it. */
int store_tomb_import(struct store *s, MDB_txn *txn, const struct store_event_in *ev);
/* 1 if a tombstone stored earlier removes this arriving event from its
 * key view (it then enters the log only), 0 if not, or an error code. */
int store_tomb_gone(struct store *s, MDB_txn *txn, const char *stream, uint64_t offset, struct store_bytes key);

#endif
