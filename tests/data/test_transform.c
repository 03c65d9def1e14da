/* Transforms: fit/apply/inverse for every kind and chains, zero-variance and
 * log-domain handling, the HDF5 round trip, and the leakage test: the
 * transform fitted for a fold equals the one fitted on that fold's training
 * rows alone, and changing validation or test rows does not change it. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "data/split.h"
#include "data/transform.h"
#include "test_util.h"
#include "util/rng.h"

#define N 240
#define C 4

static float A[N * C];

static void fill(void) {
  mlps_rng r;
  rng_seed(&r, 11);
  for (size_t i = 0; i < N; i++) {
    A[i * C + 0] = (float)(3.0 + 2.0 * rng_normal(&r));     /* any sign */
    A[i * C + 1] = (float)exp(4.0 * rng_uniform(&r) - 2.0); /* positive, spans decades */
    A[i * C + 2] = (float)(1e4 + 50.0 * rng_uniform(&r));   /* large mean, small spread */
    A[i * C + 3] = (float)pow(10.0, 3.0 * rng_uniform(&r)); /* positive */
  }
}

static void column_stats(const float *a, size_t n, size_t j, double *mean, double *sd, double *mn,
                         double *mx) {
  double s = 0, ss = 0;
  *mn = INFINITY;
  *mx = -INFINITY;
  for (size_t i = 0; i < n; i++) s += a[i * C + j];
  *mean = s / (double)n;
  for (size_t i = 0; i < n; i++) {
    double d = a[i * C + j] - *mean;
    ss += d * d;
    if (a[i * C + j] < *mn) *mn = a[i * C + j];
    if (a[i * C + j] > *mx) *mx = a[i * C + j];
  }
  *sd = sqrt(ss / (double)n);
}

