/* Streams survive a clean restart byte for byte, and every acknowledged XADD
 * survives kill -9 (durability strict, and relaxed for process crashes).
 *
 * restart: several keys (explicit, ms-*, `*` and far-future ids; binary and
 *   1 MB values; a stream emptied by XTRIM, one whose top entry was XDELed, a
 *   deleted key) are recorded as exact reply bytes (XRANGE, XREVRANGE, XLEN,
 *   EXISTS, TYPE, DBSIZE), the server is stopped with SIGTERM (exit 0) and
 *   started again on the same data directory: every reply is identical, the
 *   last id is kept (XADD of an id <= the last one still fails, `*` goes
 *   above it), twice.
 * crash_strict / crash_relaxed: writer threads pipeline XADD `*` to shared
 *   and own keys, recording every acknowledged id; the server is killed with
 *   SIGKILL mid-load at a random moment, restarted on the same directory and
 *   checked: every acknowledged entry is there with its id and exact fields,
 *   per writer the entries present are exactly its first M commands (M at
 *   least the acknowledged count: unacknowledged ones only at the tail, no
 *   holes, nothing torn), XLEN equals the XRANGE count, earlier content is
 *   unchanged, new ids are above the old ones. CRASH_ROUNDS rounds on one
 *   directory, then a clean stop.
 *
 * Against redis-server (SWARMLOG_SERVER=/usr/bin/redis-server) the servers
 * get --appendonly yes --appendfsync always (no for relaxed) to check the
 * test itself. The seed of the kill moments is printed; replay with
 * SWARMLOG_TEST_SEED=<n>. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "th_criterion.h"

TestSuite(streams_durability, .fini = th_fini_tmp, .timeout = 240);

enum durability { STRICT, RELAXED };

static const char *const *server_args(enum durability d)
{
    static const char *const redis_strict[] = {"--appendonly", "yes", "--appendfsync", "always",
                                               "--save", "", NULL};
    /* Not everysec: while a background fsync is running, Redis postpones
     * the AOF write() but still replies, so a process crash loses
     * acknowledged writes (this test catches that). "no" writes before
     * replying and never fsyncs, like relaxed as far as a process crash goes. */
    static const char *const redis_relaxed[] = {"--appendonly", "yes", "--appendfsync", "no",
                                                "--save", "", NULL};
    static const char *const sw_strict[] = {"--durability", "strict", NULL};
    static const char *const sw_relaxed[] = {"--durability", "relaxed", NULL};
    if (th_is_reference())
        return d == STRICT ? redis_strict : redis_relaxed;
    return d == STRICT ? sw_strict : sw_relaxed;
}

/* A fresh data directory (under tmp_root) shared by every server of a test. */
static char *new_datadir(void)
{
    tmp_root = th_tmpdir_new();
    cr_assert_not_null(tmp_root);
    size_t n = strlen(tmp_root) + 8;
    char *d = malloc(n);
    snprintf(d, n, "%s/data", tmp_root);
    cr_assert_eq(mkdir(d, 0755), 0, "mkdir %s", d);
    return d;
}

static th_server *start_on(const char *datadir, enum durability d)
{
    struct th_server_opts o = {.args = server_args(d), .datadir = datadir};
    th_server *s = th_server_start_opts(&o);
    cr_assert_not_null(s, "server did not start on %s (see above)", datadir);
    return s;
}

/* ---- ids ---- */

struct sid {
    uint64_t ms, seq;
};

static bool parse_id(const char *s, size_t len, struct sid *id)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    id->ms = strtoull(buf, &end, 10);
    if (*end != '-')
        return false;
    id->seq = strtoull(end + 1, &end, 10);
    return *end == '\0';
}

static int cmp_id(struct sid a, struct sid b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    return a.seq < b.seq ? -1 : a.seq > b.seq;
}

/* ---- random (seeded, printed) ---- */

