/* Connection and server commands against a real swarmlog-server: replies
 * and error texts as Redis 7 gives them. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "th_criterion.h"

TestSuite(basics, .fini = th_fini, .timeout = 120);

static const char *const auth_args[] = {"--requirepass", "secret", NULL};

Test(basics, ping_and_echo)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    th_expect_status(c, "PONG", "PING", NULL);
    th_expect_bulk(c, "hello world", "PING", "hello world", NULL);
    th_expect_error(c, "ERR wrong number of arguments for 'ping' command", "PING", "a", "b", NULL);
    th_expect_bulk(c, "hi", "ECHO", "hi", NULL);
    th_expect_bulk(c, "", "ECHO", "", NULL);
    th_expect_error(c, "ERR wrong number of arguments for 'echo' command", "ECHO", NULL);
    th_expect_error(c, "ERR wrong number of arguments for 'echo' command", "ECHO", "a", "b", NULL);
    /* Command names are case-insensitive. */
    th_expect_status(c, "PONG", "pInG", NULL);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(basics, echo_binary_safe)
{
    srv = th_start_ok(NULL);
    int fd = th_raw_connect_ok(srv);
    static const char req[] = "*2\r\n$4\r\nECHO\r\n$5\r\na\r\n\0b\r\n";
    static const char rep[] = "$5\r\na\r\n\0b\r\n";
    th_raw_roundtrip_n(fd, req, sizeof req - 1, rep, sizeof rep - 1);
    th_raw_close(fd);
    TH_STOP_OK(srv);
}

Test(basics, unknown_command_text)
{
    srv = th_start_ok(NULL);
    int fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, "*2\r\n$3\r\nfoo\r\n$1\r\na\r\n",
                     "-ERR unknown command 'foo', with args beginning with: 'a' \r\n");
    th_raw_roundtrip(fd, "*1\r\n$6\r\nNOSUCH\r\n",
                     "-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    th_raw_roundtrip(fd, "*3\r\n$3\r\nfoo\r\n$1\r\na\r\n$2\r\nbc\r\n",
                     "-ERR unknown command 'foo', with args beginning with: 'a' 'bc' \r\n");
    /* The connection is still usable. */
    th_raw_roundtrip(fd, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
    th_raw_close(fd);
    TH_STOP_OK(srv);
}

Test(basics, select_time_dbsize)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    th_expect_status(c, "OK", "SELECT", "0", NULL);
    th_expect_error(c, "ERR DB index is out of range", "SELECT", "16", NULL);
    th_expect_error(c, "ERR DB index is out of range", "SELECT", "-1", NULL);
    th_expect_error(c, "ERR value is not an integer or out of range", "SELECT", "x", NULL);
    th_expect_error(c, "ERR wrong number of arguments for 'select' command", "SELECT", NULL);
    cr_assert_eq(th_expect_int(c, "DBSIZE", NULL), 0);

    redisReply *r = th_call(c, "TIME", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 2);
    cr_assert_eq(r->element[0]->type, REDIS_REPLY_STRING);
    cr_assert_eq(r->element[1]->type, REDIS_REPLY_STRING);
    long long secs = atoll(r->element[0]->str), usecs = atoll(r->element[1]->str);
    long long now = (long long)time(NULL);
    cr_assert(secs >= now - 5 && secs <= now + 5, "TIME says %lld, clock says %lld", secs, now);
    cr_assert(usecs >= 0 && usecs < 1000000, "TIME microseconds %lld", usecs);
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

static void check_hello2(redisReply *r, long long proto)
{
    static const char *const keys[] = {"server", "version", "proto", "id", "mode", "role", "modules"};
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "HELLO 2 gives a flat array, got %s",
                 th_reply_type(r->type));
    cr_assert_eq(r->elements, 14);
    for (size_t i = 0; i < 7; i++)
        cr_assert_str_eq(r->element[2 * i]->str, keys[i]);
    cr_assert_eq(r->element[5]->integer, proto);
    cr_assert_gt(r->element[7]->integer, 0);
    cr_assert_str_eq(r->element[9]->str, "standalone");
    cr_assert_str_eq(r->element[11]->str, "master");
    cr_assert_eq(r->element[13]->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->element[13]->elements, 0);
}

