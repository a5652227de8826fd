/* Unit tests for the configuration module: defaults, memory values, the
 * option setter, CONFIG GET / SET (every Redis 7.0 error text, atomicity,
 * change bits), redis.conf-style files, the command line and the data
 * directory. Error texts were checked against redis-server 7.0.15. */
#include <criterion/criterion.h>

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

/* Redis 7.0's reasons, and its CONFIG SET wrapper around them. */
#define R_INT "argument couldn't be parsed into an integer"
#define R_MEM "argument must be a memory value"
#define R_ENUM "argument(s) must be one of the following: debug, verbose, notice, warning"
#define R_IMMUTABLE "can't set immutable config"
#define R_DUP "duplicate parameter"
#define R_ARITY "wrong number of arguments"
#define R_DIRECTIVE "Bad directive or wrong number of arguments"
#define R_TOO_MANY_BIND "Too many bind addresses specified."
#define R_MEM_RANGE "argument must be between 1048576 and 9223372036854775807 inclusive"
#define SET_ERR(name, why) "CONFIG SET failed (possibly related to argument '" name "') - " why
#define UNKNOWN(name) "Unknown option or number of arguments for CONFIG SET - '" name "'"

/* call succeeds / fails with exactly the text want in err. */
#define OK(call) cr_assert_eq((call), 0, "%s: %s", #call, err)
#define FAILS(call, want)                                                   \
    do {                                                                    \
        cr_assert_eq((call), -1, "%s succeeded", #call);                    \
        cr_assert_str_eq(err, want);                                        \
    } while (0)

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
TestSuite(config_memory, .init = setup, .fini = teardown);
TestSuite(config_strings, .init = setup, .fini = teardown);
TestSuite(config_set, .init = setup, .fini = teardown);
TestSuite(config_get, .init = setup, .fini = teardown);
TestSuite(config_file, .init = setup, .fini = teardown);
TestSuite(config_argv, .init = setup, .fini = teardown);
TestSuite(config_finish, .init = setup, .fini = teardown);

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

#define SET_FAILS(name, value, want) FAILS(set_pairs(NULL, 1, name, value), want)

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

/* srv_config_load_argv on a NULL-terminated argv: RUN("--port", "1"). */
static int run_argv(const char *const *argv)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    return srv_config_load_argv(&cfg, argc, (char **)argv, err, sizeof(err));
}
#define RUN(...) run_argv((const char *const[]){ "swarmlog-server", __VA_ARGS__, NULL })

/* ---- defaults ---- */

Test(config_defaults, struct_holds_documented_defaults)
{
    cr_assert(cfg.port == 6379 && cfg.maxclients == 10000 && cfg.timeout == 0);
    cr_assert(cfg.nbind == 2 && strcmp(cfg.bind[0], "127.0.0.1") == 0 && strcmp(cfg.bind[1], "::1") == 0);
    cr_assert_str_eq(cfg.dir, "./swarmlog-data");
    cr_assert(cfg.requirepass[0] == '\0' && cfg.logfile[0] == '\0' && cfg.config_file[0] == '\0');
    cr_assert_eq(cfg.loglevel, SRV_LL_NOTICE);
    cr_assert(cfg.proto_max_bulk_len == 512LL << 20 && cfg.client_query_buffer_limit == 1LL << 30);
    srv_config_free(&cfg);
    srv_config_free(&cfg); /* freeing twice is harmless */
    cr_assert_eq(srv_config_init(&cfg), 0);
}

