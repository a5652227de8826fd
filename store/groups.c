/* groups.c — consumer groups, persisted: each group's last-delivered ID and
 * entries-read counter, its pending entries list (PEL) and its consumers,
 * changed in the same transaction as the command that changes them.
 *
 * groups:    be64 keynum | group name   -> be64 groupnum | be64 last ms |
 *            be64 last seq | be64 entries_read (two's complement; -1 =
 *            unknown) | be64 pending
 * consumers: be64 groupnum | consumer name -> be64 consumernum |
 *            be64 seen ms | be64 pending
 * cnames:    be64 consumernum -> be64 groupnum | consumer name
 * pel:       be64 groupnum | be64 ms | be64 seq -> be64 consumernum |
 *            be64 delivery ms | be64 delivery count
 * cpel:      be64 consumernum | be64 ms | be64 seq -> (empty)
 *
 * LMDB orders names bytewise, shorter first on a common prefix: the order
 * of Redis's radix trees, so groups and consumers list as in Redis. The
 * entries-read and lag rules are Redis 7.0's (t_stream.c). */
#include "store.h"
#include "store_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_VAL 40
#define CONSUMER_VAL 24
#define PEL_VAL 24
#define PEL_KEY 24
#define NAME_KEY_MAX (8 + STORE_GROUP_NAME_MAX)

static const char META_NEXT_GROUPNUM[] = "next_groupnum";
static const char META_NEXT_CONSUMERNUM[] = "next_consumernum";

struct grouprec {
    uint64_t groupnum, pending;
    struct store_id last_id;
    long long entries_read;
};

struct consrec {
    uint64_t consumernum, seen_ms, pending;
};

struct pelrec {
    uint64_t consumernum, delivery_ms, count;
};

/* ---- encoding ---- */

static MDB_val name_key(unsigned char *buf, uint64_t prefix, struct store_bytes name)
{
    be64_put(buf, prefix);
    memcpy(buf + 8, name.ptr, name.len);
    return (MDB_val){ 8 + name.len, buf };
}

static MDB_val id_key(unsigned char *buf, uint64_t prefix, struct store_id id)
{
    be64_put(buf, prefix);
    be64_put(buf + 8, id.ms);
    be64_put(buf + 16, id.seq);
    return (MDB_val){ PEL_KEY, buf };
}

static struct store_id id_of(const MDB_val *k)
{
    const unsigned char *p = k->mv_data;
    return (struct store_id){ be64_get(p + 8), be64_get(p + 16) };
}

static int group_decode(const MDB_val *v, struct grouprec *g)
{
    const unsigned char *p = v->mv_data;
    if (v->mv_size != GROUP_VAL)
        return STORE_ERR_CORRUPT;
    *g = (struct grouprec){ .groupnum = be64_get(p), .last_id = { be64_get(p + 8), be64_get(p + 16) },
                            .entries_read = (long long)be64_get(p + 24), .pending = be64_get(p + 32) };
    return 0;
}

static int group_put(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_bytes name,
                     const struct grouprec *g)
{
    unsigned char kb[NAME_KEY_MAX], vb[GROUP_VAL];
    MDB_val k = name_key(kb, keynum, name), v = { GROUP_VAL, vb };
    be64_put(vb, g->groupnum);
    be64_put(vb + 8, g->last_id.ms);
    be64_put(vb + 16, g->last_id.seq);
    be64_put(vb + 24, (uint64_t)g->entries_read);
    be64_put(vb + 32, g->pending);
    return mdb_put(txn, s->groups, &k, &v, 0);
}

static int cons_decode(const MDB_val *v, struct consrec *c)
{
    const unsigned char *p = v->mv_data;
    if (v->mv_size != CONSUMER_VAL)
        return STORE_ERR_CORRUPT;
    *c = (struct consrec){ be64_get(p), be64_get(p + 8), be64_get(p + 16) };
    return 0;
}

static int cons_put(struct store *s, MDB_txn *txn, uint64_t groupnum, struct store_bytes name,
                    const struct consrec *c)
{
    unsigned char kb[NAME_KEY_MAX], vb[CONSUMER_VAL];
    MDB_val k = name_key(kb, groupnum, name), v = { CONSUMER_VAL, vb };
    be64_put(vb, c->consumernum);
    be64_put(vb + 8, c->seen_ms);
    be64_put(vb + 16, c->pending);
    return mdb_put(txn, s->consumers, &k, &v, 0);
}

static int pel_decode(const MDB_val *v, struct pelrec *e)
{
    const unsigned char *p = v->mv_data;
    if (v->mv_size != PEL_VAL)
        return STORE_ERR_CORRUPT;
    *e = (struct pelrec){ be64_get(p), be64_get(p + 8), be64_get(p + 16) };
    return 0;
}

static int pel_put(struct store *s, MDB_txn *txn, uint64_t groupnum, struct store_id id, const struct pelrec *e)
{
    unsigned char kb[PEL_KEY], vb[PEL_VAL];
    MDB_val k = id_key(kb, groupnum, id), v = { PEL_VAL, vb };
    be64_put(vb, e->consumernum);
    be64_put(vb + 8, e->delivery_ms);
    be64_put(vb + 16, e->count);
    return mdb_put(txn, s->pel, &k, &v, 0);
}

/* ---- lookups ---- */

static int name_ok(struct store_bytes name)
{
    return name.len <= STORE_GROUP_NAME_MAX ? 0 : STORE_ERR_NAME_LONG;
}

