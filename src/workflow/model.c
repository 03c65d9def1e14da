/* model.h5 writer (see model.h for the layout; emu/ reads it). */
#include "workflow/model.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "util/paths.h"

static int write_member(hid_t fid, int k, const mlp *net, double weight, const int64_t *trial,
                        mlps_err *e) {
  char grp[32];
  int64_t sizes[MLP_MAX_LAYERS + 1];
  for (int l = 0; l <= net->arch.n_layers; l++) sizes[l] = net->arch.sizes[l];
  for (int l = 0; l < net->arch.n_layers; l++) {
    char name[64];
    size_t in = (size_t)net->arch.sizes[l], out = (size_t)net->arch.sizes[l + 1];
    snprintf(name, sizeof name, "members/%d/W%d", k, l);
    MLPS_TRY(h5_write_f32(fid, name, net->layer[l].W, out, in, 0, e));
    snprintf(name, sizeof name, "members/%d/b%d", k, l);
    MLPS_TRY(h5_write_f32(fid, name, net->layer[l].b, out, 0, 0, e));
  }
  /* Each member's own architecture (a committee mixes them), its weight in
   * the average and the trial it comes from. */
  snprintf(grp, sizeof grp, "members/%d", k);
  MLPS_TRY(h5_attr_i64(fid, grp, "sizes", sizes, (size_t)net->arch.n_layers + 1, e));
  MLPS_TRY(h5_attr_f64(fid, grp, "weight", &weight, 1, e));
  if (trial) MLPS_TRY(h5_attr_i64(fid, grp, "trial", trial, 1, e));
  return h5_attr_str(fid, grp, "activation", NN_ACTIVATION_NAMES[net->arch.act], e);
}

static int write_metrics(hid_t fid, const model_metrics *mm, mlps_err *e) {
  static const char *const names[5] = {"test_mse_scaled", "test_mae_scaled", "test_rmse",
                                       "test_median_frac_err", "test_p95_frac_err"};
  MLPS_TRY(h5_write_f64(fid, "metrics/col_rmse", mm->col_rmse, mm->m, 0, 0, e));
  MLPS_TRY(h5_write_f64(fid, "metrics/col_median_frac", mm->col_median_frac, mm->m, 0, 0, e));
  MLPS_TRY(h5_write_f64(fid, "metrics/col_p95_frac", mm->col_p95_frac, mm->m, 0, 0, e));
  if (mm->frac_mean && mm->frac_cov) {
    MLPS_TRY(h5_write_f64(fid, "metrics/frac_mean", mm->frac_mean, mm->m, 0, 0, e));
    MLPS_TRY(h5_write_f64(fid, "metrics/frac_cov", mm->frac_cov, mm->m, mm->m, 0, e));
  }
  for (int i = 0; i < 5; i++)
    MLPS_TRY(h5_attr_f64(fid, "metrics", names[i], &mm->scalars[i], 1, e));
  return MLPS_OK;
}

/* input_names and /box. */
static int write_inputs(hid_t fid, size_t d, const model_inputs *mi, mlps_err *e) {
  char **gen = mlps_xcalloc(d + 1, sizeof(char *));
  const char *const *names = mi->names;
  if (!names) {
    for (size_t j = 0; j < d; j++) {
      gen[j] = mlps_xmalloc(24);
      snprintf(gen[j], 24, "x%zu", j);
    }
    names = (const char *const *)gen;
  }
  int rc = h5_attr_strs(fid, ".", "input_names", names, d, e);
  if (!rc) rc = h5_write_f64(fid, "box/lo", mi->lo, d, 0, 0, e);
  if (!rc) rc = h5_write_f64(fid, "box/hi", mi->hi, d, 0, 0, e);
  for (size_t j = 0; j < d; j++) free(gen[j]);
  free(gen);
  return rc;
}

int model_write(const char *path, const fit_model *fm, const char *config_text,
                const model_inputs *mi, const model_metrics *mm, const int64_t *member_trial,
                mlps_err *e) {
  if (fm->n_members < 1) return mlps_errorf(e, MLPS_EINPUT, "model has no network to write");
  char tmp[MLPS_PATH_MAX];
  MLPS_TRY(path_tmp(tmp, sizeof tmp, path, e));
  hid_t fid;
  MLPS_TRY(h5_create(tmp, &fid, e));
  const mlp_arch *a = &fm->member[0]->arch;
  int64_t sizes[MLP_MAX_LAYERS + 1];
  for (int l = 0; l <= a->n_layers; l++) sizes[l] = a->sizes[l];
  int64_t nm = fm->n_members;
  unsigned maj, min, rel;
  H5get_libversion(&maj, &min, &rel);
  char h5v[32];
  snprintf(h5v, sizeof h5v, "%u.%u.%u", maj, min, rel);
  int rc = h5_attr_str(fid, ".", "format", MODEL_FORMAT, e);
  /* Unequal weights are version 3: a version-2 reader would ignore them
   * and average equally, so it must refuse the file instead. */
  int64_t ver = fm->weighted ? MODEL_FORMAT_VERSION_WEIGHTED : MODEL_FORMAT_VERSION;
  if (!rc) rc = h5_attr_i64(fid, ".", "format_version", &ver, 1, e);
  if (!rc) rc = h5_attr_str(fid, ".", "mlpsweep_version", MLPS_VERSION, e);
  if (!rc) rc = h5_attr_str(fid, ".", "hdf5_version", h5v, e);
  if (!rc) rc = h5_attr_str(fid, ".", "blas", nn_blas_info(), e);
  if (!rc && config_text) rc = h5_attr_str(fid, ".", "config", config_text, e);
  if (!rc) rc = h5_attr_i64(fid, ".", "n_members", &nm, 1, e);
  if (!rc) rc = h5_attr_i64(fid, ".", "sizes", sizes, (size_t)a->n_layers + 1, e);
  if (!rc) rc = h5_attr_str(fid, ".", "activation", NN_ACTIVATION_NAMES[a->act], e);
  if (!rc) rc = h5_attr_str(fid, ".", "ensemble_average", "scaled", e);
  if (!rc && mi) rc = write_inputs(fid, fm->xin.ncols, mi, e);
  if (!rc) rc = xf_write_h5(fid, "input_transform", &fm->xin, e);
  if (!rc) rc = xf_write_h5(fid, "target_transform", &fm->yout, e);
  for (int k = 0; !rc && k < fm->n_members; k++)
    rc = write_member(fid, k, fm->member[k], fm->weighted ? fm->weight[k] : 1.0 / fm->n_members,
                      member_trial ? member_trial + k : NULL, e);
  if (!rc && mm) rc = write_metrics(fid, mm, e);
  if (rc) mlps_err_prefix(e, "cannot write %s", path);
  rc = h5_close_file(fid, tmp, rc, e);
  if (!rc && rename(tmp, path) != 0)
    rc = mlps_errorf(e, MLPS_ERUNTIME, "cannot rename %s to %s", tmp, path);
  if (rc) remove(tmp);
  return rc;
}
