/* Pruner rules (see pruner.h). */
#include "search/pruner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/rng.h"

const char *const PRUNER_KIND_NAMES[PRUNER_KIND_COUNT] = {"none", "median", "asha", "hyperband"};

/* rng_derive purpose of hyperband's bracket draw. */
#define PRUNER_PURPOSE_BRACKET 0x425241434bull /* "BRACK" */

#define MAX_RUNGS 48 /* eta >= 2 and epochs < 2^31: at most 31 rungs */

typedef struct {
  double *v; /* values recorded at a rung, in arrival order */
  int n, cap;
} values;

typedef struct {
  double **curve; /* finished tasks' best-so-far curves */
  int *len;
  int n, cap;
} finished;

struct pruner {
  pruner_options o;
  int n_folds;
  int n_brackets;
  double bracket_weight[MAX_RUNGS]; /* hyperband: cumulative, normalised */
  values *rung;                     /* [n_brackets][n_folds][MAX_RUNGS] */
  finished *done;                   /* [n_folds] (median) */
  double *scratch;
  int scratch_cap;
};

static void push(values *s, double v) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 16;
    s->v = mlps_xrealloc(s->v, sizeof(double) * (size_t)s->cap);
  }
  s->v[s->n++] = v;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double *scratch(pruner *p, int n) {
  if (n > p->scratch_cap) {
    p->scratch_cap = 2 * n;
    p->scratch = mlps_xrealloc(p->scratch, sizeof(double) * (size_t)p->scratch_cap);
  }
  return p->scratch;
}

/* First rung of bracket b, in epochs trained; 0 when it would reach
 * max_epochs (a bracket that never prunes). */
static long first_rung(const pruner_options *o, int b) {
  long r = o->min_epochs;
  for (int i = 0; i < b; i++) r *= o->eta;
  return r < o->max_epochs ? r : 0;
}

pruner *pruner_create(const pruner_options *o, int n_folds) {
  if (o->kind == PRUNER_KIND_NONE) return NULL;
  pruner *p = mlps_xcalloc(1, sizeof *p);
  p->o = *o;
  if (p->o.interval < 1) p->o.interval = 1;
  if (p->o.eta < 2) p->o.eta = 2;
  if (p->o.min_epochs < 1) p->o.min_epochs = 1;
  p->n_folds = n_folds;
  p->n_brackets = 1;
  if (o->kind == PRUNER_KIND_HYPERBAND) {
    /* s_max + 1 brackets, s_max = floor(log_eta(max / min)); bracket b
     * (first rung min * eta^b) is Hyperband's s = s_max - b, which runs
     * ceil((s_max + 1) / (s + 1) * eta^s) trials per iteration. */
    int s_max = 0;
    for (long r = p->o.min_epochs; r * p->o.eta <= p->o.max_epochs && s_max < MAX_RUNGS - 1;
         r *= p->o.eta)
      s_max++;
    p->n_brackets = s_max + 1;
    double total = 0;
    for (int b = 0; b < p->n_brackets; b++) {
      int s = s_max - b;
      total += ceil((double)(s_max + 1) / (s + 1) * pow(p->o.eta, s));
      p->bracket_weight[b] = total;
    }
    for (int b = 0; b < p->n_brackets; b++) p->bracket_weight[b] /= total;
  }
  p->rung = mlps_xcalloc((size_t)p->n_brackets * (size_t)n_folds * MAX_RUNGS, sizeof(values));
  p->done = mlps_xcalloc((size_t)n_folds, sizeof(finished));
  return p;
}

void pruner_free(pruner *p) {
  if (!p) return;
  for (size_t i = 0; i < (size_t)p->n_brackets * (size_t)p->n_folds * MAX_RUNGS; i++)
    free(p->rung[i].v);
  for (int f = 0; f < p->n_folds; f++) {
    for (int i = 0; i < p->done[f].n; i++) free(p->done[f].curve[i]);
    free(p->done[f].curve);
    free(p->done[f].len);
  }
  free(p->rung);
  free(p->done);
  free(p->scratch);
  free(p);
}

int pruner_bracket(const pruner *p, int trial) {
  if (!p || p->o.kind != PRUNER_KIND_HYPERBAND) return 0;
  mlps_rng r;
  rng_seed(&r, rng_derive(p->o.seed, PRUNER_PURPOSE_BRACKET, (uint64_t)trial, 0));
  double u = rng_uniform(&r);
  for (int b = 0; b < p->n_brackets; b++)
    if (u < p->bracket_weight[b]) return b;
  return p->n_brackets - 1;
}

