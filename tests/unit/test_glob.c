/* Unit tests for srv_glob_match(): Redis 7.0 stringmatchlen() semantics
 * (including its observable quirks), binary subjects and patterns, case
 * folding, and bounded work on hostile patterns. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "globmatch.h"

/* C-string conveniences; binary cases pass explicit lengths. */
static int m(const char *p, const char *s)
{
    return srv_glob_match(p, strlen(p), s, strlen(s), 0);
}

static int mi(const char *p, const char *s)
{
    return srv_glob_match(p, strlen(p), s, strlen(s), 1);
}

#define YES(p, s) cr_assert_eq(m(p, s), 1, "'%s' should match '%s'", p, s)
#define NO(p, s) cr_assert_eq(m(p, s), 0, "'%s' should not match '%s'", p, s)

Test(glob, literal_matches_only_itself)
{
    YES("hello", "hello");
    NO("hello", "hell");
    NO("hello", "helloo");
    NO("hello", "Hello");
    YES("", "");
    NO("", "a");
    NO("a", "");
}

Test(glob, star_matches_any_run_including_empty)
{
    YES("*", "anything");
    YES("*", "");
    YES("**", "");
    YES("***", "x");
    YES("h*o", "ho");
    YES("h*o", "hello");
    NO("h*o", "hella");
    YES("*llo", "hello");
    YES("he*", "he");
    YES("*e*l*o*", "hello");
    NO("*x*", "hello");
    YES("a*b*c", "aXXbYYc");
    YES("a*b*c", "abcbc");
    NO("a*b*c", "acb");
}

Test(glob, question_mark_is_exactly_one_byte)
{
    YES("h?llo", "hello");
    YES("h?llo", "hallo");
    NO("h?llo", "hllo");
    NO("?", "");
    YES("??", "ab");
    NO("??", "abc");
    YES("*?", "a");
    NO("*?", "");
}

Test(glob, class_lists_ranges_and_negation)
{
    YES("h[ae]llo", "hello");
    YES("h[ae]llo", "hallo");
    NO("h[ae]llo", "hillo");
    YES("h[a-c]t", "hbt");
    NO("h[a-c]t", "hdt");
    YES("h[^e]llo", "hallo");
    NO("h[^e]llo", "hello");
    YES("h[^a-c]t", "hzt");
    NO("h[^a-c]t", "hbt");
    YES("[0-9][0-9]", "42");
    NO("[0-9][0-9]", "4x");
    YES("[a-cx-z]", "y");
    NO("[a-cx-z]", "m");
}

Test(glob, reversed_range_is_swapped)
{
    YES("[z-a]", "m");
    YES("[9-0]", "5");
    NO("[z-a]", "A");
}

Test(glob, backslash_escapes_specials)
{
    YES("\\*", "*");
    NO("\\*", "x");
    YES("a\\?b", "a?b");
    NO("a\\?b", "axb");
    YES("\\[x]", "[x]");
    YES("[\\]]", "]");
    YES("[\\-]", "-");
    NO("[\\-]", "a");
    YES("[a\\-z]", "-");
    NO("[a\\-z]", "m");
    /* A trailing backslash is a literal backslash. */
    YES("a\\", "a\\");
}

Test(glob, redis_quirks_are_kept)
{
    /* Unterminated class: the rest of the pattern is the class. */
    YES("[abc", "b");
    NO("[abc", "d");
    YES("a[bc", "ab");
    /* A lone '[' matches nothing; "[^" matches any one byte. */
    NO("[", "[");
    YES("[^", "x");
    /* "x-]" is a range, so "[a-]" is 'a'..']' (swapped) and runs on. */
    YES("[a-]", "_");
    NO("[a-]", "-");
    /* An empty class "[]" matches nothing; ']' right after '[' closes it. */
    NO("[]a]", "a");
    NO("[]a]", "]");
}

Test(glob, nocase_folds_ascii_only)
{
    cr_assert(mi("HeLLo", "hello"));
    cr_assert(mi("h*O", "HELLO"));
    cr_assert(mi("[A-C]x", "bX"));
    cr_assert(mi("[a-c]x", "BX"));
    cr_assert(mi("[^A]", "b"));
    cr_assert(!mi("[^A]", "a"));
    cr_assert(mi("[\\Q]", "q"));
    /* As Redis: bounds are swapped first, folded after, so "[[-W]" is '['..'W'
     * case-sensitively (X is in) but folds to the empty 'w'..'[' with nocase. */
    cr_assert(m("[[-W]", "X"));
    cr_assert(!mi("[[-W]", "X") && !mi("[[-W]", "x"));
    cr_assert(m("[A-z]", "[") && !mi("[A-z]", "["));
    cr_assert(!m("HeLLo", "hello"));
    /* Bytes above 0x7f are never folded. */
    cr_assert(!srv_glob_match("\xc3\x89", 2, "\xc3\xa9", 2, 1));
    /* Folding maps 'A'..'Z' only: '[' and '@' stay themselves. */
    cr_assert(!mi("\\[", "{"));
    cr_assert(!mi("@", "`"));
}

