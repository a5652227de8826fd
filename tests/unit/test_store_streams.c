/* Unit tests of the store's event log and stream views: transactions (group
 * commit, nested command transactions), gapless offsets, the Lamport clock,
 * trimming by Redis's node rules, and growing the map. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "store.h"

static char dir[64];
static struct store *st;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/swarmlog-streams-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(store_open(&st, dir), 0);
}

static void teardown(void)
{
    store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(streams, .init = setup, .fini = teardown);

static struct store_bytes B(const char *s)
{
    return (struct store_bytes){ s, strlen(s) };
}

/* XADD key <ms>-<seq> f v inside its own command transaction. */
static int add(const char *key, uint64_t ms, uint64_t seq, const char *value)
{
    struct store_bytes fields[2] = { B("f"), B(value) };
    struct store_xadd_req req = { .key = B(key), .id_mode = STORE_ID_EXPLICIT, .id = { ms, seq },
                                  .fields = fields, .nfields = 2, .trim = { .limit = -1 } };
    struct store_id id;
    int rc = store_cmd_begin(st);
    if (rc == 0)
        rc = store_xadd(st, &req, &id);
    int end = store_cmd_end(st);
    return rc ? rc : end;
}

static int count_entry(void *ctx, struct store_id id, const struct store_bytes *f, size_t n)
{
    (void)id;
    cr_assert_eq(n, 2);
    cr_assert_eq(f[0].len, 1);
    (*(long long *)ctx)++;
    return 0;
}

static long long count(const char *key)
{
    long long n = 0;
    long long visited = store_range(st, B(key), (struct store_id){ 0, 0 },
                                    (struct store_id){ UINT64_MAX, UINT64_MAX }, 0, -1, count_entry, &n);
    cr_assert_eq(visited, n);
    return n;
}

Test(streams, offsets_are_gapless_and_lamport_advances_per_event)
{
    uint64_t off0, lam0, off, lam;
    store_log_head(st, &off0, &lam0);
    for (int i = 1; i <= 5; i++)
        cr_assert_eq(add("k", (uint64_t)i, 0, "v"), 0);
    cr_assert_eq(store_turn_commit(st), 0);
    store_log_head(st, &off, &lam);
    cr_assert_eq(off, off0 + 5);
    cr_assert_eq(lam, lam0 + 5);
}

Test(streams, a_failed_command_leaves_no_trace_and_no_gap)
{
    uint64_t off0, lam0, off, lam;
    cr_assert_eq(add("k", 5, 0, "v"), 0);
    store_log_head(st, &off0, &lam0);
    cr_assert_eq(add("k", 5, 0, "v"), STORE_ERR_ID_SMALL);
    cr_assert_eq(add("k", 0, 0, "v"), STORE_ERR_ID_SMALL);
    store_log_head(st, &off, &lam);
    cr_assert_eq(off, off0);
    cr_assert_eq(lam, lam0);
    cr_assert_eq(add("k", 6, 0, "v"), 0);
    cr_assert_eq(store_turn_commit(st), 0);
    cr_assert_eq(count("k"), 2);
}

Test(streams, input_errors_write_nothing_and_keep_the_turn)
{
    cr_assert_eq(add("a", 1, 0, "v"), 0);
    cr_assert_eq(add("a", 1, 0, "v"), STORE_ERR_ID_SMALL);
    struct store_bytes f[2] = { B("f"), B("v") };
    struct store_xadd_req req = { .key = B("missing"), .nomkstream = 1, .id_mode = STORE_ID_AUTO,
                                  .fields = f, .nfields = 2, .trim = { .limit = -1 } };
    struct store_id id;
    cr_assert_eq(store_cmd_begin(st), 0);
    cr_assert_eq(store_xadd(st, &req, &id), STORE_ERR_NOKEY);
    cr_assert_eq(store_cmd_end(st), 0);
    cr_assert_eq(store_turn_commit(st), 0);
    cr_assert_eq(count("a"), 1);
    cr_assert_eq(store_exists(st, B("missing")), 0);
}

Test(streams, reads_see_the_open_turn_and_commits_survive_reopen)
{
    cr_assert_eq(add("k", 1, 1, "one"), 0);
    cr_assert_eq(count("k"), 1, "the turn's own writes are visible before commit");
    cr_assert(store_turn_dirty(st));
    cr_assert_eq(store_turn_commit(st), 0);
    uint64_t off, lam;
    store_log_head(st, &off, &lam);
    store_close(st);
    cr_assert_eq(store_open(&st, dir), 0);
    cr_assert_eq(count("k"), 1);
    uint64_t off2, lam2;
    store_log_head(st, &off2, &lam2);
    cr_assert_eq(off2, off);
    cr_assert_eq(lam2, lam);
}

