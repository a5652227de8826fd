/* commands.c — the command table. One row per command: handler, arity,
 * flags, ACL categories, tips, key specs and documentation. Dispatch,
 * COMMAND INFO/DOCS/LIST and docs/commands.md all follow this table.
 * Summaries, groups and argument docs mirror Redis 7.0's where the command
 * is Redis's. */
#include "commands.h"

#include <stddef.h>

#define END_ARGS { 0 }
#define CONN_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

/* ---- connection ---- */

static const struct srv_arg ping_args[] = {
    { .name = "message", .type = ARG_STRING, .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg echo_args[] = {
    { .name = "message", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg hello_auth_args[] = {
    { .name = "username", .type = ARG_STRING },
    { .name = "password", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg hello_protover_args[] = {
    { .name = "protover", .type = ARG_INTEGER },
    { .name = "username_password", .type = ARG_BLOCK, .token = "AUTH", .flags = ARGF_OPTIONAL,
      .subargs = hello_auth_args },
    { .name = "clientname", .type = ARG_STRING, .token = "SETNAME", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg hello_args[] = {
    { .name = "arguments", .type = ARG_BLOCK, .flags = ARGF_OPTIONAL, .subargs = hello_protover_args },
    END_ARGS,
};
static const struct srv_history hello_history[] = {
    { "6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context." },
    { 0 },
};
static const struct srv_arg auth_args[] = {
    { .name = "username", .type = ARG_STRING, .since = "6.0.0", .flags = ARGF_OPTIONAL },
    { .name = "password", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_history auth_history[] = {
    { "6.0.0", "Added ACL style (username and password)." },
    { 0 },
};
static const struct srv_arg select_args[] = {
    { .name = "index", .type = ARG_INTEGER },
    END_ARGS,
};

/* ---- CLIENT ---- */

static const struct srv_arg client_setname_args[] = {
    { .name = "connection-name", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg client_setinfo_attr_args[] = {
    { .name = "libname", .type = ARG_STRING, .token = "LIB-NAME" },
    { .name = "libver", .type = ARG_STRING, .token = "LIB-VER" },
    END_ARGS,
};
static const struct srv_arg client_setinfo_args[] = {
    { .name = "attr", .type = ARG_ONEOF, .subargs = client_setinfo_attr_args },
    END_ARGS,
};
static const struct srv_arg client_type_args[] = {
    { .name = "normal", .type = ARG_PURE_TOKEN, .token = "NORMAL" },
    { .name = "master", .type = ARG_PURE_TOKEN, .token = "MASTER" },
    { .name = "replica", .type = ARG_PURE_TOKEN, .token = "REPLICA" },
    { .name = "pubsub", .type = ARG_PURE_TOKEN, .token = "PUBSUB" },
    END_ARGS,
};
static const struct srv_arg client_list_args[] = {
    { .name = "client-type", .type = ARG_ONEOF, .token = "TYPE", .since = "5.0.0",
      .flags = ARGF_OPTIONAL, .subargs = client_type_args },
    { .name = "client-id", .type = ARG_INTEGER, .token = "ID", .since = "6.2.0",
      .flags = ARGF_OPTIONAL | ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_history client_list_history[] = {
    { "2.8.12", "Added unique client `id` field." },
    { "5.0.0", "Added optional `TYPE` filter." },
    { "6.2.0", "Added `laddr` field and the optional `ID` filter." },
    { "7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields." },
    { "7.2.0", "Added `lib-name` and `lib-ver` fields." },
    { 0 },
};
static const struct srv_arg client_skipme_args[] = {
    { .name = "yes", .type = ARG_PURE_TOKEN, .token = "YES" },
    { .name = "no", .type = ARG_PURE_TOKEN, .token = "NO" },
    END_ARGS,
};
static const struct srv_arg client_kill_filter_new_args[] = {
    { .name = "client-id", .type = ARG_INTEGER, .token = "ID", .since = "2.8.12", .flags = ARGF_OPTIONAL },
    { .name = "client-type", .type = ARG_ONEOF, .token = "TYPE", .since = "2.8.12",
      .flags = ARGF_OPTIONAL, .subargs = client_type_args },
    { .name = "username", .type = ARG_STRING, .token = "USER", .flags = ARGF_OPTIONAL },
    { .name = "addr", .type = ARG_STRING, .token = "ADDR", .flags = ARGF_OPTIONAL, .display = "ip:port" },
    { .name = "laddr", .type = ARG_STRING, .token = "LADDR", .since = "6.2.0",
      .flags = ARGF_OPTIONAL, .display = "ip:port" },
    { .name = "skipme", .type = ARG_ONEOF, .token = "SKIPME", .flags = ARGF_OPTIONAL,
      .subargs = client_skipme_args },
    END_ARGS,
};
static const struct srv_arg client_kill_filter_args[] = {
    { .name = "old-format", .type = ARG_STRING, .display = "ip:port" },
    { .name = "new-format", .type = ARG_ONEOF, .flags = ARGF_MULTIPLE, .subargs = client_kill_filter_new_args },
    END_ARGS,
};
static const struct srv_arg client_kill_args[] = {
    { .name = "filter", .type = ARG_ONEOF, .subargs = client_kill_filter_args },
    END_ARGS,
};
static const struct srv_history client_kill_history[] = {
    { "2.8.12", "Added new filter format." },
    { "2.8.12", "`ID` option." },
    { "3.2.0", "Added `master` type in for `TYPE` option." },
    { "5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility." },
    { "6.2.0", "`LADDR` option." },
    { 0 },
};

static const struct srv_command client_subcommands[] = {
    { .name = "getname", .proc = cmd_client_getname, .arity = 2, .flags = CONN_FLAGS,
      .acl = ACL_CONNECTION, .summary = "Get the current connection name", .since = "2.6.9",
      .group = "connection", .complexity = "O(1)" },
    { .name = "help", .proc = cmd_client_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
      .acl = ACL_CONNECTION, .summary = "Show helpful text about the different subcommands",
      .since = "5.0.0", .group = "connection", .complexity = "O(1)" },
    { .name = "id", .proc = cmd_client_id, .arity = 2, .flags = CONN_FLAGS, .acl = ACL_CONNECTION,
      .summary = "Returns the client ID for the current connection", .since = "5.0.0",
      .group = "connection", .complexity = "O(1)" },
    { .name = "info", .proc = cmd_client_info, .arity = 2, .flags = CONN_FLAGS, .acl = ACL_CONNECTION,
      .tips = "nondeterministic_output",
      .summary = "Returns information about the current client connection.", .since = "6.2.0",
      .group = "connection", .complexity = "O(1)" },
    { .name = "kill", .proc = cmd_client_kill, .arity = -3, .flags = CMD_ADMIN | CONN_FLAGS,
      .acl = ACL_CONNECTION, .summary = "Kill the connection of a client", .since = "2.4.0",
      .group = "connection", .complexity = "O(N) where N is the number of client connections",
      .history = client_kill_history, .args = client_kill_args },
    { .name = "list", .proc = cmd_client_list, .arity = -2, .flags = CMD_ADMIN | CONN_FLAGS,
      .acl = ACL_CONNECTION, .tips = "nondeterministic_output",
      .summary = "Get the list of client connections", .since = "2.4.0", .group = "connection",
      .complexity = "O(N) where N is the number of client connections",
      .history = client_list_history, .args = client_list_args },
    { .name = "setinfo", .proc = cmd_client_setinfo, .arity = 4, .flags = CONN_FLAGS,
      .acl = ACL_CONNECTION, .tips = "request_policy:all_nodes response_policy:all_succeeded",
      .summary = "Set client or connection specific info", .since = "7.2.0", .group = "connection",
      .complexity = "O(1)", .args = client_setinfo_args },
    { .name = "setname", .proc = cmd_client_setname, .arity = 3, .flags = CONN_FLAGS,
      .acl = ACL_CONNECTION, .tips = "request_policy:all_nodes response_policy:all_succeeded",
      .summary = "Set the current connection name", .since = "2.6.9", .group = "connection",
      .complexity = "O(1)", .args = client_setname_args },
    { 0 },
};

/* ---- COMMAND ---- */

static const struct srv_arg command_names_args[] = {
    { .name = "command-name", .type = ARG_STRING, .flags = ARGF_OPTIONAL | ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_arg command_filter_choice_args[] = {
    { .name = "module-name", .type = ARG_STRING, .token = "MODULE" },
    { .name = "category", .type = ARG_STRING, .token = "ACLCAT" },
    { .name = "pattern", .type = ARG_PATTERN, .token = "PATTERN" },
    END_ARGS,
};
static const struct srv_arg command_list_args[] = {
    { .name = "filterby", .type = ARG_ONEOF, .token = "FILTERBY", .flags = ARGF_OPTIONAL,
      .subargs = command_filter_choice_args },
    END_ARGS,
};
static const struct srv_history command_info_history[] = {
    { "7.0.0", "Allowed to be called with no argument to get info on all commands." },
    { 0 },
};

static const struct srv_command command_subcommands[] = {
    { .name = "count", .proc = cmd_command_count, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
      .acl = ACL_CONNECTION, .summary = "Get total number of Redis commands", .since = "2.8.13",
      .group = "server", .complexity = "O(1)" },
    { .name = "docs", .proc = cmd_command_docs, .arity = -2, .flags = CMD_LOADING | CMD_STALE,
      .acl = ACL_CONNECTION, .tips = "nondeterministic_output_order",
      .summary = "Get array of specific Redis command documentation", .since = "7.0.0",
      .group = "server", .complexity = "O(N) where N is the number of commands to look up",
      .args = command_names_args },
    { .name = "help", .proc = cmd_command_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
      .acl = ACL_CONNECTION, .summary = "Show helpful text about the different subcommands",
      .since = "5.0.0", .group = "server", .complexity = "O(1)" },
    { .name = "info", .proc = cmd_command_info, .arity = -2, .flags = CMD_LOADING | CMD_STALE,
      .acl = ACL_CONNECTION, .tips = "nondeterministic_output_order",
      .summary = "Get array of specific Redis command details, or all when no argument is given.",
      .since = "2.8.13", .group = "server", .complexity = "O(N) where N is the number of commands to look up",
      .history = command_info_history, .args = command_names_args },
    { .name = "list", .proc = cmd_command_list, .arity = -2, .flags = CMD_LOADING | CMD_STALE,
      .acl = ACL_CONNECTION, .tips = "nondeterministic_output_order",
      .summary = "Get an array of Redis command names", .since = "7.0.0", .group = "server",
      .complexity = "O(N) where N is the total number of Redis commands", .args = command_list_args },
    { 0 },
};

/* ---- CONFIG ---- */

static const struct srv_arg config_get_args[] = {
    { .name = "parameter", .type = ARG_STRING, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_arg config_set_pair_args[] = {
    { .name = "parameter", .type = ARG_STRING },
    { .name = "value", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg config_set_args[] = {
    { .name = "parameter_value", .type = ARG_BLOCK, .flags = ARGF_MULTIPLE, .subargs = config_set_pair_args },
    END_ARGS,
};
static const struct srv_history config_get_history[] = {
    { "7.0.0", "Added the ability to pass multiple pattern parameters in one call" },
    { 0 },
};
static const struct srv_history config_set_history[] = {
    { "7.0.0", "Added the ability to set multiple parameters in one call." },
    { 0 },
};

static const struct srv_command config_subcommands[] = {
    { .name = "get", .proc = cmd_config_get, .arity = -3,
      .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
      .summary = "Get the values of configuration parameters", .since = "2.0.0", .group = "server",
      .complexity = "O(N) when N is the number of configuration parameters provided",
      .history = config_get_history, .args = config_get_args },
    { .name = "help", .proc = cmd_config_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
      .summary = "Show helpful text about the different subcommands", .since = "5.0.0",
      .group = "server", .complexity = "O(1)" },
    { .name = "resetstat", .proc = cmd_config_resetstat, .arity = 2,
      .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
      .tips = "request_policy:all_nodes response_policy:all_succeeded",
      .summary = "Reset the stats returned by INFO", .since = "2.0.0", .group = "server",
      .complexity = "O(1)" },
    { .name = "set", .proc = cmd_config_set, .arity = -4,
      .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
      .tips = "request_policy:all_nodes response_policy:all_succeeded",
      .summary = "Set configuration parameters to the given values", .since = "2.0.0",
      .group = "server", .complexity = "O(N) when N is the number of configuration parameters provided",
      .history = config_set_history, .args = config_set_args },
    { 0 },
};

/* ---- server ---- */

static const struct srv_arg info_args[] = {
    { .name = "section", .type = ARG_STRING, .flags = ARGF_OPTIONAL | ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_history info_history[] = {
    { "7.0.0", "Added support for taking multiple section arguments." },
    { 0 },
};
static const struct srv_arg shutdown_save_args[] = {
    { .name = "nosave", .type = ARG_PURE_TOKEN, .token = "NOSAVE" },
    { .name = "save", .type = ARG_PURE_TOKEN, .token = "SAVE" },
    END_ARGS,
};
static const struct srv_arg shutdown_args[] = {
    { .name = "nosave_save", .type = ARG_ONEOF, .flags = ARGF_OPTIONAL, .subargs = shutdown_save_args },
    { .name = "now", .type = ARG_PURE_TOKEN, .token = "NOW", .since = "7.0.0", .flags = ARGF_OPTIONAL },
    { .name = "force", .type = ARG_PURE_TOKEN, .token = "FORCE", .since = "7.0.0", .flags = ARGF_OPTIONAL },
    { .name = "abort", .type = ARG_PURE_TOKEN, .token = "ABORT", .since = "7.0.0", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_history shutdown_history[] = {
    { "7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers." },
    { 0 },
};


/* ---- streams and keyspace ---- */

static const struct srv_key_spec ks_xadd[] = {
    { .notes = "UPDATE instead of INSERT because of the optional trimming feature",
      .flags = KS_RW | KS_UPDATE, .begin = KS_BEGIN_INDEX, .index = 1, .find = KS_FIND_RANGE,
      .lastkey = 0, .keystep = 1, .limit = 0 },
};
static const struct srv_key_spec ks_read_one[] = {
    { .flags = KS_RO, .begin = KS_BEGIN_INDEX, .index = 1, .find = KS_FIND_RANGE, .keystep = 1 },
};
static const struct srv_key_spec ks_access_one[] = {
    { .flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_INDEX, .index = 1, .find = KS_FIND_RANGE, .keystep = 1 },
};
static const struct srv_key_spec ks_delete_one[] = {
    { .flags = KS_RW | KS_DELETE, .begin = KS_BEGIN_INDEX, .index = 1, .find = KS_FIND_RANGE, .keystep = 1 },
};
static const struct srv_key_spec ks_read_all[] = {
    { .flags = KS_RO, .begin = KS_BEGIN_INDEX, .index = 1, .find = KS_FIND_RANGE, .lastkey = -1, .keystep = 1 },
};
static const struct srv_key_spec ks_remove_all[] = {
    { .flags = KS_RM | KS_DELETE, .begin = KS_BEGIN_INDEX, .index = 1, .find = KS_FIND_RANGE,
      .lastkey = -1, .keystep = 1 },
};

static const struct srv_arg trim_strategy_args[] = {
    { .name = "maxlen", .type = ARG_PURE_TOKEN, .token = "MAXLEN" },
    { .name = "minid", .type = ARG_PURE_TOKEN, .token = "MINID", .since = "6.2.0" },
    END_ARGS,
};
static const struct srv_arg trim_operator_args[] = {
    { .name = "equal", .type = ARG_PURE_TOKEN, .token = "=" },
    { .name = "approximately", .type = ARG_PURE_TOKEN, .token = "~" },
    END_ARGS,
};
#define TRIM_ARGS_BODY                                                                           \
    { .name = "strategy", .type = ARG_ONEOF, .subargs = trim_strategy_args },                   \
    { .name = "operator", .type = ARG_ONEOF, .flags = ARGF_OPTIONAL, .subargs = trim_operator_args }, \
    { .name = "threshold", .type = ARG_STRING },                                                 \
    { .name = "count", .type = ARG_INTEGER, .token = "LIMIT", .since = "6.2.0", .flags = ARGF_OPTIONAL }
static const struct srv_arg xadd_trim_args[] = { TRIM_ARGS_BODY, END_ARGS };
static const struct srv_arg xadd_id_auto_args[] = {
    { .name = "auto-id", .type = ARG_PURE_TOKEN, .token = "*" },
    { .name = "id", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg field_value_args[] = {
    { .name = "field", .type = ARG_STRING },
    { .name = "value", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg xadd_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "nomkstream", .type = ARG_PURE_TOKEN, .token = "NOMKSTREAM", .since = "6.2.0", .flags = ARGF_OPTIONAL },
    { .name = "trim", .type = ARG_BLOCK, .flags = ARGF_OPTIONAL, .subargs = xadd_trim_args },
    { .name = "id-selector", .type = ARG_ONEOF, .subargs = xadd_id_auto_args },
    { .name = "data", .type = ARG_BLOCK, .flags = ARGF_MULTIPLE, .subargs = field_value_args },
    END_ARGS,
};
static const struct srv_history xadd_history[] = {
    { "6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option." },
    { "7.0.0", "Added support for the `<ms>-*` explicit ID form." },
    { 0 },
};
static const struct srv_arg xtrim_trim_args[] = { TRIM_ARGS_BODY, END_ARGS };
static const struct srv_arg xtrim_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "trim", .type = ARG_BLOCK, .subargs = xtrim_trim_args },
    END_ARGS,
};
static const struct srv_history xtrim_history[] = {
    { "6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option." },
    { 0 },
};
static const struct srv_arg key_only_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    END_ARGS,
};
static const struct srv_arg scan_args[] = {
    { .name = "cursor", .type = ARG_INTEGER },
    { .name = "pattern", .type = ARG_PATTERN, .token = "MATCH", .flags = ARGF_OPTIONAL },
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    { .name = "type", .type = ARG_STRING, .token = "TYPE", .since = "6.0.0", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_history scan_history[] = {
    { "6.0.0", "Added the `TYPE` subcommand." },
    { 0 },
};
static const struct srv_arg keys_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_arg xrange_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "start", .type = ARG_STRING },
    { .name = "end", .type = ARG_STRING },
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg xrevrange_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "end", .type = ARG_STRING },
    { .name = "start", .type = ARG_STRING },
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_history xrange_history[] = {
    { "6.2.0", "Added exclusive ranges." },
    { 0 },
};
static const struct srv_arg xdel_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "id", .type = ARG_STRING, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_key_spec ks_xread[] = {
    { .flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_KEYWORD, .keyword = "STREAMS", .startfrom = 1,
      .find = KS_FIND_RANGE, .lastkey = -1, .keystep = 1, .limit = 2 },
};
static const struct srv_arg xread_streams_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0, .flags = ARGF_MULTIPLE },
    { .name = "id", .type = ARG_STRING, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_arg xread_args[] = {
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    { .name = "milliseconds", .type = ARG_INTEGER, .token = "BLOCK", .flags = ARGF_OPTIONAL },
    { .name = "streams", .type = ARG_BLOCK, .token = "STREAMS", .subargs = xread_streams_args },
    END_ARGS,
};
static const struct srv_arg pattern_args[] = {
    { .name = "pattern", .type = ARG_PATTERN },
    END_ARGS,
};
static const struct srv_arg flush_mode_args[] = {
    { .name = "async", .type = ARG_PURE_TOKEN, .token = "ASYNC", .since = "4.0.0" },
    { .name = "sync", .type = ARG_PURE_TOKEN, .token = "SYNC", .since = "6.2.0" },
    END_ARGS,
};
static const struct srv_arg flush_args[] = {
    { .name = "flush-type", .type = ARG_ONEOF, .flags = ARGF_OPTIONAL, .subargs = flush_mode_args },
    END_ARGS,
};
static const struct srv_history flushall_history[] = {
    { "4.0.0", "Added the `ASYNC` flushing mode modifier." },
    { "6.2.0", "Added the `SYNC` flushing mode modifier." },
    { 0 },
};
static const struct srv_key_spec ks_update_one[] = {
    { .flags = KS_RW | KS_UPDATE, .begin = KS_BEGIN_INDEX, .index = 1, .find = KS_FIND_RANGE, .keystep = 1 },
};
static const struct srv_arg xsetid_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "last-id", .type = ARG_STRING },
    { .name = "entries-added", .type = ARG_INTEGER, .token = "ENTRIESADDED", .since = "7.0.0", .flags = ARGF_OPTIONAL },
    { .name = "max-deleted-id", .type = ARG_STRING, .token = "MAXDELETEDID", .since = "7.0.0", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_history xsetid_history[] = {
    { "7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments." },
    { 0 },
};
static const struct srv_key_spec ks_xinfo[] = {
    { .flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_INDEX, .index = 2, .find = KS_FIND_RANGE, .keystep = 1 },
};
static const struct srv_arg xinfo_key_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    END_ARGS,
};
static const struct srv_arg xinfo_consumers_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "groupname", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg xinfo_stream_full_args[] = {
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg xinfo_stream_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "full", .type = ARG_BLOCK, .token = "FULL", .flags = ARGF_OPTIONAL, .subargs = xinfo_stream_full_args },
    END_ARGS,
};
static const struct srv_history xinfo_stream_history[] = {
    { "6.0.0", "Added the `FULL` modifier." },
    { "7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields" },
    { 0 },
};
static const struct srv_history xinfo_groups_history[] = {
    { "7.0.0", "Added the `entries-read` and `lag` fields" },
    { 0 },
};
static const struct srv_command xinfo_subcommands[] = {
    { .name = "consumers", .proc = cmd_xinfo_consumers, .arity = 4, .flags = CMD_READONLY, .acl = ACL_STREAM,
      .tips = "nondeterministic_output", .key_specs = ks_xinfo, .nkey_specs = 1,
      .summary = "List the consumers in a consumer group", .since = "5.0.0", .group = "stream",
      .complexity = "O(1)", .args = xinfo_consumers_args },
    { .name = "groups", .proc = cmd_xinfo_groups, .arity = 3, .flags = CMD_READONLY, .acl = ACL_STREAM,
      .key_specs = ks_xinfo, .nkey_specs = 1, .summary = "List the consumer groups of a stream",
      .since = "5.0.0", .group = "stream", .complexity = "O(1)", .history = xinfo_groups_history,
      .args = xinfo_key_args },
    { .name = "help", .proc = cmd_xinfo_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl = ACL_STREAM,
      .summary = "Show helpful text about the different subcommands", .since = "5.0.0", .group = "stream",
      .complexity = "O(1)" },
    { .name = "stream", .proc = cmd_xinfo_stream, .arity = -3, .flags = CMD_READONLY, .acl = ACL_STREAM,
      .key_specs = ks_xinfo, .nkey_specs = 1, .summary = "Get information about a stream",
      .since = "5.0.0", .group = "stream", .complexity = "O(1)", .history = xinfo_stream_history,
      .args = xinfo_stream_args },
    { 0 },
};
static const struct srv_arg watch_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
#define TX_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
/* ---- consumer groups ---- */

#define KS_AT(name, index_, flags_)                                                                     \
    static const struct srv_key_spec name[] = {                                                       \
        { .flags = (flags_), .begin = KS_BEGIN_INDEX, .index = (index_), .find = KS_FIND_RANGE, .keystep = 1 }, \
    }
KS_AT(ks_xgroup_insert, 2, KS_RW | KS_INSERT);
KS_AT(ks_xgroup_update, 2, KS_RW | KS_UPDATE);
KS_AT(ks_xgroup_delete, 2, KS_RW | KS_DELETE);
KS_AT(ks_xack, 1, KS_RW | KS_UPDATE);
KS_AT(ks_xpending, 1, KS_RO | KS_ACCESS);
static const struct srv_key_spec ks_xreadgroup[] = {
    { .flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_KEYWORD, .keyword = "STREAMS", .startfrom = 4,
      .find = KS_FIND_RANGE, .lastkey = -1, .keystep = 1, .limit = 2 },
};
static const struct srv_arg xgroup_id_oneof[] = {
    { .name = "id", .type = ARG_STRING },
    { .name = "new_id", .type = ARG_PURE_TOKEN, .token = "$" },
    END_ARGS,
};
static const struct srv_arg xgroup_create_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "groupname", .type = ARG_STRING },
    { .name = "id", .type = ARG_ONEOF, .subargs = xgroup_id_oneof },
    { .name = "mkstream", .type = ARG_PURE_TOKEN, .token = "MKSTREAM", .flags = ARGF_OPTIONAL },
    { .name = "entries_read", .type = ARG_INTEGER, .token = "ENTRIESREAD", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg xgroup_setid_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "groupname", .type = ARG_STRING },
    { .name = "id", .type = ARG_ONEOF, .subargs = xgroup_id_oneof },
    { .name = "entries_read", .type = ARG_INTEGER, .token = "ENTRIESREAD", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg xgroup_key_group_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "groupname", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg xgroup_consumer_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "groupname", .type = ARG_STRING },
    { .name = "consumername", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_history xgroup_create_history[] = {
    { "7.0.0", "Added the `entries_read` named argument." },
    { 0 },
};
static const struct srv_history xgroup_setid_history[] = {
    { "7.0.0", "Added the optional `entries_read` argument." },
    { 0 },
};
static const struct srv_command xgroup_subcommands[] = {
    { .name = "create", .proc = cmd_xgroup_create, .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM,
      .acl = ACL_STREAM, .key_specs = ks_xgroup_insert, .nkey_specs = 1, .summary = "Create a consumer group.",
      .since = "5.0.0", .group = "stream", .complexity = "O(1)", .history = xgroup_create_history,
      .args = xgroup_create_args },
    { .name = "createconsumer", .proc = cmd_xgroup_createconsumer, .arity = 5, .flags = CMD_WRITE | CMD_DENYOOM,
      .acl = ACL_STREAM, .key_specs = ks_xgroup_insert, .nkey_specs = 1,
      .summary = "Create a consumer in a consumer group.", .since = "6.2.0", .group = "stream",
      .complexity = "O(1)", .args = xgroup_consumer_args },
    { .name = "delconsumer", .proc = cmd_xgroup_delconsumer, .arity = 5, .flags = CMD_WRITE, .acl = ACL_STREAM,
      .key_specs = ks_xgroup_delete, .nkey_specs = 1, .summary = "Delete a consumer from a consumer group.",
      .since = "5.0.0", .group = "stream", .complexity = "O(1)", .args = xgroup_consumer_args },
    { .name = "destroy", .proc = cmd_xgroup_destroy, .arity = 4, .flags = CMD_WRITE, .acl = ACL_STREAM,
      .key_specs = ks_xgroup_delete, .nkey_specs = 1, .summary = "Destroy a consumer group.", .since = "5.0.0",
      .group = "stream", .complexity = "O(N) where N is the number of entries in the group's pending entries list (PEL).",
      .args = xgroup_key_group_args },
    { .name = "help", .proc = cmd_xgroup_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl = ACL_STREAM,
      .summary = "Show helpful text about the different subcommands", .since = "5.0.0", .group = "stream",
      .complexity = "O(1)" },
    { .name = "setid", .proc = cmd_xgroup_setid, .arity = -5, .flags = CMD_WRITE, .acl = ACL_STREAM,
      .key_specs = ks_xgroup_update, .nkey_specs = 1,
      .summary = "Set a consumer group to an arbitrary last delivered ID value.", .since = "5.0.0",
      .group = "stream", .complexity = "O(1)", .history = xgroup_setid_history, .args = xgroup_setid_args },
    { 0 },
};
static const struct srv_arg xreadgroup_group_args[] = {
    { .name = "group", .type = ARG_STRING },
    { .name = "consumer", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg xreadgroup_streams_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0, .flags = ARGF_MULTIPLE },
    { .name = "id", .type = ARG_STRING, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_arg xreadgroup_args[] = {
    { .name = "group_consumer", .type = ARG_BLOCK, .token = "GROUP", .subargs = xreadgroup_group_args },
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    { .name = "milliseconds", .type = ARG_INTEGER, .token = "BLOCK", .flags = ARGF_OPTIONAL },
    { .name = "noack", .type = ARG_PURE_TOKEN, .token = "NOACK", .flags = ARGF_OPTIONAL },
    { .name = "streams", .type = ARG_BLOCK, .token = "STREAMS", .subargs = xreadgroup_streams_args },
    END_ARGS,
};
static const struct srv_arg xack_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "group", .type = ARG_STRING },
    { .name = "id", .type = ARG_STRING, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_arg xpending_filters_args[] = {
    { .name = "min-idle-time", .type = ARG_INTEGER, .token = "IDLE", .since = "6.2.0", .flags = ARGF_OPTIONAL },
    { .name = "start", .type = ARG_STRING },
    { .name = "end", .type = ARG_STRING },
    { .name = "count", .type = ARG_INTEGER },
    { .name = "consumer", .type = ARG_STRING, .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg xpending_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "group", .type = ARG_STRING },
    { .name = "filters", .type = ARG_BLOCK, .flags = ARGF_OPTIONAL, .subargs = xpending_filters_args },
    END_ARGS,
};
KS_AT(ks_xclaim, 1, KS_RW | KS_UPDATE);
KS_AT(ks_xautoclaim, 1, KS_RW | KS_DELETE);
static const struct srv_arg xclaim_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "group", .type = ARG_STRING },
    { .name = "consumer", .type = ARG_STRING },
    { .name = "min-idle-time", .type = ARG_STRING },
    { .name = "id", .type = ARG_STRING, .flags = ARGF_MULTIPLE },
    { .name = "ms", .type = ARG_INTEGER, .token = "IDLE", .flags = ARGF_OPTIONAL },
    { .name = "unix-time-milliseconds", .type = ARG_UNIX_TIME, .token = "TIME", .flags = ARGF_OPTIONAL },
    { .name = "count", .type = ARG_INTEGER, .token = "RETRYCOUNT", .flags = ARGF_OPTIONAL },
    { .name = "force", .type = ARG_PURE_TOKEN, .token = "FORCE", .flags = ARGF_OPTIONAL },
    { .name = "justid", .type = ARG_PURE_TOKEN, .token = "JUSTID", .flags = ARGF_OPTIONAL },
    { .name = "id", .type = ARG_STRING, .token = "LASTID", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg xautoclaim_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "group", .type = ARG_STRING },
    { .name = "consumer", .type = ARG_STRING },
    { .name = "min-idle-time", .type = ARG_STRING },
    { .name = "start", .type = ARG_STRING },
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    { .name = "justid", .type = ARG_PURE_TOKEN, .token = "JUSTID", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_history xautoclaim_history[] = {
    { "7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL" },
    { 0 },
};
static const struct srv_history xpending_history[] = {
    { "6.2.0", "Added the `IDLE` option and exclusive range intervals." },
    { 0 },
};
/* ---- event log ---- */

KS_AT(ks_ev_add, 1, KS_RW | KS_INSERT);
static const struct srv_arg ev_add_expect_args[] = {
    { .name = "any", .type = ARG_PURE_TOKEN, .token = "ANY" },
    { .name = "nokey", .type = ARG_PURE_TOKEN, .token = "NOKEY" },
    { .name = "exists", .type = ARG_PURE_TOKEN, .token = "EXISTS" },
    { .name = "revision", .type = ARG_INTEGER },
    END_ARGS,
};
static const struct srv_arg ev_add_tags_args[] = {
    { .name = "numtags", .type = ARG_INTEGER },
    { .name = "tag", .type = ARG_STRING, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_arg ev_add_data_args[] = {
    { .name = "field", .type = ARG_STRING },
    { .name = "value", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_arg ev_add_args[] = {
    { .name = "key", .type = ARG_KEY, .key_spec_index = 0 },
    { .name = "tags", .type = ARG_BLOCK, .token = "TAGS", .flags = ARGF_OPTIONAL, .subargs = ev_add_tags_args },
    { .name = "type", .type = ARG_STRING, .token = "TYPE", .flags = ARGF_OPTIONAL },
    { .name = "eventid", .type = ARG_STRING, .token = "EVENTID", .flags = ARGF_OPTIONAL },
    { .name = "expect", .type = ARG_ONEOF, .token = "EXPECT", .flags = ARGF_OPTIONAL, .subargs = ev_add_expect_args },
    { .name = "data", .type = ARG_BLOCK, .flags = ARGF_MULTIPLE, .subargs = ev_add_data_args },
    END_ARGS,
};
static const struct srv_arg ev_types_args[] = {
    { .name = "numtypes", .type = ARG_INTEGER },
    { .name = "type", .type = ARG_STRING, .flags = ARGF_MULTIPLE },
    END_ARGS,
};
static const struct srv_arg ev_order_args[] = {
    { .name = "lamport", .type = ARG_PURE_TOKEN, .token = "LAMPORT" },
    { .name = "lamportdesc", .type = ARG_PURE_TOKEN, .token = "LAMPORTDESC" },
    { .name = "stream", .type = ARG_PURE_TOKEN, .token = "STREAM" },
    END_ARGS,
};
static const struct srv_arg ev_query_args[] = {
    { .name = "expression", .type = ARG_STRING, .token = "WHERE", .flags = ARGF_OPTIONAL },
    { .name = "types", .type = ARG_BLOCK, .token = "TYPES", .flags = ARGF_OPTIONAL, .subargs = ev_types_args },
    { .name = "from", .type = ARG_STRING, .token = "FROM", .flags = ARGF_OPTIONAL },
    { .name = "to", .type = ARG_STRING, .token = "TO", .flags = ARGF_OPTIONAL },
    { .name = "order", .type = ARG_ONEOF, .token = "ORDER", .flags = ARGF_OPTIONAL, .subargs = ev_order_args },
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg ev_read_args[] = {
    { .name = "expression", .type = ARG_STRING, .token = "WHERE", .flags = ARGF_OPTIONAL },
    { .name = "types", .type = ARG_BLOCK, .token = "TYPES", .flags = ARGF_OPTIONAL, .subargs = ev_types_args },
    { .name = "count", .type = ARG_INTEGER, .token = "COUNT", .flags = ARGF_OPTIONAL },
    { .name = "milliseconds", .type = ARG_INTEGER, .token = "BLOCK", .flags = ARGF_OPTIONAL },
    { .name = "from", .type = ARG_STRING, .token = "FROM" },
    END_ARGS,
};
static const struct srv_arg ev_subscribe_args[] = {
    { .name = "expression", .type = ARG_STRING, .token = "WHERE", .flags = ARGF_OPTIONAL },
    { .name = "types", .type = ARG_BLOCK, .token = "TYPES", .flags = ARGF_OPTIONAL, .subargs = ev_types_args },
    { .name = "from", .type = ARG_STRING, .token = "FROM", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg ev_sync_args[] = {
    { .name = "nodeid", .type = ARG_STRING },
    { .name = "offsets", .type = ARG_STRING },
    { .name = "address", .type = ARG_STRING, .token = "LISTEN", .flags = ARGF_OPTIONAL },
    END_ARGS,
};
static const struct srv_arg ev_peer_addr_args[] = {
    { .name = "address", .type = ARG_STRING },
    END_ARGS,
};
static const struct srv_command ev_peer_subcommands[] = {
    { .name = "add", .proc = cmd_ev_peer_add, .arity = 3, .flags = CMD_WRITE | CMD_ADMIN | CMD_NOSCRIPT,
      .acl = ACL_STREAM, .summary = "Starts replicating from a peer (kept across restarts); 1 if added, 0 if it was already a peer",
      .since = "0.1.0", .group = "stream", .complexity = "O(1)", .args = ev_peer_addr_args },
    { .name = "list", .proc = cmd_ev_peer_list, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
      .acl = ACL_STREAM, .summary = "Lists the peers: address, node id, link state, events behind, events imported, last contact",
      .since = "0.1.0", .group = "stream", .complexity = "O(P) for P peers" },
    { .name = "remove", .proc = cmd_ev_peer_remove, .arity = 3, .flags = CMD_WRITE | CMD_ADMIN | CMD_NOSCRIPT,
      .acl = ACL_STREAM, .summary = "Stops replicating from a peer (also after restarts); 1 if removed, 0 if it was not a peer",
      .since = "0.1.0", .group = "stream", .complexity = "O(P) for P peers", .args = ev_peer_addr_args },
    { 0 },
};
static const struct srv_history exists_history[] = {
    { "3.0.3", "Accepts multiple `key` arguments." },
    { 0 },
};

const struct srv_command srv_command_table[] = {
    { .name = "auth", .proc = cmd_auth, .arity = -2,
      .flags = CONN_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL | CMD_ALLOW_BUSY,
      .acl = ACL_CONNECTION, .summary = "Authenticate to the server", .since = "1.0.0",
      .group = "connection", .complexity = "O(N) where N is the number of passwords defined for the user",
      .history = auth_history, .args = auth_args },
    { .name = "client", .arity = -2, .flags = CMD_SENTINEL,
      .summary = "A container for client connection commands", .since = "2.4.0",
      .group = "connection", .complexity = "Depends on subcommand.", .subcommands = client_subcommands },
    { .name = "command", .proc = cmd_command, .arity = -1, .flags = CMD_LOADING | CMD_STALE | CMD_SENTINEL,
      .acl = ACL_CONNECTION, .tips = "nondeterministic_output_order",
      .summary = "Get array of Redis command details", .since = "2.8.13", .group = "server",
      .complexity = "O(N) where N is the total number of Redis commands", .subcommands = command_subcommands },
    { .name = "config", .arity = -2, .summary = "A container for server configuration commands",
      .since = "2.0.0", .group = "server", .complexity = "Depends on subcommand.",
      .subcommands = config_subcommands },
    { .name = "dbsize", .proc = cmd_dbsize, .arity = 1, .flags = CMD_READONLY | CMD_FAST,
      .acl = ACL_KEYSPACE, .tips = "request_policy:all_shards response_policy:agg_sum",
      .summary = "Return the number of keys in the selected database", .since = "1.0.0",
      .group = "server", .complexity = "O(1)" },
    { .name = "del", .proc = cmd_del, .arity = -2, .flags = CMD_WRITE, .acl = ACL_KEYSPACE,
      .tips = "request_policy:multi_shard response_policy:agg_sum", .key_specs = ks_remove_all,
      .nkey_specs = 1, .summary = "Delete a key", .since = "1.0.0", .group = "generic",
      .complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a stream, it is O(M) in the number of its entries.",
      .args = keys_args },
    { .name = "discard", .proc = cmd_discard, .arity = 1, .flags = TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY,
      .acl = ACL_TRANSACTION, .summary = "Discard all commands issued after MULTI", .since = "2.0.0",
      .group = "transactions", .complexity = "O(N), when N is the number of queued commands" },
    { .name = "echo", .proc = cmd_echo, .arity = 2, .flags = CMD_FAST, .acl = ACL_CONNECTION,
      .summary = "Echo the given string", .since = "1.0.0", .group = "connection",
      .complexity = "O(1)", .args = echo_args },
    { .name = "ev.add", .proc = cmd_ev_add, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM, .acl = ACL_STREAM,
      .key_specs = ks_ev_add, .nkey_specs = 1,
      .summary = "Appends an event to the node's source stream and to a key: tags (the key is always one), an optional type and event id (a repeated id stores nothing and answers the stored position), and an optional expected revision of the key checked atomically",
      .since = "0.1.0", .group = "stream", .complexity = "O(T + F): T tags, F fields", .args = ev_add_args },
    { .name = "ev.node", .proc = cmd_ev_node, .arity = 1, .flags = CMD_READONLY | CMD_FAST, .acl = ACL_STREAM,
      .summary = "Returns this node's id, source stream id, Lamport clock and number of stored events",
      .since = "0.1.0", .group = "stream", .complexity = "O(1)" },
    { .name = "ev.offsets", .proc = cmd_ev_offsets, .arity = 1, .flags = CMD_READONLY, .acl = ACL_STREAM,
      .summary = "Returns the offset map of everything stored here (present) and of what peers are known to have that is missing here (toReplicate), as JSON objects",
      .since = "0.1.0", .group = "stream", .complexity = "O(S): S source streams" },
    { .name = "ev.peer", .arity = -2, .summary = "A container for the replication peer commands", .since = "0.1.0",
      .group = "stream", .complexity = "Depends on subcommand.", .subcommands = ev_peer_subcommands },
    { .name = "ev.query", .proc = cmd_ev_query, .arity = -1, .flags = CMD_READONLY, .acl = ACL_STREAM,
      .summary = "Returns the events matching a tag expression and types between two offset maps, in Lamport order (or reversed, or stream by stream), with the offset map to continue from",
      .since = "0.1.0", .group = "stream",
      .complexity = "O(M log N): M matching events (plus the steps of AND), N events in the log",
      .args = ev_query_args },
    { .name = "ev.read", .proc = cmd_ev_read, .arity = -3, .flags = CMD_READONLY | CMD_BLOCKING, .acl = ACL_STREAM,
      .summary = "Returns the matching events after an offset map in Lamport order, with the offset map to continue from; waits up to BLOCK milliseconds (0: forever) for the first",
      .since = "0.1.0", .group = "stream",
      .complexity = "O(M log N): M events returned, N events in the log", .args = ev_read_args },
    { .name = "ev.subscribe", .proc = cmd_ev_subscribe, .arity = -1,
      .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl = ACL_STREAM,
      .summary = "Receives every matching event after an offset map, then a caught-up message with the map where history ended, then live events as they are committed (RESP3 pushes; RESP2 arrays)",
      .since = "0.1.0", .group = "stream", .complexity = "O(M log N) for M events delivered",
      .args = ev_subscribe_args },
    { .name = "ev.sync", .proc = cmd_ev_sync, .arity = -3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
      .acl = ACL_STREAM | ACL_ADMIN | ACL_DANGEROUS,
      .summary = "Replication: streams every event the calling peer lacks (of every stream held here), then live events and offset announcements (docs/replication.md)",
      .since = "0.1.0", .group = "stream", .complexity = "O(M log N) for M events sent",
      .args = ev_sync_args },
    { .name = "ev.unsubscribe", .proc = cmd_ev_unsubscribe, .arity = 1,
      .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl = ACL_STREAM,
      .summary = "Ends this connection's event subscription; the message carries the offset map of what was delivered",
      .since = "0.1.0", .group = "stream", .complexity = "O(1)" },
    { .name = "exec", .proc = cmd_exec, .arity = 1, .flags = TX_FLAGS | CMD_SKIP_SLOWLOG,
      .acl = ACL_TRANSACTION, .summary = "Execute all commands issued after MULTI", .since = "1.2.0",
      .group = "transactions", .complexity = "Depends on commands in the transaction" },
    { .name = "exists", .proc = cmd_exists, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
      .acl = ACL_KEYSPACE, .tips = "request_policy:multi_shard response_policy:agg_sum",
      .key_specs = ks_read_all, .nkey_specs = 1, .summary = "Determine if a key exists",
      .since = "1.0.0", .group = "generic", .complexity = "O(N) where N is the number of keys to check.",
      .history = exists_history, .args = keys_args },
    { .name = "flushall", .proc = cmd_flushall, .arity = -1, .flags = CMD_WRITE, .acl = ACL_KEYSPACE | ACL_DANGEROUS,
      .tips = "request_policy:all_shards response_policy:all_succeeded",
      .summary = "Remove all keys from all databases", .since = "1.0.0", .group = "server",
      .complexity = "O(N) where N is the total number of keys in all databases", .history = flushall_history,
      .args = flush_args },
    { .name = "flushdb", .proc = cmd_flushall, .arity = -1, .flags = CMD_WRITE, .acl = ACL_KEYSPACE | ACL_DANGEROUS,
      .tips = "request_policy:all_shards response_policy:all_succeeded",
      .summary = "Remove all keys from the current database", .since = "1.0.0", .group = "server",
      .complexity = "O(N) where N is the number of keys in the selected database", .history = flushall_history,
      .args = flush_args },
    { .name = "hello", .proc = cmd_hello, .arity = -1,
      .flags = CONN_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL | CMD_ALLOW_BUSY,
      .acl = ACL_CONNECTION, .summary = "Handshake with Redis", .since = "6.0.0", .group = "connection",
      .complexity = "O(1)", .history = hello_history, .args = hello_args },
    { .name = "info", .proc = cmd_info, .arity = -1, .flags = CMD_LOADING | CMD_STALE | CMD_SENTINEL,
      .acl = ACL_DANGEROUS,
      .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
      .summary = "Get information and statistics about the server", .since = "1.0.0",
      .group = "server", .complexity = "O(1)", .history = info_history, .args = info_args },
    { .name = "keys", .proc = cmd_keys, .arity = 2, .flags = CMD_READONLY, .acl = ACL_KEYSPACE | ACL_DANGEROUS,
      .tips = "request_policy:all_shards nondeterministic_output_order",
      .summary = "Find all keys matching the given pattern", .since = "1.0.0", .group = "generic",
      .complexity = "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
      .args = pattern_args },
    { .name = "multi", .proc = cmd_multi, .arity = 1, .flags = TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY,
      .acl = ACL_TRANSACTION, .summary = "Mark the start of a transaction block", .since = "1.2.0",
      .group = "transactions", .complexity = "O(1)" },
    { .name = "ping", .proc = cmd_ping, .arity = -1, .flags = CMD_FAST | CMD_SENTINEL,
      .acl = ACL_CONNECTION, .tips = "request_policy:all_shards response_policy:all_succeeded",
      .summary = "Ping the server", .since = "1.0.0", .group = "connection", .complexity = "O(1)",
      .args = ping_args },
    { .name = "quit", .proc = cmd_quit, .arity = -1,
      .flags = CMD_ALLOW_BUSY | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH,
      .acl = ACL_CONNECTION, .summary = "Close the connection", .since = "1.0.0",
      .group = "connection", .complexity = "O(1)" },
    { .name = "reset", .proc = cmd_reset, .arity = 1,
      .flags = CONN_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL | CMD_ALLOW_BUSY,
      .acl = ACL_CONNECTION, .summary = "Reset the connection", .since = "6.2.0",
      .group = "connection", .complexity = "O(1)" },
    { .name = "scan", .proc = cmd_scan, .arity = -2, .flags = CMD_READONLY, .acl = ACL_KEYSPACE,
      .tips = "nondeterministic_output request_policy:special",
      .summary = "Incrementally iterate the keys space", .since = "2.8.0", .group = "generic",
      .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
      .history = scan_history, .args = scan_args },
    { .name = "select", .proc = cmd_select, .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
      .acl = ACL_CONNECTION, .summary = "Change the selected database for the current connection",
      .since = "1.0.0", .group = "connection", .complexity = "O(1)", .args = select_args },
    { .name = "shutdown", .proc = cmd_shutdown, .arity = -1,
      .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_SENTINEL | CMD_ALLOW_BUSY,
      .summary = "Synchronously save the dataset to disk and then shut down the server",
      .since = "1.0.0", .group = "server",
      .complexity = "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
      .history = shutdown_history, .args = shutdown_args },
    { .name = "time", .proc = cmd_time, .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
      .tips = "nondeterministic_output", .summary = "Return the current server time",
      .since = "2.6.0", .group = "server", .complexity = "O(1)" },
    { .name = "type", .proc = cmd_type, .arity = 2, .flags = CMD_READONLY | CMD_FAST, .acl = ACL_KEYSPACE,
      .key_specs = ks_read_one, .nkey_specs = 1, .summary = "Determine the type stored at key",
      .since = "1.0.0", .group = "generic", .complexity = "O(1)", .args = key_only_args },
    { .name = "unlink", .proc = cmd_del, .arity = -2, .flags = CMD_WRITE | CMD_FAST, .acl = ACL_KEYSPACE,
      .tips = "request_policy:multi_shard response_policy:agg_sum", .key_specs = ks_remove_all,
      .nkey_specs = 1, .summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
      .since = "4.0.0", .group = "generic",
      .complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
      .args = keys_args },
    { .name = "unwatch", .proc = cmd_unwatch, .arity = 1, .flags = TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY,
      .acl = ACL_TRANSACTION, .summary = "Forget about all watched keys", .since = "2.2.0",
      .group = "transactions", .complexity = "O(1)" },
    { .name = "watch", .proc = cmd_watch, .arity = -2, .flags = TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY,
      .acl = ACL_TRANSACTION, .key_specs = ks_read_all, .nkey_specs = 1,
      .summary = "Watch the given keys to determine execution of the MULTI/EXEC block", .since = "2.2.0",
      .group = "transactions", .complexity = "O(1) for every key.", .args = watch_args },
    { .name = "xack", .proc = cmd_xack, .arity = -4, .flags = CMD_WRITE | CMD_FAST, .acl = ACL_STREAM,
      .key_specs = ks_xack, .nkey_specs = 1,
      .summary = "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
      .since = "5.0.0", .group = "stream", .complexity = "O(1) for each message ID processed.", .args = xack_args },
    { .name = "xadd", .proc = cmd_xadd, .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
      .acl = ACL_STREAM, .tips = "nondeterministic_output", .key_specs = ks_xadd, .nkey_specs = 1,
      .summary = "Appends a new entry to a stream", .since = "5.0.0", .group = "stream",
      .complexity = "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
      .history = xadd_history, .args = xadd_args },
    { .name = "xautoclaim", .proc = cmd_xautoclaim, .arity = -6, .flags = CMD_WRITE | CMD_FAST, .acl = ACL_STREAM,
      .tips = "nondeterministic_output", .key_specs = ks_xautoclaim, .nkey_specs = 1,
      .summary = "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
      .since = "6.2.0", .group = "stream", .complexity = "O(1) if COUNT is small.", .history = xautoclaim_history,
      .args = xautoclaim_args },
    { .name = "xclaim", .proc = cmd_xclaim, .arity = -6, .flags = CMD_WRITE | CMD_FAST, .acl = ACL_STREAM,
      .tips = "nondeterministic_output", .key_specs = ks_xclaim, .nkey_specs = 1,
      .summary = "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
      .since = "5.0.0", .group = "stream",
      .complexity = "O(log N) with N being the number of messages in the PEL of the consumer group.",
      .args = xclaim_args },
    { .name = "xdel", .proc = cmd_xdel, .arity = -3, .flags = CMD_WRITE | CMD_FAST, .acl = ACL_STREAM,
      .key_specs = ks_delete_one, .nkey_specs = 1,
      .summary = "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
      .since = "5.0.0", .group = "stream",
      .complexity = "O(1) for each single item to delete in the stream, regardless of the stream size.",
      .args = xdel_args },
    { .name = "xgroup", .arity = -2, .summary = "A container for consumer groups commands", .since = "5.0.0",
      .group = "stream", .complexity = "Depends on subcommand.", .subcommands = xgroup_subcommands },
    { .name = "xinfo", .arity = -2, .summary = "A container for stream introspection commands",
      .since = "5.0.0", .group = "stream", .complexity = "Depends on subcommand.",
      .subcommands = xinfo_subcommands },
    { .name = "xlen", .proc = cmd_xlen, .arity = 2, .flags = CMD_READONLY | CMD_FAST, .acl = ACL_STREAM,
      .key_specs = ks_read_one, .nkey_specs = 1, .summary = "Return the number of entries in a stream",
      .since = "5.0.0", .group = "stream", .complexity = "O(1)", .args = key_only_args },
    { .name = "xpending", .proc = cmd_xpending, .arity = -3, .flags = CMD_READONLY, .acl = ACL_STREAM,
      .tips = "nondeterministic_output", .key_specs = ks_xpending, .nkey_specs = 1,
      .summary = "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
      .since = "5.0.0", .group = "stream",
      .complexity = "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
      .history = xpending_history, .args = xpending_args },
    { .name = "xrange", .proc = cmd_xrange, .arity = -4, .flags = CMD_READONLY, .acl = ACL_STREAM,
      .key_specs = ks_access_one, .nkey_specs = 1,
      .summary = "Return a range of elements in a stream, with IDs matching the specified IDs interval",
      .since = "5.0.0", .group = "stream",
      .complexity = "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
      .history = xrange_history, .args = xrange_args },
    { .name = "xread", .proc = cmd_xread, .arity = -4, .flags = CMD_READONLY | CMD_BLOCKING | CMD_MOVABLE_KEYS,
      .acl = ACL_STREAM, .key_specs = ks_xread, .nkey_specs = 1,
      .summary = "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
      .since = "5.0.0", .group = "stream",
      .complexity = "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
      .args = xread_args },
    { .name = "xreadgroup", .proc = cmd_xreadgroup, .arity = -7,
      .flags = CMD_WRITE | CMD_BLOCKING | CMD_MOVABLE_KEYS, .acl = ACL_STREAM, .key_specs = ks_xreadgroup,
      .nkey_specs = 1,
      .summary = "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
      .since = "5.0.0", .group = "stream",
      .complexity = "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
      .args = xreadgroup_args },
    { .name = "xrevrange", .proc = cmd_xrevrange, .arity = -4, .flags = CMD_READONLY, .acl = ACL_STREAM,
      .key_specs = ks_access_one, .nkey_specs = 1,
      .summary = "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
      .since = "5.0.0", .group = "stream",
      .complexity = "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
      .history = xrange_history, .args = xrevrange_args },
    { .name = "xsetid", .proc = cmd_xsetid, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
      .acl = ACL_STREAM, .key_specs = ks_update_one, .nkey_specs = 1,
      .summary = "An internal command for replicating stream values", .since = "5.0.0", .group = "stream",
      .complexity = "O(1)", .history = xsetid_history, .args = xsetid_args },
    { .name = "xtrim", .proc = cmd_xtrim, .arity = -4, .flags = CMD_WRITE, .acl = ACL_STREAM,
      .tips = "nondeterministic_output", .key_specs = ks_delete_one, .nkey_specs = 1,
      .summary = "Trims the stream to (approximately if '~' is passed) a certain size", .since = "5.0.0",
      .group = "stream", .complexity = "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
      .history = xtrim_history, .args = xtrim_args },
    { 0 },
};
