/* Learning curves: OUT/history.h5 holds one dataset per finished task,
 * trial_NNNNNN/fold_F of shape (epochs, 4): epoch, train loss, validation
 * loss, learning rate. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/h5.h"
#include "workflow/workflow.h"

void history_task_done(void *user, const task_result *r, const double *x,
                       const epoch_report *curve, int n_curve) {
  (void)x;
  run_ctx *rc = user;
  if (n_curve <= 0) return;
  h5_quiet();
  hid_t fid = access(rc->history_path, F_OK) == 0
                  ? H5Fopen(rc->history_path, H5F_ACC_RDWR, H5P_DEFAULT)
                  : H5Fcreate(rc->history_path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (fid < 0) {
    /* A history file torn by a kill: start a new one. The journal, not this
     * file, is the record of what finished. */
    remove(rc->history_path);
    fid = H5Fcreate(rc->history_path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (fid < 0) return;
  }
  double *a = malloc(sizeof(double) * 4 * (size_t)n_curve);
  if (a) {
    for (int i = 0; i < n_curve; i++) {
      a[4 * i + 0] = curve[i].epoch;
      a[4 * i + 1] = curve[i].train_loss;
      a[4 * i + 2] = curve[i].val_loss;
      a[4 * i + 3] = curve[i].lr;
    }
    char name[64];
    snprintf(name, sizeof name, "trial_%06d/fold_%d", r->trial, r->fold);
    mlps_err e;
    if (h5_exists(fid, name)) H5Ldelete(fid, name, H5P_DEFAULT);
    if (!h5_write_f64(fid, name, a, (size_t)n_curve, 4, 0, &e)) {
      const char *cols[4] = {"epoch", "train_loss", "val_loss", "lr"};
      h5_attr_strs(fid, name, "columns", cols, 4, &e);
    }
    free(a);
  }
  H5Fclose(fid);
}
