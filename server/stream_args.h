/* stream_args.h — parsing the arguments of the stream commands (IDs, XADD /
 * XTRIM trimming options, XRANGE bounds) with Redis 7.0's grammar and error
 * texts. Pure parsing: it replies errors but touches no store. */
#ifndef SWARMLOG_STREAM_ARGS_H
#define SWARMLOG_STREAM_ARGS_H

#include <stdint.h>

#include "resp.h"
#include "store.h"

struct client;

/* An argument as the store's bytes (a view, not a copy). */
static inline struct store_bytes arg_bytes(const struct resp_arg *a)
{
    return (struct store_bytes){ a->ptr, a->len };
}

/* How an XADD ID was given. */
enum xid_mode {
    XID_EXPLICIT,   /* "ms-seq" or "ms" (seq 0) */
    XID_AUTO_SEQ,   /* "ms-*": the sequence is generated */
    XID_AUTO,       /* "*": both are generated */
};

enum xtrim_strategy { XTRIM_NONE, XTRIM_MAXLEN, XTRIM_MINID };

struct xtrim_args {
    enum xtrim_strategy strategy;
    int approx;               /* '~' given */
    long long maxlen;         /* XTRIM_MAXLEN: >= 0 */
    struct store_id minid;    /* XTRIM_MINID */
    long long limit;          /* LIMIT n (only with '~'); -1 when not given */
};

struct xadd_args {
    int nomkstream;
    struct xtrim_args trim;
    enum xid_mode id_mode;
    struct store_id id;       /* XID_EXPLICIT: the ID; XID_AUTO_SEQ: ms set */
    int field_pos;            /* argv index of the first field */
};

/* XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]
 *      *|id field value [field value ...]
 * Parses everything after the key, as Redis's streamParseAddOrTrimArgsOrReply
 * does (options in any order before the ID). On error replies with Redis's
 * exact text and returns -1; 0 on success. Checks the field/value count
 * ("wrong number of arguments for 'xadd' command"). */
int xadd_parse_or_reply(struct client *c, int argc, const struct resp_arg *argv, struct xadd_args *out);

/* XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]. Same rules and texts. */
int xtrim_parse_or_reply(struct client *c, int argc, const struct resp_arg *argv, struct xtrim_args *out);

/* Parses a complete ID "ms-seq" or "ms" (missing seq = missing_seq) into *id.
 * Returns 0 or -1 (no reply). Strict unsigned 64-bit decimal parsing. */
int xid_parse(const struct resp_arg *a, uint64_t missing_seq, struct store_id *id);

/* XRANGE/XREVRANGE bound: "-" (0-0), "+" (max-max), "ms" (seq 0 for a start,
 * UINT64_MAX for an end), "ms-seq", and "(" exclusive forms (Redis 6.2+),
 * which are converted to the next/previous ID. On error replies with Redis's
 * text ("Invalid stream ID specified as stream command argument", or
 * "invalid start ID for the interval" / "invalid end ID for the interval"
 * when an exclusive bound cannot be stepped) and returns -1. is_end selects
 * the end-bound defaults. */
int xrange_bound_or_reply(struct client *c, const struct resp_arg *a, int is_end, struct store_id *id);

/* XREAD / XREADGROUP options before STREAMS: COUNT, BLOCK, and for
 * XREADGROUP (group = 1) GROUP g c and NOACK, with Redis's errors. */
struct xread_opts {
    long long count, timeout_ms;
    int block, noack;
    int streams;                    /* argv index of the first key */
    const struct resp_arg *group, *consumer;
};
int xread_opts_or_reply(struct client *c, int argc, const struct resp_arg *argv, int group, struct xread_opts *o);

/* Formats an ID as "ms-seq" into buf (>= 42 bytes). Returns the length. */
int xid_format(struct store_id id, char *buf);

#endif
