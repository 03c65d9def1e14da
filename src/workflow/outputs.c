/* The final stage's outputs on rank 0, once every job's parameters are in:
 * the final model (the ensemble members, or the committee's, on
 * train+validation transforms) evaluated once on the test rows, model.h5
 * with its test metrics, test_predictions.h5, the best trial's fold models
 * on the same test rows as a labelled diagnostic, and the learning curve
 * (lcurve.c). Every write is checked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "util/log.h"
#include "workflow/fisher.h"
#include "workflow/fit.h"
#include "workflow/model.h"
#include "workflow/workflow.h"

static void json_metrics(json_writer *w, const char *key, const fit_metrics *m) {
  json_key(w, key);
  json_obj_begin(w);
  json_key(w, "mse_scaled"), json_num(w, m->mse);
  json_key(w, "mae_scaled"), json_num(w, m->mae);
  json_key(w, "rmse"), json_num(w, m->rmse);
  json_key(w, "median_frac_err"), json_num(w, m->median_frac);
  json_key(w, "p95_frac_err"), json_num(w, m->p95_frac);
  json_key(w, "p99_frac_err"), json_num(w, m->p99_frac);
  json_key(w, "max_frac_err"), json_num(w, m->max_frac);
  json_key(w, "chi2"), json_num(w, m->chi2); /* null without data.noise */
  json_key(w, "n_rows"), json_int(w, (long long)m->n_rows);
  json_obj_end(w);
}

/* fm = transforms fitted on fit_rows + one network per params[j], of
 * architecture archs[j / per_arch]. */
static int assemble(const mlps_config *cfg, const data_set *ds, const mlp_arch *archs, int per_arch,
                    const size_t *fit_rows, size_t n_fit, float *const *params, int n,
                    fit_model *fm, mlps_err *e) {
  MLPS_TRY(fit_transforms(cfg, ds, fit_rows, n_fit, fm, NULL, 0, e));
  for (int j = 0; j < n; j++) {
    mlp *net = mlp_create(&archs[j / per_arch], e);
    if (!net) return e->code ? e->code : MLPS_ERUNTIME;
    mlp_set_params(net, params[j]);
    fm->member[fm->n_members++] = net;
  }
  return MLPS_OK;
}

/* The tail of |fractional error| over the test rows, for the committee
 * comparison: median, 95th and 99th percentile, maximum (NaN unless the
 * targets are positive: log/log10 chain). */
typedef struct {
  double q[4];
} tail_errs;
static const char *const TAIL_NAMES[4] = {"median_frac_err", "p95_frac_err", "p99_frac_err",
                                          "max_frac_err"};

static tail_errs tail_of(const fit_model *fm, const data_set *ds, const size_t *te, size_t nte,
                         const float *natural) {
  tail_errs t = {{NAN, NAN, NAN, NAN}};
  size_t m = ds->m, n = nte * m;
  if (!n || !(fm->yout.kind[0] == XF_LOG || fm->yout.kind[0] == XF_LOG10)) return t;
  double *a = mlps_xmalloc(sizeof(double) * n);
  for (size_t i = 0; i < nte; i++)
    for (size_t j = 0; j < m; j++)
      a[i * m + j] = fabs((double)natural[i * m + j] / ds->Y[te[i] * m + j] - 1.0);
  static const double qs[4] = {0.5, 0.95, 0.99, 1.0};
  for (int k = 0; k < 4; k++) t.q[k] = fit_quantile(a, n, qs[k]); /* sorted after the first */
  free(a);
  return t;
}

static void json_tail(json_writer *w, const char *key, const tail_errs *t) {
  json_key(w, key);
  json_obj_begin(w);
  for (int k = 0; k < 4; k++) json_key(w, TAIL_NAMES[k]), json_num(w, t->q[k]);
  json_obj_end(w);
}

/* The test rows with their predictions (the engine's float32): `mlpsweep
 * predict model.h5 test_predictions.h5 out.h5` (float64 through the emulator
 * library) reproduces Y_pred to float32 rounding. */
