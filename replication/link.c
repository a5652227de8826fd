/* link.c — the pulling side of replication: one libevent bufferevent per
 * peer, hiredis's redisReader to follow the EV.SYNC stream
 * (docs/replication.md), events imported into the store as they come (all
 * the events of one read go into the loop turn's one transaction), and
 * reconnects with capped exponential backoff and jitter, always resuming
 * from this node's own offset map. */
#include "frames.h"
#include "repl.h"
#include "store.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000

enum link_state { LINK_IDLE, LINK_CONNECTING, LINK_AUTH, LINK_NODE, LINK_SYNC, LINK_LIVE, LINK_BACKOFF };

struct repl_link {
    struct event_base *base;
    struct store *store;
    struct repl_addr addr;
    char *password;
    struct repl_hooks hooks;
    int listen_port;           /* this node's port, advertised to the peer (0: none) */
    struct bufferevent *bev;
    redisReader *reader;
    struct event *retry;
    enum link_state state;
    int attempts;
    char peer_node[STORE_NODE_ID_LEN + 1];
    uint64_t imported, behind;
    char *announced;           /* the peer's last offsets frame (JSON), or NULL */
    int64_t last_contact_ms;
    int64_t now_ms; /* the clock at the start of the read being handled */
};

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void say(struct repl_link *l, int warning, const char *fmt, const char *detail)
{
    char addr[REPL_HOST_MAX + 16], msg[512];
    repl_addr_format(&l->addr, addr, sizeof(addr));
    snprintf(msg, sizeof(msg), fmt, addr, detail ? detail : "");
    if (l->hooks.log)
        l->hooks.log(l->hooks.ctx, warning, msg);
}

static void link_connect(struct repl_link *l);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    link_connect(arg);
}

/* Drops the connection and tries again later: 100 ms doubling up to 10 s,
 * each wait drawn in [1/2, 3/2] of it so that peers do not reconnect in
 * step. */
static void link_drop(struct repl_link *l)
{
    if (l->bev != NULL) {
        bufferevent_free(l->bev);
        l->bev = NULL;
    }
    if (l->reader != NULL) {
        frames_reader_free(l->reader);
        l->reader = NULL;
    }
    long ms = BACKOFF_MIN_MS;
    for (int i = 0; i < l->attempts && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    if (ms > BACKOFF_MAX_MS)
        ms = BACKOFF_MAX_MS;
    ms = ms / 2 + (long)(random() % (ms + 1));
    l->attempts++;
    l->state = LINK_BACKOFF;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add(l->retry, &tv);
}

static int map_entry(void *ctx, const char *stream, uint64_t offset)
{
    struct evbuffer *b = ctx;
    evbuffer_add_printf(b, "%s\"%s\":%llu", evbuffer_get_length(b) > 1 ? "," : "", stream,
                        (unsigned long long)offset);
    return 0;
}

/* Appends one RESP command to the output. */
static void send_cmd(struct repl_link *l, int argc, const char **argv, const size_t *lens)
{
    struct evbuffer *out = bufferevent_get_output(l->bev);
    evbuffer_add_printf(out, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        evbuffer_add_printf(out, "$%zu\r\n", lens[i]);
        evbuffer_add(out, argv[i], lens[i]);
        evbuffer_add(out, "\r\n", 2);
    }
}

/* AUTH (when a password is set), EV.NODE, then EV.SYNC with what this node
 * holds: every stream, its own included. */
static void send_hello(struct repl_link *l)
{
    if (l->password[0] != '\0') {
        const char *a[] = { "AUTH", l->password };
        size_t n[] = { 4, strlen(l->password) };
        send_cmd(l, 2, a, n);
        l->state = LINK_AUTH;
    } else {
        l->state = LINK_NODE;
    }
    const char *node[] = { "EV.NODE" };
    size_t nn[] = { 7 };
    send_cmd(l, 1, node, nn);
    struct evbuffer *map = evbuffer_new();
    evbuffer_add(map, "{", 1);
    store_log_offsets(l->store, map_entry, map);
    evbuffer_add(map, "}", 1);
    size_t len = evbuffer_get_length(map);
    const char *self = store_node_id(l->store);
    /* LISTEN: where the peer can pull from this node in turn (this end's
     * address as the peer sees it, and this node's port), so that naming a
     * peer on one side is enough for events to flow both ways */
    char listen[REPL_HOST_MAX + 16] = "";
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[NI_MAXHOST];
    if (l->listen_port > 0 && getsockname(bufferevent_getfd(l->bev), (struct sockaddr *)&ss, &sl) == 0 &&
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL, 0, NI_NUMERICHOST) == 0)
        snprintf(listen, sizeof(listen), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, l->listen_port);
    const char *sync[] = { "EV.SYNC", self, (const char *)evbuffer_pullup(map, -1), "LISTEN", listen };
    size_t sn[] = { 7, strlen(self), len, 6, strlen(listen) };
    send_cmd(l, listen[0] ? 5 : 3, sync, sn);
    evbuffer_free(map);
}

