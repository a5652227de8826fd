/* stream.c — Redis key views over the event log.
 *
 * keys:    key name -> key record (keynum, length, last ID, max deleted ID,
 *          entries added, current node and its fill)
 * entries: be64 keynum -> (ID, stream#, offset, node) items (entries.c)
 * An entry's fields live in its event (log.c); the view only points at it.
 * nodes:   be64 keynum | be64 node -> the node's record (node.c): `node`
 *          numbers emulate Redis's stream nodes, so that '~' trimming
 *          removes what Redis would remove and XINFO shows Redis's figures. */
#include "store.h"
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEYREC_SIZE (13 * 8)
#define APPROX_DEFAULT_LIMIT (100 * STORE_NODE_ENTRIES)

static const char META_NEXT_KEYNUM[] = "next_keynum";

struct keyrec {
    uint64_t keynum, length, entries_added;
    struct store_id last_id, max_deleted;
    struct store_tail tail; /* the current (tail) node and its figures (node.c) */
};

static void keyrec_encode(const struct keyrec *r, unsigned char *p)
{
    const struct store_tail *t = &r->tail;
    const uint64_t v[13] = { r->keynum, r->length, r->last_id.ms, r->last_id.seq, r->max_deleted.ms,
                             r->max_deleted.seq, r->entries_added, t->node, t->last.ms, t->last.seq,
                             t->lp_bytes, t->live, t->deleted };
    for (int i = 0; i < 13; i++)
        be64_put(p + 8 * i, v[i]);
}

/* Schema <= 6 records had no tail figures. */
#define KEYREC6_SIZE (8 * 8)

/* The first n numbers of a record: 13, or 8 for a schema <= 6 one (its
 * tail figures read as 0). */
static void keyrec_read(const unsigned char *p, size_t n, struct keyrec *r)
{
    uint64_t x[13] = { 0 };
    for (size_t i = 0; i < n; i++)
        x[i] = be64_get(p + 8 * i);
    *r = (struct keyrec){ .keynum = x[0], .length = x[1], .last_id = { x[2], x[3] },
                          .max_deleted = { x[4], x[5] }, .entries_added = x[6],
                          .tail = { x[7], { x[8], x[9] }, x[10], x[11], x[12] } };
}

static int keyrec_decode(const MDB_val *v, struct keyrec *r)
{
    if (v->mv_size != KEYREC_SIZE)
        return STORE_ERR_CORRUPT;
    keyrec_read(v->mv_data, KEYREC_SIZE / 8, r);
    return 0;
}

MDB_val store_name_key(const struct store *s, struct store_bytes key, unsigned char *buf)
{
    if (key.len <= STORE_KEY_INLINE) {
        buf[0] = 'k';
        memcpy(buf + 1, key.ptr, key.len);
        return (MDB_val){ key.len + 1, buf };
    }
    unsigned char k2[16];
    for (int i = 0; i < 16; i++)
        k2[i] = s->key_secret[i] ^ 0x5c;
    buf[0] = 'h';
    memcpy(buf + 1, key.ptr, STORE_KEY_PREFIX);
    be64_put(buf + 1 + STORE_KEY_PREFIX, store_siphash(s->key_secret, key.ptr, key.len));
    be64_put(buf + 9 + STORE_KEY_PREFIX, store_siphash(k2, key.ptr, key.len));
    return (MDB_val){ 1 + STORE_KEY_PREFIX + 16, buf };
}

/* Returns 0 with *r, MDB_NOTFOUND, STORE_ERR_COLLISION or an LMDB code. */
static int key_get(struct store *s, MDB_txn *txn, struct store_bytes key, struct keyrec *r)
{
    unsigned char buf[STORE_KEY_LMDB_MAX];
    MDB_val k = store_name_key(s, key, buf), v;
    int rc = mdb_get(txn, s->keys, &k, &v);
    if (rc != 0)
        return rc;
    if (key.len > STORE_KEY_INLINE) {
        if (v.mv_size != KEYREC_SIZE + key.len ||
            memcmp((const char *)v.mv_data + KEYREC_SIZE, key.ptr, key.len) != 0)
            return STORE_ERR_COLLISION;
        v.mv_size = KEYREC_SIZE;
    }
    return keyrec_decode(&v, r);
}

