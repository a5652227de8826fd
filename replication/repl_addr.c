#include "repl.h"

#include <stdio.h>
#include <string.h>

/* Strict decimal port: 1..65535, digits only, no sign, no leading zero. */
static int parse_port(const char *s, size_t len, int *out)
{
    if (len == 0 || len > 5 || s[0] == '0')
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *out = v;
    return 0;
}

static int host_ok(const char *h, size_t len, int bracketed)
{
    if (len == 0 || len > REPL_HOST_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '[' || ch == ']' || ch == '/' || ch == '@')
            return 0;
        if (ch == ':' && !bracketed)
            return 0;
    }
    return 1;
}

int repl_addr_parse(const char *s, size_t len, struct repl_addr *out)
{
    const char *colon = NULL;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == ':') {
            colon = s + i - 1;
            break;
        }
    if (colon == NULL)
        return -1;
    const char *host = s;
    size_t hlen = (size_t)(colon - s);
    int bracketed = hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']';
    if (bracketed) {
        host++;
        hlen -= 2;
    }
    if (!host_ok(host, hlen, bracketed))
        return -1;
    if (bracketed && memchr(host, ':', hlen) == NULL)
        return -1; /* brackets are for IPv6 literals only */
    if (parse_port(colon + 1, len - hlen - (bracketed ? 2 : 0) - 1, &out->port) != 0)
        return -1;
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    return 0;
}

int repl_addr_format(const struct repl_addr *a, char *buf, size_t buflen)
{
    int v6 = strchr(a->host, ':') != NULL;
    int n = snprintf(buf, buflen, v6 ? "[%s]:%d" : "%s:%d", a->host, a->port);
    return (n < 0 || (size_t)n >= buflen) ? -1 : n;
}
