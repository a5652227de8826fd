/* xread_fanout.c — XREAD BLOCK fan-out: R reader connections blocked on one
 * stream, one writer appending to it. Built and run by bench/xread_fanout.
 *
 *   xread_fanout HOST PORT KEY READERS ENTRIES [WINDOW]
 *
 * One thread, poll() over R+1 hiredis connections (no client-side thread
 * scheduling in the measurement). Readers: each issues
 * `XREAD BLOCK 0 STREAMS KEY <last-id>` (starting at 0-0; KEY must not
 * exist), records the receipt time of every entry of each reply and
 * re-issues the read from the last ID it got. Writer: once the server
 * reports R blocked clients it sends `XADD KEY * i <k>`, k = 0..ENTRIES-1,
 * one in flight, recording the send time of each; it sends entry k only
 * when its previous XADD was answered and every reader has received entry
 * k-WINDOW (WINDOW 1, the default: lockstep, each write wakes all R readers
 * and is fully delivered before the next; so the readers always keep up and
 * nothing queues). A larger WINDOW lets readers batch.
 *
 * Checks (exit 1 on any failure): every reader receives exactly ENTRIES
 * entries, the j-th carrying field `i` = j (each entry exactly once, in
 * order) and the j-th ID equal to the ID the writer's j-th XADD returned.
 *
 * Prints one line of key=value pairs:
 *   writes_s      ENTRIES / (end - first XADD send), end = last XADD reply
 *                 or last receipt, whichever is later
 *   deliveries_s  READERS*ENTRIES / the same time
 *   p50_ms p99_ms max_ms  wake latency over all READERS*ENTRIES deliveries:
 *                 receipt by the reader - send of that entry's XADD
 *                 (both CLOCK_MONOTONIC in this process; the receipt time
 *                 is taken right after the read() that completed it)
 *   all_p50_ms all_p99_ms  per entry: send -> receipt by the last reader
 *   xadd_p50_ms   XADD round trip (send -> reply)
 *   batch         mean entries per XREAD reply
 */
#include <hiredis/hiredis.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *host, *key;
static int port, nreaders, nentries, window = 1;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, redisContext *c)
{
    fprintf(stderr, "xread_fanout: %s%s%s\n", what, c && c->err ? ": " : "", c && c->err ? c->errstr : "");
    exit(1);
}

static redisContext *connect_or_die(void)
{
    redisContext *c = redisConnect(host, port);
    if (c == NULL || c->err)
        fail("connect", c);
    return c;
}

static void flush_out(redisContext *c)
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK)
            fail("write", c);
}

struct reader {
    redisContext *c;
    int got;                /* entries received so far */
    char last[48];          /* last ID received */
    char (*ids)[48];        /* [j] ID of the j-th entry received */
    double *recv;           /* [j] receipt time of the j-th entry */
};

static void send_xread(struct reader *rd)
{
    if (redisAppendCommand(rd->c, "XREAD BLOCK 0 STREAMS %s %s", key, rd->last) != REDIS_OK)
        fail("append XREAD", rd->c);
    flush_out(rd->c);
}

