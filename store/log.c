/* log.c — the event log: the node's source stream (gapless offsets), the
 * Lamport clock, and the event record format (docs/storage.md).
 *
 * Record (value of `events`, key = be32 stream# | be64 offset):
 *   u8 version (2)
 *   varint lamport | varint timestamp (µs)
 *   varint entry ms | varint entry seq      (the entry ID in the key view)
 *   varint keylen | key
 *   varint ntags  | (varint len | tag)*     (tags besides the key)
 *   varint typelen+1 (0 = none) | type
 *   varint idlen+1   (0 = none) | event id
 *   varint nfields   | (varint len | bytes)* (field, value, ...)
 * Version 1 (schema <= 6; still read) had u8 flags (0) and the four
 * numbers as be64 after the version byte; the rest is the same.
 */
#include "store.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_VERSION 2
#define RECORD_V1 1
#define RECORD_V1_FIXED (2 + 8 * 4)


static size_t varint_put(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

int store_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

int store_record_head(const MDB_val *rec, struct store_rec_head *h)
{
    const unsigned char *p = rec->mv_data, *end = p + rec->mv_size;
    if (rec->mv_size < 1)
        return STORE_ERR_CORRUPT;
    if (p[0] == RECORD_V1) {
        if (rec->mv_size < RECORD_V1_FIXED)
            return STORE_ERR_CORRUPT;
        h->lamport = be64_get(p + 2);
        h->timestamp_us = be64_get(p + 10);
        h->id = (struct store_id){ be64_get(p + 18), be64_get(p + 26) };
        h->rest = p + RECORD_V1_FIXED;
    } else {
        if (*p++ != RECORD_VERSION || store_varint_get(&p, end, &h->lamport) != 0 ||
            store_varint_get(&p, end, &h->timestamp_us) != 0 || store_varint_get(&p, end, &h->id.ms) != 0 ||
            store_varint_get(&p, end, &h->id.seq) != 0)
            return STORE_ERR_CORRUPT;
        h->rest = p;
    }
    h->end = end;
    return 0;
}

int store_stream_last(struct store *s, MDB_cursor *cur, uint32_t stream, uint64_t *offset, uint64_t *lamport)
{
    unsigned char key[12];
    be32_put(key, stream + 1);
    memset(key + 4, 0, 8);
    MDB_val k = { 12, key }, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size != 12 || be32_get(k.mv_data) != stream)))
        return 0;
    if (rc != 0)
        return rc;
    struct store_rec_head h;
    if (store_record_head(&v, &h) != 0)
        return STORE_ERR_CORRUPT;
    *offset = be64_get((const unsigned char *)k.mv_data + 4);
    *lamport = h.lamport;
    return 1;
}

int store_stream_next(struct store *s, MDB_txn *txn, uint32_t stream, uint64_t *next)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->events, &cur);
    if (rc != 0)
        return rc;
    uint64_t off = 0, lamport = 0;
    rc = store_stream_last(s, cur, stream, &off, &lamport);
    mdb_cursor_close(cur);
    if (rc < 0 || rc > 1)
        return rc;
    *next = rc == 1 ? off + 1 : 0;
    return 0;
}

/* The name of stream# n into buf (STORE_STREAM_ID_MAX bytes). */
int store_stream_name(struct store *s, MDB_txn *txn, uint32_t n, char *buf)
{
    unsigned char nb[4];
    be32_put(nb, n);
    MDB_val k = { 4, nb }, v;
    int rc = mdb_get(txn, s->stream_nums, &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? STORE_ERR_CORRUPT : rc;
    if (v.mv_size >= STORE_STREAM_ID_MAX)
        return STORE_ERR_CORRUPT;
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size] = '\0';
    return 0;
}

int store_stream_num(struct store *s, MDB_txn *txn, const char *name, int create, uint32_t *num)
{
    MDB_val k = { strlen(name), (void *)name }, v;
    int rc = mdb_get(txn, s->streams, &k, &v);
    if (rc == 0) {
        if (v.mv_size != 4)
            return STORE_ERR_CORRUPT;
        *num = be32_get(v.mv_data);
        return 0;
    }
    if (rc != MDB_NOTFOUND || !create)
        return rc;
    MDB_stat st;
    if ((rc = mdb_stat(txn, s->stream_nums, &st)) != 0)
        return rc;
    unsigned char nb[4];
    be32_put(nb, (uint32_t)st.ms_entries);
    MDB_val nk = { 4, nb };
    if ((rc = mdb_put(txn, s->stream_nums, &nk, &k, MDB_NOOVERWRITE)) != 0 ||
        (rc = mdb_put(txn, s->streams, &k, &nk, MDB_NOOVERWRITE)) != 0)
        return rc;
    *num = (uint32_t)st.ms_entries;
    return 0;
}