static uint64_t rng_state = 1;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void rng_seed(const char *test)
{
    const char *env = getenv("SWARMLOG_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    rng_state = seed ? seed : 1;
    fprintf(stderr, "%s: SWARMLOG_TEST_SEED=%" PRIu64 "\n", test, seed);
}

/* ================================================================ restart */

struct key {
    const char *name;
    size_t len;
};

#define K(lit) {lit, sizeof lit - 1}
static const struct key RKEYS[] = {
    K("s:explicit"), K("s:star"),  K("s:mixed"),       K("s:big"),  K("s:\0bin\r\n\xff"),
    K("s:empty"),    K("s:trim"),  K("s:deleted-top"), K("s:gone"), K("s:never"),
};
#define NRKEYS (sizeof RKEYS / sizeof *RKEYS)
enum { R_EXPLICIT, R_STAR, R_MIXED, R_BIG, R_BIN, R_EMPTY, R_TRIM, R_DELTOP, R_GONE, R_NEVER };

/* The last id XADD returned per key. */
static struct sid last_id[NRKEYS];
static bool has_last[NRKEYS];

/* Pipelined commands on a hiredis connection: append, then drain checks. */
struct pipe {
    redisContext *c;
    int pending;
    int key[4096]; /* RKEYS index of each pending XADD, or -1 */
};

static void pipe_cmd(struct pipe *p, int key, int argc, const char **argv, const size_t *lens)
{
    cr_assert_eq(redisAppendCommandArgv(p->c, argc, argv, lens), REDIS_OK);
    cr_assert_lt(p->pending, 4096);
    p->key[p->pending++] = key;
}

/* Reads every pending reply: XADD replies must be ids (recorded), others
 * anything but an error. */
static void pipe_drain(struct pipe *p)
{
    for (int i = 0; i < p->pending; i++) {
        redisReply *r;
        cr_assert_eq(redisGetReply(p->c, (void **)&r), REDIS_OK, "no reply: %s", p->c->errstr);
        cr_assert_neq(r->type, REDIS_REPLY_ERROR, "error reply: %s", r->str);
        int k = p->key[i];
        if (k >= 0) {
            cr_assert_eq(r->type, REDIS_REPLY_STRING, "XADD reply is a %s", th_reply_type(r->type));
            struct sid id;
            cr_assert(parse_id(r->str, r->len, &id), "XADD reply %s", r->str);
            if (has_last[k])
                cr_assert_gt(cmp_id(id, last_id[k]), 0, "XADD ids must increase");
            last_id[k] = id;
            has_last[k] = true;
        }
        freeReplyObject(r);
    }
    p->pending = 0;
}

static void xadd(struct pipe *p, int k, const char *id, const char *f1, size_t f1len, const char *v1,
                 size_t v1len, const char *f2, const char *v2)
{
    const char *argv[7] = {"XADD", RKEYS[k].name, id, f1, v1, f2, v2};
    size_t lens[7] = {4, RKEYS[k].len, strlen(id), f1len, v1len, f2 ? strlen(f2) : 0,
                      v2 ? strlen(v2) : 0};
    pipe_cmd(p, k, f2 ? 7 : 5, argv, lens);
    if (p->pending >= 1000)
        pipe_drain(p);
}

static void other(struct pipe *p, int argc, const char **argv)
{
    size_t lens[16];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    pipe_cmd(p, -1, argc, argv, lens);
}

static void populate(th_server *s)
{
    redisContext *c = th_connect_ok(s);
    struct pipe p = {.c = c};
    char id[64], val[256], *big = malloc(1 << 20);
    for (size_t i = 0; i < (1 << 20); i++)
        big[i] = (char)('a' + i % 23);
    for (int i = 1; i <= 3000; i++) {
        snprintf(id, sizeof id, "%d-%d", 1000 + i / 3, i % 3);
        snprintf(val, sizeof val, "value %d %.*s", i, i % 200, big);
        xadd(&p, R_EXPLICIT, id, "n", 1, val, strlen(val), i % 2 ? "g" : NULL, "second field");
    }
    for (int i = 1; i <= 3000; i++) {
        snprintf(val, sizeof val, "%d", i);
        xadd(&p, R_STAR, "*", "n", 1, val, strlen(val), i % 5 ? NULL : "h", "x");
    }
    for (int i = 1; i <= 100; i++)
        xadd(&p, R_MIXED, "5-*", "f", 1, "v", 1, NULL, NULL);
    for (int i = 1; i <= 100; i++)
        xadd(&p, R_MIXED, "*", "f", 1, "w", 1, NULL, NULL);
    xadd(&p, R_MIXED, "99999999999999-1", "f", 1, "future", 6, NULL, NULL);
    for (int i = 1; i <= 10; i++)
        xadd(&p, R_MIXED, "99999999999999-*", "f", 1, "future", 6, NULL, NULL);
    xadd(&p, R_MIXED, "*", "f", 1, "after future", 12, NULL, NULL);
    for (int i = 0; i < 20; i++)
        xadd(&p, R_BIG, "*", "big", 3, big + i, 100000 + (size_t)i, NULL, NULL);
    xadd(&p, R_BIG, "*", "huge", 4, big, 1 << 20, NULL, NULL);
    xadd(&p, R_BIN, "1-1", "\0f\r\n", 4, "\0\xff\r\n\0", 5, NULL, NULL);
    xadd(&p, R_BIN, "1-2", "", 0, "", 0, "k", "v");
    for (int i = 1; i <= 5; i++)
        xadd(&p, R_EMPTY, "1-*", "f", 1, "v", 1, NULL, NULL);
    other(&p, 4, (const char *[]){"XTRIM", "s:empty", "MAXLEN", "0"});
    for (int i = 1; i <= 500; i++)
        xadd(&p, R_TRIM, "*", "i", 1, val, (size_t)(i % 10), NULL, NULL);
    other(&p, 5, (const char *[]){"XTRIM", "s:trim", "MAXLEN", "~", "150"});
    other(&p, 4, (const char *[]){"XTRIM", "s:trim", "MAXLEN", "120"});
    for (int i = 1; i <= 10; i++) {
        snprintf(id, sizeof id, "1-%d", i);
        xadd(&p, R_DELTOP, id, "f", 1, "v", 1, NULL, NULL);
    }
    other(&p, 4, (const char *[]){"XDEL", "s:deleted-top", "1-10", "1-3"});
    xadd(&p, R_GONE, "1-1", "f", 1, "v", 1, NULL, NULL);
    other(&p, 2, (const char *[]){"DEL", "s:gone"});
    pipe_drain(&p);
    free(big);
    redisFree(c);
}

/* Exact reply bytes of one command on a raw connection. */
static char *raw_call(int fd, size_t *len, int argc, const char **argv, const size_t *lens)
{
    char *cmd;
    int n = redisFormatCommandArgv(&cmd, argc, argv, lens);
    cr_assert_gt(n, 0);
    cr_assert_eq(th_raw_send(fd, cmd, (size_t)n, 10000), 0, "send failed");
    redisFreeCommand(cmd);
    char *r = th_raw_read_reply(fd, len, 30000);
    cr_assert_not_null(r, "no reply to %s (see above)", argv[0]);
    return r;
}

#define SNAP_PER_KEY 5
struct snapshot {
    char *reply[NRKEYS * SNAP_PER_KEY + 1];
    size_t len[NRKEYS * SNAP_PER_KEY + 1];
    const char *what[NRKEYS * SNAP_PER_KEY + 1];
};

static void take(th_server *s, struct snapshot *snap)
{
    int fd = th_raw_connect_ok(s);
    int n = 0;
    for (size_t k = 0; k < NRKEYS; k++) {
        const char *key = RKEYS[k].name;
        size_t kl = RKEYS[k].len;
        struct {
            const char *what;
            int argc;
            const char *argv[6];
        } cmds[SNAP_PER_KEY] = {
            {"XRANGE - +", 4, {"XRANGE", key, "-", "+"}},
            {"XREVRANGE + - COUNT 3", 6, {"XREVRANGE", key, "+", "-", "COUNT", "3"}},
            {"XLEN", 2, {"XLEN", key}},
            {"EXISTS", 2, {"EXISTS", key}},
            {"TYPE", 2, {"TYPE", key}},
        };
        for (int j = 0; j < SNAP_PER_KEY; j++) {
            size_t lens[6];
            for (int a = 0; a < cmds[j].argc; a++)
                lens[a] = a == 1 ? kl : strlen(cmds[j].argv[a]);
            snap->what[n] = cmds[j].what;
            snap->reply[n] = raw_call(fd, &snap->len[n], cmds[j].argc, cmds[j].argv, lens);
            n++;
        }
    }
    snap->what[n] = "DBSIZE";
    snap->reply[n] = raw_call(fd, &snap->len[n], 1, (const char *[]){"DBSIZE"}, (size_t[]){6});
    th_raw_close(fd);
}

static void snapshot_free(struct snapshot *snap)
{
    for (size_t i = 0; i < NRKEYS * SNAP_PER_KEY + 1; i++)
        free(snap->reply[i]);
}

static void expect_same(const struct snapshot *a, const struct snapshot *b)
{
    for (size_t i = 0; i < NRKEYS * SNAP_PER_KEY + 1; i++) {
        const struct key *k = &RKEYS[i / SNAP_PER_KEY < NRKEYS ? i / SNAP_PER_KEY : 0];
        if (a->len[i] == b->len[i] && memcmp(a->reply[i], b->reply[i], a->len[i]) == 0)
            continue;
        size_t off = 0;
        while (off < a->len[i] && off < b->len[i] && a->reply[i][off] == b->reply[i][off])
            off++;
        size_t from = off > 60 ? off - 60 : 0;
        char *ea = th_escape(a->reply[i] + from, (a->len[i] - from) > 200 ? 200 : a->len[i] - from);
        char *eb = th_escape(b->reply[i] + from, (b->len[i] - from) > 200 ? 200 : b->len[i] - from);
        cr_assert_fail("after restart, %s %.*s differs (%zu bytes before, %zu after; first "
                       "difference at byte %zu):\n  before: ...%s\n  after:  ...%s",
                       a->what[i], (int)k->len, k->name, a->len[i], b->len[i], off, ea, eb);
    }
}

/* A new XADD * on every existing key goes above the last id ever given,
 * and an id equal to it is refused. */
static void check_ids_continue(th_server *s)
{
    redisContext *c = th_connect_ok(s);
    for (size_t k = 0; k < NRKEYS; k++) {
        if (!has_last[k] || k == R_GONE)
            continue;
        char idbuf[64];
        snprintf(idbuf, sizeof idbuf, "%" PRIu64 "-%" PRIu64, last_id[k].ms, last_id[k].seq);
        const char *argv[] = {"XADD", RKEYS[k].name, idbuf, "f", "v"};
        size_t lens[] = {4, RKEYS[k].len, strlen(idbuf), 1, 1};
        redisReply *r = redisCommandArgv(c, 5, argv, lens);
        cr_assert_not_null(r);
        th_check_str(r, REDIS_REPLY_ERROR,
                     "ERR The ID specified in XADD is equal or smaller than the target stream top item");
        freeReplyObject(r);
        argv[2] = "*";
        lens[2] = 1;
        r = redisCommandArgv(c, 5, argv, lens);
        cr_assert_not_null(r);
        struct sid id;
        cr_assert(r->type == REDIS_REPLY_STRING && parse_id(r->str, r->len, &id),
                  "XADD %.*s * after restart: %s", (int)RKEYS[k].len, RKEYS[k].name, r->str);
        cr_assert_gt(cmp_id(id, last_id[k]), 0,
                     "XADD %.*s * after restart gave %s, not above the last id %s", (int)RKEYS[k].len,
                     RKEYS[k].name, r->str, idbuf);
        last_id[k] = id;
        freeReplyObject(r);
    }
    redisFree(c);
}

Test(streams_durability, restart)
{
    char *dir = new_datadir();
    srv = start_on(dir, STRICT);
    populate(srv);
    struct snapshot before = {0}, after = {0};
    take(srv, &before);
    /* Sanity: what the snapshot must show, on any server. */
    cr_assert_str_eq(before.reply[R_EMPTY * SNAP_PER_KEY + 2], ":0\r\n", "s:empty has 0 entries");
    cr_assert_str_eq(before.reply[R_EMPTY * SNAP_PER_KEY + 3], ":1\r\n", "s:empty exists");
    cr_assert_str_eq(before.reply[R_TRIM * SNAP_PER_KEY + 2], ":120\r\n");
    cr_assert_str_eq(before.reply[R_DELTOP * SNAP_PER_KEY + 2], ":8\r\n");
    cr_assert_str_eq(before.reply[R_GONE * SNAP_PER_KEY + 3], ":0\r\n");
    cr_assert_str_eq(before.reply[R_GONE * SNAP_PER_KEY + 4], "+none\r\n");
    cr_assert_str_eq(before.reply[NRKEYS * SNAP_PER_KEY], ":8\r\n", "DBSIZE");

    for (int round = 0; round < 2; round++) {
        TH_STOP_OK(srv);
        srv = start_on(dir, STRICT);
        take(srv, &after);
        expect_same(&before, &after);
        snapshot_free(&after);
        memset(&after, 0, sizeof after);
        /* New entries after the restart, kept by the next one. */
        check_ids_continue(srv);
        snapshot_free(&before);
        take(srv, &before);
    }
    snapshot_free(&before);
    TH_STOP_OK(srv);
    free(dir);
}

/* ================================================================ crash */

#define WRITERS 4
#define SHARED_KEYS 3
#define CRASH_ROUNDS 10
#define WINDOW 16
#define MAX_PAYLOAD 1024

static const struct key CKEYS[SHARED_KEYS + WRITERS] = {
    K("c:shared0"), K("c:shared1"), K("c:\0shared\xff"), K("c:own0"), K("c:own1"), K("c:own2"), K("c:own3"),
};
#define NCKEYS (SHARED_KEYS + WRITERS)

/* The key command n of writer w goes to. */
static int key_of(int w, uint32_t n)
{
    int k = (int)((n * 7 + (uint32_t)w) % (SHARED_KEYS + 1));
    return k < SHARED_KEYS ? k : SHARED_KEYS + w;
}

/* The payload of command n of writer w in round r: 0..1023 random bytes. */
static size_t payload(int r, int w, uint32_t n, char *buf)
{
    uint64_t h = ((uint64_t)r << 40) ^ ((uint64_t)w << 32) ^ n;
    h = (h ^ (h >> 31)) * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    size_t len = h % 8 == 0 ? 0 : (h >> 8) % MAX_PAYLOAD;
    for (size_t i = 0; i < len; i++) {
        h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        buf[i] = (char)(h >> 56);
    }
    return len;
}

struct ack {
    struct sid id;
    uint32_t n;
};

struct writer {
    pthread_t thread;
    int port, round, w;
    uint32_t sent;          /* commands handed to the socket (an upper bound) */
    struct ack *acks;       /* acknowledged, in order; acks[i].n == i */
    uint32_t nacks, cap;
    atomic_uint acked;      /* nacks, for the main thread */
    atomic_bool started;    /* connected (or failed to): the kill may come */
    char error[256];        /* an unexpected reply; empty if none */
};

static void *writer_main(void *arg)
{
    struct writer *wr = arg;
    redisContext *c = th_connect_port(wr->port);
    atomic_store(&wr->started, true);
    if (!c) {
        snprintf(wr->error, sizeof wr->error, "writer %d: cannot connect", wr->w);
        return NULL;
    }
    char wbuf[32], nbuf[16], pbuf[MAX_PAYLOAD];
    snprintf(wbuf, sizeof wbuf, "%d.%d", wr->round, wr->w);
    for (;;) {
        for (int i = 0; i < WINDOW; i++) {
            uint32_t n = wr->sent + (uint32_t)i;
            snprintf(nbuf, sizeof nbuf, "%u", n);
            const struct key *k = &CKEYS[key_of(wr->w, n)];
            size_t plen = payload(wr->round, wr->w, n, pbuf);
            const char *argv[] = {"XADD", k->name, "*", "w", wbuf, "n", nbuf, "p", pbuf};
            size_t lens[] = {4, k->len, 1, 1, strlen(wbuf), 1, strlen(nbuf), 1, plen};
            redisAppendCommandArgv(c, 9, argv, lens);
        }
        wr->sent += WINDOW;
        for (int i = 0; i < WINDOW; i++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK)
                goto out; /* the server is gone: expected */
            struct sid id;
            if (r->type != REDIS_REPLY_STRING || !parse_id(r->str, r->len, &id)) {
                snprintf(wr->error, sizeof wr->error, "writer %d: XADD n=%u: unexpected reply type %d %s",
                         wr->w, wr->nacks, r->type, r->str ? r->str : "");
                freeReplyObject(r);
                goto out;
            }
            freeReplyObject(r);
            if (wr->nacks == wr->cap) {
                wr->cap = wr->cap ? wr->cap * 2 : 1024;
                wr->acks = realloc(wr->acks, wr->cap * sizeof *wr->acks);
            }
            wr->acks[wr->nacks] = (struct ack){id, wr->nacks};
            wr->nacks++;
            atomic_store(&wr->acked, wr->nacks);
        }
    }
out:
    redisFree(c);
    return NULL;
}

