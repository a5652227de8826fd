/* cmd_conn.c — connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT,
 * RESET. Texts and reply shapes are Redis 7.0's. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "reply.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

void cmd_ping(struct client *c, int argc, const struct resp_arg *argv)
{
    if (argc > 2) {
        reply_error_arity(c, "ping");
        return;
    }
    if (c->sub != NULL && c->resp == 2) {
        /* subscribed in RESP2: Redis answers in the messages' shape */
        reply_array(c, 2);
        reply_bulk(c, "pong", 4);
        reply_bulk(c, argc == 2 ? argv[1].ptr : "", argc == 2 ? argv[1].len : 0);
    } else if (argc == 2) {
        reply_bulk(c, argv[1].ptr, argv[1].len);
    } else {
        reply_simple_len(c, "PONG", 4);
    }
}

void cmd_echo(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    reply_bulk(c, argv[1].ptr, argv[1].len);
}

/* Constant-time comparison, so a wrong password's timing says nothing. */
static int secret_eq(const char *secret, const struct resp_arg *given)
{
    size_t n = strlen(secret);
    unsigned char diff = (unsigned char)(n != given->len);
    for (size_t i = 0; i < given->len; i++)
        diff |= (unsigned char)(given->ptr[i] ^ (i < n ? secret[i] : 0));
    return diff == 0;
}

/* Authenticates as `user` (only "default" exists). Returns 0 and marks the
 * client authenticated, or replies WRONGPASS and returns -1. */
static int authenticate_or_reply(struct client *c, const struct resp_arg *user,
                                 const struct resp_arg *pass)
{
    const char *required = c->srv->cfg.requirepass;
    int ok = user->len == 7 && memcmp(user->ptr, "default", 7) == 0 &&
             (required[0] == '\0' || secret_eq(required, pass));
    if (!ok) {
        reply_error(c, "-WRONGPASS invalid username-password pair or user is disabled.");
        return -1;
    }
    c->flags |= CLIENT_AUTHENTICATED;
    client_update_parser(c);
    return 0;
}

void cmd_auth(struct client *c, int argc, const struct resp_arg *argv)
{
    static const struct resp_arg default_user = { "default", 7 };
    if (argc > 3) {
        reply_error_syntax(c);
        return;
    }
    const char *peer = c->srv->cfg.peer_password;
    if (peer[0] != '\0' && (argc == 2 || (argv[1].len == 7 && memcmp(argv[1].ptr, "default", 7) == 0)) &&
        secret_eq(peer, &argv[argc - 1])) {
        /* a peer node: it may EV.SYNC (and is authenticated) */
        c->flags |= CLIENT_PEER | CLIENT_AUTHENTICATED;
        client_update_parser(c);
        reply_ok(c);
        return;
    }
    if (argc == 2 && c->srv->cfg.requirepass[0] == '\0') {
        reply_error(c, "AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?");
        return;
    }
    const struct resp_arg *user = argc == 2 ? &default_user : &argv[1];
    if (authenticate_or_reply(c, user, &argv[argc - 1]) == 0)
        reply_ok(c);
}

/* Client names and library attributes: printable ASCII, no spaces. */
static int attr_valid(const struct resp_arg *a)
{
    for (size_t i = 0; i < a->len; i++)
        if (a->ptr[i] < '!' || a->ptr[i] > '~')
            return 0;
    return 1;
}

int client_set_name_or_reply(struct client *c, const struct resp_arg *name)
{
    if (!attr_valid(name)) {
        reply_error(c, "Client names cannot contain spaces, newlines or special characters.");
        return -1;
    }
    char *copy = name->len ? arg_dup(name) : NULL;
    if (name->len && copy == NULL) {
        reply_error(c, "out of memory");
        return -1;
    }
    free(c->name);
    c->name = copy;
    return 0;
}

int client_set_attr_or_reply(struct client *c, const struct resp_arg *attr, const struct resp_arg *val)
{
    char **dest = arg_is(attr, "lib-name") ? &c->lib_name : arg_is(attr, "lib-ver") ? &c->lib_ver : NULL;
    int n = arg_print_len(attr, 128);
    if (dest == NULL) {
        reply_errorf(c, "Unrecognized option '%.*s'", n, attr->ptr);
        return -1;
    }
    if (!attr_valid(val)) {
        reply_errorf(c, "%.*s cannot contain spaces, newlines or special characters.", n, attr->ptr);
        return -1;
    }
    char *copy = val->len ? arg_dup(val) : NULL;
    if (val->len && copy == NULL) {
        reply_error(c, "out of memory");
        return -1;
    }
    free(*dest);
    *dest = copy;
    return 0;
}

static void reply_hello(struct client *c)
{
    reply_map(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, SWARMLOG_REDIS_COMPAT_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_array(c, 0);
}

void cmd_hello(struct client *c, int argc, const struct resp_arg *argv)
{
    long long ver = 0;
    int i = 1;
    if (argc >= 2) {
        if (arg_to_ll_or_reply(c, &argv[i++], &ver, "Protocol version is not an integer or out of range") != 0)
            return;
        if (ver < 2 || ver > 3) {
            reply_error(c, "-NOPROTO unsupported protocol version");
            return;
        }
    }
    const struct resp_arg *user = NULL, *pass = NULL, *name = NULL;
    for (; i < argc; i++) {
        int more = argc - 1 - i;
        if (arg_is(&argv[i], "auth") && more >= 2) {
            user = &argv[i + 1];
            pass = &argv[i + 2];
            i += 2;
        } else if (arg_is(&argv[i], "setname") && more >= 1) {
            name = &argv[++i];
        } else {
            int n = arg_print_len(&argv[i], 128);
            reply_errorf(c, "Syntax error in HELLO option '%.*s'", n, argv[i].ptr);
            return;
        }
    }
    if (user && authenticate_or_reply(c, user, pass) != 0)
        return;
    if (client_auth_required(c)) {
        reply_error(c, "-NOAUTH HELLO must be called with the client already authenticated, "
                       "otherwise the HELLO AUTH <user> <pass> option can be used to "
                       "authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if (name && client_set_name_or_reply(c, name) != 0)
        return;
    if (ver) {
        c->resp = (int)ver;
        c->out.proto = (int)ver;
    }
    reply_hello(c);
}

void cmd_select(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    long long db;
    if (arg_to_ll_or_reply(c, &argv[1], &db, NULL) != 0)
        return;
    if (db != 0) {
        reply_error(c, "DB index is out of range");
        return;
    }
    reply_ok(c);
}

void cmd_quit(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

void cmd_reset(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    c->resp = 2;
    c->out.proto = 2;
    free(c->name);
    c->name = NULL;
    if (c->srv->cfg.requirepass[0] != '\0')
        c->flags &= ~CLIENT_AUTHENTICATED;
    else
        c->flags |= CLIENT_AUTHENTICATED;
    client_update_parser(c);
    multi_reset(c);
    sub_free(c);
    reply_simple(c, "RESET");
}
