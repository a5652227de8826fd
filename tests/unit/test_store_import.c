/* Unit tests of importing events from another node's store (the store side
 * of replication): every event lands at its own (stream, offset) with its
 * lamport, tags, type, event id and payload, in its key's view with a local
 * ID; importing again is a no-op; a gap, a different event at a used
 * offset, or an event of the importer's own stream is refused and stores
 * nothing; the importer's clock moves past what it imported. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static char dir_a[64], dir_b[64];
static struct store *a, *b;

static void setup(void)
{
    snprintf(dir_a, sizeof(dir_a), "/tmp/swarmlog-import-a-XXXXXX");
    snprintf(dir_b, sizeof(dir_b), "/tmp/swarmlog-import-b-XXXXXX");
    cr_assert_not_null(mkdtemp(dir_a));
    cr_assert_not_null(mkdtemp(dir_b));
    cr_assert_eq(store_open(&a, dir_a), 0);
    cr_assert_eq(store_open(&b, dir_b), 0);
}

static void teardown(void)
{
    store_close(a);
    store_close(b);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir_a, dir_b);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(import, .init = setup, .fini = teardown);

static struct store_bytes B(const char *s)
{
    return (struct store_bytes){ s, strlen(s) };
}

static void add(struct store *s, const char *key, const char *tag, const char *type, const char *value)
{
    struct store_bytes fields[2] = { B("f"), B(value) }, tags[1] = { B(tag) };
    struct store_ev_add_req req = { .x = { .key = B(key), .id_mode = STORE_ID_AUTO, .fields = fields, .nfields = 2,
                                           .trim = { .limit = -1 }, .now_ms = 1000, .now_us = 1000000,
                                           .tags = tags, .ntags = 1,
                                           .type = type ? B(type) : (struct store_bytes){ NULL, 0 } } };
    struct store_ev_pos pos;
    long long rev;
    cr_assert_eq(store_cmd_begin(s), 0);
    cr_assert_eq(store_ev_add(s, &req, &pos, &rev), 0);
    cr_assert_eq(store_cmd_end(s), 0);
}

/* The events of a store, copied (as replication would carry them). */
struct copied {
    char stream[STORE_STREAM_ID_MAX];
    uint64_t offset, lamport, ts;
    char key[32], tags[4][32], type[32], value[32];
    size_t ntags;
    int has_type;
};
struct export {
    struct copied ev[64];
    size_t n;
};

static int copy_event(void *ctx, const struct store_event *e)
{
    struct export *x = ctx;
    struct copied *c = &x->ev[x->n++];
    memset(c, 0, sizeof(*c));
    snprintf(c->stream, sizeof(c->stream), "%s", e->stream);
    c->offset = e->offset;
    c->lamport = e->lamport;
    c->ts = e->timestamp_us;
    snprintf(c->key, sizeof(c->key), "%.*s", (int)e->key.len, e->key.ptr);
    for (size_t i = 0; i < e->ntags && i < 4; i++)
        snprintf(c->tags[c->ntags++], 32, "%.*s", (int)e->tags[i].len, e->tags[i].ptr);
    if ((c->has_type = e->type.ptr != NULL))
        snprintf(c->type, sizeof(c->type), "%.*s", (int)e->type.len, e->type.ptr);
    cr_assert_eq(e->nfields, 2);
    snprintf(c->value, sizeof(c->value), "%.*s", (int)e->fields[1].len, e->fields[1].ptr);
    return 0;
}

static void export_all(struct store *s, struct export *x)
{
    char stream[STORE_STREAM_ID_MAX];
    snprintf(stream, sizeof(stream), "%s-0", store_node_id(s));
    uint64_t next, lamport;
    store_log_head(s, &next, &lamport);
    struct store_ev_bound bound = { stream, -1, (int64_t)next - 1 };
    struct store_ev_query q = { .bounds = &bound, .nbounds = 1, .order = STORE_ORDER_STREAM };
    x->n = 0;
    cr_assert_eq(store_ev_query(s, &q, copy_event, x, NULL, NULL), (long long)next);
}

