/* subscribe.c — EV.SUBSCRIBE / EV.UNSUBSCRIBE: a connection receives every
 * matching event after its FROM map (history), then a caught-up message
 * with the map where history ended, then live events as they are
 * committed. Events are read from the store in chunks while the client's
 * output stays small: a slow subscriber is fed as its socket drains (the
 * write event calls sub_feed again), never buffered without bound, and
 * history and live events come from the same cursor, so nothing is lost or
 * repeated at the boundary. Messages are RESP3 pushes, RESP2 arrays (as
 * pub/sub's). */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "evparse.h"
#include "reply.h"
#include "store.h"
#include "stream_args.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#define SUB_CHUNK 256                 /* events per store read */
#define SUB_OUT_LIMIT (256 * 1024)    /* feed only while the output is below this */

struct ev_sub {
    struct store_tag_expr *where;
    struct store_bytes *types;
    char *type_bytes;
    size_t ntypes;
    struct offset_map cursor;         /* what was delivered */
    int live;                         /* the caught-up message was sent */
    int sync;                         /* EV.SYNC: a peer's replication stream (event frames) */
    struct client *prev, *next;       /* srv->subscribers */
};

static void sub_link(struct client *c, struct ev_sub *sub);

static void message_head(struct client *c, const char *kind)
{
    reply_push(c, 2); /* RESP2: an array, as pub/sub's messages */
    reply_bulk_cstr(c, kind);
}

static void message_map(struct client *c, const char *kind, const struct offset_map *m)
{
    char *json;
    size_t len;
    if (offset_map_json(m, &json, &len) != 0) {
        c->out.oom = 1;
        return;
    }
    message_head(c, kind);
    reply_bulk(c, json, len);
    free(json);
}

static int event_message(void *ctx, const struct store_event *ev)
{
    struct client *c = ctx;
    message_head(c, "ev.event");
    return srv_reply_event(c, ev);
}

static void bulk_or_nil(struct client *c, struct store_bytes b)
{
    if (b.ptr == NULL)
        reply_null(c);
    else
        reply_bulk(c, b.ptr, b.len);
}

/* EV.SYNC's event frame (docs/replication.md): an array of
 * "event", stream, offset, lamport, timestamp, key, [tags], type|nil,
 * eventid|nil, [field, value, ...]. */
static int sync_frame(void *ctx, const struct store_event *ev)
{
    struct client *c = ctx;
    reply_array(c, 10);
    reply_bulk_cstr(c, "event");
    reply_bulk_cstr(c, ev->stream);
    reply_int(c, (long long)ev->offset);
    reply_int(c, (long long)ev->lamport);
    reply_int(c, (long long)ev->timestamp_us);
    reply_bulk(c, ev->key.ptr, ev->key.len);
    reply_array(c, ev->ntags);
    for (size_t i = 0; i < ev->ntags; i++)
        reply_bulk(c, ev->tags[i].ptr, ev->tags[i].len);
    bulk_or_nil(c, ev->type);
    bulk_or_nil(c, ev->eventid);
    reply_array(c, ev->nfields);
    for (size_t i = 0; i < ev->nfields; i++)
        reply_bulk(c, ev->fields[i].ptr, ev->fields[i].len);
    return 0;
}

/* ["offsets", <present offset map>]: what this node holds. */
static void sync_offsets(struct client *c)
{
    struct offset_map m = { 0 };
    char *json = NULL;
    size_t len;
    if (store_log_offsets(c->srv->store, offset_map_put, &m) != 0 || offset_map_json(&m, &json, &len) != 0) {
        offset_map_free(&m);
        c->out.oom = 1;
        return;
    }
    reply_array(c, 2);
    reply_bulk_cstr(c, "offsets");
    reply_bulk(c, json, len);
    free(json);
    offset_map_free(&m);
}

/* Delivers the next chunk. Returns 1 when more may follow now (a full
 * chunk went out, or the output is full), 0 when the subscriber is level
 * with the store. */
static int sub_feed(struct client *c)
{
    struct ev_sub *sub = c->sub;
    if (sub == NULL || (c->flags & CLIENT_CLOSE_ASAP))
        return 0;
    if (c->out.len >= SUB_OUT_LIMIT)
        return 1;
    struct srv_ev_bounds x;
    int rc = srv_ev_bounds_build(c->srv->store, &sub->cursor, &x);
    long long n = 0;
    if (rc == 0) {
        struct store_ev_query q = { .where = sub->where, .types = sub->types, .ntypes = sub->ntypes,
                                    .bounds = x.b, .nbounds = x.n, .order = STORE_ORDER_LAMPORT,
                                    .count = SUB_CHUNK };
        n = store_ev_query(c->srv->store, &q, sub->sync ? sync_frame : event_message, c, offset_map_put_signed,
                           &sub->cursor);
    }
    srv_ev_bounds_free(&x);
    if (rc != 0 || n < 0) {
        message_head(c, "ev.error");
        reply_bulk_cstr(c, store_strerror(rc ? rc : (int)n));
        return 0;
    }
    if (n < SUB_CHUNK && !sub->live) {
        if (sub->sync)
            sync_offsets(c); /* caught up: where this node stands */
        else
            message_map(c, "ev.caughtup", &sub->cursor);
        sub->live = 1;
    }
    return n == SUB_CHUNK;
}

/* Arms the write event: the loop comes back (as soon as the socket takes
 * more) to feed the next chunk. */
static void feed_later(struct client *c)
{
    if (!(c->flags & CLIENT_WRITE_WAIT)) {
        c->flags |= CLIENT_WRITE_WAIT;
        event_add(c->ev_write, NULL);
    }
}

