/* Unit tests of tombstones, the deletions that replicate: XDEL and DEL
 * append a $xdel / $del event to the node's stream; a store that imports
 * it removes the same entries from its own key view (by the events they
 * hold, whatever their local entry IDs), keeps entries added concurrently,
 * and also when the tombstone arrives before the events it names. A
 * malformed tombstone is refused and stores nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define NSTORES 3
static char dirs[NSTORES][64];
static struct store *st[NSTORES];

static void setup(void)
{
    for (int i = 0; i < NSTORES; i++) {
        snprintf(dirs[i], sizeof(dirs[i]), "/tmp/swarmlog-tomb-%d-XXXXXX", i);
        cr_assert_not_null(mkdtemp(dirs[i]));
        cr_assert_eq(store_open(&st[i], dirs[i]), 0);
    }
}

static void teardown(void)
{
    for (int i = 0; i < NSTORES; i++) {
        store_close(st[i]);
        char cmd[100];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dirs[i]);
        cr_assert_eq(system(cmd), 0);
    }
}

TestSuite(tomb, .init = setup, .fini = teardown);

static struct store_bytes B(const char *s)
{
    return (struct store_bytes){ s, strlen(s) };
}

static void commit(struct store *s)
{
    cr_assert_eq(store_turn_commit(s), 0);
}

static struct store_id add(struct store *s, const char *key, const char *value)
{
    struct store_bytes fields[2] = { B("v"), B(value) };
    struct store_xadd_req req = { .key = B(key), .id_mode = STORE_ID_AUTO, .fields = fields, .nfields = 2,
                                  .trim = { .limit = -1 }, .now_ms = 1000, .now_us = 1000000 };
    struct store_id id;
    cr_assert_eq(store_cmd_begin(s), 0);
    cr_assert_eq(store_xadd(s, &req, &id), 0);
    cr_assert_eq(store_cmd_end(s), 0);
    commit(s);
    return id;
}

static void xdel(struct store *s, const char *key, struct store_id id)
{
    uint64_t deleted;
    cr_assert_eq(store_cmd_begin(s), 0);
    cr_assert_eq(store_xdel(s, B(key), &id, 1, &deleted), 0);
    cr_assert_eq(store_cmd_end(s), 0);
    cr_assert_eq(deleted, 1);
    commit(s);
}

static void del(struct store *s, const char *key)
{
    cr_assert_eq(store_cmd_begin(s), 0);
    cr_assert_eq(store_del(s, B(key)), 1);
    cr_assert_eq(store_cmd_end(s), 0);
    commit(s);
}

struct copy {
    struct store *to;
    int rc;
};

static int import_event(void *ctx, const struct store_event *e)
{
    struct copy *c = ctx;
    struct store_import ev = { .stream = e->stream, .offset = e->offset, .lamport = e->lamport,
                               .timestamp_us = e->timestamp_us, .key = e->key, .tags = e->tags,
                               .ntags = e->ntags, .type = e->type, .eventid = e->eventid, .fields = e->fields,
                               .nfields = e->nfields, .now_ms = 9000 };
    int rc = store_cmd_begin(c->to);
    if (rc == 0)
        rc = store_ev_import(c->to, &ev);
    int end = store_cmd_end(c->to);
    c->rc = rc == 1 ? end : rc ? rc : end;
    return c->rc != 0;
}

struct last {
    const char *stream;
    int64_t offset;
};

static int last_offset(void *ctx, const char *stream, uint64_t last)
{
    struct last *l = ctx;
    if (strcmp(stream, l->stream) == 0)
        l->offset = (int64_t)last;
    return 0;
}

/* Copies the source stream of `owner` from store `from` into `to`, as
 * replication would. */