/* The key's state and its group. 0, STORE_ERR_NOKEY, STORE_ERR_NOGROUP or
 * a code. */
static int group_get(struct store *s, MDB_txn *txn, struct store_bytes key, struct store_bytes group,
                     struct store_key_info *ki, struct grouprec *g)
{
    int rc = store_key_info_txn(s, txn, key, ki);
    if (rc != 0)
        return rc;
    if (name_ok(group) != 0)
        return STORE_ERR_NOGROUP; /* no group can have that name */
    unsigned char kb[NAME_KEY_MAX];
    MDB_val k = name_key(kb, ki->incarnation, group), v;
    rc = mdb_get(txn, s->groups, &k, &v);
    if (rc == MDB_NOTFOUND)
        return STORE_ERR_NOGROUP;
    return rc ? rc : group_decode(&v, g);
}

/* The consumer of a group: 0, MDB_NOTFOUND or a code. */
static int cons_get(struct store *s, MDB_txn *txn, uint64_t groupnum, struct store_bytes name, struct consrec *c)
{
    if (name.len > STORE_GROUP_NAME_MAX)
        return MDB_NOTFOUND;
    unsigned char kb[NAME_KEY_MAX];
    MDB_val k = name_key(kb, groupnum, name), v;
    int rc = mdb_get(txn, s->consumers, &k, &v);
    return rc ? rc : cons_decode(&v, c);
}

/* Finds or creates a consumer; refresh: set its seen time to now. */
static int cons_lookup(struct store *s, MDB_txn *txn, uint64_t groupnum, struct store_bytes name, uint64_t now_ms,
                       int refresh, struct consrec *c, int *created)
{
    int rc = name_ok(name);
    if (rc != 0)
        return rc;
    rc = cons_get(s, txn, groupnum, name, c);
    *created = rc == MDB_NOTFOUND;
    if (*created) {
        *c = (struct consrec){ .seen_ms = now_ms };
        if ((rc = store_meta_next(s, txn, META_NEXT_CONSUMERNUM, &c->consumernum)) != 0)
            return rc;
        unsigned char kb[NAME_KEY_MAX];
        MDB_val k = { 8, kb }, v = name_key(kb + 8, groupnum, name);
        be64_put(kb, c->consumernum);
        if ((rc = mdb_put(txn, s->cnames, &k, &v, 0)) != 0)
            return rc;
        return cons_put(s, txn, groupnum, name, c);
    }
    if (rc != 0 || !refresh)
        return rc;
    c->seen_ms = now_ms;
    return cons_put(s, txn, groupnum, name, c);
}

/* ---- Redis 7.0's entries-read estimate ---- */

static int id_zero(struct store_id id)
{
    return id.ms == 0 && id.seq == 0;
}

/* streamRangeHasTombstones(s, start, NULL) */
static int tombstones_after(const struct store_key_info *k, struct store_id start)
{
    if (k->length == 0 || id_zero(k->max_deleted_id) || store_id_cmp(k->first_id, k->max_deleted_id) > 0)
        return 0;
    return store_id_cmp(start, k->max_deleted_id) <= 0;
}

/* streamEstimateDistanceFromFirstEverEntry */
static long long estimate_read(const struct store_key_info *k, struct store_id id)
{
    if (k->entries_added == 0)
        return 0;
    if (k->length == 0 && store_id_cmp(id, k->last_id) < 1)
        return (long long)k->entries_added;
    int cmp_last = store_id_cmp(id, k->last_id);
    if (cmp_last == 0)
        return (long long)k->entries_added;
    if (cmp_last > 0)
        return STORE_ENTRIES_READ_UNKNOWN;
    int cmp_first = store_id_cmp(id, k->first_id);
    if (id_zero(k->max_deleted_id) || store_id_cmp(k->max_deleted_id, k->first_id) < 0) {
        if (cmp_first < 0)
            return (long long)(k->entries_added - k->length);
        if (cmp_first == 0)
            return (long long)(k->entries_added - k->length + 1);
    }
    return STORE_ENTRIES_READ_UNKNOWN;
}

/* streamReplyWithCGLag: 1 and *lag when known, else 0. */
static int group_lag(const struct store_key_info *k, const struct grouprec *g, long long *lag)
{
    if (k->entries_added == 0) {
        *lag = 0;
        return 1;
    }
    long long read = g->entries_read;
    if (read == STORE_ENTRIES_READ_UNKNOWN || tombstones_after(k, g->last_id))
        read = estimate_read(k, g->last_id);
    if (read == STORE_ENTRIES_READ_UNKNOWN)
        return 0;
    *lag = (long long)k->entries_added - read;
    return 1;
}

static void info_of(const struct store_key_info *k, const struct grouprec *g, struct store_bytes name,
                    uint64_t consumers, struct store_group_info *out)
{
    *out = (struct store_group_info){ .name = name, .last_id = g->last_id, .entries_read = g->entries_read,
                                      .pending = g->pending, .consumers = consumers };
    out->lag_known = group_lag(k, g, &out->lag);
}

/* Number of consumers of a group. */
static int count_consumers(struct store *s, MDB_txn *txn, uint64_t groupnum, uint64_t *n)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->consumers, &cur);
    if (rc != 0)
        return rc;
    unsigned char kb[8];
    be64_put(kb, groupnum);
    MDB_val k = { 8, kb }, v;
    *n = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && k.mv_size >= 8 &&
                                                          be64_get(k.mv_data) == groupnum;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        ++*n;
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* ---- reads ---- */

