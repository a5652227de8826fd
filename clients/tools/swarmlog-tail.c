/* swarmlog-tail — print a swarmlog server's events as JSON lines as they
 * arrive, resumable through a cursor file. See usage() for the guarantees
 * and docs/client-c.md.
 *
 * The loop: EV.READ the events after the cursor (a batch, waiting up to
 * BLOCK_MS for one), write the whole batch to stdout (and fsync it when
 * stdout is a regular file), then save the batch's continuation map in the
 * cursor file atomically. Printing before saving means a crash between the
 * two repeats that batch after a restart but never skips an event; saving
 * first would do the opposite, and a gap is the worse failure. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "swarmlog.h"

#define BLOCK_MS 500          /* how long one EV.READ waits; bounds the reaction to a signal */
#define DEFAULT_COUNT 100     /* events per batch */
#define BACKOFF_MAX_MS 5000   /* reconnect backoff: 100 ms doubling to this */

static volatile sig_atomic_t stop_requested;

struct tail {
    const char *host, *password, *where, *cursor_path;
    int port;
    size_t count;
    swl_client *client;
    swl_offsets *cursor;
    int stdout_is_file;
    const char *fault;  /* SWARMLOG_TAIL_FAULT, for tests */
    long fault_batch;
    long batches;
};

static void usage(FILE *f)
{
    fputs(
        "usage: swarmlog-tail [-h host] [-p port] [-a password] [--where expr]\n"
        "                     [--cursor file] [--count n]\n"
        "       swarmlog-tail --help\n"
        "\n"
        "Prints the server's events that match --where (a tag expression, default\n"
        "every event) as JSON lines on stdout, in Lamport order, as they arrive;\n"
        "runs until SIGINT, SIGTERM or SIGHUP. One line per event:\n"
        "  {\"stream\":..,\"offset\":N,\"lamport\":N,\"timestamp\":N,\"key\":..,\"id\":..,\n"
        "   \"tags\":[..],\"type\":..|null,\"eventid\":..|null,\"payload\":[name,value,..]}\n"
        "Byte strings that are not valid UTF-8 are written as {\"base64\":\"...\"}.\n"
        "\n"
        "  -h host        server address (default 127.0.0.1)\n"
        "  -p port        server port (default 6379)\n"
        "  -a password    AUTH with this password\n"
        "  --where expr   tag expression, e.g. \"orders & region:eu\"\n"
        "  --cursor file  resume after the offset map saved in file (absent: from\n"
        "                 the beginning) and save it after every batch\n"
        "  --count n      at most n events per batch (default 100)\n"
        "\n"
        "Delivery guarantee with --cursor. Each batch is written to stdout in full\n"
        "(and fsynced when stdout is a regular file) before the cursor file is\n"
        "replaced atomically (temp file, fsync, rename, fsync of the directory).\n"
        "  - Never a gap: an event is in the saved cursor only after its line was\n"
        "    written, so a restart never skips one, whatever kills the process.\n"
        "  - Stopped by SIGINT/SIGTERM/SIGHUP: the batch in hand is finished and\n"
        "    saved first, so a restart continues exactly after the last line:\n"
        "    exactly once. A write error (e.g. stdout closed) exits 1 without\n"
        "    saving the batch it could not write: the restart prints it again.\n"
        "  - Killed hard (SIGKILL, a crash, power loss) after printing a batch and\n"
        "    before its cursor was saved: the restart prints that batch again:\n"
        "    at least once, at most one batch (--count events) repeated, the\n"
        "    repeated lines identical to the first ones. A kill while writing may\n"
        "    leave a last line without its newline: drop it, it is printed again.\n"
        "Stdout cannot take part in the cursor's atomic save, so exactly-once\n"
        "after a hard kill is up to the consumer: every line carries its stream\n"
        "and offset; skip a line whose offset is not above the last one seen for\n"
        "its stream (offsets per stream only go up). --count 1 shrinks the\n"
        "repeat to one event. Use one cursor file per running swarmlog-tail.\n"
        "\n"
        "Connection loss: reconnects with backoff and resumes from the cursor.\n"
        "Exit status: 0 after a signal, 1 on errors, 2 on bad usage.\n",
        f);
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int parse_args(struct tail *t, int argc, char **argv)
{
    static const struct option longopts[] = { { "where", required_argument, NULL, 'w' },
                                              { "cursor", required_argument, NULL, 'c' },
                                              { "count", required_argument, NULL, 'n' },
                                              { "help", no_argument, NULL, 'H' },
                                              { NULL, 0, NULL, 0 } };
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h:p:a:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': t->host = optarg; break;
        case 'a': t->password = optarg; break;
        case 'w': t->where = optarg; break;
        case 'c': t->cursor_path = optarg; break;
        case 'p':
            t->port = (int)strtol(optarg, &end, 10);
            if (*end || t->port < 1 || t->port > 65535)
                return fprintf(stderr, "swarmlog-tail: bad port %s\n", optarg), 2;
            break;
        case 'n':
            t->count = (size_t)strtoul(optarg, &end, 10);
            if (*end || optarg[0] == '-' || t->count < 1 || t->count > 100000)
                return fprintf(stderr, "swarmlog-tail: --count takes 1..100000\n"), 2;
            break;
        case 'H': usage(stdout); return -1;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "swarmlog-tail: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    return 0;
}

/* Test hook: SWARMLOG_TAIL_FAULT=<point>:<n> kills the process with
 * SIGKILL at <point> of the n-th batch: "mid-print" (the batch written up
 * to the middle of its middle line) or "after-print" (written, cursor not
 * saved). Lets tests reach the crash windows deterministically. */
static void maybe_die(const struct tail *t, const char *point)
{
    if (t->fault && t->batches == t->fault_batch && strncmp(t->fault, point, strlen(point)) == 0 &&
        t->fault[strlen(point)] == ':')
        raise(SIGKILL);
}

static int write_all(const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDOUT_FILENO, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The batch as JSON lines in one buffer (malloc'd). */
static char *format_batch(const swl_batch *b, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    for (size_t i = 0; out && i < b->nevents; i++) {
        char *line;
        size_t l;
        if (swl_event_to_json(&b->events[i], &line, &l) != SWL_OK) {
            free(out);
            return NULL;
        }
        if (n + l + 1 > cap) {
            while (n + l + 1 > cap)
                cap *= 2;
            char *grown = realloc(out, cap);
            if (grown == NULL)
                free(out);
            out = grown;
        }
        if (out) {
            memcpy(out + n, line, l);
            out[n + l] = '\n';
            n += l + 1;
        }
        free(line);
    }
    *len = n;
    return out;
}

/* Prints the batch, then makes it durable when stdout is a file. */
static int print_batch(struct tail *t, const swl_batch *b)
{
    size_t len;
    char *text = format_batch(b, &len);
    if (text == NULL) {
        fprintf(stderr, "swarmlog-tail: out of memory\n");
        return -1;
    }
    if (t->fault && t->batches == t->fault_batch && strncmp(t->fault, "mid-print:", 10) == 0) {
        /* up to the middle of the line holding the batch's middle byte */
        size_t start = len / 2, end = len / 2;
        while (start > 0 && text[start - 1] != '\n')
            start--;
        while (end < len && text[end] != '\n')
            end++;
        if (write_all(text, start + (end - start) / 2) == 0)
            maybe_die(t, "mid-print");
    }
    int rc = write_all(text, len);
    free(text);
    if (rc == 0 && t->stdout_is_file && fsync(STDOUT_FILENO) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "swarmlog-tail: writing stdout: %s\n", strerror(errno));
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop_requested)
        ;
}

/* Connects, retrying with backoff while the server is unreachable when
 * retry is set. 0, or -1 (an error that retrying cannot fix, or a stop). */
static int connect_server(struct tail *t, int retry)
{
    long backoff = 100;
    for (;;) {
        int rc = swl_connect(t->client, t->host, t->port, t->password);
        if (rc == SWL_OK)
            return 0;
        fprintf(stderr, "swarmlog-tail: %s\n", swl_errmsg(t->client));
        if (rc != SWL_ERR_IO || !retry || stop_requested)
            return -1;
        sleep_ms(backoff);
        if (stop_requested)
            return -1;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}

/* Prints one batch and saves the cursor after it. 0, or -1 to exit. */
static int handle_batch(struct tail *t, swl_batch *b)
{
    t->batches++;
    if (print_batch(t, b) != 0)
        return -1;
    maybe_die(t, "after-print");
    swl_offsets_free(t->cursor);
    t->cursor = b->next;
    b->next = NULL;
    if (t->cursor_path == NULL)
        return 0;
    int rc = swl_offsets_save(t->cursor, t->cursor_path);
    if (rc != SWL_OK) {
        /* going on would print more that a restart repeats: stop here */
        fprintf(stderr, "swarmlog-tail: saving %s: %s: %s\n", t->cursor_path, swl_strerror(rc), strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads and prints until a stop is requested. Returns the exit status. */
static int run(struct tail *t)
{
    if (connect_server(t, 0) != 0)
        return 1;
    while (!stop_requested) {
        struct swl_read r = { .where = t->where, .from = t->cursor, .count = t->count, .block_ms = BLOCK_MS };
        swl_batch *b;
        int rc = swl_read(t->client, &r, &b);
        if (rc == SWL_ERR_IO) {
            fprintf(stderr, "swarmlog-tail: %s; reconnecting\n", swl_errmsg(t->client));
            if (connect_server(t, 1) != 0)
                return stop_requested ? 0 : 1;
            continue;
        }
        if (rc != SWL_OK) {
            fprintf(stderr, "swarmlog-tail: %s: %s\n", swl_strerror(rc), swl_errmsg(t->client));
            return 1;
        }
        rc = b->nevents ? handle_batch(t, b) : 0;
        swl_batch_free(b);
        if (rc != 0)
            return 1;
    }
    return 0;
}

static int load_cursor(struct tail *t)
{
    char err[256];
    int rc = t->cursor_path ? swl_offsets_load(t->cursor_path, &t->cursor, err, sizeof(err)) : SWL_ERR_NOENT;
    if (rc == SWL_ERR_NOENT)
        rc = swl_offsets_new(&t->cursor);
    if (rc == SWL_OK)
        return 0;
    if (rc == SWL_ERR_PARSE)
        fprintf(stderr, "swarmlog-tail: %s: %s\n", t->cursor_path, err);
    else
        fprintf(stderr, "swarmlog-tail: %s: %s: %s\n", t->cursor_path, swl_strerror(rc), strerror(errno));
    return -1;
}

static void setup(struct tail *t)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* a signal only sets the flag; the loop notices within BLOCK_MS */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is an EPIPE write error: exit 1, cursor not advanced */
    struct stat st;
    t->stdout_is_file = fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    const char *fault = getenv("SWARMLOG_TAIL_FAULT");
    const char *colon = fault ? strchr(fault, ':') : NULL;
    if (colon) {
        t->fault = fault;
        t->fault_batch = strtol(colon + 1, NULL, 10);
    }
}

int main(int argc, char **argv)
{
    struct tail t = { .host = "127.0.0.1", .port = 6379, .count = DEFAULT_COUNT };
    int rc = parse_args(&t, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    setup(&t);
    if (load_cursor(&t) != 0)
        return 1;
    if (swl_client_new(&t.client) != SWL_OK) {
        swl_offsets_free(t.cursor);
        return 1;
    }
    rc = run(&t);
    swl_client_free(t.client);
    swl_offsets_free(t.cursor);
    return rc;
}