Test(streams, uncommitted_turn_is_lost_on_close)
{
    cr_assert_eq(add("k", 1, 1, "one"), 0);
    store_close(st); /* no store_turn_commit: like a crash before the commit */
    cr_assert_eq(store_open(&st, dir), 0);
    cr_assert_eq(store_exists(st, B("k")), 0);
}

Test(streams, approximate_trim_removes_whole_100_entry_nodes)
{
    for (uint64_t i = 1; i <= 250; i++)
        cr_assert_eq(add("t", i, 0, "v"), 0);
    struct store_trim_spec spec = { .strategy = STORE_TRIM_MAXLEN, .approx = 1, .maxlen = 100, .limit = -1 };
    uint64_t removed = 0;
    cr_assert_eq(store_cmd_begin(st), 0);
    cr_assert_eq(store_xtrim(st, B("t"), &spec, &removed), 0);
    cr_assert_eq(store_cmd_end(st), 0);
    cr_assert_eq(removed, 100, "only the first node can go without dropping below 100");
    cr_assert_eq(count("t"), 150);
}

Test(streams, exact_trim_and_xdel_track_length_and_max_deleted)
{
    for (uint64_t i = 1; i <= 10; i++)
        cr_assert_eq(add("t", i, 0, "v"), 0);
    struct store_trim_spec spec = { .strategy = STORE_TRIM_MAXLEN, .maxlen = 7, .limit = -1 };
    uint64_t removed = 0, deleted = 0;
    struct store_id ids[2] = { { 9, 0 }, { 42, 0 } };
    cr_assert_eq(store_cmd_begin(st), 0);
    cr_assert_eq(store_xtrim(st, B("t"), &spec, &removed), 0);
    cr_assert_eq(store_xdel(st, B("t"), ids, 2, &deleted), 0);
    cr_assert_eq(store_cmd_end(st), 0);
    cr_assert_eq(removed, 3);
    cr_assert_eq(deleted, 1);
    struct store_key_info info;
    cr_assert_eq(store_key_info(st, B("t"), &info), 0);
    cr_assert_eq(info.length, 6);
    cr_assert_eq(info.entries_added, 10);
    cr_assert_eq(info.first_id.ms, 4);
    cr_assert_eq(info.max_deleted_id.ms, 9);
    cr_assert_eq(info.last_id.ms, 10);
}

Test(streams, del_removes_the_key_and_empty_names_work)
{
    cr_assert_eq(add("", 1, 0, "v"), 0);
    cr_assert_eq(add("x", 1, 0, "v"), 0);
    uint64_t keys = 0;
    cr_assert_eq(store_key_count(st, &keys), 0);
    cr_assert_eq(keys, 2);
    cr_assert_eq(store_cmd_begin(st), 0);
    cr_assert_eq(store_del(st, B("")), 1);
    cr_assert_eq(store_del(st, B("nope")), 0);
    cr_assert_eq(store_cmd_end(st), 0);
    cr_assert_eq(store_exists(st, B("")), 0);
    cr_assert_eq(store_key_count(st, &keys), 0);
    cr_assert_eq(keys, 1);
}

Test(streams, map_grows_ahead_of_the_data)
{
    store_close(st);
    cr_assert_eq(store_open_sized(&st, dir, 256 * 1024), 0);
    char value[2048];
    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    uint64_t used = 0, map0 = 0, map = 0;
    cr_assert_eq(store_usage(st, &used, &map0), 0);
    for (uint64_t i = 1; i <= 400; i++) {
        /* One command per turn, as the server's loop does. */
        int rc = add("big", i, 0, value);
        cr_assert_eq(rc, 0, "entry %llu: %s", (unsigned long long)i, store_strerror(rc));
        cr_assert_eq(store_turn_commit(st), 0);
    }
    cr_assert_eq(store_usage(st, &used, &map), 0);
    cr_assert_gt(map, map0, "the map grew (%llu -> %llu)", (unsigned long long)map0, (unsigned long long)map);
    cr_assert_gt(used, 256 * 1024);
    store_close(st);
    cr_assert_eq(store_open(&st, dir), 0);
    cr_assert_eq(count("big"), 400);
}