int store_groups(struct store *s, struct store_bytes key, store_group_fn fn, void *ctx)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    struct store_key_info ki;
    MDB_cursor *cur = NULL;
    if ((rc = store_key_info_txn(s, txn, key, &ki)) != 0 || (rc = mdb_cursor_open(txn, s->groups, &cur)) != 0)
        goto out;
    unsigned char kb[8];
    be64_put(kb, ki.incarnation);
    MDB_val k = { 8, kb }, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 8 || be64_get(k.mv_data) != ki.incarnation)
            break;
        struct grouprec g;
        uint64_t nc;
        if ((rc = group_decode(&v, &g)) != 0)
            break;
        struct store_bytes name = { (const char *)k.mv_data + 8, k.mv_size - 8 };
        struct store_group_info info;
        if ((rc = count_consumers(s, txn, g.groupnum, &nc)) != 0)
            break;
        info_of(&ki, &g, name, nc, &info);
        if (fn(ctx, &info) != 0)
            break;
    }
out:
    if (cur != NULL)
        mdb_cursor_close(cur);
    store_read_end(s, txn, own);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_group_get(struct store *s, struct store_bytes key, struct store_bytes group, struct store_group_info *out)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    struct store_key_info ki;
    struct grouprec g;
    uint64_t nc = 0;
    if ((rc = group_get(s, txn, key, group, &ki, &g)) == 0 && (rc = count_consumers(s, txn, g.groupnum, &nc)) == 0)
        info_of(&ki, &g, group, nc, out);
    store_read_end(s, txn, own);
    return rc;
}

int store_consumers(struct store *s, struct store_bytes key, struct store_bytes group, store_consumer_fn fn,
                    void *ctx)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    struct store_key_info ki;
    struct grouprec g;
    MDB_cursor *cur = NULL;
    if ((rc = group_get(s, txn, key, group, &ki, &g)) != 0 || (rc = mdb_cursor_open(txn, s->consumers, &cur)) != 0)
        goto out;
    unsigned char kb[8];
    be64_put(kb, g.groupnum);
    MDB_val k = { 8, kb }, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 8 || be64_get(k.mv_data) != g.groupnum)
            break;
        struct consrec c;
        if ((rc = cons_decode(&v, &c)) != 0)
            break;
        struct store_consumer_info info = { { (const char *)k.mv_data + 8, k.mv_size - 8 }, c.pending, c.seen_ms };
        if (fn(ctx, &info) != 0)
            break;
    }
out:
    if (cur != NULL)
        mdb_cursor_close(cur);
    store_read_end(s, txn, own);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- XGROUP ---- */

/* The turn's transaction, for a write. */
static int write_txn(struct store *s, MDB_txn **txn)
{
    *txn = store_txn(s);
    return *txn == NULL ? EINVAL : 0;
}

int store_group_create(struct store *s, struct store_bytes key, struct store_bytes group,
                       const struct store_group_pos *pos, int mkstream)
{
    MDB_txn *txn;
    struct store_key_info ki;
    int rc = write_txn(s, &txn);
    if (rc == 0)
        rc = store_key_info_txn(s, txn, key, &ki);
    if (rc == STORE_ERR_NOKEY && mkstream) {
        if ((rc = name_ok(group)) != 0)
            return rc;
        ki = (struct store_key_info){ 0 };
        rc = store_key_make_empty(s, txn, key, &ki.incarnation);
    } else if (rc == 0) {
        rc = name_ok(group);
    }
    if (rc != 0)
        return store_rc(s, rc);
    unsigned char kb[NAME_KEY_MAX];
    MDB_val k = name_key(kb, ki.incarnation, group), v;
    if ((rc = mdb_get(txn, s->groups, &k, &v)) == 0)
        return STORE_ERR_BUSYGROUP;
    if (rc != MDB_NOTFOUND)
        return store_rc(s, rc);
    struct grouprec g = { .last_id = pos->last ? ki.last_id : pos->id, .entries_read = pos->entries_read };
    if ((rc = store_meta_next(s, txn, META_NEXT_GROUPNUM, &g.groupnum)) == 0)
        rc = group_put(s, txn, ki.incarnation, group, &g);
    return store_rc(s, rc);
}

int store_group_setid(struct store *s, struct store_bytes key, struct store_bytes group,
                      const struct store_group_pos *pos)
{
    MDB_txn *txn;
    struct store_key_info ki;
    struct grouprec g;
    int rc = write_txn(s, &txn);
    if (rc == 0 && (rc = group_get(s, txn, key, group, &ki, &g)) == 0) {
        g.last_id = pos->last ? ki.last_id : pos->id;
        g.entries_read = pos->entries_read;
        rc = group_put(s, txn, ki.incarnation, group, &g);
    }
    return store_rc(s, rc);
}

/* Removes every PEL entry of a consumer (and from the group's PEL). */
static int drop_consumer_pel(struct store *s, MDB_txn *txn, uint64_t groupnum, uint64_t consumernum)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->cpel, &cur);
    if (rc != 0)
        return rc;
    unsigned char kb[PEL_KEY];
    MDB_val k = id_key(kb, consumernum, (struct store_id){ 0, 0 }), v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != PEL_KEY || be64_get(k.mv_data) != consumernum)
            break;
        unsigned char gk[PEL_KEY];
        MDB_val pk = id_key(gk, groupnum, id_of(&k));
        if ((rc = mdb_del(txn, s->pel, &pk, NULL)) != 0 && rc != MDB_NOTFOUND)
            break;
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

