/* replication.c — the client side of bench/replication (see there). Built by
 * that script with `cc -O2 ... -lhiredis -lpthread`.
 *
 *   replication gen N
 *       RESP for N pipelined EV.ADDs on stdout, for `redis-cli --pipe`. Event
 *       i: `EV.ADD k<i%10> TAGS 1 all f <8 digits>` for even i and
 *       `EV.ADD k<i%10> TAGS 2 all t<i%50> f <8 digits>` for odd i (1-2 tags
 *       besides the key, an 8-byte payload value).
 *
 *   replication catchup PORT_A PID_A PORT_B PID_B POLL_MS TIMEOUT_S
 *       A holds the loaded log, B is fresh. Reads A's EV.NODE `events` (the
 *       target) and both servers' idle memory, sends `EV.PEER ADD
 *       127.0.0.1:PORT_A` to B (t0 = just before it is sent), then every
 *       POLL_MS asks B's EV.NODE and samples /proc/<pid>/status (VmRSS,
 *       RssAnon, RssFile) of both, until B's `events` equals A's (t1 = the
 *       reply that said so; fails if it exceeds it or TIMEOUT_S passes).
 *       Then checks that B's EV.OFFSETS `present` is byte-identical to A's
 *       and that B's link to A is `live` (EV.PEER LIST, waited for up to 2 s).
 *       Prints key=value lines: events, seconds, events_s, polls, a_cpu_s and
 *       b_cpu_s (CPU seconds, user + system, each server used in between, from
 *       /proc/<pid>/stat), b_commits (B's INFO store_commits difference: its
 *       import transactions), b_events_per_commit, b_written_mb (B's
 *       /proc/<pid>/io wchar difference: bytes handed to write/pwrite/writev,
 *       -1 when unreadable), then kB:
 *       a_idle_rss a_peak_rss a_idle_anon a_peak_anon a_idle_file a_peak_file
 *       and the same for b_ (peak = largest sample during the catch-up,
 *       idle = the sample before EV.PEER ADD), b_end_rss (after the catch-up),
 *       present (the map).
 *
 *   replication live PORT_A PORT_B RATE SECONDS
 *       B follows A live. Two subscribers, `EV.SUBSCRIBE FROM <present map>`
 *       on A and on B (each its own server's EV.OFFSETS present, taken before
 *       publishing; so each gets exactly the events published below), each in
 *       its own thread. When both have received `ev.caughtup`, a publisher
 *       sends N = RATE*SECONDS events to A, event i at t0 + i/RATE
 *       (absolute sleeps; one write per event, without waiting for the
 *       reply): `EV.ADD live TAGS 1 lat seq <i> t <ns>`, t = CLOCK_MONOTONIC
 *       ns taken just before the write; another thread reads the replies
 *       (checks none is an error; ack latency = reply - send). Each
 *       subscriber takes the receipt time of every `ev.event` right after
 *       the read() that completed it (CLOCK_MONOTONIC, same process) and
 *       records receipt - t. Checks (exit 1 on any failure): each subscriber
 *       receives every seq exactly once, in order, from A's stream, and
 *       nothing more in the 300 ms after the last one; every EV.ADD answered.
 *       Prints key=value lines: sent, rate_s (achieved), then for each of
 *       ack (EV.ADD round trip on A), a (visible to A's subscriber) and b
 *       (visible to B's subscriber, the replication latency):
 *       <x>_n <x>_p50_ms <x>_p90_ms <x>_p99_ms <x>_p999_ms <x>_max_ms, and
 *       a_dups a_missing a_order b_dups b_missing b_order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* prints "replication: <fmt...>[: <c's error>]" and exits 1 */
static void die(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "replication: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (c && c->err)
        fprintf(stderr, ": %s", c->errstr);
    fprintf(stderr, "\n");
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static redisContext *conn(int port)
{
    redisContext *c = redisConnect("127.0.0.1", port);
    if (c == NULL || c->err)
        die(c, "connect to 127.0.0.1:%d", port);
    return c;
}

static redisReply *cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (r == NULL)
        die(c, "command %s failed", fmt);
    if (r->type == REDIS_REPLY_ERROR)
        die(NULL, "%s", r->str);
    return r;
}

/* the value after name in a flat [name, value, ...] array reply */
static redisReply *field(redisReply *r, const char *name)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1];
    return NULL;
}

