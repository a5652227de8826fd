/* Consumer groups across kill -9: an XREADGROUP reply that reached the client
 * is recorded durably. After a crash and a restart, XPENDING shows exactly
 * the delivered and unacknowledged entries, owned by the consumer they went
 * to, with delivery count 1; acknowledged ones are gone.
 *
 * crash_pending: the stream q holds entries k-0 with field n = k (k = 1, 2,
 *   ...), pre-filled before round 0 and extended by a producer thread during
 *   each round. CONSUMERS threads (consumers c0..c2 of group g) pipeline
 *     XREADGROUP GROUP g cK COUNT 5 STREAMS q >   (READS times)
 *     XACK q g <the even ids of the previous round trip>
 *   and record what they saw: the ids of every XREADGROUP reply received,
 *   the ids of every XACK sent and of every XACK whose reply was received.
 *   The server is killed with SIGKILL at a random moment, restarted on the
 *   same directory and checked against the model accumulated over all rounds:
 *   - the stream is exactly 1-0 .. L-0, L at least what the producer had
 *     acknowledged;
 *   - every entry delivered (reply received) and never in a sent XACK is
 *     pending for its consumer with delivery count 1; one in a sent XACK
 *     whose reply was lost is pending so, or not at all; one whose XACK was
 *     answered is not pending;
 *   - every pending entry was delivered: known, or sent by an XREADGROUP of
 *     that consumer whose reply was lost; every entry up to the group's
 *     last-delivered-id is pending or acknowledged (the PEL and the
 *     last-delivered-id change together), none after it is known delivered;
 *   - no entry is pending twice; XPENDING's summary, its per-consumer counts
 *     and XINFO GROUPS' pending agree with the extended list.
 *   What was in flight is then taken from the server into the model (pending
 *   = delivered to that consumer; not pending and XACK sent = acknowledged);
 *   even ids left pending by a lost XACK are acknowledged again next round.
 *   CRASH_ROUNDS rounds on one directory, then a clean stop, a restart and a
 *   last check.
 *
 * Against redis-server (SWARMLOG_SERVER=/usr/bin/redis-server) the servers
 * run with --appendonly yes --appendfsync always. The seed of the kill
 * moments is printed; replay with SWARMLOG_TEST_SEED=<n>. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "th_criterion.h"

#define CRASH_ROUNDS 6
#define CONSUMERS 3
#define READS 4           /* XREADGROUPs per pipeline round trip */
#define READ_COUNT 5      /* COUNT of each XREADGROUP */
#define PREFILL 20000     /* entries in q before round 0 */
#define PRODUCE_BATCH 8   /* XADDs per pipeline round trip of the producer */
#define MAXK (1u << 20)   /* the producer stops before entry MAXK */

TestSuite(groups_durability, .fini = th_fini_tmp, .timeout = 240);

static th_server *start_on(const char *datadir)
{
    static const char *const redis_args[] = {"--appendonly", "yes", "--appendfsync", "always", "--save", "", NULL};
    static const char *const sw_args[] = {"--durability", "strict", NULL};
    struct th_server_opts o = {.args = th_is_reference() ? redis_args : sw_args, .datadir = datadir};
    th_server *s = th_server_start_opts(&o);
    cr_assert_not_null(s, "server did not start on %s (see above)", datadir);
    return s;
}

/* ---- ids ---- */

/* k of the id "k-0" (k >= 1); 0 when str is anything else. */
static uint32_t parse_id(const char *str, size_t len)
{
    char buf[48];
    if (!str || len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, str, len);
    buf[len] = '\0';
    char *end;
    unsigned long long ms = strtoull(buf, &end, 10);
    if (end == buf || *end != '-' || strcmp(end + 1, "0") != 0 || ms == 0 || ms >= MAXK)
        return 0;
    return (uint32_t)ms;
}

