/* publish.c — EV.ADD: check the request, send it with every option spelled
 * out, and read back where the event was stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "swl_internal.h"

/* Whether b equals word, ignoring ASCII case. */
static int bytes_is(swl_bytes b, const char *word)
{
    return b.len == strlen(word) && strncasecmp(b.ptr, word, b.len) == 0;
}

/* The checks that need no server; SWL_OK or SWL_ERR_ARG with c->err set.
 * TAGS and EXPECT are always sent, so a first field named like them is
 * read as a field; TYPE and EVENTID are sent only when given, so a first
 * field named like an absent one would be taken for the option. */
static int check_publish(swl_client *c, const struct swl_publish *p)
{
    if (p->key.ptr == NULL || p->key.len == 0)
        return swl__fail(c, SWL_ERR_ARG, "EV.ADD needs a non-empty key");
    if (p->nfields == 0 || p->fields == NULL)
        return swl__fail(c, SWL_ERR_ARG, "EV.ADD needs at least one field");
    if (p->ntags && p->tags == NULL)
        return swl__fail(c, SWL_ERR_ARG, "ntags is set but tags is NULL");
    for (size_t i = 0; i < p->ntags; i++)
        if (p->tags[i].ptr == NULL || p->tags[i].len == 0)
            return swl__fail(c, SWL_ERR_ARG, "a tag cannot be empty");
    if (p->event_id.ptr && p->event_id.len == 0)
        return swl__fail(c, SWL_ERR_ARG, "an event id cannot be empty");
    if ((unsigned)p->expect > SWL_EXPECT_REVISION ||
        (p->expect == SWL_EXPECT_REVISION && p->revision < -1))
        return swl__fail(c, SWL_ERR_ARG, "EXPECT takes ANY, NOKEY, EXISTS or a revision >= -1");
    swl_bytes first = p->fields[0].name;
    if (first.ptr && ((p->type.ptr == NULL && bytes_is(first, "type")) ||
                      (p->event_id.ptr == NULL && bytes_is(first, "eventid"))))
        return swl__fail(c, SWL_ERR_ARG,
                         "the first field is named like an EV.ADD option (%.*s): put another field first",
                         (int)first.len, first.ptr);
    return SWL_OK;
}

static void build_publish(struct swl_cmd *cmd, const struct swl_publish *p)
{
    static const char *const expects[] = { "ANY", "NOKEY", "EXISTS" };
    swl__cmd_add_str(cmd, "EV.ADD");
    swl__cmd_add_bytes(cmd, p->key);
    swl__cmd_add_str(cmd, "TAGS");
    swl__cmd_add_i64(cmd, (long long)p->ntags);
    for (size_t i = 0; i < p->ntags; i++)
        swl__cmd_add_bytes(cmd, p->tags[i]);
    if (p->type.ptr) {
        swl__cmd_add_str(cmd, "TYPE");
        swl__cmd_add_bytes(cmd, p->type);
    }
    if (p->event_id.ptr) {
        swl__cmd_add_str(cmd, "EVENTID");
        swl__cmd_add_bytes(cmd, p->event_id);
    }
    swl__cmd_add_str(cmd, "EXPECT");
    if (p->expect == SWL_EXPECT_REVISION)
        swl__cmd_add_i64(cmd, p->revision);
    else
        swl__cmd_add_str(cmd, expects[p->expect]);
    for (size_t i = 0; i < p->nfields; i++) {
        swl__cmd_add_bytes(cmd, p->fields[i].name);
        swl__cmd_add_bytes(cmd, p->fields[i].value);
    }
}

/* Copies a string value into dst[cap]; -1 when absent or too long. */
static int copy_str(const redisReply *v, char *dst, size_t cap)
{
    if (v == NULL || v->type != REDIS_REPLY_STRING || v->len == 0 || v->len >= cap || strlen(v->str) != v->len)
        return -1;
    memcpy(dst, v->str, v->len + 1);
    return 0;
}

/* Reads EV.ADD's reply: stream, offset, lamport, timestamp, id. */
static int parse_position(swl_client *c, const redisReply *r, swl_position *pos)
{
    int have = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return swl__fail(c, SWL_ERR_PROTOCOL, "EV.ADD's reply is not a name/value array");
    for (size_t i = 0; i < r->elements; i += 2) {
        const redisReply *n = r->element[i], *v = r->element[i + 1];
        if (n->type != REDIS_REPLY_STRING)
            break;
        int is_int = v->type == REDIS_REPLY_INTEGER && v->integer >= 0;
        if (strcmp(n->str, "stream") == 0 && copy_str(v, pos->stream, sizeof(pos->stream)) == 0)
            have |= 1;
        else if (strcmp(n->str, "offset") == 0 && is_int)
            pos->offset = (uint64_t)v->integer, have |= 2;
        else if (strcmp(n->str, "lamport") == 0 && is_int)
            pos->lamport = (uint64_t)v->integer, have |= 4;
        else if (strcmp(n->str, "timestamp") == 0 && v->type == REDIS_REPLY_INTEGER)
            pos->timestamp_us = v->integer, have |= 8;
        else if (strcmp(n->str, "id") == 0 && copy_str(v, pos->entry_id, sizeof(pos->entry_id)) == 0)
            have |= 16;
    }
    if (have != 31)
        return swl__fail(c, SWL_ERR_PROTOCOL, "EV.ADD's reply lacks stream, offset, lamport, timestamp or id");
    return SWL_OK;
}

int swl_publish(swl_client *c, const struct swl_publish *p, swl_position *pos)
{
    if (c == NULL || p == NULL)
        return c ? swl__fail(c, SWL_ERR_ARG, "no request") : SWL_ERR_ARG;
    int rc = check_publish(c, p);
    if (rc != SWL_OK)
        return rc;
    struct swl_cmd cmd = { 0 };
    build_publish(&cmd, p);
    redisReply *r;
    rc = swl__command(c, &cmd, &r);
    swl__cmd_free(&cmd);
    if (rc != SWL_OK)
        return rc;
    swl_position tmp;
    rc = parse_position(c, r, pos ? pos : &tmp);
    freeReplyObject(r);
    return rc;
}
