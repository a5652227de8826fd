/* Unit tests for the configuration module: defaults, memory values, the
 * option setter, CONFIG GET / SET (every Redis 7.0 error text, atomicity,
 * change bits), redis.conf-style files, the command line and the data
 * directory. Error texts were checked against redis-server 7.0.15. */
#include <criterion/criterion.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#ifndef SWARMLOG_VERSION
#define SWARMLOG_VERSION "0.1.0"
#endif
#define FATAL_HEADER "*** FATAL CONFIG FILE ERROR (swarmlog " SWARMLOG_VERSION ") ***\n"

static struct srv_config cfg;
static char err[4096];
static char tmpdir[PATH_MAX];

static void setup(void)
{
    cr_assert_eq(srv_config_init(&cfg), 0);
    err[0] = '\0';
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/swarmlog-config-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    srv_config_free(&cfg);
    if (chdir("/") != 0)
        return;
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(config_defaults, .init = setup, .fini = teardown);
TestSuite(config_memory);
TestSuite(config_strings, .init = setup, .fini = teardown);
TestSuite(config_set, .init = setup, .fini = teardown);
TestSuite(config_get, .init = setup, .fini = teardown);
TestSuite(config_file, .init = setup, .fini = teardown);
TestSuite(config_argv, .init = setup, .fini = teardown);
TestSuite(config_finish, .init = setup, .fini = teardown);

/* ---- helpers ---- */

/* CONFIG SET with C-string pairs: set(n, "name", "value", ...). */
static int set_pairs(int *changed, int npairs, ...)
{
    const char *names[16], *values[16];
    size_t nl[16], vl[16];
    va_list ap;

    cr_assert_leq(npairs, 16);
    va_start(ap, npairs);
    for (int i = 0; i < npairs; i++) {
        names[i] = va_arg(ap, const char *);
        values[i] = va_arg(ap, const char *);
        nl[i] = strlen(names[i]);
        vl[i] = strlen(values[i]);
    }
    va_end(ap);
    return srv_config_set_pairs(&cfg, npairs, names, nl, values, vl, changed, err, sizeof(err));
}

/* Expects CONFIG SET name value to fail with exactly `want`. */
static void set_fails(const char *name, const char *value, const char *want)
{
    cr_assert_eq(set_pairs(NULL, 1, name, value), -1, "CONFIG SET %s %s succeeded", name, value);
    cr_assert_str_eq(err, want);
}

static int set_str(const char *name, int n, ...)
{
    const char *vals[32];
    va_list ap;

    va_start(ap, n);
    for (int i = 0; i < n; i++)
        vals[i] = va_arg(ap, const char *);
    va_end(ap);
    return srv_config_set_strings(&cfg, name, n, vals, err, sizeof(err));
}

struct got {
    int n;
    char names[16][64];
    char values[16][4200];
};

static void collect(void *ctx, const char *name, const char *value)
{
    struct got *g = ctx;
    cr_assert_lt(g->n, 16);
    snprintf(g->names[g->n], sizeof(g->names[0]), "%s", name);
    snprintf(g->values[g->n], sizeof(g->values[0]), "%s", value);
    g->n++;
}

/* CONFIG GET of one exact name; returns the value (static storage). */
static const char *get(const char *name)
{
    static struct got g;
    memset(&g, 0, sizeof(g));
    cr_assert_eq(srv_config_get(&cfg, name, strlen(name), collect, &g), 1, "CONFIG GET %s", name);
    cr_assert_str_eq(g.names[0], name);
    return g.values[0];
}

/* Writes text (len bytes) to tmpdir/name and returns the path (static). */
static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return path;
}

static const char *write_conf(const char *text)
{
    return write_file("test.conf", text, strlen(text));
}

static int load_argv(int argc, const char **argv)
{
    return srv_config_load_argv(&cfg, argc, (char **)argv, err, sizeof(err));
}

/* ---- defaults ---- */

Test(config_defaults, struct_holds_documented_defaults)
{
    cr_assert_eq(cfg.port, 6379);
    cr_assert_eq(cfg.nbind, 2);
    cr_assert_str_eq(cfg.bind[0], "127.0.0.1");
    cr_assert_str_eq(cfg.bind[1], "::1");
    cr_assert_str_eq(cfg.dir, "./swarmlog-data");
    cr_assert_str_eq(cfg.requirepass, "");
    cr_assert_eq(cfg.maxclients, 10000);
    cr_assert_eq(cfg.timeout, 0);
    cr_assert_eq(cfg.loglevel, SRV_LL_NOTICE);
    cr_assert_str_eq(cfg.logfile, "");
    cr_assert_eq(cfg.proto_max_bulk_len, 512LL * 1024 * 1024);
    cr_assert_eq(cfg.client_query_buffer_limit, 1024LL * 1024 * 1024);
    cr_assert_str_eq(cfg.config_file, "");
}

Test(config_defaults, config_get_star_lists_every_option_in_table_order)
{
    struct got g = { 0 };
    static const char *const names[] = { "port", "bind", "dir", "requirepass", "maxclients",
        "timeout", "loglevel", "logfile", "proto-max-bulk-len", "client-query-buffer-limit" };
    static const char *const values[] = { "6379", "127.0.0.1 ::1", "./swarmlog-data", "", "10000",
        "0", "notice", "", "536870912", "1073741824" };

    cr_assert_eq(srv_config_get(&cfg, "*", 1, collect, &g), 10);
    cr_assert_eq(g.n, 10);
    for (int i = 0; i < 10; i++) {
        cr_assert_str_eq(g.names[i], names[i]);
        cr_assert_str_eq(g.values[i], values[i], "value of %s", names[i]);
    }
}

