/* The command line and config files: bad input exits 1 with a message that
 * names the problem; good input shows in CONFIG GET and takes effect. */
#include <regex.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "th_criterion.h"

TestSuite(config, .fini = th_fini, .timeout = 120);

static const char *server_bin(void)
{
    const char *b = getenv("SWARMLOG_SERVER");
    cr_assert(b && *b, "SWARMLOG_SERVER is not set");
    return b;
}

/* Runs the server with a free port, loopback and a temp dir first, then the
 * given arguments, then the free port again (so a server that wrongly
 * accepted a bad port would still never listen anywhere else); expects it to
 * exit 1 at once with output containing every needle. */
static void expect_refused(const char *config_file, const char *const *args, const char *const *needles)
{
    char *tmp = th_tmpdir_new();
    cr_assert_not_null(tmp);
    char port[16];
    snprintf(port, sizeof port, "%d", th_free_port());
    const char *argv[64];
    int argc = 0;
    argv[argc++] = server_bin();
    if (config_file)
        argv[argc++] = config_file;
    argv[argc++] = "--bind";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "--dir";
    argv[argc++] = tmp;
    argv[argc++] = "--port";
    argv[argc++] = port;
    for (int i = 0; args && args[i]; i++)
        argv[argc++] = args[i];
    argv[argc++] = "--port";
    argv[argc++] = port;
    argv[argc] = NULL;
    struct th_run_result r;
    th_run(argv, 10000, &r);
    th_rmtree(tmp);
    free(tmp);
    cr_assert_eq(r.status, 1, "expected exit status 1, got %d; output:\n%s", r.status, r.output);
    for (int i = 0; needles && needles[i]; i++)
        cr_assert_not_null(strstr(r.output, needles[i]), "output lacks \"%s\":\n%s", needles[i],
                           r.output);
    free(r.output);
}

Test(config, unknown_option_exits_1)
{
    const char *const args[] = {"--nosuchoption", "1", NULL};
    const char *const needles[] = {"nosuchoption", "Bad directive", NULL};
    expect_refused(NULL, args, needles);
}

Test(config, bad_values_exit_1)
{
    const char *const a1[] = {"--port", "abc", NULL};
    const char *const n1[] = {"port", "abc", "integer", NULL};
    expect_refused(NULL, a1, n1);

    const char *const a2[] = {"--port", "70000", NULL};
    const char *const n2[] = {"port", "70000", "between", NULL};
    expect_refused(NULL, a2, n2);

    const char *const a3[] = {"--loglevel", "loud", NULL};
    const char *const n3[] = {"loglevel", "loud", "debug, verbose, notice, warning", NULL};
    expect_refused(NULL, a3, n3);

    const char *const a4[] = {"--maxclients", "lots", NULL};
    const char *const n4[] = {"maxclients", "lots", NULL};
    expect_refused(NULL, a4, n4);

    const char *const a5[] = {"--proto-max-bulk-len", "huge", NULL};
    const char *const n5[] = {"proto-max-bulk-len", "huge", NULL};
    expect_refused(NULL, a5, n5);

    const char *const a6[] = {"--timeout", "-5", NULL};
    const char *const n6[] = {"timeout", NULL};
    expect_refused(NULL, a6, n6);
}

Test(config, missing_config_file_exits_1)
{
    const char *const needles[] = {"/nonexistent/swarmlog.conf", NULL};
    expect_refused("/nonexistent/swarmlog.conf", NULL, needles);
}

Test(config, bad_config_file_exits_1)
{
    char *tmp = th_tmpdir_new();
    char path[4096];
    snprintf(path, sizeof path, "%s/bad.conf", tmp);
    const char *text = "# a comment\nport 7\n\nnosuchdirective yes\n";
    cr_assert_eq(th_write_file(path, text, strlen(text)), 0);
    const char *const needles[] = {"nosuchdirective", "line 4", NULL};
    expect_refused(path, NULL, needles);
    th_rmtree(tmp);
    free(tmp);
}

