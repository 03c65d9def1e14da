/* TPE: beats random search on synthetic objectives (Branin, Hartmann-6, a
 * mixed categorical/integer/log space) over 20 seeds x 60 evaluations;
 * determinism for a fixed seed and history (whatever its order); the
 * constant liar makes concurrent asks distinct; failed trials are bad
 * observations; batch mode ignores results of its own and later
 * generations. No training: objectives are evaluated in-process.
 *
 * Usage: test_search_tpe [--seeds N] [--evals N] [--seed0 S] */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search/sampler.h"
#include "search/tpe.h"
#include "search_test_util.h"
#include "test_util.h"
#include "util/rng.h"

static int n_seeds = 20, n_evals = 60;
static uint64_t seed0 = 1; /* first seed; --seed0 to check the margin's robustness */

/* Distance between two points of a space, in the unit cube: numeric
 * parameters scaled by their (log-)range, categorical: 1 if different. */
static double unit_dist(const search_space *sp, const double *a, const double *b) {
  double s = 0;
  for (int i = 0; i < sp->n; i++) {
    const space_param *p = &sp->p[i];
    double d;
    if (p->dist == DIST_CONSTANT) continue;
    if (p->dist == DIST_CATEGORICAL) d = a[i] != b[i];
    else if (p->dist == DIST_LOG_UNIFORM_VALUES || p->dist == DIST_Q_LOG_UNIFORM_VALUES)
      d = (log(a[i]) - log(b[i])) / (log(p->max) - log(p->min));
    else d = (a[i] - b[i]) / (p->max - p->min);
    s += d * d;
  }
  return sqrt(s);
}

/* Median over seeds of best-of-n_evals regret for TPE and random; also the
 * number of TPE trials needed to match random's best-of-n_evals. */
static void test_beats_random(void) {
  /* The margin: TPE's median regret (best value minus the known minimum)
   * after 60 evaluations must be at most MARGIN[f] times random search's.
   * Measured ratios over six disjoint sets of 20 seeds (--seed0 1, 101,
   * ..., 501): branin 0.09-0.43, hartmann6 0.34-0.62, mixed 0.26-0.46
   * (seeds 1..20, the default: 0.23, 0.43, 0.27). The margins (0.6, 0.75,
   * 0.6) sit above the worst of those, so a mere change of RNG streams does
   * not fail the test, and well below 1, so TPE degrading to random-like
   * behaviour does. Univariate TPE gains least on Hartmann-6, whose optimum
   * couples its six variables. */
  static const double MARGIN[3] = {0.6, 0.75, 0.6};
  double *bt = malloc(sizeof(double) * (size_t)n_evals),
         *br = malloc(sizeof(double) * (size_t)n_evals);
  for (int f = 0; f < 3; f++) {
    const objective *obj = &OBJECTIVES[f];
    double reg_t[64], reg_r[64], reach[64], reg_m[64];
    for (int k = 0; k < n_seeds; k++) {
      uint64_t seed = (uint64_t)k + seed0;
      sampler_options o;
      sampler_options_init(&o);
      o.trials = n_evals;
      CHECK(run_search(obj, SAMPLER_TPE, &o, seed, n_evals, bt) == 0);
      CHECK(run_search(obj, SAMPLER_RANDOM, &o, seed, n_evals, br) == 0);
      reg_t[k] = bt[n_evals - 1] - obj->fmin;
      reg_r[k] = br[n_evals - 1] - obj->fmin;
      /* First trial count at which TPE's best <= random's best-of-n. */
      reach[k] = n_evals + 1;
      for (int t = 0; t < n_evals; t++)
        if (bt[t] <= br[n_evals - 1]) {
          reach[k] = t + 1;
          break;
        }
      o.multivariate = 1;
      CHECK(run_search(obj, SAMPLER_TPE, &o, seed, n_evals, bt) == 0);
      reg_m[k] = bt[n_evals - 1] - obj->fmin;
    }
    double mt = median(reg_t, n_seeds), mr = median(reg_r, n_seeds),
           mreach = median(reach, n_seeds), mm = median(reg_m, n_seeds);
    printf(
        "%-10s median regret after %d evals over %d seeds: tpe %.4g, tpe multivariate %.4g, random "
        "%.4g "
        "(ratio tpe/random %.3f, margin %.2f); tpe reaches random's best-of-%d in %.1f trials "
        "(median)\n",
        obj->name, n_evals, n_seeds, mt, mm, mr, mt / mr, MARGIN[f], n_evals, mreach);
    CHECK(mt <= MARGIN[f] * mr);
    /* Multivariate TPE must also beat random; it is not the default and
     * its measured ratio is looser, so it is held to a ratio below 1. */
    CHECK(mm < mr);
  }
  free(bt);
  free(br);
}