Test(config_defaults, loglevel_names_and_invalid_levels)
{
    cr_assert_str_eq(srv_loglevel_name(SRV_LL_DEBUG), "debug");
    cr_assert_str_eq(srv_loglevel_name(SRV_LL_VERBOSE), "verbose");
    cr_assert_str_eq(srv_loglevel_name(SRV_LL_NOTICE), "notice");
    cr_assert_str_eq(srv_loglevel_name(SRV_LL_WARNING), "warning");
    cr_assert_null(srv_loglevel_name(-1));
    cr_assert_null(srv_loglevel_name(4));
}

Test(config_defaults, free_twice_is_harmless)
{
    srv_config_free(&cfg);
    srv_config_free(&cfg);
    cr_assert_eq(srv_config_init(&cfg), 0);
}

/* ---- srv_parse_memory ---- */

static long long mem_ok(const char *s)
{
    long long v = -1;
    cr_assert_eq(srv_parse_memory(s, strlen(s), &v), 0, "'%s' should parse", s);
    return v;
}

static void mem_bad(const char *s, size_t len)
{
    long long v = 12345;
    cr_assert_eq(srv_parse_memory(s, len, &v), -1, "'%.*s' should not parse", (int)len, s);
    cr_assert_eq(v, 12345, "output untouched on error");
}

Test(config_memory, plain_numbers_are_bytes)
{
    cr_assert_eq(mem_ok("0"), 0);
    cr_assert_eq(mem_ok("1024"), 1024);
    cr_assert_eq(mem_ok("001048576"), 1048576);
    cr_assert_eq(mem_ok("9223372036854775807"), LLONG_MAX);
}

Test(config_memory, units_decimal_and_binary_any_case)
{
    cr_assert_eq(mem_ok("7b"), 7);
    cr_assert_eq(mem_ok("7B"), 7);
    cr_assert_eq(mem_ok("1k"), 1000);
    cr_assert_eq(mem_ok("1kb"), 1024);
    cr_assert_eq(mem_ok("1KB"), 1024);
    cr_assert_eq(mem_ok("1m"), 1000000);
    cr_assert_eq(mem_ok("2mb"), 2097152);
    cr_assert_eq(mem_ok("2Mb"), 2097152);
    cr_assert_eq(mem_ok("1g"), 1000000000);
    cr_assert_eq(mem_ok("1gb"), 1073741824);
    cr_assert_eq(mem_ok("8589934591gb"), 8589934591LL * 1073741824LL);
}

Test(config_memory, rejects_signs_spaces_fractions_and_unknown_units)
{
    mem_bad("", 0);
    mem_bad("mb", 2);
    mem_bad("-1", 2);
    mem_bad("+1", 2);
    mem_bad(" 1", 2);
    mem_bad("1 ", 2);
    mem_bad("1 mb", 4);
    mem_bad("1.5mb", 5);
    mem_bad("0x10", 4);
    mem_bad("1tb", 3);
    mem_bad("1kbb", 4);
    mem_bad("1mb\0", 4);
    mem_bad("1\0mb", 4);
}

Test(config_memory, rejects_overflow)
{
    mem_bad("9223372036854775808", 19);
    mem_bad("18446744073709551616", 20);
    mem_bad("8589934592gb", 12);
    mem_bad("9999999999999999999999999999k", 29);
}

/* ---- srv_config_set_strings (config-file semantics) ---- */

Test(config_strings, sets_immutable_options_too)
{
    cr_assert_eq(set_str("port", 1, "7000"), 0, "%s", err);
    cr_assert_eq(cfg.port, 7000);
    cr_assert_eq(set_str("DIR", 1, "/var/lib/x"), 0, "%s", err);
    cr_assert_str_eq(cfg.dir, "/var/lib/x");
    cr_assert_eq(set_str("logfile", 1, "/tmp/x.log"), 0, "%s", err);
    cr_assert_str_eq(cfg.logfile, "/tmp/x.log");
}

Test(config_strings, unknown_directive)
{
    cr_assert_eq(set_str("nosuch", 1, "1"), -1);
    cr_assert_str_eq(err, "Bad directive or wrong number of arguments");
    cr_assert_eq(set_str("include", 1, "/etc/other.conf"), -1);
    cr_assert_str_eq(err, "Bad directive or wrong number of arguments");
}

Test(config_strings, wrong_number_of_arguments)
{
    cr_assert_eq(set_str("port", 2, "1", "2"), -1);
    cr_assert_str_eq(err, "wrong number of arguments");
    cr_assert_eq(set_str("requirepass", 0), -1);
    cr_assert_str_eq(err, "wrong number of arguments");
    cr_assert_eq(cfg.port, 6379);
}

Test(config_strings, value_errors_use_redis_texts)
{
    cr_assert_eq(set_str("port", 1, "abc"), -1);
    cr_assert_str_eq(err, "argument couldn't be parsed into an integer");
    cr_assert_eq(set_str("port", 1, "0"), -1);
    cr_assert_str_eq(err, "argument must be between 1 and 65535 inclusive");
    cr_assert_eq(set_str("port", 1, "65536"), -1);
    cr_assert_str_eq(err, "argument must be between 1 and 65535 inclusive");
    cr_assert_eq(set_str("loglevel", 1, "loud"), -1);
    cr_assert_str_eq(err, "argument(s) must be one of the following: debug, verbose, notice, warning");
    cr_assert_eq(set_str("proto-max-bulk-len", 1, "lots"), -1);
    cr_assert_str_eq(err, "argument must be a memory value");
    cr_assert_eq(cfg.port, 6379);
}

Test(config_strings, bind_takes_several_values)
{
    cr_assert_eq(set_str("bind", 3, "10.0.0.1", "10.0.0.2", "::1"), 0, "%s", err);
    cr_assert_eq(cfg.nbind, 3);
    cr_assert_str_eq(cfg.bind[0], "10.0.0.1");
    cr_assert_str_eq(cfg.bind[2], "::1");
    cr_assert_str_eq(get("bind"), "10.0.0.1 10.0.0.2 ::1");
}

