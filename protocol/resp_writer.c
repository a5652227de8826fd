/* resp_writer.c — RESP2/RESP3 reply framing, byte for byte as Redis 7.0's
 * networking.c addReply*() family.
 *
 * Buffer layout. resp_buf_consume() must leave the unsent bytes at
 * data[0..len), but moving them on every partial write makes sending a big
 * reply to a slow client quadratic. So consume only advances `data`; the
 * distance from the allocation start to `data` ("head") is stored in the
 * sizeof(size_t) bytes just before `data` (bytes that are already sent or
 * are the initial header), which lets us find the allocation again without
 * a field in struct resp_buf:
 *
 *     base           data-HDR   data              data+len    data+cap
 *     | sent bytes ... | head   | unsent bytes ... | free ...  |
 *
 * `cap` counts from `data`. The dead prefix is reclaimed when an append
 * needs room (slide back when that is cheaper than growing, see
 * buf_reserve) and whenever the buffer becomes empty. */
#include "resp.h"
#include "resp_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_HDR sizeof(size_t)
#define BUF_MIN_ALLOC 1024u

/* ------------------------------------------------------------------ */
/* Allocation hook                                                     */
/* ------------------------------------------------------------------ */

static resp_realloc_fn realloc_hook;

void resp_set_realloc_hook(resp_realloc_fn hook)
{
    realloc_hook = hook;
}

void *resp_realloc(void *ptr, size_t size)
{
    return realloc_hook ? realloc_hook(ptr, size) : realloc(ptr, size);
}

/* ------------------------------------------------------------------ */
/* Integer formatting (the hot path: no snprintf)                      */
/* ------------------------------------------------------------------ */

static const char digit_pairs[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t resp_fmt_u64(char *dst, unsigned long long v)
{
    char tmp[RESP_INT_CHARS];
    size_t i = sizeof(tmp);

    while (v >= 100) {
        unsigned idx = (unsigned)(v % 100) * 2;
        v /= 100;
        tmp[--i] = digit_pairs[idx + 1];
        tmp[--i] = digit_pairs[idx];
    }
    if (v >= 10) {
        unsigned idx = (unsigned)v * 2;
        tmp[--i] = digit_pairs[idx + 1];
        tmp[--i] = digit_pairs[idx];
    } else {
        tmp[--i] = (char)('0' + v);
    }
    memcpy(dst, tmp + i, sizeof(tmp) - i);
    return sizeof(tmp) - i;
}

size_t resp_fmt_i64(char *dst, long long v)
{
    if (v >= 0)
        return resp_fmt_u64(dst, (unsigned long long)v);
    /* Negate in unsigned arithmetic so LLONG_MIN does not overflow. */
    dst[0] = '-';
    return 1 + resp_fmt_u64(dst + 1, 0ULL - (unsigned long long)v);
}

/* ------------------------------------------------------------------ */
/* Buffer management                                                   */
/* ------------------------------------------------------------------ */

static size_t buf_head(const struct resp_buf *b)
{
    size_t head;
    memcpy(&head, b->data - BUF_HDR, sizeof(head));
    return head;
}

static void buf_set_head(struct resp_buf *b, size_t head)
{
    memcpy(b->data - BUF_HDR, &head, sizeof(head));
}

/* Moves the unsent bytes back to the start of the allocation. */
static void buf_slide(struct resp_buf *b)
{
    size_t head = buf_head(b);
    char *to = b->data - head + BUF_HDR;

    if (head == BUF_HDR)
        return;
    memmove(to, b->data, b->len);
    b->data = to;
    b->cap += head - BUF_HDR;
    buf_set_head(b, BUF_HDR);
}

/* Makes room for `extra` more bytes. Returns 0, or -1 after setting oom.
 * Sliding back costs `len` bytes of copying; it is done alone only when the
 * dead prefix is at least that large (so each byte is moved at most once per
 * time it is consumed), otherwise together with a geometric growth. */
static int buf_reserve(struct resp_buf *b, size_t extra)
{
    size_t head, total, need, want;
    char *base;

    if (b->oom)
        return -1;
    if (b->cap - b->len >= extra)
        return 0;
    head = b->data ? buf_head(b) : BUF_HDR;
    if (b->data && head - BUF_HDR >= b->len && b->cap - b->len + (head - BUF_HDR) >= extra) {
        buf_slide(b);
        return 0;
    }
    if (b->data)
        buf_slide(b);
    total = b->data ? BUF_HDR + b->cap : 0;
    if (extra > SIZE_MAX - BUF_HDR - b->len)
        goto fail;
    need = BUF_HDR + b->len + extra;
    want = total > SIZE_MAX / 2 ? SIZE_MAX : total * 2;
    if (want < need)
        want = need;
    if (want < BUF_MIN_ALLOC)
        want = BUF_MIN_ALLOC;
    base = resp_realloc(b->data ? b->data - BUF_HDR : NULL, want);
    if (base == NULL)
        goto fail;
    b->data = base + BUF_HDR;
    b->cap = want - BUF_HDR;
    buf_set_head(b, BUF_HDR);
    return 0;
fail:
    b->oom = 1;
    return -1;
}

void resp_buf_init(struct resp_buf *b, int proto)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->proto = proto;
    b->oom = 0;
}