/* Branin history of n trials from random points (values known). */
static sampler_obs *branin_history(int n, uint64_t seed) {
  search_space sp;
  branin_space(&sp);
  sampler *r;
  mlps_err err;
  sampler_options o;
  sampler_options_init(&o);
  if (sampler_create(&r, SAMPLER_RANDOM, &sp, seed, &o, &err)) return NULL;
  sampler_obs *h = calloc((size_t)n + 64, sizeof *h);
  for (int t = 0; t < n; t++) {
    h[t].trial = t;
    sampler_suggest(r, t, NULL, 0, NULL, 0, h[t].x, &err);
    h[t].status = SAMPLER_TRIAL_OK;
    h[t].value = branin(h[t].x);
  }
  sampler_free(r);
  return h;
}

static void test_determinism(void) {
  search_space sp;
  branin_space(&sp);
  int n = 40;
  sampler_obs *h = branin_history(n, 3);
  h[5].status = SAMPLER_TRIAL_FAILED;
  h[9].status = SAMPLER_TRIAL_DIVERGED;
  sampler_obs pend[2];
  pend[0] = h[n - 1];
  pend[0].status = SAMPLER_TRIAL_PENDING;
  pend[1] = h[n - 2];
  pend[1].status = SAMPLER_TRIAL_PENDING;
  for (int mv = 0; mv <= 1; mv++) {
    sampler_options o;
    sampler_options_init(&o);
    o.multivariate = mv;
    sampler *a, *b;
    mlps_err err;
    CHECK(sampler_create(&a, SAMPLER_TPE, &sp, 17, &o, &err) == MLPS_OK);
    CHECK(sampler_create(&b, SAMPLER_TPE, &sp, 17, &o, &err) == MLPS_OK);
    double x1[SPACE_MAX_PARAMS], x2[SPACE_MAX_PARAMS], x3[SPACE_MAX_PARAMS];
    CHECK(sampler_suggest(a, 45, h, n - 2, pend, 2, x1, &err) == MLPS_OK);
    CHECK(sampler_suggest(a, 45, h, n - 2, pend, 2, x2, &err) == MLPS_OK);
    CHECK(memcmp(x1, x2, sizeof(double) * 2) == 0);
    /* Another object, history reversed: the same point. */
    sampler_obs *rev = calloc((size_t)n, sizeof *rev);
    for (int i = 0; i < n - 2; i++) rev[i] = h[n - 3 - i];
    sampler_obs prev[2] = {pend[1], pend[0]};
    CHECK(sampler_suggest(b, 45, rev, n - 2, prev, 2, x3, &err) == MLPS_OK);
    CHECK(memcmp(x1, x3, sizeof(double) * 2) == 0);
    /* Pending passed inside the history with status PENDING: the same. */
    rev[n - 2] = pend[0];
    rev[n - 1] = pend[1];
    CHECK(sampler_suggest(b, 45, rev, n, NULL, 0, x3, &err) == MLPS_OK);
    CHECK(memcmp(x1, x3, sizeof(double) * 2) == 0);
    /* Another trial index: another point. */
    CHECK(sampler_suggest(a, 46, h, n - 2, pend, 2, x3, &err) == MLPS_OK);
    CHECK(memcmp(x1, x3, sizeof(double) * 2) != 0);
    free(rev);
    sampler_free(a);
    sampler_free(b);
  }
  free(h);
}

/* Near-identical as the sampler defines it (sampler.h): every categorical
 * choice equal and every numeric coordinate within 1% of its range (log
 * range for log parameters). */