Test(config_strings, bind_single_value_is_split_on_spaces)
{
    cr_assert_eq(set_str("bind", 1, "  192.168.1.1   -::* "), 0, "%s", err);
    cr_assert_eq(cfg.nbind, 2);
    cr_assert_str_eq(cfg.bind[0], "192.168.1.1");
    cr_assert_str_eq(cfg.bind[1], "-::*");
}

Test(config_strings, bind_limits)
{
    const char *a[17];
    for (int i = 0; i < 17; i++)
        a[i] = "127.0.0.1";
    cr_assert_eq(srv_config_set_strings(&cfg, "bind", 16, a, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.nbind, 16);
    cr_assert_eq(srv_config_set_strings(&cfg, "bind", 17, a, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "Too many bind addresses specified.");
    cr_assert_eq(cfg.nbind, 16, "failed set leaves the list alone");
    cr_assert_eq(set_str("bind", 1, "a b c d e f g h i j k l m n o p q"), -1);
    cr_assert_str_eq(err, "Too many bind addresses specified.");
    cr_assert_eq(set_str("bind", 1, ""), -1);
    cr_assert_str_eq(err, "at least one bind address is required");
    cr_assert_eq(set_str("bind", 0), -1);
    cr_assert_str_eq(err, "at least one bind address is required");
    cr_assert_eq(set_str("bind", 2, "127.0.0.1", ""), -1);
    cr_assert_eq(set_str("bind", 1, "'unbalanced"), -1);
    cr_assert_str_eq(err, "Unbalanced quotes in bind address list");
    cr_assert_eq(cfg.nbind, 16);
}

Test(config_strings, dir_must_not_be_empty_but_strings_may)
{
    cr_assert_eq(set_str("dir", 1, ""), -1);
    cr_assert_str_eq(err, "argument must not be empty");
    cr_assert_str_eq(cfg.dir, "./swarmlog-data");
    cr_assert_eq(set_str("requirepass", 1, "x"), 0);
    cr_assert_eq(set_str("requirepass", 1, ""), 0);
    cr_assert_str_eq(cfg.requirepass, "");
}

/* ---- CONFIG SET ---- */

Test(config_set, one_pair_changes_value_and_reports_its_bit)
{
    int changed = -1;
    cr_assert_eq(set_pairs(&changed, 1, "timeout", "30"), 0, "%s", err);
    cr_assert_eq(cfg.timeout, 30);
    cr_assert_eq(changed, SRV_CONFIG_CHANGED_TIMEOUT);
    cr_assert_str_eq(get("timeout"), "30");
}

Test(config_set, each_mutable_option_reports_its_bit)
{
    static const struct { const char *name, *value, *shown; int bit; } cases[] = {
        { "requirepass", "s3cret", "s3cret", SRV_CONFIG_CHANGED_AUTH },
        { "maxclients", "50", "50", SRV_CONFIG_CHANGED_MAXCLIENTS },
        { "timeout", "5", "5", SRV_CONFIG_CHANGED_TIMEOUT },
        { "loglevel", "DEBUG", "debug", SRV_CONFIG_CHANGED_LOG },
        { "proto-max-bulk-len", "2mb", "2097152", SRV_CONFIG_CHANGED_LIMITS },
        { "client-query-buffer-limit", "2gb", "2147483648", SRV_CONFIG_CHANGED_LIMITS },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int changed = -1;
        cr_assert_eq(set_pairs(&changed, 1, cases[i].name, cases[i].value), 0, "%s", err);
        cr_assert_eq(changed, cases[i].bit, "bit for %s", cases[i].name);
        cr_assert_str_eq(get(cases[i].name), cases[i].shown);
    }
    cr_assert_eq(cfg.loglevel, SRV_LL_DEBUG);
    cr_assert_eq(cfg.proto_max_bulk_len, 2097152);
}

Test(config_set, same_value_reports_nothing_changed)
{
    int changed = -1;
    cr_assert_eq(set_pairs(&changed, 2, "timeout", "0", "loglevel", "NOTICE"), 0, "%s", err);
    cr_assert_eq(changed, 0);
    cr_assert_eq(set_pairs(&changed, 1, "proto-max-bulk-len", "512mb"), 0, "%s", err);
    cr_assert_eq(changed, 0);
}

Test(config_set, several_pairs_apply_together)
{
    int changed = 0;
    cr_assert_eq(set_pairs(&changed, 3, "timeout", "9", "MAXCLIENTS", "77", "loglevel", "Warning"), 0,
                 "%s", err);
    cr_assert_eq(cfg.timeout, 9);
    cr_assert_eq(cfg.maxclients, 77);
    cr_assert_eq(cfg.loglevel, SRV_LL_WARNING);
    cr_assert_eq(changed, SRV_CONFIG_CHANGED_TIMEOUT | SRV_CONFIG_CHANGED_MAXCLIENTS |
                              SRV_CONFIG_CHANGED_LOG);
}

Test(config_set, unknown_option)
{
    set_fails("foo", "bar", "Unknown option or number of arguments for CONFIG SET - 'foo'");
    set_fails("time*", "1", "Unknown option or number of arguments for CONFIG SET - 'time*'");
}

Test(config_set, immutable_options_refused_whatever_the_value)
{
    static const char *const names[] = { "port", "bind", "dir", "logfile", "PORT" };
    char want[256];
    for (int i = 0; i < 5; i++) {
        snprintf(want, sizeof(want),
                 "CONFIG SET failed (possibly related to argument '%s') - can't set immutable config",
                 names[i]);
        set_fails(names[i], "abc", want);
        set_fails(names[i], "6380", want);
    }
    cr_assert_eq(cfg.port, 6379);
}

Test(config_set, not_an_integer)
{
    static const char *const bad[] = { "abc", "", "01", "+1", "-0", " 1", "1 ", "1.0", "1k",
                                       "9223372036854775808", "0x10" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        set_fails("timeout", bad[i], "CONFIG SET failed (possibly related to argument 'timeout') - "
                                     "argument couldn't be parsed into an integer");
    set_fails("maxclients", "18446744073709551615", "CONFIG SET failed (possibly related to argument "
              "'maxclients') - argument couldn't be parsed into an integer");
    cr_assert_eq(cfg.timeout, 0);
}

Test(config_set, integer_out_of_range)
{
    const char *t = "CONFIG SET failed (possibly related to argument 'timeout') - "
                    "argument must be between 0 and 2147483647 inclusive";
    const char *m = "CONFIG SET failed (possibly related to argument 'maxclients') - "
                    "argument must be between 1 and 4294967295 inclusive";
    set_fails("timeout", "-1", t);
    set_fails("timeout", "2147483648", t);
    set_fails("timeout", "-9223372036854775808", t);
    set_fails("timeout", "9223372036854775807", t);
    set_fails("maxclients", "0", m);
    set_fails("maxclients", "-1", m);
    set_fails("maxclients", "4294967296", m);
    cr_assert_eq(set_pairs(NULL, 1, "maxclients", "4294967295"), 0, "%s", err);
    cr_assert_eq(cfg.maxclients, 4294967295LL);
    cr_assert_eq(set_pairs(NULL, 1, "timeout", "2147483647"), 0, "%s", err);
}

Test(config_set, memory_values)
{
    const char *syntax = "CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
                         "argument must be a memory value";
    const char *range = "CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
                        "argument must be between 1048576 and 9223372036854775807 inclusive";
    char digits[129];

    set_fails("proto-max-bulk-len", "abc", syntax);
    set_fails("proto-max-bulk-len", "-1mb", syntax);
    set_fails("proto-max-bulk-len", "+5mb", syntax);
    set_fails("proto-max-bulk-len", "2.5mb", syntax);
    set_fails("proto-max-bulk-len", "5tb", syntax);
    set_fails("proto-max-bulk-len", "1k", range);
    set_fails("proto-max-bulk-len", "1048575", range);
    set_fails("proto-max-bulk-len", "", range);   /* Redis reads "" as 0 */
    set_fails("proto-max-bulk-len", "mb", range);
    set_fails("proto-max-bulk-len", "9223372036854775808", range);
    set_fails("proto-max-bulk-len", "18446744073709551616", range);
    set_fails("proto-max-bulk-len", "99999999999gb", range);
    memset(digits, '9', 127);
    digits[127] = '\0';
    set_fails("proto-max-bulk-len", digits, range);
    memset(digits, '9', 128);
    digits[128] = '\0';
    set_fails("proto-max-bulk-len", digits, syntax); /* Redis: 128+ digits is not a number */
    set_fails("client-query-buffer-limit", "100", "CONFIG SET failed (possibly related to argument "
              "'client-query-buffer-limit') - argument must be between 1048576 and "
              "9223372036854775807 inclusive");
    cr_assert_eq(set_pairs(NULL, 1, "proto-max-bulk-len", "1048576"), 0, "%s", err);
    cr_assert_eq(set_pairs(NULL, 1, "client-query-buffer-limit", "9223372036854775807"), 0, "%s", err);
    cr_assert_str_eq(get("proto-max-bulk-len"), "1048576");
    cr_assert_str_eq(get("client-query-buffer-limit"), "9223372036854775807");
}

Test(config_set, enum_values)
{
    set_fails("loglevel", "loud", "CONFIG SET failed (possibly related to argument 'loglevel') - "
              "argument(s) must be one of the following: debug, verbose, notice, warning");
    set_fails("loglevel", "", "CONFIG SET failed (possibly related to argument 'loglevel') - "
              "argument(s) must be one of the following: debug, verbose, notice, warning");
    cr_assert_eq(set_pairs(NULL, 1, "loglevel", "VERBOSE"), 0, "%s", err);
    cr_assert_str_eq(get("loglevel"), "verbose");
}

Test(config_set, duplicate_parameter_names_it_as_typed)
{
    cr_assert_eq(set_pairs(NULL, 2, "timeout", "1", "timeout", "2"), -1);
    cr_assert_str_eq(err, "CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter");
    cr_assert_eq(set_pairs(NULL, 2, "timeout", "1", "TimeOut", "2"), -1);
    cr_assert_str_eq(err, "CONFIG SET failed (possibly related to argument 'TimeOut') - duplicate parameter");
    cr_assert_eq(cfg.timeout, 0);
}

Test(config_set, value_errors_name_the_option_canonically)
{
    set_fails("TIMEOUT", "abc", "CONFIG SET failed (possibly related to argument 'timeout') - "
              "argument couldn't be parsed into an integer");
}

Test(config_set, first_name_error_in_argument_order_wins)
{
    cr_assert_eq(set_pairs(NULL, 3, "timeout", "1", "logfile", "x", "timeout", "2"), -1);
    cr_assert_str_eq(err, "CONFIG SET failed (possibly related to argument 'logfile') - can't set immutable config");
    cr_assert_eq(set_pairs(NULL, 3, "timeout", "1", "timeout", "2", "logfile", "x"), -1);
    cr_assert_str_eq(err, "CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter");
    cr_assert_eq(set_pairs(NULL, 2, "foo", "bar", "logfile", "x"), -1);
    cr_assert_str_eq(err, "Unknown option or number of arguments for CONFIG SET - 'foo'");
    cr_assert_eq(set_pairs(NULL, 2, "logfile", "x", "foo", "bar"), -1);
    cr_assert_str_eq(err, "CONFIG SET failed (possibly related to argument 'logfile') - can't set immutable config");
    /* Name errors come before any value is looked at. */
    cr_assert_eq(set_pairs(NULL, 2, "timeout", "abc", "nosuch", "1"), -1);
    cr_assert_str_eq(err, "Unknown option or number of arguments for CONFIG SET - 'nosuch'");
}

Test(config_set, one_bad_pair_changes_nothing)
{
    char *pass = cfg.requirepass;
    cr_assert_eq(set_pairs(NULL, 4, "requirepass", "new", "timeout", "5", "maxclients", "7",
                           "loglevel", "bad"), -1);
    cr_assert_str_eq(err, "CONFIG SET failed (possibly related to argument 'loglevel') - "
                          "argument(s) must be one of the following: debug, verbose, notice, warning");
    cr_assert_eq(cfg.requirepass, pass, "string not even reallocated");
    cr_assert_str_eq(cfg.requirepass, "");
    cr_assert_eq(cfg.timeout, 0);
    cr_assert_eq(cfg.maxclients, 10000);
    cr_assert_eq(cfg.loglevel, SRV_LL_NOTICE);
    cr_assert_eq(set_pairs(NULL, 2, "timeout", "5", "proto-max-bulk-len", "1k"), -1);
    cr_assert_eq(cfg.timeout, 0);
}

Test(config_set, untouched_strings_keep_their_pointers)
{
    char *dir = cfg.dir, *bind0 = cfg.bind[0], *logfile = cfg.logfile;
    cr_assert_eq(set_pairs(NULL, 2, "requirepass", "pw", "timeout", "3"), 0, "%s", err);
    cr_assert_eq(cfg.dir, dir);
    cr_assert_eq(cfg.bind[0], bind0);
    cr_assert_eq(cfg.logfile, logfile);
    cr_assert_str_eq(cfg.requirepass, "pw");
}

Test(config_set, requirepass_takes_any_bytes_but_nul)
{
    cr_assert_eq(set_pairs(NULL, 1, "requirepass", "a b \"c\" \xff"), 0, "%s", err);
    cr_assert_str_eq(get("requirepass"), "a b \"c\" \xff");
    const char *names[] = { "requirepass" };
    const char *values[] = { "ab\0cd" };
    size_t nl[] = { 11 }, vl[] = { 5 };
    cr_assert_eq(srv_config_set_pairs(&cfg, 1, names, nl, values, vl, NULL, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "CONFIG SET failed (possibly related to argument 'requirepass') - "
                          "argument must not contain NUL bytes");
    cr_assert_str_eq(cfg.requirepass, "a b \"c\" \xff");
}

Test(config_set, names_and_values_are_binary)
{
    /* "timeout\0x": not "timeout"; the message stops at the NUL, as Redis's %s does. */
    const char *names[] = { "timeout\0x" };
    const char *values[] = { "7" };
    size_t nl[] = { 9 }, vl[] = { 1 };
    cr_assert_eq(srv_config_set_pairs(&cfg, 1, names, nl, values, vl, NULL, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "Unknown option or number of arguments for CONFIG SET - 'timeout'");
    /* Only namelen bytes are the name. */
    const char *n2[] = { "timeoutXYZ" };
    size_t nl2[] = { 7 };
    cr_assert_eq(srv_config_set_pairs(&cfg, 1, n2, nl2, values, vl, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.timeout, 7);
    /* A NUL inside a number is not a number. */
    const char *v3[] = { "8\0" };
    size_t vl3[] = { 2 };
    cr_assert_eq(srv_config_set_pairs(&cfg, 1, n2, nl2, v3, vl3, NULL, err, sizeof(err)), -1);
    cr_assert_eq(cfg.timeout, 7);
}

Test(config_set, many_pairs_report_the_first_repeat)
{
    const char *names[40], *values[40];
    size_t nl[40], vl[40];
    for (int i = 0; i < 40; i++) {
        names[i] = i % 2 ? "maxclients" : "timeout";
        values[i] = "1";
        nl[i] = strlen(names[i]);
        vl[i] = 1;
    }
    cr_assert_eq(srv_config_set_pairs(&cfg, 40, names, nl, values, vl, NULL, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter");
    names[0] = "zzz";
    cr_assert_eq(srv_config_set_pairs(&cfg, 40, names, nl, values, vl, NULL, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "Unknown option or number of arguments for CONFIG SET - 'zzz'");
}

Test(config_set, no_pairs_is_an_arity_error)
{
    cr_assert_eq(srv_config_set_pairs(&cfg, 0, NULL, NULL, NULL, NULL, NULL, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "wrong number of arguments for 'config|set' command");
}

Test(config_set, error_text_truncates_to_the_buffer)
{
    char small[16];
    const char *names[] = { "foo" };
    const char *values[] = { "1" };
    size_t nl[] = { 3 }, vl[] = { 1 };
    cr_assert_eq(srv_config_set_pairs(&cfg, 1, names, nl, values, vl, NULL, small, sizeof(small)), -1);
    cr_assert_str_eq(small, "Unknown option ");
}

/* ---- CONFIG GET ---- */

Test(config_get, patterns_are_case_insensitive_globs)
{
    struct got g = { 0 };
    cr_assert_eq(srv_config_get(&cfg, "*MAX*", 5, collect, &g), 2);
    cr_assert_str_eq(g.names[0], "maxclients");
    cr_assert_str_eq(g.names[1], "proto-max-bulk-len");
    cr_assert_str_eq(g.values[1], "536870912");
    memset(&g, 0, sizeof(g));
    cr_assert_eq(srv_config_get(&cfg, "b[h-j]nd", 8, collect, &g), 1);
    cr_assert_str_eq(g.values[0], "127.0.0.1 ::1");
    memset(&g, 0, sizeof(g));
    cr_assert_eq(srv_config_get(&cfg, "PORT", 4, collect, &g), 1);
    cr_assert_str_eq(g.names[0], "port");
    cr_assert_eq(srv_config_get(&cfg, "?????", 5, NULL, NULL), 0);
    cr_assert_eq(srv_config_get(&cfg, "????", 4, NULL, NULL), 2);
    cr_assert_eq(srv_config_get(&cfg, "*-*", 3, NULL, NULL), 2);
}

Test(config_get, no_match_and_binary_patterns)
{
    cr_assert_eq(srv_config_get(&cfg, "nosuch", 6, collect, NULL), 0);
    cr_assert_eq(srv_config_get(&cfg, "port\0", 5, NULL, NULL), 0);
    cr_assert_eq(srv_config_get(&cfg, "portX", 4, NULL, NULL), 1);
    cr_assert_eq(srv_config_get(&cfg, "", 0, NULL, NULL), 0);
}

Test(config_get, formats_follow_redis)
{
    cr_assert_eq(set_str("bind", 3, "0.0.0.0", "::", "host.example"), 0, "%s", err);
    cr_assert_eq(set_str("proto-max-bulk-len", 1, "3MB"), 0, "%s", err);
    cr_assert_eq(set_str("loglevel", 1, "WARNING"), 0, "%s", err);
    cr_assert_str_eq(get("bind"), "0.0.0.0 :: host.example");
    cr_assert_str_eq(get("proto-max-bulk-len"), "3145728");
    cr_assert_str_eq(get("loglevel"), "warning");
    cr_assert_str_eq(get("maxclients"), "10000");
}

Test(config_get, longest_bind_list_is_not_truncated)
{
    char addr[16][256];
    const char *a[16];
    for (int i = 0; i < 16; i++) {
        memset(addr[i], 'a' + i, 255);
        addr[i][255] = '\0';
        a[i] = addr[i];
    }
    cr_assert_eq(srv_config_set_strings(&cfg, "bind", 16, a, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(strlen(get("bind")), 16 * 255 + 15);
    char longer[257];
    memset(longer, 'z', 256);
    longer[256] = '\0';
    cr_assert_eq(set_str("bind", 2, "ok", longer), -1);
    cr_assert_str_eq(err, "bind address must be 1 to 255 bytes without NUL");
}

/* ---- config files ---- */

Test(config_file, comments_blanks_case_quotes_and_spacing)
{
    const char *path = write_conf("# a comment\n"
                                  "\n"
                                  "   \t  \n"
                                  "PORT 7001\r\n"
                                  "  Timeout   42   \n"
                                  "requirepass \"sec ret\\x21\\n\"\n"
                                  "logfile '/tmp/it\\'s.log'\n"
                                  "bind 10.0.0.1 10.0.0.2\n"
                                  "   # indented comment\n"
                                  "loglevel warning\n"
                                  "proto-max-bulk-len 2mb\n"
                                  "client-query-buffer-limit 4MB\n"
                                  "maxclients 123");
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.port, 7001);
    cr_assert_eq(cfg.timeout, 42);
    cr_assert_str_eq(cfg.requirepass, "sec ret!\n");
    cr_assert_str_eq(cfg.logfile, "/tmp/it's.log");
    cr_assert_eq(cfg.nbind, 2);
    cr_assert_str_eq(cfg.bind[1], "10.0.0.2");
    cr_assert_eq(cfg.loglevel, SRV_LL_WARNING);
    cr_assert_eq(cfg.proto_max_bulk_len, 2097152);
    cr_assert_eq(cfg.client_query_buffer_limit, 4194304);
    cr_assert_eq(cfg.maxclients, 123, "last line without a newline is read");
    cr_assert_eq(cfg.config_file[0], '/');
}

Test(config_file, single_quotes_and_quoted_bind_list)
{
    const char *path = write_conf("requirepass 'it\\'s'\n"
                                  "bind \"127.0.0.1 ::1 10.1.1.1\"\n"
                                  "logfile \"\"\n");
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.requirepass, "it's");
    cr_assert_eq(cfg.nbind, 3);
    cr_assert_str_eq(cfg.bind[2], "10.1.1.1");
    cr_assert_str_eq(cfg.logfile, "");
}

Test(config_file, later_lines_win)
{
    const char *path = write_conf("timeout 1\ntimeout 2\n");
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.timeout, 2);
}

Test(config_file, empty_file_changes_nothing)
{
    const char *path = write_conf("");
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.port, 6379);
    char *real = realpath(path, NULL);
    cr_assert_str_eq(cfg.config_file, real);
    free(real);
}

/* Loads text and expects the Redis-style block for `line` at `linenum`. */
static void file_fails(const char *text, int linenum, const char *line, const char *reason)
{
    char want[8192];
    const char *path = write_conf(text);
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), -1, "loaded: %s", text);
    snprintf(want, sizeof(want),
             FATAL_HEADER "Reading the configuration file '%s', at line %d\n>>> '%s'\n%s", path,
             linenum, line, reason);
    cr_assert_str_eq(err, want);
}

Test(config_file, errors_name_file_line_and_reason)
{
    file_fails("# c\nport \"abc\"\n", 2, "port \"abc\"", "argument couldn't be parsed into an integer");
    file_fails("PORT 0 1\n", 1, "PORT 0 1", "wrong number of arguments");
    file_fails("port\n", 1, "port", "wrong number of arguments");
    file_fails("foo bar\n", 1, "foo bar", "Bad directive or wrong number of arguments");
    file_fails("port \"abc\n", 1, "port \"abc", "Unbalanced quotes in configuration line");
    file_fails("port 'ab'c\n", 1, "port 'ab'c", "Unbalanced quotes in configuration line");
    file_fails("\n  \t # x\n  loglevel  \"bad\"  \n", 3, "loglevel  \"bad\"",
               "argument(s) must be one of the following: debug, verbose, notice, warning");
    file_fails("maxclients 0\n", 1, "maxclients 0", "argument must be between 1 and 4294967295 inclusive");
    file_fails("proto-max-bulk-len 1x\n", 1, "proto-max-bulk-len 1x", "argument must be a memory value");
    file_fails("logfile\n", 1, "logfile", "wrong number of arguments");
    file_fails("include /etc/other.conf\n", 1, "include /etc/other.conf",
               "Bad directive or wrong number of arguments");
    file_fails("\"\"\n", 1, "\"\"", "Bad directive or wrong number of arguments");
}

Test(config_file, too_many_arguments_on_a_line)
{
    file_fails("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", 1,
               "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "Too many bind addresses specified.");
    file_fails("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n", 1,
               "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
               "Too many bind addresses specified.");
    file_fails("port 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n", 1,
               "port 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
               "wrong number of arguments");
}

Test(config_file, nul_bytes_in_a_value_are_refused)
{
    const char text[] = "requirepass a\0b\n";
    const char *path = write_file("nul.conf", text, sizeof(text) - 1);
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "at line 1\n"), "%s", err);
    cr_assert_not_null(strstr(err, "argument must not contain NUL bytes"), "%s", err);
    cr_assert_str_eq(cfg.requirepass, "");
}

Test(config_file, lines_before_the_error_stay_applied)
{
    const char *path = write_conf("timeout 5\nport x\ntimeout 6\n");
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), -1);
    cr_assert_eq(cfg.timeout, 5);
}

Test(config_file, missing_file_is_a_fatal_error)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), -1);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof(want), "Fatal error, can't open config file '%s': No such file or directory",
             path);
    cr_assert_str_eq(err, want);
}

