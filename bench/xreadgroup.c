/* xreadgroup.c — consumer-group drain: C consumers of one group read a
 * pre-filled stream with XREADGROUP ... > and acknowledge with XACK until the
 * group has delivered everything. Built and run by bench/xreadgroup.
 *
 *   xreadgroup HOST PORT KEY GROUP CONSUMERS COUNT ENTRIES seq|pipe
 *
 * KEY must hold exactly ENTRIES entries with IDs 1-1 .. ENTRIES-1 (the script
 * loads them) and GROUP must not exist; the program creates it at 0
 * (`XGROUP CREATE KEY GROUP 0`), drains it, checks it, and destroys it again
 * (so the next round starts from the same state).
 *
 * One thread, poll() over CONSUMERS hiredis connections (no client-side
 * thread scheduling in the measurement); consumer i is named c<i>. Each
 * consumer loops, one request in flight per connection:
 *   seq   `XREADGROUP GROUP g c<i> COUNT k STREAMS KEY >`, wait for the reply,
 *         then `XACK KEY g <every ID received>`, wait for the reply. One cycle
 *         = two round trips (the usual consumer loop); its latency is
 *         XREADGROUP send -> XACK reply. A nil (or empty) read ends the
 *         consumer; that last read is not a cycle.
 *   pipe  one write carries `XACK KEY g <IDs of the previous read>` (left out
 *         on the first cycle) and the next `XREADGROUP ... >`: one round trip
 *         per cycle; its latency is send -> both replies. The read that comes
 *         back empty ends the consumer (its XACK, the last one, still counts).
 *
 * Checks (exit 1 on any failure): every reply well formed; every read entry
 * has an ID n-1 with 1 <= n <= ENTRIES and the fields `sensor`, `value`; IDs
 * strictly increase per consumer; each ID is delivered exactly once over the
 * whole group and every XACK returns the number of IDs it carried (each was
 * pending, so each is acknowledged exactly once); all ENTRIES are delivered.
 * After the drain: `XPENDING KEY g` reports 0 pending, `XINFO GROUPS KEY`
 * reports for g: pending 0, lag 0, entries-read ENTRIES, last-delivered-id
 * ENTRIES-1, CONSUMERS consumers.
 *
 * Prints one line of key=value pairs:
 *   entries_s    ENTRIES / (last XACK reply - first send)
 *   cycles_s     cycles / the same time
 *   p50_ms p99_ms max_ms  per-cycle latency (see above; CLOCK_MONOTONIC)
 *   read_p50_ms ack_p50_ms  (seq only) XREADGROUP and XACK round trips
 *   batch        mean entries per non-empty read
 */
#include <hiredis/hiredis.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *host, *key, *group;
static int port, nconsumers, count, nentries, pipemode;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, redisContext *c)
{
    fprintf(stderr, "xreadgroup: %s%s%s\n", what, c && c->err ? ": " : "", c && c->err ? c->errstr : "");
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

static redisReply *cmd(redisContext *c, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (r == NULL)
        fail(what, c);
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "xreadgroup: %s: %s\n", what, r->str);
        exit(1);
    }
    return r;
}

static unsigned char *delivered; /* [n] times entry n-1 was delivered */

struct consumer {
    redisContext *c;
    char name[16];
    int state;             /* seq: 0 reading, 1 acking; pipe: replies still expected */
    int done;
    unsigned long last;    /* last ID (ms part) received */
    int nids;              /* IDs of the last read, not yet acknowledged */
    char (*ids)[32];
    const char **argv;     /* XACK KEY GROUP id... */
    size_t *argvlen;
    int acking;            /* pipe: IDs carried by the XACK in flight */
    double t0, tread;      /* cycle start; seq: XREADGROUP reply */
};

static double *lat, *rlat, *alat;
static size_t nlat, nrlat, nalat, cap;
static long acked_total, reads, read_entries;

static void push(double **v, size_t *n, double x)
{
    if (*n == cap)
        fail("too many cycles", NULL);
    (*v)[(*n)++] = x;
}