static long long node_events(redisContext *c)
{
    redisReply *r = cmd(c, "EV.NODE");
    redisReply *e = field(r, "events");
    if (e == NULL || e->type != REDIS_REPLY_INTEGER)
        die(NULL, "EV.NODE has no events");
    long long n = e->integer;
    freeReplyObject(r);
    return n;
}

/* The string field `name` of the map command answers, copied. */
static char *string_field(redisContext *c, const char *command, const char *name)
{
    redisReply *r = cmd(c, command);
    redisReply *p = field(r, name);
    if (p == NULL || p->type != REDIS_REPLY_STRING)
        die(NULL, "%s has no %s", command, name);
    char *s = strdup(p->str);
    freeReplyObject(r);
    return s;
}

static char *present(redisContext *c)
{
    return string_field(c, "EV.OFFSETS", "present");
}

static char *node_stream(redisContext *c)
{
    return string_field(c, "EV.NODE", "stream");
}

/* ---- gen ---- */

static void gen(long n)
{
    static char buf[1 << 20];
    size_t len = 0;
    for (long i = 0; i < n; i++) {
        char key[8], t2[8], pay[16];
        int kl = snprintf(key, sizeof key, "k%ld", i % 10);
        int pl = snprintf(pay, sizeof pay, "%08ld", i * 7919 % 100000000);
        if (i % 2 == 0)
            len += (size_t)sprintf(buf + len, "*7\r\n$6\r\nEV.ADD\r\n$%d\r\n%s\r\n$4\r\nTAGS\r\n$1\r\n1\r\n$3\r\nall\r\n"
                                              "$1\r\nf\r\n$%d\r\n%s\r\n", kl, key, pl, pay);
        else {
            int tl = snprintf(t2, sizeof t2, "t%ld", i % 50);
            len += (size_t)sprintf(buf + len, "*8\r\n$6\r\nEV.ADD\r\n$%d\r\n%s\r\n$4\r\nTAGS\r\n$1\r\n2\r\n$3\r\nall\r\n"
                                              "$%d\r\n%s\r\n$1\r\nf\r\n$%d\r\n%s\r\n", kl, key, tl, t2, pl, pay);
        }
        if (len > sizeof buf - 256) {
            fwrite(buf, 1, len, stdout);
            len = 0;
        }
    }
    fwrite(buf, 1, len, stdout);
    fflush(stdout);
}

/* ---- catchup ---- */

struct mem { long rss, anon, file; };

static struct mem mem_of(int pid)
{
    char path[64], line[256];
    struct mem m = { -1, -1, -1 };
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die(NULL, "cannot read %s", path);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) m.rss = atol(line + 6);
        else if (strncmp(line, "RssAnon:", 8) == 0) m.anon = atol(line + 8);
        else if (strncmp(line, "RssFile:", 8) == 0) m.file = atol(line + 8);
    }
    fclose(f);
    return m;
}

/* CPU seconds (user + system) the process has used */
static double cpu_of(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(buf, sizeof buf, f) == NULL)
        die(NULL, "cannot read %s", path);
    fclose(f);
    char *p = strrchr(buf, ')'); /* fields after the command name; utime and stime are 14 and 15 */
    unsigned long long ut = 0, st = 0;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        die(NULL, "cannot parse %s", path);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* bytes the process has passed to write(2) and the like (/proc/<pid>/io wchar) */
static long long wchar_of(int pid)
{
    char path[64], line[128];
    long long n = -1;
    snprintf(path, sizeof path, "/proc/%d/io", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "wchar:", 6) == 0)
            n = atoll(line + 6);
    fclose(f);
    return n;
}

/* INFO persistence store_commits */
static long long commits_of(redisContext *c)
{
    redisReply *r = cmd(c, "INFO persistence");
    const char *p = r->type == REDIS_REPLY_STRING ? strstr(r->str, "store_commits:") : NULL;
    if (p == NULL)
        die(NULL, "INFO persistence has no store_commits");
    long long n = atoll(p + strlen("store_commits:"));
    freeReplyObject(r);
    return n;
}

static void peak(struct mem *p, struct mem m)
{
    if (m.rss > p->rss) p->rss = m.rss;
    if (m.anon > p->anon) p->anon = m.anon;
    if (m.file > p->file) p->file = m.file;
}