/* ms and seq of any id "ms-seq"; false when malformed. */
static bool parse_any_id(const char *str, uint64_t *ms, uint64_t *seq)
{
    char *end;
    *ms = strtoull(str, &end, 10);
    if (end == str || *end != '-')
        return false;
    const char *s2 = end + 1;
    *seq = strtoull(s2, &end, 10);
    return end != s2 && *end == '\0';
}

/* A growable list of ids. */
struct ids {
    uint32_t *v;
    size_t n, cap;
};

static void ids_push(struct ids *l, uint32_t k)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (!l->v)
            abort();
    }
    l->v[l->n++] = k;
}

static void ids_free(struct ids *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* ---- the threads of a round ---- */

struct consumer {
    pthread_t thread;
    int port, c;
    struct ids leftover;      /* even ids still pending for this consumer: acknowledged first */
    struct ids delivered;     /* ids of XREADGROUP replies received */
    struct ids ack_sent;      /* ids of XACKs sent (or about to be) */
    struct ids ack_confirmed; /* ids of XACKs whose reply was received */
    bool read_in_flight;      /* an XREADGROUP was sent whose reply never came */
    atomic_uint replies;      /* XREADGROUP replies received */
    atomic_bool started;
    char error[256];
};

/* Takes the entries of one XREADGROUP reply into cs->delivered (and the even
 * ones into *even); false after recording an error. */
static bool take_read_reply(struct consumer *cs, redisReply *r, struct ids *even)
{
    if (r->type == REDIS_REPLY_NIL)
        return true; /* nothing new */
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 || r->element[0]->type != REDIS_REPLY_ARRAY ||
        r->element[0]->elements != 2 || r->element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
        snprintf(cs->error, sizeof cs->error, "consumer c%d: XREADGROUP reply of type %s%s%s", cs->c,
                 th_reply_type(r->type), r->type == REDIS_REPLY_ERROR ? ": " : "",
                 r->type == REDIS_REPLY_ERROR ? r->str : "");
        return false;
    }
    redisReply *entries = r->element[0]->element[1];
    if (entries->elements > READ_COUNT) {
        snprintf(cs->error, sizeof cs->error, "consumer c%d: XREADGROUP COUNT %d returned %zu entries", cs->c,
                 READ_COUNT, entries->elements);
        return false;
    }
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *e = entries->element[i];
        uint32_t k = 0;
        bool ok = e->type == REDIS_REPLY_ARRAY && e->elements == 2 && e->element[0]->type == REDIS_REPLY_STRING &&
                  (k = parse_id(e->element[0]->str, e->element[0]->len)) != 0 &&
                  e->element[1]->type == REDIS_REPLY_ARRAY && e->element[1]->elements == 2 &&
                  e->element[1]->element[1]->type == REDIS_REPLY_STRING &&
                  strtoul(e->element[1]->element[1]->str, NULL, 10) == k;
        if (!ok) {
            snprintf(cs->error, sizeof cs->error, "consumer c%d: malformed entry %zu in an XREADGROUP reply", cs->c,
                     i);
            return false;
        }
        if (cs->delivered.n && k <= cs->delivered.v[cs->delivered.n - 1]) {
            snprintf(cs->error, sizeof cs->error, "consumer c%d: XREADGROUP > delivered %" PRIu32 "-0 after %" PRIu32
                     "-0", cs->c, k, cs->delivered.v[cs->delivered.n - 1]);
            return false;
        }
        ids_push(&cs->delivered, k);
        if (k % 2 == 0)
            ids_push(even, k);
    }
    return true;
}