/* What a key held at the last check: every entry's id and origin. */
struct entry {
    struct sid id;
    int round, w;
    uint32_t n;
};

struct model {
    struct entry *e[NCKEYS];
    size_t len[NCKEYS];
    long long entries_total;
};

static bool bulk_eq(const redisReply *r, const char *s, size_t len)
{
    return r->type == REDIS_REPLY_STRING && r->len == len && memcmp(r->str, s, len) == 0;
}

/* Checks the server's content against the model plus the writers of the
 * last round (ws, or NULL before the first), then makes it the model. */
static void verify(th_server *s, struct model *m, struct writer *ws, int round)
{
    redisContext *c = th_connect_ok(s);
    uint32_t present[WRITERS] = {0}; /* per writer: highest n present + 1 */
    uint32_t count[WRITERS] = {0};   /* per writer: entries present */
    int nonempty = 0;
    char pbuf[MAX_PAYLOAD], txt[32];
    for (int k = 0; k < NCKEYS; k++) {
        const char *key = CKEYS[k].name;
        size_t kl = CKEYS[k].len;
        redisReply *r = redisCommandArgv(c, 4, (const char *[]){"XRANGE", key, "-", "+"},
                                         (size_t[]){6, kl, 1, 1});
        cr_assert_not_null(r, "XRANGE: %s", c->errstr);
        cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "XRANGE reply type %s %s", th_reply_type(r->type),
                     r->str ? r->str : "");
        redisReply *l = redisCommandArgv(c, 2, (const char *[]){"XLEN", key}, (size_t[]){4, kl});
        cr_assert(l && l->type == REDIS_REPLY_INTEGER);
        cr_assert_eq((size_t)l->integer, r->elements, "key %zu: XLEN %lld but XRANGE has %zu entries",
                     (size_t)k, l->integer, r->elements);
        freeReplyObject(l);
        cr_assert_geq(r->elements, m->len[k], "key %d lost entries: had %zu, now %zu", k, m->len[k],
                      r->elements);
        struct entry *e = malloc((r->elements + 1) * sizeof *e);
        uint32_t last_n[WRITERS];
        for (int w = 0; w < WRITERS; w++)
            last_n[w] = UINT32_MAX;
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *it = r->element[i];
            cr_assert(it->type == REDIS_REPLY_ARRAY && it->elements == 2, "key %d entry %zu malformed", k, i);
            redisReply *idr = it->element[0], *fr = it->element[1];
            cr_assert(idr->type == REDIS_REPLY_STRING && parse_id(idr->str, idr->len, &e[i].id),
                      "key %d entry %zu: bad id", k, i);
            if (i > 0)
                cr_assert_gt(cmp_id(e[i].id, e[i - 1].id), 0, "key %d: ids not increasing at %zu", k, i);
            cr_assert(fr->type == REDIS_REPLY_ARRAY && fr->elements == 6,
                      "key %d entry %s: %zu field items, want 6 (torn?)", k, idr->str, fr->elements);
            cr_assert(bulk_eq(fr->element[0], "w", 1) && bulk_eq(fr->element[2], "n", 1) &&
                          bulk_eq(fr->element[4], "p", 1) && fr->element[1]->type == REDIS_REPLY_STRING &&
                          fr->element[3]->type == REDIS_REPLY_STRING &&
                          fr->element[5]->type == REDIS_REPLY_STRING,
                      "key %d entry %s: field names", k, idr->str);
            cr_assert_eq(sscanf(fr->element[1]->str, "%d.%d", &e[i].round, &e[i].w), 2);
            e[i].n = (uint32_t)strtoul(fr->element[3]->str, NULL, 10);
            int w = e[i].w;
            cr_assert(w >= 0 && w < WRITERS && e[i].round >= 0 && e[i].round <= round,
                      "key %d entry %s: bad origin", k, idr->str);
            cr_assert_eq(key_of(w, e[i].n), k, "entry %s (writer %d n %u) in the wrong key", idr->str, w,
                         e[i].n);
            size_t plen = payload(e[i].round, w, e[i].n, pbuf);
            cr_assert(bulk_eq(fr->element[5], pbuf, plen),
                      "key %d entry %s (round %d writer %d n %u): payload differs (%zu bytes, want %zu)",
                      k, idr->str, e[i].round, w, e[i].n, fr->element[5]->len, plen);
            if (i < m->len[k]) {
                /* Content checked at an earlier round: unchanged. */
                const struct entry *o = &m->e[k][i];
                cr_assert(cmp_id(o->id, e[i].id) == 0 && o->round == e[i].round && o->w == w &&
                              o->n == e[i].n,
                          "key %d entry %zu changed since the last round (now %s)", k, i, idr->str);
                continue;
            }
            /* New since the last check: from the last round's writers. */
            cr_assert(ws && e[i].round == round - 1,
                      "key %d entry %s: unexpected entry from round %d (last writers: round %d)", k,
                      idr->str, e[i].round, round - 1);
            cr_assert(last_n[w] == UINT32_MAX || e[i].n > last_n[w],
                      "key %d: writer %d's entries out of order (n %u after %u)", k, w, e[i].n, last_n[w]);
            last_n[w] = e[i].n;
            cr_assert_lt(e[i].n, ws[w].sent, "key %d: writer %d n %u was never sent", k, w, e[i].n);
            if (e[i].n < ws[w].nacks) {
                const struct ack *a = &ws[w].acks[e[i].n];
                snprintf(txt, sizeof txt, "%" PRIu64 "-%" PRIu64, a->id.ms, a->id.seq);
                cr_assert(cmp_id(a->id, e[i].id) == 0,
                          "key %d: writer %d n %u was acknowledged as %s but is stored as %s", k, w,
                          e[i].n, txt, idr->str);
            }
            count[w]++;
            if (e[i].n + 1 > present[w])
                present[w] = e[i].n + 1;
        }
        free(m->e[k]);
        m->e[k] = e;
        m->len[k] = r->elements;
        freeReplyObject(r);
        nonempty += m->len[k] > 0;
    }
    if (ws) {
        for (int w = 0; w < WRITERS; w++) {
            /* Entries n = 0..present-1, each once (ids are unique per key and
             * n per writer): no holes, so unacknowledged ones are a tail. */
            cr_assert_eq(count[w], present[w],
                         "round %d writer %d: %u entries present but the highest n is %u: a hole "
                         "(acknowledged %u, sent %u)",
                         round - 1, w, count[w], present[w] ? present[w] - 1 : 0, ws[w].nacks, ws[w].sent);
            cr_assert_geq(present[w], ws[w].nacks,
                          "round %d writer %d: %u acknowledged XADDs but only %u stored: lost writes",
                          round - 1, w, ws[w].nacks, present[w]);
        }
    }
    redisReply *d = redisCommand(c, "DBSIZE");
    cr_assert(d && d->type == REDIS_REPLY_INTEGER);
    cr_assert_eq(d->integer, nonempty, "DBSIZE %lld, %d keys have entries", d->integer, nonempty);
    freeReplyObject(d);
    redisFree(c);
}