static int near_identical(const search_space *sp, const double *a, const double *b) {
  for (int i = 0; i < sp->n; i++) {
    const space_param *p = &sp->p[i];
    if (p->dist == DIST_CONSTANT) continue;
    if (p->dist == DIST_CATEGORICAL) {
      if (a[i] != b[i]) return 0;
      continue;
    }
    int lg = p->dist == DIST_LOG_UNIFORM_VALUES || p->dist == DIST_Q_LOG_UNIFORM_VALUES;
    double d = lg ? fabs(log(a[i]) - log(b[i])) / (log(p->max) - log(p->min))
                  : fabs(a[i] - b[i]) / (p->max - p->min);
    if (d > 0.01) return 0;
  }
  return 1;
}

/* 16 workers ask one after another while all earlier asks still run:
 * 20 finished trials, then trials 20..35, the ask of trial 20 + i seeing
 * trials 20..20+i-1 as pending. With the constant liar no two of the 16
 * points may be near-identical (nor equal), for every objective, 5 seeds,
 * univariate and multivariate. Without the liar near-duplicates do occur
 * (printed for comparison, not checked). */
static void test_liar(void) {
  for (int f = 0; f < 3; f++) {
    const objective *obj = &OBJECTIVES[f];
    search_space sp;
    obj->space(&sp);
    int n0 = 20;
    double min_d[2] = {INFINITY, INFINITY};
    int dups[2] = {0, 0};
    for (int mv = 0; mv <= 1; mv++)
      for (uint64_t seed = 1; seed <= 5; seed++)
        for (int liar = 0; liar <= 1; liar++) {
          sampler_options o;
          sampler_options_init(&o);
          o.constant_liar = liar;
          o.multivariate = mv;
          sampler *s;
          mlps_err err;
          CHECK(sampler_create(&s, SAMPLER_TPE, &sp, seed, &o, &err) == MLPS_OK);
          sampler_obs h[40];
          memset(h, 0, sizeof h);
          for (int t = 0; t < n0; t++) {
            h[t].trial = t;
            CHECK(sampler_suggest(s, t, h, t, NULL, 0, h[t].x, &err) == MLPS_OK);
            h[t].value = obj->f(h[t].x);
          }
          sampler_obs pend[16];
          for (int i = 0; i < 16; i++) {
            pend[i].trial = n0 + i;
            pend[i].status = SAMPLER_TRIAL_PENDING;
            CHECK(sampler_suggest(s, n0 + i, h, n0, pend, i, pend[i].x, &err) == MLPS_OK);
          }
          for (int i = 0; i < 16; i++)
            for (int j = i + 1; j < 16; j++) {
              double d = unit_dist(&sp, pend[i].x, pend[j].x);
              if (d < min_d[liar]) min_d[liar] = d;
              dups[liar] += near_identical(&sp, pend[i].x, pend[j].x);
            }
          sampler_free(s);
        }
    printf(
        "%-10s 16 asks with up to 15 pending (5 seeds, uni+multivariate): near-identical pairs %d "
        "with the liar, "
        "%d without; smallest distance (unit cube) %.4f with, %.4f without\n",
        obj->name, dups[1], dups[0], min_d[1], min_d[0]);
    CHECK(dups[1] == 0);
    CHECK(min_d[1] > 0);
  }
}

/* The Parzen estimators against hand-computed Optuna (3.x/4.x
 * _ParzenEstimator) bandwidths: distance to the farther neighbour among the
 * sorted observations + prior mean with the domain edges outside; end
 * kernels use their inner neighbour unless consider_endpoints; clipped to
 * [range / min(100, m + 2), range]; prior at the middle with bandwidth range;
 * integer domains extended by half a step; log domains in log space;
 * multivariate bandwidth 0.2 m^(-1/(d+4)) range. Exact up to rounding. */
