/* example.c — libswarmlog in one page: publish with an expected version,
 * page through a query with an offset-map cursor kept in a file, then
 * subscribe until caught up. docs/client-c.md walks through it; a test
 * runs it against a real server.
 *
 *   swarmlog-example [host [port [password]]]      (127.0.0.1 6379) */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "swarmlog.h"

static int fail(const char *what, swl_client *c, int rc)
{
    fprintf(stderr, "%s: %s (%s)\n", what, swl_strerror(rc), c ? swl_errmsg(c) : "");
    return 1;
}

/* Places an order for `order` unless it exists: EXPECT NOKEY makes the
 * check and the write one step, whoever else writes the same key. */
static int place_order(swl_client *c, const char *order, const char *amount)
{
    swl_bytes tags[] = { swl_str("orders"), swl_str("region:eu") };
    swl_field fields[] = { { swl_str("amount"), swl_str(amount) }, { swl_str("currency"), swl_str("EUR") } };
    struct swl_publish p = {
        .key = swl_str(order),
        .tags = tags, .ntags = 2,
        .type = swl_str("OrderPlaced"),
        .expect = SWL_EXPECT_NOKEY,
        .fields = fields, .nfields = 2,
    };
    swl_position pos;
    int rc = swl_publish(c, &p, &pos);
    if (rc == SWL_ERR_WRONGVERSION) {
        printf("%s exists already: %s\n", order, swl_errmsg(c));
        return 0;
    }
    if (rc != SWL_OK)
        return fail("publish", c, rc);
    printf("%s stored at %s offset %llu (lamport %llu, entry %s)\n", order, pos.stream,
           (unsigned long long)pos.offset, (unsigned long long)pos.lamport, pos.entry_id);
    return 0;
}

/* Reads every order event after the cursor saved in path, a page at a
 * time, saving the cursor after each page it has handled. */
static int catch_up(swl_client *c, const char *path)
{
    swl_offsets *cursor;
    char err[200];
    int rc = swl_offsets_load(path, &cursor, err, sizeof(err));
    if (rc == SWL_ERR_NOENT)
        rc = swl_offsets_new(&cursor);
    if (rc != SWL_OK)
        return fail(rc == SWL_ERR_PARSE ? err : "load cursor", NULL, rc);
    for (;;) {
        struct swl_query q = { .where = "orders & region:eu", .from = cursor, .count = 2 };
        swl_batch *b;
        if ((rc = swl_query(c, &q, &b)) != SWL_OK)
            break;
        for (size_t i = 0; i < b->nevents; i++) {
            const swl_event *ev = &b->events[i];
            printf("  %.*s #%llu: %.*s=%.*s\n", (int)ev->key.len, ev->key.ptr, (unsigned long long)ev->offset,
                   (int)ev->fields[0].name.len, ev->fields[0].name.ptr, (int)ev->fields[0].value.len,
                   ev->fields[0].value.ptr);
        }
        size_t n = b->nevents;
        swl_offsets_free(cursor);
        cursor = b->next; /* take the continuation from the batch */
        b->next = NULL;
        swl_batch_free(b);
        if ((rc = swl_offsets_save(cursor, path)) != SWL_OK || n == 0)
            break;
    }
    swl_offsets_free(cursor);
    return rc == SWL_OK ? 0 : fail("catch up", c, rc);
}

/* Subscription callback: count events, stop at the caught-up marker. */
static int on_event(void *arg, const swl_event *ev, const swl_offsets *cursor)
{
    (void)cursor;
    if (ev == NULL)
        return 1;
    ++*(int *)arg;
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? atoi(argv[2]) : 6379;
    const char *password = argc > 3 ? argv[3] : NULL;
    swl_client *c;
    if (swl_client_new(&c) != SWL_OK)
        return 1;
    int rc = swl_connect(c, host, port, password), status = 1;
    if (rc != SWL_OK) {
        fail("connect", c, rc);
        goto done;
    }
    char order[64], cursor_path[] = "/tmp/swarmlog-example-XXXXXX";
    snprintf(order, sizeof(order), "order-%ld", (long)getpid());
    int fd = mkstemp(cursor_path);
    if (fd < 0)
        goto done;
    close(fd);
    unlink(cursor_path); /* a name for the cursor file; it starts absent */
    if (place_order(c, order, "10") || place_order(c, order, "20") || catch_up(c, cursor_path))
        goto cleanup;
    swl_offsets *from;
    if (swl_offsets_new(&from) != SWL_OK)
        goto cleanup;
    int seen = 0;
    struct swl_subscribe s = { .where = "orders", .cursor = from, .fn = on_event, .arg = &seen };
    rc = swl_subscribe(c, &s);
    swl_offsets_free(from);
    if (rc != SWL_OK) {
        fail("subscribe", c, rc);
        goto cleanup;
    }
    printf("subscription caught up after %d event(s)\n", seen);
    status = 0;
cleanup:
    unlink(cursor_path);
done:
    swl_client_free(c);
    return status;
}
