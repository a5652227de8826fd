/* libswarmlog against a real swarmlog-server: connect and AUTH, EV.ADD
 * with every option and each failing expectation, EV.QUERY / EV.READ
 * paging with the offset-map cursor (saved and reloaded between pages)
 * until exhausted — no gap, no repeat, also while events keep arriving —
 * EV.READ BLOCK woken by a publish from another thread, and the
 * subscribe loop (history, caught-up marker, live events, stopping,
 * resuming from its cursor). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swarmlog.h"
#include "th_criterion.h"

TestSuite(client, .fini = th_fini_tmp, .timeout = 60);

static swl_client *connect_ok(const th_server *s, const char *password)
{
    swl_client *c;
    cr_assert_eq(swl_client_new(&c), SWL_OK);
    int rc = swl_connect(c, "127.0.0.1", th_server_port(s), password);
    cr_assert_eq(rc, SWL_OK, "connect: %s: %s", swl_strerror(rc), swl_errmsg(c));
    return c;
}

/* Publishes key with one field n=<i> and tags, returning the offset. */
static uint64_t publish_n(swl_client *c, const char *key, const char *tag, int i)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", i);
    swl_bytes tags[] = { swl_str(tag) };
    swl_field f[] = { { swl_str("n"), swl_str(v) } };
    struct swl_publish p = { .key = swl_str(key), .tags = tags, .ntags = tag ? 1 : 0, .fields = f, .nfields = 1 };
    swl_position pos;
    int rc = swl_publish(c, &p, &pos);
    cr_assert_eq(rc, SWL_OK, "publish: %s", swl_errmsg(c));
    return pos.offset;
}

Test(client, connect_auth_and_errors)
{
    const char *args[] = { "--requirepass", "s3cret", NULL };
    srv = th_start_ok(args);
    swl_client *c;
    cr_assert_eq(swl_client_new(&c), SWL_OK);
    int port = th_server_port(srv);
    cr_assert_eq(swl_connect(c, "127.0.0.1", port, NULL), SWL_ERR_AUTH, "a password is required");
    cr_assert(strstr(swl_errmsg(c), "NOAUTH") != NULL, "%s", swl_errmsg(c));
    cr_assert_eq(swl_connect(c, "127.0.0.1", port, "wrong"), SWL_ERR_AUTH);
    cr_assert(strstr(swl_errmsg(c), "WRONGPASS") != NULL, "%s", swl_errmsg(c));
    swl_field f[] = { { swl_str("f"), swl_str("v") } };
    struct swl_publish p = { .key = swl_str("k"), .fields = f, .nfields = 1 };
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_ERR_IO, "a failed connect leaves the client unconnected");
    cr_assert_eq(swl_connect(c, "127.0.0.1", port, "s3cret"), SWL_OK, "%s", swl_errmsg(c));
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_OK, "%s", swl_errmsg(c));
    cr_assert_eq(swl_connect(c, "127.0.0.1", 0, NULL), SWL_ERR_ARG);
    int closed = th_free_port();
    cr_assert_eq(swl_connect(c, "127.0.0.1", closed, NULL), SWL_ERR_IO);
    cr_assert(strstr(swl_errmsg(c), "cannot connect") != NULL, "%s", swl_errmsg(c));
    cr_assert_eq(swl_set_timeout(c, -1), SWL_ERR_ARG);
    swl_client_free(c);
    TH_STOP_OK(srv);
}

static void check_bytes(swl_bytes b, const char *want, size_t len)
{
    cr_assert_not_null(b.ptr);
    cr_assert_eq(b.len, len);
    cr_assert(memcmp(b.ptr, want, len) == 0);
    cr_assert_eq(b.ptr[len], '\0', "strings are also NUL-terminated");
}