static void check_kernels(const char *what, int nk, int want_nk, const double *mu,
                          const double *sig, const double *w, const double (*want)[3]) {
  CHECK(nk == want_nk);
  if (nk != want_nk) {
    fprintf(stderr, "%s: %d kernels, expected %d\n", what, nk, want_nk);
    return;
  }
  for (int k = 0; k < nk; k++) {
    CHECK_CLOSE(mu[k], want[k][0], 1e-12, 1e-12);
    CHECK_CLOSE(sig[k], want[k][1], 1e-12, 1e-12);
    CHECK_CLOSE(w[k], want[k][2], 1e-12, 1e-12);
  }
}

static void test_estimator(void) {
  search_space sp;
  sampler_options o;
  sampler *s;
  mlps_err err;
  double mu[16], sig[16], w[16], ones[16];
  for (int i = 0; i < 16; i++) ones[i] = 1;

  memset(&sp, 0, sizeof sp);
  sp_num(&sp, "u", DIST_UNIFORM, 0, 1, 0, 0);
  sp_num(&sp, "n", DIST_INT_UNIFORM, 1, 5, 0, 1);
  sp_num(&sp, "lr", DIST_LOG_UNIFORM_VALUES, 1e-4, 1e-1, 0, 0);
  sampler_options_init(&o);
  CHECK(sampler_create(&s, SAMPLER_TPE, &sp, 1, &o, &err) == MLPS_OK);
  /* [0, 1], 0.2 0.5 0.9: sorted with the prior mean 0.5 (after the
   * observation 0.5) and the edges: 0 .2 .5 .5 .9 1; min bandwidth 1/5. */
  static const double a[4][3] = {
      {0.2, 0.3, 0.25}, {0.5, 0.3, 0.25}, {0.9, 0.4, 0.25}, {0.5, 1.0, 0.25}};
  check_kernels("uniform",
                tpe_debug_estimator(s, 0, (double[]){0.5, 0.2, 0.9}, ones, 3, mu, sig, w), 4, mu,
                sig, w, a);
  /* Integers 1..5 -> [0.5, 5.5], range 5, prior (3, 5); 2 2 5: the first 2
   * takes its inner neighbour (0) -> clipped to 5/5 = 1, the second
   * max(0, 1) = 1: equal kernels merge (weight 2/4); 5 takes 5 - 3 = 2. */
  static const double b[3][3] = {{2, 1, 0.5}, {5, 2, 0.25}, {3, 5, 0.25}};
  check_kernels("int", tpe_debug_estimator(s, 1, (double[]){2, 2, 5}, ones, 3, mu, sig, w), 3, mu,
                sig, w, b);
  /* log [1e-4, 1e-1]: one observation 1e-3; bandwidth clipped to
   * range / 3 = ln(1000) / 3 = ln 10. */
  static const double c[2][3] = {{-6.907755278982137, 2.302585092994046, 0.5},
                                 {-5.756462732485115, 6.907755278982137, 0.5}};
  check_kernels("log", tpe_debug_estimator(s, 2, (double[]){1e-3}, ones, 1, mu, sig, w), 2, mu, sig,
                w, c);
  /* Weights are the caller's (normalised with the prior's 1.0). */
  static const double a2[4][3] = {
      {0.2, 0.3, 0.2}, {0.5, 0.3, 0.4}, {0.9, 0.4, 0.2}, {0.5, 1.0, 0.2}};
  check_kernels(
      "weights",
      tpe_debug_estimator(s, 0, (double[]){0.5, 0.2, 0.9}, (double[]){2, 1, 1}, 3, mu, sig, w), 4,
      mu, sig, w, a2);
  /* 0.4 0.45: the first kernel's bandwidth is its inner gap 0.05 -> clip
   * 1/4 by default, the gap to the edge 0.4 with consider_endpoints. */
  static const double d0[3][3] = {{0.4, 0.25, 1.0 / 3}, {0.45, 0.25, 1.0 / 3}, {0.5, 1.0, 1.0 / 3}};
  check_kernels("endpoints off",
                tpe_debug_estimator(s, 0, (double[]){0.4, 0.45}, ones, 2, mu, sig, w), 3, mu, sig,
                w, d0);
  sampler_free(s);
  o.consider_endpoints = 1;
  CHECK(sampler_create(&s, SAMPLER_TPE, &sp, 1, &o, &err) == MLPS_OK);
  static const double d1[3][3] = {{0.4, 0.4, 1.0 / 3}, {0.45, 0.25, 1.0 / 3}, {0.5, 1.0, 1.0 / 3}};
  check_kernels("endpoints on",
                tpe_debug_estimator(s, 0, (double[]){0.4, 0.45}, ones, 2, mu, sig, w), 3, mu, sig,
                w, d1);
  sampler_free(s);
  /* Multivariate, 6 parameters, 8 observations: 0.2 * 8^(-1/10) = 0.16245
   * (above the clip 1/10), kept in observation order. */
  hartmann6_space(&sp);
  sampler_options_init(&o);
  o.multivariate = 1;
  CHECK(sampler_create(&s, SAMPLER_TPE, &sp, 1, &o, &err) == MLPS_OK);
  double v8[8] = {0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7};
  int nk = tpe_debug_estimator(s, 0, v8, ones, 8, mu, sig, w);
  CHECK(nk == 9);
  for (int k = 0; k < 8 && nk == 9; k++) {
    CHECK_CLOSE(mu[k], v8[k], 0, 0);
    CHECK_CLOSE(sig[k], 0.2 * pow(8, -0.1), 1e-12, 0);
  }
  CHECK_CLOSE(sig[8], 1.0, 0, 0);
  sampler_free(s);
}

