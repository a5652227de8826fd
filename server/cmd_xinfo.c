/* cmd_xinfo.c — XINFO STREAM [FULL [COUNT n]], GROUPS, CONSUMERS and HELP,
 * with Redis 7.0's fields, order and errors. Consumer groups arrive with
 * their own issue; until then a stream has none, and the group parts of
 * these replies say so. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "reply.h"
#include "store.h"
#include "stream_args.h"

#include <limits.h>

static void reply_group_common(struct client *c, const struct store_group_info *g);

static int count_group(void *ctx, const struct store_group_info *g)
{
    (void)g;
    ++*(uint64_t *)ctx;
    return 0;
}

/* XINFO STREAM FULL's groups: each with its PEL and consumers (each with
 * its own PEL), PELs cut at COUNT entries (0: all). */
struct full_ctx {
    struct client *c;
    struct store_bytes key;
    long long count;
    size_t n;
    int rc;
};

struct full_pel_ctx {
    struct client *c;
    int with_consumer;
};

static int full_pel_entry(void *arg, struct store_id id, struct store_bytes consumer, uint64_t delivery_ms,
                          uint64_t n)
{
    struct full_pel_ctx *p = arg;
    reply_array(p->c, p->with_consumer ? 4 : 3);
    reply_stream_id(p->c, id);
    if (p->with_consumer)
        reply_bulk(p->c, consumer.ptr, consumer.len);
    reply_int(p->c, (long long)delivery_ms);
    reply_int(p->c, (long long)n);
    return 0;
}

/* A PEL (the group's, or one consumer's) as XINFO STREAM FULL shows it. */
static int full_pel(struct full_ctx *f, struct store_bytes group, struct store_bytes consumer)
{
    struct store_pending_query q = { .key = f->key, .group = group, .consumer = consumer,
                                     .start = { 0, 0 }, .end = { UINT64_MAX, UINT64_MAX },
                                     .count = f->count > 0 ? f->count : LLONG_MAX };
    struct full_pel_ctx p = { f->c, consumer.ptr == NULL };
    size_t mark = reply_defer(f->c);
    long long n = store_pending_range(f->c->srv->store, &q, full_pel_entry, &p);
    if (n < 0)
        return (int)n;
    reply_set_deferred_array(f->c, mark, (size_t)n);
    return 0;
}

struct full_consumers_ctx {
    struct full_ctx *f;
    struct store_bytes group;
    size_t n;
};

static int full_consumer(void *arg, const struct store_consumer_info *ci)
{
    struct full_consumers_ctx *x = arg;
    struct client *c = x->f->c;
    reply_map(c, 4);
    reply_bulk_cstr(c, "name");
    reply_bulk(c, ci->name.ptr, ci->name.len);
    reply_bulk_cstr(c, "seen-time");
    reply_int(c, (long long)ci->seen_ms);
    reply_bulk_cstr(c, "pel-count");
    reply_int(c, (long long)ci->pending);
    reply_bulk_cstr(c, "pending");
    x->n++;
    return (x->f->rc = full_pel(x->f, x->group, ci->name)) != 0;
}

static int full_group(void *arg, const struct store_group_info *g)
{
    struct full_ctx *f = arg;
    struct client *c = f->c;
    reply_map(c, 7);
    reply_bulk_cstr(c, "name");
    reply_bulk(c, g->name.ptr, g->name.len);
    reply_group_common(c, g);
    reply_bulk_cstr(c, "pel-count");
    reply_int(c, (long long)g->pending);
    reply_bulk_cstr(c, "pending");
    if ((f->rc = full_pel(f, g->name, (struct store_bytes){ NULL, 0 })) != 0)
        return 1;
    reply_bulk_cstr(c, "consumers");
    struct full_consumers_ctx x = { f, g->name, 0 };
    size_t mark = reply_defer(c);
    int rc = store_consumers(c->srv->store, f->key, g->name, full_consumer, &x);
    if (rc != 0 || f->rc != 0) {
        f->rc = rc ? rc : f->rc;
        return 1;
    }
    reply_set_deferred_array(c, mark, x.n);
    f->n++;
    return 0;
}

