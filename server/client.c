/* client.c — one connection: reading and parsing requests, dispatching
 * them, and writing replies. Replies are flushed at the end of the loop turn
 * (server.c calls client_flush for every client on the pending list). */
#include "server.h"
#include "log.h"
#include "reply.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLIENT_READ_CHUNK (16 * 1024)
#define CLIENT_OUT_KEEP (16 * 1024)

static void client_on_read(evutil_socket_t fd, short what, void *arg);
static void client_on_write(evutil_socket_t fd, short what, void *arg);

int client_auth_required(const struct client *c)
{
    return c->srv->cfg.requirepass[0] != '\0' && !(c->flags & CLIENT_AUTHENTICATED);
}

void client_update_parser(struct client *c)
{
    const struct srv_config *cfg = &c->srv->cfg;
    struct resp_limits lim = {
        .max_bulk = (size_t)cfg->proto_max_bulk_len,
        .max_query = (size_t)cfg->client_query_buffer_limit,
        .max_inline = RESP_LIMITS_DEFAULT_MAX_INLINE,
        .max_multibulk = RESP_LIMITS_DEFAULT_MAX_MULTIBULK,
    };
    resp_parser_set_limits(c->parser, &lim);
    resp_parser_set_unauthenticated(c->parser, client_auth_required(c));
}

struct client *client_create(struct srv *s, int fd, const char *addr, const char *laddr)
{
    struct client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        goto fail;
    c->srv = s;
    c->fd = fd;
    c->id = ++s->next_client_id;
    c->resp = 2;
    resp_buf_init(&c->out, 2);
    snprintf(c->addr, sizeof(c->addr), "%s", addr);
    snprintf(c->laddr, sizeof(c->laddr), "%s", laddr);
    c->ctime_ms = c->last_ms = srv_now_ms();
    if (s->cfg.requirepass[0] == '\0')
        c->flags |= CLIENT_AUTHENTICATED;
    c->parser = resp_parser_create(NULL);
    c->ev_read = event_new(s->base, fd, EV_READ | EV_PERSIST, client_on_read, c);
    c->ev_write = event_new(s->base, fd, EV_WRITE | EV_PERSIST, client_on_write, c);
    if (c->parser == NULL || c->ev_read == NULL || c->ev_write == NULL ||
        event_add(c->ev_read, NULL) != 0)
        goto fail;
    client_update_parser(c);

    c->prev = s->clients_tail;
    if (s->clients_tail)
        s->clients_tail->next = c;
    else
        s->clients_head = c;
    s->clients_tail = c;
    s->nclients++;
    return c;
fail:
    if (c != NULL) {
        if (c->ev_read) event_free(c->ev_read);
        if (c->ev_write) event_free(c->ev_write);
        resp_parser_free(c->parser);
        resp_buf_free(&c->out);
        free(c);
    }
    close(fd);
    return NULL;
}

/* Frees c. Only called by server.c at the end of a loop turn, after the
 * pending-write list has been drained, so c is on no list but `clients`. */
void client_free(struct client *c)
{
    struct srv *s = c->srv;
    client_unblock_free(c);
    multi_reset(c);
    sub_free(c);
    srv_hold_free(c);
    if (c->prev) c->prev->next = c->next;
    else s->clients_head = c->next;
    if (c->next) c->next->prev = c->prev;
    else s->clients_tail = c->prev;
    s->nclients--;

    event_free(c->ev_read);
    event_free(c->ev_write);
    close(c->fd);
    resp_parser_free(c->parser);
    resp_buf_free(&c->out);
    free(c->name);
    free(c->lib_name);
    free(c->lib_ver);
    free(c);
}

void client_close_async(struct client *c)
{
    if (c->flags & CLIENT_CLOSE_ASAP)
        return;
    c->flags |= CLIENT_CLOSE_ASAP;
    event_del(c->ev_read);
    event_del(c->ev_write);
    c->next_close = c->srv->to_close;
    c->srv->to_close = c;
}

void client_want_flush(struct client *c)
{
    if (c->flags & (CLIENT_PENDING_WRITE | CLIENT_CLOSE_ASAP))
        return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->next_pending = c->srv->pending_writes;
    c->srv->pending_writes = c;
}

/* Writes pending output. Returns 0, or -1 if the client is now closing. */
int client_flush(struct client *c)
{
    struct srv *s = c->srv;
    if (c->out.oom) {
        srv_log(SRV_LL_WARNING, "Closing client id=%llu: out of memory for its replies",
                (unsigned long long)c->id);
        client_close_async(c);
        return -1;
    }
    while (c->out.len > 0) {
        /* resp_buf_consume is O(1), so partial writes of a huge reply stay
         * linear overall. */
        ssize_t n = write(c->fd, c->out.data, c->out.len);
        if (n > 0) {
            s->stats.net_output_bytes += (uint64_t)n;
            resp_buf_consume(&c->out, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!(c->flags & CLIENT_WRITE_WAIT)) {
                c->flags |= CLIENT_WRITE_WAIT;
                event_add(c->ev_write, NULL);
            }
            return 0;
        }
        srv_log(SRV_LL_VERBOSE, "Error writing to client: %s", strerror(errno));
        client_close_async(c);
        return -1;
    }
    s->stats.writes_processed++;
    if (c->flags & CLIENT_WRITE_WAIT) {
        c->flags &= ~CLIENT_WRITE_WAIT;
        event_del(c->ev_write);
    }
    resp_buf_shrink(&c->out, CLIENT_OUT_KEEP);
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
        client_close_async(c);
        return -1;
    }
    if (c->sub != NULL)
        sub_drained(c); /* a subscriber: the next chunk, now that the socket took the last */
    return 0;
}

