/* log.h — Redis-style log lines to stderr or a file:
 *   <pid>:M 24 Nov 2026 07:13:00.123 * Ready to accept connections
 * Level marks: debug '.', verbose '-', notice '*', warning '#'. */
#ifndef SWARMLOG_LOG_H
#define SWARMLOG_LOG_H

/* Sets the minimum level (SRV_LL_*) and the destination: NULL or "" means
 * stderr, otherwise the file is opened in append mode for each line (as
 * Redis does, so logrotate works). Returns 0, or -1 if the file cannot be
 * opened for appending. */
int srv_log_setup(int level, const char *logfile);

/* Writes one line if level >= the configured level. Never fails loudly:
 * a log that cannot be written is dropped. */
void srv_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
