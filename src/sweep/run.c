/* The run workflow (see run.h): data, split, sweep, final retrain, outputs. */
#include "sweep/run.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "data/data.h"
#include "data/h5.h"
#include "data/split.h"
#include "search/sampler.h"
#include "sweep/fit.h"
#include "sweep/json.h"
#include "sweep/launch_report.h"
#include "sweep/model.h"
#include "sweep/sweep.h"
#include "util/rng.h"

/* rng_derive purpose of the final retrain's seeds. */
#define RUN_FINAL_PURPOSE 0x46494e414cull /* "FINAL" */
/* ... and of the inner holdout split of final.epochs = holdout. */
#define RUN_HOLDOUT_PURPOSE 0x484f4c44ull /* "HOLD" */

typedef struct {
  const mlps_config *cfg;
  const data_set *ds;
  const data_split *split;
  sampler *smp;          /* rank 0 */
  sampler_obs *obs;      /* proposer scratch */
  int obs_cap;
  char history_path[4200];
} run_ctx;

/* ---- the task: one fold of one trial ---------------------------------- */

typedef struct {
  sweep_ctx *ctx;
} epoch_cb_data;

static int epoch_cb(const train_epoch *ep, const train_result *so_far, void *user) {
  (void)so_far;
  epoch_cb_data *d = user;
  if (d->ctx) sweep_report_epoch(d->ctx, ep->epoch, ep->val_loss, ep->train_loss, ep->lr);
  return sweep_stop_requested();
}

static int run_task(void *user, const sweep_task *t, sweep_ctx *ctx, task_result *res) {
  run_ctx *rc = user;
  const data_set *ds = rc->ds;
  mlps_err e = {0};
  fit_plan p;
  for (int k = 0; k < SWEEP_METRIC_COUNT; k++) res->metrics[k] = NAN;
  res->best_epoch = -1;
  if (fit_plan_make(rc->cfg, t->x, ds->d, ds->m, &p, &e)) {
    snprintf(res->reason, sizeof res->reason, "%.*s", (int)sizeof res->reason - 1, e.msg);
    res->status = TASK_FAILED;
    return 0;
  }
  size_t ntr = split_count(rc->split, t->fold, SPLIT_TRAIN);
  size_t nva = split_count(rc->split, t->fold, SPLIT_VAL);
  size_t *tr = malloc(sizeof(size_t) * (ntr + nva + 1));
  if (!tr) {
    snprintf(res->reason, sizeof res->reason, "out of memory");
    res->status = TASK_FAILED;
    return 0;
  }
  size_t *va = tr + ntr;
  split_rows(rc->split, t->fold, SPLIT_TRAIN, tr);
  split_rows(rc->split, t->fold, SPLIT_VAL, va);

  fit_model fm = {0};
  train_result r = {0};
  epoch_cb_data cbd = {ctx};
  float *scaled = NULL, *natural = NULL;
  int st = fit_transforms(rc->cfg, ds, tr, ntr, &fm, NULL, 0, &e);
  if (!st) st = fit_train_member(&p, ds, &fm, tr, ntr, va, nva, t->seed, epoch_cb, &cbd, &r, &e);
  if (!st) {
    res->epochs = r.epochs_run;
    res->best_epoch = r.best_epoch;
    switch (r.status) {
      case TRAIN_OK: res->status = TASK_OK; break;
      case TRAIN_DIVERGED:
        res->status = TASK_DIVERGED;
        snprintf(res->reason, sizeof res->reason, "loss or weights became NaN/Inf at epoch %d (lr %g)",
                 r.epochs_run, p.tc.opt.lr);
        break;
      case TRAIN_TIMEOUT:
        res->status = TASK_TIMEOUT;
        snprintf(res->reason, sizeof res->reason, "train.max_seconds (%g s) reached after %d epochs",
                 p.tc.max_seconds, r.epochs_run);
        break;
      default: res->status = TASK_STOPPED; break;
    }
  }
  if (!st && res->status != TASK_STOPPED && r.best_epoch >= 0) {
    scaled = malloc(sizeof(float) * nva * ds->m);
    natural = malloc(sizeof(float) * nva * ds->m);
    fit_metrics fmx;
    if (!scaled || !natural) st = mlps_errorf(&e, MLPS_ERUNTIME, "out of memory");
    if (!st) st = fit_predict_rows(&fm, ds->X, ds->d, va, nva, scaled, natural, &e);
    if (!st) st = fit_metrics_rows(&fm, ds, va, nva, scaled, natural, &fmx, NULL, NULL, &e);
    if (!st) {
      res->metrics[SWEEP_METRIC_VAL_MSE] = fmx.mse;
      res->metrics[SWEEP_METRIC_VAL_MAE] = fmx.mae;
      res->metrics[SWEEP_METRIC_VAL_MEDIAN_FRAC_ERR] = fmx.median_frac;
    }
  }
  if (st) {
    res->status = TASK_FAILED;
    snprintf(res->reason, sizeof res->reason, "%.*s", (int)sizeof res->reason - 1, e.msg);
  }
  free(scaled), free(natural), free(tr);
  train_result_free(&r);
  fit_model_free(&fm);
  return 0;
}

