/* config.h — swarmlog's options: defaults, redis.conf-style files, the
 * `swarmlog-server [config-file] [--name value ...]` command line, and the
 * CONFIG GET / SET machinery. Pure data and parsing: no sockets, no loop.
 *
 * Every option lives in one declarative table in config.c (name, type,
 * default, bounds, mutability). Adding an option is adding one row. */
#ifndef SWARMLOG_CONFIG_H
#define SWARMLOG_CONFIG_H

#include <stddef.h>

enum srv_loglevel {
    SRV_LL_DEBUG = 0,
    SRV_LL_VERBOSE = 1,
    SRV_LL_NOTICE = 2,
    SRV_LL_WARNING = 3,
};

#define SRV_CONFIG_MAX_BIND 16
#define SRV_CONFIG_MAX_PEERS 64

/* The effective configuration. Strings are owned (malloc'd) by the struct
 * and never NULL ("" when empty). */
struct srv_config {
    int port;                         /* port [6379], 1..65535 */
    int nbind;                        /* bind [127.0.0.1 ::1] */
    char *bind[SRV_CONFIG_MAX_BIND];
    char *dir;                        /* dir [./swarmlog-data]; absolute after srv_config_finish() */
    char *requirepass;                /* requirepass [""] */
    char *peer_password;              /* peer-password [""]: AUTH to peers, and required for EV.SYNC */
    long long peer_startup_wait;      /* peer-startup-wait [2000] ms writes wait at start for the peers */
    long long maxclients;             /* maxclients [10000], 1..UINT32_MAX */
    long long timeout;                /* timeout [0] idle seconds, 0..INT_MAX */
    int loglevel;                     /* loglevel [notice] debug|verbose|notice|warning */
    char *logfile;                    /* logfile [""] = stderr */
    long long proto_max_bulk_len;     /* proto-max-bulk-len [512mb], >= 1mb */
    long long client_query_buffer_limit; /* client-query-buffer-limit [1gb], >= 1mb */
    int durability;                   /* durability [strict] strict|relaxed|none (enum store_durability) */
    char *config_file;                /* absolute path of the file loaded, "" if none */
    int npeers;                       /* peer host:port (repeatable; not in CONFIG GET) */
    char *peers[SRV_CONFIG_MAX_PEERS];
};

/* Fills cfg with the defaults. Returns 0, or -1 when out of memory. */
int srv_config_init(struct srv_config *cfg);
void srv_config_free(struct srv_config *cfg);

/* Applies a redis-server style command line (argv[0] is the program name):
 *   [config-file] [--name value [value ...]] ...
 * The file, if any, is loaded first, then the --options in order (an option
 * may take several values, e.g. --bind 127.0.0.1 ::1; values run until the
 * next argument starting with "--"). On error returns -1 and writes a
 * human-readable message (may span lines) into err; 0 on success.
 * Returns 1 (without error) for --help/-h and 2 for --version/-v, having
 * written the text to print into err. */
int srv_config_load_argv(struct srv_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* Loads a redis.conf-syntax file: one directive per line, '#' comments,
 * arguments split like redis.conf (quotes and escapes), directive names
 * case-insensitive. On error: -1 with a message naming the file, the line
 * number, the line and the reason (in the style of Redis's
 * "*** FATAL CONFIG FILE ERROR ***" block). */
int srv_config_load_file(struct srv_config *cfg, const char *path, char *err, size_t errlen);

/* Sets one option from its textual value(s), as from a config file line.
 * Returns 0, or -1 with the reason in err (e.g. "Bad directive or wrong
 * number of arguments", "argument couldn't be parsed into an integer",
 * "argument must be between 1 and 65535 inclusive", "argument must be a
 * memory value", "argument(s) must be one of the following: debug, verbose,
 * notice, warning"). */
int srv_config_set_strings(struct srv_config *cfg, const char *name, int nvals,
                           const char *const *vals, char *err, size_t errlen);

/* After loading: makes dir absolute (creating it if missing — mkdir -p) and
 * validates cross-option constraints. Returns 0 or -1 with err. */
int srv_config_finish(struct srv_config *cfg, char *err, size_t errlen);

/* CONFIG GET: calls visit(ctx, name, value) for every option whose name
 * matches the glob pattern (Redis stringmatch rules, case-insensitive), in
 * table order. value is formatted as Redis's CONFIG GET shows it (memory
 * options as plain byte counts, bind space-separated, enums by name). The
 * strings passed to visit are valid only during the call. Returns the number
 * of matches. */
typedef void (*srv_config_visit_fn)(void *ctx, const char *name, const char *value);
int srv_config_get(const struct srv_config *cfg, const char *pattern, size_t patlen,
                   srv_config_visit_fn visit, void *ctx);

/* CONFIG SET name value [name value ...], atomically: every pair is
 * validated first and nothing changes unless all are valid. names/values are
 * binary (pointer, length). On error returns -1 and writes into err the full
 * Redis error text without the "ERR " prefix, exactly as Redis 7.0 words it:
 *   "Unknown option or number of arguments for CONFIG SET - 'foo'"
 *   "CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"
 *   "CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"
 *   "CONFIG SET failed (possibly related to argument 'port') - duplicate parameter"
 * On success returns 0 and, if changed is not NULL, sets (*changed) to a
 * bitmask of SRV_CONFIG_CHANGED_* telling the server what to re-apply. */
enum {
    SRV_CONFIG_CHANGED_LIMITS = 1 << 0,   /* proto-max-bulk-len, client-query-buffer-limit */
    SRV_CONFIG_CHANGED_LOG = 1 << 1,      /* loglevel, logfile */
    SRV_CONFIG_CHANGED_AUTH = 1 << 2,     /* requirepass */
    SRV_CONFIG_CHANGED_MAXCLIENTS = 1 << 3,
    SRV_CONFIG_CHANGED_TIMEOUT = 1 << 4,
    SRV_CONFIG_CHANGED_DURABILITY = 1 << 5,
};
int srv_config_set_pairs(struct srv_config *cfg, int npairs, const char *const *names,
                         const size_t *namelens, const char *const *values,
                         const size_t *valuelens, int *changed, char *err, size_t errlen);

/* Name of a log level ("notice"), or NULL for an invalid level. */
const char *srv_loglevel_name(int level);

/* Parses a Redis memory value: "1024", "1k" (1000), "1kb" (1024), "m",
 * "mb", "g", "gb", case-insensitive; no sign. Returns 0 and *out, or -1. */
int srv_parse_memory(const char *s, size_t len, long long *out);

#endif
