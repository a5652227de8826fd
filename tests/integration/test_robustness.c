/* Bad, partial, huge and many: the server answers or closes the offending
 * connection, keeps serving everyone else, and exits cleanly afterwards. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "th_criterion.h"

TestSuite(robustness, .fini = th_fini, .timeout = 300);

static const char PING_MB[] = "*1\r\n$4\r\nPING\r\n";
#define PING_MB_LEN (sizeof PING_MB - 1)

/* A second connection that must keep working while another misbehaves. */
static void check_bystander(int fd)
{
    th_raw_roundtrip(fd, PING_MB, "+PONG\r\n");
}

Test(robustness, half_command_then_disconnect)
{
    srv = th_start_ok(NULL);
    int other = th_raw_connect_ok(srv);
    check_bystander(other);
    static const char *const halves[] = {
        "*3\r\n$3\r\nSET\r\n$1\r\nk",     "*2\r\n$4\r\nECHO\r\n$100\r\nabc", "*2\r\n$4\r\nEC",
        "*2\r\n",                        "*",                               "PING",
        "ECHO \"unterminated",           "*2\r\n$4\r\nECHO\r\n$5\r\nhel",    "*1\r\n$4\r\nPING\r",
    };
    for (size_t i = 0; i < sizeof halves / sizeof *halves; i++) {
        int fd = th_raw_connect_ok(srv);
        cr_assert_eq(th_raw_send_str(fd, halves[i], 5000), 0);
        check_bystander(other); /* the half command does not block the loop */
        th_raw_close(fd);
    }
    /* And once more with a reset instead of a FIN. */
    int fd = th_raw_connect_ok(srv);
    cr_assert_eq(th_raw_send_str(fd, "*2\r\n$4\r\nECHO\r\n$9\r\nabc", 5000), 0);
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    th_raw_close(fd);
    check_bystander(other);
    redisContext *c = th_connect_ok(srv);
    th_expect_status(c, "PONG", "PING", NULL);
    redisFree(c);
    th_raw_close(other);
    TH_STOP_OK(srv);
}

/* Sends bad, and expects the exact error and then the connection closed,
 * with a bystander unaffected. */
static void expect_protocol_error(const char *bad, const char *error_line)
{
    int other = th_raw_connect_ok(srv);
    int fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, bad, error_line);
    cr_assert(th_raw_wait_closed(fd, 5000), "connection not closed after \"%s\"", error_line);
    th_raw_close(fd);
    check_bystander(other);
    th_raw_close(other);
}

Test(robustness, huge_bulk_length_rejected)
{
    srv = th_start_ok(NULL);
    expect_protocol_error("*1\r\n$4294967296\r\n", "-ERR Protocol error: invalid bulk length\r\n");
    expect_protocol_error("*1\r\n$99999999999999999999999\r\n",
                          "-ERR Protocol error: invalid bulk length\r\n");
    expect_protocol_error("*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n");
    expect_protocol_error("*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n");
    expect_protocol_error("*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n");
    expect_protocol_error("*99999999999\r\n", "-ERR Protocol error: invalid multibulk length\r\n");
    expect_protocol_error("*2\r\nxx\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n");
    expect_protocol_error("ECHO \"abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n");
    TH_STOP_OK(srv);
}

Test(robustness, too_big_inline_request)
{
    srv = th_start_ok(NULL);
    size_t n = 200 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    int other = th_raw_connect_ok(srv);
    int fd = th_raw_connect_ok(srv);
    /* No newline at all: the server must not buffer without bound. */
    th_raw_send(fd, big, n, 5000); /* may fail half way once the server closes */
    cr_assert(th_raw_expect(fd, "-ERR Protocol error: too big inline request\r\n", 5000));
    cr_assert(th_raw_wait_closed(fd, 5000));
    th_raw_close(fd);
    check_bystander(other);
    th_raw_close(other);
    free(big);
    TH_STOP_OK(srv);
}

/* Sends len bytes while draining replies into *got (grown as needed), so
 * neither side can block on a full socket buffer. Returns once everything is
 * sent and want reply bytes arrived, or on timeout/close. */
static size_t pump(int fd, const char *out, size_t len, char **got, size_t want, int timeout_ms)
{
    size_t sent = 0, rcvd = 0, cap = want + 1;
    *got = malloc(cap);
    long long deadline = th_now_ms() + timeout_ms;
    while ((sent < len || rcvd < want) && th_now_ms() < deadline) {
        struct pollfd pfd = {fd, POLLIN | (sent < len ? POLLOUT : 0), 0};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        if ((pfd.revents & POLLOUT) && sent < len) {
            ssize_t k = send(fd, out + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k > 0)
                sent += (size_t)k;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (rcvd == cap) {
                cap *= 2;
                *got = realloc(*got, cap);
            }
            ssize_t k = recv(fd, *got + rcvd, cap - rcvd, MSG_DONTWAIT);
            if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
                break;
            if (k > 0)
                rcvd += (size_t)k;
        }
    }
    return rcvd;
}

