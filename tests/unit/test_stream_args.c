/* Unit tests for stream_args: XADD / XTRIM option grammar, stream IDs,
 * XRANGE bounds and xid_format. Every reply text, every accepted quirky ID
 * and the order in which errors win were first checked against
 * redis-server 7.0.15 (XADD returns the ID it parsed; XRANGE over known
 * entries shows where an exclusive bound lands). The only intended
 * difference is binary safety: where Redis stops at a NUL byte, these
 * tests expect the argument to be rejected (marked "unlike Redis"). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "stream_args.h"

#define MAX_U64 "18446744073709551615"

#define E_SYNTAX "-ERR syntax error\r\n"
#define E_BOTH "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n"
#define E_LIMIT_NO_STRATEGY "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"
#define E_LIMIT_NO_APPROX "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
#define E_XTRIM_NO_STRATEGY "-ERR syntax error, XTRIM must be called with a trimming strategy\r\n"
#define E_MAXLEN_NEG "-ERR The MAXLEN argument must be >= 0.\r\n"
#define E_LIMIT_NEG "-ERR The LIMIT argument must be >= 0.\r\n"
#define E_NOT_INT "-ERR value is not an integer or out of range\r\n"
#define E_BAD_ID "-ERR Invalid stream ID specified as stream command argument\r\n"
#define E_ZERO_ID "-ERR The ID specified in XADD must be greater than 0-0\r\n"
#define E_ARITY "-ERR wrong number of arguments for 'xadd' command\r\n"
#define E_START "-ERR invalid start ID for the interval\r\n"
#define E_END "-ERR invalid end ID for the interval\r\n"

static struct srv srv;
static struct client cl;
static struct resp_arg av[32];
static struct xadd_args xa;
static struct xtrim_args xt;

static void setup(void)
{
    memset(&srv, 0, sizeof(srv));
    memset(&cl, 0, sizeof(cl));
    cl.srv = &srv;
    resp_buf_init(&cl.out, 2);
}

static void teardown(void)
{
    resp_buf_free(&cl.out);
}

TestSuite(xadd_args, .init = setup, .fini = teardown);
TestSuite(xtrim_args, .init = setup, .fini = teardown);
TestSuite(xid, .init = setup, .fini = teardown);
TestSuite(xrange_bound, .init = setup, .fini = teardown);

/* Fills av from NULL-ended C strings (binary cases patch av afterwards). */
static int build(const char *const *words)
{
    int n = 0;
    while (words[n] != NULL) {
        cr_assert_lt(n, 32);
        av[n].ptr = words[n];
        av[n].len = strlen(words[n]);
        n++;
    }
    return n;
}

/* The reply written so far must be exactly want (nothing when want is
 * NULL); the buffer is emptied. line is the caller's, for the message. */
static void expect_reply_at(const char *want, int line)
{
    size_t n = want ? strlen(want) : 0;
    cr_assert(cl.out.len == n && (n == 0 || memcmp(cl.out.data, want, n) == 0),
              "line %d: reply is \"%.*s\", want \"%s\"", line, (int)cl.out.len,
              cl.out.data ? cl.out.data : "", want ? want : "");
    resp_buf_consume(&cl.out, cl.out.len);
}

#define expect_reply(want) expect_reply_at((want), __LINE__)
#define expect_no_reply() expect_reply_at(NULL, __LINE__)

/* A parse returned rc: 0 and no reply are wanted when want is NULL, else
 * -1 and exactly want. */
static void check(int rc, const char *want, int line)
{
    cr_assert_eq(rc, want ? -1 : 0, "line %d: returned %d, reply \"%.*s\"", line, rc,
                 (int)cl.out.len, cl.out.data ? cl.out.data : "");
    expect_reply_at(want, line);
}

static int xadd_words(const char *const *words)
{
    return xadd_parse_or_reply(&cl, build(words), av, &xa);
}

static int xtrim_words(const char *const *words)
{
    return xtrim_parse_or_reply(&cl, build(words), av, &xt);
}

#define WORDS(cmd, ...) ((const char *const[]){ cmd, "k", __VA_ARGS__, NULL })
#define XADD_OK(...) check(xadd_words(WORDS("XADD", __VA_ARGS__)), NULL, __LINE__)
#define XADD_ERR(want, ...) check(xadd_words(WORDS("XADD", __VA_ARGS__)), (want), __LINE__)
#define XTRIM_OK(...) check(xtrim_words(WORDS("XTRIM", __VA_ARGS__)), NULL, __LINE__)
#define XTRIM_ERR(want, ...) check(xtrim_words(WORDS("XTRIM", __VA_ARGS__)), (want), __LINE__)

/* ---- xid_parse ------------------------------------------------------ */

static int parse_len(const char *s, size_t len, uint64_t missing, struct store_id *id)
{
    struct resp_arg a = { s, len };
    return xid_parse(&a, missing, id);
}