/* Failed trials are bad observations: never good, even with a tempting
 * value, and they repel the search. */
static void test_failed(void) {
  search_space sp;
  memset(&sp, 0, sizeof sp);
  sp_num(&sp, "x", DIST_UNIFORM, 0, 1, 0, 0);
  sampler_options o;
  sampler_options_init(&o);
  sampler *s;
  mlps_err err;
  CHECK(sampler_create(&s, SAMPLER_TPE, &sp, 5, &o, &err) == MLPS_OK);
  /* 30 OK trials on a grid with value = x (best near 0), 10 failed trials
   * near 0.9 carrying a value of -1000 that must be ignored. */
  sampler_obs h[40];
  memset(h, 0, sizeof h);
  for (int i = 0; i < 30; i++) {
    h[i].trial = i;
    h[i].x[0] = (i + 0.5) / 30;
    h[i].status = SAMPLER_TRIAL_OK;
    h[i].value = h[i].x[0];
  }
  for (int i = 30; i < 40; i++) {
    h[i].trial = i;
    h[i].x[0] = 0.88 + 0.004 * (i - 30);
    h[i].status = i % 2 ? SAMPLER_TRIAL_FAILED : SAMPLER_TRIAL_DIVERGED;
    h[i].value = -1000;
  }
  int near_fail = 0, low = 0;
  for (int t = 40; t < 80; t++) {
    double x[SPACE_MAX_PARAMS];
    CHECK(sampler_suggest(s, t, h, 40, NULL, 0, x, &err) == MLPS_OK);
    near_fail += x[0] > 0.8;
    low += x[0] < 0.3;
  }
  printf(
      "failed trials: of 40 asks, %d near the failed region (x > 0.8), %d near the good one (x < "
      "0.3)\n",
      near_fail, low);
  CHECK(near_fail == 0);
  CHECK(low >= 30);

  /* Repulsion: the optimum is at 0.5 (value |x - 0.5|); ten failures sit
   * just left of it in [0.40, 0.45]. Counted as bad, they make the
   * sampler avoid that band, compared with leaving them out. */
  for (int i = 0; i < 30; i++) h[i].value = fabs(h[i].x[0] - 0.5);
  for (int i = 30; i < 40; i++) h[i].x[0] = 0.4 + 0.005 * (i - 30);
  int band_with = 0, band_without = 0;
  for (int t = 40; t < 240; t++) {
    double x[SPACE_MAX_PARAMS];
    CHECK(sampler_suggest(s, t, h, 40, NULL, 0, x, &err) == MLPS_OK);
    band_with += x[0] >= 0.4 && x[0] <= 0.45;
    CHECK(sampler_suggest(s, t, h, 30, NULL, 0, x, &err) == MLPS_OK);
    band_without += x[0] >= 0.4 && x[0] <= 0.45;
  }
  printf(
      "failures in [0.40, 0.45] next to the optimum 0.5: %d of 200 asks land there, %d when the "
      "failures are "
      "left out\n",
      band_with, band_without);
  CHECK(band_with * 2 <= band_without);
  sampler_free(s);
}