static int drop_consumer(struct store *s, MDB_txn *txn, uint64_t groupnum, struct store_bytes name,
                         const struct consrec *c)
{
    unsigned char kb[NAME_KEY_MAX], nb[8];
    MDB_val k = name_key(kb, groupnum, name), nk = { 8, nb };
    be64_put(nb, c->consumernum);
    int rc = drop_consumer_pel(s, txn, groupnum, c->consumernum);
    if (rc == 0 && (rc = mdb_del(txn, s->consumers, &k, NULL)) == 0)
        rc = mdb_del(txn, s->cnames, &nk, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Removes a group with its consumers and PEL. */
static int drop_group(struct store *s, MDB_txn *txn, uint64_t groupnum)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->consumers, &cur);
    if (rc != 0)
        return rc;
    unsigned char kb[8];
    be64_put(kb, groupnum);
    MDB_val k = { 8, kb }, v;
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) == 0 && k.mv_size >= 8 &&
           be64_get(k.mv_data) == groupnum) {
        struct consrec c;
        struct store_bytes name;
        char *copy = malloc(k.mv_size - 8 + 1);
        if (copy == NULL || (rc = cons_decode(&v, &c)) != 0) {
            free(copy);
            rc = copy == NULL ? STORE_ERR_NOMEM : rc;
            break;
        }
        memcpy(copy, (const char *)k.mv_data + 8, k.mv_size - 8);
        name = (struct store_bytes){ copy, k.mv_size - 8 };
        rc = drop_consumer(s, txn, groupnum, name, &c);
        free(copy);
        if (rc != 0)
            break;
        k = (MDB_val){ 8, kb };
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    /* PEL entries without a consumer cannot exist, but a group's PEL is
     * cleared all the same. */
    if ((rc = mdb_cursor_open(txn, s->pel, &cur)) != 0)
        return rc;
    unsigned char pk[PEL_KEY];
    k = id_key(pk, groupnum, (struct store_id){ 0, 0 });
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && k.mv_size == PEL_KEY &&
                                                          be64_get(k.mv_data) == groupnum;
         rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) {
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
        k = id_key(pk, groupnum, (struct store_id){ 0, 0 });
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

int store_group_destroy(struct store *s, struct store_bytes key, struct store_bytes group)
{
    MDB_txn *txn;
    struct store_key_info ki;
    struct grouprec g;
    int rc = write_txn(s, &txn);
    if (rc == 0)
        rc = group_get(s, txn, key, group, &ki, &g);
    if (rc == STORE_ERR_NOGROUP)
        return 0;
    if (rc == 0 && (rc = drop_group(s, txn, g.groupnum)) == 0) {
        unsigned char kb[NAME_KEY_MAX];
        MDB_val k = name_key(kb, ki.incarnation, group);
        rc = mdb_del(txn, s->groups, &k, NULL);
    }
    rc = store_rc(s, rc);
    return rc == 0 ? 1 : rc;
}

int store_consumer_create(struct store *s, struct store_bytes key, struct store_bytes group,
                          struct store_bytes consumer, uint64_t now_ms)
{
    MDB_txn *txn;
    struct store_key_info ki;
    struct grouprec g;
    struct consrec c;
    int created = 0;
    int rc = write_txn(s, &txn);
    if (rc == 0 && (rc = group_get(s, txn, key, group, &ki, &g)) == 0)
        rc = cons_lookup(s, txn, g.groupnum, consumer, now_ms, 0, &c, &created);
    rc = store_rc(s, rc);
    return rc == 0 ? created : rc;
}

long long store_consumer_delete(struct store *s, struct store_bytes key, struct store_bytes group,
                                struct store_bytes consumer)
{
    MDB_txn *txn;
    struct store_key_info ki;
    struct grouprec g;
    struct consrec c;
    int rc = write_txn(s, &txn);
    if (rc == 0 && (rc = group_get(s, txn, key, group, &ki, &g)) == 0)
        rc = cons_get(s, txn, g.groupnum, consumer, &c);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc == 0 && (rc = drop_consumer(s, txn, g.groupnum, consumer, &c)) == 0) {
        g.pending -= c.pending;
        rc = group_put(s, txn, ki.incarnation, group, &g);
    }
    rc = store_rc(s, rc);
    return rc == 0 ? (long long)c.pending : rc;
}

