/* client.c — the connection: connect + AUTH + PING, timeouts, error texts,
 * and the one place where commands are sent and replies classified. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "swl_internal.h"

const char *swl_strerror(int code)
{
    switch (code) {
    case SWL_OK: return "success";
    case SWL_ERR_ARG: return "invalid argument";
    case SWL_ERR_NOMEM: return "out of memory";
    case SWL_ERR_IO: return "connection error (cannot connect, lost, or timed out)";
    case SWL_ERR_PROTOCOL: return "unexpected reply from the server";
    case SWL_ERR_SERVER: return "the server answered an error";
    case SWL_ERR_AUTH: return "authentication failed or required";
    case SWL_ERR_WRONGVERSION: return "expected version did not match: nothing stored";
    case SWL_ERR_PARSE: return "malformed offset map";
    case SWL_ERR_FILE: return "file operation failed";
    case SWL_ERR_NOENT: return "no such cursor file";
    default: return "unknown error code";
    }
}

int swl__fail(swl_client *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return code;
}

const char *swl_errmsg(const swl_client *c)
{
    return c ? c->err : "no client";
}

int swl_client_new(swl_client **out)
{
    swl_client *c = calloc(1, sizeof(*c));
    *out = c;
    if (c == NULL)
        return SWL_ERR_NOMEM;
    c->timeout_ms = SWL_DEFAULT_TIMEOUT_MS;
    return SWL_OK;
}

void swl__disconnect(swl_client *c)
{
    if (c->rc) {
        redisFree(c->rc);
        c->rc = NULL;
    }
}

void swl_client_free(swl_client *c)
{
    if (c == NULL)
        return;
    swl__disconnect(c);
    free(c);
}

static struct timeval ms_timeval(long long ms)
{
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };
    return tv;
}

int swl__socket_timeout(swl_client *c, long long ms)
{
    if (c->rc == NULL)
        return swl__fail(c, SWL_ERR_IO, "not connected");
    if (redisSetTimeout(c->rc, ms_timeval(ms)) != REDIS_OK) {
        swl__fail(c, SWL_ERR_IO, "cannot set the socket timeout: %s", c->rc->errstr);
        swl__disconnect(c);
        return SWL_ERR_IO;
    }
    return SWL_OK;
}

int swl_set_timeout(swl_client *c, int ms)
{
    if (c == NULL || ms < 0)
        return SWL_ERR_ARG;
    c->timeout_ms = ms;
    return c->rc ? swl__socket_timeout(c, ms) : SWL_OK;
}

int swl_connect(swl_client *c, const char *host, int port, const char *password)
{
    if (c == NULL)
        return SWL_ERR_ARG;
    swl__disconnect(c);
    if (host == NULL || port < 1 || port > 65535)
        return swl__fail(c, SWL_ERR_ARG, "host must be given and port be 1..65535");
    c->rc = c->timeout_ms ? redisConnectWithTimeout(host, port, ms_timeval(c->timeout_ms))
                          : redisConnect(host, port);
    if (c->rc == NULL)
        return swl__fail(c, SWL_ERR_NOMEM, "out of memory");
    if (c->rc->err) {
        swl__fail(c, SWL_ERR_IO, "cannot connect to %s:%d: %s", host, port, c->rc->errstr);
        swl__disconnect(c);
        return SWL_ERR_IO;
    }
    int rc = swl__socket_timeout(c, c->timeout_ms);
    redisReply *r = NULL;
    struct swl_cmd cmd = { 0 };
    if (rc == SWL_OK && password) {
        swl__cmd_add_str(&cmd, "AUTH");
        swl__cmd_add_str(&cmd, password);
        rc = swl__command(c, &cmd, &r);
        freeReplyObject(r);
        r = NULL;
        swl__cmd_free(&cmd);
    }
    if (rc == SWL_OK) {
        swl__cmd_add_str(&cmd, "PING");
        rc = swl__command(c, &cmd, &r);
        swl__cmd_free(&cmd);
        if (rc == SWL_OK && (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0))
            rc = swl__fail(c, SWL_ERR_PROTOCOL, "PING did not answer PONG");
        freeReplyObject(r);
    }
    if (rc != SWL_OK)
        swl__disconnect(c);
    return rc;
}

/* ---- command building ---- */

static int cmd_grow(struct swl_cmd *cmd)
{
    if (cmd->n < cmd->cap)
        return 0;
    size_t cap = cmd->cap ? cmd->cap * 2 : 16;
    const char **argv = realloc(cmd->argv, cap * sizeof(*argv));
    if (argv == NULL)
        return -1;
    cmd->argv = argv;
    size_t *lens = realloc(cmd->lens, cap * sizeof(*lens));
    if (lens == NULL)
        return -1;
    cmd->lens = lens;
    cmd->cap = cap;
    return 0;
}

