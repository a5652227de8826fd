/* hiredis_compat.c — Debian's hiredis (libhiredis-dev 0.14) as a client: the
 * compatibility-matrix column for hiredis (see docs/compat.md).
 *
 * hiredis has no stream or event API of its own: everything goes through its
 * generic calls — redisCommandArgv() for one command, redisAppendCommandArgv()
 * + redisGetReply() for pipelines and for reading the messages of a
 * subscription. Each test starts its own server through tests/lib/harness.h.
 *
 * hiredis 0.14's reader parses RESP2 only (read.c knows - + : $ *): the
 * resp3 test checks that HELLO 3 is a protocol error for it, and that the
 * connection keeps working in RESP2 when HELLO 2 is asked for instead. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "th_criterion.h"

TestSuite(hiredis_compat, .fini = th_fini, .timeout = 60);

/* ---- helpers ---- */

/* Runs argv (NULL-terminated strings) with redisCommandArgv. Fails the test
 * when there is no reply; the caller frees the reply. */
static redisReply *cmd(redisContext *c, const char *const *argv)
{
    int argc = 0;
    size_t lens[64];
    while (argv[argc] && argc < 64) {
        lens[argc] = strlen(argv[argc]);
        argc++;
    }
    redisReply *r = redisCommandArgv(c, argc, (const char **)argv, lens);
    cr_assert_not_null(r, "%s: no reply: %s", argv[0], c->errstr);
    return r;
}
#define CMD(c, ...) cmd((c), (const char *const[]){__VA_ARGS__, NULL})

/* Queues argv for a pipeline (sent with the next redisGetReply). */
static void append(redisContext *c, const char *const *argv)
{
    int argc = 0;
    size_t lens[64];
    while (argv[argc] && argc < 64) {
        lens[argc] = strlen(argv[argc]);
        argc++;
    }
    cr_assert_eq(redisAppendCommandArgv(c, argc, (const char **)argv, lens), REDIS_OK);
}
#define APPEND(c, ...) append((c), (const char *const[]){__VA_ARGS__, NULL})

/* Writes out everything queued on c without reading, so another connection
 * can act while c's command is blocked in the server. */
static void flush_out(redisContext *c)
{
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(c, &done), REDIS_OK, "write: %s", c->errstr);
}

/* The next reply on c (a pipelined one or a subscription message); the
 * caller frees it. */
static redisReply *next_reply(redisContext *c)
{
    void *r = NULL;
    cr_assert_eq(redisGetReply(c, &r), REDIS_OK, "no reply: %s", c->errstr);
    cr_assert_not_null(r);
    return r;
}

static void expect_type(const redisReply *r, int type)
{
    cr_assert_eq(r->type, type, "expected %s, got %s \"%s\"", th_reply_type(type),
                 th_reply_type(r->type), r->str ? r->str : "");
}

static void expect_str(const redisReply *r, int type, const char *want)
{
    th_check_str((redisReply *)r, type, want);
}

static void expect_array(const redisReply *r, size_t n)
{
    expect_type(r, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, n, "expected %zu elements, got %zu", n, r->elements);
}

/* The value of `name` in a RESP2 flat name/value array (what a map becomes
 * in RESP2). Fails the test when absent. Owned by r. */
static redisReply *field(const redisReply *r, const char *name)
{
    expect_type(r, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements % 2, 0, "not a name/value array");
    for (size_t i = 0; i < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1];
    cr_assert_fail("no field \"%s\" in the reply", name);
    return NULL;
}

static long long field_int(const redisReply *r, const char *name)
{
    redisReply *v = field(r, name);
    expect_type(v, REDIS_REPLY_INTEGER);
    return v->integer;
}

/* Checks one stream entry [id, [f1, v1, ...]] with a single field pair. */
static void expect_entry(const redisReply *e, const char *id, const char *f, const char *v)
{
    expect_array(e, 2);
    expect_str(e->element[0], REDIS_REPLY_STRING, id);
    expect_array(e->element[1], 2);
    expect_str(e->element[1]->element[0], REDIS_REPLY_STRING, f);
    expect_str(e->element[1]->element[1], REDIS_REPLY_STRING, v);
}

