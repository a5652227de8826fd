/* dispatch.c — the command registry (name lookup, per-command counters) and
 * the path of one request: lookup, arity, authentication, call, stats. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 63

static uint64_t name_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a on lower-cased bytes */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch += 'a' - 'A';
        h = (h ^ ch) * 1099511628211ULL;
    }
    return h;
}

static int name_eq(const char *lower, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch += 'a' - 'A';
        if (lower[i] == '\0' || lower[i] != (char)ch)
            return 0;
    }
    return lower[len] == '\0';
}

static size_t count_rows(const struct srv_command *rows)
{
    size_t n = 0;
    while (rows && rows[n].name)
        n++;
    return n;
}

static void entry_init(struct srv_cmd_entry *e, const struct srv_command *cmd,
                       const struct srv_command *parent)
{
    e->cmd = cmd;
    e->parent = parent;
    if (parent)
        snprintf(e->fullname, sizeof(e->fullname), "%s|%s", parent->name, cmd->name);
    else
        snprintf(e->fullname, sizeof(e->fullname), "%s", cmd->name);
}

int srv_registry_init(struct srv_registry *r)
{
    memset(r, 0, sizeof(*r));
    r->count = count_rows(srv_command_table);
    r->entries = calloc(r->count, sizeof(*r->entries));
    r->nslots = 16;
    while (r->nslots < r->count * 2)
        r->nslots *= 2;
    r->slots = calloc(r->nslots, sizeof(*r->slots));
    if (r->entries == NULL || r->slots == NULL)
        goto fail;
    for (size_t i = 0; i < r->count; i++) {
        struct srv_cmd_entry *e = &r->entries[i];
        const struct srv_command *cmd = &srv_command_table[i];
        entry_init(e, cmd, NULL);
        e->nsubs = count_rows(cmd->subcommands);
        if (e->nsubs) {
            e->subs = calloc(e->nsubs, sizeof(*e->subs));
            if (e->subs == NULL)
                goto fail;
            for (size_t j = 0; j < e->nsubs; j++)
                entry_init(&e->subs[j], &cmd->subcommands[j], cmd);
        }
        size_t slot = name_hash(cmd->name, strlen(cmd->name)) & (r->nslots - 1);
        while (r->slots[slot])
            slot = (slot + 1) & (r->nslots - 1);
        r->slots[slot] = e;
    }
    return 0;
fail:
    srv_registry_free(r);
    return -1;
}

void srv_registry_free(struct srv_registry *r)
{
    for (size_t i = 0; r->entries && i < r->count; i++)
        free(r->entries[i].subs);
    free(r->entries);
    free(r->slots);
    memset(r, 0, sizeof(*r));
}

struct srv_cmd_entry *srv_registry_find(const struct srv_registry *r, const char *name, size_t len)
{
    if (len == 0 || len > NAME_MAX_LEN)
        return NULL;
    size_t slot = name_hash(name, len) & (r->nslots - 1);
    for (struct srv_cmd_entry *e; (e = r->slots[slot]) != NULL; slot = (slot + 1) & (r->nslots - 1))
        if (name_eq(e->cmd->name, name, len))
            return e;
    return NULL;
}

struct srv_cmd_entry *srv_registry_find_sub(const struct srv_cmd_entry *parent, const char *name, size_t len)
{
    if (len > NAME_MAX_LEN)
        return NULL;
    for (size_t i = 0; i < parent->nsubs; i++)
        if (name_eq(parent->subs[i].cmd->name, name, len))
            return &parent->subs[i];
    return NULL;
}

