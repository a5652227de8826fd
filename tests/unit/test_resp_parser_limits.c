/* Unit tests for the request parser's limits and errors: every limit and
 * Redis's exact error text, sticky errors, unauthenticated limits, the
 * query-buffer limit and allocation failures. Part of unit_resp_parser. */
#include "resp_test_util.h"

/* ------------------------------------------------------------------ */
/* Limits and error texts                                               */
/* ------------------------------------------------------------------ */

/* One input fed in one piece to a fresh parser, and the outcome: the code
 * and, for errors, Redis's exact text. "small" selects small_limits()
 * (max_inline 64, max_bulk 1024); otherwise the Redis defaults. */
struct outcome_case {
    const char *behaviour;
    int small, unauth;
    const char *in;
    size_t len;
    int code;
    const char *text;
};

#define D16 "1111111111111111"
#define D64 D16 D16 D16 D16
#define E_MBULK_BIG "Protocol error: too big mbulk count string"
#define E_MBULK "Protocol error: invalid multibulk length"
#define E_MBULK_UNAUTH "Protocol error: unauthenticated multibulk length"
#define E_BULK_BIG "Protocol error: too big bulk count string"
#define E_BULK "Protocol error: invalid bulk length"
#define E_BULK_UNAUTH "Protocol error: unauthenticated bulk length"
#define E_INLINE_BIG "Protocol error: too big inline request"
#define E_DOLLAR(c) "Protocol error: expected '$', got '" c "'"
#define OK_MORE(what, small, unauth, s) {what, small, unauth, LIT(s), RESP_NEED_MORE, NULL}
#define FAILS(what, small, unauth, s, text) {what, small, unauth, LIT(s), RESP_ERR_PROTOCOL, text}