/* Random spaces, histories and options: every suggestion is inside the
 * domain and repeatable; nothing crashes (ASan/UBSan run this too). */
static int in_domain(const search_space *sp, const double *x) {
  for (int i = 0; i < sp->n; i++) {
    const space_param *p = &sp->p[i];
    double v = x[i];
    if (p->dist == DIST_CONSTANT) {
      if (v != 0) return 0;
    } else if (p->dist == DIST_CATEGORICAL) {
      if (v != floor(v) || v < 0 || v >= p->n_values) return 0;
    } else {
      if (!(v >= p->min && v <= p->max)) return 0;
      if (p->is_int && v != floor(v)) return 0;
      if (p->q > 0 && fabs(v / p->q - nearbyint(v / p->q)) > 1e-9) return 0;
    }
  }
  return 1;
}

static void test_fuzz(void) {
  mlps_rng r;
  rng_seed(&r, 99);
  int bad = 0, nondet = 0, calls = 0;
  for (int iter = 0; iter < 60; iter++) {
    search_space sp;
    memset(&sp, 0, sizeof sp);
    int np = 1 + (int)rng_below(&r, 10);
    for (int i = 0; i < np; i++) {
      char nm[16];
      snprintf(nm, sizeof nm, "p%d", i);
      int kind = (int)rng_below(&r, 8);
      double a = rng_uniform(&r) * 10, b = a + rng_uniform(&r) * 100;
      switch (kind) {
        case 0: sp_cat(&sp, nm, 1 + (int)rng_below(&r, 12)); break;
        case 1: sp_const(&sp, nm, a); break;
        case 2:
          sp_num(&sp, nm, DIST_INT_UNIFORM, floor(a), floor(a) + (double)rng_below(&r, 30), 0, 1);
          break;
        case 3: sp_num(&sp, nm, DIST_UNIFORM, a, b, 0, 0); break;
        case 4: sp_num(&sp, nm, DIST_Q_UNIFORM, a, b + 5, 0.5 + (double)rng_below(&r, 4), 0); break;
        case 5: sp_num(&sp, nm, DIST_LOG_UNIFORM_VALUES, a + 1e-3, b + 1, 0, 0); break;
        case 6: sp_num(&sp, nm, DIST_LOG_UNIFORM_VALUES, 1 + floor(a), 2 + floor(b), 0, 1); break;
        default:
          sp_num(&sp, nm, DIST_Q_LOG_UNIFORM_VALUES, a + 0.01, b + 3,
                 0.25 * (1 + (double)rng_below(&r, 4)), 0);
      }
    }
    sampler_options o;
    sampler_options_init(&o);
    o.multivariate = (int)rng_below(&r, 2);
    o.batch = (int)rng_below(&r, 3) * 3;
    o.consider_endpoints = (int)rng_below(&r, 2);
    o.startup_trials = (int)rng_below(&r, 6);
    o.ei_candidates = 1 + (int)rng_below(&r, 40);
    o.gamma = 0.05 + 0.5 * rng_uniform(&r);
    sampler *s;
    mlps_err err;
    int rc = sampler_create(&s, SAMPLER_TPE, &sp, iter, &o, &err);
    CHECK(rc == MLPS_OK);
    if (rc) {
      fprintf(stderr, "fuzz %d: %s\n", iter, err.msg);
      continue;
    }
    int n = 5 + (int)rng_below(&r, 60);
    sampler_obs *h = calloc((size_t)n, sizeof *h);
    for (int t = 0; t < n; t++) {
      h[t].trial = t;
      /* asynchronous: the last few still run; batch: wait for generations */
      int pend = o.batch == 0 ? (t > 2 ? (int)rng_below(&r, 3) : 0) : 0;
      sampler_obs *pp = h + t - pend;
      if (sampler_ready(s, t, h, t - pend) != SAMPLER_READY) pend = 0, pp = NULL;
      if (sampler_ready(s, t, h, t) != SAMPLER_READY) {
        bad++;
        break;
      }
      for (int i = 0; i < pend; i++) pp[i].status = SAMPLER_TRIAL_PENDING;
      double x2[SPACE_MAX_PARAMS];
      int rc1 = sampler_suggest(s, t, h, t - pend, pp, pend, h[t].x, &err);
      int rc2 = sampler_suggest(s, t, h, t - pend, pp, pend, x2, &err);
      calls++;
      for (int i = 0; i < pend; i++) pp[i].status = SAMPLER_TRIAL_OK;
      if (rc1 || rc2) {
        fprintf(stderr, "fuzz %d trial %d: %s\n", iter, t, err.msg);
        bad++;
        break;
      }
      nondet += memcmp(h[t].x, x2, sizeof(double) * (size_t)sp.n) != 0;
      if (!in_domain(&sp, h[t].x)) {
        fprintf(stderr, "fuzz %d trial %d: point outside the domain\n", iter, t);
        bad++;
      }
      uint64_t st = rng_below(&r, 10);
      h[t].status = st == 0   ? SAMPLER_TRIAL_FAILED
                    : st == 1 ? SAMPLER_TRIAL_DIVERGED
                              : SAMPLER_TRIAL_OK;
      h[t].value = st == 2 ? NAN : rng_uniform(&r);
    }
    free(h);
    sampler_free(s);
  }
  printf(
      "fuzz: %d suggestions over 60 random spaces/options, %d outside the domain or failing, %d "
      "not repeatable\n",
      calls, bad, nondet);
  CHECK(bad == 0);
  CHECK(nondet == 0);
}