static void *consumer_main(void *arg)
{
    struct consumer *cs = arg;
    redisContext *c = th_connect_port(cs->port);
    atomic_store(&cs->started, true);
    if (!c) {
        snprintf(cs->error, sizeof cs->error, "consumer c%d: cannot connect", cs->c);
        return NULL;
    }
    char name[8];
    snprintf(name, sizeof name, "c%d", cs->c);
    struct ids to_ack = {0}, even = {0};
    for (size_t i = 0; i < cs->leftover.n; i++)
        ids_push(&to_ack, cs->leftover.v[i]);
    for (;;) {
        cs->read_in_flight = true;
        for (int j = 0; j < READS; j++)
            redisAppendCommand(c, "XREADGROUP GROUP g %s COUNT %d STREAMS q >", name, READ_COUNT);
        size_t nack = to_ack.n;
        if (nack) {
            size_t argc = 3 + nack;
            const char **argv = malloc(argc * sizeof(*argv));
            size_t *lens = malloc(argc * sizeof(*lens));
            char (*bufs)[24] = malloc(nack * sizeof(*bufs));
            argv[0] = "XACK", argv[1] = "q", argv[2] = "g";
            for (size_t i = 0; i < nack; i++) {
                snprintf(bufs[i], sizeof bufs[i], "%" PRIu32 "-0", to_ack.v[i]);
                argv[3 + i] = bufs[i];
                ids_push(&cs->ack_sent, to_ack.v[i]);
            }
            for (size_t i = 0; i < argc; i++)
                lens[i] = strlen(argv[i]);
            redisAppendCommandArgv(c, (int)argc, argv, lens);
            free(argv);
            free(lens);
            free(bufs);
        }
        even.n = 0;
        bool failed = false;
        for (int j = 0; j < READS && !failed; j++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                failed = true; /* the server was killed */
                break;
            }
            bool ok = take_read_reply(cs, r, &even);
            freeReplyObject(r);
            if (!ok)
                goto out;
            atomic_fetch_add(&cs->replies, 1);
        }
        if (failed)
            break;
        cs->read_in_flight = false;
        if (nack) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK)
                break;
            bool ok = r->type == REDIS_REPLY_INTEGER && r->integer == (long long)nack;
            if (!ok) {
                snprintf(cs->error, sizeof cs->error,
                         "consumer c%d: XACK of %zu ids it had pending (from %" PRIu32 "-0) answered %s %lld %s",
                         cs->c, nack, to_ack.v[0], th_reply_type(r->type), r->integer, r->str ? r->str : "");
                freeReplyObject(r);
                goto out;
            }
            freeReplyObject(r);
            for (size_t i = 0; i < nack; i++)
                ids_push(&cs->ack_confirmed, to_ack.v[i]);
        }
        to_ack.n = 0;
        for (size_t i = 0; i < even.n; i++)
            ids_push(&to_ack, even.v[i]);
    }
out:
    redisFree(c);
    ids_free(&to_ack);
    ids_free(&even);
    return NULL;
}

struct producer {
    pthread_t thread;
    int port;
    uint32_t next;      /* the first entry of this round */
    atomic_uint acked;  /* the producer's entries acknowledged this round */
    atomic_uint sent;   /* ... and sent */
    atomic_bool started;
    char error[256];
};

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    redisContext *c = th_connect_port(p->port);
    atomic_store(&p->started, true);
    if (!c) {
        snprintf(p->error, sizeof p->error, "producer: cannot connect");
        return NULL;
    }
    for (uint32_t k = p->next; k + PRODUCE_BATCH < MAXK; k += PRODUCE_BATCH) {
        for (uint32_t j = k; j < k + PRODUCE_BATCH; j++)
            redisAppendCommand(c, "XADD q %u-0 n %u", j, j);
        atomic_fetch_add(&p->sent, PRODUCE_BATCH);
        for (uint32_t j = k; j < k + PRODUCE_BATCH; j++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK)
                goto out; /* the server was killed */
            bool ok = r->type == REDIS_REPLY_STRING && parse_id(r->str, r->len) == j;
            if (!ok) {
                snprintf(p->error, sizeof p->error, "producer: XADD q %u-0 answered %s %s", j,
                         th_reply_type(r->type), r->str ? r->str : "");
                freeReplyObject(r);
                goto out;
            }
            freeReplyObject(r);
            atomic_fetch_add(&p->acked, 1);
        }
    }
