/* cmd_group.c — consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, with
 * Redis 7.0's argument order, checks and error texts. Group state lives in
 * the store and changes in the command's own transaction (store/groups.c). */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "reply.h"
#include "store.h"
#include "stream_args.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t now_ms(void)
{
    return srv_unix_us() / 1000;
}

static int is_char(const struct resp_arg *a, char ch)
{
    return a->len == 1 && a->ptr[0] == ch;
}

/* "-NOGROUP No such consumer group '<g>' for key name '<k>'" */
static void reply_nogroup(struct client *c, const struct resp_arg *key, const struct resp_arg *group)
{
    reply_errorf(c, "-NOGROUP No such consumer group '%.*s' for key name '%.*s'", arg_print_len(group, INT_MAX),
                 group->ptr, arg_print_len(key, INT_MAX), key->ptr);
}

static void reply_key_must_exist(struct client *c)
{
    reply_error(c, "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use "
                   "the MKSTREAM option to create an empty stream automatically.");
}

/* ---- XGROUP ---- */

enum xgroup_sub { XG_CREATE, XG_SETID, XG_DESTROY, XG_CREATECONSUMER, XG_DELCONSUMER };

/* What every XGROUP subcommand checks, in Redis's order: the options of
 * CREATE / SETID, the key, the group (for those that need it). Returns 0
 * or -1 after replying. */
static int xgroup_check(struct client *c, int argc, const struct resp_arg *argv, enum xgroup_sub sub,
                        int *mkstream, long long *entries_read)
{
    *mkstream = 0;
    *entries_read = STORE_ENTRIES_READ_UNKNOWN;
    if ((sub == XG_CREATE && argc > 8) || (sub == XG_SETID && argc != 5 && argc != 7)) {
        reply_error_subcommand_syntax(c, &argv[1], "XGROUP");
        return -1;
    }
    if (sub == XG_CREATE || sub == XG_SETID) {
        for (int i = 5; i < argc;) {
            if (sub == XG_CREATE && arg_is(&argv[i], "mkstream")) {
                *mkstream = 1;
                i++;
            } else if (arg_is(&argv[i], "entriesread") && i + 1 < argc) {
                if (arg_to_ll_or_reply(c, &argv[i + 1], entries_read, NULL) != 0)
                    return -1;
                if (*entries_read < 0 && *entries_read != STORE_ENTRIES_READ_UNKNOWN) {
                    reply_error(c, "value for ENTRIESREAD must be positive or -1");
                    return -1;
                }
                i += 2;
            } else {
                reply_error_subcommand_syntax(c, &argv[1], "XGROUP");
                return -1;
            }
        }
    }
    struct store_group_info g;
    int rc = store_group_get(c->srv->store, arg_bytes(&argv[2]), arg_bytes(&argv[3]), &g);
    if (rc == STORE_ERR_NOKEY && !*mkstream) {
        reply_key_must_exist(c);
        return -1;
    }
    if (rc == STORE_ERR_NOGROUP && sub != XG_CREATE && sub != XG_DESTROY) {
        reply_nogroup(c, &argv[2], &argv[3]);
        return -1;
    }
    if (rc != 0 && rc != STORE_ERR_NOKEY && rc != STORE_ERR_NOGROUP) {
        reply_store_error(c, rc);
        return -1;
    }
    return 0;
}

/* The <id|$> of CREATE (strict IDs) and SETID (also '-' and '+'). */
static int xgroup_pos_or_reply(struct client *c, const struct resp_arg *a, int setid, long long entries_read,
                               struct store_group_pos *pos)
{
    *pos = (struct store_group_pos){ .entries_read = entries_read };
    if (is_char(a, '$')) {
        pos->last = 1;
        return 0;
    }
    if (setid && (is_char(a, '-') || is_char(a, '+'))) {
        pos->id = a->ptr[0] == '-' ? (struct store_id){ 0, 0 } : (struct store_id){ UINT64_MAX, UINT64_MAX };
        return 0;
    }
    if (xid_parse(a, 0, &pos->id) == 0)
        return 0;
    reply_error(c, "Invalid stream ID specified as stream command argument");
    return -1;
}

