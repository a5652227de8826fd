/* node.c — emulation of Redis's stream nodes (listpacks in a radix tree),
 * so that '~' trimming removes exactly what Redis would.
 *
 * Redis appends an entry to the tail node unless that node's listpack
 * would reach stream-node-max-bytes (4096) with the entry's field and value
 * bytes, or it already holds stream-node-max-entries (100) entries, deleted
 * ones included; a node whose entries are all deleted disappears. Whether a
 * node closes therefore depends on its listpack's exact size, which this
 * file computes from the listpack encoding rules (listpack.c) and the
 * stream entry layout (t_stream.c streamAppendItem).
 *
 * nodes: be64 keynum | be64 node -> node record:
 *   be64 last ms | be64 last seq   last ID ever added (deleted or not)
 *   (the figures last, lp bytes, live and deleted of a key's tail node are
 *   kept in the key record instead, and written here when a newer node
 *   takes over: an entry joining the tail writes nothing here)
 *   be64 master ms | be64 master seq
 *   be64 lp bytes | be64 live | be64 deleted
 *   be32 nfields | (be32 len | name)*   the master entry's field names */
#include "store.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#define NODE_FIXED (7 * 8 + 4)
#define NODE_MAX_BYTES 4096
#define LP_HDR_AND_EOF 7
#define LP_INT_BUF 21

/* Bytes a listpack element of encoded size n needs for its back length. */
static size_t lp_backlen(size_t n)
{
    return n <= 127 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 : n < 268435455 ? 4 : 5;
}

static size_t lp_int(int64_t v)
{
    size_t enc = (v >= 0 && v <= 127) ? 1 : (v >= -4096 && v <= 4095) ? 2
               : (v >= -32768 && v <= 32767) ? 3 : (v >= -8388608 && v <= 8388607) ? 4
               : (v >= INT32_MIN && v <= INT32_MAX) ? 5 : 9;
    return enc + lp_backlen(enc);
}

/* lpStringToInt64: a canonical decimal int64 (no '+', no leading zeros,
 * "-0" excluded) is stored as an integer. */
static int lp_string_int(const char *s, size_t len, int64_t *v)
{
    if (len == 0 || len >= LP_INT_BUF)
        return 0;
    size_t i = s[0] == '-';
    if (i == len || (s[i] == '0' && len > i + 1) || (i && s[1] == '0'))
        return 0;
    uint64_t acc = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || acc > (UINT64_MAX - 9) / 10)
            return 0;
        acc = acc * 10 + (uint64_t)(s[i] - '0');
    }
    if (s[0] == '-' ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)
        return 0;
    *v = s[0] == '-' ? (int64_t)(0 - acc) : (int64_t)acc;
    return 1;
}

static size_t lp_str(struct store_bytes b)
{
    int64_t v;
    if (lp_string_int(b.ptr, b.len, &v))
        return lp_int(v);
    size_t enc = (b.len < 64 ? 1 : b.len < 4096 ? 2 : 5) + b.len;
    return enc + lp_backlen(enc);
}

struct node_rec {
    struct store_id last, master;
    uint64_t lp_bytes, live, deleted;
    MDB_val fields; /* the master field names, encoded as stored */
};

static int rec_decode(const MDB_val *v, struct node_rec *n)
{
    const unsigned char *p = v->mv_data;
    if (v->mv_size < NODE_FIXED)
        return STORE_ERR_CORRUPT;
    n->last = (struct store_id){ be64_get(p), be64_get(p + 8) };
    n->master = (struct store_id){ be64_get(p + 16), be64_get(p + 24) };
    n->lp_bytes = be64_get(p + 32);
    n->live = be64_get(p + 40);
    n->deleted = be64_get(p + 48);
    n->fields = (MDB_val){ v->mv_size - 56, (void *)(p + 56) };
    return 0;
}

static void rec_fixed_encode(unsigned char *p, const struct node_rec *n);

