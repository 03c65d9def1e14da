/* Pruning in the sweep: search/pruner.h's rules behind the engine's judge
 * callback (sweep_opts.judge), fed with the journaled tasks.
 *
 * The judge sees every epoch report of a running task on rank 0 and judges
 * the task's best validation loss so far. What the rules compare it with:
 *   asynchronous (search.batch 0): every value recorded so far, as reports
 *     arrive (ASHA's rungs) and tasks complete (the median's curves);
 *   generations (search.batch B): only the tasks of earlier generations,
 *     recorded once a later generation is judged, each trial as a run
 *     training its folds one after another would have left it (the folds
 *     below its lowest pruned fold, and that fold up to its rung). The
 *     sampler starts a generation once the earlier ones are finished, so
 *     the records, hence every decision, are the same on any number of
 *     ranks and after a kill and --resume.
 * --resume rebuilds the records from the journal's curves through the same
 * task_done hook (replayed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workflow/workflow.h"

/* A finished task waiting for its generation to be recorded. */
typedef struct {
  int trial, fold, status, prune_fold, rung;
  double *best; /* best so far per epoch, [n] */
  int n;
} held_task;

struct run_pruner {
  pruner *p;
  const sampler *smp;
  int generations; /* search.batch > 0 */
  int k;
  double *best; /* [trial * k + fold]: running tasks' best so far */
  long cap;
  held_task *held;
  int n_held, cap_held;
};

/* The pruner's options from the config (every rank builds the same rules). */
static void options(const mlps_config *cfg, pruner_options *o) {
  const cfg_pruner *c = &cfg->search.pruner;
  memset(o, 0, sizeof *o);
  o->kind = c->kind;
  o->startup_trials = c->startup_trials;
  o->warmup_epochs = c->warmup_epochs;
  o->interval = c->interval;
  o->min_epochs = c->min_epochs;
  o->eta = c->eta;
  o->max_epochs = cfg->train.max_epochs;
  o->seed = cfg->seed;
}

pruner *prune_rules(const mlps_config *cfg) {
  pruner_options o;
  options(cfg, &o);
  return pruner_create(&o, cfg->split.kfold);
}

run_pruner *prune_create(const mlps_config *cfg, const sampler *smp) {
  if (cfg->search.pruner.kind == PRUNER_KIND_NONE) return NULL;
  run_pruner *rp = mlps_xcalloc(1, sizeof *rp);
  rp->p = prune_rules(cfg);
  rp->smp = smp;
  rp->generations = cfg->search.sampler.batch > 0;
  rp->k = cfg->split.kfold;
  return rp;
}

void prune_free(run_pruner *rp) {
  if (!rp) return;
  for (int i = 0; i < rp->n_held; i++) free(rp->held[i].best);
  free(rp->held);
  free(rp->best);
  pruner_free(rp->p);
  free(rp);
}

/* Best so far per epoch of a curve, its first n entries. */
static double *best_so_far(const epoch_report *curve, int n) {
  double *b = mlps_xmalloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
  double m = INFINITY;
  for (int i = 0; i < n; i++) {
    if (isfinite(curve[i].val_loss) && curve[i].val_loss < m) m = curve[i].val_loss;
    b[i] = m;
  }
  return b;
}

/* Records one task: its value at every epoch (the rules keep what they
 * need, e.g. ASHA the rungs), and its curve when it completed. */
static void record(run_pruner *rp, int trial, int fold, int status, const double *best, int n) {
  for (int i = 0; i < n; i++) pruner_record(rp->p, trial, fold, i, best[i]);
  if (status == TASK_OK) pruner_task_done(rp->p, fold, best, n);
}

static int cmp_held(const void *a, const void *b) {
  const held_task *x = a, *y = b;
  if (x->trial != y->trial) return x->trial < y->trial ? -1 : 1;
  return (x->fold > y->fold) - (x->fold < y->fold);
}

/* Generations: records the held tasks of generations below g, trial by
 * trial as a fold-by-fold run would have left them. */
