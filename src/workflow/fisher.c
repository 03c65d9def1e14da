/* The first-order posterior bias of an emulator's error (see fisher.h).
 *
 * Choices, and why:
 * - J by central differences of the emulator at steps of 1e-3 of each
 *   input's spread over the rows: predictions are float32, so a difference
 *   of about 1e-3 relative keeps 4 digits, and the curvature's error
 *   (step^2) is far below that.
 * - F is inverted by Cholesky in double; a row whose F is not positive
 *   definite (a parameter the targets do not constrain there) gives NaN
 *   rather than a huge number.
 * - Rows go through the network in blocks, so memory stays bounded for any
 *   test set. */
#include "workflow/fisher.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FISHER_BLOCK 256
#define FISHER_STEP 1e-3

/* Cholesky of the d x d matrix a in place (lower triangle); 0 when it is
 * not positive definite. */
static int cholesky(double *a, size_t d) {
  for (size_t j = 0; j < d; j++) {
    double s = a[j * d + j];
    for (size_t k = 0; k < j; k++) s -= a[j * d + k] * a[j * d + k];
    if (!(s > 0) || !isfinite(s)) return 0;
    a[j * d + j] = sqrt(s);
    for (size_t i = j + 1; i < d; i++) {
      double t = a[i * d + j];
      for (size_t k = 0; k < j; k++) t -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = t / a[j * d + j];
    }
  }
  return 1;
}

/* Solves L L^T x = b in place (L from cholesky). */
static void chol_solve(const double *l, size_t d, double *b) {
  for (size_t i = 0; i < d; i++) {
    for (size_t k = 0; k < i; k++) b[i] -= l[i * d + k] * b[k];
    b[i] /= l[i * d + i];
  }
  for (size_t i = d; i-- > 0;) {
    for (size_t k = i + 1; k < d; k++) b[i] -= l[k * d + i] * b[k];
    b[i] /= l[i * d + i];
  }
}

/* The bias of one row: jac (d, m) = d y_pred / d theta, w (m) = 1 / sigma^2,
 * r (m) = y_pred - y; work holds d * d + 2 * d doubles. */
static void row_bias(const double *jac, const double *w, const double *r, size_t d, size_t m,
                     double *work, double *out) {
  double *f = work, *g = work + d * d, *u = g + d;
  for (size_t a = 0; a < d; a++) {
    double s = 0;
    for (size_t j = 0; j < m; j++) s += jac[a * m + j] * w[j] * r[j];
    g[a] = s;
    for (size_t b = 0; b <= a; b++) {
      double t = 0;
      for (size_t j = 0; j < m; j++) t += jac[a * m + j] * w[j] * jac[b * m + j];
      f[a * d + b] = f[b * d + a] = t;
    }
  }
  if (!cholesky(f, d)) {
    for (size_t a = 0; a < d; a++) out[a] = NAN;
    return;
  }
  chol_solve(f, d, g); /* g = F^-1 J^T W r */
  for (size_t a = 0; a < d; a++) {
    memset(u, 0, sizeof(double) * d);
    u[a] = 1;
    chol_solve(f, d, u); /* u = F^-1 e_a: (F^-1)_aa = u[a] */
    out[a] = -g[a] / sqrt(u[a]);
  }
}