int store_groups_drop_key(struct store *s, MDB_txn *txn, uint64_t keynum)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->groups, &cur);
    if (rc != 0)
        return rc;
    unsigned char kb[8];
    be64_put(kb, keynum);
    MDB_val k = { 8, kb }, v;
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) == 0 && k.mv_size >= 8 &&
           be64_get(k.mv_data) == keynum) {
        struct grouprec g;
        if ((rc = group_decode(&v, &g)) != 0 || (rc = drop_group(s, txn, g.groupnum)) != 0 ||
            (rc = mdb_cursor_del(cur, 0)) != 0)
            break;
        k = (MDB_val){ 8, kb };
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

int store_groups_drop_all(struct store *s, MDB_txn *txn)
{
    const MDB_dbi dbs[] = { s->groups, s->consumers, s->cnames, s->pel, s->cpel };
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        int rc = mdb_drop(txn, dbs[i], 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The name (copied into buf) and group of a consumer by number; groupnum
 * may be NULL. */
static int cons_name(struct store *s, MDB_txn *txn, uint64_t consumernum, char *buf, struct store_bytes *name,
                     uint64_t *groupnum)
{
    unsigned char nb[8];
    be64_put(nb, consumernum);
    MDB_val k = { 8, nb }, v;
    int rc = mdb_get(txn, s->cnames, &k, &v);
    if (rc != 0)
        return rc;
    if (v.mv_size < 8 || v.mv_size - 8 > STORE_GROUP_NAME_MAX)
        return STORE_ERR_CORRUPT;
    memcpy(buf, (const char *)v.mv_data + 8, v.mv_size - 8);
    *name = (struct store_bytes){ buf, v.mv_size - 8 };
    if (groupnum != NULL)
        *groupnum = be64_get(v.mv_data);
    return 0;
}

/* Adjusts the pending count of a consumer given by number. */
static int cons_add_pending(struct store *s, MDB_txn *txn, uint64_t consumernum, int delta)
{
    char buf[STORE_GROUP_NAME_MAX];
    struct store_bytes name;
    uint64_t groupnum;
    int rc = cons_name(s, txn, consumernum, buf, &name, &groupnum);
    if (rc != 0)
        return rc;
    struct consrec c;
    if ((rc = cons_get(s, txn, groupnum, name, &c)) != 0)
        return rc;
    c.pending = (uint64_t)((long long)c.pending + delta);
    return cons_put(s, txn, groupnum, name, &c);
}

/* Removes a PEL entry from the group's and its owner's lists. mem, when
 * not NULL, is a consumer record held in memory (to be written back by the
 * caller): its count is adjusted there rather than in the store. */
static int pel_drop(struct store *s, MDB_txn *txn, struct grouprec *g, struct store_id id, const struct pelrec *e,
                    struct consrec *mem)
{
    unsigned char kb[PEL_KEY], ck[PEL_KEY];
    MDB_val k = id_key(kb, g->groupnum, id), cidx = id_key(ck, e->consumernum, id);
    int rc = mdb_del(txn, s->pel, &k, NULL);
    if (rc == 0 && (rc = mdb_del(txn, s->cpel, &cidx, NULL)) == MDB_NOTFOUND)
        rc = 0;
    if (rc == 0 && mem != NULL && e->consumernum == mem->consumernum)
        mem->pending--;
    else if (rc == 0 && e->consumernum != 0)
        rc = cons_add_pending(s, txn, e->consumernum, -1);
    g->pending--;
    return rc;
}

/* ---- XREADGROUP ---- */

struct collect {
    store_entry_fn fn;
    void *ctx;
    struct store_id *ids;
    size_t n, cap;
    int oom;
};

static int collect_entry(void *arg, struct store_id id, const struct store_bytes *fields, size_t nfields)
{
    struct collect *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct store_id *grown = realloc(c->ids, cap * sizeof(*grown));
        if (grown == NULL) {
            c->oom = 1;
            return 1;
        }
        c->ids = grown;
        c->cap = cap;
    }
    c->ids[c->n++] = id;
    return c->fn(c->ctx, id, fields, nfields);
}

/* Gives a pending entry to consumer c: a new PEL entry, or (one pending
 * for another consumer, after SETID went back) moved to c with its count
 * reset, as Redis does. */
static int pel_deliver(struct store *s, MDB_txn *txn, struct grouprec *g, struct consrec *c, struct store_id id,
                       uint64_t now_ms)
{
    unsigned char kb[PEL_KEY], ck[PEL_KEY];
    MDB_val k = id_key(kb, g->groupnum, id), v, empty = { 0, NULL };
    int rc = mdb_get(txn, s->pel, &k, &v);
    if (rc == 0) {
        struct pelrec old;
        if ((rc = pel_decode(&v, &old)) != 0)
            return rc;
        if (old.consumernum != c->consumernum) {
            /* the old owner's index and count */
            MDB_val ok = id_key(ck, old.consumernum, id);
            if ((rc = mdb_del(txn, s->cpel, &ok, NULL)) != 0 && rc != MDB_NOTFOUND)
                return rc;
            if ((rc = cons_add_pending(s, txn, old.consumernum, -1)) != 0)
                return rc;
            c->pending++;
        }
    } else if (rc == MDB_NOTFOUND) {
        g->pending++;
        c->pending++;
    } else {
        return rc;
    }
    struct pelrec e = { c->consumernum, now_ms, 1 };
    MDB_val cidx = id_key(ck, c->consumernum, id);
    if ((rc = pel_put(s, txn, g->groupnum, id, &e)) == 0)
        rc = mdb_put(txn, s->cpel, &cidx, &empty, 0);
    return rc;
}

long long store_readgroup_new(struct store *s, const struct store_readgroup *rq, store_entry_fn fn, void *ctx)
{
    MDB_txn *txn;
    struct store_key_info ki;
    struct grouprec g;
    struct consrec c;
    int created;
    int rc = write_txn(s, &txn);
    if (rc == 0)
        rc = group_get(s, txn, rq->key, rq->group, &ki, &g);
    if (rc == 0)
        rc = name_ok(rq->consumer);
    if (rc != 0)
        return store_rc(s, rc);
    struct store_id start = g.last_id;
    struct collect col = { fn, ctx, NULL, 0, 0, 0 };
    long long n = 0;
    if (store_id_incr(&start) == 0)
        n = store_range(s, rq->key, start, (struct store_id){ UINT64_MAX, UINT64_MAX }, 0,
                        rq->count > 0 ? rq->count : -1, collect_entry, &col);
    if (col.oom)
        n = STORE_ERR_NOMEM;
    /* Redis makes (or refreshes) the consumer only when it serves it */
    if (n > 0 && (rc = cons_lookup(s, txn, g.groupnum, rq->consumer, rq->now_ms, 1, &c, &created)) != 0)
        n = rc;
    for (long long i = 0; n >= 0 && i < n; i++) {
        struct store_id id = col.ids[i];
        if (store_id_cmp(id, g.last_id) > 0) {
            if (g.entries_read != STORE_ENTRIES_READ_UNKNOWN && !tombstones_after(&ki, id))
                g.entries_read++;
            else if (ki.entries_added)
                g.entries_read = estimate_read(&ki, id);
            g.last_id = id;
        }
        if (!rq->noack && (rc = pel_deliver(s, txn, &g, &c, id, rq->now_ms)) != 0)
            n = rc;
    }
    free(col.ids);
    if (n > 0 && (rc = group_put(s, txn, ki.incarnation, rq->group, &g)) == 0)
        rc = cons_put(s, txn, g.groupnum, rq->consumer, &c);
    if (n > 0 && rc != 0)
        n = rc;
    return n < 0 ? store_rc(s, (int)n) : n;
}

long long store_readgroup_pending(struct store *s, const struct store_readgroup *rq, struct store_id after,
                                  store_entry_fn fn, void *ctx)
{
    MDB_txn *txn;
    struct store_key_info ki;
    struct grouprec g;
    struct consrec c;
    int created;
    int rc = write_txn(s, &txn);
    if (rc == 0 && (rc = group_get(s, txn, rq->key, rq->group, &ki, &g)) == 0)
        rc = cons_lookup(s, txn, g.groupnum, rq->consumer, rq->now_ms, 1, &c, &created);
    if (rc != 0)
        return store_rc(s, rc);
    /* The consumer's pending IDs after `after`, then each one's entry. */
    struct store_id start = after;
    struct store_id *ids = NULL;
    size_t n = 0, cap = 0;
    MDB_cursor *cur;
    if (store_id_incr(&start) != 0 || (rc = mdb_cursor_open(txn, s->cpel, &cur)) != 0)
        return store_rc(s, rc);
    unsigned char kb[PEL_KEY];
    MDB_val k = id_key(kb, c.consumernum, start), v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && (rq->count <= 0 || n < (size_t)rq->count); rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != PEL_KEY || be64_get(k.mv_data) != c.consumernum)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct store_id *grown = realloc(ids, cap * sizeof(*grown));
            if (grown == NULL) {
                rc = STORE_ERR_NOMEM;
                break;
            }
            ids = grown;
        }
        ids[n++] = id_of(&k);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND || rc == 0) {
        rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            long long found = store_range(s, rq->key, ids[i], ids[i], 0, 1, fn, ctx);
            if (found < 0) {
                rc = (int)found;
            } else if (found == 0) {
                rc = fn(ctx, ids[i], NULL, 0); /* deleted since: the ID with a null entry */
            } else {
                /* delivered again: the delivery time and count move */
                unsigned char pk[PEL_KEY];
                MDB_val pkey = id_key(pk, g.groupnum, ids[i]), pv;
                struct pelrec e;
                if ((rc = mdb_get(txn, s->pel, &pkey, &pv)) == 0 && (rc = pel_decode(&pv, &e)) == 0) {
                    e.delivery_ms = rq->now_ms;
                    e.count++;
                    rc = pel_put(s, txn, g.groupnum, ids[i], &e);
                }
            }
        }
    }
    free(ids);
    return rc != 0 ? store_rc(s, rc) : (long long)n;
}

