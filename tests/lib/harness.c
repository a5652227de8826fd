/* harness.c — see harness.h: starting, stopping and watching server processes,
 * temp directories, ports, th_run(). The clients and the raw RESP reply reader
 * are in harness_client.c. */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TH_START_ATTEMPTS 5
#define TH_STOP_TIMEOUT_MS 30000

struct th_server {
    pid_t pid;
    int port;
    bool reaped;
    int status; /* raw wait status once reaped */
    char *tmpdir;
    char *datadir;
    char *logpath;
    struct th_server *next;
};

/* Every server not yet stopped, for the exit-time cleanup. */
static struct th_server *live_servers;
static bool cleanup_registered;

long long th_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) {
        perror("harness: strdup");
        abort();
    }
    return p;
}

static char *xasprintf(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *p = malloc(n);
    if (!p) {
        perror("harness: malloc");
        abort();
    }
    snprintf(p, n, fmt, a, b ? b : "");
    return p;
}

/* ---- files and directories ---- */

char *th_tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    char *tmpl = xasprintf("%s/swarmlog-test.XXXXXX%s", base, NULL);
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "harness: mkdtemp %s: %s\n", tmpl, strerror(errno));
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int th_rmtree(const char *path)
{
    if (!path)
        return 0;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int th_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, len, f);
    int rc = fclose(f);
    return n == len && rc == 0 ? 0 : -1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        if (f)
            fclose(f);
        return NULL;
    }
    if (f) {
        size_t n;
        while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
            len += n;
            if (cap - len - 1 == 0) {
                char *nb = realloc(buf, cap * 2);
                if (!nb)
                    break;
                buf = nb;
                cap *= 2;
            }
        }
        fclose(f);
    }
    buf[len] = '\0';
    return buf;
}

/* ---- ports and /proc ---- */

int th_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    if (port == 6379)   /* never, even by chance */
        return th_free_port();
    return port;
}

/* Appends pid's children (from /proc/<pid>/task/<tid>/children) to pids,
 * recursively, up to cap entries in all. */
static int add_descendants(pid_t pid, pid_t *pids, int n, int cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return n;
    struct dirent *de;
    while ((de = readdir(d)) && n < cap) {
        if (de->d_name[0] == '.')
            continue;
        /* Room for any d_name, so gcc's -Wformat-truncation has nothing to flag. */
        char cpath[sizeof "/proc//task//children" + 12 + sizeof de->d_name];
        snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, de->d_name);
        FILE *f = fopen(cpath, "r");
        if (!f)
            continue;
        int child;
        while (n < cap && fscanf(f, "%d", &child) == 1) {
            pids[n++] = child;
            n = add_descendants(child, pids, n, cap);
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

static bool one_pid_listens_on(pid_t pid, int port);

/* Whether pid, or a process it started (a wrapper script's server, say),
 * owns a socket listening on the port, so that readiness probes never talk
 * to another process that happened to take the port. */
static bool pid_listens_on(pid_t pid, int port)
{
    pid_t pids[32];
    int n = 1;
    pids[0] = pid;
    n = add_descendants(pid, pids, n, 32);
    for (int i = 0; i < n; i++)
        if (one_pid_listens_on(pids[i], port))
            return true;
    return false;
}

static bool one_pid_listens_on(pid_t pid, int port)
{
    char path[64];
    unsigned long inodes[16];
    int ninodes = 0;
    const char *tables[] = {"tcp", "tcp6"};
    for (int t = 0; t < 2; t++) {
        snprintf(path, sizeof path, "/proc/%d/net/%s", (int)pid, tables[t]);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char line[512];
        while (fgets(line, sizeof line, f)) {
            char local[128];
            unsigned st;
            unsigned long inode;
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
            if (sscanf(line, " %*d: %127s %*s %x %*s %*s %*s %*u %*u %lu", local, &st, &inode) != 3)
                continue;
            char *colon = strrchr(local, ':');
            if (!colon || st != 0x0A)
                continue;
            if ((int)strtol(colon + 1, NULL, 16) == port && ninodes < 16)
                inodes[ninodes++] = inode;
        }
        fclose(f);
    }
    if (ninodes == 0)
        return false;
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        char link[320], target[64];
        snprintf(link, sizeof link, "%s/%s", path, de->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        unsigned long ino;
        if (sscanf(target, "socket:[%lu]", &ino) != 1)
            continue;
        for (int i = 0; i < ninodes; i++)
            found = found || inodes[i] == ino;
    }
    closedir(d);
    return found;
}

long th_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

long th_raise_nofile(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if ((long)rl.rlim_cur < want) {
        rlim_t target = (rlim_t)want;
        if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max)
            target = rl.rlim_max;
        rl.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return (long)rl.rlim_cur;
}

/* ---- process lifecycle ---- */

static void kill_leftovers(void)
{
    for (struct th_server *s = live_servers; s; s = s->next) {
        if (!s->reaped) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
            s->reaped = true;
        }
        th_rmtree(s->tmpdir);
    }
    live_servers = NULL;
}

__attribute__((destructor)) static void kill_leftovers_fini(void)
{
    kill_leftovers();
}

static void unlink_live(struct th_server *s)
{
    for (struct th_server **pp = &live_servers; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            return;
        }
    }
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void close_fds_from(int lowfd)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
        return;
#endif
    for (int fd = lowfd; fd < 65536; fd++)
        close(fd);
}

