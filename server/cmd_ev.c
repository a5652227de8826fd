/* cmd_ev.c — the event-log commands: EV.ADD, EV.NODE, EV.OFFSETS. Replies
 * with several named parts are RESP3 maps, flat name/value arrays in RESP2;
 * offset maps travel as JSON object text. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "evparse.h"
#include "reply.h"
#include "repl.h"
#include "store.h"
#include "stream_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply_ev_pos(struct client *c, const struct store_ev_pos *pos)
{
    reply_map(c, 5);
    reply_bulk_cstr(c, "stream");
    reply_bulk_cstr(c, pos->stream);
    reply_bulk_cstr(c, "offset");
    reply_int(c, (long long)pos->offset);
    reply_bulk_cstr(c, "lamport");
    reply_int(c, (long long)pos->lamport);
    reply_bulk_cstr(c, "timestamp");
    reply_int(c, (long long)pos->timestamp_us);
    reply_bulk_cstr(c, "id");
    reply_stream_id(c, pos->id);
}

/* EV.ADD key [TAGS numtags tag ...] [TYPE type] [EVENTID id]
 *        [EXPECT ANY|NOKEY|EXISTS|revision] field value [field value ...] */
void cmd_ev_add(struct client *c, int argc, const struct resp_arg *argv)
{
    struct store_ev_add_req req = { .x = { .key = arg_bytes(&argv[1]), .id_mode = STORE_ID_AUTO,
                                           .trim = { .limit = -1 } },
                                    .expect = STORE_EXPECT_ANY };
    struct store_bytes *tags = NULL, *fields = NULL;
    int i = 2, have_tags = 0, have_expect = 0;
    while (i < argc) {
        const struct resp_arg *a = &argv[i];
        int more = argc - i - 1;
        if (arg_is(a, "tags") && more >= 1 && !have_tags) {
            long long n;
            if (arg_to_ll(&argv[i + 1], &n) != 0 || n < 0) {
                reply_error(c, "TAGS needs the number of tags that follow (an integer >= 0)");
                goto done;
            }
            if (n > more - 1) {
                reply_errorf(c, "TAGS announces %lld tags but only %d arguments follow", n, more - 1);
                goto done;
            }
            tags = malloc((size_t)(n ? n : 1) * sizeof(*tags));
            if (tags == NULL) {
                reply_error(c, "out of memory");
                goto done;
            }
            for (long long t = 0; t < n; t++) {
                tags[t] = arg_bytes(&argv[i + 2 + t]);
                if (tags[t].len == 0) {
                    reply_error(c, "a tag cannot be empty");
                    goto done;
                }
            }
            req.x.tags = tags;
            req.x.ntags = (size_t)n;
            have_tags = 1;
            i += 2 + (int)n;
        } else if (arg_is(a, "type") && more >= 1 && req.x.type.ptr == NULL) {
            req.x.type = arg_bytes(&argv[i + 1]);
            if (req.x.type.len > 0 && req.x.type.ptr[0] == '$') {
                reply_error(c, "event types starting with '$' are reserved (swarmlog's tombstones are $xdel and $del)");
                goto done;
            }
            i += 2;
        } else if (arg_is(a, "eventid") && more >= 1 && req.x.eventid.ptr == NULL) {
            req.x.eventid = arg_bytes(&argv[i + 1]);
            if (req.x.eventid.len == 0) {
                reply_error(c, "an EVENTID cannot be empty");
                goto done;
            }
            i += 2;
        } else if (arg_is(a, "expect") && more >= 1 && !have_expect) {
            const struct resp_arg *e = &argv[i + 1];
            if (arg_is(e, "any")) {
                req.expect = STORE_EXPECT_ANY;
            } else if (arg_is(e, "nokey")) {
                req.expect = STORE_EXPECT_NOKEY;
            } else if (arg_is(e, "exists")) {
                req.expect = STORE_EXPECT_EXISTS;
            } else if (arg_to_ll(e, &req.revision) == 0 && req.revision >= -1) {
                req.expect = STORE_EXPECT_REVISION;
            } else {
                reply_error(c, "EXPECT takes ANY, NOKEY, EXISTS or a revision (an integer >= -1)");
                goto done;
            }
            have_expect = 1;
            i += 2;
        } else {
            break;
        }
    }
    int nfields = argc - i;
    if (nfields < 2 || nfields % 2 != 0) {
        if (have_tags)
            reply_error(c, "wrong number of arguments for 'ev.add' command: after TAGS and the other options, "
                           "field value pairs must follow (is the TAGS count right?)");
        else
            reply_error_arity(c, "ev.add");
        goto done;
    }
    fields = malloc((size_t)nfields * sizeof(*fields));
    if (fields == NULL) {
        reply_error(c, "out of memory");
        goto done;
    }
    for (int f = 0; f < nfields; f++)
        fields[f] = arg_bytes(&argv[i + f]);
    req.x.fields = fields;
    req.x.nfields = (size_t)nfields;
    req.x.now_us = srv_unix_us();
    req.x.now_ms = req.x.now_us / 1000;
    struct store_ev_pos pos;
    long long revision = -1;
    int rc = store_ev_add(c->srv->store, &req, &pos, &revision);
    if (rc == STORE_ERR_WRONGVERSION) {
        char want[32];
        if (req.expect == STORE_EXPECT_NOKEY)
            snprintf(want, sizeof(want), "NOKEY");
        else if (req.expect == STORE_EXPECT_EXISTS)
            snprintf(want, sizeof(want), "EXISTS");
        else
            snprintf(want, sizeof(want), "%lld", req.revision);
        reply_errorf(c, "-WRONGVERSION expected %s, key is at %lld", want, revision);
    } else if (rc != 0) {
        reply_store_error(c, rc);
    } else {
        reply_ev_pos(c, &pos);
    }
done:
    free(tags);
    free(fields);
}