/* Polls INFO clients on c until blocked_clients is `want` (10 s deadline). */
static void wait_blocked(redisContext *c, int want)
{
    char needle[64];
    snprintf(needle, sizeof needle, "blocked_clients:%d\r\n", want);
    long long deadline = th_now_ms() + 10000;
    for (;;) {
        redisReply *r = CMD(c, "INFO", "clients");
        bool ok = r->type == REDIS_REPLY_STRING && strstr(r->str, needle) != NULL;
        freeReplyObject(r);
        if (ok)
            return;
        cr_assert_lt(th_now_ms(), deadline, "no %s within 10 s", needle);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* This node's source stream id, "<node id>-0", copied into buf. */
static void node_stream(redisContext *c, char *buf, size_t cap)
{
    redisReply *r = CMD(c, "EV.NODE");
    redisReply *s = field(r, "stream");
    expect_type(s, REDIS_REPLY_STRING);
    snprintf(buf, cap, "%s", s->str);
    freeReplyObject(r);
}

/* ---- connection ---- */

Test(hiredis_compat, default_connect_ping_echo_binary)
{
    srv = th_start_ok(NULL);
    /* hiredis's plain redisConnect: no timeouts, RESP2, blocking */
    redisContext *c = redisConnect("127.0.0.1", th_server_port(srv));
    cr_assert(c && !c->err, "connect: %s", c ? c->errstr : "out of memory");
    redisReply *r = CMD(c, "PING");
    expect_str(r, REDIS_REPLY_STATUS, "PONG");
    freeReplyObject(r);
    const char *argv[] = {"ECHO", "a\0b\r\n"};
    size_t lens[] = {4, 5};
    r = redisCommandArgv(c, 2, argv, lens);
    cr_assert_not_null(r);
    expect_type(r, REDIS_REPLY_STRING);
    cr_assert_eq(r->len, 5);
    cr_assert(memcmp(r->str, "a\0b\r\n", 5) == 0, "ECHO is binary-safe");
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

/* ---- streams ---- */

Test(hiredis_compat, xadd_xrange_xrevrange)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    redisReply *r = CMD(c, "XADD", "s", "1-1", "f", "a");
    expect_str(r, REDIS_REPLY_STRING, "1-1");
    freeReplyObject(r);
    r = CMD(c, "XADD", "s", "1-*", "f", "b");
    expect_str(r, REDIS_REPLY_STRING, "1-2");
    freeReplyObject(r);
    r = CMD(c, "XADD", "s", "1-1", "f", "c");
    expect_str(r, REDIS_REPLY_ERROR,
               "ERR The ID specified in XADD is equal or smaller than the target stream top item");
    freeReplyObject(r);
    r = CMD(c, "XADD", "s", "*", "f", "c");
    expect_type(r, REDIS_REPLY_STRING);
    char id3[64];
    snprintf(id3, sizeof id3, "%s", r->str);
    freeReplyObject(r);

    r = CMD(c, "XRANGE", "s", "-", "+");
    expect_array(r, 3);
    expect_entry(r->element[0], "1-1", "f", "a");
    expect_entry(r->element[1], "1-2", "f", "b");
    expect_entry(r->element[2], id3, "f", "c");
    freeReplyObject(r);
    r = CMD(c, "XRANGE", "s", "(1-1", "+", "COUNT", "1");
    expect_array(r, 1);
    expect_entry(r->element[0], "1-2", "f", "b");
    freeReplyObject(r);
    r = CMD(c, "XREVRANGE", "s", "+", "-", "COUNT", "2");
    expect_array(r, 2);
    expect_entry(r->element[0], id3, "f", "c");
    expect_entry(r->element[1], "1-2", "f", "b");
    freeReplyObject(r);
    r = CMD(c, "XRANGE", "nokey", "-", "+");
    expect_array(r, 0);
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(hiredis_compat, xread_block_woken_by_another_connection)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    redisContext *w = th_connect_ok(srv);
    redisReply *r = CMD(w, "XADD", "s", "1-1", "f", "old");
    freeReplyObject(r);
    /* a timeout with nothing new: a null reply, not before the timeout */
    long long t0 = th_now_ms();
    r = CMD(c, "XREAD", "BLOCK", "150", "STREAMS", "s", "$");
    expect_type(r, REDIS_REPLY_NIL);
    cr_assert_geq(th_now_ms() - t0, 140);
    freeReplyObject(r);

    APPEND(c, "XREAD", "COUNT", "10", "BLOCK", "10000", "STREAMS", "s", "$");
    flush_out(c);
    wait_blocked(w, 1);
    r = CMD(w, "XADD", "s", "2-1", "f", "new");
    expect_str(r, REDIS_REPLY_STRING, "2-1");
    freeReplyObject(r);
    r = next_reply(c);
    expect_array(r, 1);
    expect_array(r->element[0], 2);
    expect_str(r->element[0]->element[0], REDIS_REPLY_STRING, "s");
    expect_array(r->element[0]->element[1], 1);
    expect_entry(r->element[0]->element[1]->element[0], "2-1", "f", "new");
    freeReplyObject(r);
    wait_blocked(w, 0);
    redisFree(c);
    redisFree(w);
    TH_STOP_OK(srv);
}

/* Three entries 1-1..3-1 in s, a group g from 0, and two of them delivered
 * to consumer alice. */
static void groups_fixture(redisContext *c)
{
    redisReply *r = CMD(c, "XGROUP", "CREATE", "s", "g", "0", "MKSTREAM");
    expect_str(r, REDIS_REPLY_STATUS, "OK");
    freeReplyObject(r);
    const char *ids[] = {"1-1", "2-1", "3-1"};
    for (int i = 0; i < 3; i++)
        freeReplyObject(CMD(c, "XADD", "s", ids[i], "n", ids[i]));
    r = CMD(c, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">");
    expect_array(r, 1);
    expect_str(r->element[0]->element[0], REDIS_REPLY_STRING, "s");
    redisReply *entries = r->element[0]->element[1];
    expect_array(entries, 2);
    expect_entry(entries->element[0], "1-1", "n", "1-1");
    expect_entry(entries->element[1], "2-1", "n", "2-1");
    freeReplyObject(r);
}

Test(hiredis_compat, xreadgroup_xack_xpending_xautoclaim)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    groups_fixture(c);
    redisReply *r = CMD(c, "XPENDING", "s", "g");
    expect_array(r, 4);
    cr_assert_eq(r->element[0]->integer, 2);
    expect_str(r->element[1], REDIS_REPLY_STRING, "1-1");
    expect_str(r->element[2], REDIS_REPLY_STRING, "2-1");
    expect_array(r->element[3], 1);
    expect_str(r->element[3]->element[0]->element[0], REDIS_REPLY_STRING, "alice");
    expect_str(r->element[3]->element[0]->element[1], REDIS_REPLY_STRING, "2");
    freeReplyObject(r);

    r = CMD(c, "XACK", "s", "g", "1-1", "9-9");
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER);
    cr_assert_eq(r->integer, 1);
    freeReplyObject(r);

    /* bob takes over alice's remaining entry */
    r = CMD(c, "XAUTOCLAIM", "s", "g", "bob", "0", "0-0", "COUNT", "10");
    expect_array(r, 3);
    expect_str(r->element[0], REDIS_REPLY_STRING, "0-0");
    expect_array(r->element[1], 1);
    expect_entry(r->element[1]->element[0], "2-1", "n", "2-1");
    expect_array(r->element[2], 0);
    freeReplyObject(r);

    r = CMD(c, "XPENDING", "s", "g", "-", "+", "10");
    expect_array(r, 1);
    expect_array(r->element[0], 4);
    expect_str(r->element[0]->element[0], REDIS_REPLY_STRING, "2-1");
    expect_str(r->element[0]->element[1], REDIS_REPLY_STRING, "bob");
    cr_assert_eq(r->element[0]->element[3]->integer, 2, "delivered twice");
    freeReplyObject(r);

    /* the last entry goes to bob; his history (ID 0) lists both */
    freeReplyObject(CMD(c, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"));
    r = CMD(c, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0");
    redisReply *entries = r->element[0]->element[1];
    expect_array(entries, 2);
    expect_entry(entries->element[0], "2-1", "n", "2-1");
    expect_entry(entries->element[1], "3-1", "n", "3-1");
    freeReplyObject(r);
    r = CMD(c, "XACK", "s", "g", "2-1", "3-1");
    cr_assert_eq(r->integer, 2);
    freeReplyObject(r);
    r = CMD(c, "XPENDING", "s", "g");
    cr_assert_eq(r->element[0]->integer, 0);
    expect_type(r->element[1], REDIS_REPLY_NIL);
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(hiredis_compat, xinfo_stream_groups_consumers)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    groups_fixture(c);
    redisReply *r = CMD(c, "XINFO", "STREAM", "s");
    cr_assert_eq(field_int(r, "length"), 3);
    cr_assert_eq(field_int(r, "groups"), 1);
    cr_assert_eq(field_int(r, "entries-added"), 3);
    expect_str(field(r, "last-generated-id"), REDIS_REPLY_STRING, "3-1");
    expect_entry(field(r, "first-entry"), "1-1", "n", "1-1");
    expect_entry(field(r, "last-entry"), "3-1", "n", "3-1");
    freeReplyObject(r);

    r = CMD(c, "XINFO", "GROUPS", "s");
    expect_array(r, 1);
    expect_str(field(r->element[0], "name"), REDIS_REPLY_STRING, "g");
    cr_assert_eq(field_int(r->element[0], "consumers"), 1);
    cr_assert_eq(field_int(r->element[0], "pending"), 2);
    expect_str(field(r->element[0], "last-delivered-id"), REDIS_REPLY_STRING, "2-1");
    cr_assert_eq(field_int(r->element[0], "entries-read"), 2);
    cr_assert_eq(field_int(r->element[0], "lag"), 1);
    freeReplyObject(r);

    r = CMD(c, "XINFO", "CONSUMERS", "s", "g");
    expect_array(r, 1);
    expect_str(field(r->element[0], "name"), REDIS_REPLY_STRING, "alice");
    cr_assert_eq(field_int(r->element[0], "pending"), 2);
    cr_assert_geq(field_int(r->element[0], "idle"), 0);
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

/* ---- pipelines and transactions ---- */

Test(hiredis_compat, pipeline_of_xadds_in_order)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    char id[32];
    for (int i = 1; i <= 200; i++) {
        snprintf(id, sizeof id, "%d-1", i);
        APPEND(c, "XADD", "p", id, "i", id);
    }
    APPEND(c, "XADD", "p", "1-1", "dup", "x"); /* too small: an error in place */
    APPEND(c, "XLEN", "p");
    APPEND(c, "XREVRANGE", "p", "+", "-", "COUNT", "1");
    for (int i = 1; i <= 200; i++) {
        redisReply *r = next_reply(c);
        snprintf(id, sizeof id, "%d-1", i);
        expect_str(r, REDIS_REPLY_STRING, id);
        freeReplyObject(r);
    }
    redisReply *r = next_reply(c);
    expect_type(r, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = next_reply(c);
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER);
    cr_assert_eq(r->integer, 200);
    freeReplyObject(r);
    r = next_reply(c);
    expect_array(r, 1);
    expect_entry(r->element[0], "200-1", "i", "200-1");
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(hiredis_compat, multi_exec_and_watch)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    redisContext *other = th_connect_ok(srv);
    th_expect_status(c, "OK", "MULTI", NULL);
    th_expect_status(c, "QUEUED", "XADD", "tx", "1-1", "f", "v", NULL);
    th_expect_status(c, "QUEUED", "XADD", "tx", "1-1", "f", "v", NULL);
    th_expect_status(c, "QUEUED", "XLEN", "tx", NULL);
    redisReply *r = CMD(c, "EXEC");
    expect_array(r, 3);
    expect_str(r->element[0], REDIS_REPLY_STRING, "1-1");
    expect_type(r->element[1], REDIS_REPLY_ERROR);
    cr_assert(strstr(r->element[1]->str, "equal or smaller") != NULL);
    cr_assert_eq(r->element[2]->type, REDIS_REPLY_INTEGER);
    cr_assert_eq(r->element[2]->integer, 1);
    freeReplyObject(r);

    /* WATCH: a write from another connection makes EXEC answer null */
    th_expect_status(c, "OK", "WATCH", "tx", NULL);
    th_expect_bulk(other, "2-1", "XADD", "tx", "2-1", "f", "w", NULL);
    th_expect_status(c, "OK", "MULTI", NULL);
    th_expect_status(c, "QUEUED", "XADD", "tx", "3-1", "f", "v", NULL);
    r = CMD(c, "EXEC");
    expect_type(r, REDIS_REPLY_NIL);
    freeReplyObject(r);
    cr_assert_eq(th_expect_int(c, "XLEN", "tx", NULL), 2);

    /* the whole transaction pipelined: one write, every reply in order */
    APPEND(c, "MULTI");
    APPEND(c, "XADD", "tx", "4-1", "f", "v");
    if (th_is_reference())
        APPEND(c, "XADD", "tx", "5-1", "f", "v");
    else
        APPEND(c, "EV.ADD", "tx", "TAGS", "1", "t", "f", "v");
    APPEND(c, "EXEC");
    const char *want[] = {"OK", "QUEUED", "QUEUED"};
    for (int i = 0; i < 3; i++) {
        r = next_reply(c);
        expect_str(r, REDIS_REPLY_STATUS, want[i]);
        freeReplyObject(r);
    }
    r = next_reply(c);
    expect_array(r, 2);
    expect_str(r->element[0], REDIS_REPLY_STRING, "4-1");
    if (th_is_reference())
        expect_str(r->element[1], REDIS_REPLY_STRING, "5-1");
    else
        cr_assert_eq(field_int(r->element[1], "offset"), 3, "the node's fourth event");
    freeReplyObject(r);
    redisFree(other);
    redisFree(c);
    TH_STOP_OK(srv);
}

/* ---- event commands ---- */

/* The EV tests are swarmlog's own: skipped against a reference redis-server
 * (SWARMLOG_SERVER=/usr/bin/redis-server checks the rest of this file). */
#define SWARMLOG_ONLY()                                  \
    do {                                                 \
        if (th_is_reference())                           \
            cr_skip_test("EV commands are swarmlog's"); \
    } while (0)

/* Checks an EV.QUERY/EV.READ event (a flat name/value array in RESP2). */
static void expect_event(const redisReply *ev, const char *stream, long long offset,
                         const char *key, const char *type, const char *tag2)
{
    expect_array(ev, 20);
    const char *names[] = {"stream", "offset", "lamport", "timestamp", "key",
                           "id", "tags", "type", "eventid", "payload"};
    for (int i = 0; i < 10; i++)
        expect_str(ev->element[2 * i], REDIS_REPLY_STRING, names[i]);
    expect_str(field(ev, "stream"), REDIS_REPLY_STRING, stream);
    cr_assert_eq(field_int(ev, "offset"), offset);
    expect_str(field(ev, "key"), REDIS_REPLY_STRING, key);
    redisReply *tags = field(ev, "tags");
    expect_type(tags, REDIS_REPLY_ARRAY);
    expect_str(tags->element[0], REDIS_REPLY_STRING, key);
    if (tag2) {
        cr_assert_geq(tags->elements, 2);
        expect_str(tags->element[1], REDIS_REPLY_STRING, tag2);
    }
    if (type)
        expect_str(field(ev, "type"), REDIS_REPLY_STRING, type);
    else
        expect_type(field(ev, "type"), REDIS_REPLY_NIL);
}

Test(hiredis_compat, ev_add_query_node_offsets)
{
    SWARMLOG_ONLY();
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    char stream[64], map[128];
    node_stream(c, stream, sizeof stream);
    redisReply *r = CMD(c, "EV.ADD", "orders", "TAGS", "2", "region:eu", "vip", "TYPE",
                        "OrderPlaced", "EVENTID", "o-1", "amount", "10");
    expect_str(field(r, "stream"), REDIS_REPLY_STRING, stream);
    cr_assert_eq(field_int(r, "offset"), 0);
    cr_assert_eq(field_int(r, "lamport"), 1);
    cr_assert_gt(field_int(r, "timestamp"), 1600000000000000LL);
    freeReplyObject(r);
    /* the same EVENTID again: nothing stored, the same position */
    r = CMD(c, "EV.ADD", "orders", "TAGS", "2", "region:eu", "vip", "TYPE", "OrderPlaced",
            "EVENTID", "o-1", "amount", "10");
    cr_assert_eq(field_int(r, "offset"), 0);
    freeReplyObject(r);
    freeReplyObject(CMD(c, "EV.ADD", "orders", "TAGS", "1", "region:us", "amount", "5"));
    freeReplyObject(CMD(c, "XADD", "other", "*", "x", "y"));

    r = CMD(c, "EV.QUERY", "WHERE", "region:eu & vip", "TYPES", "1", "OrderPlaced");
    expect_array(r, 2);
    snprintf(map, sizeof map, "{\"%s\":2}", stream);
    expect_str(r->element[0], REDIS_REPLY_STRING, map);
    expect_array(r->element[1], 1);
    expect_event(r->element[1]->element[0], stream, 0, "orders", "OrderPlaced", "region:eu");
    expect_str(field(r->element[1]->element[0], "eventid"), REDIS_REPLY_STRING, "o-1");
    redisReply *payload = field(r->element[1]->element[0], "payload");
    expect_array(payload, 2);
    expect_str(payload->element[1], REDIS_REPLY_STRING, "10");
    freeReplyObject(r);

    /* paging: COUNT 1 and the returned map as the next FROM */
    r = CMD(c, "EV.QUERY", "WHERE", "orders", "COUNT", "1");
    snprintf(map, sizeof map, "{\"%s\":0}", stream);
    expect_str(r->element[0], REDIS_REPLY_STRING, map);
    freeReplyObject(r);
    r = CMD(c, "EV.QUERY", "WHERE", "orders", "FROM", map, "ORDER", "LAMPORTDESC");
    expect_array(r->element[1], 1);
    expect_event(r->element[1]->element[0], stream, 1, "orders", NULL, "region:us");
    freeReplyObject(r);

    r = CMD(c, "EV.NODE");
    cr_assert_eq(field_int(r, "lamport"), 3);
    cr_assert_eq(field_int(r, "events"), 3);
    cr_assert_eq(strlen(field(r, "node")->str) + 2, strlen(stream));
    freeReplyObject(r);
    r = CMD(c, "EV.OFFSETS");
    snprintf(map, sizeof map, "{\"%s\":2}", stream);
    expect_str(field(r, "present"), REDIS_REPLY_STRING, map);
    expect_str(field(r, "toReplicate"), REDIS_REPLY_STRING, "{}");
    freeReplyObject(r);
    r = CMD(c, "EV.QUERY", "WHERE", "(");
    expect_type(r, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(hiredis_compat, ev_read_block_woken_by_a_matching_event)
{
    SWARMLOG_ONLY();
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    redisContext *w = th_connect_ok(srv);
    char stream[64], map[128];
    node_stream(w, stream, sizeof stream);
    redisReply *r = CMD(c, "EV.READ", "WHERE", "orders", "BLOCK", "100", "FROM", "{}");
    expect_type(r, REDIS_REPLY_NIL);
    freeReplyObject(r);

    APPEND(c, "EV.READ", "WHERE", "orders", "COUNT", "10", "BLOCK", "10000", "FROM", "{}");
    flush_out(c);
    wait_blocked(w, 1);
    freeReplyObject(CMD(w, "EV.ADD", "unrelated", "f", "v")); /* does not wake it */
    freeReplyObject(CMD(w, "EV.ADD", "orders", "TYPE", "T", "f", "v"));
    r = next_reply(c);
    expect_array(r, 2);
    snprintf(map, sizeof map, "{\"%s\":1}", stream);
    expect_str(r->element[0], REDIS_REPLY_STRING, map);
    expect_array(r->element[1], 1);
    expect_event(r->element[1]->element[0], stream, 1, "orders", "T", NULL);
    freeReplyObject(r);
    redisFree(c);
    redisFree(w);
    TH_STOP_OK(srv);
}

Test(hiredis_compat, ev_subscribe_resp2_messages)
{
    SWARMLOG_ONLY();
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    redisContext *w = th_connect_ok(srv);
    char stream[64], map[128];
    node_stream(w, stream, sizeof stream);
    freeReplyObject(CMD(w, "EV.ADD", "orders", "TAGS", "1", "eu", "f", "history"));
    freeReplyObject(CMD(w, "EV.ADD", "other", "f", "skipped"));

    redisReply *r = CMD(c, "EV.SUBSCRIBE", "WHERE", "orders", "FROM", "{}");
    expect_array(r, 2);
    expect_str(r->element[0], REDIS_REPLY_STRING, "ev.subscribed");
    expect_str(r->element[1], REDIS_REPLY_STRING, "{}");
    freeReplyObject(r);
    r = next_reply(c);
    expect_array(r, 2);
    expect_str(r->element[0], REDIS_REPLY_STRING, "ev.event");
    expect_event(r->element[1], stream, 0, "orders", NULL, "eu");
    freeReplyObject(r);
    r = next_reply(c);
    expect_array(r, 2);
    expect_str(r->element[0], REDIS_REPLY_STRING, "ev.caughtup");
    snprintf(map, sizeof map, "{\"%s\":1}", stream);
    expect_str(r->element[1], REDIS_REPLY_STRING, map);
    freeReplyObject(r);

    /* live: committed by another connection */
    freeReplyObject(CMD(w, "EV.ADD", "orders", "f", "live"));
    r = next_reply(c);
    expect_str(r->element[0], REDIS_REPLY_STRING, "ev.event");
    expect_event(r->element[1], stream, 2, "orders", NULL, NULL);
    freeReplyObject(r);

    /* RESP2: other commands are refused until EV.UNSUBSCRIBE */
    r = CMD(c, "EV.NODE");
    expect_type(r, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = CMD(c, "EV.UNSUBSCRIBE");
    expect_array(r, 2);
    expect_str(r->element[0], REDIS_REPLY_STRING, "ev.unsubscribed");
    snprintf(map, sizeof map, "{\"%s\":2}", stream);
    expect_str(r->element[1], REDIS_REPLY_STRING, map);
    freeReplyObject(r);
    th_expect_status(c, "PONG", "PING", NULL);
    redisFree(c);
    redisFree(w);
    TH_STOP_OK(srv);
}

/* ---- RESP3 ---- */

Test(hiredis_compat, resp3_is_not_parsed_by_hiredis_0_14)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    /* HELLO 2 is a RESP2 reply (a flat array) and works */
    redisReply *r = CMD(c, "HELLO", "2");
    cr_assert_eq(field_int(r, "proto"), 2);
    freeReplyObject(r);
    const char *argv[] = {"HELLO", "3"};
    r = redisCommandArgv(c, 2, argv, NULL);
#if HIREDIS_MAJOR == 0
    /* read.c of 0.14 knows only - + : $ *, so HELLO 3's map is an error */
    cr_assert_null(r, "hiredis 0.14 parsed a RESP3 map");
    cr_assert_eq(c->err, REDIS_ERR_PROTOCOL, "err %d: %s", c->err, c->errstr);
    cr_assert(strstr(c->errstr, "\"%\"") != NULL, "errstr: %s", c->errstr);
#else
    /* hiredis >= 1.0 reads RESP3: a map */
    cr_assert_not_null(r);
    cr_assert_eq(r->type, 9 /* REDIS_REPLY_MAP */);
    freeReplyObject(r);
#endif
    redisFree(c);
    TH_STOP_OK(srv);
}
