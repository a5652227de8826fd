#include "store.h"
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

/* The map is address space, not disk: the data file grows only as pages
 * are written. On 64-bit systems a 1 TiB map means the map never fills
 * before the disk does; 32-bit systems start small and grow (txn.c). */
#define STORE_INITIAL_MAP_BYTES (sizeof(size_t) >= 8 ? ((size_t)1 << 40) : ((size_t)64 << 20))

static const char META_NODE_ID[] = "node_id";
static const char META_SCHEMA[] = "schema_version";
static const char META_KEY_SECRET[] = "key_secret";

const char *store_strerror(int code)
{
    switch (code) {
    case 0: return "success";
    case STORE_ERR_LOCKED: return "data directory is in use by another swarmlog-server";
    case STORE_ERR_SCHEMA: return "data directory was written by a newer swarmlog (unknown schema version)";
    case STORE_ERR_CORRUPT: return "data directory metadata is malformed";
    case STORE_ERR_NOMEM: return "out of memory";
    case STORE_ERR_NOKEY: return "no such key";
    case STORE_ERR_ID_SMALL: return "The ID specified in XADD is equal or smaller than the target stream top item";
    case STORE_ERR_ID_ZERO: return "The ID specified in XADD must be greater than 0-0";
    case STORE_ERR_ID_EXHAUSTED: return "The stream has exhausted the last possible ID, unable to add more items";
    case STORE_ERR_SEQ_OVERFLOW: return "Elements are too large to be stored"; /* Redis's text */
    case STORE_ERR_FULL: return "the data directory's disk is full";
    case STORE_ERR_TOO_BIG: return "record too large for the store";
    case STORE_ERR_SETID_TOP: return "The ID specified in XSETID is smaller than the target stream top item";
    case STORE_ERR_SETID_ADDED: return "The entries_added specified in XSETID is smaller than the target stream length";
    case STORE_ERR_NOGROUP: return "-NOGROUP No such consumer group for this key";
    case STORE_ERR_BUSYGROUP: return "-BUSYGROUP Consumer Group name already exists";
    case STORE_ERR_NAME_LONG: return "consumer group and consumer names are limited to 400 bytes";
    case STORE_ERR_WRONGVERSION: return "-WRONGVERSION the key is not at the expected revision";
    case STORE_ERR_OWN_STREAM: return "an event of this node's own stream cannot be imported";
    case STORE_ERR_GAP: return "the event's offset leaves a gap in its stream";
    case STORE_ERR_CONFLICT: return "the event's offset already holds a different event";
    case STORE_ERR_BAD_TOMBSTONE: return "a $xdel or $del event whose payload is not (stream id, offset) pairs";
    case STORE_ERR_RECOVERING:
        return "-RECOVERING this node's own stream is behind its peers (restored from an older copy?): new events "
               "are refused until it has recovered them";
    case STORE_ERR_COLLISION: return "key name collides with another long key name (keyed 128-bit hash)";
    default:
        if (code < 0 && code > -4096)
            return mdb_strerror(-code); /* a negated errno */
        return mdb_strerror(code); /* LMDB codes and errno values */
    }
}

/* Takes an exclusive, non-blocking flock on <dir>/swarmlog.lock. Returns the
 * fd, or a negative store code / -errno-style positive code via *err. */
static int lock_dir(const char *dir, int *err)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/swarmlog.lock", dir) >= (int)sizeof(path)) {
        *err = ENAMETOOLONG;
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        *err = (errno == EWOULDBLOCK) ? STORE_ERR_LOCKED : errno;
        close(fd);
        return -1;
    }
    return fd;
}

/* Fills id with STORE_NODE_ID_LEN base62 characters from the kernel's CSPRNG
 * (rejection sampling keeps the distribution uniform). */
/* Fills buf with len bytes from the kernel's CSPRNG. */
static int random_bytes(unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n < 0 && errno != EINTR)
            return errno;
        if (n > 0)
            got += (size_t)n;
    }
    return 0;
}

static int make_node_id(char *id)
{
    static const char alphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t n = 0;
    while (n < STORE_NODE_ID_LEN) {
        unsigned char rnd[64];
        int rc = random_bytes(rnd, sizeof(rnd));
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < sizeof(rnd) && n < STORE_NODE_ID_LEN; i++)
            if (rnd[i] < 248) /* 248 = 4 * 62 */
                id[n++] = alphabet[rnd[i] % 62];
    }
    id[n] = '\0';
    return 0;
}

static int meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *val)
{
    MDB_val key = { strlen(name), (void *)name };
    return mdb_get(txn, dbi, &key, val);
}

static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, const void *data, size_t len)
{
    MDB_val key = { strlen(name), (void *)name };
    MDB_val val = { len, (void *)data };
    return mdb_put(txn, dbi, &key, &val, 0);
}

