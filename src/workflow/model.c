/* model.h5 writer and reader (see model.h for the layout). */
#include "workflow/model.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "util/paths.h"

static int write_member(hid_t fid, int k, const mlp *net, mlps_err *e) {
  for (int l = 0; l < net->arch.n_layers; l++) {
    char name[64];
    size_t in = (size_t)net->arch.sizes[l], out = (size_t)net->arch.sizes[l + 1];
    snprintf(name, sizeof name, "members/%d/W%d", k, l);
    MLPS_TRY(h5_write_f32(fid, name, net->layer[l].W, out, in, 0, e));
    snprintf(name, sizeof name, "members/%d/b%d", k, l);
    MLPS_TRY(h5_write_f32(fid, name, net->layer[l].b, out, 0, 0, e));
  }
  return MLPS_OK;
}

static int write_metrics(hid_t fid, const model_metrics *mm, mlps_err *e) {
  static const char *const names[5] = {"test_mse_scaled", "test_mae_scaled", "test_rmse",
                                       "test_median_frac_err", "test_p95_frac_err"};
  MLPS_TRY(h5_write_f64(fid, "metrics/col_rmse", mm->col_rmse, mm->m, 0, 0, e));
  MLPS_TRY(h5_write_f64(fid, "metrics/col_median_frac", mm->col_median_frac, mm->m, 0, 0, e));
  for (int i = 0; i < 5; i++)
    MLPS_TRY(h5_attr_f64(fid, "metrics", names[i], &mm->scalars[i], 1, e));
  return MLPS_OK;
}

int model_write(const char *path, const fit_model *fm, const char *config_text,
                const model_metrics *mm, mlps_err *e) {
  if (fm->n_members < 1) return mlps_errorf(e, MLPS_EINPUT, "model has no network to write");
  char tmp[MLPS_PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
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
  int64_t ver = MODEL_FORMAT_VERSION;
  if (!rc) rc = h5_attr_i64(fid, ".", "format_version", &ver, 1, e);
  if (!rc) rc = h5_attr_str(fid, ".", "mlpsweep_version", MLPS_VERSION, e);
  if (!rc) rc = h5_attr_str(fid, ".", "hdf5_version", h5v, e);
  if (!rc) rc = h5_attr_str(fid, ".", "blas", nn_blas_info(), e);
  if (!rc && config_text) rc = h5_attr_str(fid, ".", "config", config_text, e);
  if (!rc) rc = h5_attr_i64(fid, ".", "n_members", &nm, 1, e);
  if (!rc) rc = h5_attr_i64(fid, ".", "sizes", sizes, (size_t)a->n_layers + 1, e);
  if (!rc) rc = h5_attr_str(fid, ".", "activation", NN_ACTIVATION_NAMES[a->act], e);
  if (!rc) rc = h5_attr_str(fid, ".", "ensemble_average", "scaled", e);
  if (!rc) rc = xf_write_h5(fid, "input_transform", &fm->xin, e);
  if (!rc) rc = xf_write_h5(fid, "target_transform", &fm->yout, e);
  for (int k = 0; !rc && k < fm->n_members; k++) rc = write_member(fid, k, fm->member[k], e);
  if (!rc && mm) rc = write_metrics(fid, mm, e);
  if (rc) mlps_err_prefix(e, "cannot write %s", path);
  rc = h5_close_file(fid, tmp, rc, e);
  if (!rc && rename(tmp, path) != 0)
    rc = mlps_errorf(e, MLPS_ERUNTIME, "cannot rename %s to %s", tmp, path);
  if (rc) remove(tmp);
  return rc;
}

int model_read(const char *path, fit_model *fm, mlps_err *e) {
  memset(fm, 0, sizeof *fm);
  hid_t fid;
  MLPS_TRY(h5_open_read(path, &fid, e));
  char fmt[64] = "", act[32] = "";
  double sizes_d[MLP_MAX_LAYERS + 1], nm_d = 0;
  size_t nsizes = 0, one = 0;
  int rc = h5_read_attr_str(fid, ".", "format", fmt, sizeof fmt, e);
  if (!rc && strcmp(fmt, MODEL_FORMAT) != 0)
    rc = mlps_errorf(e, MLPS_EINPUT,
                     "%s: format is '%s', expected '%s' (a model.h5 written by mlpsweep run)", path,
                     fmt, MODEL_FORMAT);
  if (!rc) rc = h5_read_attr_f64(fid, ".", "sizes", sizes_d, MLP_MAX_LAYERS + 1, &nsizes, e);
  if (!rc) rc = h5_read_attr_f64(fid, ".", "n_members", &nm_d, 1, &one, e);
  if (!rc) rc = h5_read_attr_str(fid, ".", "activation", act, sizeof act, e);
  if (rc) {
    H5Fclose(fid);
    return mlps_err_prefix(e, "%s", path), e->code;
  }
  int widths[MLP_MAX_LAYERS + 1];
  for (size_t l = 0; l < nsizes; l++) widths[l] = (int)sizes_d[l];
  int a = nn_activation_from_name(act);
  mlp_arch arch;
  if (a < 0) rc = mlps_errorf(e, MLPS_EINPUT, "%s: unknown activation '%s'", path, act);
  if (!rc) rc = mlp_arch_make(&arch, widths, (int)nsizes, (nn_activation)a, e);
  if (!rc && (nm_d < 1 || nm_d > FIT_MAX_MEMBERS))
    rc = mlps_errorf(e, MLPS_EINPUT, "%s: n_members %g is outside [1, %d]", path, nm_d,
                     FIT_MAX_MEMBERS);
  if (!rc) rc = xf_read_h5(fid, "input_transform", &fm->xin, e);
  if (!rc) rc = xf_read_h5(fid, "target_transform", &fm->yout, e);
  for (int k = 0; !rc && k < (int)nm_d; k++) {
    mlp *net = mlp_create(&arch, e);
    if (!net) {
      rc = e->code ? e->code : MLPS_ERUNTIME;
      break;
    }
    fm->member[fm->n_members++] = net;
    for (int l = 0; !rc && l < arch.n_layers; l++) {
      char name[64];
      size_t expect[2] = {(size_t)arch.sizes[l + 1], (size_t)arch.sizes[l]};
      for (int wb = 0; !rc && wb < 2; wb++) {
        snprintf(name, sizeof name, "members/%d/%c%d", k, wb ? 'b' : 'W', l);
        double *v = NULL;
        size_t dims[2] = {0, 0};
        int rank = 0;
        rc = h5_read_f64(fid, name, &v, dims, &rank, e);
        if (!rc && (dims[0] != expect[0] || (wb == 0 && (rank != 2 || dims[1] != expect[1])) ||
                    (wb == 1 && rank != 1)))
          rc = mlps_errorf(e, MLPS_EINPUT, "%s: %s has the wrong shape for sizes", path, name);
        if (!rc) {
          float *dst = wb ? net->layer[l].b : net->layer[l].W;
          size_t cnt = wb ? expect[0] : expect[0] * expect[1];
          for (size_t i = 0; i < cnt; i++) dst[i] = (float)v[i];
        }
        free(v);
      }
    }
  }
  H5Fclose(fid);
  if (!rc && (fm->xin.ncols != (size_t)arch.sizes[0] ||
              fm->yout.ncols != (size_t)arch.sizes[arch.n_layers]))
    rc = mlps_errorf(e, MLPS_EINPUT, "%s: transforms do not match the network's inputs/outputs",
                     path);
  if (rc) fit_model_free(fm);
  return rc;
}
