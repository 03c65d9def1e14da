/* mlpsweep run: the sweep, under mpirun/srun (or alone on one rank). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config_mpi.h"
#include "nn/mlp.h"
#include "workflow/run.h"
#include "sweep/sweep.h"
#include "util/launcher.h"
#include "util/log.h"

static void run_help(void) {
  printf(
      "usage: mpirun -np N mlpsweep run CONFIG.yaml [options]\n"
      "       mlpsweep run CONFIG.yaml [options]        (one rank: it coordinates and trains)\n\n"
      "Runs the hyperparameter sweep described by CONFIG: rank 0 proposes trials and\n"
      "hands (trial, fold) tasks to the other ranks; then the best configuration is\n"
      "retrained on train+validation and evaluated once on the held-out test set.\n"
      "Outputs go to output.dir: trials.jsonl (journal), trials.csv, history.h5,\n"
      "model.h5, test_predictions.h5, summary.json.\n\n"
      "options:\n"
      "  --set KEY.PATH=VALUE  override a config key before validation (repeatable),\n"
      "                        e.g. --set search.trials=20 --set output.dir=runs/a\n"
      "  --resume              continue an interrupted sweep from output.dir/trials.jsonl:\n"
      "                        finished tasks are kept, in-flight ones redone; the config\n"
      "                        must match, except final.*, output.dir and (but for lhs)\n"
      "                        search.trials, which extends or cuts short the sweep\n"
      "  --allow-data-change   with --resume: accept data that differ from what the journal\n"
      "                        recorded (rows, columns, content); refused otherwise\n"
      "  --dry-run             validate, load and check the data, print the plan; no training\n"
      "  --write-split FILE.h5 also write the train/validation/test rows of every fold\n"
      "                        (row indices, 0-based) to FILE.h5; with --dry-run, only that\n"
      "  --progress-interval S seconds between progress lines when the output is not a\n"
      "                        terminal (batch logs; default 10); on a terminal, also\n"
      "                        under mpirun, the line is redrawn in place\n"
      "  -q, --quiet           no progress output\n"
      "  -v, --verbose         a line per finished task\n"
      "  -h, --help            this help\n\n"
      "exit codes: 0 done, 1 runtime failure, 2 bad config/data/command line,\n"
      "            3 stopped by SIGTERM/SIGINT (resumable with --resume)\n");
}

int cmd_run(int argc, char **argv) {
  const char *config = NULL;
  const char **sets = calloc((size_t)argc + 1, sizeof(char *));
  int nsets = 0, rc = 0;
  run_opts ro = {0};
  ro.verbosity = 1;
  /* Usage errors are found alike on every rank, before MPI starts: only the
   * first rank prints them. */
  cli_silent = launcher_rank() > 0;
  for (int i = 1; i < argc && !rc; i++) {
    const char *a = argv[i];
    if (cli_is_help(a)) {
      run_help();
      free(sets);
      return 0;
    } else if (strcmp(a, "--set") == 0) {
      if (i + 1 >= argc) rc = cli_usage_error("run", "--set needs KEY.PATH=VALUE");
      else sets[nsets++] = argv[++i];
    } else if (strncmp(a, "--set=", 6) == 0) {
      sets[nsets++] = a + 6;
    } else if (strcmp(a, "--resume") == 0) {
      ro.resume = 1;
    } else if (strcmp(a, "--allow-data-change") == 0) {
      ro.allow_data_change = 1;
    } else if (strcmp(a, "--dry-run") == 0) {
      ro.dry_run = 1;
    } else if (strcmp(a, "--write-split") == 0) {
      if (i + 1 >= argc) rc = cli_usage_error("run", "--write-split needs FILE.h5");
      else ro.split_out = argv[++i];
    } else if (strcmp(a, "--progress-interval") == 0) {
      if (i + 1 >= argc) rc = cli_usage_error("run", "--progress-interval needs SECONDS");
      else if (!(rc = cli_parse_double("run", a, argv[++i], &ro.progress_interval)) &&
               !(ro.progress_interval > 0 && ro.progress_interval <= 86400))
        rc = cli_usage_error("run", "--progress-interval must be in (0, 86400] seconds, got %s",
                             argv[i]);
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      ro.verbosity = 0;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      ro.verbosity = 2;
    } else if (a[0] == '-') {
      rc = cli_usage_error("run", "unknown option '%s'", a);
    } else if (!config) {
      config = a;
    } else {
      rc = cli_usage_error("run", "unexpected argument '%s' (one CONFIG file only)", a);
    }
  }
  if (!rc && !config) rc = cli_usage_error("run", "missing CONFIG (a YAML sweep file)");
  if (rc) {
    /* Usage errors are found identically on every rank and printed by the
     * first. The ranks still meet once before exiting: the first exit with
     * status 2 makes mpirun kill the other ranks, and when rank 1 got there
     * first rank 0's message was cut short. */
    free(sets);
    MPI_Init(&argc, &argv);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return rc;
  }
  ro.config_path = config;
  cli_silent = 0;
  log_set(stderr, ro.verbosity);

  /* One BLAS thread per rank: ranks use the cores, and a task's result is
   * bit-identical whichever rank runs it (OpenBLAS's blocking, and so its
   * rounding, depends on its thread count). */
  nn_blas_set_threads(1);
  launcher_watch(); /* before anything can orphan us */
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  mlps_config *cfg = mlps_xmalloc(sizeof *cfg);
  cfg_errors errs = {0};
  rc = cfg_load_mpi(MPI_COMM_WORLD, config, sets, nsets, cfg, &errs);
  if (rc) {
    if (errs.text) fputs(errs.text, stderr);
    if (rank == 0)
      fprintf(stderr, "mlpsweep run: %d problem(s) in %s; nothing was run\n", errs.n, config);
  } else {
    mlps_err e = {0};
    rc = run_workflow(MPI_COMM_WORLD, cfg, &ro, &e);
    if (rc && rc != SWEEP_EXIT_STOPPED && rank == 0) cli_report("run", &e);
  }
  cfg_errors_free(&errs);
  cfg_free(cfg);
  free(cfg);
  free(sets);
  MPI_Finalize();
  return rc;
}
