/* Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011), with the
 * semantics of Optuna's TPESampler (bandwidth rule, magic clip, endpoints,
 * prior kernel, weight ramp, log-int handling), plus failed trials as bad
 * observations, the constant liar for asynchronous asks and the batch
 * (generation) mode. The behaviour is documented in sampler.h. The front
 * (sampler.c) draws the LHS start-up trials and decides readiness; this file
 * proposes the trials after the start-up and calls only sdim.c.
 *
 * Cost: building the estimators sorts each parameter's observations
 * (O(n log n)); scoring evaluates ei_candidates points against every kernel
 * of the nearby kernels of both estimators. Univariate estimators keep their
 * kernels sorted by centre (equal kernels merged) and a score walks out from
 * the candidate until the remaining kernels are all more than 9 bandwidths
 * away: each of those is below e^-40.5 of its own peak, which with the magic
 * clip (bandwidth >= range/100) and the prior kernel (bandwidth = range,
 * weight >= 1/(n+1)) bounding the density from below makes the relative
 * error below 1e-15 (n + 1), i.e. < 1e-9 up to a million observations.
 * Multivariate discrete parameters score through a table over the grid. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search/sdim.h"
#include "search/tpe.h"
#include "util/rng.h"

#define TPE_SKIP_Z 9.0
static const double LOG_SQRT_2PI = 0.91893853320467274178;

/* ---- observations ----------------------------------------------------- */

typedef struct {
  int trial;
  int pending; /* liar: running trial */
  int ok;      /* finished OK with a finite value */
  int pruned;  /* pruned with a finite value at step */
  int step;
  double value;
  const double *x;
} tobs;

static int cmp_trial(const void *a, const void *b) {
  const tobs *p = a, *q = b;
  if (p->trial != q->trial) return p->trial < q->trial ? -1 : 1;
  return p->pending - q->pending; /* a finished entry wins over a pending one */
}

static int cmp_value(const void *a, const void *b) {
  const tobs *p = *(const tobs *const *)a, *q = *(const tobs *const *)b;
  if (p->value != q->value) return p->value < q->value ? -1 : 1;
  return p->trial < q->trial ? -1 : p->trial > q->trial;
}

/* Optuna's order of pruned trials: further (larger step) first, then by
 * the value there. */
static int cmp_pruned(const void *a, const void *b) {
  const tobs *p = *(const tobs *const *)a, *q = *(const tobs *const *)b;
  if (p->step != q->step) return p->step > q->step ? -1 : 1;
  return cmp_value(a, b);
}

/* Optuna's default_weights: flat up to 25 observations; beyond, the oldest
 * n - 25 ramp linearly from 1/n up to 1. w is in trial order. */
static void default_weights(int n, double *w) {
  if (n < 25) {
    for (int i = 0; i < n; i++) w[i] = 1;
    return;
  }
  int r = n - 25;
  for (int i = 0; i < r; i++) w[i] = r == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (r - 1);
  for (int i = r; i < n; i++) w[i] = 1;
}

/* ---- normal helpers ----------------------------------------------------- */

/* Phi(b) - Phi(a) for a <= b, accurate in both tails. */
static double phi_diff(double a, double b) {
  const double r = 0.70710678118654752440;
  if (a >= 0) return 0.5 * (erfc(a * r) - erfc(b * r));
  if (b <= 0) return 0.5 * (erfc(-b * r) - erfc(-a * r));
  return 1.0 - 0.5 * erfc(b * r) - 0.5 * erfc(-a * r);
}

/* A draw from N(mu, sigma) truncated to [lo, hi], by rejection: mu lies in
 * [lo, hi] and sigma <= hi - lo, so each try succeeds with probability
 * >= Phi(1) - Phi(0) = 0.34. */
static double trunc_normal(mlps_rng *r, double mu, double sigma, double lo, double hi) {
  for (int i = 0; i < 1000; i++) {
    double t = mu + sigma * rng_normal(r);
    if (t >= lo && t <= hi) return t;
  }
  return lo + (hi - lo) * rng_uniform(r);
}

