/* evparse.c — offset maps (JSON) and tag expressions; see evparse.h. */
#include "evparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- offset maps ---- */

struct cursor {
    const char *p;
    size_t len, pos;
    char *err;
    size_t errlen;
};

static int fail(struct cursor *c, const char *what)
{
    if (c->pos >= c->len)
        snprintf(c->err, c->errlen, "invalid offset map: %s at the end", what);
    else
        snprintf(c->err, c->errlen, "invalid offset map: %s at position %zu", what, c->pos + 1);
    return -1;
}

static void skip_ws(struct cursor *c)
{
    while (c->pos < c->len && (c->p[c->pos] == ' ' || c->p[c->pos] == '\t' || c->p[c->pos] == '\n' ||
                               c->p[c->pos] == '\r'))
        c->pos++;
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* A JSON string at the cursor, into a malloc'd NUL-terminated copy. */
static int parse_string(struct cursor *c, char **out)
{
    if (c->pos >= c->len || c->p[c->pos] != '"')
        return fail(c, "expected '\"'");
    c->pos++;
    char *s = malloc(c->len - c->pos + 1);
    size_t n = 0;
    if (s == NULL)
        return fail(c, "out of memory");
    while (c->pos < c->len && c->p[c->pos] != '"') {
        unsigned char ch = (unsigned char)c->p[c->pos];
        if (ch < 0x20 || ch == 0x7f) {
            free(s);
            return fail(c, "control character in a string");
        }
        if (ch != '\\') {
            s[n++] = (char)ch;
            c->pos++;
            continue;
        }
        if (++c->pos >= c->len)
            break;
        char e = c->p[c->pos++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit != NULL) {
            s[n++] = to[hit - from];
        } else if (e == 'u' && c->pos + 4 <= c->len && c->p[c->pos] == '0' && c->p[c->pos + 1] == '0' &&
                   hexval(c->p[c->pos + 2]) >= 0 && hexval(c->p[c->pos + 3]) >= 0 &&
                   hexval(c->p[c->pos + 2]) * 16 + hexval(c->p[c->pos + 3]) > 0) {
            s[n++] = (char)(hexval(c->p[c->pos + 2]) * 16 + hexval(c->p[c->pos + 3]));
            c->pos += 4;
        } else {
            c->pos--;
            free(s);
            return fail(c, "unsupported escape (stream ids are ASCII)");
        }
    }
    if (c->pos >= c->len) {
        free(s);
        return fail(c, "unterminated string");
    }
    c->pos++;
    s[n] = '\0';
    *out = s;
    return 0;
}

static int parse_offset(struct cursor *c, uint64_t *out)
{
    if (c->pos < c->len && c->p[c->pos] == '-')
        return fail(c, "negative offset");
    if (c->pos >= c->len || c->p[c->pos] < '0' || c->p[c->pos] > '9')
        return fail(c, "expected an offset (an integer >= 0)");
    if (c->p[c->pos] == '0' && c->pos + 1 < c->len && c->p[c->pos + 1] >= '0' && c->p[c->pos + 1] <= '9')
        return fail(c, "leading zero in an offset");
    uint64_t v = 0;
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        unsigned d = (unsigned)(c->p[c->pos] - '0');
        if (v > (UINT64_C(1) << 63) / 10 || v * 10 + d >= (UINT64_C(1) << 63))
            return fail(c, "offset too large");
        v = v * 10 + d;
        c->pos++;
    }
    if (c->pos < c->len && (c->p[c->pos] == '.' || c->p[c->pos] == 'e' || c->p[c->pos] == 'E'))
        return fail(c, "an offset is an integer");
    *out = v;
    return 0;
}

int offset_map_get(const struct offset_map *m, const char *stream, uint64_t *offset)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->e[i].stream, stream) == 0) {
            *offset = m->e[i].offset;
            return 1;
        }
    return 0;
}

static int add_entry(struct offset_map *m, char *stream, uint64_t offset)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        struct offset_entry *grown = realloc(m->e, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        m->e = grown;
        m->cap = cap;
    }
    m->e[m->n++] = (struct offset_entry){ stream, offset };
    return 0;
}

