/* args.h — reading command arguments: binary (pointer, length), never
 * NUL-terminated, so nothing here calls strlen or strtol on them. */
#ifndef SWARMLOG_ARGS_H
#define SWARMLOG_ARGS_H

#include <stddef.h>

#include "resp.h"

struct client;

/* 1 if a equals the literal `word` ignoring ASCII case, else 0. */
int arg_is(const struct resp_arg *a, const char *word);

/* Parses a with Redis's string2ll rules (optional '-', no '+', no spaces,
 * no leading zeros, no overflow). Returns 0 and *out, or -1. */
int arg_to_ll(const struct resp_arg *a, long long *out);

/* As arg_to_ll, but on failure replies "ERR value is not an integer or out
 * of range" (or "ERR <msg>" when msg is given) and returns -1. */
int arg_to_ll_or_reply(struct client *c, const struct resp_arg *a, long long *out, const char *msg);

/* How many bytes of a Redis would show for "%.<max>s": up to the first NUL
 * byte, at most max. Use as printf("%.*s", arg_print_len(a, 128), a->ptr). */
int arg_print_len(const struct resp_arg *a, size_t max);

/* Copies a into a new NUL-terminated string (caller frees); NULL on OOM. */
char *arg_dup(const struct resp_arg *a);

#endif