/* Loads the secret that names long keys, making it on first use. */
static int load_key_secret(struct store *s, MDB_txn *txn)
{
    MDB_val val;
    int rc = meta_get(txn, s->meta, META_KEY_SECRET, &val);
    if (rc == MDB_NOTFOUND) {
        if ((rc = random_bytes(s->key_secret, sizeof(s->key_secret))) != 0)
            return rc;
        return meta_put(txn, s->meta, META_KEY_SECRET, s->key_secret, sizeof(s->key_secret));
    }
    if (rc == 0 && val.mv_size != sizeof(s->key_secret))
        rc = STORE_ERR_CORRUPT;
    if (rc == 0)
        memcpy(s->key_secret, val.mv_data, sizeof(s->key_secret));
    return rc;
}

static int put_schema(struct store *s, MDB_txn *txn)
{
    uint32_t v = STORE_SCHEMA_VERSION;
    unsigned char be[4] = { v >> 24, v >> 16, v >> 8, v };
    return meta_put(txn, s->meta, META_SCHEMA, be, 4);
}

/* Moves the rows of a schema-6 table (a row per entry / tag / type event:
 * key = name | 12-byte position, or keynum | ID -> position | node) into
 * its schema-7 table of sorted duplicates, and drops it. */
static int table_to_dups(MDB_txn *txn, const char *old_name, MDB_dbi to, int entries)
{
    MDB_dbi old;
    MDB_cursor *cur, *out;
    int rc = mdb_dbi_open(txn, old_name, 0, &old);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? 0 : rc;
    if ((rc = mdb_cursor_open(txn, old, &cur)) != 0)
        return rc;
    if ((rc = mdb_cursor_open(txn, to, &out)) != 0) {
        mdb_cursor_close(cur);
        return rc;
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *p = k.mv_data;
        unsigned char item[STORE_ENTRY_ITEM];
        MDB_val nk, nv;
        if (entries) {
            const unsigned char *q = v.mv_data;
            if (k.mv_size != 24 || v.mv_size != 20) {
                rc = STORE_ERR_CORRUPT;
                break;
            }
            struct store_entry e = { { be64_get(p + 8), be64_get(p + 16) }, be32_get(q), be64_get(q + 4),
                                     be64_get(q + 12) };
            if (!store_entry_fits(&e)) {
                rc = STORE_ERR_CORRUPT;
                break;
            }
            store_entry_encode(item, &e);
            nk = (MDB_val){ 8, k.mv_data };
            nv = (MDB_val){ STORE_ENTRY_ITEM, item };
        } else {
            if (k.mv_size < 13) {
                rc = STORE_ERR_CORRUPT;
                break;
            }
            nk = (MDB_val){ k.mv_size - 12, k.mv_data };
            nv = (MDB_val){ 12, (unsigned char *)k.mv_data + k.mv_size - 12 };
        }
        if ((rc = mdb_cursor_put(out, &nk, &nv, MDB_APPENDDUP)) != 0)
            break; /* rows come in order: each item is its key's last */
    }
    mdb_cursor_close(cur);
    mdb_cursor_close(out);
    if (rc != MDB_NOTFOUND)
        return rc;
    return mdb_drop(txn, old, 1);
}

static int indexes_to_dups(struct store *s, MDB_txn *txn)
{
    int rc = table_to_dups(txn, "entries", s->entries, 1);
    if (rc == 0)
        rc = table_to_dups(txn, "tags", s->tags, 0);
    if (rc == 0)
        rc = table_to_dups(txn, "types", s->types, 0);
    return rc;
}

/* Reads or creates the node identity and checks the schema version, all in
 * one write transaction so a first start is atomic. */