static int write_test_predictions(const char *path, const data_set *ds, const size_t *te,
                                  size_t nte, const float *natural, const double *bias,
                                  mlps_err *e) {
  size_t d = ds->d, m = ds->m;
  hid_t fid;
  MLPS_TRY(h5_create(path, &fid, e));
  float *xt = mlps_xmalloc(sizeof(float) * (nte * d + 1));
  float *yt = mlps_xmalloc(sizeof(float) * (nte * m + 1));
  int64_t *rows = mlps_xmalloc(sizeof(int64_t) * (nte + 1));
  for (size_t i = 0; i < nte; i++) {
    memcpy(xt + i * d, ds->X + te[i] * d, sizeof(float) * d);
    memcpy(yt + i * m, ds->Y + te[i] * m, sizeof(float) * m);
    rows[i] = (int64_t)te[i];
  }
  int rc = h5_write_f32(fid, "X", xt, nte, d, 0, e);
  if (!rc) rc = h5_write_f32(fid, "Y", yt, nte, m, 0, e);
  if (!rc) rc = h5_write_f32(fid, "Y_pred", natural, nte, m, 0, e);
  if (!rc) rc = h5_write_i64(fid, "rows", rows, nte, 0, e);
  if (!rc && bias) rc = h5_write_f64(fid, "bias_sigma", bias, nte, d, 0, e);
  if (!rc) rc = h5_attr_str(fid, ".", "format", "mlpsweep-test-predictions", e);
  free(xt), free(yt), free(rows);
  if (rc) mlps_err_prefix(e, "cannot write %s", path);
  return h5_close_file(fid, path, rc, e);
}

/* "posterior_bias" (under data.noise): the first-order bias in sigma of
 * each input, were the test rows' data fitted with the emulator instead of
 * the true model (fisher.h): median, 95th percentile and maximum over the
 * rows of a row's largest |bias| (its worst parameter), and per input the
 * 95th percentile and maximum of its |bias| and the mean signed bias (a
 * systematic shift, which averaging over rows would not cancel in a
 * survey). The largest biases sit at the edges of the training box (there
 * the network has data on one side only); "interior" gives the 95th
 * percentile and maximum over the test rows at least BIAS_MARGIN of each
 * input's range (lo, hi: the training box) inside every edge, what a prior
 * that much narrower than the box would meet. q gets the median, 95th
 * percentile, maximum and interior maximum, worst the input of the
 * largest. */
#define BIAS_MARGIN 0.05
static void bias_report(const data_set *ds, const size_t *te, const double *bias, size_t n,
                        const double *lo, const double *hi, json_writer *w, double q[4],
                        size_t *worst) {
  size_t d = ds->d;
  double *a = mlps_xmalloc(sizeof(double) * (n * d + 1)),
         *col = mlps_xmalloc(sizeof(double) * (n * d + 1));
  unsigned char *inside = mlps_xmalloc(n + 1);
  size_t rows_in = 0;
  for (size_t i = 0; i < n; i++) {
    inside[i] = 1;
    for (size_t k = 0; k < d; k++) {
      double x = ds->X[te[i] * d + k], margin = BIAS_MARGIN * (hi[k] - lo[k]);
      inside[i] &= x >= lo[k] + margin && x <= hi[k] - margin;
    }
    rows_in += inside[i];
  }
  size_t na = fisher_row_worst(bias, n, d, NULL, a), ni = fisher_row_worst(bias, n, d, inside, col);
  free(inside);
  q[0] = fit_quantile(a, na, 0.5), q[1] = fit_quantile(a, na, 0.95);
  q[2] = fit_quantile(a, na, 1.0);
  double in95 = fit_quantile(col, ni, 0.95);
  q[3] = fit_quantile(col, ni, 1.0);
  json_key(w, "posterior_bias");
  json_obj_begin(w);
  json_key(w, "median_sigma"), json_num(w, q[0]);
  json_key(w, "p95_sigma"), json_num(w, q[1]);
  json_key(w, "max_sigma"), json_num(w, q[2]);
  json_key(w, "interior");
  json_obj_begin(w);
  json_key(w, "margin"), json_num(w, BIAS_MARGIN);
  json_key(w, "rows"), json_int(w, (long long)rows_in);
  json_key(w, "p95_sigma"), json_num(w, in95);
  json_key(w, "max_sigma"), json_num(w, q[3]);
  json_obj_end(w);
  json_key(w, "inputs");
  json_obj_begin(w);
  double worst_v = -1;
  *worst = 0;
  for (size_t k = 0; k < d; k++) {
    size_t nc = 0;
    double mean = 0;
    for (size_t i = 0; i < n; i++)
      if (!isnan(bias[i * d + k])) mean += bias[i * d + k], col[nc++] = fabs(bias[i * d + k]);
    json_key(w, ds->x_names[k]);
    json_obj_begin(w);
    json_key(w, "mean_sigma"), json_num(w, nc ? mean / (double)nc : NAN);
    json_key(w, "p95_sigma"), json_num(w, fit_quantile(col, nc, 0.95));
    double mx = fit_quantile(col, nc, 1.0);
    json_key(w, "max_sigma"), json_num(w, mx);
    json_obj_end(w);
    if (nc && mx > worst_v) worst_v = mx, *worst = k;
  }
  json_obj_end(w);
  json_obj_end(w);
  free(a), free(col);
}

