/* subscribe.c — EV.SUBSCRIBE as a loop with a callback. The connection
 * speaks RESP2 (hiredis 0.14 knows no RESP3), so messages are two-element
 * arrays: ["ev.subscribed", map], ["ev.event", event], ["ev.caughtup",
 * map], and ["ev.unsubscribed", map] after EV.UNSUBSCRIBE. The cursor is
 * advanced before each callback, so it always covers exactly what the
 * callback was given. */
#include <stdlib.h>
#include <string.h>

#include "swl_internal.h"

enum msg_kind { MSG_OTHER, MSG_SUBSCRIBED, MSG_EVENT, MSG_CAUGHTUP, MSG_UNSUBSCRIBED };

static enum msg_kind msg_kind(const redisReply *r)
{
    static const struct {
        const char *name;
        enum msg_kind kind;
    } kinds[] = { { "ev.subscribed", MSG_SUBSCRIBED },
                  { "ev.event", MSG_EVENT },
                  { "ev.caughtup", MSG_CAUGHTUP },
                  { "ev.unsubscribed", MSG_UNSUBSCRIBED } };
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING)
        return MSG_OTHER;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(r->element[0]->str, kinds[i].name) == 0)
            return kinds[i].kind;
    return MSG_OTHER;
}

/* Merges the map in message r into cursor. */
static int merge_map(swl_client *c, const redisReply *r, swl_offsets *cursor)
{
    const redisReply *v = r->element[1];
    if (v->type != REDIS_REPLY_STRING)
        return swl__fail(c, SWL_ERR_PROTOCOL, "a subscription message lacks its offset map");
    swl_offsets *m;
    char why[160];
    int rc = swl_offsets_parse(v->str, v->len, &m, why, sizeof(why));
    if (rc == SWL_ERR_PARSE)
        return swl__fail(c, SWL_ERR_PROTOCOL, "the server's offset map: %s", why);
    if (rc == SWL_OK)
        rc = swl_offsets_merge(cursor, m);
    swl_offsets_free(m);
    return rc == SWL_OK ? SWL_OK : swl__fail(c, rc, "out of memory");
}

/* Parses the event of an ev.event message, merges it into the cursor and
 * calls the callback. SWL_OK and *stop, or an error. */
static int deliver(swl_client *c, const struct swl_subscribe *s, const redisReply *r, int *stop)
{
    size_t ntags, nfields;
    const char *why;
    if (swl__event_count(r->element[1], &ntags, &nfields, &why) != SWL_OK)
        return swl__fail(c, SWL_ERR_PROTOCOL, "%s", why);
    swl_bytes *tags = calloc(ntags ? ntags : 1, sizeof(*tags));
    swl_field *fields = calloc(nfields ? nfields : 1, sizeof(*fields));
    int rc = SWL_ERR_NOMEM;
    if (tags && fields) {
        swl_event ev;
        swl__event_fill(r->element[1], &ev, tags, fields);
        rc = swl_offsets_merge_event(s->cursor, &ev);
        if (rc == SWL_OK)
            *stop = s->fn(s->arg, &ev, s->cursor) != 0;
    }
    free(tags);
    free(fields);
    return rc == SWL_OK ? SWL_OK : swl__fail(c, rc, "out of memory");
}

/* Ends the subscription: EV.UNSUBSCRIBE, then drop what arrives until its
 * answer. The connection is closed if that fails. */
static int unsubscribe(swl_client *c)
{
    struct swl_cmd cmd = { 0 };
    swl__cmd_add_str(&cmd, "EV.UNSUBSCRIBE");
    int rc = swl__socket_timeout(c, c->timeout_ms); /* the answer is due now */
    if (rc == SWL_OK)
        rc = swl__send(c, &cmd);
    swl__cmd_free(&cmd);
    while (rc == SWL_OK) {
        redisReply *r;
        rc = swl__receive(c, &r);
        if (rc != SWL_OK)
            break;
        enum msg_kind k = msg_kind(r);
        freeReplyObject(r);
        if (k == MSG_UNSUBSCRIBED)
            return SWL_OK;
        if (k != MSG_EVENT && k != MSG_CAUGHTUP) /* those may still be on their way: dropped */
            rc = swl__fail(c, SWL_ERR_PROTOCOL, "unexpected message while unsubscribing");
    }
    swl__disconnect(c);
    return rc;
}

/* Reads messages until the callback stops or something fails. */
static int sub_loop(swl_client *c, const struct swl_subscribe *s)
{
    int stop = 0, subscribed = 0;
    while (!stop) {
        redisReply *r;
        int rc = swl__receive(c, &r);
        if (rc != SWL_OK) {
            if (subscribed) /* an error reply mid-subscription: out of step, close */
                swl__disconnect(c);
            return rc;
        }
        enum msg_kind k = msg_kind(r);
        if (k == MSG_SUBSCRIBED && !subscribed) {
            subscribed = 1;
        } else if (k == MSG_EVENT && subscribed) {
            rc = deliver(c, s, r, &stop);
        } else if (k == MSG_CAUGHTUP && subscribed) {
            rc = merge_map(c, r, s->cursor);
            if (rc == SWL_OK)
                stop = s->fn(s->arg, NULL, s->cursor) != 0;
        } else {
            rc = swl__fail(c, SWL_ERR_PROTOCOL, "unexpected message in a subscription");
        }
        freeReplyObject(r);
        if (rc != SWL_OK) {
            swl__disconnect(c);
            return rc;
        }
    }
    return unsubscribe(c);
}

int swl_subscribe(swl_client *c, const struct swl_subscribe *s)
{
    if (c == NULL || s == NULL || s->cursor == NULL || s->fn == NULL || (s->ntypes && s->types == NULL))
        return c ? swl__fail(c, SWL_ERR_ARG, "a subscription needs a cursor and a callback") : SWL_ERR_ARG;
    struct swl_cmd cmd = { 0 };
    swl__cmd_add_str(&cmd, "EV.SUBSCRIBE");
    swl__cmd_add_filter(&cmd, s->where, s->types, s->ntypes);
    swl__cmd_add_str(&cmd, "FROM");
    swl__cmd_add_offsets(&cmd, s->cursor);
    int rc = swl__socket_timeout(c, 0); /* events may take any time to come */
    if (rc == SWL_OK)
        rc = swl__send(c, &cmd);
    swl__cmd_free(&cmd);
    if (rc == SWL_OK)
        rc = sub_loop(c, s);
    if (c->rc && swl__socket_timeout(c, c->timeout_ms) != SWL_OK && rc == SWL_OK)
        rc = SWL_ERR_IO;
    return rc;
}
