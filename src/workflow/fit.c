/* One model fit: plan from a point, leakage-free transforms, training,
 * prediction and metrics (see fit.h). */
#include "workflow/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_train.h"
#include "util/rng.h"

/* rng_derive purposes of a fit's streams, from the fit's seed. */
#define FIT_PURPOSE_INIT 1  /* weight initialisation */
#define FIT_PURPOSE_TRAIN 2 /* the training loop's seed (shuffles, dropout) */

int fit_plan_make(const mlps_config *cfg, const double *x, size_t d, size_t m, fit_plan *p,
                  mlps_err *e) {
  memset(p, 0, sizeof *p);
  cfg_trial t;
  MLPS_TRY(cfg_trial_decode(cfg, x, &t, e));
  if (t.n_layers > MLP_MAX_LAYERS - 1)
    return mlps_errorf(e, MLPS_EINPUT, "parameters: %d hidden layers, at most %d are supported",
                       t.n_layers, MLP_MAX_LAYERS - 1);
  int widths[MLP_MAX_LAYERS + 1], nw = 0;
  widths[nw++] = (int)d;
  for (int i = 0; i < t.n_layers; i++) widths[nw++] = t.widths[i];
  widths[nw++] = (int)m;
  MLPS_TRY(mlp_arch_make(&p->arch, widths, nw, t.activation, e));
  p->init = cfg->train.init;
  return cfg_train_config(cfg, &t, &p->tc, e);
}

void fit_model_free(fit_model *fm) {
  if (!fm) return;
  for (int i = 0; i < fm->n_members; i++) mlp_free(fm->member[i]);
  xf_free(&fm->xin);
  xf_free(&fm->yout);
  memset(fm, 0, sizeof *fm);
}

int fit_transforms(const mlps_config *cfg, const data_set *ds, const size_t *rows, size_t n,
                   fit_model *fm, char *warn, size_t warnsize, mlps_err *e) {
  xf_init(&fm->xin, ds->d, cfg->data.input_transform, cfg->data.n_input_transform);
  xf_init(&fm->yout, ds->m, cfg->data.target_transform, cfg->data.n_target_transform);
  char w1[512] = "", w2[512] = "";
  MLPS_TRY(xf_fit(&fm->xin, ds->X, rows, n, "inputs", w1, sizeof w1, e));
  MLPS_TRY(xf_fit(&fm->yout, ds->Y, rows, n, "targets", w2, sizeof w2, e));
  if (warn) snprintf(warn, warnsize, "%s%s%s", w1, w1[0] && w2[0] ? "; " : "", w2);
  return MLPS_OK;
}

/* Gathers and transforms rows of X (n, d) and Y (n, m) into one buffer. */
static int gather_xy(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                     float **x, float **y, mlps_err *e) {
  *x = *y = NULL;
  if (!n) return MLPS_OK;
  *x = malloc(sizeof(float) * n * ds->d);
  *y = malloc(sizeof(float) * n * ds->m);
  if (!*x || !*y) {
    free(*x), free(*y);
    *x = *y = NULL;
    return mlps_errorf(e, MLPS_ERUNTIME, "out of memory gathering %zu rows", n);
  }
  int rc = xf_gather(&fm->xin, ds->X, rows, n, *x, "inputs", e);
  if (!rc) rc = xf_gather(&fm->yout, ds->Y, rows, n, *y, "targets", e);
  if (rc) {
    free(*x), free(*y);
    *x = *y = NULL;
  }
  return rc;
}

int fit_chi2_weights(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                     float *w, mlps_err *e) {
  size_t m = ds->m;
  if (!ds->noise)
    return mlps_errorf(e, MLPS_EINPUT,
                       "train.loss chi2 needs the targets' noise; add data.noise (poisson with an "
                       "exposure, or gaussian with a sigma dataset)");
  for (size_t i = 0; i < n; i++) {
    size_t r = rows ? rows[i] : i;
    for (size_t j = 0; j < m; j++) {
      double y = ds->Y[r * m + j];
      double sd = data_noise_sigma(ds->noise, r, j, m, y) * xf_deriv1(&fm->yout, j, y);
      double wij = 1.0 / (sd * sd);
      if (!isfinite(wij) || !(wij <= 3.4e38))
        return mlps_errorf(e, MLPS_EINPUT,
                           "%s: targets '%s' row %zu, column %zu: the chi2 weight 1 / (sigma "
                           "dz/dy)^2 of value %g is not finite under the target transform; use "
                           "train.loss mse or another target_transform",
                           ds->path, ds->targets, r, j, y);
      w[i * m + j] = (float)wij;
    }
  }
  return MLPS_OK;
}

