/* txn.c — the write path: one LMDB write transaction per loop turn (group
 * commit) and the durability modes.
 *
 * Commands write straight into the turn's transaction. Every write command
 * checks its input before its first write, so a command that answers an
 * error has stored nothing; an LMDB error in the middle of a write (disk or
 * map full, corruption) fails the whole turn: store_turn_commit() then
 * aborts it and reports the error, and the server turns every reply of the
 * turn into that error. (A nested transaction per command would contain
 * such a failure to one command, but costs LMDB a 2 MB dirty list and a copy
 * of every page it touches — most of the CPU time of an XADD.) */
#include "store.h"
#include "store_internal.h"

#include <errno.h>

MDB_txn *store_txn(struct store *s)
{
    return s->turn;
}

MDB_cursor *store_turn_cursor(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **slot)
{
    if (*slot == NULL && mdb_cursor_open(txn, dbi, slot) != 0)
        *slot = NULL;
    return *slot;
}

int store_turn_put(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **slot, MDB_val *k, MDB_val *v, unsigned flags)
{
    MDB_cursor *cur = store_turn_cursor(txn, dbi, slot);
    return cur != NULL ? mdb_cursor_put(cur, k, v, flags) : mdb_put(txn, dbi, k, v, flags);
}

int store_read_txn(struct store *s, MDB_txn **txn, int *own)
{
    *own = 0;
    if ((*txn = s->turn) != NULL)
        return 0;
    if (s->rtxn_live) { /* a read inside a read */
        *txn = s->rtxn;
        return 0;
    }
    /* one read-only handle, reset after each read and renewed for the
     * next: no allocation and no reader-slot search per read */
    int rc = s->rtxn != NULL ? mdb_txn_renew(s->rtxn) : mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn);
    if (rc != 0) {
        if (s->rtxn != NULL)
            mdb_txn_abort(s->rtxn);
        s->rtxn = NULL;
        return rc;
    }
    s->rtxn_live = 1;
    *txn = s->rtxn;
    *own = 1;
    return 0;
}

void store_read_end(struct store *s, MDB_txn *txn, int own)
{
    if (!own)
        return;
    mdb_txn_reset(txn);
    s->rtxn_live = 0;
}

/* Errors that mean "bad input, nothing written"; any other failure inside
 * an open turn may have left partial writes behind. */
static int is_input_error(int rc)
{
    return rc == 0 || rc == MDB_NOTFOUND || rc == STORE_ERR_NOKEY || rc == STORE_ERR_ID_SMALL ||
           rc == STORE_ERR_ID_ZERO || rc == STORE_ERR_ID_EXHAUSTED || rc == STORE_ERR_SEQ_OVERFLOW ||
           rc == STORE_ERR_SETID_TOP || rc == STORE_ERR_SETID_ADDED || rc == STORE_ERR_NOGROUP ||
           rc == STORE_ERR_BUSYGROUP || rc == STORE_ERR_NAME_LONG || rc == STORE_ERR_WRONGVERSION ||
           rc == STORE_ERR_OWN_STREAM || rc == STORE_ERR_GAP || rc == STORE_ERR_CONFLICT ||
           rc == STORE_ERR_RECOVERING || rc == STORE_ERR_BAD_TOMBSTONE;
}

int store_rc(struct store *s, int rc)
{
    if (rc == ENOSPC)
        rc = STORE_ERR_FULL;
    if (s->turn != NULL && !is_input_error(rc) && s->turn_failed == 0)
        s->turn_failed = rc;
    return rc;
}

int store_set_durability(struct store *s, enum store_durability d)
{
    int rc = mdb_env_set_flags(s->env, MDB_NOSYNC, d != STORE_DURABILITY_STRICT);
    if (rc == 0)
        s->durability = d;
    return rc;
}

int store_sync(struct store *s)
{
    int rc = mdb_env_sync(s->env, 1);
    return rc == ENOSPC ? STORE_ERR_FULL : rc;
}

/* Doubles the map while it is more than half used or has less than
 * GROW_HEADROOM free (a turn that touches every sub-database copies a page
 * of each). Only possible with no transaction open, i.e. at the start of a
 * turn: growing there means a turn's own writes and commit never run out of
 * map (on 64-bit systems the 1 TiB map makes this moot; 32-bit ones start
 * small). */
#define GROW_HEADROOM (1u << 20)

static int grow_ahead(struct store *s)
{
    uint64_t used, map;
    int rc = store_usage(s, &used, &map);
    if (rc != 0)
        return rc;
    if (used <= map / 2 && map - used >= GROW_HEADROOM)
        return 0;
    while ((used > map / 2 || map - used < GROW_HEADROOM) && map * 2 > map)
        map *= 2;
    return mdb_env_set_mapsize(s->env, (size_t)map);
}

int store_cmd_begin(struct store *s)
{
    if (s->turn != NULL)
        return s->turn_failed;
    int rc = grow_ahead(s);
    if (rc == 0)
        rc = mdb_txn_begin(s->env, NULL, 0, &s->turn);
    if (rc != 0) {
        s->turn = NULL;
        return rc == ENOSPC ? STORE_ERR_FULL : rc;
    }
    s->turn_dirty = 0;
    s->turn_failed = 0;
    return 0;
}

int store_cmd_end(struct store *s)
{
    if (s->turn == NULL)
        return 0;
    s->turn_dirty = 1;
    return s->turn_failed;
}

static void reload_head(struct store *s)
{
    MDB_txn *txn;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == 0) {
        store_log_load(s, txn);
        mdb_txn_abort(txn);
    }
}

int store_turn_commit(struct store *s)
{
    if (s->turn == NULL)
        return 0;
    int rc = s->turn_failed;
    if (rc != 0)
        mdb_txn_abort(s->turn);
    else if (s->turn_dirty)
        rc = mdb_txn_commit(s->turn);
    else
        mdb_txn_abort(s->turn);
    s->turn = NULL;
    s->turn_dirty = 0;
    s->turn_failed = 0;
    s->nslots = 0;
    s->wc_events = s->wc_entries = s->wc_tags = s->wc_types = NULL; /* freed with the transaction */
    if (rc != 0)
        reload_head(s); /* nothing of the turn is stored */
    return rc == ENOSPC ? STORE_ERR_FULL : rc;
}

int store_turn_dirty(const struct store *s)
{
    return s->turn_dirty;
}