void resp_buf_free(struct resp_buf *b)
{
    if (b->data)
        free(b->data - buf_head(b));
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* O(1): advances past the sent bytes; the space is reclaimed lazily. */
void resp_buf_consume(struct resp_buf *b, size_t n)
{
    size_t head;

    if (b->data == NULL)
        return;
    head = buf_head(b);
    if (n >= b->len) {
        /* Empty: restart at the front of the allocation for free. */
        b->data -= head - BUF_HDR;
        b->cap += head - BUF_HDR;
        b->len = 0;
        buf_set_head(b, BUF_HDR);
        return;
    }
    b->data += n;
    b->len -= n;
    b->cap -= n;
    buf_set_head(b, head + n);
}

void resp_buf_shrink(struct resp_buf *b, size_t keep)
{
    if (b->data == NULL || b->len != 0)
        return;
    if (buf_head(b) + b->cap > keep)
        resp_buf_free(b);
}

/* ------------------------------------------------------------------ */
/* Framing helpers                                                     */
/* ------------------------------------------------------------------ */

/* Room for a type byte, a 20-digit number and CRLF. */
#define HEADER_MAX (1 + RESP_INT_CHARS + 2)

static size_t fmt_header(char *dst, char type, unsigned long long n)
{
    size_t len;

    dst[0] = type;
    len = 1 + resp_fmt_u64(dst + 1, n);
    dst[len++] = '\r';
    dst[len++] = '\n';
    return len;
}

static void put(struct resp_buf *b, const char *s, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return;
    if (len)
        memcpy(b->data + b->len, s, len);
    b->len += len;
}

static void put_header(struct resp_buf *b, char type, unsigned long long n)
{
    char hdr[HEADER_MAX];

    put(b, hdr, fmt_header(hdr, type, n));
}

/* Writes <type><text with CR/LF replaced by spaces>\r\n. */
static void put_line(struct resp_buf *b, char type, const char *s, size_t len)
{
    char *dst;
    size_t i;

    if (len > SIZE_MAX - 3 || buf_reserve(b, len + 3) != 0) {
        b->oom = 1;
        return;
    }
    dst = b->data + b->len;
    dst[0] = type;
    if (len)
        memcpy(dst + 1, s, len);
    for (i = 1; i <= len; i++) {
        if (dst[i] == '\r' || dst[i] == '\n')
            dst[i] = ' ';
    }
    dst[len + 1] = '\r';
    dst[len + 2] = '\n';
    b->len += len + 3;
}

static int is_resp3(const struct resp_buf *b)
{
    return b->proto >= 3;
}

/* ------------------------------------------------------------------ */
/* Public writers                                                      */
/* ------------------------------------------------------------------ */

/* Like Redis's addReplyStatusLength, but CR/LF are replaced by spaces (as
 * for errors) so that a caller's mistake cannot break framing. */
void resp_add_simple(struct resp_buf *b, const char *s, size_t len)
{
    put_line(b, '+', s, len);
}

void resp_add_error(struct resp_buf *b, const char *s, size_t len)
{
    put_line(b, '-', s, len);
}

void resp_add_int(struct resp_buf *b, long long v)
{
    char tmp[1 + RESP_INT_CHARS + 2];
    size_t len = 1;

    tmp[0] = ':';
    len += resp_fmt_i64(tmp + 1, v);
    tmp[len++] = '\r';
    tmp[len++] = '\n';
    put(b, tmp, len);
}

/* One reservation for header, payload and CRLF: a bulk is never split by an
 * out-of-memory failure halfway (oom is sticky anyway). */
void resp_add_bulk(struct resp_buf *b, const char *s, size_t len)
{
    char hdr[HEADER_MAX];
    size_t hlen = fmt_header(hdr, '$', len);
    char *dst;

    if (len > SIZE_MAX - HEADER_MAX - 2 || buf_reserve(b, hlen + len + 2) != 0) {
        b->oom = 1;
        return;
    }
    dst = b->data + b->len;
    memcpy(dst, hdr, hlen);
    if (len)
        memcpy(dst + hlen, s, len);
    dst[hlen + len] = '\r';
    dst[hlen + len + 1] = '\n';
    b->len += hlen + len + 2;
}

void resp_add_null(struct resp_buf *b)
{
    if (is_resp3(b))
        put(b, "_\r\n", 3);
    else
        put(b, "$-1\r\n", 5);
}

void resp_add_null_array(struct resp_buf *b)
{
    if (is_resp3(b))
        put(b, "_\r\n", 3);
    else
        put(b, "*-1\r\n", 5);
}

void resp_add_array(struct resp_buf *b, size_t n)
{
    put_header(b, '*', n);
}

/* RESP2 has no map: a flat array of 2n elements (key, value, ...). */
void resp_add_map(struct resp_buf *b, size_t n)
{
    if (is_resp3(b))
        put_header(b, '%', n);
    else
        put_header(b, '*', 2ULL * n);
}

void resp_add_set(struct resp_buf *b, size_t n)
{
    put_header(b, is_resp3(b) ? '~' : '*', n);
}

void resp_add_push(struct resp_buf *b, size_t n)
{
    put_header(b, is_resp3(b) ? '>' : '*', n);
}

/* Text of a double as Redis writes it: "%.17g", with inf/-inf/nan spelled
 * out explicitly (libc spellings differ, and glibc prints "-nan"). Returns
 * the length; dst must hold 32 bytes. */
static size_t fmt_double(char *dst, double d)
{
    int n;

    if (isnan(d)) {
        memcpy(dst, "nan", 3);
        return 3;
    }
    if (isinf(d)) {
        memcpy(dst, d > 0 ? "inf" : "-inf", d > 0 ? 3 : 4);
        return d > 0 ? 3 : 4;
    }
    n = snprintf(dst, 32, "%.17g", d);
    return n > 0 && n < 32 ? (size_t)n : 0;
}

void resp_add_double(struct resp_buf *b, double d)
{
    char tmp[32 + 3];
    size_t len;

    if (!is_resp3(b)) {
        len = fmt_double(tmp, d);
        resp_add_bulk(b, tmp, len);
        return;
    }
    tmp[0] = ',';
    len = 1 + fmt_double(tmp + 1, d);
    tmp[len++] = '\r';
    tmp[len++] = '\n';
    put(b, tmp, len);
}

void resp_add_bool(struct resp_buf *b, int v)
{
    if (is_resp3(b))
        put(b, v ? "#t\r\n" : "#f\r\n", 4);
    else
        put(b, v ? ":1\r\n" : ":0\r\n", 4);
}

/* RESP3: =<len+4>\r\n<ext>:<s>\r\n; RESP2: a plain bulk of s. A NULL ext
 * means "txt". */
void resp_add_verbatim(struct resp_buf *b, const char *s, size_t len, const char *ext)
{
    char hdr[HEADER_MAX + 4];
    size_t hlen;

    if (!is_resp3(b)) {
        resp_add_bulk(b, s, len);
        return;
    }
    if (len > SIZE_MAX - HEADER_MAX - 6) {
        b->oom = 1;
        return;
    }
    hlen = fmt_header(hdr, '=', (unsigned long long)len + 4);
    memcpy(hdr + hlen, ext ? ext : "txt", 3);
    hdr[hlen + 3] = ':';
    if (buf_reserve(b, hlen + 4 + len + 2) != 0)
        return;
    put(b, hdr, hlen + 4);
    put(b, s, len);
    put(b, "\r\n", 2);
}

void resp_add_raw(struct resp_buf *b, const char *s, size_t len)
{
    put(b, s, len);
}

/* ------------------------------------------------------------------ */
/* Deferred aggregate lengths                                          */
/* ------------------------------------------------------------------ */

/* The mark is an offset into data[]: resp_buf_consume() invalidates it. */
size_t resp_defer(struct resp_buf *b)
{
    return b->len;
}

/* Inserts an aggregate header at `mark`, moving the bytes written since.
 * A mark beyond len can only come from misuse (a consume in between); the
 * reply would be unframeable, so the buffer is marked failed (oom) and the
 * owner drops the connection. */
static void set_deferred(struct resp_buf *b, size_t mark, char type, unsigned long long n)
{
    char hdr[HEADER_MAX];
    size_t hlen;

    if (b->oom)
        return;
    if (mark > b->len) {
        b->oom = 1;
        return;
    }
    hlen = fmt_header(hdr, type, n);
    if (buf_reserve(b, hlen) != 0)
        return;
    memmove(b->data + mark + hlen, b->data + mark, b->len - mark);
    memcpy(b->data + mark, hdr, hlen);
    b->len += hlen;
}

void resp_set_deferred_array(struct resp_buf *b, size_t mark, size_t n)
{
    set_deferred(b, mark, '*', n);
}

void resp_set_deferred_map(struct resp_buf *b, size_t mark, size_t n)
{
    if (is_resp3(b))
        set_deferred(b, mark, '%', n);
    else
        set_deferred(b, mark, '*', 2ULL * n);
}

void resp_set_deferred_set(struct resp_buf *b, size_t mark, size_t n)
{
    set_deferred(b, mark, is_resp3(b) ? '~' : '*', n);
}
