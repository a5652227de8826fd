/* txn.c — the write path: one write transaction per loop turn (group
 * commit), a nested transaction per command so one failing command never
 * takes the others of its turn with it, durability modes, and growing the
 * map when a command reaches its end. */
#include "store.h"
#include "store_internal.h"

#include <errno.h>

MDB_txn *store_txn(struct store *s)
{
    return s->cmd ? s->cmd : s->turn;
}

int store_read_txn(struct store *s, MDB_txn **txn, int *own)
{
    *txn = store_txn(s);
    *own = *txn == NULL;
    if (*own)
        return mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    return 0;
}

int store_rc(struct store *s, int rc)
{
    if (rc == MDB_MAP_FULL)
        s->map_full = 1;
    if (rc == ENOSPC)
        return STORE_ERR_FULL;
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
    return store_rc(s, mdb_env_sync(s->env, 1));
}

/* Doubles the map while it is more than half used. Only possible with no
 * transaction open, i.e. at the start of a turn: growing there means a
 * turn's own commit never runs out of map. */
static int grow_ahead(struct store *s)
{
    uint64_t used, map;
    int rc = store_usage(s, &used, &map);
    if (rc != 0)
        return rc;
    if (used <= map / 2)
        return 0;
    while (used > map / 2 && map * 2 > map)
        map *= 2;
    return mdb_env_set_mapsize(s->env, (size_t)map);
}

int store_cmd_begin(struct store *s)
{
    int rc;
    s->map_full = 0;
    if (s->turn == NULL) {
        if ((rc = grow_ahead(s)) != 0)
            return store_rc(s, rc);
        if ((rc = mdb_txn_begin(s->env, NULL, 0, &s->turn)) != 0)
            return store_rc(s, rc);
        s->turn_dirty = 0;
    }
    rc = mdb_txn_begin(s->env, s->turn, 0, &s->cmd);
    if (rc != 0)
        s->cmd = NULL;
    return store_rc(s, rc);
}

int store_cmd_commit(struct store *s)
{
    if (s->cmd == NULL)
        return 0;
    int rc = mdb_txn_commit(s->cmd);
    s->cmd = NULL;
    if (rc == 0)
        s->turn_dirty = 1;
    else
        store_log_load(s, s->turn); /* the command's clock/offset moves are gone */
    return store_rc(s, rc);
}

void store_cmd_abort(struct store *s)
{
    if (s->cmd == NULL)
        return;
    mdb_txn_abort(s->cmd);
    s->cmd = NULL;
    store_log_load(s, s->turn);
}

int store_cmd_map_full(const struct store *s)
{
    return s->map_full;
}

int store_turn_commit(struct store *s)
{
    if (s->cmd != NULL)
        store_cmd_abort(s);
    if (s->turn == NULL)
        return 0;
    int rc = 0;
    if (s->turn_dirty)
        rc = mdb_txn_commit(s->turn);
    else
        mdb_txn_abort(s->turn);
    s->turn = NULL;
    s->turn_dirty = 0;
    if (rc != 0) {
        /* Nothing of the turn is stored: reload the log head from disk. */
        MDB_txn *txn;
        if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == 0) {
            store_log_load(s, txn);
            mdb_txn_abort(txn);
        }
    }
    return store_rc(s, rc);
}

int store_turn_dirty(const struct store *s)
{
    return s->turn_dirty;
}

int store_grow(struct store *s)
{
    int rc = store_turn_commit(s);
    if (rc != 0)
        return rc;
    MDB_envinfo info;
    if ((rc = mdb_env_info(s->env, &info)) != 0)
        return rc;
    size_t want = info.me_mapsize * 2;
    if (want < info.me_mapsize)
        return STORE_ERR_FULL;
    rc = mdb_env_set_mapsize(s->env, want);
    s->map_full = 0;
    return store_rc(s, rc);
}
