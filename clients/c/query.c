/* query.c — EV.QUERY and EV.READ: build the command, check the reply's
 * shape ([offset map, [event, ...]] or null) and hand out typed events
 * that point into the reply, which the batch keeps. */
#include <stdlib.h>
#include <string.h>

#include "swl_internal.h"

struct batch_priv {
    redisReply *reply;
    swl_bytes *tags;
    swl_field *fields;
};

void swl_batch_free(swl_batch *b)
{
    if (b == NULL)
        return;
    struct batch_priv *p = b->priv_;
    if (p) {
        freeReplyObject(p->reply);
        free(p->tags);
        free(p->fields);
        free(p);
    }
    free(b->events);
    swl_offsets_free(b->next);
    free(b);
}

static int is_str(const redisReply *r)
{
    return r->type == REDIS_REPLY_STRING;
}

static int name_is(const redisReply *r, const char *name)
{
    return is_str(r) && r->len == strlen(name) && memcmp(r->str, name, r->len) == 0;
}

/* The value named name in the flat name/value array r, or NULL. */
static const redisReply *field_of(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (name_is(r->element[i], name))
            return r->element[i + 1];
    return NULL;
}

int swl__event_count(const redisReply *r, size_t *ntags, size_t *nfields, const char **why)
{
    static const char *const ints[] = { "offset", "lamport", "timestamp" };
    static const char *const strs[] = { "stream", "key", "id" };
    *why = "an event is not a flat name/value array";
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return SWL_ERR_PROTOCOL;
    for (size_t i = 0; i < 3; i++) {
        const redisReply *v = field_of(r, ints[i]);
        *why = "an event lacks an integer offset, lamport or timestamp";
        if (v == NULL || v->type != REDIS_REPLY_INTEGER || (i < 2 && v->integer < 0))
            return SWL_ERR_PROTOCOL;
        v = field_of(r, strs[i]);
        *why = "an event lacks its stream, key or id";
        if (v == NULL || !is_str(v) || (i == 0 && (v->len == 0 || strlen(v->str) != v->len)))
            return SWL_ERR_PROTOCOL;
    }
    const redisReply *tags = field_of(r, "tags"), *payload = field_of(r, "payload");
    *why = "an event's tags or payload are malformed";
    if (tags == NULL || tags->type != REDIS_REPLY_ARRAY || payload == NULL ||
        payload->type != REDIS_REPLY_ARRAY || payload->elements % 2 != 0)
        return SWL_ERR_PROTOCOL;
    for (size_t i = 0; i < tags->elements; i++)
        if (!is_str(tags->element[i]))
            return SWL_ERR_PROTOCOL;
    for (size_t i = 0; i < payload->elements; i++)
        if (!is_str(payload->element[i]))
            return SWL_ERR_PROTOCOL;
    const char *opt[] = { "type", "eventid" };
    *why = "an event's type or eventid is neither a string nor null";
    for (size_t i = 0; i < 2; i++) {
        const redisReply *v = field_of(r, opt[i]);
        if (v && !is_str(v) && v->type != REDIS_REPLY_NIL)
            return SWL_ERR_PROTOCOL;
    }
    *ntags = tags->elements;
    *nfields = payload->elements / 2;
    return SWL_OK;
}

static swl_bytes bytes_of(const redisReply *v)
{
    swl_bytes b = { NULL, 0 };
    if (v && is_str(v)) {
        b.ptr = v->str;
        b.len = v->len;
    }
    return b;
}

void swl__event_fill(const redisReply *r, swl_event *ev, swl_bytes *tags, swl_field *fields)
{
    ev->stream = field_of(r, "stream")->str;
    ev->offset = (uint64_t)field_of(r, "offset")->integer;
    ev->lamport = (uint64_t)field_of(r, "lamport")->integer;
    ev->timestamp_us = field_of(r, "timestamp")->integer;
    ev->key = bytes_of(field_of(r, "key"));
    ev->entry_id = bytes_of(field_of(r, "id"));
    ev->type = bytes_of(field_of(r, "type"));
    ev->event_id = bytes_of(field_of(r, "eventid"));
    const redisReply *t = field_of(r, "tags"), *p = field_of(r, "payload");
    for (size_t i = 0; i < t->elements; i++)
        tags[i] = bytes_of(t->element[i]);
    for (size_t i = 0; i < p->elements / 2; i++) {
        fields[i].name = bytes_of(p->element[2 * i]);
        fields[i].value = bytes_of(p->element[2 * i + 1]);
    }
    ev->tags = tags;
    ev->ntags = t->elements;
    ev->fields = fields;
    ev->nfields = p->elements / 2;
}

/* Fills b's events from the event array evs (owned by b's reply). */
static int batch_events(swl_client *c, swl_batch *b, struct batch_priv *p, const redisReply *evs)
{
    size_t ntags = 0, nfields = 0;
    for (size_t i = 0; i < evs->elements; i++) {
        size_t t, f;
        const char *why;
        if (swl__event_count(evs->element[i], &t, &f, &why) != SWL_OK)
            return swl__fail(c, SWL_ERR_PROTOCOL, "%s", why);
        ntags += t;
        nfields += f;
    }
    b->events = calloc(evs->elements ? evs->elements : 1, sizeof(*b->events));
    p->tags = calloc(ntags ? ntags : 1, sizeof(*p->tags));
    p->fields = calloc(nfields ? nfields : 1, sizeof(*p->fields));
    if (b->events == NULL || p->tags == NULL || p->fields == NULL)
        return swl__fail(c, SWL_ERR_NOMEM, "out of memory");
    size_t ti = 0, fi = 0;
    for (size_t i = 0; i < evs->elements; i++) {
        swl__event_fill(evs->element[i], &b->events[i], p->tags + ti, p->fields + fi);
        ti += b->events[i].ntags;
        fi += b->events[i].nfields;
    }
    b->nevents = evs->elements;
    return SWL_OK;
}