/* ---- the proposer: the configured sampler over the sweep's history ---- */

static propose_status run_propose(void *user, int trial, const sweep_history *h, double *x,
                                  mlps_err *err) {
  run_ctx *rc = user;
  if (h->n > rc->obs_cap) {
    rc->obs_cap = h->n + 64;
    rc->obs = mlps_xrealloc(rc->obs, sizeof(sampler_obs) * (size_t)rc->obs_cap);
  }
  int n = 0;
  for (int i = 0; i < h->n; i++) {
    const sweep_trial *t = &h->trials[i];
    if (t->state == TRIAL_UNSEEN) continue;
    sampler_obs *o = &rc->obs[n++];
    o->trial = t->id;
    memcpy(o->x, t->x, sizeof o->x);
    o->value = t->metric_mean;
    o->status = t->state == TRIAL_PENDING ? SAMPLER_TRIAL_PENDING
                : t->state == TRIAL_OK    ? SAMPLER_TRIAL_OK
                                          : SAMPLER_TRIAL_FAILED;
  }
  switch (sampler_ready(rc->smp, trial, rc->obs, n)) {
    case SAMPLER_DONE: return PROPOSE_DONE;
    case SAMPLER_WAIT: return PROPOSE_WAIT;
    default: break;
  }
  if (sampler_suggest(rc->smp, trial, rc->obs, n, NULL, 0, x, err)) return PROPOSE_ERROR;
  return PROPOSE_OK;
}

/* ---- learning curves: OUT/history.h5, one dataset per task ------------ */

static void run_task_done(void *user, const task_result *r, const double *x, const epoch_report *curve,
                          int n_curve) {
  (void)x;
  run_ctx *rc = user;
  if (n_curve <= 0) return;
  h5_quiet();
  hid_t fid = access(rc->history_path, F_OK) == 0
                  ? H5Fopen(rc->history_path, H5F_ACC_RDWR, H5P_DEFAULT)
                  : H5Fcreate(rc->history_path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (fid < 0) {
    /* A history file torn by a kill: start a new one. The journal, not this
     * file, is the record of what finished. */
    remove(rc->history_path);
    fid = H5Fcreate(rc->history_path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (fid < 0) return;
  }
  double *a = malloc(sizeof(double) * 4 * (size_t)n_curve);
  if (a) {
    for (int i = 0; i < n_curve; i++) {
      a[4 * i + 0] = curve[i].epoch;
      a[4 * i + 1] = curve[i].train_loss;
      a[4 * i + 2] = curve[i].val_loss;
      a[4 * i + 3] = curve[i].lr;
    }
    char name[64];
    snprintf(name, sizeof name, "trial_%06d/fold_%d", r->trial, r->fold);
    mlps_err e;
    if (h5_exists(fid, name)) H5Ldelete(fid, name, H5P_DEFAULT);
    if (!h5_write_f64(fid, name, a, (size_t)n_curve, 4, 0, &e)) {
      const char *cols[4] = {"epoch", "train_loss", "val_loss", "lr"};
      h5_attr_strs(fid, name, "columns", cols, 4, &e);
    }
    free(a);
  }
  H5Fclose(fid);
}

static int run_config_cmp(void *user, const char *journal_cfg, const char *current_cfg, mlps_err *err) {
  (void)user;
  mlps_config a, b;
  cfg_errors ea = {0}, eb = {0};
  int rc = cfg_load_text(journal_cfg, strlen(journal_cfg), "journal header", NULL, 0, &a, &ea);
  int rc2 = rc ? rc : cfg_load_text(current_cfg, strlen(current_cfg), "config", NULL, 0, &b, &eb);
  cfg_errors_free(&ea);
  cfg_errors_free(&eb);
  if (rc || rc2)
    return mlps_errorf(err, MLPS_EINPUT, "cannot read the config stored in the journal header; "
                                         "start a new output directory instead of --resume");
  /* The final section does not change any trial: a finished sweep can be
   * resumed with other final settings to redo only the final stage. The
   * output directory may have been moved or copied. */
  a.final = b.final;
  memcpy(a.output.dir, b.output.dir, sizeof a.output.dir);
  /* The budget may change too, to extend a sweep (or cut it short): trial k
   * of grid, random, Sobol and TPE does not depend on it. An LHS design is
   * built for exactly search.trials rows, so there it stays fixed. */
  if (a.search.method == b.search.method && a.search.method != SAMPLER_LHS) a.search.trials = b.search.trials;
  char diff[1024];
  int nd = cfg_diff(&a, &b, diff, sizeof diff);
  if (nd)
    return mlps_errorf(err, MLPS_EINPUT,
                       "--resume: the config differs from the one this sweep started with in %d key(s): %s; "
                       "restore those values, or start a new sweep in another output.dir",
                       nd, diff);
  return MLPS_OK;
}

/* ---- the final model ----------------------------------------------------- */

/* What every rank needs to retrain the best configuration. */
typedef struct {
  int32_t best;           /* trial id, -1 when no trial succeeded */
  int32_t n_folds;
  double x[SPACE_MAX_PARAMS];
  double best_epochs[64]; /* per fold, as epochs to run (best_epoch + 1) */
  double cv_mean, cv_std;
} final_plan;

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int final_epochs(const mlps_config *cfg, const final_plan *fp) {
  double v[64];
  int k = fp->n_folds;
  memcpy(v, fp->best_epochs, sizeof(double) * (size_t)k);
  qsort(v, (size_t)k, sizeof(double), cmp_d);
  double e = 0;
  switch (cfg->final.epochs) {
    case FINAL_EPOCHS_MEDIAN_BEST: e = k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]); break;
    case FINAL_EPOCHS_MAX_BEST: e = v[k - 1]; break;
    case FINAL_EPOCHS_FIXED: e = cfg->final.fixed_epochs; break;
    default:
      for (int i = 0; i < k; i++) e += v[i];
      e /= k;
  }
  int n = (int)lround(e);
  return n < 1 ? 1 : n;
}