Test(streams, a_failure_mid_turn_fails_the_whole_turn_and_stores_nothing)
{
    store_close(st);
    cr_assert_eq(store_open_sized(&st, dir, 64 * 1024), 0);
    char value[4096];
    memset(value, 'y', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    int rc = 0;
    uint64_t i;
    /* Everything in one turn: sooner or later a command meets the map end. */
    for (i = 1; i <= 1000 && (rc = add("big", i, 0, value)) == 0; i++)
        ;
    cr_assert_neq(rc, 0);
    cr_assert_neq(store_cmd_begin(st), 0, "a failed turn refuses further commands");
    cr_assert_neq(store_turn_commit(st), 0);
    cr_assert_eq(store_exists(st, B("big")), 0, "nothing of the failed turn is stored");
    uint64_t off, lam;
    store_log_head(st, &off, &lam);
    cr_assert_eq(off, 0, "no offset was consumed");
    cr_assert_eq(add("after", 1, 0, "v"), 0, "the next turn works");
    cr_assert_eq(store_turn_commit(st), 0);
}

Test(streams, long_keys_sharing_a_prefix_stay_distinct_across_reopen)
{
    size_t lens[] = { 481, 1000, 100000 };
    char *names[3][2];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            names[i][j] = malloc(lens[i] + 1);
            memset(names[i][j], 'p', lens[i]);
            names[i][j][lens[i] - 1] = (char)('a' + j); /* differ only in the last byte */
            names[i][j][lens[i]] = '\0';
            cr_assert_eq(add(names[i][j], 1, (uint64_t)j + 1, "v"), 0);
        }
    cr_assert_eq(store_turn_commit(st), 0);
    store_close(st);
    cr_assert_eq(store_open(&st, dir), 0);
    uint64_t keys = 0;
    cr_assert_eq(store_key_count(st, &keys), 0);
    cr_assert_eq(keys, 6);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            struct store_key_info info;
            cr_assert_eq(store_key_info(st, B(names[i][j]), &info), 0);
            cr_assert_eq(info.last_id.seq, (uint64_t)j + 1, "key %d/%d", i, j);
            cr_assert_eq(count(names[i][j]), 1);
            free(names[i][j]);
        }
}

struct scan_seen {
    int times[400];
};

static int scan_note(void *ctx, struct store_bytes key)
{
    struct scan_seen *s = ctx;
    char name[16];
    int i;
    cr_assert(key.len < sizeof(name));
    memcpy(name, key.ptr, key.len);
    name[key.len] = '\0';
    cr_assert_eq(sscanf(name, "s%d", &i), 1);
    cr_assert(i >= 0 && i < 400);
    s->times[i]++;
    return 0;
}

static void make_keys(int from, int to)
{
    char name[16];
    for (int i = from; i < to; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        cr_assert_eq(add(name, 1, 1, "v"), 0);
    }
    cr_assert_eq(store_turn_commit(st), 0);
}

static void del_key(int i)
{
    char name[16];
    snprintf(name, sizeof(name), "s%d", i);
    cr_assert_eq(store_cmd_begin(st), 0);
    cr_assert_eq(store_del(st, B(name)), 1);
    cr_assert_eq(store_cmd_end(st), 0);
}

Test(streams, scan_returns_each_surviving_key_once_whatever_is_deleted_or_added)
{
    make_keys(0, 200);
    struct scan_seen seen = { { 0 } };
    uint64_t cursor = 0;
    int calls = 0;
    do {
        cr_assert_eq(store_scan(st, cursor, 7, scan_note, &seen, &cursor), 0);
        if (++calls == 3) {
            for (int i = 0; i < 200; i += 2)
                del_key(i); /* half of the keys, returned ones and ones ahead */
            make_keys(200, 260);
        }
        cr_assert(calls < 1000);
    } while (cursor != 0);
    for (int i = 1; i < 200; i += 2)
        cr_assert_eq(seen.times[i], 1, "s%d returned %d times", i, seen.times[i]);
    for (int i = 0; i < 260; i++)
        cr_assert(seen.times[i] <= 1);
    /* a cursor past the end, and an empty store, finish at once */
    cr_assert_eq(store_scan(st, UINT64_MAX, 10, scan_note, &seen, &cursor), 0);
    cr_assert_eq(cursor, 0);
}

