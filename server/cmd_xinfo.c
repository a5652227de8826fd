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
        reply_bulk_cstr(c, "groups");
        reply_int(c, 0);
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
        reply_array(c, 0);
    }
    if (n < 0) {
        c->out.len = mark;
        reply_store_error(c, (int)n);
    }
}

/* The key must exist; 0 if it does, else the error is the reply. */
static int key_exists_or_reply(struct client *c, const struct resp_arg *key)
{
    int rc = store_exists(c->srv->store, arg_bytes(key));
    if (rc == 0)
        reply_error(c, "no such key");
    else if (rc < 0)
        reply_store_error(c, rc);
    return rc == 1 ? 0 : -1;
}

/* XINFO GROUPS <key> */
void cmd_xinfo_groups(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    if (key_exists_or_reply(c, &argv[2]) == 0)
        reply_array(c, 0);
}

/* XINFO CONSUMERS <key> <group> */
void cmd_xinfo_consumers(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    if (key_exists_or_reply(c, &argv[2]) == 0)
        reply_errorf(c, "-NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                     arg_print_len(&argv[3], INT_MAX), argv[3].ptr, arg_print_len(&argv[2], INT_MAX),
                     argv[2].ptr);
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
