/* server.h — the server's shared state and the contracts between its files:
 * the loop (server.c), listeners and socket I/O (net.c), clients (client.c),
 * dispatch (dispatch.c), replies (reply.c) and the command handlers
 * (cmd_*.c). Nothing outside server/ includes this. */
#ifndef SWARMLOG_SERVER_H
#define SWARMLOG_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "resp.h"
#include "store.h"
#include "evparse.h"

#define SWARMLOG_REDIS_COMPAT_VERSION "7.0.15"

struct event_base;
struct event;
struct evconnlistener;
struct store;
struct store_id;
struct client;
struct srv_command;

/* Per-command counters, as INFO commandstats reports them. */
struct srv_cmd_stats {
    uint64_t calls;
    uint64_t ticks; /* time in commands, srv_cmd_clock ticks (INFO shows usec) */
    uint64_t rejected_calls;
    uint64_t failed_calls;
};

/* The command registry: a lookup table built at start from the declarative
 * table in commands.c, owning each command's counters. */
struct srv_cmd_entry {
    const struct srv_command *cmd;
    const struct srv_command *parent; /* NULL for top-level commands */
    char fullname[64];                /* "client|list" */
    struct srv_cmd_stats stats;
    struct srv_cmd_entry *subs;       /* array of nsubs, or NULL */
    size_t nsubs;
};

struct srv_registry {
    struct srv_cmd_entry *entries;  /* top-level commands, table order */
    size_t count;
    struct srv_cmd_entry **slots;   /* open-addressing hash on lower-case name */
    size_t nslots;
};

#define SRV_ERRORSTATS_MAX 128
struct srv_errorstat {
    char code[32];
    uint64_t count;
};

#define SRV_METRIC_SAMPLES 16
struct srv_metric {
    uint64_t last_value;
    int64_t last_ms;
    double samples[SRV_METRIC_SAMPLES];
    int idx;
};

struct srv_stats {
    uint64_t connections_received;
    uint64_t commands_processed;
    uint64_t rejected_connections;
    uint64_t error_replies;
    uint64_t net_input_bytes;
    uint64_t net_output_bytes;
    uint64_t reads_processed;
    uint64_t writes_processed;
    uint64_t client_query_limit_disconnections;
    uint64_t store_commits, store_commit_failures, store_commit_usec_last;
    int64_t store_last_commit_unix;
    int store_last_commit_ok;
    struct srv_errorstat errors[SRV_ERRORSTATS_MAX];
    int nerrors;
    struct srv_metric ops, net_in, net_out;
};

struct srv {
    struct event_base *base;
    struct srv_config cfg;
    struct store *store;
    struct srv_registry registry;

    struct evconnlistener *listeners[SRV_CONFIG_MAX_BIND];
    int nlisteners;
    struct event *ev_sigterm, *ev_sigint, *ev_cron;

    struct client *clients_head, *clients_tail; /* all clients, by id */
    size_t nclients;
    size_t blocked_clients;
    struct client *pending_writes;  /* clients with replies to flush */
    struct client *to_close;        /* clients to free after this turn */
    struct client *turn_writers;    /* clients whose replies wait for the turn's commit */
    struct client *blocked_head, *blocked_tail; /* blocked clients, oldest first (blocking.c) */
    struct client *subscribers;     /* clients in EV.SUBSCRIBE (subscribe.c) */
    struct repl_link **links;       /* replication links to peers (peers.c) */
    size_t nlinks;
    int64_t hold_until_ms;          /* writes wait until then, or until the peers answer (hold.c); 0: no hold */
    /* Keys written since the last wake-up pass (commit.c), so that only the
     * clients blocked on them are looked at; touched_all: too many, or a
     * FLUSHALL. Names are copied into touched_bytes. */
    struct srv_touched { size_t off, len; } *touched; /* into touched_bytes */
    size_t ntouched;
    char *touched_bytes;
    size_t touched_len, touched_bytes_cap;
    int touched_all;
    uint64_t next_client_id;

    uint64_t cron_ticks;
    int shutdown_requested;   /* SIGTERM/SIGINT/SHUTDOWN seen */
    int64_t shutdown_deadline_ms;
    time_t start_time;
    int64_t start_ms;
    char run_id[41];
    char executable[4096];
    struct srv_stats stats;
    size_t max_input_seen, max_output_seen; /* client_recent_max_*_buffer */
    size_t used_memory_peak;
};