static void kinds(void) {
  xf_set t;
  mlps_err e;
  char warn[512];
  /* per-column chains: none | log,standard | standard | log10,minmax */
  xf_kind none[1] = {XF_NONE}, ls[2] = {XF_LOG, XF_STANDARD}, st[1] = {XF_STANDARD},
          lm[2] = {XF_LOG10, XF_MINMAX};
  xf_init(&t, C, none, 0);
  xf_set_chain(&t, 1, ls, 2);
  xf_set_chain(&t, 2, st, 1);
  xf_set_chain(&t, 3, lm, 2);
  CHECK(xf_fit(&t, A, NULL, N, "inputs", warn, sizeof warn, &e) == MLPS_OK);
  CHECK(warn[0] == '\0');
  float *B = malloc(sizeof A);
  CHECK(xf_gather(&t, A, NULL, N, B, "inputs", &e) == MLPS_OK);
  double mean, sd, mn, mx;
  column_stats(B, N, 0, &mean, &sd, &mn, &mx);
  CHECK(memcmp(B, A, sizeof(float)) == 0); /* none: unchanged */
  column_stats(B, N, 1, &mean, &sd, &mn, &mx);
  /* float32 outputs: mean ~ 0 and std ~ 1 to float32 rounding */
  CHECK_CLOSE(mean, 0.0, 0, 1e-6);
  CHECK_CLOSE(sd, 1.0, 1e-6, 0);
  column_stats(B, N, 2, &mean, &sd, &mn, &mx);
  CHECK_CLOSE(mean, 0.0, 0, 1e-5); /* large mean: the two-pass variance keeps the digits */
  CHECK_CLOSE(sd, 1.0, 1e-5, 0);
  column_stats(B, N, 3, &mean, &sd, &mn, &mx);
  CHECK_CLOSE(mn, 0.0, 0, 1e-7);
  CHECK_CLOSE(mx, 1.0, 1e-7, 0);
  /* inverse recovers the data to float32 precision (a few ulps: exp/log) */
  xf_inverse(&t, B, N);
  for (size_t i = 0; i < N * C; i++) CHECK_CLOSE(B[i], A[i], 4e-6, 0);
  char buf[64];
  CHECK(strcmp(xf_chain_str(&t, 1, buf, sizeof buf), "log,standard") == 0);
  CHECK(strcmp(xf_chain_str(&t, 0, buf, sizeof buf), "none") == 0);

  /* HDF5 round trip (model.h5 carries these) */
  char path[1024];
  const char *tmp = getenv("MLPS_TMP");
  snprintf(path, sizeof path, "%s/data_transform.h5", tmp && tmp[0] ? tmp : "/tmp");
  hid_t f;
  CHECK(h5_create(path, &f, &e) == MLPS_OK);
  CHECK(xf_write_h5(f, "/transforms/targets", &t, &e) == MLPS_OK);
  H5Fclose(f);
  xf_set u;
  CHECK(h5_open_read(path, &f, &e) == MLPS_OK);
  CHECK(xf_read_h5(f, "/transforms/targets", &u, &e) == MLPS_OK);
  CHECK(xf_equal(&t, &u) && u.fitted);
  xf_free(&u);
  CHECK(xf_read_h5(f, "/nope", &u, &e) == MLPS_EINPUT && strstr(e.msg, "not found"));
  H5Fclose(f);
  xf_free(&u);
  xf_free(&t);

  /* log10 then standard on every column: value check against by-hand formula */
  xf_kind l10s[2] = {XF_LOG10, XF_STANDARD};
  xf_init(&t, 1, l10s, 2);
  float v[4] = {1, 10, 100, 1000};
  CHECK(xf_fit(&t, v, NULL, 4, "y", NULL, 0, &e) == MLPS_OK);
  /* log10 -> 0 1 2 3: mean 1.5, population std sqrt(1.25) */
  CHECK_CLOSE(t.shift[1], 1.5, 1e-15, 0);
  CHECK_CLOSE(t.scale[1], sqrt(1.25), 1e-15, 0);
  CHECK_CLOSE(xf_forward1(&t, 0, 1000.0), 1.5 / sqrt(1.25), 1e-12, 0);
  CHECK_CLOSE(xf_inverse1(&t, 0, xf_forward1(&t, 0, 31.0)), 31.0, 1e-12, 0);
  xf_free(&t);

  /* parse chains */
  xf_kind ch[XF_MAX_CHAIN];
  int n;
  CHECK(xf_parse_chain("[log, standard]", ch, &n, &e) == MLPS_OK && n == 2 && ch[0] == XF_LOG &&
        ch[1] == XF_STANDARD);
  CHECK(xf_parse_chain("none", ch, &n, &e) == MLPS_OK && n == 0);
  CHECK(xf_parse_chain("log,stdandard", ch, &n, &e) == MLPS_EINPUT && strstr(e.msg, "stdandard"));
  free(B);
}

static void edge_cases(void) {
  xf_set t;
  mlps_err e;
  char warn[512];
  /* zero variance: scale 1 and a warning naming the column */
  float z[6 * 2] = {1, 5, 2, 5, 3, 5, 4, 5, 5, 5, 6, 5};
  xf_kind st[1] = {XF_STANDARD}, mm[1] = {XF_MINMAX}, lg[1] = {XF_LOG};
  xf_init(&t, 2, st, 1);
  CHECK(xf_fit(&t, z, NULL, 6, "targets", warn, sizeof warn, &e) == MLPS_OK);
  CHECK(t.scale[1 * XF_MAX_CHAIN] == 1.0 && t.shift[1 * XF_MAX_CHAIN] == 5.0);
  CHECK(strstr(warn, "targets: column 1 has zero variance over the 6 training rows") != NULL);
  printf("  warning: %s\n", warn);
  xf_free(&t);
  xf_init(&t, 2, mm, 1);
  CHECK(xf_fit(&t, z, NULL, 6, "targets", warn, sizeof warn, &e) == MLPS_OK);
  CHECK(t.scale[1 * XF_MAX_CHAIN] == 1.0 && strstr(warn, "column 1 has the same value") != NULL);
  xf_free(&t);
  /* log of a non-positive training value: error naming row and column */
  float l[4 * 2] = {1, 2, 3, 4, 5, -2, 7, 8};
  xf_init(&t, 2, lg, 1);
  CHECK(xf_fit(&t, l, NULL, 4, "targets", warn, sizeof warn, &e) == MLPS_EINPUT);
  CHECK(strstr(e.msg, "targets: log transform: value -2 at row 2, column 1 is not positive") !=
        NULL);
  printf("  error: %s\n", e.msg);
  /* fitted on rows 0, 1, 3; applying to row 2 (validation) also names it */
  size_t rows[3] = {0, 1, 3};
  CHECK(xf_fit(&t, l, rows, 3, "targets", warn, sizeof warn, &e) == MLPS_OK);
  float out[2];
  size_t r2 = 2;
  CHECK(xf_gather(&t, l, &r2, 1, out, "targets", &e) == MLPS_EINPUT &&
        strstr(e.msg, "at row 2, column 1"));
  xf_free(&t);
}