int offset_map_set(struct offset_map *m, const char *stream, uint64_t offset)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->e[i].stream, stream) == 0) {
            m->e[i].offset = offset;
            return 0;
        }
    char *copy = strdup(stream);
    if (copy == NULL || add_entry(m, copy, offset) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

int offset_map_put(void *map, const char *stream, uint64_t offset)
{
    return offset_map_set(map, stream, offset) != 0;
}

int offset_map_put_signed(void *map, const char *stream, int64_t offset)
{
    return offset >= 0 && offset_map_set(map, stream, (uint64_t)offset) != 0;
}

int offset_map_parse(const char *text, size_t len, struct offset_map *m, char *err, size_t errlen)
{
    struct cursor c = { text, len, 0, err, errlen };
    skip_ws(&c);
    if (c.pos >= c.len || c.p[c.pos] != '{')
        return fail(&c, "expected '{'");
    c.pos++;
    skip_ws(&c);
    if (c.pos < c.len && c.p[c.pos] == '}') {
        c.pos++;
    } else {
        for (;;) {
            char *stream = NULL;
            uint64_t offset, seen;
            skip_ws(&c);
            size_t at = c.pos;
            if (parse_string(&c, &stream) != 0)
                goto bad;
            if (stream[0] == '\0' || offset_map_get(m, stream, &seen)) {
                c.pos = at;
                fail(&c, stream[0] == '\0' ? "empty stream id" : "stream given twice");
                free(stream);
                goto bad;
            }
            skip_ws(&c);
            if (c.pos >= c.len || c.p[c.pos] != ':') {
                free(stream);
                fail(&c, "expected ':'");
                goto bad;
            }
            c.pos++;
            skip_ws(&c);
            if (parse_offset(&c, &offset) != 0) {
                free(stream);
                goto bad;
            }
            if (add_entry(m, stream, offset) != 0) {
                free(stream);
                fail(&c, "out of memory");
                goto bad;
            }
            skip_ws(&c);
            if (c.pos < c.len && c.p[c.pos] == ',') {
                c.pos++;
                continue;
            }
            if (c.pos < c.len && c.p[c.pos] == '}') {
                c.pos++;
                break;
            }
            fail(&c, "expected ',' or '}'");
            goto bad;
        }
    }
    skip_ws(&c);
    if (c.pos != c.len) {
        fail(&c, "text after the map");
        goto bad;
    }
    return 0;
bad:
    offset_map_free(m);
    return -1;
}

uint64_t offset_map_missing(const struct offset_map *ours, const struct offset_map *theirs, struct offset_map *want)
{
    uint64_t total = 0;
    for (size_t i = 0; i < theirs->n; i++) {
        uint64_t here, prev, missing;
        int have = offset_map_get(ours, theirs->e[i].stream, &here);
        if (have && theirs->e[i].offset <= here)
            continue;
        missing = have ? theirs->e[i].offset - here : theirs->e[i].offset + 1;
        total += missing;
        if (want != NULL && (!offset_map_get(want, theirs->e[i].stream, &prev) || missing > prev))
            offset_map_set(want, theirs->e[i].stream, missing);
    }
    return total;
}

int offset_map_json(const struct offset_map *m, char **out, size_t *outlen)
{
    size_t cap = 3; /* {, }, NUL; per member: quotes, colon, comma, 20 digits, 6 bytes per escaped char */
    for (size_t i = 0; i < m->n; i++)
        cap += 6 * strlen(m->e[i].stream) + 24;
    char *s = malloc(cap), *p = s;
    if (s == NULL)
        return -1;
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
                p += sprintf(p, "\\u%04x", *q);
            } else {
                *p++ = (char)*q;
            }
        }
        p += sprintf(p, "\":%llu", (unsigned long long)m->e[i].offset);
    }
    *p++ = '}';
    *p = '\0';
    *out = s;
    *outlen = (size_t)(p - s);
    return 0;
}

void offset_map_free(struct offset_map *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->e[i].stream);
    free(m->e);
    memset(m, 0, sizeof(*m));
}

/* ---- tag expressions ---- */

struct tparse {
    const char *p;
    size_t len, pos;
    char *err;
    size_t errlen;
    int depth;
};

static struct store_tag_expr *tfail(struct tparse *t, const char *what)
{
    if (t->err[0] == '\0') {
        if (t->pos >= t->len)
            snprintf(t->err, t->errlen, "invalid WHERE expression: %s at the end", what);
        else
            snprintf(t->err, t->errlen, "invalid WHERE expression: %s at position %zu", what, t->pos + 1);
    }
    return NULL;
}

static void tskip(struct tparse *t)
{
    while (t->pos < t->len && (t->p[t->pos] == ' ' || t->p[t->pos] == '\t'))
        t->pos++;
}

static int bare_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '-' || ch == ':' || ch == '.' || ch == '/' || ch == '@' || ch == '#';
}

static struct store_tag_expr *node(enum store_tag_op op)
{
    struct store_tag_expr *e = calloc(1, sizeof(*e));
    if (e != NULL)
        e->op = op;
    return e;
}

static struct store_tag_expr *parse_or(struct tparse *t);

