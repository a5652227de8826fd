/* cmd_command.c — COMMAND, COMMAND COUNT | INFO | DOCS | LIST | HELP,
 * generated from the command table with Redis 7.0's reply shapes. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "globmatch.h"
#include "reply.h"

#include <string.h>

struct name_flag {
    unsigned bit;
    const char *name;
};

/* In Redis's order; may_replicate, sentinel and protected are hidden there. */
static const struct name_flag command_flags[] = {
    { CMD_WRITE, "write" }, { CMD_READONLY, "readonly" }, { CMD_DENYOOM, "denyoom" },
    { CMD_ADMIN, "admin" }, { CMD_PUBSUB, "pubsub" }, { CMD_NOSCRIPT, "noscript" },
    { CMD_BLOCKING, "blocking" }, { CMD_LOADING, "loading" }, { CMD_STALE, "stale" },
    { CMD_SKIP_MONITOR, "skip_monitor" }, { CMD_SKIP_SLOWLOG, "skip_slowlog" },
    { CMD_FAST, "fast" }, { CMD_NO_AUTH, "no_auth" },
    { CMD_NO_MANDATORY_KEYS, "no_mandatory_keys" }, { CMD_NO_MULTI, "no_multi" },
    { CMD_MOVABLE_KEYS, "movablekeys" }, { CMD_ALLOW_BUSY, "allow_busy" }, { 0, NULL },
};

static const struct name_flag acl_categories[] = {
    { ACL_KEYSPACE, "@keyspace" }, { ACL_READ, "@read" }, { ACL_WRITE, "@write" },
    { ACL_STREAM, "@stream" }, { ACL_PUBSUB, "@pubsub" }, { ACL_ADMIN, "@admin" },
    { ACL_FAST, "@fast" }, { ACL_SLOW, "@slow" }, { ACL_BLOCKING, "@blocking" },
    { ACL_DANGEROUS, "@dangerous" }, { ACL_CONNECTION, "@connection" },
    { ACL_TRANSACTION, "@transaction" }, { 0, NULL },
};

static const struct name_flag key_spec_flags[] = {
    { KS_RO, "RO" }, { KS_RW, "RW" }, { KS_OW, "OW" }, { KS_RM, "RM" },
    { KS_ACCESS, "access" }, { KS_UPDATE, "update" }, { KS_INSERT, "insert" },
    { KS_DELETE, "delete" }, { KS_NOT_KEY, "not_key" }, { KS_INCOMPLETE, "incomplete" },
    { KS_VARIABLE_FLAGS, "variable_flags" }, { 0, NULL },
};

static const struct name_flag arg_flags[] = {
    { ARGF_OPTIONAL, "optional" }, { ARGF_MULTIPLE, "multiple" },
    { ARGF_MULTIPLE_TOKEN, "multiple_token" }, { 0, NULL },
};

static const char *const arg_type_names[] = {
    "string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block",
};

static void reply_flag_set(struct client *c, const struct name_flag *table, unsigned bits)
{
    size_t n = 0;
    for (const struct name_flag *f = table; f->name; f++)
        n += (bits & f->bit) != 0;
    reply_set(c, n);
    for (const struct name_flag *f = table; f->name; f++)
        if (bits & f->bit)
            reply_simple(c, f->name);
}

/* Explicit categories plus those Redis derives from the flags. */
static unsigned command_acl(const struct srv_command *cmd)
{
    unsigned acl = cmd->acl;
    if (cmd->flags & CMD_WRITE) acl |= ACL_WRITE;
    if (cmd->flags & CMD_READONLY) acl |= ACL_READ;
    if (cmd->flags & CMD_ADMIN) acl |= ACL_ADMIN | ACL_DANGEROUS;
    if (cmd->flags & CMD_PUBSUB) acl |= ACL_PUBSUB;
    if (cmd->flags & CMD_FAST) acl |= ACL_FAST;
    if (cmd->flags & CMD_BLOCKING) acl |= ACL_BLOCKING;
    if (!(acl & ACL_FAST)) acl |= ACL_SLOW;
    return acl;
}