Test(client, publish_with_every_option_and_read_it_back)
{
    srv = th_start_ok(NULL);
    swl_client *c = connect_ok(srv, NULL);
    swl_bytes tags[] = { swl_str("region:eu"), { "two words", 9 } };
    swl_field f[] = { { swl_str("amount"), swl_str("10") }, { { "bin\0k", 5 }, { "\xff\0\n", 3 } },
                      { swl_str("amount"), swl_str("11") } };
    struct swl_publish p = { .key = swl_str("order-1"), .tags = tags, .ntags = 2, .type = swl_str("OrderPlaced"),
                             .event_id = swl_str("evt-1"), .expect = SWL_EXPECT_NOKEY, .fields = f, .nfields = 3 };
    swl_position pos;
    cr_assert_eq(swl_publish(c, &p, &pos), SWL_OK, "%s", swl_errmsg(c));
    cr_assert_eq(pos.offset, 0);
    cr_assert_eq(pos.lamport, 1);
    cr_assert_gt(pos.timestamp_us, 1600000000000000LL);
    cr_assert_eq(strlen(pos.stream), 24);
    cr_assert_str_eq(pos.stream + 22, "-0");
    cr_assert(strchr(pos.entry_id, '-') != NULL);
    /* the same event id again: nothing stored, the same position */
    swl_position again;
    cr_assert_eq(swl_publish(c, &p, &again), SWL_OK, "an event id retry is not an expectation failure");
    cr_assert_str_eq(again.stream, pos.stream);
    cr_assert_str_eq(again.entry_id, pos.entry_id);
    cr_assert(again.offset == pos.offset && again.lamport == pos.lamport && again.timestamp_us == pos.timestamp_us);
    swl_batch *b;
    struct swl_query q = { .where = "'two words'" };
    cr_assert_eq(swl_query(c, &q, &b), SWL_OK, "%s", swl_errmsg(c));
    cr_assert_eq(b->nevents, 1);
    const swl_event *ev = &b->events[0];
    cr_assert_str_eq(ev->stream, pos.stream);
    cr_assert_eq(ev->offset, 0);
    cr_assert_eq(ev->lamport, 1);
    cr_assert_eq(ev->timestamp_us, pos.timestamp_us);
    check_bytes(ev->key, "order-1", 7);
    check_bytes(ev->entry_id, pos.entry_id, strlen(pos.entry_id));
    cr_assert_eq(ev->ntags, 3);
    check_bytes(ev->tags[0], "order-1", 7);
    check_bytes(ev->type, "OrderPlaced", 11);
    check_bytes(ev->event_id, "evt-1", 5);
    cr_assert_eq(ev->nfields, 3);
    check_bytes(ev->fields[1].name, "bin\0k", 5);
    check_bytes(ev->fields[1].value, "\xff\0\n", 3);
    check_bytes(ev->fields[2].value, "11", 2);
    uint64_t off;
    cr_assert(swl_offsets_get(b->next, pos.stream, &off) && off == 0);
    swl_batch_free(b);
    /* no type, no event id: absent, not empty */
    struct swl_publish plain = { .key = swl_str("plain"), .fields = f, .nfields = 1 };
    cr_assert_eq(swl_publish(c, &plain, NULL), SWL_OK);
    q.where = "plain";
    cr_assert_eq(swl_query(c, &q, &b), SWL_OK);
    cr_assert(b->nevents == 1 && b->events[0].type.ptr == NULL && b->events[0].event_id.ptr == NULL);
    cr_assert_eq(b->events[0].ntags, 1);
    swl_batch_free(b);
    swl_client_free(c);
    TH_STOP_OK(srv);
}

static int publish_expect(swl_client *c, const char *key, enum swl_expect e, int64_t revision)
{
    swl_field f[] = { { swl_str("f"), swl_str("v") } };
    struct swl_publish p = { .key = swl_str(key), .expect = e, .revision = revision, .fields = f, .nfields = 1 };
    return swl_publish(c, &p, NULL);
}

