/* cmd_ev.c — the event-log commands: EV.ADD, EV.NODE, EV.OFFSETS. Replies
 * with several named parts are RESP3 maps, flat name/value arrays in RESP2;
 * offset maps travel as JSON object text. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "evparse.h"
#include "reply.h"
#include "store.h"
#include "stream_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* A map header: RESP3 map, RESP2 flat array of name/value pairs. */
static void reply_pairs(struct client *c, size_t n)
{
    if (c->resp == 3)
        reply_map(c, n);
    else
        reply_array(c, n * 2);
}

static void reply_ev_pos(struct client *c, const struct store_ev_pos *pos)
{
    reply_pairs(c, 5);
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
    struct timeval tv;
    gettimeofday(&tv, NULL);
    req.x.fields = fields;
    req.x.nfields = (size_t)nfields;
    req.x.now_ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
    req.x.now_us = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
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
    char stream[STORE_STREAM_ID_MAX];
    snprintf(stream, sizeof(stream), "%s-0", store_node_id(st));
    reply_pairs(c, 4);
    reply_bulk_cstr(c, "node");
    reply_bulk_cstr(c, store_node_id(st));
    reply_bulk_cstr(c, "stream");
    reply_bulk_cstr(c, stream);
    reply_bulk_cstr(c, "lamport");
    reply_int(c, (long long)lamport);
    reply_bulk_cstr(c, "events");
    reply_int(c, (long long)events);
}

static int collect_offset(void *ctx, const char *stream, uint64_t offset)
{
    return offset_map_set(ctx, stream, offset) != 0;
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
    int rc = store_log_offsets(c->srv->store, collect_offset, &m);
    if (rc == 0 && offset_map_json(&m, &json, &len) != 0)
        rc = STORE_ERR_NOMEM;
    if (rc != 0) {
        reply_store_error(c, rc);
    } else {
        reply_pairs(c, 2);
        reply_bulk_cstr(c, "present");
        reply_bulk(c, json, len);
        reply_bulk_cstr(c, "toReplicate");
        reply_bulk_cstr(c, "{}");
    }
    free(json);
    offset_map_free(&m);
}