int fisher_bias(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                const float *natural, double *bias, mlps_err *e) {
  size_t d = ds->d, m = ds->m;
  if (!ds->noise)
    return mlps_errorf(e, MLPS_EINPUT,
                       "the posterior bias needs the targets' noise: add data.noise to the config");
  double *step = mlps_xmalloc(sizeof(double) * d), *hi = mlps_xmalloc(sizeof(double) * d);
  fit_input_box(ds, rows, n, step, hi);
  for (size_t k = 0; k < d; k++)
    step[k] = n && hi[k] > step[k] ? FISHER_STEP * (hi[k] - step[k]) : 0;
  free(hi);
  size_t per_row = 2 * d; /* x + step_k e_k, x - step_k e_k */
  float *xp = mlps_xmalloc(sizeof(float) * (FISHER_BLOCK * per_row * d + 1));
  float *yp = mlps_xmalloc(sizeof(float) * (FISHER_BLOCK * per_row * m + 1));
  double *jac = mlps_xmalloc(sizeof(double) * (d * m + 1));
  double *w = mlps_xmalloc(sizeof(double) * (m + 1)), *r = mlps_xmalloc(sizeof(double) * (m + 1));
  double *work = mlps_xmalloc(sizeof(double) * (d * d + 2 * d + 1));
  /* inputs without spread are not parameters of the fit */
  size_t *act = mlps_xmalloc(sizeof(size_t) * (d + 1)), da = 0;
  for (size_t k = 0; k < d; k++)
    if (step[k] > 0) act[da++] = k;
  double *one = mlps_xmalloc(sizeof(double) * (d + 1));
  int rc = MLPS_OK;
  for (size_t i0 = 0; i0 < n && !rc; i0 += FISHER_BLOCK) {
    size_t nb = n - i0 < FISHER_BLOCK ? n - i0 : FISHER_BLOCK;
    for (size_t i = 0; i < nb; i++)
      for (size_t p = 0; p < per_row; p++) {
        float *x = xp + (i * per_row + p) * d;
        memcpy(x, ds->X + rows[i0 + i] * d, sizeof(float) * d);
        x[p / 2] += (float)(p % 2 ? -step[p / 2] : step[p / 2]);
      }
    rc = fit_predict_rows(fm, xp, d, NULL, nb * per_row, NULL, yp, e);
    for (size_t i = 0; i < nb && !rc; i++) {
      size_t row = rows[i0 + i];
      const float *y = ds->Y + row * m;
      for (size_t a = 0; a < da; a++) {
        size_t k = act[a], p = i * per_row + 2 * k;
        const float *up = yp + p * m, *dn = up + m;
        /* the step actually taken, after float rounding of x +- step */
        double h = (double)xp[p * d + k] - (double)xp[(p + 1) * d + k];
        for (size_t j = 0; j < m; j++) jac[a * m + j] = ((double)up[j] - (double)dn[j]) / h;
      }
      for (size_t j = 0; j < m; j++) {
        double s = data_noise_sigma(ds->noise, row, j, m, y[j]);
        w[j] = 1.0 / (s * s);
        r[j] = (double)natural[(i0 + i) * m + j] - (double)y[j];
      }
      row_bias(jac, w, r, da, m, work, one);
      for (size_t k = 0; k < d; k++) bias[(i0 + i) * d + k] = NAN;
      for (size_t a = 0; a < da; a++) bias[(i0 + i) * d + act[a]] = one[a];
    }
  }
  free(act), free(one);
  free(step), free(xp), free(yp), free(jac), free(w), free(r), free(work);
  return rc;
}

size_t fisher_row_worst(const double *bias, size_t n, size_t d, const unsigned char *keep,
                        double *out) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    double w = NAN;
    for (size_t j = 0; j < d; j++) {
      double v = fabs(bias[i * d + j]);
      if (!isnan(v) && !(v <= w)) w = v;
    }
    if (!isnan(w) && (!keep || keep[i])) out[k++] = w; /* out[k] is read before: k <= i */
  }
  return k;
}

int fisher_bias_quantiles(const fit_model *fm, const data_set *ds, const size_t *rows, size_t n,
                          const float *natural, double *median, double *p95, mlps_err *e) {
  double *b = mlps_xmalloc(sizeof(double) * (n * ds->d + 1));
  int rc = fisher_bias(fm, ds, rows, n, natural, b, e), finite = 1;
  for (size_t i = 0; i < n * ds->m; i++) finite &= isfinite(natural[i]) != 0;
  size_t na = fisher_row_worst(b, n, ds->d, NULL, b);
  *median = *p95 = NAN;
  if (!rc && finite) *median = fit_quantile(b, na, 0.5), *p95 = fit_quantile(b, na, 0.95);
  free(b);
  return rc;
}
