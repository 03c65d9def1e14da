/* Internals shared by the sampler files (sampler.c, sobol.c, tpe.c): the
 * sampler struct and each parameter's domain in the "internal" coordinates
 * the samplers work in. Not for use outside src/search/. */
#ifndef MLPS_SAMPLER_IMPL_H
#define MLPS_SAMPLER_IMPL_H

#include "search/sampler.h"
#include "util/rng.h"

/* Purposes for rng_derive, so the streams of different uses never meet. */
enum {
  SPURP_RANDOM = 1,
  SPURP_LHS_PERM = 2,
  SPURP_LHS_JITTER = 3,
  SPURP_SOBOL_SHIFT = 4,
  SPURP_TPE = 5,
  SPURP_TPE_MV = 6
};

typedef enum { SDIM_CAT, SDIM_NUM } sdim_kind;

/* One non-constant parameter. Numeric parameters live on an internal line
 * t in [lo, hi]: log(value) for log distributions, the value otherwise.
 * Discrete non-log parameters (integers, q multiples) have step > 0 and
 * [lo, hi] extended by step/2 on each side, so each value owns a cell of
 * width step; log-discrete ones (log-int, q_log) are continuous in log
 * space and rounded afterwards (Optuna's rule). */
typedef struct {
  int param;          /* index in the space */
  sdim_kind kind;
  int n_choices;      /* categorical */
  int log;            /* t = log(value) */
  double lo, hi;      /* internal domain */
  double step;        /* > 0: discrete on the internal line (non-log) */
  double q;           /* > 0: values are vlo + k q (k integer) after the inverse map */
  double vlo, vhi;    /* value range for clamping */
  int is_int;         /* values are integers */
} sdim;

struct sampler {
  sampler_method method;
  uint64_t seed;     /* user seed */
  uint64_t base;     /* root of every stream of this sampler */
  sampler_options opt;
  uint64_t grid_size;
  int nd;            /* non-constant parameters */
  double x0[SPACE_MAX_PARAMS]; /* start of every point: constants (index 0) and
                                  numeric ranges with min == max (the value) */
  sdim dim[SPACE_MAX_PARAMS];
  uint32_t sobol_shift[SPACE_MAX_PARAMS];
  search_space space;
};

/* Value of dimension d at internal coordinate t (rounded and clamped). */
double sdim_value(const sdim *d, double t);
/* Internal coordinate of a value (clamped into [lo, hi]). */
double sdim_internal(const sdim *d, double v);
/* Row k of the Latin hypercube design of n rows, in the unit cube. */
void sampler_lhs_unit(const sampler *s, long n, long k, double *u);

int tpe_suggest(const sampler *s, int trial, const sampler_obs *history, int n_history,
                const sampler_obs *pending, int n_pending, double *x, mlps_err *err);

/* Tests: the numeric Parzen estimator TPE builds for dimension j (index
 * among the non-constant parameters) from m observed values with weights w
 * (as the sampler's options say: univariate or multivariate). Writes the
 * kernels (observations sorted and merged when univariate, then the prior)
 * as internal-coordinate centres, bandwidths and normalised weights into
 * arrays of m + 1; returns the number of kernels, or -1. */
int tpe_debug_estimator(const sampler *s, int j, const double *values, const double *w, int m, double *mu,
                        double *sig, double *weight);

#endif
