/* Internals of the `run` workflow shared by its files (see run.h):
 *   run.c      the workflow as named steps (data, split, sampler, sweep,
 *              final stage, summary)
 *   task.c     the sweep's task: train one fold of one trial
 *   propose.c  the sweep's proposer: the configured sampler over the history
 *   prune.c    pruning: search/pruner.h's rules as the sweep's judge
 *   history.c  learning curves into OUT/history.h5
 *   resume.c   what may differ between a journal and a resumed run
 *   final.c    the final stage: retrain, fold-model and learning-curve jobs
 *              over the ranks
 *   committee.c  the committee's configurations and their weights
 *   lcurve.c   the learning curve: nested subsets, table, power-law fit
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
/* ... and of the learning curve's subsets, holdouts and networks. */
#define RUN_LCURVE_PURPOSE 0x4c43555256ull /* "LCURV" */

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

/* final.c: what every rank needs to retrain the best configuration (and
 * the committee's others). Config 0 is the sweep's best trial: x, cv_mean,
 * cv_std repeat it for the summary. */
#define FINAL_MAX_CONFIGS CFG_MAX_NETWORKS
typedef struct {
  int32_t best; /* trial id, -1 when no trial succeeded */
  int32_t n_folds;
  double x[SPACE_MAX_PARAMS];
  double cv_mean, cv_std;
  /* The committee (committee.c): n_configs distinct configurations, best
   * first; 0 (left by a plan without one) means config 0 alone. */
  int32_t n_configs;
  int32_t trial[FINAL_MAX_CONFIGS];
  double cx[FINAL_MAX_CONFIGS][SPACE_MAX_PARAMS];
  double ccv[FINAL_MAX_CONFIGS]; /* their CV metric means */
  /* [n_configs * n_folds]: per config and fold the epochs to run
   * (best_epoch + 1); owned */
  double *best_epochs;
} final_plan;

/* committee.c (rank 0, after the sweep): config 0 from fp's best trial,
 * then up to final.committee - 1 more: the next best trials by CV whose
 * folds all finished ok, each with a point no earlier pick has. Warns when
 * fewer than asked exist. Reallocates fp->best_epochs. */
void committee_select(const mlps_config *cfg, const sweep_result *res, final_plan *fp);
/* The weight of each configuration (n_configs, summing to 1): equal, or
 * proportional to 1 / CV metric (equal, with a warning, when a CV value is
 * not positive and finite). Returns 1 when the weights are not all equal. */
int committee_weights(const mlps_config *cfg, const final_plan *fp, double *w);

/* The final stage's jobs, numbered as final.c runs them (deterministic in
 * (config, seed, j)): [0, members) the committee's networks, member j of
 * config j / ensemble; then n_folds fold models of config 0; then the
 * learning curve's points. */
typedef struct {
  int ensemble, n_configs, members, n_folds, n_lcurve;
  int fold0, lcurve0, total; /* first fold job, first learning-curve job, count */
} final_jobs;
void final_jobs_make(const mlps_config *cfg, const final_plan *fp, final_jobs *fj);

/* Collective: retrains the best configuration (ensemble members and the
 * fold-model diagnostic, spread over the ranks), then rank 0 writes the
 * outputs and the summary's test part into w. Returns MLPS_OK,
 * SWEEP_EXIT_STOPPED after a signal, or an error (the same on every rank). */
int final_run(MPI_Comm comm, const mlps_config *cfg, const char *cfg_text, const data_set *ds,
              const data_split *sp, final_plan *fp, json_writer *w, mlps_err *e);

/* What the jobs returned: per job (numbered as final_jobs) its parameters
 * (for its configuration's architecture), epochs and seconds. */
typedef struct {
  float **params;
  int *epochs;
  double *seconds;
} final_results;

/* outputs.c: rank 0, once every job's parameters are in: evaluates the final
 * model (committee, best configuration's ensemble and single network) and
 * the fold models on the test rows, writes model.h5, test_predictions.h5,
 * the learning curve, and the test part of the summary into w. */
int outputs_write(const mlps_config *cfg, const char *cfg_text, const data_set *ds,
                  const data_split *sp, const final_plan *fp, const final_results *fr,
                  json_writer *w, mlps_err *e);

/* lcurve.c: point i's rows: the first ceil(fraction_i * n_pool) rows of
 * one seeded permutation of train+validation (so the subsets are nested
 * and never hold a test row), sorted. rows holds n_pool; returns the count. */
size_t lcurve_subset(const mlps_config *cfg, const data_split *sp, int i, size_t *rows);
/* Rank 0: each point evaluated on the test rows (te, nte; scaled and
 * natural are scratch of nte * m), OUT/learning_curve.csv and .h5, the
 * power-law fit, the printed extrapolation, summary block "learning_curve". */
int lcurve_write(const mlps_config *cfg, const data_set *ds, const data_split *sp,
                 const mlp_arch *arch, const final_jobs *fj, const final_results *fr,
                 const size_t *te, size_t nte, float *scaled, float *natural, json_writer *w,
                 mlps_err *e);

/* summary.c: the sweep part of summary.json (before the final stage adds its
 * part) and the closing part; then the file. */
void summary_begin(json_writer *w, const mlps_config *cfg, const sweep_result *res,
                   const final_plan *fp, int ranks);
int summary_finish(json_writer *w, const mlps_config *cfg, const char *cfg_text,
                   double wall_seconds, mlps_err *e);

#endif