static void test_batch(void) {
  search_space sp;
  mixed_space(&sp);
  sampler_options o;
  sampler_options_init(&o);
  o.batch = 4; /* startup 10: generation 0 = trials 10..13, 1 = 14..17, ... */
  sampler *s;
  mlps_err err;
  CHECK(sampler_create(&s, SAMPLER_TPE, &sp, 31, &o, &err) == MLPS_OK);
  CHECK(sampler_generation(s, 9) == -1);
  CHECK(sampler_generation(s, 10) == 0);
  CHECK(sampler_generation(s, 17) == 1);
  CHECK(sampler_required_trials(s, 17) == 14);
  CHECK(sampler_required_trials(s, 5) == 0);
  /* A full history of 30 trials computed in order. */
  sampler_obs h[30];
  memset(h, 0, sizeof h);
  for (int t = 0; t < 30; t++) {
    h[t].trial = t;
    CHECK(sampler_ready(s, t, h, t) == SAMPLER_READY);
    CHECK(sampler_suggest(s, t, h, t, NULL, 0, h[t].x, &err) == MLPS_OK);
    h[t].value = mixed(h[t].x);
    h[t].status = t % 7 == 3 ? SAMPLER_TRIAL_FAILED : SAMPLER_TRIAL_OK;
  }
  /* Readiness of trial 17 (needs 0..13): missing 12 -> wait. */
  sampler_obs hm[30];
  int nm = 0;
  for (int t = 0; t < 14; t++)
    if (t != 12) hm[nm++] = h[t];
  CHECK(sampler_ready(s, 17, hm, nm) == SAMPLER_WAIT);
  double x[SPACE_MAX_PARAMS];
  CHECK(sampler_suggest(s, 17, hm, nm, NULL, 0, x, &err) == MLPS_EINPUT);
  hm[nm] = h[12];
  hm[nm].status = SAMPLER_TRIAL_PENDING; /* still running: not enough */
  CHECK(sampler_ready(s, 17, hm, nm + 1) == SAMPLER_WAIT);
  CHECK(sampler_ready(s, 17, h, 14) == SAMPLER_READY);
  /* The suggestion for every trial of generations 0..3 is the same with
   * exactly the earlier generations' results, with everything (own and
   * later generations included), and with pending trials passed. */
  for (int t = 10; t < 26; t++) {
    int need = sampler_required_trials(s, t);
    double a[SPACE_MAX_PARAMS], b[SPACE_MAX_PARAMS], c[SPACE_MAX_PARAMS];
    CHECK(sampler_suggest(s, t, h, need, NULL, 0, a, &err) == MLPS_OK);
    CHECK(sampler_suggest(s, t, h, 30, NULL, 0, b, &err) == MLPS_OK);
    CHECK(sampler_suggest(s, t, h, need, h + need, 30 - need, c, &err) == MLPS_OK);
    CHECK(memcmp(a, h[t].x, sizeof(double) * (size_t)sp.n) == 0);
    CHECK(memcmp(a, b, sizeof(double) * (size_t)sp.n) == 0);
    CHECK(memcmp(a, c, sizeof(double) * (size_t)sp.n) == 0);
  }
  /* Trials of one generation differ from each other. */
  CHECK(memcmp(h[14].x, h[15].x, sizeof(double) * (size_t)sp.n) != 0);
  sampler_free(s);
}

