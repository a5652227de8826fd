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

#endif