/* Fits transforms on fit_rows (ascending, as final_outputs fits them again,
 * so the sums run in the same order and give the same bits), trains one
 * network on tr with early stopping on va (n_va may be 0) and copies its
 * parameters out. */
static int train_params(const mlps_config *cfg, const data_set *ds, const fit_plan *p, const size_t *fit_rows,
                        size_t n_fit, const size_t *tr, size_t n_tr, const size_t *va, size_t n_va, uint64_t seed,
                        float *params, int *epochs, mlps_err *e) {
  fit_model fm = {0};
  train_result r;
  int rc = fit_transforms(cfg, ds, fit_rows, n_fit, &fm, NULL, 0, e);
  if (!rc) rc = fit_train_member(p, ds, &fm, tr, n_tr, va, n_va, seed, NULL, NULL, &r, e);
  if (!rc) {
    mlp_get_params(fm.member[0], params);
    *epochs = r.epochs_run;
    train_result_free(&r);
  }
  fit_model_free(&fm);
  return rc;
}

/* One job of the final stage: ensemble member j < ensemble (train+val), or
 * the fold model f = j - ensemble of the best trial (a diagnostic: exactly
 * the model the sweep trained for that fold, same rows and seed). Fills
 * params (n_params). */
static int final_job(const mlps_config *cfg, const data_set *ds, const data_split *sp, const final_plan *fp,
                     int j, float *params, int *epochs, mlps_err *e) {
  fit_plan p;
  MLPS_TRY(fit_plan_make(cfg, fp->x, ds->d, ds->m, &p, e));
  int ens = cfg->final.retrain ? cfg->final.ensemble : 0;
  int rc;
  if (j < ens) {
    size_t npool = split_count(sp, 0, SPLIT_POOL);
    size_t *pool = mlps_xmalloc(sizeof(size_t) * 2 * (npool + 1));
    size_t *shuffled = pool + npool + 1;
    split_rows(sp, 0, SPLIT_POOL, pool);
    uint64_t seed = rng_derive(cfg->seed, RUN_FINAL_PURPOSE, (uint64_t)j, 0);
    if (cfg->final.epochs == FINAL_EPOCHS_HOLDOUT) {
      /* Early stopping on a seeded inner holdout of the pool. */
      memcpy(shuffled, pool, sizeof(size_t) * npool);
      mlps_rng r;
      rng_seed(&r, rng_derive(cfg->seed, RUN_HOLDOUT_PURPOSE, (uint64_t)j, 0));
      rng_shuffle_size(&r, shuffled, npool);
      size_t nva = (size_t)ceil(cfg->final.holdout_fraction * (double)npool);
      if (nva < 1) nva = 1;
      rc = train_params(cfg, ds, &p, pool, npool, shuffled + nva, npool - nva, shuffled, nva, seed, params,
                        epochs, e);
    } else {
      int ne = final_epochs(cfg, fp);
      /* The trial's learning rate for the epochs its folds needed, then
       * anneal_fraction more epochs decaying it to 0 (cosine), so the run
       * ends settled instead of wherever a noisy last epoch leaves it. The
       * anneal is appended, not carved out: carved out, a slow run (small
       * lr, still improving at its best epoch) lost progress and ended
       * worse than its fold model (X-ray tutorial: 0.306% vs 0.264%).
       * With epochs: fixed the total is exactly fixed_epochs. */
      int na = (int)lround(cfg->final.anneal_fraction * ne);
      int total = cfg->final.epochs == FINAL_EPOCHS_FIXED ? ne : ne + na;
      p.tc.max_epochs = total;
      p.tc.patience = 0;
      p.tc.n_stages = 0;
      p.tc.schedule = cfg->final.anneal_fraction > 0 ? SCHED_COSINE : SCHED_CONSTANT;
      p.tc.cosine_eta_min = 0;
      p.tc.cosine_start = total - na;
      rc = train_params(cfg, ds, &p, pool, npool, pool, npool, NULL, 0, seed, params, epochs, e);
    }
    free(pool);
    return rc;
  }
  int f = j - ens;
  size_t ntr = split_count(sp, f, SPLIT_TRAIN), nva = split_count(sp, f, SPLIT_VAL);
  size_t *tr = mlps_xmalloc(sizeof(size_t) * (ntr + nva + 1)), *va = tr + ntr;
  split_rows(sp, f, SPLIT_TRAIN, tr);
  split_rows(sp, f, SPLIT_VAL, va);
  uint64_t seed = rng_derive(cfg->seed, (uint64_t)fp->best, (uint64_t)f, 0); /* as sweep.c seeds the task */
  rc = train_params(cfg, ds, &p, tr, ntr, tr, ntr, va, nva, seed, params, epochs, e);
  free(tr);
  return rc;
}