Test(config, version_flag)
{
    const char *argv[] = {server_bin(), "--version", NULL};
    struct th_run_result r;
    th_run(argv, 10000, &r);
    cr_assert_eq(r.status, 0, "--version exit status %d: %s", r.status, r.output);
    cr_assert_gt(strlen(r.output), 0, "--version prints a version");
    free(r.output);
}

static void expect_config(redisContext *c, const char *name, const char *want)
{
    redisReply *r = th_call(c, "CONFIG", "GET", name, NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 2, "CONFIG GET %s: %zu elements", name, r->elements);
    cr_assert_str_eq(r->element[0]->str, name);
    cr_assert_str_eq(r->element[1]->str, want, "CONFIG GET %s", name);
    freeReplyObject(r);
}

Test(config, file_loaded_and_flags_override)
{
    char *conf_dir = th_tmpdir_new();
    char path[4096];
    snprintf(path, sizeof path, "%s/swarmlog.conf", conf_dir);
    const char *text = "# swarmlog test config\n"
                       "requirepass \"sec ret\"\n"
                       "maxclients 123\n"
                       "timeout 77\n"
                       "  loglevel   verbose  \n"
                       "proto-max-bulk-len 2mb\n"
                       "client-query-buffer-limit 4mb\n";
    cr_assert_eq(th_write_file(path, text, strlen(text)), 0);
    const char *const args[] = {"--timeout", "88", NULL};
    struct th_server_opts o = {.config_file = path, .args = args};
    srv = th_server_start_opts(&o);
    cr_assert_not_null(srv);
    redisContext *c = th_connect_ok(srv);
    th_expect_error(c, "NOAUTH Authentication required.", "PING", NULL);
    th_expect_status(c, "OK", "AUTH", "sec ret", NULL);
    expect_config(c, "maxclients", "123");
    expect_config(c, "timeout", "88");
    expect_config(c, "loglevel", "verbose");
    expect_config(c, "proto-max-bulk-len", "2097152");
    expect_config(c, "client-query-buffer-limit", "4194304");
    expect_config(c, "requirepass", "sec ret");
    redisFree(c);
    TH_STOP_OK(srv);
    th_rmtree(conf_dir);
    free(conf_dir);
}

