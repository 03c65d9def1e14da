/* `mlpsweep run`: the whole workflow on every rank of comm — load the data
 * into node-shared memory, split, run the sweep (sweep.h) with training
 * tasks (fit.h) and the configured sampler, then retrain the best
 * configuration on train+validation, evaluate it once on the test set and
 * write model.h5, test_predictions.h5, history.h5 and summary.json. */
#ifndef MLPS_RUN_H
#define MLPS_RUN_H

#include <mpi.h>
#include <stdio.h>

#include "config/config.h"
#include "data/split.h"
#include "util/err.h"

typedef struct {
  int resume;
  int allow_data_change;    /* --resume may use data other than the journal's */
  int dry_run;              /* validate, load and check data, print the plan, stop */
  int verbosity;            /* 0 quiet, 1 progress, 2 verbose */
  double progress_interval; /* seconds between plain progress lines (no terminal); 0: 10 */
  const char *config_path;
  const char *split_out; /* if set, rank 0 writes the row split there (split_write_h5) */
  FILE *out;             /* the dry run's plan (NULL: stdout) */
} run_opts;

/* Collective. Returns MLPS_OK, SWEEP_EXIT_STOPPED, or an error code with e
 * set (the same on every rank; print on rank 0). */
int run_workflow(MPI_Comm comm, const mlps_config *cfg, const run_opts *ro, mlps_err *e);

#endif