static void id_is(const char *s, uint64_t ms, uint64_t seq)
{
    struct store_id id = { 7, 7 };
    cr_assert_eq(parse_len(s, strlen(s), 0, &id), 0, "'%s' should parse", s);
    cr_assert(id.ms == ms && id.seq == seq, "'%s' parsed as %llu-%llu", s,
              (unsigned long long)id.ms, (unsigned long long)id.seq);
}

static void id_bad_len(const char *s, size_t len)
{
    struct store_id id;
    cr_assert_eq(parse_len(s, len, 0, &id), -1, "'%.*s' should be invalid", (int)len, s);
    expect_no_reply();
}

static void id_bad(const char *s)
{
    id_bad_len(s, strlen(s));
}

#define EACH(var, ...)                                                       \
    for (const char *const *var = (const char *const[]){ __VA_ARGS__, NULL }; *var; var++)

Test(xid, ms_and_seq)
{
    id_is("1-1", 1, 1);
    id_is("0-0", 0, 0);
    id_is("1526919030474-55", 1526919030474ULL, 55);
}

Test(xid, ms_alone_takes_missing_seq)
{
    struct store_id id;
    cr_assert_eq(parse_len("5", 1, 0, &id), 0);
    cr_assert(id.ms == 5 && id.seq == 0);
    cr_assert_eq(parse_len("5", 1, UINT64_MAX, &id), 0);
    cr_assert(id.ms == 5 && id.seq == UINT64_MAX);
}

Test(xid, largest_id_parses)
{
    id_is(MAX_U64 "-" MAX_U64, UINT64_MAX, UINT64_MAX);
    id_is(MAX_U64, UINT64_MAX, 0);
}

Test(xid, overflow_by_one_is_invalid)
{
    EACH(s, "18446744073709551616-0", MAX_U64 "-18446744073709551616", "99999999999999999999-1",
         "1-99999999999999999999")
        id_bad(*s);
}

Test(xid, dash_and_plus_alone_are_invalid_complete_ids)
{
    id_bad("-");
    id_bad("+");
}

Test(xid, malformed_ids_are_invalid)
{
    EACH(s, "", "-1", "-5", "1-", "1-2-3", "-0", "0x10", "1.5", "5e3", "1_0", " ", "+-5",
         "5 ", "5-\t", "1-*", "5-*", "*", "*-*", "abc")
        id_bad(*s);
}

/* Redis's string2ull falls back on strtoull: leading spaces, a '+' and
 * leading zeros are accepted, trailing characters are not. */
Test(xid, leading_plus_spaces_and_zeros_are_accepted_like_redis)
{
    EACH(s, "+5", " 5", "\t5", "\n5", "\v5", "\f5", "\r5", " \t +5", "0005")
        id_is(*s, 5, 0);
    id_is("007-01", 7, 1);
    id_is("5- 1", 5, 1);
    id_is("5-+1", 5, 1);
    id_is("00-0", 0, 0);
}

/* strtoull negates a '-' it accepts, modulo 2^64; string2ll's own
 * negative numbers are rejected first. Only the sequence can start with a
 * '-' (the first '-' separates). */
Test(xid, negative_sequence_quirks_match_redis)
{
    id_is("1- -5", 1, UINT64_MAX - 4);
    id_is("1--05", 1, UINT64_MAX - 4);
    id_is("1--0", 1, 0);
    id_is("1--18446744073709551615", 1, 1);
    id_is("1--9223372036854775809", 1, 9223372036854775807ULL);
    id_is("1- -9223372036854775808", 1, 9223372036854775808ULL);
    id_bad("1--9223372036854775808");
    id_bad("1--5");
    id_bad("1--18446744073709551616");
}

Test(xid, longer_than_127_bytes_is_invalid)
{
    char buf[160];
    memset(buf, '0', sizeof(buf));
    buf[126] = '7';
    id_bad_len(buf, 128);                  /* 127 zeros and a 7 */
    buf[126] = '0';
    buf[127] = '7';
    id_bad_len(buf, 128);
    struct store_id id;
    cr_assert_eq(parse_len(buf + 1, 127, 0, &id), 0);   /* 126 zeros and a 7 */
    cr_assert(id.ms == 7 && id.seq == 0);
    memcpy(buf, "1-", 2);
    memset(buf + 2, '0', 126);
    cr_assert_eq(parse_len(buf, 127, 0, &id), 0);       /* "1-" + 125 zeros */
    cr_assert(id.ms == 1 && id.seq == 0);
    id_bad_len(buf, 128);                               /* "1-" + 126 zeros */
}

/* As Redis, which parses IDs as C strings: a NUL byte ends the ID. */
static void id_len_is(const char *s, size_t len, uint64_t ms, uint64_t seq)
{
    struct store_id id;
    cr_assert_eq(parse_len(s, len, 0, &id), 0, "'%.*s' should parse", (int)len, s);
    cr_assert(id.ms == ms && id.seq == seq);
}

Test(xid, a_nul_byte_ends_the_id_as_in_redis)
{
    id_len_is("5\0", 2, 5, 0);
    id_len_is("5\0-3", 4, 5, 0);
    id_len_is("1-1\0", 4, 1, 1);
    id_bad_len("\0", 1);
    id_bad_len("1-\0", 3);
    id_bad_len("5-\0", 3);
}

