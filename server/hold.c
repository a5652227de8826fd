/* hold.c — at start, writes wait until the peers have said where this
 * node's own stream stands.
 *
 * A node restored from an older copy of its data directory holds less of
 * its own stream than its peers do; a write then would reuse an offset a
 * peer already holds for another event. A peer's first offsets frame tells
 * (peers.c then starts own-stream recovery and writes answer RECOVERING),
 * so a node that starts with peers holds every write command (and EXEC of
 * a transaction that writes) until each of those peers has answered its
 * EV.SYNC, or failed to connect once (it may be down: the node keeps
 * working alone), or `peer-startup-wait` ms have passed. A held client's
 * command is copied and run when the hold lifts, then its later input;
 * reads and other clients go on meanwhile. */
#include "server.h"

#include "commands.h"
#include "log.h"
#include "repl.h"

#include <stdlib.h>
#include <string.h>

struct held_cmd {
    int argc;
    struct resp_arg argv[]; /* then the argument bytes, each NUL-terminated */
};

void srv_hold_begin(struct srv *s)
{
    if (s->nlinks == 0 || s->cfg.peer_startup_wait <= 0)
        return;
    s->hold_until_ms = srv_now_ms() + s->cfg.peer_startup_wait;
    srv_log(SRV_LL_NOTICE, "Writes wait (up to %lld ms) until the %zu peer(s) confirm this node's own stream",
            s->cfg.peer_startup_wait, s->nlinks);
}

int srv_hold_needed(const struct client *c, const struct srv_command *cmd)
{
    if (c->srv->hold_until_ms == 0)
        return 0;
    return (cmd->flags & CMD_WRITE) || (cmd->proc == cmd_exec && c->multi.writes);
}

int srv_hold(struct client *c, int argc, const struct resp_arg *argv)
{
    size_t bytes = 0;
    for (int i = 0; i < argc; i++)
        bytes += argv[i].len + 1;
    struct held_cmd *h = malloc(sizeof(*h) + (size_t)argc * sizeof(h->argv[0]) + bytes);
    if (h == NULL)
        return -1;
    h->argc = argc;
    char *p = (char *)(h->argv + argc);
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        p[argv[i].len] = '\0';
        h->argv[i] = (struct resp_arg){ p, argv[i].len };
        p += argv[i].len + 1;
    }
    c->held = h;
    c->flags |= CLIENT_HELD;
    return 0;
}

/* 1 when every link started at boot has answered or failed once. */
static int peers_settled(struct srv *s)
{
    for (size_t i = 0; i < s->nlinks; i++) {
        struct repl_link_info in;
        repl_link_info(s->links[i], &in);
        if (repl_link_announced(s->links[i]) == NULL && strcmp(in.state, "backoff") != 0)
            return 0;
    }
    return 1;
}

void srv_hold_check(struct srv *s)
{
    if (s->hold_until_ms == 0)
        return;
    int expired = srv_now_ms() >= s->hold_until_ms;
    if (!expired && !peers_settled(s))
        return;
    srv_log(SRV_LL_NOTICE, expired ? "Peers did not all answer within peer-startup-wait: writes go on"
                                   : "Peers answered: writes go on");
    s->hold_until_ms = 0;
    for (struct client *c = s->clients_head; c != NULL; c = c->next) {
        if (!(c->flags & CLIENT_HELD))
            continue;
        struct held_cmd *h = c->held;
        c->held = NULL;
        c->flags &= ~CLIENT_HELD;
        uint64_t clock = srv_cmd_clock();
        if (!(c->flags & CLIENT_CLOSE_ASAP))
            srv_dispatch(c, h->argc, h->argv, &clock);
        free(h);
        client_resume(c);
    }
}

void srv_hold_free(struct client *c)
{
    free(c->held);
    c->held = NULL;
}
