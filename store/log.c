/* log.c — the event log: the node's source stream (gapless offsets), the
 * Lamport clock, and the event record format (docs/storage.md).
 *
 * Record (value of `events`, key = be32 stream# | be64 offset):
 *   u8 version (1) | u8 flags (reserved, 0)
 *   be64 lamport | be64 timestamp (µs)
 *   be64 entry ms | be64 entry seq          (the entry ID in the key view)
 *   varint keylen | key
 *   varint ntags  | (varint len | tag)*     (tags besides the key)
 *   varint typelen+1 (0 = none) | type
 *   varint idlen+1   (0 = none) | event id
 *   varint nfields   | (varint len | bytes)* (field, value, ...)
 */
#include "store.h"
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#define RECORD_VERSION 1
#define RECORD_FIXED (2 + 8 * 4)

static const char META_LAMPORT[] = "lamport";

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

/* Reads a varint from [*p, end). Returns 0 and advances *p, or -1. */
static int varint_get(const unsigned char **p, const unsigned char *end, uint64_t *v)
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

static void own_stream_name(const struct store *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s-0", s->node_id);
}

/* Creates the node's own stream record (stream# = number of streams so
 * far, next offset 0). Needs a write transaction. */
static int create_own_stream(struct store *s, MDB_txn *txn, MDB_val *name)
{
    MDB_stat st;
    int rc = mdb_stat(txn, s->stream_nums, &st);
    if (rc != 0)
        return rc;
    unsigned char num[4], rec[12];
    be32_put(num, (uint32_t)st.ms_entries);
    memcpy(rec, num, 4);
    be64_put(rec + 4, 0);
    MDB_val k = { 4, num }, v = { 12, rec };
    if ((rc = mdb_put(txn, s->stream_nums, &k, name, MDB_NOOVERWRITE)) != 0)
        return rc;
    v.mv_size = 12;
    v.mv_data = rec;
    return mdb_put(txn, s->streams, name, &v, MDB_NOOVERWRITE);
}

int store_log_load(struct store *s, MDB_txn *txn)
{
    char name[STORE_NODE_ID_LEN + 8];
    own_stream_name(s, name, sizeof(name));
    MDB_val k = { strlen(name), name }, v;
    int rc = mdb_get(txn, s->streams, &k, &v);
    if (rc == MDB_NOTFOUND) {
        if ((rc = create_own_stream(s, txn, &k)) != 0 || (rc = mdb_get(txn, s->streams, &k, &v)) != 0)
            return rc;
    } else if (rc != 0) {
        return rc;
    }
    if (v.mv_size != 12)
        return STORE_ERR_CORRUPT;
    s->own_stream = be32_get(v.mv_data);
    s->next_offset = be64_get((const unsigned char *)v.mv_data + 4);
    MDB_val lk = { sizeof(META_LAMPORT) - 1, (void *)META_LAMPORT };
    rc = mdb_get(txn, s->meta, &lk, &v);
    if (rc == MDB_NOTFOUND) {
        s->lamport = 0;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (v.mv_size != 8)
        return STORE_ERR_CORRUPT;
    s->lamport = be64_get(v.mv_data);
    return 0;
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
static size_t record_size(const struct store_event_in *ev)
{
    size_t n = RECORD_FIXED + varint_len(ev->key.len) + ev->key.len + 3 + varint_len(ev->nfields);
    for (size_t i = 0; i < ev->nfields; i++)
        n += varint_len(ev->fields[i].len) + ev->fields[i].len;
    return n;
}

static size_t record_encode(unsigned char *p, const struct store_event_in *ev, uint64_t lamport)
{
    size_t n = 0;
    p[n++] = RECORD_VERSION;
    p[n++] = 0;
    be64_put(p + n, lamport);
    be64_put(p + n + 8, ev->timestamp_us);
    be64_put(p + n + 16, ev->entry_id.ms);
    be64_put(p + n + 24, ev->entry_id.seq);
    n += 32;
    n += varint_put(p + n, ev->key.len);
    memcpy(p + n, ev->key.ptr, ev->key.len);
    n += ev->key.len;
    n += varint_put(p + n, 0); /* no extra tags */
    n += varint_put(p + n, 0); /* no type */
    n += varint_put(p + n, 0); /* no event id */
    n += varint_put(p + n, ev->nfields);
    for (size_t i = 0; i < ev->nfields; i++) {
        n += varint_put(p + n, ev->fields[i].len);
        memcpy(p + n, ev->fields[i].ptr, ev->fields[i].len);
        n += ev->fields[i].len;
    }
    return n;
}

/* Persists the stream head and the clock in the same transaction. */
static int log_save_head(struct store *s, MDB_txn *txn)
{
    char name[STORE_NODE_ID_LEN + 8];
    own_stream_name(s, name, sizeof(name));
    unsigned char rec[12], lam[8];
    be32_put(rec, s->own_stream);
    be64_put(rec + 4, s->next_offset);
    be64_put(lam, s->lamport);
    MDB_val k = { strlen(name), name }, v = { 12, rec };
    MDB_val lk = { sizeof(META_LAMPORT) - 1, (void *)META_LAMPORT }, lv = { 8, lam };
    int rc = mdb_put(txn, s->streams, &k, &v, 0);
    return rc ? rc : mdb_put(txn, s->meta, &lk, &lv, 0);
}

int store_log_append(struct store *s, MDB_txn *txn, const struct store_event_in *ev,
                     uint32_t *stream, uint64_t *offset)
{
    unsigned char key[12], lkey[20];
    uint64_t off = s->next_offset, lamport = s->lamport + 1;
    MDB_val k = { 12, key }, v = { record_size(ev), NULL };
    be32_put(key, s->own_stream);
    be64_put(key + 4, off);
    /* MDB_RESERVE: encode straight into the page, no intermediate copy. */
    int rc = mdb_put(txn, s->events, &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc != 0)
        return rc;
    record_encode(v.mv_data, ev, lamport);
    be64_put(lkey, lamport);
    be32_put(lkey + 8, s->own_stream);
    be64_put(lkey + 12, off);
    MDB_val lk = { 20, lkey }, empty = { 0, NULL };
    if ((rc = mdb_put(txn, s->by_lamport, &lk, &empty, MDB_NOOVERWRITE)) != 0)
        return rc;
    s->next_offset = off + 1;
    s->lamport = lamport;
    if ((rc = log_save_head(s, txn)) != 0)
        return rc;
    *stream = s->own_stream;
    *offset = off;
    return 0;
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
    if (varint_get(p, end, &len) != 0)
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

long long store_event_fields(const MDB_val *rec, struct store_bytes *fields, size_t max)
{
    const unsigned char *p = rec->mv_data, *end = p + rec->mv_size;
    uint64_t ntags, nfields;
    if (rec->mv_size < RECORD_FIXED || p[0] != RECORD_VERSION)
        return -1;
    p += RECORD_FIXED;
    if (skip_bytes(&p, end, 0) != 0 || varint_get(&p, end, &ntags) != 0)
        return -1;
    for (uint64_t i = 0; i < ntags; i++)
        if (skip_bytes(&p, end, 0) != 0)
            return -1;
    if (skip_bytes(&p, end, 1) != 0 || skip_bytes(&p, end, 1) != 0 ||
        varint_get(&p, end, &nfields) != 0 || nfields > rec->mv_size)
        return -1;
    for (uint64_t i = 0; i < nfields; i++) {
        uint64_t len;
        if (varint_get(&p, end, &len) != 0 || len > (uint64_t)(end - p))
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