static const struct outcome_case outcome_cases[] = {
    /* Redis errors once more than max_inline bytes wait without '\r'. */
    OK_MORE("count line at max_inline waits", 1, 0, "*" D16 D16 D16 "111111111111111"),
    FAILS("count line past max_inline", 1, 0, "*" D64, E_MBULK_BIG),
    FAILS("long terminated count line is just invalid", 1, 0, "*" D64 D16 "\r\n", E_MBULK),
    FAILS("count: letters", 0, 0, "*abc\r\n", E_MBULK),
    FAILS("count: leading +", 0, 0, "*+1\r\n", E_MBULK),
    FAILS("count: leading zero", 0, 0, "*01\r\n", E_MBULK),
    FAILS("count: leading space", 0, 0, "* 1\r\n", E_MBULK),
    FAILS("count: trailing space", 0, 0, "*1 \r\n", E_MBULK),
    FAILS("count: -0", 0, 0, "*-0\r\n", E_MBULK),
    FAILS("count: lone -", 0, 0, "*-\r\n", E_MBULK),
    FAILS("count: empty", 0, 0, "*\r\n", E_MBULK),
    FAILS("count: hex", 0, 0, "*0x10\r\n", E_MBULK),
    FAILS("count above max_multibulk", 0, 0, "*1048577\r\n", E_MBULK),
    FAILS("count: 20 digits", 0, 0, "*99999999999999999999\r\n", E_MBULK),
    FAILS("count: LLONG_MAX + 1", 0, 0, "*9223372036854775808\r\n", E_MBULK),
    FAILS("count: LLONG_MIN - 1", 0, 0, "*-9223372036854775809\r\n", E_MBULK),
    OK_MORE("count of exactly max_multibulk", 0, 0, "*1048576\r\n"),
    FAILS("unauthenticated count above 10", 0, 1, "*11\r\n", E_MBULK_UNAUTH),
    OK_MORE("unauthenticated count of 10", 0, 1, "*10\r\n"),
    OK_MORE("authenticated count of 11", 0, 0, "*11\r\n"),
    OK_MORE("bulk line at max_inline waits", 1, 0, "*1\r\n$" D16 D16 D16 "999999999999999"),
    FAILS("bulk line past max_inline", 1, 0, "*1\r\n$" D64, E_BULK_BIG),
    FAILS("element of another type", 0, 0, "*1\r\n:3\r\n", E_DOLLAR(":")),
    FAILS("inline after an element", 0, 0, "*2\r\n$1\r\na\r\nfoo\r\n", E_DOLLAR("f")),
    FAILS("empty element line: no CR in the text", 0, 0, "*1\r\n\r\n", E_DOLLAR("?")),
    FAILS("LF byte: not in the text", 0, 0, "*1\r\n\n\r\n", E_DOLLAR("?")),
    FAILS("NUL byte: not in the text", 0, 0, "*1\r\n\0\r\n", E_DOLLAR("?")),
    FAILS("high byte: not in the text", 0, 0, "*1\r\n\xff\r\n", E_DOLLAR("?")),
    OK_MORE("element line judged only once complete", 0, 0, "*1\r\nX"),
    FAILS("bulk: -1", 0, 0, "*1\r\n$-1\r\n", E_BULK),
    FAILS("bulk: letters", 0, 0, "*1\r\n$abc\r\n", E_BULK),
    FAILS("bulk: leading zero", 0, 0, "*1\r\n$01\r\n", E_BULK),
    FAILS("bulk: leading +", 0, 0, "*1\r\n$+1\r\n", E_BULK),
    FAILS("bulk: empty", 0, 0, "*1\r\n$\r\n", E_BULK),
    FAILS("bulk: leading space", 0, 0, "*1\r\n$ 1\r\n", E_BULK),
    FAILS("bulk: 20 digits", 0, 0, "*1\r\n$99999999999999999999\r\n", E_BULK),
    FAILS("bulk above default max_bulk", 0, 0, "*1\r\n$536870913\r\n", E_BULK),
    OK_MORE("bulk of exactly max_bulk", 1, 0, "*1\r\n$1024\r\n"),
    FAILS("bulk above max_bulk", 1, 0, "*1\r\n$1025\r\n", E_BULK),
    FAILS("unauthenticated bulk above 16384", 0, 1, "*1\r\n$16385\r\n", E_BULK_UNAUTH),
    OK_MORE("unauthenticated bulk of 16384", 0, 1, "*1\r\n$16384\r\n"),
    OK_MORE("authenticated bulk of 16385", 0, 0, "*1\r\n$16385\r\n"),
    OK_MORE("inline at max_inline waits", 1, 0, D64),
    FAILS("inline past max_inline", 1, 0, D64 "1", E_INLINE_BIG),
    /* Like Redis, a line that arrives complete is accepted however long. */
    OK_MORE("complete long inline line", 1, 0, D64 D16 "\n"),
};

Test(resp_parser, limits_and_error_texts_match_redis)
{
    struct resp_limits l = small_limits();
    size_t i;

    for (i = 0; i < sizeof(outcome_cases) / sizeof(outcome_cases[0]); i++) {
        const struct outcome_case *c = &outcome_cases[i];
        expect_error(c->behaviour, c->small ? &l : NULL, c->unauth, c->in, c->len, c->code, c->text);
    }
}

Test(resp_parser, extreme_negative_count_is_skipped)
{
    expect_trace(LIT("*-9223372036854775808\r\nPING\n"), LIT("i1:4=PING,;"));
}

Test(resp_parser, too_big_mbulk_count_string_with_default_limit)
{
    size_t n = 64 * 1024 + 1;
    char *in = malloc(n);

    memset(in, '1', n);
    in[0] = '*';
    expect_error("64 KiB count line", NULL, 0, in, n - 1, RESP_NEED_MORE, NULL);
    expect_error("64 KiB + 1 count line", NULL, 0, in, n, RESP_ERR_PROTOCOL,
                 "Protocol error: too big mbulk count string");
    free(in);
}