/* Client flags. */
enum {
    CLIENT_AUTHENTICATED = 1 << 0,
    CLIENT_CLOSE_AFTER_REPLY = 1 << 1, /* QUIT, protocol error: flush then close */
    CLIENT_CLOSE_ASAP = 1 << 2,        /* drop without flushing */
    CLIENT_PENDING_WRITE = 1 << 3,     /* on srv->pending_writes */
    CLIENT_WRITE_WAIT = 1 << 4,        /* EV_WRITE armed: socket was full */
    CLIENT_READ_PAUSED = 1 << 5,       /* not reading (shutdown) */
    CLIENT_TURN_WRITER = 1 << 6,       /* on srv->turn_writers */
    CLIENT_BLOCKED = 1 << 7,           /* waiting in XREAD BLOCK: input held */
    CLIENT_MULTI = 1 << 8,             /* between MULTI and EXEC: commands are queued */
    CLIENT_DENY_BLOCKING = 1 << 9,     /* inside EXEC: blocking commands answer at once */
    CLIENT_PEER = 1 << 10,             /* authenticated with peer-password: may EV.SYNC */
    CLIENT_HELD = 1 << 11,             /* a write waits for the startup hold (hold.c): input held */
};

/* MULTI's queue (multi.c). */
struct multi_cmd;
struct multi_state {
    struct multi_cmd *cmds;
    int n, cap;
    int dirty;  /* a command was rejected while queueing: EXEC answers EXECABORT */
    int writes; /* a queued command writes */
};
struct watched_key;

struct client {
    struct srv *srv;
    uint64_t id;
    int fd;
    unsigned flags;
    int resp;                 /* 2 or 3, mirrors out.proto */
    struct event *ev_read;
    struct event *ev_write;
    struct resp_parser *parser;
    struct resp_buf out;      /* replies not yet written to the socket */
    char *name;               /* CLIENT SETNAME, NULL if none */
    char *lib_name, *lib_ver; /* CLIENT SETINFO */
    char addr[64], laddr[64];
    int64_t ctime_ms;         /* connected at */
    int64_t last_ms;          /* last interaction */
    const struct srv_cmd_entry *last_cmd;
    struct client *prev, *next;     /* srv->clients list */
    struct client *next_pending;    /* srv->pending_writes list */
    struct client *next_close;      /* srv->to_close list */
    struct client *next_writer;     /* srv->turn_writers list */
    struct blocked_read *blocked;   /* XREAD BLOCK state, or NULL */
    struct ev_sub *sub;             /* EV.SUBSCRIBE state, or NULL (subscribe.c) */
    struct client *prev_blocked, *next_blocked;
    size_t turn_mark;         /* out.len before this turn's first write */
    int turn_replies;         /* replies written since turn_mark */
    struct multi_state multi; /* MULTI queue (CLIENT_MULTI) */
    struct held_cmd *held;    /* the write CLIENT_HELD waits to run (hold.c) */
    struct watched_key *watched; /* WATCH: keys and their state when watched */
    int nwatched;
};

/* ---- server.c: lifecycle and the loop ---- */
/* Runs the server until shutdown. Takes ownership of cfg's strings.
 * Returns the process exit code. */
int srv_main(struct srv_config *cfg);
int64_t srv_now_ms(void);
int64_t srv_now_us(void);
/* The command timer: srv_cmd_clock reads it (ticks, monotonic, cheap);
 * srv_cmd_ticks_to_us converts a number of ticks to µs. */
void srv_cmd_clock_init(void);
uint64_t srv_cmd_clock(void);
uint64_t srv_cmd_ticks_to_us(uint64_t ticks);
/* Wall-clock time in µs since the epoch (entry IDs, event timestamps,
 * delivery and seen times); srv_now_* are monotonic. */
uint64_t srv_unix_us(void);
/* Requests an orderly shutdown (stop accepting, flush replies, exit 0). */
void srv_request_shutdown(struct srv *s, const char *why);
/* Re-applies configuration that changed through CONFIG SET. */
void srv_apply_config(struct srv *s, int changed);

/* ---- net.c: listening sockets ---- */
/* Binds every configured address. Returns 0, or -1 after logging why when
 * no address could be bound (or a required one failed). */
int srv_net_listen(struct srv *s);
void srv_net_close_listeners(struct srv *s);

/* ---- client.c ---- */
/* Creates a client for an accepted, non-blocking socket. NULL on failure
 * (the fd is then closed). */
struct client *client_create(struct srv *s, int fd, const char *addr, const char *laddr);
/* Frees now: closes the socket, unlinks from every list. */
void client_free(struct client *c);
/* Marks the client to be freed at the end of this loop turn (safe inside
 * handlers and callbacks that still use c). */