static void send_read(struct consumer *cs)
{
    if (redisAppendCommand(cs->c, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s >", group, cs->name, count, key) !=
        REDIS_OK)
        fail("append XREADGROUP", cs->c);
}

static void append_ack(struct consumer *cs)
{
    cs->argv[0] = "XACK", cs->argvlen[0] = 4;
    cs->argv[1] = key, cs->argvlen[1] = strlen(key);
    cs->argv[2] = group, cs->argvlen[2] = strlen(group);
    for (int j = 0; j < cs->nids; j++)
        cs->argv[3 + j] = cs->ids[j], cs->argvlen[3 + j] = strlen(cs->ids[j]);
    if (redisAppendCommandArgv(cs->c, 3 + cs->nids, cs->argv, cs->argvlen) != REDIS_OK)
        fail("append XACK", cs->c);
    cs->acking = cs->nids;
    cs->nids = 0;
}

/* XREADGROUP reply: nil / empty (nothing left) or [[key, [[id, [f, v, ...]], ...]]]. Returns entries. */
static int take_read(struct consumer *cs, int ci, redisReply *r)
{
    if (r->type == REDIS_REPLY_NIL || (r->type == REDIS_REPLY_ARRAY && r->elements == 0))
        return 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 || r->element[0]->type != REDIS_REPLY_ARRAY ||
        r->element[0]->elements != 2 || r->element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
        fprintf(stderr, "xreadgroup: consumer %d: unexpected XREADGROUP reply (type %d%s%s)\n", ci, r->type,
                r->type == REDIS_REPLY_ERROR ? ": " : "", r->type == REDIS_REPLY_ERROR ? r->str : "");
        exit(1);
    }
    redisReply *es = r->element[0]->element[1];
    if (es->elements == 0)
        return 0;
    if ((int)es->elements > count)
        fail("XREADGROUP returned more than COUNT entries", NULL);
    for (size_t i = 0; i < es->elements; i++) {
        redisReply *e = es->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
            e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements != 4 ||
            strcmp(e->element[1]->element[0]->str, "sensor") != 0 ||
            strcmp(e->element[1]->element[2]->str, "value") != 0)
            fail("malformed entry in XREADGROUP reply", NULL);
        const char *id = e->element[0]->str;
        char *end;
        unsigned long ms = strtoul(id, &end, 10);
        if (strcmp(end, "-1") != 0 || ms < 1 || ms > (unsigned long)nentries) {
            fprintf(stderr, "xreadgroup: consumer %d: unexpected ID %s\n", ci, id);
            exit(1);
        }
        if (ms <= cs->last) {
            fprintf(stderr, "xreadgroup: consumer %d: ID %s after %lu-1 (not increasing)\n", ci, id, cs->last);
            exit(1);
        }
        if (delivered[ms]++) {
            fprintf(stderr, "xreadgroup: ID %s delivered twice (second time to consumer %d)\n", id, ci);
            exit(1);
        }
        cs->last = ms;
        snprintf(cs->ids[cs->nids++], sizeof(cs->ids[0]), "%s", id);
    }
    reads++, read_entries += es->elements;
    return (int)es->elements;
}

static void take_ack(struct consumer *cs, int ci, redisReply *r)
{
    if (r->type != REDIS_REPLY_INTEGER || r->integer != cs->acking) {
        fprintf(stderr, "xreadgroup: consumer %d: XACK of %d IDs returned %s%lld\n", ci, cs->acking,
                r->type == REDIS_REPLY_ERROR ? r->str : "", r->type == REDIS_REPLY_INTEGER ? r->integer : -1LL);
        exit(1);
    }
    acked_total += cs->acking;
    cs->acking = 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(n * p);
    return v[i < n ? i : n - 1];
}

