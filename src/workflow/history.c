/* Learning curves: OUT/history.h5 holds one dataset per finished task,
 * trial_NNNNNN/fold_F of shape (epochs, 4): epoch, train loss, validation
 * loss, learning rate.
 *
 * The journal is the durable record (it holds every task's curve too), so
 * this file can always be rebuilt from it: on --resume every journaled task
 * whose dataset is missing (a file torn by a kill, a write that failed on a
 * full disk) is written again. A failed write ends the run with an error;
 * it never passes silently. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/h5.h"
#include "workflow/workflow.h"

/* Opens history.h5 for writing: the existing file, else a new one. A file
 * HDF5 cannot open (torn by a kill during a write) is replaced: the journal
 * rebuilds its curves on the next --resume. */
static hid_t open_history(const char *path) {
  h5_quiet();
  hid_t fid = access(path, F_OK) == 0 ? H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT)
                                      : H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (fid < 0) {
    remove(path);
    fid = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  }
  return fid;
}

static int write_curve(hid_t fid, const char *name, const epoch_report *curve, int n_curve,
                       mlps_err *e) {
  double *a = malloc(sizeof(double) * 4 * (size_t)n_curve);
  if (!a) return mlps_errorf(e, MLPS_ERUNTIME, "out of memory for a learning curve");
  for (int i = 0; i < n_curve; i++) {
    a[4 * i + 0] = curve[i].epoch;
    a[4 * i + 1] = curve[i].train_loss;
    a[4 * i + 2] = curve[i].val_loss;
    a[4 * i + 3] = curve[i].lr;
  }
  if (h5_exists(fid, name)) H5Ldelete(fid, name, H5P_DEFAULT);
  int rc = h5_write_f64(fid, name, a, (size_t)n_curve, 4, 0, e);
  if (!rc) {
    const char *cols[4] = {"epoch", "train_loss", "val_loss", "lr"};
    rc = h5_attr_strs(fid, name, "columns", cols, 4, e);
  }
  free(a);
  return rc;
}

int history_task_done(void *user, const task_result *r, const double *x, const epoch_report *curve,
                      int n_curve, int replayed, mlps_err *err) {
  (void)x;
  run_ctx *rc = user;
  if (n_curve <= 0) return MLPS_OK;
  char name[64];
  snprintf(name, sizeof name, "trial_%06d/fold_%d", r->trial, r->fold);
  hid_t fid = open_history(rc->history_path);
  int st = MLPS_OK;
  if (fid < 0) {
    st = mlps_errorf(err, MLPS_ERUNTIME, "cannot create %s", rc->history_path);
  } else {
    /* Replayed from the journal: only what the file lacks. */
    if (!replayed || !h5_exists(fid, name)) st = write_curve(fid, name, curve, n_curve, err);
    st = h5_close_file(fid, rc->history_path, st, err);
  }
  if (st)
    mlps_err_prefix(err,
                    "cannot write the learning curve of trial %d fold %d to %s (disk "
                    "full?); the task and its curve are safe in trials.jsonl: free space "
                    "and rerun with --resume, which completes history.h5",
                    r->trial, r->fold, rc->history_path);
  return st;
}