static void reply_tips(struct client *c, const char *tips)
{
    size_t n = 0;
    for (const char *p = tips; p && *p;) {
        size_t len = strcspn(p, " ");
        n += len > 0;
        p += len + (p[len] == ' ');
    }
    reply_set(c, n);
    for (const char *p = tips; p && *p;) {
        size_t len = strcspn(p, " ");
        if (len)
            reply_bulk(c, p, len);
        p += len + (p[len] == ' ');
    }
}

static void reply_key_spec(struct client *c, const struct srv_key_spec *ks)
{
    reply_map(c, ks->notes ? 4 : 3);
    if (ks->notes) {
        reply_bulk_cstr(c, "notes");
        reply_bulk_cstr(c, ks->notes);
    }
    reply_bulk_cstr(c, "flags");
    reply_flag_set(c, key_spec_flags, ks->flags);
    reply_bulk_cstr(c, "begin_search");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, ks->begin == KS_BEGIN_INDEX ? "index" : "keyword");
    reply_bulk_cstr(c, "spec");
    if (ks->begin == KS_BEGIN_INDEX) {
        reply_map(c, 1);
        reply_bulk_cstr(c, "index");
        reply_int(c, ks->index);
    } else {
        reply_map(c, 2);
        reply_bulk_cstr(c, "keyword");
        reply_bulk_cstr(c, ks->keyword);
        reply_bulk_cstr(c, "startfrom");
        reply_int(c, ks->startfrom);
    }
    reply_bulk_cstr(c, "find_keys");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, ks->find == KS_FIND_RANGE ? "range" : "keynum");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 3);
    reply_bulk_cstr(c, ks->find == KS_FIND_RANGE ? "lastkey" : "keynumidx");
    reply_int(c, ks->find == KS_FIND_RANGE ? ks->lastkey : ks->keynumidx);
    reply_bulk_cstr(c, ks->find == KS_FIND_RANGE ? "keystep" : "firstkey");
    reply_int(c, ks->find == KS_FIND_RANGE ? ks->keystep : ks->firstkey);
    reply_bulk_cstr(c, ks->find == KS_FIND_RANGE ? "limit" : "keystep");
    reply_int(c, ks->find == KS_FIND_RANGE ? ks->limit : ks->keynumstep);
}

/* The legacy (first, last, step) triple, derived from the index/range key
 * specs as Redis's populateCommandLegacyRangeSpec does. */
static void legacy_range(const struct srv_command *cmd, int *first, int *last, int *step)
{
    *first = *last = *step = 0;
    for (int i = 0; i < cmd->nkey_specs; i++) {
        const struct srv_key_spec *ks = &cmd->key_specs[i];
        if (ks->begin != KS_BEGIN_INDEX || ks->find != KS_FIND_RANGE || ks->limit != 0 ||
            (ks->flags & KS_INCOMPLETE))
            continue;
        int f = ks->index, l = ks->lastkey < 0 ? ks->lastkey : ks->index + ks->lastkey;
        if (*first == 0) {
            *first = f;
            *last = l;
            *step = ks->keystep;
            continue;
        }
        if (f < *first) *first = f;
        if (l < 0 || *last < 0) *last = l < *last ? l : *last;
        else if (l > *last) *last = l;
    }
}

static void reply_command_info(struct client *c, const struct srv_cmd_entry *e)
{
    const struct srv_command *cmd = e->cmd;
    int first, last, step;
    legacy_range(cmd, &first, &last, &step);
    reply_array(c, 10);
    reply_bulk_cstr(c, e->fullname);
    reply_int(c, cmd->arity);
    reply_flag_set(c, command_flags, cmd->flags);
    reply_int(c, first);
    reply_int(c, last);
    reply_int(c, step);
    reply_flag_set(c, acl_categories, command_acl(cmd));
    reply_tips(c, cmd->tips);
    reply_array(c, (size_t)cmd->nkey_specs);
    for (int i = 0; i < cmd->nkey_specs; i++)
        reply_key_spec(c, &cmd->key_specs[i]);
    reply_array(c, e->nsubs);
    for (size_t i = 0; i < e->nsubs; i++)
        reply_command_info(c, &e->subs[i]);
}

