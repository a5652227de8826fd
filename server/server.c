/* server.c — lifecycle and the event loop.
 *
 * The loop runs libevent one turn at a time (EVLOOP_ONCE) and then calls
 * before_sleep(), the one place where the work of a turn is finished: the
 * (future) group commit, then the release of every reply produced during the
 * turn, then the freeing of closed clients. */
#include "server.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CRON_INTERVAL_MS 100
#define SHUTDOWN_FLUSH_MS 5000
#define MIN_RESERVED_FDS 32

int64_t srv_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t srv_now_ms(void)
{
    return srv_now_us() / 1000;
}

/* The command timer (INFO commandstats reads one per command): the TSC
 * itself where the kernel keeps time with it (a few ns), else
 * CLOCK_MONOTONIC in ns (about 25 ns here: 5% of a pipelined PING). Ticks
 * become µs against the monotonic clock over the whole uptime. */
static int cmd_clock_tsc;
static uint64_t cmd_tsc0;
static int64_t cmd_mono0_ns;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void srv_cmd_clock_init(void)
{
#if defined(__x86_64__)
    char src[32] = "";
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (f != NULL) {
        if (fgets(src, sizeof(src), f) == NULL)
            src[0] = '\0';
        fclose(f);
    }
    cmd_clock_tsc = strncmp(src, "tsc", 3) == 0 && (src[3] == '\n' || src[3] == '\0');
    cmd_tsc0 = __builtin_ia32_rdtsc();
#endif
    cmd_mono0_ns = mono_ns();
}

uint64_t srv_cmd_clock(void)
{
#if defined(__x86_64__)
    if (cmd_clock_tsc)
        return __builtin_ia32_rdtsc();
#endif
    return (uint64_t)mono_ns();
}

uint64_t srv_cmd_ticks_to_us(uint64_t ticks)
{
    double per_ns = 1.0;
#if defined(__x86_64__)
    if (cmd_clock_tsc) {
        int64_t ns = mono_ns() - cmd_mono0_ns;
        uint64_t t = __builtin_ia32_rdtsc() - cmd_tsc0;
        if (ns <= 0 || t == 0)
            return 0;
        per_ns = (double)t / (double)ns;
    }
#endif
    return (uint64_t)((double)ticks / per_ns / 1000.0);
}

uint64_t srv_unix_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Raises RLIMIT_NOFILE to what maxclients needs; lowers maxclients (with
 * Redis's warnings) when the system will not allow it. */
static void adjust_open_files_limit(struct srv *s)
{
    rlim_t want = (rlim_t)s->cfg.maxclients + MIN_RESERVED_FDS;
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= want)
        return;
    struct rlimit nl = { want, lim.rlim_max > want ? lim.rlim_max : want };
    if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
        return;
    nl.rlim_max = lim.rlim_max;
    nl.rlim_cur = lim.rlim_max < want ? lim.rlim_max : want;
    if (setrlimit(RLIMIT_NOFILE, &nl) != 0)
        nl.rlim_cur = lim.rlim_cur;
    long long reduced = (long long)nl.rlim_cur - MIN_RESERVED_FDS;
    if (reduced < 1)
        reduced = 1;
    srv_log(SRV_LL_WARNING, "You requested maxclients of %lld requiring at least %llu max file descriptors.",
            s->cfg.maxclients, (unsigned long long)want);
    srv_log(SRV_LL_WARNING, "Current maximum open files is %llu. maxclients has been reduced to %lld "
            "to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
            (unsigned long long)nl.rlim_cur, reduced);
    s->cfg.maxclients = reduced;
}

void srv_apply_config(struct srv *s, int changed)
{
    if (changed & (SRV_CONFIG_CHANGED_LIMITS | SRV_CONFIG_CHANGED_AUTH))
        for (struct client *c = s->clients_head; c; c = c->next)
            client_update_parser(c);
    if (changed & SRV_CONFIG_CHANGED_LOG)
        srv_log_setup(s->cfg.loglevel, s->cfg.logfile);
    if (changed & SRV_CONFIG_CHANGED_MAXCLIENTS)
        adjust_open_files_limit(s);
    if (changed & SRV_CONFIG_CHANGED_DURABILITY)
        store_set_durability(s->store, (enum store_durability)s->cfg.durability);
}

