/* offsets.c — the offset map as a value: parse the server's JSON text,
 * merge events and maps in (per stream, the maximum), serialize. A map
 * holds a handful of streams (one per node), so it is a small array kept
 * in insertion order and searched linearly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swl_internal.h"

#define OFFSET_LIMIT (UINT64_C(1) << 63) /* offsets are below 2^63, as the server's */

struct swl_offset_entry {
    char *stream;
    uint64_t offset;
};

struct swl_offsets {
    struct swl_offset_entry *e;
    size_t n, cap;
};

int swl_offsets_new(swl_offsets **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? SWL_OK : SWL_ERR_NOMEM;
}

void swl_offsets_free(swl_offsets *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->e[i].stream);
    free(m->e);
    free(m);
}

static struct swl_offset_entry *find(const swl_offsets *m, const char *stream)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->e[i].stream, stream) == 0)
            return &m->e[i];
    return NULL;
}

/* Appends (stream, offset), taking stream. 0 or -1 (OOM: stream kept by the caller). */
static int append(swl_offsets *m, char *stream, uint64_t offset)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        struct swl_offset_entry *e = realloc(m->e, cap * sizeof(*e));
        if (e == NULL)
            return -1;
        m->e = e;
        m->cap = cap;
    }
    m->e[m->n].stream = stream;
    m->e[m->n].offset = offset;
    m->n++;
    return 0;
}

int swl_offsets_copy(const swl_offsets *m, swl_offsets **out)
{
    if (swl_offsets_new(out) != SWL_OK)
        return SWL_ERR_NOMEM;
    for (size_t i = 0; i < m->n; i++) {
        char *s = strdup(m->e[i].stream);
        if (s == NULL || append(*out, s, m->e[i].offset) != 0) {
            free(s);
            swl_offsets_free(*out);
            *out = NULL;
            return SWL_ERR_NOMEM;
        }
    }
    return SWL_OK;
}

size_t swl_offsets_count(const swl_offsets *m)
{
    return m->n;
}

int swl_offsets_entry(const swl_offsets *m, size_t i, const char **stream, uint64_t *offset)
{
    if (i >= m->n)
        return SWL_ERR_ARG;
    *stream = m->e[i].stream;
    *offset = m->e[i].offset;
    return SWL_OK;
}

int swl_offsets_get(const swl_offsets *m, const char *stream, uint64_t *offset)
{
    const struct swl_offset_entry *e = find(m, stream);
    if (e == NULL)
        return 0;
    *offset = e->offset;
    return 1;
}

int swl_offsets_set(swl_offsets *m, const char *stream, uint64_t offset)
{
    if (stream == NULL || stream[0] == '\0' || offset >= OFFSET_LIMIT)
        return SWL_ERR_ARG;
    struct swl_offset_entry *e = find(m, stream);
    if (e) {
        e->offset = offset;
        return SWL_OK;
    }
    char *s = strdup(stream);
    if (s == NULL || append(m, s, offset) != 0) {
        free(s);
        return SWL_ERR_NOMEM;
    }
    return SWL_OK;
}

int swl_offsets_covers(const swl_offsets *m, const char *stream, uint64_t offset)
{
    const struct swl_offset_entry *e = find(m, stream);
    return e != NULL && offset <= e->offset;
}

/* Raises stream to at least offset. */
static int raise_to(swl_offsets *m, const char *stream, uint64_t offset)
{
    struct swl_offset_entry *e = find(m, stream);
    if (e) {
        if (offset > e->offset)
            e->offset = offset;
        return SWL_OK;
    }
    return swl_offsets_set(m, stream, offset);
}

int swl_offsets_merge(swl_offsets *dst, const swl_offsets *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = raise_to(dst, src->e[i].stream, src->e[i].offset);
        if (rc != SWL_OK)
            return rc;
    }
    return SWL_OK;
}

int swl_offsets_merge_event(swl_offsets *m, const swl_event *ev)
{
    return raise_to(m, ev->stream, ev->offset);
}

/* ---- JSON ---- */

struct jcursor {
    const char *p;
    size_t len, pos;
    char *err;
    size_t errlen;
};

static int jfail(struct jcursor *c, const char *what)
{
    if (c->err && c->errlen) {
        if (c->pos >= c->len)
            snprintf(c->err, c->errlen, "invalid offset map: %s at the end", what);
        else
            snprintf(c->err, c->errlen, "invalid offset map: %s at position %zu", what, c->pos + 1);
    }
    return SWL_ERR_PARSE;
}

