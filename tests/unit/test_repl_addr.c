/* Unit tests of the peer address syntax (host:port, [v6]:port). */
#include <criterion/criterion.h>
#include <string.h>

#include "repl.h"

static int parse(const char *s, struct repl_addr *a)
{
    return repl_addr_parse(s, strlen(s), a);
}

Test(repl_addr, host_and_port)
{
    struct repl_addr a;
    cr_assert_eq(parse("127.0.0.1:7000", &a), 0);
    cr_assert_str_eq(a.host, "127.0.0.1");
    cr_assert_eq(a.port, 7000);
    cr_assert_eq(parse("localhost:1", &a), 0);
    cr_assert_str_eq(a.host, "localhost");
    cr_assert_eq(a.port, 1);
}

Test(repl_addr, bracketed_ipv6)
{
    struct repl_addr a;
    cr_assert_eq(parse("[::1]:65535", &a), 0);
    cr_assert_str_eq(a.host, "::1");
    cr_assert_eq(a.port, 65535);
}

Test(repl_addr, rejects_malformed)
{
    static const char *bad[] = {
        "", "host", "host:", ":7000", "host:0", "host:65536", "host:07000", "host:-1",
        "host:+1", "host:70a", "::1:7000", "[::1:7000", "::1]:7000", "[host]:7000",
        "ho st:7000", "host\n:7000", "a@b:7000", "[]:7000", "host:123456",
    };
    struct repl_addr a;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(parse(bad[i], &a), -1, "accepted '%s'", bad[i]);
}

Test(repl_addr, embedded_nul_is_rejected)
{
    struct repl_addr a;
    cr_assert_eq(repl_addr_parse("ho\0st:7000", 10, &a), -1);
}

Test(repl_addr, format_round_trips)
{
    static const char *good[] = { "127.0.0.1:7000", "[::1]:6379", "node-a.local:1" };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct repl_addr a;
        char buf[300];
        cr_assert_eq(parse(good[i], &a), 0);
        cr_assert_eq(repl_addr_format(&a, buf, sizeof(buf)), (int)strlen(good[i]));
        cr_assert_str_eq(buf, good[i]);
    }
}

Test(repl_addr, format_reports_small_buffer)
{
    struct repl_addr a;
    char buf[8];
    cr_assert_eq(parse("127.0.0.1:7000", &a), 0);
    cr_assert_eq(repl_addr_format(&a, buf, sizeof(buf)), -1);
}