/* One XREAD reply: [[key, [[id, [f, v, ...]], ...]]]. */
static int take_reply(struct reader *rd, int ri, redisReply *r, double t)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 || r->element[0]->type != REDIS_REPLY_ARRAY ||
        r->element[0]->elements != 2 || r->element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
        fprintf(stderr, "xread_fanout: reader %d: unexpected XREAD reply (type %d%s%s)\n", ri, r->type,
                r->type == REDIS_REPLY_ERROR ? ": " : "", r->type == REDIS_REPLY_ERROR ? r->str : "");
        exit(1);
    }
    redisReply *es = r->element[0]->element[1];
    if (es->elements == 0)
        fail("empty XREAD reply", NULL);
    for (size_t i = 0; i < es->elements; i++) {
        redisReply *e = es->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
            e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements != 2)
            fail("malformed entry in XREAD reply", NULL);
        redisReply *id = e->element[0], *fv = e->element[1];
        int j = rd->got;
        if (j >= nentries) {
            fprintf(stderr, "xread_fanout: reader %d received more than %d entries\n", ri, nentries);
            exit(1);
        }
        if (fv->element[1]->type != REDIS_REPLY_STRING || atoi(fv->element[1]->str) != j ||
            strcmp(fv->element[0]->str, "i") != 0) {
            fprintf(stderr, "xread_fanout: reader %d: entry #%d (ID %s) carries i=%s, expected %d "
                            "(entry lost, duplicated or out of order)\n",
                    ri, j, id->str, fv->element[1]->str, j);
            exit(1);
        }
        if (id->len >= (int)sizeof(rd->last))
            fail("ID too long", NULL);
        memcpy(rd->ids[j], id->str, id->len + 1);
        memcpy(rd->last, id->str, id->len + 1);
        rd->recv[j] = t;
        rd->got++;
    }
    return (int)es->elements;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
    size_t i = (size_t)(n * p);
    return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT KEY READERS ENTRIES [WINDOW]\n", argv[0]);
        return 2;
    }
    host = argv[1], port = atoi(argv[2]), key = argv[3], nreaders = atoi(argv[4]), nentries = atoi(argv[5]);
    if (argc == 7)
        window = atoi(argv[6]);
    if (nreaders < 1 || nentries < 1 || window < 1)
        return 2;
    double *sent = calloc(nentries, sizeof(*sent)), *acked = calloc(nentries, sizeof(*acked));
    char (*wids)[48] = calloc(nentries, sizeof(*wids));
    int *have = calloc(nentries, sizeof(*have)); /* readers that received entry k */
    struct reader *rds = calloc(nreaders, sizeof(*rds));
    struct pollfd *pfd = calloc(nreaders + 1, sizeof(*pfd));
    if (!sent || !acked || !wids || !have || !rds || !pfd)
        fail("out of memory", NULL);

    redisContext *w = connect_or_die();
    redisReply *r = redisCommand(w, "EXISTS %s", key);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer != 0)
        fail("key already exists (readers start at 0-0)", w);
    freeReplyObject(r);
    for (int i = 0; i < nreaders; i++) {
        rds[i].c = connect_or_die();
        rds[i].ids = calloc(nentries, sizeof(*rds[i].ids));
        rds[i].recv = calloc(nentries, sizeof(*rds[i].recv));
        if (!rds[i].ids || !rds[i].recv)
            fail("out of memory", NULL);
        strcpy(rds[i].last, "0-0");
        pfd[i] = (struct pollfd){ .fd = rds[i].c->fd, .events = POLLIN };
        send_xread(&rds[i]);
    }
    for (int tries = 0;; tries++) { /* every reader parked in XREAD BLOCK */
        r = redisCommand(w, "INFO clients");
        if (r == NULL || r->type != REDIS_REPLY_STRING)
            fail("INFO clients", w);
        const char *p = strstr(r->str, "blocked_clients:");
        int blocked = p ? atoi(p + 16) : -1;
        freeReplyObject(r);
        if (blocked == nreaders)
            break;
        if (tries == 1000)
            fail("readers did not all block within 10s", NULL);
        usleep(10000);
    }
    pfd[nreaders] = (struct pollfd){ .fd = w->fd, .events = POLLIN };

    long replies = 0, entries = 0;
    int finished = 0, next = 0, inflight = 0, acks = 0, slowest = 0; /* slowest: min entries got */
    double end = 0;
    char val[16];
    while (finished < nreaders || acks < nentries) {
        if (!inflight && next < nentries && next - slowest < window) {
            snprintf(val, sizeof(val), "%d", next);
            sent[next] = now();
            if (redisAppendCommand(w, "XADD %s * i %s", key, val) != REDIS_OK)
                fail("append XADD", w);
            flush_out(w);
            inflight = 1, next++;
        }
        int n = poll(pfd, nreaders + 1, 30000);
        if (n < 0)
            fail("poll", NULL);
        if (n == 0)
            fail("no progress for 30s (readers stuck)", NULL);
        if (pfd[nreaders].revents) {
            n--;
            if (redisBufferRead(w) != REDIS_OK)
                fail("read", w);
            double t = now();
            void *reply;
            if (redisGetReplyFromReader(w, &reply) != REDIS_OK)
                fail("protocol error", w);
            if (reply != NULL) {
                redisReply *x = reply;
                if (x->type != REDIS_REPLY_STRING || x->len >= (int)sizeof(wids[0]))
                    fail("XADD did not return an ID", NULL);
                memcpy(wids[acks], x->str, x->len + 1);
                acked[acks++] = t;
                if (t > end)
                    end = t;
                inflight = 0;
                freeReplyObject(reply);
            }
        }
        for (int i = 0; i < nreaders && n > 0; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
                continue;
            n--;
            struct reader *rd = &rds[i];
            if (redisBufferRead(rd->c) != REDIS_OK)
                fail("read", rd->c);
            double t = now();
            void *reply;
            int sent_next = 0;
            for (;;) {
                if (redisGetReplyFromReader(rd->c, &reply) != REDIS_OK)
                    fail("protocol error", rd->c);
                if (reply == NULL)
                    break;
                if (sent_next)
                    fail("more than one reply to one XREAD", NULL);
                int from = rd->got;
                entries += take_reply(rd, i, reply, t);
                for (int k = from; k < rd->got; k++)
                    have[k]++;
                replies++;
                freeReplyObject(reply);
                if (t > end)
                    end = t;
                if (rd->got < nentries)
                    send_xread(rd);
                else
                    finished++, pfd[i].fd = -1;
                sent_next = 1;
            }
        }
        while (slowest < nentries && have[slowest] == nreaders)
            slowest++;
    }

    /* Same IDs, same order, for everyone. */
    for (int i = 0; i < nreaders; i++)
        for (int j = 0; j < nentries; j++)
            if (strcmp(rds[i].ids[j], wids[j]) != 0) {
                fprintf(stderr, "xread_fanout: reader %d entry #%d has ID %s, XADD returned %s\n", i, j,
                        rds[i].ids[j], wids[j]);
                return 1;
            }

    size_t nlat = (size_t)nreaders * nentries;
    double *lat = malloc(nlat * sizeof(*lat)), *all = calloc(nentries, sizeof(*all)),
           *rtt = malloc(nentries * sizeof(*rtt));
    if (!lat || !all || !rtt)
        fail("out of memory", NULL);
    for (int j = 0; j < nentries; j++)
        rtt[j] = acked[j] - sent[j];
    for (int i = 0; i < nreaders; i++)
        for (int j = 0; j < nentries; j++) {
            double l = rds[i].recv[j] - sent[j];
            lat[(size_t)i * nentries + j] = l;
            if (l > all[j])
                all[j] = l;
        }
    qsort(lat, nlat, sizeof(*lat), cmp_double);
    qsort(all, nentries, sizeof(*all), cmp_double);
    qsort(rtt, nentries, sizeof(*rtt), cmp_double);
    double span = end - sent[0];
    printf("writes_s=%.0f deliveries_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f all_p50_ms=%.3f "
           "all_p99_ms=%.3f xadd_p50_ms=%.3f batch=%.2f\n",
           nentries / span, nlat / span, pct(lat, nlat, .5) * 1e3, pct(lat, nlat, .99) * 1e3,
           lat[nlat - 1] * 1e3, pct(all, nentries, .5) * 1e3, pct(all, nentries, .99) * 1e3,
           pct(rtt, nentries, .5) * 1e3, (double)entries / replies);
    for (int i = 0; i < nreaders; i++)
        redisFree(rds[i].c);
    redisFree(w);
    return 0;
}
