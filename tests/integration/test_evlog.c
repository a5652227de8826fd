/* The event log's write side against the real server: EV.ADD's reply, its
 * EXPECT race (two connections, exactly one wins per key), EVENTID retries
 * (idempotent, also across a restart), the Lamport clock (strictly
 * increasing, also across restarts), EV.NODE / EV.OFFSETS, and bad input
 * (a clear error, nothing stored). */
#include <stdio.h>
#include <string.h>

#include "th_criterion.h"

TestSuite(evlog, .fini = th_fini_tmp, .timeout = 120);

static th_server *start_on(const char *dir)
{
    struct th_server_opts o = {.datadir = dir};
    th_server *s = th_server_start_opts(&o);
    cr_assert_not_null(s, "server did not start (see above)");
    return s;
}

/* The integer or string value of `name` in a flat name/value reply. */
static redisReply *field(redisReply *r, const char *name)
{
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements % 2 == 0);
    for (size_t i = 0; i < r->elements; i += 2)
        if (strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1];
    cr_assert_fail("no field %s in the reply", name);
    return NULL;
}

static long long node_field(redisContext *c, const char *name)
{
    redisReply *r = redisCommand(c, "EV.NODE");
    long long v = field(r, name)->integer;
    freeReplyObject(r);
    return v;
}

Test(evlog, ev_add_reply_node_and_offsets)
{
    th_server *s = start_on(NULL);
    redisContext *c = th_connect(s);
    redisReply *r = redisCommand(c, "EV.ADD orders TAGS 2 region:eu vip TYPE OrderPlaced amount 10 currency EUR");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 10, "EV.ADD: %s", r ? r->str : "no reply");
    const char *names[] = {"stream", "offset", "lamport", "timestamp", "id"};
    for (int i = 0; i < 5; i++)
        cr_assert_str_eq(r->element[2 * i]->str, names[i]);
    char stream[64];
    snprintf(stream, sizeof stream, "%s", field(r, "stream")->str);
    cr_assert_eq(field(r, "offset")->integer, 0);
    cr_assert_eq(field(r, "lamport")->integer, 1);
    cr_assert_gt(field(r, "timestamp")->integer, 1600000000000000LL);
    char id[64];
    snprintf(id, sizeof id, "%s", field(r, "id")->str);
    freeReplyObject(r);
    /* the event is an entry of the key, as XADD's are */
    r = redisCommand(c, "XRANGE orders - +");
    cr_assert(r->elements == 1 && strcmp(r->element[0]->element[0]->str, id) == 0);
    freeReplyObject(r);
    freeReplyObject(redisCommand(c, "XADD orders * x y"));
    r = redisCommand(c, "EV.NODE");
    cr_assert_str_eq(field(r, "stream")->str, stream);
    cr_assert_eq(strlen(field(r, "node")->str), 22);
    cr_assert_eq(field(r, "lamport")->integer, 2);
    cr_assert_eq(field(r, "events")->integer, 2);
    freeReplyObject(r);
    r = redisCommand(c, "EV.OFFSETS");
    char want[128];
    snprintf(want, sizeof want, "{\"%s\":1}", stream);
    cr_assert_str_eq(field(r, "present")->str, want);
    cr_assert_str_eq(field(r, "toReplicate")->str, "{}");
    freeReplyObject(r);
    redisFree(c);
    cr_assert_eq(th_server_stop(s), 0);
}

Test(evlog, expect_race_exactly_one_wins)
{
    th_server *s = start_on(NULL);
    redisContext *a = th_connect(s), *b = th_connect(s);
    enum { KEYS = 200 };
    for (int i = 0; i < KEYS; i++) {
        redisAppendCommand(a, "EV.ADD race:%d EXPECT NOKEY who a", i);
        redisAppendCommand(b, "EV.ADD race:%d EXPECT NOKEY who b", i);
    }
    int wins = 0, losses = 0;
    for (int i = 0; i < 2 * KEYS; i++) {
        redisReply *r;
        cr_assert_eq(redisGetReply(i % 2 ? b : a, (void **)&r), REDIS_OK);
        if (r->type == REDIS_REPLY_ARRAY)
            wins++;
        else if (r->type == REDIS_REPLY_ERROR && strcmp(r->str, "WRONGVERSION expected NOKEY, key is at 0") == 0)
            losses++;
        else
            cr_assert_fail("unexpected reply %d %s", r->type, r->str ? r->str : "");
        freeReplyObject(r);
    }
    cr_assert_eq(wins, KEYS);
    cr_assert_eq(losses, KEYS);
    for (int i = 0; i < KEYS; i++) {
        char key[32];
        snprintf(key, sizeof key, "race:%d", i);
        cr_assert_eq(th_expect_int(a, "XLEN", key, NULL), 1);
    }
    /* revisions: the count of events ever added minus one */
    th_expect_error(a, "WRONGVERSION expected 5, key is at 0", "EV.ADD", "race:0", "EXPECT", "5", "f", "v", NULL);
    redisReply *r = redisCommand(a, "EV.ADD race:0 EXPECT 0 f v");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    th_expect_error(a, "WRONGVERSION expected EXISTS, key is at -1", "EV.ADD", "nokey", "EXPECT", "EXISTS", "f", "v",
                    NULL);
    redisFree(a);
    redisFree(b);
    cr_assert_eq(th_server_stop(s), 0);
}