static struct store_tag_expr *parse_atom(struct tparse *t)
{
    tskip(t);
    if (t->pos >= t->len)
        return tfail(t, "expected a tag, '(', '*' or isLocal");
    char ch = t->p[t->pos];
    struct store_tag_expr *e;
    if (ch == '(') {
        if (++t->depth > 100)
            return tfail(t, "parentheses nested too deep");
        t->pos++;
        e = parse_or(t);
        if (e == NULL)
            return NULL;
        tskip(t);
        if (t->pos >= t->len || t->p[t->pos] != ')') {
            tag_expr_free(e);
            return tfail(t, "expected ')'");
        }
        t->pos++;
        t->depth--;
        return e;
    }
    if (ch == '*') {
        t->pos++;
        e = node(STORE_TAG_ALL);
        return e ? e : tfail(t, "out of memory");
    }
    if (ch == '\'') {
        size_t start = ++t->pos, n = 0;
        char *buf = malloc(t->len - start + 1);
        if (buf == NULL)
            return tfail(t, "out of memory");
        for (;;) {
            if (t->pos >= t->len) {
                free(buf);
                t->pos = start - 1;
                return tfail(t, "unterminated quoted tag");
            }
            if (t->p[t->pos] == '\'') {
                if (t->pos + 1 < t->len && t->p[t->pos + 1] == '\'') {
                    buf[n++] = '\'';
                    t->pos += 2;
                    continue;
                }
                t->pos++;
                break;
            }
            buf[n++] = t->p[t->pos++];
        }
        if (n == 0) {
            free(buf);
            t->pos = start - 1;
            return tfail(t, "empty tag");
        }
        if ((e = node(STORE_TAG_LEAF)) == NULL) {
            free(buf);
            return tfail(t, "out of memory");
        }
        *e = (struct store_tag_expr){ .op = STORE_TAG_LEAF, .tag = buf, .len = n };
        return e;
    }
    if (!bare_char(ch))
        return tfail(t, "expected a tag, '(', '*' or isLocal");
    size_t start = t->pos;
    while (t->pos < t->len && bare_char(t->p[t->pos]))
        t->pos++;
    size_t n = t->pos - start;
    if ((e = node(STORE_TAG_LEAF)) == NULL)
        return tfail(t, "out of memory");
    if (n == 7 && memcmp(t->p + start, "isLocal", 7) == 0) {
        e->op = STORE_TAG_LOCAL;
        return e;
    }
    if ((e->tag = malloc(n)) == NULL) {
        free(e);
        return tfail(t, "out of memory");
    }
    memcpy(e->tag, t->p + start, n);
    e->op = STORE_TAG_LEAF;
    e->len = n;
    return e;
}

static struct store_tag_expr *parse_binary(struct tparse *t, char opch, enum store_tag_op op,
                                     struct store_tag_expr *(*sub)(struct tparse *))
{
    struct store_tag_expr *l = sub(t);
    while (l != NULL) {
        tskip(t);
        if (t->pos >= t->len || t->p[t->pos] != opch)
            return l;
        t->pos++;
        struct store_tag_expr *r = sub(t), *e = r ? node(op) : NULL;
        if (e == NULL) {
            tag_expr_free(l);
            tag_expr_free(r);
            return r ? tfail(t, "out of memory") : NULL;
        }
        *e = (struct store_tag_expr){ .op = op, .l = l, .r = r };
        l = e;
    }
    return NULL;
}

static struct store_tag_expr *parse_and(struct tparse *t)
{
    return parse_binary(t, '&', STORE_TAG_AND, parse_atom);
}

static struct store_tag_expr *parse_or(struct tparse *t)
{
    return parse_binary(t, '|', STORE_TAG_OR, parse_and);
}

struct store_tag_expr *tag_expr_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct tparse t = { text, len, 0, err, errlen, 0 };
    err[0] = '\0';
    struct store_tag_expr *e = parse_or(&t);
    if (e == NULL)
        return NULL;
    tskip(&t);
    if (t.pos != t.len) {
        tag_expr_free(e);
        return tfail(&t, t.p[t.pos] == ')' ? "unbalanced ')'" : "expected '&', '|' or the end");
    }
    return e;
}

void tag_expr_free(struct store_tag_expr *e)
{
    if (e == NULL)
        return;
    tag_expr_free(e->l);
    tag_expr_free(e->r);
    free(e->tag);
    free(e);
}

int tag_expr_match(const struct store_tag_expr *e, const char *const *tags, const size_t *lens, size_t ntags, int local)
{
    switch (e->op) {
    case STORE_TAG_ALL:
        return 1;
    case STORE_TAG_LOCAL:
        return local;
    case STORE_TAG_AND:
        return tag_expr_match(e->l, tags, lens, ntags, local) && tag_expr_match(e->r, tags, lens, ntags, local);
    case STORE_TAG_OR:
        return tag_expr_match(e->l, tags, lens, ntags, local) || tag_expr_match(e->r, tags, lens, ntags, local);
    case STORE_TAG_LEAF:
        for (size_t i = 0; i < ntags; i++)
            if (lens[i] == e->len && memcmp(tags[i], e->tag, e->len) == 0)
                return 1;
        return 0;
    }
    return 0;
}
