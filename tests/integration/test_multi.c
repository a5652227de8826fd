/* MULTI/EXEC against the real server: a transaction's writes are stored
 * together or not at all, also across kill -9; a client blocked in XREAD is
 * woken by an EXEC's write from another connection.
 *
 * crash_atomic: writer threads pipeline transactions
 *   MULTI / XADD a * n <w>:<i> / XADD b * n <w>:<i> / EXEC
 *   and count the acknowledged ones; the server is killed with SIGKILL at a
 *   random moment, restarted on the same directory and checked: a and b hold
 *   the same values in the same order (no half transaction), each writer's
 *   values are exactly its first M transactions, M at least the number it
 *   had acknowledged. CRASH_ROUNDS rounds on one directory.
 *
 * Against redis-server (SWARMLOG_SERVER=/usr/bin/redis-server) the servers
 * run with --appendonly yes --appendfsync always. The seed of the kill
 * moments is printed; replay with SWARMLOG_TEST_SEED=<n>. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "th_criterion.h"

#define CRASH_ROUNDS 6
#define WRITERS 3
#define BATCH 8 /* transactions per pipeline round trip */

TestSuite(multi, .fini = th_fini_tmp, .timeout = 240);

static th_server *start_on(const char *datadir)
{
    static const char *const redis_args[] = {"--appendonly", "yes", "--appendfsync", "always", "--save", "", NULL};
    static const char *const sw_args[] = {"--durability", "strict", NULL};
    struct th_server_opts o = {.args = th_is_reference() ? redis_args : sw_args, .datadir = datadir};
    th_server *s = th_server_start_opts(&o);
    cr_assert_not_null(s, "server did not start on %s (see above)", datadir);
    return s;
}

struct writer {
    pthread_t thread;
    int port, w;
    unsigned first;      /* the first transaction number of this round */
    atomic_uint acked;   /* acknowledged transactions this round */
    atomic_bool started;
    char error[256];
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
    for (unsigned i = wr->first;; i += BATCH) {
        for (unsigned j = i; j < i + BATCH; j++) {
            char v[32];
            snprintf(v, sizeof v, "%d:%u", wr->w, j);
            redisAppendCommand(c, "MULTI");
            redisAppendCommand(c, "XADD a * n %s", v);
            redisAppendCommand(c, "XADD b * n %s", v);
            redisAppendCommand(c, "EXEC");
        }
        for (unsigned j = 0; j < BATCH * 4; j++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                redisFree(c); /* the server was killed */
                return NULL;
            }
            int k = (int)(j % 4);
            bool ok = k == 3 ? r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                                   r->element[0]->type == REDIS_REPLY_STRING &&
                                   r->element[1]->type == REDIS_REPLY_STRING
                             : r->type == REDIS_REPLY_STATUS;
            if (!ok && wr->error[0] == '\0')
                snprintf(wr->error, sizeof wr->error, "writer %d: reply %u of a transaction has type %d",
                         wr->w, j % 4, r->type);
            if (ok && k == 3)
                atomic_fetch_add(&wr->acked, 1);
            freeReplyObject(r);
        }
    }
}

/* The values of key, in order; *n receives how many. */
static char **values_of(redisContext *c, const char *key, size_t *n)
{
    redisReply *r = redisCommand(c, "XRANGE %s - +", key);
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "XRANGE %s", key);
    char **v = calloc(r->elements + 1, sizeof(*v));
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *e = r->element[i];
        cr_assert(e->type == REDIS_REPLY_ARRAY && e->elements == 2 && e->element[1]->elements == 2);
        v[i] = strdup(e->element[1]->element[1]->str);
    }
    *n = r->elements;
    freeReplyObject(r);
    return v;
}

