#include "log.h"
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* The logger is the one piece of process-wide state: every module may log. */
static int log_level = SRV_LL_NOTICE;
static char log_file[4096];

int srv_log_setup(int level, const char *logfile)
{
    log_level = level;
    log_file[0] = '\0';
    if (logfile == NULL || logfile[0] == '\0')
        return 0;
    if (strlen(logfile) >= sizeof(log_file))
        return -1;
    FILE *fp = fopen(logfile, "a");
    if (fp == NULL)
        return -1;
    fclose(fp);
    memcpy(log_file, logfile, strlen(logfile) + 1);
    return 0;
}

void srv_log(int level, const char *fmt, ...)
{
    static const char marks[] = ".-*#";
    if (level < log_level || level < SRV_LL_DEBUG || level > SRV_LL_WARNING)
        return;

    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char when[64];
    size_t off = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S.", &tm);
    snprintf(when + off, sizeof(when) - off, "%03d", (int)(tv.tv_usec / 1000));

    FILE *fp = log_file[0] ? fopen(log_file, "a") : stderr;
    if (fp == NULL)
        return;
    fprintf(fp, "%d:M %s %c %s\n", (int)getpid(), when, marks[level], msg);
    fflush(fp);
    if (fp != stderr)
        fclose(fp);
}
