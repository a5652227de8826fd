/* swarmlog-tail against a real server, with its stdout in a file per run.
 *
 * The guarantee under test (usage text, docs/client-c.md): a batch is
 * written to stdout (fsynced, stdout being a file here) before the cursor
 * file is replaced atomically. Hence
 *  - a restart resumes right after the saved cursor, and the cursor never
 *    covers an event whose line was not written: no gap, whatever kills it;
 *  - a stop by SIGTERM finishes and saves the batch: exactly once;
 *  - SIGKILL between the write and the save repeats that batch after the
 *    restart: at most one batch (--count events) per kill, each repeated
 *    line byte-identical to the first, and a kill during the write may
 *    leave a last line without its newline (dropped; printed again later).
 * Exactly-once across SIGKILL cannot hold for stdout (it is not part of
 * the cursor's atomic save), so the kill test checks the precise
 * at-least-once contract above, and consumers dedupe by (stream, offset).
 * The SIGKILL moments are both deterministic (the tool's test-only
 * SWARMLOG_TAIL_FAULT hook: mid-print, after-print) and random (killed
 * while a publisher thread keeps events coming). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "swarmlog.h"
#include "th_criterion.h"

TestSuite(tail, .fini = th_fini_tmp, .timeout = 60);

static char stream_id[SWL_STREAM_MAX];

static const char *tail_bin(void)
{
    const char *b = getenv("SWARMLOG_TAIL");
    cr_assert_not_null(b, "SWARMLOG_TAIL is not set (run through ctest)");
    return b;
}

static char *tmp_path(const char *fmt, int n)
{
    char name[64], *p;
    snprintf(name, sizeof(name), fmt, n);
    p = malloc(strlen(tmp_root) + strlen(name) + 2);
    sprintf(p, "%s/%s", tmp_root, name);
    return p;
}

/* Starts swarmlog-tail --cursor <tmp>/cursor with stdout to <tmp>/out.<run>. */
static pid_t spawn_tail(int run, const char *count, const char *fault)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", th_server_port(srv));
    char *out = tmp_path("out.%d", run), *err = tmp_path("err.%d", run), *cursor = tmp_path("cursor", 0);
    const char *bin = tail_bin();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), efd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || efd < 0 || dup2(fd, 1) < 0 || dup2(efd, 2) < 0)
            _exit(126);
        if (fault)
            setenv("SWARMLOG_TAIL_FAULT", fault, 1);
        execl(bin, bin, "-h", "127.0.0.1", "-p", port, "--where", "t", "--cursor", cursor, "--count", count,
              (char *)NULL);
        _exit(127);
    }
    free(out);
    free(err);
    free(cursor);
    return pid;
}

/* Waits for pid to exit; its wait status, or -1 after timeout_ms. */
static int wait_exit(pid_t pid, int timeout_ms)
{
    long long deadline = th_now_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (th_now_ms() > deadline)
            return -1;
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

static void stop_tail(pid_t pid, int run)
{
    kill(pid, SIGTERM);
    int status = wait_exit(pid, 10000);
    cr_assert(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "run %d: swarmlog-tail did not exit 0 on SIGTERM (status %d)", run, status);
}

/* The lines of run's output: complete lines in lines[] (malloc'd, caller
 * frees each and the array), and whether a partial last line was dropped. */
struct output {
    char **lines;
    size_t n;
    int partial;
};

static void read_output(int run, struct output *o)
{
    char *path = tmp_path("out.%d", run);
    FILE *f = fopen(path, "rb");
    free(path);
    memset(o, 0, sizeof(*o));
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n') {
            o->partial = 1;
            break;
        }
        line[len - 1] = '\0';
        o->lines = realloc(o->lines, (o->n + 1) * sizeof(*o->lines));
        o->lines[o->n++] = strdup(line);
    }
    free(line);
    fclose(f);
}

static void free_output(struct output *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->lines[i]);
    free(o->lines);
}

/* The offset in a line, checking the line is the JSON of our event. */
static uint64_t line_offset(const char *line)
{
    char want[160];
    snprintf(want, sizeof(want), "{\"stream\":\"%s\",\"offset\":", stream_id);
    cr_assert(strncmp(line, want, strlen(want)) == 0, "line: %s", line);
    uint64_t off = strtoull(line + strlen(want), NULL, 10);
    snprintf(want, sizeof(want), "\"payload\":[\"n\",\"%llu\",\"v\",\"line\\nbreak\\u0000%llu\"]}",
             (unsigned long long)off, (unsigned long long)off);
    size_t ll = strlen(line), wl = strlen(want);
    cr_assert(ll > wl && strcmp(line + ll - wl, want) == 0, "line %llu is not binary-safe: %s",
              (unsigned long long)off, line);
    return off;
}