static const redisReply *field(const redisReply *map, const char *name)
{
    for (size_t i = 0; i + 1 < map->elements; i += 2)
        if (map->element[i]->type == REDIS_REPLY_STRING && strcmp(map->element[i]->str, name) == 0)
            return map->element[i + 1];
    fprintf(stderr, "xreadgroup: XINFO GROUPS has no field %s\n", name);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 9 || (strcmp(argv[8], "seq") != 0 && strcmp(argv[8], "pipe") != 0)) {
        fprintf(stderr, "usage: %s HOST PORT KEY GROUP CONSUMERS COUNT ENTRIES seq|pipe\n", argv[0]);
        return 2;
    }
    host = argv[1], port = atoi(argv[2]), key = argv[3], group = argv[4];
    nconsumers = atoi(argv[5]), count = atoi(argv[6]), nentries = atoi(argv[7]);
    pipemode = strcmp(argv[8], "pipe") == 0;
    if (nconsumers < 1 || count < 1 || nentries < 1)
        return 2;
    cap = (size_t)nentries + 2 * (size_t)nconsumers + 16;
    delivered = calloc((size_t)nentries + 1, 1);
    lat = malloc(cap * sizeof(*lat)), rlat = malloc(cap * sizeof(*rlat)), alat = malloc(cap * sizeof(*alat));
    struct consumer *cs = calloc(nconsumers, sizeof(*cs));
    struct pollfd *pfd = calloc(nconsumers, sizeof(*pfd));
    if (!delivered || !lat || !rlat || !alat || !cs || !pfd)
        fail("out of memory", NULL);

    redisContext *ctl = connect_or_die();
    redisReply *r = cmd(ctl, "XLEN", "XLEN %s", key);
    if (r->type != REDIS_REPLY_INTEGER || r->integer != nentries) {
        fprintf(stderr, "xreadgroup: XLEN %s is %lld, expected %d\n", key, r->integer, nentries);
        return 1;
    }
    freeReplyObject(r);
    freeReplyObject(cmd(ctl, "XGROUP CREATE", "XGROUP CREATE %s %s 0", key, group));

    for (int i = 0; i < nconsumers; i++) {
        cs[i].c = connect_or_die();
        snprintf(cs[i].name, sizeof(cs[i].name), "c%d", i);
        cs[i].ids = calloc(count, sizeof(*cs[i].ids));
        cs[i].argv = calloc(count + 3, sizeof(*cs[i].argv));
        cs[i].argvlen = calloc(count + 3, sizeof(*cs[i].argvlen));
        if (!cs[i].ids || !cs[i].argv || !cs[i].argvlen)
            fail("out of memory", NULL);
        freeReplyObject(cmd(cs[i].c, "PING", "PING")); /* connection fully up before the clock starts */
        pfd[i] = (struct pollfd){ .fd = cs[i].c->fd, .events = POLLIN };
    }

    double start = now(), end = start;
    for (int i = 0; i < nconsumers; i++) {
        cs[i].t0 = now();
        send_read(&cs[i]);
        cs[i].state = pipemode ? 1 : 0;
        flush_out(cs[i].c);
    }
    int finished = 0;
    while (finished < nconsumers) {
        int n = poll(pfd, nconsumers, 30000);
        if (n < 0)
            fail("poll", NULL);
        if (n == 0)
            fail("no progress for 30s", NULL);
        for (int i = 0; i < nconsumers && n > 0; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
                continue;
            n--;
            struct consumer *c = &cs[i];
            if (redisBufferRead(c->c) != REDIS_OK)
                fail("read", c->c);
            double t = now();
            void *reply;
            for (;;) {
                if (redisGetReplyFromReader(c->c, &reply) != REDIS_OK)
                    fail("protocol error", c->c);
                if (reply == NULL)
                    break;
                redisReply *x = reply;
                if (c->done)
                    fail("reply after the consumer finished", NULL);
                if (!pipemode) {
                    if (c->state == 0) { /* XREADGROUP reply */
                        if (take_read(c, i, x) == 0) {
                            c->done = 1, finished++, pfd[i].fd = -1;
                        } else {
                            c->tread = t;
                            push(&rlat, &nrlat, t - c->t0);
                            append_ack(c);
                            c->state = 1;
                            flush_out(c->c);
                        }
                    } else { /* XACK reply */
                        take_ack(c, i, x);
                        push(&alat, &nalat, t - c->tread);
                        push(&lat, &nlat, t - c->t0);
                        if (t > end)
                            end = t;
                        c->t0 = t;
                        send_read(c);
                        c->state = 0;
                        flush_out(c->c);
                    }
                } else {
                    if (c->acking > 0 && c->state == 2) { /* XACK reply (first of the pair) */
                        take_ack(c, i, x);
                        if (t > end)
                            end = t;
                        c->state = 1;
                    } else { /* XREADGROUP reply: the cycle is complete */
                        int got = take_read(c, i, x);
                        if (got > 0 || c->t0 != start)
                            push(&lat, &nlat, t - c->t0);
                        if (got == 0) {
                            c->done = 1, finished++, pfd[i].fd = -1;
                        } else {
                            c->t0 = t;
                            append_ack(c);
                            send_read(c);
                            c->state = 2;
                            flush_out(c->c);
                        }
                    }
                }
                freeReplyObject(reply);
            }
        }
    }

    for (long n = 1; n <= nentries; n++)
        if (delivered[n] != 1) {
            fprintf(stderr, "xreadgroup: ID %ld-1 delivered %d times\n", n, delivered[n]);
            return 1;
        }
    if (acked_total != nentries) {
        fprintf(stderr, "xreadgroup: %ld entries acknowledged, expected %d\n", acked_total, nentries);
        return 1;
    }

    /* The server's view: nothing pending, everything read, no lag. */
    r = cmd(ctl, "XPENDING", "XPENDING %s %s", key, group);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[0]->integer != 0) {
        fprintf(stderr, "xreadgroup: XPENDING %s %s does not report 0 pending\n", key, group);
        return 1;
    }
    freeReplyObject(r);
    r = cmd(ctl, "XINFO GROUPS", "XINFO GROUPS %s", key);
    const redisReply *g = NULL;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *m = r->element[i];
        const redisReply *nm = field(m, "name");
        if (nm->type == REDIS_REPLY_STRING && strcmp(nm->str, group) == 0)
            g = m;
    }
    if (g == NULL)
        fail("XINFO GROUPS does not list the group", NULL);
    char lastid[32];
    snprintf(lastid, sizeof(lastid), "%d-1", nentries);
    const redisReply *pending = field(g, "pending"), *lag = field(g, "lag"), *read = field(g, "entries-read"),
                     *ldi = field(g, "last-delivered-id"), *ncons = field(g, "consumers");
    if (pending->type != REDIS_REPLY_INTEGER || pending->integer != 0 || lag->type != REDIS_REPLY_INTEGER ||
        lag->integer != 0 || read->type != REDIS_REPLY_INTEGER || read->integer != nentries ||
        ldi->type != REDIS_REPLY_STRING || strcmp(ldi->str, lastid) != 0 || ncons->type != REDIS_REPLY_INTEGER ||
        ncons->integer != nconsumers) {
        fprintf(stderr,
                "xreadgroup: XINFO GROUPS %s: pending %lld lag %lld entries-read %lld last-delivered-id %s "
                "consumers %lld; expected 0 0 %d %s %d\n",
                key, pending->integer, lag->integer, read->integer, ldi->type == REDIS_REPLY_STRING ? ldi->str : "?",
                ncons->integer, nentries, lastid, nconsumers);
        return 1;
    }
    freeReplyObject(r);
    r = cmd(ctl, "XGROUP DESTROY", "XGROUP DESTROY %s %s", key, group);
    if (r->type != REDIS_REPLY_INTEGER || r->integer != 1)
        fail("XGROUP DESTROY did not return 1", NULL);
    freeReplyObject(r);

    qsort(lat, nlat, sizeof(*lat), cmp_double);
    qsort(rlat, nrlat, sizeof(*rlat), cmp_double);
    qsort(alat, nalat, sizeof(*alat), cmp_double);
    double span = end - start;
    printf("entries_s=%.0f cycles_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f", nentries / span, nlat / span,
           pct(lat, nlat, .5) * 1e3, pct(lat, nlat, .99) * 1e3, nlat ? lat[nlat - 1] * 1e3 : 0);
    if (!pipemode)
        printf(" read_p50_ms=%.3f ack_p50_ms=%.3f", pct(rlat, nrlat, .5) * 1e3, pct(alat, nalat, .5) * 1e3);
    printf(" batch=%.2f\n", (double)read_entries / reads);
    for (int i = 0; i < nconsumers; i++)
        redisFree(cs[i].c);
    redisFree(ctl);
    return 0;
}
