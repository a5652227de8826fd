/* Unit tests for the request parser and resp_split_args(): framing, inline
 * syntax, every limit and error text, incremental feeding at every split
 * point, pipelining, zero-copy feeding, memory behaviour and allocation
 * failures. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "resp_internal.h"

#define LIT(s) s, sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* A growable byte string recording parsed requests as
 * "<i|m><argc>:<len>=<bytes>,<len>=<bytes>,...;" so sequences compare with
 * memcmp. */
struct trace {
    char *data;
    size_t len, cap;
};

static void trace_put(struct trace *t, const char *s, size_t n)
{
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2 + 64;
        t->data = realloc(t->data, t->cap);
        cr_assert_not_null(t->data);
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
}

static void trace_request(struct trace *t, const struct resp_request *r)
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
static int drain(struct resp_parser *p, struct trace *t)
{
    struct resp_request r;
    int rc;

    while ((rc = resp_parser_next(p, &r)) == RESP_REQUEST) {
        cr_assert_geq(r.argc, 1);
        trace_request(t, &r);
    }
    return rc;
}

static void trace_free(struct trace *t)
{
    free(t->data);
    memset(t, 0, sizeof(*t));
}

static void feed_ok(struct resp_parser *p, const char *s, size_t n)
{
    cr_assert_eq(resp_parser_feed(p, s, n), 0);
}

/* Feeds s to a fresh parser in one piece; expects the given final code
 * and, for protocol errors, the text. `what` names the case in failures. */
static void expect_error(const char *what, const struct resp_limits *lim, int unauth,
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
static void expect_trace(const char *s, size_t n, const char *want, size_t want_len)
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

static struct resp_limits small_limits(void)
{
    struct resp_limits l = {.max_bulk = 1024, .max_query = 8192, .max_inline = 64,
                            .max_multibulk = 100};
    return l;
}

/* ------------------------------------------------------------------ */
/* Framing                                                              */
/* ------------------------------------------------------------------ */

Test(resp_parser, simple_multibulk)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;

    feed_ok(p, LIT("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.argc, 2);
    cr_assert_eq(r.is_inline, 0);
    cr_assert_eq(r.argv[0].len, 3);
    cr_assert(memcmp(r.argv[0].ptr, "GET", 3) == 0);
    cr_assert_eq(r.argv[1].len, 1);
    cr_assert_eq(r.argv[1].ptr[0], 'k');
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    cr_assert_null(resp_parser_error(p));
    cr_assert_eq(resp_parser_buffered(p), 0);
    resp_parser_free(p);
}

Test(resp_parser, need_more_until_request_complete)
{
    static const char req[] = "*1\r\n$4\r\nPING\r\n";
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;
    size_t i;

    for (i = 0; i + 1 < sizeof(req) - 1; i++) {
        feed_ok(p, req + i, 1);
        cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE, "after %zu bytes", i + 1);
        cr_assert_eq(resp_parser_buffered(p), i + 1);
    }
    feed_ok(p, req + i, 1);
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.argc, 1);
    resp_parser_free(p);
}

Test(resp_parser, bytes_after_bulk_and_header_cr_are_skipped_unchecked)
{
    /* Redis does not look at the two bytes after bulk data, nor at the
     * byte after a header's '\r'. */
    expect_trace(LIT("*2\r\n$3\r\nfooXY$1\rZbAB"), LIT("m2:3=foo,1=b,;"));
}

Test(resp_parser, binary_safe_bulks)
{
    expect_trace(LIT("*3\r\n$4\r\na\r\nb\r\n$3\r\n\0\0\0\r\n$0\r\n\r\n"),
                 LIT("m3:4=a\r\nb,3=\0\0\0,0=,;"));
}

Test(resp_parser, multibulk_zero_and_negative_counts_are_skipped)
{
    expect_trace(LIT("*0\r\n*-1\r\n*-5\r\n*1\r\n$4\r\nPING\r\n*0\r\n"), LIT("m1:4=PING,;"));
}