static void client_on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct client *c = arg;
    /* Replies that wait for this turn's commit go out in before_sleep. */
    if (!(c->flags & CLIENT_TURN_WRITER))
        client_flush(c);
}

/* A protocol error: reply with Redis's text, then close once it is sent. */
static void client_protocol_error(struct client *c, int rc)
{
    const char *why = resp_parser_error(c->parser);
    if (rc == RESP_ERR_QUERY_LIMIT) {
        c->srv->stats.client_query_limit_disconnections++;
        srv_log(SRV_LL_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s",
                (unsigned long long)c->id, c->addr);
    } else if (rc == RESP_ERR_NOMEM) {
        why = "Protocol error: out of memory";
    } else {
        srv_log(SRV_LL_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s",
                why ? why : "?", (unsigned long long)c->id, c->addr);
    }
    reply_errorf(c, "%s", why ? why : "Protocol error");
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    event_del(c->ev_read);
}

/* Runs every complete request buffered for c. */
static void client_process_input(struct client *c)
{
    struct resp_request req;
    uint64_t clock = srv_cmd_clock();
    c->last_ms = srv_now_ms();
    while (!(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_READ_PAUSED | CLIENT_BLOCKED |
                         CLIENT_HELD))) {
        int rc = resp_parser_next(c->parser, &req);
        if (rc == RESP_NEED_MORE)
            break;
        if (rc < 0) {
            client_protocol_error(c, rc);
            break;
        }
        srv_dispatch(c, req.argc, req.argv, &clock);
    }
}

void client_resume(struct client *c)
{
    client_process_input(c);
}

static void client_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct client *c = arg;
    struct srv *s = c->srv;
    size_t avail = 0;
    char *space = resp_parser_space(c->parser, CLIENT_READ_CHUNK, &avail);
    if (space == NULL) {
        /* Growing would pass the query limit (or OOM): let next() say so. */
        client_process_input(c);
        if (!(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)))
            client_protocol_error(c, RESP_ERR_QUERY_LIMIT);
        return;
    }
    ssize_t n = read(fd, space, avail);
    if (n == 0) {
        client_close_async(c);
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        srv_log(SRV_LL_VERBOSE, "Reading from client: %s", strerror(errno));
        client_close_async(c);
        return;
    }
    resp_parser_commit(c->parser, (size_t)n);
    s->stats.net_input_bytes += (uint64_t)n;
    s->stats.reads_processed++;
    size_t buffered = resp_parser_buffered(c->parser);
    if (buffered > s->max_input_seen)
        s->max_input_seen = buffered;
    client_process_input(c);
    if (resp_parser_buffered(c->parser) == 0)
        resp_parser_shrink(c->parser);
}

static const char *client_flags_str(const struct client *c, char *buf)
{
    char *p = buf;
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->flags & CLIENT_CLOSE_ASAP) *p++ = 'A';
    if (c->flags & CLIENT_BLOCKED) *p++ = 'b';
    if (p == buf) *p++ = 'N';
    *p = '\0';
    return buf;
}

/* argv-mem is 0: multibulk arguments are views into the query buffer
 * (counted in qbuf) and inline ones live in the parser's own scratch space;
 * no per-argument copies are made. */
void client_format_info(const struct client *c, char *buf, size_t len)
{
    int64_t now = srv_now_ms();
    char flags[8];
    size_t qbuf = resp_parser_buffered(c->parser);
    size_t qcap = resp_parser_capacity(c->parser);
    const char *cmd = c->last_cmd ? c->last_cmd->fullname : "NULL";
    snprintf(buf, len,
             "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=0 "
             "sub=0 psub=0 ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=%d multi-mem=0 "
             "rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=%s cmd=%s user=default "
             "redir=-1 resp=%d lib-name=%s lib-ver=%s",
             (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
             (long long)((now - c->ctime_ms) / 1000), (long long)((now - c->last_ms) / 1000),
             client_flags_str(c, flags), qbuf, qcap - qbuf, 0, qcap, qbuf, c->out.len,
             c->out.cap, sizeof(*c) + qcap + c->out.cap,
             (c->flags & CLIENT_WRITE_WAIT) ? "rw" : "r", cmd, c->resp,
             c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "");
}