static void record_generations(run_pruner *rp, int g) {
  int m = 0;
  for (int i = 0; i < rp->n_held; i++)
    if (sampler_generation(rp->smp, rp->held[i].trial) < g) m++;
  if (!m) return;
  qsort(rp->held, (size_t)rp->n_held, sizeof *rp->held, cmp_held);
  int keep = 0;
  for (int i = 0; i < rp->n_held;) {
    int j = i, trial = rp->held[i].trial;
    while (j < rp->n_held && rp->held[j].trial == trial) j++;
    if (sampler_generation(rp->smp, trial) >= g) {
      for (; i < j; i++) rp->held[keep++] = rp->held[i];
      continue;
    }
    int low = rp->k; /* the lowest pruned fold */
    for (int a = i; a < j; a++)
      if (rp->held[a].status == TASK_PRUNED && rp->held[a].fold < low) low = rp->held[a].fold;
    for (int a = i; a < j; a++) {
      held_task *h = &rp->held[a];
      if (h->fold < low) record(rp, trial, h->fold, h->status, h->best, h->n);
      else if (h->fold == low && h->prune_fold == h->fold)
        record(rp, trial, h->fold, h->status, h->best, h->rung < h->n ? h->rung : h->n);
      free(h->best);
    }
    i = j;
  }
  rp->n_held = keep;
}

int prune_judge(void *user, const epoch_report *e, double *value) {
  run_pruner *rp = ((run_ctx *)user)->prune;
  if (!rp || e->trial < 0 || e->fold < 0 || e->fold >= rp->k) return 0;
  long idx = (long)e->trial * rp->k + e->fold;
  if (idx >= rp->cap) {
    long cap = rp->cap ? rp->cap : 1024;
    while (cap <= idx) cap *= 2;
    rp->best = mlps_xrealloc(rp->best, sizeof(double) * (size_t)cap);
    for (long i = rp->cap; i < cap; i++) rp->best[i] = INFINITY;
    rp->cap = cap;
  }
  if (e->epoch == 0) rp->best[idx] = INFINITY;
  if (isfinite(e->val_loss) && e->val_loss < rp->best[idx]) rp->best[idx] = e->val_loss;
  *value = rp->best[idx];
  if (!rp->generations) return pruner_report(rp->p, e->trial, e->fold, e->epoch, *value);
  record_generations(rp, sampler_generation(rp->smp, e->trial));
  return pruner_check(rp->p, e->trial, e->fold, e->epoch, *value);
}

void prune_task_done(run_pruner *rp, const task_result *r, const epoch_report *curve, int n_curve,
                     int replayed) {
  if (!rp) return;
  /* An own pruning was judged at its rung: later epochs were never judged. */
  int own = r->status == TASK_PRUNED && r->prune_fold == r->fold;
  int n = own && r->rung < n_curve ? r->rung : n_curve;
  if (rp->generations) {
    if (rp->n_held == rp->cap_held) {
      rp->cap_held = rp->cap_held ? 2 * rp->cap_held : 64;
      rp->held = mlps_xrealloc(rp->held, sizeof *rp->held * (size_t)rp->cap_held);
    }
    held_task *h = &rp->held[rp->n_held++];
    h->trial = r->trial, h->fold = r->fold, h->status = r->status;
    h->prune_fold = r->status == TASK_PRUNED ? r->prune_fold : -1;
    h->rung = r->rung;
    h->best = best_so_far(curve, n_curve);
    h->n = n_curve;
    return;
  }
  double *best = best_so_far(curve, n);
  if (replayed) record(rp, r->trial, r->fold, r->status, best, n);
  else if (r->status == TASK_OK) pruner_task_done(rp->p, r->fold, best, n);
  free(best);
}

int prune_rungs_all(const pruner *rules, int n_trials, int *out, int max) {
  int n = 0, r[64];
  for (int t = 0; t < n_trials && t < 4096; t++) {
    int m = pruner_rungs(rules, t, r, 64);
    for (int i = 0; i < m && i < 64; i++) {
      int have = 0;
      for (int j = 0; j < n && !have; j++) have = out[j] == r[i];
      if (!have && n < max) out[n++] = r[i];
    }
  }
  for (int i = 1; i < n; i++) /* few: insertion sort */
    for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
      int x = out[j];
      out[j] = out[j - 1];
      out[j - 1] = x;
    }
  return n;
}
