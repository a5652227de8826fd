/* harness.h — start and stop real server processes for integration tests.
 *
 * A th_server is one child process (swarmlog-server by default, or any
 * redis-server compatible binary) listening on a free loopback port with a
 * fresh mkdtemp() data directory. Its stdout and stderr go to a log file in
 * that directory; th_server_stop() sends SIGTERM, waits for the exit status,
 * prints the log when the status is not a clean 0 (e.g. a sanitizer report)
 * and removes the directory.
 *
 * Every process started here is also killed with SIGKILL at exit of the test
 * process (atexit + destructor) and when the test process dies (the child
 * asks for PR_SET_PDEATHSIG), so a failed or crashed test never leaks one.
 *
 * Only 127.0.0.1 is ever used. Waits poll with deadlines; nothing sleeps
 * blindly. All functions are for one thread. */
#ifndef SWARMLOG_TEST_HARNESS_H
#define SWARMLOG_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

typedef struct th_server th_server;

struct th_server_opts {
    /* Binary to run; NULL means $SWARMLOG_SERVER (set by CMake per test). */
    const char *binary;
    /* Passed as the first argument (a config file), NULL for none. Relative
     * paths are taken as-is; see th_server_tmpdir_new() for writing one. */
    const char *config_file;
    /* Extra arguments after --port P --bind 127.0.0.1 --dir D; NULL-terminated
     * array, or NULL. */
    const char *const *args;
    /* If set, --dir is <tmpdir>/<data_subdir> instead of <tmpdir>/data (to
     * test that missing directories are created). */
    const char *data_subdir;
    /* Milliseconds to wait for the first reply to PING; 0 means 30000. */
    int start_timeout_ms;
    /* If set, --dir is this existing directory instead of a fresh one: the
     * data of an earlier server (stopped or killed) to restart on. It belongs
     * to the caller: never created nor removed here (make it with
     * th_tmpdir_new(), remove it with th_rmtree()). data_subdir is ignored. */
    const char *datadir;
};

/* Starts $SWARMLOG_SERVER with the extra arguments args (NULL-terminated, or
 * NULL). Returns the running server, or NULL after printing why (binary
 * missing, exited early — its log is printed — or no reply in time). Retries
 * with a new port when the chosen one was taken meanwhile. */
th_server *th_server_start(const char *const *args);

/* As th_server_start() with every option. */
th_server *th_server_start_opts(const struct th_server_opts *opts);

/* Sends SIGTERM, waits up to 30 s for the exit (then SIGKILL) and frees s.
 * Returns 0 when the process exited with status 0; otherwise prints the
 * status and the captured log to stderr and returns -1. The temp directory
 * is removed either way. s may be NULL (returns 0). */
int th_server_stop(th_server *s);

/* Kills the server with SIGKILL (a crash: no shutdown code runs), reaps it
 * and frees s like th_server_stop(). Returns 0 when it died of the SIGKILL;
 * -1 (log printed) when it had already exited on its own. s may be NULL. */
int th_server_kill(th_server *s);

/* Waits up to timeout_ms for the server to exit on its own (after SHUTDOWN,
 * say), then frees it like th_server_stop(). Returns the exit code (0..255),
 * 128+signal when it was killed by a signal, or -1 on timeout (it is then
 * killed). The log is printed when the result is not 0. */
int th_server_wait_exit(th_server *s, int timeout_ms);

int th_server_port(const th_server *s);
pid_t th_server_pid(const th_server *s);
/* The temp directory (owned by s; the data directory is <dir>/data). */
const char *th_server_tmpdir(const th_server *s);
/* The --dir passed to the server (owned by s). */
const char *th_server_datadir(const th_server *s);
/* The captured stdout+stderr so far; malloc'd, caller frees. Never NULL
 * unless out of memory. */
char *th_server_log(const th_server *s);
/* Polls the log until it contains needle or timeout_ms passes. */
bool th_server_log_wait(const th_server *s, const char *needle, int timeout_ms);
/* Whether the process is still running (reaps it if it exited). */
bool th_server_alive(th_server *s);