out:
    redisFree(c);
    return NULL;
}

/* ---- the model, over all rounds ---- */

enum { ST_NEW = 0, ST_PENDING, ST_ACKED };

struct model {
    uint8_t *state;   /* per k: ST_* */
    int8_t *owner;    /* per k: the consumer it was delivered to, or -1 */
    uint8_t *ack_maybe; /* per k: an XACK was sent whose reply never came */
    bool read_in_flight[CONSUMERS];
    uint32_t stream_min;   /* the stream holds at least 1..stream_min */
    uint32_t stream_max;   /* ... and at most 1..stream_max */
    uint32_t max_delivered; /* the largest k known delivered */
    unsigned long long deliveries, acks; /* replies received, all rounds */
    /* what was in flight at the kills, as the restarted server showed it */
    unsigned long long flight_pending; /* delivered by an XREADGROUP whose reply was lost */
    unsigned long long flight_acked;   /* acknowledged by an XACK whose reply was lost */
    unsigned long long flight_unacked; /* ... or not */
};

static void model_init(struct model *m)
{
    memset(m, 0, sizeof *m);
    m->state = calloc(MAXK, 1);
    m->owner = malloc(MAXK);
    m->ack_maybe = calloc(MAXK, 1);
    cr_assert(m->state && m->owner && m->ack_maybe);
    memset(m->owner, -1, MAXK);
}

static void model_free(struct model *m)
{
    free(m->state);
    free(m->owner);
    free(m->ack_maybe);
}

/* What a round's threads saw, into the model (before the restart). */
static void model_take_round(struct model *m, struct consumer *cs, int round)
{
    for (int c = 0; c < CONSUMERS; c++) {
        for (size_t i = 0; i < cs[c].delivered.n; i++) {
            uint32_t k = cs[c].delivered.v[i];
            cr_assert_eq(m->state[k], ST_NEW,
                         "round %d: %" PRIu32 "-0 delivered to c%d by XREADGROUP >, but it was delivered before "
                         "(to c%d, state %d)",
                         round, k, c, m->owner[k], m->state[k]);
            m->state[k] = ST_PENDING;
            m->owner[k] = (int8_t)c;
            if (k > m->max_delivered)
                m->max_delivered = k;
            m->deliveries++;
        }
    }
    for (int c = 0; c < CONSUMERS; c++) {
        for (size_t i = 0; i < cs[c].ack_confirmed.n; i++) {
            uint32_t k = cs[c].ack_confirmed.v[i];
            cr_assert(m->state[k] == ST_PENDING && m->owner[k] == c, "round %d: c%d acknowledged %" PRIu32 "-0 "
                      "which was not pending for it (state %d, owner c%d)", round, c, k, m->state[k], m->owner[k]);
            m->state[k] = ST_ACKED;
            m->acks++;
        }
        for (size_t i = 0; i < cs[c].ack_sent.n; i++) {
            uint32_t k = cs[c].ack_sent.v[i];
            if (m->state[k] != ST_ACKED)
                m->ack_maybe[k] = 1;
        }
        m->read_in_flight[c] = cs[c].read_in_flight;
    }
}

/* The value of field name in a flat RESP2 key/value array, or NULL. */
static redisReply *field_of(redisReply *map, const char *name)
{
    for (size_t i = 0; i + 1 < map->elements; i += 2)
        if (map->element[i]->type == REDIS_REPLY_STRING && strcmp(map->element[i]->str, name) == 0)
            return map->element[i + 1];
    return NULL;
}

static int consumer_index(const redisReply *name)
{
    if (name->type != REDIS_REPLY_STRING || name->len != 2 || name->str[0] != 'c' || name->str[1] < '0' ||
        name->str[1] >= '0' + CONSUMERS)
        return -1;
    return name->str[1] - '0';
}