/* Index k with cw[k-1] <= u < cw[k] (cw cumulative, cw[n-1] = 1). */
static int pick(const double *cw, int n, double u) {
  int lo = 0, hi = n - 1;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (u < cw[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/* ---- one-dimensional Parzen estimator (numeric) --------------------------- */

typedef struct {
  int n;      /* kernels: observations, then the prior (index n - 1) */
  int sorted; /* univariate: observation kernels sorted by mu, equal
                 (mu, sigma) kernels merged into one */
  double *mu, *sig, *isig;
  double *coef;        /* continuous: w / (sigma Z sqrt(2 pi)); discrete: w / Z */
  double *logc;        /* multivariate: log(coef / w) */
  double *cw;          /* cumulative weights */
  double *pmax, *smax; /* sorted: max sigma over kernels [0, k] and [k, n-1) */
} pe_num;
#define PE_NUM_ARRAYS 8

typedef struct {
  double v;
  int i;
} vi_pair;

/* Sort key of a double: unsigned order = numeric order (-0 before +0). */
static inline uint64_t dkey(double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return (u >> 63) ? ~u : u | 0x8000000000000000ULL;
}

/* Sorts a[0..n) by (v, i), given that a arrives in increasing i: a stable
 * LSD radix sort on the bytes of the key, skipping the bytes all keys
 * share (observations of one parameter usually share the top ones). */
static void radix_sort(vi_pair *a, vi_pair *tmp, int n) {
  if (n < 2) return;
  if (n <= 24) { /* insertion sort */
    for (int i = 1; i < n; i++) {
      vi_pair x = a[i];
      int j = i - 1;
      while (j >= 0 && (a[j].v > x.v || (a[j].v == x.v && a[j].i > x.i))) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = x;
    }
    return;
  }
  static _Thread_local uint32_t cnt[8][256];
  memset(cnt, 0, sizeof cnt);
  for (int k = 0; k < n; k++) {
    uint64_t u = dkey(a[k].v);
    for (int b = 0; b < 8; b++) cnt[b][(u >> (8 * b)) & 255]++;
  }
  vi_pair *src = a, *dst = tmp;
  for (int b = 0; b < 8; b++) {
    uint32_t *c = cnt[b];
    if (c[(dkey(a[0].v) >> (8 * b)) & 255] == (uint32_t)n) continue; /* one value of this byte */
    uint32_t sum = 0;
    for (int v = 0; v < 256; v++) {
      uint32_t t = c[v];
      c[v] = sum;
      sum += t;
    }
    for (int k = 0; k < n; k++) dst[c[(dkey(src[k].v) >> (8 * b)) & 255]++] = src[k];
    vi_pair *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, (size_t)n * sizeof *a);
}

/* Workspace sized for up to m observations per set. */
typedef struct {
  vi_pair *pairs, *tmp;
  double *sorted;
} pe_work;

/* Normalising constant Z of N(mu, sg) on [lo, hi]. Beyond 8.5 bandwidths
 * from both edges the missing tails are < 1e-17 and Z rounds to 1.0
 * exactly, so erfc is skipped there (most kernels of a large history). */
static double trunc_z(double mu, double sg, double lo, double hi) {
  double a = (lo - mu) / sg, b = (hi - mu) / sg;
  if (a < -8.5 && b > 8.5) return 1.0;
  double Z = phi_diff(a, b);
  return Z > 1e-300 ? Z : 1e-300;
}

static const double INV_SQRT_2PI = 0.39894228040143267794;

/* Fills coef/logc/isig of kernel k with weight w (normalised). */
static void pe_num_kernel(pe_num *e, const sdim *d, int k, double w, int want_log) {
  double sg = e->sig[k];
  double Z = trunc_z(e->mu[k], sg, d->lo, d->hi);
  e->isig[k] = 1.0 / sg;
  if (d->step > 0) {
    e->coef[k] = w / Z;
    if (want_log) e->logc[k] = -log(Z);
  } else {
    e->coef[k] = w / (sg * Z) * INV_SQRT_2PI;
    if (want_log) e->logc[k] = -log(sg * Z) - LOG_SQRT_2PI;
  }
}

/* Builds the estimator from m observations t[] (internal coordinates) with
 * weights wobs[] (not normalised). nparams > 0 selects the multivariate
 * bandwidth rule for that many parameters and keeps kernel k = observation
 * k; otherwise (univariate) the observation kernels are stored sorted by
 * their centre, equal ones merged, so that a density needs only the
 * kernels near the point. */
static void pe_num_build(pe_num *e, const sdim *d, const double *t, const double *wobs, int m,
                         const sampler_options *o, int nparams, pe_work *wk) {
  double lo = d->lo, hi = d->hi, range = hi - lo, mid = 0.5 * (lo + hi);
  e->sorted = nparams == 0;
  double wsum = o->prior_weight;
  for (int k = 0; k < m; k++) wsum += wobs[k];
  double prior_w = o->prior_weight;
  if (m == 0) prior_w = wsum = 1;
  double minsig = o->magic_clip ? range / fmin(100.0, 2.0 + m) : 1e-12;

  int nk = m; /* observation kernels after merging */
  if (nparams > 0) {
    double sg = 0.2 * pow(m > 1 ? m : 1, -1.0 / (nparams + 4)) * range;
    if (!(sg >= minsig)) sg = minsig;
    if (sg > range) sg = range;
    for (int k = 0; k < m; k++) {
      e->mu[k] = t[k];
      e->sig[k] = sg;
      e->cw[k] = wobs[k];
    }
  } else {
    /* Bandwidth = distance to the farther neighbour in the sorted list of
     * observations + prior mean, with the domain edges as outer neighbours;
     * without consider_endpoints the two end kernels take their inner
     * neighbour's distance. */
    int n = m + 1;
    vi_pair *p = wk->pairs;
    for (int k = 0; k < m; k++) {
      p[k].v = t[k];
      p[k].i = k;
    }
    p[m].v = mid;
    p[m].i = m;
    radix_sort(p, wk->tmp, n);
    double *sv = wk->sorted; /* [n + 2] */
    sv[0] = lo;
    for (int k = 0; k < n; k++) sv[k + 1] = p[k].v;
    sv[n + 1] = hi;
    nk = 0;
    for (int k = 0; k < n; k++) {
      if (p[k].i == m) continue; /* the prior's own bandwidth is range */
      double l = sv[k + 1] - sv[k], r = sv[k + 2] - sv[k + 1];
      double sg = l > r ? l : r;
      if (!o->consider_endpoints && n + 2 >= 4) {
        if (k == 0) sg = sv[2] - sv[1];
        else if (k == n - 1) sg = sv[n] - sv[n - 1];
      }
      if (!(sg >= minsig)) sg = minsig;
      if (sg > range) sg = range;
      if (nk > 0 && e->mu[nk - 1] == p[k].v && e->sig[nk - 1] == sg) {
        e->cw[nk - 1] += wobs[p[k].i]; /* same kernel: add the weight */
        continue;
      }
      e->mu[nk] = p[k].v;
      e->sig[nk] = sg;
      e->cw[nk] = wobs[p[k].i]; /* weight, normalised below */
      nk++;
    }
    for (int k = 0; k < nk; k++)
      e->pmax[k] = k && e->pmax[k - 1] > e->sig[k] ? e->pmax[k - 1] : e->sig[k];
    for (int k = nk - 1; k >= 0; k--)
      e->smax[k] = k < nk - 1 && e->smax[k + 1] > e->sig[k] ? e->smax[k + 1] : e->sig[k];
  }
  e->n = nk + 1;
  e->mu[nk] = mid;
  e->sig[nk] = range;
  e->cw[nk] = prior_w;
  double c = 0;
  for (int k = 0; k <= nk; k++) {
    double w = e->cw[k] / wsum;
    pe_num_kernel(e, d, k, w, nparams > 0);
    c += w;
    e->cw[k] = c;
  }
  e->cw[nk] = 1.0 + 1e-12; /* rounding: every u < 1 lands on a kernel */
}

/* Candidate draw from kernel k of e; discrete values snap to their cell. */
static double pe_num_draw_kernel(const pe_num *e, const sdim *d, int k, mlps_rng *r) {
  double t = trunc_normal(r, e->mu[k], e->sig[k], d->lo, d->hi);
  if (d->step > 0) {
    double first = d->lo + 0.5 * d->step;
    double j = nearbyint((t - first) / d->step);
    double jmax = nearbyint((d->hi - d->lo) / d->step) - 1;
    if (j < 0) j = 0;
    if (j > jmax) j = jmax;
    t = first + j * d->step;
  }
  return t;
}

/* Contribution of kernel k at t (0 beyond TPE_SKIP_Z bandwidths). */
static inline double pe_num_term(const pe_num *e, double h, int k, double t) {
  if (h > 0) {
    double a = (t - h - e->mu[k]) * e->isig[k], b = (t + h - e->mu[k]) * e->isig[k];
    if (a > TPE_SKIP_Z || b < -TPE_SKIP_Z) return 0;
    return e->coef[k] * phi_diff(a, b);
  }
  double z = (t - e->mu[k]) * e->isig[k];
  if (z > TPE_SKIP_Z || z < -TPE_SKIP_Z) return 0;
  return e->coef[k] * exp(-0.5 * z * z);
}

/* log density (continuous) or log mass (discrete) of the mixture at t. */
static double pe_num_logpdf(const pe_num *e, const sdim *d, double t) {
  double s = 0, h = d->step > 0 ? 0.5 * d->step : 0;
  int m = e->n - 1;
  if (e->sorted) {
    /* Walk out from t in both directions; stop once the remaining kernels
     * (whose bandwidths are at most smax / pmax) are all beyond the
     * TPE_SKIP_Z cut, so the sum equals the full sum's unskipped terms. */
    int lo = 0, hi = m;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (e->mu[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    for (int k = lo; k < m && e->mu[k] - h - t <= TPE_SKIP_Z * e->smax[k]; k++)
      s += pe_num_term(e, h, k, t);
    for (int k = lo - 1; k >= 0 && t - h - e->mu[k] <= TPE_SKIP_Z * e->pmax[k]; k--)
      s += pe_num_term(e, h, k, t);
  } else {
    for (int k = 0; k < m; k++) s += pe_num_term(e, h, k, t);
  }
  /* The prior kernel (bandwidth = range) never underflows. */
  if (h > 0) {
    s += e->coef[m] * phi_diff((t - h - e->mu[m]) * e->isig[m], (t + h - e->mu[m]) * e->isig[m]);
  } else {
    double z = (t - e->mu[m]) * e->isig[m];
    s += e->coef[m] * exp(-0.5 * z * z);
  }
  return s > 0 ? log(s) : -1e300;
}

/* log of kernel k's own density/mass at t (multivariate). */
static double pe_num_kernel_log(const pe_num *e, const sdim *d, int k, double t) {
  if (d->step > 0) {
    double h = 0.5 * d->step;
    double a = (t - h - e->mu[k]) * e->isig[k], b = (t + h - e->mu[k]) * e->isig[k];
    double p = phi_diff(a, b);
    return (p > 0 ? log(p) : -745.0) + e->logc[k];
  }
  double z = (t - e->mu[k]) * e->isig[k];
  return -0.5 * z * z + e->logc[k];
}

/* ---- categorical ---------------------------------------------------------- */

/* Mixture probabilities of a categorical estimator: each observation's
 * kernel puts 1 + p on its choice and p = prior_weight / (m + 1) on every
 * choice (normalised); the prior kernel is uniform. */
static void pe_cat_probs(const sdim *d, const double *t, const double *wobs, int m,
                         const sampler_options *o, double *P) {
  int K = d->n_choices;
  if (m == 0) {
    for (int c = 0; c < K; c++) P[c] = 1.0 / K;
    return;
  }
  double wsum = o->prior_weight;
  for (int k = 0; k < m; k++) wsum += wobs[k];
  double p = o->prior_weight / (m + 1);
  double den = p * K + 1;
  double obs_w = 0;
  for (int c = 0; c < K; c++) P[c] = 0;
  for (int k = 0; k < m; k++) {
    int c = (int)t[k];
    P[c] += wobs[k] / wsum / den;
    obs_w += wobs[k] / wsum;
  }
  double base = obs_w * p / den + (o->prior_weight / wsum) / K;
  for (int c = 0; c < K; c++) P[c] += base;
}

/* ---- the workspace -------------------------------------------------------- */

static double *carve(double **p, size_t n) {
  double *r = *p;
  *p += n;
  return r;
}

static void pe_num_carve(pe_num *e, double **p, int n) {
  e->mu = carve(p, n);
  e->sig = carve(p, n);
  e->isig = carve(p, n);
  e->coef = carve(p, n);
  e->logc = carve(p, n);
  e->cw = carve(p, n);
  e->pmax = carve(p, n);
  e->smax = carve(p, n);
}

/* Multivariate estimator: one product kernel per observation (plus the
 * prior); built and scored by mv_build / mv_logpdf below. */
typedef struct {
  int m;                      /* observations */
  pe_num e[SPACE_MAX_PARAMS]; /* numeric dims: kernel arrays (n = m+1) */
  const double *t;            /* [nd * m] internal values, dimension-major so that
                                 scoring a candidate runs down contiguous columns */
  double *logw;               /* [m + 1] log normalised weights */
  double *cw;                 /* [m + 1] cumulative */
  double pcat;                /* p = prior_weight / (m + 1) */
  int ng[SPACE_MAX_PARAMS];   /* discrete numeric dims with a lookup table:
                                 number of grid values (0: no table) */
} mv_est;

/* Discrete dims with at most this many values score candidates through a
 * table over the grid: every observation kernel shares one bandwidth, so a
 * kernel's log mass at t depends only on the grid index of its centre. */
#define MV_TABLE_MAX 1024

/* Every buffer of one proposal, carved from one allocation by ws_layout.
 * Shapes: c = the observations at most (history entries, plus the pending
 * ones with the liar), nd = dimensions, ne = ei_candidates. Arrays over
 * observations use their first n <= c entries (ids unique, batch cut-off
 * applied); estimators use m + 1 <= c + 1 (observations and the prior). */
typedef struct {
  tobs *obs;              /* [c] observations by trial id */
  unsigned char *is_good; /* [c] obs[i] is in the good set */
  const tobs **good;      /* [c] good observations, trial order (mg used) */
  const tobs **bad;       /* [c] the others, trial order (mb used) */
  int mg, mb;
  double *wg, *wb; /* [c] each: weights of good / bad, trial order */
  double *tg, *tb; /* univariate [c] each: one dimension's internal values;
                      multivariate [nd * c] each, dimension-major */
  double *pend_t;  /* [c * nd] running points, internal coordinates
                      (categorical: the choice), point-major */
  pe_work wk;      /* pairs, tmp [c + 1] each; sorted [c + 3] */
  /* univariate only */
  double *ct, *cs; /* [nd * ne] each: candidates (internal coordinates)
                      and scores, dimension-major */
  pe_num eg, eb;   /* PE_NUM_ARRAYS arrays of [c + 1] each */
  /* multivariate only */
  mv_est *mv;        /* [2]: good, bad */
  double *mv_arrays; /* [2 * (nd * PE_NUM_ARRAYS + 2) * (c + 1)]: both
                        estimators' arrays, carved by mv_build */
  double *lk;        /* [c + 1] per-kernel log terms of one candidate */
  double *tab;       /* [nd * MV_TABLE_MAX] log masses over a grid */
} tpe_ws;

/* Next buffer of `bytes` at *off (aligned for any type) inside block; with
 * block NULL, only advances *off. */
static void *ws_take(char *block, size_t *off, size_t bytes) {
  size_t a = _Alignof(max_align_t), at = (*off + a - 1) / a * a;
  *off = at + bytes;
  return block ? block + at : NULL;
}

/* Points w's buffers into block, laid out as tpe_ws says; with block NULL,
 * only measures. Returns the bytes the layout needs. */
static size_t ws_layout(tpe_ws *w, char *block, size_t c, size_t nd, size_t ne, int multivariate) {
  size_t off = 0;
#define TAKE(field, count) (w->field = ws_take(block, &off, (count) * sizeof *w->field))
  TAKE(obs, c);
  TAKE(is_good, c);
  TAKE(good, c);
  TAKE(bad, c);
  TAKE(wg, c);
  TAKE(wb, c);
  TAKE(tg, multivariate ? nd * c : c);
  TAKE(tb, multivariate ? nd * c : c);
  TAKE(pend_t, c * nd);
  TAKE(wk.pairs, c + 1);
  TAKE(wk.tmp, c + 1);
  TAKE(wk.sorted, c + 3);
  if (multivariate) {
    TAKE(mv, 2);
    TAKE(mv_arrays, 2 * (nd * PE_NUM_ARRAYS + 2) * (c + 1));
    TAKE(lk, c + 1);
    TAKE(tab, nd * MV_TABLE_MAX);
  } else {
    TAKE(ct, nd * ne);
    TAKE(cs, nd * ne);
    double *est = ws_take(block, &off, 2 * PE_NUM_ARRAYS * (c + 1) * sizeof(double));
    if (block) {
      pe_num_carve(&w->eg, &est, (int)c + 1);
      pe_num_carve(&w->eb, &est, (int)c + 1);
    }
  }
#undef TAKE
  return off;
}

/* Two points (internal coordinates, nd dims) are near-identical when every
 * categorical choice is equal and every numeric coordinate is within
 * TPE_NEAR of its internal range. */
#define TPE_NEAR 0.01
static int near_identical(const sampler *s, const double *a, const double *b) {
  for (int j = 0; j < s->nd; j++) {
    const sdim *d = &s->dim[j];
    if (d->kind == SDIM_CAT) {
      if (a[j] != b[j]) return 0;
    } else if (fabs(a[j] - b[j]) > TPE_NEAR * (d->hi - d->lo)) {
      return 0;
    }
  }
  return 1;
}

static int near_any(const sampler *s, const double *a, const double *pts, int np) {
  for (int i = 0; i < np; i++)
    if (near_identical(s, a, pts + (size_t)i * s->nd)) return 1;
  return 0;
}

/* Univariate TPE: one estimator pair per dimension, in w->eg / w->eb;
 * candidates and scores in w->ct / w->cs; np running points in w->pend_t. */
static void univariate(const sampler *s, int trial, tpe_ws *w, int np, double *x) {
  const sampler_options *o = &s->opt;
  double *ct = w->ct, *cs = w->cs;
  const double *pend = w->pend_t;
  int ne = o->ei_candidates, nd = s->nd;
  int best[SPACE_MAX_PARAMS];
  for (int j = 0; j < nd; j++) {
    const sdim *d = &s->dim[j];
    int pi = d->param;
    double *cand = ct + (size_t)j * ne, *score = cs + (size_t)j * ne;
    mlps_rng r;
    rng_seed(&r, rng_derive(s->base, SPURP_TPE, (uint64_t)trial, (uint64_t)pi));
    for (int k = 0; k < w->mg; k++) w->tg[k] = sdim_internal(d, w->good[k]->x[pi]);
    for (int k = 0; k < w->mb; k++) w->tb[k] = sdim_internal(d, w->bad[k]->x[pi]);
    if (d->kind == SDIM_CAT) {
      for (int k = 0; k < w->mg; k++) w->tg[k] = sdim_value(d, w->tg[k]);
      for (int k = 0; k < w->mb; k++) w->tb[k] = sdim_value(d, w->tb[k]);
      double Pl[SPACE_MAX_CHOICES], Pg[SPACE_MAX_CHOICES], cw[SPACE_MAX_CHOICES];
      int K = d->n_choices;
      pe_cat_probs(d, w->tg, w->wg, w->mg, o, Pl);
      pe_cat_probs(d, w->tb, w->wb, w->mb, o, Pg);
      double c = 0;
      for (int k = 0; k < K; k++) cw[k] = (c += Pl[k]);
      cw[K - 1] = 1.0 + 1e-12;
      for (int i = 0; i < ne; i++) {
        int k = pick(cw, K, rng_uniform(&r) * c);
        cand[i] = k;
        score[i] = log(Pl[k]) - log(Pg[k]);
      }
    } else {
      pe_num_build(&w->eg, d, w->tg, w->wg, w->mg, o, 0, &w->wk);
      pe_num_build(&w->eb, d, w->tb, w->wb, w->mb, o, 0, &w->wk);
      for (int i = 0; i < ne; i++) {
        int k = pick(w->eg.cw, w->eg.n, rng_uniform(&r));
        double t = pe_num_draw_kernel(&w->eg, d, k, &r);
        double sc = NAN;
        if (d->step > 0) /* discrete candidates repeat: score each value once */
          for (int c = 0; c < i; c++)
            if (cand[c] == t) {
              sc = score[c];
              break;
            }
        if (isnan(sc)) {
          sc = pe_num_logpdf(&w->eg, d, t) - pe_num_logpdf(&w->eb, d, t);
          if (isnan(sc)) sc = -INFINITY;
        }
        cand[i] = t;
        score[i] = sc;
      }
    }
    best[j] = 0;
    for (int i = 1; i < ne; i++)
      if (score[i] > score[best[j]]) best[j] = i;
  }
  double pt[SPACE_MAX_PARAMS] = {0};
  for (int j = 0; j < nd; j++) pt[j] = ct[(size_t)j * ne + best[j]];
  if (np > 0 && near_any(s, pt, pend, np)) {
    /* The liar lowers the score around running points but a sharp good
     * kernel can still win there. Fall back, deterministically, to the
     * next-best candidate of one parameter at a time (rank 2 of each
     * parameter, then rank 3, ...) until the point differs from every
     * running one; keep the argmax if nothing does. */
    int found = 0;
    for (int rank = 1; rank < ne && !found; rank++)
      for (int j = 0; j < nd && !found; j++) {
        /* the candidate of dim j with the rank-th best score (ties: index) */
        const double *score = cs + (size_t)j * ne;
        int pickd = -1;
        for (int i = 0; i < ne; i++) {
          int above = 0;
          for (int k = 0; k < ne; k++)
            above += score[k] > score[i] || (score[k] == score[i] && k < i);
          if (above == rank) {
            pickd = i;
            break;
          }
        }
        if (pickd < 0) continue;
        double save = pt[j];
        pt[j] = ct[(size_t)j * ne + pickd];
        if (!near_any(s, pt, pend, np)) found = 1;
        else pt[j] = save;
      }
  }
  for (int j = 0; j < nd; j++) x[s->dim[j].param] = sdim_value(&s->dim[j], pt[j]);
}

static void mv_build(const sampler *s, mv_est *E, const tobs *const *obs, const double *wobs, int m,
                     double *tbuf, double **mem, pe_work *wk) {
  const sampler_options *o = &s->opt;
  int nd = s->nd;
  E->m = m;
  E->t = tbuf;
  for (int j = 0; j < nd; j++) {
    const sdim *d = &s->dim[j];
    double *col = tbuf + (size_t)j * m;
    for (int k = 0; k < m; k++) {
      double t = sdim_internal(d, obs[k]->x[d->param]);
      col[k] = d->kind == SDIM_CAT ? sdim_value(d, t) : t;
    }
  }
  for (int j = 0; j < nd; j++) {
    const sdim *d = &s->dim[j];
    if (d->kind != SDIM_NUM) continue;
    pe_num_carve(&E->e[j], mem, m + 1);
    pe_num_build(&E->e[j], d, tbuf + (size_t)j * m, wobs, m, o, nd, wk);
    E->ng[j] = 0;
    if (d->step > 0) {
      int ng = (int)nearbyint((d->hi - d->lo) / d->step);
      if (ng <= MV_TABLE_MAX) {
        E->ng[j] = ng;
        double first = d->lo + 0.5 * d->step;
        for (int k = 0; k < m; k++)
          E->e[j].pmax[k] = nearbyint((E->e[j].mu[k] - first) / d->step); /* grid index */
      }
    }
  }
  E->logw = carve(mem, (size_t)m + 1);
  E->cw = carve(mem, (size_t)m + 1);
  double wsum = o->prior_weight, prior_w = o->prior_weight;
  for (int k = 0; k < m; k++) wsum += wobs[k];
  if (m == 0) prior_w = wsum = 1;
  double c = 0;
  for (int k = 0; k <= m; k++) {
    double wk_ = (k < m ? wobs[k] : prior_w) / wsum;
    E->logw[k] = log(wk_);
    E->cw[k] = (c += wk_);
  }
  E->cw[m] = 1.0 + 1e-12;
  E->pcat = o->prior_weight / (m + 1);
}

/* log of the mixture's density at candidate tc. Accumulated one dimension
 * at a time over all kernels (lk[k], k < m; the prior kernel apart), which
 * the compiler vectorises; each kernel's terms are added in the same order
 * as a per-kernel loop would, so the value does not depend on the layout.
 * tab: scratch of MV_TABLE_MAX doubles per dimension. */
static double mv_logpdf(const sampler *s, const mv_est *E, const double *tc, double *lk,
                        double *tab) {
  int nd = s->nd, m = E->m;
  /* Categorical factors take two values per dimension: own choice or not. */
  double lown[SPACE_MAX_PARAMS], lother[SPACE_MAX_PARAMS], lprior = 0;
  for (int j = 0; j < nd; j++) {
    const sdim *d = &s->dim[j];
    if (d->kind == SDIM_CAT) {
      double p = E->pcat, K = d->n_choices;
      lown[j] = log((p + 1) / (p * K + 1));
      lother[j] = log(p / (p * K + 1));
      lprior -= log(K);
    } else if (E->ng[j] > 0 && m > 0) {
      const pe_num *e = &E->e[j];
      double h = 0.5 * d->step, first = d->lo + h, is = e->isig[0];
      double *tj = tab + (size_t)j * MV_TABLE_MAX;
      for (int g = 0; g < E->ng[j]; g++) {
        double mu = first + g * d->step;
        double p = phi_diff((tc[j] - h - mu) * is, (tc[j] + h - mu) * is);
        tj[g] = p > 0 ? log(p) : -745.0;
      }
    }
  }
  double lm = E->logw[m] + lprior; /* the prior kernel */
  for (int k = 0; k < m; k++) lk[k] = E->logw[k];
  for (int j = 0; j < nd; j++) {
    const sdim *d = &s->dim[j];
    const double c = tc[j];
    if (d->kind == SDIM_CAT) {
      const double *col = E->t + (size_t)j * m, own = lown[j], other = lother[j];
      for (int k = 0; k < m; k++) lk[k] += col[k] == c ? own : other;
      continue;
    }
    const pe_num *e = &E->e[j];
    if (E->ng[j] > 0) {
      const double *tj = tab + (size_t)j * MV_TABLE_MAX, *gi = e->pmax, *lc = e->logc;
      for (int k = 0; k < m; k++) lk[k] += tj[(size_t)gi[k]] + lc[k];
    } else if (d->step > 0) {
      for (int k = 0; k < m; k++) lk[k] += pe_num_kernel_log(e, d, k, c);
    } else {
      /* pe_num_kernel_log's continuous case, written out: with the call,
       * its branch on the step stays in the loop (6% slower per proposal). */
      const double *mu = e->mu, *is = e->isig, *lc = e->logc;
      for (int k = 0; k < m; k++) {
        double z = (c - mu[k]) * is[k];
        lk[k] += -0.5 * z * z + lc[k];
      }
    }
    lm += pe_num_kernel_log(e, d, m, c);
  }
  lk[m] = lm;
  double mx = -INFINITY;
  for (int k = 0; k <= m; k++)
    if (lk[k] > mx) mx = lk[k];
  if (!(mx > -INFINITY)) return -1e300;
  double sum = 0;
  for (int k = 0; k <= m; k++) sum += exp(lk[k] - mx);
  return mx + log(sum);
}

static void multivariate(const sampler *s, int trial, tpe_ws *w, int np, double *x) {
  int nd = s->nd;
  const double *pend = w->pend_t;
  double *mem = w->mv_arrays, *lk = w->lk, *tab = w->tab;
  mv_est *G = &w->mv[0], *B = &w->mv[1];
  mv_build(s, G, w->good, w->wg, w->mg, w->tg, &mem, &w->wk);
  mv_build(s, B, w->bad, w->wb, w->mb, w->tb, &mem, &w->wk);

  mlps_rng r;
  rng_seed(&r, rng_derive(s->base, SPURP_TPE_MV, (uint64_t)trial, 0));
  double best[SPACE_MAX_PARAMS], tc[SPACE_MAX_PARAMS];
  double best_score = -INFINITY;
  int have = 0, best_dup = 0;
  for (int i = 0; i < s->opt.ei_candidates; i++) {
    int k = pick(G->cw, G->m + 1, rng_uniform(&r));
    for (int j = 0; j < nd; j++) {
      const sdim *d = &s->dim[j];
      if (d->kind == SDIM_CAT) {
        int K = d->n_choices;
        if (k == G->m) {
          tc[j] = (double)rng_below(&r, (uint64_t)K);
        } else {
          /* kernel: (p + [c == own]) / (p K + 1) */
          double p = G->pcat, own = G->t[(size_t)j * G->m + k];
          double u = rng_uniform(&r) * (p * K + 1);
          if (u < 1) tc[j] = own;
          else {
            int c = (int)((u - 1) / p);
            tc[j] = c < K ? c : K - 1;
          }
        }
      } else {
        tc[j] = pe_num_draw_kernel(&G->e[j], d, k, &r);
      }
    }
    double sc = mv_logpdf(s, G, tc, lk, tab) - mv_logpdf(s, B, tc, lk, tab);
    if (isnan(sc)) sc = -INFINITY;
    /* Candidates near-identical to a running point lose to any other
     * (see univariate). */
    int dup = np > 0 && near_any(s, tc, pend, np);
    if (dup) sc = -INFINITY;
    if (!have || sc > best_score || (best_dup && !dup)) {
      best_dup = dup;
      memcpy(best, tc, sizeof(double) * (size_t)nd);
      best_score = sc;
      have = 1;
    }
  }
  for (int j = 0; j < nd; j++) x[s->dim[j].param] = sdim_value(&s->dim[j], best[j]);
}

/* ---- the suggestion ------------------------------------------------------- */

/* Asynchronous mode with the constant liar: running trials are observations. */
static int uses_liar(const sampler_options *o) { return !(o->batch > 0) && o->constant_liar; }

/* Fills obs with the observations TPE uses for `trial`: finished trials
 * (batch: only ids < cutoff), and with the liar the running ones (pending
 * entries of history and pending[]); sorted by trial id, each id once (a
 * finished entry wins over a pending one). Sets *n; returns MLPS_OK or
 * MLPS_EINPUT on an unknown status. */
static int collect(const sampler *s, int trial, int cutoff, const sampler_obs *history,
                   int n_history, const sampler_obs *pending, int n_pending, tobs *obs, int *n_out,
                   mlps_err *err) {
  int batch = s->opt.batch > 0, liar = uses_liar(&s->opt);
  int n = 0;
  for (int i = 0; i < n_history; i++) {
    const sampler_obs *h = &history[i];
    if (h->trial == trial || h->trial < 0) continue;
    int pend = h->status == SAMPLER_TRIAL_PENDING;
    if ((int)h->status < 0 || h->status >= SAMPLER_TRIAL_STATUS_COUNT)
      return mlps_errorf(err, MLPS_EINPUT, "history entry of trial %d has unknown status %d",
                         h->trial, (int)h->status);
    if (batch && (pend || h->trial >= cutoff)) continue;
    if (pend && !liar) continue;
    obs[n].trial = h->trial;
    obs[n].pending = pend;
    obs[n].ok = !pend && h->status == SAMPLER_TRIAL_OK && isfinite(h->value);
    obs[n].pruned = !pend && h->status == SAMPLER_TRIAL_PRUNED && isfinite(h->value);
    obs[n].step = h->step;
    obs[n].value = h->value;
    obs[n].x = h->x;
    n++;
  }
  if (liar)
    for (int i = 0; i < n_pending; i++) {
      if (pending[i].trial == trial || pending[i].trial < 0) continue;
      obs[n].trial = pending[i].trial;
      obs[n].pending = 1;
      obs[n].ok = obs[n].pruned = 0;
      obs[n].step = 0;
      obs[n].value = INFINITY;
      obs[n].x = pending[i].x;
      n++;
    }
  /* Order-independence: sort by trial id, drop repeated ids. */
  int in_order = 1; /* the usual case: the caller keeps trials in id order */
  for (int i = 1; i < n && in_order; i++) in_order = cmp_trial(&obs[i - 1], &obs[i]) <= 0;
  if (!in_order) qsort(obs, (size_t)n, sizeof *obs, cmp_trial);
  int u = 0;
  for (int i = 0; i < n; i++)
    if (u == 0 || obs[i].trial != obs[u - 1].trial) obs[u++] = obs[i];
  *n_out = u;
  return MLPS_OK;
}

/* Keeps in top[0..*ntop) the best (by cmp) at most cap of the
 * observations of all[0..n) that `want` selects, sorted: insertion into a
 * sorted array of at most cap (<= gamma_max) entries, O(n cap) worst case,
 * O(n) typically, cheaper than sorting them all. */
static void keep_best(const tobs *all, int n, int (*want)(const tobs *),
                      int (*cmp)(const void *, const void *), const tobs **top, int *ntop,
                      int cap) {
  for (int i = 0; i < n && cap > 0; i++) {
    const tobs *c = &all[i];
    if (!want(c)) continue;
    if (*ntop == cap && cmp(&c, &top[*ntop - 1]) >= 0) continue;
    int j = *ntop < cap ? (*ntop)++ : *ntop - 1;
    while (j > 0 && cmp(&c, &top[j - 1]) < 0) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = c;
  }
}

static int is_ok(const tobs *o) { return o->ok; }
static int is_pruned(const tobs *o) { return o->pruned; }

/* Splits the n observations of w->obs: the best n_good OK ones are good
 * (w->good), the rest bad (w->bad), both in trial order, with their
 * weights. As in Optuna, pruned trials rank after every OK one (further
 * pruned first, then by their value there): they are good only when fewer
 * than n_good trials are OK. */
static void split(const sampler_options *o, tpe_ws *w, int n) {
  const tobs *all = w->obs;
  /* The 1e-9 keeps ceil(0.1 * 30) at 3, not 4. */
  int n_good = (int)ceil(o->gamma * n - 1e-9);
  if (n_good > o->gamma_max) n_good = o->gamma_max;
  /* w->good holds the best until the split below rewrites it in trial order. */
  const tobs **top = w->good;
  int ntop = 0;
  keep_best(all, n, is_ok, cmp_value, top, &ntop, n_good);
  int npr = 0;
  keep_best(all, n, is_pruned, cmp_pruned, top + ntop, &npr, n_good - ntop);
  ntop += npr;
  memset(w->is_good, 0, (size_t)n);
  for (int i = 0; i < ntop; i++) w->is_good[top[i] - all] = 1;
  w->mg = w->mb = 0;
  for (int i = 0; i < n; i++) {
    if (w->is_good[i]) w->good[w->mg++] = &all[i];
    else w->bad[w->mb++] = &all[i];
  }
  default_weights(w->mg, w->wg);
  default_weights(w->mb, w->wb);
}

/* The running observations' points in internal coordinates (w->pend_t),
 * for the near-identical rule; returns their number. */
static int running_points(const sampler *s, tpe_ws *w, int n) {
  int np = 0;
  for (int i = 0; i < n; i++) {
    if (!w->obs[i].pending) continue;
    for (int j = 0; j < s->nd; j++) {
      const sdim *d = &s->dim[j];
      double t = sdim_internal(d, w->obs[i].x[d->param]);
      w->pend_t[(size_t)np * s->nd + j] = d->kind == SDIM_CAT ? sdim_value(d, t) : t;
    }
    np++;
  }
  return np;
}

int tpe_suggest(const sampler *s, int trial, int cutoff, const sampler_obs *history, int n_history,
                const sampler_obs *pending, int n_pending, double *x, mlps_err *err) {
  const sampler_options *o = &s->opt;
  for (int i = 0; i < s->space.n; i++) x[i] = s->x0[i];
  size_t c = (size_t)n_history + (uses_liar(o) ? (size_t)n_pending : 0);
  size_t nd = (size_t)s->nd, ne = (size_t)o->ei_candidates;
  tpe_ws w;
  memset(&w, 0, sizeof w);
  size_t bytes = ws_layout(&w, NULL, c, nd, ne, o->multivariate);
  char *block = malloc(bytes);
  if (!block)
    return mlps_errorf(err, MLPS_ERUNTIME,
                       "out of memory: TPE workspace of %zu bytes for %zu observations", bytes, c);
  ws_layout(&w, block, c, nd, ne, o->multivariate);

  int n = 0;
  int rc = collect(s, trial, cutoff, history, n_history, pending, n_pending, w.obs, &n, err);
  if (rc) goto cleanup;
  split(o, &w, n);
  int np = running_points(s, &w, n);
  if (o->multivariate) multivariate(s, trial, &w, np, x);
  else univariate(s, trial, &w, np, x);
cleanup:
  free(block);
  return rc;
}

int tpe_debug_estimator(const sampler *s, int j, const double *values, const double *w, int m,
                        double *mu, double *sig, double *weight) {
  if (j < 0 || j >= s->nd || s->dim[j].kind != SDIM_NUM || m < 0) return -1;
  const sdim *d = &s->dim[j];
  size_t n = (size_t)m + 1;
  double *mem =
      malloc(sizeof(double) * (PE_NUM_ARRAYS * n + n + (m + 3)) + 2 * n * sizeof(vi_pair));
  if (!mem) return -1;
  double *p = mem;
  pe_num e;
  pe_num_carve(&e, &p, (int)n);
  double *t = carve(&p, n);
  pe_work wk;
  wk.sorted = carve(&p, (size_t)m + 3);
  wk.pairs = (vi_pair *)p;
  wk.tmp = wk.pairs + n;
  for (int k = 0; k < m; k++) t[k] = sdim_internal(d, values[k]);
  pe_num_build(&e, d, t, w, m, &s->opt, s->opt.multivariate ? s->nd : 0, &wk);
  for (int k = 0; k < e.n; k++) {
    mu[k] = e.mu[k];
    sig[k] = e.sig[k];
    weight[k] = e.cw[k] - (k ? e.cw[k - 1] : 0);
  }
  weight[e.n - 1] = 1.0 - (e.n > 1 ? e.cw[e.n - 2] : 0);
  int nk = e.n;
  free(mem);
  return nk;
}
