/* Unit tests for the reply writer: exact bytes of every RESP type in both
 * protocols, error-text sanitising, deferred lengths, consume/shrink and
 * the out-of-memory flag. */
#include <criterion/criterion.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "resp_internal.h"

/* Asserts that b holds exactly the bytes of the string literal `lit`. */
#define assert_bytes(b, lit)                                                        \
    do {                                                                            \
        cr_assert_eq((b)->len, sizeof(lit) - 1, "len %zu, expected %zu", (b)->len,  \
                     sizeof(lit) - 1);                                              \
        cr_assert(sizeof(lit) == 1 || memcmp((b)->data, lit, sizeof(lit) - 1) == 0,  \
                  "got '%.*s'",                                                     \
                  (int)(b)->len, (b)->data);                                        \
    } while (0)

/* Runs `stmt` on a fresh buffer of protocol `proto` and compares. */
#define check(proto, stmt, lit)                                                     \
    do {                                                                            \
        struct resp_buf b_;                                                         \
        resp_buf_init(&b_, proto);                                                  \
        {                                                                           \
            struct resp_buf *b = &b_;                                               \
            stmt;                                                                   \
        }                                                                           \
        cr_assert_eq(b_.oom, 0);                                                    \
        assert_bytes(&b_, lit);                                                     \
        resp_buf_free(&b_);                                                         \
    } while (0)

Test(resp_writer, simple_string)
{
    check(2, resp_add_simple(b, "OK", 2), "+OK\r\n");
    check(3, resp_add_simple(b, "OK", 2), "+OK\r\n");
    check(2, resp_add_simple(b, "", 0), "+\r\n");
}

Test(resp_writer, simple_string_crlf_replaced_by_spaces)
{
    check(2, resp_add_simple(b, "a\r\nb", 4), "+a  b\r\n");
}

Test(resp_writer, error)
{
    check(2, resp_add_error(b, "ERR unknown command", 19), "-ERR unknown command\r\n");
    check(3, resp_add_error(b, "WRONGTYPE x", 11), "-WRONGTYPE x\r\n");
}

Test(resp_writer, error_crlf_replaced_by_spaces)
{
    check(2, resp_add_error(b, "ERR bad\r\nthing\n\r", 16), "-ERR bad  thing  \r\n");
    check(3, resp_add_error(b, "ERR \n", 5), "-ERR  \r\n");
}

Test(resp_writer, error_is_binary_safe_with_nul)
{
    check(2, resp_add_error(b, "ERR a\0b", 7), "-ERR a\0b\r\n");
}

Test(resp_writer, integer)
{
    check(2, resp_add_int(b, 0), ":0\r\n");
    check(3, resp_add_int(b, 7), ":7\r\n");
    check(2, resp_add_int(b, -1), ":-1\r\n");
    check(2, resp_add_int(b, 10), ":10\r\n");
    check(2, resp_add_int(b, 99), ":99\r\n");
    check(2, resp_add_int(b, 100), ":100\r\n");
    check(2, resp_add_int(b, 1234567890123LL), ":1234567890123\r\n");
    check(2, resp_add_int(b, LLONG_MAX), ":9223372036854775807\r\n");
    check(2, resp_add_int(b, LLONG_MIN), ":-9223372036854775808\r\n");
}

Test(resp_writer, integer_formatter_matches_snprintf)
{
    char got[RESP_INT_CHARS + 1], want[32];
    long long v = 1;
    int i;

    for (i = 0; i < 64; i++, v = v * 3 + i) {
        long long vals[3] = {v, -v, v - 1};
        int j;
        for (j = 0; j < 3; j++) {
            size_t n = resp_fmt_i64(got, vals[j]);
            got[n] = '\0';
            snprintf(want, sizeof(want), "%lld", vals[j]);
            cr_assert_str_eq(got, want);
        }
        if (v > LLONG_MAX / 4)
            v = 1;
    }
    cr_assert_eq(resp_fmt_u64(got, ULLONG_MAX), 20);
    cr_assert(memcmp(got, "18446744073709551615", 20) == 0);
}