static void xgroup_reply(struct client *c, int rc)
{
    if (rc == 0)
        reply_ok(c);
    else if (rc == STORE_ERR_BUSYGROUP)
        reply_error(c, "-BUSYGROUP Consumer Group name already exists");
    else
        reply_store_error(c, rc);
}

void cmd_xgroup_create(struct client *c, int argc, const struct resp_arg *argv)
{
    int mkstream;
    long long entries_read;
    struct store_group_pos pos;
    if (xgroup_check(c, argc, argv, XG_CREATE, &mkstream, &entries_read) != 0 ||
        xgroup_pos_or_reply(c, &argv[4], 0, entries_read, &pos) != 0)
        return;
    xgroup_reply(c, store_group_create(c->srv->store, arg_bytes(&argv[2]), arg_bytes(&argv[3]), &pos, mkstream));
}

void cmd_xgroup_setid(struct client *c, int argc, const struct resp_arg *argv)
{
    int mkstream;
    long long entries_read;
    struct store_group_pos pos;
    if (xgroup_check(c, argc, argv, XG_SETID, &mkstream, &entries_read) != 0 ||
        xgroup_pos_or_reply(c, &argv[4], 1, entries_read, &pos) != 0)
        return;
    xgroup_reply(c, store_group_setid(c->srv->store, arg_bytes(&argv[2]), arg_bytes(&argv[3]), &pos));
}

void cmd_xgroup_destroy(struct client *c, int argc, const struct resp_arg *argv)
{
    int mkstream;
    long long entries_read;
    if (xgroup_check(c, argc, argv, XG_DESTROY, &mkstream, &entries_read) != 0)
        return;
    int rc = store_group_destroy(c->srv->store, arg_bytes(&argv[2]), arg_bytes(&argv[3]));
    if (rc < 0)
        reply_store_error(c, rc);
    else
        reply_int(c, rc);
}

void cmd_xgroup_createconsumer(struct client *c, int argc, const struct resp_arg *argv)
{
    int mkstream;
    long long entries_read;
    if (xgroup_check(c, argc, argv, XG_CREATECONSUMER, &mkstream, &entries_read) != 0)
        return;
    int rc = store_consumer_create(c->srv->store, arg_bytes(&argv[2]), arg_bytes(&argv[3]), arg_bytes(&argv[4]),
                                   now_ms());
    if (rc < 0)
        reply_store_error(c, rc);
    else
        reply_int(c, rc);
}

void cmd_xgroup_delconsumer(struct client *c, int argc, const struct resp_arg *argv)
{
    int mkstream;
    long long entries_read;
    if (xgroup_check(c, argc, argv, XG_DELCONSUMER, &mkstream, &entries_read) != 0)
        return;
    long long n = store_consumer_delete(c->srv->store, arg_bytes(&argv[2]), arg_bytes(&argv[3]),
                                        arg_bytes(&argv[4]));
    if (n < 0)
        reply_store_error(c, (int)n);
    else
        reply_int(c, n);
}

void cmd_xgroup_help(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    (void)argv;
    static const char *const lines[] = {
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        NULL,
    };
    reply_help(c, "XGROUP", lines);
}

/* ---- XREADGROUP ---- */

/* A pending entry re-read from the consumer's history: [id, fields], or
 * [id, nil] when the entry was deleted since. */
static int history_entry(void *ctx, struct store_id id, const struct store_bytes *fields, size_t n)
{
    struct client *c = ctx;
    if (fields != NULL)
        return reply_stream_entry(c, id, fields, n);
    reply_array(c, 2);
    reply_stream_id(c, id);
    reply_null_array(c);
    return 0;
}