static int rec_put(struct store *s, MDB_txn *txn, const unsigned char *key, const struct node_rec *n)
{
    MDB_val k = { 16, (void *)key }, v = { NODE_FIXED - 4 + n->fields.mv_size, NULL };
    int rc = mdb_put(txn, s->nodes, &k, &v, MDB_RESERVE);
    if (rc != 0)
        return rc;
    unsigned char *p = v.mv_data;
    rec_fixed_encode(p, n);
    memmove(p + 56, n->fields.mv_data, n->fields.mv_size);
    return 0;
}

/* The fixed part of a record (everything but the field names). */
static void rec_fixed_encode(unsigned char *p, const struct node_rec *n)
{
    const uint64_t x[7] = { n->last.ms, n->last.seq, n->master.ms, n->master.seq,
                            n->lp_bytes, n->live, n->deleted };
    for (int i = 0; i < 7; i++)
        be64_put(p + 8 * i, x[i]);
}

static void rec_key(unsigned char *p, uint64_t keynum, uint64_t node)
{
    be64_put(p, keynum);
    be64_put(p + 8, node);
}

/* 1 if the entry's field names equal the master entry's (SAMEFIELDS). */
static int same_fields(const MDB_val *master, const struct store_event_in *ev)
{
    const unsigned char *p = master->mv_data, *end = p + master->mv_size;
    if (master->mv_size < 4 || be32_get(p) != ev->nfields / 2)
        return 0;
    p += 4;
    for (size_t i = 0; i < ev->nfields; i += 2) {
        if (end - p < 4)
            return 0;
        uint32_t len = be32_get(p);
        p += 4;
        if ((size_t)(end - p) < len || len != ev->fields[i].len || memcmp(p, ev->fields[i].ptr, len) != 0)
            return 0;
        p += len;
    }
    return 1;
}

/* The bytes one entry adds to its listpack (flags, ID deltas, optional
 * field count and names, values, lp-count). */
static uint64_t entry_bytes(const struct node_rec *n, const struct store_event_in *ev, int same)
{
    size_t nf = ev->nfields / 2;
    uint64_t b = lp_int(same ? 2 : 0) + lp_int((int64_t)(ev->entry_id.ms - n->master.ms)) +
                 lp_int((int64_t)(ev->entry_id.seq - n->master.seq));
    if (!same)
        b += lp_int((int64_t)nf);
    for (size_t i = 0; i < ev->nfields; i++)
        if (!same || i % 2 == 1)
            b += lp_str(ev->fields[i]);
    return b + lp_int((int64_t)(nf + 3 + (same ? 0 : nf + 1)));
}

/* The master entry of a new node: count (1), deleted (0), the number of
 * fields, the field names, the master terminator (0). */
static int rec_new(struct node_rec *n, const struct store_event_in *ev, unsigned char **names_out)
{
    size_t nf = ev->nfields / 2, len = 4;
    for (size_t i = 0; i < ev->nfields; i += 2)
        len += 4 + ev->fields[i].len;
    unsigned char *names = malloc(len), *p = names;
    if (names == NULL)
        return STORE_ERR_NOMEM;
    be32_put(p, (uint32_t)nf);
    p += 4;
    uint64_t bytes = LP_HDR_AND_EOF + lp_int(1) + lp_int(0) + lp_int((int64_t)nf) + lp_int(0);
    for (size_t i = 0; i < ev->nfields; i += 2) {
        be32_put(p, (uint32_t)ev->fields[i].len);
        memcpy(p + 4, ev->fields[i].ptr, ev->fields[i].len);
        p += 4 + ev->fields[i].len;
        bytes += lp_str(ev->fields[i]);
    }
    *n = (struct node_rec){ .master = ev->entry_id, .lp_bytes = bytes, .live = 1,
                            .fields = { len, names } };
    *names_out = names;
    return 0;
}

static int tail_exists(const struct store_tail *t)
{
    return t->live + t->deleted > 0;
}

static void tail_figures_to(struct node_rec *n, const struct store_tail *t)
{
    n->last = t->last;
    n->lp_bytes = t->lp_bytes;
    n->live = t->live;
    n->deleted = t->deleted;
}

/* Rewrites a row read with rec_get (n->fields points into the page the
 * put may move: it is copied first). */