Test(resp_writer, bulk)
{
    check(2, resp_add_bulk(b, "hello", 5), "$5\r\nhello\r\n");
    check(3, resp_add_bulk(b, "", 0), "$0\r\n\r\n");
    check(2, resp_add_bulk(b, "a\r\n\0b", 5), "$5\r\na\r\n\0b\r\n");
}

Test(resp_writer, null)
{
    check(2, resp_add_null(b), "$-1\r\n");
    check(3, resp_add_null(b), "_\r\n");
}

Test(resp_writer, null_array)
{
    check(2, resp_add_null_array(b), "*-1\r\n");
    check(3, resp_add_null_array(b), "_\r\n");
}

Test(resp_writer, array)
{
    check(2, resp_add_array(b, 3), "*3\r\n");
    check(3, resp_add_array(b, 0), "*0\r\n");
}

Test(resp_writer, map)
{
    check(2, resp_add_map(b, 2), "*4\r\n");
    check(3, resp_add_map(b, 2), "%2\r\n");
    check(2, resp_add_map(b, 0), "*0\r\n");
}

Test(resp_writer, set)
{
    check(2, resp_add_set(b, 5), "*5\r\n");
    check(3, resp_add_set(b, 5), "~5\r\n");
}

Test(resp_writer, push)
{
    check(2, resp_add_push(b, 3), "*3\r\n");
    check(3, resp_add_push(b, 3), ">3\r\n");
}

Test(resp_writer, bool)
{
    check(2, resp_add_bool(b, 1), ":1\r\n");
    check(2, resp_add_bool(b, 0), ":0\r\n");
    check(3, resp_add_bool(b, 42), "#t\r\n");
    check(3, resp_add_bool(b, 0), "#f\r\n");
}

Test(resp_writer, double_resp3)
{
    check(3, resp_add_double(b, 1.5), ",1.5\r\n");
    check(3, resp_add_double(b, 0.1), ",0.10000000000000001\r\n");
    check(3, resp_add_double(b, -3), ",-3\r\n");
    check(3, resp_add_double(b, 1e300), ",1.0000000000000001e+300\r\n");
    check(3, resp_add_double(b, INFINITY), ",inf\r\n");
    check(3, resp_add_double(b, -INFINITY), ",-inf\r\n");
    check(3, resp_add_double(b, NAN), ",nan\r\n");
    check(3, resp_add_double(b, -NAN), ",nan\r\n");
}

Test(resp_writer, double_resp2_is_bulk)
{
    check(2, resp_add_double(b, 1.5), "$3\r\n1.5\r\n");
    check(2, resp_add_double(b, 0.1), "$19\r\n0.10000000000000001\r\n");
    check(2, resp_add_double(b, INFINITY), "$3\r\ninf\r\n");
    check(2, resp_add_double(b, -INFINITY), "$4\r\n-inf\r\n");
    check(2, resp_add_double(b, NAN), "$3\r\nnan\r\n");
}

Test(resp_writer, verbatim)
{
    check(3, resp_add_verbatim(b, "hello", 5, "txt"), "=9\r\ntxt:hello\r\n");
    check(3, resp_add_verbatim(b, "# x", 3, "mkd"), "=7\r\nmkd:# x\r\n");
    check(2, resp_add_verbatim(b, "hello", 5, "txt"), "$5\r\nhello\r\n");
    check(3, resp_add_verbatim(b, "", 0, "txt"), "=4\r\ntxt:\r\n");
}

Test(resp_writer, raw)
{
    check(2, resp_add_raw(b, "+PONG\r\n", 7), "+PONG\r\n");
    check(2, resp_add_raw(b, "", 0), "");
}