static void json_metrics(json_writer *w, const char *key, const fit_metrics *m) {
  json_key(w, key);
  json_obj_begin(w);
  json_key(w, "mse_scaled"), json_num(w, m->mse);
  json_key(w, "mae_scaled"), json_num(w, m->mae);
  json_key(w, "rmse"), json_num(w, m->rmse);
  json_key(w, "median_frac_err"), json_num(w, m->median_frac);
  json_key(w, "p95_frac_err"), json_num(w, m->p95_frac);
  json_key(w, "n_rows"), json_int(w, (long long)m->n_rows);
  json_obj_end(w);
}

static int write_text_file(const char *path, const char *text, mlps_err *e) {
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return mlps_errorf(e, MLPS_ERUNTIME, "cannot write %s: %s", tmp, strerror(errno));
  fputs(text, f);
  if (fclose(f) != 0 || rename(tmp, path) != 0)
    return mlps_errorf(e, MLPS_ERUNTIME, "cannot write %s: %s", path, strerror(errno));
  return MLPS_OK;
}

/* Rank 0: evaluates the final model and the fold models on the test rows,
 * writes model.h5, test_predictions.h5 and the summary's test part. */
static int final_outputs(const mlps_config *cfg, const char *cfg_text, const data_set *ds, const data_split *sp,
                         const final_plan *fp, float **params, const int *epochs, json_writer *w, mlps_err *e) {
  fit_plan p;
  MLPS_TRY(fit_plan_make(cfg, fp->x, ds->d, ds->m, &p, e));
  int ens = cfg->final.retrain ? cfg->final.ensemble : 0, k = fp->n_folds;
  size_t nte = split_count(sp, 0, SPLIT_TEST), m = ds->m;
  size_t npool = split_count(sp, 0, SPLIT_POOL);
  size_t *te = mlps_xmalloc(sizeof(size_t) * (nte + npool + 1));
  size_t *pool = te + nte;
  split_rows(sp, 0, SPLIT_TEST, te);
  split_rows(sp, 0, SPLIT_POOL, pool);
  float *scaled = mlps_xmalloc(sizeof(float) * (nte * m + 1));
  float *natural = mlps_xmalloc(sizeof(float) * (nte * m + 1));
  double *col_rmse = mlps_xmalloc(sizeof(double) * m), *col_med = mlps_xmalloc(sizeof(double) * m);
  fit_model fm = {0};
  fit_metrics fin, fold_m;
  int rc = ens ? fit_transforms(cfg, ds, pool, npool, &fm, NULL, 0, e) : MLPS_OK;
  for (int j = 0; !rc && j < ens; j++) {
    mlp *net = mlp_create(&p.arch, e);
    if (!net) {
      rc = MLPS_ERUNTIME;
      break;
    }
    mlp_set_params(net, params[j]);
    fm.member[fm.n_members++] = net;
  }
  if (!rc && ens) rc = fit_predict_rows(&fm, ds->X, ds->d, te, nte, scaled, natural, e);
  if (!rc && ens) rc = fit_metrics_rows(&fm, ds, te, nte, scaled, natural, &fin, col_rmse, col_med, e);
  char path[4200];
  if (!rc && ens) {
    snprintf(path, sizeof path, "%s/model.h5", cfg->output.dir);
    rc = model_write(path, &fm, cfg_text, e);
  }
  if (!rc && ens) {
    /* metrics inside the model file too */
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (fid >= 0) {
      h5_write_f64(fid, "metrics/col_rmse", col_rmse, m, 0, 0, e);
      h5_write_f64(fid, "metrics/col_median_frac", col_med, m, 0, 0, e);
      double v[5] = {fin.mse, fin.mae, fin.rmse, fin.median_frac, fin.p95_frac};
      const char *names[5] = {"test_mse_scaled", "test_mae_scaled", "test_rmse", "test_median_frac_err",
                              "test_p95_frac_err"};
      for (int i = 0; i < 5; i++) h5_attr_f64(fid, "metrics", names[i], &v[i], 1, e);
      H5Fclose(fid);
    }
  }
  if (!rc && ens) {
    /* The test rows with their predictions: `mlpsweep predict model.h5
     * test_predictions.h5 out.h5` reproduces Y_pred exactly. */
    snprintf(path, sizeof path, "%s/test_predictions.h5", cfg->output.dir);
    hid_t fid;
    rc = h5_create(path, &fid, e);
    if (!rc) {
      float *xt = mlps_xmalloc(sizeof(float) * (nte * ds->d + 1));
      float *yt = mlps_xmalloc(sizeof(float) * (nte * m + 1));
      int64_t *rows = mlps_xmalloc(sizeof(int64_t) * (nte + 1));
      for (size_t i = 0; i < nte; i++) {
        memcpy(xt + i * ds->d, ds->X + te[i] * ds->d, sizeof(float) * ds->d);
        memcpy(yt + i * m, ds->Y + te[i] * m, sizeof(float) * m);
        rows[i] = (int64_t)te[i];
      }
      rc = h5_write_f32(fid, "X", xt, nte, ds->d, 0, e);
      if (!rc) rc = h5_write_f32(fid, "Y", yt, nte, m, 0, e);
      if (!rc) rc = h5_write_f32(fid, "Y_pred", natural, nte, m, 0, e);
      if (!rc) rc = h5_write_i64(fid, "rows", rows, nte, 0, e);
      if (!rc) rc = h5_attr_str(fid, ".", "format", "mlpsweep-test-predictions", e);
      free(xt), free(yt), free(rows);
      H5Fclose(fid);
    }
  }
  if (!rc && ens) {
    json_key(w, "final");
    json_obj_begin(w);
    json_key(w, "ensemble"), json_int(w, ens);
    json_key(w, "epochs_rule"), json_str(w, CFG_FINAL_EPOCHS_NAMES[cfg->final.epochs]);
    json_key(w, "epochs");
    json_arr_begin(w);
    for (int j = 0; j < ens; j++) json_int(w, epochs[j]);
    json_arr_end(w);
    json_metrics(w, "test", &fin);
    json_obj_end(w);
    if (isnan(fin.median_frac))
      fprintf(stderr, "mlpsweep: final model on %zu test rows: RMSE %.4g (data units), scaled MSE %.4g\n", nte,
              fin.rmse, fin.mse);
    else
      fprintf(stderr,
              "mlpsweep: final model on %zu test rows: median |fractional error| %.4f%%, 95th percentile %.4f%%\n",
              nte, 100 * fin.median_frac, 100 * fin.p95_frac);
  }
  if (!rc) {
    /* Diagnostic: each of the best trial's fold models on the same test rows. */
    json_key(w, "diagnostic_fold_models_test");
    json_arr_begin(w);
    for (int f = 0; !rc && f < k; f++) {
      fit_model fmf = {0};
      size_t ntr = split_count(sp, f, SPLIT_TRAIN);
      size_t *tr = mlps_xmalloc(sizeof(size_t) * (ntr + 1));
      split_rows(sp, f, SPLIT_TRAIN, tr);
      rc = fit_transforms(cfg, ds, tr, ntr, &fmf, NULL, 0, e);
      mlp *net = rc ? NULL : mlp_create(&p.arch, e);
      if (net) {
        mlp_set_params(net, params[ens + f]);
        fmf.member[fmf.n_members++] = net;
        rc = fit_predict_rows(&fmf, ds->X, ds->d, te, nte, scaled, natural, e);
        if (!rc) rc = fit_metrics_rows(&fmf, ds, te, nte, scaled, natural, &fold_m, NULL, NULL, e);
        if (!rc) {
          json_obj_begin(w);
          json_key(w, "fold"), json_int(w, f);
          json_key(w, "epochs"), json_int(w, epochs[ens + f]);
          json_metrics(w, "test", &fold_m);
          json_obj_end(w);
        }
      } else if (!rc) {
        rc = MLPS_ERUNTIME;
      }
      fit_model_free(&fmf);
      free(tr);
    }
    json_arr_end(w);
  }
  fit_model_free(&fm);
  free(te), free(scaled), free(natural), free(col_rmse), free(col_med);
  return rc;
}

