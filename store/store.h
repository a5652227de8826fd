/* store.h — swarmlog's persistent state: one LMDB environment per data
 * directory. Knows no sockets and no commands.
 *
 * This first cut opens the environment, owns the data-directory lock, and
 * keeps the node's identity (node id, schema version) in the `meta`
 * sub-database, plus the `keys` sub-database the keyspace counts from. The
 * event log, key views and consumer groups build on this (docs/storage.md). */
#ifndef SWARMLOG_STORE_H
#define SWARMLOG_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Error codes: 0 success; negative store codes below; positive values are
 * LMDB/errno codes passed through. store_strerror() describes any of them. */
enum {
    STORE_ERR_LOCKED = -30001,  /* another process owns the data directory */
    STORE_ERR_SCHEMA = -30002,  /* written by a newer, unknown schema version */
    STORE_ERR_CORRUPT = -30003, /* meta record malformed */
    STORE_ERR_NOMEM = -30004,
};

#define STORE_SCHEMA_VERSION 1
#define STORE_NODE_ID_LEN 22 /* base62, >= 130 bits of randomness */

/* Opens (creating if needed) the store in directory `dir`, which must
 * exist. Takes an exclusive lock on the directory for the life of the
 * store; a second opener gets STORE_ERR_LOCKED. On the first open a node id
 * is generated and persisted. Returns 0 and *out, or an error code. */
int store_open(struct store **out, const char *dir);

/* Closes the environment and releases the lock. NULL is allowed. */
void store_close(struct store *s);

/* The node id: STORE_NODE_ID_LEN printable, URL-safe characters; valid for
 * the life of the store. */
const char *store_node_id(const struct store *s);

/* Number of keys in the keyspace. Returns 0 and *out, or an error code. */
int store_key_count(struct store *s, uint64_t *out);

/* Bytes used by the environment's data file (pages in use x page size) and
 * its configured map size, for INFO. Returns 0 or an error code. */
int store_usage(struct store *s, uint64_t *used_bytes, uint64_t *map_bytes);

/* A static, human-readable description of an error code. */
const char *store_strerror(int code);

#endif