/* The chi2 weights of train and validation rows (both NULL unless loss
 * chi2; *wv NULL without validation rows). */
static int gather_weights(const train_config *tc, const fit_model *fm, const data_set *ds,
                          const size_t *tr, size_t ntr, const size_t *va, size_t nva, float **wt,
                          float **wv, mlps_err *e) {
  *wt = *wv = NULL;
  if (tc->loss != LOSS_CHI2) return MLPS_OK;
  *wt = malloc(sizeof(float) * (ntr ? ntr : 1) * ds->m);
  if (nva) *wv = malloc(sizeof(float) * nva * ds->m);
  int rc = !*wt || (nva && !*wv) ? mlps_errorf(e, MLPS_ERUNTIME, "out of memory for chi2 weights")
                                 : MLPS_OK;
  if (!rc) rc = fit_chi2_weights(fm, ds, tr, ntr, *wt, e);
  if (!rc && nva) rc = fit_chi2_weights(fm, ds, va, nva, *wv, e);
  if (rc) {
    free(*wt), free(*wv);
    *wt = *wv = NULL;
  }
  return rc;
}

int fit_train_member(const fit_plan *p, const data_set *ds, fit_model *fm, const size_t *train_rows,
                     size_t n_train, const size_t *val_rows, size_t n_val, uint64_t seed,
                     train_callback cb, void *user, train_result *r, mlps_err *e) {
  memset(r, 0, sizeof *r);
  if (fm->n_members >= FIT_MAX_MEMBERS)
    return mlps_errorf(e, MLPS_EINPUT, "at most %d networks per model", FIT_MAX_MEMBERS);
  float *xt, *yt, *xv = NULL, *yv = NULL, *wt = NULL, *wv = NULL;
  MLPS_TRY(gather_xy(fm, ds, train_rows, n_train, &xt, &yt, e));
  int rc = gather_xy(fm, ds, val_rows, n_val, &xv, &yv, e);
  if (!rc) rc = gather_weights(&p->tc, fm, ds, train_rows, n_train, val_rows, n_val, &wt, &wv, e);
  mlp *net = NULL;
  if (!rc) net = mlp_create(&p->arch, e);
  if (!rc && !net) rc = e->code ? e->code : MLPS_ERUNTIME;
  if (!rc) {
    mlp_init(net, p->init, rng_derive(seed, FIT_PURPOSE_INIT, 0, 0));
    train_config tc = p->tc;
    tc.seed = rng_derive(seed, FIT_PURPOSE_TRAIN, 0, 0);
    rc = mlp_train_w(net, xt, yt, wt, n_train, xv, yv, wv, n_val, &tc, cb, user, r, e);
  }
  free(xt), free(yt), free(xv), free(yv), free(wt), free(wv);
  if (rc) {
    mlp_free(net);
    return rc;
  }
  fm->member[fm->n_members++] = net;
  return MLPS_OK;
}

int fit_train_more(fit_model *fm, int k, const data_set *ds, const size_t *rows, size_t n,
                   const train_config *tc, train_callback cb, void *user, train_result *r,
                   mlps_err *e) {
  memset(r, 0, sizeof *r);
  if (k < 0 || k >= fm->n_members)
    return mlps_errorf(e, MLPS_EINPUT, "the model has no network %d", k);
  float *x, *y, *w = NULL, *wv = NULL;
  MLPS_TRY(gather_xy(fm, ds, rows, n, &x, &y, e));
  /* loss chi2 weighs the fine-tune as it weighed the training */
  int rc = gather_weights(tc, fm, ds, rows, n, NULL, 0, &w, &wv, e);
  if (!rc) rc = mlp_train_w(fm->member[k], x, y, w, n, NULL, NULL, NULL, 0, tc, cb, user, r, e);
  free(x), free(y), free(w);
  return rc;
}