Test(resp_writer, sequence_of_values_appends)
{
    check(3,
          {
              resp_add_array(b, 2);
              resp_add_bulk(b, "k", 1);
              resp_add_int(b, 5);
          },
          "*2\r\n$1\r\nk\r\n:5\r\n");
}

Test(resp_writer, deferred_array_inserts_header)
{
    check(2,
          {
              size_t mark;
              resp_add_simple(b, "x", 1);
              mark = resp_defer(b);
              resp_add_bulk(b, "a", 1);
              resp_add_bulk(b, "b", 1);
              resp_set_deferred_array(b, mark, 2);
          },
          "+x\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

Test(resp_writer, deferred_map_and_set_by_protocol)
{
    check(2,
          {
              size_t mark = resp_defer(b);
              resp_add_bulk(b, "k", 1);
              resp_add_int(b, 1);
              resp_set_deferred_map(b, mark, 1);
          },
          "*2\r\n$1\r\nk\r\n:1\r\n");
    check(3,
          {
              size_t mark = resp_defer(b);
              resp_add_bulk(b, "k", 1);
              resp_add_int(b, 1);
              resp_set_deferred_map(b, mark, 1);
          },
          "%1\r\n$1\r\nk\r\n:1\r\n");
    check(2,
          {
              size_t mark = resp_defer(b);
              resp_set_deferred_set(b, mark, 0);
          },
          "*0\r\n");
    check(3,
          {
              size_t mark = resp_defer(b);
              resp_add_int(b, 1);
              resp_set_deferred_set(b, mark, 1);
          },
          "~1\r\n:1\r\n");
}

Test(resp_writer, nested_deferred_lengths)
{
    check(3,
          {
              size_t outer = resp_defer(b);
              size_t inner;
              resp_add_int(b, 1);
              inner = resp_defer(b);
              resp_add_int(b, 2);
              resp_add_int(b, 3);
              resp_set_deferred_array(b, inner, 2);
              resp_set_deferred_array(b, outer, 2);
          },
          "*2\r\n:1\r\n*2\r\n:2\r\n:3\r\n");
}

Test(resp_writer, deferred_mark_beyond_len_fails_the_buffer)
{
    struct resp_buf b;
    size_t mark;

    resp_buf_init(&b, 2);
    resp_add_simple(&b, "abc", 3);
    mark = resp_defer(&b);
    resp_add_int(&b, 1);
    resp_buf_consume(&b, 7);
    resp_set_deferred_array(&b, mark, 1);
    cr_assert_eq(b.oom, 1);
    resp_buf_free(&b);
}

Test(resp_writer, consume_removes_prefix)
{
    struct resp_buf b;

    resp_buf_init(&b, 2);
    resp_add_simple(&b, "OK", 2);
    resp_add_int(&b, 42);
    resp_buf_consume(&b, 3);
    assert_bytes(&b, "\r\n:42\r\n");
    resp_buf_consume(&b, 2);
    assert_bytes(&b, ":42\r\n");
    resp_add_bulk(&b, "z", 1);
    assert_bytes(&b, ":42\r\n$1\r\nz\r\n");
    resp_buf_consume(&b, 100);
    cr_assert_eq(b.len, 0);
    resp_add_int(&b, 1);
    assert_bytes(&b, ":1\r\n");
    resp_buf_free(&b);
}

/* Many partial sends interleaved with appends: content stays exact and the
 * allocation stays proportional to what is unsent. */
Test(resp_writer, consume_interleaved_with_appends_keeps_order)
{
    struct resp_buf b;
    unsigned long long next_out = 0, next_in = 0;
    int round;

    resp_buf_init(&b, 2);
    for (round = 0; round < 20000; round++) {
        int k;
        for (k = 0; k < 3; k++)
            resp_add_int(&b, (long long)(next_in++ % 10));
        /* each ":d\r\n" is 4 bytes; send 2 or 3 whole replies */
        size_t send = (size_t)(2 + round % 2) * 4;
        size_t i;
        cr_assert(b.len >= send);
        for (i = 0; i < send; i += 4) {
            cr_assert_eq(b.data[i], ':');
            cr_assert_eq(b.data[i + 1], (char)('0' + next_out++ % 10));
        }
        resp_buf_consume(&b, send);
    }
    cr_assert(b.cap < 1024 * 1024);
    resp_buf_free(&b);
}

Test(resp_writer, shrink_frees_only_when_empty_and_large)
{
    struct resp_buf b;
    char big[5000];

    memset(big, 'x', sizeof(big));
    resp_buf_init(&b, 3);
    resp_add_bulk(&b, big, sizeof(big));
    resp_buf_shrink(&b, 1024);
    cr_assert_not_null(b.data, "not empty: must keep");
    resp_buf_consume(&b, b.len);
    resp_buf_shrink(&b, 1 << 20);
    cr_assert_not_null(b.data, "smaller than keep: must keep");
    resp_buf_shrink(&b, 1024);
    cr_assert_null(b.data);
    cr_assert_eq(b.cap, 0);
    resp_add_int(&b, 3);
    assert_bytes(&b, ":3\r\n");
    resp_buf_free(&b);
}

Test(resp_writer, large_bulk_round_trip)
{
    struct resp_buf b;
    size_t n = 3 * 1024 * 1024, i;
    char *big = malloc(n);

    cr_assert_not_null(big);
    for (i = 0; i < n; i++)
        big[i] = (char)(i * 7);
    resp_buf_init(&b, 2);
    resp_add_bulk(&b, big, n);
    cr_assert_eq(b.len, n + 12);
    cr_assert(memcmp(b.data, "$3145728\r\n", 10) == 0);
    cr_assert(memcmp(b.data + 10, big, n) == 0);
    cr_assert(memcmp(b.data + 10 + n, "\r\n", 2) == 0);
    resp_buf_free(&b);
    free(big);
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

static void restore_allocator(void)
{
    resp_set_realloc_hook(NULL);
}

Test(resp_writer, oom_sets_flag_and_ignores_later_writes, .fini = restore_allocator)
{
    struct resp_buf b;
    char big[4096];

    memset(big, 'y', sizeof(big));
    resp_buf_init(&b, 2);
    allocs_left = 1;
    resp_set_realloc_hook(failing_realloc);
    resp_add_simple(&b, "OK", 2);
    cr_assert_eq(b.oom, 0);
    assert_bytes(&b, "+OK\r\n");
    resp_add_bulk(&b, big, sizeof(big)); /* needs growth: fails */
    cr_assert_eq(b.oom, 1);
    assert_bytes(&b, "+OK\r\n");
    resp_set_realloc_hook(NULL);
    resp_add_int(&b, 1); /* sticky: ignored even though memory is back */
    cr_assert_eq(b.oom, 1);
    assert_bytes(&b, "+OK\r\n");
    resp_buf_free(&b);
}

Test(resp_writer, oom_on_first_allocation, .fini = restore_allocator)
{
    struct resp_buf b;

    resp_buf_init(&b, 3);
    allocs_left = 0;
    resp_set_realloc_hook(failing_realloc);
    resp_add_null(&b);
    cr_assert_eq(b.oom, 1);
    cr_assert_eq(b.len, 0);
    resp_buf_free(&b);
}

Test(resp_writer, oom_in_deferred_header, .fini = restore_allocator)
{
    struct resp_buf b;
    size_t mark;

    resp_buf_init(&b, 2);
    mark = resp_defer(&b);
    while (b.cap - b.len > 4)
        resp_add_raw(&b, "x", 1);
    allocs_left = 0;
    resp_set_realloc_hook(failing_realloc);
    resp_set_deferred_array(&b, mark, 12345);
    cr_assert_eq(b.oom, 1);
    resp_buf_free(&b);
}
