/* resp_test_util.h — helpers shared by the resp_parser unit tests
 * (test_resp_parser.c, test_resp_parser_limits.c, test_resp_split_args.c,
 * all linked into unit_resp_parser). static inline so a file that does not
 * use one does not warn. */
#ifndef SWARMLOG_RESP_TEST_UTIL_H
#define SWARMLOG_RESP_TEST_UTIL_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "resp_internal.h"

#define LIT(s) s, sizeof(s) - 1

/* A growable byte string recording parsed requests as
 * "<i|m><argc>:<len>=<bytes>,<len>=<bytes>,...;" so sequences compare with
 * memcmp. */
struct trace {
    char *data;
    size_t len, cap;
};

static inline void trace_put(struct trace *t, const char *s, size_t n)
{
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2 + 64;
        t->data = realloc(t->data, t->cap);
        cr_assert_not_null(t->data);
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
}

static inline void trace_request(struct trace *t, const struct resp_request *r)
{
    char num[64];
    int i;

    trace_put(t, num, (size_t)snprintf(num, sizeof(num), "%c%d:", r->is_inline ? 'i' : 'm', r->argc));
    for (i = 0; i < r->argc; i++) {
        trace_put(t, num, (size_t)snprintf(num, sizeof(num), "%zu=", r->argv[i].len));
        trace_put(t, r->argv[i].ptr, r->argv[i].len);
        trace_put(t, ",", 1);
    }
    trace_put(t, ";", 1);
}

/* Drains every complete request into t; returns the final code. */
static inline int drain(struct resp_parser *p, struct trace *t)
{
    struct resp_request r;
    int rc;

    while ((rc = resp_parser_next(p, &r)) == RESP_REQUEST) {
        cr_assert_geq(r.argc, 1);
        trace_request(t, &r);
    }
    return rc;
}

static inline void trace_free(struct trace *t)
{
    free(t->data);
    memset(t, 0, sizeof(*t));
}

static inline void feed_ok(struct resp_parser *p, const char *s, size_t n)
{
    cr_assert_eq(resp_parser_feed(p, s, n), 0);
}

/* Feeds s to a fresh parser in one piece; expects the given final code
 * and, for protocol errors, the text. `what` names the case in failures. */
static inline void expect_error(const char *what, const struct resp_limits *lim, int unauth,
                                const char *s, size_t n, int code, const char *text)
{
    struct resp_parser *p = resp_parser_create(lim);
    struct trace t = {0};
    int rc;

    cr_assert_not_null(p);
    resp_parser_set_unauthenticated(p, unauth);
    rc = resp_parser_feed(p, s, n);
    if (rc == 0)
        rc = drain(p, &t);
    cr_assert_eq(rc, code, "%s: rc %d, expected %d", what, rc, code);
    if (text)
        cr_assert_str_eq(resp_parser_error(p), text, "%s", what);
    trace_free(&t);
    resp_parser_free(p);
}

/* Parses s in one feed and checks the trace. */
static inline void expect_trace(const char *s, size_t n, const char *want, size_t want_len)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct trace t = {0};

    cr_assert_not_null(p);
    feed_ok(p, s, n);
    cr_assert_eq(drain(p, &t), RESP_NEED_MORE, "err: %s", resp_parser_error(p));
    cr_assert_eq(t.len, want_len, "trace '%.*s' expected '%.*s'", (int)t.len, t.data,
                 (int)want_len, want);
    cr_assert(want_len == 0 || memcmp(t.data, want, want_len) == 0, "trace '%.*s' expected '%.*s'",
              (int)t.len, t.data, (int)want_len, want);
    trace_free(&t);
    resp_parser_free(p);
}

static inline struct resp_limits small_limits(void)
{
    struct resp_limits l = {.max_bulk = 1024, .max_query = 8192, .max_inline = 64,
                            .max_multibulk = 100};
    return l;
}

/* Fixture teardown for tests that install a realloc hook. */
static inline void restore_allocator(void)
{
    resp_set_realloc_hook(NULL);
}

#endif