int xreadgroup_serve(struct client *c, const struct xreadgroup_req *r)
{
    struct store *st = c->srv->store;
    size_t ready = 0, outer = reply_defer(c);
    for (int i = 0; i < r->nkeys; i++) {
        size_t key_mark = c->out.len;
        if (c->resp != 3)
            reply_array(c, 2);
        reply_bulk(c, r->keys[i].ptr, r->keys[i].len);
        size_t mark = reply_defer(c);
        struct store_readgroup rq = { .key = arg_bytes(&r->keys[i]), .group = r->group, .consumer = r->consumer,
                                      .count = r->count, .noack = r->noack, .now_ms = now_ms() };
        long long n = r->ids[i].pending
                          ? store_readgroup_pending(st, &rq, r->ids[i].after, history_entry, c)
                          : store_readgroup_new(st, &rq, reply_stream_entry, c);
        if (n < 0) {
            c->out.len = outer;
            if (n == STORE_ERR_NOKEY || n == STORE_ERR_NOGROUP)
                reply_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s' in XREADGROUP with GROUP option",
                             arg_print_len(&r->keys[i], INT_MAX), r->keys[i].ptr,
                             arg_print_len(&(struct resp_arg){ r->group.ptr, r->group.len }, INT_MAX), r->group.ptr);
            else
                reply_store_error(c, (int)n);
            return -1;
        }
        if (n == 0 && !r->ids[i].pending) {
            c->out.len = key_mark; /* nothing new for this key */
            continue;
        }
        reply_set_deferred_array(c, mark, (size_t)n);
        ready++;
    }
    if (ready == 0) {
        c->out.len = outer;
        return 0;
    }
    reply_set_deferred_keyed(c, outer, ready);
    return 1;
}

/* XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ... */
void cmd_xreadgroup(struct client *c, int argc, const struct resp_arg *argv)
{
    struct xread_opts o;
    if (xread_opts_or_reply(c, argc, argv, 1, &o) != 0)
        return;
    struct xreadgroup_req r = { .nkeys = (argc - o.streams) / 2, .keys = &argv[o.streams],
                                .group = arg_bytes(o.group), .consumer = arg_bytes(o.consumer),
                                .count = o.count, .noack = o.noack };
    r.ids = calloc((size_t)r.nkeys, sizeof(*r.ids));
    if (r.ids == NULL) {
        reply_error(c, "out of memory");
        return;
    }
    int any_pending = 0;
    for (int i = 0; i < r.nkeys; i++) {
        const struct resp_arg *key = &r.keys[i], *id = &r.keys[r.nkeys + i];
        struct store_group_info g;
        int rc = store_group_get(c->srv->store, arg_bytes(key), r.group, &g);
        if (rc == STORE_ERR_NOKEY || rc == STORE_ERR_NOGROUP) {
            reply_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s' in XREADGROUP with GROUP option",
                         arg_print_len(key, INT_MAX), key->ptr, arg_print_len(o.group, INT_MAX), o.group->ptr);
            goto done;
        }
        if (rc != 0) {
            reply_store_error(c, rc);
            goto done;
        }
        if (is_char(id, '$')) {
            reply_error(c, "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
                           "this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID "
                           "would just return an empty result set.");
            goto done;
        }
        if (is_char(id, '>'))
            continue;
        if (xid_parse(id, 0, &r.ids[i].after) != 0) {
            reply_error(c, "Invalid stream ID specified as stream command argument");
            goto done;
        }
        if (r.ids[i].after.ms == UINT64_MAX && r.ids[i].after.seq == UINT64_MAX)
            continue; /* Redis reads max-max as '>' */
        r.ids[i].pending = 1;
        any_pending = 1;
    }
    int served = xreadgroup_serve(c, &r);
    if (served == 0 && o.block && !any_pending && !(c->flags & CLIENT_DENY_BLOCKING))
        client_block_xreadgroup(c, &r, o.timeout_ms);
    else if (served == 0)
        reply_null_array(c);
