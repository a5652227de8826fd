/* peers.c — this node's replication links: EV.PEER ADD / REMOVE / LIST,
 * the peers kept in the store (so runtime changes survive a restart), and
 * the hooks through which a link's imports reach the loop (wake-ups) and
 * its log lines reach the server log. The links themselves are
 * replication/link.c. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "evparse.h"
#include "log.h"
#include "reply.h"
#include "repl.h"
#include "store.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hook_log(void *ctx, int warning, const char *msg)
{
    (void)ctx;
    srv_log(warning ? SRV_LL_WARNING : SRV_LL_NOTICE, "%s", msg);
}

static void hook_imported(void *ctx, const char *key, size_t len)
{
    struct resp_arg k = { key, len };
    srv_touch_key(ctx, &k);
}

static void hold_check_soon(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    srv_hold_check(arg);
}

/* The events the peer announced that are not here. */
static void hook_announced(void *ctx, struct repl_link *l, const char *json, size_t len)
{
    struct srv *s = ctx;
    struct offset_map theirs = { 0 }, ours = { 0 };
    char err[200];
    if (offset_map_parse(json, len, &theirs, err, sizeof(err)) == 0 &&
        store_log_offsets(s->store, offset_map_put, &ours) == 0) {
        uint64_t mine, next, lamport;
        const char *own = store_own_stream(s->store);
        store_log_head(s->store, &next, &lamport);
        if (offset_map_get(&theirs, own, &mine) && mine >= next) {
            /* a peer holds more of this node's stream than this node: an old
             * backup. Recover before writing, or offsets would be reused. */
            if (!store_recovering(s->store))
                srv_log(SRV_LL_WARNING, "This node's own stream is behind its peers (offset %llu here, %llu "
                        "there): recovering it, new events are refused until then",
                        (unsigned long long)next, (unsigned long long)mine);
            store_set_recovering(s->store, mine);
        }
        repl_link_set_behind(l, offset_map_missing(&ours, &theirs, NULL));
    }
    if (s->hold_until_ms != 0) { /* maybe the last peer the startup hold waits for: check soon, */
        struct timeval now = { 0, 0 }; /* not here, inside the link's read */
        event_base_once(s->base, -1, EV_TIMEOUT, hold_check_soon, s, &now);
    }
    offset_map_free(&theirs);
    offset_map_free(&ours);
}

static int find_link(struct srv *s, const struct repl_addr *a)
{
    for (size_t i = 0; i < s->nlinks; i++) {
        const struct repl_addr *b = repl_link_addr(s->links[i]);
        if (b->port == a->port && strcmp(b->host, a->host) == 0)
            return (int)i;
    }
    return -1;
}

int srv_link_add(struct srv *s, const struct repl_addr *a)
{
    if (find_link(s, a) >= 0)
        return 0;
    struct repl_link **grown = realloc(s->links, (s->nlinks + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    s->links = grown;
    struct repl_hooks hooks = { s, hook_log, hook_imported, hook_announced };
    struct repl_link *l = repl_link_new(s->base, s->store, a, s->cfg.peer_password, s->cfg.port, &hooks);
    if (l == NULL)
        return -1;
    s->links[s->nlinks++] = l;
    return 0;
}

static int load_peer(void *ctx, const char *addr)
{
    struct repl_addr a;
    if (repl_addr_parse(addr, strlen(addr), &a) == 0)
        srv_link_add(ctx, &a);
    return 0;
}

int srv_peers_start(struct srv *s)
{
    for (int i = 0; i < s->cfg.npeers; i++) /* `peer` lines and --peer */
        load_peer(s, s->cfg.peers[i]);
    return store_peers(s->store, load_peer, s);
}

void srv_peers_stop(struct srv *s)
{
    for (size_t i = 0; i < s->nlinks; i++)
        repl_link_free(s->links[i]);
    free(s->links);
    s->links = NULL;
    s->nlinks = 0;
}

static int addr_or_reply(struct client *c, const struct resp_arg *arg, struct repl_addr *a, char *canon)
{
    if (repl_addr_parse(arg->ptr, arg->len, a) != 0) {
        reply_errorf(c, "invalid peer address '%.*s': expected host:port or [ipv6]:port", arg_print_len(arg, 200),
                     arg->ptr);
        return -1;
    }
    repl_addr_format(a, canon, REPL_HOST_MAX + 16);
    return 0;
}

/* EV.PEER ADD host:port: pulls from that peer from now on, and after restarts. */
void cmd_ev_peer_add(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    struct repl_addr a;
    char canon[REPL_HOST_MAX + 16];
    if (addr_or_reply(c, &argv[2], &a, canon) != 0)
        return;
    if (find_link(c->srv, &a) >= 0) {
        reply_int(c, 0);
        return;
    }
    int rc = store_peer_set(c->srv->store, canon, 1);
    if (rc != 0) {
        reply_store_error(c, rc);
        return;
    }
    if (srv_link_add(c->srv, &a) != 0) {
        reply_error(c, "out of memory");
        return;
    }
    reply_int(c, 1);
}

/* EV.PEER REMOVE host:port */
void cmd_ev_peer_remove(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    struct srv *s = c->srv;
    struct repl_addr a;
    char canon[REPL_HOST_MAX + 16];
    if (addr_or_reply(c, &argv[2], &a, canon) != 0)
        return;
    int rc = store_peer_set(s->store, canon, 0), i = find_link(s, &a);
    if (rc != 0) {
        reply_store_error(c, rc);
        return;
    }
    if (i >= 0) {
        repl_link_free(s->links[i]);
        s->links[i] = s->links[--s->nlinks];
    }
    reply_int(c, i >= 0);
}

/* EV.PEER LIST: address, node id, link state, events behind, last contact. */
void cmd_ev_peer_list(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc, (void)argv;
    struct srv *s = c->srv;
    reply_array(c, s->nlinks);
    for (size_t i = 0; i < s->nlinks; i++) {
        struct repl_link_info in;
        repl_link_info(s->links[i], &in);
        reply_map(c, 6);
        reply_bulk_cstr(c, "address");
        reply_bulk_cstr(c, in.addr);
        reply_bulk_cstr(c, "node");
        if (in.node[0])
            reply_bulk_cstr(c, in.node);
        else
            reply_null(c);
        reply_bulk_cstr(c, "state");
        reply_bulk_cstr(c, in.state);
        reply_bulk_cstr(c, "behind");
        reply_int(c, (long long)in.behind);
        reply_bulk_cstr(c, "imported");
        reply_int(c, (long long)in.imported);
        reply_bulk_cstr(c, "lastContact");
        reply_int(c, in.last_contact_ms);
    }
}

int srv_link_back(struct srv *s, const char *node, const struct resp_arg *listen)
{
    struct repl_addr a;
    if (repl_addr_parse(listen->ptr, listen->len, &a) != 0)
        return -1;
    for (size_t i = 0; i < s->nlinks; i++) {
        struct repl_link_info in;
        repl_link_info(s->links[i], &in);
        if (strcmp(in.node, node) == 0)
            return 0; /* this node already pulls from the caller */
    }
    if (find_link(s, &a) >= 0)
        return 0;
    srv_log(SRV_LL_NOTICE, "Replication: %s pulls from this node; pulling back from %.*s", node,
            (int)listen->len, listen->ptr);
    return srv_link_add(s, &a);
}