/* Rows are predicted in blocks of this many, always from the first row, so
 * a given list of rows gives bit-identical results on every call. */
#define FIT_PREDICT_BLOCK 4096

int fit_predict_rows(const fit_model *fm, const float *X, size_t d, const size_t *rows, size_t n,
                     float *scaled, float *natural, mlps_err *e) {
  size_t m = fm->yout.ncols;
  if (fm->n_members < 1) return mlps_errorf(e, MLPS_EINPUT, "model has no network");
  size_t blk = n < FIT_PREDICT_BLOCK ? n : FIT_PREDICT_BLOCK;
  float *xb = malloc(sizeof(float) * (blk ? blk : 1) * d);
  float *yb = malloc(sizeof(float) * (blk ? blk : 1) * m);
  float *acc = malloc(sizeof(float) * (blk ? blk : 1) * m);
  int rc = MLPS_OK;
  if (!xb || !yb || !acc)
    rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory predicting %zu rows", n);
  for (size_t r0 = 0; !rc && r0 < n; r0 += blk) {
    size_t nb = n - r0 < blk ? n - r0 : blk;
    /* With rows NULL, xf_gather takes the first nb rows: shift the base. */
    rc = rows ? xf_gather(&fm->xin, X, rows + r0, nb, xb, "inputs", e)
              : xf_gather(&fm->xin, X + r0 * d, NULL, nb, xb, "inputs", e);
    for (int k = 0; !rc && k < fm->n_members; k++) {
      rc = mlp_predict(fm->member[k], xb, nb, k ? yb : acc, e);
      float wk = fm->weighted ? (float)fm->weight[k] : 1.0f;
      if (!rc && !k && fm->weighted)
        for (size_t i = 0; i < nb * m; i++) acc[i] *= wk;
      if (!rc && k)
        for (size_t i = 0; i < nb * m; i++) acc[i] += wk * yb[i];
    }
    if (rc) break;
    if (fm->n_members > 1 && !fm->weighted) {
      float inv = 1.0f / (float)fm->n_members;
      for (size_t i = 0; i < nb * m; i++) acc[i] *= inv;
    }
    if (scaled) memcpy(scaled + r0 * m, acc, sizeof(float) * nb * m);
    if (natural) {
      memcpy(natural + r0 * m, acc, sizeof(float) * nb * m);
      xf_inverse(&fm->yout, natural + r0 * m, nb);
    }
  }
  free(xb), free(yb), free(acc);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts a for quantile_sorted; NaN (a prediction that is not a number)
 * counts as an infinite error. */
static void sort_errors(double *a, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (isnan(a[i])) a[i] = INFINITY;
  qsort(a, n, sizeof *a, cmp_double);
}

/* Quantile q in [0, 1] of sorted a, with linear interpolation (numpy's
 * default). */
static double quantile_sorted(const double *a, size_t n, double q) {
  if (!n) return NAN;
  double pos = q * (double)(n - 1);
  size_t k = (size_t)pos;
  if (k + 1 >= n) return a[n - 1];
  if (isinf(a[k]) || isinf(a[k + 1])) return a[k + 1];
  return a[k] + (pos - (double)k) * (a[k + 1] - a[k]);
}

int fit_metrics_rows(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                     const float *scaled, const float *natural, fit_metrics *out, double *col_rmse,
                     double *col_median_frac, double *col_p95_frac, mlps_err *e) {
  size_t m = ds->m;
  memset(out, 0, sizeof *out);
  out->n_rows = n;
  float *ys = malloc(sizeof(float) * (n ? n : 1) * m);
  double *frac = malloc(sizeof(double) * (n ? n : 1) * m);
  double *colbuf = malloc(sizeof(double) * (n ? n : 1));
  if (!ys || !frac || !colbuf) {
    free(ys), free(frac), free(colbuf);
    return mlps_errorf(e, MLPS_ERUNTIME, "out of memory computing metrics over %zu rows", n);
  }
  int rc = xf_gather(&fm->yout, ds->Y, rows, n, ys, "targets", e);
  if (rc) {
    free(ys), free(frac), free(colbuf);
    return rc;
  }
  int is_log = fm->yout.ncols && (fm->yout.kind[0] == XF_LOG || fm->yout.kind[0] == XF_LOG10);
  double se = 0, ae = 0, se_nat = 0, chi2 = 0;
  for (size_t i = 0; i < n; i++) {
    const float *yraw = ds->Y + (rows ? rows[i] : i) * m;
    for (size_t j = 0; j < m; j++) {
      double ds_ = (double)scaled[i * m + j] - ys[i * m + j];
      se += ds_ * ds_;
      ae += fabs(ds_);
      double dn = (double)natural[i * m + j] - yraw[j];
      se_nat += dn * dn;
      if (ds->noise) {
        double z = dn / data_noise_sigma(ds->noise, rows ? rows[i] : i, j, m, yraw[j]);
        chi2 += z * z;
      }
      frac[j * n + i] = is_log ? fabs((double)natural[i * m + j] / yraw[j] - 1.0) : NAN;
    }
  }
  double nm = (double)(n * m);
  out->mse = n ? se / nm : NAN;
  out->mae = n ? ae / nm : NAN;
  out->rmse = n ? sqrt(se_nat / nm) : NAN;
  out->median_frac = out->p95_frac = out->p99_frac = out->max_frac = NAN;
  out->chi2 = n && ds->noise ? chi2 / nm : NAN;
  for (size_t j = 0; j < m; j++) {
    if (col_rmse) {
      double s = 0;
      for (size_t i = 0; i < n; i++) {
        double dn = (double)natural[i * m + j] - ds->Y[(rows ? rows[i] : i) * m + j];
        s += dn * dn;
      }
      col_rmse[j] = n ? sqrt(s / (double)n) : NAN;
    }
    double *colq[2] = {col_median_frac, col_p95_frac};
    for (int q = 0; q < 2; q++) {
      if (!colq[q]) continue;
      if (is_log && n) {
        memcpy(colbuf, frac + j * n, sizeof(double) * n);
        sort_errors(colbuf, n);
        colq[q][j] = quantile_sorted(colbuf, n, q ? 0.95 : 0.5);
      } else {
        colq[q][j] = NAN;
      }
    }
  }
  if (is_log && n) {
    sort_errors(frac, n * m);
    out->median_frac = quantile_sorted(frac, n * m, 0.5);
    out->p95_frac = quantile_sorted(frac, n * m, 0.95);
    out->p99_frac = quantile_sorted(frac, n * m, 0.99);
    out->max_frac = frac[n * m - 1];
  }
  free(ys), free(frac), free(colbuf);
  return MLPS_OK;
}

void fit_metrics_search(const fit_metrics *m, double out[METRIC_COUNT]) {
  out[METRIC_VAL_MSE] = m->mse;
  out[METRIC_VAL_MAE] = m->mae;
  out[METRIC_VAL_MEDIAN_FRAC_ERR] = m->median_frac;
  out[METRIC_VAL_P95_FRAC_ERR] = m->p95_frac;
  out[METRIC_VAL_MAX_FRAC_ERR] = m->max_frac;
  out[METRIC_VAL_CHI2] = m->chi2;
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

void fit_input_box(const data_set *ds, const size_t *rows, size_t n, double *lo, double *hi) {
  for (size_t j = 0; j < ds->d; j++) lo[j] = INFINITY, hi[j] = -INFINITY;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < ds->d; j++) {
      double v = ds->X[rows[i] * ds->d + j];
      if (v < lo[j]) lo[j] = v;
      if (v > hi[j]) hi[j] = v;
    }
}

void fit_rows_sort(size_t *rows, size_t n) { qsort(rows, n, sizeof *rows, cmp_size); }

double fit_quantile(double *a, size_t n, double q) {
  sort_errors(a, n);
  return quantile_sorted(a, n, q);
}
