/* Internals of the `run` workflow shared by its files (see run.h):
 *   run.c      the workflow as named steps (data, split, sampler, sweep,
 *              final stage, summary)
 *   task.c     the sweep's task: train one fold of one trial
 *   propose.c  the sweep's proposer: the configured sampler over the history
 *   prune.c    pruning: search/pruner.h's rules as the sweep's judge
 *   history.c  learning curves into OUT/history.h5
 *   resume.c   what may differ between a journal and a resumed run
 *   final.c    the final stage: retrain and fold-model jobs over the ranks
 *   outputs.c  model.h5, test_predictions.h5 and the test metrics
 *   summary.c  OUT/summary.json */
#ifndef MLPS_WORKFLOW_H
#define MLPS_WORKFLOW_H

#include <mpi.h>

#include "config/config.h"
#include "data/data.h"
#include "data/split.h"
#include "search/pruner.h"
#include "search/sampler.h"
#include "sweep/json.h"
#include "sweep/sweep.h"
#include "util/paths.h"

/* rng_derive purpose of the final retrain's seeds. */
#define RUN_FINAL_PURPOSE 0x46494e414cull /* "FINAL" */
/* ... and of the inner holdout split of final.epochs = holdout. */
#define RUN_HOLDOUT_PURPOSE 0x484f4c44ull /* "HOLD" */

typedef struct run_pruner run_pruner;

/* What the sweep's callbacks share. */
typedef struct {
  const mlps_config *cfg;
  const data_set *ds;
  const data_split *split;
  sampler *smp;     /* rank 0 */
  sampler_obs *obs; /* proposer scratch */
  int obs_cap;
  char history_path[MLPS_PATH_MAX];
  data_identity data_id; /* rank 0: what was loaded, recorded in the journal header */
  int allow_data_change; /* --allow-data-change: a resume may use other data */
  pruner *rules;         /* every rank: where the pruner decides (NULL: no pruning) */
  run_pruner *prune;     /* rank 0: the judge's records */
} run_ctx;

/* task.c: sweep_task_fn */
int task_train_fold(void *user, const sweep_task *t, sweep_ctx *ctx, task_result *res);
/* propose.c: sweep_propose_fn */
propose_status propose_next(void *user, int trial, const sweep_history *h, double *x,
                            mlps_err *err);
/* history.c: sweep_task_done_fn; writes the task's curve to history.h5
 * (when replayed from the journal, only if the file lacks it). */
int history_task_done(void *user, const task_result *r, const double *x, const epoch_report *curve,
                      int n_curve, int replayed, mlps_err *err);
/* prune.c: the pruner's rules from the config (NULL for none), on any rank. */
pruner *prune_rules(const mlps_config *cfg);
/* Rank 0: the judge's state (NULL for none); smp gives the generations. */
run_pruner *prune_create(const mlps_config *cfg, const sampler *smp);
void prune_free(run_pruner *rp);
/* sweep_judge_fn (user: run_ctx). */
int prune_judge(void *user, const epoch_report *e, double *value);
/* Feeds a journaled task (replayed: read back on --resume). */
void prune_task_done(run_pruner *rp, const task_result *r, const epoch_report *curve, int n_curve,
                     int replayed);
/* The rungs of trials [0, n_trials) (all brackets), sorted, at most max. */
int prune_rungs_all(const pruner *rules, int n_trials, int *out, int max);
/* run.c: sweep_task_done_fn: history.h5, then the judge's records. */
int run_task_done(void *user, const task_result *r, const double *x, const epoch_report *curve,
                  int n_curve, int replayed, mlps_err *err);

/* resume.c: sweep_config_cmp_fn (config and data against the journal's),
 * and sweep_header_fn (the data's identity into the journal header). */
int resume_config_cmp(void *user, const char *journal_cfg, const char *current_cfg,
                      const json_value *journal_header, mlps_err *err);
void resume_write_data(void *user, json_writer *w);

/* final.c: what every rank needs to retrain the best configuration. */
typedef struct {
  int32_t best; /* trial id, -1 when no trial succeeded */
  int32_t n_folds;
  double x[SPACE_MAX_PARAMS];
  double cv_mean, cv_std;
  double *best_epochs; /* [n_folds], per fold as epochs to run (best_epoch + 1); owned */
} final_plan;

/* Collective: retrains the best configuration (ensemble members and the
 * fold-model diagnostic, spread over the ranks), then rank 0 writes the
 * outputs and the summary's test part into w. Returns MLPS_OK,
 * SWEEP_EXIT_STOPPED after a signal, or an error (the same on every rank). */
int final_run(MPI_Comm comm, const mlps_config *cfg, const char *cfg_text, const data_set *ds,
              const data_split *sp, final_plan *fp, json_writer *w, mlps_err *e);

/* outputs.c: rank 0, once every job's parameters are in: evaluates the final
 * model and the fold models on the test rows, writes model.h5 and
 * test_predictions.h5, and the test part of the summary into w. params[j],
 * epochs[j] as final.c numbers the jobs. */
int outputs_write(const mlps_config *cfg, const char *cfg_text, const data_set *ds,
                  const data_split *sp, const final_plan *fp, float **params, const int *epochs,
                  json_writer *w, mlps_err *e);

/* summary.c: the sweep part of summary.json (before the final stage adds its
 * part) and the closing part; then the file. */
void summary_begin(json_writer *w, const mlps_config *cfg, const sweep_result *res,
                   const final_plan *fp, int ranks);
int summary_finish(json_writer *w, const mlps_config *cfg, const char *cfg_text,
                   double wall_seconds, mlps_err *e);

#endif