void client_close_async(struct client *c);
/* Queues the client for flushing at the end of this loop turn. */
void client_want_flush(struct client *c);
/* Writes as much pending output as the socket takes; arms EV_WRITE for the
 * rest. Returns -1 if the client was freed. */
int client_flush(struct client *c);
/* Formats the CLIENT LIST / CLIENT INFO line for c into buf (NUL-ended). */
void client_format_info(const struct client *c, char *buf, size_t len);
/* Applies the current parser limits and auth state to c's parser. */
void client_update_parser(struct client *c);
int client_auth_required(const struct client *c);
/* CLIENT SETNAME / HELLO SETNAME and CLIENT SETINFO: validate, store, or
 * reply with Redis's error and return -1. Defined in cmd_conn.c. */
struct resp_arg;
int client_set_name_or_reply(struct client *c, const struct resp_arg *name);
int client_set_attr_or_reply(struct client *c, const struct resp_arg *attr, const struct resp_arg *val);

/* ---- dispatch.c ---- */
/* Builds the registry from the command table. Returns 0 or -1 (OOM). */
int srv_registry_init(struct srv_registry *r);
void srv_registry_free(struct srv_registry *r);
/* Finds a top-level command by name (case-insensitive); NULL if unknown. */
struct srv_cmd_entry *srv_registry_find(const struct srv_registry *r, const char *name, size_t len);
/* Finds a subcommand of parent by name; NULL if unknown. */
struct srv_cmd_entry *srv_registry_find_sub(const struct srv_cmd_entry *parent, const char *name, size_t len);
/* Runs one parsed request: lookup, arity, auth, call, statistics.
 * *clock is the command timer (srv_cmd_clock) when the request starts; when a command
 * ran it is advanced to when it ended, so a batch of requests needs one
 * clock read per command. */
void srv_dispatch(struct client *c, int argc, const struct resp_arg *argv, uint64_t *clock);
/* Calls a command that passed the checks, with its statistics (dispatch,
 * and EXEC for each queued command). */
void srv_call(struct client *c, struct srv_cmd_entry *e, int argc, const struct resp_arg *argv,
              uint64_t *clock);

/* ---- multi.c: MULTI/EXEC/WATCH ---- */
/* Queues a checked command of a client in MULTI and answers +QUEUED. */
void multi_queue(struct client *c, struct srv_cmd_entry *e, int argc, const struct resp_arg *argv);
/* Leaves MULTI and forgets watched keys (DISCARD, RESET, disconnect). */
void multi_reset(struct client *c);

/* ---- commit.c: group commit ---- */
/* Makes c's replies from now on wait for the turn's commit (and become
 * its error if it fails). */
void srv_turn_note_writer(struct client *c);
/* Records that key was written (for srv_wake_blocked). */
void srv_touch_key(struct srv *s, const struct resp_arg *key);
/* Forgets the recorded keys. */
void srv_touched_reset(struct srv *s);
/* Runs a write command inside the turn's store transaction. */
void srv_call_write(struct client *c, const struct srv_cmd_entry *e, int argc,
                    const struct resp_arg *argv);
/* Commits the turn's writes; if that fails, every reply that depended on
 * them is replaced by an error. Called before replies are flushed. */
void srv_commit_turn(struct srv *s);

/* ---- blocking.c: XREAD BLOCK ---- */
/* The stream read of XREAD: for each key, the entries after ids[i] (at most
 * count per key; count <= 0: all). Writes the reply and returns 1 when any
 * key has entries; writes nothing and returns 0 when none has; -1 after an
 * error reply. */
int xread_serve(struct client *c, int nkeys, const struct resp_arg *keys, const struct store_id *ids,
                long long count);
/* Blocks c until xread_serve finds entries, the deadline passes (null
 * reply; timeout_ms 0 = never) or the client goes. Copies what it keeps.
 * Returns 0, or -1 after an error reply. */
int client_block_xread(struct client *c, int nkeys, const struct resp_arg *keys,
                       const struct store_id *ids, long long count, long long timeout_ms);
/* Blocks c until serve(c, state) writes a reply (returns nonzero), tried
 * after every committed write; the timeout answers null. free_state(state)
 * runs when the block ends (also on failure to block). */
int client_block_custom(struct client *c, int (*serve)(struct client *, void *), void (*free_state)(void *),
                        void *state, long long timeout_ms);
/* Serves the blocked clients that committed writes may have unblocked. */
void srv_wake_blocked(struct srv *s);
/* Forgets c's blocked state (the client is going away). */
void client_unblock_free(struct client *c);
/* Runs the requests buffered while c was blocked. */
void client_resume(struct client *c);

