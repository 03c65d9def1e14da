/* The targets' noise (data.noise) and the metrics and weights built on it:
 *   - a gaussian sigma dataset per value or per output is loaded, follows
 *     the target column selection, and each bad one (missing, wrong shape,
 *     zero, NaN) is an input error naming file, dataset, row and column;
 *     poisson sigma is sqrt(max(y T, min_counts)) / T and refuses negative
 *     targets;
 *   - fit_metrics_rows on a hand-computed case: median, p95, p99 and max of
 *     |fractional error| and chi2;
 *   - the chi2 loss weights 1 / (sigma f'(y))^2 of a [log, standard] target
 *     transform equal (y scale / sigma)^2, and xf_deriv1 is the derivative of
 *     the forward transform (central difference). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "data/h5.h"
#include "data/transform.h"
#include "test_util.h"
#include "workflow/fit.h"

static char path[1024];

static void write_file(void) {
  const char *t = getenv("MLPS_TMP");
  snprintf(path, sizeof path, "%s/data_noise.h5", t ? t : "/tmp");
  mlps_err e = {0};
  hid_t f;
  CHECK(h5_create(path, &f, &e) == MLPS_OK);
  float X[4] = {0, 1, 2, 3};
  float Y[12] = {1, 2, 3, 4, 5, 6, 10, 20, 30, 0.001f, 8, 9};
  float Yneg[12] = {1, 2, 3, 4, 5, 6, 10, -20, 30, 2, 8, 9};
  float S[12] = {.1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f, .9f, 1, 1.1f, 1.2f};
  float Szero[12] = {.1f, .2f, .3f, .4f, .5f, .6f, .7f, 0, .9f, 1, 1.1f, 1.2f};
  float Snan[12] = {.1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f, .9f, 1, NAN, 1.2f};
  float S1[3] = {.5f, .25f, .125f};
  float Sneg1[3] = {.5f, -.25f, .125f};
  CHECK(h5_write_f32(f, "X", X, 4, 1, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "Y", Y, 4, 3, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "Yneg", Yneg, 4, 3, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "S", S, 4, 3, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "Szero", Szero, 4, 3, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "Snan", Snan, 4, 3, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "S1", S1, 3, 0, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "Sneg1", Sneg1, 3, 0, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "Sbad", S, 4, 2, 0, &e) == MLPS_OK); /* wrong shape */
  CHECK(h5_close_file(f, path, MLPS_OK, &e) == MLPS_OK);
}

/* Loads with the given noise; returns the status, the message in msg. */
static int load(data_set *ds, noise_model model, const char *sigma, double exposure,
                const char *targets, const char *cols, char *msg) {
  data_spec s = {0};
  s.path = path;
  s.targets = targets;
  s.target_columns = cols;
  s.noise.model = model;
  s.noise.exposure = exposure;
  s.noise.min_counts = 1;
  snprintf(s.noise.sigma, sizeof s.noise.sigma, "%s", sigma ? sigma : "");
  mlps_err e = {0};
  int rc = data_load(&s, ds, &e);
  snprintf(msg, 1024, "%.1000s", e.msg);
  return rc;
}

/* The error of a bad sigma names what it must. */
static void check_bad(const char *sigma, const char *targets, noise_model model,
                      const char *const *frags) {
  data_set ds;
  char msg[1024];
  CHECK(load(&ds, model, sigma, 100, targets, NULL, msg) == MLPS_EINPUT);
  CHECK(ds.X == NULL && ds.noise == NULL); /* left empty */
  for (int i = 0; frags[i]; i++)
    if (!strstr(msg, frags[i])) {
      fprintf(stderr, "  message for '%s' lacks '%s': %s\n", sigma, frags[i], msg);
      t_failures++;
    }
}

