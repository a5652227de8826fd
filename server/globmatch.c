/* globmatch.c — Redis's stringmatchlen(), ported to (pointer, length) on both
 * sides and bounded.
 *
 * Semantics follow Redis 7.0 util.c, including its quirks that users can
 * observe through KEYS / CONFIG GET:
 *   - an unterminated class "[abc" is a class of the remaining bytes;
 *   - a range is recognised wherever "x-y" appears inside a class, so "[a-]"
 *     is the range 'a'..']' and the class then runs on to the next ']';
 *   - reversed ranges "[z-a]" are swapped, and then, with nocase, both
 *     bounds are folded (which can empty a range such as "[[-W]").
 * Deliberate differences (see docs/configuration.md):
 *   - bytes compare as unsigned char (Redis compares plain char, which is
 *     signed on x86, so its ranges across 0x7f/0x80 behave oddly);
 *   - "\x" inside a class honours nocase like every other byte;
 *   - a pattern made only of '*' matches the empty string (Redis's loop
 *     never runs for an empty string; its callers special-case "*");
 *   - no read ever goes past either length (Redis relies on a NUL after the
 *     pattern).
 *
 * Cost: Redis's "skip longer matches" rule makes the search polynomial: once
 * the rest of the pattern after some '*' failed to match at every later
 * offset, no earlier '*' can help, so the whole match fails at once. Each
 * '*' therefore scans the subject at most once per attempt of its prefix,
 * giving O(plen * slen) work. Recursion happens only at '*' and is capped at
 * GLOB_MAX_NESTING levels (Redis uses 1000); deeper patterns do not match. */
#include "globmatch.h"

#define GLOB_MAX_NESTING 1000

struct glob_state {
    int nocase;
    int skip_longer; /* set once a '*' tail failed everywhere */
};

static unsigned char glob_fold(unsigned char c, int nocase)
{
    if (nocase && c >= 'A' && c <= 'Z')
        return (unsigned char)(c - 'A' + 'a');
    return c;
}

/* Matches one "[...]" class against byte c. On entry *pp points just past
 * the '['; on return it points at the closing ']' (or at the last pattern
 * byte when the class is unterminated), exactly where Redis leaves it, so the
 * caller's common "advance one pattern byte" step moves past the class.
 * Requires *plenp >= 0. Returns 1 when c is in the class. */
static int glob_class(const unsigned char **pp, size_t *plenp, unsigned char c, int nocase)
{
    const unsigned char *p = *pp;
    size_t plen = *plenp;
    int negate = 0, match = 0;

    if (plen > 0 && p[0] == '^') {
        negate = 1;
        p++;
        plen--;
    }
    for (;;) {
        if (plen == 0) {
            /* Unterminated: step back so the caller's advance lands at the end. */
            p--;
            plen++;
            break;
        }
        if (p[0] == '\\' && plen >= 2) {
            p++;
            plen--;
            if (glob_fold(p[0], nocase) == glob_fold(c, nocase))
                match = 1;
        } else if (p[0] == ']') {
            break;
        } else if (plen >= 3 && p[1] == '-') {
            /* As Redis: swap the raw bounds, then fold them, so a range
             * such as "[[-W]" can end up empty under nocase. */
            unsigned char lo = p[0] < p[2] ? p[0] : p[2];
            unsigned char hi = p[0] < p[2] ? p[2] : p[0];
            unsigned char fc = glob_fold(c, nocase);
            lo = glob_fold(lo, nocase);
            hi = glob_fold(hi, nocase);
            p += 2;
            plen -= 2;
            if (fc >= lo && fc <= hi)
                match = 1;
        } else if (glob_fold(p[0], nocase) == glob_fold(c, nocase)) {
            match = 1;
        }
        p++;
        plen--;
    }
    *pp = p;
    *plenp = plen;
    return negate ? !match : match;
}

static int glob_impl(const unsigned char *p, size_t plen, const unsigned char *s, size_t slen,
                     struct glob_state *st, int nesting);

/* Handles a '*' at p[0]: tries the rest of the pattern at every offset of s.
 * Returns 1 on a match; 0 otherwise, setting st->skip_longer when no offset
 * worked (which ends the whole search, see the file comment). */
static int glob_star(const unsigned char *p, size_t plen, const unsigned char *s, size_t slen,
                     struct glob_state *st, int nesting)
{
    while (plen >= 2 && p[1] == '*') {
        p++;
        plen--;
    }
    if (plen == 1)
        return 1;
    while (slen > 0) {
        if (glob_impl(p + 1, plen - 1, s, slen, st, nesting + 1))
            return 1;
        if (st->skip_longer)
            return 0;
        s++;
        slen--;
    }
    st->skip_longer = 1;
    return 0;
}

/* The matcher proper; see the file comment for the rules. */
static int glob_impl(const unsigned char *p, size_t plen, const unsigned char *s, size_t slen,
                     struct glob_state *st, int nesting)
{
    if (nesting > GLOB_MAX_NESTING)
        return 0;
    while (plen > 0 && slen > 0) {
        switch (p[0]) {
        case '*':
            return glob_star(p, plen, s, slen, st, nesting);
        case '?':
            break;
        case '[':
            p++;
            plen--;
            if (!glob_class(&p, &plen, s[0], st->nocase))
                return 0;
            break;
        case '\\':
            if (plen >= 2) {
                p++;
                plen--;
            }
            /* fall through */
        default:
            if (glob_fold(p[0], st->nocase) != glob_fold(s[0], st->nocase))
                return 0;
            break;
        }
        s++;
        slen--;
        p++;
        plen--;
    }
    if (slen == 0) {
        while (plen > 0 && p[0] == '*') {
            p++;
            plen--;
        }
    }
    return plen == 0 && slen == 0;
}

int srv_glob_match(const char *pattern, size_t plen, const char *s, size_t slen, int nocase)
{
    struct glob_state st = { nocase, 0 };

    if (plen > 0 && pattern == NULL)
        return 0;
    if (slen > 0 && s == NULL)
        return 0;
    return glob_impl((const unsigned char *)pattern, plen, (const unsigned char *)s, slen, &st, 0);
}
