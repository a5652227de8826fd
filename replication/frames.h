/* frames.h — the replication links' RESP reader (private to replication/).
 *
 * A hiredis redisReader whose replies are plain redisReply structs owned by
 * an arena tied to the reader. Use it as any redisReader (redisReaderFeed,
 * redisReaderGetReply), but never freeReplyObject a reply: when done with
 * the reply redisReaderGetReply handed out, frames_release(reader) frees
 * it (and everything else the arena holds); call it before asking the
 * reader for the next reply. */
#ifndef SWARMLOG_REPL_FRAMES_H
#define SWARMLOG_REPL_FRAMES_H

#include <hiredis/read.h>

/* NULL when out of memory. */
redisReader *frames_reader_create(void);
/* Frees the reply last handed out (valid until then). */
void frames_release(redisReader *r);
/* Frees the reader and its arena; NULL is allowed. */
void frames_reader_free(redisReader *r);

#endif
