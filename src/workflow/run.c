/* The run workflow (see run.h) as named steps: load the data into
 * node-shared memory, split it and check the transforms, create the
 * sampler, run the sweep, retrain the best configuration (final.c) and
 * write the summary. Every step is collective and ends with every rank
 * knowing the outcome. */
#include "workflow/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/outdir.h"
#include "util/agree.h"
#include "util/log.h"
#include "workflow/fit.h"
#include "workflow/launch_report.h"
#include "workflow/workflow.h"

static int load_data(MPI_Comm comm, const mlps_config *cfg, data_set *ds, mlps_err *e) {
  data_spec spec = {0};
  spec.path = cfg->data.path;
  spec.inputs = cfg->data.inputs;
  spec.targets = cfg->data.targets;
  spec.input_columns = cfg->data.input_columns;
  spec.target_columns = cfg->data.target_columns;
  spec.max_rows = cfg->data.max_rows;
  return data_load_shared(comm, &spec, ds, e);
}

/* Transforms must be fittable on every training fold before any rank
 * trains (e.g. log of a non-positive target is an input error). Rank 0. */
static int check_transforms(const mlps_config *cfg, const data_set *ds, const data_split *sp,
                            mlps_err *e) {
  int rc = MLPS_OK;
  for (int f = 0; !rc && f < cfg->split.kfold; f++) {
    size_t ntr = split_count(sp, f, SPLIT_TRAIN);
    size_t *tr = mlps_xmalloc(sizeof(size_t) * (ntr + 1));
    split_rows(sp, f, SPLIT_TRAIN, tr);
    fit_model fm = {0};
    char warn[1024] = "";
    rc = fit_transforms(cfg, ds, tr, ntr, &fm, warn, sizeof warn, e);
    if (!rc && f == 0 && warn[0]) log_msg(LOG_ALWAYS, "mlpsweep run: warning: %s", warn);
    fit_model_free(&fm);
    free(tr);
  }
  return rc;
}

/* Split, transform check, split file and sampler: every rank learns the
 * outcome; *budget is the sampler's number of trials. */
static int prepare(MPI_Comm comm, const mlps_config *cfg, const run_opts *ro, const data_set *ds,
                   data_split *sp, run_ctx *ctx, long *budget, mlps_err *e) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  const cfg_split *s = &cfg->split;
  int rc =
      split_make(ds->n, CFG_SPLIT_SEED(cfg), s->test_count > 0 ? 0 : s->test_fraction,
                 (size_t)(s->test_count > 0 ? s->test_count : 0), s->kfold, s->val_fraction, sp, e);
  if (!rc && rank == 0) rc = check_transforms(cfg, ds, sp, e);
  if (!rc && rank == 0 && ro->split_out) rc = split_write_h5(ro->split_out, sp, e);
  if (!rc && rank == 0) {
    sampler_options so;
    cfg_sampler_options(cfg, &so);
    rc = sampler_create(&ctx->smp, cfg->search.method, &cfg->space, cfg->seed, &so, e);
  }
  rc = mpi_agree(comm, rc, e);
  *budget = 0;
  if (!rc && rank == 0) *budget = sampler_budget(ctx->smp);
  MPI_Bcast(budget, 1, MPI_LONG, 0, comm);
  return rc;
}

static void print_plan(FILE *f, const mlps_config *cfg, const data_set *ds, const data_split *sp,
                       long budget, int size) {
  char b1[32];
  fprintf(f, "plan: %ld trials x %d folds = %ld tasks on %d rank(s) (%d worker(s))\n", budget,
          cfg->split.kfold, budget * cfg->split.kfold, size, size > 1 ? size - 1 : 1);
  fprintf(f, "data: %s: X %zu x %zu, Y %zu x %zu (%s in node-shared memory)\n", ds->path, ds->n,
          ds->d, ds->n, ds->m, data_fmt_bytes((double)ds->bytes, b1, sizeof b1));
  fprintf(f, "split: %zu test rows held out; %d fold(s) over %zu rows\n", sp->n_test, sp->k,
          sp->n_pool);
  fprintf(f, "dry run: nothing trained\n");
}