void swl__cmd_add(struct swl_cmd *cmd, const char *ptr, size_t len)
{
    if (cmd->oom || cmd_grow(cmd) != 0) {
        cmd->oom = 1;
        return;
    }
    cmd->argv[cmd->n] = ptr ? ptr : "";
    cmd->lens[cmd->n] = len;
    cmd->n++;
}

void swl__cmd_add_str(struct swl_cmd *cmd, const char *s)
{
    swl__cmd_add(cmd, s, strlen(s));
}

void swl__cmd_add_bytes(struct swl_cmd *cmd, swl_bytes b)
{
    swl__cmd_add(cmd, b.ptr, b.len);
}

void swl__cmd_add_owned(struct swl_cmd *cmd, char *s, size_t len)
{
    if (s == NULL || cmd->oom) {
        free(s);
        cmd->oom = 1;
        return;
    }
    if (cmd->nowned == cmd->capowned) {
        size_t cap = cmd->capowned ? cmd->capowned * 2 : 4;
        char **owned = realloc(cmd->owned, cap * sizeof(*owned));
        if (owned == NULL) {
            free(s);
            cmd->oom = 1;
            return;
        }
        cmd->owned = owned;
        cmd->capowned = cap;
    }
    cmd->owned[cmd->nowned++] = s;
    swl__cmd_add(cmd, s, len);
}

void swl__cmd_add_i64(struct swl_cmd *cmd, long long v)
{
    char *s = malloc(24);
    if (s == NULL) {
        cmd->oom = 1;
        return;
    }
    int n = snprintf(s, 24, "%lld", v);
    swl__cmd_add_owned(cmd, s, (size_t)n);
}

void swl__cmd_add_offsets(struct swl_cmd *cmd, const swl_offsets *m)
{
    if (m == NULL) {
        swl__cmd_add_str(cmd, "{}");
        return;
    }
    char *json = NULL;
    size_t len = 0;
    if (swl_offsets_to_json(m, &json, &len) != SWL_OK)
        json = NULL;
    swl__cmd_add_owned(cmd, json, len);
}

void swl__cmd_add_filter(struct swl_cmd *cmd, const char *where, const char *const *types, size_t ntypes)
{
    if (where) {
        swl__cmd_add_str(cmd, "WHERE");
        swl__cmd_add_str(cmd, where);
    }
    if (ntypes) {
        swl__cmd_add_str(cmd, "TYPES");
        swl__cmd_add_i64(cmd, (long long)ntypes);
        for (size_t i = 0; i < ntypes; i++)
            swl__cmd_add_str(cmd, types[i]);
    }
}

void swl__cmd_free(struct swl_cmd *cmd)
{
    for (size_t i = 0; i < cmd->nowned; i++)
        free(cmd->owned[i]);
    free(cmd->owned);
    free(cmd->argv);
    free(cmd->lens);
    memset(cmd, 0, sizeof(*cmd));
}

/* ---- sending and receiving ---- */

int swl__send(swl_client *c, struct swl_cmd *cmd)
{
    if (cmd->oom)
        return swl__fail(c, SWL_ERR_NOMEM, "out of memory building the command");
    if (c->rc == NULL)
        return swl__fail(c, SWL_ERR_IO, "not connected");
    if (redisAppendCommandArgv(c->rc, (int)cmd->n, cmd->argv, cmd->lens) != REDIS_OK)
        return swl__fail(c, SWL_ERR_NOMEM, "out of memory formatting the command");
    return SWL_OK;
}

static int error_code(const char *msg)
{
    if (strncmp(msg, "NOAUTH", 6) == 0 || strncmp(msg, "WRONGPASS", 9) == 0 ||
        strncmp(msg, "ERR invalid password", 20) == 0)
        return SWL_ERR_AUTH;
    if (strncmp(msg, "WRONGVERSION", 12) == 0)
        return SWL_ERR_WRONGVERSION;
    return SWL_ERR_SERVER;
}

int swl__receive(swl_client *c, redisReply **out)
{
    *out = NULL;
    if (c->rc == NULL)
        return swl__fail(c, SWL_ERR_IO, "not connected");
    void *reply = NULL;
    if (redisGetReply(c->rc, &reply) != REDIS_OK || reply == NULL) {
        int timed_out = c->rc->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
        int code = c->rc->err == REDIS_ERR_OOM ? SWL_ERR_NOMEM : SWL_ERR_IO;
        swl__fail(c, code, "%s%s", timed_out ? "timed out waiting for the reply: " : "connection error: ",
                  c->rc->errstr);
        swl__disconnect(c); /* the reply stream is out of step now: never reuse it */
        return code;
    }
    redisReply *r = reply;
    if (r->type == REDIS_REPLY_ERROR) {
        int code = swl__fail(c, error_code(r->str), "%s", r->str);
        freeReplyObject(r);
        return code;
    }
    *out = r;
    return SWL_OK;
}

int swl__command(swl_client *c, struct swl_cmd *cmd, redisReply **out)
{
    *out = NULL;
    int rc = swl__send(c, cmd);
    return rc == SWL_OK ? swl__receive(c, out) : rc;
}
