/* The learning curve (final.learning_curve): how the test error of the best
 * configuration falls with the number of training rows, to tell whether
 * more simulations would pay. Point i trains on the first
 * ceil(fraction_i * n_pool) rows of one seeded permutation of
 * train+validation, so the subsets are nested and never hold a test row;
 * each point is a final-stage job (final.c). Here, on rank 0: each point
 * on the test rows, OUT/learning_curve.csv, OUT/learning_curve.h5 (the rows
 * of every subset, so they can be checked), the power-law fit
 * err = a n^-b and the n it extrapolates for final.target_error. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "util/fmt.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/rng.h"
#include "workflow/fit.h"
#include "workflow/workflow.h"

size_t lcurve_subset(const mlps_config *cfg, const data_split *sp, int i, size_t *rows) {
  size_t npool = split_count(sp, 0, SPLIT_POOL);
  split_rows(sp, 0, SPLIT_POOL, rows);
  mlps_rng r;
  rng_seed(&r, rng_derive(cfg->seed, RUN_LCURVE_PURPOSE, 0, 0)); /* one permutation: nested */
  rng_shuffle_size(&r, rows, npool);
  size_t n = (size_t)ceil(cfg->final.learning_curve[i] * (double)npool);
  if (n < 2) n = 2; /* a training row and a holdout row */
  if (n > npool) n = npool;
  fit_rows_sort(rows, n);
  return n;
}

/* err = a n^-b by least squares in log-log over the points with a finite
 * positive error; 0 when fewer than two. */
typedef struct {
  int ok;
  double a, b, n_target; /* n_target: NaN without a target, inf when b <= 0 */
} power_fit;

static power_fit fit_power(const double *n, const double *err, int k, double target) {
  power_fit f = {0, NAN, NAN, NAN};
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int m = 0;
  for (int i = 0; i < k; i++) {
    if (!(err[i] > 0) || !isfinite(err[i])) continue;
    double x = log(n[i]), y = log(err[i]);
    sx += x, sy += y, sxx += x * x, sxy += x * y, m++;
  }
  double den = m * sxx - sx * sx;
  if (m < 2 || den <= 0) return f;
  double slope = (m * sxy - sx * sy) / den;
  f.ok = 1;
  f.b = -slope;
  f.a = exp((sy - slope * sx) / m);
  if (target > 0) f.n_target = f.b > 0 ? pow(f.a / target, 1.0 / f.b) : INFINITY;
  return f;
}

static void json_fit(json_writer *w, const char *key, const power_fit *f) {
  json_key(w, key);
  json_obj_begin(w);
  json_key(w, "a"), json_num(w, f->a);
  json_key(w, "b"), json_num(w, f->b);
  json_key(w, "n_target"), json_num(w, isinf(f->n_target) ? NAN : f->n_target);
  json_obj_end(w);
}

/* The rows of every subset (subset/K, sorted) and the test rows. */
static int write_rows(const char *path, const mlps_config *cfg, const data_split *sp, int k,
                      const size_t *te, size_t nte, mlps_err *e) {
  hid_t fid;
  MLPS_TRY(h5_create(path, &fid, e));
  size_t npool = split_count(sp, 0, SPLIT_POOL);
  size_t *rows = mlps_xmalloc(sizeof(size_t) * (npool + 1));
  int64_t *v = mlps_xmalloc(sizeof(int64_t) * (npool + nte + 1));
  int rc = h5_attr_str(fid, ".", "format", "mlpsweep-learning-curve", e);
  for (int i = 0; !rc && i < k; i++) {
    size_t n = lcurve_subset(cfg, sp, i, rows);
    for (size_t r = 0; r < n; r++) v[r] = (int64_t)rows[r];
    char name[32];
    snprintf(name, sizeof name, "subset/%d", i);
    rc = h5_write_i64(fid, name, v, n, 0, e);
    if (!rc) rc = h5_attr_f64(fid, name, "fraction", &cfg->final.learning_curve[i], 1, e);
  }
  for (size_t r = 0; r < nte; r++) v[r] = (int64_t)te[r];
  if (!rc) rc = h5_write_i64(fid, "test_rows", v, nte, 0, e);
  free(rows), free(v);
  if (rc) mlps_err_prefix(e, "cannot write %s", path);
  return h5_close_file(fid, path, rc, e);
}