static int import(struct store *s, const struct copied *c, const char *value)
{
    struct store_bytes fields[2] = { B("f"), B(value ? value : c->value) }, tags[4];
    for (size_t i = 0; i < c->ntags; i++)
        tags[i] = B(c->tags[i]);
    struct store_import ev = { .stream = c->stream, .offset = c->offset, .lamport = c->lamport,
                               .timestamp_us = c->ts, .key = B(c->key), .tags = tags, .ntags = c->ntags,
                               .type = c->has_type ? B(c->type) : (struct store_bytes){ NULL, 0 },
                               .fields = fields, .nfields = 2, .now_ms = 5000 };
    int rc = store_cmd_begin(s);
    if (rc == 0)
        rc = store_ev_import(s, &ev);
    int end = store_cmd_end(s);
    return rc != 0 ? rc : end;
}

static int count_tag(void *ctx, const struct store_event *e)
{
    (void)e;
    ++*(int *)ctx;
    return 0;
}

Test(import, events_land_at_their_place_and_importing_again_is_a_no_op)
{
    for (int i = 0; i < 10; i++)
        add(a, i % 2 ? "odd" : "even", i % 3 ? "t" : "x", i % 4 ? NULL : "Four", i % 2 ? "1" : "0");
    add(b, "local", "t", NULL, "b"); /* b's own event, lamport 1 */
    struct export x;
    export_all(a, &x);
    for (size_t i = 0; i < x.n; i++)
        cr_assert_eq(import(b, &x.ev[i], NULL), 0, "event %zu", i);
    for (size_t i = 0; i < x.n; i++)
        cr_assert_eq(import(b, &x.ev[i], NULL), 1, "event %zu again", i);
    cr_assert_eq(store_turn_commit(b), 0);
    uint64_t next, lamport, events;
    store_log_head(b, &next, &lamport);
    cr_assert_eq(next, 1, "b's own stream is untouched");
    cr_assert_eq(lamport, 10, "b's clock moved up to what it imported");
    cr_assert_eq(store_log_count(b, &events), 0);
    cr_assert_eq(events, 11);
    uint64_t len;
    cr_assert_eq(store_xlen(b, B("odd"), &len), 0);
    cr_assert_eq(len, 5);
    /* the indexes know the imported events */
    struct store_tag_expr t = { .op = STORE_TAG_LEAF, .tag = "x", .len = 1 };
    struct store_ev_bound bound = { x.ev[0].stream, -1, 9 };
    struct store_ev_query q = { .where = &t, .bounds = &bound, .nbounds = 1 };
    int n = 0;
    cr_assert_eq(store_ev_query(b, &q, count_tag, &n, NULL, NULL), 4);
    /* a new event of b comes after everything it has seen */
    add(b, "local", "t", NULL, "c");
    cr_assert_eq(store_turn_commit(b), 0);
    store_log_head(b, &next, &lamport);
    cr_assert_eq(lamport, 11);
    /* and the same after a restart */
    store_close(b);
    cr_assert_eq(store_open(&b, dir_b), 0);
    store_log_head(b, &next, &lamport);
    cr_assert_eq(next, 2);
    cr_assert_eq(lamport, 11);
    struct export y;
    export_all(b, &y);
    cr_assert_eq(y.n, 2);
}

Test(import, gaps_conflicts_and_own_events_are_refused_and_store_nothing)
{
    for (int i = 0; i < 4; i++)
        add(a, "k", "t", NULL, "v");
    struct export x;
    export_all(a, &x);
    cr_assert_eq(import(b, &x.ev[1], NULL), STORE_ERR_GAP, "offset 1 before offset 0");
    cr_assert_eq(import(b, &x.ev[0], NULL), 0);
    cr_assert_eq(import(b, &x.ev[2], NULL), STORE_ERR_GAP);
    cr_assert_eq(import(b, &x.ev[0], "other"), STORE_ERR_CONFLICT, "offset 0 again with other content");
    struct copied own = x.ev[1];
    snprintf(own.stream, sizeof(own.stream), "%s-0", store_node_id(b));
    own.offset = 0;
    cr_assert_eq(import(b, &own, NULL), STORE_ERR_OWN_STREAM, "b holds no event of its own yet");
    cr_assert_eq(store_turn_commit(b), 0);
    uint64_t events, len;
    cr_assert_eq(store_log_count(b, &events), 0);
    cr_assert_eq(events, 1, "only the valid import is stored");
    cr_assert_eq(store_xlen(b, B("k"), &len), 0);
    cr_assert_eq(len, 1);
    cr_assert_eq(import(b, &x.ev[1], NULL), 0, "the next offset still imports");
}