int run_task_done(void *user, const task_result *r, const double *x, const epoch_report *curve,
                  int n_curve, int replayed, mlps_err *err) {
  run_ctx *ctx = user;
  MLPS_TRY(history_task_done(user, r, x, curve, n_curve, replayed, err));
  prune_task_done(ctx->prune, r, curve, n_curve, replayed);
  return MLPS_OK;
}

static int run_sweep(MPI_Comm comm, const mlps_config *cfg, const run_opts *ro,
                     const char *cfg_text, long budget, run_ctx *ctx, sweep_result **res,
                     mlps_err *e) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0)
    MLPS_TRY(
        path_join(ctx->history_path, sizeof ctx->history_path, cfg->output.dir, "history.h5", e));
  sweep_opts o;
  sweep_opts_init(&o);
  o.comm = comm;
  o.out_dir = cfg->output.dir;
  o.config_text = cfg_text;
  o.space = &cfg->space;
  o.n_folds = cfg->split.kfold;
  o.max_trials = (int)budget;
  o.seed = cfg->seed;
  o.metric = cfg->search.metric;
  o.resume = ro->resume;
  o.verbosity = ro->verbosity;
  if (ro->progress_interval > 0) o.progress_interval = ro->progress_interval;
  o.task = task_train_fold;
  o.task_user = ctx;
  o.propose = propose_next;
  o.propose_user = ctx;
  o.task_done = run_task_done;
  o.task_done_user = ctx;
  /* Pruning: the engine asks the judge; in generations (search.batch) a
   * trial's outcome must not depend on which of its folds ran at once. */
  ctx->rules = prune_rules(cfg);
  if (rank == 0) ctx->prune = prune_create(cfg, ctx->smp);
  o.judge = ctx->rules ? prune_judge : NULL;
  o.judge_user = ctx;
  o.prune_in_fold_order = cfg->search.sampler.batch > 0;
  o.max_seconds = cfg->search.max_seconds;
  o.config_cmp = resume_config_cmp;
  o.config_cmp_user = ctx;
  o.header_extra = resume_write_data;
  o.header_extra_user = ctx;
  o.dir_locked = 1; /* run_workflow holds it through the final stage */
  return sweep_run(&o, res, e);
}

/* Warns (rank 0) when most finished tasks had their best epoch at the last
 * one allowed: training was cut short by train.max_epochs, not stopped
 * early, and the trials may be better than the sweep saw. */
static void warn_epoch_limit(const mlps_config *cfg, const sweep_result *res) {
  if (cfg->train.schedule.kind == SCHED_STAGES) return; /* stages have their own limits */
  long n_ok = 0, at_limit = 0;
  for (int i = 0; i < res->n_trials; i++) {
    const sweep_trial *t = &res->trials[i];
    for (int f = 0; t->done && f < res->n_folds; f++) {
      if (!t->done[f] || t->folds[f].status != TASK_OK) continue;
      n_ok++;
      at_limit += t->folds[f].best_epoch >= cfg->train.max_epochs - 1;
    }
  }
  if (n_ok >= 2 && 2 * at_limit > n_ok)
    log_msg(LOG_ALWAYS,
            "mlpsweep: warning: %ld of %ld finished tasks had their best epoch at the "
            "last one (train.max_epochs %d): training was cut short by the epoch "
            "limit rather than stopped early; raise train.max_epochs",
            at_limit, n_ok, cfg->train.max_epochs);
}

/* The best trial of the sweep as the final stage's plan (rank 0; the
 * others get it from final_run's broadcast). */
static void plan_final(const sweep_result *res, final_plan *fp) {
  memset(fp, 0, sizeof *fp);
  fp->best = -1;
  fp->cv_mean = fp->cv_std = NAN; /* written as null when no trial succeeded */
  if (!res) return;
  fp->n_folds = res->n_folds;
  fp->best = res->stats.best_trial;
  if (fp->best < 0) return;
  const sweep_trial *t = &res->trials[fp->best];
  memcpy(fp->x, t->x, sizeof fp->x);
  fp->best_epochs = mlps_xmalloc(sizeof(double) * (size_t)res->n_folds);
  for (int f = 0; f < res->n_folds; f++) fp->best_epochs[f] = t->folds[f].best_epoch + 1;
  fp->cv_mean = t->metric_mean;
  fp->cv_std = t->metric_std;
}