Test(basics, hello_2)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    redisReply *r = th_call(c, "HELLO", NULL);
    check_hello2(r, 2);
    long long id = r->element[7]->integer;
    freeReplyObject(r);
    r = th_call(c, "HELLO", "2", NULL);
    check_hello2(r, 2);
    cr_assert_eq(r->element[7]->integer, id, "HELLO's id is the connection's");
    freeReplyObject(r);
    cr_assert_eq(th_expect_int(c, "CLIENT", "ID", NULL), id);
    th_expect_error(c, "NOPROTO unsupported protocol version", "HELLO", "4", NULL);
    th_expect_error(c, "NOPROTO unsupported protocol version", "HELLO", "1", NULL);
    th_expect_error(c, "ERR Protocol version is not an integer or out of range", "HELLO", "x", NULL);
    th_expect_error(c, "ERR Syntax error in HELLO option 'FOO'", "HELLO", "2", "FOO", NULL);
    th_expect_error(c, "ERR Syntax error in HELLO option 'AUTH'", "HELLO", "2", "AUTH", "x", NULL);
    redisFree(c);
    TH_STOP_OK(srv);
}

/* Checks a RESP3 HELLO reply byte by byte, except the id, server and version
 * values, which are returned in *id. */
static void check_hello3_bytes(const char *rep, long long *id)
{
    const char *p = rep;
#define EXPECT_PREFIX(lit)                                                                 \
    do {                                                                                   \
        cr_assert(strncmp(p, lit, strlen(lit)) == 0, "HELLO 3 reply: expected \"%s\" at \"%.40s\"", \
                  #lit, p);                                                                \
        p += strlen(lit);                                                                  \
    } while (0)
#define SKIP_BULK()                                                   \
    do {                                                              \
        cr_assert_eq(*p, '$', "expected a bulk string at \"%.40s\"", p); \
        long n_ = strtol(p + 1, (char **)&p, 10);                     \
        EXPECT_PREFIX("\r\n");                                        \
        cr_assert_gt(n_, 0);                                          \
        p += n_;                                                      \
        EXPECT_PREFIX("\r\n");                                        \
    } while (0)
    EXPECT_PREFIX("%7\r\n");
    EXPECT_PREFIX("$6\r\nserver\r\n");
    SKIP_BULK();
    EXPECT_PREFIX("$7\r\nversion\r\n");
    SKIP_BULK();
    EXPECT_PREFIX("$5\r\nproto\r\n:3\r\n");
    EXPECT_PREFIX("$2\r\nid\r\n:");
    *id = strtoll(p, (char **)&p, 10);
    EXPECT_PREFIX("\r\n");
    EXPECT_PREFIX("$4\r\nmode\r\n$10\r\nstandalone\r\n");
    EXPECT_PREFIX("$4\r\nrole\r\n$6\r\nmaster\r\n");
    EXPECT_PREFIX("$7\r\nmodules\r\n*0\r\n");
    cr_assert_eq(*p, '\0', "trailing bytes after HELLO 3 reply: \"%s\"", p);
#undef EXPECT_PREFIX
#undef SKIP_BULK
}

Test(basics, hello_3_map_shape)
{
    srv = th_start_ok(NULL);
    int fd = th_raw_connect_ok(srv);
    cr_assert_eq(th_raw_send_str(fd, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", 5000), 0);
    size_t len;
    char *rep = th_raw_read_reply(fd, &len, 5000);
    cr_assert_not_null(rep);
    long long id = 0;
    check_hello3_bytes(rep, &id);
    cr_assert_gt(id, 0);
    free(rep);
    /* RESP3 replies on this connection now: null is "_". */
    th_raw_roundtrip(fd, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
    th_raw_roundtrip(fd, "*2\r\n$6\r\nCLIENT\r\n$7\r\nGETNAME\r\n", "_\r\n");
    char idline[64];
    snprintf(idline, sizeof idline, ":%lld\r\n", id);
    th_raw_roundtrip(fd, "*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n", idline);
    /* HELLO 2 switches back. */
    cr_assert_eq(th_raw_send_str(fd, "*2\r\n$5\r\nHELLO\r\n$1\r\n2\r\n", 5000), 0);
    rep = th_raw_read_reply(fd, &len, 5000);
    cr_assert_not_null(rep);
    cr_assert(strncmp(rep, "*14\r\n", 5) == 0, "HELLO 2 reply starts \"%.10s\"", rep);
    free(rep);
    th_raw_roundtrip(fd, "*2\r\n$6\r\nCLIENT\r\n$7\r\nGETNAME\r\n", "$-1\r\n");
    th_raw_close(fd);
    TH_STOP_OK(srv);
}

Test(basics, hello_3_setname)
{
    srv = th_start_ok(NULL);
    int fd = th_raw_connect_ok(srv);
    cr_assert_eq(th_raw_send_str(fd, "HELLO 3 SETNAME myname\r\n", 5000), 0);
    char *rep = th_raw_read_reply(fd, NULL, 5000);
    cr_assert_not_null(rep);
    cr_assert(strncmp(rep, "%7\r\n", 4) == 0);
    free(rep);
    th_raw_roundtrip(fd, "CLIENT GETNAME\r\n", "$6\r\nmyname\r\n");
    th_raw_close(fd);
    TH_STOP_OK(srv);
}

Test(basics, auth_required)
{
    srv = th_start_ok(auth_args);
    int fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, "*1\r\n$4\r\nPING\r\n", "-NOAUTH Authentication required.\r\n");
    th_raw_roundtrip(fd, "ECHO hi\r\n", "-NOAUTH Authentication required.\r\n");
    th_raw_roundtrip(fd, "HELLO 2\r\n",
                     "-NOAUTH HELLO must be called with the client already authenticated, "
                     "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate "
                     "the client and select the RESP protocol version at the same time\r\n");
    th_raw_roundtrip(fd, "AUTH wrong\r\n",
                     "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    th_raw_roundtrip(fd, "AUTH default wrong\r\n",
                     "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    th_raw_roundtrip(fd, "AUTH nobody secret\r\n",
                     "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    th_raw_roundtrip(fd, "AUTH a b c\r\n", "-ERR syntax error\r\n");
    th_raw_roundtrip(fd, "AUTH secret\r\n", "+OK\r\n");
    th_raw_roundtrip(fd, "PING\r\n", "+PONG\r\n");
    th_raw_close(fd);

    fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, "AUTH default secret\r\n", "+OK\r\n");
    th_raw_roundtrip(fd, "PING\r\n", "+PONG\r\n");
    /* RESET logs the connection out again. */
    th_raw_roundtrip(fd, "RESET\r\n", "+RESET\r\n");
    th_raw_roundtrip(fd, "PING\r\n", "-NOAUTH Authentication required.\r\n");
    th_raw_close(fd);

    fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, "HELLO 2 AUTH default wrong\r\n",
                     "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    cr_assert_eq(th_raw_send_str(fd, "HELLO 3 AUTH default secret SETNAME n1\r\n", 5000), 0);
    char *rep = th_raw_read_reply(fd, NULL, 5000);
    cr_assert_not_null(rep);
    long long id;
    check_hello3_bytes(rep, &id);
    free(rep);
    th_raw_roundtrip(fd, "CLIENT GETNAME\r\n", "$2\r\nn1\r\n");
    th_raw_close(fd);

    /* hiredis as a user would. */
    redisContext *c = th_connect_ok(srv);
    th_expect_error(c, "NOAUTH Authentication required.", "DBSIZE", NULL);
    th_expect_status(c, "OK", "AUTH", "secret", NULL);
    cr_assert_eq(th_expect_int(c, "DBSIZE", NULL), 0);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(basics, auth_without_password)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    th_expect_error(c,
                    "ERR AUTH <password> called without any password configured for the default "
                    "user. Are you sure your configuration is correct?",
                    "AUTH", "x", NULL);
    /* The default user has no password: any password is accepted. */
    th_expect_status(c, "OK", "AUTH", "default", "x", NULL);
    th_expect_error(c, "ERR wrong number of arguments for 'auth' command", "AUTH", NULL);
    th_expect_status(c, "PONG", "PING", NULL);
    redisFree(c);
    TH_STOP_OK(srv);
}

/* Finds "key=value" in a CLIENT INFO/LIST line; returns strdup'd value. */
static char *client_field(const char *line, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = line; p && *p; p = strchr(p, ' ')) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            return strndup(v, strcspn(v, " \n"));
        }
    }
    return NULL;
}

