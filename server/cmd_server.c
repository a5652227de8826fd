/* cmd_server.c — server commands: INFO, CONFIG GET | SET | RESETSTAT | HELP,
 * DBSIZE, TIME, SHUTDOWN. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "reply.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

void cmd_info(struct client *c, int argc, const struct resp_arg *argv)
{
    char *text = NULL;
    size_t len = 0;
    if (srv_info_generate(c->srv, argc - 1, argv + 1, &text, &len) != 0) {
        reply_error(c, "out of memory");
        return;
    }
    reply_verbatim(c, text, len, "txt");
    free(text);
}

/* CONFIG GET collects matches first: a name matched by several patterns
 * is returned once, as Redis 7.0 does. */
struct config_get_ctx {
    struct client *c;
    const struct resp_arg *as_typed; /* a literal name is echoed as typed */
    char seen[64][64];
    int nseen;
    size_t pairs;
};

static void config_get_visit(void *arg, const char *name, const char *value)
{
    struct config_get_ctx *ctx = arg;
    for (int i = 0; i < ctx->nseen; i++)
        if (strcmp(ctx->seen[i], name) == 0)
            return;
    if (ctx->nseen < (int)(sizeof(ctx->seen) / sizeof(ctx->seen[0])))
        snprintf(ctx->seen[ctx->nseen++], sizeof(ctx->seen[0]), "%s", name);
    if (ctx->as_typed)
        reply_bulk(ctx->c, ctx->as_typed->ptr, ctx->as_typed->len);
    else
        reply_bulk_cstr(ctx->c, name);
    reply_bulk_cstr(ctx->c, value);
    ctx->pairs++;
}

void cmd_config_get(struct client *c, int argc, const struct resp_arg *argv)
{
    struct config_get_ctx ctx = { .c = c };
    size_t mark = reply_defer(c);
    for (int i = 2; i < argc; i++) {
        int literal = !memchr(argv[i].ptr, '*', argv[i].len) && !memchr(argv[i].ptr, '?', argv[i].len) &&
                      !memchr(argv[i].ptr, '[', argv[i].len);
        ctx.as_typed = literal ? &argv[i] : NULL;
        srv_config_get(&c->srv->cfg, argv[i].ptr, argv[i].len, config_get_visit, &ctx);
    }
    reply_set_deferred_map(c, mark, ctx.pairs);
}

void cmd_config_set(struct client *c, int argc, const struct resp_arg *argv)
{
    if ((argc - 2) % 2 != 0) {
        reply_error_syntax(c);
        return;
    }
    int npairs = (argc - 2) / 2;
    const char **names = calloc((size_t)npairs, sizeof(*names));
    const char **values = calloc((size_t)npairs, sizeof(*values));
    size_t *nlens = calloc((size_t)npairs, sizeof(*nlens));
    size_t *vlens = calloc((size_t)npairs, sizeof(*vlens));
    char err[512];
    int changed = 0;
    if (!names || !values || !nlens || !vlens) {
        reply_error(c, "out of memory");
        goto done;
    }
    for (int i = 0; i < npairs; i++) {
        names[i] = argv[2 + 2 * i].ptr;
        nlens[i] = argv[2 + 2 * i].len;
        values[i] = argv[3 + 2 * i].ptr;
        vlens[i] = argv[3 + 2 * i].len;
    }
    if (srv_config_set_pairs(&c->srv->cfg, npairs, names, nlens, values, vlens, &changed, err,
                             sizeof(err)) != 0) {
        reply_error(c, err);
        goto done;
    }
    srv_apply_config(c->srv, changed);
    reply_ok(c);
done:
    free(names);
    free(values);
    free(nlens);
    free(vlens);
}

void cmd_config_resetstat(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    srv_stats_reset(c->srv);
    reply_ok(c);
}

void cmd_config_help(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    static const char *const lines[] = {
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        NULL,
    };
    reply_help(c, "CONFIG", lines);
}

void cmd_dbsize(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    uint64_t n = 0;
    int rc = store_key_count(c->srv->store, &n);
    if (rc != 0) {
        reply_errorf(c, "store: %s", store_strerror(rc));
        return;
    }
    reply_int(c, (long long)n);
}

void cmd_time(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char sec[32], usec[16];
    int ns = snprintf(sec, sizeof(sec), "%lld", (long long)tv.tv_sec);
    int nu = snprintf(usec, sizeof(usec), "%ld", (long)tv.tv_usec);
    reply_array(c, 2);
    reply_bulk(c, sec, (size_t)ns);
    reply_bulk(c, usec, (size_t)nu);
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Every acknowledged write is
 * already committed to LMDB, so SAVE and NOSAVE both just stop the server;
 * the client gets no reply: its connection closes as the server exits. */
void cmd_shutdown(struct client *c, int argc, const struct resp_arg *argv)
{
    int save = 0, nosave = 0, abort_ = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_is(&argv[i], "nosave")) nosave = 1;
        else if (arg_is(&argv[i], "save")) save = 1;
        else if (arg_is(&argv[i], "now") || arg_is(&argv[i], "force")) continue;
        else if (arg_is(&argv[i], "abort")) abort_ = 1;
        else {
            reply_error_syntax(c);
            return;
        }
    }
    if ((save && nosave) || (abort_ && argc > 2)) {
        reply_error_syntax(c);
        return;
    }
    if (abort_) {
        reply_error(c, "No shutdown in progress.");
        return;
    }
    srv_request_shutdown(c->srv, "User requested shutdown...");
}