/* EV.NODE: this node's identity and log. */
void cmd_ev_node(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc, (void)argv;
    struct store *st = c->srv->store;
    uint64_t next, lamport, events;
    int rc = store_log_head(st, &next, &lamport);
    if (rc == 0)
        rc = store_log_count(st, &events);
    if (rc != 0) {
        reply_store_error(c, rc);
        return;
    }
    reply_map(c, 4);
    reply_bulk_cstr(c, "node");
    reply_bulk_cstr(c, store_node_id(st));
    reply_bulk_cstr(c, "stream");
    reply_bulk_cstr(c, store_own_stream(st));
    reply_bulk_cstr(c, "lamport");
    reply_int(c, (long long)lamport);
    reply_bulk_cstr(c, "events");
    reply_int(c, (long long)events);
}

/* EV.OFFSETS: `present` (the last offset of every stream stored here) and
 * `toReplicate` (events known elsewhere and missing here: none until peers
 * replicate). */
void cmd_ev_offsets(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc, (void)argv;
    struct offset_map m = { 0 };
    char *json = NULL;
    size_t len = 0;
    int rc = store_log_offsets(c->srv->store, offset_map_put, &m);
    if (rc == 0 && offset_map_json(&m, &json, &len) != 0)
        rc = STORE_ERR_NOMEM;
    if (rc != 0) {
        reply_store_error(c, rc);
    } else {
        reply_map(c, 2);
        reply_bulk_cstr(c, "present");
        reply_bulk(c, json, len);
        /* toReplicate: per stream, the events peers announced that are not here */
        struct offset_map want = { 0 };
        for (size_t i = 0; i < c->srv->nlinks; i++) {
            const char *ann = repl_link_announced(c->srv->links[i]);
            struct offset_map theirs = { 0 };
            char err[200];
            if (ann == NULL || offset_map_parse(ann, strlen(ann), &theirs, err, sizeof(err)) != 0)
                continue;
            offset_map_missing(&m, &theirs, &want);
            offset_map_free(&theirs);
        }
        char *tr = NULL;
        size_t trlen = 0;
        reply_bulk_cstr(c, "toReplicate");
        if (offset_map_json(&want, &tr, &trlen) == 0)
            reply_bulk(c, tr, trlen);
        else
            reply_bulk_cstr(c, "{}");
        free(tr);
        offset_map_free(&want);
    }
    free(json);
    offset_map_free(&m);
}

/* ---- EV.QUERY ---- */

static void reply_bytes_or_null(struct client *c, struct store_bytes b)
{
    if (b.ptr == NULL)
        reply_null(c);
    else
        reply_bulk(c, b.ptr, b.len);
}

