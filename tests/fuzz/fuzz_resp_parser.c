/* libFuzzer target for the request parser (and, through it, the writer).
 *
 * Input layout: byte 0 = flags, bytes 1-2 = where to cut the stream into
 * three chunks, byte 3 = space() minimum (low nibble, an index into
 * space_mins: large values force compaction, growth and the query limit)
 * and allocation budget (high nibble), the rest = the bytes a client
 * sends.
 *   flags bit 0    unauthenticated
 *   flags bit 1    chunked run feeds through space()/commit() (else feed())
 *   flags bit 2    chunked run calls resp_parser_shrink() after each chunk
 *   flags bit 3    RESP3 for the writer exercise
 *   flags bits 4-6 the chunked and one-piece runs see the stream 1-8 times
 *                  (long enough to make the buffer compact and grow)
 *   flags bit 7    the chunked run's parser fails its allocations after the
 *                  budget is spent (the out-of-memory paths)
 *
 * The stream is parsed three ways: in those chunks (draining after each),
 * in one piece, and byte by byte (one copy only). Every returned request is
 * written back through the writer as a RESP array of bulks. Invariants:
 *   - argc >= 1, argv entries sane (bounded lengths, non-NULL);
 *   - the request sequences agree: the shorter (a run that hit an error
 *     earlier, e.g. a "too big" line seen before its terminator, or parsed
 *     fewer copies) is a prefix of the longer; runs over the same stream
 *     without errors are identical;
 *   - the writer's output parses back to exactly the same requests;
 *   - errors are sticky and their text has no CR/LF;
 *   - resp_split_args() on the raw input stays in bounds and agrees with a
 *     second call that records no arguments.
 * Small limits let the fuzzer reach every limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "resp_internal.h"

#define FUZZ_MAX_BULK 1024
#define FUZZ_MAX_BULK_UNAUTH 20000 /* above the 16384 pre-AUTH limit */
#define FUZZ_MAX_INLINE 256
#define FUZZ_MAX_QUERY 2048
#define FUZZ_MAX_MULTIBULK 64
#define FUZZ_HEADER 4

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond))                                                                \
            abort();                                                                \
    } while (0)

static const size_t space_mins[16] = {1,    2,    7,     16,    64,    100,   256,   1000,
                                      1024, 4096, 8192, 12000, 16384, 20000, 40000, 70000};

/* Allocations left before the hook fails them; -1 = unlimited. */
static int alloc_budget = -1;

static void *budget_realloc(void *ptr, size_t size)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return realloc(ptr, size);
}

static struct resp_limits fuzz_limits(size_t max_query, unsigned flags)
{
    struct resp_limits l = {.max_bulk = (flags & 1) ? FUZZ_MAX_BULK_UNAUTH : FUZZ_MAX_BULK,
                            .max_query = max_query,
                            .max_inline = FUZZ_MAX_INLINE,
                            .max_multibulk = FUZZ_MAX_MULTIBULK};
    return l;
}

/* Appends bytes through the zero-copy interface, possibly in several
 * space() calls. Returns 0 or the parser's error. */
static int feed_space(struct resp_parser *p, const uint8_t *d, size_t n, size_t min)
{
    while (n > 0) {
        size_t avail, k;
        char *dst = resp_parser_space(p, min, &avail);
        if (dst == NULL)
            return -1;
        CHECK(avail >= min);
        k = n < avail ? n : avail;
        memcpy(dst, d, k);
        resp_parser_commit(p, k);
        d += k;
        n -= k;
    }
    return 0;
}

static void check_request(const struct resp_request *r, size_t input_len, size_t max_bulk)
{
    size_t total = 0;
    int i;

    CHECK(r->argc >= 1);
    CHECK(r->is_inline == 0 || r->is_inline == 1);
    for (i = 0; i < r->argc; i++) {
        CHECK(r->argv[i].ptr != NULL);
        CHECK(r->argv[i].len <= input_len);
        if (!r->is_inline)
            CHECK(r->argv[i].len <= max_bulk);
        total += r->argv[i].len;
    }
    CHECK(total <= input_len);
}

