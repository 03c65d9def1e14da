/* OUT/summary.json: the sweep's outcome (best trial, its parameters and CV
 * metric, counts), the final stage's test metrics (outputs.c adds them in
 * between), wall times and the resolved config. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow/workflow.h"

/* A parameter's value as the config writes it: the choice of a categorical
 * or constant parameter, the number of a numeric one. */
static void json_param(json_writer *w, const space_param *p, double x) {
  if (p->dist == DIST_CONSTANT || p->dist == DIST_CATEGORICAL) {
    const space_value *v = &p->values[p->dist == DIST_CONSTANT ? 0 : (int)x];
    if (v->type == VAL_STRING) json_str(w, v->s);
    else if (v->type == VAL_INT) json_int(w, v->i);
    else json_num(w, v->f);
  } else {
    json_num(w, x);
  }
}

/* "pruning": how many trials were pruned, the epochs trained against the
 * epochs a sweep without pruning would have trained: a pruned (or never
 * started) fold counts, in the latter, the mean epochs of the completed
 * tasks of the same fold (its early-stopping length is unknown). */
static void summary_pruning(json_writer *w, const mlps_config *cfg, const sweep_result *res) {
  int k = res->n_folds;
  double *sum = mlps_xcalloc((size_t)k, sizeof(double)), all = 0;
  long *cnt = mlps_xcalloc((size_t)k, sizeof(long)), n_all = 0, trained = 0, n_pruned = 0;
  double task_s = 0, wait_s = 0;
  for (int i = 0; i < res->n_trials; i++) {
    const sweep_trial *t = &res->trials[i];
    for (int f = 0; t->done && f < k; f++) {
      if (!t->done[f]) continue;
      trained += t->folds[f].epochs;
      task_s += t->folds[f].seconds, wait_s += t->folds[f].wait_seconds;
      n_pruned += t->folds[f].status == TASK_PRUNED;
      if (t->folds[f].status == TASK_PRUNED) continue;
      sum[f] += t->folds[f].epochs, cnt[f]++;
      all += t->folds[f].epochs, n_all++;
    }
  }
  double without = 0;
  for (int i = 0; i < res->n_trials; i++) {
    const sweep_trial *t = &res->trials[i];
    if (!t->done || t->state == TRIAL_UNSEEN) continue;
    for (int f = 0; f < k; f++) {
      int ran = t->done[f] && t->folds[f].status != TASK_PRUNED;
      if (ran) without += t->folds[f].epochs;
      else if (t->state == TRIAL_PRUNED || (t->done[f] && t->folds[f].status == TASK_PRUNED))
        without += cnt[f] ? sum[f] / cnt[f] : n_all ? all / n_all : cfg->train.max_epochs;
    }
  }
  json_key(w, "pruning");
  json_obj_begin(w);
  json_key(w, "pruner"), json_str(w, PRUNER_KIND_NAMES[cfg->search.pruner.kind]);
  json_key(w, "trials_pruned"), json_int(w, res->stats.n_trials_pruned);
  json_key(w, "tasks_pruned"), json_int(w, n_pruned);
  json_key(w, "epochs_trained"), json_int(w, trained);
  json_key(w, "epochs_without_pruning"), json_int(w, (long long)llround(without));
  /* what waiting for the verdicts at rungs cost the workers (a share of
   * the tasks' wall time; 0 with one rank, whose judge answers at once) */
  json_key(w, "verdict_wait_seconds"), json_num(w, wait_s);
  json_key(w, "task_seconds"), json_num(w, task_s);
  json_key(w, "rungs");
  json_arr_begin(w);
  pruner *rules = prune_rules(cfg);
  int rungs[64];
  int nr = prune_rungs_all(rules, res->n_trials, rungs, 64);
  for (int i = 0; i < nr; i++) json_int(w, rungs[i]);
  pruner_free(rules);
  json_arr_end(w);
  json_key(w, "budget_spent"), json_bool(w, res->stats.budget_spent);
  json_obj_end(w);
  free(sum);
  free(cnt);
}

void summary_begin(json_writer *w, const mlps_config *cfg, const sweep_result *res,
                   const final_plan *fp, int ranks) {
  json_obj_begin(w);
  json_key(w, "format"), json_str(w, "mlpsweep-summary");
  json_key(w, "version"), json_int(w, 1);
  json_key(w, "name"), json_str(w, cfg->name);
  json_key(w, "metric"), json_str(w, METRIC_NAMES[res->metric]);
  json_key(w, "best_trial"), json_int(w, fp->best);
  if (fp->best >= 0) {
    json_key(w, "best_params");
    json_obj_begin(w);
    for (int i = 0; i < cfg->space.n; i++) {
      json_key(w, cfg->space.p[i].name);
      json_param(w, &cfg->space.p[i], fp->x[i]);
    }
    json_obj_end(w);
  }
  json_key(w, "cv_metric_mean"), json_num(w, fp->cv_mean);
  json_key(w, "cv_metric_std"), json_num(w, fp->cv_std);
  json_key(w, "trials_ok"), json_int(w, res->stats.n_trials_ok);
  json_key(w, "trials_failed"), json_int(w, res->stats.n_trials_failed);
  json_key(w, "tasks_ok"), json_int(w, res->stats.n_tasks_ok);
  json_key(w, "tasks_not_ok"), json_int(w, res->stats.n_tasks_not_ok);
  json_key(w, "ranks"), json_int(w, ranks);
  json_key(w, "sweep_seconds"), json_num(w, res->stats.wall_seconds);
  json_key(w, "starts"), json_int(w, res->stats.n_starts);
  json_key(w, "sweep_seconds_total"), json_num(w, res->stats.wall_seconds_total);
  json_key(w, "trials_pruned"), json_int(w, res->stats.n_trials_pruned);
  summary_pruning(w, cfg, res);
}

int summary_finish(json_writer *w, const mlps_config *cfg, const char *cfg_text,
                   double wall_seconds, mlps_err *e) {
  json_key(w, "wall_seconds"), json_num(w, wall_seconds);
  json_key(w, "config"), json_str(w, cfg_text);
  json_obj_end(w);
  json_raw(w, "\n");
  char path[MLPS_PATH_MAX];
  MLPS_TRY(path_join(path, sizeof path, cfg->output.dir, "summary.json", e));
  return path_write_text(path, w->text.s, e);
}