static struct store_bytes rbytes(const redisReply *r)
{
    if (r->type != REDIS_REPLY_STRING)
        return (struct store_bytes){ NULL, 0 };
    return (struct store_bytes){ r->str, r->len };
}

/* Imports one event frame. Returns 0, or -1 for a frame to refuse. */
static int import_frame(struct repl_link *l, const redisReply *f)
{
    const redisReply *const *e = (const redisReply *const *)f->element;
    if (f->elements != 10 || e[1]->type != REDIS_REPLY_STRING || e[2]->type != REDIS_REPLY_INTEGER ||
        e[3]->type != REDIS_REPLY_INTEGER || e[4]->type != REDIS_REPLY_INTEGER ||
        e[5]->type != REDIS_REPLY_STRING || e[6]->type != REDIS_REPLY_ARRAY ||
        (e[7]->type != REDIS_REPLY_STRING && e[7]->type != REDIS_REPLY_NIL) ||
        (e[8]->type != REDIS_REPLY_STRING && e[8]->type != REDIS_REPLY_NIL) || e[9]->type != REDIS_REPLY_ARRAY ||
        e[9]->elements == 0 || e[9]->elements % 2 != 0 || e[1]->len >= STORE_STREAM_ID_MAX ||
        e[2]->integer < 0 || e[3]->integer < 0) {
        say(l, 1, "Replication from %s: malformed event frame, dropping the link%s", NULL);
        return -1;
    }
    size_t ntags = e[6]->elements, nfields = e[9]->elements;
    struct store_bytes *tags = malloc((ntags + nfields + 1) * sizeof(*tags)), *fields = tags + ntags;
    if (tags == NULL)
        return -1;
    for (size_t i = 0; i < ntags; i++)
        tags[i] = rbytes(e[6]->element[i]);
    for (size_t i = 0; i < nfields; i++)
        fields[i] = rbytes(e[9]->element[i]);
    char stream[STORE_STREAM_ID_MAX];
    memcpy(stream, e[1]->str, e[1]->len);
    stream[e[1]->len] = '\0';
    struct store_import ev = { .stream = stream, .offset = (uint64_t)e[2]->integer,
                               .lamport = (uint64_t)e[3]->integer, .timestamp_us = (uint64_t)e[4]->integer,
                               .key = rbytes(e[5]), .tags = tags, .ntags = ntags, .type = rbytes(e[7]),
                               .eventid = rbytes(e[8]), .fields = fields, .nfields = nfields,
                               .now_ms = (uint64_t)l->now_ms };
    int rc = store_cmd_begin(l->store);
    if (rc == 0)
        rc = store_ev_import(l->store, &ev);
    int end = store_cmd_end(l->store);
    free(tags);
    if (rc == 0 || rc == 1) {
        if (rc == 0) {
            l->imported++;
            if (l->behind)
                l->behind--;
            if (l->hooks.imported)
                l->hooks.imported(l->hooks.ctx, ev.key.ptr, ev.key.len);
        }
        return end == 0 ? 0 : -1;
    }
    say(l, 1, "Replication from %s refused an event: %s; dropping the link", store_strerror(rc));
    return -1;
}