/* An event, as EV.QUERY / EV.READ / EV.SUBSCRIBE show it. */
int srv_reply_event(struct client *c, const struct store_event *ev)
{
    reply_map(c, 10);
    reply_bulk_cstr(c, "stream");
    reply_bulk_cstr(c, ev->stream);
    reply_bulk_cstr(c, "offset");
    reply_int(c, (long long)ev->offset);
    reply_bulk_cstr(c, "lamport");
    reply_int(c, (long long)ev->lamport);
    reply_bulk_cstr(c, "timestamp");
    reply_int(c, (long long)ev->timestamp_us);
    reply_bulk_cstr(c, "key");
    reply_bulk(c, ev->key.ptr, ev->key.len);
    reply_bulk_cstr(c, "id");
    reply_stream_id(c, ev->id);
    reply_bulk_cstr(c, "tags");
    reply_array(c, ev->ntags);
    for (size_t i = 0; i < ev->ntags; i++)
        reply_bulk(c, ev->tags[i].ptr, ev->tags[i].len);
    reply_bulk_cstr(c, "type");
    reply_bytes_or_null(c, ev->type);
    reply_bulk_cstr(c, "eventid");
    reply_bytes_or_null(c, ev->eventid);
    reply_bulk_cstr(c, "payload");
    reply_array(c, ev->nfields);
    for (size_t i = 0; i < ev->nfields; i++)
        reply_bulk(c, ev->fields[i].ptr, ev->fields[i].len);
    return 0;
}

struct ev_opts {
    struct store_tag_expr *where;
    struct store_bytes *types;
    size_t ntypes;
    struct offset_map from, to;
    int have_from, have_to;
    enum store_ev_order order;
    long long count;
};

static void ev_opts_free(struct ev_opts *o)
{
    tag_expr_free(o->where);
    free(o->types);
    offset_map_free(&o->from);
    offset_map_free(&o->to);
}

/* The options shared by EV.QUERY (query = 1) and EV.READ. Returns 0 or -1
 * after replying. */
enum ev_cmd { EV_READ, EV_QUERY, EV_SUBSCRIBE };

static int reply_event(void *ctx, const struct store_event *ev)
{
    return srv_reply_event(ctx, ev);
}

