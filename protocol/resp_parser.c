/* resp_parser.c — incremental RESP request parser, matching Redis 7.0's
 * networking.c processInlineBuffer() / processMultibulkBuffer().
 *
 * Buffer: buf[0..len) holds received bytes; buf[0..pos) is consumed (the
 * requests already returned), buf[pos..len) is the request in progress and
 * anything pipelined behind it. Parse state survives between calls: `cur`
 * is the next unparsed byte of the request in progress, `line_scan` where
 * the search for the current header line's terminator resumes, and the
 * elements read so far are kept as offsets relative to `pos` (spans), so
 * compaction (moving buf[pos..len) to the front) needs no fix-ups and no
 * byte is scanned twice. Multibulk arguments are returned pointing straight
 * into buf (zero copy); inline arguments are unescaped into `scratch`. */
#include "resp.h"
#include "resp_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define PARSER_BUF_INITIAL (16u * 1024u) /* first allocation; kept by shrink */
#define PARSER_QUERY_SLACK (64u * 1024u) /* room for reads past max_query */
#define PARSER_ARGV_INITIAL_MAX 1024     /* cap on the up-front argv reservation */
#define UNAUTH_MAX_MULTIBULK 10          /* Redis's pre-AUTH limits */
#define UNAUTH_MAX_BULK 16384
#define LONG_STR_SIZE 21                 /* string2ll rejects 21+ bytes */

enum req_type { REQ_NONE, REQ_INLINE, REQ_MULTIBULK };

/* One multibulk element: offset from the request start, and length. */
struct span {
    size_t off;
    size_t len;
};

struct resp_parser {
    struct resp_limits limits;
    int unauthenticated;
    int err;             /* sticky RESP_ERR_* or 0 */
    const char *errmsg;  /* text for err: static or errbuf */
    char errbuf[64];

    char *buf;
    size_t cap, len, pos, cur, line_scan;

    enum req_type reqtype;
    long long mb_left;   /* elements still to read; -1 before the count */
    long long bulk_len;  /* -1 until the element's $<len> line is read */

    struct span *spans;  /* elements read so far (multibulk) */
    size_t spans_cap, argc;
    struct resp_arg *argv; /* the request handed out */
    size_t argv_cap;
    char *scratch;       /* unescaped inline arguments */
    size_t scratch_cap;
};

/* ------------------------------------------------------------------ */
/* Errors and small helpers                                            */
/* ------------------------------------------------------------------ */

static int set_error(struct resp_parser *p, int code, const char *msg)
{
    if (p->err == 0) {
        p->err = code;
        p->errmsg = msg;
    }
    return p->err;
}

static int protocol_error(struct resp_parser *p, const char *msg)
{
    return set_error(p, RESP_ERR_PROTOCOL, msg);
}

static int nomem(struct resp_parser *p)
{
    return set_error(p, RESP_ERR_NOMEM, "out of memory");
}

/* "expected '$', got 'X'" with X replaced by '?' unless printable ASCII, so
 * the text never carries CR, LF or NUL. */
static int expected_dollar_error(struct resp_parser *p, char got)
{
    static const char prefix[] = "Protocol error: expected '$', got '";
    size_t n = sizeof(prefix) - 1;
    unsigned char c = (unsigned char)got;

    memcpy(p->errbuf, prefix, n);
    p->errbuf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    p->errbuf[n++] = '\'';
    p->errbuf[n] = '\0';
    return protocol_error(p, p->errbuf);
}

/* Returns arr resized to hold at least `need` items of `size` bytes,
 * doubling from *cap but never beyond `limit` items (limit >= need), and
 * updates *cap; or NULL, leaving arr and *cap unchanged. */
static void *grow_array(void *arr, size_t *cap, size_t size, size_t need, size_t limit)
{
    size_t n = *cap ? *cap : 8;
    void *tmp;

    while (n < need)
        n = n > SIZE_MAX / 2 ? SIZE_MAX : n * 2;
    if (n > limit)
        n = limit;
    if (n < need || n > SIZE_MAX / size)
        return NULL;
    tmp = resp_realloc(arr, n * size);
    if (tmp != NULL)
        *cap = n;
    return tmp;
}