Test(robustness, pipeline_50000_pings)
{
    srv = th_start_ok(NULL);
    const size_t n = 50000;
    char *req = malloc(n * PING_MB_LEN);
    for (size_t i = 0; i < n; i++)
        memcpy(req + i * PING_MB_LEN, PING_MB, PING_MB_LEN);
    int fd = th_raw_connect_ok(srv);
    char *got;
    size_t want = n * 7;
    size_t rcvd = pump(fd, req, n * PING_MB_LEN, &got, want, 60000);
    cr_assert_eq(rcvd, want, "got %zu of %zu reply bytes", rcvd, want);
    for (size_t i = 0; i < n; i++)
        cr_assert(memcmp(got + i * 7, "+PONG\r\n", 7) == 0, "reply %zu is not +PONG", i);
    free(got);
    free(req);

    /* The same with distinct payloads, to check the order. */
    const size_t m = 20000;
    size_t cap = m * 40, len = 0, wlen = 0;
    req = malloc(cap);
    char *expect = malloc(cap);
    for (size_t i = 0; i < m; i++) {
        char num[24];
        int k = snprintf(num, sizeof num, "%zu", i);
        len += (size_t)sprintf(req + len, "*2\r\n$4\r\nPING\r\n$%d\r\n%s\r\n", k, num);
        wlen += (size_t)sprintf(expect + wlen, "$%d\r\n%s\r\n", k, num);
    }
    rcvd = pump(fd, req, len, &got, wlen, 60000);
    cr_assert_eq(rcvd, wlen, "got %zu of %zu reply bytes", rcvd, wlen);
    cr_assert(memcmp(got, expect, wlen) == 0, "replies out of order");
    free(got);
    free(req);
    free(expect);
    th_raw_close(fd);
    TH_STOP_OK(srv);
}

/* xorshift64*, seeded and printed so a failure can be replayed with
 * SWARMLOG_TEST_SEED=<seed>. */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static const char *const seeds_cmds[] = {
    "*1\r\n$4\r\nPING\r\n",   "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n", "*2\r\n$6\r\nCLIENT\r\n$7\r\nGETNAME\r\n",
    "*1\r\n$6\r\nDBSIZE\r\n", "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n",   "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n",
    "PING\r\n",               "ECHO \"a b\" 'c'\r\n",                 "*1\r\n$4\r\nTIME\r\n",
};

/* Fills buf with random bytes, or with harmless commands with a few bytes
 * flipped (to reach deeper parser states than pure noise). */
static size_t make_junk(char *buf, size_t cap)
{
    size_t n = 0;
    if (rng_next() % 2 == 0) {
        while (n < cap)
            buf[n++] = (char)(rng_next() & 0xff);
        return n;
    }
    while (n + 64 < cap) {
        const char *c = seeds_cmds[rng_next() % (sizeof seeds_cmds / sizeof *seeds_cmds)];
        size_t k = strlen(c);
        memcpy(buf + n, c, k);
        if (rng_next() % 3 == 0)
            buf[n + rng_next() % k] = (char)(rng_next() & 0xff);
        n += k;
    }
    return n;
}