static int ev_opts_or_reply(struct client *c, int argc, const struct resp_arg *argv, int start, enum ev_cmd cmd,
                            struct ev_opts *o)
{
    char err[256];
    int have_order = 0, have_count = 0;
    for (int i = start; i < argc; i++) {
        int more = argc - i - 1;
        const struct resp_arg *a = &argv[i];
        if (arg_is(a, "where") && more && o->where == NULL) {
            if ((o->where = tag_expr_parse(argv[i + 1].ptr, argv[i + 1].len, err, sizeof(err))) == NULL) {
                reply_error(c, err);
                return -1;
            }
            i++;
        } else if (arg_is(a, "types") && more && o->types == NULL) {
            long long n;
            if (arg_to_ll(&argv[i + 1], &n) != 0 || n < 1) {
                reply_error(c, "TYPES needs the number of types that follow (an integer >= 1)");
                return -1;
            }
            if (n > more - 1) {
                reply_errorf(c, "TYPES announces %lld types but only %d arguments follow", n, more - 1);
                return -1;
            }
            if ((o->types = malloc((size_t)n * sizeof(*o->types))) == NULL) {
                reply_error(c, "out of memory");
                return -1;
            }
            for (long long t = 0; t < n; t++)
                o->types[t] = arg_bytes(&argv[i + 2 + t]);
            o->ntypes = (size_t)n;
            i += 1 + (int)n;
        } else if (arg_is(a, "from") && more && !o->have_from) {
            if (offset_map_parse(argv[i + 1].ptr, argv[i + 1].len, &o->from, err, sizeof(err)) != 0) {
                reply_errorf(c, "FROM: %s", err);
                return -1;
            }
            o->have_from = 1;
            i++;
        } else if (cmd == EV_QUERY && arg_is(a, "to") && more && !o->have_to) {
            if (offset_map_parse(argv[i + 1].ptr, argv[i + 1].len, &o->to, err, sizeof(err)) != 0) {
                reply_errorf(c, "TO: %s", err);
                return -1;
            }
            o->have_to = 1;
            i++;
        } else if (cmd == EV_QUERY && arg_is(a, "order") && more && !have_order) {
            const struct resp_arg *v = &argv[++i];
            if (arg_is(v, "lamport"))
                o->order = STORE_ORDER_LAMPORT;
            else if (arg_is(v, "lamportdesc"))
                o->order = STORE_ORDER_LAMPORTDESC;
            else if (arg_is(v, "stream"))
                o->order = STORE_ORDER_STREAM;
            else {
                reply_error(c, "ORDER takes LAMPORT, LAMPORTDESC or STREAM");
                return -1;
            }
            have_order = 1;
        } else if (cmd != EV_SUBSCRIBE && arg_is(a, "count") && more && !have_count) {
            if (arg_to_ll(&argv[++i], &o->count) != 0 || o->count < 1) {
                reply_error(c, "COUNT must be > 0");
                return -1;
            }
            have_count = 1;
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    return 0;
}

static int add_bound(void *ctx, const char *stream, uint64_t last)
{
    struct srv_ev_bounds *x = ctx;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        struct store_ev_bound *g = realloc(x->b, cap * sizeof(*g));
        if (g == NULL)
            return x->oom = 1;
        x->b = g;
        x->cap = cap;
    }
    char *name = strdup(stream);
    if (name == NULL)
        return x->oom = 1;
    uint64_t from;
    x->b[x->n++] = (struct store_ev_bound){ name, x->from && offset_map_get(x->from, stream, &from) ? (int64_t)from : -1,
                                            (int64_t)last };
    return 0;
}

static int bound_cmp(const void *a, const void *b)
{
    return strcmp(((const struct store_ev_bound *)a)->stream, ((const struct store_ev_bound *)b)->stream);
}

int srv_ev_bounds_build(struct store *st, const struct offset_map *from, struct srv_ev_bounds *x)
{
    *x = (struct srv_ev_bounds){ .from = from };
    int rc = store_log_offsets(st, add_bound, x);
    if (rc == 0 && x->oom)
        rc = STORE_ERR_NOMEM;
    if (rc == 0 && x->n > 1)
        qsort(x->b, x->n, sizeof(*x->b), bound_cmp);
    return rc;
}

void srv_ev_bounds_free(struct srv_ev_bounds *x)
{
    for (size_t i = 0; i < x->n; i++)
        free((char *)x->b[i].stream);
    free(x->b);
    *x = (struct srv_ev_bounds){ 0 };
}

/* Every stream stored here, bounded by FROM (exclusive) and TO (inclusive,
 * at most what is stored); a stream named in a map must exist here. */
static int bounds_or_reply(struct client *c, const struct ev_opts *o, struct srv_ev_bounds *x)
{
    int rc = srv_ev_bounds_build(c->srv->store, &o->from, x);
    if (rc != 0) {
        reply_store_error(c, rc);
        return -1;
    }
    const struct offset_map *maps[2] = { &o->from, &o->to };
    for (int m = 0; m < 2; m++)
        for (size_t i = 0; i < maps[m]->n; i++) {
            size_t j = 0;
            while (j < x->n && strcmp(x->b[j].stream, maps[m]->e[i].stream) != 0)
                j++;
            if (j == x->n) {
                reply_errorf(c, "unknown stream '%s' in %s: no event of it is stored here", maps[m]->e[i].stream,
                             m ? "TO" : "FROM");
                return -1;
            }
        }
    for (size_t j = 0; o->have_to && j < x->n; j++) {
        uint64_t off; /* TO: at most what is stored; a stream left out gives nothing */
        if (!offset_map_get(&o->to, x->b[j].stream, &off))
            x->b[j].to = -1;
        else if ((int64_t)off < x->b[j].to)
            x->b[j].to = (int64_t)off;
    }
    return 0;
}

/* Runs the query of o and writes [offset map, events]. When none matches
 * and !empty_ok, writes nothing and returns 0. Returns the number of
 * events, or -1 after an error reply. */
static long long ev_reply_query(struct client *c, const struct ev_opts *o, int empty_ok)
{
    struct srv_ev_bounds x = { 0 };
    struct offset_map next = { 0 };
    long long n = -1;
    if (bounds_or_reply(c, o, &x) != 0)
        goto done;
    struct store_ev_query q = { .where = o->where, .types = o->types, .ntypes = o->ntypes, .bounds = x.b,
                                .nbounds = x.n, .order = o->order, .count = o->count };
    size_t mark = c->out.len;
    reply_array(c, 2);
    size_t map_at = c->out.len;
    size_t list = reply_defer(c);
    n = store_ev_query(c->srv->store, &q, reply_event, c, offset_map_put_signed, &next);
    if (n < 0) {
        c->out.len = mark;
        reply_store_error(c, (int)n);
        n = -1;
        goto done;
    }
    if (n == 0 && !empty_ok) {
        c->out.len = mark;
        goto done;
    }
    reply_set_deferred_array(c, list, (size_t)n);
    /* the continuation map goes first: move the events after it */
    char *json = NULL, *events = NULL;
    size_t len, events_len = c->out.len - map_at;
    if (offset_map_json(&next, &json, &len) != 0 || (events = malloc(events_len ? events_len : 1)) == NULL) {
        free(json);
        c->out.len = mark;
        reply_error(c, "out of memory");
        n = -1;
        goto done;
    }
    memcpy(events, c->out.data + map_at, events_len);
    c->out.len = map_at;
    reply_bulk(c, json, len);
    reply_raw(c, events, events_len);
    free(events);
    free(json);
done:
    offset_map_free(&next);
    srv_ev_bounds_free(&x);
    return n;
}

/* EV.QUERY [WHERE expr] [TYPES numtypes type ...] [FROM map] [TO map]
 *          [ORDER LAMPORT|LAMPORTDESC|STREAM] [COUNT n] */
void cmd_ev_query(struct client *c, int argc, const struct resp_arg *argv)
{
    struct ev_opts o = { .order = STORE_ORDER_LAMPORT };
    if (ev_opts_or_reply(c, argc, argv, 1, EV_QUERY, &o) == 0)
        ev_reply_query(c, &o, 1);
    ev_opts_free(&o);
}

/* ---- EV.READ ---- */

static int ev_read_serve(struct client *c, void *state)
{
    return ev_reply_query(c, state, 0) != 0;
}

static void ev_read_free(void *state)
{
    ev_opts_free(state);
    free(state);
}

/* EV.READ [WHERE expr] [TYPES numtypes type ...] [COUNT n] [BLOCK ms] FROM map:
 * the matching events after FROM, ascending; waits for the first. */
void cmd_ev_read(struct client *c, int argc, const struct resp_arg *argv)
{
    struct ev_opts *o = calloc(1, sizeof(*o));
    long long timeout = -1;
    if (o == NULL) {
        reply_error(c, "out of memory");
        return;
    }
    o->order = STORE_ORDER_LAMPORT;
    /* BLOCK is EV.READ's own; the rest is shared with EV.QUERY */
    int n = 0;
    struct resp_arg *rest = malloc((size_t)argc * sizeof(*rest));
    if (rest == NULL) {
        free(o);
        reply_error(c, "out of memory");
        return;
    }
    for (int i = 0; i < argc; i++) {
        if (i > 0 && arg_is(&argv[i], "block") && i + 1 < argc && timeout < 0) {
            if (arg_to_ll_or_reply(c, &argv[i + 1], &timeout, "timeout is not an integer or out of range") != 0)
                goto fail;
            if (timeout < 0) {
                reply_error(c, "timeout is negative");
                goto fail;
            }
            i++;
            continue;
        }
        rest[n++] = argv[i];
    }
    if (ev_opts_or_reply(c, n, rest, 1, EV_READ, o) != 0)
        goto fail;
    if (!o->have_from) {
        reply_error(c, "EV.READ needs FROM <offset map> (use {} for the whole log)");
        goto fail;
    }
    free(rest);
    long long got = ev_reply_query(c, o, 0);
    if (got == 0 && timeout >= 0 && !(c->flags & CLIENT_DENY_BLOCKING)) {
        client_block_custom(c, ev_read_serve, ev_read_free, o, timeout);
        return;
    }
    if (got == 0)
        reply_null_array(c);
    ev_read_free(o);
    return;
fail:
    free(rest);
    ev_read_free(o);
}

int srv_ev_args_or_reply(struct client *c, int argc, const struct resp_arg *argv, struct srv_ev_args *out)
{
    struct ev_opts o = { .order = STORE_ORDER_LAMPORT };
    struct srv_ev_bounds x = { 0 };
    int rc = ev_opts_or_reply(c, argc, argv, 1, EV_SUBSCRIBE, &o);
    if (rc == 0)
        rc = bounds_or_reply(c, &o, &x); /* FROM names streams stored here */
    srv_ev_bounds_free(&x);
    if (rc != 0) {
        ev_opts_free(&o);
        return -1;
    }
    *out = (struct srv_ev_args){ .where = o.where, .types = o.types, .ntypes = o.ntypes, .from = o.from };
    offset_map_free(&o.to);
    return 0;
}
