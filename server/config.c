/* config.c — the option table, value parsers, CONFIG GET / SET, and the
 * redis.conf-style file and command-line loaders. See config.h for the
 * contracts and docs/configuration.md for the user-facing rules.
 *
 * Everything goes through one setter, cfg_set_one(), which parses
 * binary-safe (pointer, length) values and changes the option only when the
 * whole value is valid. Error texts are Redis 7.0's, word for word. */
#include "config.h"
#include "repl.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "globmatch.h"
#include "resp.h"

#ifndef SWARMLOG_VERSION
#define SWARMLOG_VERSION "0.1.0"
#endif

#define CFG_BIND_ADDR_MAX 255              /* longest bind address (a DNS name) */
#define CFG_FMT_MAX (SRV_CONFIG_MAX_BIND * (CFG_BIND_ADDR_MAX + 1) + 32)
#define CFG_FILE_MAX (16 * 1024 * 1024)    /* refuse config files above 16 MiB */
#define CFG_LINE_ARGS (SRV_CONFIG_MAX_BIND + 2) /* directive + addresses + 1 to detect excess */
#define CFG_REASON_MAX 1024

enum cfg_type { CFG_INT, CFG_MEMORY, CFG_STRING, CFG_ENUM, CFG_BIND, CFG_PATH };

/* One row per option. Numbers live in an int or a long long field (width);
 * strings in a char * field; enums in an int indexing enum_names. The
 * default is written in config-file syntax and goes through the same setter
 * as everything else. CONFIG GET formatting follows from the type. */
struct cfg_option {
    const char *name;
    enum cfg_type type;
    size_t offset;
    size_t width;
    const char *def;
    long long min, max;
    int immutable;
    int changed;
    const char *const *enum_names;
};

static const char *const cfg_loglevel_names[] = { "debug", "verbose", "notice", "warning", NULL };
static const char *const cfg_durability_names[] = { "strict", "relaxed", "none", NULL };

#define CFG_FIELD(f) offsetof(struct srv_config, f), sizeof(((struct srv_config *)0)->f)

static const struct cfg_option cfg_table[] = {
    { "port", CFG_INT, CFG_FIELD(port), "6379", 1, 65535, 1, 0, NULL },
    { "bind", CFG_BIND, CFG_FIELD(bind), "127.0.0.1 ::1", 0, 0, 1, 0, NULL },
    { "dir", CFG_PATH, CFG_FIELD(dir), "./swarmlog-data", 0, 0, 1, 0, NULL },
    { "requirepass", CFG_STRING, CFG_FIELD(requirepass), "", 0, 0, 0, SRV_CONFIG_CHANGED_AUTH, NULL },
    { "peer-password", CFG_STRING, CFG_FIELD(peer_password), "", 0, 0, 0, 0, NULL },
    { "peer-startup-wait", CFG_INT, CFG_FIELD(peer_startup_wait), "2000", 0, 600000, 0, 0, NULL },
    { "maxclients", CFG_INT, CFG_FIELD(maxclients), "10000", 1, UINT32_MAX, 0,
      SRV_CONFIG_CHANGED_MAXCLIENTS, NULL },
    { "timeout", CFG_INT, CFG_FIELD(timeout), "0", 0, INT_MAX, 0, SRV_CONFIG_CHANGED_TIMEOUT, NULL },
    { "loglevel", CFG_ENUM, CFG_FIELD(loglevel), "notice", 0, 0, 0, SRV_CONFIG_CHANGED_LOG,
      cfg_loglevel_names },
    { "logfile", CFG_STRING, CFG_FIELD(logfile), "", 0, 0, 1, SRV_CONFIG_CHANGED_LOG, NULL },
    { "proto-max-bulk-len", CFG_MEMORY, CFG_FIELD(proto_max_bulk_len), "512mb", 1024 * 1024,
      LLONG_MAX, 0, SRV_CONFIG_CHANGED_LIMITS, NULL },
    { "client-query-buffer-limit", CFG_MEMORY, CFG_FIELD(client_query_buffer_limit), "1gb",
      1024 * 1024, LLONG_MAX, 0, SRV_CONFIG_CHANGED_LIMITS, NULL },
    { "durability", CFG_ENUM, CFG_FIELD(durability), "strict", 0, 0, 0, SRV_CONFIG_CHANGED_DURABILITY,
      cfg_durability_names },
};

