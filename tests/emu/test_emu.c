/* libmlpsweep_emu against the run that wrote the model (driven by emu.sh):
 *   test_emu MODEL TEST_PRED PRED V1_MODEL V1_PRED TMPDIR
 * MODEL: model.h5 (format 2, ensemble of 2, target chain [log, standard]);
 * TEST_PRED: the run's test_predictions.h5; PRED: `mlpsweep predict MODEL
 * TEST_PRED`; V1_MODEL, V1_PRED: a format-1 model and the format-1 code's
 * `mlpsweep predict` output on a few rows (tests/emu/data). Links only the
 * library, HDF5 (to read the reference files) and pthreads. */
#include <hdf5.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlpsweep_emu.h"
#include "test_util.h"

/* Whole dataset as double; dims[0..1] (dims[1] = 1 for 1-D). */
static double *read_ds(const char *path, const char *name, size_t dims[2]) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT), s = H5Dget_space(d);
  hsize_t hd[2] = {1, 1};
  H5Sget_simple_extent_dims(s, hd, NULL);
  dims[0] = hd[0], dims[1] = H5Sget_simple_extent_ndims(s) == 2 ? hd[1] : 1;
  double *v = malloc(sizeof(double) * dims[0] * dims[1]);
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Sclose(s), H5Dclose(d), H5Fclose(f);
  return v;
}

typedef struct {
  const mlps_emu *u;
  size_t n, d, m;
  const double *x;
  double *y;
  int reps;
} job;

static void *predict_thread(void *arg) {
  job *j = arg;
  for (int r = 0; r < j->reps; r++) {
    /* one row at a time, as an MCMC walker calls it */
    for (size_t i = 0; i < j->n; i++) mlps_emu_predict(j->u, 1, j->x + i * j->d, j->y + i * j->m);
  }
  return NULL;
}