/* Room for `need` spans (at most `limit`). Returns 0 or RESP_ERR_NOMEM. */
static int reserve_spans(struct resp_parser *p, size_t need, size_t limit)
{
    void *tmp;

    if (need <= p->spans_cap)
        return 0;
    tmp = grow_array(p->spans, &p->spans_cap, sizeof(*p->spans), need, limit);
    if (tmp == NULL)
        return nomem(p);
    p->spans = tmp;
    return 0;
}

/* Room for exactly the `need` arguments of the request handed out. */
static int reserve_argv(struct resp_parser *p, size_t need)
{
    void *tmp;

    if (need <= p->argv_cap)
        return 0;
    tmp = grow_array(p->argv, &p->argv_cap, sizeof(*p->argv), need, need);
    if (tmp == NULL)
        return nomem(p);
    p->argv = tmp;
    return 0;
}

static int reserve_scratch(struct resp_parser *p, size_t need)
{
    void *tmp;

    if (need <= p->scratch_cap)
        return 0;
    tmp = grow_array(p->scratch, &p->scratch_cap, 1, need, SIZE_MAX);
    if (tmp == NULL)
        return nomem(p);
    p->scratch = tmp;
    return 0;
}

/* Redis's string2ll(): an optional '-', then digits without leading zeros
 * ("0" alone is fine, "-0" is not), no '+', no spaces, at most 20 bytes,
 * no overflow. Returns 1 and stores the value, or 0. */
static int parse_ll(const char *s, size_t len, long long *out)
{
    unsigned long long v = 0, limit = (unsigned long long)LLONG_MAX;
    size_t i = 0;
    int neg = 0;

    if (len == 0 || len >= LONG_STR_SIZE)
        return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (s[0] == '-') {
        neg = 1;
        limit += 1; /* |LLONG_MIN| */
        i = 1;
    }
    if (i == len || s[i] < '1' || s[i] > '9')
        return 0;
    for (; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return 0;
        d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (!neg)
        *out = (long long)v;
    else
        *out = v == limit ? LLONG_MIN : -(long long)v;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Inline argument splitting (sdssplitargs)                            */
/* ------------------------------------------------------------------ */

/* isspace() in the C locale, without locale or sign-extension surprises. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One byte (or escape) inside "double quotes" at s[i]; appends its value to
 * out[*o]. Returns the index after it. An escape that does not fit the rules
 * (a backslash at the very end, \x without two hex digits) is taken as
 * sdssplitargs takes it. */
static size_t unescape_double(const char *s, size_t len, size_t i, char *out, size_t *o)
{
    if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' && hex_value(s[i + 2]) >= 0 &&
        hex_value(s[i + 3]) >= 0) {
        out[(*o)++] = (char)(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3]));
        return i + 4;
    }
    if (s[i] == '\\' && i + 1 < len) {
        char c = s[i + 1];
        switch (c) {
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'b': c = '\b'; break;
        case 'a': c = '\a'; break;
        default: break;
        }
        out[(*o)++] = c;
        return i + 2;
    }
    out[(*o)++] = s[i];
    return i + 1;
}

/* One byte inside 'single quotes': only \' is an escape. */
static size_t unescape_single(const char *s, size_t len, size_t i, char *out, size_t *o)
{
    if (s[i] == '\\' && i + 1 < len && s[i + 1] == '\'') {
        out[(*o)++] = '\'';
        return i + 2;
    }
    out[(*o)++] = s[i];
    return i + 1;
}

/* Reads one token starting at s[*ip] (not a space) into out[*op..].
 * Quotes may open mid-token (a"b c" is one token: ab c); a closing quote
 * must be followed by a space or the end. Returns 0, or -1 for unbalanced
 * quotes. NUL is an ordinary byte: the line is bounded by len. */
