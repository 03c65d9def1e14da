/* mlpsweep validate: load a sweep config (+ --set overrides), report every
 * problem as FILE:LINE:COLUMN: key.path: problem; fix (exit 2), or print the
 * resolved config as YAML followed by the search-space summary as YAML
 * comments, so the output is itself a config that resolves to the same
 * thing. Works alone and under mpirun/srun (rank 0 validates and prints;
 * every rank exits with the same code). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "config/config_mpi.h"
#include "util/launcher.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: mlpsweep validate CONFIG [--set key.path=value]... [--quiet]\n"
          "\n"
          "Checks a sweep config and prints it resolved (every key, defaults filled in)\n"
          "as YAML, followed by a summary of the search space as YAML comments: each\n"
          "parameter's domain, the grid size, planned trials and tasks. The output is\n"
          "itself a valid config that resolves to the same thing.\n"
          "\n"
          "options:\n"
          "  --set key.path=value  override a key before validation (repeatable);\n"
          "                        the value is YAML: --set search.trials=40,\n"
          "                        --set 'parameters.lr.values=[1e-3, 1e-4]'\n"
          "  -q, --quiet           print nothing when the config is valid\n"
          "  -h, --help            this help\n"
          "\n"
          "Every problem is reported at once, one per line, as\n"
          "  FILE:LINE:COLUMN: key.path: what is wrong; what to do\n"
          "(overrides as '--set key=value: key: ...').\n"
          "Runs alone or under mpirun/srun (rank 0 validates and prints).\n"
          "exit codes: 0 valid, 1 runtime failure, 2 invalid config or usage error\n"
          "The keys are described in the README's config reference.\n");
}

int cmd_validate(int argc, char **argv) {
  int use_mpi = launcher_detected(), rank = 0, size = 1;
  if (use_mpi) {
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
      fprintf(stderr, "mlpsweep validate: error: MPI_Init failed\n");
      return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  const char *path = NULL;
  const char **sets = malloc(sizeof(char *) * (size_t)(argc > 0 ? argc : 1));
  int nsets = 0, quiet = 0, rc = -1;
  /* Arguments are the same on every rank, so every rank reaches the same
   * decision here without talking; only rank 0 prints. */
  for (int i = 1; i < argc && rc < 0; i++) {
    const char *a = argv[i];
    if (cli_is_help(a)) {
      if (rank == 0) usage(stdout);
      rc = 0;
    } else if (!strcmp(a, "--set")) {
      if (i + 1 >= argc)
        rc = rank == 0 ? cli_usage_error("validate", "--set needs key.path=value") : 2;
      else sets[nsets++] = argv[++i];
    } else if (!strncmp(a, "--set=", 6)) {
      sets[nsets++] = a + 6;
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
      quiet = 1;
    } else if (a[0] == '-' && a[1]) {
      rc = rank == 0 ? cli_usage_error("validate", "unknown option '%s'", a) : 2;
    } else if (path) {
      rc = rank == 0
               ? cli_usage_error("validate", "more than one config given ('%s' and '%s')", path, a)
               : 2;
    } else {
      path = a;
    }
  }
  if (rc < 0 && !path)
    rc = rank == 0 ? cli_usage_error("validate", "missing CONFIG (a YAML sweep file)") : 2;

  if (rc < 0) {
    mlps_config *cfg = malloc(sizeof *cfg);
    cfg_errors errs = {0};
    int st = cfg ? (use_mpi ? cfg_load_mpi(MPI_COMM_WORLD, path, sets, nsets, cfg, &errs)
                            : cfg_load(path, sets, nsets, cfg, &errs))
                 : MLPS_ERUNTIME;
    if (st == MLPS_OK) {
      if (rank == 0 && !quiet) {
        char *text = cfg_dump(cfg), *summary = cfg_summary(cfg, use_mpi ? size : 0);
        fputs(text, stdout);
        fputs(summary, stdout);
        free(text);
        free(summary);
      }
      rc = 0;
    } else {
      if (rank == 0) {
        if (errs.text) fputs(errs.text, stderr);
        if (st == MLPS_EINPUT)
          fprintf(stderr, "mlpsweep validate: %d problem%s in %s; nothing was run\n", errs.n,
                  errs.n == 1 ? "" : "s", path);
        else fprintf(stderr, "mlpsweep validate: error: could not load %s\n", path);
      }
      rc = st;
    }
    cfg_errors_free(&errs);
    free(cfg);
  }
  free(sets);
  fflush(stdout);
  if (use_mpi) MPI_Finalize();
  return rc;
}