static void free_values(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Checks the store after a restart; returns per writer how many of its
 * transactions are stored (next[w]). */
static void verify(th_server *s, const unsigned acked_total[WRITERS], unsigned next[WRITERS], int round)
{
    redisContext *c = th_connect(s);
    cr_assert_not_null(c);
    size_t na, nb;
    char **a = values_of(c, "a", &na), **b = values_of(c, "b", &nb);
    cr_assert_eq(na, nb, "round %d: a has %zu entries, b %zu: a transaction was stored in half", round, na, nb);
    unsigned count[WRITERS] = {0};
    for (size_t i = 0; i < na; i++) {
        cr_assert_str_eq(a[i], b[i], "round %d: entry %zu differs between a and b", round, i);
        int w;
        unsigned j;
        cr_assert_eq(sscanf(a[i], "%d:%u", &w, &j), 2);
        cr_assert(w >= 0 && w < WRITERS);
        cr_assert_eq(j, count[w], "round %d: writer %d's transaction %u where %u was due (a hole)", round, w, j,
                     count[w]);
        count[w]++;
    }
    for (int w = 0; w < WRITERS; w++) {
        cr_assert_geq(count[w], acked_total[w], "round %d: writer %d had %u transactions acknowledged, %u stored",
                      round, w, acked_total[w], count[w]);
        next[w] = count[w];
    }
    free_values(a, na);
    free_values(b, nb);
    redisFree(c);
}

Test(multi, crash_atomic)
{
    const char *env = getenv("SWARMLOG_TEST_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    fprintf(stderr, "multi crash_atomic: SWARMLOG_TEST_SEED=%u\n", seed);
    srand(seed);
    tmp_root = th_tmpdir_new();
    cr_assert_not_null(tmp_root);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data", tmp_root);
    cr_assert_eq(mkdir(dir, 0755), 0);
    unsigned acked_total[WRITERS] = {0}, next[WRITERS] = {0};
    for (int round = 0; round <= CRASH_ROUNDS; round++) {
        th_server *s = start_on(dir);
        verify(s, acked_total, next, round);
        if (round == CRASH_ROUNDS) {
            fprintf(stderr, "multi crash_atomic: %u, %u, %u transactions stored after %d kills\n", next[0], next[1],
                    next[2], CRASH_ROUNDS);
            cr_assert_eq(th_server_stop(s), 0);
            break;
        }
        struct writer ws[WRITERS];
        memset(ws, 0, sizeof ws);
        for (int w = 0; w < WRITERS; w++) {
            ws[w].port = th_server_port(s);
            ws[w].w = w;
            ws[w].first = next[w];
            cr_assert_eq(pthread_create(&ws[w].thread, NULL, writer_main, &ws[w]), 0);
        }
        unsigned target = 10 + (unsigned)(rand() % 1500);
        long long deadline = th_now_ms() + 3000;
        for (;;) {
            unsigned acked = 0, started = 0;
            for (int w = 0; w < WRITERS; w++) {
                acked += atomic_load(&ws[w].acked);
                started += atomic_load(&ws[w].started);
            }
            if ((acked >= target && started == WRITERS) || th_now_ms() > deadline)
                break;
            usleep(1000);
        }
        cr_assert_eq(th_server_kill(s), 0, "the server was not running at the kill (log above)");
        for (int w = 0; w < WRITERS; w++) {
            pthread_join(ws[w].thread, NULL);
            cr_assert_eq(ws[w].error[0], '\0', "%s", ws[w].error);
            /* acknowledged this round: the transactions from next[w] on */
            acked_total[w] = next[w] + atomic_load(&ws[w].acked);
        }
    }
}

Test(multi, exec_write_wakes_a_blocked_reader_and_blocking_inside_exec_does_not_block)
{
    struct th_server_opts o = {0};
    th_server *s = th_server_start_opts(&o);
    cr_assert_not_null(s);
    int reader = th_raw_connect(th_server_port(s));
    cr_assert(reader >= 0);
    cr_assert(th_raw_send_str(reader, "*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\nk\r\n$1\r\n$\r\n",
                              2000) == 0);
    usleep(100 * 1000); /* let it block */
    redisContext *c = th_connect(s);
    cr_assert_not_null(c);
    redisReply *r = redisCommand(c, "MULTI");
    freeReplyObject(r);
    r = redisCommand(c, "XREAD BLOCK 0 STREAMS k $");
    cr_assert_str_eq(r->str, "QUEUED");
    freeReplyObject(r);
    r = redisCommand(c, "XADD k 5-5 f v");
    freeReplyObject(r);
    r = redisCommand(c, "EXEC");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    cr_assert_eq(r->element[0]->type, REDIS_REPLY_NIL, "XREAD BLOCK inside EXEC answers at once");
    cr_assert_str_eq(r->element[1]->str, "5-5");
    freeReplyObject(r);
    cr_assert(th_raw_expect(reader, "*1\r\n*2\r\n$1\r\nk\r\n*1\r\n*2\r\n$3\r\n5-5\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n", 2000),
              "the blocked reader got the EXEC's entry");
    th_raw_close(reader);
    redisFree(c);
    cr_assert_eq(th_server_stop(s), 0);
}
