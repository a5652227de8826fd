#include "args.h"
#include "reply.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int arg_is(const struct resp_arg *a, const char *word)
{
    size_t n = strlen(word);
    if (a->len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a->ptr[i], y = (unsigned char)word[i];
        if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
        if (x != y)
            return 0;
    }
    return 1;
}

int arg_to_ll(const struct resp_arg *a, long long *out)
{
    const char *p = a->ptr;
    size_t len = a->len, i = 0;
    int neg = 0;
    if (len == 0 || len > 20)
        return -1;
    if (len == 1 && p[0] == '0') {
        *out = 0;
        return 0;
    }
    if (p[0] == '-') {
        neg = 1;
        if (++i == len)
            return -1;
    }
    if (p[i] < '1' || p[i] > '9')
        return -1;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return -1;
        *out = (v == (unsigned long long)LLONG_MAX + 1) ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return -1;
        *out = (long long)v;
    }
    return 0;
}

int arg_to_ll_or_reply(struct client *c, const struct resp_arg *a, long long *out, const char *msg)
{
    if (arg_to_ll(a, out) == 0)
        return 0;
    if (msg)
        reply_error(c, msg);
    else
        reply_error_not_integer(c);
    return -1;
}

char *arg_dup(const struct resp_arg *a)
{
    char *s = malloc(a->len + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, a->ptr, a->len);
    s[a->len] = '\0';
    return s;
}

int arg_print_len(const struct resp_arg *a, size_t max)
{
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t n = nul ? (size_t)(nul - a->ptr) : a->len;
    return (int)(n > max ? max : n);
}
