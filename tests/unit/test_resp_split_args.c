/* Unit tests for resp_split_args() (inline requests and config-file lines).
 * Part of unit_resp_parser. */
#include "resp_test_util.h"

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