static int split_token(const char *s, size_t len, size_t *ip, char *out, size_t *op)
{
    size_t i = *ip;
    char quote = 0;

    for (;;) {
        if (quote == 0) {
            char c;
            if (i == len)
                break;
            c = s[i++];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
                break;
            if (c == '"' || c == '\'')
                quote = c;
            else
                out[(*op)++] = c;
            continue;
        }
        if (i == len)
            return -1;
        if (s[i] == quote) {
            if (i + 1 < len && !is_space(s[i + 1]))
                return -1;
            i++;
            break;
        }
        if (quote == '"')
            i = unescape_double(s, len, i, out, op);
        else
            i = unescape_single(s, len, i, out, op);
    }
    *ip = i;
    return 0;
}

/* See resp.h. Output never outgrows input, so out needs len bytes. Lines
 * longer than INT_MAX bytes are refused with -1 (the count is an int). */
int resp_split_args(const char *line, size_t len, char *out, struct resp_arg *args, int max_args)
{
    size_t i = 0, o = 0;
    int argc = 0;

    if (len > INT_MAX)
        return -1;
    for (;;) {
        size_t start;
        while (i < len && is_space(line[i]))
            i++;
        if (i == len)
            return argc;
        start = o;
        if (split_token(line, len, &i, out, &o) != 0)
            return -1;
        if (argc < max_args) {
            args[argc].ptr = out + start;
            args[argc].len = o - start;
        }
        argc++;
    }
}

/* ------------------------------------------------------------------ */
/* Lifecycle and limits                                                */
/* ------------------------------------------------------------------ */

static void default_limits(struct resp_limits *l)
{
    l->max_bulk = RESP_LIMITS_DEFAULT_MAX_BULK;
    l->max_query = RESP_LIMITS_DEFAULT_MAX_QUERY;
    l->max_inline = RESP_LIMITS_DEFAULT_MAX_INLINE;
    l->max_multibulk = RESP_LIMITS_DEFAULT_MAX_MULTIBULK;
}

/* The buffer is allocated lazily by the first resp_parser_space()/feed(). */
struct resp_parser *resp_parser_create(const struct resp_limits *limits)
{
    struct resp_parser *p = resp_realloc(NULL, sizeof(*p));

    if (p == NULL)
        return NULL;
    memset(p, 0, sizeof(*p));
    resp_parser_set_limits(p, limits);
    p->reqtype = REQ_NONE;
    p->mb_left = -1;
    p->bulk_len = -1;
    return p;
}

void resp_parser_free(struct resp_parser *p)
{
    if (p == NULL)
        return;
    free(p->buf);
    free(p->spans);
    free(p->argv);
    free(p->scratch);
    free(p);
}

/* NULL restores the Redis defaults. */
void resp_parser_set_limits(struct resp_parser *p, const struct resp_limits *limits)
{
    if (limits)
        p->limits = *limits;
    else
        default_limits(&p->limits);
}

void resp_parser_set_unauthenticated(struct resp_parser *p, int unauthenticated)
{
    p->unauthenticated = unauthenticated != 0;
}

const char *resp_parser_error(const struct resp_parser *p)
{
    return p->err ? p->errmsg : NULL;
}

size_t resp_parser_buffered(const struct resp_parser *p)
{
    return p->len - p->pos;
}

size_t resp_parser_capacity(const struct resp_parser *p)
{
    return p->cap;
}

/* ------------------------------------------------------------------ */
/* Buffer management                                                   */
/* ------------------------------------------------------------------ */

/* Moves the unconsumed bytes to the front. Offsets into the request in
 * progress are relative to pos (spans) or shifted here (cur, line_scan). */
static void compact(struct resp_parser *p)
{
    if (p->pos == 0)
        return;
    memmove(p->buf, p->buf + p->pos, p->len - p->pos);
    p->len -= p->pos;
    p->cur -= p->pos;
    p->line_scan -= p->pos;
    p->pos = 0;
}

/* Bytes the request in progress needs buffered to finish its current bulk
 * (from pos), or 0 when unknown. */
