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

void srv_call_write(struct client *c, const struct srv_cmd_entry *e, int argc, const struct resp_arg *argv)
{
    struct store *st = c->srv->store;
    srv_turn_note_writer(c);
    size_t mark = c->out.len;
    int rc = store_cmd_begin(st);
    if (rc == 0) {
        e->cmd->proc(c, argc, argv);
        rc = store_cmd_end(st);
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