Test(config_file, directory_is_not_a_config_file)
{
    cr_assert_eq(srv_config_load_file(&cfg, tmpdir, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "Fatal error, can't read config file"), "%s", err);
}

Test(config_file, oversized_file_is_refused)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/big.conf", tmpdir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, 16 * 1024 * 1024, SEEK_SET), 0);
    cr_assert_eq(fputc('\n', f), '\n');
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "16 MiB"), "%s", err);
}

/* ---- command line ---- */

Test(config_argv, no_arguments_keeps_defaults)
{
    const char *argv[] = { "swarmlog-server", NULL };
    cr_assert_eq(load_argv(1, argv), 0, "%s", err);
    cr_assert_eq(cfg.port, 6379);
    cr_assert_str_eq(cfg.config_file, "");
}

Test(config_argv, options_with_one_or_several_values)
{
    const char *argv[] = { "swarmlog-server", "--port", "7000", "--bind", "127.0.0.1", "::1", "10.0.0.9",
                           "--LogLevel", "debug", NULL };
    cr_assert_eq(load_argv(9, argv), 0, "%s", err);
    cr_assert_eq(cfg.port, 7000);
    cr_assert_eq(cfg.nbind, 3);
    cr_assert_str_eq(cfg.bind[2], "10.0.0.9");
    cr_assert_eq(cfg.loglevel, SRV_LL_DEBUG);
}