static size_t bulk_end(const struct resp_parser *p)
{
    if (p->reqtype != REQ_MULTIBULK || p->bulk_len < 0)
        return 0;
    return (p->cur - p->pos) + (size_t)p->bulk_len + 2;
}

/* Ensures min writable bytes after len. Compacts first; then grows
 * geometrically, but not past the end of a bulk in progress (so an announced
 * bulk costs memory only as its bytes arrive, and a big one does not
 * overshoot by 2x), and never past max_query + PARSER_QUERY_SLACK. Returns
 * 0 or a sticky error. */
static int reserve_buf(struct resp_parser *p, size_t min)
{
    size_t hard, need, want, end;
    char *nb;

    if (p->cap - p->len >= min)
        return 0;
    compact(p);
    if (p->cap - p->len >= min)
        return 0;
    hard = p->limits.max_query > SIZE_MAX - PARSER_QUERY_SLACK
               ? SIZE_MAX
               : p->limits.max_query + PARSER_QUERY_SLACK;
    if (p->len > hard || min > hard - p->len)
        return set_error(p, RESP_ERR_QUERY_LIMIT, "Protocol error: query buffer limit reached");
    need = p->len + min;
    want = p->cap > SIZE_MAX / 2 ? SIZE_MAX : p->cap * 2;
    if (want < PARSER_BUF_INITIAL)
        want = PARSER_BUF_INITIAL;
    end = bulk_end(p);
    if (end >= need && end < want)
        want = end;
    if (want < need)
        want = need;
    if (want > hard)
        want = hard;
    nb = resp_realloc(p->buf, want);
    if (nb == NULL)
        return nomem(p);
    p->buf = nb;
    p->cap = want;
    return 0;
}

/* Called with nothing left to parse: restart at the front for free. */
static void reset_if_drained(struct resp_parser *p)
{
    if (p->pos == p->len && p->reqtype == REQ_NONE)
        p->pos = p->len = p->cur = p->line_scan = 0;
}

char *resp_parser_space(struct resp_parser *p, size_t min, size_t *avail)
{
    *avail = 0;
    if (p->err)
        return NULL;
    if (min == 0)
        min = 1;
    reset_if_drained(p);
    if (reserve_buf(p, min) != 0)
        return NULL;
    *avail = p->cap - p->len;
    return p->buf + p->len;
}

/* n must not exceed the *avail of the preceding resp_parser_space(); a
 * larger n is clamped to the buffer so a caller bug cannot overrun it. */
void resp_parser_commit(struct resp_parser *p, size_t n)
{
    if (n > p->cap - p->len)
        n = p->cap - p->len;
    p->len += n;
}

int resp_parser_feed(struct resp_parser *p, const char *data, size_t len)
{
    size_t avail;
    char *dst;

    if (p->err)
        return p->err;
    if (len == 0)
        return 0;
    dst = resp_parser_space(p, len, &avail);
    if (dst == NULL)
        return p->err;
    memcpy(dst, data, len);
    resp_parser_commit(p, len);
    return 0;
}

/* Releases the buffer beyond max(buffered, PARSER_BUF_INITIAL), and the
 * argument arrays of a past huge request. A failed realloc keeps the old,
 * larger allocation: nothing is lost. */