/* Waits until run's output holds at least want complete lines. */
static void wait_lines(int run, size_t want, int timeout_ms)
{
    long long deadline = th_now_ms() + timeout_ms;
    for (;;) {
        struct output o;
        read_output(run, &o);
        size_t n = o.n;
        free_output(&o);
        if (n >= want)
            return;
        cr_assert(th_now_ms() < deadline, "run %d printed %zu of %zu lines in time", run, n, want);
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* The saved cursor's offset for our stream, -1 when nothing saved. */
static long long saved_offset(void)
{
    char *path = tmp_path("cursor", 0);
    swl_offsets *m;
    int rc = swl_offsets_load(path, &m, NULL, 0);
    free(path);
    if (rc == SWL_ERR_NOENT)
        return -1;
    cr_assert_eq(rc, SWL_OK, "the cursor file loads after any kill: %s", swl_strerror(rc));
    uint64_t off;
    long long v = swl_offsets_get(m, stream_id, &off) ? (long long)off : -1;
    swl_offsets_free(m);
    return v;
}

static int publish_one(swl_client *c, int i)
{
    char n[24], v[48];
    int vl = snprintf(v, sizeof(v), "line\nbreak%c%d", '\0', i);
    snprintf(n, sizeof(n), "%d", i);
    swl_bytes tags[] = { swl_str("t") };
    swl_field f[] = { { swl_str("n"), swl_str(n) }, { swl_str("v"), { v, (size_t)vl } } };
    struct swl_publish p = { .key = swl_str("k"), .tags = tags, .ntags = 1, .fields = f, .nfields = 2 };
    swl_position pos;
    int rc = swl_publish(c, &p, &pos);
    if (rc == SWL_OK && i == 0)
        snprintf(stream_id, sizeof(stream_id), "%s", pos.stream);
    return rc == SWL_OK && pos.offset == (uint64_t)i ? 0 : -1;
}

static swl_client *start_and_publish(int n)
{
    tmp_root = th_tmpdir_new();
    cr_assert_not_null(tmp_root);
    srv = th_start_ok(NULL);
    swl_client *c;
    cr_assert_eq(swl_client_new(&c), SWL_OK);
    cr_assert_eq(swl_connect(c, "127.0.0.1", th_server_port(srv), NULL), SWL_OK);
    for (int i = 0; i < n; i++)
        cr_assert_eq(publish_one(c, i), 0, "publish %d: %s", i, swl_errmsg(c));
    return c;
}

/* Checks the runs' outputs against the contract. cursors[k] is the saved
 * offset when run k ended (-1: none), killed[k] whether it was SIGKILLed.
 * Returns the number of repeated lines. */
static size_t check_runs(int runs, const long long *cursors, const int *killed, uint64_t total, size_t count)
{
    char **seen = calloc(total, sizeof(*seen));
    size_t repeats = 0;
    long long before = -1; /* the cursor a run started from */
    for (int k = 0; k < runs; k++) {
        struct output o;
        read_output(k, &o);
        cr_assert(!o.partial || killed[k], "run %d: a partial line only after a kill", k);
        size_t unsaved = 0;
        for (size_t i = 0; i < o.n; i++) {
            uint64_t off = line_offset(o.lines[i]);
            cr_assert_eq(off, (uint64_t)(before + 1) + i, "run %d resumes right after its cursor, in order", k);
            cr_assert_lt(off, total);
            if (seen[off]) {
                cr_assert_str_eq(seen[off], o.lines[i], "a repeated line is identical");
                repeats++;
            } else {
                seen[off] = strdup(o.lines[i]);
            }
            if ((long long)off > cursors[k])
                unsaved++;
        }
        cr_assert(cursors[k] <= before + (long long)o.n, "run %d: the cursor never covers an unprinted event", k);
        if (killed[k])
            cr_assert_leq(unsaved, count, "run %d: at most one batch printed but not saved", k);
        else
            cr_assert_eq(unsaved, 0, "run %d stopped by SIGTERM saved everything it printed", k);
        before = cursors[k];
        free_output(&o);
    }
    for (uint64_t i = 0; i < total; i++) {
        cr_assert_not_null(seen[i], "event %llu was never printed (a gap)", (unsigned long long)i);
        free(seen[i]);
    }
    free(seen);
    return repeats;
}

Test(tail, help_and_usage_errors)
{
    const char *help[] = { tail_bin(), "--help", NULL };
    struct th_run_result r;
    th_run(help, 10000, &r);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.output, "usage: swarmlog-tail") && strstr(r.output, "Never a gap") &&
                  strstr(r.output, "at least once"),
              "%s", r.output);
    free(r.output);
    const char *bad[] = { tail_bin(), "--count", "0", NULL };
    th_run(bad, 10000, &r);
    cr_assert_eq(r.status, 2, "%s", r.output);
    free(r.output);
    const char *extra[] = { tail_bin(), "stray", NULL };
    th_run(extra, 10000, &r);
    cr_assert_eq(r.status, 2, "%s", r.output);
    free(r.output);
}