#define CFG_NOPTS ((int)(sizeof(cfg_table) / sizeof(cfg_table[0])))
_Static_assert(sizeof(cfg_table) / sizeof(cfg_table[0]) < 32, "CONFIG SET tracks options in a 32-bit mask");

static const char cfg_err_arity[] = "wrong number of arguments";
static const char cfg_err_directive[] = "Bad directive or wrong number of arguments";

/* ---- Small helpers ---- */

/* snprintf into err (a NULL/0 buffer is allowed). Always returns -1, so
 * error paths read `return cfg_errf(...)`. */
__attribute__((format(printf, 3, 4)))
static int cfg_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return -1;
    va_start(ap, fmt);
    if (vsnprintf(err, errlen, fmt, ap) < 0)
        err[0] = '\0';
    va_end(ap);
    return -1;
}

/* Length of the prefix of (s, len) before any NUL: Redis prints option names
 * with %s, so an embedded NUL ends the name in its error texts too. */
static int cfg_cstr_len(const char *s, size_t len)
{
    size_t n = strnlen(s, len); /* reads at most len bytes */
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* Case-insensitive, binary-safe: strncasecmp() stops at len, and a NUL in
 * name meets a non-NUL byte of the table name, so it never matches. */
static const struct cfg_option *cfg_lookup(const char *name, size_t len)
{
    for (int i = 0; i < CFG_NOPTS; i++) {
        if (strlen(cfg_table[i].name) == len && strncasecmp(cfg_table[i].name, name, len) == 0)
            return &cfg_table[i];
    }
    return NULL;
}

static long long cfg_num_get(const struct srv_config *cfg, const struct cfg_option *opt)
{
    const void *p = (const char *)cfg + opt->offset;

    return opt->width == sizeof(int) ? *(const int *)p : *(const long long *)p;
}

static void cfg_num_put(struct srv_config *cfg, const struct cfg_option *opt, long long v)
{
    void *p = (char *)cfg + opt->offset;

    if (opt->width == sizeof(int))
        *(int *)p = (int)v;  /* v is within [min, max], which fits an int */
    else
        *(long long *)p = v;
}

/* ---- Value parsers ---- */

/* Redis's string2ll(): optional '-', no '+', no spaces, no leading zeros
 * ("0" itself aside), at most 20 characters, no overflow. Returns 0 or -1. */
static int cfg_parse_ll(const char *s, size_t len, long long *out)
{
    size_t neg = len > 0 && s[0] == '-';
    unsigned long long v = 0, limit = (unsigned long long)LLONG_MAX + neg;

    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 0;
    }
    if (len >= 21 || len <= neg || s[neg] < '1' || s[neg] > '9')
        return -1;
    for (size_t i = neg; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (s[i] < '0' || s[i] > '9' || v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? -(long long)(v - 1) - 1 : (long long)v; /* v - 1 fits even for LLONG_MIN */
    return 0;
}

/* Redis's memtoull(): digits then an optional unit (b, k, kb, m, mb, g, gb,
 * any case). Returns 0 with *out; -1 when it is not a memory value; -2 when
 * it is one but exceeds LLONG_MAX (Redis then reports the range, not the
 * syntax). Like Redis, no digits at all ("" or "mb") reads as 0, and 128 or
 * more digits are a syntax error. */
static int cfg_parse_memory_redis(const char *s, size_t len, long long *out)
{
    static const struct { const char *unit; long long mul; } units[] = {
        { "", 1 }, { "b", 1 }, { "k", 1000 }, { "kb", 1024 }, { "m", 1000 * 1000 },
        { "mb", 1024 * 1024 }, { "g", 1000LL * 1000 * 1000 }, { "gb", 1024LL * 1024 * 1024 },
    };
    size_t digits = 0, ulen;
    long long mul = -1, v = 0;

    while (digits < len && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    ulen = len - digits;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strlen(units[i].unit) == ulen && strncasecmp(units[i].unit, s + digits, ulen) == 0)
            mul = units[i].mul;
    }
    if (mul < 0 || digits >= 128)
        return -1;
    for (size_t i = 0; i < digits; i++) {
        if (v > (LLONG_MAX - (s[i] - '0')) / 10)
            return -2;
        v = v * 10 + (s[i] - '0');
    }
    if (v > LLONG_MAX / mul)
        return -2;
    *out = v * mul;
    return 0;
}

int srv_parse_memory(const char *s, size_t len, long long *out)
{
    long long v;

    /* Stricter than Redis on one point: at least one digit. */
    if (s == NULL || out == NULL || len == 0 || s[0] < '0' || s[0] > '9' ||
        cfg_parse_memory_redis(s, len, &v) != 0)
        return -1;
    *out = v;
    return 0;
}

const char *srv_loglevel_name(int level)
{
    return level >= SRV_LL_DEBUG && level <= SRV_LL_WARNING ? cfg_loglevel_names[level] : NULL;
}

/* ---- The setter ---- */

static int cfg_set_number(struct srv_config *cfg, const struct cfg_option *opt,
                          const struct resp_arg *v, char *err, size_t errlen)
{
    long long n;
    int rc;

    if (opt->type == CFG_MEMORY) {
        rc = cfg_parse_memory_redis(v->ptr, v->len, &n);
        if (rc == -1)
            return cfg_errf(err, errlen, "argument must be a memory value");
    } else {
        rc = cfg_parse_ll(v->ptr, v->len, &n);
        if (rc != 0)
            return cfg_errf(err, errlen, "argument couldn't be parsed into an integer");
    }
    if (rc == -2 || n < opt->min || n > opt->max)
        return cfg_errf(err, errlen, "argument must be between %lld and %lld inclusive", opt->min, opt->max);
    cfg_num_put(cfg, opt, n);
    return 0;
}

static int cfg_set_enum(struct srv_config *cfg, const struct cfg_option *opt,
                        const struct resp_arg *v, char *err, size_t errlen)
{
    size_t used = 0;

    for (int i = 0; opt->enum_names[i] != NULL; i++) {
        const char *name = opt->enum_names[i];
        if (strlen(name) == v->len && strncasecmp(name, v->ptr, v->len) == 0) {
            cfg_num_put(cfg, opt, i);
            return 0;
        }
    }
    cfg_errf(err, errlen, "argument(s) must be one of the following: ");
    for (int i = 0; opt->enum_names[i] != NULL && err != NULL; i++) {
        used = strlen(err);
        if (used < errlen)
            cfg_errf(err + used, errlen - used, "%s%s", i ? ", " : "", opt->enum_names[i]);
    }
    return -1;
}

/* Strings may be empty, except a path; they may not hold NUL bytes since the
 * struct keeps C strings. */
static int cfg_set_string(struct srv_config *cfg, const struct cfg_option *opt,
                          const struct resp_arg *v, char *err, size_t errlen)
{
    char **field = (char **)(void *)((char *)cfg + opt->offset);
    char *copy;

    if (memchr(v->ptr, '\0', v->len) != NULL)
        return cfg_errf(err, errlen, "argument must not contain NUL bytes");
    if (opt->type == CFG_PATH && v->len == 0)
        return cfg_errf(err, errlen, "argument must not be empty");
    copy = strndup(v->ptr, v->len);
    if (copy == NULL)
        return cfg_errf(err, errlen, "out of memory");
    free(*field);
    *field = copy;
    return 0;
}

/* Replaces the bind list with n addresses (1..SRV_CONFIG_MAX_BIND, each
 * 1..CFG_BIND_ADDR_MAX bytes), all or nothing. Only the first
 * SRV_CONFIG_MAX_BIND entries of a are read. */
static int cfg_bind_store(struct srv_config *cfg, const struct resp_arg *a, int n, char *err, size_t errlen)
{
    char *fresh[SRV_CONFIG_MAX_BIND];

    if (n > SRV_CONFIG_MAX_BIND)
        return cfg_errf(err, errlen, "Too many bind addresses specified.");
    if (n < 1)
        return cfg_errf(err, errlen, "at least one bind address is required");
    for (int i = 0; i < n; i++) {
        fresh[i] = NULL;
        if (a[i].len == 0 || a[i].len > CFG_BIND_ADDR_MAX || memchr(a[i].ptr, '\0', a[i].len))
            cfg_errf(err, errlen, "bind address must be 1 to %d bytes without NUL", CFG_BIND_ADDR_MAX);
        else if ((fresh[i] = strndup(a[i].ptr, a[i].len)) == NULL)
            cfg_errf(err, errlen, "out of memory");
        if (fresh[i] == NULL) {
            while (i-- > 0)
                free(fresh[i]);
            return -1;
        }
    }
    for (int i = 0; i < cfg->nbind; i++)
        free(cfg->bind[i]);
    memcpy(cfg->bind, fresh, (size_t)n * sizeof(fresh[0]));
    cfg->nbind = n;
    return 0;
}

/* bind takes several values; like Redis, a single non-empty value is itself
 * split like a config line ("bind '127.0.0.1 ::1'", --bind "a b"), and a
 * single empty one means no address (which we refuse). */
static int cfg_set_bind(struct srv_config *cfg, const struct resp_arg *vals, int nvals,
                        char *err, size_t errlen)
{
    struct resp_arg split[SRV_CONFIG_MAX_BIND + 1];
    char *buf;
    int n, rc;

    if (nvals != 1 || vals[0].len == 0)
        return cfg_bind_store(cfg, vals, nvals == 1 ? 0 : nvals, err, errlen);
    if ((buf = malloc(vals[0].len)) == NULL)
        return cfg_errf(err, errlen, "out of memory");
    n = resp_split_args(vals[0].ptr, vals[0].len, buf, split, SRV_CONFIG_MAX_BIND + 1);
    if (n < 0)
        rc = cfg_errf(err, errlen, "Unbalanced quotes in bind address list");
    else
        rc = cfg_bind_store(cfg, split, n, err, errlen);
    free(buf);
    return rc;
}

/* Sets opt from nvals values. The option changes only on success. Returns 0
 * or -1 with Redis's reason (without any prefix) in err. */
static int cfg_set_one(struct srv_config *cfg, const struct cfg_option *opt,
                       const struct resp_arg *vals, int nvals, char *err, size_t errlen)
{
    if (opt->type == CFG_BIND)
        return cfg_set_bind(cfg, vals, nvals, err, errlen);
    if (nvals != 1)
        return cfg_errf(err, errlen, "%s", cfg_err_arity);
    switch (opt->type) {
    case CFG_INT:
    case CFG_MEMORY:
        return cfg_set_number(cfg, opt, &vals[0], err, errlen);
    case CFG_ENUM:
        return cfg_set_enum(cfg, opt, &vals[0], err, errlen);
    default:
        return cfg_set_string(cfg, opt, &vals[0], err, errlen);
    }
}

static int cfg_directive(struct srv_config *cfg, const struct resp_arg *args, int nargs,
                         char *err, size_t errlen);

int srv_config_set_strings(struct srv_config *cfg, const char *name, int nvals,
                           const char *const *vals, char *err, size_t errlen)
{
    struct resp_arg args[CFG_LINE_ARGS];

    if (name == NULL || nvals < 0 || (nvals > 0 && vals == NULL))
        return cfg_errf(err, errlen, "%s", cfg_err_directive);
    for (int i = 0; i <= nvals && i < CFG_LINE_ARGS; i++) {
        args[i].ptr = i == 0 ? name : vals[i - 1] ? vals[i - 1] : "";
        args[i].len = strlen(args[i].ptr);
    }
    return cfg_directive(cfg, args, nvals + 1, err, errlen);
}

/* ---- Lifecycle, CONFIG GET, CONFIG SET ---- */

/* The CONFIG GET text of opt: a string owned by cfg, or buf (CFG_FMT_MAX
 * bytes). Valid until cfg or buf changes. */
static const char *cfg_format(const struct srv_config *cfg, const struct cfg_option *opt, char *buf)
{
    size_t used = 0;

    switch (opt->type) {
    case CFG_INT:
    case CFG_MEMORY:
        snprintf(buf, CFG_FMT_MAX, "%lld", cfg_num_get(cfg, opt));
        return buf;
    case CFG_ENUM:
        return opt->enum_names[cfg_num_get(cfg, opt)];
    case CFG_BIND:
        buf[0] = '\0';
        for (int i = 0; i < cfg->nbind; i++) {
            /* Cannot truncate: addresses are at most CFG_BIND_ADDR_MAX bytes. */
            int n = snprintf(buf + used, CFG_FMT_MAX - used, "%s%s", i ? " " : "", cfg->bind[i]);
            if (n > 0)
                used += (size_t)n;
        }
        return buf;
    default: {
        char *const *field = (char *const *)(const void *)((const char *)cfg + opt->offset);
        return *field ? *field : "";
    }
    }
}

/* Exchanges opt's value between a and b (used to commit a CONFIG SET). */
static void cfg_swap(struct srv_config *a, struct srv_config *b, const struct cfg_option *opt)
{
    char *pa = (char *)a + opt->offset, *pb = (char *)b + opt->offset, t[sizeof(a->bind)];

    memcpy(t, pa, opt->width);  /* the bind array is the widest field */
    memcpy(pa, pb, opt->width);
    memcpy(pb, t, opt->width);
    if (opt->type == CFG_BIND) {
        int n = a->nbind;
        a->nbind = b->nbind;
        b->nbind = n;
    }
}

void srv_config_free(struct srv_config *cfg)
{
    if (cfg == NULL)
        return;
    for (int i = 0; i < cfg->nbind && i < SRV_CONFIG_MAX_BIND; i++)
        free(cfg->bind[i]);
    free(cfg->dir);
    free(cfg->requirepass);
    free(cfg->peer_password);
    for (int i = 0; i < cfg->npeers; i++)
        free(cfg->peers[i]);
    cfg->npeers = 0;
    free(cfg->logfile);
    free(cfg->config_file);
    memset(cfg, 0, sizeof(*cfg));
}

int srv_config_init(struct srv_config *cfg)
{
    char err[CFG_REASON_MAX];

    memset(cfg, 0, sizeof(*cfg));
    cfg->config_file = strdup("");
    if (cfg->config_file == NULL)
        goto fail;
    for (int i = 0; i < CFG_NOPTS; i++) {
        struct resp_arg def = { cfg_table[i].def, strlen(cfg_table[i].def) };
        if (cfg_set_one(cfg, &cfg_table[i], &def, 1, err, sizeof(err)) != 0)
            goto fail;
    }
    return 0;
fail:
    srv_config_free(cfg);
    return -1;
}

int srv_config_get(const struct srv_config *cfg, const char *pattern, size_t patlen,
                   srv_config_visit_fn visit, void *ctx)
{
    char buf[CFG_FMT_MAX];
    int matches = 0;

    for (int i = 0; i < CFG_NOPTS; i++) {
        const char *name = cfg_table[i].name;
        if (!srv_glob_match(pattern, patlen, name, strlen(name), 1))
            continue;
        matches++;
        if (visit != NULL)
            visit(ctx, name, cfg_format(cfg, &cfg_table[i], buf));
    }
    return matches;
}

/* CONFIG SET's first pass, over the names only, as Redis does it: the first
 * unknown, immutable or repeated name (in argument order) is the error.
 * Fills idx[i] with each name's table index. Returns 0 or -1 with err. */
static int cfg_pairs_check_names(int npairs, const char *const *names, const size_t *namelens,
                                 int *idx, char *err, size_t errlen)
{
    unsigned seen = 0;

    for (int i = 0; i < npairs; i++) {
        const char *name = names[i] ? names[i] : "";
        size_t len = names[i] ? namelens[i] : 0;
        const struct cfg_option *opt = cfg_lookup(name, len);
        int nlen = cfg_cstr_len(name, len);
        const char *why = NULL;

        if (opt == NULL)
            return cfg_errf(err, errlen, "Unknown option or number of arguments for CONFIG SET - '%.*s'",
                     nlen, name);
        idx[i] = (int)(opt - cfg_table);
        if (opt->immutable)
            why = "can't set immutable config";
        else if (seen & (1u << idx[i]))
            why = "duplicate parameter";
        if (why != NULL)
            return cfg_errf(err, errlen, "CONFIG SET failed (possibly related to argument '%.*s') - %s",
                     nlen, name, why);
        seen |= 1u << idx[i];
    }
    return 0;
}

/* Validates every value into a zeroed staging config (only the options
 * named are filled in), then swaps those fields into cfg. Untouched fields
 * keep their pointers; the old values die with the staging copy. */
int srv_config_set_pairs(struct srv_config *cfg, int npairs, const char *const *names,
                         const size_t *namelens, const char *const *values,
                         const size_t *valuelens, int *changed, char *err, size_t errlen)
{
    int idx[CFG_NOPTS + 1];
    struct srv_config stage;
    char reason[CFG_REASON_MAX], old[CFG_FMT_MAX], new[CFG_FMT_MAX];
    int rc = -1, bits = 0;

    memset(&stage, 0, sizeof(stage));
    if (npairs < 1)
        return cfg_errf(err, errlen, "wrong number of arguments for 'config|set' command");
    /* By pigeonhole, CFG_NOPTS + 1 names always hold an unknown, immutable
     * or repeated one, so the name pass never needs to look further. */
    if (cfg_pairs_check_names(npairs > CFG_NOPTS ? CFG_NOPTS + 1 : npairs, names, namelens, idx,
                              err, errlen) != 0)
        return -1;
    /* From here on npairs <= CFG_NOPTS: each name is a distinct option. */
    for (int i = 0; i < npairs; i++) {
        const struct cfg_option *opt = &cfg_table[idx[i]];
        struct resp_arg v = { values[i] ? values[i] : "", values[i] ? valuelens[i] : 0 };
        if (cfg_set_one(&stage, opt, &v, 1, reason, sizeof(reason)) != 0) {
            cfg_errf(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s",
                     opt->name, reason);
            goto done;
        }
    }
    for (int i = 0; i < npairs; i++) {
        const struct cfg_option *opt = &cfg_table[idx[i]];
        if (strcmp(cfg_format(cfg, opt, old), cfg_format(&stage, opt, new)) != 0)
            bits |= opt->changed;  /* re-apply only what really changed */
        cfg_swap(cfg, &stage, opt);
    }
    if (changed != NULL)
        *changed = bits;
    rc = 0;
done:
    srv_config_free(&stage);
    return rc;
}

/* mkdir -p with mode 0755; existing components are fine. path is modified
 * while it runs and restored. */
static int cfg_mkdir_p(char *path, char *err, size_t errlen)
{
    for (char *p = path + 1;; p++) {
        char saved = *p;
        int rc = 0;
        if (saved != '/' && saved != '\0')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            rc = cfg_errf(err, errlen, "Can't create dir '%s': %s", path, strerror(errno));
        *p = saved;
        if (rc != 0 || saved == '\0')
            return rc;
    }
}

int srv_config_finish(struct srv_config *cfg, char *err, size_t errlen)
{
    struct stat st;
    char *abs;

    if (cfg->dir == NULL || cfg->dir[0] == '\0')
        return cfg_errf(err, errlen, "dir must not be empty");
    if (cfg_mkdir_p(cfg->dir, err, errlen) != 0)
        return -1;
    if (stat(cfg->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cfg_errf(err, errlen, "dir '%s' is not a directory", cfg->dir);
    if (access(cfg->dir, W_OK | X_OK) != 0)
        return cfg_errf(err, errlen, "dir '%s' is not writable: %s", cfg->dir, strerror(errno));
    abs = realpath(cfg->dir, NULL);
    if (abs == NULL)
        return cfg_errf(err, errlen, "Can't resolve dir '%s': %s", cfg->dir, strerror(errno));
    free(cfg->dir);
    cfg->dir = abs;
    return 0;
}

/* ---- Config files and the command line ---- */

/* Writes Redis's fatal-config block (no trailing newline) into err. */
static void cfg_block(char *err, size_t errlen, const char *where, const char *line, size_t linelen,
                      const char *reason)
{
    cfg_errf(err, errlen, "*** FATAL CONFIG FILE ERROR (swarmlog %s) ***\nReading %s\n>>> '%.*s'\n%s",
             SWARMLOG_VERSION, where, linelen > INT_MAX ? INT_MAX : (int)linelen, line, reason);
}

/* `peer host:port [host:port ...]`: repeatable, each line adds peers. */
static int cfg_add_peers(struct srv_config *cfg, const struct resp_arg *v, int n, char *err, size_t errlen)
{
    struct repl_addr a;
    if (n < 1)
        return cfg_errf(err, errlen, "%s", cfg_err_arity);
    for (int i = 0; i < n; i++) {
        if (repl_addr_parse(v[i].ptr, v[i].len, &a) != 0)
            return cfg_errf(err, errlen, "peer must be host:port or [ipv6]:port");
        if (cfg->npeers == SRV_CONFIG_MAX_PEERS)
            return cfg_errf(err, errlen, "at most %d peers", SRV_CONFIG_MAX_PEERS);
        char *copy = malloc(v[i].len + 1);
        if (copy == NULL)
            return cfg_errf(err, errlen, "out of memory");
        memcpy(copy, v[i].ptr, v[i].len);
        copy[v[i].len] = '\0';
        cfg->peers[cfg->npeers++] = copy;
    }
    return 0;
}

/* Applies one directive, args[0] being its name. Only the first
 * CFG_LINE_ARGS arguments are read even when nargs is larger. Returns 0 or
 * -1 with a one-line reason in err. There is no "include" directive: it is
 * reported as unknown, like any other. */
static int cfg_directive(struct srv_config *cfg, const struct resp_arg *args, int nargs,
                         char *err, size_t errlen)
{
    const struct cfg_option *opt = cfg_lookup(args[0].ptr, args[0].len);

    if (opt == NULL && args[0].len == 4 && strncasecmp(args[0].ptr, "peer", 4) == 0)
        return cfg_add_peers(cfg, args + 1, nargs - 1, err, errlen);
    if (opt == NULL)
        return cfg_errf(err, errlen, "%s", cfg_err_directive);
    if (nargs > CFG_LINE_ARGS)
        return cfg_errf(err, errlen, "%s",
                        opt->type == CFG_BIND ? "Too many bind addresses specified." : cfg_err_arity);
    return cfg_set_one(cfg, opt, args + 1, nargs - 1, err, errlen);
}

#define CFG_TRIMMED(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* Applies a file's text line by line: each line trimmed of " \t\r\n", blank
 * and '#' lines skipped, the rest split like redis.conf. Returns 0, or -1
 * with the block in err. */
static int cfg_load_text(struct srv_config *cfg, const char *path, const char *buf, size_t len,
                         char *err, size_t errlen)
{
    struct resp_arg args[CFG_LINE_ARGS];
    char reason[CFG_REASON_MAX], where[CFG_REASON_MAX];
    char *out = malloc(len + 1); /* unescaped arguments; never longer than the line */
    size_t pos = 0;
    int linenum = 0, n, rc = 0;

    if (out == NULL)
        return cfg_errf(err, errlen, "Fatal error, out of memory reading '%s'", path);
    while (pos < len && rc == 0) {
        const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;

        pos += ll + 1;
        linenum++;
        while (ll > 0 && CFG_TRIMMED(line[ll - 1]))
            ll--;
        while (ll > 0 && CFG_TRIMMED(line[0])) {
            line++;
            ll--;
        }
        if (ll == 0 || line[0] == '#')
            continue;
        n = resp_split_args(line, ll, out, args, CFG_LINE_ARGS);
        if (n < 0)
            rc = cfg_errf(reason, sizeof(reason), "Unbalanced quotes in configuration line");
        else if (n > 0)
            rc = cfg_directive(cfg, args, n, reason, sizeof(reason));
        if (rc != 0) {
            snprintf(where, sizeof(where), "the configuration file '%s', at line %d", path, linenum);
            cfg_block(err, errlen, where, line, ll, reason);
        }
    }
    free(out);
    return rc;
}

/* Reads a whole regular file of at most CFG_FILE_MAX bytes. Returns a
 * malloc'd buffer (the caller frees it) and *len, or NULL with a reason. */
static char *cfg_read_file(const char *path, size_t *len, char *reason)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    char *buf = NULL;

    if (f == NULL) {
        cfg_errf(reason, CFG_REASON_MAX, "can't open config file '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CFG_FILE_MAX) {
        cfg_errf(reason, CFG_REASON_MAX, "can't read config file '%s': %s", path,
                 "not a regular file of at most 16 MiB");
        goto done;
    }
    /* One spare byte tells us if the file grew while we read it. */
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
        cfg_errf(reason, CFG_REASON_MAX, "out of memory");
        goto done;
    }
    *len = fread(buf, 1, (size_t)st.st_size + 1, f);
    if (ferror(f) || *len > (size_t)st.st_size) {
        cfg_errf(reason, CFG_REASON_MAX, "can't read config file '%s': read error", path);
        free(buf);
        buf = NULL;
    }
done:
    fclose(f); /* read-only: a close error loses nothing */
    return buf;
}

/* Loads the file and records its absolute path as cfg->config_file. */
int srv_config_load_file(struct srv_config *cfg, const char *path, char *err, size_t errlen)
{
    char reason[CFG_REASON_MAX], *abs;
    size_t len;
    char *buf = cfg_read_file(path, &len, reason);
    int rc;

    if (buf == NULL)
        return cfg_errf(err, errlen, "Fatal error, %s", reason);
    if ((abs = realpath(path, NULL)) == NULL) {
        free(buf);
        return cfg_errf(err, errlen, "Fatal error, can't resolve config file '%s': %s", path,
                        strerror(errno));
    }
    free(cfg->config_file);
    cfg->config_file = abs;
    rc = cfg_load_text(cfg, path, buf, len, err, errlen);
    free(buf);
    return rc;
}

static const char cfg_usage[] =
    "Usage: swarmlog-server [/path/to/swarmlog.conf] [options]\n"
    "       swarmlog-server -v or --version\n"
    "       swarmlog-server -h or --help\n\n"
    "Examples:\n"
    "       swarmlog-server (run the server with default conf)\n"
    "       swarmlog-server /etc/swarmlog/6379.conf\n"
    "       swarmlog-server --port 7777\n"
    "       swarmlog-server /etc/swarmlog.conf --loglevel verbose --bind 127.0.0.1 ::1\n";

/* Appends n bytes of s to buf (cap bytes, kept NUL-terminated), silently
 * truncating. */
static void cfg_cat(char *buf, size_t cap, size_t *used, const char *s, size_t n)
{
    while (n-- > 0 && *used + 1 < cap)
        buf[(*used)++] = *s++;
    buf[*used] = '\0';
}

/* Appends s quoted as Redis's sdscatrepr() does: \\ \" \n \r \t \a \b
 * escapes, \xHH for other unprintable bytes. */
static void cfg_cat_repr(char *buf, size_t cap, size_t *used, const char *s)
{
    static const char from[] = "\\\"\n\r\t\a\b", to[] = "\\\"nrtab";
    char esc[8];

    cfg_cat(buf, cap, used, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        const char *hit = memchr(from, c, sizeof(from) - 1);
        if (hit != NULL)
            snprintf(esc, sizeof(esc), "\\%c", to[hit - from]);
        else if (c >= 0x20 && c < 0x7f)
            snprintf(esc, sizeof(esc), "%c", c);
        else
            snprintf(esc, sizeof(esc), "\\x%02x", c);
        cfg_cat(buf, cap, used, esc, strlen(esc));
    }
    cfg_cat(buf, cap, used, "\"", 1);
}

/* Applies argv[j..k-1]: "--name value..." (or bare values, an error). On
 * error writes the block, showing the option as the config line Redis
 * builds from it: name "value" ... Returns 0 or -1. */
static int cfg_argv_option(struct srv_config *cfg, char **argv, int j, int k, char *err, size_t errlen)
{
    struct resp_arg args[CFG_LINE_ARGS];
    char reason[CFG_REASON_MAX], where[64], line[CFG_REASON_MAX] = "";
    int bare = strncmp(argv[j], "--", 2) != 0;
    size_t used = 0;

    for (int i = 0; i < k - j && i < CFG_LINE_ARGS; i++) {
        args[i].ptr = i == 0 && !bare ? argv[j] + 2 : argv[j + i];
        args[i].len = strlen(args[i].ptr);
    }
    if (bare)
        cfg_errf(reason, sizeof(reason), "value without an option name before it "
                 "(options are written --name value)");
    else if (cfg_directive(cfg, args, k - j, reason, sizeof(reason)) == 0)
        return 0;
    if (!bare)
        cfg_cat(line, sizeof(line), &used, argv[j] + 2, strlen(argv[j] + 2));
    for (int i = bare ? j : j + 1; i < k; i++) {
        if (used > 0)
            cfg_cat(line, sizeof(line), &used, " ", 1);
        cfg_cat_repr(line, sizeof(line), &used, argv[i]);
    }
    snprintf(where, sizeof(where), "the command line, at argument %d", j);
    cfg_block(err, errlen, where, line, used, reason);
    return -1;
}

int srv_config_load_argv(struct srv_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    int j = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || (i == 1 && strcmp(argv[i], "-h") == 0)) {
            cfg_errf(err, errlen, "%s", cfg_usage);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0 || (i == 1 && strcmp(argv[i], "-v") == 0)) {
            cfg_errf(err, errlen, "swarmlog-server v=%s bits=%d\n", SWARMLOG_VERSION,
                     (int)(sizeof(void *) * CHAR_BIT));
            return 2;
        }
    }
    if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
        if (srv_config_load_file(cfg, argv[1], err, errlen) != 0)
            return -1;
        j = 2;
    }
    while (j < argc) {
        int k = j + 1;
        while (k < argc && strncmp(argv[k], "--", 2) != 0)
            k++;
        if (cfg_argv_option(cfg, argv, j, k, err, errlen) != 0)
            return -1;
        j = k;
    }
    return 0;
}
