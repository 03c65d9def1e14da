/* mlpsweep entry point: dispatches to the subcommand table. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/h5.h"

typedef struct {
  const char *name;
  int (*fn)(int, char **);
  const char *summary;
} subcommand;

static const subcommand SUBCOMMANDS[] = {
    {"run", cmd_run, "run a hyperparameter sweep described by a YAML config (under mpirun/srun)"},
    {"validate", cmd_validate,
     "check a config and print it resolved, with the search-space summary"},
    {"gen", cmd_gen, "generate an example emulation data set (powerlaw, brokenpowerlaw, linpower)"},
    {"info", cmd_info, "describe an HDF5 file: datasets, shapes, attributes, column statistics"},
    {"predict", cmd_predict, "apply a trained model.h5 to inputs in an HDF5 file"},
    {"bench", cmd_bench, "time MLP training steps on synthetic data (JSON output)"},
};
#define N_SUBCOMMANDS (sizeof SUBCOMMANDS / sizeof SUBCOMMANDS[0])

static void usage(FILE *f) {
  fprintf(f,
          "usage: mlpsweep <command> [options]\n"
          "       mlpsweep <command> --help\n"
          "       mlpsweep --version\n\n"
          "commands:\n");
  for (size_t i = 0; i < N_SUBCOMMANDS; i++)
    fprintf(f, "  %-9s %s\n", SUBCOMMANDS[i].name, SUBCOMMANDS[i].summary);
  fprintf(f,
          "\nexit codes: 0 ok, 1 runtime failure, 2 usage or input error,\n"
          "            3 (run only) stopped by SIGTERM/SIGINT, resumable with --resume\n");
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv) {
  h5_library_init();
  int rc = dispatch(argc, argv);
  h5_library_close();
  return rc;
}

static int dispatch(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("mlpsweep %s\n", MLPS_VERSION);
    return 0;
  }
  for (size_t i = 0; i < N_SUBCOMMANDS; i++)
    if (strcmp(argv[1], SUBCOMMANDS[i].name) == 0) return SUBCOMMANDS[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "mlpsweep: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}

int cli_silent = 0;

int cli_usage_error(const char *subcmd, const char *fmt, ...) {
  if (cli_silent) return 2;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "mlpsweep %s: ", subcmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see 'mlpsweep %s --help')\n", subcmd);
  va_end(ap);
  return 2;
}

int cli_report(const char *subcmd, const mlps_err *e) {
  int code = e->code ? e->code : 1;
  fprintf(stderr, "mlpsweep %s: error: %s\n", subcmd, e->msg[0] ? e->msg : "unknown failure");
  return code;
}

int cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

int cli_parse_long(const char *subcmd, const char *opt, const char *s, long lo, long hi,
                   long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (!s[0] || *end || errno)
    return cli_usage_error(subcmd, "%s expects an integer, got '%s'", opt, s);
  if (v < lo || v > hi)
    return cli_usage_error(subcmd, "%s must be in [%ld, %ld], got %ld", opt, lo, hi, v);
  *out = v;
  return 0;
}

int cli_parse_double(const char *subcmd, const char *opt, const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!s[0] || *end || errno)
    return cli_usage_error(subcmd, "%s expects a number, got '%s'", opt, s);
  *out = v;
  return 0;
}
