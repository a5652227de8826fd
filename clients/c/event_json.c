/* event_json.c — an event as one line of JSON, binary-safe: byte strings
 * that are valid UTF-8 become JSON strings, any other bytes
 * {"base64":"..."}, so every byte survives and no two inputs give the
 * same text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swl_internal.h"

/* A growing output buffer; an allocation failure is sticky. */
struct jbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void jb_reserve(struct jbuf *b, size_t more)
{
    if (b->oom || b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
    jb_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void jb_puts(struct jbuf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

static void jb_u64(struct jbuf *b, unsigned long long v, int negative)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "%s%llu", negative ? "-" : "", v);
    jb_put(b, num, (size_t)n);
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2, cp = p[0] & 0x1fu;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3, cp = p[0] & 0x0fu;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4, cp = p[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

static int valid_utf8(swl_bytes s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    for (size_t i = 0; i < s.len;) {
        size_t n = utf8_seq(p + i, s.len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

static void jb_base64(struct jbuf *b, swl_bytes s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)s.ptr;
    jb_puts(b, "{\"base64\":\"");
    for (size_t i = 0; i < s.len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < s.len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < s.len)
            v |= p[i + 2];
        char q[4] = { tab[(v >> 18) & 63], tab[(v >> 12) & 63], i + 1 < s.len ? tab[(v >> 6) & 63] : '=',
                      i + 2 < s.len ? tab[v & 63] : '=' };
        jb_put(b, q, 4);
    }
    jb_puts(b, "\"}");
}

/* s as a JSON string (valid UTF-8), {"base64":...} (other bytes) or null
 * (absent). */
static void jb_bytes(struct jbuf *b, swl_bytes s)
{
    if (s.ptr == NULL) {
        jb_puts(b, "null");
        return;
    }
    if (!valid_utf8(s)) {
        jb_base64(b, s);
        return;
    }
    jb_put(b, "\"", 1);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.ptr[i];
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            jb_put(b, esc, 2);
        } else if (ch == '\n' || ch == '\r' || ch == '\t') {
            esc[0] = '\\';
            esc[1] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
            jb_put(b, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            int n = snprintf(esc, sizeof(esc), "\\u%04x", ch);
            jb_put(b, esc, (size_t)n);
        } else {
            jb_put(b, (const char *)&s.ptr[i], 1);
        }
    }
    jb_put(b, "\"", 1);
}

int swl_event_to_json(const swl_event *ev, char **out, size_t *len)
{
    struct jbuf b = { 0 };
    jb_puts(&b, "{\"stream\":");
    jb_bytes(&b, swl_str(ev->stream));
    jb_puts(&b, ",\"offset\":");
    jb_u64(&b, ev->offset, 0);
    jb_puts(&b, ",\"lamport\":");
    jb_u64(&b, ev->lamport, 0);
    jb_puts(&b, ",\"timestamp\":");
    jb_u64(&b, ev->timestamp_us < 0 ? 0 - (unsigned long long)ev->timestamp_us : (unsigned long long)ev->timestamp_us,
           ev->timestamp_us < 0);
    jb_puts(&b, ",\"key\":");
    jb_bytes(&b, ev->key);
    jb_puts(&b, ",\"id\":");
    jb_bytes(&b, ev->entry_id);
    jb_puts(&b, ",\"tags\":[");
    for (size_t i = 0; i < ev->ntags; i++) {
        if (i)
            jb_put(&b, ",", 1);
        jb_bytes(&b, ev->tags[i]);
    }
    jb_puts(&b, "],\"type\":");
    jb_bytes(&b, ev->type);
    jb_puts(&b, ",\"eventid\":");
    jb_bytes(&b, ev->event_id);
    jb_puts(&b, ",\"payload\":[");
    for (size_t i = 0; i < ev->nfields; i++) {
        if (i)
            jb_put(&b, ",", 1);
        jb_bytes(&b, ev->fields[i].name);
        jb_put(&b, ",", 1);
        jb_bytes(&b, ev->fields[i].value);
    }
    jb_puts(&b, "]}");
    if (b.oom) {
        free(b.p);
        return SWL_ERR_NOMEM;
    }
    *out = b.p;
    if (len)
        *len = b.len;
    return SWL_OK;
}
