/* commands.h — the declarative command table: one row per command with its
 * handler, arity, flags, key specs and documentation. COMMAND, COMMAND INFO,
 * COMMAND DOCS, COMMAND LIST and dispatch are all generated from it. */
#ifndef SWARMLOG_COMMANDS_H
#define SWARMLOG_COMMANDS_H

#include "resp.h"

struct client;

/* A handler: argv[0] is the command name (argv[1] the subcommand for
 * subcommands). The arity was checked before the call. It writes exactly
 * one reply through reply_*(). */
typedef void srv_cmd_proc(struct client *c, int argc, const struct resp_arg *argv);

/* Command flags, named as COMMAND INFO shows them. */
enum {
    CMD_WRITE = 1u << 0,
    CMD_READONLY = 1u << 1,
    CMD_DENYOOM = 1u << 2,
    CMD_ADMIN = 1u << 3,
    CMD_PUBSUB = 1u << 4,
    CMD_NOSCRIPT = 1u << 5,
    CMD_BLOCKING = 1u << 6,
    CMD_LOADING = 1u << 7,
    CMD_STALE = 1u << 8,
    CMD_SKIP_MONITOR = 1u << 9,
    CMD_SKIP_SLOWLOG = 1u << 10,
    CMD_FAST = 1u << 11,
    CMD_NO_AUTH = 1u << 12,
    CMD_MAY_REPLICATE = 1u << 13,
    CMD_SENTINEL = 1u << 14,
    CMD_NO_MANDATORY_KEYS = 1u << 15,
    CMD_PROTECTED = 1u << 16,
    CMD_NO_MULTI = 1u << 17,
    CMD_ALLOW_BUSY = 1u << 18,
    CMD_MOVABLE_KEYS = 1u << 19,
};

/* ACL categories (explicit ones; @read/@write/@admin/@dangerous/@fast/
 * @slow/@blocking/@pubsub are derived from the flags as Redis does). */
enum {
    ACL_KEYSPACE = 1u << 0,
    ACL_READ = 1u << 1,
    ACL_WRITE = 1u << 2,
    ACL_STREAM = 1u << 3,
    ACL_PUBSUB = 1u << 4,
    ACL_ADMIN = 1u << 5,
    ACL_FAST = 1u << 6,
    ACL_SLOW = 1u << 7,
    ACL_BLOCKING = 1u << 8,
    ACL_DANGEROUS = 1u << 9,
    ACL_CONNECTION = 1u << 10,
    ACL_TRANSACTION = 1u << 11,
};

/* Key spec flags, named as COMMAND INFO shows them. */
enum {
    KS_RO = 1u << 0, KS_RW = 1u << 1, KS_OW = 1u << 2, KS_RM = 1u << 3,
    KS_ACCESS = 1u << 4, KS_UPDATE = 1u << 5, KS_INSERT = 1u << 6, KS_DELETE = 1u << 7,
    KS_NOT_KEY = 1u << 8, KS_INCOMPLETE = 1u << 9, KS_VARIABLE_FLAGS = 1u << 10,
};

enum srv_ks_begin { KS_BEGIN_INDEX, KS_BEGIN_KEYWORD };
enum srv_ks_find { KS_FIND_RANGE, KS_FIND_KEYNUM };

struct srv_key_spec {
    const char *notes;
    unsigned flags;
    enum srv_ks_begin begin;
    int index;               /* KS_BEGIN_INDEX: argv position */
    const char *keyword;     /* KS_BEGIN_KEYWORD */
    int startfrom;
    enum srv_ks_find find;
    int lastkey, keystep, limit;          /* KS_FIND_RANGE */
    int keynumidx, firstkey, keynumstep;  /* KS_FIND_KEYNUM */
};

enum srv_arg_type {
    ARG_STRING, ARG_INTEGER, ARG_DOUBLE, ARG_KEY, ARG_PATTERN,
    ARG_UNIX_TIME, ARG_PURE_TOKEN, ARG_ONEOF, ARG_BLOCK,
};

enum { ARGF_OPTIONAL = 1u << 0, ARGF_MULTIPLE = 1u << 1, ARGF_MULTIPLE_TOKEN = 1u << 2 };

/* One documented argument. Arrays of them end with a zeroed row. */
struct srv_arg {
    const char *name;
    enum srv_arg_type type;
    int key_spec_index;      /* ARG_KEY: index into key_specs */
    const char *token;
    const char *summary;
    const char *since;
    unsigned flags;
    const char *display;     /* display_text */
    const struct srv_arg *subargs;
};

/* One history line of a command's docs. Arrays end with a zeroed row. */
struct srv_history {
    const char *version;
    const char *text;
};

struct srv_command {
    const char *name;        /* lower case; a subcommand's own name */
    srv_cmd_proc *proc;      /* NULL for a container (it has subcommands) */
    int arity;               /* Redis convention: n exact, -n at least n */
    unsigned flags;          /* CMD_* */
    unsigned acl;            /* ACL_* (explicit categories) */
    const char *tips;        /* space-separated command tips, or NULL */
    const struct srv_key_spec *key_specs;
    int nkey_specs;
    /* documentation */
    const char *summary, *since, *group, *complexity;
    const struct srv_history *history;
    const struct srv_arg *args;
    const struct srv_command *subcommands; /* ends with a zeroed row */
};

/* The table: a NULL-name-terminated array. */
extern const struct srv_command srv_command_table[];

/* Handlers, defined in cmd_*.c. */
srv_cmd_proc cmd_ping, cmd_echo, cmd_hello, cmd_auth, cmd_select, cmd_quit, cmd_reset;
srv_cmd_proc cmd_client_id, cmd_client_setname, cmd_client_getname, cmd_client_setinfo,
    cmd_client_info, cmd_client_list, cmd_client_kill, cmd_client_help;
srv_cmd_proc cmd_command, cmd_command_count, cmd_command_info, cmd_command_docs,
    cmd_command_list, cmd_command_help;
srv_cmd_proc cmd_info, cmd_config_get, cmd_config_set, cmd_config_resetstat, cmd_config_help,
    cmd_dbsize, cmd_time, cmd_shutdown;
srv_cmd_proc cmd_xadd, cmd_xlen, cmd_xrange, cmd_xrevrange, cmd_xtrim, cmd_xdel;
srv_cmd_proc cmd_exists, cmd_type, cmd_del, cmd_xread, cmd_keys, cmd_flushall, cmd_xsetid, cmd_scan;
srv_cmd_proc cmd_xgroup_create, cmd_xgroup_setid, cmd_xgroup_destroy, cmd_xgroup_createconsumer,
    cmd_xgroup_delconsumer, cmd_xgroup_help, cmd_xreadgroup, cmd_xack, cmd_xpending, cmd_xclaim, cmd_xautoclaim;
srv_cmd_proc cmd_ev_add, cmd_ev_node, cmd_ev_offsets, cmd_ev_query, cmd_ev_read, cmd_ev_subscribe,
    cmd_ev_unsubscribe, cmd_ev_sync, cmd_ev_peer_add, cmd_ev_peer_remove, cmd_ev_peer_list;
srv_cmd_proc cmd_multi, cmd_exec, cmd_discard, cmd_watch, cmd_unwatch;
srv_cmd_proc cmd_xinfo_stream, cmd_xinfo_groups, cmd_xinfo_consumers, cmd_xinfo_help;

#endif
