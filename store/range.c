/* range.c — reading a key's entries in ID order (XRANGE / XREVRANGE). */
#include "store.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#define FIELDS_ON_STACK 32

/* Reads the events of consecutive entries through one cursor: entries
 * added in a row hold consecutive offsets of one stream, so the next
 * event is usually the cursor's next row rather than a new descent. */
struct event_reader {
    MDB_cursor *cur;
    uint32_t stream;
    uint64_t offset;
    int positioned;
};

static int event_read(struct event_reader *r, uint32_t stream, uint64_t offset, MDB_val *rec)
{
    unsigned char kb[12];
    MDB_val k;
    int rc = MDB_NOTFOUND;
    if (r->positioned && stream == r->stream && (offset == r->offset + 1 || offset + 1 == r->offset)) {
        rc = mdb_cursor_get(r->cur, &k, rec, offset > r->offset ? MDB_NEXT : MDB_PREV);
        if (rc == 0 && (k.mv_size != 12 || be32_get(k.mv_data) != stream ||
                        be64_get((const unsigned char *)k.mv_data + 4) != offset))
            rc = MDB_NOTFOUND;
    }
    if (rc == MDB_NOTFOUND) {
        be32_put(kb, stream);
        be64_put(kb + 4, offset);
        k = (MDB_val){ 12, kb };
        rc = mdb_cursor_get(r->cur, &k, rec, MDB_SET_KEY);
    }
    r->positioned = rc == 0;
    r->stream = stream;
    r->offset = offset;
    return rc;
}

/* Decodes one entry's event and hands it to fn. Returns fn's verdict (0 to
 * go on), or a negative store code. */
static int visit(struct event_reader *er, const struct store_entry *e, store_entry_fn fn, void *ctx)
{
    MDB_val rec;
    if (event_read(er, e->stream, e->offset, &rec) != 0)
        return STORE_ERR_CORRUPT;
    struct store_bytes stack[FIELDS_ON_STACK], *fields = stack;
    long long n = store_event_fields(&rec, stack, FIELDS_ON_STACK);
    if (n < 0)
        return STORE_ERR_CORRUPT;
    if (n > FIELDS_ON_STACK) {
        if ((fields = malloc((size_t)n * sizeof(*fields))) == NULL)
            return STORE_ERR_NOMEM;
        store_event_fields(&rec, fields, (size_t)n);
    }
    int verdict = fn(ctx, e->id, fields, (size_t)n);
    if (fields != stack)
        free(fields);
    return verdict ? 1 : 0;
}

static long long range_in(struct store *s, MDB_txn *txn, uint64_t keynum, struct store_id start,
                          struct store_id end, int rev, long long count, store_entry_fn fn, void *ctx)
{
    struct store_entry_cur c;
    struct store_entry e;
    struct event_reader er = { 0 };
    int rc = store_entry_open(s, txn, keynum, &c);
    if (rc == 0 && (rc = mdb_cursor_open(txn, s->events, &er.cur)) != 0)
        store_entry_close(&c);
    if (rc != 0)
        return rc > 0 ? -rc : rc;
    int dir = rev ? -1 : 1;
    rc = store_entry_seek(&c, rev ? end : start, dir, &e);
    long long visited = 0;
    while (rc == 0 && (count < 0 || visited < count)) {
        if (rev ? store_id_cmp(e.id, start) < 0 : store_id_cmp(e.id, end) > 0)
            break;
        int verdict = visit(&er, &e, fn, ctx);
        if (verdict < 0) {
            store_entry_close(&c);
            mdb_cursor_close(er.cur);
            return verdict;
        }
        visited++;
        if (verdict)
            break;
        rc = store_entry_step(&c, dir, &e);
    }
    store_entry_close(&c);
    mdb_cursor_close(er.cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc > 0 ? -rc : rc;
    return visited;
}

long long store_range(struct store *s, struct store_bytes key, struct store_id start, struct store_id end,
                      int rev, long long count, store_entry_fn fn, void *ctx)
{
    if (count == 0 || store_id_cmp(start, end) > 0)
        return 0;
    MDB_txn *txn;
    int own;
    int rc = store_read_txn(s, &txn, &own);
    if (rc != 0)
        return rc > 0 ? -rc : rc;
    uint64_t keynum = 0;
    long long n = 0;
    rc = store_keynum(s, txn, key, &keynum);
    if (rc == 0)
        n = range_in(s, txn, keynum, start, end, rev, count, fn, ctx);
    else if (rc != MDB_NOTFOUND)
        n = rc > 0 ? -rc : rc;
    store_read_end(s, txn, own);
    return n;
}
