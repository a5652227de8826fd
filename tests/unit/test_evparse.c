/* Unit tests of the event-log argument parsers: offset maps (JSON object
 * text, every error with its position) and tag expressions (precedence,
 * quoting, isLocal, errors with positions), plus a seeded comparison of
 * tag_expr_match with a brute-force evaluation of random expressions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evparse.h"

static int parse_map(const char *text, struct offset_map *m, char *err)
{
    memset(m, 0, sizeof(*m));
    return offset_map_parse(text, strlen(text), m, err, 200);
}

Test(offset_map, valid_maps_round_trip)
{
    struct offset_map m;
    char err[200];
    cr_assert_eq(parse_map("{}", &m, err), 0);
    cr_assert_eq(m.n, 0);
    cr_assert_eq(parse_map(" { \"a-0\" : 5 ,\n\"b-0\":0, \"c\\u0041-0\": 9223372036854775807 } ", &m, err), 0, "%s", err);
    cr_assert_eq(m.n, 3);
    uint64_t off;
    cr_assert(offset_map_get(&m, "a-0", &off) && off == 5);
    cr_assert(offset_map_get(&m, "b-0", &off) && off == 0);
    cr_assert(offset_map_get(&m, "cA-0", &off) && off == 9223372036854775807ULL);
    cr_assert_not(offset_map_get(&m, "z", &off));
    cr_assert_eq(offset_map_set(&m, "a-0", 7), 0);
    cr_assert_eq(offset_map_set(&m, "q\"-0", 1), 0);
    char *json;
    size_t len;
    cr_assert_eq(offset_map_json(&m, &json, &len), 0);
    cr_assert_str_eq(json, "{\"a-0\":7,\"b-0\":0,\"cA-0\":9223372036854775807,\"q\\\"-0\":1}");
    cr_assert_eq(len, strlen(json));
    struct offset_map back;
    cr_assert_eq(parse_map(json, &back, err), 0, "%s", err);
    cr_assert_eq(back.n, 4);
    cr_assert(offset_map_get(&back, "q\"-0", &off) && off == 1);
    free(json);
    offset_map_free(&back);
    offset_map_free(&m);
}

Test(offset_map, errors_name_the_position)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        { "", "invalid offset map: expected '{' at the end" },
        { "[]", "invalid offset map: expected '{' at position 1" },
        { "{\"a\":-1}", "invalid offset map: negative offset at position 6" },
        { "{\"a\":1.5}", "invalid offset map: an integer at position 7" },
        { "{\"a\":01}", "invalid offset map: leading zero in an offset at position 6" },
        { "{\"a\":9223372036854775808}", "invalid offset map: offset too large at position 24" },
        { "{\"a\":1,}", "invalid offset map: expected '\"' at position 8" },
        { "{\"a\" 1}", "invalid offset map: expected ':' at position 6" },
        { "{\"a\":1 \"b\":2}", "invalid offset map: expected ',' or '}' at position 8" },
        { "{\"a\":1,\"a\":2}", "invalid offset map: stream given twice at position 8" },
        { "{\"\":1}", "invalid offset map: empty stream id at position 2" },
        { "{\"a:1}", "invalid offset map: unterminated string at the end" },
        { "{\"a\":1} x", "invalid offset map: text after the map at position 9" },
        { "{\"\\u0100\":1}", "invalid offset map: unsupported escape (stream ids are ASCII) at position 4" },
        { "{\"a\":x}", "invalid offset map: expected an offset (an integer >= 0) at position 6" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct offset_map m;
        char err[200];
        cr_assert_eq(parse_map(cases[i].text, &m, err), -1, "case %zu parsed", i);
        cr_assert(strstr(err, cases[i].err + strlen("invalid offset map: ")) != NULL, "case %zu: %s", i, err);
        cr_assert_eq(m.n, 0);
    }
}

static struct store_tag_expr *parse_expr(const char *text, char *err)
{
    return tag_expr_parse(text, strlen(text), err, 200);
}

static int matches(const char *expr, const char *tagline, int local)
{
    char err[200], buf[256];
    struct store_tag_expr *e = parse_expr(expr, err);
    cr_assert_not_null(e, "%s: %s", expr, err);
    const char *tags[16];
    size_t lens[16], n = 0;
    snprintf(buf, sizeof(buf), "%s", tagline);
    for (char *t = strtok(buf, " "); t != NULL && n < 16; t = strtok(NULL, " ")) {
        tags[n] = t;
        lens[n++] = strlen(t);
    }
    int r = tag_expr_match(e, tags, lens, n, local);
    tag_expr_free(e);
    return r;
}

Test(tag_expr, precedence_quotes_and_keywords)
{
    cr_assert(matches("a", "a b", 0));
    cr_assert_not(matches("c", "a b", 0));
    cr_assert(matches("a & b", "a b", 0));
    cr_assert_not(matches("a & c", "a b", 0));
    cr_assert(matches("c | a & b", "a b", 0), "& binds tighter");
    cr_assert_not(matches("(c | a) & d", "a b", 0));
    cr_assert(matches("(c|a)&b", "a b", 0));
    cr_assert(matches("*", "", 0));
    cr_assert(matches("isLocal", "x", 1));
    cr_assert_not(matches("isLocal", "x", 0));
    cr_assert(matches("'isLocal'", "isLocal", 0), "a quoted isLocal is a tag");
    cr_assert(matches("region:eu & user@host & a/b.c#1-2_3", "region:eu user@host a/b.c#1-2_3", 0));
    cr_assert(matches("'two words' & 'it''s'", "two@words it's", 0) == 0);
    char err[200];
    struct store_tag_expr *e = parse_expr("'it''s'", err);
    cr_assert(e && e->op == STORE_TAG_LEAF && e->len == 4 && memcmp(e->tag, "it's", 4) == 0);
    tag_expr_free(e);
}

Test(tag_expr, errors_name_the_position)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        { "", "expected a tag, '(', '*' or isLocal at the end" },
        { "a &", "expected a tag, '(', '*' or isLocal at the end" },
        { "a b", "expected '&', '|' or the end at position 3" },
        { "(a | b", "expected ')' at the end" },
        { "a)", "unbalanced ')' at position 2" },
        { "a & !b", "expected a tag, '(', '*' or isLocal at position 5" },
        { "'abc", "unterminated quoted tag at position 1" },
        { "a | ''", "empty tag at position 5" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[200];
        cr_assert_null(parse_expr(cases[i].text, err), "case %zu parsed", i);
        cr_assert(strstr(err, cases[i].err) != NULL, "case %zu: %s", i, err);
    }
}

/* Random expressions over tags t0..t3: tag_expr_match against a direct
 * evaluation of the same random tree. */