/* The leakage test of issue 3. */
static void leakage(void) {
  data_split s;
  mlps_err e;
  CHECK(split_make(N, 5, 0.15, 0, 4, 0.1, &s, &e) == MLPS_OK);
  xf_kind chain[2] = {XF_LOG, XF_STANDARD};
  float *alt = malloc(sizeof A), *own = malloc(sizeof A);
  size_t *train = malloc(N * sizeof *train), *other = malloc(N * sizeof *other);
  for (int f = 0; f < s.k; f++) {
    /* columns 1 and 3 are positive: fit log+standard on them via a 2-column view */
    float two[N * 2];
    for (size_t i = 0; i < N; i++) {
      two[i * 2] = A[i * C + 1];
      two[i * 2 + 1] = A[i * C + 3];
    }
    size_t nt = split_rows(&s, f, SPLIT_TRAIN, train);
    xf_set fold, alone, altered;
    xf_init(&fold, 2, chain, 2);
    xf_init(&alone, 2, chain, 2);
    xf_init(&altered, 2, chain, 2);
    CHECK(xf_fit(&fold, two, train, nt, "t", NULL, 0, &e) == MLPS_OK);
    /* the training rows alone, copied into their own matrix */
    for (size_t i = 0; i < nt; i++) memcpy(own + i * 2, two + train[i] * 2, 2 * sizeof(float));
    CHECK(xf_fit(&alone, own, NULL, nt, "t", NULL, 0, &e) == MLPS_OK);
    CHECK(xf_equal(&fold, &alone));
    /* alter every validation and test row (even to values log rejects) */
    memcpy(alt, two, sizeof two);
    size_t nv = split_rows(&s, f, SPLIT_VAL, other);
    for (size_t i = 0; i < nv; i++) alt[other[i] * 2] = 1e30f, alt[other[i] * 2 + 1] = -5.0f;
    size_t nte = split_rows(&s, f, SPLIT_TEST, other);
    for (size_t i = 0; i < nte; i++) alt[other[i] * 2] = -1.0f, alt[other[i] * 2 + 1] = 1e-30f;
    CHECK(xf_fit(&altered, alt, train, nt, "t", NULL, 0, &e) == MLPS_OK);
    CHECK(xf_equal(&fold, &altered));
    /* and the fold's parameters differ from a fit on all rows (they would leak) */
    xf_set all;
    xf_init(&all, 2, chain, 2);
    xf_fit(&all, two, NULL, N, "t", NULL, 0, &e);
    CHECK(!xf_equal(&fold, &all));
    xf_free(&all);
    xf_free(&fold);
    xf_free(&alone);
    xf_free(&altered);
  }
  free(alt);
  free(own);
  free(train);
  free(other);
  split_free(&s);
}

int main(void) {
  h5_quiet();
  fill();
  kinds();
  edge_cases();
  leakage();
  return TEST_RESULT("data_transform");
}