#define TAG_FINAL 7701

/* Collective: retrain the best configuration (ensemble members and fold
 * diagnostics spread over the ranks), then rank 0 writes the outputs. */
static int run_final(MPI_Comm comm, const mlps_config *cfg, const char *cfg_text, const data_set *ds,
                     const data_split *sp, final_plan *fp, int verbosity, json_writer *w, mlps_err *e) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  MPI_Bcast(fp, (int)sizeof *fp, MPI_BYTE, 0, comm);
  if (fp->best < 0) return MLPS_OK;
  fit_plan p;
  MLPS_TRY(fit_plan_make(cfg, fp->x, ds->d, ds->m, &p, e));
  size_t np = mlp_arch_num_params(&p.arch);
  int ens = cfg->final.retrain ? cfg->final.ensemble : 0;
  int njobs = ens + fp->n_folds;
  float **params = rank == 0 ? mlps_xcalloc((size_t)njobs, sizeof(float *)) : NULL;
  int *epochs = rank == 0 ? mlps_xcalloc((size_t)njobs, sizeof(int)) : NULL;
  float *buf = mlps_xmalloc(sizeof(float) * np + sizeof(float));
  int rc = MLPS_OK;
  if (rank == 0 && verbosity > 0)
    fprintf(stderr, "mlpsweep: retraining trial %d: %d network(s) on train+validation, %d fold model(s) for the test diagnostic\n",
            fp->best, ens, fp->n_folds);
  for (int j = rank; j < njobs; j += size) {
    int ep = 0;
    int st = final_job(cfg, ds, sp, fp, j, buf, &ep, e);
    if (st) rc = st;
    if (rank == 0) {
      params[j] = mlps_xmalloc(sizeof(float) * np);
      memcpy(params[j], buf, sizeof(float) * np);
      epochs[j] = ep;
    } else {
      MPI_Send(&ep, 1, MPI_INT, 0, TAG_FINAL, comm);
      MPI_Send(buf, (int)np, MPI_FLOAT, 0, TAG_FINAL, comm);
    }
  }
  if (rank == 0) {
    for (int j = 0; j < njobs; j++) {
      int src = j % size;
      if (src == 0) continue;
      params[j] = mlps_xmalloc(sizeof(float) * np);
      MPI_Recv(&epochs[j], 1, MPI_INT, src, TAG_FINAL, comm, MPI_STATUS_IGNORE);
      MPI_Recv(params[j], (int)np, MPI_FLOAT, src, TAG_FINAL, comm, MPI_STATUS_IGNORE);
    }
  }
  int any = rc;
  MPI_Allreduce(&rc, &any, 1, MPI_INT, MPI_MAX, comm);
  if (any && !rc) mlps_errorf(e, any, "the final retrain failed on another rank");
  rc = any;
  if (!rc && rank == 0) rc = final_outputs(cfg, cfg_text, ds, sp, fp, params, epochs, w, e);
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  if (rank == 0) {
    for (int j = 0; j < njobs; j++) free(params[j]);
    free(params);
    free(epochs);
  }
  free(buf);
  return rc;
}