static void crash_rounds(enum durability dur, const char *name)
{
    rng_seed(name);
    char *dir = new_datadir();
    struct model m = {0};
    struct writer ws[WRITERS];
    bool have_writers = false;
    long long t0 = th_now_ms();
    unsigned total_acked = 0, total_sent = 0;
    for (int round = 0; round <= CRASH_ROUNDS; round++) {
        srv = start_on(dir, dur);
        verify(srv, &m, have_writers ? ws : NULL, round);
        if (have_writers)
            for (int w = 0; w < WRITERS; w++)
                free(ws[w].acks);
        if (round == CRASH_ROUNDS)
            break;
        memset(ws, 0, sizeof ws);
        for (int w = 0; w < WRITERS; w++) {
            ws[w].port = th_server_port(srv);
            ws[w].round = round;
            ws[w].w = w;
            cr_assert_eq(pthread_create(&ws[w].thread, NULL, writer_main, &ws[w]), 0);
        }
        have_writers = true;
        /* Kill after a random number of acknowledged writes (or 3 s). */
        unsigned target = 20 + (unsigned)(rng_next() % 3000);
        long long deadline = th_now_ms() + 3000;
        for (;;) {
            unsigned acked = 0, started = 0;
            for (int w = 0; w < WRITERS; w++) {
                acked += atomic_load(&ws[w].acked);
                started += atomic_load(&ws[w].started);
            }
            /* every writer connected first, or one would meet a dead server */
            if ((acked >= target && started == WRITERS) || th_now_ms() > deadline)
                break;
            usleep(1000);
        }
        cr_assert_eq(th_server_kill(srv), 0, "the server was not running at the kill (log above)");
        srv = NULL;
        for (int w = 0; w < WRITERS; w++) {
            pthread_join(ws[w].thread, NULL);
            cr_assert_eq(ws[w].error[0], '\0', "%s", ws[w].error);
            total_acked += ws[w].nacks;
            total_sent += ws[w].sent;
        }
    }
    long long entries = 0;
    for (int k = 0; k < NCKEYS; k++) {
        entries += (long long)m.len[k];
        free(m.e[k]);
    }
    fprintf(stderr, "%s: %d crashes, %u writes acknowledged of %u sent, %lld entries stored, %lld ms\n",
            name, CRASH_ROUNDS, total_acked, total_sent, entries, th_now_ms() - t0);
    cr_assert_geq(entries, total_acked);
    TH_STOP_OK(srv);
    free(dir);
}

Test(streams_durability, crash_strict)
{
    crash_rounds(STRICT, "crash_strict");
}

/* relaxed: no fsync per commit, but a process crash must lose nothing. */
Test(streams_durability, crash_relaxed)
{
    crash_rounds(RELAXED, "crash_relaxed");
}
