/* commit.c — group commit. The commands of one loop turn share one store
 * transaction, committed in before_sleep() before any reply is flushed, so
 * a client never sees an acknowledgement of a write that is not (per
 * `durability`) on disk. If the commit fails, every reply that depended on
 * the turn is replaced by the error. */
#include "server.h"
#include "commands.h"
#include "log.h"
#include "reply.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>


void srv_turn_note_writer(struct client *c)
{
    if (c->flags & CLIENT_TURN_WRITER)
        return;
    c->flags |= CLIENT_TURN_WRITER;
    c->turn_mark = c->out.len;
    c->turn_replies = 0;
    c->next_writer = c->srv->turn_writers;
    c->srv->turn_writers = c;
}

#define TOUCHED_MAX 64

void srv_touch_key(struct srv *s, const struct resp_arg *key)
{
    if (s->touched_all)
        return;
    if (s->ntouched == TOUCHED_MAX) {
        s->touched_all = 1; /* a big batch: look at every blocked client */
        return;
    }
    if (s->touched == NULL && (s->touched = malloc(TOUCHED_MAX * sizeof(*s->touched))) == NULL) {
        s->touched_all = 1;
        return;
    }
    if (s->touched_bytes_cap - s->touched_len < key->len) {
        size_t cap = s->touched_bytes_cap ? s->touched_bytes_cap : 1024;
        while (cap - s->touched_len < key->len)
            cap *= 2;
        char *grown = realloc(s->touched_bytes, cap);
        if (grown == NULL) {
            s->touched_all = 1;
            return;
        }
        s->touched_bytes = grown;
        s->touched_bytes_cap = cap;
    }
    memcpy(s->touched_bytes + s->touched_len, key->ptr, key->len);
    s->touched[s->ntouched++] = (struct srv_touched){ s->touched_len, key->len };
    s->touched_len += key->len;
}

void srv_touched_reset(struct srv *s)
{
    s->ntouched = 0;
    s->touched_len = 0;
    s->touched_all = 0;
}

/* The keys a write command names, from its key specs (index-based ones;
 * a write without key specs, e.g. FLUSHALL, touches everything). */
static void touch_command_keys(struct client *c, const struct srv_command *cmd, int argc, const struct resp_arg *argv)
{
    struct srv *s = c->srv;
    if (cmd->nkey_specs == 0) {
        s->touched_all = 1;
        return;
    }
    for (int k = 0; k < cmd->nkey_specs; k++) {
        const struct srv_key_spec *ks = &cmd->key_specs[k];
        if (ks->begin == KS_BEGIN_KEYWORD)
            continue; /* XREADGROUP: moves group state only, adds no entries */
        if (ks->find != KS_FIND_RANGE) {
            s->touched_all = 1;
            return;
        }
        int last = ks->lastkey >= 0 ? ks->index + ks->lastkey : argc + ks->lastkey;
        for (int i = ks->index; i <= last && i < argc; i += ks->keystep > 0 ? ks->keystep : 1)
            srv_touch_key(s, &argv[i]);
    }
}

void srv_call_write(struct client *c, const struct srv_cmd_entry *e, int argc, const struct resp_arg *argv)
{
    struct store *st = c->srv->store;
    srv_turn_note_writer(c);
    size_t mark = c->out.len;
    int rc = store_cmd_begin(st);
    if (rc == 0) {
        e->cmd->proc(c, argc, argv);
        rc = store_cmd_end(st);
        touch_command_keys(c, e->cmd, argc, argv);
    }
    if (rc != 0) {
        /* The turn failed: this command's reply becomes the error now; the
         * others of the turn get it at the commit (srv_commit_turn). */
        c->out.len = mark;
        reply_store_error(c, rc);
    }
}

void srv_commit_turn(struct srv *s)
{
    int wrote = store_turn_dirty(s->store);
    int64_t start = srv_now_us();
    int rc = store_turn_commit(s->store);
    if (wrote) {
        struct srv_stats *st = &s->stats;
        st->store_commit_usec_last = (uint64_t)(srv_now_us() - start);
        st->store_last_commit_ok = rc == 0;
        if (rc == 0) {
            st->store_commits++;
            st->store_last_commit_unix = (int64_t)time(NULL);
        } else {
            st->store_commit_failures++;
        }
    }
    if (rc != 0)
        srv_log(SRV_LL_WARNING, "Store commit failed, the turn's writes are refused: %s", store_strerror(rc));
    struct client *c;
    while ((c = s->turn_writers) != NULL) {
        s->turn_writers = c->next_writer;
        c->flags &= ~CLIENT_TURN_WRITER;
        if (rc == 0)
            continue;
        /* Replace every reply since this turn's first write by the error:
         * the batch is refused as a whole. */
        int n = c->turn_replies;
        c->out.len = c->turn_mark;
        for (int i = 0; i < n; i++)
            reply_store_error(c, rc);
    }
}