void resp_parser_shrink(struct resp_parser *p)
{
    size_t target = p->len - p->pos;
    char *nb;

    if (target < PARSER_BUF_INITIAL)
        target = PARSER_BUF_INITIAL;
    reset_if_drained(p);
    if (p->cap > target) {
        compact(p);
        nb = resp_realloc(p->buf, target);
        if (nb != NULL) {
            p->buf = nb;
            p->cap = target;
        }
    }
    if (p->reqtype != REQ_NONE)
        return;
    if (p->spans_cap > PARSER_ARGV_INITIAL_MAX) {
        free(p->spans);
        p->spans = NULL;
        p->spans_cap = 0;
    }
    if (p->argv_cap > PARSER_ARGV_INITIAL_MAX) {
        free(p->argv);
        p->argv = NULL;
        p->argv_cap = 0;
    }
    if (p->scratch_cap > PARSER_BUF_INITIAL) {
        free(p->scratch);
        p->scratch = NULL;
        p->scratch_cap = 0;
    }
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

/* Finds the header line starting at cur. Like Redis, the line ends at the
 * first '\r' and the byte after it is skipped unchecked. Returns 1 with the
 * offset of '\r' once that byte is buffered, 0 when more input is needed,
 * or a protocol error (text `too_big`) when more than max_inline bytes came
 * without a '\r'. The search resumes where it stopped: no rescans. */
static int find_line(struct resp_parser *p, const char *too_big, size_t *cr)
{
    const char *hit = memchr(p->buf + p->line_scan, '\r', p->len - p->line_scan);

    if (hit == NULL) {
        p->line_scan = p->len;
        if (p->len - p->cur > p->limits.max_inline)
            return protocol_error(p, too_big);
        return 0;
    }
    p->line_scan = (size_t)(hit - p->buf);
    if (p->line_scan + 1 >= p->len)
        return 0;
    *cr = p->line_scan;
    return 1;
}

/* Moves past a header line whose '\r' is at cr. */
static void skip_line(struct resp_parser *p, size_t cr)
{
    p->cur = cr + 2;
    p->line_scan = p->cur;
}

/* Reads "*<count>\r\n". Returns 1 (mb_left set; 0 means "skip this
 * request"), 0 for more input, or an error. */
static int read_count(struct resp_parser *p)
{
    size_t cr = 0, reserve_n;
    long long n;
    int rc = find_line(p, "Protocol error: too big mbulk count string", &cr);

    if (rc <= 0)
        return rc;
    if (!parse_ll(p->buf + p->cur + 1, cr - p->cur - 1, &n) || n > p->limits.max_multibulk ||
        n > INT_MAX)
        return protocol_error(p, "Protocol error: invalid multibulk length");
    if (n > UNAUTH_MAX_MULTIBULK && p->unauthenticated)
        return protocol_error(p, "Protocol error: unauthenticated multibulk length");
    skip_line(p, cr);
    p->mb_left = n > 0 ? n : 0;
    p->argc = 0;
    /* Reserve for the announced count only up to a cap: the count is a
     * claim, the elements are what costs memory. */
    reserve_n = n > PARSER_ARGV_INITIAL_MAX ? PARSER_ARGV_INITIAL_MAX : (size_t)p->mb_left;
    if (reserve_spans(p, reserve_n, reserve_n) != 0)
        return p->err;
    return 1;
}

/* Reads "$<len>\r\n" into bulk_len. Returns 1, 0 for more input, or an
 * error. */
static int read_bulk_header(struct resp_parser *p)
{
    size_t cr = 0;
    long long n;
    int rc = find_line(p, "Protocol error: too big bulk count string", &cr);

    if (rc <= 0)
        return rc;
    if (p->buf[p->cur] != '$')
        return expected_dollar_error(p, p->buf[p->cur]);
    if (!parse_ll(p->buf + p->cur + 1, cr - p->cur - 1, &n) || n < 0 ||
        (unsigned long long)n > p->limits.max_bulk)
        return protocol_error(p, "Protocol error: invalid bulk length");
    if (n > UNAUTH_MAX_BULK && p->unauthenticated)
        return protocol_error(p, "Protocol error: unauthenticated bulk length");
    skip_line(p, cr);
    p->bulk_len = n;
    return 1;
}

/* Records the element at cur once its bytes and the 2 bytes after them
 * (unchecked, as in Redis) are buffered. Returns 1, 0, or an error. */
static int read_bulk_data(struct resp_parser *p)
{
    size_t n = (size_t)p->bulk_len;
    size_t have = p->len - p->cur;

    if (have < n || have - n < 2)
        return 0;
    if (reserve_spans(p, p->argc + 1, p->argc + (size_t)p->mb_left) != 0)
        return p->err;
    p->spans[p->argc].off = p->cur - p->pos;
    p->spans[p->argc].len = n;
    p->argc++;
    p->cur += n + 2;
    p->line_scan = p->cur;
    p->bulk_len = -1;
    p->mb_left--;
    return 1;
}

/* Advances the multibulk request in progress as far as the buffered bytes
 * allow. Returns 1 when complete (argc may be 0: skip), 0, or an error. */
static int parse_multibulk(struct resp_parser *p)
{
    int rc;

    if (p->mb_left < 0 && (rc = read_count(p)) <= 0)
        return rc;
    while (p->mb_left > 0) {
        if (p->bulk_len < 0 && (rc = read_bulk_header(p)) <= 0)
            return rc;
        if ((rc = read_bulk_data(p)) <= 0)
            return rc;
    }
    return 1;
}

/* Parses one inline line (up to '\n', minus a '\r' before it) into argv,
 * unescaped into scratch. Returns 1 (argc may be 0: skip), 0, or an
 * error. */
static int parse_inline(struct resp_parser *p)
{
    const char *nl = memchr(p->buf + p->line_scan, '\n', p->len - p->line_scan);
    size_t end, line_len;
    int n;

    if (nl == NULL) {
        p->line_scan = p->len;
        if (p->len - p->pos > p->limits.max_inline)
            return protocol_error(p, "Protocol error: too big inline request");
        return 0;
    }
    end = (size_t)(nl - p->buf);
    line_len = end - p->pos;
    if (line_len > 0 && p->buf[end - 1] == '\r')
        line_len--;
    if (reserve_scratch(p, line_len) != 0)
        return p->err;
    for (;;) {
        n = resp_split_args(p->buf + p->pos, line_len, p->scratch, p->argv, (int)p->argv_cap);
        if (n < 0)
            return protocol_error(p, "Protocol error: unbalanced quotes in request");
        if ((size_t)n <= p->argv_cap)
            break;
        if (reserve_argv(p, (size_t)n) != 0)
            return p->err;
    }
    p->argc = (size_t)n;
    p->cur = end + 1;
    return 1;
}

/* Fills argv from the spans of the multibulk request starting at pos. */
static int export_multibulk(struct resp_parser *p)
{
    size_t i;

    if (reserve_argv(p, p->argc) != 0)
        return p->err;
    for (i = 0; i < p->argc; i++) {
        p->argv[i].ptr = p->buf + p->pos + p->spans[i].off;
        p->argv[i].len = p->spans[i].len;
    }
    return 0;
}

static void begin_request(struct resp_parser *p)
{
    p->reqtype = p->buf[p->pos] == '*' ? REQ_MULTIBULK : REQ_INLINE;
    p->cur = p->line_scan = p->pos;
    p->mb_left = -1;
    p->bulk_len = -1;
    p->argc = 0;
}

/* Marks the request that ends at cur consumed. Its bytes stay in place
 * until the next call, so the argv handed out remains valid until then. */
static void end_request(struct resp_parser *p)
{
    p->pos = p->line_scan = p->cur;
    p->reqtype = REQ_NONE;
}

/* See resp.h. Empty inline lines and multibulk counts <= 0 are consumed
 * without a reply, as Redis does, and parsing continues behind them. */
int resp_parser_next(struct resp_parser *p, struct resp_request *out)
{
    for (;;) {
        int rc, is_inline;

        if (p->err)
            return p->err;
        if (p->len - p->pos > p->limits.max_query)
            return set_error(p, RESP_ERR_QUERY_LIMIT, "Protocol error: query buffer limit reached");
        if (p->reqtype == REQ_NONE) {
            reset_if_drained(p);
            if (p->pos == p->len)
                return RESP_NEED_MORE;
            begin_request(p);
        }
        is_inline = p->reqtype == REQ_INLINE;
        rc = is_inline ? parse_inline(p) : parse_multibulk(p);
        if (rc <= 0)
            return rc;
        if (p->argc == 0) {
            end_request(p);
            continue;
        }
        if (!is_inline && export_multibulk(p) != 0)
            return p->err;
        end_request(p);
        out->argc = (int)p->argc;
        out->argv = p->argv;
        out->is_inline = is_inline;
        return RESP_REQUEST;
    }
}