/* Checks the restarted server against the model, then takes what was in
 * flight from it. Returns the length of the stream (the producer's next
 * entry is one more). */
static uint32_t verify(th_server *s, struct model *m, int round)
{
    redisContext *c = th_connect(s);
    cr_assert_not_null(c);

    /* the stream: exactly 1-0 .. L-0 */
    redisReply *r = redisCommand(c, "XLEN q");
    cr_assert(r && r->type == REDIS_REPLY_INTEGER, "round %d: XLEN q", round);
    uint32_t len = (uint32_t)r->integer;
    freeReplyObject(r);
    r = redisCommand(c, "XREVRANGE q + - COUNT 1");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY &&
                  r->element[0]->elements == 2 && r->element[0]->element[0]->type == REDIS_REPLY_STRING,
              "round %d: XREVRANGE q + - COUNT 1", round);
    uint32_t last = parse_id(r->element[0]->element[0]->str, r->element[0]->element[0]->len);
    freeReplyObject(r);
    cr_assert_eq(last, len, "round %d: q holds %" PRIu32 " entries, the last is %" PRIu32 "-0", round, len, last);
    cr_assert(len >= m->stream_min && len <= m->stream_max,
              "round %d: q holds entries up to %" PRIu32 "-0; %" PRIu32 " had been acknowledged, %" PRIu32 " sent",
              round, len, m->stream_min, m->stream_max);

    /* the group */
    r = redisCommand(c, "XINFO GROUPS q");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "round %d: XINFO GROUPS q: %zu groups", round,
              r ? r->elements : 0);
    redisReply *g = r->element[0];
    redisReply *gname = field_of(g, "name"), *gpending = field_of(g, "pending"),
               *glast = field_of(g, "last-delivered-id");
    cr_assert(gname && gpending && glast && gname->type == REDIS_REPLY_STRING && strcmp(gname->str, "g") == 0 &&
                  gpending->type == REDIS_REPLY_INTEGER && glast->type == REDIS_REPLY_STRING,
              "round %d: XINFO GROUPS q: malformed", round);
    uint64_t lms, lseq;
    cr_assert(parse_any_id(glast->str, &lms, &lseq), "round %d: last-delivered-id %s", round, glast->str);
    cr_assert(lseq == 0 && lms <= len, "round %d: last-delivered-id %s, the stream ends at %" PRIu32 "-0", round,
              glast->str, len);
    uint32_t ld = (uint32_t)lms;
    long long info_pending = gpending->integer;
    freeReplyObject(r);
    cr_assert_geq(ld, m->max_delivered,
                  "round %d: the group's last-delivered-id is %" PRIu32 "-0, but %" PRIu32 "-0 had been delivered",
                  round, ld, m->max_delivered);

    /* the PEL, extended */
    int8_t *pel = malloc(MAXK);
    cr_assert_not_null(pel);
    memset(pel, -1, MAXK);
    r = redisCommand(c, "XPENDING q g - + %u", (unsigned)len + 10);
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "round %d: XPENDING q g - + n: %s", round,
              r && r->str ? r->str : "no array");
    size_t npel = r->elements;
    size_t per_consumer[CONSUMERS] = {0};
    uint32_t prev = 0, first = 0;
    for (size_t i = 0; i < npel; i++) {
        redisReply *e = r->element[i];
        cr_assert(e->type == REDIS_REPLY_ARRAY && e->elements == 4 && e->element[0]->type == REDIS_REPLY_STRING &&
                      e->element[3]->type == REDIS_REPLY_INTEGER,
                  "round %d: XPENDING entry %zu malformed", round, i);
        uint32_t k = parse_id(e->element[0]->str, e->element[0]->len);
        int owner = consumer_index(e->element[1]);
        cr_assert(k != 0 && owner >= 0, "round %d: XPENDING entry %zu: %s of %s", round, i, e->element[0]->str,
                  e->element[1]->str ? e->element[1]->str : "?");
        cr_assert_gt(k, prev, "round %d: XPENDING lists %" PRIu32 "-0 after %" PRIu32 "-0 (twice, or out of order)",
                     round, k, prev);
        cr_assert_eq(e->element[3]->integer, 1,
                     "round %d: %" PRIu32 "-0 pending for c%d with delivery count %lld, where 1 was due", round, k,
                     owner, e->element[3]->integer);
        cr_assert_leq(k, ld, "round %d: %" PRIu32 "-0 pending for c%d, after the last-delivered-id %" PRIu32 "-0",
                      round, k, owner, ld);
        if (i == 0)
            first = k;
        prev = k;
        pel[k] = (int8_t)owner;
        per_consumer[owner]++;
    }
    freeReplyObject(r);
    cr_assert_eq((long long)npel, info_pending, "round %d: XINFO GROUPS says %lld pending, XPENDING lists %zu", round,
                 info_pending, npel);

    /* the PEL, summary */
    r = redisCommand(c, "XPENDING q g");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[0]->type == REDIS_REPLY_INTEGER,
              "round %d: XPENDING q g malformed", round);
    cr_assert_eq((size_t)r->element[0]->integer, npel, "round %d: XPENDING summary counts %lld, the list has %zu",
                 round, r->element[0]->integer, npel);
    if (npel == 0) {
        cr_assert(r->element[1]->type == REDIS_REPLY_NIL && r->element[2]->type == REDIS_REPLY_NIL &&
                      r->element[3]->type == REDIS_REPLY_NIL,
                  "round %d: empty XPENDING summary", round);
    } else {
        cr_assert(r->element[1]->type == REDIS_REPLY_STRING && r->element[2]->type == REDIS_REPLY_STRING &&
                      r->element[3]->type == REDIS_REPLY_ARRAY,
                  "round %d: XPENDING summary malformed", round);
        cr_assert_eq(parse_id(r->element[1]->str, r->element[1]->len), first,
                     "round %d: XPENDING summary min %s, the list starts at %" PRIu32 "-0", round, r->element[1]->str,
                     first);
        cr_assert_eq(parse_id(r->element[2]->str, r->element[2]->len), prev,
                     "round %d: XPENDING summary max %s, the list ends at %" PRIu32 "-0", round, r->element[2]->str,
                     prev);
        bool seen[CONSUMERS] = {false};
        redisReply *list = r->element[3];
        for (size_t i = 0; i < list->elements; i++) {
            redisReply *pc = list->element[i];
            cr_assert(pc->type == REDIS_REPLY_ARRAY && pc->elements == 2 && pc->element[1]->type == REDIS_REPLY_STRING,
                      "round %d: XPENDING summary consumer %zu malformed", round, i);
            int ci = consumer_index(pc->element[0]);
            cr_assert(ci >= 0 && !seen[ci], "round %d: XPENDING summary consumer %zu: %s", round, i,
                      pc->element[0]->str ? pc->element[0]->str : "?");
            seen[ci] = true;
            cr_assert_eq(strtoull(pc->element[1]->str, NULL, 10), per_consumer[ci],
                         "round %d: XPENDING summary: c%d has %s pending, the list %zu", round, ci,
                         pc->element[1]->str, per_consumer[ci]);
        }
        for (int ci = 0; ci < CONSUMERS; ci++)
            cr_assert(seen[ci] || per_consumer[ci] == 0, "round %d: XPENDING summary leaves out c%d with %zu pending",
                      round, ci, per_consumer[ci]);
    }
    freeReplyObject(r);
    redisFree(c);

    /* the model against the PEL */
    uint32_t top = ld > len ? ld : len;
    if (m->max_delivered > top)
        top = m->max_delivered;
    unsigned from_flight = 0, acks_taken = 0;
    for (uint32_t k = 1; k <= top; k++) {
        int p = pel[k];
        switch (m->state[k]) {
        case ST_ACKED:
            cr_assert_eq(p, -1, "round %d: %" PRIu32 "-0 is pending for c%d, but its XACK had been answered", round, k,
                         p);
            break;
        case ST_PENDING:
            if (m->ack_maybe[k]) {
                cr_assert(p == -1 || p == m->owner[k],
                          "round %d: %" PRIu32 "-0 (delivered to c%d, XACK sent) is pending for c%d", round, k,
                          m->owner[k], p);
                if (p == -1) {
                    m->state[k] = ST_ACKED; /* the lost XACK was done */
                    acks_taken++;
                } else {
                    m->flight_unacked++;
                }
            } else {
                cr_assert_eq(p, m->owner[k],
                             "round %d: %" PRIu32 "-0 was delivered to c%d (reply received) and never acknowledged, "
                             "but it is pending for c%d (-1: not pending)",
                             round, k, m->owner[k], p);
            }
            break;
        default: /* ST_NEW: delivered only by an XREADGROUP whose reply was lost, if at all */
            if (p >= 0) {
                cr_assert(m->read_in_flight[p],
                          "round %d: %" PRIu32 "-0 is pending for c%d, which never received it and had no "
                          "XREADGROUP in flight at the kill",
                          round, k, p);
                m->state[k] = ST_PENDING;
                m->owner[k] = (int8_t)p;
                if (k > m->max_delivered)
                    m->max_delivered = k;
                from_flight++;
            } else {
                cr_assert_gt(k, ld,
                             "round %d: %" PRIu32 "-0 is at or before the group's last-delivered-id %" PRIu32
                             "-0, yet neither pending nor acknowledged",
                             round, k, ld);
            }
        }
        m->ack_maybe[k] = 0;
    }
    for (int ci = 0; ci < CONSUMERS; ci++)
        m->read_in_flight[ci] = false;
    m->acks += acks_taken;
    m->flight_acked += acks_taken;
    m->flight_pending += from_flight;
    m->stream_min = m->stream_max = len;
    free(pel);
    return len;
}