Test(resp_parser, unauthenticated_flag_applies_to_next_header)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;

    resp_parser_set_unauthenticated(p, 1);
    feed_ok(p, LIT("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    resp_parser_set_unauthenticated(p, 0);
    feed_ok(p, LIT("*12\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    resp_parser_free(p);
}

Test(resp_parser, query_limit_on_buffered_bytes)
{
    struct resp_limits l = small_limits();
    struct resp_parser *p;
    struct resp_request r;
    char chunk[1000];

    l.max_query = 2000;
    p = resp_parser_create(&l);
    memset(chunk, 'z', sizeof(chunk));
    feed_ok(p, LIT("*3\r\n$1000\r\n"));
    feed_ok(p, chunk, sizeof(chunk));
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    feed_ok(p, LIT("\r\n$1000\r\n"));
    feed_ok(p, chunk, 980); /* 2000 bytes buffered: at the limit is fine */
    cr_assert_eq(resp_parser_buffered(p), 2000);
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    feed_ok(p, chunk, 1);
    cr_assert_eq(resp_parser_next(p, &r), RESP_ERR_QUERY_LIMIT);
    cr_assert_not_null(resp_parser_error(p));
    cr_assert_eq(resp_parser_next(p, &r), RESP_ERR_QUERY_LIMIT);
    resp_parser_free(p);
}

Test(resp_parser, space_refuses_growth_past_query_limit)
{
    struct resp_limits l = small_limits();
    struct resp_parser *p = resp_parser_create(&l);
    struct resp_request r;
    size_t avail = 123;

    cr_assert_null(resp_parser_space(p, 10 * 1024 * 1024, &avail));
    cr_assert_eq(avail, 0);
    cr_assert_eq(resp_parser_next(p, &r), RESP_ERR_QUERY_LIMIT);
    cr_assert_null(resp_parser_space(p, 1, &avail), "errors are sticky");
    cr_assert_eq(resp_parser_feed(p, "x", 1), RESP_ERR_QUERY_LIMIT);
    resp_parser_free(p);
}

Test(resp_parser, capacity_never_exceeds_query_limit_plus_slack)
{
    struct resp_limits l = small_limits();
    struct resp_parser *p = resp_parser_create(&l);
    size_t avail;
    char *dst;

    l.max_bulk = 1 << 20;
    resp_parser_set_limits(p, &l);
    cr_assert_eq(resp_parser_feed(p, LIT("*1\r\n$1000000\r\n")), 0);
    while ((dst = resp_parser_space(p, 4096, &avail)) != NULL) {
        memset(dst, 'x', avail);
        resp_parser_commit(p, avail);
        cr_assert_leq(resp_parser_capacity(p), l.max_query + 64 * 1024);
    }
    resp_parser_free(p);
}

Test(resp_parser, errors_are_sticky)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;
    const char *text;

    feed_ok(p, LIT("*1\r\n$x\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_ERR_PROTOCOL);
    text = resp_parser_error(p);
    cr_assert_str_eq(text, "Protocol error: invalid bulk length");
    cr_assert_eq(resp_parser_feed(p, LIT("PING\r\n")), RESP_ERR_PROTOCOL);
    cr_assert_eq(resp_parser_next(p, &r), RESP_ERR_PROTOCOL);
    cr_assert_str_eq(resp_parser_error(p), "Protocol error: invalid bulk length");
    resp_parser_free(p);
}

Test(resp_parser, requests_before_an_error_are_returned_first)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;

    feed_ok(p, LIT("PING\r\n*1\r\n:1\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(resp_parser_next(p, &r), RESP_ERR_PROTOCOL);
    resp_parser_free(p);
}

Test(resp_parser, set_limits_takes_effect_for_next_header)
{
    struct resp_limits l = small_limits();
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;

    feed_ok(p, LIT("*1\r\n$2000\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    resp_parser_set_limits(p, &l);
    feed_ok(p, LIT("\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE, "header already accepted");
    resp_parser_set_limits(p, NULL);
    resp_parser_free(p);
    expect_error("new parser, small limits", &l, 0, LIT("*1\r\n$2000\r\n"), RESP_ERR_PROTOCOL,
                 "Protocol error: invalid bulk length");
}

Test(resp_parser, error_texts_never_contain_crlf)
{
    static const char *const inputs[] = {"*1\r\n\r\n", "*x\r\n", "\"\n", "*1\r\n$-5\r\n"};
    size_t i;

    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct resp_parser *p = resp_parser_create(NULL);
        struct resp_request r;
        const char *e;
        feed_ok(p, inputs[i], strlen(inputs[i]));
        cr_assert_eq(resp_parser_next(p, &r), RESP_ERR_PROTOCOL);
        e = resp_parser_error(p);
        cr_assert_not_null(e);
        cr_assert_eq(strcspn(e, "\r\n"), strlen(e));
        resp_parser_free(p);
    }
}

/* ------------------------------------------------------------------ */
/* Out of memory                                                        */
/* ------------------------------------------------------------------ */

static int allocs_left;

static void *failing_realloc(void *ptr, size_t size)
{
    if (allocs_left-- <= 0)
        return NULL;
    return realloc(ptr, size);
}

Test(resp_parser, create_returns_null_without_memory, .fini = restore_allocator)
{
    allocs_left = 0;
    resp_set_realloc_hook(failing_realloc);
    cr_assert_null(resp_parser_create(NULL));
}

/* Feeds in[] to parsers whose k-th allocation fails, for k = 1..max_k:
 * each run either parses everything (the trace must then be `want`, if
 * given) or reports a sticky RESP_ERR_NOMEM; never a crash or leak (ASan).
 * Returns how many runs completed. */
static int run_with_failing_allocation(const char *in, size_t n, int max_k, const char *want)
{
    int k, completed = 0;

    for (k = 1; k <= max_k; k++) {
        struct resp_parser *p = resp_parser_create(NULL);
        struct resp_request r;
        struct trace t = {0};
        int rc;
        allocs_left = k - 1;
        resp_set_realloc_hook(failing_realloc);
        rc = resp_parser_feed(p, in, n);
        if (rc == 0)
            rc = drain(p, &t);
        resp_set_realloc_hook(NULL);
        if (rc == RESP_NEED_MORE) {
            completed++;
            cr_assert(want == NULL || (t.len == strlen(want) && memcmp(t.data, want, t.len) == 0));
        } else {
            cr_assert_eq(rc, RESP_ERR_NOMEM, "k=%d rc=%d", k, rc);
            cr_assert_str_eq(resp_parser_error(p), "out of memory");
            cr_assert_eq(resp_parser_next(p, &r), RESP_ERR_NOMEM);
        }
        trace_free(&t);
        resp_parser_free(p);
    }
    return completed;
}

Test(resp_parser, allocation_failure_anywhere_is_nomem, .fini = restore_allocator)
{
    static const char in[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nset \"a b\" c\r\n";

    cr_assert_gt(run_with_failing_allocation(in, sizeof(in) - 1, 20,
                                             "m3:3=SET,1=k,1=v,;i3:3=set,3=a b,1=c,;"),
                 0);
}

/* Same, for requests big enough that the argument arrays must grow while
 * parsing (past the capped up-front reservation). */
Test(resp_parser, allocation_failure_while_growing_arguments_is_nomem, .fini = restore_allocator)
{
    struct trace in = {0};
    int i;

    trace_put(&in, LIT("*1100\r\n"));
    for (i = 0; i < 1100; i++)
        trace_put(&in, LIT("$1\r\nx\r\n"));
    for (i = 0; i < 40; i++)
        trace_put(&in, LIT("a "));
    trace_put(&in, LIT("\n"));
    cr_assert_gt(run_with_failing_allocation(in.data, in.len, 16, NULL), 0);
    trace_free(&in);
}