static size_t count_args(const struct srv_arg *args)
{
    size_t n = 0;
    while (args && args[n].name)
        n++;
    return n;
}

static void reply_args(struct client *c, const struct srv_arg *args)
{
    size_t n = count_args(args);
    reply_array(c, n);
    for (size_t i = 0; i < n; i++) {
        const struct srv_arg *a = &args[i];
        int nested = a->type == ARG_ONEOF || a->type == ARG_BLOCK;
        reply_map(c, 2 + (a->type == ARG_KEY) + !!a->token + !!a->summary + !!a->since +
                         !!a->flags + !!a->display + nested);
        reply_bulk_cstr(c, "name");
        reply_bulk_cstr(c, a->name);
        reply_bulk_cstr(c, "type");
        reply_bulk_cstr(c, arg_type_names[a->type]);
        if (a->type == ARG_KEY) {
            reply_bulk_cstr(c, "key_spec_index");
            reply_int(c, a->key_spec_index);
        }
        if (a->token) { reply_bulk_cstr(c, "token"); reply_bulk_cstr(c, a->token); }
        if (a->summary) { reply_bulk_cstr(c, "summary"); reply_bulk_cstr(c, a->summary); }
        if (a->since) { reply_bulk_cstr(c, "since"); reply_bulk_cstr(c, a->since); }
        if (a->flags) { reply_bulk_cstr(c, "flags"); reply_flag_set(c, arg_flags, a->flags); }
        if (a->display) { reply_bulk_cstr(c, "display_text"); reply_bulk_cstr(c, a->display); }
        if (nested) {
            reply_bulk_cstr(c, "arguments");
            reply_args(c, a->subargs);
        }
    }
}

static void reply_command_docs(struct client *c, const struct srv_cmd_entry *e)
{
    const struct srv_command *cmd = e->cmd;
    size_t nhist = 0;
    while (cmd->history && cmd->history[nhist].version)
        nhist++;
    reply_map(c, 2 + !!cmd->since + !!cmd->complexity + !!nhist + !!cmd->args + !!e->nsubs);
    reply_bulk_cstr(c, "summary");
    reply_bulk_cstr(c, cmd->summary);
    if (cmd->since) { reply_bulk_cstr(c, "since"); reply_bulk_cstr(c, cmd->since); }
    reply_bulk_cstr(c, "group");
    reply_bulk_cstr(c, cmd->group);
    if (cmd->complexity) { reply_bulk_cstr(c, "complexity"); reply_bulk_cstr(c, cmd->complexity); }
    if (nhist) {
        reply_bulk_cstr(c, "history");
        reply_set(c, nhist);
        for (size_t i = 0; i < nhist; i++) {
            reply_array(c, 2);
            reply_bulk_cstr(c, cmd->history[i].version);
            reply_bulk_cstr(c, cmd->history[i].text);
        }
    }
    if (cmd->args) {
        reply_bulk_cstr(c, "arguments");
        reply_args(c, cmd->args);
    }
    if (e->nsubs) {
        reply_bulk_cstr(c, "subcommands");
        reply_map(c, e->nsubs);
        for (size_t i = 0; i < e->nsubs; i++) {
            reply_bulk_cstr(c, e->subs[i].fullname);
            reply_command_docs(c, &e->subs[i]);
        }
    }
}

/* Finds "name" or "container|sub" (case-insensitive). */
static const struct srv_cmd_entry *lookup_full(struct srv *s, const struct resp_arg *a)
{
    const char *bar = memchr(a->ptr, '|', a->len);
    if (bar == NULL)
        return srv_registry_find(&s->registry, a->ptr, a->len);
    const struct srv_cmd_entry *parent = srv_registry_find(&s->registry, a->ptr, (size_t)(bar - a->ptr));
    if (parent == NULL || parent->nsubs == 0)
        return NULL;
    return srv_registry_find_sub(parent, bar + 1, a->len - (size_t)(bar - a->ptr) - 1);
}