/* An offsets frame: how far behind this node is (events the peer holds
 * that are not here). */
static void offsets_frame(struct repl_link *l, const redisReply *f)
{
    char *copy = malloc(f->element[1]->len + 1);
    if (copy != NULL) {
        memcpy(copy, f->element[1]->str, f->element[1]->len);
        copy[f->element[1]->len] = '\0';
        free(l->announced);
        l->announced = copy;
    }
    if (l->hooks.announced)
        l->hooks.announced(l->hooks.ctx, l, f->element[1]->str, f->element[1]->len);
    l->state = LINK_LIVE;
}

static int handle(struct repl_link *l, redisReply *r)
{
    l->last_contact_ms = l->now_ms;
    switch (l->state) {
    case LINK_AUTH:
        if (r->type != REDIS_REPLY_STATUS) {
            say(l, 1, "Replication from %s: AUTH refused (%s)", r->type == REDIS_REPLY_ERROR ? r->str : "?");
            return -1;
        }
        l->state = LINK_NODE;
        return 0;
    case LINK_NODE:
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
            say(l, 1, "Replication from %s: EV.NODE failed (%s)", r->type == REDIS_REPLY_ERROR ? r->str : "?");
            return -1;
        }
        if (r->element[1]->type == REDIS_REPLY_STRING && r->element[1]->len == STORE_NODE_ID_LEN)
            memcpy(l->peer_node, r->element[1]->str, STORE_NODE_ID_LEN);
        if (strcmp(l->peer_node, store_node_id(l->store)) == 0) {
            say(l, 1, "Replication from %s: that address is this node itself%s", NULL);
            return -1;
        }
        l->state = LINK_SYNC;
        return 0;
    default:
        break;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        say(l, 1, "Replication from %s: the peer refused EV.SYNC: %s", r->str);
        return -1;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 || r->element[0]->type != REDIS_REPLY_STRING) {
        say(l, 1, "Replication from %s: malformed frame, dropping the link%s", NULL);
        return -1;
    }
    if (strcmp(r->element[0]->str, "event") == 0)
        return import_frame(l, r);
    if (strcmp(r->element[0]->str, "offsets") == 0 && r->element[1]->type == REDIS_REPLY_STRING) {
        l->attempts = 0; /* a working link: the next failure starts the backoff over */
        offsets_frame(l, r);
        return 0;
    }
    say(l, 1, "Replication from %s: unknown frame, dropping the link%s", NULL);
    return -1;
}

#define READ_BATCH (512u << 10) /* bytes taken from the socket per loop turn (~3.4k events: one commit) */
#define FEED_SLICE 4096u         /* bytes fed to the reader between draining it */

/* Handles every complete frame the reader holds. Returns 0, or -1 when
 * the link was dropped. */
static int drain_frames(struct repl_link *l)
{
    for (;;) {
        void *reply = NULL;
        if (redisReaderGetReply(l->reader, &reply) != REDIS_OK) {
            say(l, 1, "Replication from %s: protocol error (%s), dropping the link", l->reader->errstr);
            link_drop(l);
            return -1;
        }
        if (reply == NULL)
            return 0;
        int rc = handle(l, reply);
        frames_release(l->reader);
        if (rc != 0) {
            link_drop(l);
            return -1;
        }
    }
}

/* Feeds bytes to the reader a slice at a time, draining it in between:
 * hiredis's reader moves what it still holds down each time 1 KB of it is
 * consumed, so feeding 256 KB at once would move ~32 MB per batch. */
