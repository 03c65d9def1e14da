/* Dimension conversions: one non-constant parameter of the search space as
 * a dimension of the samplers, and the maps between its three coordinates:
 * the unit interval [0, 1) (LHS, Sobol, random), the "internal" line TPE's
 * kernels live on, and the parameter's value. Used by the sampler front
 * (sampler.c) and by TPE (tpe.c); uses nothing else in search/ but space.h.
 * The value rules are the table at the top of sampler.h. */
#ifndef MLPS_SDIM_H
#define MLPS_SDIM_H

#include "search/space.h"
#include "util/err.h"

typedef enum { SDIM_CAT, SDIM_NUM } sdim_kind;

/* One non-constant parameter. Numeric parameters live on an internal line
 * t in [lo, hi]: log(value) for log distributions, the value otherwise.
 * Discrete non-log parameters (integers, q multiples) have step > 0 and
 * [lo, hi] extended by step/2 on each side, so each value owns a cell of
 * width step; log-discrete ones (log-int, q_log) are continuous in log
 * space and rounded afterwards (Optuna's rule). Categorical parameters:
 * t in [0, n_choices), the choice is floor(t). */
typedef struct {
  int param; /* index in the space */
  sdim_kind kind;
  int n_choices;   /* categorical */
  int log;         /* t = log(value) */
  double lo, hi;   /* internal domain */
  double step;     /* > 0: discrete on the internal line (non-log) */
  double q;        /* > 0: values are vlo + k q (k integer) after the inverse map */
  double vlo, vhi; /* value range for clamping */
  int is_int;      /* values are integers */
} sdim;

/* Fills d for parameter p, index i of the space (not a constant, not a
 * one-value continuous range: the front keeps those out of the cube).
 * Returns MLPS_OK, or MLPS_EINPUT with err naming the parameter and the fix. */
int sdim_init(sdim *d, const space_param *p, int i, mlps_err *err);

/* Value of dimension d at internal coordinate t (rounded and clamped). */
double sdim_value(const sdim *d, double t);
/* Internal coordinate of a value (clamped into [lo, hi]). */
double sdim_internal(const sdim *d, double v);
/* Value at unit coordinate u (clamped into [0, 1)): the internal domain
 * scaled linearly, then sdim_value. */
double sdim_unit_value(const sdim *d, double u);

#endif
