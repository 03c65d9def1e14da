/* The coordinator's table of trials: per-fold results as they finish, fold
 * aggregation (mean, std, failure), the best trial, parameter formatting
 * (journal, progress line, CSV) and trials.csv. Rank 0 only; no MPI. */
#ifndef MLPS_TRIALS_H
#define MLPS_TRIALS_H

#include <stddef.h>

#include "search/space.h"
#include "sweep/json.h"
#include "sweep/sweep.h"

typedef struct {
  sweep_trial *t; /* indexed by trial id, [0, n) */
  int n, cap;
  int n_folds;
  search_metric metric;
  int best;       /* id of the best OK trial or -1 */
  int fold_order; /* sweep_opts.prune_in_fold_order */
} trial_table;

void trials_init(trial_table *tt, int n_folds, search_metric metric);
/* Frees the table (and every trial's buffers). */
void trials_free(trial_table *tt);
/* Trial id, growing the table with TRIAL_UNSEEN trials as needed. */
sweep_trial *trials_get(trial_table *tt, int id);
/* Marks trial id proposed at point x (n_params values). */
void trials_set_point(trial_table *tt, int id, const double *x, int n_params);
/* Stores a finished fold. Returns 1 when this completed the trial (it is
 * then aggregated and the best updated), 0 otherwise, -1 when the fold was
 * already recorded (the duplicate is ignored).
 * A trial with a pruned fold is complete once none of its folds runs (and,
 * with fold_order, every fold below the lowest pruned one is recorded):
 * it is then pruned, or failed when a fold below that one failed. Its
 * outcome is taken from the lowest pruned fold and the folds below it
 * only, the folds that a one-fold-at-a-time run would have trained. A
 * fold recorded after that (it was running) is stored and the trial
 * aggregated again. */
int trials_record(trial_table *tt, const task_result *r);
/* 1 when fold `fold` of t must not start: t was judged pruned (live or in
 * the journal) and, with fold_order, fold lies above the lowest pruned fold. */
int trials_fold_cancelled(const trial_table *tt, const sweep_trial *t, int fold);
/* Appends an epoch to the learning curve of (trial, fold). */
void trials_add_epoch(trial_table *tt, const epoch_report *e);
/* Frees one trial's buffers (used by trials_free and sweep_result_free). */
void trials_free_one(sweep_trial *t, int n_folds);

/* Text of parameter i of the space at value xi: the choice for categorical
 * and constant parameters, an integer for integer domains, else the
 * shortest round-trip double. */
const char *trials_param_text(const search_space *s, int i, double xi, char *buf, size_t n);
/* "name=value name=value ..." for progress lines (floats to 4 digits). */
const char *trials_params_line(const search_space *s, const double *x, char *buf, size_t n);
/* {"name": value, ...} with strings for string choices, numbers otherwise. */
void trials_params_json(json_writer *w, const search_space *s, const double *x);

/* Writes trials.csv: one row per trial whose folds are all finished, sorted
 * by id: trial, params..., status, reason, n_folds_ok, metric (objective)
 * mean and std, mean of each metric, best_epoch_mean, epochs_mean, state
 * (complete | pruned | failed), then the
 * timing columns seconds_sum, seconds_max LAST so that comparisons can strip
 * them. Written to path.tmp and renamed. */
int trials_write_csv(const trial_table *tt, const search_space *s, const char *path, mlps_err *err);

#endif