static void catchup(int port_a, int pid_a, int port_b, int pid_b, int poll_ms, int timeout_s)
{
    redisContext *a = conn(port_a), *b = conn(port_b);
    long long want = node_events(a);
    if (node_events(b) != 0)
        die(NULL, "node B is not empty");
    struct mem a_idle = mem_of(pid_a), b_idle = mem_of(pid_b), a_peak = a_idle, b_peak = b_idle;
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port_a);
    long long commits0 = commits_of(b);
    double a_cpu0 = cpu_of(pid_a), b_cpu0 = cpu_of(pid_b);
    long long b_wchar0 = wchar_of(pid_b);
    int64_t t0 = now_ns(), t1;
    freeReplyObject(cmd(b, "EV.PEER ADD %s", addr));
    long polls = 0;
    for (;;) {
        struct timespec ts = { 0, (long)poll_ms * 1000000 };
        nanosleep(&ts, NULL);
        long long got = node_events(b);
        t1 = now_ns();
        polls++;
        peak(&a_peak, mem_of(pid_a));
        peak(&b_peak, mem_of(pid_b));
        if (got == want)
            break;
        if (got > want) {
            fprintf(stderr, "replication: B has %lld events, A %lld\n", got, want);
            exit(1);
        }
        if (t1 - t0 > (int64_t)timeout_s * 1000000000) {
            fprintf(stderr, "replication: catch-up timed out after %d s: B has %lld of %lld events\n", timeout_s, got, want);
            exit(1);
        }
    }
    double a_cpu = cpu_of(pid_a) - a_cpu0, b_cpu = cpu_of(pid_b) - b_cpu0;
    long long commits = commits_of(b) - commits0, b_wchar = wchar_of(pid_b);
    b_wchar = b_wchar0 < 0 || b_wchar < 0 ? -1 : b_wchar - b_wchar0;
    struct mem b_end = mem_of(pid_b);
    char *pa = present(a), *pb = present(b);
    if (strcmp(pa, pb) != 0) {
        fprintf(stderr, "replication: EV.OFFSETS present differ: A %s, B %s\n", pa, pb);
        exit(1);
    }
    const char *state = "?";
    for (int i = 0; i < 200; i++) {
        redisReply *r = cmd(b, "EV.PEER LIST");
        redisReply *s = r->elements == 1 ? field(r->element[0], "state") : NULL;
        static char st[32];
        snprintf(st, sizeof st, "%s", s && s->type == REDIS_REPLY_STRING ? s->str : "?");
        state = st;
        freeReplyObject(r);
        if (strcmp(state, "live") == 0)
            break;
        usleep(10000);
    }
    if (strcmp(state, "live") != 0)
        die(NULL, "B's link to A is %s, not live, after the catch-up", state);
    double secs = (t1 - t0) / 1e9;
    printf("events=%lld\nseconds=%.3f\nevents_s=%.0f\npolls=%ld\n", want, secs, want / secs, polls);
    printf("a_cpu_s=%.2f\nb_cpu_s=%.2f\nb_commits=%lld\nb_events_per_commit=%.1f\nb_written_mb=%.1f\n", a_cpu, b_cpu,
           commits, commits ? (double)want / (double)commits : 0.0, b_wchar < 0 ? -1.0 : b_wchar / 1048576.0);
    printf("a_idle_rss=%ld\na_peak_rss=%ld\na_idle_anon=%ld\na_peak_anon=%ld\na_idle_file=%ld\na_peak_file=%ld\n",
           a_idle.rss, a_peak.rss, a_idle.anon, a_peak.anon, a_idle.file, a_peak.file);
    printf("b_idle_rss=%ld\nb_peak_rss=%ld\nb_idle_anon=%ld\nb_peak_anon=%ld\nb_idle_file=%ld\nb_peak_file=%ld\nb_end_rss=%ld\n",
           b_idle.rss, b_peak.rss, b_idle.anon, b_peak.anon, b_idle.file, b_peak.file, b_end.rss);
    printf("present=%s\n", pa);
}

/* ---- live ---- */

static long total;                   /* events to publish */
static int64_t *sent_ns;             /* [i] send time of event i */
static atomic_long nsent;            /* events written so far */
static atomic_int ready, pub_done;
static char *a_stream;

struct sub {
    const char *name;
    int port;
    char *from;
    int64_t *lat;                    /* [j] receipt - publish of the j-th event received */
    long n, dups, missing, order, bad;
    unsigned char *seen;
};

