/* frames.c — a hiredis redisReader whose reply objects come from an arena.
 *
 * A catch-up brings a million frames of ~20 objects each; hiredis's default
 * functions make each object with its own calloc (and the string with a
 * malloc), and freeReplyObject frees them one by one: a fifth of the
 * importing node's CPU. Here the objects are ordinary redisReply structs,
 * carved from blocks that are reused frame after frame: frames_release
 * drops the whole frame at once. The reader never holds part of the next
 * frame when a complete one is handed out, so releasing it empties the
 * arena. */
#include "frames.h"

#include <hiredis/hiredis.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (64u << 10)

struct block {
    struct block *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes */
};

struct frame_arena {
    struct block *head; /* the block being filled; the first one is kept */
};

static struct block *block_new(size_t cap)
{
    struct block *b = malloc(sizeof(*b) + cap);
    if (b != NULL)
        *b = (struct block){ .cap = cap };
    return b;
}

static void *arena_alloc(struct frame_arena *a, size_t size)
{
    size = (size + _Alignof(max_align_t) - 1) & ~(size_t)(_Alignof(max_align_t) - 1);
    struct block *b = a->head;
    if (b == NULL || b->cap - b->used < size) {
        struct block *nb = block_new(size > BLOCK_SIZE ? size : BLOCK_SIZE);
        if (nb == NULL)
            return NULL;
        nb->next = b;
        a->head = b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

static void arena_reset(struct frame_arena *a)
{
    struct block *b = a->head;
    while (b != NULL && b->next != NULL) { /* keep only the oldest (first) block */
        struct block *next = b->next;
        free(b);
        b = next;
    }
    if (b != NULL)
        b->used = 0;
    a->head = b;
}

/* A new object, linked into its parent array as hiredis's own do. */
static redisReply *object_new(const redisReadTask *task, int type)
{
    struct frame_arena *a = task->privdata;
    redisReply *r = arena_alloc(a, sizeof(*r));
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof(*r));
    r->type = type;
    if (task->parent != NULL) {
        redisReply *parent = task->parent->obj;
        parent->element[task->idx] = r;
    }
    return r;
}

static void *create_string(const redisReadTask *task, char *str, size_t len)
{
    redisReply *r = object_new(task, task->type);
    char *copy = r != NULL ? arena_alloc(task->privdata, len + 1) : NULL;
    if (copy == NULL)
        return NULL;
    memcpy(copy, str, len);
    copy[len] = '\0';
    r->str = copy;
    r->len = len;
    return r;
}

static void *create_array(const redisReadTask *task, int elements)
{
    redisReply *r = object_new(task, REDIS_REPLY_ARRAY);
    if (r == NULL)
        return NULL;
    if (elements > 0) {
        r->element = arena_alloc(task->privdata, (size_t)elements * sizeof(*r->element));
        if (r->element == NULL)
            return NULL;
        memset(r->element, 0, (size_t)elements * sizeof(*r->element));
    }
    r->elements = (size_t)elements;
    return r;
}

static void *create_integer(const redisReadTask *task, long long value)
{
    redisReply *r = object_new(task, REDIS_REPLY_INTEGER);
    if (r != NULL)
        r->integer = value;
    return r;
}

static void *create_nil(const redisReadTask *task)
{
    return object_new(task, REDIS_REPLY_NIL);
}

static void free_object(void *obj)
{
    (void)obj; /* the arena owns every object: frames_release / frames_reader_free */
}

static redisReplyObjectFunctions arena_functions = {
    create_string, create_array, create_integer, create_nil, free_object,
};

redisReader *frames_reader_create(void)
{
    struct frame_arena *a = calloc(1, sizeof(*a));
    redisReader *r = a != NULL ? redisReaderCreateWithFunctions(&arena_functions) : NULL;
    if (r == NULL) {
        free(a);
        return NULL;
    }
    r->privdata = a;
    return r;
}

void frames_release(redisReader *r)
{
    arena_reset(r->privdata);
}

void frames_reader_free(redisReader *r)
{
    if (r == NULL)
        return;
    struct frame_arena *a = r->privdata;
    redisReaderFree(r);
    arena_reset(a);
    free(a->head);
    free(a);
}