Test(basics, client_subcommands)
{
    srv = th_start_ok(NULL);
    redisContext *a = th_connect_ok(srv), *b = th_connect_ok(srv);
    long long ida = th_expect_int(a, "CLIENT", "ID", NULL);
    long long idb = th_expect_int(b, "CLIENT", "ID", NULL);
    cr_assert(ida > 0 && idb > ida, "ids increase: %lld then %lld", ida, idb);

    redisReply *r = th_call(a, "CLIENT", "GETNAME", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    th_expect_status(a, "OK", "CLIENT", "SETNAME", "alpha", NULL);
    th_expect_bulk(a, "alpha", "CLIENT", "GETNAME", NULL);
    th_expect_error(a, "ERR Client names cannot contain spaces, newlines or special characters.",
                    "CLIENT", "SETNAME", "a b", NULL);
    th_expect_error(a, "ERR Client names cannot contain spaces, newlines or special characters.",
                    "CLIENT", "SETNAME", "a\nb", NULL);
    th_expect_bulk(a, "alpha", "CLIENT", "GETNAME", NULL);
    th_expect_error(a, "ERR unknown subcommand 'FOO'. Try CLIENT HELP.", "CLIENT", "FOO", NULL);
    th_expect_error(a, "ERR wrong number of arguments for 'client|setname' command", "CLIENT",
                    "SETNAME", NULL);

    r = th_call(a, "CLIENT", "INFO", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    char *v = client_field(r->str, "id");
    cr_assert_not_null(v, "CLIENT INFO has id=: %s", r->str);
    cr_assert_eq(atoll(v), ida);
    free(v);
    v = client_field(r->str, "name");
    cr_assert_str_eq(v, "alpha");
    free(v);
    v = client_field(r->str, "addr");
    cr_assert_not_null(v);
    cr_assert(strncmp(v, "127.0.0.1:", 10) == 0, "addr=%s", v);
    free(v);
    cr_assert(r->str[r->len - 1] == '\n', "CLIENT INFO ends with a newline");
    freeReplyObject(r);

    r = th_call(a, "CLIENT", "LIST", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    char ida_s[32], idb_s[32];
    snprintf(ida_s, sizeof ida_s, "id=%lld ", ida);
    snprintf(idb_s, sizeof idb_s, "id=%lld ", idb);
    cr_assert_not_null(strstr(r->str, ida_s), "CLIENT LIST: %s", r->str);
    cr_assert_not_null(strstr(r->str, idb_s), "CLIENT LIST: %s", r->str);
    cr_assert_not_null(strstr(r->str, "name=alpha "), "CLIENT LIST: %s", r->str);
    freeReplyObject(r);

    if (!th_is_reference()) /* CLIENT SETINFO is Redis 7.2 */
        th_expect_status(a, "OK", "CLIENT", "SETINFO", "LIB-NAME", "mylib", NULL);

    /* CLIENT KILL ID closes the other connection. */
    char idb_num[32];
    snprintf(idb_num, sizeof idb_num, "%lld", idb);
    cr_assert_eq(th_expect_int(a, "CLIENT", "KILL", "ID", idb_num, NULL), 1);
    cr_assert_eq(th_expect_int(a, "CLIENT", "KILL", "ID", "999999", NULL), 0);
    redisReply *gone = redisCommand(b, "PING");
    cr_assert(gone == NULL || gone->type == REDIS_REPLY_ERROR,
              "killed connection still answers PING");
    if (gone)
        freeReplyObject(gone);
    th_expect_status(a, "PONG", "PING", NULL);
    redisFree(a);
    redisFree(b);
    TH_STOP_OK(srv);
}

Test(basics, config_get_set)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    char port[16];
    snprintf(port, sizeof port, "%d", th_server_port(srv));

    redisReply *r = th_call(c, "CONFIG", "GET", "port", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 2);
    cr_assert_str_eq(r->element[0]->str, "port");
    cr_assert_str_eq(r->element[1]->str, port);
    freeReplyObject(r);

    r = th_call(c, "CONFIG", "GET", "bind", NULL);
    cr_assert_eq(r->elements, 2);
    cr_assert_str_eq(r->element[1]->str, "127.0.0.1");
    freeReplyObject(r);

    r = th_call(c, "CONFIG", "GET", "dir", NULL);
    cr_assert_eq(r->elements, 2);
    char real[4096];
    cr_assert_not_null(realpath(th_server_datadir(srv), real), "data dir exists");
    cr_assert_str_eq(r->element[1]->str, real);
    freeReplyObject(r);

    r = th_call(c, "CONFIG", "GET", "nosuchoption", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 0);
    freeReplyObject(r);

    /* A glob over several options, each name once with its value. */
    r = th_call(c, "CONFIG", "GET", "*max*", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements % 2, 0);
    bool saw_maxclients = false;
    for (size_t i = 0; i < r->elements; i += 2)
        saw_maxclients = saw_maxclients || strcmp(r->element[i]->str, "maxclients") == 0;
    cr_assert(saw_maxclients, "CONFIG GET *max* lists maxclients");
    freeReplyObject(r);

    th_expect_status(c, "OK", "CONFIG", "SET", "timeout", "300", NULL);
    r = th_call(c, "CONFIG", "GET", "timeout", NULL);
    cr_assert_eq(r->elements, 2);
    cr_assert_str_eq(r->element[1]->str, "300");
    freeReplyObject(r);
    th_expect_status(c, "OK", "CONFIG", "SET", "timeout", "0", NULL);

    th_expect_error(c, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
                    "CONFIG", "SET", "nosuch", "1", NULL);
    th_expect_error(c,
                    "ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
                    "argument couldn't be parsed into an integer",
                    "CONFIG", "SET", "maxclients", "abc", NULL);
    th_expect_error(c, "ERR wrong number of arguments for 'config|set' command", "CONFIG", "SET",
                    "timeout", NULL);
    th_expect_error(c, "ERR wrong number of arguments for 'config|get' command", "CONFIG", "GET",
                    NULL);
    th_expect_error(c, "ERR unknown subcommand 'FOO'. Try CONFIG HELP.", "CONFIG", "FOO", NULL);
    th_expect_status(c, "OK", "CONFIG", "RESETSTAT", NULL);

    /* requirepass set at run time applies to new connections. */
    th_expect_status(c, "OK", "CONFIG", "SET", "requirepass", "pw", NULL);
    redisContext *d = th_connect_ok(srv);
    th_expect_error(d, "NOAUTH Authentication required.", "PING", NULL);
    th_expect_status(d, "OK", "AUTH", "pw", NULL);
    redisFree(d);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(basics, info_sections)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    redisReply *r = th_call(c, "INFO", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    static const char *const all[] = {"# Server\r\n", "redis_version:", "process_id:",
                                      "tcp_port:",    "uptime_in_seconds:", "# Clients\r\n",
                                      "connected_clients:", "# Stats\r\n"};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        cr_assert_not_null(strstr(r->str, all[i]), "INFO lacks %s", all[i]);
    char want[64];
    snprintf(want, sizeof want, "process_id:%d\r\n", (int)th_server_pid(srv));
    cr_assert_not_null(strstr(r->str, want), "INFO has %s", want);
    snprintf(want, sizeof want, "tcp_port:%d\r\n", th_server_port(srv));
    cr_assert_not_null(strstr(r->str, want), "INFO has %s", want);
    freeReplyObject(r);

    r = th_call(c, "INFO", "server", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert(strncmp(r->str, "# Server\r\n", 10) == 0, "INFO server starts: %.20s", r->str);
    cr_assert_not_null(strstr(r->str, "redis_version:"));
    cr_assert_null(strstr(r->str, "# Clients"), "INFO server has only the server section");
    freeReplyObject(r);

    r = th_call(c, "INFO", "clients", NULL);
    cr_assert_not_null(strstr(r->str, "connected_clients:1\r\n"), "%s", r->str);
    freeReplyObject(r);

    r = th_call(c, "INFO", "nosuchsection", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert_eq(r->len, 0, "unknown section gives an empty string, got \"%s\"", r->str);
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(basics, command_introspection)
{
    srv = th_start_ok(NULL);
    redisContext *c = th_connect_ok(srv);
    long long n = th_expect_int(c, "COMMAND", "COUNT", NULL);
    cr_assert_gt(n, 10);

    redisReply *r = th_call(c, "COMMAND", "INFO", "ping", "nosuch", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 2);
    redisReply *ping = r->element[0];
    cr_assert_eq(ping->type, REDIS_REPLY_ARRAY);
    cr_assert_geq(ping->elements, 6);
    cr_assert_str_eq(ping->element[0]->str, "ping");
    cr_assert_eq(ping->element[1]->integer, -1, "ping arity");
    cr_assert_eq(r->element[1]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);

    r = th_call(c, "COMMAND", "DOCS", "echo", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 2, "COMMAND DOCS echo: name + doc map");
    cr_assert_str_eq(r->element[0]->str, "echo");
    redisReply *doc = r->element[1];
    cr_assert_eq(doc->type, REDIS_REPLY_ARRAY);
    bool has_summary = false, has_args = false;
    for (size_t i = 0; i + 1 < doc->elements; i += 2) {
        has_summary = has_summary || strcmp(doc->element[i]->str, "summary") == 0;
        has_args = has_args || strcmp(doc->element[i]->str, "arguments") == 0;
    }
    cr_assert(has_summary && has_args, "COMMAND DOCS echo has summary and arguments");
    freeReplyObject(r);

    r = th_call(c, "COMMAND", "LIST", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    /* COMMAND COUNT counts commands; COMMAND LIST adds subcommands (client|id). */
    cr_assert_geq((long long)r->elements, n, "COMMAND LIST has at least COMMAND COUNT names");
    static const char *const must[] = {"ping", "echo", "hello", "auth", "select", "quit", "reset",
                                       "client", "command", "info", "config", "dbsize", "time",
                                       "shutdown"};
    for (size_t k = 0; k < sizeof must / sizeof *must; k++) {
        bool found = false;
        for (size_t i = 0; i < r->elements && !found; i++)
            found = strcmp(r->element[i]->str, must[k]) == 0;
        cr_assert(found, "COMMAND LIST lacks %s", must[k]);
    }
    freeReplyObject(r);

    r = th_call(c, "COMMAND", NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq((long long)r->elements, n);
    freeReplyObject(r);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(basics, quit_closes)
{
    srv = th_start_ok(NULL);
    int fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, "*1\r\n$4\r\nQUIT\r\n", "+OK\r\n");
    cr_assert(th_raw_wait_closed(fd, 5000), "connection closed after QUIT");
    th_raw_close(fd);
    redisContext *c = th_connect_ok(srv);
    th_expect_status(c, "PONG", "PING", NULL);
    redisFree(c);
    TH_STOP_OK(srv);
}

Test(basics, reset_restores_defaults)
{
    srv = th_start_ok(NULL);
    int fd = th_raw_connect_ok(srv);
    th_raw_roundtrip(fd, "CLIENT SETNAME before\r\n", "+OK\r\n");
    cr_assert_eq(th_raw_send_str(fd, "HELLO 3\r\n", 5000), 0);
    char *rep = th_raw_read_reply(fd, NULL, 5000);
    cr_assert_not_null(rep);
    free(rep);
    th_raw_roundtrip(fd, "RESET\r\n", "+RESET\r\n");
    /* Back to RESP2 (null is $-1) and no name. */
    th_raw_roundtrip(fd, "CLIENT GETNAME\r\n", "$-1\r\n");
    th_raw_roundtrip(fd, "RESET extra\r\n", "-ERR wrong number of arguments for 'reset' command\r\n");
    th_raw_close(fd);
    TH_STOP_OK(srv);
}

Test(basics, shutdown_exits_zero)
{
    srv = th_start_ok(NULL);
    int fd = th_raw_connect_ok(srv);
    cr_assert_eq(th_raw_send_str(fd, "*1\r\n$8\r\nSHUTDOWN\r\n", 5000), 0);
    cr_assert(th_raw_wait_closed(fd, 30000), "SHUTDOWN closes the connection");
    th_raw_close(fd);
    int code = th_server_wait_exit(srv, 30000);
    srv = NULL;
    cr_assert_eq(code, 0, "exit status after SHUTDOWN");
}

Test(basics, sigterm_with_clients_exits_zero)
{
    srv = th_start_ok(NULL);
    int fds[8];
    for (int i = 0; i < 8; i++) {
        fds[i] = th_raw_connect_ok(srv);
        th_raw_roundtrip(fds[i], "PING\r\n", "+PONG\r\n");
    }
    /* One connection with a pipeline in flight, one with half a command. */
    char *many = malloc(14 * 1000 + 1);
    for (int i = 0; i < 1000; i++)
        memcpy(many + 14 * i, "*1\r\n$4\r\nPING\r\n", 14);
    cr_assert_eq(th_raw_send(fds[0], many, 14 * 1000, 5000), 0);
    free(many);
    cr_assert_eq(th_raw_send_str(fds[1], "*2\r\n$4\r\nECHO\r\n$10\r\nabc", 5000), 0);
    TH_STOP_OK(srv);
    for (int i = 0; i < 8; i++)
        th_raw_close(fds[i]);
}
