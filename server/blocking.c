/* blocking.c — XREAD's read and its BLOCK: a blocked client holds its
 * input until a committed write gives one of its keys entries after its
 * ID, its timeout fires, or it disconnects. Woken clients are served in
 * before_sleep() right after the turn's commit, so they see every write
 * that was acknowledged in the same turn. */
#include "server.h"
#include "log.h"
#include "reply.h"
#include "store.h"
#include "stream_args.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

struct blocked_read {
    int nkeys;
    struct resp_arg *keys;    /* point into `bytes` */
    struct store_id *ids;
    char *bytes;
    long long count;
    struct event *timer;      /* NULL when blocking forever */
    /* XREADGROUP: group and consumer (copies), NOACK */
    int group_mode, noack;
    char *group, *consumer;
    size_t group_len, consumer_len;
    /* a custom read (EV.READ): served by serve(), any committed write may
     * make it ready */
    int (*serve)(struct client *c, void *state);
    void (*free_state)(void *state);
    void *state;
};

static const struct store_id ID_MAX = { UINT64_MAX, UINT64_MAX };

int xread_serve(struct client *c, int nkeys, const struct resp_arg *keys, const struct store_id *ids,
                long long count)
{
    struct store *st = c->srv->store;
    long long limit = count > 0 ? count : -1;
    size_t ready = 0, outer = reply_defer(c);
    /* One pass: each key's entries are written under a deferred length and
     * taken back again when there were none. */
    for (int i = 0; i < nkeys; i++) {
        struct store_id from = ids[i];
        if (store_id_incr(&from) != 0)
            continue; /* nothing comes after max-max */
        size_t key_mark = c->out.len;
        if (c->resp != 3)
            reply_array(c, 2);
        reply_bulk(c, keys[i].ptr, keys[i].len);
        size_t mark = reply_defer(c);
        long long n = store_range(st, arg_bytes(&keys[i]), from, ID_MAX, 0, limit, reply_stream_entry, c);
        if (n < 0) {
            c->out.len = outer;
            reply_store_error(c, (int)n);
            return -1;
        }
        if (n == 0) {
            c->out.len = key_mark;
            continue;
        }
        reply_set_deferred_array(c, mark, (size_t)n);
        ready++;
    }
    if (ready == 0)
        return 0;
    reply_set_deferred_keyed(c, outer, ready);
    return 1;
}

static void unlink_blocked(struct client *c)
{
    struct srv *s = c->srv;
    if (c->prev_blocked) c->prev_blocked->next_blocked = c->next_blocked;
    else s->blocked_head = c->next_blocked;
    if (c->next_blocked) c->next_blocked->prev_blocked = c->prev_blocked;
    else s->blocked_tail = c->prev_blocked;
    c->prev_blocked = c->next_blocked = NULL;
    s->blocked_clients--;
}

void client_unblock_free(struct client *c)
{
    struct blocked_read *b = c->blocked;
    if (b == NULL)
        return;
    unlink_blocked(c);
    if (b->timer)
        event_free(b->timer);
    free(b->bytes);
    free(b->keys);
    free(b->ids);
    free(b->group);
    free(b->consumer);
    if (b->free_state)
        b->free_state(b->state);
    free(b);
    c->blocked = NULL;
    c->flags &= ~CLIENT_BLOCKED;
}

/* Ends the block (the reply is written) and runs what the client sent
 * meanwhile. */
static void unblock_and_resume(struct client *c)
{
    client_unblock_free(c);
    client_resume(c);
}

static void on_block_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct client *c = arg;
    reply_null_array(c);
    unblock_and_resume(c);
}

static struct blocked_read *blocked_copy(int nkeys, const struct resp_arg *keys, const struct store_id *ids)
{
    size_t total = 0;
    for (int i = 0; i < nkeys; i++)
        total += keys[i].len;
    struct blocked_read *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->keys = calloc((size_t)nkeys, sizeof(*b->keys));
    b->ids = calloc((size_t)nkeys, sizeof(*b->ids));
    b->bytes = malloc(total ? total : 1);
    if (!b->keys || !b->ids || !b->bytes) {
        free(b->keys), free(b->ids), free(b->bytes), free(b);
        return NULL;
    }
    char *p = b->bytes;
    for (int i = 0; i < nkeys; i++) {
        memcpy(p, keys[i].ptr, keys[i].len);
        b->keys[i] = (struct resp_arg){ p, keys[i].len };
        p += keys[i].len;
        if (ids != NULL)
            b->ids[i] = ids[i];
    }
    b->nkeys = nkeys;
    return b;
}

static int block_start(struct client *c, struct blocked_read *b, long long timeout_ms);

int client_block_xread(struct client *c, int nkeys, const struct resp_arg *keys,
                       const struct store_id *ids, long long count, long long timeout_ms)
{
    struct blocked_read *b = blocked_copy(nkeys, keys, ids);
    if (b == NULL) {
        reply_error(c, "out of memory");
        return -1;
    }
    b->count = count;
    return block_start(c, b, timeout_ms);
}

static char *bytes_dup(struct store_bytes v)
{
    char *p = malloc(v.len ? v.len : 1);
    if (p != NULL)
        memcpy(p, v.ptr, v.len);
    return p;
}