static int run_stages(MPI_Comm comm, const mlps_config *cfg, const run_opts *ro, double t0,
                      mlps_err *e);

/* After a signal stopped the final stage (rank 0). */
static void note_final_stop(const mlps_config *cfg) {
  char why[256];
  snprintf(why, sizeof why,
           "stopped by %s during the final stage: the sweep is complete in the "
           "journal; rerun with --resume to redo the final stage",
           sweep_stop_signal_name());
  log_msg(LOG_ALWAYS, "mlpsweep: %s (exit code %d)", why, SWEEP_EXIT_STOPPED);
  mlps_err me = {0, ""};
  if (outdir_mark_stopped(cfg->output.dir, why, &me))
    log_msg(LOG_ALWAYS, "mlpsweep: warning: %s", me.msg);
}

int run_workflow(MPI_Comm comm, const mlps_config *cfg, const run_opts *ro, mlps_err *e) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  double t0 = MPI_Wtime();
  /* One writer per output directory, from before the data is read (so a
   * second run is refused at once) to the last output. */
  outdir_lock lock = {-1, 0};
  int rc = rank == 0 && !ro->dry_run ? outdir_lock_take(cfg->output.dir, &lock, e) : MLPS_OK;
  rc = mpi_agree(comm, rc, e);
  if (rc) return rc;
  /* Signals stop the sweep and the final stage alike. */
  sweep_signals_install();
  rc = run_stages(comm, cfg, ro, t0, e);
  sweep_signals_restore();
  outdir_lock_release(&lock);
  return rc;
}

static int run_stages(MPI_Comm comm, const mlps_config *cfg, const run_opts *ro, double t0,
                      mlps_err *e) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  data_set ds = {0};
  MLPS_TRY(load_data(comm, cfg, &ds, e));
  launch_report(comm, ro->verbosity);
  data_split sp = {0};
  run_ctx ctx = {0};
  ctx.cfg = cfg;
  ctx.ds = &ds;
  ctx.split = &sp;
  ctx.allow_data_change = ro->allow_data_change;
  if (rank == 0) data_identity_make(&ds, &ctx.data_id);
  long budget = 0;
  int rc = prepare(comm, cfg, ro, &ds, &sp, &ctx, &budget, e);
  char *cfg_text = rank == 0 ? cfg_dump(cfg) : NULL;
  if (!rc && ro->dry_run) {
    if (rank == 0) print_plan(ro->out ? ro->out : stdout, cfg, &ds, &sp, budget, size);
  } else if (!rc) {
    sweep_result *res = NULL;
    rc = run_sweep(comm, cfg, ro, cfg_text, budget, &ctx, &res, e);
    if (rank == 0 && res && (!rc || rc == SWEEP_EXIT_STOPPED)) warn_epoch_limit(cfg, res);
    final_plan fp;
    plan_final(rank == 0 && !rc ? res : NULL, &fp);
    json_writer w;
    json_init(&w);
    if (!rc && rank == 0) summary_begin(&w, cfg, res, &fp, size);
    if (!rc) rc = final_run(comm, cfg, cfg_text, &ds, &sp, &fp, &w, e);
    if (rc == SWEEP_EXIT_STOPPED && rank == 0 && fp.best >= 0 && res) note_final_stop(cfg);
    if (!rc && rank == 0) {
      sweep_orphan_check();
      rc = summary_finish(&w, cfg, cfg_text, MPI_Wtime() - t0, e);
      if (!rc && fp.best >= 0)
        log_msg(LOG_INFO,
                "mlpsweep: done in %.0f s; outputs in %s/ (model.h5, summary.json, "
                "trials.csv, trials.jsonl, history.h5)",
                MPI_Wtime() - t0, cfg->output.dir);
    }
    rc = mpi_agree(comm, rc, e);
    free(fp.best_epochs);
    json_free(&w);
    sweep_result_free(res);
  }
  prune_free(ctx.prune);
  pruner_free(ctx.rules);
  sampler_free(ctx.smp);
  free(ctx.obs);
  data_identity_free(&ctx.data_id);
  free(cfg_text);
  split_free(&sp);
  data_free(&ds);
  return rc;
}