Test(config_defaults, config_get_star_lists_every_option_in_table_order)
{
    struct got g = { 0 };
    static const char *const names[] = { "port", "bind", "dir", "requirepass", "peer-password",
        "peer-startup-wait", "maxclients", "timeout", "loglevel", "logfile", "proto-max-bulk-len",
        "client-query-buffer-limit", "durability" };
    static const char *const values[] = { "6379", "127.0.0.1 ::1", "./swarmlog-data", "", "", "2000", "10000",
        "0", "notice", "", "536870912", "1073741824", "strict" };

    cr_assert_eq(srv_config_get(&cfg, "*", 1, collect, &g), 13);
    cr_assert_eq(g.n, 13);
    for (int i = 0; i < 13; i++) {
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
    cr_assert(srv_loglevel_name(-1) == NULL && srv_loglevel_name(4) == NULL);
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

Test(config_memory, plain_bytes_and_units_decimal_and_binary_any_case)
{
    static const struct { const char *s; long long v; } cases[] = {
        { "0", 0 }, { "1024", 1024 }, { "001048576", 1048576 }, { "9223372036854775807", LLONG_MAX },
        { "7b", 7 }, { "7B", 7 }, { "1k", 1000 }, { "1kb", 1024 }, { "1KB", 1024 },
        { "1m", 1000000 }, { "2mb", 2097152 }, { "2Mb", 2097152 }, { "1g", 1000000000 },
        { "1gb", 1073741824 }, { "8589934591gb", 8589934591LL * 1073741824LL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(mem_ok(cases[i].s), cases[i].v, "%s", cases[i].s);
}

Test(config_memory, rejects_signs_spaces_fractions_and_unknown_units)
{
    static const char *const bad[] = { "", "mb", "-1", "+1", " 1", "1 ", "1 mb", "1.5mb", "0x10",
                                       "1tb", "1kbb" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        mem_bad(bad[i], strlen(bad[i]));
    mem_bad("1mb\0", 4);
    mem_bad("1\0mb", 4);
}

Test(config_memory, rejects_overflow)
{
    static const char *const bad[] = { "9223372036854775808", "18446744073709551616", "8589934592gb",
                                       "9999999999999999999999999999k" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        mem_bad(bad[i], strlen(bad[i]));
}

/* ---- srv_config_set_strings (config-file semantics) ---- */

Test(config_strings, sets_immutable_options_and_empty_strings_but_no_empty_dir)
{
    OK(set_str("port", 1, "7000"));
    OK(set_str("DIR", 1, "/var/lib/x"));
    OK(set_str("logfile", 1, "/tmp/x.log"));
    cr_assert(cfg.port == 7000 && strcmp(cfg.dir, "/var/lib/x") == 0);
    cr_assert_str_eq(cfg.logfile, "/tmp/x.log");
    FAILS(set_str("dir", 1, ""), "argument must not be empty");
    cr_assert_str_eq(cfg.dir, "/var/lib/x");
    OK(set_str("requirepass", 1, "x"));
    OK(set_str("requirepass", 1, ""));
    cr_assert_str_eq(cfg.requirepass, "");
}

Test(config_strings, unknown_directive_and_wrong_arity)
{
    FAILS(set_str("nosuch", 1, "1"), R_DIRECTIVE);
    FAILS(set_str("include", 1, "/etc/other.conf"), R_DIRECTIVE);
    FAILS(set_str("port", 2, "1", "2"), R_ARITY);
    FAILS(set_str("requirepass", 0), R_ARITY);
    cr_assert_eq(cfg.port, 6379);
}

Test(config_strings, value_errors_use_redis_texts)
{
    FAILS(set_str("port", 1, "abc"), R_INT);
    FAILS(set_str("port", 1, "0"), "argument must be between 1 and 65535 inclusive");
    FAILS(set_str("port", 1, "65536"), "argument must be between 1 and 65535 inclusive");
    FAILS(set_str("loglevel", 1, "loud"), R_ENUM);
    FAILS(set_str("proto-max-bulk-len", 1, "lots"), R_MEM);
    cr_assert_eq(cfg.port, 6379);
}

Test(config_strings, bind_takes_several_values_or_one_to_split)
{
    OK(set_str("bind", 3, "10.0.0.1", "10.0.0.2", "::1"));
    cr_assert_eq(cfg.nbind, 3);
    cr_assert_str_eq(get("bind"), "10.0.0.1 10.0.0.2 ::1");
    OK(set_str("bind", 1, "  192.168.1.1   -::* "));
    cr_assert_eq(cfg.nbind, 2);
    cr_assert(strcmp(cfg.bind[0], "192.168.1.1") == 0 && strcmp(cfg.bind[1], "-::*") == 0);
}

Test(config_strings, bind_limits)
{
    const char *a[17];
    for (int i = 0; i < 17; i++)
        a[i] = "127.0.0.1";
    OK(srv_config_set_strings(&cfg, "bind", 16, a, err, sizeof(err)));
    cr_assert_eq(cfg.nbind, 16);
    FAILS(srv_config_set_strings(&cfg, "bind", 17, a, err, sizeof(err)), R_TOO_MANY_BIND);
    FAILS(set_str("bind", 1, "a b c d e f g h i j k l m n o p q"), R_TOO_MANY_BIND);
    FAILS(set_str("bind", 1, ""), "at least one bind address is required");
    FAILS(set_str("bind", 0), "at least one bind address is required");
    FAILS(set_str("bind", 2, "127.0.0.1", ""), "bind address must be 1 to 255 bytes without NUL");
    FAILS(set_str("bind", 1, "'unbalanced"), "Unbalanced quotes in bind address list");
    cr_assert_eq(cfg.nbind, 16, "failed sets leave the list alone");
}

/* ---- CONFIG SET ---- */

Test(config_set, each_mutable_option_changes_and_reports_its_bit)
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
        OK(set_pairs(&changed, 1, cases[i].name, cases[i].value));
        cr_assert_eq(changed, cases[i].bit, "bit for %s", cases[i].name);
        cr_assert_str_eq(get(cases[i].name), cases[i].shown);
    }
    cr_assert_eq(cfg.timeout, 5);
    cr_assert_eq(cfg.loglevel, SRV_LL_DEBUG);
    cr_assert_eq(cfg.proto_max_bulk_len, 2097152);
}

Test(config_set, several_pairs_apply_together_and_only_real_changes_count)
{
    int changed = 0;
    OK(set_pairs(&changed, 3, "timeout", "9", "MAXCLIENTS", "77", "loglevel", "Warning"));
    cr_assert(cfg.timeout == 9 && cfg.maxclients == 77 && cfg.loglevel == SRV_LL_WARNING);
    cr_assert_eq(changed,
                 SRV_CONFIG_CHANGED_TIMEOUT | SRV_CONFIG_CHANGED_MAXCLIENTS | SRV_CONFIG_CHANGED_LOG);
    OK(set_pairs(&changed, 3, "timeout", "9", "loglevel", "WARNING", "proto-max-bulk-len", "512mb"));
    cr_assert_eq(changed, 0);
}

Test(config_set, immutable_options_refused_whatever_the_value)
{
    SET_FAILS("port", "abc", SET_ERR("port", R_IMMUTABLE));
    SET_FAILS("port", "6380", SET_ERR("port", R_IMMUTABLE));
    SET_FAILS("PORT", "6380", SET_ERR("PORT", R_IMMUTABLE));
    SET_FAILS("bind", "0.0.0.0", SET_ERR("bind", R_IMMUTABLE));
    SET_FAILS("dir", "/tmp", SET_ERR("dir", R_IMMUTABLE));
    SET_FAILS("logfile", "x", SET_ERR("logfile", R_IMMUTABLE));
    cr_assert_eq(cfg.port, 6379);
}

Test(config_set, not_an_integer)
{
    static const char *const bad[] = { "abc", "", "01", "+1", "-0", " 1", "1 ", "1.0", "1k",
                                       "9223372036854775808", "0x10" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        SET_FAILS("timeout", bad[i], SET_ERR("timeout", R_INT));
    SET_FAILS("maxclients", "18446744073709551615", SET_ERR("maxclients", R_INT));
    cr_assert_eq(cfg.timeout, 0);
}

Test(config_set, integer_out_of_range)
{
#define T_RANGE SET_ERR("timeout", "argument must be between 0 and 2147483647 inclusive")
#define M_RANGE SET_ERR("maxclients", "argument must be between 1 and 4294967295 inclusive")
    static const char *const t_bad[] = { "-1", "2147483648", "-9223372036854775808", "9223372036854775807" };
    static const char *const m_bad[] = { "0", "-1", "4294967296" };
    for (size_t i = 0; i < 4; i++)
        SET_FAILS("timeout", t_bad[i], T_RANGE);
    for (size_t i = 0; i < 3; i++)
        SET_FAILS("maxclients", m_bad[i], M_RANGE);
    OK(set_pairs(NULL, 1, "maxclients", "4294967295"));
    cr_assert_eq(cfg.maxclients, 4294967295LL);
    OK(set_pairs(NULL, 1, "timeout", "2147483647"));
}

Test(config_set, memory_values)
{
#define P_MEM SET_ERR("proto-max-bulk-len", R_MEM)
#define P_RANGE SET_ERR("proto-max-bulk-len", R_MEM_RANGE)
    static const char *const syntax[] = { "abc", "-1mb", "+5mb", "2.5mb", "5tb", " 2mb" };
    /* Redis reads "" and "mb" as 0, and reports overflow as a range error. */
    static const char *const range[] = { "1k", "1048575", "", "mb", "9223372036854775808",
                                         "18446744073709551616", "99999999999gb" };
    char digits[129];

    for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
        SET_FAILS("proto-max-bulk-len", syntax[i], P_MEM);
    for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++)
        SET_FAILS("proto-max-bulk-len", range[i], P_RANGE);
    memset(digits, '9', 127);
    digits[127] = '\0';
    SET_FAILS("proto-max-bulk-len", digits, P_RANGE);
    memset(digits, '9', 128);
    digits[128] = '\0';
    SET_FAILS("proto-max-bulk-len", digits, P_MEM); /* Redis: 128+ digits is not a number */
    SET_FAILS("client-query-buffer-limit", "100", SET_ERR("client-query-buffer-limit", R_MEM_RANGE));
    OK(set_pairs(NULL, 1, "proto-max-bulk-len", "1048576"));
    OK(set_pairs(NULL, 1, "client-query-buffer-limit", "9223372036854775807"));
    cr_assert_str_eq(get("proto-max-bulk-len"), "1048576");
    cr_assert_str_eq(get("client-query-buffer-limit"), "9223372036854775807");
}

Test(config_set, enum_values)
{
    SET_FAILS("loglevel", "loud", SET_ERR("loglevel", R_ENUM));
    SET_FAILS("loglevel", "", SET_ERR("loglevel", R_ENUM));
    OK(set_pairs(NULL, 1, "loglevel", "VERBOSE"));
    cr_assert_str_eq(get("loglevel"), "verbose");
}

Test(config_set, duplicate_names_it_as_typed_but_value_errors_canonically)
{
    FAILS(set_pairs(NULL, 2, "timeout", "1", "timeout", "2"), SET_ERR("timeout", R_DUP));
    FAILS(set_pairs(NULL, 2, "timeout", "1", "TimeOut", "2"), SET_ERR("TimeOut", R_DUP));
    SET_FAILS("TIMEOUT", "abc", SET_ERR("timeout", R_INT));
    cr_assert_eq(cfg.timeout, 0);
}

Test(config_set, unknown_option_and_first_name_error_in_argument_order_wins)
{
    SET_FAILS("foo", "bar", UNKNOWN("foo"));
    SET_FAILS("time*", "1", UNKNOWN("time*"));
    FAILS(set_pairs(NULL, 3, "timeout", "1", "logfile", "x", "timeout", "2"),
          SET_ERR("logfile", R_IMMUTABLE));
    FAILS(set_pairs(NULL, 3, "timeout", "1", "timeout", "2", "logfile", "x"), SET_ERR("timeout", R_DUP));
    FAILS(set_pairs(NULL, 2, "foo", "bar", "logfile", "x"), UNKNOWN("foo"));
    FAILS(set_pairs(NULL, 2, "logfile", "x", "foo", "bar"), SET_ERR("logfile", R_IMMUTABLE));
    /* Names are all checked before any value is looked at. */
    FAILS(set_pairs(NULL, 2, "timeout", "abc", "nosuch", "1"), UNKNOWN("nosuch"));
}

Test(config_set, one_bad_pair_changes_nothing)
{
    char *pass = cfg.requirepass;
    FAILS(set_pairs(NULL, 4, "requirepass", "new", "timeout", "5", "maxclients", "7", "loglevel", "bad"),
          SET_ERR("loglevel", R_ENUM));
    cr_assert_eq(cfg.requirepass, pass, "string not even reallocated");
    cr_assert_str_eq(cfg.requirepass, "");
    cr_assert_eq(cfg.timeout, 0);
    cr_assert_eq(cfg.maxclients, 10000);
    cr_assert_eq(cfg.loglevel, SRV_LL_NOTICE);
    FAILS(set_pairs(NULL, 2, "timeout", "5", "proto-max-bulk-len", "1k"), P_RANGE);
    cr_assert_eq(cfg.timeout, 0);
}

Test(config_set, untouched_strings_keep_their_pointers)
{
    char *dir = cfg.dir, *bind0 = cfg.bind[0], *logfile = cfg.logfile;
    OK(set_pairs(NULL, 2, "requirepass", "pw", "timeout", "3"));
    cr_assert_eq(cfg.dir, dir);
    cr_assert_eq(cfg.bind[0], bind0);
    cr_assert_eq(cfg.logfile, logfile);
    cr_assert_str_eq(cfg.requirepass, "pw");
}

/* CONFIG SET with one explicit-length pair. */
static int set_bin(const char *name, size_t nl, const char *value, size_t vl)
{
    return srv_config_set_pairs(&cfg, 1, &name, &nl, &value, &vl, NULL, err, sizeof(err));
}

Test(config_set, names_and_values_are_binary_but_strings_refuse_nul)
{
    OK(set_pairs(NULL, 1, "requirepass", "a b \"c\" \xff"));
    cr_assert_str_eq(get("requirepass"), "a b \"c\" \xff");
    FAILS(set_bin("requirepass", 11, "ab\0cd", 5),
          SET_ERR("requirepass", "argument must not contain NUL bytes"));
    cr_assert_str_eq(cfg.requirepass, "a b \"c\" \xff");
    /* "timeout\0x" is not "timeout"; the text stops at the NUL, as Redis's %s does. */
    FAILS(set_bin("timeout\0x", 9, "7", 1), UNKNOWN("timeout"));
    OK(set_bin("timeoutXYZ", 7, "7", 1)); /* only namelen bytes are the name */
    cr_assert_eq(cfg.timeout, 7);
    FAILS(set_bin("timeout", 7, "8\0", 2), SET_ERR("timeout", R_INT));
    cr_assert_eq(cfg.timeout, 7);
}

Test(config_set, many_pairs_report_the_first_bad_name)
{
    const char *names[40], *values[40];
    size_t nl[40], vl[40];
    for (int i = 0; i < 40; i++) {
        names[i] = i % 2 ? "maxclients" : "timeout";
        values[i] = "1";
        nl[i] = strlen(names[i]);
        vl[i] = 1;
    }
    FAILS(srv_config_set_pairs(&cfg, 40, names, nl, values, vl, NULL, err, sizeof(err)),
          SET_ERR("timeout", R_DUP));
    names[0] = "zzz";
    FAILS(srv_config_set_pairs(&cfg, 40, names, nl, values, vl, NULL, err, sizeof(err)), UNKNOWN("zzz"));
}

Test(config_set, no_pairs_is_an_arity_error_and_errors_truncate)
{
    char small[16];
    FAILS(srv_config_set_pairs(&cfg, 0, NULL, NULL, NULL, NULL, NULL, err, sizeof(err)),
          "wrong number of arguments for 'config|set' command");
    const char *name = "foo", *value = "1";
    size_t nl = 3, vl = 1;
    cr_assert_eq(srv_config_set_pairs(&cfg, 1, &name, &nl, &value, &vl, NULL, small, sizeof(small)), -1);
    cr_assert_str_eq(small, "Unknown option ");
}

/* ---- CONFIG GET ---- */

Test(config_get, patterns_are_case_insensitive_globs)
{
#define COUNT(pattern) srv_config_get(&cfg, pattern, sizeof(pattern) - 1, NULL, NULL)
    struct got g = { 0 };
    cr_assert_eq(srv_config_get(&cfg, "*MAX*", 5, collect, &g), 2);
    cr_assert_str_eq(g.names[0], "maxclients");
    cr_assert_str_eq(g.names[1], "proto-max-bulk-len");
    cr_assert_str_eq(g.values[1], "536870912");
    memset(&g, 0, sizeof(g));
    cr_assert(srv_config_get(&cfg, "PORT", 4, collect, &g) == 1 && strcmp(g.names[0], "port") == 0);
    cr_assert(COUNT("b[h-j]nd") == 1 && COUNT("?????") == 0 && COUNT("????") == 2 && COUNT("*-*") == 4);
    cr_assert(COUNT("nosuch") == 0 && COUNT("") == 0);
    cr_assert_eq(COUNT("port\0"), 0);
    cr_assert_eq(srv_config_get(&cfg, "portX", 4, NULL, NULL), 1);
}

Test(config_get, formats_follow_redis)
{
    OK(set_str("bind", 3, "0.0.0.0", "::", "host.example"));
    OK(set_str("proto-max-bulk-len", 1, "3MB"));
    OK(set_str("loglevel", 1, "WARNING"));
    cr_assert_str_eq(get("bind"), "0.0.0.0 :: host.example");
    cr_assert_str_eq(get("proto-max-bulk-len"), "3145728");
    cr_assert_str_eq(get("loglevel"), "warning");
    cr_assert_str_eq(get("maxclients"), "10000");
}

Test(config_get, longest_bind_list_is_not_truncated)
{
    char addr[16][257];
    const char *a[16];
    for (int i = 0; i < 16; i++) {
        memset(addr[i], 'a' + i, 255);
        addr[i][255] = '\0';
        a[i] = addr[i];
    }
    OK(srv_config_set_strings(&cfg, "bind", 16, a, err, sizeof(err)));
    cr_assert_eq(strlen(get("bind")), 16 * 255 + 15);
    memset(addr[1], 'z', 256);
    addr[1][256] = '\0';
    FAILS(srv_config_set_strings(&cfg, "bind", 2, a, err, sizeof(err)),
          "bind address must be 1 to 255 bytes without NUL");
}

/* ---- config files ---- */

Test(config_file, comments_blanks_case_quotes_and_spacing)
{
    const char *path = write_conf("# a comment\n\n   \t  \n"
                                  "PORT 7001\r\n"
                                  "  Timeout   42   \n"
                                  "timeout 43\n"
                                  "requirepass \"sec ret\\x21\\n\"\n"
                                  "logfile '/tmp/it\\'s.log'\n"
                                  "bind 10.0.0.1 10.0.0.2\n"
                                  "BIND \"127.0.0.1 ::1 10.1.1.1\"\n"
                                  "   # indented comment\n"
                                  "loglevel warning\n"
                                  "proto-max-bulk-len 2mb\n"
                                  "client-query-buffer-limit 4MB\n"
                                  "maxclients 123");
    OK(srv_config_load_file(&cfg, path, err, sizeof(err)));
    cr_assert_eq(cfg.port, 7001);
    cr_assert_eq(cfg.timeout, 43, "later lines win");
    cr_assert_str_eq(cfg.requirepass, "sec ret!\n");
    cr_assert_str_eq(cfg.logfile, "/tmp/it's.log");
    cr_assert_eq(cfg.nbind, 3, "a quoted bind list is split");
    cr_assert_str_eq(cfg.bind[2], "10.1.1.1");
    cr_assert_eq(cfg.loglevel, SRV_LL_WARNING);
    cr_assert_eq(cfg.proto_max_bulk_len, 2097152);
    cr_assert_eq(cfg.client_query_buffer_limit, 4194304);
    cr_assert_eq(cfg.maxclients, 123, "last line without a newline is read");
    char *real = realpath(path, NULL);
    cr_assert_str_eq(cfg.config_file, real);
    free(real);
}

Test(config_file, empty_file_and_empty_quoted_values)
{
    OK(srv_config_load_file(&cfg, write_conf(""), err, sizeof(err)));
    cr_assert_eq(cfg.port, 6379);
    OK(set_str("logfile", 1, "x"));
    OK(srv_config_load_file(&cfg, write_conf("logfile \"\"\nrequirepass ''\n"), err, sizeof(err)));
    cr_assert(cfg.logfile[0] == '\0' && cfg.requirepass[0] == '\0');
}

/* Loads text and expects the Redis-style block for `line` at `linenum`. */
static void file_fails(const char *text, int linenum, const char *line, const char *reason)
{
    char want[8192];
    const char *path = write_conf(text);
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), -1, "loaded: %s", text);
    snprintf(want, sizeof(want), FATAL_HEADER "Reading the configuration file '%s', at line %d\n>>> '%s'\n%s",
             path, linenum, line, reason);
    cr_assert_str_eq(err, want);
}

Test(config_file, errors_name_file_line_and_reason)
{
    file_fails("# c\nport \"abc\"\n", 2, "port \"abc\"", R_INT);
    file_fails("PORT 0 1\n", 1, "PORT 0 1", R_ARITY);
    file_fails("port\n", 1, "port", R_ARITY);
    file_fails("logfile\n", 1, "logfile", R_ARITY);
    file_fails("foo bar\n", 1, "foo bar", R_DIRECTIVE);
    file_fails("include /etc/other.conf\n", 1, "include /etc/other.conf", R_DIRECTIVE);
    file_fails("\"\"\n", 1, "\"\"", R_DIRECTIVE);
    file_fails("port \"abc\n", 1, "port \"abc", "Unbalanced quotes in configuration line");
    file_fails("port 'ab'c\n", 1, "port 'ab'c", "Unbalanced quotes in configuration line");
    file_fails("\n  \t # x\n  loglevel  \"bad\"  \n", 3, "loglevel  \"bad\"", R_ENUM);
    file_fails("maxclients 0\n", 1, "maxclients 0", "argument must be between 1 and 4294967295 inclusive");
    file_fails("proto-max-bulk-len 1x\n", 1, "proto-max-bulk-len 1x", R_MEM);
    file_fails("timeout 5\nport x\ntimeout 6\n", 2, "port x", R_INT);
    cr_assert_eq(cfg.timeout, 5, "lines before the error stay applied");
}

Test(config_file, too_many_arguments_on_a_line)
{
    file_fails("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", 1,
               "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", R_TOO_MANY_BIND);
    file_fails("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n", 1,
               "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22", R_TOO_MANY_BIND);
    file_fails("port 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n", 1,
               "port 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22", R_ARITY);
}

Test(config_file, nul_byte_in_a_value_is_refused)
{
    const char text[] = "requirepass a\0b\n";
    const char *path = write_file("nul.conf", text, sizeof(text) - 1);
    cr_assert_eq(srv_config_load_file(&cfg, path, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "at line 1\n"), "%s", err);
    cr_assert_not_null(strstr(err, "argument must not contain NUL bytes"), "%s", err);
    cr_assert_str_eq(cfg.requirepass, "");
}

Test(config_file, unreadable_files_are_fatal_errors)
{
    char path[PATH_MAX + 32], want[PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
    snprintf(want, sizeof(want), "Fatal error, can't open config file '%s': No such file or directory", path);
    FAILS(srv_config_load_file(&cfg, path, err, sizeof(err)), want);
    cr_assert_eq(srv_config_load_file(&cfg, tmpdir, err, sizeof(err)), -1, "a directory");
    cr_assert_not_null(strstr(err, "Fatal error, can't read config file"), "%s", err);
    /* A sparse file just over 16 MiB. */
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

Test(config_argv, options_with_none_one_or_several_values)
{
    OK(run_argv((const char *const[]){ "swarmlog-server", NULL }));
    cr_assert(cfg.port == 6379 && cfg.config_file[0] == '\0');
    OK(RUN("--port", "7000", "--bind", "127.0.0.1", "::1", "10.0.0.9", "--LogLevel", "debug", "--timeout",
           "1", "--timeout", "2"));
    cr_assert_eq(cfg.port, 7000);
    cr_assert_eq(cfg.nbind, 3);
    cr_assert_str_eq(cfg.bind[2], "10.0.0.9");
    cr_assert_eq(cfg.loglevel, SRV_LL_DEBUG);
    cr_assert_eq(cfg.timeout, 2, "later options win");
    OK(RUN("--bind", "127.0.0.1 ::1"));
    cr_assert_eq(cfg.nbind, 2, "a bind list in one argument is split");
}

Test(config_argv, config_file_first_then_overrides)
{
    const char *path = write_conf("timeout 77\nmaxclients 5\n");
    OK(RUN(path, "--timeout", "88", "--requirepass", "-h"));
    cr_assert_eq(cfg.timeout, 88);
    cr_assert_eq(cfg.maxclients, 5);
    cr_assert_str_eq(cfg.requirepass, "-h", "-h after argv[1] is a value");
    cr_assert_eq(cfg.config_file[0], '/');
}

Test(config_argv, help_and_version)
{
    cr_assert_eq(RUN("--help"), 1);
    cr_assert_eq(strncmp(err, "Usage: swarmlog-server [/path/to/swarmlog.conf] [options]", 57), 0, "%s", err);
    cr_assert_eq(RUN("-h"), 1);
    cr_assert_eq(RUN("--port", "1", "--help"), 1);
    cr_assert_eq(cfg.port, 6379, "nothing applied before --help");
    cr_assert_eq(RUN("--version"), 2);
    cr_assert_str_eq(err, "swarmlog-server v=" SWARMLOG_VERSION " bits=64\n");
    cr_assert_eq(RUN("-v"), 2);
}

/* Expects the command-line block after a failed run_argv(). */
#define ARGV_FAILS(at, line, reason, ...) argv_fails(RUN(__VA_ARGS__), at, line, reason)
static void argv_fails(int rc, int at, const char *line, const char *reason)
{
    char want[8192];
    cr_assert_eq(rc, -1);
    snprintf(want, sizeof(want), FATAL_HEADER "Reading the command line, at argument %d\n>>> '%s'\n%s", at,
             line, reason);
    cr_assert_str_eq(err, want);
}

Test(config_argv, errors_show_the_option_as_a_config_line)
{
    ARGV_FAILS(1, "port \"abc\"", R_INT, "--port", "abc");
    ARGV_FAILS(3, "timeout", R_ARITY, "--port", "7398", "--timeout");
    ARGV_FAILS(1, "port \"7398\" \"extra\"", R_ARITY, "--port", "7398", "extra");
    ARGV_FAILS(1, "bogus \"1\"", R_DIRECTIVE, "--bogus", "1");
    ARGV_FAILS(1, "timeout \"-5\"", "argument must be between 0 and 2147483647 inclusive", "--timeout", "-5");
    ARGV_FAILS(1, "loglevel \"a\\\"b\\\\\\n\\t\\x01\"", R_ENUM, "--loglevel", "a\"b\\\n\t\x01");
}

Test(config_argv, bare_value_without_option_name)
{
    ARGV_FAILS(2, "\"bogus\" \"x\"",
               "value without an option name before it (options are written --name value)",
               write_conf("timeout 1\n"), "bogus", "x", "--port", "1");
    cr_assert_eq(cfg.timeout, 1, "the file was loaded first");
}

Test(config_argv, config_file_errors_come_through)
{
    cr_assert_eq(RUN(write_conf("nosuchdirective yes\n"), "--port", "1"), -1);
    cr_assert_not_null(strstr(err, "at line 1\n>>> 'nosuchdirective yes'\nBad directive"), "%s", err);
    cr_assert_eq(cfg.port, 6379);
    FAILS(RUN("/nonexistent/swarmlog.conf"),
          "Fatal error, can't open config file '/nonexistent/swarmlog.conf': No such file or directory");
}

/* ---- srv_config_finish ---- */

Test(config_finish, creates_missing_dirs_and_makes_the_path_absolute)
{
    char dir[PATH_MAX + 32];
    struct stat st;
    mode_t old = umask(022);
    snprintf(dir, sizeof(dir), "%s/a/b/c", tmpdir);
    OK(set_str("dir", 1, dir));
    OK(srv_config_finish(&cfg, err, sizeof(err)));
    umask(old);
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0755);
    char *real = realpath(dir, NULL);
    cr_assert_str_eq(cfg.dir, real);
    cr_assert_str_eq(get("dir"), real);
    free(real);
    OK(srv_config_finish(&cfg, err, sizeof(err))); /* idempotent; existing dirs are fine */
}

Test(config_finish, relative_dirs_resolve_against_the_cwd)
{
    char *real_tmp = realpath(tmpdir, NULL), want[PATH_MAX + 32];
    cr_assert_eq(chdir(tmpdir), 0);
    OK(srv_config_finish(&cfg, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s/swarmlog-data", real_tmp);
    cr_assert_str_eq(cfg.dir, want, "the default");
    OK(set_str("dir", 1, "rel//data/"));
    OK(srv_config_finish(&cfg, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s/rel/data", real_tmp);
    cr_assert_str_eq(cfg.dir, want);
    free(real_tmp);
}

Test(config_finish, files_in_the_way_are_errors)
{
    char dir[PATH_MAX + 64], want[PATH_MAX + 128];
    const char *path = write_conf("x");
    OK(set_str("dir", 1, path));
    snprintf(want, sizeof(want), "dir '%s' is not a directory", path);
    FAILS(srv_config_finish(&cfg, err, sizeof(err)), want);
    snprintf(dir, sizeof(dir), "%s/sub/data", path);
    OK(set_str("dir", 1, dir));
    snprintf(want, sizeof(want), "Can't create dir '%s/sub': Not a directory", path);
    FAILS(srv_config_finish(&cfg, err, sizeof(err)), want);
}

Test(config_finish, unwritable_dir_is_refused)
{
    char dir[PATH_MAX + 32];
    if (geteuid() == 0)
        cr_skip_test("root can write anywhere");
    snprintf(dir, sizeof(dir), "%s/ro", tmpdir);
    cr_assert_eq(mkdir(dir, 0555), 0);
    OK(set_str("dir", 1, dir));
    cr_assert_eq(srv_config_finish(&cfg, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "is not writable: Permission denied"), "%s", err);
}

Test(config_argv, peer_is_repeatable_in_files_and_flags)
{
    const char *path = write_conf("peer 127.0.0.1:7001\npeer [::1]:7002 localhost:7003\n");
    cr_assert_not_null(path);
    cr_assert_eq(RUN(path, "--peer", "10.0.0.9:6379"), 0, "%s", err);
    cr_assert_eq(cfg.npeers, 4);
    cr_assert_str_eq(cfg.peers[0], "127.0.0.1:7001");
    cr_assert_str_eq(cfg.peers[1], "[::1]:7002");
    cr_assert_str_eq(cfg.peers[2], "localhost:7003");
    cr_assert_str_eq(cfg.peers[3], "10.0.0.9:6379");
    cr_assert_eq(RUN("--peer", "nocolon"), -1);
    cr_assert(strstr(err, "peer must be host:port or [ipv6]:port") != NULL, "%s", err);
    cr_assert_eq(RUN("--peer", "h:70000"), -1);
}