/* XINFO STREAM <key> [FULL [COUNT <count>]] */
void cmd_xinfo_stream(struct client *c, int argc, const struct resp_arg *argv)
{
    int full = argc > 3;
    long long count = 10; /* Redis's default, so a big stream does not block the server */
    if (full && ((argc != 4 && argc != 6) || !arg_is(&argv[3], "full") ||
                 (argc == 6 && !arg_is(&argv[4], "count")))) {
        reply_error_subcommand_syntax(c, &argv[1], "XINFO");
        return;
    }
    if (argc == 6) {
        if (arg_to_ll_or_reply(c, &argv[5], &count, NULL) != 0)
            return;
        if (count < 0)
            count = 10;
    }
    struct store *st = c->srv->store;
    struct store_bytes key = arg_bytes(&argv[2]);
    struct store_key_info info;
    uint64_t rax_keys = 0, rax_nodes = 0;
    int rc = store_key_info(st, key, &info);
    if (rc == 0)
        rc = store_key_radix(st, key, &rax_keys, &rax_nodes);
    if (rc == STORE_ERR_NOKEY) {
        reply_error(c, "no such key");
        return;
    }
    if (rc != 0) {
        reply_store_error(c, rc);
        return;
    }
    size_t mark = c->out.len;
    reply_map(c, full ? 9 : 10);
    reply_bulk_cstr(c, "length");
    reply_int(c, (long long)info.length);
    reply_bulk_cstr(c, "radix-tree-keys");
    reply_int(c, (long long)rax_keys);
    reply_bulk_cstr(c, "radix-tree-nodes");
    reply_int(c, (long long)rax_nodes);
    reply_bulk_cstr(c, "last-generated-id");
    reply_stream_id(c, info.last_id);
    reply_bulk_cstr(c, "max-deleted-entry-id");
    reply_stream_id(c, info.max_deleted_id);
    reply_bulk_cstr(c, "entries-added");
    reply_int(c, (long long)info.entries_added);
    reply_bulk_cstr(c, "recorded-first-entry-id");
    reply_stream_id(c, info.first_id);
    const struct store_id lo = { 0, 0 }, hi = { UINT64_MAX, UINT64_MAX };
    long long n = 0;
    if (!full) {
        uint64_t ngroups = 0;
        if ((rc = store_groups(st, key, count_group, &ngroups)) != 0) {
            c->out.len = mark;
            reply_store_error(c, rc);
            return;
        }
        reply_bulk_cstr(c, "groups");
        reply_int(c, (long long)ngroups);
        for (int rev = 0; rev <= 1 && n >= 0; rev++) {
            reply_bulk_cstr(c, rev ? "last-entry" : "first-entry");
            n = store_range(st, key, lo, hi, rev, 1, reply_stream_entry, c);
            if (n == 0)
                reply_null(c);
        }
    } else {
        reply_bulk_cstr(c, "entries");
        size_t entries = reply_defer(c);
        n = store_range(st, key, lo, hi, 0, count == 0 ? -1 : count, reply_stream_entry, c);
        if (n >= 0)
            reply_set_deferred_array(c, entries, (size_t)n);
        reply_bulk_cstr(c, "groups");
        struct full_ctx f = { c, key, count, 0, 0 };
        size_t groups = reply_defer(c);
        if (n >= 0 && (rc = store_groups(st, key, full_group, &f)) == 0 && f.rc == 0)
            reply_set_deferred_array(c, groups, f.n);
        else if (n >= 0)
            n = rc ? rc : f.rc;
    }
    if (n < 0) {
        c->out.len = mark;
        reply_store_error(c, (int)n);
    }
}

static void reply_group_common(struct client *c, const struct store_group_info *g)
{
    reply_bulk_cstr(c, "last-delivered-id");
    reply_stream_id(c, g->last_id);
    reply_bulk_cstr(c, "entries-read");
    if (g->entries_read == STORE_ENTRIES_READ_UNKNOWN)
        reply_null(c);
    else
        reply_int(c, g->entries_read);
    reply_bulk_cstr(c, "lag");
    if (g->lag_known)
        reply_int(c, g->lag);
    else
        reply_null(c);
}

struct groups_ctx {
    struct client *c;
    size_t n;
};

static int group_entry(void *arg, const struct store_group_info *g)
{
    struct groups_ctx *x = arg;
    struct client *c = x->c;
    reply_map(c, 6);
    reply_bulk_cstr(c, "name");
    reply_bulk(c, g->name.ptr, g->name.len);
    reply_bulk_cstr(c, "consumers");
    reply_int(c, (long long)g->consumers);
    reply_bulk_cstr(c, "pending");
    reply_int(c, (long long)g->pending);
    reply_group_common(c, g);
    x->n++;
    return 0;
}

/* XINFO GROUPS <key> */
void cmd_xinfo_groups(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    struct groups_ctx x = { c, 0 };
    size_t mark = reply_defer(c);
    int rc = store_groups(c->srv->store, arg_bytes(&argv[2]), group_entry, &x);
    if (rc != 0) {
        c->out.len = mark;
        if (rc == STORE_ERR_NOKEY)
            reply_error(c, "no such key");
        else
            reply_store_error(c, rc);
        return;
    }
    reply_set_deferred_array(c, mark, x.n);
}

struct consumers_ctx {
    struct client *c;
    uint64_t now_ms;
    size_t n;
};

static int consumer_entry(void *arg, const struct store_consumer_info *ci)
{
    struct consumers_ctx *x = arg;
    struct client *c = x->c;
    reply_map(c, 3);
    reply_bulk_cstr(c, "name");
    reply_bulk(c, ci->name.ptr, ci->name.len);
    reply_bulk_cstr(c, "pending");
    reply_int(c, (long long)ci->pending);
    reply_bulk_cstr(c, "idle");
    reply_int(c, x->now_ms > ci->seen_ms ? (long long)(x->now_ms - ci->seen_ms) : 0);
    x->n++;
    return 0;
}

/* XINFO CONSUMERS <key> <group> */
void cmd_xinfo_consumers(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    struct consumers_ctx x = { c, srv_unix_us() / 1000, 0 };
    size_t mark = reply_defer(c);
    int rc = store_consumers(c->srv->store, arg_bytes(&argv[2]), arg_bytes(&argv[3]), consumer_entry, &x);
    if (rc != 0) {
        c->out.len = mark;
        if (rc == STORE_ERR_NOKEY)
            reply_error(c, "no such key");
        else if (rc == STORE_ERR_NOGROUP)
            reply_errorf(c, "-NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                         arg_print_len(&argv[3], INT_MAX), argv[3].ptr, arg_print_len(&argv[2], INT_MAX),
                         argv[2].ptr);
        else
            reply_store_error(c, rc);
        return;
    }
    reply_set_deferred_array(c, mark, x.n);
}

void cmd_xinfo_help(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    static const char *const lines[] = {
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        NULL,
    };
    reply_help(c, "XINFO", lines);
}
