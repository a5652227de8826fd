/* cmd_keyspace.c — EXISTS, TYPE, DEL/UNLINK, KEYS, SCAN, FLUSHALL/FLUSHDB.
 * Every key is a stream. */
#include "server.h"
#include "args.h"
#include "commands.h"
#include "globmatch.h"
#include "reply.h"
#include "store.h"
#include "stream_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmd_exists(struct client *c, int argc, const struct resp_arg *argv)
{
    long long n = 0;
    for (int i = 1; i < argc; i++) {
        int rc = store_exists(c->srv->store, arg_bytes(&argv[i]));
        if (rc < 0) {
            reply_store_error(c, rc);
            return;
        }
        n += rc;
    }
    reply_int(c, n);
}

void cmd_type(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    int rc = store_exists(c->srv->store, arg_bytes(&argv[1]));
    if (rc < 0)
        reply_store_error(c, rc);
    else
        reply_simple(c, rc ? "stream" : "none");
}

/* DEL and UNLINK: LMDB frees pages at commit, so both delete at once. */
void cmd_del(struct client *c, int argc, const struct resp_arg *argv)
{
    long long n = 0;
    for (int i = 1; i < argc; i++) {
        int rc = store_del(c->srv->store, arg_bytes(&argv[i]));
        if (rc < 0) {
            reply_store_error(c, rc);
            return;
        }
        n += rc;
    }
    reply_int(c, n);
}

struct keys_ctx {
    struct client *c;
    const struct resp_arg *pattern;
    int all;
    size_t n;
};

static int keys_visit(void *arg, struct store_bytes key)
{
    struct keys_ctx *k = arg;
    if (k->all || srv_glob_match(k->pattern->ptr, k->pattern->len, key.ptr, key.len, 0)) {
        reply_bulk(k->c, key.ptr, key.len);
        k->n++;
    }
    return 0;
}

/* KEYS pattern. Like Redis, the order is the store's own (Redis's is its
 * hash table's): clients must not rely on it. */
void cmd_keys(struct client *c, int argc, const struct resp_arg *argv)
{
    (void)argc;
    struct keys_ctx k = { c, &argv[1], argv[1].len == 1 && argv[1].ptr[0] == '*', 0 };
    size_t mark = reply_defer(c);
    int rc = store_keys(c->srv->store, keys_visit, &k);
    if (rc != 0) {
        c->out.len = mark;
        reply_store_error(c, rc);
        return;
    }
    reply_set_deferred_array(c, mark, k.n);
}

/* FLUSHALL / FLUSHDB [ASYNC|SYNC]: both run at once (LMDB frees the pages
 * at commit), so the modes only differ in name. */
void cmd_flushall(struct client *c, int argc, const struct resp_arg *argv)
{
    if (argc > 2 || (argc == 2 && !arg_is(&argv[1], "async") && !arg_is(&argv[1], "sync"))) {
        reply_error_syntax(c);
        return;
    }
    int rc = store_flush(c->srv->store);
    if (rc != 0)
        reply_store_error(c, rc);
    else
        reply_ok(c);
}


/* Redis's parseScanCursorOrReply: strtoul on the argument as a C string
 * ('+', '-' and leading zeros accepted, no leading space, nothing after
 * the digits, no overflow). */
static int scan_cursor_or_reply(struct client *c, const struct resp_arg *a, uint64_t *cursor)
{
    char *s = arg_dup(a), *end;
    if (s == NULL) {
        reply_error(c, "out of memory");
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int bad = isspace((unsigned char)s[0]) || *end != '\0' || errno == ERANGE;
    free(s);
    if (bad) {
        reply_error(c, "invalid cursor");
        return -1;
    }
    *cursor = v;
    return 0;
}

struct scan_ctx {
    const struct resp_arg *pattern; /* NULL: every key */
    int none;                       /* TYPE names another type: nothing matches */
    char *buf;                      /* the matching names, each as be64 length | bytes */
    size_t len, cap, n;
    int oom;
};

static int scan_visit(void *arg, struct store_bytes key)
{
    struct scan_ctx *k = arg;
    if (k->none || (k->pattern && !srv_glob_match(k->pattern->ptr, k->pattern->len, key.ptr, key.len, 0)))
        return 0;
    if (k->cap - k->len < key.len + 8) {
        size_t cap = k->cap * 2 > k->len + key.len + 8 ? k->cap * 2 : k->len + key.len + 256;
        char *grown = realloc(k->buf, cap);
        if (grown == NULL) {
            k->oom = 1;
            return -1;
        }
        k->buf = grown;
        k->cap = cap;
    }
    uint64_t len = key.len;
    memcpy(k->buf + k->len, &len, 8);
    memcpy(k->buf + k->len + 8, key.ptr, key.len);
    k->len += 8 + key.len;
    k->n++;
    return 0;
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is the
 * store's position in key-creation order, so (unlike Redis's) it never
 * returns a key twice unless the key was deleted and made again. COUNT is
 * how many keys are looked at, before MATCH and TYPE filter them. */
void cmd_scan(struct client *c, int argc, const struct resp_arg *argv)
{
    uint64_t cursor, next;
    long long count = 10;
    struct scan_ctx k = { 0 };
    if (scan_cursor_or_reply(c, &argv[1], &cursor) != 0)
        return;
    for (int i = 2; i < argc; i += 2) {
        if (arg_is(&argv[i], "count") && i + 1 < argc) {
            if (arg_to_ll_or_reply(c, &argv[i + 1], &count, NULL) != 0)
                return;
            if (count < 1) {
                reply_error_syntax(c);
                return;
            }
        } else if (arg_is(&argv[i], "match") && i + 1 < argc) {
            k.pattern = argv[i + 1].len == 1 && argv[i + 1].ptr[0] == '*' ? NULL : &argv[i + 1];
        } else if (arg_is(&argv[i], "type") && i + 1 < argc) {
            /* strcasecmp on the C string, as Redis compares type names */
            struct resp_arg t = { argv[i + 1].ptr, (size_t)arg_print_len(&argv[i + 1], 7) };
            k.none = !arg_is(&t, "stream");
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    int rc = store_scan(c->srv->store, cursor, (uint64_t)count, scan_visit, &k, &next);
    if (rc == 0 && k.oom)
        rc = STORE_ERR_NOMEM;
    if (rc != 0) {
        reply_store_error(c, rc);
    } else {
        char num[24];
        reply_array(c, 2);
        reply_bulk(c, num, (size_t)snprintf(num, sizeof(num), "%llu", (unsigned long long)next));
        reply_array(c, k.n);
        for (size_t off = 0; off < k.len;) {
            uint64_t len;
            memcpy(&len, k.buf + off, 8);
            reply_bulk(c, k.buf + off + 8, (size_t)len);
            off += 8 + (size_t)len;
        }
    }
    free(k.buf);
}
