/* entries.c — the key view's entry index: which event each entry ID of a
 * key holds.
 *
 * entries (MDB_DUPSORT | MDB_DUPFIXED): be64 keynum -> 32-byte items
 *   be64 ms | be64 seq | be32 stream# | be48 offset | be48 node
 * sorted by ID (big-endian, so byte order is ID order). LMDB packs a key's
 * fixed-size duplicates without a per-row header, which is what keeps an
 * entry at 32 bytes on disk (schema 7; schema 6 had one 54-byte row each). */
#include "store.h"
#include "store_internal.h"

#include <string.h>

#define LIMIT48 (((uint64_t)1 << 48) - 1)

static void be48_put(unsigned char *p, uint64_t v)
{
    for (int i = 5; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t be48_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = (v << 8) | p[i];
    return v;
}

int store_entry_fits(const struct store_entry *e)
{
    return e->offset <= LIMIT48 && e->node <= LIMIT48;
}

void store_entry_encode(unsigned char *p, const struct store_entry *e)
{
    be64_put(p, e->id.ms);
    be64_put(p + 8, e->id.seq);
    be32_put(p + 16, e->stream);
    be48_put(p + 20, e->offset);
    be48_put(p + 26, e->node);
}

/* Decodes the item v (the cursor's current data) into *e. */
static int entry_decode(const MDB_val *v, struct store_entry *e)
{
    if (v->mv_size != STORE_ENTRY_ITEM)
        return STORE_ERR_CORRUPT;
    const unsigned char *p = v->mv_data;
    *e = (struct store_entry){ { be64_get(p), be64_get(p + 8) }, be32_get(p + 16), be48_get(p + 20),
                               be48_get(p + 26) };
    return 0;
}

int store_dup_seek(MDB_cursor *cur, MDB_val *key, MDB_val *data, int dir)
{
    MDB_val want = *data;
    int rc = mdb_cursor_get(cur, key, data, MDB_GET_BOTH_RANGE);
    if (dir > 0)
        return rc;
    if (rc == 0) {
        if (data->mv_size >= want.mv_size && memcmp(data->mv_data, want.mv_data, want.mv_size) == 0)
            return 0; /* want may be a prefix: an entry's ID */
        return mdb_cursor_get(cur, key, data, MDB_PREV_DUP);
    }
    if (rc != MDB_NOTFOUND) /* nothing at or after want: the key's last one, if the key exists */
        return rc;
    if ((rc = mdb_cursor_get(cur, key, data, MDB_SET_KEY)) != 0)
        return rc;
    return mdb_cursor_get(cur, key, data, MDB_LAST_DUP);
}

int store_entry_open(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_entry_cur *c)
{
    be64_put(c->kb, keynum);
    c->key = (MDB_val){ 8, c->kb };
    return mdb_cursor_open(txn, s->entries, &c->cur);
}

void store_entry_close(struct store_entry_cur *c)
{
    mdb_cursor_close(c->cur);
}

static int entry_result(int rc, const MDB_val *v, struct store_entry *e)
{
    return rc != 0 ? rc : entry_decode(v, e);
}

int store_entry_seek(struct store_entry_cur *c, struct store_id id, int dir, struct store_entry *e)
{
    unsigned char want[16];
    be64_put(want, id.ms);
    be64_put(want + 8, id.seq);
    MDB_val k = c->key, v = { sizeof(want), want };
    int rc = store_dup_seek(c->cur, &k, &v, dir);
    return entry_result(rc, &v, e);
}

int store_entry_step(struct store_entry_cur *c, int dir, struct store_entry *e)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, dir > 0 ? MDB_NEXT_DUP : MDB_PREV_DUP);
    return entry_result(rc, &v, e);
}

int store_entry_del(struct store_entry_cur *c)
{
    return mdb_cursor_del(c->cur, 0);
}

int store_entry_append(struct store *s, MDB_txn *txn, uint64_t keynum, const struct store_entry *e)
{
    if (!store_entry_fits(e))
        return STORE_ERR_ID_EXHAUSTED; /* 2^48 events in a stream, or nodes in a key */
    unsigned char kb[8], item[STORE_ENTRY_ITEM];
    be64_put(kb, keynum);
    store_entry_encode(item, e);
    MDB_val k = { 8, kb }, v = { STORE_ENTRY_ITEM, item };
    /* IDs only grow within a key: LMDB refuses an item that is not last */
    return store_turn_put(txn, s->entries, &s->wc_entries, &k, &v, MDB_APPENDDUP);
}

int store_entry_drop_key(struct store *s, MDB_txn *txn, uint64_t keynum)
{
    unsigned char kb[8];
    be64_put(kb, keynum);
    MDB_val k = { 8, kb };
    int rc = mdb_del(txn, s->entries, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}
