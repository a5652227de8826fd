/* cmd_stream.c — XADD, XLEN, XRANGE, XREVRANGE, XTRIM, XDEL: parse the
 * arguments (stream_args.c), make one store call, write one reply. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "reply.h"
#include "store.h"
#include "stream_args.h"

#include <stdlib.h>

static struct store_trim_spec trim_spec(const struct xtrim_args *t)
{
    static const enum store_trim strategies[] = {
        [XTRIM_NONE] = STORE_TRIM_NONE, [XTRIM_MAXLEN] = STORE_TRIM_MAXLEN, [XTRIM_MINID] = STORE_TRIM_MINID,
    };
    return (struct store_trim_spec){ .strategy = strategies[t->strategy], .approx = t->approx,
                                     .maxlen = t->maxlen > 0 ? (uint64_t)t->maxlen : 0,
                                     .minid = t->minid, .limit = t->limit };
}

void cmd_xadd(struct client *c, int argc, const struct resp_arg *argv)
{
    struct xadd_args a;
    if (xadd_parse_or_reply(c, argc, argv, &a) != 0)
        return;
    size_t nfields = (size_t)(argc - a.field_pos);
    struct store_bytes *fields = malloc(nfields * sizeof(*fields));
    if (fields == NULL) {
        reply_error(c, "out of memory");
        return;
    }
    for (size_t i = 0; i < nfields; i++)
        fields[i] = arg_bytes(&argv[a.field_pos + (int)i]);
    uint64_t now_us = srv_unix_us();
    static const enum store_id_mode modes[] = {
        [XID_EXPLICIT] = STORE_ID_EXPLICIT, [XID_AUTO_SEQ] = STORE_ID_AUTO_SEQ, [XID_AUTO] = STORE_ID_AUTO,
    };
    struct store_xadd_req req = {
        .key = arg_bytes(&argv[1]), .nomkstream = a.nomkstream, .id_mode = modes[a.id_mode], .id = a.id,
        .fields = fields, .nfields = nfields, .trim = trim_spec(&a.trim),
        .now_ms = now_us / 1000, .now_us = now_us,
    };
    struct store_id id;
    int rc = store_xadd(c->srv->store, &req, &id);
    free(fields);
    if (rc == 0)
        reply_stream_id(c, id);
    else if (rc == STORE_ERR_NOKEY)
        reply_null(c);
    else
        reply_store_error(c, rc);
}

void cmd_xlen(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    uint64_t len = 0;
    int rc = store_xlen(c->srv->store, arg_bytes(&argv[1]), &len);
    if (rc != 0)
        reply_store_error(c, rc);
    else
        reply_int(c, (long long)len);
}

/* XRANGE key start end [COUNT n] and XREVRANGE key end start [COUNT n]. */
static void range_command(struct client *c, int argc, const struct resp_arg *argv, int rev)
{
    struct store_id start, end;
    if (xrange_bound_or_reply(c, &argv[rev ? 3 : 2], 0, &start) != 0 ||
        xrange_bound_or_reply(c, &argv[rev ? 2 : 3], 1, &end) != 0)
        return;
    long long count = -1;
    for (int j = 4; j < argc; j++) {
        if (arg_is(&argv[j], "count") && j + 1 < argc) {
            if (arg_to_ll_or_reply(c, &argv[++j], &count, NULL) != 0)
                return;
            if (count < 0)
                count = 0;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (count == 0) {
        /* Redis 7.0: an empty array for a missing key, else a null one. */
        int exists = store_exists(c->srv->store, arg_bytes(&argv[1]));
        if (exists < 0)
            reply_store_error(c, exists);
        else if (exists)
            reply_null_array(c);
        else
            reply_array(c, 0);
        return;
    }
    size_t mark = reply_defer(c);
    long long n = store_range(c->srv->store, arg_bytes(&argv[1]), start, end, rev, count, reply_stream_entry, c);
    if (n < 0) {
        c->out.len = mark;
        reply_store_error(c, (int)n);
        return;
    }
    reply_set_deferred_array(c, mark, (size_t)n);
}

void cmd_xrange(struct client *c, int argc, const struct resp_arg *argv)
{
    range_command(c, argc, argv, 0);
}

void cmd_xrevrange(struct client *c, int argc, const struct resp_arg *argv)
{
    range_command(c, argc, argv, 1);
}

void cmd_xtrim(struct client *c, int argc, const struct resp_arg *argv)
{
    struct xtrim_args t;
    if (xtrim_parse_or_reply(c, argc, argv, &t) != 0)
        return;
    struct store_trim_spec spec = trim_spec(&t);
    uint64_t removed = 0;
    int rc = store_xtrim(c->srv->store, arg_bytes(&argv[1]), &spec, &removed);
    if (rc != 0)
        reply_store_error(c, rc);
    else
        reply_int(c, (long long)removed);
}

void cmd_xdel(struct client *c, int argc, const struct resp_arg *argv)
{
    /* As Redis: a missing key answers 0 before the IDs are looked at. */
    int exists = store_exists(c->srv->store, arg_bytes(&argv[1]));
    if (exists <= 0) {
        if (exists < 0)
            reply_store_error(c, exists);
        else
            reply_int(c, 0);
        return;
    }
    size_t n = (size_t)(argc - 2);
    struct store_id *ids = malloc(n * sizeof(*ids));
    if (ids == NULL) {
        reply_error(c, "out of memory");
        return;
    }
    /* Every ID is checked before anything is deleted, as Redis does. */
    for (size_t i = 0; i < n; i++) {
        if (xid_parse(&argv[2 + i], 0, &ids[i]) != 0) {
            reply_error(c, "Invalid stream ID specified as stream command argument");
            free(ids);
            return;
        }
    }
    uint64_t deleted = 0;
    int rc = store_xdel(c->srv->store, arg_bytes(&argv[1]), ids, n, &deleted);
    free(ids);
    if (rc != 0)
        reply_store_error(c, rc);
    else
        reply_int(c, (long long)deleted);
}

/* ---- XREAD ---- */

/* The ID XREAD waits after for one key: "$" (the last ID generated), "+"
 * (Redis 7.4: the last entry, so that it is returned), or an explicit ID
 * (missing sequence 0). Returns 0, or -1 after replying. */
static int xread_id_or_reply(struct client *c, const struct resp_arg *key, const struct resp_arg *a,
                             struct store_id *id)
{
    int dollar = a->len == 1 && a->ptr[0] == '$', plus = a->len == 1 && a->ptr[0] == '+';
    if (a->len == 1 && a->ptr[0] == '>') {
        reply_error(c, "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
        return -1;
    }
    if (!dollar && !plus) {
        if (xid_parse(a, 0, id) == 0)
            return 0;
        reply_error(c, "Invalid stream ID specified as stream command argument");
        return -1;
    }
    struct store_key_info info;
    int rc = store_key_info(c->srv->store, arg_bytes(key), &info);
    if (rc == STORE_ERR_NOKEY) {
        *id = (struct store_id){ 0, 0 };
        return 0;
    }
    if (rc != 0) {
        reply_store_error(c, rc);
        return -1;
    }
    *id = info.last_id;
    if (plus && info.length > 0) {
        /* One before the newest live entry, so that it is the one read. */
        if (store_key_newest(c->srv->store, arg_bytes(key), id) == 1)
            store_id_decr(id); /* never 0-0: IDs start at 0-1 */
    }
    return 0;
}

/* XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...] */
void cmd_xread(struct client *c, int argc, const struct resp_arg *argv)
{
    struct xread_opts o;
    if (xread_opts_or_reply(c, argc, argv, 0, &o) != 0)
        return;
    int nkeys = (argc - o.streams) / 2;
    const struct resp_arg *keys = &argv[o.streams];
    struct store_id *ids = malloc((size_t)nkeys * sizeof(*ids));
    if (ids == NULL) {
        reply_error(c, "out of memory");
        return;
    }
    int served = 0;
    for (int i = 0; i < nkeys; i++)
        if (xread_id_or_reply(c, &keys[i], &keys[nkeys + i], &ids[i]) != 0)
            goto done;
    served = xread_serve(c, nkeys, keys, ids, o.count);
    if (served == 0 && o.block && !(c->flags & CLIENT_DENY_BLOCKING))
        client_block_xread(c, nkeys, keys, ids, o.count, o.timeout_ms);
    else if (served == 0)
        reply_null_array(c);
done:
    free(ids);
}

/* ---- KEYS, FLUSHALL, FLUSHDB ---- */

/* XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]:
 * the options are checked in Redis's order, then the key. */
void cmd_xsetid(struct client *c, int argc, const struct resp_arg *argv)
{
    static const char bad_id[] = "Invalid stream ID specified as stream command argument";
    struct store_id id, maxdel = { 0, 0 };
    long long added = -1;
    if (xid_parse(&argv[2], 0, &id) != 0) {
        reply_error(c, bad_id);
        return;
    }
    for (int i = 3; i < argc; i += 2) {
        int more = argc - 1 - i;
        if (arg_is(&argv[i], "entriesadded") && more) {
            if (arg_to_ll_or_reply(c, &argv[i + 1], &added, NULL) != 0)
                return;
            if (added < 0) {
                reply_error(c, "entries_added must be positive");
                return;
            }
        } else if (arg_is(&argv[i], "maxdeletedid") && more) {
            if (xid_parse(&argv[i + 1], 0, &maxdel) != 0) {
                reply_error(c, bad_id);
                return;
            }
            if (store_id_cmp(id, maxdel) < 0) {
                reply_error(c, "The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    int rc = store_xsetid(c->srv->store, arg_bytes(&argv[1]), id, added, maxdel);
    if (rc == 0)
        reply_ok(c);
    else if (rc == STORE_ERR_NOKEY)
        reply_error(c, "no such key");
    else
        reply_store_error(c, rc);
}