static int rec_rewrite(struct store *s, MDB_txn *txn, const unsigned char *key, struct node_rec *n)
{
    unsigned char *copy = malloc(n->fields.mv_size ? n->fields.mv_size : 1);
    if (copy == NULL)
        return STORE_ERR_NOMEM;
    memcpy(copy, n->fields.mv_data, n->fields.mv_size);
    n->fields.mv_data = copy;
    int rc = rec_put(s, txn, key, n);
    free(copy);
    return rc;
}

/* The node's row: 0 with *n (n->fields points into the page), or a code. */
static int rec_get(struct store *s, MDB_txn *txn, const unsigned char *key, struct node_rec *n)
{
    MDB_val k = { 16, (void *)key }, v;
    int rc = mdb_get(txn, s->nodes, &k, &v);
    return rc != 0 ? rc : rec_decode(&v, n);
}

int store_node_place(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_tail *t, int fresh,
                     const struct store_event_in *ev)
{
    unsigned char key[16], *names = NULL;
    uint64_t payload = 0;
    for (size_t i = 0; i < ev->nfields; i++)
        payload += ev->fields[i].len;
    struct node_rec n;
    int rc = 0;
    if (!fresh && tail_exists(t)) {
        rec_key(key, keynum, t->node);
        if ((rc = rec_get(s, txn, key, &n)) != 0)
            return rc == MDB_NOTFOUND ? STORE_ERR_CORRUPT : rc;
        if (t->lp_bytes + payload < NODE_MAX_BYTES && t->live + t->deleted < STORE_NODE_ENTRIES) {
            /* the common case: the entry joins the tail, its row unchanged */
            t->lp_bytes += lp_int((int64_t)t->live + 1) - lp_int((int64_t)t->live);
            t->live++;
            t->lp_bytes += entry_bytes(&n, ev, same_fields(&n.fields, ev));
            t->last = ev->entry_id;
            return 0;
        }
        tail_figures_to(&n, t); /* full: its row gets its final figures */
        if ((rc = rec_rewrite(s, txn, key, &n)) != 0)
            return rc;
    }
    /* a new node: the key's first, or the old one is full or gone */
    uint64_t node = fresh ? 0 : t->node + 1;
    rec_key(key, keynum, node);
    if ((rc = rec_new(&n, ev, &names)) != 0)
        return rc;
    n.lp_bytes += entry_bytes(&n, ev, 1); /* the first entry's fields are the master entry's */
    n.last = ev->entry_id;
    rc = rec_put(s, txn, key, &n);
    free(names);
    *t = (struct store_tail){ node, n.last, n.lp_bytes, n.live, n.deleted };
    return rc;
}

/* An entry of a node leaves: one fewer live, one more deleted. */
static void figures_deleted(uint64_t *lp_bytes, uint64_t *live, uint64_t *deleted)
{
    *lp_bytes += lp_int((int64_t)*live - 1) - lp_int((int64_t)*live) + lp_int((int64_t)*deleted + 1) -
                 lp_int((int64_t)*deleted);
    (*live)--;
    (*deleted)++;
}

int store_node_entry_deleted(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_tail *t, uint64_t node,
                             int keep_empty)
{
    unsigned char key[16];
    struct node_rec n;
    int tail = node == t->node && tail_exists(t); /* its figures are in the key record */
    uint64_t *lp_bytes = &t->lp_bytes, *live = &t->live, *deleted = &t->deleted;
    if (!tail) {
        rec_key(key, keynum, node);
        int rc = rec_get(s, txn, key, &n);
        if (rc != 0)
            return rc == MDB_NOTFOUND ? 0 : rc;
        lp_bytes = &n.lp_bytes;
        live = &n.live;
        deleted = &n.deleted;
    }
    if (*live <= 1 && !keep_empty)
        return store_node_drop(s, txn, keynum, t, node); /* XDEL: Redis drops an emptied node */
    figures_deleted(lp_bytes, live, deleted);
    return tail ? 0 : rec_rewrite(s, txn, key, &n);
}