static pid_t spawn(const char *const *argv, int outfd, pid_t parent)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Die with the test process, even when it crashes. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(outfd, 1);
    dup2(outfd, 2);
    close_fds_from(3);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], (char *const *)argv);
    dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int decode_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

bool th_server_alive(th_server *s)
{
    if (s->reaped)
        return false;
    pid_t r = waitpid(s->pid, &s->status, WNOHANG);
    if (r == s->pid) {
        s->reaped = true;
        return false;
    }
    return true;
}

static void print_log(const th_server *s, const char *why)
{
    char *log = th_server_log(s);
    fprintf(stderr,
            "harness: %s (pid %d, port %d)\n"
            "---- server log %s ----\n%s%s---- end of server log ----\n",
            why, (int)s->pid, s->port, s->logpath, log ? log : "",
            log && *log && log[strlen(log) - 1] != '\n' ? "\n" : "");
    free(log);
}

/* Polls for a reply to PING (any +/- reply but -LOADING) from our own pid. */
static int probe_ready(th_server *s, long long deadline)
{
    while (th_now_ms() < deadline) {
        if (!th_server_alive(s))
            return -1;
        if (pid_listens_on(s->pid, s->port)) {
            int fd = th_raw_connect(s->port);
            if (fd >= 0) {
                char buf[256];
                size_t n = 0;
                if (th_raw_send_str(fd, "*1\r\n$4\r\nPING\r\n", 1000) == 0)
                    n = th_raw_recv(fd, buf, sizeof buf - 1, 3, 1000);
                buf[n] = '\0';
                th_raw_close(fd);
                if (n >= 3 && (buf[0] == '+' || buf[0] == '-') && strncmp(buf, "-LOADING", 8) != 0)
                    return 0;
            }
        }
        sleep_ms(10);
    }
    return -2;
}

static void free_server(th_server *s)
{
    unlink_live(s);
    th_rmtree(s->tmpdir);
    free(s->tmpdir);
    free(s->datadir);
    free(s->logpath);
    free(s);
}

/* One attempt on one port. Returns 0 ready, -1 exited (status in s), -2
 * timeout (killed), -3 could not spawn. */