/* Copy of src with root attribute format_version set to v. */
static void copy_with_version(const char *src, const char *dst, long long v) {
  FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
  char buf[65536];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, k, b);
  fclose(a), fclose(b);
  hid_t f = H5Fopen(dst, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t at = H5Aopen(f, "format_version", H5P_DEFAULT);
  H5Awrite(at, H5T_NATIVE_LLONG, &v);
  H5Aclose(at), H5Fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: test_emu MODEL TEST_PRED PRED V1_MODEL V1_PRED TMPDIR\n");
    return 2;
  }
  char err[1024];
  mlps_emu *u = mlps_emu_open(argv[1], err, sizeof err);
  CHECK(u != NULL);
  if (!u) return fprintf(stderr, "%s\n", err), 1;
  mlps_emu *uf = mlps_emu_open_flags(argv[1], MLPS_EMU_UNFOLDED, err, sizeof err);
  CHECK(uf != NULL);
  size_t d = mlps_emu_n_inputs(u), m = mlps_emu_n_outputs(u), K = mlps_emu_n_members(u);
  CHECK(mlps_emu_format_version(u) == 2);
  CHECK(K == 2);
  CHECK(strcmp(mlps_emu_input_name(u, 0), "Gamma1") == 0);
  CHECK(mlps_emu_input_name(u, d) == NULL);

  /* 1. every test row: the library (float64) equals the run's float32
   * predictions to float32 rounding: a few layers of float32 sums carry
   * ~1e-6 relative error into the log space, exp keeps it relative, so
   * rtol 1e-5; and `mlpsweep predict` writes the library's value rounded to
   * float32, so that is equal to half a float32 ulp (rtol 6e-8). */
  size_t dx[2], dy[2], dp[2], dyt[2];
  double *X = read_ds(argv[2], "X", dx), *Yp = read_ds(argv[2], "Y_pred", dy);
  double *Yt = read_ds(argv[2], "Y", dyt), *P = read_ds(argv[3], "Y", dp);
  size_t n = dx[0];
  CHECK(dx[1] == d && dy[1] == m && dp[0] == n && dp[1] == m);
  double *y = malloc(sizeof(double) * n * m), *yu = malloc(sizeof(double) * n * m);
  int rc = mlps_emu_predict(u, n, X, y);
  CHECK(rc >= 0);
  CHECK(mlps_emu_predict(uf, n, X, yu) == rc);
  double worst = 0, worst_unf = 0;
  for (size_t i = 0; i < n * m; i++) {
    CHECK_CLOSE(y[i], Yp[i], 1e-5, 0);
    CHECK_CLOSE(y[i], P[i], 6e-8, 0);
    worst = fmax(worst, fabs(y[i] / Yp[i] - 1));
    worst_unf = fmax(worst_unf, fabs(y[i] / yu[i] - 1));
    /* folding is exact up to float64 rounding */
    CHECK_CLOSE(y[i], yu[i], 1e-12, 0);
  }
  printf("test_emu: %zu rows x %zu: max |lib/run - 1| %.3g, max |folded/unfolded - 1| %.3g\n", n, m,
         worst, worst_unf);

  /* 1b. every kernel this CPU can run (capped by the flags) predicts the same
   * up to float64 rounding: they differ in summation order and FMAs only */
  static const unsigned kflags[2] = {MLPS_EMU_BASELINE, MLPS_EMU_NO_AVX512};
  const char *kern = mlps_emu_kernel(u);
  CHECK(kern && (!strcmp(kern, "avx512") || !strcmp(kern, "avx2") || !strcmp(kern, "baseline")));
  for (int f = 0; f < 2; f++) {
    mlps_emu *uk = mlps_emu_open_flags(argv[1], kflags[f], err, sizeof err);
    CHECK(uk != NULL);
    if (!uk) continue;
    const char *kk = mlps_emu_kernel(uk);
    CHECK(f == 0 ? !strcmp(kk, "baseline") : strcmp(kk, "avx512") != 0);
    double worst_k = 0;
    CHECK(mlps_emu_predict(uk, n, X, yu) == rc);
    for (size_t i = 0; i < n * m; i++) {
      CHECK_CLOSE(yu[i], y[i], 1e-12, 0);
      worst_k = fmax(worst_k, fabs(yu[i] / y[i] - 1));
    }
    printf("test_emu: kernel %s against %s: max |rel diff| %.3g\n", kk, kern, worst_k);
    mlps_emu_close(uk);
  }

  /* 2. the training box and out-of-box counting */
  double lo[64], hi[64];
  CHECK(mlps_emu_bounds(u, lo, hi) == 0);
  double xb[4 * 64];
  for (size_t j = 0; j < d; j++) {
    CHECK(lo[j] < hi[j]);
    for (int r = 0; r < 4; r++) xb[r * d + j] = 0.5 * (lo[j] + hi[j]);
  }
  double *yb = malloc(sizeof(double) * 4 * m);
  CHECK(mlps_emu_predict(u, 4, xb, yb) == 0);
  xb[0 * d + 0] = lo[0]; /* the edge is inside */
  xb[1 * d + d - 1] = hi[d - 1] + 1e-9 * (1 + fabs(hi[d - 1]));
  xb[2 * d + 0] = lo[0] - 1;
  xb[2 * d + 1] = hi[1] + 1; /* two coordinates out: one row */
  CHECK(mlps_emu_predict(u, 4, xb, yb) == 2);
  xb[3 * d + 0] = NAN;
  CHECK(mlps_emu_predict(u, 4, xb, yb) == 3);
  CHECK(isfinite(yb[2 * m])); /* still predicted outside */

  /* 3. members: the mean is taken in the scaled space, so for a
   * [log, standard] chain log y = mean_k log y_k; and they differ */
  double *ym = malloc(sizeof(double) * n * K * m);
  CHECK(mlps_emu_predict_members(u, n, X, ym) == rc);
  double spread = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < m; j++) {
      double a = ym[(i * K + 0) * m + j], b = ym[(i * K + 1) * m + j];
      CHECK_CLOSE(log(y[i * m + j]), 0.5 * (log(a) + log(b)), 1e-12, 1e-12);
      spread = fmax(spread, fabs(a / b - 1));
    }
  CHECK(spread > 1e-4);
  printf("test_emu: largest member disagreement %.3g\n", spread);

  /* 4. the error model: mean and covariance of y_pred / y - 1 on the test rows */
  double *fm = malloc(sizeof(double) * m), *fc = malloc(sizeof(double) * m * m);
  CHECK(mlps_emu_error_model(u, fm, fc) == 0);
  for (size_t j = 0; j < m; j++) {
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += Yp[i * m + j] / Yt[i * m + j] - 1;
    for (size_t i = 0; i < n; i++) {
      double r = Yp[i * m + j] / Yt[i * m + j] - 1 - s / n;
      ss += r * r;
    }
    CHECK_CLOSE(fm[j], s / n, 1e-9, 1e-12);
    CHECK_CLOSE(fc[j * m + j], ss / (n - 1), 1e-9, 1e-15);
    CHECK(fc[j * m + (m - 1 - j)] == fc[(m - 1 - j) * m + j]);
  }

  /* 5. threads: 4 threads predicting all rows one at a time at once equal
   * the single-threaded batch, bit for bit */
  enum { NT = 4 };
  pthread_t th[NT];
  job jobs[NT];
  for (int t = 0; t < NT; t++) {
    jobs[t] = (job){u, n, d, m, X, malloc(sizeof(double) * n * m), 20};
    pthread_create(&th[t], NULL, predict_thread, &jobs[t]);
  }
  for (int t = 0; t < NT; t++) {
    pthread_join(th[t], NULL);
    CHECK(memcmp(jobs[t].y, y, sizeof(double) * n * m) == 0);
    free(jobs[t].y);
  }

  /* 6. a format-1 file: loads, predicts what the format-1 code predicted
   * (float32 path: rtol 1e-5 as above), has names x0.., no box, no error model */
  mlps_emu *v1 = mlps_emu_open(argv[4], err, sizeof err);
  CHECK(v1 != NULL);
  if (v1) {
    size_t d1[2], p1[2];
    double *X1 = read_ds(argv[5], "X", d1), *Y1 = read_ds(argv[5], "Y", p1);
    CHECK(mlps_emu_format_version(v1) == 1);
    CHECK(strcmp(mlps_emu_input_name(v1, 1), "x1") == 0);
    CHECK(mlps_emu_bounds(v1, lo, hi) < 0);
    CHECK(mlps_emu_error_model(v1, NULL, NULL) < 0);
    double *y1 = malloc(sizeof(double) * p1[0] * p1[1]);
    CHECK(mlps_emu_n_outputs(v1) == p1[1] && mlps_emu_n_inputs(v1) == d1[1]);
    CHECK(mlps_emu_predict(v1, d1[0], X1, y1) == 0);
    for (size_t i = 0; i < p1[0] * p1[1]; i++) CHECK_CLOSE(y1[i], Y1[i], 1e-5, 0);
    free(X1), free(Y1), free(y1);
    mlps_emu_close(v1);
  } else {
    fprintf(stderr, "%s\n", err);
  }

  /* 7. open errors: NULL and a message naming the problem */
  char path[4096];
  snprintf(path, sizeof path, "%s/missing.h5", argv[6]);
  CHECK(mlps_emu_open(path, err, sizeof err) == NULL);
  CHECK(strstr(err, "not found") != NULL);
  CHECK(mlps_emu_open(argv[2], err, sizeof err) == NULL); /* test predictions: not a model */
  CHECK(strstr(err, "not an mlpsweep model") != NULL);
  snprintf(path, sizeof path, "%s/v99.h5", argv[6]);
  copy_with_version(argv[4], path, 99);
  CHECK(mlps_emu_open(path, err, sizeof err) == NULL);
  CHECK(strstr(err, "version 99 is not supported") != NULL);
  char tiny[8];
  CHECK(mlps_emu_open(path, tiny, sizeof tiny) == NULL && strlen(tiny) == 7);
  CHECK(mlps_emu_predict(NULL, 1, X, y) < 0);
  CHECK(mlps_emu_predict(u, 1, NULL, y) < 0);

  free(X), free(Yp), free(Yt), free(P), free(y), free(yu), free(yb), free(ym), free(fm), free(fc);
  mlps_emu_close(u);
  mlps_emu_close(uf);
  return TEST_RESULT("test_emu");
}