/* ---- XACK ---- */

int store_ack(struct store *s, struct store_bytes key, struct store_bytes group, const struct store_id *ids,
              size_t n, uint64_t *acked)
{
    MDB_txn *txn;
    struct store_key_info ki;
    struct grouprec g;
    *acked = 0;
    int rc = write_txn(s, &txn);
    if (rc == 0)
        rc = group_get(s, txn, key, group, &ki, &g);
    if (rc == STORE_ERR_NOKEY || rc == STORE_ERR_NOGROUP)
        return 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char kb[PEL_KEY];
        MDB_val k = id_key(kb, g.groupnum, ids[i]), v;
        struct pelrec e;
        rc = mdb_get(txn, s->pel, &k, &v);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc == 0 && (rc = pel_decode(&v, &e)) == 0 && (rc = pel_drop(s, txn, &g, ids[i], &e, NULL)) == 0)
            ++*acked;
    }
    if (rc == 0 && *acked)
        rc = group_put(s, txn, ki.incarnation, group, &g);
    return store_rc(s, rc);
}

/* ---- XPENDING ---- */

int store_pending_summary(struct store *s, struct store_bytes key, struct store_bytes group,
                          struct store_pending_summary *out)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    struct store_key_info ki;
    struct grouprec g;
    MDB_cursor *cur = NULL;
    *out = (struct store_pending_summary){ 0 };
    if ((rc = group_get(s, txn, key, group, &ki, &g)) != 0 || (rc = mdb_cursor_open(txn, s->pel, &cur)) != 0)
        goto out;
    unsigned char kb[PEL_KEY];
    MDB_val k = id_key(kb, g.groupnum + 1, (struct store_id){ 0, 0 }), v;
    out->count = g.pending;
    if (g.pending > 0) {
        /* the last PEL entry of the group: before the next group's first */
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
        if (rc != 0 || k.mv_size != PEL_KEY || be64_get(k.mv_data) != g.groupnum) {
            rc = rc ? rc : STORE_ERR_CORRUPT;
            goto out;
        }
        out->max = id_of(&k);
        k = id_key(kb, g.groupnum, (struct store_id){ 0, 0 });
        if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) != 0)
            goto out;
        out->min = id_of(&k);
    }