Test(xid, non_ascii_bytes_are_invalid)
{
    id_bad("\xd9\xa1");         /* ARABIC-INDIC DIGIT ONE */
    id_bad("\xff");
    id_bad("1-\x80");
}

Test(xid, reads_only_len_bytes)
{
    struct store_id id;
    cr_assert_eq(parse_len("1-23", 3, 0, &id), 0);
    cr_assert(id.ms == 1 && id.seq == 2);
    cr_assert_eq(parse_len("12-3", 2, 0, &id), 0);
    cr_assert(id.ms == 12 && id.seq == 0);
}

/* ---- xid_format ----------------------------------------------------- */

static void round_trip(uint64_t ms, uint64_t seq, const char *want)
{
    char buf[42];
    memset(buf, 'x', sizeof(buf));
    int n = xid_format((struct store_id){ ms, seq }, buf);
    cr_assert_eq(n, (int)strlen(want));
    cr_assert_str_eq(buf, want);
    struct store_id back;
    cr_assert_eq(parse_len(buf, (size_t)n, 0, &back), 0);
    cr_assert(back.ms == ms && back.seq == seq);
}

Test(xid, format_round_trips)
{
    round_trip(0, 0, "0-0");
    round_trip(1, 1, "1-1");
    round_trip(1526919030474ULL, 55, "1526919030474-55");
    round_trip(UINT64_MAX, 0, MAX_U64 "-0");
    round_trip(0, UINT64_MAX, "0-" MAX_U64);
    round_trip(UINT64_MAX, UINT64_MAX, MAX_U64 "-" MAX_U64); /* 41 chars + NUL */
}

Test(xid, format_normalises_quirky_input)
{
    struct store_id id;
    char buf[42];
    cr_assert_eq(parse_len("+007- -5", 8, 0, &id), 0);
    xid_format(id, buf);
    cr_assert_str_eq(buf, "7-18446744073709551611");
}

/* ---- xrange_bound_or_reply ------------------------------------------ */

static int bound_len(const char *s, size_t len, int is_end, struct store_id *id)
{
    struct resp_arg a = { s, len };
    return xrange_bound_or_reply(&cl, &a, is_end, id);
}

static void bound_is(const char *s, int is_end, uint64_t ms, uint64_t seq)
{
    struct store_id id = { 7, 7 };
    cr_assert_eq(bound_len(s, strlen(s), is_end, &id), 0, "'%s' should parse", s);
    expect_no_reply();
    cr_assert(id.ms == ms && id.seq == seq, "'%s' (%s) gave %llu-%llu", s, is_end ? "end" : "start",
              (unsigned long long)id.ms, (unsigned long long)id.seq);
}

static void bound_err_len(const char *s, size_t len, int is_end, const char *want)
{
    struct store_id id;
    cr_assert_eq(bound_len(s, len, is_end, &id), -1, "'%.*s' should fail", (int)len, s);
    expect_reply(want);
}

static void bound_err(const char *s, int is_end, const char *want)
{
    bound_err_len(s, strlen(s), is_end, want);
}

Test(xrange_bound, dash_and_plus_are_the_extremes)
{
    bound_is("-", 0, 0, 0);
    bound_is("+", 0, UINT64_MAX, UINT64_MAX);
    bound_is("-", 1, 0, 0);
    bound_is("+", 1, UINT64_MAX, UINT64_MAX);
}

Test(xrange_bound, ms_alone_covers_the_whole_millisecond)
{
    bound_is("5", 0, 5, 0);
    bound_is("5", 1, 5, UINT64_MAX);
    bound_is("5-3", 0, 5, 3);
    bound_is("5-3", 1, 5, 3);
}

Test(xrange_bound, exclusive_start_is_the_next_id)
{
    bound_is("(5-0", 0, 5, 1);
    bound_is("(5", 0, 5, 1);
    bound_is("(0-0", 0, 0, 1);
    bound_is("(0", 0, 0, 1);
}

Test(xrange_bound, exclusive_start_steps_across_seq_overflow)
{
    bound_is("(5-" MAX_U64, 0, 6, 0);
    bound_is("(" MAX_U64, 0, UINT64_MAX, 1);
    bound_is("(" MAX_U64 "-18446744073709551614", 0, UINT64_MAX, UINT64_MAX);
}

Test(xrange_bound, exclusive_end_is_the_previous_id)
{
    bound_is("(5-1", 1, 5, 0);
    bound_is("(6-0", 1, 5, UINT64_MAX);
    bound_is("(5-0", 1, 4, UINT64_MAX);
    bound_is("(7", 1, 7, UINT64_MAX - 1);
    bound_is("(0", 1, 0, UINT64_MAX - 1);
    bound_is("(" MAX_U64 "-" MAX_U64, 1, UINT64_MAX, UINT64_MAX - 1);
}

