/* The harness itself, checked with Debian's redis-server: a clean exit
 * passes, a nonzero exit (what a sanitizer report gives) fails, a crashed
 * test leaks no server, and the RESP framer frames exactly. */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "th_criterion.h"

#define REDIS "/usr/bin/redis-server"

static void need_redis(void)
{
    if (access(REDIS, X_OK) != 0)
        cr_skip_test("no " REDIS " (run .ci/deps)");
}

TestSuite(harness, .fini = th_fini, .timeout = 120);

static const char *const redis_args[] = {"--save", "", "--appendonly", "no", NULL};

Test(harness, clean_exit_passes)
{
    need_redis();
    struct th_server_opts o = {.binary = REDIS, .args = redis_args};
    srv = th_server_start_opts(&o);
    cr_assert_not_null(srv);
    cr_assert_gt(th_server_port(srv), 0);
    cr_assert_neq(th_server_port(srv), 6379);
    redisContext *c = th_connect_ok(srv);
    th_expect_status(c, "PONG", "PING", NULL);
    redisFree(c);
    char *tmp = strdup(th_server_tmpdir(srv));
    TH_STOP_OK(srv);
    struct stat st;
    cr_assert_neq(stat(tmp, &st), 0, "temp dir %s removed", tmp);
    free(tmp);
}

Test(harness, nonzero_exit_fails)
{
    need_redis();
    char *dir = th_tmpdir_new();
    char wrapper[4096];
    snprintf(wrapper, sizeof wrapper, "%s/bad-server", dir);
    const char *script = "#!/bin/sh\n"
                         "trap 'kill -TERM $child' TERM\n"
                         REDIS " \"$@\" & child=$!\n"
                         "wait $child; wait $child\n"
                         "echo '==1==ERROR: AddressSanitizer: pretend report' >&2\n"
                         "exit 1\n";
    cr_assert_eq(th_write_file(wrapper, script, strlen(script)), 0);
    chmod(wrapper, 0755);
    struct th_server_opts o = {.binary = wrapper, .args = redis_args};
    th_server *s = th_server_start_opts(&o);
    cr_assert_not_null(s, "a wrapper whose child listens counts as started");
    cr_assert_eq(th_server_stop(s), -1, "exit status 1 must fail the test");
    th_rmtree(dir);
    free(dir);
}

Test(harness, crashed_test_leaks_no_server)
{
    need_redis();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        struct th_server_opts o = {.binary = REDIS, .args = redis_args};
        th_server *s = th_server_start_opts(&o);
        pid_t pid = s ? th_server_pid(s) : -1;
        char dir[4096] = {0};
        if (s)
            snprintf(dir, sizeof dir, "%s", th_server_tmpdir(s));
        if (write(p[1], &pid, sizeof pid) != sizeof pid || write(p[1], dir, sizeof dir) != sizeof dir)
            _exit(2);
        raise(SIGKILL); /* no atexit, no cleanup: only PDEATHSIG helps */
    }
    close(p[1]);
    pid_t server = -1;
    char dir[4096];
    cr_assert_eq(read(p[0], &server, sizeof server), (ssize_t)sizeof server);
    size_t got = 0;
    ssize_t k;
    while (got < sizeof dir && (k = read(p[0], dir + got, sizeof dir - got)) > 0)
        got += (size_t)k;
    cr_assert_eq(got, sizeof dir);
    close(p[0]);
    cr_assert_gt(server, 0, "child started a server");
    waitpid(child, NULL, 0);
    long long deadline = th_now_ms() + 10000;
    while (kill(server, 0) == 0 && th_now_ms() < deadline) {
        char path[64], state = '?';
        snprintf(path, sizeof path, "/proc/%d/stat", (int)server);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fscanf(f, "%*d %*s %c", &state) != 1)
                state = '?';
            fclose(f);
        }
        if (state == 'Z' || !f)
            break;
        usleep(10000);
    }
    char path[64], state = 'X';
    snprintf(path, sizeof path, "/proc/%d/stat", (int)server);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%*d %*s %c", &state) != 1)
            state = '?';
        fclose(f);
    }
    cr_assert(state == 'X' || state == 'Z', "server %d still running (state %c)", (int)server, state);
    /* Only the temp dir is left behind by a killed test; remove it here. */
    dir[sizeof dir - 1] = '\0';
    if (strncmp(dir, "/", 1) == 0 && strstr(dir, "swarmlog-test."))
        th_rmtree(dir);
}

Test(harness, exits_early_reported)
{
    const char *const args[] = {"--no-such-option-at-all", "1", NULL};
    struct th_server_opts o = {.binary = REDIS, .args = args, .start_timeout_ms = 5000};
    need_redis();
    th_server *s = th_server_start_opts(&o);
    cr_assert_null(s, "a server that exits during start-up is not started");
}

Test(harness, resp_framer)
{
    static const struct {
        const char *in;
        long want;
    } cases[] = {
        {"+OK\r\n", 5},
        {"+OK\r", 0},
        {"$3\r\nabc\r\n+x", 9},
        {"$3\r\nab", 0},
        {"$-1\r\n", 5},
        {"*2\r\n:1\r\n$1\r\na\r\n", 15},
        {"*2\r\n:1\r\n", 0},
        {"%1\r\n+k\r\n_\r\n", 11},
        {"|1\r\n+a\r\n+b\r\n+v\r\n", 16},
        {">2\r\n+a\r\n#t\r\n", 12},
        {"=7\r\ntxt:abc\r\n", 13},
        {"*-1\r\n", 5},
        {"?x\r\n", -1},
        {"$3\r\nabcXY", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_assert_eq(th_resp_frame(cases[i].in, strlen(cases[i].in)), cases[i].want,
                     "frame(\"%s\")", cases[i].in);
}