done:
    free(r.ids);
}

/* ---- XACK ---- */

/* XACK key group id [id ...]: every ID is checked before any is acknowledged. */
void cmd_xack(struct client *c, int argc, const struct resp_arg *argv)
{
    size_t n = (size_t)(argc - 3);
    struct store_id *ids = malloc(n * sizeof(*ids));
    if (ids == NULL) {
        reply_error(c, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (xid_parse(&argv[3 + i], 0, &ids[i]) != 0) {
            reply_error(c, "Invalid stream ID specified as stream command argument");
            free(ids);
            return;
        }
    }
    uint64_t acked;
    int rc = store_ack(c->srv->store, arg_bytes(&argv[1]), arg_bytes(&argv[2]), ids, n, &acked);
    free(ids);
    if (rc != 0)
        reply_store_error(c, rc);
    else
        reply_int(c, (long long)acked);
}

/* ---- XPENDING ---- */

struct pending_ctx {
    struct client *c;
    size_t n;
};

static int pending_consumer(void *arg, const struct store_consumer_info *ci)
{
    struct pending_ctx *p = arg;
    struct client *c = p->c;
    if (ci->pending == 0)
        return 0;
    char num[24];
    reply_array(c, 2);
    reply_bulk(c, ci->name.ptr, ci->name.len);
    reply_bulk(c, num, (size_t)snprintf(num, sizeof(num), "%llu", (unsigned long long)ci->pending));
    p->n++;
    return 0;
}

struct pending_range_ctx {
    struct client *c;
    uint64_t now_ms;
};

static int pending_entry(void *ctx, struct store_id id, struct store_bytes consumer, uint64_t delivery_ms, uint64_t n)
{
    struct pending_range_ctx *p = ctx;
    struct client *c = p->c;
    reply_array(c, 4);
    reply_stream_id(c, id);
    reply_bulk(c, consumer.ptr, consumer.len);
    reply_int(c, p->now_ms > delivery_ms ? (long long)(p->now_ms - delivery_ms) : 0);
    reply_int(c, (long long)n);
    return 0;
}

/* XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
void cmd_xpending(struct client *c, int argc, const struct resp_arg *argv)
{
    struct store_pending_query q = { .key = arg_bytes(&argv[1]), .group = arg_bytes(&argv[2]), .now_ms = now_ms() };
    if (argc != 3 && (argc < 6 || argc > 9)) {
        reply_error_syntax(c);
        return;
    }
    if (argc >= 6) {
        int at = 3;
        if (arg_is(&argv[3], "idle")) {
            if (arg_to_ll_or_reply(c, &argv[4], &q.min_idle, NULL) != 0)
                return;
            if (argc < 8) {
                reply_error_syntax(c);
                return;
            }
            at += 2;
        }
        if (arg_to_ll_or_reply(c, &argv[at + 2], &q.count, NULL) != 0)
            return;
        if (q.count < 0)
            q.count = 0;
        if (xrange_bound_or_reply(c, &argv[at], 0, &q.start) != 0 ||
            xrange_bound_or_reply(c, &argv[at + 1], 1, &q.end) != 0)
            return;
        if (at + 3 < argc)
            q.consumer = arg_bytes(&argv[at + 3]);
        else if (at + 3 != argc) {
            reply_error_syntax(c);
            return;
        }
    }
    struct store_group_info g;
    int rc = store_group_get(c->srv->store, q.key, q.group, &g);
    if (rc == STORE_ERR_NOKEY || rc == STORE_ERR_NOGROUP) {
        reply_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s'", arg_print_len(&argv[1], INT_MAX),
                     argv[1].ptr, arg_print_len(&argv[2], INT_MAX), argv[2].ptr);
        return;
    }
    if (rc != 0) {
        reply_store_error(c, rc);
        return;
    }
    size_t mark = c->out.len;
    if (argc == 3) {
        struct store_pending_summary sum;
        reply_array(c, 4);
        rc = store_pending_summary(c->srv->store, q.key, q.group, &sum);
        if (rc == 0) {
            reply_int(c, (long long)sum.count);
            if (sum.count == 0) {
                reply_null(c);
                reply_null(c);
                reply_null_array(c);
            } else {
                reply_stream_id(c, sum.min);
                reply_stream_id(c, sum.max);
                size_t list = reply_defer(c);
                struct pending_ctx p = { c, 0 };
                rc = store_consumers(c->srv->store, q.key, q.group, pending_consumer, &p);
                reply_set_deferred_array(c, list, p.n);
            }
        }
    } else {
        size_t list = reply_defer(c);
        struct pending_range_ctx p = { c, q.now_ms };
        long long n = store_pending_range(c->srv->store, &q, pending_entry, &p);
        if (n >= 0)
            reply_set_deferred_array(c, list, (size_t)n);
        rc = n < 0 ? (int)n : 0;
    }
    if (rc != 0) {
        c->out.len = mark;
        reply_store_error(c, rc);
    }
}

/* ---- XCLAIM / XAUTOCLAIM ---- */

static void reply_nokey_or_group(struct client *c, const struct resp_arg *key, const struct resp_arg *group)
{
    reply_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s'", arg_print_len(key, INT_MAX), key->ptr,
                 arg_print_len(group, INT_MAX), group->ptr);
}

