/* swarmlog-server [config-file] [--name value ...] */
#include "config.h"
#include "log.h"
#include "server.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    struct srv_config cfg;
    char err[4096];
    if (srv_config_init(&cfg) != 0) {
        fprintf(stderr, "swarmlog-server: out of memory\n");
        return 1;
    }
    int rc = srv_config_load_argv(&cfg, argc, argv, err, sizeof(err));
    if (rc == 1 || rc == 2) {
        fputs(err, stdout);
        srv_config_free(&cfg);
        return 0;
    }
    if (rc == 0)
        rc = srv_config_finish(&cfg, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        srv_config_free(&cfg);
        return 1;
    }
    if (srv_log_setup(cfg.loglevel, cfg.logfile) != 0) {
        fprintf(stderr, "Can't open the log file: %s\n", cfg.logfile);
        srv_config_free(&cfg);
        return 1;
    }
    return srv_main(&cfg);
}
