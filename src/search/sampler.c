/* The sampler front: the public interface (sampler.h), validation, the
 * unit-cube -> domain map, the designs that need no history (grid, random,
 * Latin hypercube, which is also TPE's start-up) and the dispatch to the
 * methods with their own files (sobol.c, tpe.c). Calls go one way: front ->
 * methods -> sdim.c; the methods never call back into this file. */
#include "search/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/sampler_impl.h"
#include "search/sdim.h"
#include "search/sobol.h"
#include "search/tpe.h"
#include "util/rng.h"

const char *const SAMPLER_METHOD_NAMES[SAMPLER_COUNT] = {"grid", "random", "lhs", "sobol", "tpe"};
const char *const SAMPLER_TRIAL_STATUS_NAMES[SAMPLER_TRIAL_STATUS_COUNT] = {
    "ok", "failed", "diverged", "timeout", "pending", "pruned"};
const char *const SAMPLER_READINESS_NAMES[3] = {"ready", "wait", "done"};

void sampler_options_init(sampler_options *o) {
  memset(o, 0, sizeof *o);
  o->trials = 20;
  o->startup_trials = 10;
  o->gamma = 0.1;
  o->gamma_max = 25;
  o->ei_candidates = 24;
  o->prior_weight = 1.0;
  o->multivariate = 0;
  o->batch = 0;
  o->constant_liar = 1;
  o->consider_endpoints = 0;
  o->magic_clip = 1;
  o->sobol_scramble = 1;
}

/* ---- the unit cube -------------------------------------------------------- */

void sampler_map_unit(const sampler *s, const double *u, double *x) {
  for (int i = 0; i < s->space.n; i++) x[i] = s->x0[i];
  for (int j = 0; j < s->nd; j++) x[s->dim[j].param] = sdim_unit_value(&s->dim[j], u[j]);
}

int sampler_dims(const sampler *s) { return s->nd; }

long sampler_budget(const sampler *s) {
  if (s->method == SAMPLER_GRID)
    return (uint64_t)s->opt.trials < s->grid_size ? s->opt.trials : (long)s->grid_size;
  return s->opt.trials;
}

/* ---- create ------------------------------------------------------------- */