/* The error model for positive targets: mean (m) and covariance (m, m,
 * normalised by n - 1) over the test rows of the fractional residuals
 * natural / y - 1, so a likelihood can add the emulator's variance. */
static void frac_moments(const data_set *ds, const size_t *te, size_t n, const float *natural,
                         double *mean, double *cov) {
  size_t m = ds->m;
  double *r = mlps_xmalloc(sizeof(double) * (n * m + 1));
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < m; j++)
      r[i * m + j] = (double)natural[i * m + j] / ds->Y[te[i] * m + j] - 1.0;
  for (size_t j = 0; j < m; j++) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += r[i * m + j];
    mean[j] = n ? s / (double)n : NAN;
  }
  for (size_t a = 0; a < m; a++)
    for (size_t b = a; b < m; b++) {
      double s = 0;
      for (size_t i = 0; i < n; i++) s += (r[i * m + a] - mean[a]) * (r[i * m + b] - mean[b]);
      cov[a * m + b] = cov[b * m + a] = n > 1 ? s / (double)(n - 1) : NAN;
    }
  free(r);
}

/* The best configuration alone against the committee, on the test rows:
 * its first network, then each configuration's own networks (config 0's
 * are the model a run without committee would have written), then summary
 * block "committee" and the end-of-run lines. */
static int committee_report(const mlps_config *cfg, const data_set *ds, const final_plan *fp,
                            const final_jobs *fj, const mlp_arch *archs, const final_results *fr,
                            const size_t *pool, size_t npool, const fit_model *com,
                            const double *cw, const size_t *te, size_t nte, float *natural,
                            json_writer *w, mlps_err *e) {
  int nc = fp->n_configs, E = fj->ensemble;
  tail_errs all = tail_of(com, ds, te, nte, natural); /* natural holds the committee's */
  tail_errs single = all, per[FINAL_MAX_CONFIGS];
  int rc = MLPS_OK;
  for (int v = -1; !rc && v < nc; v++) { /* v = -1: config 0's first network alone */
    fit_model fm = {0};
    int c = v < 0 ? 0 : v;
    rc = assemble(cfg, ds, archs + c, E, pool, npool, fr->params + c * E, v < 0 ? 1 : E, &fm, e);
    if (!rc) rc = fit_predict_rows(&fm, ds->X, ds->d, te, nte, NULL, natural, e);
    if (!rc) *(v < 0 ? &single : &per[c]) = tail_of(&fm, ds, te, nte, natural);
    fit_model_free(&fm);
  }
  if (rc) return rc;
  json_key(w, "committee");
  json_obj_begin(w);
  json_key(w, "configs"), json_int(w, nc);
  json_key(w, "weights"), json_str(w, CFG_COMMITTEE_WEIGHTS_NAMES[cfg->final.committee_weights]);
  json_key(w, "members");
  json_arr_begin(w);
  for (int c = 0; c < nc; c++) {
    json_obj_begin(w);
    json_key(w, "trial"), json_int(w, fp->trial[c]);
    json_key(w, "cv_metric"), json_num(w, fp->ccv[c]);
    json_key(w, "weight"), json_num(w, cw[c]);
    json_key(w, "networks"), json_int(w, E);
    json_tail(w, "test", &per[c]); /* its networks alone */
    json_obj_end(w);
  }
  json_arr_end(w);
  json_key(w, "test");
  json_obj_begin(w);
  json_tail(w, "best_single", &single);
  json_tail(w, "best_ensemble", &per[0]);
  json_tail(w, "committee", &all);
  json_obj_end(w);
  json_obj_end(w);
  if (isnan(all.q[0])) return MLPS_OK;
  log_msg(LOG_INFO,
          "mlpsweep: committee of %d configurations (%s weights); |fractional error| on the "
          "test rows, median / p95 / p99 / max:",
          nc, CFG_COMMITTEE_WEIGHTS_NAMES[cfg->final.committee_weights]);
  for (int v = -1; v <= nc; v++) {
    const tail_errs *t = v < 0 ? &single : v < nc ? &per[v] : &all;
    char label[64];
    if (v < 0) snprintf(label, sizeof label, "best trial %d, one network", fp->trial[0]);
    else if (v < nc && E > 1)
      snprintf(label, sizeof label, "trial %d, ensemble of %d", fp->trial[v], E);
    else if (v < nc) snprintf(label, sizeof label, "trial %d alone", fp->trial[v]);
    else snprintf(label, sizeof label, "committee");
    if (v == 0 && E == 1) continue; /* the same network as v = -1 */
    log_msg(LOG_INFO, "mlpsweep:   %-30s %.4f%% / %.4f%% / %.4f%% / %.4f%%", label, 100 * t->q[0],
            100 * t->q[1], 100 * t->q[2], 100 * t->q[3]);
  }
  return MLPS_OK;
}