Test(config_argv, bind_list_in_one_argument_is_split)
{
    const char *argv[] = { "swarmlog-server", "--bind", "127.0.0.1 ::1", NULL };
    cr_assert_eq(load_argv(3, argv), 0, "%s", err);
    cr_assert_eq(cfg.nbind, 2);
    cr_assert_str_eq(cfg.bind[1], "::1");
}

Test(config_argv, config_file_first_then_overrides)
{
    const char *path = write_conf("timeout 77\nmaxclients 5\n");
    const char *argv[] = { "swarmlog-server", path, "--timeout", "88", "--requirepass", "-h", NULL };
    cr_assert_eq(load_argv(6, argv), 0, "%s", err);
    cr_assert_eq(cfg.timeout, 88);
    cr_assert_eq(cfg.maxclients, 5);
    cr_assert_str_eq(cfg.requirepass, "-h", "-h after argv[1] is a value");
    char *real = realpath(path, NULL);
    cr_assert_str_eq(cfg.config_file, real);
    free(real);
}

Test(config_argv, help_and_version)
{
    const char *h1[] = { "swarmlog-server", "--help", NULL };
    const char *h2[] = { "swarmlog-server", "-h", NULL };
    const char *h3[] = { "swarmlog-server", "--port", "1", "--help", NULL };
    const char *v1[] = { "swarmlog-server", "--version", NULL };
    const char *v2[] = { "swarmlog-server", "-v", NULL };
    cr_assert_eq(load_argv(2, h1), 1);
    cr_assert_eq(strncmp(err, "Usage: swarmlog-server [/path/to/swarmlog.conf] [options]", 57), 0, "%s", err);
    cr_assert_eq(load_argv(2, h2), 1);
    cr_assert_eq(load_argv(4, h3), 1);
    cr_assert_eq(cfg.port, 6379, "nothing applied before --help");
    cr_assert_eq(load_argv(2, v1), 2);
    cr_assert_str_eq(err, "swarmlog-server v=" SWARMLOG_VERSION " bits=64\n");
    cr_assert_eq(load_argv(2, v2), 2);
}

