/* stream_args.c — stream command arguments, ported from Redis 7.0
 * t_stream.c: streamGenericParseIDOrReply (with util.c's string2ull),
 * streamParseAddOrTrimArgsOrReply, the XADD checks that precede the key
 * lookup, and streamParseIntervalIDOrReply with streamIncrID/streamDecrID.
 *
 * Every error text and the order in which errors are found match
 * redis-server 7.0.15, including how Redis reads IDs and option words as C
 * strings: they end at the first NUL byte ("5\0-3" is ID 5-0, "MAXLEN\0"
 * is MAXLEN), while length limits and integers see the whole argument. */
#include "stream_args.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "reply.h"

#define ERR_INVALID_ID "Invalid stream ID specified as stream command argument"
#define ERR_ID_ZERO "The ID specified in XADD must be greater than 0-0"
#define ERR_TRIM_BOTH "syntax error, MAXLEN and MINID options at the same time are not compatible"
#define ERR_MAXLEN_NEG "The MAXLEN argument must be >= 0."
#define ERR_LIMIT_NEG "The LIMIT argument must be >= 0."
#define ERR_LIMIT_NO_STRATEGY "syntax error, LIMIT cannot be used without specifying a trimming strategy"
#define ERR_XTRIM_NO_STRATEGY "syntax error, XTRIM must be called with a trimming strategy"
#define ERR_LIMIT_NO_APPROX "syntax error, LIMIT cannot be used without the special ~ option"
#define ERR_START_INTERVAL "invalid start ID for the interval"
#define ERR_END_INTERVAL "invalid end ID for the interval"

/* Redis parses IDs in a char[128]: longer arguments are invalid. */
#define XID_MAX_LEN 127

static int is_c_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* The argument as Redis's C-string code sees it: up to the first NUL. */
static struct resp_arg c_view(const struct resp_arg *a)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    return (struct resp_arg){ a->ptr, nul ? (size_t)(nul - a->ptr) : a->len };
}

static int is_one_char(const struct resp_arg *a, char ch)
{
    struct resp_arg v = c_view(a);
    return v.len == 1 && v.ptr[0] == ch;
}

/* strcasecmp(argument, word) == 0, C-string style. */
static int word_is(const struct resp_arg *a, const char *word)
{
    struct resp_arg v = c_view(a);
    return arg_is(&v, word);
}

/* strtoull(s, &end, 10) accepting only when the whole text was consumed and
 * no ERANGE: leading C-locale spaces, an optional sign ('-' negates modulo
 * 2^64), then one or more decimal digits. Returns 0 and *out, or -1. */
static int parse_strtoull_whole(const char *p, size_t len, uint64_t *out)
{
    size_t i = 0;
    int neg = 0;
    while (i < len && is_c_space(p[i]))
        i++;
    if (i < len && (p[i] == '+' || p[i] == '-'))
        neg = (p[i++] == '-');
    if (i == len)
        return -1;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? (uint64_t)0 - v : v;
    return 0;
}

/* Redis's string2ull on (p, len): a strict string2ll number if there is one
 * (negative ones are rejected), otherwise whatever strtoull takes whole, so
 * "+5", " 5" and "007" are 5 and " -5" is 2^64-5 — as in Redis. Returns 0
 * and *out, or -1. Never reads past len. */
static int parse_u64_redis(const char *p, size_t len, uint64_t *out)
{
    struct resp_arg a = { p, len };
    long long ll;
    if (arg_to_ll(&a, &ll) == 0) {
        if (ll < 0)
            return -1;
        *out = (uint64_t)ll;
        return 0;
    }
    return parse_strtoull_whole(p, len, out);
}

/* streamGenericParseIDOrReply without the reply. strict rejects "-" and "+".
 * auto_seq, when not NULL, allows "ms-*" and is set to 1 when it was used
 * (0 otherwise). Returns 0 and *id, or -1 (*id may be partly written). */
static int id_parse(const char *p, size_t len, uint64_t missing_seq, int strict,
                    int *auto_seq, struct store_id *id)
{
    if (auto_seq)
        *auto_seq = 0;
    if (len > XID_MAX_LEN)
        return -1;
    if (len == 1 && (p[0] == '-' || p[0] == '+')) {
        if (strict)
            return -1;
        id->ms = id->seq = (p[0] == '-') ? 0 : UINT64_MAX;
        return 0;
    }
    const char *dash = memchr(p, '-', len);
    size_t mslen = dash ? (size_t)(dash - p) : len;
    if (parse_u64_redis(p, mslen, &id->ms) != 0)
        return -1;
    if (dash == NULL) {
        id->seq = missing_seq;
        return 0;
    }
    const char *s = dash + 1;
    size_t slen = len - mslen - 1;
    if (auto_seq && slen == 1 && s[0] == '*') {
        id->seq = 0;
        *auto_seq = 1;
        return 0;
    }
    return parse_u64_redis(s, slen, &id->seq);
}