out:
    if (cur != NULL)
        mdb_cursor_close(cur);
    store_read_end(s, txn, own);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

long long store_pending_range(struct store *s, const struct store_pending_query *q, store_pending_fn fn, void *ctx)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    struct store_key_info ki;
    struct grouprec g;
    struct consrec c;
    MDB_cursor *cur = NULL;
    long long n = 0;
    if ((rc = group_get(s, txn, q->key, q->group, &ki, &g)) != 0)
        goto out;
    if (q->consumer.ptr != NULL && (rc = cons_get(s, txn, g.groupnum, q->consumer, &c)) != 0)
        goto out; /* MDB_NOTFOUND: an unknown consumer has nothing pending */
    uint64_t prefix = q->consumer.ptr != NULL ? c.consumernum : g.groupnum;
    if ((rc = mdb_cursor_open(txn, q->consumer.ptr != NULL ? s->cpel : s->pel, &cur)) != 0)
        goto out;
    unsigned char kb[PEL_KEY];
    MDB_val k = id_key(kb, prefix, q->start), v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && n < q->count;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != PEL_KEY || be64_get(k.mv_data) != prefix || store_id_cmp(id_of(&k), q->end) > 0)
            break;
        struct store_id id = id_of(&k);
        struct pelrec e;
        MDB_val pv;
        if (q->consumer.ptr != NULL) {
            unsigned char pk[PEL_KEY];
            MDB_val pkey = id_key(pk, g.groupnum, id);
            if ((rc = mdb_get(txn, s->pel, &pkey, &pv)) != 0)
                break;
        } else {
            pv = v;
        }
        if ((rc = pel_decode(&pv, &e)) != 0)
            break;
        uint64_t idle = q->now_ms > e.delivery_ms ? q->now_ms - e.delivery_ms : 0;
        if (q->min_idle > 0 && idle < (uint64_t)q->min_idle)
            continue;
        char buf[STORE_GROUP_NAME_MAX];
        struct store_bytes name;
        if ((rc = cons_name(s, txn, e.consumernum, buf, &name, NULL)) != 0)
            break;
        n++;
        if (fn(ctx, id, name, e.delivery_ms, e.count) != 0)
            break;
    }
out:
    if (cur != NULL)
        mdb_cursor_close(cur);
    store_read_end(s, txn, own);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    return rc != 0 ? rc : n;
}

/* ---- XCLAIM / XAUTOCLAIM ---- */

static int found_entry(void *ctx, struct store_id id, const struct store_bytes *f, size_t n)
{
    (void)id, (void)f, (void)n;
    *(int *)ctx = 1;
    return 1;
}

static int entry_exists(struct store *s, struct store_bytes key, struct store_id id, int *exists)
{
    *exists = 0;
    long long n = store_range(s, key, id, id, 0, 1, found_entry, exists);
    return n < 0 ? (int)n : 0;
}

struct claim_state {
    struct store *s;
    MDB_txn *txn;
    const struct store_claim *cl;
    struct store_key_info ki;
    struct grouprec g;
    struct consrec c;
    int have_consumer;
};

/* One ID of XCLAIM / XAUTOCLAIM (Redis 7.0's order of steps). Returns 1
 * claimed, 2 deleted from the stream (its PEL entry dropped), 0 skipped,
 * or an error code. */
static int claim_one(struct claim_state *st, struct store_id id, int autoclaim)
{
    struct store *s = st->s;
    const struct store_claim *cl = st->cl;
    unsigned char kb[PEL_KEY], ck[PEL_KEY];
    MDB_val k = id_key(kb, st->g.groupnum, id), v, empty = { 0, NULL };
    struct pelrec e;
    int exists, rc = entry_exists(s, cl->key, id, &exists);
    if (rc != 0)
        return rc;
    int pending = (rc = mdb_get(st->txn, s->pel, &k, &v)) == 0;
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    if (pending && (rc = pel_decode(&v, &e)) != 0)
        return rc;
    if (!exists) {
        if (pending && (rc = pel_drop(s, st->txn, &st->g, id, &e, st->have_consumer ? &st->c : NULL)) != 0)
            return rc;
        return 2;
    }
    int forced = 0;
    if (!pending && cl->force && !autoclaim) {
        e = (struct pelrec){ 0, cl->now_ms, 1 };
        st->g.pending++;
        forced = pending = 1;
    }
    if (!pending)
        return 0;
    if (!forced && cl->min_idle > 0 &&
        (cl->now_ms < e.delivery_ms || cl->now_ms - e.delivery_ms < (uint64_t)cl->min_idle))
        return 0;
    if (!st->have_consumer) {
        int created;
        if ((rc = cons_lookup(s, st->txn, st->g.groupnum, cl->consumer, cl->now_ms, 1, &st->c, &created)) != 0)
            return rc;
        st->have_consumer = 1;
    }
    if (e.consumernum != st->c.consumernum) {
        if (e.consumernum != 0) {
            MDB_val old = id_key(ck, e.consumernum, id);
            if ((rc = mdb_del(st->txn, s->cpel, &old, NULL)) != 0 && rc != MDB_NOTFOUND)
                return rc;
            if ((rc = cons_add_pending(s, st->txn, e.consumernum, -1)) != 0)
                return rc;
        }
        e.consumernum = st->c.consumernum;
        st->c.pending++;
        MDB_val cidx = id_key(ck, e.consumernum, id);
        if ((rc = mdb_put(st->txn, s->cpel, &cidx, &empty, 0)) != 0)
            return rc;
    }
    e.delivery_ms = cl->delivery_ms;
    if (cl->retrycount >= 0)
        e.count = (uint64_t)cl->retrycount;
    else if (!cl->justid)
        e.count++;
    if ((rc = pel_put(s, st->txn, st->g.groupnum, id, &e)) != 0)
        return rc;
    return 1;
}