static int start_once(th_server *s, const struct th_server_opts *o, const char *bin)
{
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", s->port);
    const char *argv[128];
    int argc = 0;
    argv[argc++] = bin;
    if (o->config_file)
        argv[argc++] = o->config_file;
    argv[argc++] = "--port";
    argv[argc++] = portbuf;
    argv[argc++] = "--bind";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "--dir";
    argv[argc++] = s->datadir;
    for (int i = 0; o->args && o->args[i] && argc < 127; i++)
        argv[argc++] = o->args[i];
    argv[argc] = NULL;

    int outfd = open(s->logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (outfd < 0) {
        fprintf(stderr, "harness: open %s: %s\n", s->logpath, strerror(errno));
        return -3;
    }
    fflush(NULL);
    s->pid = spawn(argv, outfd, getpid());
    close(outfd);
    if (s->pid < 0) {
        perror("harness: fork");
        return -3;
    }
    s->reaped = false;
    int timeout = o->start_timeout_ms > 0 ? o->start_timeout_ms : 30000;
    int rc = probe_ready(s, th_now_ms() + timeout);
    if (rc == -2) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &s->status, 0);
        s->reaped = true;
    }
    return rc;
}

th_server *th_server_start_opts(const struct th_server_opts *o)
{
    const char *bin = o->binary ? o->binary : getenv("SWARMLOG_SERVER");
    if (!bin || !*bin) {
        fprintf(stderr, "harness: SWARMLOG_SERVER is not set (CMake sets it on each test)\n");
        return NULL;
    }
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "harness: server binary %s: %s\n", bin, strerror(errno));
        return NULL;
    }
    if (!cleanup_registered) {
        atexit(kill_leftovers);
        signal(SIGPIPE, SIG_IGN);
        cleanup_registered = true;
    }
    th_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->reaped = true;
    s->tmpdir = th_tmpdir_new();
    if (!s->tmpdir) {
        free(s);
        return NULL;
    }
    if (o->datadir)
        s->datadir = xstrdup(o->datadir);
    else
        s->datadir = xasprintf("%s/%s", s->tmpdir, o->data_subdir ? o->data_subdir : "data");
    s->logpath = xasprintf("%s/%s", s->tmpdir, "server.log");
    /* redis-server needs an existing dir; data_subdir tests the creation. */
    if (!o->datadir && !o->data_subdir && mkdir(s->datadir, 0755) != 0) {
        fprintf(stderr, "harness: mkdir %s: %s\n", s->datadir, strerror(errno));
        th_rmtree(s->tmpdir);
        free(s->tmpdir);
        free(s->datadir);
        free(s->logpath);
        free(s);
        return NULL;
    }
    s->next = live_servers;
    live_servers = s;

    for (int attempt = 1; attempt <= TH_START_ATTEMPTS; attempt++) {
        s->port = th_free_port();
        if (s->port < 0) {
            perror("harness: no free port");
            break;
        }
        int rc = start_once(s, o, bin);
        if (rc == 0)
            return s;
        if (rc == -3)
            break;
        char *log = th_server_log(s);
        bool race = log && (strstr(log, "in use") || strstr(log, "EADDRINUSE"));
        free(log);
        if (rc == -1 && race && attempt < TH_START_ATTEMPTS) {
            /* Someone took the port between our probe and the server's bind. */
            th_write_file(s->logpath, "", 0);
            continue;
        }
        char why[128];
        if (rc == -2)
            snprintf(why, sizeof why, "%s did not answer PING in time", bin);
        else
            snprintf(why, sizeof why, "%s exited during start-up with status %d", bin,
                     decode_status(s->status));
        print_log(s, why);
        break;
    }
    free_server(s);
    return NULL;
}

th_server *th_server_start(const char *const *args)
{
    struct th_server_opts o = {.args = args};
    return th_server_start_opts(&o);
}

/* Waits for the exit until the deadline; kills on timeout. Returns the
 * decoded status or -1 on timeout. */