/* Strict: "-" and "+" are not complete IDs (Redis's streamParseStrictID,
 * which XADD, MINID, XDEL, XACK, XCLAIM, XREAD and XSETID use). */
/* id_parse on an argument: Redis checks the full length (at most 127
 * bytes), then parses the C string. */
static int id_parse_arg(const char *p, size_t len, uint64_t missing_seq, int strict, int *auto_seq,
                        struct store_id *id)
{
    if (len > XID_MAX_LEN)
        return -1;
    struct resp_arg v = c_view(&(struct resp_arg){ p, len });
    return id_parse(v.ptr, v.len, missing_seq, strict, auto_seq, id);
}

int xid_parse(const struct resp_arg *a, uint64_t missing_seq, struct store_id *id)
{
    return id_parse_arg(a->ptr, a->len, missing_seq, 1, NULL, id);
}

int xid_format(struct store_id id, char *buf)
{
    /* 20 + 1 + 20 digits and the NUL: 42 bytes always suffice. Not
     * snprintf: XRANGE formats one ID per entry (printf was 18% of it). */
    size_t n = resp_fmt_u64(buf, id.ms);
    buf[n++] = '-';
    n += resp_fmt_u64(buf + n, id.seq);
    buf[n] = '\0';
    return (int)n;
}

/* A '(' bound is exclusive only when something follows it; what follows
 * is parsed strictly (so "(-" and "(+" are invalid IDs, while "(" alone is
 * parsed — and rejected — as an ordinary ID). */
int xrange_bound_or_reply(struct client *c, const struct resp_arg *a, int is_end, struct store_id *id)
{
    uint64_t missing_seq = is_end ? UINT64_MAX : 0;
    int exclusive = a->len > 1 && a->ptr[0] == '(';
    int rc = exclusive ? id_parse_arg(a->ptr + 1, a->len - 1, missing_seq, 1, NULL, id)
                       : id_parse_arg(a->ptr, a->len, missing_seq, 0, NULL, id);
    if (rc != 0) {
        reply_error(c, ERR_INVALID_ID);
        return -1;
    }
    if (exclusive && (is_end ? store_id_decr(id) : store_id_incr(id)) != 0) {
        reply_error(c, is_end ? ERR_END_INTERVAL : ERR_START_INTERVAL);
        return -1;
    }
    return 0;
}

/* MAXLEN|MINID [=|~] threshold, with argv[*pi] the option name and at least
 * one argument after it. Advances *pi to the threshold. Returns 0 or -1
 * after replying. A second MAXLEN/MINID is an error even when it repeats
 * the first (Redis's text names both). */
static int threshold_parse_or_reply(struct client *c, int argc, const struct resp_arg *argv,
                                    int *pi, enum xtrim_strategy strategy, struct xtrim_args *t)
{
    int i = *pi;
    int moreargs = argc - 1 - i;
    if (t->strategy != XTRIM_NONE) {
        reply_error(c, ERR_TRIM_BOTH);
        return -1;
    }
    if (moreargs >= 2 && is_one_char(&argv[i + 1], '~')) {
        t->approx = 1;
        i++;
    } else if (moreargs >= 2 && is_one_char(&argv[i + 1], '=')) {
        i++;
    }
    i++;
    if (strategy == XTRIM_MAXLEN) {
        if (arg_to_ll_or_reply(c, &argv[i], &t->maxlen, NULL) != 0)
            return -1;
        if (t->maxlen < 0) {
            reply_error(c, ERR_MAXLEN_NEG);
            return -1;
        }
    } else if (xid_parse(&argv[i], 0, &t->minid) != 0) {
        reply_error(c, ERR_INVALID_ID);
        return -1;
    }
    t->strategy = strategy;
    *pi = i;
    return 0;
}

/* The XADD ID at argv[i] (not "*", which the caller handled). */
static int xadd_id_parse_or_reply(struct client *c, const struct resp_arg *a, struct xadd_args *x)
{
    int auto_seq;
    if (id_parse_arg(a->ptr, a->len, 0, 1, &auto_seq, &x->id) != 0) {
        reply_error(c, ERR_INVALID_ID);
        return -1;
    }
    x->id_mode = auto_seq ? XID_AUTO_SEQ : XID_EXPLICIT;
    return 0;
}

/* The checks Redis makes once the options are read, in its order. limit
 * is the last LIMIT value (0 when none was given). */
static int trim_finish_or_reply(struct client *c, struct xtrim_args *t, int xadd,
                                int limit_given, long long limit)
{
    const char *err = NULL;
    if (limit != 0 && t->strategy == XTRIM_NONE)
        err = ERR_LIMIT_NO_STRATEGY;
    else if (!xadd && t->strategy == XTRIM_NONE)
        err = ERR_XTRIM_NO_STRATEGY;
    else if (limit_given && !t->approx)
        err = ERR_LIMIT_NO_APPROX;
    if (err) {
        reply_error(c, err);
        return -1;
    }
    t->limit = limit_given ? limit : -1;
    return 0;
}