static void sync_stream(struct store *from, struct store *owner, struct store *to)
{
    char stream[STORE_STREAM_ID_MAX];
    snprintf(stream, sizeof(stream), "%s-0", store_node_id(owner));
    struct last l = { stream, -1 };
    cr_assert_eq(store_log_offsets(from, last_offset, &l), 0);
    struct store_ev_bound bound = { stream, -1, l.offset }; /* queries stay within what is stored */
    struct store_ev_query q = { .bounds = &bound, .nbounds = 1, .order = STORE_ORDER_STREAM };
    struct copy c = { to, 0 };
    long long n = store_ev_query(from, &q, import_event, &c, NULL, NULL);
    cr_assert_geq(n, 0, "query: %s", store_strerror((int)n));
    cr_assert_eq(c.rc, 0, "import: %s", store_strerror(c.rc));
    commit(to);
}

/* The values of a key's entries, in order, as "a,b,c" ("-" for no key). */
struct values {
    char text[256];
};

static int value_of(void *ctx, struct store_id id, const struct store_bytes *f, size_t n)
{
    (void)id;
    struct values *v = ctx;
    size_t len = strlen(v->text);
    snprintf(v->text + len, sizeof(v->text) - len, "%s%.*s", len ? "," : "", (int)f[n - 1].len, f[n - 1].ptr);
    return 0;
}

static const char *view(struct store *s, const char *key, struct values *v)
{
    v->text[0] = '\0';
    if (store_exists(s, B(key)) == 0)
        return "-";
    cr_assert_geq(store_range(s, B(key), (struct store_id){ 0, 0 }, (struct store_id){ UINT64_MAX, UINT64_MAX }, 0,
                              -1, value_of, v),
                  0);
    return v->text;
}

static void assert_view(struct store *s, const char *key, const char *want)
{
    struct values v;
    cr_assert_str_eq(view(s, key, &v), want, "key %s", key);
}

Test(tomb, xdel_replicates_by_event_not_by_entry_id)
{
    struct store *a = st[0], *b = st[1];
    add(b, "other", "x"); /* b's entry IDs for k will differ from a's */
    struct store_id ids[4];
    for (int i = 0; i < 4; i++)
        ids[i] = add(a, "k", (const char[]){ (char)('0' + i), 0 });
    sync_stream(a, a, b);
    assert_view(b, "k", "0,1,2,3");
    xdel(a, "k", ids[1]);
    xdel(a, "k", ids[3]);
    sync_stream(a, a, b);
    assert_view(a, "k", "0,2");
    assert_view(b, "k", "0,2");
    struct store_key_info ia, ib;
    cr_assert_eq(store_key_info(b, B("k"), &ib), 0);
    cr_assert_eq(store_key_info(a, B("k"), &ia), 0);
    cr_assert_eq(ib.length, 2);
    cr_assert_eq(ib.entries_added, ia.entries_added, "a deletion adds no entry");
    cr_assert_neq(ib.max_deleted_id.ms, 0, "the local max deleted ID moves");
    /* the tombstones are events of the log: offsets 4 and 5 of a's stream */
    uint64_t next, lamport, events;
    store_log_head(a, &next, &lamport);
    cr_assert_eq(next, 6);
    cr_assert_eq(store_log_count(b, &events), 0);
    cr_assert_eq(events, 7);
}

Test(tomb, del_removes_what_the_deleter_had_and_keeps_concurrent_entries)
{
    struct store *a = st[0], *b = st[1];
    add(a, "k", "a0");
    add(a, "k", "a1");
    sync_stream(a, a, b);
    add(b, "k", "b0"); /* concurrent: a deletes k without having seen it */
    del(a, "k");
    sync_stream(a, a, b);
    sync_stream(b, b, a);
    assert_view(a, "k", "b0");
    assert_view(b, "k", "b0");
    /* a DEL that leaves nothing removes the key everywhere */
    del(b, "k");
    sync_stream(b, b, a);
    assert_view(a, "k", "-");
    assert_view(b, "k", "-");
    cr_assert_eq(store_exists(a, B("k")), 0);
}