static int claim_begin(struct store *s, const struct store_claim *cl, struct claim_state *st)
{
    *st = (struct claim_state){ .s = s, .cl = cl };
    int rc = write_txn(s, &st->txn);
    if (rc == 0)
        rc = group_get(s, st->txn, cl->key, cl->group, &st->ki, &st->g);
    if (rc == 0)
        rc = name_ok(cl->consumer);
    return rc;
}

static int claim_end(struct claim_state *st)
{
    int rc = group_put(st->s, st->txn, st->ki.incarnation, st->cl->group, &st->g);
    if (rc == 0 && st->have_consumer)
        rc = cons_put(st->s, st->txn, st->g.groupnum, st->cl->consumer, &st->c);
    return rc;
}

static int push_id(struct store_id **ids, size_t *n, size_t *cap, struct store_id id)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        struct store_id *grown = realloc(*ids, c * sizeof(*grown));
        if (grown == NULL)
            return STORE_ERR_NOMEM;
        *ids = grown;
        *cap = c;
    }
    (*ids)[(*n)++] = id;
    return 0;
}

int store_claim(struct store *s, const struct store_claim *cl, const struct store_id *ids, size_t n,
                struct store_id **claimed, size_t *nclaimed)
{
    struct claim_state st;
    size_t cap = 0;
    *claimed = NULL;
    *nclaimed = 0;
    int rc = claim_begin(s, cl, &st);
    if (rc == 0 && cl->has_lastid && store_id_cmp(cl->lastid, st.g.last_id) > 0)
        st.g.last_id = cl->lastid; /* entries_read stays, as in Redis 7.0 */
    for (size_t i = 0; i < n && rc == 0; i++) {
        int r = claim_one(&st, ids[i], 0);
        if (r < 0)
            rc = r;
        else if (r == 1)
            rc = push_id(claimed, nclaimed, &cap, ids[i]);
    }
    if (rc == 0)
        rc = claim_end(&st);
    if (rc != 0) {
        free(*claimed);
        *claimed = NULL;
        *nclaimed = 0;
    }
    return store_rc(s, rc);
}

/* The first key of the group's PEL at or after `from`: 1 and *id, 0 when
 * none, or an error code. */
static int pel_next(struct store *s, MDB_txn *txn, uint64_t groupnum, struct store_id from, struct store_id *id)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->pel, &cur);
    if (rc != 0)
        return rc;
    unsigned char kb[PEL_KEY];
    MDB_val k = id_key(kb, groupnum, from), v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    int found = rc == 0 && k.mv_size == PEL_KEY && be64_get(k.mv_data) == groupnum;
    if (found)
        *id = id_of(&k);
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? found : rc;
}

int store_autoclaim(struct store *s, const struct store_claim *cl, struct store_id start, long long count,
                    struct store_autoclaim_result *out)
{
    struct claim_state st;
    size_t cap_c = 0, cap_d = 0;
    *out = (struct store_autoclaim_result){ 0 };
    int rc = claim_begin(s, cl, &st);
    long long attempts = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    struct store_id next = start, id;
    int more = 1;
    while (rc == 0 && attempts-- > 0 && count > 0) {
        int f = pel_next(s, st.txn, st.g.groupnum, next, &id);
        if (f <= 0) {
            rc = f;
            more = 0;
            break;
        }
        next = id;
        more = store_id_incr(&next) == 0;
        int r = claim_one(&st, id, 1);
        if (r < 0)
            rc = r;
        else if (r == 1)
            rc = push_id(&out->claimed, &out->nclaimed, &cap_c, id), count--;
        else if (r == 2)
            rc = push_id(&out->deleted, &out->ndeleted, &cap_d, id), count--;
        if (!more)
            break;
    }
    out->cursor = (struct store_id){ 0, 0 };
    if (rc == 0 && more) {
        int f = pel_next(s, st.txn, st.g.groupnum, next, &id);
        if (f < 0)
            rc = f;
        else if (f == 1)
            out->cursor = id;
    }
    if (rc == 0)
        rc = claim_end(&st);
    if (rc != 0) {
        free(out->claimed);
        free(out->deleted);
        *out = (struct store_autoclaim_result){ 0 };
    }
    return store_rc(s, rc);
}