/* The claimed entries: IDs (JUSTID) or [id, fields]; an entry read back
 * after the claim checked it exists. */
static void reply_claimed(struct client *c, const struct resp_arg *key, const struct store_id *ids, size_t n,
                          int justid)
{
    size_t mark = reply_defer(c);
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (justid) {
            reply_stream_id(c, ids[i]);
            shown++;
        } else if (store_range(c->srv->store, arg_bytes(key), ids[i], ids[i], 0, 1, reply_stream_entry, c) > 0) {
            shown++;
        }
    }
    reply_set_deferred_array(c, mark, shown);
}

/* XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms]
 *        [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid] */
void cmd_xclaim(struct client *c, int argc, const struct resp_arg *argv)
{
    struct store_group_info g;
    int rc = store_group_get(c->srv->store, arg_bytes(&argv[1]), arg_bytes(&argv[2]), &g);
    if (rc == STORE_ERR_NOKEY || rc == STORE_ERR_NOGROUP) {
        reply_nokey_or_group(c, &argv[1], &argv[2]);
        return;
    }
    if (rc != 0) {
        reply_store_error(c, rc);
        return;
    }
    uint64_t now = now_ms();
    struct store_claim cl = { .key = arg_bytes(&argv[1]), .group = arg_bytes(&argv[2]),
                              .consumer = arg_bytes(&argv[3]), .now_ms = now, .retrycount = -1 };
    if (arg_to_ll_or_reply(c, &argv[4], &cl.min_idle, "Invalid min-idle-time argument for XCLAIM") != 0)
        return;
    if (cl.min_idle < 0)
        cl.min_idle = 0;
    int first_opt = 5;
    struct store_id scratch;
    while (first_opt < argc && xid_parse(&argv[first_opt], 0, &scratch) == 0)
        first_opt++;
    long long delivery = (long long)now;
    for (int i = first_opt; i < argc; i++) {
        int more = argc - i - 1;
        long long v;
        if (arg_is(&argv[i], "force")) {
            cl.force = 1;
        } else if (arg_is(&argv[i], "justid")) {
            cl.justid = 1;
        } else if (arg_is(&argv[i], "idle") && more) {
            if (arg_to_ll_or_reply(c, &argv[++i], &v, "Invalid IDLE option argument for XCLAIM") != 0)
                return;
            delivery = (long long)now - v;
        } else if (arg_is(&argv[i], "time") && more) {
            if (arg_to_ll_or_reply(c, &argv[++i], &v, "Invalid TIME option argument for XCLAIM") != 0)
                return;
            delivery = v;
        } else if (arg_is(&argv[i], "retrycount") && more) {
            if (arg_to_ll_or_reply(c, &argv[++i], &cl.retrycount, "Invalid RETRYCOUNT option argument for XCLAIM") != 0)
                return;
        } else if (arg_is(&argv[i], "lastid") && more) {
            if (xid_parse(&argv[++i], 0, &cl.lastid) != 0) {
                reply_error(c, "Invalid stream ID specified as stream command argument");
                return;
            }
            cl.has_lastid = 1;
        } else {
            reply_errorf(c, "Unrecognized XCLAIM option '%.*s'", arg_print_len(&argv[i], INT_MAX), argv[i].ptr);
            return;
        }
    }
    if (delivery < 0 || delivery > (long long)now)
        delivery = (long long)now;
    cl.delivery_ms = (uint64_t)delivery;
    size_t nids = (size_t)(first_opt - 5), nclaimed = 0;
    struct store_id *ids = malloc((nids ? nids : 1) * sizeof(*ids)), *claimed = NULL;
    if (ids == NULL) {
        reply_error(c, "out of memory");
        return;
    }
    for (size_t i = 0; i < nids; i++)
        xid_parse(&argv[5 + i], 0, &ids[i]);
    rc = store_claim(c->srv->store, &cl, ids, nids, &claimed, &nclaimed);
    free(ids);
    if (rc == STORE_ERR_NOKEY || rc == STORE_ERR_NOGROUP)
        reply_nokey_or_group(c, &argv[1], &argv[2]);
    else if (rc != 0)
        reply_store_error(c, rc);
    else
        reply_claimed(c, &argv[1], claimed, nclaimed, cl.justid);
    free(claimed);
}

/* XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
void cmd_xautoclaim(struct client *c, int argc, const struct resp_arg *argv)
{
    uint64_t now = now_ms();
    struct store_claim cl = { .key = arg_bytes(&argv[1]), .group = arg_bytes(&argv[2]),
                              .consumer = arg_bytes(&argv[3]), .now_ms = now, .delivery_ms = now,
                              .retrycount = -1 };
    long long count = 100;
    struct store_id start;
    if (arg_to_ll_or_reply(c, &argv[4], &cl.min_idle, "Invalid min-idle-time argument for XAUTOCLAIM") != 0)
        return;
    if (cl.min_idle < 0)
        cl.min_idle = 0;
    if (xrange_bound_or_reply(c, &argv[5], 0, &start) != 0)
        return;
    for (int i = 6; i < argc; i++) {
        if (arg_is(&argv[i], "count") && i + 1 < argc) {
            if (arg_to_ll(&argv[++i], &count) != 0 || count < 1 || count > LONG_MAX / 16) {
                reply_error(c, "COUNT must be > 0");
                return;
            }
        } else if (arg_is(&argv[i], "justid")) {
            cl.justid = 1;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    struct store_autoclaim_result res;
    int rc = store_autoclaim(c->srv->store, &cl, start, count, &res);
    if (rc == STORE_ERR_NOKEY || rc == STORE_ERR_NOGROUP) {
        reply_nokey_or_group(c, &argv[1], &argv[2]);
        return;
    }
    if (rc != 0) {
        reply_store_error(c, rc);
        return;
    }
    reply_array(c, 3);
    reply_stream_id(c, res.cursor);
    reply_claimed(c, &argv[1], res.claimed, res.nclaimed, cl.justid);
    reply_array(c, res.ndeleted);
    for (size_t i = 0; i < res.ndeleted; i++)
        reply_stream_id(c, res.deleted[i]);
    free(res.claimed);
    free(res.deleted);
}