Test(evlog, eventid_retry_and_lamport_across_restarts)
{
    tmp_root = th_tmpdir_new();
    cr_assert_not_null(tmp_root);
    th_server *s = start_on(tmp_root);
    redisContext *c = th_connect(s);
    redisReply *first = redisCommand(c, "EV.ADD k EVENTID e-1 TYPE T f v");
    cr_assert_eq(first->type, REDIS_REPLY_ARRAY);
    for (int i = 0; i < 5; i++)
        freeReplyObject(redisCommand(c, "EV.ADD k f %d", i));
    long long lamport = node_field(c, "lamport"), events = node_field(c, "events");
    cr_assert_eq(lamport, 6);
    redisFree(c);
    cr_assert_eq(th_server_stop(s), 0);
    for (int round = 0; round < 2; round++) {
        s = start_on(tmp_root);
        c = th_connect(s);
        cr_assert_eq(node_field(c, "lamport"), lamport, "the clock survives a restart");
        /* a retry stores nothing and answers the stored position */
        redisReply *again = redisCommand(c, "EV.ADD k EVENTID e-1 TYPE T f other");
        cr_assert_eq(again->type, REDIS_REPLY_ARRAY);
        for (size_t i = 0; i < again->elements; i++)
            cr_assert(again->element[i]->type == first->element[i]->type &&
                          (again->element[i]->type == REDIS_REPLY_INTEGER
                               ? again->element[i]->integer == first->element[i]->integer
                               : strcmp(again->element[i]->str, first->element[i]->str) == 0),
                      "element %zu of the retry differs", i);
        freeReplyObject(again);
        cr_assert_eq(node_field(c, "events"), events);
        redisReply *r = redisCommand(c, "EV.ADD k f new");
        cr_assert_gt(field(r, "lamport")->integer, lamport, "the clock only goes up");
        cr_assert_eq(field(r, "offset")->integer, events, "offsets stay gapless");
        lamport = field(r, "lamport")->integer;
        events++;
        freeReplyObject(r);
        redisFree(c);
        cr_assert_eq(th_server_stop(s), 0);
    }
    freeReplyObject(first);
}

Test(evlog, bad_input_gets_an_error_and_stores_nothing)
{
    th_server *s = start_on(NULL);
    redisContext *c = th_connect(s);
    const char *bad[][12] = {
        {"EV.ADD", "k", "TAGS", "5", "a", "b", NULL},
        {"EV.ADD", "k", "TAGS", "-1", "a", "b", NULL},
        {"EV.ADD", "k", "TAGS", "x", "a", "b", NULL},
        {"EV.ADD", "k", "TAGS", "1", "", "a", "b", NULL},
        {"EV.ADD", "k", "TAGS", "2", "t1", "t2", "a", NULL},
        {"EV.ADD", "k", "EXPECT", "-2", "a", "b", NULL},
        {"EV.ADD", "k", "EXPECT", "maybe", "a", "b", NULL},
        {"EV.ADD", "k", "EVENTID", "", "a", "b", NULL},
        {"EV.ADD", "k", "a", "b", "c", NULL},
        {"EV.ADD", "k", "TYPE", "t", NULL},
        {"EV.ADD", "k", "TYPE", "$xdel", "a", "b", NULL}, /* tombstone types are reserved */
        {"EV.ADD", "k", "TYPE", "$mine", "a", "b", NULL},
        {"EV.NODE", "extra", NULL},
        {"EV.OFFSETS", "extra", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int argc = 0;
        while (bad[i][argc])
            argc++;
        redisReply *r = redisCommandArgv(c, argc, (const char **)bad[i], NULL);
        cr_assert(r && r->type == REDIS_REPLY_ERROR, "case %zu: an error", i);
        freeReplyObject(r);
    }
    cr_assert_eq(node_field(c, "events"), 0);
    cr_assert_eq(th_expect_int(c, "EXISTS", "k", NULL), 0);
    redisFree(c);
    cr_assert_eq(th_server_stop(s), 0);
}

/* The next EV.SYNC frame; the caller frees it. */
static redisReply *frame(redisContext *c)
{
    redisReply *r = NULL;
    cr_assert_eq(redisGetReply(c, (void **)&r), REDIS_OK, "a frame");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2, "a frame is an array");
    return r;
}