static void skip_ws(struct jcursor *c)
{
    while (c->pos < c->len &&
           (c->p[c->pos] == ' ' || c->p[c->pos] == '\t' || c->p[c->pos] == '\n' || c->p[c->pos] == '\r'))
        c->pos++;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* One escape after the backslash at c->pos - 1; the byte in *out. */
static int parse_escape(struct jcursor *c, char *out)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (c->pos >= c->len)
        return jfail(c, "unterminated string");
    char e = c->p[c->pos];
    const char *k = e ? memchr(from, e, sizeof(from) - 1) : NULL;
    if (k) {
        *out = to[k - from];
        c->pos++;
        return SWL_OK;
    }
    if (e != 'u' || c->pos + 5 > c->len || c->p[c->pos + 1] != '0' || c->p[c->pos + 2] != '0')
        return jfail(c, "unsupported escape (\\u00XX is the only \\u form)");
    int hi = hexval(c->p[c->pos + 3]), lo = hexval(c->p[c->pos + 4]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return jfail(c, "bad \\u00XX escape");
    *out = (char)(hi * 16 + lo);
    c->pos += 5;
    return SWL_OK;
}

/* A JSON string at c->pos into a malloc'd NUL-terminated *out. */
static int parse_string(struct jcursor *c, char **out)
{
    if (c->pos >= c->len || c->p[c->pos] != '"')
        return jfail(c, "expected a string");
    c->pos++;
    char *s = malloc(c->len - c->pos + 1);
    if (s == NULL)
        return SWL_ERR_NOMEM;
    size_t n = 0;
    int rc = SWL_OK;
    for (;;) {
        if (c->pos >= c->len) {
            rc = jfail(c, "unterminated string");
            break;
        }
        unsigned char ch = (unsigned char)c->p[c->pos];
        if (ch == '"') {
            c->pos++;
            break;
        }
        if (ch < 0x20) {
            rc = jfail(c, "control character in a string");
            break;
        }
        c->pos++;
        if (ch == '\\' && (rc = parse_escape(c, &s[n])) != SWL_OK)
            break;
        if (ch != '\\')
            s[n] = (char)ch;
        n++;
    }
    if (rc != SWL_OK) {
        free(s);
        return rc;
    }
    s[n] = '\0';
    *out = s;
    return SWL_OK;
}

static int parse_offset(struct jcursor *c, uint64_t *out)
{
    if (c->pos < c->len && c->p[c->pos] == '-')
        return jfail(c, "negative offset");
    if (c->pos >= c->len || c->p[c->pos] < '0' || c->p[c->pos] > '9')
        return jfail(c, "expected an offset (an integer >= 0)");
    if (c->p[c->pos] == '0' && c->pos + 1 < c->len && c->p[c->pos + 1] >= '0' && c->p[c->pos + 1] <= '9')
        return jfail(c, "leading zero in an offset");
    uint64_t v = 0;
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        unsigned d = (unsigned)(c->p[c->pos] - '0');
        if (v > (OFFSET_LIMIT - 1 - d) / 10)
            return jfail(c, "offset too large (offsets are below 2^63)");
        v = v * 10 + d;
        c->pos++;
    }
    if (c->pos < c->len && (c->p[c->pos] == '.' || c->p[c->pos] == 'e' || c->p[c->pos] == 'E'))
        return jfail(c, "an offset is an integer");
    *out = v;
    return SWL_OK;
}

/* One "stream": offset member into m. */
static int parse_member(struct jcursor *c, swl_offsets *m)
{
    char *stream = NULL;
    uint64_t offset = 0;
    size_t at = c->pos;
    int rc = parse_string(c, &stream);
    if (rc != SWL_OK)
        return rc;
    if (stream[0] == '\0' || find(m, stream)) {
        c->pos = at;
        rc = jfail(c, stream[0] == '\0' ? "empty stream id" : "stream given twice");
    } else {
        skip_ws(c);
        if (c->pos >= c->len || c->p[c->pos] != ':')
            rc = jfail(c, "expected ':'");
        else {
            c->pos++;
            skip_ws(c);
            rc = parse_offset(c, &offset);
        }
    }
    if (rc == SWL_OK && append(m, stream, offset) != 0)
        rc = SWL_ERR_NOMEM;
    if (rc != SWL_OK)
        free(stream);
    return rc;
}

static int parse_object(struct jcursor *c, swl_offsets *m)
{
    skip_ws(c);
    if (c->pos >= c->len || c->p[c->pos] != '{')
        return jfail(c, "expected '{'");
    c->pos++;
    skip_ws(c);
    if (c->pos < c->len && c->p[c->pos] == '}') {
        c->pos++;
    } else {
        for (;;) {
            int rc = parse_member(c, m);
            if (rc != SWL_OK)
                return rc;
            skip_ws(c);
            if (c->pos < c->len && c->p[c->pos] == ',') {
                c->pos++;
                skip_ws(c);
                continue;
            }
            if (c->pos < c->len && c->p[c->pos] == '}') {
                c->pos++;
                break;
            }
            return jfail(c, "expected ',' or '}'");
        }
    }
    skip_ws(c);
    return c->pos == c->len ? SWL_OK : jfail(c, "text after the map");
}

int swl_offsets_parse(const char *text, size_t len, swl_offsets **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (text == NULL)
        return SWL_ERR_ARG;
    swl_offsets *m;
    if (swl_offsets_new(&m) != SWL_OK)
        return SWL_ERR_NOMEM;
    struct jcursor c = { text, len, 0, err, errlen };
    int rc = parse_object(&c, m);
    if (rc != SWL_OK) {
        if (rc == SWL_ERR_NOMEM && err && errlen)
            snprintf(err, errlen, "out of memory");
        swl_offsets_free(m);
        return rc;
    }
    *out = m;
    return SWL_OK;
}

int swl_offsets_to_json(const swl_offsets *m, char **out, size_t *len)
{
    size_t cap = 3; /* {, }, NUL; per member: quotes, colon, comma, 19 digits, 6 bytes per escaped byte */
    for (size_t i = 0; i < m->n; i++)
        cap += 6 * strlen(m->e[i].stream) + 24;
    char *s = malloc(cap), *p = s;
    if (s == NULL)
        return SWL_ERR_NOMEM;
    *p++ = '{';
    for (size_t i = 0; i < m->n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const unsigned char *q = (const unsigned char *)m->e[i].stream; *q; q++) {
            if (*q == '"' || *q == '\\') {
                *p++ = '\\';
                *p++ = (char)*q;
            } else if (*q < 0x20) {
                p += snprintf(p, 7, "\\u%04x", *q);
            } else {
                *p++ = (char)*q;
            }
        }
        p += snprintf(p, 24, "\":%llu", (unsigned long long)m->e[i].offset);
    }
    *p++ = '}';
    *p = '\0';
    *out = s;
    if (len)
        *len = (size_t)(p - s);
    return SWL_OK;
}
