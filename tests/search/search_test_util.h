/* Helpers shared by the search tests: building spaces by hand, the
 * synthetic objectives, and a sequential search loop. */
#ifndef MLPS_SEARCH_TEST_UTIL_H
#define MLPS_SEARCH_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/sampler.h"
#include "search/space.h"

static inline space_param *sp_add(search_space *s, const char *name, space_dist dist) {
  space_param *p = &s->p[s->n++];
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->dist = dist;
  return p;
}

static inline void sp_cat(search_space *s, const char *name, int k) {
  space_param *p = sp_add(s, name, DIST_CATEGORICAL);
  p->n_values = k;
  for (int i = 0; i < k; i++) {
    p->values[i].type = VAL_INT;
    p->values[i].i = i;
    p->values[i].f = i;
  }
}

static inline void sp_const(search_space *s, const char *name, double v) {
  space_param *p = sp_add(s, name, DIST_CONSTANT);
  p->n_values = 1;
  p->values[0].type = VAL_FLOAT;
  p->values[0].f = v;
  p->min = p->max = v;
}

static inline void sp_num(search_space *s, const char *name, space_dist dist, double min,
                          double max, double q, int is_int) {
  space_param *p = sp_add(s, name, dist);
  p->min = min;
  p->max = max;
  p->q = q;
  p->is_int = is_int;
}

/* ---- synthetic objectives (all minimised) ------------------------------- */

typedef struct {
  const char *name;
  void (*space)(search_space *s);
  double (*f)(const double *x);
  double fmin; /* known global minimum */
} objective;

/* Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887 at three points. */
static inline void branin_space(search_space *s) {
  memset(s, 0, sizeof *s);
  sp_num(s, "x1", DIST_UNIFORM, -5, 10, 0, 0);
  sp_num(s, "x2", DIST_UNIFORM, 0, 15, 0, 0);
}
static inline double branin(const double *x) {
  const double pi = 3.14159265358979323846;
  double a = 1, b = 5.1 / (4 * pi * pi), c = 5 / pi, r = 6, ss = 10, t = 1 / (8 * pi);
  double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
  return a * u * u + ss * (1 - t) * cos(x[0]) + ss;
}

/* Hartmann-6 on [0, 1]^6; minimum -3.32237. */
static inline void hartmann6_space(search_space *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < 6; i++) {
    char nm[16];
    snprintf(nm, sizeof nm, "x%d", i + 1);
    sp_num(s, nm, DIST_UNIFORM, 0, 1, 0, 0);
  }
}
static inline double hartmann6(const double *x) {
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                 {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  double y = 0;
  for (int i = 0; i < 4; i++) {
    double e = 0;
    for (int j = 0; j < 6; j++) e += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
    y -= alpha[i] * exp(-e);
  }
  return y;
}

/* A hyperparameter-like mixed space: activation (5 choices), layers (int
 * 1..12), lr (log 1e-5..1e-1), width (log int 16..1024), batch (q_uniform
 * 16..512 step 16), dropout (uniform 0..0.5) and a constant. Minimum 0 at
 * activation 2, layers 4, lr 3e-3, width 128, batch 128, dropout 0.1. */
static inline void mixed_space(search_space *s) {
  memset(s, 0, sizeof *s);
  sp_cat(s, "activation", 5);
  sp_num(s, "layers", DIST_INT_UNIFORM, 1, 12, 0, 1);
  sp_num(s, "lr", DIST_LOG_UNIFORM_VALUES, 1e-5, 1e-1, 0, 0);
  sp_num(s, "width", DIST_LOG_UNIFORM_VALUES, 16, 1024, 0, 1);
  sp_num(s, "batch", DIST_Q_UNIFORM, 16, 512, 16, 1);
  sp_num(s, "dropout", DIST_UNIFORM, 0, 0.5, 0, 0);
  sp_const(s, "weight_decay", 0);
}
static inline double mixed(const double *x) {
  static const double act[5] = {0.8, 0.3, 0.0, 0.5, 1.0};
  int a = (int)x[0];
  double l = (x[1] - 4) / 4, lr = log10(x[2] / 3e-3), w = log2(x[3] / 128) / 3,
         b = log2(x[4] / 128) / 3, d = (x[5] - 0.1) / 0.25;
  return act[a] + l * l + lr * lr + w * w + b * b + d * d;
}

static const objective OBJECTIVES[3] = {
    {"branin", branin_space, branin, 0.397887357729739},
    {"hartmann6", hartmann6_space, hartmann6, -3.32236801141551},
    {"mixed", mixed_space, mixed, 0.0}};

/* Runs n evaluations sequentially (each trial sees all earlier results).
 * best[t] = best value among trials 0..t. Returns 0 or a status. */
static inline int run_search(const objective *obj, sampler_method m, const sampler_options *o,
                             uint64_t seed, int n, double *best) {
  search_space sp;
  obj->space(&sp);
  sampler *s;
  mlps_err err;
  if (sampler_create(&s, m, &sp, seed, o, &err)) {
    fprintf(stderr, "sampler_create: %s\n", err.msg);
    return 1;
  }
  sampler_obs *h = calloc((size_t)n, sizeof *h);
  double b = INFINITY;
  for (int t = 0; t < n; t++) {
    h[t].trial = t;
    if (sampler_suggest(s, t, h, t, NULL, 0, h[t].x, &err)) {
      fprintf(stderr, "sampler_suggest: %s\n", err.msg);
      free(h);
      sampler_free(s);
      return 1;
    }
    h[t].status = SAMPLER_TRIAL_OK;
    h[t].value = obj->f(h[t].x);
    if (h[t].value < b) b = h[t].value;
    best[t] = b;
  }
  free(h);
  sampler_free(s);
  return 0;
}

static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static inline double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#endif