Test(evlog, ev_sync_streams_the_backlog_then_live_events)
{
    th_server *s = start_on(NULL);
    redisContext *c = th_connect(s);
    for (int i = 0; i < 5; i++)
        freeReplyObject(redisCommand(c, "EV.ADD k%d TAGS 1 t%d TYPE T f %d", i % 2, i, i));
    redisReply *node = redisCommand(c, "EV.NODE");
    char stream[64], self[64];
    snprintf(stream, sizeof stream, "%s", field(node, "stream")->str);
    snprintf(self, sizeof self, "%s", field(node, "node")->str);
    freeReplyObject(node);
    th_expect_error(c, "ERR EV.SYNC from this node itself (a peer address that points back here?)", "EV.SYNC",
                    self, "{}", NULL);

    redisContext *p = th_connect(s);
    char from[128];
    snprintf(from, sizeof from, "{\"%s\":1}", stream);
    redisAppendCommand(p, "EV.SYNC %s %s", "AAAAAAAAAAAAAAAAAAAAAA", from);
    redisReply *f = frame(p);
    cr_assert_str_eq(f->element[0]->str, "offsets");
    char want[128];
    snprintf(want, sizeof want, "{\"%s\":4}", stream);
    cr_assert_str_eq(f->element[1]->str, want);
    freeReplyObject(f);
    for (long long off = 2; off <= 4; off++) { /* what the peer lacks: after offset 1 */
        f = frame(p);
        cr_assert_str_eq(f->element[0]->str, "event");
        cr_assert_eq(f->elements, 10);
        cr_assert_str_eq(f->element[1]->str, stream);
        cr_assert_eq(f->element[2]->integer, off);
        cr_assert_eq(f->element[3]->integer, off + 1, "lamport");
        char key[8], tag[8], val[8];
        snprintf(key, sizeof key, "k%lld", off % 2);
        snprintf(tag, sizeof tag, "t%lld", off);
        snprintf(val, sizeof val, "%lld", off);
        cr_assert_str_eq(f->element[5]->str, key);
        cr_assert(f->element[6]->elements == 2 && strcmp(f->element[6]->element[0]->str, key) == 0 &&
                  strcmp(f->element[6]->element[1]->str, tag) == 0);
        cr_assert_str_eq(f->element[7]->str, "T");
        cr_assert_eq(f->element[8]->type, REDIS_REPLY_NIL);
        cr_assert(f->element[9]->elements == 2 && strcmp(f->element[9]->element[1]->str, val) == 0);
        freeReplyObject(f);
    }
    f = frame(p); /* level: where the node stands */
    cr_assert_str_eq(f->element[0]->str, "offsets");
    freeReplyObject(f);
    freeReplyObject(redisCommand(c, "EV.ADD live f v"));
    f = frame(p);
    if (strcmp(f->element[0]->str, "offsets") == 0) { /* a once-a-second announcement may come first */
        freeReplyObject(f);
        f = frame(p);
    }
    cr_assert_str_eq(f->element[0]->str, "event");
    cr_assert_eq(f->element[2]->integer, 5);
    cr_assert_str_eq(f->element[5]->str, "live");
    freeReplyObject(f);
    redisFree(p);
    redisFree(c);
    cr_assert_eq(th_server_stop(s), 0);
}

Test(evlog, ev_sync_needs_the_peer_password_when_set)
{
    static const char *const args[] = {"--peer-password", "swarm secret", NULL};
    th_server *s = th_server_start(args);
    cr_assert_not_null(s);
    redisContext *c = th_connect(s);
    th_expect_error(c, "NOPERM EV.SYNC needs AUTH with this node's peer-password", "EV.SYNC",
                    "AAAAAAAAAAAAAAAAAAAAAA", "{}", NULL);
    /* a wrong password, with no requirepass: Redis's own answer */
    th_expect_error(c, "ERR AUTH <password> called without any password configured for the default user. "
                       "Are you sure your configuration is correct?", "AUTH", "wrong", NULL);
    th_expect_status(c, "OK", "AUTH", "swarm secret", NULL);
    redisReply *r = redisCommand(c, "EV.SYNC AAAAAAAAAAAAAAAAAAAAAA {}");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && strcmp(r->element[0]->str, "offsets") == 0);
    freeReplyObject(r);
    redisFree(c);
    cr_assert_eq(th_server_stop(s), 0);
}

/* A RESP2 connection subscribed with EV.SUBSCRIBE answers PING as Redis
 * answers a subscribed one: ["pong", message]. */
Test(evlog, ping_while_subscribed_in_resp2_has_pubsub_shape)
{
    th_server *s = start_on(NULL);
    redisContext *c = th_connect(s);
    redisReply *r = redisCommand(c, "EV.SUBSCRIBE WHERE x FROM {}");
    for (int i = 0; r != NULL && i < 5; i++) { /* up to the caught-up message */
        int caughtup = r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                       strcmp(r->element[0]->str, "ev.caughtup") == 0;
        freeReplyObject(r);
        r = NULL;
        if (caughtup)
            break;
        cr_assert_eq(redisGetReply(c, (void **)&r), REDIS_OK);
    }
    r = redisCommand(c, "PING");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2, "an array");
    cr_assert_str_eq(r->element[0]->str, "pong");
    cr_assert_eq(r->element[1]->len, 0);
    freeReplyObject(r);
    r = redisCommand(c, "PING %s", "hello");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    cr_assert_str_eq(r->element[1]->str, "hello");
    freeReplyObject(r);
    redisFree(c);
    cr_assert_eq(th_server_stop(s), 0);
}
