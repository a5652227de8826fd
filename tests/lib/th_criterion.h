/* th_criterion.h — Criterion assertions on top of harness.h.
 *
 * Usage in a test file:
 *
 *   static th_server *srv;              // stopped by th_fini() if a test fails early
 *   TestSuite(basics, .fini = th_fini, .timeout = 60);
 *   Test(basics, ping) {
 *       srv = th_start_ok(NULL);
 *       redisContext *c = th_connect_ok(srv);
 *       th_expect_status(c, "PONG", "PING", NULL);
 *       redisFree(c);
 *       TH_STOP_OK(srv);                // fails the test on a nonzero exit
 *   }
 *
 * Criterion ignores assertions in .fini, so the exit status is checked in the
 * test body by TH_STOP_OK; th_fini() only cleans up (and prints the server
 * log) after a test that stopped early. Commands are given argv-style,
 * NULL-terminated, so arguments may hold spaces or any bytes. */
#ifndef SWARMLOG_TH_CRITERION_H
#define SWARMLOG_TH_CRITERION_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

/* The server of the running test; th_fini() stops it if still set. */
static th_server *srv;

/* Stops the server and fails the test unless it exited with status 0. */
#define TH_STOP_OK(s)                                                                  \
    do {                                                                               \
        int th_rc_ = th_server_stop(s);                                                \
        (s) = NULL;                                                                    \
        cr_assert_eq(th_rc_, 0, "server did not exit cleanly on SIGTERM (log above)"); \
    } while (0)

static inline void th_fini(void)
{
    if (srv) {
        th_server_stop(srv);
        srv = NULL;
    }
}

/* True when the tests run against a reference redis-server (to validate the
 * tests themselves); swarmlog-only checks skip then. */
/* A temp directory a test keeps across server restarts (make it with
 * th_tmpdir_new()); th_fini_tmp() removes it, after th_fini(). Use
 * TestSuite(name, .fini = th_fini_tmp) with it. */
static char *tmp_root;

static inline void th_fini_tmp(void)
{
    th_fini();
    if (tmp_root) {
        th_rmtree(tmp_root);
        free(tmp_root);
        tmp_root = NULL;
    }
}

static inline bool th_is_reference(void)
{
    const char *b = getenv("SWARMLOG_SERVER");
    return b && strstr(b, "redis-server") != NULL;
}

static inline th_server *th_start_ok(const char *const *args)
{
    th_server *s = th_server_start(args);
    cr_assert_not_null(s, "server did not start (see above)");
    return s;
}

static inline redisContext *th_connect_ok(const th_server *s)
{
    redisContext *c = th_connect(s);
    cr_assert_not_null(c, "cannot connect to the server");
    return c;
}

static inline int th_raw_connect_ok(const th_server *s)
{
    int fd = th_raw_connect(th_server_port(s));
    cr_assert_geq(fd, 0, "cannot connect to the server");
    return fd;
}

/* Runs one command given as NULL-terminated strings after c. */
static inline redisReply *th_vcall(redisContext *c, va_list ap)
{
    const char *argv[64];
    size_t lens[64];
    int argc = 0;
    const char *a;
    while ((a = va_arg(ap, const char *)) && argc < 64) {
        argv[argc] = a;
        lens[argc] = strlen(a);
        argc++;
    }
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    cr_assert_not_null(r, "%s: no reply: %s", argc ? argv[0] : "?", c->errstr);
    return r;
}

static inline redisReply *th_call(redisContext *c, ...)
{
    va_list ap;
    va_start(ap, c);
    redisReply *r = th_vcall(c, ap);
    va_end(ap);
    return r;
}

static inline const char *th_reply_type(int t)
{
    switch (t) {
    case REDIS_REPLY_STRING: return "bulk";
    case REDIS_REPLY_ARRAY: return "array";
    case REDIS_REPLY_INTEGER: return "integer";
    case REDIS_REPLY_NIL: return "nil";
    case REDIS_REPLY_STATUS: return "status";
    case REDIS_REPLY_ERROR: return "error";
    default: return "other";
    }
}

static inline void th_check_str(redisReply *r, int type, const char *want)
{
    cr_assert_eq(r->type, type, "expected %s \"%s\", got %s \"%s\"", th_reply_type(type), want,
                 th_reply_type(r->type), r->str ? r->str : "");
    cr_assert_eq(r->len, strlen(want), "expected \"%s\", got \"%.*s\"", want, (int)r->len, r->str);
    cr_assert(memcmp(r->str, want, r->len) == 0, "expected \"%s\", got \"%.*s\"", want,
              (int)r->len, r->str);
}

#define TH_EXPECT_FN(name, type)                                  \
    static inline void name(redisContext *c, const char *want, ...) \
    {                                                             \
        va_list ap;                                               \
        va_start(ap, want);                                       \
        redisReply *r = th_vcall(c, ap);                          \
        va_end(ap);                                               \
        th_check_str(r, type, want);                              \
        freeReplyObject(r);                                       \
    }
/* th_expect_status(c, "OK", "SELECT", "0", NULL) and friends. */
TH_EXPECT_FN(th_expect_status, REDIS_REPLY_STATUS)
TH_EXPECT_FN(th_expect_error, REDIS_REPLY_ERROR)
TH_EXPECT_FN(th_expect_bulk, REDIS_REPLY_STRING)

static inline long long th_expect_int(redisContext *c, ...)
{
    va_list ap;
    va_start(ap, c);
    redisReply *r = th_vcall(c, ap);
    va_end(ap);
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "expected integer, got %s \"%s\"",
                 th_reply_type(r->type), r->str ? r->str : "");
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Sends raw bytes on fd and checks the exact bytes that come back. */
static inline void th_raw_roundtrip(int fd, const char *send, const char *want)
{
    cr_assert_eq(th_raw_send_str(fd, send, 5000), 0, "send failed");
    cr_assert(th_raw_expect(fd, want, 5000), "unexpected reply bytes (see above)");
}

/* Same with explicit lengths, for bytes that include NUL. */
static inline void th_raw_roundtrip_n(int fd, const char *send, size_t send_len, const char *want,
                                      size_t want_len)
{
    cr_assert_eq(th_raw_send(fd, send, send_len, 5000), 0, "send failed");
    cr_assert(th_raw_expect_n(fd, want, want_len, 5000), "unexpected reply bytes (see above)");
}

#endif
