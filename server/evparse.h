/* evparse.h — parsing the event-log commands' arguments: offset maps (JSON
 * object text) and tag expressions (WHERE). Pure parsing: no store, no
 * client; errors are returned as text for the caller's error reply. */
#ifndef SWARMLOG_EVPARSE_H
#define SWARMLOG_EVPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* An offset map: {"<stream id>": <offset>, ...}. */
struct offset_entry {
    char *stream;      /* NUL-terminated copy */
    uint64_t offset;
};
struct offset_map {
    struct offset_entry *e;
    size_t n, cap;
};

/* Parses JSON object text into *m (which must be zeroed or freed). Keys are
 * strings (escapes \" \\ \/ \b \f \n \r \t \u00XX), values non-negative
 * integers below 2^63; whitespace as JSON allows; a repeated stream is an
 * error. Returns 0, or -1 with a message in err ("... at position N"). */
int offset_map_parse(const char *text, size_t len, struct offset_map *m, char *err, size_t errlen);
/* The offset of stream in m: 1 and *offset, or 0 when absent. */
int offset_map_get(const struct offset_map *m, const char *stream, uint64_t *offset);
/* Sets stream's offset (adding the stream). Returns 0 or -1 (OOM). */
int offset_map_set(struct offset_map *m, const char *stream, uint64_t offset);
/* offset_map_set as a store callback (ctx is the map): for
 * store_log_offsets, and for query continuations (offset < 0: the stream
 * is left out). Return nonzero when out of memory. */
int offset_map_put(void *map, const char *stream, uint64_t offset);
int offset_map_put_signed(void *map, const char *stream, int64_t offset);
/* Writes m as JSON into a malloc'd string (*out, *outlen; caller frees),
 * streams in m's order. Returns 0 or -1 (OOM). */
int offset_map_json(const struct offset_map *m, char **out, size_t *outlen);
/* The events theirs holds that ours does not (a map holds every event of
 * each stream up to its offset): returns how many. When want is not NULL,
 * each stream's entry there is raised to at least what is missing of it. */
uint64_t offset_map_missing(const struct offset_map *ours, const struct offset_map *theirs, struct offset_map *want);
void offset_map_free(struct offset_map *m);

/* A tag expression (struct store_tag_expr, store.h): tags (bare words of letters, digits and _ - : . / @ #,
 * or 'quoted' with '' for a quote), `&` binding tighter than `|`,
 * parentheses, `*` (every event) and `isLocal` (events of this node). */
/* Parses expr. Returns the tree (free with tag_expr_free), or NULL with a
 * message in err naming the position (1-based) of the problem. */
struct store_tag_expr *tag_expr_parse(const char *text, size_t len, char *err, size_t errlen);
void tag_expr_free(struct store_tag_expr *e);
/* Whether an event with these tags (and local-ness) matches e. */
int tag_expr_match(const struct store_tag_expr *e, const char *const *tags, const size_t *lens, size_t ntags,
                   int local);

#endif