Test(resp_parser, pipelined_requests_come_out_in_order)
{
    expect_trace(LIT("*1\r\n$1\r\na\r\nb c\r\n*2\r\n$1\r\nd\r\n$1\r\ne\r\n"),
                 LIT("m1:1=a,;i2:1=b,1=c,;m2:1=d,1=e,;"));
}

Test(resp_parser, ten_thousand_pipelined_commands_in_one_feed)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;
    struct trace in = {0};
    char cmd[64];
    int i;

    for (i = 0; i < 10000; i++) {
        int n = snprintf(cmd, sizeof(cmd), "%d", i);
        char hdr[64];
        trace_put(&in, hdr, (size_t)snprintf(hdr, sizeof(hdr), "*2\r\n$3\r\nSET\r\n$%d\r\n", n));
        trace_put(&in, cmd, (size_t)n);
        trace_put(&in, "\r\n", 2);
    }
    feed_ok(p, in.data, in.len);
    for (i = 0; i < 10000; i++) {
        int n = snprintf(cmd, sizeof(cmd), "%d", i);
        cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
        cr_assert_eq(r.argc, 2);
        cr_assert_eq(r.argv[1].len, (size_t)n);
        cr_assert(memcmp(r.argv[1].ptr, cmd, (size_t)n) == 0, "request %d", i);
    }
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    trace_free(&in);
    resp_parser_free(p);
}

