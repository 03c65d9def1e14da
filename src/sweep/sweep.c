/* sweep_run: the collective entry point of the sweep engine (see sweep.h):
 * rank 0 becomes the coordinator (coord.c), the others workers (worker.c). */
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_internal.h"
#include "util/agree.h"
#include "util/launcher.h"
#include "util/rng.h"

const char *const PROTO_TAG_NAMES[TAG_END_] = {"?",      "work_request", "task",     "epoch",
                                               "result", "stop",         "shutdown", "verdict"};

uint64_t sweep_task_seed(uint64_t seed, int trial, int fold) {
  return rng_derive(seed, (uint64_t)trial, (uint64_t)fold, 0);
}

void sweep_opts_init(sweep_opts *o) {
  memset(o, 0, sizeof *o);
  o->comm = MPI_COMM_WORLD;
  o->n_folds = 1;
  o->verbosity = 1;
  o->progress_interval = 10;
  o->stop_grace = 10;
  o->metric = METRIC_VAL_MSE;
}

int sweep_run(const sweep_opts *o, sweep_result **out, mlps_err *err) {
  mlps_err local;
  if (!err) err = &local;
  if (out) *out = NULL;
  mlps_err_clear(err);
  stop_set_message(0);
  launcher_watch(); /* callers that start MPI themselves should call it earlier */
  MPI_Comm comm;
  MPI_Comm_dup(o->comm, &comm);
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  sweep_signals_install();
  int rc;
  if (rank == 0) {
    rc = coordinator(o, comm, size, out, err);
  } else {
    /* Rank 0's set-up (output directory, lock, journal) decides whether
     * the workers start; they get its message. */
    rc = mpi_agree(comm, MLPS_OK, err);
    if (!rc) {
      rc = worker_loop(o, comm, rank);
      if (rc) mlps_errorf(err, rc, "sweep ended with code %d (see rank 0's message)", rc);
    }
  }
  sweep_signals_restore();
  MPI_Comm_free(&comm);
  return rc;
}

void sweep_result_free(sweep_result *r) {
  if (!r) return;
  for (int i = 0; i < r->n_trials; i++) trials_free_one(&r->trials[i], r->n_folds);
  free(r->trials);
  free(r);
}