int client_block_xreadgroup(struct client *c, const struct xreadgroup_req *r, long long timeout_ms)
{
    struct blocked_read *b = blocked_copy(r->nkeys, r->keys, NULL);
    if (b != NULL) {
        b->group_mode = 1;
        b->noack = r->noack;
        b->count = r->count;
        b->group = bytes_dup(r->group);
        b->consumer = bytes_dup(r->consumer);
        b->group_len = r->group.len;
        b->consumer_len = r->consumer.len;
    }
    if (b == NULL || b->group == NULL || b->consumer == NULL) {
        if (b != NULL)
            free(b->group), free(b->consumer), free(b->bytes), free(b->keys), free(b->ids), free(b);
        reply_error(c, "out of memory");
        return -1;
    }
    return block_start(c, b, timeout_ms);
}

int client_block_custom(struct client *c, int (*serve)(struct client *, void *), void (*free_state)(void *),
                        void *state, long long timeout_ms)
{
    struct blocked_read *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        free_state(state);
        reply_error(c, "out of memory");
        return -1;
    }
    b->serve = serve;
    b->free_state = free_state;
    b->state = state;
    return block_start(c, b, timeout_ms);
}

static int block_start(struct client *c, struct blocked_read *b, long long timeout_ms)
{
    if (timeout_ms > 0) {
        struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
        b->timer = evtimer_new(c->srv->base, on_block_timeout, c);
        if (b->timer == NULL || evtimer_add(b->timer, &tv) != 0) {
            if (b->timer)
                event_free(b->timer);
            if (b->free_state)
                b->free_state(b->state);
            free(b->group), free(b->consumer), free(b->bytes), free(b->keys), free(b->ids), free(b);
            reply_error(c, "out of memory");
            return -1;
        }
    }
    struct srv *s = c->srv;
    c->blocked = b;
    c->flags |= CLIENT_BLOCKED;
    /* at the tail: the wake-up pass serves clients in the order they
     * blocked, first come first served, as Redis does */
    c->prev_blocked = s->blocked_tail;
    c->next_blocked = NULL;
    if (s->blocked_tail)
        s->blocked_tail->next_blocked = c;
    else
        s->blocked_head = c;
    s->blocked_tail = c;
    s->blocked_clients++;
    return 0;
}

/* A blocked XREADGROUP: 1 when a key has entries after the group's last
 * delivered ID, -1 when the group is gone, -2 when the key is, 0 to keep
 * waiting. A
 * read; the delivery itself is a write (group_serve). */
static int group_ready(struct client *c, const struct blocked_read *b)
{
    struct store *st = c->srv->store;
    struct store_bytes group = { b->group, b->group_len };
    for (int i = 0; i < b->nkeys; i++) {
        struct store_group_info g;
        int rc = store_group_get(st, arg_bytes(&b->keys[i]), group, &g);
        if (rc != 0)
            return rc == STORE_ERR_NOKEY ? -2 : -1;
        struct store_id newest;
        if (store_key_newest(st, arg_bytes(&b->keys[i]), &newest) == 1 && store_id_cmp(newest, g.last_id) > 0)
            return 1;
    }
    return 0;
}

/* Delivers to a blocked XREADGROUP client as a write command of the turn:
 * its reply waits for the commit (and becomes its error if that fails). */
static void group_serve(struct client *c, const struct blocked_read *b)
{
    struct store *st = c->srv->store;
    struct xreadgroup_id *ids = calloc((size_t)b->nkeys, sizeof(*ids));
    srv_turn_note_writer(c);
    size_t mark = c->out.len;
    int rc = ids == NULL ? STORE_ERR_NOMEM : store_cmd_begin(st);
    if (rc == 0) {
        struct xreadgroup_req r = { .nkeys = b->nkeys, .keys = b->keys, .ids = ids,
                                    .group = { b->group, b->group_len },
                                    .consumer = { b->consumer, b->consumer_len }, .count = b->count,
                                    .noack = b->noack };
        if (xreadgroup_serve(c, &r) == 0)
            reply_null_array(c); /* cannot happen: group_ready saw an entry */
        rc = store_cmd_end(st);
    }
    if (rc != 0) {
        c->out.len = mark;
        reply_store_error(c, rc);
    }
    c->turn_replies++;
    free(ids);
}

/* 1 if a write since the last pass named one of b's keys. */
static int touched(const struct srv *s, const struct blocked_read *b)
{
    if (s->touched_all || (b->serve != NULL && s->ntouched > 0))
        return 1;
    for (size_t t = 0; t < s->ntouched; t++) {
        const char *name = s->touched_bytes + s->touched[t].off;
        for (int i = 0; i < b->nkeys; i++)
            if (b->keys[i].len == s->touched[t].len && memcmp(b->keys[i].ptr, name, b->keys[i].len) == 0)
                return 1;
    }
    return 0;
}

void srv_wake_blocked(struct srv *s)
{
    struct client *c = s->blocked_head, *next;
    for (; c != NULL; c = next) {
        next = c->next_blocked;
        struct blocked_read *b = c->blocked;
        if ((c->flags & CLIENT_CLOSE_ASAP) || !touched(s, b))
            continue;
        if (b->serve != NULL) {
            if (b->serve(c, b->state) != 0)
                unblock_and_resume(c);
            continue;
        }
        if (!b->group_mode) {
            if (xread_serve(c, b->nkeys, b->keys, b->ids, b->count) != 0)
                unblock_and_resume(c);
            continue;
        }
        int ready = group_ready(c, b);
        if (ready == -2)
            reply_error(c, "-UNBLOCKED the stream key no longer exists");
        else if (ready < 0)
            reply_error(c, "-NOGROUP the consumer group this client was blocked on no longer exists");
        else if (ready > 0)
            group_serve(c, b);
        if (ready != 0)
            unblock_and_resume(c);
    }
    if (s->ntouched > 0 || s->touched_all)
        srv_feed_subscribers(s);
    srv_touched_reset(s);
}