Test(client, expectations_and_argument_errors)
{
    srv = th_start_ok(NULL);
    swl_client *c = connect_ok(srv, NULL);
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_EXISTS, 0), SWL_ERR_WRONGVERSION);
    cr_assert_str_eq(swl_errmsg(c), "WRONGVERSION expected EXISTS, key is at -1");
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_REVISION, 0), SWL_ERR_WRONGVERSION);
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_REVISION, -1), SWL_OK, "-1: no key");
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_NOKEY, 0), SWL_ERR_WRONGVERSION);
    cr_assert_str_eq(swl_errmsg(c), "WRONGVERSION expected NOKEY, key is at 0");
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_EXISTS, 0), SWL_OK);
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_REVISION, 1), SWL_OK);
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_REVISION, 1), SWL_ERR_WRONGVERSION);
    cr_assert_str_eq(swl_errmsg(c), "WRONGVERSION expected 1, key is at 2");
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_ANY, 0), SWL_OK);
    cr_assert_eq(publish_expect(c, "k", SWL_EXPECT_REVISION, -2), SWL_ERR_ARG);
    cr_assert_eq(publish_expect(c, "", SWL_EXPECT_ANY, 0), SWL_ERR_ARG);
    swl_field f[] = { { swl_str("TYPE"), swl_str("x") }, { swl_str("tags"), swl_str("y") } };
    swl_bytes empty_tag[] = { { "", 0 } };
    struct swl_publish p = { .key = swl_str("k2"), .fields = f, .nfields = 0 };
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_ERR_ARG, "no fields");
    p.nfields = 2;
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_ERR_ARG, "a first field named TYPE would be read as TYPE");
    p.type = swl_str("T");
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_OK, "with TYPE given, a field may be named TYPE: %s", swl_errmsg(c));
    p.fields = f + 1; /* "tags" first: TAGS is always sent, so this is a field */
    p.nfields = 1;
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_OK, "%s", swl_errmsg(c));
    p.tags = empty_tag;
    p.ntags = 1;
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_ERR_ARG);
    p.ntags = 0;
    p.event_id = (swl_bytes){ "", 0 };
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_ERR_ARG);
    struct swl_query q = { .where = "a &" };
    swl_batch *b;
    cr_assert_eq(swl_query(c, &q, &b), SWL_ERR_SERVER);
    cr_assert_null(b);
    cr_assert(strstr(swl_errmsg(c), "WHERE") != NULL, "%s", swl_errmsg(c));
    cr_assert_eq(publish_expect(c, "k3", SWL_EXPECT_ANY, 0), SWL_OK, "still usable after errors");
    /* the stored revisions: k has 4 events, k2 2 */
    q.where = "k";
    cr_assert_eq(swl_query(c, &q, &b), SWL_OK);
    cr_assert_eq(b->nevents, 4);
    swl_batch_free(b);
    swl_client_free(c);
    TH_STOP_OK(srv);
}

/* Pages through `where` with page size `count`, saving the cursor in a
 * file and reloading it between pages, until a page is empty; with
 * publish_between, publishes a new matching event after each page. Checks
 * that the offsets seen are exactly 0..want-1 (single stream), in order. */
static void page_until_exhausted(swl_client *c, swl_client *pub, const char *where, size_t count, int use_read,
                                 int publish_between, int already)
{
    char *path = malloc(strlen(tmp_root) + 16);
    sprintf(path, "%s/cursor", tmp_root);
    unlink(path);
    uint64_t next = 0;
    int total = already, pages = 0;
    for (;;) {
        swl_offsets *cursor;
        int rc = swl_offsets_load(path, &cursor, NULL, 0);
        cr_assert(rc == SWL_OK || (rc == SWL_ERR_NOENT && pages == 0), "load: %s", swl_strerror(rc));
        if (rc == SWL_ERR_NOENT)
            cr_assert_eq(swl_offsets_new(&cursor), SWL_OK);
        swl_batch *b;
        struct swl_query q = { .where = where, .from = cursor, .count = count };
        struct swl_read r = { .where = where, .from = cursor, .count = count, .block_ms = -1 };
        rc = use_read ? swl_read(c, &r, &b) : swl_query(c, &q, &b);
        cr_assert_eq(rc, SWL_OK, "%s", swl_errmsg(c));
        swl_offsets_free(cursor);
        cr_assert_leq(b->nevents, count);
        for (size_t i = 0; i < b->nevents; i++)
            cr_assert_eq(b->events[i].offset, next++, "no gap, no repeat");
        cr_assert_eq(swl_offsets_save(b->next, path), SWL_OK);
        size_t n = b->nevents;
        swl_batch_free(b);
        pages++;
        if (publish_between && pages <= 5)
            publish_n(pub, "k", "all", total++);
        if (n == 0)
            break;
    }
    cr_assert_eq(next, (uint64_t)total, "every event seen once");
    free(path);
}