int pruner_rungs(const pruner *p, int trial, int *out, int max) {
  if (!p || (p->o.kind != PRUNER_KIND_ASHA && p->o.kind != PRUNER_KIND_HYPERBAND)) return 0;
  int n = 0;
  for (long r = first_rung(&p->o, pruner_bracket(p, trial)); r > 0 && r < p->o.max_epochs;
       r *= p->o.eta) {
    if (n < max) out[n] = (int)r;
    n++;
  }
  return n;
}

static int median_rule(pruner *p, int fold, int epoch, double v) {
  const pruner_options *o = &p->o;
  const finished *d = &p->done[fold];
  if (d->n < o->startup_trials || d->n == 0 || epoch < o->warmup_epochs) return 0;
  if ((epoch - o->warmup_epochs) % o->interval) return 0;
  double *a = scratch(p, d->n);
  int n = 0;
  for (int i = 0; i < d->n; i++) {
    if (d->len[i] <= 0) continue;
    double x = d->curve[i][epoch < d->len[i] ? epoch : d->len[i] - 1];
    if (isfinite(x)) a[n++] = x;
  }
  if (!n) return 0;
  qsort(a, (size_t)n, sizeof *a, cmp_d);
  double median = n % 2 ? a[n / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
  return v > median;
}

/* The rung of bracket b that `epoch` completes (k), or -1 when none. */
static int rung_at(const pruner *p, int b, int epoch) {
  int k = 0;
  for (long r = first_rung(&p->o, b); r > 0 && r < p->o.max_epochs && k < MAX_RUNGS;
       r *= p->o.eta, k++)
    if (epoch + 1 == r) return k;
  return -1;
}

/* record: add v to the rung's values; decide: answer whether v is pruned
 * among them (v counted once, whether recorded or not). */
static int rung_rule(pruner *p, int trial, int fold, int epoch, double v, int record, int decide) {
  int b = pruner_bracket(p, trial), k = rung_at(p, b, epoch);
  if (k < 0) return 0;
  values *s = &p->rung[((size_t)b * (size_t)p->n_folds + (size_t)fold) * MAX_RUNGS + (size_t)k];
  if (record) push(s, v);
  if (!decide) return 0;
  /* Optuna's promotion: among the best floor(n / eta) (at least the best). */
  int n = s->n + !record;
  double *a = scratch(p, n);
  memcpy(a, s->v, sizeof(double) * (size_t)s->n);
  if (!record) a[n - 1] = v;
  qsort(a, (size_t)n, sizeof *a, cmp_d);
  int idx = n / p->o.eta - 1;
  if (idx < 0) idx = 0;
  return !(v <= a[idx]);
}

static int report(pruner *p, int trial, int fold, int epoch, double v, int record, int decide) {
  if (!p || fold < 0 || fold >= p->n_folds || epoch < 0 || !isfinite(v)) return 0;
  switch (p->o.kind) {
    case PRUNER_KIND_MEDIAN: return decide ? median_rule(p, fold, epoch, v) : 0;
    case PRUNER_KIND_ASHA:
    case PRUNER_KIND_HYPERBAND: return rung_rule(p, trial, fold, epoch, v, record, decide);
    default: return 0;
  }
}

int pruner_report(pruner *p, int trial, int fold, int epoch, double v) {
  return report(p, trial, fold, epoch, v, 1, 1);
}

int pruner_check(pruner *p, int trial, int fold, int epoch, double v) {
  return report(p, trial, fold, epoch, v, 0, 1);
}

void pruner_record(pruner *p, int trial, int fold, int epoch, double v) {
  report(p, trial, fold, epoch, v, 1, 0);
}

int pruner_decides_at(const pruner *p, int trial, int epoch) {
  if (!p) return 0;
  if (p->o.kind == PRUNER_KIND_ASHA || p->o.kind == PRUNER_KIND_HYPERBAND)
    return rung_at(p, pruner_bracket(p, trial), epoch) >= 0;
  return 0;
}

void pruner_task_done(pruner *p, int fold, const double *best, int n) {
  if (!p || p->o.kind != PRUNER_KIND_MEDIAN || fold < 0 || fold >= p->n_folds || n <= 0) return;
  finished *d = &p->done[fold];
  if (d->n == d->cap) {
    d->cap = d->cap ? 2 * d->cap : 16;
    d->curve = mlps_xrealloc(d->curve, sizeof(double *) * (size_t)d->cap);
    d->len = mlps_xrealloc(d->len, sizeof(int) * (size_t)d->cap);
  }
  d->curve[d->n] = mlps_xmalloc(sizeof(double) * (size_t)n);
  memcpy(d->curve[d->n], best, sizeof(double) * (size_t)n);
  d->len[d->n++] = n;
}