/* The writer never runs out of memory here: only the parser is tested. */
static void write_request(struct resp_buf *out, const struct resp_request *r)
{
    int budget = alloc_budget, i;

    alloc_budget = -1;
    resp_add_array(out, (size_t)r->argc);
    for (i = 0; i < r->argc; i++)
        resp_add_bulk(out, r->argv[i].ptr, r->argv[i].len);
    alloc_budget = budget;
}

/* Drains p into out. Returns the final code; checks error stickiness. */
static int drain(struct resp_parser *p, struct resp_buf *out, size_t input_len, size_t max_bulk)
{
    struct resp_request r;
    int rc;

    while ((rc = resp_parser_next(p, &r)) == RESP_REQUEST) {
        check_request(&r, input_len, max_bulk);
        write_request(out, &r);
    }
    if (rc < 0) {
        const char *e = resp_parser_error(p);
        CHECK(e != NULL);
        CHECK(strcspn(e, "\r\n") == strlen(e));
        CHECK(resp_parser_next(p, &r) == rc);
        CHECK(resp_parser_error(p) == e);
    } else {
        CHECK(rc == RESP_NEED_MORE);
        CHECK(resp_parser_error(p) == NULL);
    }
    return rc;
}

/* Parses `copies` copies of d, each in the chunks [0,c1) [c1,c2) [c2,n),
 * draining after each chunk. */
static int parse_chunked(const uint8_t *d, size_t n, const size_t cuts[4], unsigned flags,
                         size_t min, int copies, struct resp_buf *out)
{
    struct resp_limits l = fuzz_limits(FUZZ_MAX_QUERY, flags);
    struct resp_parser *p = resp_parser_create(&l);
    int rc = RESP_NEED_MORE, k;

    if (p == NULL) {
        CHECK(alloc_budget >= 0);
        return RESP_ERR_NOMEM;
    }
    resp_parser_set_unauthenticated(p, flags & 1);
    for (k = 0; k < 3 * copies && rc >= 0; k++) {
        const uint8_t *chunk = d + cuts[k % 3];
        size_t len = cuts[k % 3 + 1] - cuts[k % 3];
        int frc = (flags & 2) ? feed_space(p, chunk, len, min)
                              : resp_parser_feed(p, (const char *)chunk, len);
        if (frc != 0)
            CHECK(resp_parser_error(p) != NULL);
        rc = drain(p, out, n * (size_t)copies, l.max_bulk);
        if (flags & 4)
            resp_parser_shrink(p);
        CHECK(resp_parser_buffered(p) <= resp_parser_capacity(p));
        CHECK(resp_parser_capacity(p) <= FUZZ_MAX_QUERY + 64 * 1024);
    }
    CHECK(rc != RESP_ERR_NOMEM || alloc_budget >= 0);
    resp_parser_free(p);
    return rc;
}

/* Parses d in one feed, or byte by byte through space()/commit(). */
static int parse_whole(const uint8_t *d, size_t n, unsigned flags, int bytewise,
                       struct resp_buf *out)
{
    struct resp_limits l = fuzz_limits(1u << 20, flags);
    struct resp_parser *p = resp_parser_create(&l);
    int rc = RESP_NEED_MORE;
    size_t i;

    CHECK(p != NULL);
    resp_parser_set_unauthenticated(p, flags & 1);
    if (!bytewise) {
        CHECK(resp_parser_feed(p, (const char *)d, n) == 0);
        rc = drain(p, out, n, l.max_bulk);
    }
    for (i = 0; bytewise && i < n && rc >= 0; i++) {
        CHECK(feed_space(p, d + i, 1, 1) == 0);
        rc = drain(p, out, n, l.max_bulk);
    }
    resp_parser_free(p);
    return rc;
}

/* The shorter output must be a prefix of the longer; equal when both runs
 * parsed the same stream without an error. */
static void check_agree(const struct resp_buf *a, int rca, const struct resp_buf *b, int rcb,
                        int same_stream)
{
    size_t n = a->len < b->len ? a->len : b->len;

    CHECK(!a->oom && !b->oom);
    CHECK(n == 0 || memcmp(a->data, b->data, n) == 0);
    if (same_stream && rca >= 0 && rcb >= 0)
        CHECK(a->len == b->len);
}

