/* Pruners: rules that stop an unpromising task early, from the validation
 * values recorded so far (issue 20). Pure rules over their own records: no
 * MPI, no I/O, no clock; the caller (the sweep's coordinator) feeds every
 * report and every finished task, and acts on the answer.
 *
 * Values are "best so far": the lowest validation loss a task has reached
 * up to and including an epoch (every metric is an error: lower is
 * better). Epochs count from 0; a task "at epoch e" has trained e + 1
 * epochs.
 *
 * Comparisons are fold-matched: fold f of a trial is compared only with
 * fold f of other trials. With k-fold cross-validation the folds' losses
 * differ systematically (their validation rows differ), so mixing them
 * would prune trials for the fold they happen to be on. A trial is pruned
 * when any of its folds is.
 *
 * Rules
 *   median     Optuna's MedianPruner: at epoch e (e >= warmup_epochs, on
 *              every interval-th epoch after it), once startup_trials
 *              tasks of this fold have finished, prune when the task's best
 *              so far is worse than the median of the finished tasks'
 *              values at epoch e (their best so far there; tasks that
 *              stopped before e count with their last value).
 *   asha       asynchronous successive halving (Li et al. 2020) with
 *              Optuna's promotion rule: rungs at min_epochs * eta^k epochs
 *              (k = 0, 1, ...) below max_epochs; a task reaching a rung
 *              records its value there and continues only when it is among
 *              the best floor(n / eta) of the n values recorded at that rung
 *              so far (itself included; at least the best one). No task
 *              ever waits for a rung to fill.
 *   hyperband  several ASHA brackets (Li et al. 2018): bracket b starts its
 *              rungs at min_epochs * eta^b; trial t's bracket is drawn from
 *              (seed, t) with weights proportional to each bracket's
 *              number of trials in Hyperband's schedule, so the decision is
 *              the same on any rank count and after a resume. Brackets keep
 *              their own rungs. */
#ifndef MLPS_SEARCH_PRUNER_H
#define MLPS_SEARCH_PRUNER_H

#include <stdint.h>

typedef enum {
  PRUNER_KIND_NONE,
  PRUNER_KIND_MEDIAN,
  PRUNER_KIND_ASHA,
  PRUNER_KIND_HYPERBAND,
  PRUNER_KIND_COUNT
} pruner_kind;
extern const char *const PRUNER_KIND_NAMES[PRUNER_KIND_COUNT];

typedef struct {
  pruner_kind kind;
  int startup_trials; /* median: finished tasks of a fold before any pruning */
  int warmup_epochs;  /* median: no pruning before this epoch */
  int interval;       /* median: decide every interval-th epoch (>= 1) */
  int min_epochs;     /* asha, hyperband: the first rung (>= 1) */
  int eta;            /* asha, hyperband: reduction factor (>= 2) */
  int max_epochs;     /* the tasks' epoch limit: no rung at or beyond it */
  uint64_t seed;      /* hyperband: brackets are drawn from (seed, trial) */
} pruner_options;

typedef struct pruner pruner;

/* NULL for kind none. n_folds >= 1. Never fails otherwise (aborts on OOM). */
pruner *pruner_create(const pruner_options *o, int n_folds);
void pruner_free(pruner *p);

/* Fold `fold` of trial `trial` reached epoch `epoch` with best-so-far value
 * v (NaN or Inf: never pruned here; divergence is the task's own business).
 * Returns 1 when the task should stop, 0 to continue. Reports of one task
 * come in epoch order; epochs may be skipped. */
int pruner_report(pruner *p, int trial, int fold, int epoch, double v);
/* The same decision without recording v (v still counts in its own rung's
 * ranking): reproducible sweeps decide from the records of earlier
 * generations only and record a generation once it has finished. */
int pruner_check(pruner *p, int trial, int fold, int epoch, double v);
/* Records v as pruner_report would, without a decision. */
void pruner_record(pruner *p, int trial, int fold, int epoch, double v);
/* 1 when the rule of trial's bracket decides at `epoch` (asha, hyperband:
 * a rung); 0 for median, which may decide at any epoch. Workers wait for
 * the verdict at these epochs, so a pruned task trains exactly to its rung. */
int pruner_decides_at(const pruner *p, int trial, int epoch);

/* Fold `fold` of a task finished (completed or stopped) with best-so-far
 * values best[0..n) per epoch: the median rule compares with these. */
void pruner_task_done(pruner *p, int fold, const double *best, int n);

/* The rungs (epochs) of trial's bracket, for reports and plots: writes up
 * to max of them into out and returns how many there are. */
int pruner_rungs(const pruner *p, int trial, int *out, int max);

/* hyperband: trial's bracket (0 for asha). */
int pruner_bracket(const pruner *p, int trial);

#endif