void cmd_command(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    const struct srv_registry *r = &c->srv->registry;
    reply_array(c, r->count);
    for (size_t i = 0; i < r->count; i++)
        reply_command_info(c, &r->entries[i]);
}

void cmd_command_count(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    reply_int(c, (long long)c->srv->registry.count);
}

void cmd_command_info(struct client *c, int argc, const struct resp_arg *argv)
{
    if (argc == 2) {
        cmd_command(c, argc, argv);
        return;
    }
    reply_array(c, (size_t)(argc - 2));
    for (int i = 2; i < argc; i++) {
        const struct srv_cmd_entry *e = lookup_full(c->srv, &argv[i]);
        if (e)
            reply_command_info(c, e);
        else
            reply_null(c);
    }
}

void cmd_command_docs(struct client *c, int argc, const struct resp_arg *argv)
{
    const struct srv_registry *r = &c->srv->registry;
    if (argc == 2) {
        reply_map(c, r->count);
        for (size_t i = 0; i < r->count; i++) {
            reply_bulk_cstr(c, r->entries[i].fullname);
            reply_command_docs(c, &r->entries[i]);
        }
        return;
    }
    size_t mark = reply_defer(c), found = 0;
    for (int i = 2; i < argc; i++) {
        const struct srv_cmd_entry *e = lookup_full(c->srv, &argv[i]);
        if (e == NULL)
            continue;
        reply_bulk_cstr(c, e->fullname);
        reply_command_docs(c, e);
        found++;
    }
    reply_set_deferred_map(c, mark, found);
}

/* COMMAND LIST filter: 0 none, 1 ACL category, 2 name pattern, 3 module. */
struct list_filter {
    int kind;
    unsigned acl;
    const struct resp_arg *arg;
};

static int filter_match(const struct list_filter *f, const struct srv_cmd_entry *e)
{
    switch (f->kind) {
    case 1: return (command_acl(e->cmd) & f->acl) != 0;
    case 2: return srv_glob_match(f->arg->ptr, f->arg->len, e->fullname, strlen(e->fullname), 1);
    case 3: return 0; /* no modules */
    default: return 1;
    }
}

static int parse_filter_or_reply(struct client *c, int argc, const struct resp_arg *argv,
                                 struct list_filter *f)
{
    if (argc == 2)
        return 0;
    if (argc != 5 || !arg_is(&argv[2], "filterby")) {
        reply_error_syntax(c);
        return -1;
    }
    f->arg = &argv[4];
    if (arg_is(&argv[3], "module")) {
        f->kind = 3;
    } else if (arg_is(&argv[3], "pattern")) {
        f->kind = 2;
    } else if (arg_is(&argv[3], "aclcat")) {
        f->kind = 1;
        for (const struct name_flag *n = acl_categories; n->name; n++) {
            struct resp_arg a = { argv[4].ptr, argv[4].len };
            if (arg_is(&a, n->name + 1))
                f->acl = n->bit;
        }
    } else {
        reply_error_syntax(c);
        return -1;
    }
    return 0;
}

void cmd_command_list(struct client *c, int argc, const struct resp_arg *argv)
{
    struct list_filter f = { 0 };
    if (parse_filter_or_reply(c, argc, argv, &f) != 0)
        return;
    const struct srv_registry *r = &c->srv->registry;
    size_t mark = reply_defer(c), n = 0;
    for (size_t i = 0; i < r->count; i++) {
        const struct srv_cmd_entry *e = &r->entries[i];
        if (filter_match(&f, e)) {
            reply_bulk_cstr(c, e->fullname);
            n++;
        }
        for (size_t j = 0; j < e->nsubs; j++)
            if (filter_match(&f, &e->subs[j])) {
                reply_bulk_cstr(c, e->subs[j].fullname);
                n++;
            }
    }
    reply_set_deferred_array(c, mark, n);
}

void cmd_command_help(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    static const char *const lines[] = {
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        NULL,
    };
    reply_help(c, "COMMAND", lines);
}
