/* Unit tests for the request parser: framing, inline syntax, incremental
 * feeding at every split point, pipelining, zero-copy feeding and memory
 * behaviour. Limits, error texts and allocation failures are in
 * test_resp_parser_limits.c; resp_split_args() in test_resp_split_args.c.
 * All three are linked into unit_resp_parser. */
#include "resp_test_util.h"

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