Test(resp_parser, many_arguments_grow_argv)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;
    int i;

    feed_ok(p, LIT("*100000\r\n"));
    for (i = 0; i < 100000; i++)
        feed_ok(p, LIT("$1\r\nx\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.argc, 100000);
    for (i = 0; i < 100000; i++)
        cr_assert(r.argv[i].len == 1 && r.argv[i].ptr[0] == 'x');
    resp_parser_free(p);
}

/* ------------------------------------------------------------------ */
/* Inline requests                                                      */
/* ------------------------------------------------------------------ */

Test(resp_parser, inline_simple)
{
    expect_trace(LIT("PING\r\n"), LIT("i1:4=PING,;"));
    expect_trace(LIT("set k v\n"), LIT("i3:3=set,1=k,1=v,;"));
    expect_trace(LIT("  get\t k  \r\n"), LIT("i2:3=get,1=k,;"));
}

Test(resp_parser, inline_quotes_and_escapes)
{
    expect_trace(LIT("set \"a b\" 'c d'\r\n"), LIT("i3:3=set,3=a b,3=c d,;"));
    expect_trace(LIT("echo \"\\x41\\x7a\\n\\r\\t\\b\\a\\\\\\\"\\q\"\n"),
                 LIT("i2:4=echo,10=Az\n\r\t\b\a\\\"q,;"));
    expect_trace(LIT("echo 'it\\'s' 'a\\nb'\n"), LIT("i3:4=echo,4=it's,4=a\\nb,;"));
    expect_trace(LIT("echo \"\\x4g\" \"\"\n"), LIT("i3:4=echo,3=x4g,0=,;"));
    expect_trace(LIT("echo a\"b c\"\n"), LIT("i2:4=echo,4=ab c,;"));
}

Test(resp_parser, inline_unbalanced_quotes)
{
    static const char *const bad[] = {"set \"abc\r\n", "set 'abc\n", "echo \"a\"b\n",
                                      "echo 'a'b\n", "echo \"abc\\\"\n"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error(bad[i], NULL, 0, bad[i], strlen(bad[i]), RESP_ERR_PROTOCOL,
                     "Protocol error: unbalanced quotes in request");
}

Test(resp_parser, inline_empty_lines_are_skipped)
{
    expect_trace(LIT("\r\n\n   \r\n\t\nPING\n\n"), LIT("i1:4=PING,;"));
}

Test(resp_parser, inline_lf_only_and_inner_cr)
{
    expect_trace(LIT("a\nb\r\n"), LIT("i1:1=a,;i1:1=b,;"));
    /* An unquoted '\r' separates arguments, as in sdssplitargs. */
    expect_trace(LIT("a\rb\n"), LIT("i2:1=a,1=b,;"));
}

Test(resp_parser, inline_line_waits_for_newline)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;

    feed_ok(p, LIT("PING\r"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    feed_ok(p, LIT("\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.is_inline, 1);
    cr_assert_eq(r.argv[0].len, 4);
    resp_parser_free(p);
}

/* ------------------------------------------------------------------ */
/* Incremental feeding                                                  */
/* ------------------------------------------------------------------ */

static const char sample[] =
    "*3\r\n$3\r\nSET\r\n$5\r\nmykey\r\n$12\r\nhello\r\nworld\r\n"
    "PING\r\n"
    "*0\r\n"
    "set \"a\\x00b\" 'c d'\n"
    "\r\n"
    "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"
    "*1\r\n$3\r\n\0\r\n\r\n"
    "*-1\r\n"
    "*2\r\n$3\r\nGET\r\n$5\r\nmykey\r\n";

static struct trace sample_reference(void)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct trace t = {0};

    feed_ok(p, sample, sizeof(sample) - 1);
    cr_assert_eq(drain(p, &t), RESP_NEED_MORE);
    resp_parser_free(p);
    return t;
}

Test(resp_parser, sample_reference_is_as_expected)
{
    static const char want[] = "m3:3=SET,5=mykey,12=hello\r\nworld,;i1:4=PING,;"
                               "i3:3=set,3=a\0b,3=c d,;m2:4=ECHO,0=,;m1:3=\0\r\n,;"
                               "m2:3=GET,5=mykey,;";
    struct trace t = sample_reference();

    cr_assert_eq(t.len, sizeof(want) - 1, "'%.*s'", (int)t.len, t.data);
    cr_assert(memcmp(t.data, want, t.len) == 0);
    trace_free(&t);
}

Test(resp_parser, bulk_split_at_every_byte)
{
    struct trace ref = sample_reference();
    size_t cut, n = sizeof(sample) - 1;

    for (cut = 0; cut <= n; cut++) {
        struct resp_parser *p = resp_parser_create(NULL);
        struct trace t = {0};
        feed_ok(p, sample, cut);
        cr_assert_eq(drain(p, &t), RESP_NEED_MORE);
        feed_ok(p, sample + cut, n - cut);
        cr_assert_eq(drain(p, &t), RESP_NEED_MORE);
        cr_assert_eq(t.len, ref.len, "cut at %zu", cut);
        cr_assert(memcmp(t.data, ref.data, t.len) == 0, "cut at %zu", cut);
        trace_free(&t);
        resp_parser_free(p);
    }
    trace_free(&ref);
}

Test(resp_parser, fed_byte_by_byte_yields_same_requests)
{
    struct trace ref = sample_reference(), t = {0};
    struct resp_parser *p = resp_parser_create(NULL);
    size_t i;

    for (i = 0; i < sizeof(sample) - 1; i++) {
        feed_ok(p, sample + i, 1);
        cr_assert_eq(drain(p, &t), RESP_NEED_MORE);
    }
    cr_assert_eq(t.len, ref.len);
    cr_assert(memcmp(t.data, ref.data, t.len) == 0);
    trace_free(&t);
    trace_free(&ref);
    resp_parser_free(p);
}

/* Feeds a long pipeline in small reads through space/commit with draining
 * in between, so the buffer is compacted while requests are in progress. */
Test(resp_parser, compaction_keeps_requests_in_progress)
{
    struct trace in = {0}, ref = {0}, t = {0};
    struct resp_parser *p;
    size_t off = 0, step = 0;
    int i;

    for (i = 0; i < 3000; i++) {
        trace_put(&in, sample, sizeof(sample) - 1);
        if (i % 100 == 0) {
            static char big[20000];
            char hdr[32];
            memset(big, 'a' + i % 26, sizeof(big));
            trace_put(&in, hdr, (size_t)snprintf(hdr, sizeof(hdr), "*1\r\n$%zu\r\n", sizeof(big)));
            trace_put(&in, big, sizeof(big));
            trace_put(&in, "\r\n", 2);
        }
    }
    p = resp_parser_create(NULL);
    feed_ok(p, in.data, in.len);
    cr_assert_eq(drain(p, &ref), RESP_NEED_MORE);
    resp_parser_free(p);

    p = resp_parser_create(NULL);
    while (off < in.len) {
        size_t avail, n = 1 + (step++ * 7919) % 3000;
        char *dst = resp_parser_space(p, 1, &avail);
        cr_assert_not_null(dst);
        if (n > avail)
            n = avail;
        if (n > in.len - off)
            n = in.len - off;
        memcpy(dst, in.data + off, n);
        resp_parser_commit(p, n);
        off += n;
        cr_assert_eq(drain(p, &t), RESP_NEED_MORE);
    }
    cr_assert_eq(t.len, ref.len);
    cr_assert(memcmp(t.data, ref.data, t.len) == 0);
    cr_assert_lt(resp_parser_capacity(p), 256 * 1024, "capacity %zu", resp_parser_capacity(p));
    trace_free(&in);
    trace_free(&ref);
    trace_free(&t);
    resp_parser_free(p);
}

Test(resp_parser, large_bulk_fed_byte_by_byte_is_linear)
{
    const size_t n = 2 * 1024 * 1024;
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;
    char hdr[32];
    size_t i;

    feed_ok(p, hdr, (size_t)snprintf(hdr, sizeof(hdr), "*2\r\n$3\r\nSET\r\n$%zu\r\n", n));
    for (i = 0; i < n + 1; i++) {
        char c = (char)('a' + i % 26);
        feed_ok(p, &c, 1);
        cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    }
    feed_ok(p, "\n", 1);
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.argv[1].len, n);
    for (i = 0; i < n; i++)
        cr_assert_eq(r.argv[1].ptr[i], (char)('a' + i % 26));
    /* Growth stops at the end of the bulk instead of doubling past it. */
    cr_assert_leq(resp_parser_capacity(p), n + 64, "capacity %zu", resp_parser_capacity(p));
    resp_parser_free(p);
}

/* ------------------------------------------------------------------ */
/* Zero-copy feeding and memory                                         */
/* ------------------------------------------------------------------ */

Test(resp_parser, zero_copy_argv_points_into_parser_buffer)
{
    static const char req[] = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;
    size_t avail;
    char *dst = resp_parser_space(p, 16, &avail);

    cr_assert_not_null(dst);
    cr_assert_geq(avail, 16);
    memcpy(dst, req, sizeof(req) - 1);
    resp_parser_commit(p, sizeof(req) - 1);
    cr_assert_eq(resp_parser_buffered(p), sizeof(req) - 1);
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.argv[0].ptr, dst + 8);
    cr_assert_eq(r.argv[1].ptr, dst + 17);
    cr_assert_geq(resp_parser_capacity(p), avail);
    resp_parser_free(p);
}

Test(resp_parser, space_returns_requested_minimum)
{
    struct resp_parser *p = resp_parser_create(NULL);
    size_t avail;

    cr_assert_not_null(resp_parser_space(p, 100000, &avail));
    cr_assert_geq(avail, 100000);
    cr_assert_not_null(resp_parser_space(p, 0, &avail));
    cr_assert_geq(avail, 1);
    resp_parser_free(p);
}

Test(resp_parser, huge_announced_bulk_allocates_only_as_data_arrives)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;

    feed_ok(p, LIT("*1\r\n$536870912\r\nabc")); /* exactly max_bulk: valid */
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    cr_assert_lt(resp_parser_capacity(p), 64 * 1024);
    resp_parser_free(p);
}

Test(resp_parser, bulk_length_above_4g_is_invalid_with_default_limits)
{
    expect_error("$4294967296", NULL, 0, LIT("*1\r\n$4294967296\r\n"), RESP_ERR_PROTOCOL,
                 "Protocol error: invalid bulk length");
}

Test(resp_parser, shrink_releases_memory_but_keeps_partial_request)
{
    const size_t n = 1024 * 1024;
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;
    char *big = malloc(n);
    char hdr[32];

    memset(big, 'q', n);
    feed_ok(p, hdr, (size_t)snprintf(hdr, sizeof(hdr), "*1\r\n$%zu\r\n", n));
    feed_ok(p, big, n);
    feed_ok(p, LIT("\r\n*2\r\n$3\r\nGET\r\n$3\r\nke"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.argv[0].len, n);
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    cr_assert_geq(resp_parser_capacity(p), n);
    resp_parser_shrink(p);
    cr_assert_leq(resp_parser_capacity(p), 16 * 1024);
    cr_assert_eq(resp_parser_buffered(p), 19);
    feed_ok(p, LIT("y\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.argc, 2);
    cr_assert(r.argv[1].len == 3 && memcmp(r.argv[1].ptr, "key", 3) == 0);
    free(big);
    resp_parser_free(p);
}

Test(resp_parser, shrink_after_huge_request_releases_argument_arrays)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;
    int i;

    feed_ok(p, LIT("*5000\r\n"));
    for (i = 0; i < 5000; i++)
        feed_ok(p, LIT("$1\r\nx\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert_eq(r.argc, 5000);
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    resp_parser_shrink(p);
    cr_assert_leq(resp_parser_capacity(p), 16 * 1024);
    feed_ok(p, LIT("*2\r\n$1\r\na\r\n$1\r\nb\r\nc d e\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert(r.argc == 2 && r.argv[1].ptr[0] == 'b');
    cr_assert_eq(resp_parser_next(p, &r), RESP_REQUEST);
    cr_assert(r.argc == 3 && r.is_inline);
    resp_parser_free(p);
}

Test(resp_parser, commit_beyond_space_is_clamped)
{
    struct resp_parser *p = resp_parser_create(NULL);
    size_t avail;
    char *dst = resp_parser_space(p, 1, &avail);

    memset(dst, 'a', avail);
    resp_parser_commit(p, avail + 100);
    cr_assert_eq(resp_parser_buffered(p), avail);
    resp_parser_free(p);
}

/* Records the largest single allocation made by the protocol module. */
static size_t largest_alloc;

static void *recording_realloc(void *ptr, size_t size)
{
    if (size > largest_alloc)
        largest_alloc = size;
    return realloc(ptr, size);
}

static void restore_allocator(void)
{
    resp_set_realloc_hook(NULL);
}

Test(resp_parser, huge_announced_count_does_not_preallocate_argv, .fini = restore_allocator)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_request r;

    largest_alloc = 0;
    resp_set_realloc_hook(recording_realloc);
    feed_ok(p, LIT("*1048576\r\n$1\r\na\r\n"));
    cr_assert_eq(resp_parser_next(p, &r), RESP_NEED_MORE);
    cr_assert_leq(largest_alloc, 64 * 1024, "largest allocation %zu", largest_alloc);
    resp_parser_free(p);
}

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

/* ------------------------------------------------------------------ */
/* resp_split_args                                                      */
/* ------------------------------------------------------------------ */

/* Splits s and compares with the expected arguments (NULL-terminated). */
static void expect_split(const char *s, size_t n, int want_argc, const char *const *want)
{
    char out[256];
    struct resp_arg args[16];
    int argc = resp_split_args(s, n, out, args, 16), i;

    cr_assert_eq(argc, want_argc, "'%.*s': argc %d", (int)n, s, argc);
    for (i = 0; i < argc && want[i]; i++) {
        cr_assert_eq(args[i].len, strlen(want[i]), "'%.*s' arg %d", (int)n, s, i);
        cr_assert(memcmp(args[i].ptr, want[i], args[i].len) == 0, "'%.*s' arg %d: '%.*s'",
                  (int)n, s, i, (int)args[i].len, args[i].ptr);
    }
}

#define SPLIT(s, ...)                                                               \
    do {                                                                            \
        static const char *const w_[] = {__VA_ARGS__, NULL};                        \
        expect_split(LIT(s), (int)(sizeof(w_) / sizeof(w_[0])) - 1, w_);            \
    } while (0)

Test(resp_split_args, whitespace_and_empty)
{
    static const char *const none[] = {NULL};

    expect_split(LIT(""), 0, none);
    expect_split(LIT(" \t\r\n\v\f "), 0, none);
    SPLIT("a", "a");
    SPLIT("  a  bb\tccc\n", "a", "bb", "ccc");
    /* \v and \f separate only between tokens, as with sdssplitargs. */
    SPLIT("\va\vb", "a\vb");
}

Test(resp_split_args, double_quotes_and_escapes)
{
    SPLIT("\"a b\" c", "a b", "c");
    SPLIT("\"\"", "");
    SPLIT("\"\\n\\r\\t\\b\\a\\\\\\\"\\z\"", "\n\r\t\b\a\\\"z");
    SPLIT("\"\\x01\\xfF\\x41\"", "\x01\xff" "A");
    SPLIT("\"\\x4\"", "x4");
    SPLIT("\"\\xZZ\"", "xZZ");
    SPLIT("ab\"c d\"", "abc d");
    SPLIT("\"a\"\t\"b\"", "a", "b");
    SPLIT("\"a\"\v", "a");
}

Test(resp_split_args, single_quotes)
{
    SPLIT("'a b' 'it\\'s'", "a b", "it's");
    SPLIT("'\\n\\x41\"'", "\\n\\x41\"");
    SPLIT("''", "");
}

Test(resp_split_args, unbalanced_quotes)
{
    static const char *const none[] = {NULL};

    expect_split(LIT("\"abc"), -1, none);
    expect_split(LIT("'abc"), -1, none);
    expect_split(LIT("\"abc\\\""), -1, none);
    expect_split(LIT("\"abc\\"), -1, none);
    expect_split(LIT("\"a\"b"), -1, none);
    expect_split(LIT("'a'b"), -1, none);
    expect_split(LIT("'a\\'"), -1, none);
}

Test(resp_split_args, nul_is_an_ordinary_byte)
{
    char out[16];
    struct resp_arg args[4];

    cr_assert_eq(resp_split_args(LIT("\"\\x00\""), out, args, 4), 1);
    cr_assert(args[0].len == 1 && args[0].ptr[0] == '\0');

    cr_assert_eq(resp_split_args(LIT("a\0b c"), out, args, 4), 2);
    cr_assert_eq(args[0].len, 3);
    cr_assert(memcmp(args[0].ptr, "a\0b", 3) == 0);
}

Test(resp_split_args, counts_beyond_max_args)
{
    char out[32];
    struct resp_arg args[2];

    cr_assert_eq(resp_split_args(LIT("a b c d"), out, args, 2), 4);
    cr_assert(args[0].len == 1 && args[0].ptr[0] == 'a');
    cr_assert(args[1].len == 1 && args[1].ptr[0] == 'b');
    cr_assert_eq(resp_split_args(LIT("a b c d"), out, NULL, 0), 4);
}

Test(resp_split_args, config_file_style_line)
{
    SPLIT("save 900 1", "save", "900", "1");
    SPLIT("requirepass \"p@ss word\"", "requirepass", "p@ss word");
}
