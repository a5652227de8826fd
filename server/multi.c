/* multi.c — MULTI / EXEC / DISCARD and WATCH / UNWATCH, as Redis 7.0.
 *
 * Between MULTI and EXEC a client's commands are checked (name, arity,
 * authentication) and queued with "+QUEUED"; a rejected one makes EXEC
 * answer EXECABORT. EXEC runs the queue at once, in the current loop turn,
 * so all its writes belong to the turn's one store transaction: they are
 * committed together or not at all, and no reply of the EXEC reaches the
 * client before that commit. Blocking commands inside EXEC do not block.
 *
 * WATCH records each key's state (existence, incarnation, length, entries
 * added, last and max-deleted IDs); EXEC answers a null array when any has
 * changed since, whoever changed it. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "reply.h"
#include "store.h"
#include "stream_args.h"

#include <stdlib.h>
#include <string.h>

struct multi_cmd {
    struct srv_cmd_entry *e;
    int argc;
    struct resp_arg *argv; /* one allocation: the array, then the bytes */
};

struct watched_key {
    char *name;
    size_t len;
    int exists;
    struct store_key_info info;
};

static int multi_grow(struct multi_state *m)
{
    int cap = m->cap ? m->cap * 2 : 8;
    struct multi_cmd *grown = realloc(m->cmds, (size_t)cap * sizeof(*grown));
    if (grown == NULL)
        return -1;
    m->cmds = grown;
    m->cap = cap;
    return 0;
}

void multi_queue(struct client *c, struct srv_cmd_entry *e, int argc, const struct resp_arg *argv)
{
    struct multi_state *m = &c->multi;
    size_t bytes = (size_t)argc * sizeof(struct resp_arg);
    for (int i = 0; i < argc; i++)
        bytes += argv[i].len;
    struct resp_arg *copy = malloc(bytes ? bytes : 1);
    if (copy == NULL || (m->n == m->cap && multi_grow(m) != 0)) {
        free(copy);
        m->dirty = 1;
        reply_error(c, "out of memory");
        return;
    }
    char *p = (char *)(copy + argc);
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        copy[i] = (struct resp_arg){ p, argv[i].len };
        p += argv[i].len;
    }
    m->cmds[m->n++] = (struct multi_cmd){ e, argc, copy };
    if (e->cmd->flags & CMD_WRITE)
        m->writes = 1;
    reply_simple(c, "QUEUED");
}

/* Leaves MULTI, dropping the queue. */
static void multi_discard(struct client *c)
{
    struct multi_state *m = &c->multi;
    for (int i = 0; i < m->n; i++)
        free(m->cmds[i].argv);
    free(m->cmds);
    memset(m, 0, sizeof(*m));
    c->flags &= ~CLIENT_MULTI;
}

static void unwatch_all(struct client *c)
{
    for (int i = 0; i < c->nwatched; i++)
        free(c->watched[i].name);
    free(c->watched);
    c->watched = NULL;
    c->nwatched = 0;
}

void multi_reset(struct client *c)
{
    multi_discard(c);
    unwatch_all(c);
}

/* The key's state now: 0 (and *exists), or an error code. */
static int key_state(struct client *c, struct store_bytes key, int *exists, struct store_key_info *info)
{
    int rc = store_key_info(c->srv->store, key, info);
    *exists = rc == 0;
    if (rc == STORE_ERR_NOKEY) {
        memset(info, 0, sizeof(*info));
        rc = 0;
    }
    return rc;
}

/* 1 if a watched key changed since WATCH (or cannot be read), else 0. */
static int watched_changed(struct client *c)
{
    for (int i = 0; i < c->nwatched; i++) {
        const struct watched_key *w = &c->watched[i];
        struct store_key_info now;
        int exists;
        if (key_state(c, (struct store_bytes){ w->name, w->len }, &exists, &now) != 0 || exists != w->exists)
            return 1;
        if (exists && (now.incarnation != w->info.incarnation || now.length != w->info.length ||
                       now.entries_added != w->info.entries_added ||
                       store_id_cmp(now.last_id, w->info.last_id) != 0 ||
                       store_id_cmp(now.max_deleted_id, w->info.max_deleted_id) != 0))
            return 1;
    }
    return 0;
}

void cmd_multi(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "MULTI calls can not be nested");
        return;
    }
    c->flags |= CLIENT_MULTI;
    reply_ok(c);
}

void cmd_discard(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "DISCARD without MULTI");
        return;
    }
    multi_reset(c);
    reply_ok(c);
}

void cmd_exec(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "EXEC without MULTI");
        return;
    }
    struct multi_state m = c->multi;
    if (m.dirty) {
        multi_reset(c);
        reply_error(c, "-EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    if (watched_changed(c)) {
        multi_reset(c);
        reply_null_array(c);
        return;
    }
    /* The queue is ours now: commands inside may not touch c->multi. */
    memset(&c->multi, 0, sizeof(c->multi));
    c->flags &= ~CLIENT_MULTI;
    unwatch_all(c);
    if (m.writes)
        srv_turn_note_writer(c); /* a failed commit replaces the whole EXEC reply */
    reply_array(c, (size_t)m.n);
    c->flags |= CLIENT_DENY_BLOCKING;
    uint64_t clock = srv_cmd_clock();
    for (int i = 0; i < m.n; i++) {
        srv_call(c, m.cmds[i].e, m.cmds[i].argc, m.cmds[i].argv, &clock);
        free(m.cmds[i].argv);
    }
    c->flags &= ~CLIENT_DENY_BLOCKING;
    free(m.cmds);
}

void cmd_watch(struct client *c, int argc, const struct resp_arg *argv)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "WATCH inside MULTI is not allowed");
        return;
    }
    for (int i = 1; i < argc; i++) {
        int seen = 0;
        for (int j = 0; j < c->nwatched && !seen; j++)
            seen = c->watched[j].len == argv[i].len && memcmp(c->watched[j].name, argv[i].ptr, argv[i].len) == 0;
        if (seen)
            continue; /* Redis keeps the first WATCH of a key */
        struct watched_key w = { .len = argv[i].len };
        int rc = key_state(c, arg_bytes(&argv[i]), &w.exists, &w.info);
        if (rc != 0) {
            reply_store_error(c, rc);
            return;
        }
        struct watched_key *grown = realloc(c->watched, (size_t)(c->nwatched + 1) * sizeof(*grown));
        if (grown == NULL || (w.name = arg_dup(&argv[i])) == NULL) {
            if (grown != NULL)
                c->watched = grown;
            reply_error(c, "out of memory");
            return;
        }
        c->watched = grown;
        c->watched[c->nwatched++] = w;
    }
    reply_ok(c);
}

void cmd_unwatch(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    unwatch_all(c);
    reply_ok(c);
}
