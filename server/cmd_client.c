/* cmd_client.c — CLIENT ID | SETNAME | GETNAME | SETINFO | INFO | LIST |
 * KILL | HELP, with Redis 7.0's syntax and texts (SETINFO as in 7.2). */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "reply.h"

#include <stdlib.h>
#include <string.h>

#define CLIENT_LINE_MAX 1024

/* Client types as CLIENT LIST/KILL TYPE name them. Every connection is a
 * normal client until pub/sub and replication links exist. */
enum { CTYPE_NONE = -1, CTYPE_NORMAL = 0, CTYPE_REPLICA = 1, CTYPE_PUBSUB = 2, CTYPE_MASTER = 3 };

static int client_type_by_name(const struct resp_arg *a)
{
    if (arg_is(a, "normal")) return CTYPE_NORMAL;
    if (arg_is(a, "slave") || arg_is(a, "replica")) return CTYPE_REPLICA;
    if (arg_is(a, "pubsub")) return CTYPE_PUBSUB;
    if (arg_is(a, "master")) return CTYPE_MASTER;
    return CTYPE_NONE;
}

static int client_type(const struct client *c)
{
    (void)c;
    return CTYPE_NORMAL;
}

void cmd_client_id(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    reply_int(c, (long long)c->id);
}

void cmd_client_setname(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    if (client_set_name_or_reply(c, &argv[2]) == 0)
        reply_ok(c);
}

void cmd_client_getname(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    reply_bulk_cstr(c, c->name);
}

void cmd_client_setinfo(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    if (client_set_attr_or_reply(c, &argv[2], &argv[3]) == 0)
        reply_ok(c);
}

void cmd_client_info(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    char line[CLIENT_LINE_MAX];
    client_format_info(c, line, sizeof(line) - 1);
    size_t n = strlen(line);
    line[n++] = '\n';
    reply_verbatim(c, line, n, "txt");
}

/* A growable text buffer for CLIENT LIST. Returns -1 on OOM. */
struct text {
    char *data;
    size_t len, cap;
};

static int text_add_client(struct text *t, const struct client *cl)
{
    if (t->cap - t->len < CLIENT_LINE_MAX + 1) {
        size_t cap = t->cap ? t->cap * 2 : 4 * CLIENT_LINE_MAX;
        char *p = realloc(t->data, cap);
        if (p == NULL)
            return -1;
        t->data = p;
        t->cap = cap;
    }
    client_format_info(cl, t->data + t->len, CLIENT_LINE_MAX);
    t->len += strlen(t->data + t->len);
    t->data[t->len++] = '\n';
    return 0;
}

static struct client *client_by_id(struct srv *s, long long id)
{
    for (struct client *cl = s->clients_head; cl; cl = cl->next)
        if ((long long)cl->id == id)
            return cl;
    return NULL;
}

/* CLIENT LIST [TYPE type] | [ID id ...]: fills t, or replies an error. */
static int client_list_collect_or_reply(struct client *c, int argc, const struct resp_arg *argv,
                                        struct text *t)
{
    int type = CTYPE_NONE;
    if (argc == 4 && arg_is(&argv[2], "type")) {
        if ((type = client_type_by_name(&argv[3])) == CTYPE_NONE) {
            reply_errorf(c, "Unknown client type '%.*s'", arg_print_len(&argv[3], 128), argv[3].ptr);
            return -1;
        }
    } else if (argc > 3 && arg_is(&argv[2], "id")) {
        for (int j = 3; j < argc; j++) {
            long long id;
            if (arg_to_ll_or_reply(c, &argv[j], &id, "Invalid client ID") != 0)
                return -1;
            struct client *cl = client_by_id(c->srv, id);
            if (cl && text_add_client(t, cl) != 0)
                goto oom;
        }
        return 0;
    } else if (argc != 2) {
        reply_error_syntax(c);
        return -1;
    }
    for (struct client *cl = c->srv->clients_head; cl; cl = cl->next)
        if ((type == CTYPE_NONE || client_type(cl) == type) && text_add_client(t, cl) != 0)
            goto oom;
    return 0;
oom:
    reply_error(c, "out of memory");
    return -1;
}

void cmd_client_list(struct client *c, int argc, const struct resp_arg *argv)
{
    struct text t = { 0 };
    if (client_list_collect_or_reply(c, argc, argv, &t) == 0)
        reply_verbatim(c, t.data ? t.data : "", t.len, "txt");
    free(t.data);
}

struct kill_filter {
    long long id;
    int type;
    const struct resp_arg *addr, *laddr;
    int skipme;
};

static int addr_eq(const struct resp_arg *want, const char *have)
{
    return want->len == strlen(have) && memcmp(want->ptr, have, want->len) == 0;
}

static int kill_parse_or_reply(struct client *c, int argc, const struct resp_arg *argv,
                               struct kill_filter *f)
{
    for (int i = 2; i < argc; i += 2) {
        const struct resp_arg *opt = &argv[i], *val = &argv[i + 1];
        if (i + 1 >= argc) {
            reply_error_syntax(c);
            return -1;
        } else if (arg_is(opt, "id")) {
            if (arg_to_ll(val, &f->id) != 0 || f->id < 1) {
                reply_error(c, "client-id should be greater than 0");
                return -1;
            }
        } else if (arg_is(opt, "type")) {
            if ((f->type = client_type_by_name(val)) == CTYPE_NONE) {
                reply_errorf(c, "Unknown client type '%.*s'", arg_print_len(val, 128), val->ptr);
                return -1;
            }
        } else if (arg_is(opt, "addr")) {
            f->addr = val;
        } else if (arg_is(opt, "laddr")) {
            f->laddr = val;
        } else if (arg_is(opt, "user")) {
            if (!(val->len == 7 && memcmp(val->ptr, "default", 7) == 0)) {
                reply_errorf(c, "No such user '%.*s'", arg_print_len(val, 128), val->ptr);
                return -1;
            }
        } else if (arg_is(opt, "skipme") && (arg_is(val, "yes") || arg_is(val, "no"))) {
            f->skipme = arg_is(val, "yes");
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    return 0;
}

void cmd_client_kill(struct client *c, int argc, const struct resp_arg *argv)
{
    struct kill_filter f = { .type = CTYPE_NONE, .skipme = 1 };
    if (argc == 3) {
        f.addr = &argv[2]; /* old form: CLIENT KILL addr:port, may kill itself */
        f.skipme = 0;
    } else if (kill_parse_or_reply(c, argc, argv, &f) != 0) {
        return;
    }
    long long killed = 0;
    for (struct client *cl = c->srv->clients_head; cl; cl = cl->next) {
        if ((f.addr && !addr_eq(f.addr, cl->addr)) || (f.laddr && !addr_eq(f.laddr, cl->laddr)) ||
            (f.type != CTYPE_NONE && client_type(cl) != f.type) ||
            (f.id && (long long)cl->id != f.id) || (cl == c && f.skipme) ||
            (cl->flags & CLIENT_CLOSE_ASAP))
            continue;
        if (cl == c)
            c->flags |= CLIENT_CLOSE_AFTER_REPLY;
        else
            client_close_async(cl);
        killed++;
    }
    if (argc != 3)
        reply_int(c, killed);
    else if (killed == 0)
        reply_error(c, "No such client");
    else
        reply_ok(c);
}

void cmd_client_help(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    static const char *const lines[] = {
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        NULL,
    };
    reply_help(c, "CLIENT", lines);
}