static void test_load(void) {
  data_set ds;
  char msg[1024];
  /* per value */
  CHECK(load(&ds, NOISE_GAUSSIAN, "S", 0, NULL, NULL, msg) == MLPS_OK);
  CHECK(ds.noise && ds.noise->per_row == 1);
  if (ds.noise) {
    CHECK(data_noise_sigma(ds.noise, 2, 1, 3, 20.0) == (double).8f);
    CHECK(data_noise_sigma(ds.noise, 3, 0, 3, 8.0) == 1.0);
  }
  data_free(&ds);
  /* per value, with a target column selection: sigma follows it */
  CHECK(load(&ds, NOISE_GAUSSIAN, "S", 0, NULL, "0,2", msg) == MLPS_OK);
  CHECK(ds.m == 2 && ds.noise);
  if (ds.noise) CHECK(data_noise_sigma(ds.noise, 1, 1, 2, 6.0) == (double).6f);
  data_free(&ds);
  /* per output */
  CHECK(load(&ds, NOISE_GAUSSIAN, "S1", 0, NULL, "1:", msg) == MLPS_OK);
  CHECK(ds.noise && ds.noise->per_row == 0);
  if (ds.noise) {
    CHECK(data_noise_sigma(ds.noise, 3, 0, 2, 9.0) == .25);
    CHECK(data_noise_sigma(ds.noise, 0, 1, 2, 3.0) == .125);
  }
  data_free(&ds);
  /* poisson: sigma = sqrt(max(y T, 1)) / T, T = 100 */
  CHECK(load(&ds, NOISE_POISSON, NULL, 100, NULL, NULL, msg) == MLPS_OK);
  if (ds.noise) {
    CHECK_CLOSE(data_noise_sigma(ds.noise, 0, 0, 3, 1.0), 0.1, 1e-15, 0);    /* 100 counts */
    CHECK_CLOSE(data_noise_sigma(ds.noise, 0, 3, 3, 4.0), 0.2, 1e-15, 0);    /* 400 counts */
    CHECK_CLOSE(data_noise_sigma(ds.noise, 3, 0, 3, 0.001), 0.01, 1e-15, 0); /* 0.1 -> 1 */
  }
  data_free(&ds);

  check_bad("nope", NULL, NOISE_GAUSSIAN,
            (const char *const[]){path, "dataset 'nope' not found", "S1", NULL});
  check_bad("Sbad", NULL, NOISE_GAUSSIAN,
            (const char *const[]){path, "'Sbad'", "shape (4, 2)", "expected (4, 3)", "(3)", NULL});
  check_bad("Szero", NULL, NOISE_GAUSSIAN,
            (const char *const[]){path, "'Szero'", "sigma 0 at row 2, column 1", "> 0", NULL});
  check_bad("Snan", NULL, NOISE_GAUSSIAN,
            (const char *const[]){"'Snan': NaN at row 3, column 1", NULL});
  check_bad("Sneg1", NULL, NOISE_GAUSSIAN,
            (const char *const[]){"'Sneg1'", "sigma -0.25 at column 1", NULL});
  check_bad("", "Yneg", NOISE_POISSON,
            (const char *const[]){path, "'Yneg'", "value -20 at row 2, column 1", "poisson", NULL});
  /* the selection is named in the message with the file column */
  CHECK(load(&ds, NOISE_GAUSSIAN, "Szero", 0, NULL, "1:", msg) == MLPS_EINPUT);
  CHECK(strstr(msg, "row 2, column 0 (file column 1)") != NULL);
}

