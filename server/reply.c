#include "reply.h"
#include "server.h"
#include "args.h"
#include "store.h"
#include "stream_args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct resp_buf *out_of(struct client *c)
{
    client_want_flush(c);
    return &c->out;
}

void reply_ok(struct client *c) { resp_add_simple(out_of(c), "OK", 2); }
void reply_simple(struct client *c, const char *s) { resp_add_simple(out_of(c), s, strlen(s)); }
void reply_simple_len(struct client *c, const char *s, size_t len) { resp_add_simple(out_of(c), s, len); }
void reply_int(struct client *c, long long v) { resp_add_int(out_of(c), v); }
void reply_bulk(struct client *c, const char *s, size_t len) { resp_add_bulk(out_of(c), s, len); }
void reply_null(struct client *c) { resp_add_null(out_of(c)); }
void reply_raw(struct client *c, const char *s, size_t len) { resp_add_raw(out_of(c), s, len); }
void reply_null_array(struct client *c) { resp_add_null_array(out_of(c)); }
void reply_array(struct client *c, size_t n) { resp_add_array(out_of(c), n); }
void reply_map(struct client *c, size_t n) { resp_add_map(out_of(c), n); }
void reply_set(struct client *c, size_t n) { resp_add_set(out_of(c), n); }
void reply_push(struct client *c, size_t n) { resp_add_push(out_of(c), n); }
void reply_double(struct client *c, double d) { resp_add_double(out_of(c), d); }
void reply_bool(struct client *c, int v) { resp_add_bool(out_of(c), v); }

void reply_verbatim(struct client *c, const char *s, size_t len, const char *ext)
{
    resp_add_verbatim(out_of(c), s, len, ext);
}

void reply_bulk_cstr(struct client *c, const char *s)
{
    if (s == NULL)
        reply_null(c);
    else
        reply_bulk(c, s, strlen(s));
}

void reply_error(struct client *c, const char *text)
{
    char buf[1024];
    size_t len = strlen(text);
    const char *body = text;
    if (text[0] == '-') {
        body = text + 1;
        len--;
    } else {
        int n = snprintf(buf, sizeof(buf), "ERR %s", text);
        body = buf;
        len = (n < 0) ? 0 : ((size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n);
    }
    resp_add_error(out_of(c), body, len);
    srv_stats_count_error(c->srv, body, len);
}

void reply_errorf(struct client *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    reply_error(c, buf);
}

void reply_error_syntax(struct client *c) { reply_error(c, "syntax error"); }

void reply_error_not_integer(struct client *c)
{
    reply_error(c, "value is not an integer or out of range");
}

void reply_error_arity(struct client *c, const char *fullname)
{
    reply_errorf(c, "wrong number of arguments for '%s' command", fullname);
}

void reply_error_subcommand(struct client *c, const char *sub, size_t sublen, const char *container)
{
    /* Redis prints the subcommand with %.128s: it stops at a NUL byte. */
    struct resp_arg a = { sub, sublen };
    reply_errorf(c, "unknown subcommand '%.*s'. Try %s HELP.", arg_print_len(&a, 128), sub, container);
}

void reply_error_subcommand_syntax(struct client *c, const struct resp_arg *sub, const char *container)
{
    reply_errorf(c, "unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
                 arg_print_len(sub, 128), sub->ptr, container);
}

void reply_help(struct client *c, const char *container, const char *const *lines)
{
    size_t n = 0;
    while (lines[n] != NULL)
        n++;
    char head[128];
    snprintf(head, sizeof(head), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", container);
    reply_array(c, n + 3);
    reply_simple(c, head);
    for (size_t i = 0; i < n; i++)
        reply_simple(c, lines[i]);
    reply_simple(c, "HELP");
    reply_simple(c, "    Prints this help.");
}

void reply_store_error(struct client *c, int rc)
{
    reply_errorf(c, "%s", store_strerror(rc));
}

void reply_stream_id(struct client *c, struct store_id id)
{
    char buf[48];
    reply_bulk(c, buf, (size_t)xid_format(id, buf));
}

int reply_stream_entry(void *ctx, struct store_id id, const struct store_bytes *fields, size_t n)
{
    struct client *c = ctx;
    reply_array(c, 2);
    reply_stream_id(c, id);
    reply_array(c, n);
    for (size_t i = 0; i < n; i++)
        reply_bulk(c, fields[i].ptr, fields[i].len);
    return 0;
}

size_t reply_defer(struct client *c) { return resp_defer(out_of(c)); }
void reply_set_deferred_array(struct client *c, size_t mark, size_t n) { resp_set_deferred_array(&c->out, mark, n); }
void reply_set_deferred_map(struct client *c, size_t mark, size_t n) { resp_set_deferred_map(&c->out, mark, n); }
void reply_set_deferred_set(struct client *c, size_t mark, size_t n) { resp_set_deferred_set(&c->out, mark, n); }

void reply_set_deferred_keyed(struct client *c, size_t mark, size_t n)
{
    if (c->resp == 3)
        reply_set_deferred_map(c, mark, n);
    else
        reply_set_deferred_array(c, mark, n);
}