static int feed(struct repl_link *l, const char *p, size_t n)
{
    while (n > 0) {
        size_t k = n < FEED_SLICE ? n : FEED_SLICE;
        if (redisReaderFeed(l->reader, p, k) != REDIS_OK) {
            say(l, 1, "Replication from %s: out of memory reading frames%s, dropping the link", NULL);
            link_drop(l);
            return -1;
        }
        if (drain_frames(l) != 0)
            return -1;
        p += k;
        n -= k;
    }
    return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct repl_link *l = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len;
    l->now_ms = wall_ms(); /* one clock reading per batch */
    while ((len = evbuffer_get_length(in)) > 0) {
        size_t chunk = evbuffer_get_contiguous_space(in);
        const char *p = (const char *)evbuffer_pullup(in, (ssize_t)chunk);
        if (feed(l, p, chunk) != 0)
            return;
        evbuffer_drain(in, chunk);
    }
    /* libevent hands over at most 4 KB per read (about 26 events, and a
     * store commit each): take what else the socket holds now, so that a
     * catch-up commits big batches, one per loop turn */
    evutil_socket_t fd = bufferevent_getfd(bev);
    char buf[65536];
    ssize_t n;
    for (size_t got = 0; got < READ_BATCH && (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0; got += (size_t)n)
        if (feed(l, buf, (size_t)n) != 0)
            return;
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct repl_link *l = arg;
    if (what & BEV_EVENT_CONNECTED) {
        say(l, 0, "Replication: connected to %s%s", NULL);
        send_hello(l);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (l->state != LINK_CONNECTING || l->attempts < 1)
            say(l, 0, "Replication: link to %s lost%s, reconnecting", NULL);
        link_drop(l);
    }
}

static void link_connect(struct repl_link *l)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%d", l->addr.port);
    l->state = LINK_CONNECTING;
    if (getaddrinfo(l->addr.host, port, &hints, &res) != 0 || res == NULL) {
        say(l, 1, "Replication: cannot resolve %s%s", NULL);
        link_drop(l);
        return;
    }
    l->bev = bufferevent_socket_new(l->base, -1, BEV_OPT_CLOSE_ON_FREE);
    l->reader = frames_reader_create();
    if (l->bev == NULL || l->reader == NULL) {
        freeaddrinfo(res);
        link_drop(l);
        return;
    }
    bufferevent_setcb(l->bev, on_read, NULL, on_event, l);

    bufferevent_enable(l->bev, EV_READ | EV_WRITE);
    int rc = bufferevent_socket_connect(l->bev, res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0)
        link_drop(l);
}

struct repl_link *repl_link_new(struct event_base *base, struct store *store, const struct repl_addr *addr,
                                const char *password, int listen_port, const struct repl_hooks *hooks)
{
    struct repl_link *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    *l = (struct repl_link){ .base = base, .store = store, .addr = *addr, .hooks = *hooks, .listen_port = listen_port,
                             .password = strdup(password ? password : ""), .last_contact_ms = -1 };
    l->retry = evtimer_new(base, on_retry, l);
    if (l->password == NULL || l->retry == NULL) {
        repl_link_free(l);
        return NULL;
    }
    link_connect(l);
    return l;
}

void repl_link_free(struct repl_link *l)
{
    if (l == NULL)
        return;
    if (l->bev)
        bufferevent_free(l->bev);
    if (l->reader)
        frames_reader_free(l->reader);
    if (l->retry)
        event_free(l->retry);
    free(l->password);
    free(l->announced);
    free(l);
}

void repl_link_info(const struct repl_link *l, struct repl_link_info *out)
{
    static const char *const states[] = { "idle", "connecting", "auth", "handshake", "catching-up", "live",
                                          "backoff" };
    repl_addr_format(&l->addr, out->addr, sizeof(out->addr));
    memcpy(out->node, l->peer_node, sizeof(out->node));
    out->state = states[l->state];
    out->imported = l->imported;
    out->behind = l->behind;
    out->last_contact_ms = l->last_contact_ms;
}

const struct repl_addr *repl_link_addr(const struct repl_link *l)
{
    return &l->addr;
}

void repl_link_set_behind(struct repl_link *l, uint64_t behind)
{
    l->behind = behind;
}

const char *repl_link_announced(const struct repl_link *l)
{
    return l->announced;
}
