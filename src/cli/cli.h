/* Subcommands of the mlpsweep executable. Each lives in cli/cmd_NAME.c,
 * takes argv with argv[0] = the subcommand name, and returns the process exit
 * code: 0 ok, 1 runtime failure, 2 usage or input error. */
#ifndef MLPS_CLI_H
#define MLPS_CLI_H

#include "util/err.h"

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* When set, cli_usage_error prints nothing (ranks other than the first
 * under a launcher, so a usage error appears once). */
extern int cli_silent;
/* Prints "mlpsweep SUBCMD: message" to stderr and returns 2 (usage error). */
int cli_usage_error(const char *subcmd, const char *fmt, ...) MLPS_PRINTF(2, 3);
/* Prints an mlps_err to stderr as "mlpsweep SUBCMD: error: ..." and returns
 * its code (1 when unset). */
int cli_report(const char *subcmd, const mlps_err *e);
/* True when arg is -h or --help. */
int cli_is_help(const char *arg);
/* Strict number parsing for options: the whole string must be a number.
 * Return 0 on success, 2 with a message naming the option otherwise. */
int cli_parse_long(const char *subcmd, const char *opt, const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *subcmd, const char *opt, const char *s, double *out);

#endif