Test(streams, a_schema_1_store_gets_its_scan_index_on_open)
{
    make_keys(0, 50);
    store_close(st);
    /* Make it look as written by schema 1: no scan index. */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, scan;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 32), 0);
    cr_assert_eq(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    cr_assert_eq(mdb_dbi_open(txn, "scan", 0, &scan), 0);
    cr_assert_eq(mdb_drop(txn, scan, 1), 0);
    unsigned char v1[4] = { 0, 0, 0, 1 };
    MDB_val k = { strlen("schema_version"), "schema_version" }, v = { 4, v1 };
    cr_assert_eq(mdb_put(txn, meta, &k, &v, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    cr_assert_eq(store_open(&st, dir), 0);
    struct scan_seen seen = { { 0 } };
    uint64_t cursor = 0;
    do
        cr_assert_eq(store_scan(st, cursor, 1000, scan_note, &seen, &cursor), 0);
    while (cursor != 0);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(seen.times[i], 1);
}

Test(streams, a_schema_2_store_drops_its_stored_heads_and_lamport_index_on_open)
{
    make_keys(0, 50);
    uint64_t off, lam;
    store_log_head(st, &off, &lam);
    cr_assert_eq(off, 50);
    store_close(st);
    /* Rewrite it as schema 2 had it: heads stored (deliberately stale, to
     * show they are not trusted), a by_lamport index. */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, streams, bylam;
    MDB_cursor *cur;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 32), 0);
    cr_assert_eq(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    cr_assert_eq(mdb_dbi_open(txn, "streams", 0, &streams), 0);
    cr_assert_eq(mdb_dbi_open(txn, "by_lamport", MDB_CREATE, &bylam), 0);
    cr_assert_eq(mdb_cursor_open(txn, streams, &cur), 0);
    MDB_val k, v;
    cr_assert_eq(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
    unsigned char rec[12] = { 0 };
    memcpy(rec, v.mv_data, 4);
    rec[11] = 7; /* next offset 7 */
    MDB_val nv = { 12, rec };
    cr_assert_eq(mdb_cursor_put(cur, &k, &nv, MDB_CURRENT), 0);
    mdb_cursor_close(cur);
    unsigned char lam3[8] = { 0, 0, 0, 0, 0, 0, 0, 3 }, v2[4] = { 0, 0, 0, 2 }, row[20] = { 0 };
    MDB_val lk = { 7, "lamport" }, lv = { 8, lam3 }, sk = { strlen("schema_version"), "schema_version" },
            sv = { 4, v2 }, rk = { 20, row }, empty = { 0, NULL };
    cr_assert_eq(mdb_put(txn, meta, &lk, &lv, 0), 0);
    cr_assert_eq(mdb_put(txn, meta, &sk, &sv, 0), 0);
    cr_assert_eq(mdb_put(txn, bylam, &rk, &empty, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    cr_assert_eq(store_open(&st, dir), 0);
    store_log_head(st, &off, &lam);
    cr_assert_eq(off, 50, "the next offset follows the last event, not the stale head");
    cr_assert_eq(lam, 50);
    make_keys(50, 51);
    store_log_head(st, &off, &lam);
    cr_assert_eq(off, 51);
    cr_assert_eq(lam, 51);
    store_close(st);
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 32), 0);
    cr_assert_eq(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "by_lamport", 0, &bylam), MDB_NOTFOUND, "by_lamport is gone");
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    cr_assert_eq(mdb_get(txn, meta, &lk, &lv), MDB_NOTFOUND, "the stored clock is gone");
    cr_assert_eq(mdb_get(txn, meta, &sk, &sv), 0);
    cr_assert_eq(((unsigned char *)sv.mv_data)[3], STORE_SCHEMA_VERSION);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    cr_assert_eq(store_open(&st, dir), 0);
}

/* ---- the entry index against a model (sorted duplicates, schema 7) ---- */

#define MODEL_KEYS 3
#define MODEL_MAX 400

struct model {
    struct store_id ids[MODEL_KEYS][MODEL_MAX];
    int n[MODEL_KEYS];
};

struct collect {
    struct store_id ids[MODEL_MAX];
    int n;
};

static int collect_entry(void *ctx, struct store_id id, const struct store_bytes *f, size_t n)
{
    struct collect *c = ctx;
    cr_assert_eq(n, 2);
    cr_assert(c->n < MODEL_MAX);
    c->ids[c->n++] = id;
    return 0;
}

static int id_cmp(struct store_id a, struct store_id b)
{
    return a.ms != b.ms ? (a.ms < b.ms ? -1 : 1) : a.seq != b.seq ? (a.seq < b.seq ? -1 : 1) : 0;
}

/* XRANGE / XREVRANGE of key k between lo and hi, COUNT count (-1: all),
 * checked against the model. */
static void check_range(const struct model *m, int k, struct store_id lo, struct store_id hi, int rev, int count)
{
    static const char *names[MODEL_KEYS] = { "ka", "kb", "kc" };
    struct collect got = { .n = 0 };
    long long v = store_range(st, B(names[k]), lo, hi, rev, count, collect_entry, &got);
    struct store_id want[MODEL_MAX];
    int nw = 0;
    for (int i = 0; i < m->n[k]; i++) {
        int j = rev ? m->n[k] - 1 - i : i;
        if (id_cmp(m->ids[k][j], lo) >= 0 && id_cmp(m->ids[k][j], hi) <= 0 && (count < 0 || nw < count))
            want[nw++] = m->ids[k][j];
    }
    cr_assert_eq(v, nw, "key %d %s %llu-%llu..%llu-%llu count %d: %lld entries, model %d", k, rev ? "rev" : "fwd",
                 (unsigned long long)lo.ms, (unsigned long long)lo.seq, (unsigned long long)hi.ms,
                 (unsigned long long)hi.seq, count, v, nw);
    for (int i = 0; i < nw; i++)
        cr_assert_eq(id_cmp(got.ids[i], want[i]), 0, "entry %d differs", i);
}

Test(streams, ranges_and_deletions_over_neighbouring_keys_match_a_model)
{
    static const char *names[MODEL_KEYS] = { "ka", "kb", "kc" };
    struct model m = { .n = { 0 } };
    uint64_t next_ms[MODEL_KEYS] = { 5, 5, 5 };
    struct store_id last[MODEL_KEYS] = { { 0, 0 } };
    srand(42);
    for (int step = 0; step < 1500; step++) {
        int k = rand() % MODEL_KEYS, op = rand() % 10;
        if (op < 5 && m.n[k] < MODEL_MAX) { /* XADD: IDs grow, sometimes in the same ms */
            uint64_t ms = next_ms[k], seq = (uint64_t)(rand() % 3);
            if (last[k].ms == ms && seq <= last[k].seq) /* above the last ID ever added, deleted or not */
                seq = last[k].seq + 1;
            cr_assert_eq(add(names[k], ms, seq, "v"), 0);
            last[k] = m.ids[k][m.n[k]++] = (struct store_id){ ms, seq };
            next_ms[k] += (uint64_t)(rand() % 3);
        } else if (op < 7 && m.n[k] > 0) { /* XDEL of one entry, often the newest */
            int i = rand() % 2 ? m.n[k] - 1 : rand() % m.n[k];
            uint64_t deleted = 0;
            cr_assert_eq(store_cmd_begin(st), 0);
            cr_assert_eq(store_xdel(st, B(names[k]), &m.ids[k][i], 1, &deleted), 0);
            cr_assert_eq(store_cmd_end(st), 0);
            cr_assert_eq(deleted, 1);
            memmove(&m.ids[k][i], &m.ids[k][i + 1], (size_t)(m.n[k] - i - 1) * sizeof(m.ids[k][0]));
            m.n[k]--;
        } else { /* a range with bounds at, between, before and after entries */
            uint64_t top = next_ms[k] + 2;
            struct store_id a = { (uint64_t)rand() % top, (uint64_t)(rand() % 4) };
            struct store_id b = { (uint64_t)rand() % top, (uint64_t)(rand() % 4) };
            if (m.n[k] > 0 && rand() % 2)
                a = m.ids[k][rand() % m.n[k]]; /* exactly at an entry */
            if (id_cmp(a, b) > 0) {
                struct store_id t = a;
                a = b;
                b = t;
            }
            int count = rand() % 3 ? -1 : 1 + rand() % 5;
            check_range(&m, k, a, b, rand() % 2, count);
        }
        if (step % 97 == 0)
            cr_assert_eq(store_turn_commit(st), 0);
        if (step % 500 == 499) { /* and across a reopen */
            cr_assert_eq(store_turn_commit(st), 0);
            store_close(st);
            cr_assert_eq(store_open(&st, dir), 0);
        }
    }
    for (int k = 0; k < MODEL_KEYS; k++) {
        check_range(&m, k, (struct store_id){ 0, 0 }, (struct store_id){ UINT64_MAX, UINT64_MAX }, 0, -1);
        check_range(&m, k, (struct store_id){ 0, 0 }, (struct store_id){ UINT64_MAX, UINT64_MAX }, 1, -1);
        struct store_key_info ki;
        if (m.n[k] > 0) {
            cr_assert_eq(store_key_info(st, B(names[k]), &ki), 0);
            cr_assert_eq(ki.length, (uint64_t)m.n[k]);
            cr_assert_eq(id_cmp(ki.first_id, m.ids[k][0]), 0);
        }
    }
}