int store_keynum(struct store *s, MDB_txn *txn, struct store_bytes key, uint64_t *keynum)
{
    struct keyrec r;
    int rc = key_get(s, txn, key, &r);
    if (rc == 0)
        *keynum = r.keynum;
    return rc;
}

static int key_put(struct store *s, MDB_txn *txn, struct store_bytes key, const struct keyrec *r)
{
    unsigned char buf[STORE_KEY_LMDB_MAX];
    MDB_val k = store_name_key(s, key, buf);
    size_t extra = key.len > STORE_KEY_INLINE ? key.len : 0;
    MDB_val v = { KEYREC_SIZE + extra, NULL };
    /* Long names are kept after the record, to be checked on every read. */
    int rc = mdb_put(txn, s->keys, &k, &v, MDB_RESERVE);
    if (rc != 0)
        return rc;
    keyrec_encode(r, v.mv_data);
    memcpy((char *)v.mv_data + KEYREC_SIZE, key.ptr, extra);
    return 0;
}

int store_meta_next(struct store *s, MDB_txn *txn, const char *counter, uint64_t *out)
{
    MDB_val k = { strlen(counter), (void *)counter }, v;
    uint64_t next = 1;
    int rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == 0 && v.mv_size == 8)
        next = be64_get(v.mv_data);
    else if (rc != MDB_NOTFOUND)
        return rc ? rc : STORE_ERR_CORRUPT;
    unsigned char buf[8];
    be64_put(buf, next + 1);
    v.mv_size = 8;
    v.mv_data = buf;
    if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0)
        return rc;
    *out = next;
    return 0;
}

static int key_create(struct store *s, MDB_txn *txn, struct keyrec *r)
{
    *r = (struct keyrec){ 0 };
    return store_meta_next(s, txn, META_NEXT_KEYNUM, &r->keynum);
}

/* scan: be64 keynum -> the key's LMDB key in `keys`. Keynums only grow,
 * so a SCAN cursor (the next keynum to visit) survives any deletion. */
static int scan_index_put(struct store *s, MDB_txn *txn, struct store_bytes key, uint64_t keynum)
{
    unsigned char buf[STORE_KEY_LMDB_MAX], kb[8];
    be64_put(kb, keynum);
    MDB_val k = { 8, kb }, v = store_name_key(s, key, buf);
    return mdb_put(txn, s->scan, &k, &v, 0);
}

/* 1 if the `keys` row k -> v is a schema <= 6 record (no tail figures):
 * its size, and for a long name where the name starts. */
static int keyrec_is_v6(const MDB_val *k, const MDB_val *v)
{
    const unsigned char *kp = k->mv_data;
    if (k->mv_size < 1 || kp[0] != 'h')
        return v->mv_size == KEYREC6_SIZE;
    return v->mv_size > KEYREC6_SIZE + STORE_KEY_PREFIX &&
           memcmp((const char *)v->mv_data + KEYREC6_SIZE, kp + 1, STORE_KEY_PREFIX) == 0;
}