/* Hand-computed metrics on 4 rows x 2 outputs: predictions y (1 + f). */
static void test_metrics(void) {
  const float Y[8] = {1, 2, 4, 5, 10, 20, 2, 8};
  const double f[8] = {.01, -.02, .03, 0, -.05, .10, .04, -.08};
  float nat[8], sc[8];
  for (int i = 0; i < 8; i++) {
    nat[i] = (float)(Y[i] * (1 + f[i]));
    sc[i] = logf(nat[i]);
  }
  data_set ds = {0};
  ds.n = 4, ds.m = 2, ds.d = 0;
  ds.Y = Y;
  const float sig[2] = {.1f, .5f};
  data_noise nz = {0};
  nz.model = NOISE_GAUSSIAN;
  nz.sigma = sig;
  fit_model fm = {0};
  xf_kind lg = XF_LOG;
  xf_init(&fm.yout, 2, &lg, 1);
  mlps_err e = {0};
  CHECK(xf_fit(&fm.yout, Y, NULL, 4, "targets", NULL, 0, &e) == MLPS_OK);
  fit_metrics m;
  CHECK(fit_metrics_rows(&fm, &ds, NULL, 4, sc, nat, &m, NULL, NULL, NULL, &e) == MLPS_OK);
  /* without noise: no chi2 */
  CHECK(isnan(m.chi2));
  /* |f| sorted: 0 .01 .02 .03 .04 .05 .08 .10 (n 8, linear interpolation):
   * median at 3.5 -> .035; p95 at 6.65 -> .08 + .65 * .02 = .093;
   * p99 at 6.93 -> .0986; max .10. Tolerance: float32 predictions, ~1e-7
   * relative on values up to 20. */
  CHECK_CLOSE(m.median_frac, .035, 0, 1e-6);
  CHECK_CLOSE(m.p95_frac, .093, 0, 1e-6);
  CHECK_CLOSE(m.p99_frac, .0986, 0, 1e-6);
  CHECK_CLOSE(m.max_frac, .10, 0, 1e-6);
  /* chi2: residuals y f = (.01, -.04), (.12, 0), (-.5, 2), (.08, -.64);
   * over sigma (.1, .5), squared: .01 + .0064 + 1.44 + 0 + 25 + 16 + .64 +
   * 1.6384 = 44.7348, / 8 values = 5.59185. */
  ds.noise = &nz;
  CHECK(fit_metrics_rows(&fm, &ds, NULL, 4, sc, nat, &m, NULL, NULL, NULL, &e) == MLPS_OK);
  CHECK_CLOSE(m.chi2, 5.59185, 1e-5, 0);
  double sm[METRIC_COUNT];
  fit_metrics_search(&m, sm);
  CHECK(sm[METRIC_VAL_P95_FRAC_ERR] == m.p95_frac && sm[METRIC_VAL_MAX_FRAC_ERR] == m.max_frac &&
        sm[METRIC_VAL_CHI2] == m.chi2 && sm[METRIC_VAL_MEDIAN_FRAC_ERR] == m.median_frac);
  /* a NaN prediction is an infinite error, not a skipped one */
  nat[3] = NAN;
  CHECK(fit_metrics_rows(&fm, &ds, NULL, 4, sc, nat, &m, NULL, NULL, NULL, &e) == MLPS_OK);
  CHECK(isinf(m.max_frac));
  xf_free(&fm.yout);

  /* chi2 weights under [log, standard]: 1 / (sigma f'(y))^2 = (y s / sigma)^2 */
  xf_kind ch[2] = {XF_LOG, XF_STANDARD};
  xf_init(&fm.yout, 2, ch, 2);
  CHECK(xf_fit(&fm.yout, Y, NULL, 4, "targets", NULL, 0, &e) == MLPS_OK);
  float w[8];
  size_t rows[2] = {2, 0};
  CHECK(fit_chi2_weights(&fm, &ds, rows, 2, w, &e) == MLPS_OK);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      double y = Y[rows[i] * 2 + j], s = fm.yout.scale[j * XF_MAX_CHAIN + 1];
      CHECK(s > 0.3 && s < 2); /* a real standardisation, not the identity */
      CHECK_CLOSE(w[i * 2 + j], pow(y * s / sig[j], 2), 1e-6, 0);
      /* the derivative is the forward transform's (central difference) */
      double h = 1e-6 * y;
      double fd = (xf_forward1(&fm.yout, j, y + h) - xf_forward1(&fm.yout, j, y - h)) / (2 * h);
      CHECK_CLOSE(xf_deriv1(&fm.yout, j, y), fd, 1e-6, 0);
    }
  /* log10 too: d log10(y) / dy = 1 / (y ln 10) */
  xf_free(&fm.yout);
  xf_kind l10 = XF_LOG10;
  xf_init(&fm.yout, 2, &l10, 1);
  CHECK_CLOSE(xf_deriv1(&fm.yout, 0, 5.0), 1 / (5.0 * log(10.0)), 1e-12, 0);
  xf_free(&fm.yout);
  /* no noise: the weights cannot be made */
  ds.noise = NULL;
  xf_init(&fm.yout, 2, ch, 2);
  CHECK(fit_chi2_weights(&fm, &ds, rows, 2, w, &e) == MLPS_EINPUT);
  CHECK(strstr(e.msg, "data.noise") != NULL);
  xf_free(&fm.yout);
}

int main(void) {
  h5_library_init();
  write_file();
  test_load();
  test_metrics();
  h5_library_close();
  return TEST_RESULT("data_noise");
}