/* Makes a fresh temp directory (mkdtemp under $TMPDIR or /tmp); malloc'd
 * path, caller frees and removes it with th_rmtree(). */
char *th_tmpdir_new(void);
/* rm -rf path. Returns 0 or -1. */
int th_rmtree(const char *path);
/* Writes len bytes to path (created/truncated). Returns 0 or -1. */
int th_write_file(const char *path, const char *data, size_t len);

/* Finds a free loopback TCP port by binding port 0. Returns it or -1. */
int th_free_port(void);

/* Result of th_run(): a process run to completion. */
struct th_run_result {
    int status;   /* exit code 0..255, 128+signal, or -1 on timeout/spawn failure */
    char *output; /* stdout+stderr, malloc'd, NUL-terminated; caller frees */
};

/* Runs argv (argv[0] is the path; NULL-terminated) with stdin from
 * /dev/null, captures its output, waits up to timeout_ms (then SIGKILL).
 * Always fills r. */
void th_run(const char *const *argv, int timeout_ms, struct th_run_result *r);

/* ---- clients ---- */

/* A hiredis (RESP2) connection to the server with 10 s timeouts; NULL on
 * failure (after printing why). Free with redisFree(). */
redisContext *th_connect(const th_server *s);
redisContext *th_connect_port(int port);

/* A blocking TCP socket connected to 127.0.0.1:port, or -1. */
int th_raw_connect(int port);
/* Writes all len bytes before the deadline. Returns 0, or -1 (error, peer
 * closed, or timeout). */
int th_raw_send(int fd, const void *buf, size_t len, int timeout_ms);
/* Same for a NUL-terminated string. */
int th_raw_send_str(int fd, const char *s, int timeout_ms);
/* Reads until want bytes arrived, the peer closed, or timeout_ms passed.
 * Returns the number of bytes read into buf (<= cap). */
size_t th_raw_recv(int fd, char *buf, size_t cap, size_t want, int timeout_ms);
/* Reads exactly strlen(expected) bytes and compares them. On mismatch prints
 * both (escaped) and returns false. */
bool th_raw_expect(int fd, const char *expected, int timeout_ms);
/* Same with an explicit length (expected may hold NUL bytes). */
bool th_raw_expect_n(int fd, const char *expected, size_t len, int timeout_ms);
/* True if the peer closes the connection (EOF or reset) within timeout_ms;
 * bytes that arrive meanwhile are discarded. */
bool th_raw_wait_closed(int fd, int timeout_ms);

/* Length of the first complete RESP2/RESP3 reply in buf[0..len): > 0 when
 * complete, 0 when more bytes are needed, -1 when malformed. */
long th_resp_frame(const char *buf, size_t len);
/* Reads exactly one complete reply. Returns it malloc'd and NUL-terminated
 * with its length in *len, or NULL on timeout/close/malformed (printing what
 * was received). Bytes after the reply are kept in a per-fd buffer for the
 * next call, so do not mix with th_raw_recv() on the same fd. */
char *th_raw_read_reply(int fd, size_t *len, int timeout_ms);
/* Closes fd and drops any buffered bytes th_raw_read_reply() kept for it. */
void th_raw_close(int fd);
/* Encodes argv as a RESP multibulk; malloc'd, length in *len. */
char *th_resp_command(int argc, const char *const *argv, size_t *len);

/* Escapes bytes for printing (\r \n \xNN); malloc'd. */
char *th_escape(const char *buf, size_t len);

/* Resident set size of pid in KiB from /proc/<pid>/status, or -1. */
long th_rss_kb(pid_t pid);

/* Raises this process's soft RLIMIT_NOFILE to at least want (up to the hard
 * limit). Returns the new soft limit. Servers started afterwards inherit it. */
long th_raise_nofile(long want);

/* Monotonic milliseconds. */
long long th_now_ms(void);

#endif