int store_node_figures(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_tail *t)
{
    unsigned char key[16];
    struct node_rec n;
    rec_key(key, keynum, t->node);
    int rc = rec_get(s, txn, key, &n);
    if (rc == 0)
        *t = (struct store_tail){ t->node, n.last, n.lp_bytes, n.live, n.deleted };
    return rc;
}

int store_node_first(struct store *s, MDB_txn *txn, uint64_t keynum, const struct store_tail *t, uint64_t *node,
                     uint64_t *live, struct store_id *last)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->nodes, &cur);
    if (rc != 0)
        return rc;
    unsigned char key[16];
    rec_key(key, keynum, 0);
    MDB_val k = { 16, key }, v;
    struct node_rec n;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    int found = rc == 0 && k.mv_size == 16 && be64_get(k.mv_data) == keynum;
    if (found && (rc = rec_decode(&v, &n)) == 0) {
        *node = be64_get((const unsigned char *)k.mv_data + 8);
        *live = n.live;
        *last = n.last;
        if (*node == t->node && tail_exists(t)) {
            *live = t->live;
            *last = t->last;
        }
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    return found;
}

int store_node_drop(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_tail *t, uint64_t node)
{
    if (node == t->node)
        t->live = t->deleted = 0; /* the tail is gone: the next entry starts node + 1 */
    unsigned char key[16];
    rec_key(key, keynum, node);
    MDB_val k = { 16, key };
    int rc = mdb_del(txn, s->nodes, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The nodes of a rax (Redis's compressed radix tree) holding the sorted,
 * distinct 16-byte keys k[lo, hi), below a node at depth d: a run of bytes
 * all keys share is one compressed node, a byte where they differ is one
 * branching node with a child per byte, and each key ends in a leaf. This
 * is the shape rax.c builds and restores after removals. */
static uint64_t rax_nodes(const unsigned char (*k)[16], size_t lo, size_t hi, size_t d)
{
    if (d == 16)
        return 1;
    if (hi - lo == 1)
        return 2; /* compressed node holding the rest, then the leaf */
    size_t common = d;
    while (k[lo][common] == k[hi - 1][common])
        common++; /* sorted: what the first and last share, all share */
    if (common > d)
        return 1 + rax_nodes(k, lo, hi, common);
    uint64_t n = 1;
    for (size_t i = lo; i < hi;) {
        size_t j = i + 1;
        while (j < hi && k[j][d] == k[i][d])
            j++;
        n += rax_nodes(k, i, j, d + 1);
        i = j;
    }
    return n;
}

int store_key_radix(struct store *s, struct store_bytes key, uint64_t *keys, uint64_t *nodes)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    uint64_t keynum;
    unsigned char (*ids)[16] = NULL;
    size_t n = 0, cap = 0;
    MDB_cursor *cur = NULL;
    if ((rc = store_keynum(s, txn, key, &keynum)) != 0 ||
        (rc = mdb_cursor_open(txn, s->nodes, &cur)) != 0)
        goto out;
    unsigned char first[16];
    rec_key(first, keynum, 0);
    MDB_val k = { 16, first }, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && be64_get(k.mv_data) == keynum;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct node_rec nr;
        if ((rc = rec_decode(&v, &nr)) != 0)
            goto out;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            void *grown = realloc(ids, cap * sizeof(*ids));
            if (grown == NULL) {
                rc = STORE_ERR_NOMEM;
                goto out;
            }
            ids = grown;
        }
        be64_put(ids[n], nr.master.ms); /* the rax key: the master ID, big-endian */
        be64_put(ids[n] + 8, nr.master.seq);
        n++;
    }
    if (rc == 0 || rc == MDB_NOTFOUND) {
        rc = 0;
        *keys = n;
        *nodes = n ? rax_nodes((const unsigned char (*)[16])ids, 0, n, 0) : 1;
    }
out:
    if (cur != NULL)
        mdb_cursor_close(cur);
    free(ids);
    store_read_end(s, txn, own);
    return rc == MDB_NOTFOUND ? STORE_ERR_NOKEY : rc;
}
