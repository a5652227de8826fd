/* net.c — listening sockets and accepting connections. */
#include "server.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 511

/* Formats a socket address as Redis does: "1.2.3.4:port", "[::1]:port". */
static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%d", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
        snprintf(buf, len, "[%s]:%d", ip, port);
    } else {
        snprintf(buf, len, "?:0");
    }
}

static void reject_client(struct srv *s, int fd, const char *err)
{
    s->stats.rejected_connections++;
    ssize_t ignored = write(fd, err, strlen(err));
    (void)ignored;
    close(fd);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)l;
    (void)salen;
    struct srv *s = arg;
    if (s->shutdown_requested) {
        close(fd);
        return;
    }
    if ((long long)s->nclients >= s->cfg.maxclients) {
        reject_client(s, fd, "-ERR max number of clients reached\r\n");
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));

    char addr[64], laddr[64];
    struct sockaddr_storage local;
    socklen_t locallen = sizeof(local);
    format_addr(sa, addr, sizeof(addr));
    if (getsockname(fd, (struct sockaddr *)&local, &locallen) == 0)
        format_addr((struct sockaddr *)&local, laddr, sizeof(laddr));
    else
        snprintf(laddr, sizeof(laddr), "?:0");

    s->stats.connections_received++;
    struct client *c = client_create(s, fd, addr, laddr);
    if (c == NULL)
        srv_log(SRV_LL_WARNING, "Error registering fd event for the new client: out of memory");
    else
        srv_log(SRV_LL_VERBOSE, "Accepted %s", addr);
}

static void resume_accept(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evconnlistener_enable(arg);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)arg;
    int err = EVUTIL_SOCKET_ERROR();
    srv_log(SRV_LL_WARNING, "Accepting client connection: %s", evutil_socket_error_to_string(err));
    if (err == EMFILE || err == ENFILE) {
        /* Out of descriptors: pause accepting briefly instead of spinning. */
        evconnlistener_disable(l);
        struct timeval tv = { 0, 100 * 1000 };
        event_base_once(evconnlistener_get_base(l), -1, EV_TIMEOUT, resume_accept, l, &tv);
    }
}

/* Creates one listening socket for ip:port. Returns the fd or -1 (errno). */
static int listen_one(const char *ip, int port)
{
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%d", port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    const char *host = ip;
    if (strcmp(ip, "*") == 0) {
        host = "0.0.0.0";
    } else if (strcmp(ip, "::*") == 0) {
        host = "::";
    }
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0) {
        errno = (gai == EAI_SYSTEM) ? errno : EADDRNOTAVAIL;
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int saved = 0, one = 1;
    if (fd < 0)
        goto fail;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
        goto fail;
    if (res->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
        goto fail;
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0)
        goto fail;
    freeaddrinfo(res);
    return fd;
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    errno = saved;
    return -1;
}

/* An IPv6 address that fails because the host has no IPv6 is skipped with a
 * warning (as Redis does for its default bind); anything else is fatal. */
static int ipv6_unavailable(const char *ip, int err)
{
    return strchr(ip, ':') != NULL && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT);
}

int srv_net_listen(struct srv *s)
{
    for (int i = 0; i < s->cfg.nbind; i++) {
        const char *ip = s->cfg.bind[i];
        int optional = ip[0] == '-';
        if (optional)
            ip++;
        int fd = listen_one(ip, s->cfg.port);
        if (fd < 0) {
            int err = errno;
            srv_log(SRV_LL_WARNING, "Warning: Could not create server TCP listening socket %s:%d: %s",
                    ip, s->cfg.port, strerror(err));
            if (optional || ipv6_unavailable(ip, err))
                continue;
            goto fail;
        }
        /* Backlog 0: the socket already listens with ours (libevent's -1
         * would listen() again with 128 and drop SYNs under bursts). */
        struct evconnlistener *l = evconnlistener_new(
            s->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
        if (l == NULL) {
            close(fd);
            goto fail;
        }
        evconnlistener_set_error_cb(l, on_accept_error);
        s->listeners[s->nlisteners++] = l;
    }
    if (s->nlisteners > 0)
        return 0;
fail:
    srv_log(SRV_LL_WARNING, "Failed listening on port %d (tcp), aborting.", s->cfg.port);
    srv_net_close_listeners(s);
    return -1;
}

void srv_net_close_listeners(struct srv *s)
{
    for (int i = 0; i < s->nlisteners; i++)
        evconnlistener_free(s->listeners[i]);
    s->nlisteners = 0;
}