static int wait_exit(th_server *s, int timeout_ms)
{
    long long deadline = th_now_ms() + timeout_ms;
    while (th_server_alive(s)) {
        if (th_now_ms() >= deadline) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &s->status, 0);
            s->reaped = true;
            return -1;
        }
        sleep_ms(5);
    }
    return decode_status(s->status);
}

int th_server_wait_exit(th_server *s, int timeout_ms)
{
    if (!s)
        return 0;
    int code = wait_exit(s, timeout_ms);
    if (code != 0) {
        char why[96];
        if (code < 0)
            snprintf(why, sizeof why, "server did not exit within %d ms; killed", timeout_ms);
        else
            snprintf(why, sizeof why, "server exited with status %d", code);
        print_log(s, why);
    }
    free_server(s);
    return code;
}

int th_server_stop(th_server *s)
{
    if (!s)
        return 0;
    if (th_server_alive(s))
        kill(s->pid, SIGTERM);
    int code = wait_exit(s, TH_STOP_TIMEOUT_MS);
    if (code != 0) {
        char why[96];
        if (code < 0)
            snprintf(why, sizeof why, "server ignored SIGTERM for %d ms; killed", TH_STOP_TIMEOUT_MS);
        else
            snprintf(why, sizeof why, "server exited with status %d after SIGTERM", code);
        print_log(s, why);
    }
    free_server(s);
    return code == 0 ? 0 : -1;
}

int th_server_kill(th_server *s)
{
    if (!s)
        return 0;
    bool was_alive = th_server_alive(s);
    if (was_alive) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &s->status, 0);
        s->reaped = true;
    }
    int rc = was_alive && decode_status(s->status) == 128 + SIGKILL ? 0 : -1;
    if (rc != 0)
        print_log(s, "server had exited on its own before the SIGKILL");
    free_server(s);
    return rc;
}

int th_server_port(const th_server *s) { return s->port; }
pid_t th_server_pid(const th_server *s) { return s->pid; }
const char *th_server_tmpdir(const th_server *s) { return s->tmpdir; }
const char *th_server_datadir(const th_server *s) { return s->datadir; }

char *th_server_log(const th_server *s)
{
    return read_file(s->logpath);
}

bool th_server_log_wait(const th_server *s, const char *needle, int timeout_ms)
{
    long long deadline = th_now_ms() + timeout_ms;
    for (;;) {
        char *log = th_server_log(s);
        bool found = log && strstr(log, needle);
        free(log);
        if (found)
            return true;
        if (th_now_ms() >= deadline)
            return false;
        sleep_ms(10);
    }
}

void th_run(const char *const *argv, int timeout_ms, struct th_run_result *r)
{
    r->status = -1;
    r->output = NULL;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        r->output = xstrdup("harness: pipe failed");
        return;
    }
    fflush(NULL);
    pid_t pid = spawn(argv, p[1], getpid());
    close(p[1]);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    long long deadline = th_now_ms() + timeout_ms;
    bool eof = false, killed = false;
    while (pid > 0 && !eof) {
        long long left = deadline - th_now_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            killed = true;
            break;
        }
        struct pollfd pfd = {p[0], POLLIN, 0};
        if (poll(&pfd, 1, (int)(left > 100 ? 100 : left)) <= 0)
            continue;
        if (cap - len < 1024) {
            cap *= 2;
            out = realloc(out, cap);
        }
        ssize_t n = read(p[0], out + len, cap - len - 1);
        if (n > 0)
            len += (size_t)n;
        else if (n == 0 || errno != EINTR)
            eof = true;
    }
    close(p[0]);
    out[len] = '\0';
    r->output = out;
    if (pid <= 0)
        return;
    int st;
    long long wdeadline = th_now_ms() + 5000;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (th_now_ms() > wdeadline) {
            kill(pid, SIGKILL);
            killed = true;
            waitpid(pid, &st, 0);
            break;
        }
        sleep_ms(5);
    }
    r->status = killed ? -1 : decode_status(st);
}
