/* offsets_file.c — a cursor file: the offset map's JSON text and a newline,
 * replaced atomically (write a temp file, fsync, rename, fsync the
 * directory) so that after a crash the file holds one complete map: the
 * old one or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "swl_internal.h"

#define CURSOR_FILE_MAX (16u << 20)

int (*swl_fault_hook)(const char *site);

/* Asks the test hook about a step: 0 to go on, or -1 with errno set. */
static int fault(const char *site)
{
    int e = swl_fault_hook ? swl_fault_hook(site) : 0;
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        if (fault("write") != 0)
            return -1;
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Writes len bytes to a new file at tmp and makes them durable. 0 or -1
 * with errno (the file may be left for the caller to remove). */
static int write_durable(const char *tmp, const char *data, size_t len)
{
    if (fault("open") != 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) != 0 || fault("fsync") != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (fault("close") != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

/* fsyncs the directory holding path, so that a rename in it is durable. */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (dir == NULL)
        return -1;
    int fd = fault("fsync-dir") == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    int e = errno;
    free(dir);
    if (fd < 0) {
        errno = e;
        return -1;
    }
    int rc = fsync(fd);
    e = errno;
    close(fd);
    errno = e;
    return rc;
}

int swl_offsets_save(const swl_offsets *m, const char *path)
{
    if (m == NULL || path == NULL || path[0] == '\0')
        return SWL_ERR_ARG;
    char *json = NULL, *tmp = NULL;
    size_t len;
    if (swl_offsets_to_json(m, &json, &len) != SWL_OK)
        return SWL_ERR_NOMEM;
    json[len++] = '\n'; /* over the NUL: the file is one line of text */
    size_t plen = strlen(path);
    tmp = malloc(plen + 5);
    if (tmp == NULL) {
        free(json);
        return SWL_ERR_NOMEM;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    int rc = SWL_OK;
    if (write_durable(tmp, json, len) != 0 || fault("rename") != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        rc = SWL_ERR_FILE;
    } else if (sync_dir(path) != 0) {
        rc = SWL_ERR_FILE;
    }
    int e = errno;
    free(json);
    free(tmp);
    errno = e;
    return rc;
}

/* Reads the whole file (at most CURSOR_FILE_MAX bytes) into a malloc'd buffer. */
static int read_file(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SWL_ERR_NOENT : SWL_ERR_FILE;
    struct stat st;
    char *buf = NULL;
    int rc = SWL_ERR_FILE;
    if (fstat(fd, &st) != 0)
        goto done;
    if (st.st_size > (off_t)CURSOR_FILE_MAX) {
        rc = SWL_ERR_PARSE;
        goto done;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    buf = malloc(cap);
    if (buf == NULL) {
        rc = SWL_ERR_NOMEM;
        goto done;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto done;
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) { /* the file grew since fstat: a cursor file is never that big */
            rc = SWL_ERR_PARSE;
            goto done;
        }
    }
    *out = buf;
    *len = n;
    buf = NULL;
    rc = SWL_OK;
done: {
    int e = errno;
    free(buf);
    close(fd);
    errno = e;
}
    return rc;
}

int swl_offsets_load(const char *path, swl_offsets **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (path == NULL)
        return SWL_ERR_ARG;
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len);
    if (rc == SWL_ERR_PARSE && err && errlen)
        snprintf(err, errlen, "%s: larger than a cursor file can be", path);
    if (rc != SWL_OK)
        return rc;
    rc = swl_offsets_parse(text, len, out, err, errlen);
    free(text);
    return rc;
}
