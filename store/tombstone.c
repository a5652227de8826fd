/* tombstone.c — deletions that travel. XDEL and DEL change the key view of
 * the node they run on and append a tombstone event to its source stream,
 * so every node that stores the tombstone (replicated, or recovered from a
 * peer) removes the same entries from its own view. Events themselves are
 * never removed: the tombstone names them.
 *
 *   $xdel  payload: (stream id, offset) pairs: the events whose entries
 *          XDEL removed.
 *   $del   payload: (stream id, last offset) pairs: the offset map of the
 *          node when the key was deleted. Every entry of the key whose event
 *          is at or below it goes; the key goes when no entry is left.
 *
 * A tombstone is an event of the key (tagged with it, found by EV.QUERY)
 * but not an entry of it (its entry ID is 0-0). A tombstone may name an
 * event that has not arrived yet (when events reach a node out of causal
 * order); the `gone` table keeps such names until the event arrives, and
 * the event then enters the log but not the key view:
 *   gone: 'e' | be64 offset | stream id          -> empty  ($xdel target)
 *         'd' | name form of the key            -> the $del payload pairs,
 *                                                  each u8 len | id | be64 offset */
#include "store.h"
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OFFSET_TEXT 21 /* a uint64 in decimal, with its NUL */

static const char TYPE_XDEL[] = "$xdel", TYPE_DEL[] = "$del";

enum tomb_kind store_tomb_kind(struct store_bytes type)
{
    if (type.ptr == NULL)
        return TOMB_NONE;
    if (type.len == sizeof(TYPE_XDEL) - 1 && memcmp(type.ptr, TYPE_XDEL, type.len) == 0)
        return TOMB_XDEL;
    if (type.len == sizeof(TYPE_DEL) - 1 && memcmp(type.ptr, TYPE_DEL, type.len) == 0)
        return TOMB_DEL;
    return TOMB_NONE;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A tombstone's payload under construction: n (stream id, offset) pairs,
 * as text; fields points at them once they are complete. */
struct tomb_pair {
    char stream[STORE_STREAM_ID_MAX];
    char offset[OFFSET_TEXT];
};
struct tomb_payload {
    struct tomb_pair *pairs;
    struct store_bytes *fields;
    size_t n, cap;
};

static void payload_free(struct tomb_payload *p)
{
    free(p->pairs);
    free(p->fields);
}

static int payload_add(struct tomb_payload *p, const char *stream, uint64_t offset)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        struct tomb_pair *grown = realloc(p->pairs, cap * sizeof(*grown));
        if (grown == NULL)
            return STORE_ERR_NOMEM;
        p->pairs = grown;
        p->cap = cap;
    }
    struct tomb_pair *t = &p->pairs[p->n++];
    snprintf(t->stream, sizeof(t->stream), "%s", stream);
    snprintf(t->offset, sizeof(t->offset), "%llu", (unsigned long long)offset);
    return 0;
}

/* Appends this node's tombstone for key. */
static int tomb_append(struct store *s, MDB_txn *txn, struct store_bytes key, const char *type,
                       struct tomb_payload *p)
{
    if ((p->fields = malloc(2 * p->n * sizeof(*p->fields))) == NULL)
        return STORE_ERR_NOMEM;
    for (size_t i = 0; i < p->n; i++) {
        p->fields[2 * i] = (struct store_bytes){ p->pairs[i].stream, strlen(p->pairs[i].stream) };
        p->fields[2 * i + 1] = (struct store_bytes){ p->pairs[i].offset, strlen(p->pairs[i].offset) };
    }
    struct store_event_in ev = { .key = key, .fields = p->fields, .nfields = 2 * p->n, .timestamp_us = now_us(),
                                 .type = { type, strlen(type) } };
    uint32_t stream;
    uint64_t offset;
    return store_log_append(s, txn, &ev, &stream, &offset);
}

int store_tomb_xdel(struct store *s, MDB_txn *txn, struct store_bytes key, const uint32_t *streams,
                    const uint64_t *offsets, size_t n)
{
    struct tomb_payload p = { 0 };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char name[STORE_STREAM_ID_MAX];
        if ((rc = store_stream_name(s, txn, streams[i], name)) == 0)
            rc = payload_add(&p, name, offsets[i]);
    }
    if (rc == 0 && n > 0)
        rc = tomb_append(s, txn, key, TYPE_XDEL, &p);
    payload_free(&p);
    return rc;
}

struct map_ctx {
    struct tomb_payload *p;
    int rc;
};

static int map_add(void *ctx, const char *stream, uint64_t last)
{
    struct map_ctx *m = ctx;
    return (m->rc = payload_add(m->p, stream, last)) != 0;
}