Test(client, query_and_read_paging_with_the_cursor)
{
    tmp_root = th_tmpdir_new();
    srv = th_start_ok(NULL);
    swl_client *c = connect_ok(srv, NULL), *pub = connect_ok(srv, NULL);
    for (int i = 0; i < 50; i++)
        publish_n(pub, "k", "all", i);
    page_until_exhausted(c, pub, "all", 7, 0, 0, 50);
    page_until_exhausted(c, pub, "all", 50, 0, 0, 50);
    page_until_exhausted(c, pub, NULL, 3, 1, 0, 50);
    page_until_exhausted(c, pub, "all", 4, 1, 1, 50); /* new events arrive between pages */
    page_until_exhausted(c, pub, "all", 9, 0, 0, 55);
    /* LAMPORTDESC continues through TO; STREAM order is offsets ascending here */
    swl_offsets *to = NULL;
    uint64_t expect = 54;
    for (;;) {
        struct swl_query q = { .where = "all", .to = to, .order = SWL_ORDER_LAMPORTDESC, .count = 10 };
        swl_batch *b;
        cr_assert_eq(swl_query(c, &q, &b), SWL_OK, "%s", swl_errmsg(c));
        for (size_t i = 0; i < b->nevents; i++)
            cr_assert_eq(b->events[i].offset, expect--);
        size_t n = b->nevents;
        swl_offsets_free(to);
        to = b->next;
        b->next = NULL;
        swl_batch_free(b);
        if (n == 0)
            break;
    }
    cr_assert_eq(expect, (uint64_t)-1, "down to offset 0");
    swl_offsets_free(to);
    struct swl_query q = { .order = SWL_ORDER_STREAM, .count = 100 };
    swl_batch *b;
    cr_assert_eq(swl_query(c, &q, &b), SWL_OK);
    cr_assert_eq(b->nevents, 55);
    swl_batch_free(b);
    swl_client_free(c);
    swl_client_free(pub);
    TH_STOP_OK(srv);
}

struct late_publish {
    int port;
    int rc;
};

static void *publish_later(void *arg)
{
    struct late_publish *lp = arg;
    swl_client *c;
    lp->rc = swl_client_new(&c);
    if (lp->rc == SWL_OK)
        lp->rc = swl_connect(c, "127.0.0.1", lp->port, NULL);
    swl_field f[] = { { swl_str("f"), swl_str("v") } };
    struct swl_publish other = { .key = swl_str("other"), .fields = f, .nfields = 1 };
    struct swl_publish wanted = { .key = swl_str("wanted"), .fields = f, .nfields = 1 };
    if (lp->rc == SWL_OK)
        lp->rc = swl_publish(c, &other, NULL);
    if (lp->rc == SWL_OK)
        lp->rc = swl_publish(c, &wanted, NULL);
    swl_client_free(c);
    return NULL;
}

Test(client, read_block_times_out_then_wakes_on_a_matching_event)
{
    srv = th_start_ok(NULL);
    swl_client *c = connect_ok(srv, NULL);
    publish_n(c, "seed", NULL, 0);
    swl_offsets *from;
    char err[100];
    cr_assert_eq(swl_offsets_parse("{}", 2, &from, err, sizeof(err)), SWL_OK);
    struct swl_read r = { .where = "wanted", .from = from, .block_ms = 200 };
    swl_batch *b;
    long long t0 = th_now_ms();
    cr_assert_eq(swl_read(c, &r, &b), SWL_OK, "%s", swl_errmsg(c));
    cr_assert_geq(th_now_ms() - t0, 150, "it waited");
    cr_assert_eq(b->nevents, 0);
    cr_assert_eq(swl_offsets_count(b->next), 0, "next equals from after a timeout");
    swl_batch_free(b);
    /* a short reply timeout does not cut a longer BLOCK short */
    cr_assert_eq(swl_set_timeout(c, 100), SWL_OK);
    struct late_publish lp = { th_server_port(srv), -100 };
    pthread_t th;
    r.block_ms = 20000;
    cr_assert_eq(pthread_create(&th, NULL, publish_later, &lp), 0);
    cr_assert_eq(swl_read(c, &r, &b), SWL_OK, "%s", swl_errmsg(c));
    pthread_join(th, NULL);
    cr_assert_eq(lp.rc, SWL_OK);
    cr_assert_eq(b->nevents, 1);
    check_bytes(b->events[0].key, "wanted", 6);
    swl_batch_free(b);
    swl_offsets_free(from);
    swl_client_free(c);
    TH_STOP_OK(srv);
}

struct sub_state {
    swl_client *pub;
    int events, caught_up, live_published, stop_after;
    uint64_t offsets[64];
    char last_cursor[256];
};