Test(robustness, random_bytes_many_connections)
{
    const char *env = getenv("SWARMLOG_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    if (seed == 0)
        seed = 1;
    rng_state = seed;
    fprintf(stderr, "random_bytes_many_connections: SWARMLOG_TEST_SEED=%llu\n",
            (unsigned long long)seed);
    srv = th_start_ok(NULL);
    int other = th_raw_connect_ok(srv);
    enum { CONNS = 64, BYTES = 32 * 1024 };
    char *buf = malloc(BYTES);
    for (int round = 0; round < CONNS; round++) {
        int fd = th_raw_connect_ok(srv);
        size_t n = make_junk(buf, BYTES);
        /* Sent in random-sized pieces, draining replies as they come. */
        for (size_t off = 0; off < n;) {
            size_t piece = 1 + rng_next() % 4096;
            if (piece > n - off)
                piece = n - off;
            char *got;
            pump(fd, buf + off, piece, &got, 0, 2000);
            free(got);
            off += piece;
        }
        th_raw_close(fd);
        if (round % 8 == 0)
            check_bystander(other);
    }
    free(buf);
    cr_assert(th_server_alive(srv), "server died on random input (seed %llu)",
              (unsigned long long)seed);
    check_bystander(other);
    th_raw_close(other);
    TH_STOP_OK(srv);
}

/* Waits until INFO clients shows want connected clients. */
static bool wait_connected_clients(redisContext *c, long want, int timeout_ms)
{
    long long deadline = th_now_ms() + timeout_ms;
    long have = -1;
    while (th_now_ms() < deadline) {
        redisReply *r = th_call(c, "INFO", "clients", NULL);
        const char *p = r->str ? strstr(r->str, "connected_clients:") : NULL;
        have = p ? atol(p + strlen("connected_clients:")) : -1;
        freeReplyObject(r);
        if (have == want)
            return true;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "connected_clients is %ld, waited for %ld\n", have, want);
    return false;
}

/* Opens n connections, PINGs on each, checks every PONG, closes them all. */
static void thousand_round(int n)
{
    int *fds = malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) {
        fds[i] = th_raw_connect(th_server_port(srv));
        cr_assert_geq(fds[i], 0, "connection %d of %d refused", i, n);
    }
    for (int i = 0; i < n; i++)
        cr_assert_eq(th_raw_send(fds[i], PING_MB, PING_MB_LEN, 5000), 0);
    for (int i = 0; i < n; i++)
        cr_assert(th_raw_expect(fds[i], "+PONG\r\n", 10000), "connection %d", i);
    redisContext *c = th_connect_ok(srv);
    cr_assert(wait_connected_clients(c, n + 1, 10000));
    for (int i = 0; i < n; i++)
        th_raw_close(fds[i]);
    cr_assert(wait_connected_clients(c, 1, 10000), "closed connections are released");
    redisFree(c);
    free(fds);
}

Test(robustness, thousand_connections_bounded_rss)
{
    const int n = 1000;
    long lim = th_raise_nofile(n + 1024);
    cr_assert_geq(lim, n + 100, "RLIMIT_NOFILE hard limit too low: %ld", lim);
    srv = th_start_ok(NULL); /* inherits the raised limit */
    pid_t pid = th_server_pid(srv);
    thousand_round(50); /* warm up allocator pools */
    long before = th_rss_kb(pid);
    cr_assert_gt(before, 0);
    thousand_round(n);
    long after1 = th_rss_kb(pid);
    thousand_round(n);
    thousand_round(n);
    long after3 = th_rss_kb(pid);
    fprintf(stderr, "thousand_connections: RSS %ld kB before, %ld kB after 1 round, %ld kB after 3\n",
            before, after1, after3);
    /* Generous: an ASan build keeps freed memory in quarantine (256 MB max). */
    cr_assert_lt(after1 - before, 300 * 1024, "RSS grew by %ld kB over 1000 connections",
                 after1 - before);
    cr_assert_lt(after3 - after1, 300 * 1024, "RSS keeps growing: %ld kB then %ld kB", after1,
                 after3);
    TH_STOP_OK(srv);
}

Test(robustness, inline_commands_like_nc)
{
    srv = th_start_ok(NULL);
    int fd = th_raw_connect_ok(srv);
    /* nc sends bare LF line ends; empty lines get no reply. */
    th_raw_roundtrip(fd, "PING\n", "+PONG\r\n");
    th_raw_roundtrip(fd, "PING\r\n", "+PONG\r\n");
    th_raw_roundtrip(fd, "\n\r\n   \nping\n", "+PONG\r\n");
    th_raw_roundtrip(fd, "ECHO hello\n", "$5\r\nhello\r\n");
    th_raw_roundtrip(fd, "ECHO \"hello world\"\n", "$11\r\nhello world\r\n");
    th_raw_roundtrip(fd, "ECHO 'a b'\n", "$3\r\na b\r\n");
    th_raw_roundtrip(fd, "ECHO \"a\\x41\\n\"\n", "$3\r\naA\n\r\n");
    th_raw_roundtrip(fd, "  ECHO    spaced   \n", "$6\r\nspaced\r\n");
    /* Several commands in one packet, split across packets too. */
    th_raw_roundtrip(fd, "PING\nECHO x\nPING a\n", "+PONG\r\n$1\r\nx\r\n$1\r\na\r\n");
    cr_assert_eq(th_raw_send_str(fd, "EC", 5000), 0);
    cr_assert_eq(th_raw_send_str(fd, "HO sp", 5000), 0);
    th_raw_roundtrip(fd, "lit\n", "$5\r\nsplit\r\n");
    th_raw_roundtrip(fd, "foo bar\n", "-ERR unknown command 'foo', with args beginning with: 'bar' \r\n");
    th_raw_roundtrip(fd, "QUIT\n", "+OK\r\n");
    cr_assert(th_raw_wait_closed(fd, 5000));
    th_raw_close(fd);
    TH_STOP_OK(srv);
}