int sampler_create(sampler **out, sampler_method method, const search_space *space, uint64_t seed,
                   const sampler_options *opt, mlps_err *err) {
  *out = NULL;
  if ((int)method < 0 || method >= SAMPLER_COUNT)
    return mlps_errorf(err, MLPS_EINPUT, "unknown search method %d", (int)method);
  if (space->n < 0 || space->n > SPACE_MAX_PARAMS)
    return mlps_errorf(err, MLPS_EINPUT, "search space has %d parameters; at most %d", space->n,
                       SPACE_MAX_PARAMS);
  sampler_options o;
  if (opt) o = *opt;
  else sampler_options_init(&o);
  if (o.trials < 1)
    return mlps_errorf(err, MLPS_EINPUT, "search.trials is %ld; it must be at least 1", o.trials);
  if (method == SAMPLER_TPE) {
    if (o.startup_trials < 0)
      return mlps_errorf(err, MLPS_EINPUT, "search.startup_trials is %d; it must be >= 0",
                         o.startup_trials);
    if (!(o.gamma > 0 && o.gamma <= 1))
      return mlps_errorf(err, MLPS_EINPUT, "search.gamma is %g; it must be in (0, 1]", o.gamma);
    if (o.gamma_max < 1)
      return mlps_errorf(err, MLPS_EINPUT, "search.gamma_max is %d; it must be >= 1", o.gamma_max);
    if (o.ei_candidates < 1)
      return mlps_errorf(err, MLPS_EINPUT, "search.ei_candidates is %d; it must be >= 1",
                         o.ei_candidates);
    if (!(o.prior_weight > 0) || !isfinite(o.prior_weight))
      return mlps_errorf(err, MLPS_EINPUT, "search.prior_weight is %g; it must be > 0",
                         o.prior_weight);
    if (o.batch < 0)
      return mlps_errorf(err, MLPS_EINPUT, "search.batch is %d; it must be >= 0 (0 = asynchronous)",
                         o.batch);
  }
  sampler *s = calloc(1, sizeof *s);
  if (!s)
    return mlps_errorf(err, MLPS_ERUNTIME, "out of memory allocating a sampler (%zu bytes)",
                       sizeof *s);
  s->method = method;
  s->seed = seed;
  /* A root no task seed can equal: sweep derives task seeds as
   * rng_derive(seed, trial, fold, 0), and trial never reaches 2^64 - 1. */
  s->base = rng_derive(seed, UINT64_MAX, UINT64_MAX - (uint64_t)method, 0x53414d504c4552ULL);
  s->opt = o;
  s->space = *space;
  s->grid_size = space_grid_size(space);
  for (int i = 0; i < space->n; i++) {
    const space_param *p = &space->p[i];
    if (p->dist == DIST_CONSTANT) continue;
    if (p->dist != DIST_CATEGORICAL && p->min == p->max && isfinite(p->min) &&
        (p->dist == DIST_UNIFORM || p->dist == DIST_LOG_UNIFORM_VALUES) && !p->is_int &&
        method != SAMPLER_GRID) {
      /* A one-value continuous range: no dimension, just the value. */
      if (p->dist == DIST_LOG_UNIFORM_VALUES && !(p->min > 0)) {
        mlps_errorf(err, MLPS_EINPUT, "parameter %s: %s needs min > 0, got %g", p->name,
                    SPACE_DIST_NAMES[p->dist], p->min);
        free(s);
        return MLPS_EINPUT;
      }
      s->x0[i] = p->min;
      continue;
    }
    if (method == SAMPLER_GRID && p->dist != DIST_CATEGORICAL) {
      mlps_errorf(err, MLPS_EINPUT,
                  "parameter %s: grid search needs every parameter to be categorical or constant, "
                  "but it is %s; "
                  "list its values (values: [...]) or use method random, lhs, sobol or tpe",
                  p->name, SPACE_DIST_NAMES[p->dist]);
      free(s);
      return MLPS_EINPUT;
    }
    int rc = sdim_init(&s->dim[s->nd], p, i, err);
    if (rc) {
      free(s);
      return rc;
    }
    s->nd++;
  }
  if (method == SAMPLER_SOBOL && s->nd > SOBOL_DIMS) {
    int nd = s->nd;
    free(s);
    return mlps_errorf(err, MLPS_EINPUT,
                       "sobol supports at most %d free parameters, the space has %d", SOBOL_DIMS,
                       nd);
  }
  for (int j = 0; j < s->nd; j++) {
    mlps_rng r;
    rng_seed(&r, rng_derive(s->base, SPURP_SOBOL_SHIFT, (uint64_t)j, 0));
    s->sobol_shift[j] = o.sobol_scramble ? (uint32_t)(rng_next(&r) >> 32) : 0;
  }
  *out = s;
  return MLPS_OK;
}

void sampler_free(sampler *s) { free(s); }

/* ---- the non-adaptive samplers ----------------------------------------- */

static void grid_point(const sampler *s, uint64_t k, double *x) {
  for (int i = s->space.n - 1; i >= 0; i--) {
    const space_param *p = &s->space.p[i];
    if (p->dist != DIST_CATEGORICAL) {
      x[i] = 0;
      continue;
    }
    uint64_t r = (uint64_t)p->n_values;
    x[i] = (double)(k % r);
    k /= r;
  }
}

static void random_unit(const sampler *s, long k, double *u) {
  mlps_rng r;
  rng_seed(&r, rng_derive(s->base, SPURP_RANDOM, (uint64_t)k, 0));
  for (int j = 0; j < s->nd; j++) u[j] = rng_uniform(&r);
}

/* Stratum of row `row` in dimension j of design `block` (n rows): element
 * `row` of a random permutation of 0..n-1. The permutation is regenerated
 * per call (O(n)), which keeps the sampler free of state; n is a trial
 * budget, so this is cheap next to a training run. */
static long lhs_stratum(const sampler *s, long n, long block, long row, int j) {
  mlps_rng r;
  rng_seed(&r, rng_derive(s->base, SPURP_LHS_PERM, (uint64_t)block, (uint64_t)j));
  /* Inside-out Fisher-Yates computing only where `row` ends up would need
   * the whole array anyway; n is small (a trial budget). */
  uint32_t stack_buf[1024];
  uint32_t *a = n <= 1024 ? stack_buf : malloc((size_t)n * sizeof *a);
  if (!a) { /* fall back to a random stratum: still a valid point */
    return (long)rng_below(&r, (uint64_t)n);
  }
  for (long i = 0; i < n; i++) a[i] = (uint32_t)i;
  rng_shuffle_u32(&r, a, (uint64_t)n);
  long st = a[row];
  if (a != stack_buf) free(a);
  return st;
}