/* The final model: evaluated on the test rows, written with its metrics. */
static int final_model(const mlps_config *cfg, const char *cfg_text, const data_set *ds,
                       const data_split *sp, const final_plan *fp, const final_jobs *fj,
                       const mlp_arch *archs, const final_results *fr, const size_t *te, size_t nte,
                       float *scaled, float *natural, json_writer *w, mlps_err *e) {
  int nm = fj->members;
  size_t m = ds->m, npool = split_count(sp, 0, SPLIT_POOL);
  size_t *pool = mlps_xmalloc(sizeof(size_t) * (npool + 1));
  split_rows(sp, 0, SPLIT_POOL, pool);
  double *col_rmse = mlps_xmalloc(sizeof(double) * m), *col_med = mlps_xmalloc(sizeof(double) * m);
  double *col_p95 = mlps_xmalloc(sizeof(double) * m), *fmean = mlps_xmalloc(sizeof(double) * m);
  double *fcov = mlps_xmalloc(sizeof(double) * m * m);
  double *lo = mlps_xmalloc(sizeof(double) * ds->d), *hi = mlps_xmalloc(sizeof(double) * ds->d);
  double cw[FINAL_MAX_CONFIGS];
  int64_t trial[FIT_MAX_MEMBERS];
  fit_model fm = {0};
  fit_metrics fin;
  char path[MLPS_PATH_MAX];
  int rc = assemble(cfg, ds, archs, fj->ensemble, pool, npool, fr->params, nm, &fm, e);
  fm.weighted = committee_weights(cfg, fp, cw);
  for (int j = 0; j < nm; j++) {
    fm.weight[j] = cw[j / fj->ensemble] / fj->ensemble;
    trial[j] = fp->trial[j / fj->ensemble];
  }
  if (!rc) rc = fit_predict_rows(&fm, ds->X, ds->d, te, nte, scaled, natural, e);
  if (!rc)
    rc = fit_metrics_rows(&fm, ds, te, nte, scaled, natural, &fin, col_rmse, col_med, col_p95, e);
  if (!rc) rc = path_join(path, sizeof path, cfg->output.dir, "model.h5", e);
  if (!rc) {
    int pos = fm.yout.ncols && (fm.yout.kind[0] == XF_LOG || fm.yout.kind[0] == XF_LOG10);
    if (pos) frac_moments(ds, te, nte, natural, fmean, fcov);
    fit_input_box(ds, pool, npool, lo, hi); /* the training box */
    model_inputs mi = {(const char *const *)ds->x_names, lo, hi};
    model_metrics mm = {{fin.mse, fin.mae, fin.rmse, fin.median_frac, fin.p95_frac},
                        col_rmse,
                        col_med,
                        col_p95,
                        pos ? fmean : NULL,
                        pos ? fcov : NULL,
                        m};
    rc = model_write(path, &fm, cfg_text, &mi, &mm, trial, e);
  }
  double *bias = ds->noise ? mlps_xmalloc(sizeof(double) * (nte * ds->d + 1)) : NULL;
  if (!rc && bias) rc = fisher_bias(&fm, ds, te, nte, natural, bias, e);
  if (!rc) rc = path_join(path, sizeof path, cfg->output.dir, "test_predictions.h5", e);
  if (!rc) rc = write_test_predictions(path, ds, te, nte, natural, bias, e);
  if (!rc) {
    json_key(w, "final");
    json_obj_begin(w);
    json_key(w, "ensemble"), json_int(w, fj->ensemble);
    json_key(w, "epochs_rule"), json_str(w, CFG_FINAL_EPOCHS_NAMES[cfg->final.epochs]);
    json_key(w, "epochs");
    json_arr_begin(w);
    for (int j = 0; j < nm; j++) json_int(w, fr->epochs[j]);
    json_arr_end(w);
    json_metrics(w, "test", &fin);
    double bq[4] = {NAN, NAN, NAN, NAN};
    size_t worst = 0;
    if (bias) bias_report(ds, te, bias, nte, lo, hi, w, bq, &worst);
    json_obj_end(w);
    if (isnan(fin.median_frac))
      log_msg(LOG_INFO,
              "mlpsweep: final model on %zu test rows: RMSE %.4g (data units), scaled "
              "MSE %.4g",
              nte, fin.rmse, fin.mse);
    else
      log_msg(LOG_INFO,
              "mlpsweep: final model on %zu test rows: median |fractional error| "
              "%.4f%%, 95th percentile %.4f%%",
              nte, 100 * fin.median_frac, 100 * fin.p95_frac);
    if (isfinite(bq[2]))
      log_msg(LOG_INFO,
              "mlpsweep: posterior bias from the emulator's error under data.noise (first "
              "order, test rows): median %.3f, 95th percentile %.3f, max %.3f sigma (%s); "
              "max %.3f sigma at least %g%% of each range inside the training box",
              bq[0], bq[1], bq[2], ds->x_names[worst], bq[3], 100 * BIAS_MARGIN);
  }
  if (!rc && fj->n_configs > 1)
    rc = committee_report(cfg, ds, fp, fj, archs, fr, pool, npool, &fm, cw, te, nte, natural, w, e);
  fit_model_free(&fm);
  free(bias);
  free(pool), free(col_rmse), free(col_med), free(col_p95), free(fmean), free(fcov), free(lo),
      free(hi);
  return rc;
}

