/* query.c — EV.QUERY / EV.READ over the event log: a tag expression and a
 * type filter become a tree of index iterators; each answers "the first
 * (or last) matching offset of stream s at or after (before) offset o" with
 * cursor seeks, so a query costs seeks per matching event, not a scan.
 * Streams are then merged in Lamport order (within a stream lamports grow
 * with offsets, so each stream's matches are already in order). */
#include "store.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

enum it_kind { IT_NONE, IT_ALL, IT_LOCAL, IT_INDEX, IT_AND, IT_OR };

struct it {
    enum it_kind kind;
    MDB_cursor *cur;           /* IT_INDEX */
    unsigned char name[STORE_KEY_LMDB_MAX]; /* IT_INDEX: the tag's / type's name form, */
    MDB_val key;                            /* its key in the index */
    struct it *l, *r;
};

struct qstate {
    struct store *s;
    MDB_txn *txn;
    int rc;
};

static void it_free(struct it *it)
{
    if (it == NULL)
        return;
    if (it->cur != NULL)
        mdb_cursor_close(it->cur);
    it_free(it->l);
    it_free(it->r);
    free(it);
}

static struct it *it_new(struct qstate *q, enum it_kind kind)
{
    struct it *it = calloc(1, sizeof(*it));
    if (it == NULL)
        q->rc = STORE_ERR_NOMEM;
    else
        it->kind = kind;
    return it;
}

static struct it *it_index(struct qstate *q, MDB_dbi dbi, struct store_bytes name)
{
    struct it *it = it_new(q, IT_INDEX);
    if (it == NULL)
        return NULL;
    it->key = store_name_key(q->s, name, it->name);
    int rc = mdb_cursor_open(q->txn, dbi, &it->cur);
    if (rc != 0) {
        q->rc = rc;
        it_free(it);
        return NULL;
    }
    return it;
}

static struct it *it_pair(struct qstate *q, enum it_kind kind, struct it *l, struct it *r)
{
    struct it *it = l && r ? it_new(q, kind) : NULL;
    if (it == NULL) {
        it_free(l);
        it_free(r);
        return NULL;
    }
    it->l = l;
    it->r = r;
    return it;
}

static struct it *it_build(struct qstate *q, const struct store_tag_expr *e)
{
    switch (e->op) {
    case STORE_TAG_ALL:
        return it_new(q, IT_ALL);
    case STORE_TAG_LOCAL:
        return it_new(q, IT_LOCAL);
    case STORE_TAG_LEAF:
        return it_index(q, q->s->tags, (struct store_bytes){ e->tag, e->len });
    case STORE_TAG_AND:
    case STORE_TAG_OR: {
        struct it *l = it_build(q, e->l);
        struct it *r = l ? it_build(q, e->r) : NULL;
        return it_pair(q, e->op == STORE_TAG_AND ? IT_AND : IT_OR, l, r);
    }
    }
    return it_new(q, IT_NONE);
}

/* The first (dir > 0: smallest >= off; dir < 0: largest <= off) offset of
 * stream that `it` matches. 1 and *found, 0 when none, or an error code. */
static int it_seek(struct qstate *q, struct it *it, uint32_t stream, uint64_t off, int dir, uint64_t *found)
{
    switch (it->kind) {
    case IT_NONE:
        return 0;
    case IT_LOCAL:
        if (stream != q->s->own_stream)
            return 0;
        /* fall through */
    case IT_ALL:
        *found = off; /* offsets are gapless; the caller keeps within the stream's bounds */
        return 1;
    case IT_INDEX: {
        unsigned char pos[12];
        be32_put(pos, stream);
        be64_put(pos + 4, off);
        MDB_val k = it->key, v = { 12, pos };
        int rc = store_dup_seek(it->cur, &k, &v, dir);
        if (rc != 0)
            return rc == MDB_NOTFOUND ? 0 : rc;
        if (v.mv_size != 12 || be32_get(v.mv_data) != stream)
            return 0;
        *found = be64_get((const unsigned char *)v.mv_data + 4);
        return 1;
    }
    case IT_AND:
        for (uint64_t x = off;;) {
            uint64_t a, b;
            int rc = it_seek(q, it->l, stream, x, dir, &a);
            if (rc != 1)
                return rc;
            if ((rc = it_seek(q, it->r, stream, a, dir, &b)) != 1)
                return rc;
            if (a == b) {
                *found = a;
                return 1;
            }
            x = b;
        }
    case IT_OR: {
        uint64_t a = 0, b = 0;
        int ra = it_seek(q, it->l, stream, off, dir, &a);
        if (ra < 0)
            return ra;
        int rb = it_seek(q, it->r, stream, off, dir, &b);
        if (rb < 0)
            return rb;
        if (!ra && !rb)
            return 0;
        *found = !ra ? b : !rb ? a : dir > 0 ? (a < b ? a : b) : (a > b ? a : b);
        return 1;
    }
    }
    return 0;
}