/* Pruned trials (Optuna's order): with at least n_good OK trials they are
 * bad, exactly as failed ones; with fewer they fill the good set further
 * pruned first, then by value: the same split as OK trials whose values
 * follow that order. */
static void test_pruned(void) {
  search_space sp;
  branin_space(&sp);
  int n = 30;
  sampler_options o;
  sampler_options_init(&o);
  o.startup_trials = 5;
  sampler *s;
  mlps_err err;
  CHECK(sampler_create(&s, SAMPLER_TPE, &sp, 23, &o, &err) == MLPS_OK);
  double xa[SPACE_MAX_PARAMS], xb[SPACE_MAX_PARAMS];
  /* 10 OK trials >= n_good 3: pruned = failed */
  sampler_obs *h = branin_history(n, 4), *g = branin_history(n, 4);
  for (int t = 10; t < n; t++) {
    h[t].status = SAMPLER_TRIAL_PRUNED, h[t].value = 0.001 * t, h[t].step = t % 3 + 1;
    g[t].status = SAMPLER_TRIAL_FAILED;
  }
  CHECK(sampler_suggest(s, n, h, n, NULL, 0, xa, &err) == MLPS_OK);
  CHECK(sampler_suggest(s, n, g, n, NULL, 0, xb, &err) == MLPS_OK);
  CHECK(memcmp(xa, xb, sizeof(double) * (size_t)sp.n) == 0);
  /* no OK trial: pruned ones ranked by (step desc, value) = OK values in that order */
  for (int t = 0; t < n; t++) {
    h[t].status = SAMPLER_TRIAL_PRUNED;
    h[t].step = 1 + (t * 7) % 4;
    h[t].value = branin(h[t].x);
    g[t].status = SAMPLER_TRIAL_OK;
    g[t].value = (4 - h[t].step) * 1000.0 + h[t].value;
  }
  CHECK(sampler_suggest(s, n, h, n, NULL, 0, xa, &err) == MLPS_OK);
  CHECK(sampler_suggest(s, n, g, n, NULL, 0, xb, &err) == MLPS_OK);
  CHECK(memcmp(xa, xb, sizeof(double) * (size_t)sp.n) == 0);
  /* ... and not the same as taking the values alone */
  for (int t = 0; t < n; t++) g[t].value = h[t].value;
  CHECK(sampler_suggest(s, n, g, n, NULL, 0, xb, &err) == MLPS_OK);
  CHECK(memcmp(xa, xb, sizeof(double) * (size_t)sp.n) != 0);
  free(h);
  free(g);
  sampler_free(s);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--seeds")) n_seeds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--evals")) n_evals = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seed0")) seed0 = strtoull(argv[++i], NULL, 10);
  }
  if (n_seeds < 1 || n_seeds > 64 || n_evals < 12) {
    fprintf(stderr, "usage: test_search_tpe [--seeds 1..64] [--evals >= 12]\n");
    return 2;
  }
  test_estimator();
  test_determinism();
  test_liar();
  test_failed();
  test_pruned();
  test_batch();
  test_fuzz();
  test_beats_random();
  return TEST_RESULT("search_tpe");
}