/* ---- the workflow ----------------------------------------------------- */

static int agree(MPI_Comm comm, int rc, mlps_err *e) {
  /* every rank returns the highest status; rank 0's message wins */
  int all = rc;
  MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, comm);
  if (all) {
    MPI_Bcast(e->msg, (int)sizeof e->msg, MPI_CHAR, 0, comm);
    e->code = all;
  }
  return all;
}

int run_write_split(const char *path, const data_split *sp, mlps_err *e) {
  hid_t fid;
  MLPS_TRY(h5_create(path, &fid, e));
  int64_t *fold = mlps_xmalloc(sizeof(int64_t) * (sp->n + 1));
  size_t *rows = mlps_xmalloc(sizeof(size_t) * (sp->n + 1));
  int64_t *rows64 = mlps_xmalloc(sizeof(int64_t) * (sp->n + 1));
  for (size_t i = 0; i < sp->n; i++) fold[i] = sp->fold_of[i];
  int rc = h5_write_i64(fid, "fold", fold, sp->n, 0, e);
  /* The test rows, then each fold's training and validation rows. */
  for (int j = -1; !rc && j < 2 * sp->k; j++) {
    int f = j < 0 ? 0 : j / 2;
    split_part part = j < 0 ? SPLIT_TEST : j % 2 == 0 ? SPLIT_TRAIN : SPLIT_VAL;
    size_t n = split_rows(sp, f, part, rows);
    for (size_t i = 0; i < n; i++) rows64[i] = (int64_t)rows[i];
    char name[32];
    if (j < 0) snprintf(name, sizeof name, "test");
    else snprintf(name, sizeof name, "%s_%d", part == SPLIT_TRAIN ? "train" : "val", f);
    rc = h5_write_i64(fid, name, rows64, n, 0, e);
  }
  int64_t k = sp->k;
  if (!rc) rc = h5_attr_str(fid, ".", "format", "mlpsweep-split", e);
  if (!rc) rc = h5_attr_i64(fid, ".", "kfold", &k, 1, e);
  free(fold), free(rows), free(rows64);
  H5Fclose(fid);
  return rc;
}

