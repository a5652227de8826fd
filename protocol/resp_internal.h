/* resp_internal.h — details shared by resp_parser.c and resp_writer.c and
 * the protocol tests. Not part of the public API: the server includes only
 * resp.h. */
#ifndef SWARMLOG_RESP_INTERNAL_H
#define SWARMLOG_RESP_INTERNAL_H

#include <stddef.h>

/* Every allocation of the protocol module goes through resp_realloc():
 * resp_realloc(NULL, n) allocates, resp_realloc(p, n) resizes; memory is
 * released with free(). Returns NULL on failure. Callers never pass 0. */
void *resp_realloc(void *ptr, size_t size);

/* Test hook: replaces the allocator used by resp_realloc() (NULL restores
 * libc realloc). The hook must behave like realloc(). Process-wide and not
 * thread-safe; meant for tests that reach the out-of-memory paths. */
typedef void *(*resp_realloc_fn)(void *ptr, size_t size);
void resp_set_realloc_hook(resp_realloc_fn hook);


#endif