int lcurve_write(const mlps_config *cfg, const data_set *ds, const data_split *sp,
                 const mlp_arch *arch, const final_jobs *fj, const final_results *fr,
                 const size_t *te, size_t nte, float *scaled, float *natural, json_writer *w,
                 mlps_err *e) {
  int k = fj->n_lcurve;
  size_t npool = split_count(sp, 0, SPLIT_POOL);
  size_t *rows = mlps_xmalloc(sizeof(size_t) * (npool + 1));
  double *n = mlps_xcalloc((size_t)k * 4, sizeof(double));
  double *med = n + k, *p95 = med + k, *rmse = p95 + k;
  int rc = MLPS_OK;
  for (int i = 0; !rc && i < k; i++) { /* as final.c trained it: transforms on the subset */
    size_t ns = lcurve_subset(cfg, sp, i, rows);
    fit_model fm = {0};
    fit_metrics mt;
    rc = fit_transforms(cfg, ds, rows, ns, &fm, NULL, 0, e);
    mlp *net = rc ? NULL : mlp_create(arch, e);
    if (!rc && !net) rc = e->code ? e->code : MLPS_ERUNTIME;
    if (!rc) {
      mlp_set_params(net, fr->params[fj->lcurve0 + i]);
      fm.member[fm.n_members++] = net;
      rc = fit_predict_rows(&fm, ds->X, ds->d, te, nte, scaled, natural, e);
    }
    if (!rc) rc = fit_metrics_rows(&fm, ds, te, nte, scaled, natural, &mt, NULL, NULL, NULL, e);
    if (!rc) n[i] = (double)ns, med[i] = mt.median_frac, p95[i] = mt.p95_frac, rmse[i] = mt.rmse;
    fit_model_free(&fm);
  }
  char path[MLPS_PATH_MAX];
  if (!rc) rc = path_join(path, sizeof path, cfg->output.dir, "learning_curve.h5", e);
  if (!rc) rc = write_rows(path, cfg, sp, k, te, nte, e);
  sbuf csv = {0};
  sbuf_printf(&csv, "n,fraction,test_median_frac_err,test_p95_frac_err,test_rmse,epochs,seconds\n");
  for (int i = 0; i < k; i++) {
    char b[4][FMT_DOUBLE_SIZE];
    sbuf_printf(&csv, "%.0f,%s,%s,%s,%s,%d,%.3f\n", n[i],
                fmt_double(b[0], cfg->final.learning_curve[i]), fmt_double(b[1], med[i]),
                fmt_double(b[2], p95[i]), fmt_double(b[3], rmse[i]), fr->epochs[fj->lcurve0 + i],
                fr->seconds[fj->lcurve0 + i]);
  }
  if (!rc) rc = path_join(path, sizeof path, cfg->output.dir, "learning_curve.csv", e);
  if (!rc) rc = path_write_text(path, csv.s, e);
  sbuf_free(&csv);
  /* The fits: the median and p95 |fractional error| (positive targets),
   * else the RMSE in data units. */
  int frac = k && !isnan(med[0]);
  double target = cfg->final.target_error;
  power_fit f1 = fit_power(n, frac ? med : rmse, k, target);
  power_fit f2 = fit_power(n, p95, k, target);
  if (!rc) {
    json_key(w, "learning_curve");
    json_obj_begin(w);
    json_key(w, "error"), json_str(w, frac ? "median_frac_err" : "rmse");
    json_key(w, "target_error"), json_num(w, target > 0 ? target : NAN);
    json_key(w, "points");
    json_arr_begin(w);
    for (int i = 0; i < k; i++) {
      json_obj_begin(w);
      json_key(w, "n"), json_int(w, (long long)n[i]);
      json_key(w, "fraction"), json_num(w, cfg->final.learning_curve[i]);
      json_key(w, "median_frac_err"), json_num(w, med[i]);
      json_key(w, "p95_frac_err"), json_num(w, p95[i]);
      json_key(w, "rmse"), json_num(w, rmse[i]);
      json_key(w, "epochs"), json_int(w, fr->epochs[fj->lcurve0 + i]);
      json_key(w, "seconds"), json_num(w, fr->seconds[fj->lcurve0 + i]);
      json_obj_end(w);
    }
    json_arr_end(w);
    json_fit(w, frac ? "fit_median_frac_err" : "fit_rmse", &f1);
    if (frac) json_fit(w, "fit_p95_frac_err", &f2);
    json_obj_end(w);
  }
  if (!rc) {
    const char *what = frac ? "median |fractional error|" : "RMSE";
    double s = frac ? 100 : 1;
    const char *u = frac ? "%" : "";
    for (int i = 0; i < k; i++)
      log_msg(LOG_INFO,
              "mlpsweep: learning curve: n %.0f (%.3g of train+validation): test %s %.4g%s%s", n[i],
              cfg->final.learning_curve[i], what, s * (frac ? med[i] : rmse[i]), u,
              frac ? "" : " (data units)");
    if (frac && f2.ok)
      log_msg(LOG_INFO, "mlpsweep: learning curve: p95 fit %.4g%% x (n / 1000)^-%.3f",
              100 * f2.a * pow(1000.0, -f2.b), f2.b);
    if (f1.ok) {
      log_msg(LOG_INFO, "mlpsweep: learning curve: fit %s = %.4g%s x (n / 1000)^-%.3f", what,
              s * f1.a * pow(1000.0, -f1.b), u, f1.b);
      if (target > 0 && isinf(f1.n_target))
        log_msg(LOG_INFO,
                "mlpsweep: learning curve: the %s does not fall with n here; no n reaches "
                "target_error %g",
                what, target);
      else if (target > 0)
        log_msg(LOG_INFO,
                "mlpsweep: learning curve: target_error %g%s (%s) extrapolates to n ~ %.3g "
                "training rows (have %zu)%s",
                s * target, u, what, f1.n_target, npool, frac && f2.ok ? "" : "");
      if (target > 0 && frac && f2.ok && !isinf(f2.n_target))
        log_msg(LOG_INFO, "mlpsweep: learning curve: the p95 reaches target_error %g%% at n ~ %.3g",
                s * target, f2.n_target);
    } else {
      log_msg(LOG_INFO, "mlpsweep: learning curve: fewer than two usable points, no power-law fit");
    }
  }
  free(rows), free(n);
  return rc;
}