Test(xrange_bound, exclusive_bound_that_cannot_step_is_an_interval_error)
{
    bound_err("(" MAX_U64 "-" MAX_U64, 0, E_START);
    bound_err("(0-0", 1, E_END);
}

Test(xrange_bound, exclusive_dash_and_plus_are_invalid_ids)
{
    EACH(s, "(-", "(+") {
        bound_err(*s, 0, E_BAD_ID);
        bound_err(*s, 1, E_BAD_ID);
    }
}

Test(xrange_bound, malformed_bounds_are_invalid_ids)
{
    EACH(s, "(", "((5", "(5-*", "5-*", "x", "", "1-2-3", "18446744073709551616", "(5 ") {
        bound_err(*s, 0, E_BAD_ID);
        bound_err(*s, 1, E_BAD_ID);
    }
}

Test(xrange_bound, exclusive_bounds_accept_redis_number_quirks)
{
    bound_is("( 5", 0, 5, 1);
    bound_is("(+5", 0, 5, 1);
    bound_is("(007-01", 1, 7, 0);
}

Test(xrange_bound, length_limit_applies_after_the_paren)
{
    char buf[160];
    memset(buf, '0', sizeof(buf));
    buf[0] = '(';
    buf[127] = '6';
    buf[128] = '\0';
    bound_is(buf, 0, 6, 1);                 /* '(' + 127 bytes */
    memset(buf, '0', sizeof(buf));
    buf[0] = '(';
    buf[128] = '6';
    buf[129] = '\0';
    bound_err(buf, 0, E_BAD_ID);            /* '(' + 128 bytes */
    bound_err(buf + 1, 0, E_BAD_ID);       /* 128 bytes */
    bound_is(buf + 2, 0, 6, 0);             /* 127 bytes */
}

Test(xrange_bound, a_nul_byte_ends_the_bound_as_in_redis)
{
    struct store_id id;
    cr_assert_eq(bound_len("-\0", 2, 0, &id), 0);
    cr_assert(id.ms == 0 && id.seq == 0);
    cr_assert_eq(bound_len("(5\0", 3, 0, &id), 0);
    cr_assert(id.ms == 5 && id.seq == 1);
    bound_err_len("(\0", 2, 0, E_BAD_ID);
    bound_err_len("(-\0", 3, 0, E_BAD_ID);
}

Test(xrange_bound, errors_are_counted_under_err)
{
    bound_err("x", 0, E_BAD_ID);
    bound_err("(0-0", 1, E_END);
    cr_assert(srv.stats.error_replies == 2 && srv.stats.nerrors == 1 && srv.stats.errors[0].count == 2);
    cr_assert_str_eq(srv.stats.errors[0].code, "ERR");
}

/* ---- XADD ----------------------------------------------------------- */

Test(xadd_args, star_is_an_automatic_id)
{
    XADD_OK("*", "f", "v");
    cr_assert(xa.id_mode == XID_AUTO && xa.field_pos == 3 && xa.nomkstream == 0);
    cr_assert(xa.trim.strategy == XTRIM_NONE && xa.trim.limit == -1);
    XADD_OK("*", "f", "v", "g", "w");
    cr_assert_eq(xa.field_pos, 3);
}

Test(xadd_args, explicit_ids)
{
    XADD_OK("5-3", "f", "v");
    cr_assert(xa.id_mode == XID_EXPLICIT && xa.id.ms == 5 && xa.id.seq == 3);
    XADD_OK("5", "f", "v");
    cr_assert(xa.id_mode == XID_EXPLICIT && xa.id.ms == 5 && xa.id.seq == 0);
    XADD_OK("0-1", "f", "v");
    cr_assert(xa.id.ms == 0 && xa.id.seq == 1);
    XADD_OK(MAX_U64 "-" MAX_U64, "f", "v");
    cr_assert(xa.id.ms == UINT64_MAX && xa.id.seq == UINT64_MAX);
    XADD_OK("1- -5", "f", "v");
    cr_assert(xa.id.ms == 1 && xa.id.seq == UINT64_MAX - 4);
}

Test(xadd_args, ms_star_generates_the_sequence)
{
    XADD_OK("5-*", "f", "v");
    cr_assert(xa.id_mode == XID_AUTO_SEQ && xa.id.ms == 5);
    XADD_OK(MAX_U64 "-*", "f", "v", "g", "w");
    cr_assert(xa.id_mode == XID_AUTO_SEQ && xa.id.ms == UINT64_MAX && xa.field_pos == 3);
    XADD_OK("0-*", "f", "v");                  /* not the 0-0 error */
    cr_assert(xa.id_mode == XID_AUTO_SEQ && xa.id.ms == 0);
}

Test(xadd_args, invalid_ids)
{
    EACH(id, "-", "+", "", "**", "*-*", "5-**", "1-*-1", "1-2-3", "5 ", "-1",
         "18446744073709551616-0", MAX_U64 "-18446744073709551616")
        XADD_ERR(E_BAD_ID, *id, "f", "v");
    XADD_ERR(E_BAD_ID, "~", "5", "f", "v");
}