Test(config, flags_show_in_config_get)
{
    const char *const args[] = {"--maxclients", "50", "--loglevel", "warning", NULL};
    srv = th_start_ok(args);
    redisContext *c = th_connect_ok(srv);
    expect_config(c, "maxclients", "50");
    expect_config(c, "loglevel", "warning");
    expect_config(c, "requirepass", "");
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(config, missing_data_dir_created)
{
    if (th_is_reference())
        cr_skip_test("redis-server does not create its dir");
    struct th_server_opts o = {.data_subdir = "a/b/data"};
    srv = th_server_start_opts(&o);
    cr_assert_not_null(srv);
    struct stat st;
    cr_assert_eq(stat(th_server_datadir(srv), &st), 0, "data dir %s exists", th_server_datadir(srv));
    cr_assert(S_ISDIR(st.st_mode));
    TH_STOP_OK(srv);
}

Test(config, logfile_option)
{
    char *tmp = th_tmpdir_new();
    char path[4096];
    snprintf(path, sizeof path, "%s/server.log", tmp);
    const char *const args[] = {"--logfile", path, NULL};
    srv = th_start_ok(args);
    struct stat st;
    long long deadline = th_now_ms() + 5000;
    while (!(stat(path, &st) == 0 && st.st_size > 0) && th_now_ms() < deadline)
        usleep(10000);
    cr_assert(stat(path, &st) == 0 && st.st_size > 0, "log written to --logfile %s", path);
    TH_STOP_OK(srv);
    th_rmtree(tmp);
    free(tmp);
}

Test(config, maxclients_enforced)
{
    const char *const args[] = {"--maxclients", "2", NULL};
    srv = th_start_ok(args);
    /* The harness's readiness probe may not be reaped yet: wait until this
     * connection is the only one before taking the second slot. */
    redisContext *a = th_connect_ok(srv);
    long long deadline = th_now_ms() + 5000;
    for (;;) {
        redisReply *r = th_call(a, "INFO", "clients", NULL);
        bool alone = r->str && strstr(r->str, "connected_clients:1\r\n");
        freeReplyObject(r);
        if (alone)
            break;
        cr_assert_lt(th_now_ms(), deadline, "closed connections are never released");
        usleep(10000);
    }
    int b = th_raw_connect_ok(srv);
    th_raw_roundtrip(b, "PING\r\n", "+PONG\r\n");
    int c = th_raw_connect_ok(srv);
    cr_assert(th_raw_expect(c, "-ERR max number of clients reached\r\n", 5000));
    cr_assert(th_raw_wait_closed(c, 5000));
    th_raw_close(c);
    th_raw_close(b);
    /* A slot frees up once a client leaves. */
    deadline = th_now_ms() + 5000;
    bool ok = false;
    while (!ok && th_now_ms() < deadline) {
        int d = th_raw_connect_ok(srv);
        th_raw_send_str(d, "PING\r\n", 1000);
        char buf[64] = {0};
        size_t n = th_raw_recv(d, buf, sizeof buf - 1, 7, 1000);
        ok = n == 7 && memcmp(buf, "+PONG\r\n", 7) == 0;
        th_raw_close(d);
        if (!ok)
            usleep(20000);
    }
    cr_assert(ok, "a new client is served after one left");
    redisFree(a);
    TH_STOP_OK(srv);
}

Test(config, idle_timeout_closes)
{
    const char *const args[] = {"--timeout", "1", NULL};
    srv = th_start_ok(args);
    int fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, "PING\r\n", "+PONG\r\n");
    long long t0 = th_now_ms();
    cr_assert(th_raw_wait_closed(fd, 10000), "idle connection closed after timeout 1");
    cr_assert_geq(th_now_ms() - t0, 900, "closed too early");
    th_raw_close(fd);
    TH_STOP_OK(srv);
}

Test(config, proto_max_bulk_len_enforced)
{
    const char *const args[] = {"--proto-max-bulk-len", "1mb", NULL};
    srv = th_start_ok(args);
    int fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, "*2\r\n$4\r\nECHO\r\n$1048577\r\n", "-ERR Protocol error: invalid bulk length\r\n");
    cr_assert(th_raw_wait_closed(fd, 5000));
    th_raw_close(fd);
    /* Exactly the limit is fine. */
    fd = th_raw_connect_ok(srv);
    size_t n = 1048576;
    char *big = malloc(n + 64);
    int h = sprintf(big, "*2\r\n$4\r\nECHO\r\n$%zu\r\n", n);
    memset(big + h, 'x', n);
    memcpy(big + h + n, "\r\n", 2);
    cr_assert_eq(th_raw_send(fd, big, (size_t)h + n + 2, 10000), 0);
    size_t len;
    char *rep = th_raw_read_reply(fd, &len, 10000);
    cr_assert_not_null(rep);
    cr_assert_eq(len, n + 2 + 2 + strlen("$1048576"));
    free(rep);
    free(big);
    th_raw_close(fd);
    TH_STOP_OK(srv);
}

Test(config, log_lines_redis_style)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    th_expect_status(c, "PONG", "PING", NULL);
    redisFree(c);
    cr_assert(th_server_log_wait(srv, "Ready to accept connections", 5000),
              "log says \"Ready to accept connections\"");
    char *log = th_server_log(srv);
    /* pid:role DD Mon YYYY HH:MM:SS.mmm <level char> message */
    regex_t re;
    cr_assert_eq(regcomp(&re,
                         "^[0-9]+:[XCSM] [0-9]{2} [A-Z][a-z]{2} [0-9]{4} "
                         "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} [.*#-] .+$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    int lines = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (!*line)
            continue;
        lines++;
        cr_assert_eq(regexec(&re, line, 0, NULL, 0), 0, "log line not in Redis style: \"%s\"", line);
    }
    cr_assert_gt(lines, 0);
    regfree(&re);
    free(log);
    TH_STOP_OK(srv);
}