int store_keys_upgrade(struct store *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->keys, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    unsigned char *buf = NULL;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!keyrec_is_v6(&k, &v))
            continue;
        const unsigned char *p = v.mv_data;
        size_t extra = v.mv_size - KEYREC6_SIZE;
        struct keyrec r;
        keyrec_read(p, KEYREC6_SIZE / 8, &r);
        if (r.entries_added > 0 && (rc = store_node_figures(s, txn, r.keynum, &r.tail)) != 0 && rc != MDB_NOTFOUND)
            break; /* NOTFOUND: the tail node was dropped; figures 0 say so */
        unsigned char *grown = realloc(buf, KEYREC_SIZE + extra);
        if (grown == NULL) {
            rc = STORE_ERR_NOMEM;
            break;
        }
        buf = grown;
        keyrec_encode(&r, buf);
        memcpy(buf + KEYREC_SIZE, p + KEYREC6_SIZE, extra);
        unsigned char kb[STORE_KEY_LMDB_MAX];
        memcpy(kb, k.mv_data, k.mv_size);
        MDB_val nk = { k.mv_size, kb }, nv = { KEYREC_SIZE + extra, buf };
        /* a put that changes the size moves the row: find it again */
        if ((rc = mdb_put(txn, s->keys, &nk, &nv, 0)) != 0 ||
            (rc = mdb_cursor_get(cur, &nk, &v, MDB_SET_KEY)) != 0)
            break;
    }
    free(buf);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_scan_index_build(struct store *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->keys, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct keyrec r;
        MDB_val rec = { KEYREC_SIZE, v.mv_data };
        unsigned char kb[8];
        if (v.mv_size < KEYREC_SIZE || (rc = keyrec_decode(&rec, &r)) != 0)
            break;
        be64_put(kb, r.keynum);
        MDB_val ik = { 8, kb };
        if ((rc = mdb_put(txn, s->scan, &ik, &k, 0)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The ID XADD gives the new entry, by Redis's streamAppendItem rules. */
static int next_id(const struct keyrec *r, const struct store_xadd_req *req, struct store_id *id)
{
    struct store_id last = r->last_id;
    if (req->id_mode == STORE_ID_EXPLICIT) {
        *id = req->id;
    } else if (req->id_mode == STORE_ID_AUTO_SEQ) {
        if (last.ms == req->id.ms) {
            if (last.seq == UINT64_MAX)
                return STORE_ERR_SEQ_OVERFLOW;
            *id = (struct store_id){ last.ms, last.seq + 1 };
        } else {
            *id = (struct store_id){ req->id.ms, 0 };
        }
    } else if (req->now_ms > last.ms) {
        *id = (struct store_id){ req->now_ms, 0 };
    } else if (last.seq == UINT64_MAX) {
        *id = (struct store_id){ last.ms + 1, 0 };
    } else {
        *id = (struct store_id){ last.ms, last.seq + 1 };
    }
    return store_id_cmp(*id, last) <= 0 ? STORE_ERR_ID_SMALL : 0;
}

static int trim_key(struct store *s, MDB_txn *txn, struct keyrec *r, const struct store_trim_spec *t,
                    uint64_t *removed);
static int delete_oldest(struct store *s, MDB_txn *txn, struct keyrec *r, uint64_t n, int keep_empty);

static int xadd_in(struct store *s, MDB_txn *txn, const struct store_xadd_req *req, struct store_id *out)
{
    struct keyrec r;
    int rc = key_get(s, txn, req->key, &r), created = rc == MDB_NOTFOUND;
    if (created) {
        if (req->nomkstream)
            return STORE_ERR_NOKEY;
        rc = key_create(s, txn, &r);
    }
    if (rc != 0)
        return rc;
    if (r.last_id.ms == UINT64_MAX && r.last_id.seq == UINT64_MAX)
        return STORE_ERR_ID_EXHAUSTED;
    struct store_id id;
    uint64_t offset, trimmed;
    uint32_t stream;
    if ((rc = next_id(&r, req, &id)) != 0)
        return rc;
    struct store_event_in ev = { req->foreign, req->key, id, req->fields, req->nfields, req->now_us,
                                 req->tags, req->ntags, req->type, req->eventid };
    if ((rc = store_node_place(s, txn, r.keynum, &r.tail, r.entries_added == 0, &ev)) != 0 ||
        (rc = store_log_append(s, txn, &ev, &stream, &offset)) != 0)
        return rc;
    struct store_entry e = { id, stream, offset, r.tail.node };
    if ((rc = store_entry_append(s, txn, r.keynum, &e)) != 0)
        return rc;
    r.length++;
    r.entries_added++;
    r.last_id = id;
    if ((rc = trim_key(s, txn, &r, &req->trim, &trimmed)) != 0 || (rc = key_put(s, txn, req->key, &r)) != 0 ||
        (created && (rc = scan_index_put(s, txn, req->key, r.keynum)) != 0))
        return rc;
    *out = id;
    return 0;
}

int store_xadd(struct store *s, const struct store_xadd_req *req, struct store_id *id_out)
{
    if (req->foreign == NULL && store_recovering(s))
        return STORE_ERR_RECOVERING; /* checked before any write */
    MDB_txn *txn = store_txn(s);
    if (txn == NULL)
        return EINVAL;
    return store_rc(s, xadd_in(s, txn, req, id_out));
}

/* ---- trimming ---- */

/* Deletes the key's n oldest live entries (keep_empty: their node stays
 * even when it has no live entry left, as Redis's trim inside a node). */
/* Accounts an entry row just removed from `entries`: its stream node, the
 * key's length, and for a deletion (XDEL, a tombstone; not a trim) the
 * key's max deleted ID. r is updated, not written. */
static int entry_removed(struct store *s, MDB_txn *txn, struct keyrec *r, struct store_id id, uint64_t node,
                         int keep_empty, int deletion)
{
    int rc = store_node_entry_deleted(s, txn, r->keynum, &r->tail, node, keep_empty);
    if (rc != 0)
        return rc;
    r->length--;
    if (deletion && store_id_cmp(id, r->max_deleted) > 0)
        r->max_deleted = id;
    return 0;
}

static int delete_oldest(struct store *s, MDB_txn *txn, struct keyrec *r, uint64_t n, int keep_empty)
{
    struct store_entry_cur c;
    int rc = store_entry_open(s, txn, r->keynum, &c);
    if (rc != 0)
        return rc;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        struct store_entry e;
        if ((rc = store_entry_seek(&c, (struct store_id){ 0, 0 }, 1, &e)) == 0 && (rc = store_entry_del(&c)) == 0)
            rc = entry_removed(s, txn, r, e.id, e.node, keep_empty, 0);
    }
    store_entry_close(&c);
    return rc == MDB_NOTFOUND ? STORE_ERR_CORRUPT : rc;
}

/* The number of oldest entries below minid (exact MINID). */
static int count_below(struct store *s, MDB_txn *txn, const struct keyrec *r, struct store_id minid,
                       uint64_t *n)
{
    struct store_entry_cur c;
    struct store_entry e;
    int rc = store_entry_open(s, txn, r->keynum, &c);
    if (rc != 0)
        return rc;
    *n = 0;
    for (rc = store_entry_seek(&c, (struct store_id){ 0, 0 }, 1, &e); rc == 0 && store_id_cmp(e.id, minid) < 0;
         rc = store_entry_step(&c, 1, &e))
        (*n)++;
    store_entry_close(&c);
    return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : rc;
}

/* Redis's streamTrim: the oldest nodes go whole while the strategy allows
 * (MAXLEN: what is left stays >= maxlen; MINID: the node's last ID ever
 * added is below minid), within LIMIT for '~'; then, for '=', the entries
 * of the next node are deleted one by one and the node stays. */
static int trim_key(struct store *s, MDB_txn *txn, struct keyrec *r, const struct store_trim_spec *t,
                    uint64_t *removed)
{
    *removed = 0;
    if (t->strategy == STORE_TRIM_NONE)
        return 0;
    uint64_t limit = !t->approx ? 0 : t->limit < 0 ? APPROX_DEFAULT_LIMIT : (uint64_t)t->limit;
    int maxlen = t->strategy == STORE_TRIM_MAXLEN;
    for (;;) {
        if (maxlen && r->length <= t->maxlen)
            return 0;
        uint64_t node, live;
        struct store_id last;
        int rc = store_node_first(s, txn, r->keynum, &r->tail, &node, &live, &last);
        if (rc <= 0)
            return rc;
        if (limit && *removed + live > limit)
            return 0;
        int remove = maxlen ? r->length - live >= t->maxlen : store_id_cmp(last, t->minid) < 0;
        if (remove) {
            if ((rc = delete_oldest(s, txn, r, live, 0)) != 0 || (rc = store_node_drop(s, txn, r->keynum, &r->tail, node)) != 0)
                return rc;
            *removed += live;
            continue;
        }
        if (t->approx)
            return 0;
        uint64_t n = 0;
        if (maxlen)
            n = r->length - t->maxlen;
        else if ((rc = count_below(s, txn, r, t->minid, &n)) != 0)
            return rc;
        *removed += n;
        return n ? delete_oldest(s, txn, r, n, 1) : 0;
    }
}

int store_key_make_empty(struct store *s, MDB_txn *txn, struct store_bytes key, uint64_t *keynum)
{
    struct keyrec r;
    int rc = key_create(s, txn, &r);
    if (rc == 0 && (rc = key_put(s, txn, key, &r)) == 0)
        rc = scan_index_put(s, txn, key, r.keynum);
    *keynum = r.keynum;
    return rc;
}

/* The start of every write to an existing key: the turn's transaction and
 * the key's record. Returns 0, MDB_NOTFOUND for a missing key, or a code. */
static int write_key_open(struct store *s, struct store_bytes key, MDB_txn **txn, struct keyrec *r)
{
    *txn = store_txn(s);
    return *txn == NULL ? EINVAL : key_get(s, *txn, key, r);
}

int store_xtrim(struct store *s, struct store_bytes key, const struct store_trim_spec *spec, uint64_t *removed)
{
    MDB_txn *txn;
    struct keyrec r;
    *removed = 0;
    int rc = write_key_open(s, key, &txn, &r);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc == 0 && (rc = trim_key(s, txn, &r, spec, removed)) == 0 && *removed)
        rc = key_put(s, txn, key, &r);
    return store_rc(s, rc);
}

/* ---- deletion and reads ---- */

/* Removes entry id of the key (r) when it exists and, if stream is not
 * UINT32_MAX, holds event (stream, offset). *at gets the event it held.
 * Returns 1 removed, 0 not there, or a code. r is updated, not written. */
static int entry_remove(struct store *s, MDB_txn *txn, struct keyrec *r, struct store_id id, uint32_t stream,
                        uint64_t offset, uint32_t *at_stream, uint64_t *at_offset)
{
    struct store_entry_cur c;
    struct store_entry e;
    int rc = store_entry_open(s, txn, r->keynum, &c);
    if (rc != 0)
        return rc;
    rc = store_entry_seek(&c, id, 1, &e);
    if (rc == 0 && store_id_cmp(e.id, id) != 0)
        rc = MDB_NOTFOUND;
    if (rc == 0 && stream != UINT32_MAX && (e.stream != stream || e.offset != offset))
        rc = MDB_NOTFOUND; /* the ID now names another event (the key was made again) */
    if (rc == 0)
        rc = store_entry_del(&c);
    store_entry_close(&c);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? 0 : rc;
    *at_stream = e.stream;
    *at_offset = e.offset;
    return (rc = entry_removed(s, txn, r, id, e.node, 0, 1)) != 0 ? rc : 1;
}

/* write_key_open for XDEL and DEL, which write a tombstone: refused while
 * the node's own stream is recovering (the tombstone would need an offset). */
static int delete_open(struct store *s, struct store_bytes key, MDB_txn **txn, struct keyrec *r)
{
    return store_recovering(s) ? STORE_ERR_RECOVERING : write_key_open(s, key, txn, r);
}

int store_xdel(struct store *s, struct store_bytes key, const struct store_id *ids, size_t n, uint64_t *deleted)
{
    MDB_txn *txn;
    struct keyrec r;
    *deleted = 0;
    int rc = delete_open(s, key, &txn, &r);
    if (rc == MDB_NOTFOUND)
        return 0;
    uint32_t *streams = rc == 0 ? malloc((n ? n : 1) * sizeof(*streams)) : NULL;
    uint64_t *offsets = rc == 0 ? malloc((n ? n : 1) * sizeof(*offsets)) : NULL;
    if (rc == 0 && (streams == NULL || offsets == NULL))
        rc = STORE_ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = entry_remove(s, txn, &r, ids[i], UINT32_MAX, 0, &streams[*deleted], &offsets[*deleted]);
        if (rc == 1) {
            (*deleted)++;
            rc = 0;
        }
    }
    if (rc == 0 && *deleted && (rc = key_put(s, txn, key, &r)) == 0)
        rc = store_tomb_xdel(s, txn, key, streams, offsets, *deleted);
    free(streams);
    free(offsets);
    return store_rc(s, rc);
}