/* Row k of the Latin hypercube design of n rows, in the unit cube. */
static void lhs_unit(const sampler *s, long n, long k, double *u) {
  long block = k / n, row = k % n;
  for (int j = 0; j < s->nd; j++) {
    long st = lhs_stratum(s, n, block, row, j);
    mlps_rng r;
    rng_seed(&r, rng_derive(s->base, SPURP_LHS_JITTER, (uint64_t)k, (uint64_t)j));
    u[j] = ((double)st + rng_uniform(&r)) / (double)n;
  }
}

/* ---- readiness and dispatch --------------------------------------------- */

/* TPE's generations start after its startup trials; the others' at 0. */
static int first_generation_trial(const sampler *s) {
  return s->method == SAMPLER_TPE ? s->opt.startup_trials : 0;
}

int sampler_generation(const sampler *s, int trial) {
  if (s->opt.batch < 1 || trial < first_generation_trial(s)) return -1;
  return (trial - first_generation_trial(s)) / s->opt.batch;
}

int sampler_required_trials(const sampler *s, int trial) {
  int g = sampler_generation(s, trial);
  if (g < 0) return 0;
  return first_generation_trial(s) + g * s->opt.batch;
}

sampler_readiness sampler_ready(const sampler *s, int trial, const sampler_obs *history,
                                int n_history) {
  if (s->method == SAMPLER_GRID && !(trial >= 0 && (uint64_t)trial < s->grid_size))
    return SAMPLER_DONE;
  int need = sampler_required_trials(s, trial);
  if (need == 0) return SAMPLER_READY;
  /* Count distinct finished ids below `need`. */
  unsigned char small[4096];
  unsigned char *seen = need <= (int)sizeof small ? small : calloc((size_t)need, 1);
  if (!seen) return SAMPLER_WAIT;
  memset(seen, 0, need <= (int)sizeof small ? (size_t)need : 0);
  int have = 0;
  for (int i = 0; i < n_history; i++) {
    int t = history[i].trial;
    if (history[i].status == SAMPLER_TRIAL_PENDING || t < 0 || t >= need || seen[t]) continue;
    seen[t] = 1;
    have++;
  }
  if (seen != small) free(seen);
  return have == need ? SAMPLER_READY : SAMPLER_WAIT;
}

int sampler_suggest(const sampler *s, int trial, const sampler_obs *history, int n_history,
                    const sampler_obs *pending, int n_pending, double *x, mlps_err *err) {
  if (trial < 0) return mlps_errorf(err, MLPS_EINPUT, "trial id %d is negative", trial);
  double u[SPACE_MAX_PARAMS];
  switch (s->method) {
    case SAMPLER_GRID:
      if ((uint64_t)trial >= s->grid_size)
        return mlps_errorf(err, MLPS_EINPUT, "trial %d is past the end of the grid (%llu points)",
                           trial, (unsigned long long)s->grid_size);
      grid_point(s, (uint64_t)trial, x);
      return MLPS_OK;
    case SAMPLER_RANDOM: random_unit(s, trial, u); break;
    case SAMPLER_LHS: lhs_unit(s, s->opt.trials, trial, u); break;
    case SAMPLER_SOBOL: sobol_unit((uint32_t)trial, s->nd, s->sobol_shift, u); break;
    case SAMPLER_TPE:
      if (trial < s->opt.startup_trials) { /* start-up: a design of startup_trials rows */
        lhs_unit(s, s->opt.startup_trials, trial, u);
        break;
      }
      if (sampler_ready(s, trial, history, n_history) != SAMPLER_READY)
        return mlps_errorf(err, MLPS_EINPUT,
                           "trial %d of generation %d asked before trials 0..%d finished; "
                           "check sampler_ready first",
                           trial, sampler_generation(s, trial),
                           sampler_required_trials(s, trial) - 1);
      return tpe_suggest(s, trial, sampler_required_trials(s, trial), history, n_history, pending,
                         n_pending, x, err);
    default: return mlps_errorf(err, MLPS_EINPUT, "unknown search method %d", (int)s->method);
  }
  sampler_map_unit(s, u, x);
  return MLPS_OK;
}
