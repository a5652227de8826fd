/* harness_client.c — see harness.h: hiredis and raw-socket clients, and the
 * raw RESP reply reader (th_resp_frame, th_raw_read_reply). Starting and
 * stopping servers is in harness.c. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- clients ---- */

redisContext *th_connect_port(int port)
{
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        fprintf(stderr, "harness: connect 127.0.0.1:%d: %s\n", port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

redisContext *th_connect(const th_server *s)
{
    return th_connect_port(th_server_port(s));
}

int th_raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int th_raw_send(int fd, const void *buf, size_t len, int timeout_ms)
{
    const char *p = buf;
    long long deadline = th_now_ms() + timeout_ms;
    while (len > 0) {
        long long left = deadline - th_now_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {fd, POLLOUT, 0};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int th_raw_send_str(int fd, const char *s, int timeout_ms)
{
    return th_raw_send(fd, s, strlen(s), timeout_ms);
}

size_t th_raw_recv(int fd, char *buf, size_t cap, size_t want, int timeout_ms)
{
    size_t got = 0;
    if (want > cap)
        want = cap;
    long long deadline = th_now_ms() + timeout_ms;
    while (got < want) {
        long long left = deadline - th_now_ms();
        if (left <= 0)
            break;
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break;
        ssize_t n = recv(fd, buf + got, cap - got, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

char *th_escape(const char *buf, size_t len)
{
    char *out = malloc(len * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\r') {
            out[o++] = '\\';
            out[o++] = 'r';
        } else if (c == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (c == '\\') {
            out[o++] = '\\';
            out[o++] = '\\';
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)sprintf(out + o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

bool th_raw_expect(int fd, const char *expected, int timeout_ms)
{
    return th_raw_expect_n(fd, expected, strlen(expected), timeout_ms);
}

bool th_raw_expect_n(int fd, const char *expected, size_t want, int timeout_ms)
{
    char *buf = malloc(want + 1);
    size_t got = th_raw_recv(fd, buf, want, want, timeout_ms);
    bool ok = got == want && memcmp(buf, expected, want) == 0;
    if (!ok) {
        char *e = th_escape(expected, want), *a = th_escape(buf, got);
        fprintf(stderr, "harness: expected \"%s\"\n         received \"%s\"%s\n", e, a,
                got < want ? " (short: timeout or connection closed)" : "");
        free(e);
        free(a);
    }
    free(buf);
    return ok;
}

bool th_raw_wait_closed(int fd, int timeout_ms)
{
    long long deadline = th_now_ms() + timeout_ms;
    char buf[4096];
    for (;;) {
        long long left = deadline - th_now_ms();
        if (left <= 0)
            return false;
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return false;
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return true;
    }
}

/* ---- RESP framing ---- */

/* Parses one line starting at p (after the type byte); returns the offset
 * just past CRLF, 0 if incomplete, -1 if malformed. */
static long frame_line(const char *buf, size_t len, size_t start)
{
    for (size_t i = start; i + 1 < len; i++)
        if (buf[i] == '\r')
            return buf[i + 1] == '\n' ? (long)(i + 2) : -1;
    return 0;
}

static long frame_at(const char *buf, size_t len, size_t pos, int depth)
{
    if (depth > 64)
        return -1;
    if (pos >= len)
        return 0;
    char type = buf[pos];
    long end = frame_line(buf, len, pos + 1);
    if (end <= 0)
        return end;
    long long n = 0;
    switch (type) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
        return end;
    case '$': case '!': case '=':
        n = strtoll(buf + pos + 1, NULL, 10);
        if (n < 0)
            return end;
        if ((size_t)end + (size_t)n + 2 > len)
            return 0;
        if (buf[end + n] != '\r' || buf[end + n + 1] != '\n')
            return -1;
        return end + (long)n + 2;
    case '*': case '~': case '>': case '%': case '|':
        n = strtoll(buf + pos + 1, NULL, 10);
        if (n < 0)
            return end;
        if (type == '%' || type == '|')
            n *= 2;
        if (type == '|')
            n += 1; /* the attribute is followed by the reply it annotates */
        for (long long i = 0; i < n; i++) {
            long e = frame_at(buf, len, (size_t)end, depth + 1);
            if (e <= 0)
                return e;
            end = e;
        }
        return end;
    default:
        return -1;
    }
}

long th_resp_frame(const char *buf, size_t len)
{
    return frame_at(buf, len, 0, 0);
}

struct pending {
    int fd;
    char *buf;
    size_t len, cap;
};
static struct pending *pendings;
static size_t npendings;

static struct pending *pending_for(int fd)
{
    for (size_t i = 0; i < npendings; i++)
        if (pendings[i].fd == fd)
            return &pendings[i];
    struct pending *np = realloc(pendings, (npendings + 1) * sizeof *np);
    if (!np)
        abort();
    pendings = np;
    struct pending *p = &pendings[npendings++];
    p->fd = fd;
    p->cap = 4096;
    p->len = 0;
    p->buf = malloc(p->cap);
    return p;
}

void th_raw_close(int fd)
{
    for (size_t i = 0; i < npendings; i++) {
        if (pendings[i].fd == fd) {
            free(pendings[i].buf);
            pendings[i] = pendings[--npendings];
            break;
        }
    }
    close(fd);
}

char *th_raw_read_reply(int fd, size_t *len, int timeout_ms)
{
    struct pending *p = pending_for(fd);
    long long deadline = th_now_ms() + timeout_ms;
    for (;;) {
        long f = th_resp_frame(p->buf, p->len);
        if (f > 0) {
            char *out = malloc((size_t)f + 1);
            memcpy(out, p->buf, (size_t)f);
            out[f] = '\0';
            memmove(p->buf, p->buf + f, p->len - (size_t)f);
            p->len -= (size_t)f;
            if (len)
                *len = (size_t)f;
            return out;
        }
        const char *why = f < 0 ? "malformed reply" : NULL;
        if (!why) {
            if (p->cap - p->len < 4096) {
                p->cap *= 2;
                p->buf = realloc(p->buf, p->cap);
            }
            long long left = deadline - th_now_ms();
            size_t n = left > 0 ? th_raw_recv(fd, p->buf + p->len, p->cap - p->len, 1, (int)left) : 0;
            if (n > 0) {
                p->len += n;
                continue;
            }
            why = th_now_ms() < deadline ? "connection closed before a complete reply"
                                         : "timeout waiting for a reply";
        }
        char *e = th_escape(p->buf, p->len > 2000 ? 2000 : p->len);
        fprintf(stderr, "harness: %s; have \"%s\"\n", why, e);
        free(e);
        return NULL;
    }
}

char *th_resp_command(int argc, const char *const *argv, size_t *len)
{
    size_t cap = 32;
    for (int i = 0; i < argc; i++)
        cap += strlen(argv[i]) + 32;
    char *out = malloc(cap);
    size_t o = (size_t)snprintf(out, cap, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        o += (size_t)snprintf(out + o, cap - o, "$%zu\r\n", n);
        memcpy(out + o, argv[i], n);
        o += n;
        out[o++] = '\r';
        out[o++] = '\n';
    }
    out[o] = '\0';
    if (len)
        *len = o;
    return out;
}