static int on_event(void *arg, const swl_event *ev, const swl_offsets *cursor)
{
    struct sub_state *st = arg;
    char *json;
    cr_assert_eq(swl_offsets_to_json(cursor, &json, NULL), SWL_OK);
    snprintf(st->last_cursor, sizeof(st->last_cursor), "%s", json);
    free(json);
    if (ev == NULL) {
        st->caught_up++;
        cr_assert_eq(st->caught_up, 1, "one caught-up marker");
        if (st->pub) /* live events: published while the subscription waits */
            for (int i = 0; i < 3; i++) {
                publish_n(st->pub, "nomatch", NULL, i);
                publish_n(st->pub, "live", "sub", i);
            }
        return st->stop_after == 0;
    }
    cr_assert(swl_offsets_covers(cursor, ev->stream, ev->offset), "the cursor covers the event handed over");
    st->offsets[st->events++] = ev->offset;
    return st->events == st->stop_after;
}

Test(client, subscribe_history_caught_up_live_and_resume)
{
    srv = th_start_ok(NULL);
    swl_client *c = connect_ok(srv, NULL), *pub = connect_ok(srv, NULL);
    for (int i = 0; i < 4; i++) {
        publish_n(pub, "hist", "sub", i);
        publish_n(pub, "nomatch", NULL, i);
    }
    swl_offsets *cursor;
    cr_assert_eq(swl_offsets_new(&cursor), SWL_OK);
    struct sub_state st = { .pub = pub, .stop_after = 6 };
    struct swl_subscribe s = { .where = "sub", .cursor = cursor, .fn = on_event, .arg = &st };
    cr_assert_eq(swl_subscribe(c, &s), SWL_OK, "%s", swl_errmsg(c));
    cr_assert_eq(st.caught_up, 1);
    cr_assert_eq(st.events, 6);
    static const uint64_t want[] = { 0, 2, 4, 6, 9, 11 }; /* 4 history, then live at 8 (nomatch), 9, ... */
    for (int i = 0; i < 6; i++)
        cr_assert_eq(st.offsets[i], want[i], "event %d", i);
    char *json;
    cr_assert_eq(swl_offsets_to_json(cursor, &json, NULL), SWL_OK);
    cr_assert_str_eq(json, st.last_cursor, "the cursor is what the callback last saw");
    uint64_t off;
    cr_assert(swl_offsets_get(cursor, "x", &off) == 0);
    free(json);
    /* the connection works after the loop stopped; the live event not yet
     * handed over (offset 13) comes first on resuming */
    publish_n(c, "after", "sub", 0); /* offset 14 */
    struct sub_state again = { .stop_after = 2 };
    s.arg = &again;
    cr_assert_eq(swl_subscribe(c, &s), SWL_OK, "%s", swl_errmsg(c));
    cr_assert_eq(again.events, 2);
    cr_assert_eq(again.offsets[0], 13);
    cr_assert_eq(again.offsets[1], 14);
    cr_assert_eq(again.caught_up, 0, "stopped before the marker");
    /* resubscribing from the final cursor: only the caught-up marker */
    struct sub_state none = { .stop_after = 0 };
    s.arg = &none;
    cr_assert_eq(swl_subscribe(c, &s), SWL_OK);
    cr_assert_eq(none.events, 0);
    cr_assert_eq(none.caught_up, 1);
    s.where = "bad &";
    cr_assert_eq(swl_subscribe(c, &s), SWL_ERR_SERVER);
    cr_assert_eq(swl_subscribe(c, &(struct swl_subscribe){ .cursor = cursor }), SWL_ERR_ARG);
    publish_n(c, "still", "usable", 0);
    swl_offsets_free(cursor);
    swl_client_free(c);
    swl_client_free(pub);
    TH_STOP_OK(srv);
}

Test(client, connection_loss_is_an_io_error)
{
    srv = th_start_ok(NULL);
    swl_client *c = connect_ok(srv, NULL);
    publish_n(c, "k", NULL, 0);
    cr_assert_eq(th_server_kill(srv), 0);
    srv = NULL;
    swl_field f[] = { { swl_str("f"), swl_str("v") } };
    struct swl_publish p = { .key = swl_str("k"), .fields = f, .nfields = 1 };
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_ERR_IO);
    cr_assert_eq(swl_publish(c, &p, NULL), SWL_ERR_IO);
    cr_assert_str_eq(swl_errmsg(c), "not connected");
    swl_client_free(c);
}