Test(xadd_args, zero_id_is_rejected_before_the_key_lookup)
{
    XADD_ERR(E_ZERO_ID, "0-0", "f", "v");
    XADD_ERR(E_ZERO_ID, "0", "f", "v");
    XADD_ERR(E_ZERO_ID, "00-0", "f", "v");
    XADD_ERR(E_ZERO_ID, "0--0", "f", "v");
    XADD_ERR(E_ZERO_ID, "0- 0", "f", "v");
    XADD_ERR(E_ZERO_ID, "NOMKSTREAM", "0", "f", "v");
    XADD_ERR(E_ZERO_ID, "MINID", "~", "0", "0-0", "f", "v");
}

Test(xadd_args, odd_or_missing_fields_are_an_arity_error)
{
    XADD_ERR(E_ARITY, "*", "f");
    XADD_ERR(E_ARITY, "*", "f", "v", "g");
    XADD_ERR(E_ARITY, "5-1", "f");
    XADD_ERR(E_ARITY, "MAXLEN", "5", "*");
    XADD_ERR(E_ARITY, "MAXLEN", "5", "NOMKSTREAM");
    XADD_ERR(E_ARITY, "NOMKSTREAM", "NOMKSTREAM", "NOMKSTREAM");
}

Test(xadd_args, arity_error_wins_over_zero_id)
{
    XADD_ERR(E_ARITY, "0-0", "f");
    XADD_ERR(E_ARITY, "0-0", "f", "v", "g");
    XADD_ERR(E_ARITY, "NOMKSTREAM", "0-0", "f", "v", "x");
}

Test(xadd_args, maxlen_exact_equals_and_approx)
{
    XADD_OK("MAXLEN", "5", "*", "f", "v");
    cr_assert(xa.trim.strategy == XTRIM_MAXLEN && xa.trim.maxlen == 5 && xa.trim.approx == 0);
    cr_assert_eq(xa.trim.limit, -1);
    cr_assert_eq(xa.field_pos, 5);
    XADD_OK("MAXLEN", "=", "5", "*", "f", "v");
    cr_assert(xa.trim.maxlen == 5 && xa.trim.approx == 0);
    cr_assert_eq(xa.field_pos, 6);
    XADD_OK("maxlen", "~", "0", "*", "f", "v");
    cr_assert(xa.trim.maxlen == 0 && xa.trim.approx == 1);
    cr_assert_eq(xa.trim.limit, -1);
    XADD_OK("MaxLen", "9223372036854775807", "*", "f", "v");
    cr_assert_eq(xa.trim.maxlen, 9223372036854775807LL);
}

Test(xadd_args, minid_exact_equals_and_approx)
{
    XADD_OK("MINID", "5", "*", "f", "v");
    cr_assert(xa.trim.strategy == XTRIM_MINID && xa.trim.minid.ms == 5 && xa.trim.minid.seq == 0);
    cr_assert_eq(xa.trim.approx, 0);
    XADD_OK("minid", "=", "5-1", "*", "f", "v");
    cr_assert(xa.trim.minid.ms == 5 && xa.trim.minid.seq == 1);
    XADD_OK("MINID", "~", "7", "*", "f", "v");
    cr_assert(xa.trim.minid.ms == 7 && xa.trim.approx == 1);
}

Test(xadd_args, minid_value_can_equal_the_id)
{
    XADD_OK("MINID", "5", "5", "f", "v");
    cr_assert_eq(xa.trim.minid.ms, 5);
    cr_assert(xa.id_mode == XID_EXPLICIT && xa.id.ms == 5);
    cr_assert_eq(xa.field_pos, 5);
}

Test(xadd_args, limit_with_approx)
{
    XADD_OK("MAXLEN", "~", "5", "LIMIT", "10", "*", "f", "v");
    cr_assert(xa.trim.approx == 1 && xa.trim.limit == 10);
    cr_assert_eq(xa.field_pos, 8);
    XADD_OK("LIMIT", "10", "MAXLEN", "~", "5", "*", "f", "v");
    cr_assert_eq(xa.trim.limit, 10);
    XADD_OK("MAXLEN", "~", "5", "LIMIT", "0", "*", "f", "v");
    cr_assert_eq(xa.trim.limit, 0);
    XADD_OK("MINID", "~", "5", "limit", "9223372036854775807", "*", "f", "v");
    cr_assert_eq(xa.trim.limit, 9223372036854775807LL);
}

Test(xadd_args, nomkstream_anywhere_before_the_id)
{
    XADD_OK("NOMKSTREAM", "*", "f", "v");
    cr_assert_eq(xa.nomkstream, 1);
    XADD_OK("nomkstream", "MAXLEN", "5", "*", "f", "v");
    cr_assert(xa.nomkstream == 1 && xa.trim.maxlen == 5);
    XADD_OK("MAXLEN", "5", "NOMKSTREAM", "*", "f", "v");
    cr_assert_eq(xa.nomkstream, 1);
    XADD_OK("NOMKSTREAM", "NOMKSTREAM", "*", "f", "v");
    cr_assert_eq(xa.nomkstream, 1);
    cr_assert_eq(xa.field_pos, 5);
}