/* Appends the even ids pending for consumer c to l. */
static void leftover_of(const struct model *m, int c, uint32_t top, struct ids *l)
{
    for (uint32_t k = 2; k <= top; k += 2)
        if (m->state[k] == ST_PENDING && m->owner[k] == c)
            ids_push(l, k);
}

static void prefill(th_server *s)
{
    redisContext *c = th_connect(s);
    cr_assert_not_null(c);
    redisReply *r = redisCommand(c, "XGROUP CREATE q g 0 MKSTREAM");
    cr_assert(r && r->type == REDIS_REPLY_STATUS, "XGROUP CREATE q g 0 MKSTREAM");
    freeReplyObject(r);
    for (uint32_t k = 1; k <= PREFILL; k += 500) {
        uint32_t end = k + 500 > PREFILL + 1 ? PREFILL + 1 : k + 500;
        for (uint32_t j = k; j < end; j++)
            redisAppendCommand(c, "XADD q %u-0 n %u", j, j);
        for (uint32_t j = k; j < end; j++) {
            cr_assert_eq(redisGetReply(c, (void **)&r), REDIS_OK);
            cr_assert(r->type == REDIS_REPLY_STRING && parse_id(r->str, r->len) == j, "XADD q %u-0", j);
            freeReplyObject(r);
        }
    }
    redisFree(c);
}