/* The stream heads are not stored: the next offset of the node's stream
 * follows its last event, and the clock is the highest lamport of any
 * stream's last event (within a stream, lamports grow with offsets). */
int store_log_load(struct store *s, MDB_txn *txn)
{
    snprintf(s->own_name, sizeof(s->own_name), "%s-0", s->node_id);
    int rc = store_stream_num(s, txn, s->own_name, 1, &s->own_stream); /* registered at the first open */
    if (rc != 0)
        return rc;
    s->next_offset = 0;
    s->lamport = 0;
    MDB_stat st;
    MDB_cursor *cur;
    if ((rc = mdb_stat(txn, s->stream_nums, &st)) != 0 || (rc = mdb_cursor_open(txn, s->events, &cur)) != 0)
        return rc;
    for (uint32_t i = 0; i < st.ms_entries && rc >= 0; i++) {
        uint64_t off = 0, lamport = 0;
        rc = store_stream_last(s, cur, i, &off, &lamport);
        if (rc == 1 && lamport > s->lamport)
            s->lamport = lamport;
        if (rc == 1 && i == s->own_stream)
            s->next_offset = off + 1;
    }
    mdb_cursor_close(cur);
    return rc < 0 || rc > 1 ? rc : 0;
}

int store_log_upgrade(struct store *s, MDB_txn *txn)
{
    /* schema < 3: heads were stored (streams: stream# | next offset; meta
     * "lamport") and a by_lamport index was kept */
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, s->streams, &cur);
    if (rc != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (v.mv_size == 4)
            continue;
        if (v.mv_size != 12) {
            rc = STORE_ERR_CORRUPT;
            break;
        }
        unsigned char num[4];
        memcpy(num, v.mv_data, 4);
        MDB_val nv = { 4, num };
        if ((rc = mdb_cursor_put(cur, &k, &nv, MDB_CURRENT)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return rc;
    MDB_dbi old;
    MDB_val lk = { 7, "lamport" };
    if ((rc = mdb_del(txn, s->meta, &lk, NULL)) != 0 && rc != MDB_NOTFOUND)
        return rc;
    rc = mdb_dbi_open(txn, "by_lamport", 0, &old);
    if (rc == 0)
        rc = mdb_drop(txn, old, 1);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* The exact encoded size of ev's record. */
static size_t bytes_size(struct store_bytes b)
{
    return varint_len(b.len) + b.len;
}

/* A present optional string is stored with length + 1 (0: absent). */
static size_t opt_size(struct store_bytes b)
{
    return b.ptr == NULL ? 1 : varint_len(b.len + 1) + b.len;
}

/* 1 if tag i of ev is the key or repeats an earlier tag (not stored). */
static int tag_dup(const struct store_event_in *ev, size_t i)
{
    const struct store_bytes *t = &ev->tags[i];
    if (t->len == ev->key.len && memcmp(t->ptr, ev->key.ptr, t->len) == 0)
        return 1;
    for (size_t j = 0; j < i; j++)
        if (ev->tags[j].len == t->len && memcmp(ev->tags[j].ptr, t->ptr, t->len) == 0)
            return 1;
    return 0;
}

/* The size of the record's part after its head (key onwards). */
static size_t rest_size(const struct store_event_in *ev)
{
    size_t n = bytes_size(ev->key) + opt_size(ev->type) + opt_size(ev->eventid), ntags = 0;
    for (size_t i = 0; i < ev->ntags; i++)
        if (!tag_dup(ev, i)) {
            n += bytes_size(ev->tags[i]);
            ntags++;
        }
    n += varint_len(ntags) + varint_len(ev->nfields);
    for (size_t i = 0; i < ev->nfields; i++)
        n += bytes_size(ev->fields[i]);
    return n;
}

static size_t put_bytes(unsigned char *p, struct store_bytes b)
{
    size_t n = varint_put(p, b.len);
    memcpy(p + n, b.ptr, b.len);
    return n + b.len;
}

static size_t put_opt(unsigned char *p, struct store_bytes b)
{
    if (b.ptr == NULL)
        return varint_put(p, 0);
    size_t n = varint_put(p, b.len + 1);
    memcpy(p + n, b.ptr, b.len);
    return n + b.len;
}

static size_t head_size(const struct store_event_in *ev, uint64_t lamport)
{
    return 1 + varint_len(lamport) + varint_len(ev->timestamp_us) + varint_len(ev->entry_id.ms) +
           varint_len(ev->entry_id.seq);
}

static size_t record_size(const struct store_event_in *ev, uint64_t lamport)
{
    return head_size(ev, lamport) + rest_size(ev);
}

static size_t rest_encode(unsigned char *p, const struct store_event_in *ev)
{
    size_t n = put_bytes(p, ev->key);
    size_t ntags = 0;
    for (size_t i = 0; i < ev->ntags; i++)
        ntags += !tag_dup(ev, i);
    n += varint_put(p + n, ntags);
    for (size_t i = 0; i < ev->ntags; i++)
        if (!tag_dup(ev, i))
            n += put_bytes(p + n, ev->tags[i]);
    n += put_opt(p + n, ev->type);
    n += put_opt(p + n, ev->eventid);
    n += varint_put(p + n, ev->nfields);
    for (size_t i = 0; i < ev->nfields; i++)
        n += put_bytes(p + n, ev->fields[i]);
    return n;
}

static size_t record_encode(unsigned char *p, const struct store_event_in *ev, uint64_t lamport)
{
    size_t n = 0;
    p[n++] = RECORD_VERSION;
    n += varint_put(p + n, lamport);
    n += varint_put(p + n, ev->timestamp_us);
    n += varint_put(p + n, ev->entry_id.ms);
    n += varint_put(p + n, ev->entry_id.seq);
    return n + rest_encode(p + n, ev);
}

/* An index item (tags, types: MDB_DUPSORT | MDB_DUPFIXED): name form ->
 * be32 stream# | be64 offset, sorted; one already there is no error.
 * An item that goes last under its name is appended (MDB_APPENDDUP): LMDB
 * then fills the page instead of splitting it in half, which halves the
 * index on disk. */
static int index_put(struct store *s, MDB_txn *txn, MDB_dbi dbi, MDB_cursor **slot, struct store_bytes name,
                     uint32_t stream, uint64_t offset)
{
    unsigned char buf[STORE_KEY_LMDB_MAX], pos[12];
    MDB_val k = store_name_key(s, name, buf), v = { 12, pos }, lk = k, lv;
    be32_put(pos, stream);
    be64_put(pos + 4, offset);
    MDB_cursor *cur = slot != NULL ? store_turn_cursor(txn, dbi, slot) : NULL; /* NULL: not in a turn */
    if (cur == NULL) {
        int rc = mdb_put(txn, dbi, &k, &v, MDB_NODUPDATA);
        return rc == MDB_KEYEXIST ? 0 : rc;
    }
    int rc = mdb_cursor_get(cur, &lk, &lv, MDB_SET_KEY);
    if (rc == 0)
        rc = mdb_cursor_get(cur, &lk, &lv, MDB_LAST_DUP);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    int last = rc == MDB_NOTFOUND || (lv.mv_size == 12 && memcmp(lv.mv_data, pos, 12) < 0);
    rc = mdb_cursor_put(cur, &k, &v, last ? MDB_APPENDDUP : MDB_NODUPDATA);
    return rc == MDB_KEYEXIST ? 0 : rc;
}

/* The event's rows in the tag, type and event-id indexes. */
static int index_event(struct store *s, MDB_txn *txn, const struct store_event_in *ev, uint32_t stream,
                       uint64_t offset)
{
    int rc = index_put(s, txn, s->tags, &s->wc_tags, ev->key, stream, offset);
    for (size_t i = 0; rc == 0 && i < ev->ntags; i++)
        if (!tag_dup(ev, i))
            rc = index_put(s, txn, s->tags, &s->wc_tags, ev->tags[i], stream, offset);
    if (rc == 0 && ev->type.ptr != NULL)
        rc = index_put(s, txn, s->types, &s->wc_types, ev->type, stream, offset);
    if (rc == 0 && ev->eventid.ptr != NULL) {
        unsigned char buf[STORE_KEY_LMDB_MAX], pos[12];
        MDB_val k = store_name_key(s, ev->eventid, buf), v = { 12, pos };
        be32_put(pos, stream);
        be64_put(pos + 4, offset);
        rc = mdb_put(txn, s->eventids, &k, &v, MDB_NOOVERWRITE); /* the first event with the id keeps it */
        if (rc == MDB_KEYEXIST)
            rc = 0;
    }
    return rc;
}

int store_log_index_build(struct store *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->events, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        /* schema < 5 events carry a key and nothing else to index */
        struct store_bytes key;
        struct store_id id;
        if (k.mv_size != 12 || store_event_key(&v, &key, &id) != 0) {
            rc = STORE_ERR_CORRUPT;
            break;
        }
        if ((rc = index_put(s, txn, s->tags, NULL, key, be32_get(k.mv_data), be64_get((const unsigned char *)k.mv_data + 4))) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Writes the event at (stream#, offset) with its lamport, and its index rows. */
static int log_put(struct store *s, MDB_txn *txn, const struct store_event_in *ev, uint32_t stream,
                   uint64_t offset, uint64_t lamport)
{
    unsigned char key[12];
    MDB_val k = { 12, key }, v = { record_size(ev, lamport), NULL };
    be32_put(key, stream);
    be64_put(key + 4, offset);
    /* MDB_RESERVE: encode straight into the page, no intermediate copy. */
    int rc = store_turn_put(txn, s->events, &s->wc_events, &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc != 0)
        return rc;
    record_encode(v.mv_data, ev, lamport);
    return index_event(s, txn, ev, stream, offset);
}

int store_log_append(struct store *s, MDB_txn *txn, const struct store_event_in *ev,
                     uint32_t *stream, uint64_t *offset)
{
    if (ev->foreign != NULL) {
        const struct store_foreign *f = ev->foreign;
        int rc = log_put(s, txn, ev, f->stream, f->offset, f->lamport);
        if (rc != 0)
            return rc;
        if (f->lamport > s->lamport)
            s->lamport = f->lamport; /* the clock follows what it has seen */
        if (f->stream == s->own_stream && f->offset >= s->next_offset)
            s->next_offset = f->offset + 1; /* recovering this node's own stream */
        *stream = f->stream;
        *offset = f->offset;
        return 0;
    }
    uint64_t off = s->next_offset, lamport = s->lamport + 1;
    int rc = log_put(s, txn, ev, s->own_stream, off, lamport);
    if (rc != 0)
        return rc;
    s->next_offset = off + 1;
    s->lamport = lamport;
    *stream = s->own_stream;
    *offset = off;
    return 0;
}

int store_log_same(const MDB_val *rec, const struct store_event_in *ev, uint64_t lamport)
{
    /* the entry ID is each node's own: it is not compared; the record may
     * be of an older version, whose part after the head is the same */
    struct store_rec_head h;
    if (store_record_head(rec, &h) != 0 || h.lamport != lamport || h.timestamp_us != ev->timestamp_us)
        return 0;
    size_t n = rest_size(ev);
    if ((size_t)(h.end - h.rest) != n)
        return 0;
    unsigned char *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return -1;
    rest_encode(buf, ev);
    int eq = memcmp(buf, h.rest, n) == 0;
    free(buf);
    return eq;
}

int store_event_get(struct store *s, MDB_txn *txn, uint32_t stream, uint64_t offset, MDB_val *rec)
{
    unsigned char key[12];
    be32_put(key, stream);
    be64_put(key + 4, offset);
    MDB_val k = { 12, key };
    return mdb_get(txn, s->events, &k, rec);
}

/* Skips a varint-length-prefixed byte string. */
static int skip_bytes(const unsigned char **p, const unsigned char *end, uint64_t adjust)
{
    uint64_t len;
    if (store_varint_get(p, end, &len) != 0)
        return -1;
    if (adjust) {
        if (len == 0)
            return 0;
        len -= adjust;
    }
    if (len > (uint64_t)(end - *p))
        return -1;
    *p += len;
    return 0;
}

int store_event_key(const MDB_val *rec, struct store_bytes *key, struct store_id *id)
{
    struct store_rec_head h;
    uint64_t len;
    if (store_record_head(rec, &h) != 0)
        return STORE_ERR_CORRUPT;
    *id = h.id;
    const unsigned char *p = h.rest, *end = h.end;
    if (store_varint_get(&p, end, &len) != 0 || len > (uint64_t)(end - p))
        return STORE_ERR_CORRUPT;
    *key = (struct store_bytes){ (const char *)p, len };
    return 0;
}

long long store_event_fields(const MDB_val *rec, struct store_bytes *fields, size_t max)
{
    struct store_rec_head h;
    uint64_t ntags, nfields;
    if (store_record_head(rec, &h) != 0)
        return -1;
    const unsigned char *p = h.rest, *end = h.end;
    if (skip_bytes(&p, end, 0) != 0 || store_varint_get(&p, end, &ntags) != 0)
        return -1;
    for (uint64_t i = 0; i < ntags; i++)
        if (skip_bytes(&p, end, 0) != 0)
            return -1;
    if (skip_bytes(&p, end, 1) != 0 || skip_bytes(&p, end, 1) != 0 ||
        store_varint_get(&p, end, &nfields) != 0 || nfields > rec->mv_size)
        return -1;
    for (uint64_t i = 0; i < nfields; i++) {
        uint64_t len;
        if (store_varint_get(&p, end, &len) != 0 || len > (uint64_t)(end - p))
            return -1;
        if (i < max) {
            fields[i].ptr = (const char *)p;
            fields[i].len = len;
        }
        p += len;
    }
    return (long long)nfields;
}

int store_log_head(struct store *s, uint64_t *next_offset, uint64_t *lamport)
{
    *next_offset = s->next_offset;
    *lamport = s->lamport;
    return 0;
}
