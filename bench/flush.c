/* flush.c — what one durable commit costs on this disk, the way each
 * server makes one (bench/flush runs it):
 *
 *   redis appendfsync always: append the commands to the AOF, fdatasync.
 *     The file grows, so the flush also commits the file system's journal.
 *   LMDB (swarmlog strict): write the transaction's dirty pages (already
 *     allocated: rewritten in place), fdatasync, then write the meta page
 *     through an O_DSYNC descriptor. Two flushes, in that order: the meta
 *     page must not reach the disk before the pages it points to.
 *   one page + fdatasync: a single-flush commit, for comparison.
 *
 * Prints the mean time per commit of each, in microseconds, over ROUNDS
 * alternating rounds in a temporary directory under the given path. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define FILE_PAGES 1024
#define ROUNDS 3

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static double redis_like(const char *dir, int n, const char *payload, size_t len)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/aof", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0600);
    if (fd < 0)
        die("open aof");
    double t0 = now_us();
    for (int i = 0; i < n; i++)
        if (write(fd, payload, len) != (ssize_t)len || fdatasync(fd) != 0)
            die("append");
    double t = (now_us() - t0) / n;
    close(fd);
    unlink(path);
    return t;
}

/* pages: dirty pages per commit (scattered over the file); meta: also the
 * O_DSYNC meta write. */
static double lmdb_like(int fd, int dfd, int n, int pages, int meta, const char *page)
{
    double t0 = now_us();
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < pages; p++)
            if (pwrite(fd, page, PAGE, (off_t)(2 + rand() % (FILE_PAGES - 2)) * PAGE) != PAGE)
                die("pwrite");
        if (fdatasync(fd) != 0)
            die("fdatasync");
        if (meta && pwrite(dfd, page, 120, (off_t)(i % 2) * PAGE + 32) != 120)
            die("meta");
    }
    return (now_us() - t0) / n;
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp";
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    char dir[4096];
    if (snprintf(dir, sizeof(dir), "%s/swarmlog-flush.XXXXXX", base) >= (int)sizeof(dir))
        die("path too long");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp");
    static char page[PAGE];
    memset(page, 'x', sizeof(page));
    /* an XADD as redis writes it to the AOF (83 bytes, as bench/xrange's) */
    const char *cmd = "*7\r\n$4\r\nXADD\r\n$3\r\nbig\r\n$8\r\n123456-1\r\n$6\r\nsensor\r\n$5\r\ns3456\r\n$5\r\nvalue\r\n"
                      "$6\r\n123456\r\n";
    char path[4200];
    snprintf(path, sizeof(path), "%s/data", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0)
        die("open data");
    for (int i = 0; i < FILE_PAGES; i++) /* allocated, as LMDB's pages are once written */
        if (write(fd, page, PAGE) != PAGE)
            die("fill");
    if (fsync(fd) != 0)
        die("fsync");
    int dfd = open(path, O_RDWR | O_DSYNC);
    if (dfd < 0)
        die("open O_DSYNC");
    const int pages[] = { 1, 4, 10 };
    double sum[8] = { 0 };
    for (int r = 0; r < ROUNDS; r++) {
        int k = 0;
        sum[k++] += redis_like(dir, n, cmd, strlen(cmd));
        for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++)
            sum[k++] += lmdb_like(fd, dfd, n, pages[p], 1, page);
        sum[k++] += lmdb_like(fd, dfd, n, 1, 0, page);
    }
    close(fd);
    close(dfd);
    unlink(path);
    rmdir(dir);
    printf("durable commit on %s, mean of %d rounds x %d commits:\n", base, ROUNDS, n);
    printf("  redis appendfsync always (append %zu B + fdatasync): %7.1f us\n", strlen(cmd), sum[0] / ROUNDS);
    for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++)
        printf("  LMDB commit, %2d pages + fdatasync + O_DSYNC meta:   %7.1f us\n", pages[p], sum[1 + p] / ROUNDS);
    printf("  one page + fdatasync (a single-flush commit):         %7.1f us\n", sum[4] / ROUNDS);
    return 0;
}