/* ---- events ---- */

struct scratch {
    struct store_bytes *tags, *fields;
    size_t tcap, fcap;
};

static int get_bytes(const unsigned char **p, const unsigned char *end, int opt, struct store_bytes *out)
{
    uint64_t len;
    if (store_varint_get(p, end, &len) != 0)
        return -1;
    if (opt) {
        if (len == 0) {
            *out = (struct store_bytes){ NULL, 0 };
            return 0;
        }
        len--;
    }
    if (len > (uint64_t)(end - *p))
        return -1;
    *out = (struct store_bytes){ (const char *)*p, len };
    *p += len;
    return 0;
}

static int grow(struct store_bytes **a, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    struct store_bytes *g = realloc(*a, n * sizeof(*g));
    if (g == NULL)
        return STORE_ERR_NOMEM;
    *a = g;
    *cap = n;
    return 0;
}

/* Decodes an event record (of stream `name`, at offset) into *ev. */
static int event_load(struct scratch *sc, const MDB_val *recp, const char *name, uint64_t offset,
                      struct store_event *ev)
{
    MDB_val rec = *recp;
    int rc = 0;
    struct store_rec_head h;
    if (store_record_head(&rec, &h) != 0)
        return STORE_ERR_CORRUPT;
    const unsigned char *p = h.rest, *end = h.end;
    *ev = (struct store_event){ .stream = name, .offset = offset, .lamport = h.lamport,
                                .timestamp_us = h.timestamp_us, .id = h.id };
    uint64_t n;
    if (get_bytes(&p, end, 0, &ev->key) != 0 || store_varint_get(&p, end, &n) != 0 || n > rec.mv_size ||
        (rc = grow(&sc->tags, &sc->tcap, n + 1)) != 0)
        return rc ? rc : STORE_ERR_CORRUPT;
    sc->tags[0] = ev->key;
    for (uint64_t i = 0; i < n; i++)
        if (get_bytes(&p, end, 0, &sc->tags[i + 1]) != 0)
            return STORE_ERR_CORRUPT;
    ev->tags = sc->tags;
    ev->ntags = n + 1;
    if (get_bytes(&p, end, 1, &ev->type) != 0 || get_bytes(&p, end, 1, &ev->eventid) != 0 ||
        store_varint_get(&p, end, &n) != 0 || n > rec.mv_size || (rc = grow(&sc->fields, &sc->fcap, n ? n : 1)) != 0)
        return rc ? rc : STORE_ERR_CORRUPT;
    for (uint64_t i = 0; i < n; i++)
        if (get_bytes(&p, end, 0, &sc->fields[i]) != 0)
            return STORE_ERR_CORRUPT;
    ev->fields = sc->fields;
    ev->nfields = n;
    return 0;
}

/* The record of (stream#, offset) and its lamport; the record stays valid
 * for the query (a read that writes nothing). */
static uint64_t event_lamport(struct qstate *q, uint32_t stream, uint64_t offset, MDB_val *rec)
{
    struct store_rec_head h;
    if (store_event_get(q->s, q->txn, stream, offset, rec) != 0 || store_record_head(rec, &h) != 0) {
        q->rc = STORE_ERR_CORRUPT;
        return 0;
    }
    return h.lamport;
}

/* ---- the query ---- */

struct head {
    const struct store_ev_bound *b;
    uint32_t stream;
    int known;         /* the stream exists here */
    int live;          /* `next` is a match within the bounds */
    uint64_t next, lamport;
    MDB_val rec;       /* next's record */
    int returned;      /* an event of this stream was returned */
    uint64_t edge;     /* the last (asc) / smallest (desc) offset returned */
};

/* Moves h to its next match (asc: >= from; desc: <= from). */
static int head_advance(struct qstate *q, struct it *it, struct head *h, int dir, uint64_t from)
{
    h->live = 0;
    if (dir > 0 ? (int64_t)from > h->b->to : (int64_t)from <= h->b->from || h->b->to < 0)
        return 0;
    uint64_t found = 0;
    int rc = it_seek(q, it, h->stream, from, dir, &found);
    if (rc != 0 && rc != 1)
        return rc;
    if (rc == 1 && (dir > 0 ? (int64_t)found <= h->b->to : (int64_t)found > h->b->from)) {
        h->live = 1;
        h->next = found;
        h->lamport = event_lamport(q, h->stream, found, &h->rec);
    }
    return q->rc;
}