static int init_meta(struct store *s)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc != 0)
        return rc;
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) != 0 ||
        (rc = mdb_dbi_open(txn, "streams", MDB_CREATE, &s->streams)) != 0 ||
        (rc = mdb_dbi_open(txn, "stream_nums", MDB_CREATE, &s->stream_nums)) != 0 ||
        (rc = mdb_dbi_open(txn, "events", MDB_CREATE, &s->events)) != 0 ||
        (rc = mdb_dbi_open(txn, "keys", MDB_CREATE, &s->keys)) != 0 ||
        (rc = mdb_dbi_open(txn, "entry_index", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &s->entries)) != 0 ||
        (rc = mdb_dbi_open(txn, "nodes", MDB_CREATE, &s->nodes)) != 0 ||
        (rc = mdb_dbi_open(txn, "scan", MDB_CREATE, &s->scan)) != 0 ||
        (rc = mdb_dbi_open(txn, "groups", MDB_CREATE, &s->groups)) != 0 ||
        (rc = mdb_dbi_open(txn, "consumers", MDB_CREATE, &s->consumers)) != 0 ||
        (rc = mdb_dbi_open(txn, "cnames", MDB_CREATE, &s->cnames)) != 0 ||
        (rc = mdb_dbi_open(txn, "pel", MDB_CREATE, &s->pel)) != 0 ||
        (rc = mdb_dbi_open(txn, "cpel", MDB_CREATE, &s->cpel)) != 0 ||
        (rc = mdb_dbi_open(txn, "tag_index", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &s->tags)) != 0 ||
        (rc = mdb_dbi_open(txn, "type_index", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &s->types)) != 0 ||
        (rc = mdb_dbi_open(txn, "eventids", MDB_CREATE, &s->eventids)) != 0 ||
        (rc = mdb_dbi_open(txn, "gone", MDB_CREATE, &s->gone)) != 0)
        goto fail;

    MDB_val val;
    rc = meta_get(txn, s->meta, META_SCHEMA, &val);
    if (rc == MDB_NOTFOUND) {
        if ((rc = make_node_id(s->node_id)) != 0 || (rc = put_schema(s, txn)) != 0 ||
            (rc = meta_put(txn, s->meta, META_NODE_ID, s->node_id, STORE_NODE_ID_LEN)) != 0 ||
            (rc = load_key_secret(s, txn)) != 0 || (rc = store_log_load(s, txn)) != 0)
            goto fail;
        return mdb_txn_commit(txn);
    }
    if (rc != 0)
        goto fail;
    if (val.mv_size != 4) {
        rc = STORE_ERR_CORRUPT;
        goto fail;
    }
    const unsigned char *b = val.mv_data;
    uint32_t version = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    if (version > STORE_SCHEMA_VERSION) {
        rc = STORE_ERR_SCHEMA;
        goto fail;
    }
    if ((rc = load_key_secret(s, txn)) != 0)
        goto fail;
    if ((version < 7 && (rc = store_keys_upgrade(s, txn)) != 0) ||      /* 6: no tail figures */
        (version < 2 && (rc = store_scan_index_build(s, txn)) != 0) || /* 1: no SCAN index */
        (version < 3 && (rc = store_log_upgrade(s, txn)) != 0) ||          /* 2: stored heads */
        (version < 5 && (rc = store_log_index_build(s, txn)) != 0) ||      /* 4: no tag index */
        (version < 7 && (rc = indexes_to_dups(s, txn)) != 0) ||             /* 6: a row per item */
        (version < STORE_SCHEMA_VERSION && (rc = put_schema(s, txn)) != 0))
        goto fail;
    if ((rc = meta_get(txn, s->meta, META_NODE_ID, &val)) != 0)
        goto fail;
    if (val.mv_size != STORE_NODE_ID_LEN) {
        rc = STORE_ERR_CORRUPT;
        goto fail;
    }
    memcpy(s->node_id, val.mv_data, STORE_NODE_ID_LEN);
    s->node_id[STORE_NODE_ID_LEN] = '\0';
    if ((rc = store_log_load(s, txn)) != 0)
        goto fail;
    MDB_stat gone;
    if ((rc = mdb_stat(txn, s->gone, &gone)) != 0)
        goto fail;
    s->gone_maybe = gone.ms_entries > 0;
    return mdb_txn_commit(txn);
fail:
    mdb_txn_abort(txn);
    return rc;
}

int store_open(struct store **out, const char *dir)
{
    return store_open_sized(out, dir, 0);
}

int store_open_sized(struct store **out, const char *dir, size_t initial_map)
{
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return STORE_ERR_NOMEM;
    int rc = 0;
    s->lock_fd = lock_dir(dir, &rc);
    if (s->lock_fd < 0)
        goto fail;
    if ((rc = mdb_env_create(&s->env)) != 0)
        goto fail;
    if ((rc = mdb_env_set_maxdbs(s->env, 32)) != 0 ||
        (rc = mdb_env_set_mapsize(s->env, initial_map ? initial_map : STORE_INITIAL_MAP_BYTES)) != 0 ||
        (rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0 ||
        (rc = init_meta(s)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return rc;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    if (s->turn != NULL)
        mdb_txn_abort(s->turn);
    if (s->rtxn != NULL)
        mdb_txn_abort(s->rtxn);
    if (s->env != NULL)
        mdb_env_close(s->env);
    if (s->lock_fd > 0)
        close(s->lock_fd);
    free(s);
}

const char *store_node_id(const struct store *s)
{
    return s->node_id;
}

const char *store_own_stream(const struct store *s)
{
    return s->own_name;
}

int store_db_count(struct store *s, MDB_dbi dbi, uint64_t *out)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    MDB_stat st;
    rc = mdb_stat(txn, dbi, &st);
    store_read_end(s, txn, own);
    if (rc == 0)
        *out = st.ms_entries;
    return rc;
}

int store_key_count(struct store *s, uint64_t *out)
{
    return store_db_count(s, s->keys, out);
}

int store_usage(struct store *s, uint64_t *used_bytes, uint64_t *map_bytes)
{
    MDB_envinfo info;
    MDB_stat st;
    int rc = mdb_env_info(s->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(s->env, &st);
    if (rc != 0)
        return rc;
    *used_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    *map_bytes = info.me_mapsize;
    return 0;
}