Test(xadd_args, options_after_the_id_are_fields)
{
    XADD_OK("5", "f", "v", "MAXLEN", "x");
    cr_assert_eq(xa.trim.strategy, XTRIM_NONE);
    cr_assert_eq(xa.field_pos, 3);
    XADD_OK("MAXLEN", "~", "5", "LIMIT", "5", "*", "f", "v", "MAXLEN", "x");
    cr_assert_eq(xa.trim.maxlen, 5);
}

Test(xadd_args, maxlen_must_not_be_negative)
{
    XADD_ERR(E_MAXLEN_NEG, "MAXLEN", "-1", "*", "f", "v");
    XADD_ERR(E_MAXLEN_NEG, "MAXLEN", "~", "-1", "*", "f", "v");
    XADD_ERR(E_MAXLEN_NEG, "MAXLEN", "-1", "MINID", "5", "*", "f", "v");
}

Test(xadd_args, maxlen_must_be_a_strict_integer)
{
    XADD_ERR(E_NOT_INT, "MAXLEN", "abc", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "~", "abc", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "+5", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", " 5", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "05", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "-0", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "9223372036854775808", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "~~", "5", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "~", "*", "f", "v");
}

/* '~' / '=' are markers only when another argument follows them. */
Test(xadd_args, marker_without_a_following_threshold_is_the_threshold)
{
    XADD_ERR(E_NOT_INT, "MAXLEN", "~", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "=", "f", "v");
    XADD_ERR(E_BAD_ID, "MINID", "=", "=", "*", "f", "v");
    XADD_ERR(E_BAD_ID, "MINID", "~", "~", "*", "f", "v");
}

Test(xadd_args, maxlen_and_minid_together_are_incompatible)
{
    XADD_ERR(E_BOTH, "MAXLEN", "5", "MINID", "5", "*", "f", "v");
    XADD_ERR(E_BOTH, "MINID", "5", "MAXLEN", "5", "*", "f", "v");
    XADD_ERR(E_BOTH, "MAXLEN", "5", "MAXLEN", "6", "*", "f", "v");
}

Test(xadd_args, minid_must_be_a_strict_id)
{
    XADD_ERR(E_BAD_ID, "MINID", "-", "*", "f", "v");
    XADD_ERR(E_BAD_ID, "MINID", "+", "*", "f", "v");
    XADD_ERR(E_BAD_ID, "MINID", "5-*", "*", "f", "v");
    XADD_ERR(E_BAD_ID, "MINID", "x", "*", "f", "v");
    XADD_ERR(E_BAD_ID, "MINID", "~", "x", "*", "f", "v");
    XADD_ERR(E_BAD_ID, "MINID", "18446744073709551616", "*", "f", "v");
}

Test(xadd_args, limit_needs_approx)
{
    XADD_ERR(E_LIMIT_NO_APPROX, "MAXLEN", "5", "LIMIT", "10", "*", "f", "v");
    XADD_ERR(E_LIMIT_NO_APPROX, "MAXLEN", "5", "LIMIT", "0", "*", "f", "v");
    XADD_ERR(E_LIMIT_NO_APPROX, "LIMIT", "0", "MAXLEN", "5", "*", "f", "v");
    XADD_ERR(E_LIMIT_NO_APPROX, "MAXLEN", "5", "LIMIT", "5", "LIMIT", "6", "*", "f", "v");
}

/* Redis tests the LIMIT value, not whether LIMIT was given, so LIMIT 0
 * without a strategy falls through to the '~' message. */
Test(xadd_args, limit_needs_a_strategy)
{
    XADD_ERR(E_LIMIT_NO_STRATEGY, "LIMIT", "5", "*", "f", "v");
    XADD_ERR(E_LIMIT_NO_STRATEGY, "LIMIT", "0", "LIMIT", "5", "*", "f", "v");
    XADD_ERR(E_LIMIT_NO_APPROX, "LIMIT", "0", "*", "f", "v");
    XADD_ERR(E_LIMIT_NO_APPROX, "LIMIT", "5", "LIMIT", "0", "*", "f", "v");
}

Test(xadd_args, limit_must_be_a_non_negative_integer)
{
    XADD_ERR(E_LIMIT_NEG, "MAXLEN", "~", "5", "LIMIT", "-1", "*", "f", "v");
    XADD_ERR(E_LIMIT_NEG, "LIMIT", "-1", "*", "f", "v");
    XADD_ERR(E_LIMIT_NEG, "MINID", "5", "LIMIT", "-1", "*", "f", "v");
    XADD_ERR(E_LIMIT_NEG, "MAXLEN", "~", "5", "LIMIT", "5", "LIMIT", "-6", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "~", "5", "LIMIT", "x", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "5", "LIMIT", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "~", "5", "LIMIT", "9223372036854775808", "*", "f", "v");
    XADD_ERR(E_NOT_INT, "MAXLEN", "~", "5", "LIMIT", "~", "5", "*", "f", "v");
}

/* XADD has no "syntax error": whatever is not an option is the ID. */
Test(xadd_args, unknown_option_is_parsed_as_the_id)
{
    XADD_ERR(E_BAD_ID, "BOGUS", "f", "v");
    XADD_ERR(E_BAD_ID, "MAXLEN", "5", "NOMKSTREAM", "x");
    XADD_ERR(E_BAD_ID, "NOMKSTREAM", "NOMKSTREAM", "MAXLEN");
    XADD_ERR(E_BAD_ID, "NOMKSTREAM", "LIMIT", "5", "MAXLEN");
}

Test(xadd_args, errors_are_reported_in_redis_order)
{
    /* the ID is parsed before the LIMIT checks... */
    XADD_ERR(E_BAD_ID, "LIMIT", "5", "x", "f", "v");
    /* ...which come before the field count */
    XADD_ERR(E_LIMIT_NO_STRATEGY, "LIMIT", "5", "*", "f");
    XADD_ERR(E_LIMIT_NO_APPROX, "LIMIT", "0", "*", "f");
    XADD_ERR(E_LIMIT_NO_APPROX, "MAXLEN", "5", "LIMIT", "5", "*", "f");
    XADD_ERR(E_LIMIT_NO_APPROX, "MAXLEN", "5", "LIMIT", "5");
}

/* XADD k <arg2> ...rest, where arg2 holds binary bytes. */
static int xadd_binary_arg2(const char *arg2, size_t len, const char *const *words)
{
    int n = build(words);
    av[2] = (struct resp_arg){ arg2, len };
    return xadd_parse_or_reply(&cl, n, av, &xa);
}

Test(xadd_args, a_nul_byte_ends_ids_and_option_words_as_in_redis)
{
    check(xadd_binary_arg2("*\0", 2, WORDS("XADD", "*", "f", "v")), NULL, __LINE__);
    cr_assert_eq(xa.id_mode, XID_AUTO);
    check(xadd_binary_arg2("MAXLEN\0", 7, WORDS("XADD", "MAXLEN", "5", "*", "f", "v")), NULL, __LINE__);
    cr_assert(xa.trim.strategy == XTRIM_MAXLEN && xa.trim.maxlen == 5);
    check(xadd_binary_arg2("NOMKSTREAM\0", 11, WORDS("XADD", "NOMKSTREAM", "*", "f", "v")), NULL, __LINE__);
    cr_assert_eq(xa.nomkstream, 1);
    check(xadd_binary_arg2("5\0-3", 4, WORDS("XADD", "5", "f", "v")), NULL, __LINE__);
    cr_assert(xa.id_mode == XID_EXPLICIT && xa.id.ms == 5 && xa.id.seq == 0);
}

Test(xadd_args, binary_fields_are_not_inspected)
{
    int n = build(WORDS("XADD", "*", "f", "v"));
    av[3] = (struct resp_arg){ "\0\r\n", 3 };
    av[4] = (struct resp_arg){ "", 0 };
    cr_assert_eq(xadd_parse_or_reply(&cl, n, av, &xa), 0);
    expect_no_reply();
    cr_assert_eq(xa.field_pos, 3);
}

/* ---- XTRIM ---------------------------------------------------------- */

Test(xtrim_args, maxlen_forms)
{
    XTRIM_OK("MAXLEN", "5");
    cr_assert(xt.strategy == XTRIM_MAXLEN && xt.maxlen == 5 && xt.approx == 0 && xt.limit == -1);
    XTRIM_OK("maxlen", "=", "5");
    cr_assert(xt.maxlen == 5 && xt.approx == 0);
    XTRIM_OK("MAXLEN", "~", "5");
    cr_assert(xt.maxlen == 5 && xt.approx == 1 && xt.limit == -1);
}

Test(xtrim_args, minid_forms)
{
    XTRIM_OK("MINID", "5");
    cr_assert(xt.strategy == XTRIM_MINID && xt.minid.ms == 5 && xt.minid.seq == 0);
    XTRIM_OK("MINID", "~", "5-5");
    cr_assert(xt.minid.ms == 5 && xt.minid.seq == 5 && xt.approx == 1);
    XTRIM_OK("minid", "~", MAX_U64 "-" MAX_U64);
    cr_assert(xt.minid.ms == UINT64_MAX && xt.minid.seq == UINT64_MAX);
}

Test(xtrim_args, limit_with_approx)
{
    XTRIM_OK("MAXLEN", "~", "5", "LIMIT", "5");
    cr_assert_eq(xt.limit, 5);
    XTRIM_OK("LIMIT", "5", "MAXLEN", "~", "5");
    cr_assert_eq(xt.limit, 5);
    XTRIM_OK("MINID", "~", "5", "LIMIT", "0");
    cr_assert_eq(xt.limit, 0);
    XTRIM_OK("MAXLEN", "~", "5", "LIMIT", "1", "LIMIT", "2");
    cr_assert_eq(xt.limit, 2);
}

Test(xtrim_args, unknown_or_misplaced_words_are_a_syntax_error)
{
    XTRIM_ERR(E_SYNTAX, "BOGUS", "5");
    XTRIM_ERR(E_SYNTAX, "MAXLEN", "5", "BOGUS");
    XTRIM_ERR(E_SYNTAX, "NOMKSTREAM", "MAXLEN", "5");
    XTRIM_ERR(E_SYNTAX, "MAXLEN", "5", "NOMKSTREAM");
    XTRIM_ERR(E_SYNTAX, "*", "MAXLEN", "5");
    XTRIM_ERR(E_SYNTAX, "MAXLEN", "5", "5");
    XTRIM_ERR(E_SYNTAX, "LIMIT", "0", "BOGUS");
    XTRIM_ERR(E_SYNTAX, "LIMIT", "5", "BOGUS");
}

Test(xtrim_args, option_without_value_is_a_syntax_error)
{
    XTRIM_ERR(E_SYNTAX, "MAXLEN", "~", "5", "LIMIT");
    XTRIM_ERR(E_SYNTAX, "MAXLEN", "5", "LIMIT");
    XTRIM_ERR(E_SYNTAX, "LIMIT", "5", "LIMIT");
    XTRIM_ERR(E_SYNTAX, "MAXLEN", "5", "MAXLEN");
    XTRIM_ERR(E_SYNTAX, "MINID", "5", "MINID");
}

Test(xtrim_args, strategy_is_required)
{
    XTRIM_ERR(E_XTRIM_NO_STRATEGY, "LIMIT", "0");
    XTRIM_ERR(E_XTRIM_NO_STRATEGY, "LIMIT", "1", "LIMIT", "0");
    XTRIM_ERR(E_LIMIT_NO_STRATEGY, "LIMIT", "5");
    XTRIM_ERR(E_LIMIT_NO_STRATEGY, "LIMIT", "0", "LIMIT", "1");
}

Test(xtrim_args, maxlen_errors)
{
    XTRIM_ERR(E_MAXLEN_NEG, "MAXLEN", "-1");
    XTRIM_ERR(E_MAXLEN_NEG, "MAXLEN", "-1", "MAXLEN", "x");
    XTRIM_ERR(E_NOT_INT, "MAXLEN", "x");
    XTRIM_ERR(E_NOT_INT, "MAXLEN", "~");
    XTRIM_ERR(E_NOT_INT, "MAXLEN", "=");
    XTRIM_ERR(E_NOT_INT, "MAXLEN", "=", "~");
    XTRIM_ERR(E_NOT_INT, "MAXLEN", "~", "=", "5");
}

Test(xtrim_args, minid_errors)
{
    XTRIM_ERR(E_BAD_ID, "MINID", "-");
    XTRIM_ERR(E_BAD_ID, "MINID", "+");
    XTRIM_ERR(E_BAD_ID, "MINID", "1-*");
    XTRIM_ERR(E_BAD_ID, "MINID", "x");
    XTRIM_ERR(E_BAD_ID, "MINID", "5-");
    XTRIM_ERR(E_BAD_ID, "MINID", "~");
    XTRIM_ERR(E_BAD_ID, "MINID", "=");
}

Test(xtrim_args, maxlen_and_minid_together_are_incompatible)
{
    XTRIM_ERR(E_BOTH, "MAXLEN", "5", "MINID", "1");
    XTRIM_ERR(E_BOTH, "MINID", "1", "MAXLEN", "5");
    XTRIM_ERR(E_BOTH, "MAXLEN", "5", "MAXLEN", "5");
}

Test(xtrim_args, limit_errors)
{
    XTRIM_ERR(E_LIMIT_NEG, "LIMIT", "-5");
    XTRIM_ERR(E_LIMIT_NEG, "MAXLEN", "~", "5", "LIMIT", "-1");
    XTRIM_ERR(E_NOT_INT, "LIMIT", "x");
    XTRIM_ERR(E_LIMIT_NO_APPROX, "MAXLEN", "5", "LIMIT", "5");
    XTRIM_ERR(E_LIMIT_NO_APPROX, "maxlen", "5", "limit", "0");
    XTRIM_ERR(E_LIMIT_NO_APPROX, "MINID", "5", "LIMIT", "0");
    XTRIM_ERR(E_LIMIT_NO_APPROX, "LIMIT", "5", "MAXLEN", "5");
    XTRIM_ERR(E_LIMIT_NO_APPROX, "MAXLEN", "5", "LIMIT", "1", "LIMIT", "0");
}

Test(xtrim_args, approx_marker_ends_at_a_nul_byte_as_in_redis)
{
    int n = build(WORDS("XTRIM", "MAXLEN", "~", "5"));
    av[3] = (struct resp_arg){ "~\0", 2 };
    cr_assert_eq(xtrim_parse_or_reply(&cl, n, av, &xt), 0);
    cr_assert(xt.approx && xt.maxlen == 5);
}