/* Runs argv and expects the command-line block. */
static void argv_fails(int argc, const char **argv, int at, const char *line, const char *reason)
{
    char want[8192];
    cr_assert_eq(load_argv(argc, argv), -1);
    snprintf(want, sizeof(want), FATAL_HEADER "Reading the command line, at argument %d\n>>> '%s'\n%s",
             at, line, reason);
    cr_assert_str_eq(err, want);
}

Test(config_argv, errors_show_the_option_as_a_config_line)
{
    const char *a1[] = { "s", "--port", "abc", NULL };
    argv_fails(3, a1, 1, "port \"abc\"", "argument couldn't be parsed into an integer");
    const char *a2[] = { "s", "--port", "7398", "--timeout", NULL };
    argv_fails(4, a2, 3, "timeout", "wrong number of arguments");
    const char *a3[] = { "s", "--port", "7398", "extra", NULL };
    argv_fails(4, a3, 1, "port \"7398\" \"extra\"", "wrong number of arguments");
    const char *a4[] = { "s", "--bogus", "1", NULL };
    argv_fails(3, a4, 1, "bogus \"1\"", "Bad directive or wrong number of arguments");
    const char *a5[] = { "s", "--timeout", "-5", NULL };
    argv_fails(3, a5, 1, "timeout \"-5\"", "argument must be between 0 and 2147483647 inclusive");
    const char *a6[] = { "s", "--loglevel", "a\"b\\\n\t\x01", NULL };
    argv_fails(3, a6, 1, "loglevel \"a\\\"b\\\\\\n\\t\\x01\"",
               "argument(s) must be one of the following: debug, verbose, notice, warning");
}

