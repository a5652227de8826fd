/* evlog.c — the event-log side of the store: EV.ADD (idempotent and
 * optimistic appends), the node's identity and what is stored per source
 * stream. Events are written by log.c; this file adds the checks around
 * them and the reads the EV.* commands need. */
#include "store.h"
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The position of a stored event. */
static int event_pos(struct store *s, MDB_txn *txn, uint32_t stream, uint64_t offset, struct store_ev_pos *pos)
{
    MDB_val rec;
    int rc = store_event_get(s, txn, stream, offset, &rec);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? STORE_ERR_CORRUPT : rc;
    struct store_rec_head h;
    if (store_record_head(&rec, &h) != 0)
        return STORE_ERR_CORRUPT;
    pos->offset = offset;
    pos->lamport = h.lamport;
    pos->timestamp_us = h.timestamp_us;
    pos->id = h.id;
    return store_stream_name(s, txn, stream, pos->stream);
}

/* The stored event with this event id: 1 and its position, 0, or a code.
 * (A long id is found by its keyed hash; the record is checked.) */
static int find_eventid(struct store *s, MDB_txn *txn, struct store_bytes eventid, struct store_ev_pos *pos)
{
    unsigned char buf[STORE_KEY_LMDB_MAX];
    MDB_val k = store_name_key(s, eventid, buf), v;
    int rc = mdb_get(txn, s->eventids, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (v.mv_size != 12)
        return STORE_ERR_CORRUPT;
    uint32_t stream = be32_get(v.mv_data);
    uint64_t offset = be64_get((const unsigned char *)v.mv_data + 4);
    rc = event_pos(s, txn, stream, offset, pos);
    return rc == 0 ? 1 : rc;
}

int store_ev_add(struct store *s, const struct store_ev_add_req *req, struct store_ev_pos *pos, long long *revision)
{
    MDB_txn *txn = store_txn(s);
    if (txn == NULL)
        return EINVAL;
    memset(pos, 0, sizeof(*pos));
    int rc;
    if (req->x.eventid.ptr != NULL && (rc = find_eventid(s, txn, req->x.eventid, pos)) != 0) {
        if (rc < 0 && rc != STORE_ERR_CORRUPT)
            return store_rc(s, rc);
        pos->existed = rc == 1;
        return rc == 1 ? 0 : store_rc(s, rc);
    }
    if (req->expect != STORE_EXPECT_ANY) { /* ANY needs no look at the key */
        struct store_key_info ki;
        rc = store_key_info_txn(s, txn, req->x.key, &ki);
        if (rc != 0 && rc != STORE_ERR_NOKEY)
            return store_rc(s, rc);
        int exists = rc == 0;
        *revision = exists ? (long long)ki.entries_added - 1 : -1;
        int ok = (req->expect == STORE_EXPECT_NOKEY && !exists) || (req->expect == STORE_EXPECT_EXISTS && exists) ||
                 (req->expect == STORE_EXPECT_REVISION && *revision == req->revision);
        if (!ok)
            return STORE_ERR_WRONGVERSION;
    }
    rc = store_xadd(s, &req->x, &pos->id);
    if (rc != 0)
        return rc;
    uint64_t next, lamport;
    store_log_head(s, &next, &lamport);
    pos->offset = next - 1;
    pos->lamport = lamport;
    pos->timestamp_us = req->x.now_us;
    snprintf(pos->stream, sizeof(pos->stream), "%s", s->own_name);
    return 0;
}

int store_log_offsets(struct store *s, store_offset_fn fn, void *ctx)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    MDB_cursor *streams = NULL, *events = NULL;
    if ((rc = mdb_cursor_open(txn, s->stream_nums, &streams)) != 0 ||
        (rc = mdb_cursor_open(txn, s->events, &events)) != 0)
        goto out;
    MDB_val k, v;
    for (rc = mdb_cursor_get(streams, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(streams, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 4 || v.mv_size >= STORE_STREAM_ID_MAX) {
            rc = STORE_ERR_CORRUPT;
            break;
        }
        uint64_t last, lamport;
        int r = store_stream_last(s, events, be32_get(k.mv_data), &last, &lamport);
        if (r < 0 || r > 1) {
            rc = r;
            break;
        }
        if (r == 1) {
            char name[STORE_STREAM_ID_MAX];
            memcpy(name, v.mv_data, v.mv_size);
            name[v.mv_size] = '\0';
            if (fn(ctx, name, last) != 0)
                break;
        }
    }
out:
    if (streams != NULL)
        mdb_cursor_close(streams);
    if (events != NULL)
        mdb_cursor_close(events);
    store_read_end(s, txn, own);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_log_count(struct store *s, uint64_t *events)
{
    return store_db_count(s, s->events, events);
}

/* The number and next offset of another node's stream, from the turn's
 * slots or LMDB: 0, MDB_NOTFOUND (a stream not seen yet), or a code. */
static int import_stream(struct store *s, MDB_txn *txn, const char *name, struct store_stream_slot **slot)
{
    for (unsigned i = 0; i < s->nslots; i++)
        if (strcmp(s->slots[i].name, name) == 0) {
            *slot = &s->slots[i];
            return 0;
        }
    uint32_t num = 0;
    uint64_t next = 0;
    int rc = store_stream_num(s, txn, name, 0, &num);
    if (rc == 0)
        rc = store_stream_next(s, txn, num, &next);
    if (rc != 0)
        return rc;
    struct store_stream_slot *sl = &s->slots[s->nslots < STORE_STREAM_SLOTS ? s->nslots++ : 0];
    snprintf(sl->name, sizeof(sl->name), "%s", name);
    sl->num = num;
    sl->next = next;
    *slot = sl;
    return 0;
}

int store_ev_import(struct store *s, const struct store_import *ev)
{
    MDB_txn *txn = store_txn(s);
    if (txn == NULL)
        return EINVAL;
    int is_own = strcmp(ev->stream, s->own_name) == 0;
    if (is_own && ev->offset >= s->next_offset && !store_recovering(s))
        return STORE_ERR_OWN_STREAM; /* this node's own events come from here only */
    struct store_stream_slot *slot = NULL, own_slot = { .num = s->own_stream, .next = s->next_offset };
    int rc = is_own ? 0 : import_stream(s, txn, ev->stream, &slot);
    if (is_own)
        slot = &own_slot; /* local writes move the own stream's head: never cached */
    else if (rc == MDB_NOTFOUND)
        rc = 0; /* a stream not seen yet: its first event is offset 0 */
    if (rc != 0)
        return store_rc(s, rc);
    uint64_t next = slot != NULL ? slot->next : 0;
    struct store_event_in in = { .key = ev->key, .fields = ev->fields, .nfields = ev->nfields,
                                 .timestamp_us = ev->timestamp_us, .tags = ev->tags, .ntags = ev->ntags,
                                 .type = ev->type, .eventid = ev->eventid };
    if (ev->offset < next) {
        MDB_val rec;
        if ((rc = store_event_get(s, txn, slot->num, ev->offset, &rec)) != 0)
            return store_rc(s, rc == MDB_NOTFOUND ? STORE_ERR_CORRUPT : rc);
        int same = store_log_same(&rec, &in, ev->lamport);
        return same < 0 ? STORE_ERR_NOMEM : same ? 1 : STORE_ERR_CONFLICT;
    }
    if (ev->offset > next)
        return STORE_ERR_GAP;
    enum tomb_kind tomb = store_tomb_kind(ev->type);
    if (tomb != TOMB_NONE && !store_tomb_valid(ev->fields, ev->nfields))
        return STORE_ERR_BAD_TOMBSTONE;
    uint32_t num = slot != NULL ? slot->num : 0;
    if (slot == NULL && (rc = store_stream_num(s, txn, ev->stream, 1, &num)) != 0)
        return store_rc(s, rc);
    struct store_foreign f = { num, ev->offset, ev->lamport };
    in.foreign = &f;
    if (tomb != TOMB_NONE)
        rc = store_tomb_import(s, txn, &in);
    else if ((rc = store_tomb_gone(s, txn, ev->stream, ev->offset, ev->key)) != 0) {
        /* deleted before it arrived: into the log, not the key view */
        uint32_t stream;
        uint64_t offset;
        if (rc == 1)
            rc = store_log_append(s, txn, &in, &stream, &offset);
    } else {
        struct store_xadd_req req = { .key = ev->key, .id_mode = STORE_ID_AUTO, .fields = ev->fields,
                                      .nfields = ev->nfields, .trim = { .limit = -1 }, .now_ms = ev->now_ms,
                                      .now_us = ev->timestamp_us, .tags = ev->tags, .ntags = ev->ntags,
                                      .type = ev->type, .eventid = ev->eventid, .foreign = &f };
        struct store_id id;
        rc = store_xadd(s, &req, &id);
    }
    rc = store_rc(s, rc);
    if (rc == 0 && slot != NULL && slot != &own_slot)
        slot->next = ev->offset + 1;
    return rc;
}

/* ---- peers (meta: "peer:<address>" -> empty) ---- */

#define PEER_PREFIX "peer:"

int store_peer_set(struct store *s, const char *addr, int present)
{
    MDB_txn *txn = store_txn(s);
    if (txn == NULL)
        return EINVAL;
    char key[300];
    int n = snprintf(key, sizeof(key), PEER_PREFIX "%s", addr);
    if (n < 0 || (size_t)n >= sizeof(key))
        return STORE_ERR_TOO_BIG;
    MDB_val k = { (size_t)n, key }, v = { 0, NULL };
    int rc = present ? mdb_put(txn, s->meta, &k, &v, 0) : mdb_del(txn, s->meta, &k, NULL);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    return store_rc(s, rc);
}

int store_peers(struct store *s, int (*fn)(void *ctx, const char *addr), void *ctx)
{
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, s->meta, &cur)) == 0) {
        MDB_val k = { strlen(PEER_PREFIX), PEER_PREFIX }, v;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            size_t plen = strlen(PEER_PREFIX);
            if (k.mv_size <= plen || memcmp(k.mv_data, PEER_PREFIX, plen) != 0 || k.mv_size - plen >= 300)
                break;
            char addr[300];
            memcpy(addr, (const char *)k.mv_data + plen, k.mv_size - plen);
            addr[k.mv_size - plen] = '\0';
            if (fn(ctx, addr) != 0)
                break;
        }
        mdb_cursor_close(cur);
    }
    store_read_end(s, txn, own);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

void store_set_recovering(struct store *s, uint64_t up_to)
{
    if (up_to + 1 > s->next_offset && up_to + 1 > s->recover_next)
        s->recover_next = up_to + 1;
}

int store_recovering(struct store *s)
{
    if (s->recover_next != 0 && s->next_offset >= s->recover_next)
        s->recover_next = 0; /* recovered */
    return s->recover_next != 0;
}