/* Turns a reply into a batch; r is taken (freed on failure). A null reply
 * (EV.READ timed out) gives no events and a copy of from. */
static int make_batch(swl_client *c, redisReply *r, const swl_offsets *from, swl_batch **out)
{
    swl_batch *b = calloc(1, sizeof(*b));
    struct batch_priv *p = calloc(1, sizeof(*p));
    int rc = SWL_OK;
    if (b == NULL || p == NULL) {
        free(b);
        free(p);
        freeReplyObject(r);
        return swl__fail(c, SWL_ERR_NOMEM, "out of memory");
    }
    b->priv_ = p;
    p->reply = r;
    if (r->type == REDIS_REPLY_NIL) {
        rc = from ? swl_offsets_copy(from, &b->next) : swl_offsets_new(&b->next);
    } else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !is_str(r->element[0]) ||
               r->element[1]->type != REDIS_REPLY_ARRAY) {
        rc = swl__fail(c, SWL_ERR_PROTOCOL, "a query reply is not [offset map, [event, ...]]");
    } else {
        char why[160];
        rc = swl_offsets_parse(r->element[0]->str, r->element[0]->len, &b->next, why, sizeof(why));
        if (rc == SWL_ERR_PARSE)
            rc = swl__fail(c, SWL_ERR_PROTOCOL, "the server's continuation map: %s", why);
        if (rc == SWL_OK)
            rc = batch_events(c, b, p, r->element[1]);
    }
    if (rc == SWL_ERR_NOMEM)
        swl__fail(c, rc, "out of memory");
    if (rc != SWL_OK) {
        swl_batch_free(b);
        return rc;
    }
    *out = b;
    return SWL_OK;
}

int swl_query(swl_client *c, const struct swl_query *q, swl_batch **out)
{
    static const char *const orders[] = { "LAMPORT", "LAMPORTDESC", "STREAM" };
    *out = NULL;
    if (c == NULL || q == NULL || (unsigned)q->order > SWL_ORDER_STREAM || (q->ntypes && q->types == NULL))
        return c ? swl__fail(c, SWL_ERR_ARG, "invalid query") : SWL_ERR_ARG;
    struct swl_cmd cmd = { 0 };
    swl__cmd_add_str(&cmd, "EV.QUERY");
    swl__cmd_add_filter(&cmd, q->where, q->types, q->ntypes);
    swl__cmd_add_str(&cmd, "FROM");
    swl__cmd_add_offsets(&cmd, q->from);
    if (q->to) {
        swl__cmd_add_str(&cmd, "TO");
        swl__cmd_add_offsets(&cmd, q->to);
    }
    swl__cmd_add_str(&cmd, "ORDER");
    swl__cmd_add_str(&cmd, orders[q->order]);
    if (q->count) {
        swl__cmd_add_str(&cmd, "COUNT");
        swl__cmd_add_i64(&cmd, (long long)q->count);
    }
    redisReply *r;
    int rc = swl__command(c, &cmd, &r);
    swl__cmd_free(&cmd);
    if (rc != SWL_OK)
        return rc;
    if (r->type == REDIS_REPLY_NIL) {
        freeReplyObject(r);
        return swl__fail(c, SWL_ERR_PROTOCOL, "EV.QUERY answered null");
    }
    return make_batch(c, r, q->from, out);
}

/* How long to wait for EV.READ's reply: the block time plus the usual
 * reply timeout; 0 (no limit) when either is unlimited. */
static long long read_wait_ms(const swl_client *c, long long block_ms)
{
    if (block_ms < 0)
        return c->timeout_ms;
    if (block_ms == 0 || c->timeout_ms == 0)
        return 0;
    return block_ms + c->timeout_ms;
}

int swl_read(swl_client *c, const struct swl_read *q, swl_batch **out)
{
    *out = NULL;
    if (c == NULL || q == NULL || (q->ntypes && q->types == NULL))
        return c ? swl__fail(c, SWL_ERR_ARG, "invalid read") : SWL_ERR_ARG;
    struct swl_cmd cmd = { 0 };
    swl__cmd_add_str(&cmd, "EV.READ");
    swl__cmd_add_filter(&cmd, q->where, q->types, q->ntypes);
    if (q->count) {
        swl__cmd_add_str(&cmd, "COUNT");
        swl__cmd_add_i64(&cmd, (long long)q->count);
    }
    if (q->block_ms >= 0) {
        swl__cmd_add_str(&cmd, "BLOCK");
        swl__cmd_add_i64(&cmd, q->block_ms);
    }
    swl__cmd_add_str(&cmd, "FROM");
    swl__cmd_add_offsets(&cmd, q->from);
    long long wait = read_wait_ms(c, q->block_ms);
    int rc = wait != c->timeout_ms ? swl__socket_timeout(c, wait) : SWL_OK;
    redisReply *r = NULL;
    if (rc == SWL_OK)
        rc = swl__command(c, &cmd, &r);
    swl__cmd_free(&cmd);
    if (c->rc && wait != c->timeout_ms) {
        int trc = swl__socket_timeout(c, c->timeout_ms);
        if (rc == SWL_OK && trc != SWL_OK) {
            freeReplyObject(r);
            return trc;
        }
    }
    return rc == SWL_OK ? make_batch(c, r, q->from, out) : rc;
}
