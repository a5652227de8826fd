/* repl.h — peer replication (DESIGN.md §7). This first piece is the peer
 * address syntax shared by the `peer` option, EV.PEER and the link code:
 *   host:port   127.0.0.1:7000, localhost:7000
 *   [v6]:port   [::1]:7000 */
#ifndef SWARMLOG_REPL_H
#define SWARMLOG_REPL_H

#include <stddef.h>

#define REPL_HOST_MAX 255

struct repl_addr {
    char host[REPL_HOST_MAX + 1]; /* without brackets, NUL-terminated */
    int port;                     /* 1..65535 */
};

/* Parses s[0..len) into *out. Returns 0, or -1 for anything malformed:
 * missing or out-of-range port, empty or over-long host, stray brackets,
 * an unbracketed IPv6 literal, bytes outside printable ASCII. */
int repl_addr_parse(const char *s, size_t len, struct repl_addr *out);

/* Formats *a canonically ("host:port", "[v6]:port") into buf. Returns the
 * length written (excluding NUL), or -1 if buf is too small. */
int repl_addr_format(const struct repl_addr *a, char *buf, size_t buflen);

/* ---- peer links (link.c) ---- */

#include <stdint.h>

struct event_base;
struct store;
struct repl_link;

/* What a link tells the server. */
struct repl_hooks {
    void *ctx;
    void (*log)(void *ctx, int warning, const char *msg);
    /* an imported event was added to key (in the loop turn's transaction) */
    void (*imported)(void *ctx, const char *key, size_t len);
    /* the peer announced its offsets (JSON offset map) */
    void (*announced)(void *ctx, struct repl_link *l, const char *json, size_t len);
};

/* Starts pulling from the peer at addr (AUTH with password when not "";
 * listen_port, when > 0, is advertised so that the peer pulls back). The
 * link reconnects by itself until freed. NULL when out of memory. */
struct repl_link *repl_link_new(struct event_base *base, struct store *store, const struct repl_addr *addr,
                                const char *password, int listen_port, const struct repl_hooks *hooks);
void repl_link_free(struct repl_link *l);
const struct repl_addr *repl_link_addr(const struct repl_link *l);
/* The peer's last announced offsets (JSON text), or NULL before the first. */
const char *repl_link_announced(const struct repl_link *l);
/* The server's estimate of the events the peer holds that are missing here. */
void repl_link_set_behind(struct repl_link *l, uint64_t behind);

struct repl_link_info {
    char addr[REPL_HOST_MAX + 16];
    char node[23];             /* the peer's node id, "" until known */
    const char *state;         /* connecting, auth, handshake, catching-up, live, backoff */
    uint64_t imported, behind;
    int64_t last_contact_ms;   /* unix ms of the last frame, -1 never */
};
void repl_link_info(const struct repl_link *l, struct repl_link_info *out);

#endif