void sub_drained(struct client *c)
{
    if (c->sub != NULL && sub_feed(c))
        feed_later(c);
}

void srv_feed_subscribers(struct srv *s)
{
    for (struct client *c = s->subscribers, *next; c != NULL; c = next) {
        next = c->sub->next;
        if (c->sub->live && sub_feed(c))
            feed_later(c);
    }
}

void sub_free(struct client *c)
{
    struct ev_sub *sub = c->sub;
    if (sub == NULL)
        return;
    struct srv *s = c->srv;
    if (sub->prev)
        sub->prev->sub->next = sub->next;
    else
        s->subscribers = sub->next;
    if (sub->next)
        sub->next->sub->prev = sub->prev;
    tag_expr_free(sub->where);
    free(sub->types);
    free(sub->type_bytes);
    offset_map_free(&sub->cursor);
    free(sub);
    c->sub = NULL;
}

/* EV.SUBSCRIBE [WHERE expr] [TYPES numtypes type ...] [FROM map] */
void cmd_ev_subscribe(struct client *c, int argc, const struct resp_arg *argv)
{
    if (c->sub != NULL) {
        reply_error(c, "already subscribed: EV.UNSUBSCRIBE first");
        return;
    }
    struct srv_ev_args a;
    if (srv_ev_args_or_reply(c, argc, argv, &a) != 0)
        return;
    /* the subscription keeps its own copies of the types (argv goes away) */
    size_t total = 0;
    for (size_t i = 0; i < a.ntypes; i++)
        total += a.types[i].len;
    struct ev_sub *sub = calloc(1, sizeof(*sub));
    struct store_bytes *types = a.ntypes ? malloc(a.ntypes * sizeof(*types)) : NULL;
    char *bytes = malloc(total ? total : 1);
    if (sub == NULL || bytes == NULL || (a.ntypes && types == NULL)) {
        free(sub), free(types), free(bytes), free(a.types);
        tag_expr_free(a.where);
        offset_map_free(&a.from);
        reply_error(c, "out of memory");
        return;
    }
    char *p = bytes;
    for (size_t i = 0; i < a.ntypes; i++) {
        memcpy(p, a.types[i].ptr, a.types[i].len);
        types[i] = (struct store_bytes){ p, a.types[i].len };
        p += a.types[i].len;
    }
    free(a.types);
    *sub = (struct ev_sub){ .where = a.where, .types = types, .type_bytes = bytes, .ntypes = a.ntypes,
                            .cursor = a.from };
    sub_link(c, sub);
    message_map(c, "ev.subscribed", &sub->cursor);
    if (sub_feed(c))
        feed_later(c);
}

/* EV.UNSUBSCRIBE: ends the subscription; the message carries the map of
 * what was delivered. */
void cmd_ev_unsubscribe(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc, (void)argv;
    struct offset_map none = { 0 };
    message_map(c, "ev.unsubscribed", c->sub ? &c->sub->cursor : &none);
    sub_free(c);
}

static void sub_link(struct client *c, struct ev_sub *sub)
{
    struct srv *s = c->srv;
    sub->next = s->subscribers;
    if (s->subscribers)
        s->subscribers->sub->prev = c;
    s->subscribers = c;
    c->sub = sub;
}

/* EV.SYNC <node id> <offset map>: a peer pulls. The answer is this node's
 * offsets; then every event the peer lacks (of every stream held here, the
 * peer's own included), chunk by chunk as the socket drains, then live
 * events, and an offsets frame whenever the peer is level and every
 * second. See docs/replication.md. */
void cmd_ev_sync(struct client *c, int argc, const struct resp_arg *argv)
{
    if (argc != 3 && !(argc == 5 && arg_is(&argv[3], "listen"))) {
        reply_error_syntax(c);
        return;
    }
    if (c->sub != NULL) {
        reply_error(c, "this connection already streams: EV.SYNC and EV.SUBSCRIBE take a connection each");
        return;
    }
    if (c->srv->cfg.peer_password[0] != '\0' && !(c->flags & CLIENT_PEER)) {
        reply_error(c, "-NOPERM EV.SYNC needs AUTH with this node's peer-password");
        return;
    }
    const char *self = store_node_id(c->srv->store);
    if (argv[1].len == strlen(self) && memcmp(argv[1].ptr, self, argv[1].len) == 0) {
        reply_error(c, "EV.SYNC from this node itself (a peer address that points back here?)");
        return;
    }
    struct ev_sub *sub = calloc(1, sizeof(*sub));
    char err[256];
    if (sub == NULL) {
        reply_error(c, "out of memory");
        return;
    }
    if (offset_map_parse(argv[2].ptr, argv[2].len, &sub->cursor, err, sizeof(err)) != 0) {
        free(sub);
        reply_error(c, err);
        return;
    }
    sub->sync = 1;
    sub_link(c, sub);
    if (argc == 5 && argv[1].len == STORE_NODE_ID_LEN) {
        char node[STORE_NODE_ID_LEN + 1];
        memcpy(node, argv[1].ptr, STORE_NODE_ID_LEN);
        node[STORE_NODE_ID_LEN] = '\0';
        srv_link_back(c->srv, node, &argv[4]);
    }
    sync_offsets(c);
    if (sub_feed(c))
        feed_later(c);
}

void srv_sync_announce(struct srv *s)
{
    for (struct client *c = s->subscribers; c != NULL; c = c->sub->next)
        if (c->sub->sync && c->sub->live && c->out.len < SUB_OUT_LIMIT)
            sync_offsets(c);
}

struct client *srv_sub_next(const struct client *c)
{
    return c->sub->next;
}

int srv_sub_is_sync(const struct client *c)
{
    return c->sub != NULL && c->sub->sync;
}