int store_entry_remove(struct store *s, MDB_txn *txn, struct store_bytes key, struct store_id id, uint32_t stream,
                       uint64_t offset)
{
    struct keyrec r;
    uint32_t at_stream;
    uint64_t at_offset;
    int rc = key_get(s, txn, key, &r);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc == 0 && (rc = entry_remove(s, txn, &r, id, stream, offset, &at_stream, &at_offset)) == 1)
        rc = key_put(s, txn, key, &r);
    return rc;
}

/* Reads a key's record in the open turn or a read-only transaction.
 * Returns 0, MDB_NOTFOUND or a code. */
static int key_read(struct store *s, struct store_bytes key, struct keyrec *r)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    rc = key_get(s, txn, key, r);
    store_read_end(s, txn, own);
    return rc;
}

int store_xlen(struct store *s, struct store_bytes key, uint64_t *len)
{
    struct keyrec r;
    int rc = key_read(s, key, &r);
    *len = rc == 0 ? r.length : 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_exists(struct store *s, struct store_bytes key)
{
    struct keyrec r;
    int rc = key_read(s, key, &r);
    if (rc == 0 || rc == MDB_NOTFOUND)
        return rc == 0;
    return rc > 0 ? -rc : rc;
}

/* The oldest (dir > 0) or newest (dir < 0) entry ID of the key; 0-0 when
 * it has none. */
static int edge_entry(struct store *s, MDB_txn *txn, uint64_t keynum, int dir, struct store_id *id)
{
    struct store_entry_cur c;
    struct store_entry e;
    int rc = store_entry_open(s, txn, keynum, &c);
    if (rc != 0)
        return rc;
    rc = store_entry_seek(&c, dir > 0 ? (struct store_id){ 0, 0 } : (struct store_id){ UINT64_MAX, UINT64_MAX },
                          dir, &e);
    *id = rc == 0 ? e.id : (struct store_id){ 0, 0 };
    store_entry_close(&c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_key_info_txn(struct store *s, MDB_txn *txn, struct store_bytes key, struct store_key_info *info)
{
    struct keyrec r;
    int rc = key_get(s, txn, key, &r);
    if (rc == 0) {
        *info = (struct store_key_info){ .length = r.length, .last_id = r.last_id,
                                         .max_deleted_id = r.max_deleted,
                                         .entries_added = r.entries_added, .incarnation = r.keynum };
        rc = edge_entry(s, txn, r.keynum, 1, &info->first_id);
    }
    return rc == MDB_NOTFOUND ? STORE_ERR_NOKEY : rc;
}

int store_key_info(struct store *s, struct store_bytes key, struct store_key_info *info)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    rc = store_key_info_txn(s, txn, key, info);
    store_read_end(s, txn, own);
    return rc;
}

/* Removes key, its entries, nodes and groups. */
static int key_drop(struct store *s, MDB_txn *txn, struct store_bytes key, struct keyrec *r)
{
    int rc = store_entry_drop_key(s, txn, r->keynum);
    for (uint64_t node, live; rc == 0;) { /* every node goes with its entries */
        struct store_id last;
        int found = store_node_first(s, txn, r->keynum, &r->tail, &node, &live, &last);
        if (found <= 0) {
            rc = found;
            break;
        }
        rc = store_node_drop(s, txn, r->keynum, &r->tail, node);
    }
    if (rc != 0)
        return rc;
    unsigned char buf[STORE_KEY_LMDB_MAX], kb[8];
    MDB_val k = store_name_key(s, key, buf);
    be64_put(kb, r->keynum);
    MDB_val ik = { 8, kb };
    if ((rc = mdb_del(txn, s->keys, &k, NULL)) == 0)
        rc = mdb_del(txn, s->scan, &ik, NULL);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    return rc == 0 ? store_groups_drop_key(s, txn, r->keynum) : rc;
}

int store_del(struct store *s, struct store_bytes key)
{
    MDB_txn *txn;
    struct keyrec r;
    int rc = delete_open(s, key, &txn, &r);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc == 0 && (rc = store_tomb_del(s, txn, key)) == 0)
        rc = key_drop(s, txn, key, &r);
    rc = store_rc(s, rc);
    return rc == 0 ? 1 : (rc > 0 ? -rc : rc);
}

int store_key_remove_upto(struct store *s, MDB_txn *txn, struct store_bytes key, const int64_t *upto, size_t nupto)
{
    struct keyrec r;
    int rc = key_get(s, txn, key, &r);
    if (rc == MDB_NOTFOUND)
        return 0;
    struct store_entry_cur c;
    struct store_entry e;
    if (rc != 0 || (rc = store_entry_open(s, txn, r.keynum, &c)) != 0)
        return rc;
    int removed = 0;
    for (rc = store_entry_seek(&c, (struct store_id){ 0, 0 }, 1, &e); rc == 0;) {
        if (e.stream >= nupto || upto[e.stream] < 0 || e.offset > (uint64_t)upto[e.stream]) {
            rc = store_entry_step(&c, 1, &e);
            continue;
        }
        if ((rc = store_entry_del(&c)) != 0 || (rc = entry_removed(s, txn, &r, e.id, e.node, 0, 1)) != 0)
            break;
        removed = 1;
        rc = store_entry_seek(&c, e.id, 1, &e); /* on from the deleted one */
    }
    store_entry_close(&c);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    if (r.length == 0)
        return key_drop(s, txn, key, &r); /* as DEL did where the tombstone came from */
    return removed ? key_put(s, txn, key, &r) : 0;
}

/* The name of the key stored as k -> v in `keys`. */
static int key_name(const MDB_val *k, const MDB_val *v, struct store_bytes *name)
{
    const char *p = k->mv_data;
    if (k->mv_size < 1 || v->mv_size < KEYREC_SIZE)
        return STORE_ERR_CORRUPT;
    *name = (struct store_bytes){ p + 1, k->mv_size - 1 };
    if (p[0] == 'h') /* a long name is kept after the record */
        *name = (struct store_bytes){ (const char *)v->mv_data + KEYREC_SIZE, v->mv_size - KEYREC_SIZE };
    return 0;
}

int store_scan(struct store *s, uint64_t cursor, uint64_t count, store_key_fn fn, void *ctx, uint64_t *next)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    *next = 0;
    if ((rc = mdb_cursor_open(txn, s->scan, &cur)) == 0) {
        unsigned char kb[8];
        be64_put(kb, cursor);
        MDB_val ik = { 8, kb }, lk;
        uint64_t seen = 0;
        for (rc = mdb_cursor_get(cur, &ik, &lk, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(cur, &ik, &lk, MDB_NEXT)) {
            if (ik.mv_size != 8) {
                rc = STORE_ERR_CORRUPT;
                break;
            }
            uint64_t keynum = be64_get(ik.mv_data);
            if (seen == count) {
                *next = keynum; /* never 0: keynums start at 1 */
                break;
            }
            seen++;
            MDB_val v;
            struct store_bytes name;
            if ((rc = mdb_get(txn, s->keys, &lk, &v)) != 0 || (rc = key_name(&lk, &v, &name)) != 0)
                break;
            if (fn(ctx, name) != 0)
                break;
        }
        mdb_cursor_close(cur);
    }
    store_read_end(s, txn, own);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_keys(struct store *s, store_key_fn fn, void *ctx)
{
    uint64_t next;
    return store_scan(s, 0, UINT64_MAX, fn, ctx, &next);
}

/* FLUSHALL: every key's $del tombstone, then the tables go. */
static int flush_tombstones(struct store *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->scan, &cur);
    if (rc != 0)
        return rc;
    char *copy = NULL;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        MDB_val rec;
        struct store_bytes name;
        if ((rc = mdb_get(txn, s->keys, &v, &rec)) != 0 || (rc = key_name(&v, &rec, &name)) != 0)
            break;
        /* copied: appending the tombstone writes pages */
        char *grown = realloc(copy, name.len ? name.len : 1);
        if (grown == NULL) {
            rc = STORE_ERR_NOMEM;
            break;
        }
        copy = grown;
        memcpy(copy, name.ptr, name.len);
        if ((rc = store_tomb_del(s, txn, (struct store_bytes){ copy, name.len })) != 0)
            break;
    }
    free(copy);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_flush(struct store *s)
{
    MDB_txn *txn = store_txn(s);
    if (txn != NULL && store_recovering(s))
        return STORE_ERR_RECOVERING;
    int rc = txn == NULL ? EINVAL : flush_tombstones(s, txn);
    if (rc == 0 && (rc = mdb_drop(txn, s->keys, 0)) == 0 && (rc = mdb_drop(txn, s->entries, 0)) == 0)
        if ((rc = mdb_drop(txn, s->nodes, 0)) == 0 && (rc = mdb_drop(txn, s->scan, 0)) == 0)
            rc = store_groups_drop_all(s, txn);
    return store_rc(s, rc);
}

int store_key_newest(struct store *s, struct store_bytes key, struct store_id *id)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    uint64_t keynum;
    *id = (struct store_id){ 0, 0 };
    if ((rc = store_keynum(s, txn, key, &keynum)) == 0 && (rc = edge_entry(s, txn, keynum, -1, id)) == 0)
        rc = id->ms != 0 || id->seq != 0; /* IDs start at 0-1: 0-0 is none */
    store_read_end(s, txn, own);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_xsetid(struct store *s, struct store_bytes key, struct store_id id, long long entries_added,
                 struct store_id max_deleted)
{
    MDB_txn *txn;
    struct keyrec r;
    int rc = write_key_open(s, key, &txn, &r);
    if (rc == MDB_NOTFOUND)
        return STORE_ERR_NOKEY;
    if (rc != 0)
        return store_rc(s, rc);
    /* Redis 7.0 compares with the newest entry only, not with the stream's
     * current max deleted ID. */
    if (r.length > 0) {
        struct store_id top;
        if ((rc = edge_entry(s, txn, r.keynum, -1, &top)) != 0)
            return store_rc(s, rc);
        if (store_id_cmp(id, top) < 0)
            return STORE_ERR_SETID_TOP;
        if (entries_added >= 0 && r.length > (uint64_t)entries_added)
            return STORE_ERR_SETID_ADDED;
    }
    r.last_id = id;
    if (entries_added >= 0)
        r.entries_added = (uint64_t)entries_added;
    if (max_deleted.ms || max_deleted.seq)
        r.max_deleted = max_deleted;
    return store_rc(s, key_put(s, txn, key, &r));
}
