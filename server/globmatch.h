/* globmatch.h — Redis's glob-style matching (stringmatchlen): '*', '?',
 * '[abc]', '[^a-z]', '\' escapes. Binary-safe; used by CONFIG GET, KEYS,
 * SCAN MATCH, COMMAND LIST FILTERBY PATTERN and CLIENT KILL filters. */
#ifndef SWARMLOG_GLOBMATCH_H
#define SWARMLOG_GLOBMATCH_H

#include <stddef.h>

/* Returns 1 if s matches pattern, 0 otherwise. nocase folds ASCII case.
 * Bounded: recursion depth is limited so hostile patterns such as
 * "*a*a*a*a...b" cannot exhaust the stack or run for exponential time. */
int srv_glob_match(const char *pattern, size_t plen, const char *s, size_t slen, int nocase);

#endif