static void sub_event(struct sub *s, redisReply *ev, int64_t t)
{
    redisReply *st = field(ev, "stream"), *pay = field(ev, "payload");
    long seq = -1;
    int64_t pub = -1;
    if (st == NULL || st->type != REDIS_REPLY_STRING || strcmp(st->str, a_stream) != 0 || pay == NULL ||
        pay->type != REDIS_REPLY_ARRAY) {
        s->bad++;
        return;
    }
    for (size_t i = 0; i + 1 < pay->elements; i += 2) {
        if (strcmp(pay->element[i]->str, "seq") == 0) seq = atol(pay->element[i + 1]->str);
        else if (strcmp(pay->element[i]->str, "t") == 0) pub = atoll(pay->element[i + 1]->str);
    }
    if (seq < 0 || seq >= total || pub < 0) {
        s->bad++;
        return;
    }
    if (s->seen[seq]) {
        s->dups++;
        return;
    }
    s->seen[seq] = 1;
    if (seq != s->n)
        s->order++;
    s->lat[s->n++] = t - pub;
}

static void *sub_main(void *arg)
{
    struct sub *s = arg;
    redisContext *c = conn(s->port);
    redisAppendCommand(c, "EV.SUBSCRIBE FROM %s", s->from);
    int done = 0, caught = 0;
    while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK)
            die(c, "%s subscriber: write", s->name);
    int64_t quiet_until = 0, deadline = 0;
    for (;;) {
        redisReply *r = NULL;
        if (redisReaderGetReply(c->reader, (void **)&r) != REDIS_OK)
            die(c, "%s subscriber: protocol error", s->name);
        if (r != NULL) {
            int64_t t = now_ns();
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING)
                die(NULL, "%s subscriber: unexpected message", s->name);
            const char *kind = r->element[0]->str;
            if (strcmp(kind, "ev.event") == 0) {
                if (!caught) s->bad++; /* history: FROM was the present map, there is none */
                else sub_event(s, r->element[1], t);
            } else if (strcmp(kind, "ev.caughtup") == 0) {
                caught = 1;
                atomic_fetch_add(&ready, 1);
            } else if (strcmp(kind, "ev.subscribed") != 0)
                die(NULL, "%s subscriber: unexpected message %s", s->name, kind);
            freeReplyObject(r);
            if (s->n == total && quiet_until == 0)
                quiet_until = now_ns() + 300000000; /* anything more in 300 ms is a duplicate */
            continue;
        }
        int64_t t = now_ns();
        if (quiet_until && t >= quiet_until)
            break;
        if (atomic_load(&pub_done) && deadline == 0)
            deadline = t + 10000000000LL; /* give up 10 s after the last publish */
        if (deadline && t >= deadline)
            break;
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        if (poll(&p, 1, 50) > 0 && redisBufferRead(c) != REDIS_OK)
            die(c, "%s subscriber: read", s->name);
    }
    s->missing = total;
    for (long i = 0; i < total; i++)
        s->missing -= s->seen[i];
    redisFree(c);
    return NULL;
}

static int pub_fd;
static int64_t *ack_lat;
static long nacked, ack_errors;

static void *ack_main(void *arg)
{
    (void)arg;
    redisReader *rd = redisReaderCreate();
    char buf[65536];
    while (nacked < total) {
        void *r = NULL;
        if (redisReaderGetReply(rd, &r) != REDIS_OK)
            die(NULL, "publisher: protocol error");
        if (r != NULL) {
            int64_t t = now_ns();
            if (((redisReply *)r)->type == REDIS_REPLY_ERROR) {
                if (ack_errors++ == 0)
                    fprintf(stderr, "replication: EV.ADD answered %s\n", ((redisReply *)r)->str);
            }
            while (atomic_load(&nsent) <= nacked) /* the send time is stored before the write */
                ;
            ack_lat[nacked] = t - sent_ns[nacked];
            nacked++;
            freeReplyObject(r);
            continue;
        }
        ssize_t n = read(pub_fd, buf, sizeof buf);
        if (n <= 0)
            die(NULL, "publisher: connection closed");
        redisReaderFeed(rd, buf, (size_t)n);
    }
    redisReaderFree(rd);
    return NULL;
}

static int cmp64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static void report(const char *name, int64_t *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp64);
#define PCT(p) (n ? v[(long)((p) * (n - 1) + 0.5)] / 1e6 : 0)
    printf("%s_n=%ld\n%s_p50_ms=%.3f\n%s_p90_ms=%.3f\n%s_p99_ms=%.3f\n%s_p999_ms=%.3f\n%s_max_ms=%.3f\n", name, n, name,
           PCT(0.5), name, PCT(0.9), name, PCT(0.99), name, PCT(0.999), name, n ? v[n - 1] / 1e6 : 0);
}