Test(config_argv, bare_value_without_option_name)
{
    const char *path = write_conf("timeout 1\n");
    const char *argv[] = { "s", path, "bogus", "x", "--port", "1", NULL };
    argv_fails(6, argv, 2, "\"bogus\" \"x\"",
               "value without an option name before it (options are written --name value)");
    cr_assert_eq(cfg.timeout, 1, "the file was loaded first");
}

Test(config_argv, config_file_errors_come_through)
{
    const char *path = write_conf("nosuchdirective yes\n");
    const char *argv[] = { "s", path, "--port", "1", NULL };
    cr_assert_eq(load_argv(4, argv), -1);
    cr_assert_not_null(strstr(err, "at line 1\n>>> 'nosuchdirective yes'\nBad directive"), "%s", err);
    cr_assert_eq(cfg.port, 6379);
    const char *missing[] = { "s", "/nonexistent/swarmlog.conf", NULL };
    cr_assert_eq(load_argv(2, missing), -1);
    cr_assert_str_eq(err, "Fatal error, can't open config file '/nonexistent/swarmlog.conf': "
                          "No such file or directory");
}

Test(config_argv, later_options_win)
{
    const char *argv[] = { "s", "--timeout", "1", "--timeout", "2", NULL };
    cr_assert_eq(load_argv(5, argv), 0, "%s", err);
    cr_assert_eq(cfg.timeout, 2);
}