void srv_request_shutdown(struct srv *s, const char *why)
{
    if (s->shutdown_requested)
        return;
    srv_log(SRV_LL_WARNING, "%s", why);
    s->shutdown_requested = 1;
    s->shutdown_deadline_ms = srv_now_ms() + SHUTDOWN_FLUSH_MS;
    srv_net_close_listeners(s);
    free(s->touched);
    free(s->touched_bytes);
    for (struct client *c = s->clients_head; c; c = c->next) {
        c->flags |= CLIENT_READ_PAUSED;
        event_del(c->ev_read);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    srv_request_shutdown(arg, sig == SIGINT ? "Received SIGINT scheduling shutdown..."
                                            : "Received SIGTERM scheduling shutdown...");
}

static void close_idle_clients(struct srv *s, int64_t now)
{
    if (s->cfg.timeout <= 0)
        return;
    for (struct client *c = s->clients_head; c; c = c->next) {
        /* blocked clients and subscribers (EV.SUBSCRIBE, EV.SYNC) wait by design */
        if (now - c->last_ms > s->cfg.timeout * 1000 && !(c->flags & (CLIENT_CLOSE_ASAP | CLIENT_BLOCKED)) &&
            c->sub == NULL) {
            srv_log(SRV_LL_VERBOSE, "Closing idle client");
            client_close_async(c);
        }
    }
}

static void on_cron(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct srv *s = arg;
    srv_stats_sample(s);
    srv_hold_check(s);
    if (++s->cron_ticks % (1000 / CRON_INTERVAL_MS) != 0)
        return;
    close_idle_clients(s, srv_now_ms());
    srv_sync_announce(s); /* peers following live hear where this node stands */
    if (s->cfg.durability == STORE_DURABILITY_RELAXED) {
        int rc = store_sync(s->store);
        if (rc != 0)
            srv_log(SRV_LL_WARNING, "Store sync failed: %s", store_strerror(rc));
    }
}

/* Finishes a loop turn: commit the turn's writes (group commit), release
 * replies, then free closed clients. */
static void before_sleep(struct srv *s)
{
    /* Commit, then serve the blocked readers the commit may satisfy. What
     * they run next (their held input) may write again, so repeat; the loop
     * always ends right after a commit. */
    for (int rounds = 0;; rounds++) {
        int wrote = store_turn_dirty(s->store);
        srv_commit_turn(s);
        if (!wrote || rounds == 16)
            break;
        srv_wake_blocked(s);
    }
    struct client *c = s->pending_writes;
    s->pending_writes = NULL;
    while (c != NULL) {
        struct client *next = c->next_pending;
        c->flags &= ~CLIENT_PENDING_WRITE;
        if (c->out.len > s->max_output_seen)
            s->max_output_seen = c->out.len;
        if (!(c->flags & CLIENT_CLOSE_ASAP))
            client_flush(c);
        c = next;
    }
    while ((c = s->to_close) != NULL) {
        s->to_close = c->next_close;
        client_free(c);
    }
}

static int output_pending(const struct srv *s)
{
    for (const struct client *c = s->clients_head; c; c = c->next)
        if (c->out.len > 0 && !(c->flags & CLIENT_CLOSE_ASAP))
            return 1;
    return 0;
}

static void make_run_id(char *out)
{
    unsigned char rnd[20];
    size_t got = 0;
    while (got < sizeof(rnd)) {
        ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (errno != EINTR)
            break;
    }
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(out + 2 * i, 3, "%02x", rnd[i]);
}

static int srv_setup(struct srv *s)
{
    s->start_time = time(NULL);
    s->start_ms = srv_now_ms();
    srv_cmd_clock_init();
    make_run_id(s->run_id);
    ssize_t n = readlink("/proc/self/exe", s->executable, sizeof(s->executable) - 1);
    s->executable[n > 0 ? n : 0] = '\0';
    signal(SIGPIPE, SIG_IGN);
    adjust_open_files_limit(s);

    int rc = store_open(&s->store, s->cfg.dir);
    if (rc != 0) {
        srv_log(SRV_LL_WARNING, "Can't open the data directory %s: %s", s->cfg.dir, store_strerror(rc));
        return -1;
    }
    if ((rc = store_set_durability(s->store, (enum store_durability)s->cfg.durability)) != 0) {
        srv_log(SRV_LL_WARNING, "Can't set the durability mode: %s", store_strerror(rc));
        return -1;
    }
    srv_log(SRV_LL_NOTICE, "Node id %s, data directory %s, durability %s", store_node_id(s->store),
            s->cfg.dir, s->cfg.durability == 0 ? "strict" : s->cfg.durability == 1 ? "relaxed" : "none");
    if (srv_registry_init(&s->registry) != 0) {
        srv_log(SRV_LL_WARNING, "Out of memory building the command table");
        return -1;
    }
    s->base = event_base_new();
    if (s->base == NULL)
        return -1;
    struct timeval tv = { 0, CRON_INTERVAL_MS * 1000 };
    s->ev_sigterm = evsignal_new(s->base, SIGTERM, on_signal, s);
    s->ev_sigint = evsignal_new(s->base, SIGINT, on_signal, s);
    s->ev_cron = event_new(s->base, -1, EV_PERSIST, on_cron, s);
    if (!s->ev_sigterm || !s->ev_sigint || !s->ev_cron || event_add(s->ev_sigterm, NULL) ||
        event_add(s->ev_sigint, NULL) || event_add(s->ev_cron, &tv))
        return -1;
    if (srv_net_listen(s) != 0)
        return -1;
    if (srv_peers_start(s) != 0)
        return -1;
    srv_hold_begin(s);
    return 0;
}

static void srv_teardown(struct srv *s)
{
    if (s->store)
        srv_commit_turn(s);
    while (s->clients_head)
        client_free(s->clients_head);
    srv_peers_stop(s);
    srv_net_close_listeners(s);
    if (s->ev_sigterm) event_free(s->ev_sigterm);
    if (s->ev_sigint) event_free(s->ev_sigint);
    if (s->ev_cron) event_free(s->ev_cron);
    if (s->base) event_base_free(s->base);
    srv_registry_free(&s->registry);
    store_close(s->store);
}

int srv_main(struct srv_config *cfg)
{
    struct srv *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return 1;
    s->cfg = *cfg; /* takes ownership of the strings */
    srv_log(SRV_LL_NOTICE, "oO0OoO0OoO0Oo swarmlog is starting oO0OoO0OoO0Oo");
    srv_log(SRV_LL_NOTICE, "swarmlog version=%s (Redis protocol %s), pid=%d", SWARMLOG_VERSION,
            SWARMLOG_REDIS_COMPAT_VERSION, (int)getpid());
    int code = 1;
    if (srv_setup(s) != 0)
        goto done;
    srv_log(SRV_LL_NOTICE, "Server initialized");
    srv_log(SRV_LL_NOTICE, "Ready to accept connections tcp");
    while (!s->shutdown_requested || (output_pending(s) && srv_now_ms() < s->shutdown_deadline_ms)) {
        if (event_base_loop(s->base, EVLOOP_ONCE) < 0) {
            srv_log(SRV_LL_WARNING, "Event loop failed: %s", strerror(errno));
            goto done;
        }
        before_sleep(s);
    }
    srv_log(SRV_LL_WARNING, "swarmlog is now ready to exit, bye bye...");
    code = 0;
done:
    srv_teardown(s);
    srv_config_free(&s->cfg);
    free(s);
    return code;
}