Test(tomb, a_tombstone_that_arrives_before_its_events_still_holds)
{
    struct store *a = st[0], *b = st[1], *c = st[2];
    struct store_id c1 = add(c, "k", "c0");
    add(c, "k", "c1");
    add(c, "j", "c2");
    add(c, "k", "c3");
    sync_stream(c, c, a);
    struct values v;
    cr_assert_str_eq(view(a, "k", &v), "c0,c1,c3");
    /* a deletes c's first entry of k (by a's own ID for it) and key j */
    struct store_key_info ki;
    cr_assert_eq(store_key_info(a, B("k"), &ki), 0);
    xdel(a, "k", ki.first_id);
    del(a, "j");
    (void)c1;
    /* b gets a's stream (the tombstones) first, then c's events */
    sync_stream(a, a, b);
    assert_view(b, "k", "-");
    sync_stream(a, c, b);
    assert_view(b, "k", "c1,c3");
    assert_view(b, "j", "-");
    assert_view(a, "k", "c1,c3");
    /* and it stays so after a restart */
    store_close(b);
    cr_assert_eq(store_open(&st[1], dirs[1]), 0);
    assert_view(st[1], "k", "c1,c3");
}

static int import_one(struct store *s, const char *stream, const char *type, const struct store_bytes *fields,
                      size_t n)
{
    struct store_import ev = { .stream = stream, .offset = 0, .lamport = 1, .timestamp_us = 1, .key = B("k"),
                               .type = B(type), .fields = fields, .nfields = n, .now_ms = 1 };
    int rc = store_cmd_begin(s);
    if (rc == 0)
        rc = store_ev_import(s, &ev);
    int end = store_cmd_end(s);
    return rc ? rc : end;
}

Test(tomb, a_malformed_tombstone_is_refused_and_stores_nothing)
{
    struct store *b = st[1];
    const char *stream = "abcdefghijklmnopqrstuv-0";
    struct store_bytes odd[1] = { B("x") }, bad_off[2] = { B(stream), B("12a") }, lead0[2] = { B(stream), B("01") },
                       empty_id[2] = { B(""), B("1") };
    cr_assert_eq(import_one(b, stream, "$xdel", odd, 1), STORE_ERR_BAD_TOMBSTONE);
    cr_assert_eq(import_one(b, stream, "$del", bad_off, 2), STORE_ERR_BAD_TOMBSTONE);
    cr_assert_eq(import_one(b, stream, "$xdel", lead0, 2), STORE_ERR_BAD_TOMBSTONE);
    cr_assert_eq(import_one(b, stream, "$del", empty_id, 2), STORE_ERR_BAD_TOMBSTONE);
    commit(b);
    uint64_t events;
    cr_assert_eq(store_log_count(b, &events), 0);
    cr_assert_eq(events, 0);
    struct store_bytes ok[2] = { B(stream), B("5") };
    cr_assert_eq(import_one(b, stream, "$xdel", ok, 2), 0, "a well-formed one naming a future event");
    commit(b);
    cr_assert_eq(store_exists(b, B("k")), 0, "a tombstone makes no key");
}

Test(tomb, flushall_deletes_every_key_everywhere)
{
    struct store *a = st[0], *b = st[1];
    add(a, "k1", "x");
    add(a, "k2", "y");
    sync_stream(a, a, b);
    cr_assert_eq(store_cmd_begin(a), 0);
    cr_assert_eq(store_flush(a), 0);
    cr_assert_eq(store_cmd_end(a), 0);
    commit(a);
    sync_stream(a, a, b);
    uint64_t keys;
    cr_assert_eq(store_key_count(b, &keys), 0);
    cr_assert_eq(keys, 0);
    uint64_t next, lamport;
    store_log_head(a, &next, &lamport);
    cr_assert_eq(next, 4, "two events and two tombstones");
}

Test(tomb, nothing_deleted_no_tombstone)
{
    struct store *a = st[0];
    add(a, "k", "x");
    uint64_t deleted;
    struct store_id missing = { 1, 1 };
    cr_assert_eq(store_cmd_begin(a), 0);
    cr_assert_eq(store_xdel(a, B("k"), &missing, 1, &deleted), 0);
    cr_assert_eq(store_del(a, B("nokey")), 0);
    cr_assert_eq(store_cmd_end(a), 0);
    commit(a);
    cr_assert_eq(deleted, 0);
    uint64_t next, lamport;
    store_log_head(a, &next, &lamport);
    cr_assert_eq(next, 1);
}