Test(tail, sigterm_and_restart_is_exactly_once)
{
    swl_client *c = start_and_publish(30);
    pid_t pid = spawn_tail(0, "7", NULL);
    wait_lines(0, 30, 20000);
    stop_tail(pid, 0);
    long long cursors[2] = { saved_offset(), 0 };
    cr_assert_eq(cursors[0], 29);
    for (int i = 30; i < 45; i++)
        cr_assert_eq(publish_one(c, i), 0);
    pid = spawn_tail(1, "7", NULL);
    for (int i = 45; i < 60; i++) /* some while it runs: live */
        cr_assert_eq(publish_one(c, i), 0);
    wait_lines(1, 30, 20000);
    stop_tail(pid, 1);
    cursors[1] = saved_offset();
    int killed[2] = { 0, 0 };
    cr_assert_eq(check_runs(2, cursors, killed, 60, 7), 0, "no repeats after SIGTERM");
    swl_client_free(c);
    TH_STOP_OK(srv);
}

/* The tool kills itself at a fault point of batch 2; the restart must
 * repeat exactly batch 2 and go on. */
static void fault_point(const char *fault, size_t printed_complete)
{
    swl_client *c = start_and_publish(25);
    pid_t pid = spawn_tail(0, "10", fault);
    int status = wait_exit(pid, 20000);
    cr_assert(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
    long long cursors[2] = { saved_offset(), 0 };
    cr_assert_eq(cursors[0], 9, "only batch 1 was saved");
    struct output o;
    read_output(0, &o);
    cr_assert_eq(o.n, printed_complete);
    cr_assert_eq(o.partial, printed_complete == 15, "mid-print leaves a torn last line");
    free_output(&o);
    pid = spawn_tail(1, "10", NULL);
    wait_lines(1, 15, 20000);
    stop_tail(pid, 1);
    cursors[1] = saved_offset();
    cr_assert_eq(cursors[1], 24);
    int killed[2] = { 1, 0 };
    size_t repeats = check_runs(2, cursors, killed, 25, 10);
    cr_assert_eq(repeats, printed_complete - 10, "the unsaved batch, and only it, is repeated");
    swl_client_free(c);
    TH_STOP_OK(srv);
}

Test(tail, sigkill_after_print_repeats_that_batch_only)
{
    fault_point("after-print:2", 20);
}

Test(tail, sigkill_mid_print_leaves_a_torn_line_and_no_gap)
{
    fault_point("mid-print:2", 15); /* batch 1, half of batch 2, a torn line */
}

struct publisher {
    int port, total, rc;
};

static void *publish_all(void *arg)
{
    struct publisher *p = arg;
    swl_client *c;
    p->rc = swl_client_new(&c);
    if (p->rc == SWL_OK)
        p->rc = swl_connect(c, "127.0.0.1", p->port, NULL);
    for (int i = 1; p->rc == SWL_OK && i < p->total; i++)
        p->rc = publish_one(c, i) == 0 ? SWL_OK : SWL_ERR_PROTOCOL;
    swl_client_free(c);
    return NULL;
}

Test(tail, sigkill_mid_stream_never_skips)
{
    enum { TOTAL = 400, KILLS = 5, RUNS = KILLS + 1 };
    swl_client *c = start_and_publish(1);
    struct publisher pub = { th_server_port(srv), TOTAL, -100 };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, publish_all, &pub), 0);
    long long cursors[RUNS];
    int killed[RUNS];
    long long printed_before = 0;
    srand((unsigned)time(NULL));
    for (int k = 0; k < RUNS; k++) {
        pid_t pid = spawn_tail(k, "5", NULL);
        killed[k] = k < KILLS;
        if (killed[k]) {
            /* let it print a few lines past its start (a varying number), then kill it */
            long long want = 1 + rand() % 20, left = TOTAL - 1 - printed_before;
            if (want > left)
                want = left;
            if (want > 0)
                wait_lines(k, (size_t)want, 20000);
            struct timespec ts = { 0, (rand() % 3000) * 1000L };
            nanosleep(&ts, NULL); /* a random phase, not synchronisation */
            kill(pid, SIGKILL);
            int status = wait_exit(pid, 10000);
            cr_assert(status >= 0 && WIFSIGNALED(status), "run %d: status %d", k, status);
        } else {
            pthread_join(th, NULL);
            cr_assert_eq(pub.rc, SWL_OK, "publisher failed");
            wait_lines(k, (size_t)(TOTAL - 1 - printed_before), 30000);
            stop_tail(pid, k);
        }
        cursors[k] = saved_offset();
        printed_before = cursors[k];
    }
    size_t repeats = check_runs(RUNS, cursors, killed, TOTAL, 5);
    cr_assert_leq(repeats, (size_t)KILLS * 5);
    cr_log_info("%zu lines repeated after %d kills", repeats, KILLS);
    swl_client_free(c);
    TH_STOP_OK(srv);
}