/* The startup hold (hold.c): srv_hold_begin starts it when the node has
 * peers; srv_hold_needed says whether a command must wait; srv_hold keeps
 * a copy of it (0, or -1 out of memory); srv_hold_check lifts the hold once
 * the peers have answered or the wait is over, running the held commands;
 * srv_hold_free drops a closing client's. */
struct srv_command;
void srv_hold_begin(struct srv *s);
int srv_hold_needed(const struct client *c, const struct srv_command *cmd);
int srv_hold(struct client *c, int argc, const struct resp_arg *argv);
void srv_hold_check(struct srv *s);
void srv_hold_free(struct client *c);

/* XREADGROUP's read (cmd_group.c): per key either the new entries (`>`)
 * or the consumer's history after an ID. */
struct xreadgroup_id {
    int pending;            /* 1: history after `after`; 0: `>` */
    struct store_id after;
};
struct xreadgroup_req {
    int nkeys;
    const struct resp_arg *keys;   /* nkeys keys (then, in argv, their IDs) */
    struct xreadgroup_id *ids;
    struct store_bytes group, consumer;
    long long count;
    int noack;
};
/* Inside a write command: writes the reply and returns 1 when any key
 * answered; 0 (nothing written) when all are `>` with nothing new; -1
 * after an error reply. */
int xreadgroup_serve(struct client *c, const struct xreadgroup_req *r);
/* Blocks c in XREADGROUP (every ID `>`): served, as a write of its own
 * turn, when a committed write gives a key entries after the group's last
 * ID; NOGROUP error if the group or key goes. Copies what it keeps. */
int client_block_xreadgroup(struct client *c, const struct xreadgroup_req *r, long long timeout_ms);

/* ---- the event log (cmd_ev.c, subscribe.c) ---- */
/* An event as the EV.* commands show it (RESP3 map / RESP2 pairs). */
struct store_event;
int srv_reply_event(struct client *c, const struct store_event *ev);
/* EV.SUBSCRIBE's arguments: WHERE, TYPES (views into argv) and FROM,
 * checked (a stream in FROM must be stored here). Returns 0, or -1 after
 * replying. The caller owns where, types (the array) and from. */
struct srv_ev_args {
    struct store_tag_expr *where;
    struct store_bytes *types;
    size_t ntypes;
    struct offset_map from;
};
int srv_ev_args_or_reply(struct client *c, int argc, const struct resp_arg *argv, struct srv_ev_args *out);
/* The bounds of a query over every stream stored here (sorted by stream
 * id): from `from` (exclusive; a stream not in it from the start, from
 * may be NULL) to the stream's last event. Returns 0 or a store code. */
struct srv_ev_bounds {
    struct store_ev_bound *b;
    size_t n, cap;
    const struct offset_map *from;
    int oom;
};
int srv_ev_bounds_build(struct store *st, const struct offset_map *from, struct srv_ev_bounds *x);
void srv_ev_bounds_free(struct srv_ev_bounds *x);
/* Feeds subscribers that are level with the store the events just committed. */
void srv_feed_subscribers(struct srv *s);
/* The client's output drained: feed the next chunk of its subscription. */
void sub_drained(struct client *c);
/* Adds a link to a (not kept in the store). Returns 0 or -1. */
struct repl_addr;
int srv_link_add(struct srv *s, const struct repl_addr *a);
/* A peer `node` pulls from this node and listens at `listen`: pull back
 * from it, unless some link already does. Returns 0 or -1 (bad address). */
int srv_link_back(struct srv *s, const char *node, const struct resp_arg *listen);
/* Starts the links to the peers kept in the store; stops them all. */
int srv_peers_start(struct srv *s);
void srv_peers_stop(struct srv *s);
/* Sends every EV.SYNC stream that is level an offsets frame (cron). */
void srv_sync_announce(struct srv *s);
/* Walking srv->subscribers (subscribe.c keeps the links). */
struct client *srv_sub_next(const struct client *c);
int srv_sub_is_sync(const struct client *c);
/* Ends c's subscription (EV.UNSUBSCRIBE, RESET, disconnect). */
void sub_free(struct client *c);

/* ---- info.c ---- */
/* Writes INFO's text for the given section names into a malloc'd string
 * (*out, *outlen). Returns 0 or -1 (OOM). */
int srv_info_generate(struct srv *s, int nsections, const struct resp_arg *sections,
                      char **out, size_t *outlen);
/* Records an error reply under its code (first word) for errorstats. */
void srv_stats_count_error(struct srv *s, const char *text, size_t len);
/* Samples the instantaneous metrics (called by the cron timer). */
void srv_stats_sample(struct srv *s);
void srv_stats_reset(struct srv *s);

#endif