struct rnd {
    unsigned long long s;
};

static unsigned rnext(struct rnd *r)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(r->s >> 33);
}

/* Writes a random expression into buf; returns its value for `have` (bit i: ti present). */
static int gen(struct rnd *r, char *buf, size_t *n, unsigned have, int depth)
{
    unsigned k = rnext(r) % (depth > 3 ? 1 : 4);
    if (k == 0) {
        unsigned t = rnext(r) % 4;
        *n += (size_t)sprintf(buf + *n, "t%u", t);
        return (have >> t) & 1;
    }
    buf[(*n)++] = '(';
    int a = gen(r, buf, n, have, depth + 1);
    int op = k == 1 ? '&' : '|';
    *n += (size_t)sprintf(buf + *n, " %c ", op);
    int b = gen(r, buf, n, have, depth + 1);
    buf[(*n)++] = ')';
    return op == '&' ? a && b : a || b;
}

Test(tag_expr, random_expressions_match_a_direct_evaluation)
{
    struct rnd r = { 12345 };
    for (int i = 0; i < 2000; i++) {
        unsigned have = rnext(&r) % 16;
        char buf[4096], tagline[64] = "";
        size_t n = 0;
        struct rnd copy = r;
        int want = gen(&r, buf, &n, have, 0);
        buf[n] = '\0';
        (void)copy;
        for (unsigned t = 0; t < 4; t++)
            if ((have >> t) & 1)
                sprintf(tagline + strlen(tagline), "t%u ", t);
        cr_assert_eq(matches(buf, tagline, 0), want, "%s on {%s}", buf, tagline);
    }
}