/* The writer's output must parse back to itself. */
static void check_round_trip(const struct resp_buf *out)
{
    struct resp_parser *p = resp_parser_create(NULL);
    struct resp_buf again;

    CHECK(p != NULL);
    resp_buf_init(&again, 2);
    CHECK(resp_parser_feed(p, out->data, out->len) == 0);
    CHECK(drain(p, &again, out->len, out->len) == RESP_NEED_MORE);
    CHECK(resp_parser_buffered(p) == 0);
    CHECK(again.len == out->len);
    CHECK(out->len == 0 || memcmp(again.data, out->data, out->len) == 0);
    resp_buf_free(&again);
    resp_parser_free(p);
}

static void check_split_args(const uint8_t *d, size_t n)
{
    char *out = malloc(n ? n : 1), *out2 = malloc(n ? n : 1);
    struct resp_arg args[8];
    int argc, i;

    CHECK(out != NULL && out2 != NULL);
    argc = resp_split_args((const char *)d, n, out, args, 8);
    CHECK(argc == resp_split_args((const char *)d, n, out2, NULL, 0));
    for (i = 0; i < argc && i < 8; i++) {
        CHECK(args[i].ptr >= out && args[i].ptr + args[i].len <= out + n);
        CHECK(i == 0 || args[i].ptr >= args[i - 1].ptr + args[i - 1].len);
    }
    free(out);
    free(out2);
}

/* Exercises the RESP3 writer paths and error sanitising on fuzzed text,
 * with partial consumes in between. */
static void exercise_writer(const uint8_t *d, size_t n, unsigned flags)
{
    struct resp_buf b;
    size_t mark, i;

    resp_buf_init(&b, (flags & 8) ? 3 : 2);
    mark = resp_defer(&b);
    resp_add_error(&b, (const char *)d, n);
    CHECK(memchr(b.data, '\r', b.len - 2) == NULL && memchr(b.data, '\n', b.len - 2) == NULL);
    resp_add_verbatim(&b, (const char *)d, n, "txt");
    resp_add_double(&b, n ? (double)d[0] / (n + 1) : 0.0);
    resp_add_int(&b, n ? (long long)d[0] * -1234567890123LL : 0);
    resp_set_deferred_map(&b, mark, 2);
    for (i = 0; b.len > 0 && i < 4; i++)
        resp_buf_consume(&b, b.len / 3 + 1);
    resp_add_simple(&b, (const char *)d, n);
    CHECK(!b.oom);
    resp_buf_shrink(&b, 0);
    resp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct resp_buf chunked, whole, bytewise;
    unsigned flags;
    size_t n, cuts[4], min;
    int copies, budget, rc1, rc2, rc3, k;
    uint8_t *stream;

    if (size < FUZZ_HEADER)
        return 0;
    flags = data[0];
    n = size - FUZZ_HEADER;
    cuts[0] = 0;
    cuts[1] = (size_t)data[1] * n / 255;
    cuts[2] = cuts[1] + (size_t)data[2] * (n - cuts[1]) / 255;
    cuts[3] = n;
    min = space_mins[data[3] & 15];
    budget = (flags & 0x80) ? data[3] >> 4 : -1;
    copies = 1 + (int)((flags >> 4) & 7);
    data += FUZZ_HEADER;
    stream = malloc(n * (size_t)copies + 1);
    CHECK(stream != NULL);
    for (k = 0; k < copies; k++)
        memcpy(stream + n * (size_t)k, data, n);

    resp_buf_init(&chunked, 2);
    resp_buf_init(&whole, 2);
    resp_buf_init(&bytewise, 2);
    resp_set_realloc_hook(budget_realloc);
    alloc_budget = budget;
    rc1 = parse_chunked(data, n, cuts, flags, min, copies, &chunked);
    alloc_budget = -1;
    rc2 = parse_whole(stream, n * (size_t)copies, flags, 0, &whole);
    rc3 = parse_whole(data, n, flags, 1, &bytewise);
    check_agree(&chunked, rc1, &whole, rc2, 1);
    check_agree(&bytewise, rc3, &whole, rc2, copies == 1);
    check_round_trip(&whole);
    check_split_args(data, n);
    exercise_writer(data, n, flags);
    resp_buf_free(&chunked);
    resp_buf_free(&whole);
    resp_buf_free(&bytewise);
    free(stream);
    return 0;
}