/* Whether a goes before b in the order. */
static int before(const struct head *a, const struct head *b, int dir)
{
    int c = a->lamport < b->lamport ? -1 : a->lamport > b->lamport;
    if (c == 0)
        c = strcmp(a->b->stream, b->b->stream);
    if (c == 0)
        c = a->next < b->next ? -1 : a->next > b->next;
    return dir > 0 ? c < 0 : c > 0;
}

long long store_ev_query(struct store *s, const struct store_ev_query *qr, store_event_fn fn, void *ctx,
                         int (*cont)(void *ctx, const char *stream, int64_t offset), void *cont_ctx)
{
    struct qstate q = { s, NULL, 0 };
    int own;
    int rc = store_read_txn(s, &q.txn, &own);
    if (rc != 0)
        return rc;
    struct it *it = qr->where ? it_build(&q, qr->where) : it_new(&q, IT_ALL);
    if (it != NULL && qr->ntypes > 0) { /* AND(where, OR(type, type, ...)) */
        struct it *types = NULL;
        for (size_t i = 0; i < qr->ntypes; i++) {
            struct it *t = it_index(&q, s->types, qr->types[i]);
            types = i == 0 ? t : it_pair(&q, IT_OR, types, t);
            if (types == NULL)
                break;
        }
        it = it_pair(&q, IT_AND, it, types);
    }
    struct head *heads = calloc(qr->nbounds ? qr->nbounds : 1, sizeof(*heads));
    struct scratch sc = { 0 };
    long long n = 0;
    int dir = qr->order == STORE_ORDER_LAMPORTDESC ? -1 : 1;
    if (it == NULL || heads == NULL) {
        rc = q.rc ? q.rc : STORE_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < qr->nbounds; i++) {
        struct head *h = &heads[i];
        h->b = &qr->bounds[i];
        MDB_val k = { strlen(h->b->stream), (void *)h->b->stream }, v;
        rc = mdb_get(q.txn, s->streams, &k, &v);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc != 0 || v.mv_size < 4)
            goto out;
        h->known = 1;
        h->stream = be32_get(v.mv_data);
        if (qr->order != STORE_ORDER_STREAM || i == 0) {
            uint64_t start = dir > 0 ? (uint64_t)(h->b->from + 1) : (uint64_t)(h->b->to < 0 ? 0 : h->b->to);
            if ((rc = head_advance(&q, it, h, dir, start)) != 0)
                goto out;
        }
    }
    rc = 0;
    size_t cur_stream = 0; /* ORDER STREAM: the stream being read */
    while (qr->count <= 0 || n < qr->count) {
        struct head *best = NULL;
        if (qr->order == STORE_ORDER_STREAM) {
            while (cur_stream < qr->nbounds && !heads[cur_stream].live) {
                if (++cur_stream < qr->nbounds && heads[cur_stream].known &&
                    (rc = head_advance(&q, it, &heads[cur_stream], 1, (uint64_t)(heads[cur_stream].b->from + 1))) != 0)
                    goto out;
            }
            best = cur_stream < qr->nbounds ? &heads[cur_stream] : NULL;
        } else {
            for (size_t i = 0; i < qr->nbounds; i++)
                if (heads[i].live && (best == NULL || before(&heads[i], best, dir)))
                    best = &heads[i];
        }
        if (best == NULL)
            break;
        struct store_event ev;
        if ((rc = event_load(&sc, &best->rec, best->b->stream, best->next, &ev)) != 0)
            goto out;
        n++;
        best->returned = 1;
        best->edge = best->next;
        if (fn(ctx, &ev) != 0)
            break;
        if (dir < 0 && best->next == 0) {
            best->live = 0;
            continue;
        }
        if ((rc = head_advance(&q, it, best, dir, dir > 0 ? best->next + 1 : best->next - 1)) != 0)
            goto out;
    }
    /* where each stream's next page starts */
    for (size_t i = 0; cont != NULL && i < qr->nbounds; i++) {
        const struct head *h = &heads[i];
        int started = qr->order != STORE_ORDER_STREAM || i <= cur_stream;
        int done = !h->known || (started && !h->live);
        int64_t at;
        if (dir > 0)
            at = done ? (h->b->to > h->b->from ? h->b->to : h->b->from)
                      : h->returned ? (int64_t)h->edge : h->b->from;
        else
            at = done ? h->b->from : h->returned ? (int64_t)h->edge - 1 : h->b->to;
        if (cont(cont_ctx, h->b->stream, at) != 0)
            break;
    }
out:
    it_free(it);
    free(heads);
    free(sc.tags);
    free(sc.fields);
    store_read_end(s, q.txn, own);
    return rc != 0 ? rc : n;
}