/* Diagnostic: each of the best trial's fold models on the same test rows. */
static int fold_models(const mlps_config *cfg, const data_set *ds, const data_split *sp,
                       const mlp_arch *arch, float **params, const int *epochs, int k,
                       const size_t *te, size_t nte, float *scaled, float *natural, json_writer *w,
                       mlps_err *e) {
  int rc = MLPS_OK;
  json_key(w, "diagnostic_fold_models_test");
  json_arr_begin(w);
  for (int f = 0; !rc && f < k; f++) {
    fit_model fmf = {0};
    fit_metrics fold_m;
    size_t ntr = split_count(sp, f, SPLIT_TRAIN);
    size_t *tr = mlps_xmalloc(sizeof(size_t) * (ntr + 1));
    split_rows(sp, f, SPLIT_TRAIN, tr);
    rc = assemble(cfg, ds, arch, 1, tr, ntr, params + f, 1, &fmf, e);
    if (!rc) rc = fit_predict_rows(&fmf, ds->X, ds->d, te, nte, scaled, natural, e);
    if (!rc)
      rc = fit_metrics_rows(&fmf, ds, te, nte, scaled, natural, &fold_m, NULL, NULL, NULL, e);
    if (!rc) {
      json_obj_begin(w);
      json_key(w, "fold"), json_int(w, f);
      json_key(w, "epochs"), json_int(w, epochs[f]);
      json_metrics(w, "test", &fold_m);
      json_obj_end(w);
    }
    fit_model_free(&fmf);
    free(tr);
  }
  json_arr_end(w);
  return rc;
}

int outputs_write(const mlps_config *cfg, const char *cfg_text, const data_set *ds,
                  const data_split *sp, const final_plan *fp, const final_results *fr,
                  json_writer *w, mlps_err *e) {
  final_jobs fj;
  final_jobs_make(cfg, fp, &fj);
  mlp_arch archs[FINAL_MAX_CONFIGS];
  for (int c = 0; c < fj.n_configs; c++) {
    fit_plan p;
    MLPS_TRY(fit_plan_make(cfg, fp->cx[c], ds->d, ds->m, &p, e));
    archs[c] = p.arch;
  }
  size_t nte = split_count(sp, 0, SPLIT_TEST), m = ds->m;
  size_t *te = mlps_xmalloc(sizeof(size_t) * (nte + 1));
  split_rows(sp, 0, SPLIT_TEST, te);
  float *scaled = mlps_xmalloc(sizeof(float) * (nte * m + 1));
  float *natural = mlps_xmalloc(sizeof(float) * (nte * m + 1));
  int rc = MLPS_OK;
  if (fj.members)
    rc = final_model(cfg, cfg_text, ds, sp, fp, &fj, archs, fr, te, nte, scaled, natural, w, e);
  if (!rc)
    rc = fold_models(cfg, ds, sp, &archs[0], fr->params + fj.fold0, fr->epochs + fj.fold0,
                     fp->n_folds, te, nte, scaled, natural, w, e);
  if (!rc && fj.n_lcurve)
    rc = lcurve_write(cfg, ds, sp, &archs[0], &fj, fr, te, nte, scaled, natural, w, e);
  free(te), free(scaled), free(natural);
  return rc;
}