/* streamParseAddOrTrimArgsOrReply: options from argv[2] on, in any order.
 * For XADD (x != NULL) the first argument that is no option is the ID, which
 * is parsed here so that its error comes before the LIMIT checks, as in
 * Redis. Returns the argv index where parsing stopped (the ID for XADD,
 * argc when the arguments ran out), or -1 after replying. */
static int trim_opts_parse_or_reply(struct client *c, int argc, const struct resp_arg *argv,
                                    struct xtrim_args *t, struct xadd_args *x)
{
    int i, limit_given = 0;
    long long limit = 0;
    for (i = 2; i < argc; i++) {
        const struct resp_arg *a = &argv[i];
        int moreargs = argc - 1 - i;
        if (x && is_one_char(a, '*')) {
            x->id_mode = XID_AUTO;
            break;
        } else if (moreargs && word_is(a, "maxlen")) {
            if (threshold_parse_or_reply(c, argc, argv, &i, XTRIM_MAXLEN, t) != 0)
                return -1;
        } else if (moreargs && word_is(a, "minid")) {
            if (threshold_parse_or_reply(c, argc, argv, &i, XTRIM_MINID, t) != 0)
                return -1;
        } else if (moreargs && word_is(a, "limit")) {
            if (arg_to_ll_or_reply(c, &argv[++i], &limit, NULL) != 0)
                return -1;
            if (limit < 0) {
                reply_error(c, ERR_LIMIT_NEG);
                return -1;
            }
            limit_given = 1;
        } else if (x && word_is(a, "nomkstream")) {
            x->nomkstream = 1;
        } else if (x) {
            if (xadd_id_parse_or_reply(c, a, x) != 0)
                return -1;
            break;
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    if (trim_finish_or_reply(c, t, x != NULL, limit_given, limit) != 0)
        return -1;
    return i;
}

/* After the options: the field/value count, then the 0-0 ID — both before
 * Redis looks the key up, so an arity error wins over a 0-0 ID and a 0-0 ID
 * wins over NOMKSTREAM's missing key. "0-*" is not 0-0 (its sequence is
 * generated). */
int xadd_parse_or_reply(struct client *c, int argc, const struct resp_arg *argv, struct xadd_args *out)
{
    memset(out, 0, sizeof(*out));
    out->id_mode = XID_AUTO;
    out->trim.limit = -1;
    int idpos = trim_opts_parse_or_reply(c, argc, argv, &out->trim, out);
    if (idpos < 0)
        return -1;
    int nfields = argc - (idpos + 1);
    if (nfields < 2 || nfields % 2 == 1) {
        reply_error_arity(c, "xadd");
        return -1;
    }
    if (out->id_mode == XID_EXPLICIT && out->id.ms == 0 && out->id.seq == 0) {
        reply_error(c, ERR_ID_ZERO);
        return -1;
    }
    out->field_pos = idpos + 1;
    return 0;
}

int xtrim_parse_or_reply(struct client *c, int argc, const struct resp_arg *argv, struct xtrim_args *out)
{
    memset(out, 0, sizeof(*out));
    out->limit = -1;
    return trim_opts_parse_or_reply(c, argc, argv, out, NULL) < 0 ? -1 : 0;
}

int xread_opts_or_reply(struct client *c, int argc, const struct resp_arg *argv, int group, struct xread_opts *o)
{
    *o = (struct xread_opts){ .count = 0 };
    for (int i = 1; i < argc; i++) {
        int more = argc - i - 1;
        if (arg_is(&argv[i], "block") && more) {
            if (arg_to_ll_or_reply(c, &argv[++i], &o->timeout_ms, "timeout is not an integer or out of range") != 0)
                return -1;
            if (o->timeout_ms < 0) {
                reply_error(c, "timeout is negative");
                return -1;
            }
            o->block = 1;
        } else if (arg_is(&argv[i], "count") && more) {
            if (arg_to_ll_or_reply(c, &argv[++i], &o->count, NULL) != 0)
                return -1;
            if (o->count < 0)
                o->count = 0;
        } else if (arg_is(&argv[i], "streams") && more) {
            o->streams = i + 1;
            if ((argc - o->streams) % 2 != 0) {
                /* Redis 7.0 says XREAD and '$' for XREADGROUP too */
                reply_error(c, "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
                return -1;
            }
            if (group && o->group == NULL) {
                reply_error(c, "Missing GROUP option for XREADGROUP");
                return -1;
            }
            return 0;
        } else if (arg_is(&argv[i], "group") && more >= 2) {
            if (!group) {
                reply_error(c, "The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                return -1;
            }
            o->group = &argv[i + 1];
            o->consumer = &argv[i + 2];
            i += 2;
        } else if (arg_is(&argv[i], "noack")) {
            if (!group) {
                reply_error(c, "The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                return -1;
            }
            o->noack = 1;
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    reply_error_syntax(c);
    return -1;
}