/* Redis's text: unknown command 'foo', with args beginning with: 'a' 'b' */
static void reply_unknown_command(struct client *c, int argc, const struct resp_arg *argv)
{
    char args[256];
    size_t used = 0;
    args[0] = '\0';
    for (int i = 1; i < argc && used < 128; i++) {
        int n = arg_print_len(&argv[i], 128 - used);
        int w = snprintf(args + used, sizeof(args) - used, "'%.*s' ", n, argv[i].ptr);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    reply_errorf(c, "unknown command '%.*s', with args beginning with: %s",
                 arg_print_len(&argv[0], 128), argv[0].ptr, args);
}

static int arity_ok(int arity, int argc)
{
    return arity > 0 ? argc == arity : argc >= -arity;
}

/* The checks of one request: NULL after an error reply (which, inside
 * MULTI, also dooms the transaction), else the command to run. */
static struct srv_cmd_entry *check_command(struct client *c, int argc, const struct resp_arg *argv)
{
    struct srv_cmd_entry *e = srv_registry_find(&c->srv->registry, argv[0].ptr, argv[0].len);
    if (e == NULL) {
        reply_unknown_command(c, argc, argv);
        return NULL;
    }
    if (e->nsubs && argc >= 2) {
        struct srv_cmd_entry *sub = srv_registry_find_sub(e, argv[1].ptr, argv[1].len);
        if (sub == NULL) {
            char upper[NAME_MAX_LEN + 1];
            size_t n = strlen(e->cmd->name);
            for (size_t i = 0; i <= n; i++)
                upper[i] = (e->cmd->name[i] >= 'a' && e->cmd->name[i] <= 'z')
                               ? (char)(e->cmd->name[i] - 'a' + 'A') : e->cmd->name[i];
            reply_error_subcommand(c, argv[1].ptr, argv[1].len, upper);
            return NULL;
        }
        e = sub;
    }
    c->last_cmd = e;
    const char *reject = NULL;
    if (!arity_ok(e->cmd->arity, argc) || e->cmd->proc == NULL) {
        e->stats.rejected_calls++;
        reply_error_arity(c, e->fullname);
        return NULL;
    }
    if (client_auth_required(c) && !(e->cmd->flags & CMD_NO_AUTH))
        reject = "-NOAUTH Authentication required.";
    else if ((c->flags & CLIENT_MULTI) && (e->cmd->flags & CMD_NO_MULTI))
        reject = "Command not allowed inside a transaction";
    else if (c->sub != NULL && c->resp == 2 && e->cmd->proc != cmd_ev_unsubscribe && e->cmd->proc != cmd_ping &&
             e->cmd->proc != cmd_quit && e->cmd->proc != cmd_reset) {
        e->stats.rejected_calls++;
        reply_errorf(c, "Can't execute '%s': only EV.UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                     e->fullname);
        return NULL;
    }
    if (reject != NULL) {
        e->stats.rejected_calls++;
        reply_error(c, reject);
        return NULL;
    }
    return e;
}

/* Commands that run at once inside MULTI instead of being queued. */
static int runs_in_multi(const struct srv_command *cmd)
{
    return cmd->proc == cmd_exec || cmd->proc == cmd_discard || cmd->proc == cmd_multi ||
           cmd->proc == cmd_watch || cmd->proc == cmd_quit || cmd->proc == cmd_reset;
}

static void dispatch_one(struct client *c, int argc, const struct resp_arg *argv, uint64_t *clock)
{
    struct srv_cmd_entry *e = check_command(c, argc, argv);
    if (e == NULL) {
        c->multi.dirty |= (c->flags & CLIENT_MULTI) != 0;
        return;
    }
    if ((c->flags & CLIENT_MULTI) && !runs_in_multi(e->parent ? e->parent : e->cmd))
        multi_queue(c, e, argc, argv);
    else if (srv_hold_needed(c, e->cmd) && srv_hold(c, argc, argv) == 0)
        return; /* runs when the startup hold lifts */
    else
        srv_call(c, e, argc, argv, clock);
}

void srv_call(struct client *c, struct srv_cmd_entry *e, int argc, const struct resp_arg *argv,
              uint64_t *clock)
{
    struct srv *s = c->srv;
    c->last_cmd = e;
    uint64_t errors_before = s->stats.error_replies;
    uint64_t start = *clock;
    if (e->cmd->flags & CMD_WRITE)
        srv_call_write(c, e, argc, argv);
    else
        e->cmd->proc(c, argc, argv);
    *clock = srv_cmd_clock();
    e->stats.ticks += *clock - start;
    e->stats.calls++;
    if (s->stats.error_replies > errors_before) /* (CONFIG RESETSTAT sets it back to 0) */
        e->stats.failed_calls++;
    s->stats.commands_processed++;
}

void srv_dispatch(struct client *c, int argc, const struct resp_arg *argv, uint64_t *clock)
{
    dispatch_one(c, argc, argv, clock);
    /* Every request answers exactly once; a writer counts its answers so a
     * failed turn commit can replace them (commit.c). */
    if (c->flags & CLIENT_TURN_WRITER)
        c->turn_replies++;
}