int run_workflow(MPI_Comm comm, const mlps_config *cfg, const run_opts *ro, mlps_err *e) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  double t0 = MPI_Wtime();
  data_spec spec = {0};
  spec.path = cfg->data.path;
  spec.inputs = cfg->data.inputs;
  spec.targets = cfg->data.targets;
  spec.input_columns = cfg->data.input_columns;
  spec.target_columns = cfg->data.target_columns;
  spec.max_rows = cfg->data.max_rows;
  data_set ds = {0};
  MLPS_TRY(data_load_shared(comm, &spec, &ds, e));
  launch_report(comm, ro->verbosity);

  data_split sp = {0};
  int rc = split_make(ds.n, CFG_SPLIT_SEED(cfg), cfg->split.test_count > 0 ? 0 : cfg->split.test_fraction,
                      (size_t)(cfg->split.test_count > 0 ? cfg->split.test_count : 0), cfg->split.kfold,
                      cfg->split.val_fraction, &sp, e);
  /* Transforms must be fittable on every training fold before any rank
   * trains (e.g. log of a non-positive target is an input error). */
  if (!rc && rank == 0) {
    for (int f = 0; !rc && f < cfg->split.kfold; f++) {
      size_t ntr = split_count(&sp, f, SPLIT_TRAIN);
      size_t *tr = mlps_xmalloc(sizeof(size_t) * (ntr + 1));
      split_rows(&sp, f, SPLIT_TRAIN, tr);
      fit_model fm = {0};
      char warn[1024] = "";
      rc = fit_transforms(cfg, &ds, tr, ntr, &fm, warn, sizeof warn, e);
      if (!rc && f == 0 && warn[0]) fprintf(stderr, "mlpsweep run: warning: %s\n", warn);
      fit_model_free(&fm);
      free(tr);
    }
  }
  if (!rc && rank == 0 && ro->split_out) rc = run_write_split(ro->split_out, &sp, e);
  run_ctx ctx = {0};
  ctx.cfg = cfg;
  ctx.ds = &ds;
  ctx.split = &sp;
  if (!rc && rank == 0) {
    sampler_options so;
    cfg_sampler_options(cfg, &so);
    rc = sampler_create(&ctx.smp, cfg->search.method, &cfg->space, cfg->seed, &so, e);
  }
  rc = agree(comm, rc, e);
  char *cfg_text = rank == 0 ? cfg_dump(cfg) : NULL;
  long budget = 0;
  if (!rc && rank == 0) budget = sampler_budget(ctx.smp);
  MPI_Bcast(&budget, 1, MPI_LONG, 0, comm);

  if (!rc && ro->dry_run) {
    if (rank == 0) {
      char b1[32];
      printf("plan: %ld trials x %d folds = %ld tasks on %d rank(s) (%d worker(s))\n", budget, cfg->split.kfold,
             budget * cfg->split.kfold, size, size > 1 ? size - 1 : 1);
      printf("data: %s: X %zu x %zu, Y %zu x %zu (%s in node-shared memory)\n", ds.path, ds.n, ds.d, ds.n,
             ds.m, data_fmt_bytes((double)ds.bytes, b1, sizeof b1));
      printf("split: %zu test rows held out; %d fold(s) over %zu rows\n", sp.n_test, sp.k, sp.n_pool);
      printf("dry run: nothing trained\n");
    }
  } else if (!rc) {
    if (rank == 0) snprintf(ctx.history_path, sizeof ctx.history_path, "%s/history.h5", cfg->output.dir);
    sweep_opts o;
    sweep_opts_init(&o);
    o.comm = comm;
    o.out_dir = cfg->output.dir;
    o.config_text = cfg_text;
    o.space = &cfg->space;
    o.n_folds = cfg->split.kfold;
    o.max_trials = (int)budget;
    o.seed = cfg->seed;
    o.metric = (sweep_metric)cfg->search.metric;
    o.resume = ro->resume;
    o.verbosity = ro->verbosity;
    o.task = run_task;
    o.task_user = &ctx;
    o.propose = run_propose;
    o.propose_user = &ctx;
    o.task_done = run_task_done;
    o.task_done_user = &ctx;
    o.config_cmp = run_config_cmp;
    sweep_result *res = NULL;
    rc = sweep_run(&o, &res, e);
    final_plan fp;
    memset(&fp, 0, sizeof fp);
    fp.best = -1;
    fp.cv_mean = fp.cv_std = NAN; /* written as null when no trial succeeded */
    json_writer w;
    json_init(&w);
    if (!rc && rank == 0 && res) {
      fp.n_folds = res->n_folds;
      fp.best = res->stats.best_trial;
      if (fp.best >= 0) {
        const sweep_trial *t = &res->trials[fp.best];
        memcpy(fp.x, t->x, sizeof fp.x);
        for (int f = 0; f < res->n_folds && f < 64; f++) fp.best_epochs[f] = t->folds[f].best_epoch + 1;
        fp.cv_mean = t->metric_mean;
        fp.cv_std = t->metric_std;
      }
      json_obj_begin(&w);
      json_key(&w, "format"), json_str(&w, "mlpsweep-summary");
      json_key(&w, "version"), json_int(&w, 1);
      json_key(&w, "name"), json_str(&w, cfg->name);
      json_key(&w, "metric"), json_str(&w, SWEEP_METRIC_NAMES[o.metric]);
      json_key(&w, "best_trial"), json_int(&w, fp.best);
      if (fp.best >= 0) {
        json_key(&w, "best_params");
        json_obj_begin(&w);
        for (int i = 0; i < cfg->space.n; i++) {
          const space_param *sp_ = &cfg->space.p[i];
          json_key(&w, sp_->name);
          if (sp_->dist == DIST_CONSTANT || sp_->dist == DIST_CATEGORICAL) {
            const space_value *v = &sp_->values[sp_->dist == DIST_CONSTANT ? 0 : (int)fp.x[i]];
            if (v->type == VAL_STRING) json_str(&w, v->s);
            else if (v->type == VAL_INT) json_int(&w, v->i);
            else json_num(&w, v->f);
          } else {
            json_num(&w, fp.x[i]);
          }
        }
        json_obj_end(&w);
      }
      json_key(&w, "cv_metric_mean"), json_num(&w, fp.cv_mean);
      json_key(&w, "cv_metric_std"), json_num(&w, fp.cv_std);
      json_key(&w, "trials_ok"), json_int(&w, res->stats.n_trials_ok);
      json_key(&w, "trials_failed"), json_int(&w, res->stats.n_trials_failed);
      json_key(&w, "tasks_ok"), json_int(&w, res->stats.n_tasks_ok);
      json_key(&w, "tasks_not_ok"), json_int(&w, res->stats.n_tasks_not_ok);
      json_key(&w, "ranks"), json_int(&w, size);
      json_key(&w, "sweep_seconds"), json_num(&w, res->stats.wall_seconds);
    }
    if (!rc) rc = run_final(comm, cfg, cfg_text, &ds, &sp, &fp, ro->verbosity, &w, e);
    if (rank == 0 && res && !rc) {
      json_key(&w, "wall_seconds"), json_num(&w, MPI_Wtime() - t0);
      json_key(&w, "config"), json_str(&w, cfg_text);
      json_obj_end(&w);
      json_raw(&w, "\n");
      char path[4200];
      snprintf(path, sizeof path, "%s/summary.json", cfg->output.dir);
      rc = write_text_file(path, w.s, e);
      if (!rc && fp.best >= 0 && ro->verbosity > 0) {
        fprintf(stderr, "mlpsweep: done in %.0f s; outputs in %s/ (model.h5, summary.json, trials.csv, trials.jsonl, history.h5)\n",
                MPI_Wtime() - t0, cfg->output.dir);
      }
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    json_free(&w);
    sweep_result_free(res);
  }
  sampler_free(ctx.smp);
  free(ctx.obs);
  free(cfg_text);
  split_free(&sp);
  data_free(&ds);
  return rc;
}