/* ---- srv_config_finish ---- */

Test(config_finish, creates_missing_dirs_and_makes_the_path_absolute)
{
    char dir[PATH_MAX + 32];
    struct stat st;
    mode_t old = umask(022);
    snprintf(dir, sizeof(dir), "%s/a/b/c", tmpdir);
    cr_assert_eq(set_str("dir", 1, dir), 0, "%s", err);
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), 0, "%s", err);
    umask(old);
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0755);
    char *real = realpath(dir, NULL);
    cr_assert_str_eq(cfg.dir, real);
    cr_assert_str_eq(get("dir"), real);
    free(real);
}

Test(config_finish, relative_dir_is_resolved_against_the_cwd)
{
    char *real_tmp = realpath(tmpdir, NULL), want[PATH_MAX + 32];
    cr_assert_eq(chdir(tmpdir), 0);
    cr_assert_eq(set_str("dir", 1, "rel//data/"), 0, "%s", err);
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), 0, "%s", err);
    snprintf(want, sizeof(want), "%s/rel/data", real_tmp);
    cr_assert_str_eq(cfg.dir, want);
    free(real_tmp);
}

Test(config_finish, default_dir_is_created_in_the_cwd)
{
    char *real_tmp = realpath(tmpdir, NULL), want[PATH_MAX + 32];
    cr_assert_eq(chdir(tmpdir), 0);
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), 0, "%s", err);
    snprintf(want, sizeof(want), "%s/swarmlog-data", real_tmp);
    cr_assert_str_eq(cfg.dir, want);
    free(real_tmp);
}

Test(config_finish, existing_dir_is_fine)
{
    cr_assert_eq(set_str("dir", 1, tmpdir), 0, "%s", err);
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), 0, "finish is idempotent: %s", err);
}

Test(config_finish, a_file_is_not_a_dir)
{
    const char *path = write_conf("x");
    char want[PATH_MAX + 64];
    cr_assert_eq(set_str("dir", 1, path), 0, "%s", err);
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "dir '%s' is not a directory", path);
    cr_assert_str_eq(err, want);
}

Test(config_finish, a_file_in_the_way_stops_mkdir)
{
    char dir[PATH_MAX + 64], want[PATH_MAX + 128];
    const char *path = write_conf("x");
    snprintf(dir, sizeof(dir), "%s/sub/data", path);
    cr_assert_eq(set_str("dir", 1, dir), 0, "%s", err);
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "Can't create dir '%s/sub': Not a directory", path);
    cr_assert_str_eq(err, want);
}

Test(config_finish, unwritable_dir_is_refused)
{
    char dir[PATH_MAX + 32];
    if (geteuid() == 0)
        cr_skip_test("root can write anywhere");
    snprintf(dir, sizeof(dir), "%s/ro", tmpdir);
    cr_assert_eq(mkdir(dir, 0555), 0);
    cr_assert_eq(set_str("dir", 1, dir), 0, "%s", err);
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "is not writable"), "%s", err);
}
