/* info.c — INFO's sections with Redis's field names, and the statistics
 * behind them (errorstats, instantaneous metrics). */
#include "server.h"
#include "repl.h"
#include "args.h"
#include "commands.h"
#include "store.h"

#include <event2/event.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

struct info_buf {
    char *data;
    size_t len, cap;
    int oom;
};

static void info_add(struct info_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void info_add(struct info_buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n + 1;
        char *p = realloc(b->data, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
}

static void human_bytes(char *buf, size_t len, double n)
{
    static const char *units[] = { "B", "K", "M", "G", "T", "P" };
    int u = 0;
    while (n >= 1024 && u < 5) {
        n /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%lluB", (unsigned long long)n);
    else
        snprintf(buf, len, "%.2f%s", n, units[u]);
}

static size_t rss_bytes(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    unsigned long pages = 0, resident = 0;
    if (fp == NULL)
        return 0;
    if (fscanf(fp, "%lu %lu", &pages, &resident) != 2)
        resident = 0;
    fclose(fp);
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

static void section_server(struct info_buf *b, struct srv *s)
{
    struct utsname un;
    uname(&un);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long long uptime = (srv_now_ms() - s->start_ms) / 1000;
    info_add(b, "# Server\r\nredis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
             "redis_build_id:0\r\nredis_mode:standalone\r\nswarmlog_version:%s\r\n"
             "node_id:%s\r\nos:%s %s %s\r\narch_bits:%d\r\nmonotonic_clock:POSIX clock_gettime\r\n"
             "multiplexing_api:%s\r\natomicvar_api:c11-builtin\r\ngcc_version:%d.%d.%d\r\n"
             "process_id:%d\r\nprocess_supervised:no\r\nrun_id:%s\r\ntcp_port:%d\r\n"
             "server_time_usec:%lld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n"
             "hz:10\r\nconfigured_hz:10\r\nexecutable:%s\r\nconfig_file:%s\r\nio_threads_active:0\r\n",
             SWARMLOG_REDIS_COMPAT_VERSION, SWARMLOG_VERSION, store_node_id(s->store), un.sysname,
             un.release, un.machine, (int)(sizeof(void *) * 8), event_base_get_method(s->base),
#ifdef __GNUC__
             __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
             0, 0, 0,
#endif
             (int)getpid(), s->run_id, s->cfg.port,
             (long long)tv.tv_sec * 1000000 + tv.tv_usec, uptime, uptime / 86400, s->executable,
             s->cfg.config_file);
}

static void section_clients(struct info_buf *b, struct srv *s)
{
    info_add(b, "# Clients\r\nconnected_clients:%zu\r\ncluster_connections:0\r\nmaxclients:%lld\r\n"
             "client_recent_max_input_buffer:%zu\r\nclient_recent_max_output_buffer:%zu\r\n"
             "blocked_clients:%zu\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n",
             s->nclients, s->cfg.maxclients, s->max_input_seen, s->max_output_seen,
             s->blocked_clients);
}

static void section_memory(struct info_buf *b, struct srv *s)
{
    struct mallinfo2 mi = mallinfo2();
    size_t used = mi.uordblks + mi.hblkhd, rss = rss_bytes();
    if (used > s->used_memory_peak)
        s->used_memory_peak = used;
    size_t peak = s->used_memory_peak;
    struct sysinfo si;
    unsigned long long total = sysinfo(&si) == 0 ? (unsigned long long)si.totalram * si.mem_unit : 0;
    char h_used[32], h_rss[32], h_peak[32], h_total[32];
    human_bytes(h_used, sizeof(h_used), (double)used);
    human_bytes(h_rss, sizeof(h_rss), (double)rss);
    human_bytes(h_peak, sizeof(h_peak), (double)peak);
    human_bytes(h_total, sizeof(h_total), (double)total);
    info_add(b, "# Memory\r\nused_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\n"
             "used_memory_rss_human:%s\r\nused_memory_peak:%zu\r\nused_memory_peak_human:%s\r\n"
             "used_memory_peak_perc:%.2f%%\r\ntotal_system_memory:%llu\r\n"
             "total_system_memory_human:%s\r\nmaxmemory:0\r\nmaxmemory_human:0B\r\n"
             "maxmemory_policy:noeviction\r\nmem_fragmentation_ratio:%.2f\r\n"
             "mem_allocator:libc\r\nlazyfree_pending_objects:0\r\n",
             used, h_used, rss, h_rss, peak, h_peak, peak ? 100.0 * (double)used / (double)peak : 0.0,
             total, h_total, used ? (double)rss / (double)used : 0.0);
}

static void section_persistence(struct info_buf *b, struct srv *s)
{
    /* Every write is committed to LMDB before it is acknowledged: nothing is
     * ever "changed since the last save", and the last save is the last
     * group commit. Redis's field names first, then the store's own. */
    static const char *const modes[] = { "strict", "relaxed", "none" };
    const struct srv_stats *st = &s->stats;
    uint64_t used = 0, map = 0, next_offset = 0, lamport = 0, keys = 0;
    store_usage(s->store, &used, &map);
    store_log_head(s->store, &next_offset, &lamport);
    store_key_count(s->store, &keys);
    const char *status = st->store_commits + st->store_commit_failures == 0 || st->store_last_commit_ok ? "ok" : "err";
    info_add(b, "# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0\r\n"
             "rdb_bgsave_in_progress:0\r\nrdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\n"
             "aof_enabled:0\r\naof_rewrite_in_progress:0\r\naof_last_write_status:%s\r\n"
             "storage_engine:lmdb\r\nstorage_dir:%s\r\ndurability:%s\r\nstore_commits:%llu\r\n"
             "store_commit_failures:%llu\r\nstore_last_commit_status:%s\r\nstore_last_commit_usec:%llu\r\n"
             "store_data_bytes:%llu\r\nstore_map_bytes:%llu\r\nstore_keys:%llu\r\n"
             "event_log_events:%llu\r\nlamport:%llu\r\n",
             (long long)(st->store_last_commit_unix ? st->store_last_commit_unix : s->start_time), status,
             status, s->cfg.dir, modes[s->cfg.durability % 3], (unsigned long long)st->store_commits,
             (unsigned long long)st->store_commit_failures, status,
             (unsigned long long)st->store_commit_usec_last, (unsigned long long)used,
             (unsigned long long)map, (unsigned long long)keys, (unsigned long long)next_offset,
             (unsigned long long)lamport);
}

static double metric_average(const struct srv_metric *m)
{
    double sum = 0;
    for (int i = 0; i < SRV_METRIC_SAMPLES; i++)
        sum += m->samples[i];
    return sum / SRV_METRIC_SAMPLES;
}

static void section_stats(struct info_buf *b, struct srv *s)
{
    const struct srv_stats *st = &s->stats;
    info_add(b, "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
             "instantaneous_ops_per_sec:%.0f\r\ntotal_net_input_bytes:%llu\r\n"
             "total_net_output_bytes:%llu\r\ninstantaneous_input_kbps:%.2f\r\n"
             "instantaneous_output_kbps:%.2f\r\nrejected_connections:%llu\r\nexpired_keys:0\r\n"
             "evicted_keys:0\r\nkeyspace_hits:0\r\nkeyspace_misses:0\r\npubsub_channels:0\r\n"
             "pubsub_patterns:0\r\ntotal_error_replies:%llu\r\ntotal_reads_processed:%llu\r\n"
             "total_writes_processed:%llu\r\nclient_query_buffer_limit_disconnections:%llu\r\n",
             (unsigned long long)st->connections_received, (unsigned long long)st->commands_processed,
             metric_average(&st->ops), (unsigned long long)st->net_input_bytes,
             (unsigned long long)st->net_output_bytes, metric_average(&st->net_in) / 1024,
             metric_average(&st->net_out) / 1024, (unsigned long long)st->rejected_connections,
             (unsigned long long)st->error_replies, (unsigned long long)st->reads_processed,
             (unsigned long long)st->writes_processed,
             (unsigned long long)st->client_query_limit_disconnections);
}

static void section_replication(struct info_buf *b, struct srv *s)
{
    info_add(b, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n"
             "master_replid:%s\r\nmaster_replid2:0000000000000000000000000000000000000000\r\n"
             "master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n"
             "repl_backlog_size:0\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
             s->run_id);
    /* swarmlog's own replication: the peers this node pulls from */
    size_t syncs = 0;
    for (struct client *c = s->subscribers; c != NULL; c = srv_sub_next(c))
        syncs += srv_sub_is_sync(c);
    info_add(b, "swarm_peers:%zu\r\nswarm_sync_clients:%zu\r\n", s->nlinks, syncs);
    for (size_t i = 0; i < s->nlinks; i++) {
        struct repl_link_info in;
        repl_link_info(s->links[i], &in);
        info_add(b, "swarm_peer%zu:address=%s,node=%s,state=%s,behind=%llu,imported=%llu,last_contact_ms=%lld\r\n",
                 i, in.addr, in.node, in.state, (unsigned long long)in.behind, (unsigned long long)in.imported,
                 (long long)in.last_contact_ms);
    }
}

static void section_cpu(struct info_buf *b)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#define TV(t) ((double)(t).tv_sec + (double)(t).tv_usec / 1e6)
    info_add(b, "# CPU\r\nused_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\nused_cpu_sys_children:%.6f\r\n"
             "used_cpu_user_children:%.6f\r\n",
             TV(self.ru_stime), TV(self.ru_utime), TV(children.ru_stime), TV(children.ru_utime));
#undef TV
}

static void section_errorstats(struct info_buf *b, struct srv *s)
{
    info_add(b, "# Errorstats\r\n");
    for (int i = 0; i < s->stats.nerrors; i++)
        info_add(b, "errorstat_%s:count=%llu\r\n", s->stats.errors[i].code,
                 (unsigned long long)s->stats.errors[i].count);
}

static void commandstat_line(struct info_buf *b, const struct srv_cmd_entry *e)
{
    const struct srv_cmd_stats *st = &e->stats;
    if (st->calls == 0 && st->rejected_calls == 0 && st->failed_calls == 0)
        return;
    uint64_t usec = srv_cmd_ticks_to_us(st->ticks);
    info_add(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n",
             e->fullname, (unsigned long long)st->calls, (unsigned long long)usec,
             st->calls ? (double)usec / (double)st->calls : 0.0,
             (unsigned long long)st->rejected_calls, (unsigned long long)st->failed_calls);
}

static void section_commandstats(struct info_buf *b, struct srv *s)
{
    info_add(b, "# Commandstats\r\n");
    for (size_t i = 0; i < s->registry.count; i++) {
        const struct srv_cmd_entry *e = &s->registry.entries[i];
        commandstat_line(b, e);
        for (size_t j = 0; j < e->nsubs; j++)
            commandstat_line(b, &e->subs[j]);
    }
}

static void section_keyspace(struct info_buf *b, struct srv *s)
{
    uint64_t keys = 0;
    info_add(b, "# Keyspace\r\n");
    if (store_key_count(s->store, &keys) == 0 && keys > 0)
        info_add(b, "db0:keys=%llu,expires=0,avg_ttl=0\r\n", (unsigned long long)keys);
}

enum {
    SEC_SERVER, SEC_CLIENTS, SEC_MEMORY, SEC_PERSISTENCE, SEC_STATS, SEC_REPLICATION, SEC_CPU,
    SEC_MODULES, SEC_ERRORSTATS, SEC_CLUSTER, SEC_KEYSPACE, SEC_COMMANDSTATS, SEC_COUNT
};
static const char *const section_names[SEC_COUNT] = {
    "server", "clients", "memory", "persistence", "stats", "replication", "cpu",
    "modules", "errorstats", "cluster", "keyspace", "commandstats",
};

/* Marks the sections the arguments ask for (Redis 7.0 rules: none means
 * "default"; "all" and "everything" add commandstats). */
static void select_sections(int n, const struct resp_arg *args, int *want)
{
    if (n == 0) {
        for (int i = 0; i < SEC_COUNT; i++)
            want[i] = i != SEC_COMMANDSTATS;
        return;
    }
    for (int a = 0; a < n; a++) {
        int all = arg_is(&args[a], "all") || arg_is(&args[a], "everything");
        int dflt = arg_is(&args[a], "default");
        for (int i = 0; i < SEC_COUNT; i++)
            if (all || (dflt && i != SEC_COMMANDSTATS) || arg_is(&args[a], section_names[i]))
                want[i] = 1;
    }
}

int srv_info_generate(struct srv *s, int nsections, const struct resp_arg *sections,
                      char **out, size_t *outlen)
{
    int want[SEC_COUNT] = { 0 };
    select_sections(nsections, sections, want);
    struct info_buf b = { .cap = 4096 };
    if ((b.data = malloc(b.cap)) == NULL)
        return -1;
    b.data[0] = '\0';
    for (int i = 0; i < SEC_COUNT; i++) {
        if (!want[i])
            continue;
        if (b.len)
            info_add(&b, "\r\n");
        switch (i) {
        case SEC_SERVER: section_server(&b, s); break;
        case SEC_CLIENTS: section_clients(&b, s); break;
        case SEC_MEMORY: section_memory(&b, s); break;
        case SEC_PERSISTENCE: section_persistence(&b, s); break;
        case SEC_STATS: section_stats(&b, s); break;
        case SEC_REPLICATION: section_replication(&b, s); break;
        case SEC_CPU: section_cpu(&b); break;
        case SEC_MODULES: info_add(&b, "# Modules\r\n"); break;
        case SEC_ERRORSTATS: section_errorstats(&b, s); break;
        case SEC_CLUSTER: info_add(&b, "# Cluster\r\ncluster_enabled:0\r\n"); break;
        case SEC_KEYSPACE: section_keyspace(&b, s); break;
        case SEC_COMMANDSTATS: section_commandstats(&b, s); break;
        }
    }
    if (b.oom) {
        free(b.data);
        return -1;
    }
    *out = b.data;
    *outlen = b.len;
    return 0;
}

void srv_stats_count_error(struct srv *s, const char *text, size_t len)
{
    struct srv_stats *st = &s->stats;
    st->error_replies++;
    const char *sp = memchr(text, ' ', len);
    size_t n = sp ? (size_t)(sp - text) : len;
    if (n >= sizeof(st->errors[0].code))
        n = sizeof(st->errors[0].code) - 1;
    for (int i = 0; i < st->nerrors; i++)
        if (strlen(st->errors[i].code) == n && memcmp(st->errors[i].code, text, n) == 0) {
            st->errors[i].count++;
            return;
        }
    if (st->nerrors == SRV_ERRORSTATS_MAX)
        return; /* as Redis: stop tracking new codes past the limit */
    memcpy(st->errors[st->nerrors].code, text, n);
    st->errors[st->nerrors].code[n] = '\0';
    st->errors[st->nerrors++].count = 1;
}

static void metric_sample(struct srv_metric *m, uint64_t value, int64_t now)
{
    if (m->last_ms && now > m->last_ms) {
        double rate = (double)(value - m->last_value) * 1000.0 / (double)(now - m->last_ms);
        m->samples[m->idx] = rate;
        m->idx = (m->idx + 1) % SRV_METRIC_SAMPLES;
    }
    m->last_value = value;
    m->last_ms = now;
}

void srv_stats_sample(struct srv *s)
{
    int64_t now = srv_now_ms();
    metric_sample(&s->stats.ops, s->stats.commands_processed, now);
    metric_sample(&s->stats.net_in, s->stats.net_input_bytes, now);
    metric_sample(&s->stats.net_out, s->stats.net_output_bytes, now);
}

void srv_stats_reset(struct srv *s)
{
    memset(&s->stats, 0, sizeof(s->stats));
    for (size_t i = 0; i < s->registry.count; i++) {
        struct srv_cmd_entry *e = &s->registry.entries[i];
        memset(&e->stats, 0, sizeof(e->stats));
        for (size_t j = 0; j < e->nsubs; j++)
            memset(&e->subs[j].stats, 0, sizeof(e->subs[j].stats));
    }
    s->max_input_seen = s->max_output_seen = 0;
}
