/* The first-order posterior bias (workflow/fisher.h) on a case with a known
 * answer: the "true model" is the emulator itself with its first input
 * shifted by delta, y(theta) = f(theta + delta e0), so fitting true data
 * with the emulator finds theta0 + delta e0 exactly:
 *   - the bias of input 0 is +delta / sigma_0 (sigma_0 from a Fisher matrix
 *     built here independently: another step, an explicit 3 x 3 inverse),
 *     and the other inputs' biases vanish (to first order in delta);
 *   - it is linear in delta and scales as 1 / sigma of the noise;
 *   - an input without spread is no parameter (NaN), the others still
 *     come out; without data.noise it is an input error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "test_util.h"
#include "util/rng.h"
#include "workflow/fisher.h"
#include "workflow/fit.h"

#define N 48
#define D 3
#define M 8

static fit_model fm;
static float X[N * D], Y[N * M], P[N * M];
static float sig[M];
static data_noise nz;
static data_set ds;
static size_t rows[N];

/* f(X + shift e0) for every row into out. */
static void predict_shifted(double shift, float *out) {
  static float xs[N * D];
  memcpy(xs, X, sizeof xs);
  for (size_t i = 0; i < N; i++) xs[i * D] += (float)shift;
  mlps_err e = {0};
  CHECK(fit_predict_rows(&fm, xs, D, NULL, N, NULL, out, &e) == MLPS_OK);
}

/* sigma_0 = sqrt((F^-1)_00) of row i, F from central differences with step
 * h in every input, inverted by cofactors. */
static double sigma0(size_t i, double h, double noise_scale) {
  static float xs[2 * D * D], ys[2 * D * M];
  for (int p = 0; p < 2 * D; p++) {
    memcpy(xs + p * D, X + i * D, sizeof(float) * D);
    xs[p * D + p / 2] += (float)(p % 2 ? -h : h);
  }
  mlps_err e = {0};
  CHECK(fit_predict_rows(&fm, xs, D, NULL, 2 * D, NULL, ys, &e) == MLPS_OK);
  double J[D][M], F[D][D];
  for (int k = 0; k < D; k++)
    for (int j = 0; j < M; j++)
      J[k][j] = ((double)ys[2 * k * M + j] - ys[(2 * k + 1) * M + j]) /
                ((double)xs[2 * k * D + k] - xs[(2 * k + 1) * D + k]);
  for (int a = 0; a < D; a++)
    for (int b = 0; b < D; b++) {
      F[a][b] = 0;
      for (int j = 0; j < M; j++) {
        double s = sig[j] * noise_scale;
        F[a][b] += J[a][j] * J[b][j] / (s * s);
      }
    }
  double det = F[0][0] * (F[1][1] * F[2][2] - F[1][2] * F[2][1]) -
               F[0][1] * (F[1][0] * F[2][2] - F[1][2] * F[2][0]) +
               F[0][2] * (F[1][0] * F[2][1] - F[1][1] * F[2][0]);
  return sqrt((F[1][1] * F[2][2] - F[1][2] * F[2][1]) / det);
}

static void setup(void) {
  mlps_rng r;
  rng_seed(&r, 7);
  for (size_t i = 0; i < N * D; i++) X[i] = (float)rng_uniform(&r);
  for (size_t i = 0; i < N; i++) rows[i] = i;
  int widths[3] = {D, 16, M};
  mlp_arch a;
  mlps_err e = {0};
  CHECK(mlp_arch_make(&a, widths, 3, ACT_TANH, &e) == MLPS_OK);
  mlp *net = mlp_create(&a, &e);
  CHECK(net != NULL);
  for (size_t k = 0; k < net->n_params; k++) net->params[k] = (float)(0.8 * rng_normal(&r));
  xf_init(&fm.xin, D, NULL, 0);
  xf_init(&fm.yout, M, NULL, 0);
  fm.xin.fitted = fm.yout.fitted = 1;
  fm.member[fm.n_members++] = net;
  for (int j = 0; j < M; j++) sig[j] = 0.01f * (float)(1 + j);
  nz.model = NOISE_GAUSSIAN;
  nz.per_row = 0;
  nz.sigma = sig;
  ds.X = X, ds.Y = Y, ds.n = N, ds.d = D, ds.m = M;
  ds.noise = &nz;
  predict_shifted(0, P); /* the emulator's predictions */
}

static void bias_at(double delta, double *bias) {
  predict_shifted(delta, Y); /* the true model's targets */
  mlps_err e = {0};
  CHECK(fisher_bias(&fm, &ds, rows, N, P, bias, &e) == MLPS_OK);
}

static void test_known_shift(void) {
  static double b1[N * D], b2[N * D], b3[N * D];
  const double delta = 2e-3;
  bias_at(delta, b1);
  bias_at(2 * delta, b2);
  int bad = 0;
  for (size_t i = 0; i < N; i++) {
    double want = delta / sigma0(i, 3e-3, 1.0);
    if (!(fabs(b1[i * D] - want) <= 0.02 * want))
      bad++, fprintf(stderr, "row %zu: bias %.6g, want %.6g\n", i, b1[i * D], want);
    for (int k = 1; k < D; k++)
      if (!(fabs(b1[i * D + k]) <= 0.02 * b1[i * D]))
        bad++, fprintf(stderr, "row %zu input %d: %.3g\n", i, k, b1[i * D + k]);
    if (!(fabs(b2[i * D] - 2 * b1[i * D]) <= 0.02 * b1[i * D])) bad++;
  }
  CHECK(bad == 0);
  /* noise twice as large: the bias in sigma halves, exactly as F scales */
  for (int j = 0; j < M; j++) sig[j] *= 2;
  bias_at(delta, b3);
  for (size_t i = 0; i < N * D; i++) CHECK_CLOSE(b3[i], 0.5 * b1[i], 1e-9, 1e-12);
  for (int j = 0; j < M; j++) sig[j] /= 2;
}

static void test_degenerate(void) {
  static double b[N * D];
  static float saved[N];
  for (size_t i = 0; i < N; i++) saved[i] = X[i * D + 2], X[i * D + 2] = 0.5f; /* no spread */
  bias_at(1e-3, b);
  for (size_t i = 0; i < N; i++) {
    CHECK(isnan(b[i * D + 2]));
    CHECK(isfinite(b[i * D]) && isfinite(b[i * D + 1]));
  }
  for (size_t i = 0; i < N; i++) X[i * D + 2] = saved[i];
  ds.noise = NULL;
  mlps_err e = {0};
  CHECK(fisher_bias(&fm, &ds, rows, N, P, b, &e) == MLPS_EINPUT);
  CHECK(strstr(e.msg, "data.noise") != NULL);
  ds.noise = &nz;
}

int main(void) {
  setup();
  test_known_shift();
  test_degenerate();
  fit_model_free(&fm);
  return TEST_RESULT("workflow_fisher");
}