int store_tomb_del(struct store *s, MDB_txn *txn, struct store_bytes key)
{
    struct tomb_payload p = { 0 };
    struct map_ctx m = { &p, 0 };
    int rc = store_log_offsets(s, map_add, &m);
    if (rc == 0)
        rc = m.rc;
    if (rc == 0 && p.n > 0) /* with nothing stored anywhere, no entry elsewhere can go */
        rc = tomb_append(s, txn, key, TYPE_DEL, &p);
    payload_free(&p);
    return rc;
}

/* ---- applying a received tombstone ---- */

/* Strict decimal uint64. */
static int parse_offset(struct store_bytes b, uint64_t *out)
{
    uint64_t v = 0;
    if (b.len == 0 || b.len > 20 || (b.len > 1 && b.ptr[0] == '0'))
        return -1;
    for (size_t i = 0; i < b.len; i++) {
        unsigned d = (unsigned char)b.ptr[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int store_tomb_valid(const struct store_bytes *fields, size_t nfields)
{
    uint64_t off;
    if (nfields == 0 || nfields % 2 != 0)
        return 0;
    for (size_t i = 0; i < nfields; i += 2)
        if (fields[i].len == 0 || fields[i].len >= STORE_STREAM_ID_MAX ||
            memchr(fields[i].ptr, '\0', fields[i].len) != NULL || parse_offset(fields[i + 1], &off) != 0)
            return 0;
    return 1;
}

/* The `gone` key of an $xdel target. buf: 9 + STORE_STREAM_ID_MAX bytes. */
static MDB_val gone_event_key(unsigned char *buf, struct store_bytes stream, uint64_t offset)
{
    buf[0] = 'e';
    be64_put(buf + 1, offset);
    memcpy(buf + 9, stream.ptr, stream.len);
    return (MDB_val){ 9 + stream.len, buf };
}

/* One $xdel target: its entry leaves the key view, or, when the event is
 * not here yet, it is remembered so it never enters it. */
static int apply_xdel_one(struct store *s, MDB_txn *txn, struct store_bytes stream, uint64_t offset)
{
    char name[STORE_STREAM_ID_MAX];
    memcpy(name, stream.ptr, stream.len);
    name[stream.len] = '\0';
    uint32_t num;
    MDB_val rec;
    int rc = store_stream_num(s, txn, name, 0, &num);
    if (rc == 0)
        rc = store_event_get(s, txn, num, offset, &rec);
    if (rc == MDB_NOTFOUND) {
        unsigned char buf[9 + STORE_STREAM_ID_MAX];
        MDB_val k = gone_event_key(buf, stream, offset), empty = { 0, NULL };
        s->gone_maybe = 1;
        return mdb_put(txn, s->gone, &k, &empty, 0);
    }
    struct store_bytes key;
    struct store_id id;
    if (rc != 0 || (rc = store_event_key(&rec, &key, &id)) != 0)
        return rc;
    if (id.ms == 0 && id.seq == 0)
        return 0; /* never an entry */
    /* the key is copied: the entry's removal may rewrite pages */
    char *copy = malloc(key.len ? key.len : 1);
    if (copy == NULL)
        return STORE_ERR_NOMEM;
    memcpy(copy, key.ptr, key.len);
    rc = store_entry_remove(s, txn, (struct store_bytes){ copy, key.len }, id, num, offset);
    free(copy);
    return rc;
}

/* The $del payload as a per-stream# bound (-1: nothing of that stream).
 * *uncovered is set when the map names events not here yet. */
static int del_bounds(struct store *s, MDB_txn *txn, const struct store_bytes *fields, size_t nfields,
                      int64_t **upto, size_t *nupto, int *uncovered)
{
    MDB_stat st;
    int rc = mdb_stat(txn, s->stream_nums, &st);
    if (rc != 0)
        return rc;
    *nupto = st.ms_entries;
    *upto = malloc((*nupto ? *nupto : 1) * sizeof(**upto));
    if (*upto == NULL)
        return STORE_ERR_NOMEM;
    for (size_t i = 0; i < *nupto; i++)
        (*upto)[i] = -1;
    *uncovered = 0;
    for (size_t i = 0; i < nfields; i += 2) {
        char name[STORE_STREAM_ID_MAX];
        uint64_t off = 0, next = 0;
        uint32_t num;
        memcpy(name, fields[i].ptr, fields[i].len);
        name[fields[i].len] = '\0';
        parse_offset(fields[i + 1], &off); /* checked by store_tomb_valid */
        rc = store_stream_num(s, txn, name, 0, &num);
        if (rc == MDB_NOTFOUND) {
            *uncovered = 1;
            continue;
        }
        if (rc != 0 || (rc = store_stream_next(s, txn, num, &next)) != 0)
            return rc;
        if (num >= *nupto)
            return STORE_ERR_CORRUPT;
        (*upto)[num] = off > INT64_MAX ? INT64_MAX : (int64_t)off;
        if (next <= off)
            *uncovered = 1;
    }
    return 0;
}

/* The `gone` key of key's $del floor. buf: 1 + STORE_KEY_LMDB_MAX bytes. */
static MDB_val gone_floor_key(const struct store *s, unsigned char *buf, struct store_bytes key)
{
    MDB_val name = store_name_key(s, key, buf + 1);
    buf[0] = 'd';
    return (MDB_val){ 1 + name.mv_size, buf };
}

/* Remembers a $del whose map reaches beyond what is here. */
static int del_floor_put(struct store *s, MDB_txn *txn, struct store_bytes key, const struct store_bytes *fields,
                         size_t nfields)
{
    size_t len = 0;
    for (size_t i = 0; i < nfields; i += 2)
        len += 1 + fields[i].len + 8;
    unsigned char kbuf[1 + STORE_KEY_LMDB_MAX];
    MDB_val k = gone_floor_key(s, kbuf, key), v = { len, NULL };
    s->gone_maybe = 1;
    int rc = mdb_put(txn, s->gone, &k, &v, MDB_RESERVE);
    if (rc != 0)
        return rc;
    unsigned char *p = v.mv_data;
    for (size_t i = 0; i < nfields; i += 2) {
        uint64_t off = 0;
        parse_offset(fields[i + 1], &off);
        *p++ = (unsigned char)fields[i].len;
        memcpy(p, fields[i].ptr, fields[i].len);
        p += fields[i].len;
        be64_put(p, off);
        p += 8;
    }
    return 0;
}

static int apply_del(struct store *s, MDB_txn *txn, struct store_bytes key, const struct store_bytes *fields,
                     size_t nfields)
{
    int64_t *upto = NULL;
    size_t nupto = 0;
    int uncovered = 0;
    int rc = del_bounds(s, txn, fields, nfields, &upto, &nupto, &uncovered);
    if (rc == 0)
        rc = store_key_remove_upto(s, txn, key, upto, nupto);
    if (rc == 0 && uncovered)
        rc = del_floor_put(s, txn, key, fields, nfields);
    free(upto);
    return rc;
}

int store_tomb_import(struct store *s, MDB_txn *txn, const struct store_event_in *ev)
{
    uint32_t stream;
    uint64_t offset;
    int rc = store_log_append(s, txn, ev, &stream, &offset);
    if (rc != 0)
        return rc;
    if (store_tomb_kind(ev->type) == TOMB_DEL)
        return apply_del(s, txn, ev->key, ev->fields, ev->nfields);
    for (size_t i = 0; rc == 0 && i < ev->nfields; i += 2) {
        uint64_t off = 0;
        parse_offset(ev->fields[i + 1], &off);
        rc = apply_xdel_one(s, txn, ev->fields[i], off);
    }
    return rc;
}

/* 1 if a $del floor of key covers (stream, offset). */
static int del_floor_covers(struct store *s, MDB_txn *txn, struct store_bytes key, const char *stream,
                            uint64_t offset)
{
    unsigned char kbuf[1 + STORE_KEY_LMDB_MAX];
    MDB_val k = gone_floor_key(s, kbuf, key), v;
    int rc = mdb_get(txn, s->gone, &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? 0 : rc;
    size_t slen = strlen(stream);
    const unsigned char *p = v.mv_data, *end = p + v.mv_size;
    while (p < end) {
        size_t len = *p++;
        if ((size_t)(end - p) < len + 8)
            return STORE_ERR_CORRUPT;
        if (len == slen && memcmp(p, stream, len) == 0)
            return offset <= be64_get(p + len);
        p += len + 8;
    }
    return 0;
}

int store_tomb_gone(struct store *s, MDB_txn *txn, const char *stream, uint64_t offset, struct store_bytes key)
{
    if (!s->gone_maybe)
        return 0; /* the usual case: no tombstone ever came before its events */
    unsigned char buf[9 + STORE_STREAM_ID_MAX];
    MDB_val k = gone_event_key(buf, (struct store_bytes){ stream, strlen(stream) }, offset), v;
    int rc = mdb_get(txn, s->gone, &k, &v);
    if (rc == 0)
        return (rc = mdb_del(txn, s->gone, &k, NULL)) == 0 ? 1 : rc;
    if (rc != MDB_NOTFOUND)
        return rc;
    return del_floor_covers(s, txn, key, stream, offset);
}