static void live(int port_a, int port_b, long rate, double seconds)
{
    total = (long)(rate * seconds);
    redisContext *a = conn(port_a), *b = conn(port_b);
    a_stream = node_stream(a);
    struct sub subs[2] = { { .name = "a", .port = port_a, .from = present(a) },
                           { .name = "b", .port = port_b, .from = present(b) } };
    if (strcmp(subs[0].from, subs[1].from) != 0) {
        fprintf(stderr, "replication: B is not level with A before publishing: A %s, B %s\n", subs[0].from, subs[1].from);
        exit(1);
    }
    sent_ns = calloc((size_t)total, sizeof *sent_ns);
    ack_lat = calloc((size_t)total, sizeof *ack_lat);
    pthread_t th[3];
    for (int i = 0; i < 2; i++) {
        subs[i].lat = calloc((size_t)total, sizeof(int64_t));
        subs[i].seen = calloc((size_t)total, 1);
        pthread_create(&th[i], NULL, sub_main, &subs[i]);
    }
    int64_t wait_until = now_ns() + 5000000000LL;
    while (atomic_load(&ready) < 2) {
        if (now_ns() > wait_until)
            die(NULL, "subscribers did not catch up in 5 s");
        usleep(1000);
    }
    redisContext *p = conn(port_a);
    pub_fd = p->fd;
    pthread_create(&th[2], NULL, ack_main, NULL);
    int64_t t0 = now_ns(), period = 1000000000LL / rate;
    char msg[256];
    for (long i = 0; i < total; i++) {
        int64_t due = t0 + i * period;
        struct timespec ts = { due / 1000000000, due % 1000000000 };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        char seq[24], t[24];
        int sl = snprintf(seq, sizeof seq, "%ld", i);
        int64_t ns = now_ns();
        int tl = snprintf(t, sizeof t, "%lld", (long long)ns);
        int len = snprintf(msg, sizeof msg,
                           "*9\r\n$6\r\nEV.ADD\r\n$4\r\nlive\r\n$4\r\nTAGS\r\n$1\r\n1\r\n$3\r\nlat\r\n"
                           "$3\r\nseq\r\n$%d\r\n%s\r\n$1\r\nt\r\n$%d\r\n%s\r\n", sl, seq, tl, t);
        sent_ns[i] = ns;
        atomic_store(&nsent, i + 1);
        for (int off = 0; off < len;) {
            ssize_t w = write(pub_fd, msg + off, (size_t)(len - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                die(NULL, "publisher: write failed");
            off += (int)w;
        }
    }
    int64_t t_last = now_ns();
    atomic_store(&pub_done, 1);
    pthread_join(th[2], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    printf("sent=%ld\nrate_s=%.0f\nack_errors=%ld\n", total, total > 1 ? (total - 1) / ((t_last - t0) / 1e9) : 0, ack_errors);
    report("ack", ack_lat, nacked);
    int ok = ack_errors == 0 && nacked == total;
    for (int i = 0; i < 2; i++) {
        struct sub *s = &subs[i];
        report(s->name, s->lat, s->n);
        printf("%s_dups=%ld\n%s_missing=%ld\n%s_order=%ld\n%s_bad=%ld\n", s->name, s->dups, s->name, s->missing, s->name,
               s->order, s->name, s->bad);
        if (s->n != total || s->dups || s->missing || s->order || s->bad) {
            fprintf(stderr, "replication: %s's subscriber got %ld distinct of %ld events, %ld duplicates, %ld out of order, %ld foreign\n",
                    s->name, s->n, total, s->dups, s->order, s->bad);
            ok = 0;
        }
    }
    fflush(stdout);
    redisFree(a);
    redisFree(b);
    redisFree(p);
    exit(ok ? 0 : 1);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "gen") == 0)
        gen(atol(argv[2]));
    else if (argc == 8 && strcmp(argv[1], "catchup") == 0)
        catchup(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), atoi(argv[7]));
    else if (argc == 6 && strcmp(argv[1], "live") == 0)
        live(atoi(argv[2]), atoi(argv[3]), atol(argv[4]), atof(argv[5]));
    else {
        fprintf(stderr, "usage: replication gen N | catchup PORT_A PID_A PORT_B PID_B POLL_MS TIMEOUT_S | "
                        "live PORT_A PORT_B RATE SECONDS\n");
        return 2;
    }
    return 0;
}