Test(glob, binary_subject_with_nul_bytes)
{
    const char s[] = { 'a', '\0', 'b' };
    cr_assert(srv_glob_match("a?b", 3, s, 3, 0));
    cr_assert(srv_glob_match("*b", 2, s, 3, 0));
    cr_assert(srv_glob_match("a*", 2, s, 3, 0));
    cr_assert(!srv_glob_match("a", 1, s, 3, 0));
    /* The length, not a NUL, ends the subject. */
    cr_assert(!srv_glob_match("a", 1, s, 2, 0));
    cr_assert(srv_glob_match("a?", 2, s, 2, 0));
}

Test(glob, binary_pattern_with_nul_bytes)
{
    const char p[] = { 'a', '\0', '*' };
    const char s1[] = { 'a', '\0', 'x', 'y' };
    const char s2[] = { 'a', 'x' };
    cr_assert(srv_glob_match(p, 3, s1, 4, 0));
    cr_assert(!srv_glob_match(p, 3, s2, 2, 0));
    const char cls[] = { '[', '\0', ']' };
    cr_assert(srv_glob_match(cls, 3, "\0", 1, 0));
    cr_assert(!srv_glob_match(cls, 3, "a", 1, 0));
}

Test(glob, high_bytes_compare_unsigned)
{
    cr_assert(srv_glob_match("[\x80-\xff]", 5, "\xc3", 1, 0));
    cr_assert(!srv_glob_match("[\x80-\xff]", 5, "a", 1, 0));
    cr_assert(srv_glob_match("[a-\xff]", 5, "\x90", 1, 0));
    cr_assert(srv_glob_match("[a-\xff]", 5, "z", 1, 0));
    cr_assert(!srv_glob_match("[a-\xff]", 5, "A", 1, 0));
    cr_assert(srv_glob_match("\xff*", 2, "\xff\xfe", 2, 0));
}

Test(glob, pattern_is_bounded_by_its_length)
{
    /* Only the first plen bytes are the pattern, even if more follow. */
    cr_assert(srv_glob_match("ab*", 2, "ab", 2, 0));
    cr_assert(!srv_glob_match("ab*", 2, "abc", 3, 0));
    cr_assert(srv_glob_match("[ab]", 3, "a", 1, 0)); /* "[ab" unterminated */
    cr_assert(srv_glob_match(NULL, 0, NULL, 0, 0));
    cr_assert(srv_glob_match("*", 1, NULL, 0, 0));
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

Test(glob, hostile_star_patterns_finish_fast)
{
    /* "*a*a*a...*b" against "aaaa...": exponential for a naive matcher. */
    size_t n = 2000;
    char *p = malloc(2 * 64 + 2), *s = malloc(n);
    cr_assert(p && s);
    size_t pl = 0;
    for (int i = 0; i < 64; i++) {
        p[pl++] = '*';
        p[pl++] = 'a';
    }
    p[pl++] = '*';
    p[pl++] = 'b';
    memset(s, 'a', n);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert(!srv_glob_match(p, pl, s, n, 0));
    cr_assert(!srv_glob_match(p, pl, s, n, 1));
    cr_assert_lt(seconds_since(&t0), 1.0, "took %.3fs", seconds_since(&t0));
    free(p);
    free(s);
}

Test(glob, many_stars_are_capped_not_a_stack_overflow)
{
    /* Far deeper than the nesting cap: must return, not crash. Beyond
     * 1000 nested stars Redis (and we) report no match. */
    size_t n = 200000;
    char *p = malloc(2 * n), *s = malloc(n);
    cr_assert(p && s);
    for (size_t i = 0; i < n; i++) {
        p[2 * i] = 'a';
        p[2 * i + 1] = '*';
    }
    memset(s, 'a', n);
    cr_assert(!srv_glob_match(p, 2 * n, s, n, 0));
    /* Within the cap the same shape matches. */
    cr_assert(srv_glob_match(p, 2 * 500, s, 500, 0));
    /* Consecutive stars collapse and cost no depth. */
    memset(p, '*', n);
    cr_assert(srv_glob_match(p, n, s, n, 0));
    free(p);
    free(s);
}

Test(glob, long_subject_with_star_is_linear_enough)
{
    size_t n = 1 << 20;
    char *s = malloc(n);
    cr_assert(s);
    memset(s, 'x', n);
    s[n - 1] = 'y';
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert(srv_glob_match("*y", 2, s, n, 0));
    cr_assert(!srv_glob_match("*z", 2, s, n, 0));
    cr_assert(srv_glob_match("x*x*x*y", 7, s, n, 0));
    cr_assert_lt(seconds_since(&t0), 1.0);
    free(s);
}

Test(glob, config_names_match_like_config_get)
{
    cr_assert(mi("*max*", "maxclients"));
    cr_assert(mi("*max*", "proto-max-bulk-len"));
    cr_assert(!mi("*max*", "client-query-buffer-limit"));
    cr_assert(mi("b[h-j]nd", "bind"));
    cr_assert(mi("PORT", "port"));
    cr_assert(mi("*-*-*", "proto-max-bulk-len"));
    cr_assert(!mi("*-*-*-*-*", "proto-max-bulk-len"));
}