Test(groups_durability, crash_pending)
{
    const char *env = getenv("SWARMLOG_TEST_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    fprintf(stderr, "groups_durability crash_pending: SWARMLOG_TEST_SEED=%u\n", seed);
    srand(seed);
    tmp_root = th_tmpdir_new();
    cr_assert_not_null(tmp_root);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data", tmp_root);
    cr_assert_eq(mkdir(dir, 0755), 0);

    struct model m;
    model_init(&m);
    th_server *s = start_on(dir);
    prefill(s);
    cr_assert_eq(th_server_stop(s), 0, "the server did not stop cleanly after the prefill (log above)");
    m.stream_min = m.stream_max = PREFILL;

    long long t0 = th_now_ms();
    for (int round = 0; round <= CRASH_ROUNDS + 1; round++) {
        s = start_on(dir);
        uint32_t len = verify(s, &m, round);
        if (round == CRASH_ROUNDS + 1) {
            /* after the clean stop: everything as it was */
            size_t pending = 0;
            for (uint32_t k = 1; k <= len; k++)
                pending += m.state[k] == ST_PENDING;
            fprintf(stderr,
                    "groups_durability crash_pending: %llu deliveries received, %llu acknowledged, %zu "
                    "entries pending of %" PRIu32 " after %d kills; in flight at the kills: %llu deliveries "
                    "found pending; of the ids in unanswered XACKs %llu acknowledged, %llu still pending (%lld ms)\n",
                    m.deliveries, m.acks, pending, len, CRASH_ROUNDS, m.flight_pending, m.flight_acked,
                    m.flight_unacked, th_now_ms() - t0);
            cr_assert_eq(th_server_stop(s), 0, "the server did not stop cleanly (log above)");
            break;
        }
        struct consumer cs[CONSUMERS];
        struct producer p;
        memset(cs, 0, sizeof cs);
        memset(&p, 0, sizeof p);
        p.port = th_server_port(s);
        p.next = len + 1;
        for (int c = 0; c < CONSUMERS; c++) {
            cs[c].port = th_server_port(s);
            cs[c].c = c;
            leftover_of(&m, c, len, &cs[c].leftover);
        }
        if (round == CRASH_ROUNDS) {
            /* the last round ends in a clean stop, after everything was answered */
            cr_assert_eq(th_server_stop(s), 0, "the server did not stop cleanly (log above)");
            for (int c = 0; c < CONSUMERS; c++)
                ids_free(&cs[c].leftover);
            continue;
        }
        cr_assert_eq(pthread_create(&p.thread, NULL, producer_main, &p), 0);
        for (int c = 0; c < CONSUMERS; c++)
            cr_assert_eq(pthread_create(&cs[c].thread, NULL, consumer_main, &cs[c]), 0);
        unsigned target = 5 + (unsigned)(rand() % 1200);
        long long deadline = th_now_ms() + 3000;
        for (;;) {
            unsigned replies = 0, started = atomic_load(&p.started);
            for (int c = 0; c < CONSUMERS; c++) {
                replies += atomic_load(&cs[c].replies);
                started += atomic_load(&cs[c].started);
            }
            if ((replies >= target && started == CONSUMERS + 1) || th_now_ms() > deadline)
                break;
            usleep(500);
        }
        cr_assert_eq(th_server_kill(s), 0, "the server was not running at the kill (log above)");
        pthread_join(p.thread, NULL);
        for (int c = 0; c < CONSUMERS; c++)
            pthread_join(cs[c].thread, NULL);
        cr_assert_eq(p.error[0], '\0', "%s", p.error);
        for (int c = 0; c < CONSUMERS; c++)
            cr_assert_eq(cs[c].error[0], '\0', "%s", cs[c].error);
        m.stream_min = len + atomic_load(&p.acked);
        m.stream_max = len + atomic_load(&p.sent);
        model_take_round(&m, cs, round);
        unsigned delivered = 0, acked = 0;
        for (int c = 0; c < CONSUMERS; c++) {
            delivered += (unsigned)cs[c].delivered.n;
            acked += (unsigned)cs[c].ack_confirmed.n;
            ids_free(&cs[c].leftover);
            ids_free(&cs[c].delivered);
            ids_free(&cs[c].ack_sent);
            ids_free(&cs[c].ack_confirmed);
        }
        fprintf(stderr, "groups_durability crash_pending: round %d: killed after %u deliveries, %u acks, %u XADDs\n",
                round, delivered, acked, atomic_load(&p.acked));
    }
    model_free(&m);
}
