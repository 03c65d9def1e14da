/* The final stage: the best configuration retrained on train+validation
 * (final.ensemble networks; with final.committee K, the same for each of
 * the K best distinct configurations), as a diagnostic the best trial's
 * fold models, and the learning curve's points; then rank 0 evaluates them
 * once on the test set (outputs.c, lcurve.c).
 *
 * Jobs are numbered as final_jobs says (workflow.h): members, folds,
 * learning-curve points. Each job is deterministic in (config, seed, j),
 * so which rank runs it does not change the result. With several ranks
 * rank 0 hands jobs to idle workers and collects their parameters (each
 * job's own count: committee members differ in architecture); it stops the
 * stage on SIGTERM / SIGINT like the sweep (PROTOCOL.md, "The final
 * stage"). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/idle.h"
#include "sweep/sweep_proto.h"
#include "util/agree.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/rng.h"
#include "workflow/fit.h"
#include "workflow/hard.h"
#include "workflow/workflow.h"

/* Messages of the final stage, on a communicator of its own. STOP is the
 * sweep's TAG_STOP, so that a running job polls it through
 * sweep_stop_requested() exactly as a sweep task does. */
enum { FTAG_JOB = TAG_END_ + 1, FTAG_RESULT, FTAG_END };

typedef struct {
  int32_t job;
} msg_final_job;

/* A job's outcome; FTAG_RESULT carries it followed by the job's parameters
 * (float32, n_params of them) when status is 0. */
typedef struct {
  int32_t job;
  int32_t status; /* 0 ok, 1 stopped by a signal, 2 failed (reason) */
  int32_t epochs;
  int32_t code; /* mlps status when failed */
  double seconds;
  char reason[SWEEP_REASON_MAX];
} msg_final_result;

typedef struct {
  int32_t code; /* the stage's outcome, returned on every rank */
} msg_final_end;

static int stop_cb(const train_epoch *ep, const train_result *so_far, void *user) {
  (void)ep, (void)so_far, (void)user;
  return sweep_stop_requested();
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The retrain's epochs for configuration c by the final.epochs rule. */
static int final_epochs(const mlps_config *cfg, const final_plan *fp, int c) {
  int k = fp->n_folds;
  double *v = mlps_xmalloc(sizeof(double) * (size_t)k);
  memcpy(v, fp->best_epochs + (size_t)c * (size_t)k, sizeof(double) * (size_t)k);
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
  free(v);
  int n = (int)lround(e);
  return n < 1 ? 1 : n;
}

/* Fits transforms on fit_rows (ascending, as outputs.c fits them again, so
 * the sums run in the same order and give the same bits), trains one
 * network on tr with early stopping on va (n_va may be 0) and copies its
 * parameters out. member: the final network's index, -1 for a fold model
 * or a learning-curve point (final.hard_examples fine-tunes final networks
 * only, hard.h). */
static int train_params(const mlps_config *cfg, const data_set *ds, const fit_plan *p,
                        const size_t *fit_rows, size_t n_fit, const size_t *tr, size_t n_tr,
                        const size_t *va, size_t n_va, uint64_t seed, int member, float *params,
                        int *epochs, int *stopped, mlps_err *e) {
  fit_model fm = {0};
  train_result r;
  int rc = fit_transforms(cfg, ds, fit_rows, n_fit, &fm, NULL, 0, e);
  if (!rc)
    rc = hard_fit_member(cfg, p, ds, &fm, member, tr, n_tr, va, n_va, seed, stop_cb, NULL, &r, e);
  if (!rc) {
    mlp_get_params(fm.member[0], params);
    *epochs = r.epochs_run;
    *stopped = r.status == TRAIN_STOPPED;
    train_result_free(&r);
  }
  fit_model_free(&fm);
  return rc;
}

/* Trains on rows[0..n) with early stopping on a seeded inner holdout of
 * them (holdout_fraction, at least one row); transforms on all n. */
static int train_holdout(const mlps_config *cfg, const data_set *ds, const fit_plan *p,
                         const size_t *rows, size_t n, uint64_t holdout_seed, uint64_t seed,
                         int member, float *params, int *epochs, int *stopped, mlps_err *e) {
  size_t *shuffled = mlps_xmalloc(sizeof(size_t) * (n + 1));
  memcpy(shuffled, rows, sizeof(size_t) * n);
  mlps_rng r;
  rng_seed(&r, holdout_seed);
  rng_shuffle_size(&r, shuffled, n);
  size_t nva = (size_t)ceil(cfg->final.holdout_fraction * (double)n);
  if (nva < 1) nva = 1;
  int rc = train_params(cfg, ds, p, rows, n, shuffled + nva, n - nva, shuffled, nva, seed, member,
                        params, epochs, stopped, e);
  free(shuffled);
  return rc;
}

void final_jobs_make(const mlps_config *cfg, const final_plan *fp, final_jobs *fj) {
  memset(fj, 0, sizeof *fj);
  fj->ensemble = cfg->final.retrain ? cfg->final.ensemble : 0;
  fj->n_configs = fp->n_configs > 0 ? fp->n_configs : 1;
  fj->members = fj->ensemble * fj->n_configs;
  fj->n_folds = fp->n_folds;
  fj->n_lcurve = cfg->final.retrain ? cfg->final.n_learning_curve : 0;
  fj->fold0 = fj->members;
  fj->lcurve0 = fj->fold0 + fj->n_folds;
  fj->total = fj->lcurve0 + fj->n_lcurve;
}

/* The configuration (index into fp->cx) job j trains. */
static int job_config(const final_jobs *fj, int j) {
  return j < fj->members ? j / fj->ensemble : 0;
}

/* Member e of configuration c on train+validation: the retrain the final
 * model is made of. Config 0's seeds are those of the model without a
 * committee, so its networks are the single best configuration's. */
static int member_job(const mlps_config *cfg, const data_set *ds, const data_split *sp,
                      const final_plan *fp, const fit_plan *p0, int c, int e_, float *params,
                      int *epochs, int *stopped, mlps_err *e) {
  fit_plan p = *p0;
  size_t npool = split_count(sp, 0, SPLIT_POOL);
  size_t *pool = mlps_xmalloc(sizeof(size_t) * (npool + 1));
  split_rows(sp, 0, SPLIT_POOL, pool);
  uint64_t seed = rng_derive(cfg->seed, RUN_FINAL_PURPOSE, (uint64_t)e_, (uint64_t)c);
  int member = c * cfg->final.ensemble + e_; /* its job number, as final_jobs counts them */
  int rc;
  if (cfg->final.epochs == FINAL_EPOCHS_HOLDOUT) {
    rc = train_holdout(cfg, ds, &p, pool, npool,
                       rng_derive(cfg->seed, RUN_HOLDOUT_PURPOSE, (uint64_t)e_, (uint64_t)c), seed,
                       member, params, epochs, stopped, e);
  } else {
    int ne = final_epochs(cfg, fp, c);
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
    rc = train_params(cfg, ds, &p, pool, npool, pool, npool, NULL, 0, seed, member, params, epochs,
                      stopped, e);
  }
  free(pool);
  return rc;
}

/* One job of the final stage (numbered as final_jobs): a committee member,
 * a fold model f of the best trial (a diagnostic: exactly the model the
 * sweep trained for that fold, same rows and seed), or learning-curve
 * point i (config 0 on its nested subset, early stopping as the sweep's
 * tasks do, on a seeded holdout of the subset, with max_epochs scaled up
 * to the full pool's number of steps). Fills params (its
 * configuration's parameter count); *stopped when a stop request ended the
 * training. */
static int final_job(const mlps_config *cfg, const data_set *ds, const data_split *sp,
                     const final_plan *fp, const final_jobs *fj, int j, float *params, int *epochs,
                     int *stopped, mlps_err *e) {
  fit_plan p;
  int c = job_config(fj, j);
  MLPS_TRY(fit_plan_make(cfg, fp->cx[c], ds->d, ds->m, &p, e));
  if (j < fj->members)
    return member_job(cfg, ds, sp, fp, &p, c, j % fj->ensemble, params, epochs, stopped, e);
  int rc;
  if (j >= fj->lcurve0) {
    int i = j - fj->lcurve0;
    size_t npool = split_count(sp, 0, SPLIT_POOL);
    size_t *rows = mlps_xmalloc(sizeof(size_t) * (npool + 1));
    size_t n = lcurve_subset(cfg, sp, i, rows);
    /* The full pool's budget of optimizer steps, early stopping deciding:
     * with train.max_epochs alone a small subset took a tenth of the steps
     * and every quickstart point ended at the limit, undertrained, which
     * steepened the curve and made the extrapolated n optimistic. */
    if (!p.tc.n_stages) {
      double me = ceil(p.tc.max_epochs * (double)npool / (double)n);
      p.tc.max_epochs = me > 1e6 ? 1000000 : (int)me;
    }
    rc = train_holdout(
        cfg, ds, &p, rows, n, rng_derive(cfg->seed, RUN_LCURVE_PURPOSE, (uint64_t)i, 2),
        rng_derive(cfg->seed, RUN_LCURVE_PURPOSE, (uint64_t)i, 1), -1, params, epochs, stopped, e);
    free(rows);
    return rc;
  }
  int f = j - fj->fold0;
  size_t ntr = split_count(sp, f, SPLIT_TRAIN), nva = split_count(sp, f, SPLIT_VAL);
  size_t *tr = mlps_xmalloc(sizeof(size_t) * (ntr + nva + 1)), *va = tr + ntr;
  split_rows(sp, f, SPLIT_TRAIN, tr);
  split_rows(sp, f, SPLIT_VAL, va);
  uint64_t seed = sweep_task_seed(cfg->seed, fp->best, f); /* the sweep's task for that fold */
  rc = train_params(cfg, ds, &p, tr, ntr, tr, ntr, va, nva, seed, -1, params, epochs, stopped, e);
  free(tr);
  return rc;
}
/* Runs job j into res (and params); never fails the process. */
static void run_job(const mlps_config *cfg, const data_set *ds, const data_split *sp,
                    const final_plan *fp, const final_jobs *fj, int j, float *params,
                    msg_final_result *res) {
  memset(res, 0, sizeof *res);
  res->job = j;
  if (sweep_stop_requested()) {
    res->status = 1;
    return;
  }
  mlps_err e = {0, ""};
  int epochs = 0, stopped = 0;
  double t0 = mlps_now();
  int rc = final_job(cfg, ds, sp, fp, fj, j, params, &epochs, &stopped, &e);
  res->seconds = mlps_now() - t0;
  res->epochs = epochs;
  if (rc) {
    res->status = 2;
    res->code = rc;
    snprintf(res->reason, sizeof res->reason, "%.*s", (int)sizeof res->reason - 1, e.msg);
  } else if (stopped) {
    res->status = 1;
  }
}

/* Rank 0's bookkeeping of the stage. */
typedef struct {
  MPI_Comm comm;
  int size, njobs, next, busy;
  const size_t *np; /* [njobs]: each job's parameter count */
  size_t np_max;
  final_results res; /* [njobs] each */
  int *worker_job;   /* [size]: job a worker runs, -1 idle */
  int code;          /* MLPS_OK, SWEEP_EXIT_STOPPED or an error */
  mlps_err *e;
} final_coord;

static void coord_note(final_coord *c, const msg_final_result *r, const float *params, int rank) {
  if (r->status == 0) {
    size_t np = c->np[r->job];
    c->res.params[r->job] = mlps_xmalloc(sizeof(float) * (np + 1));
    memcpy(c->res.params[r->job], params, sizeof(float) * np);
    c->res.epochs[r->job] = r->epochs;
    c->res.seconds[r->job] = r->seconds;
  } else if (r->status == 1) {
    if (!c->code) c->code = SWEEP_EXIT_STOPPED;
  } else if (!c->code || c->code == SWEEP_EXIT_STOPPED) {
    c->code = r->code ? r->code : MLPS_ERUNTIME;
    mlps_errorf(c->e, c->code, "final stage: job %d failed on rank %d: %s", r->job, rank,
                r->reason);
  }
}

/* Rank 0 with workers: hand out jobs, collect results; on a stop or an error
 * tell busy workers to stop and hand out nothing more. */
static void coord_loop(final_coord *c) {
  size_t bytes = sizeof(msg_final_result) + sizeof(float) * c->np_max;
  unsigned char *buf = mlps_xmalloc(bytes);
  int stop_sent = 0;
  idle_wait iw = {0, 0, 0, 0};
  idle_reset(&iw);
  for (;;) {
    if (!c->code && sweep_stop_requested()) c->code = SWEEP_EXIT_STOPPED;
    if (c->code && !stop_sent) {
      msg_stop m = {c->code == SWEEP_EXIT_STOPPED ? 0 : 1};
      for (int r = 1; r < c->size; r++)
        if (c->worker_job[r] >= 0) MPI_Send(&m, sizeof m, MPI_BYTE, r, TAG_STOP, c->comm);
      stop_sent = 1;
    }
    for (int r = 1; r < c->size && !c->code && c->next < c->njobs; r++) {
      if (c->worker_job[r] >= 0) continue;
      msg_final_job m = {c->next};
      MPI_Send(&m, sizeof m, MPI_BYTE, r, FTAG_JOB, c->comm);
      c->worker_job[r] = c->next++;
      c->busy++;
    }
    if (!c->busy && (c->code || c->next >= c->njobs)) break;
    int flag = 0;
    MPI_Message msg;
    MPI_Status st;
    MPI_Improbe(MPI_ANY_SOURCE, FTAG_RESULT, c->comm, &flag, &msg, &st);
    if (!flag) {
      sweep_orphan_check();
      idle_pause(&iw);
      continue;
    }
    MPI_Mrecv(buf, (int)bytes, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
    msg_final_result r;
    memcpy(&r, buf, sizeof r);
    coord_note(c, &r, (const float *)(buf + sizeof r), st.MPI_SOURCE);
    c->worker_job[st.MPI_SOURCE] = -1;
    c->busy--;
    idle_reset(&iw);
  }
  msg_final_end end = {c->code};
  for (int r = 1; r < c->size; r++) MPI_Send(&end, sizeof end, MPI_BYTE, r, FTAG_END, c->comm);
  free(buf);
}

/* A worker: run jobs until END; a STOP between jobs is drained here, one
 * during a job is taken by sweep_stop_requested(). */
static int worker_loop(MPI_Comm comm, const mlps_config *cfg, const data_set *ds,
                       const data_split *sp, const final_plan *fp, const final_jobs *fj,
                       const size_t *np) {
  size_t np_max = 0;
  for (int j = 0; j < fj->total; j++) np_max = np[j] > np_max ? np[j] : np_max;
  size_t bytes = sizeof(msg_final_result) + sizeof(float) * np_max;
  unsigned char *buf = mlps_xmalloc(bytes);
  int code = MLPS_OK, done = 0;
  idle_wait iw = {0, 0, 0.02, 1e-4};
  idle_reset(&iw);
  while (!done) {
    MPI_Message msg;
    MPI_Status st;
    idle_wait_message(comm, 0, &iw, &msg, &st);
    if (st.MPI_TAG == FTAG_JOB) {
      msg_final_job m;
      MPI_Mrecv(&m, sizeof m, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
      msg_final_result r;
      sweep_stop_poll_comm(comm);
      run_job(cfg, ds, sp, fp, fj, m.job, (float *)(buf + sizeof r), &r);
      sweep_stop_poll_comm(MPI_COMM_NULL);
      memcpy(buf, &r, sizeof r);
      size_t sent = sizeof r + (r.status == 0 ? sizeof(float) * np[m.job] : 0);
      MPI_Send(buf, (int)sent, MPI_BYTE, 0, FTAG_RESULT, comm);
    } else if (st.MPI_TAG == TAG_STOP) {
      msg_stop m;
      MPI_Mrecv(&m, sizeof m, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
    } else {
      msg_final_end m;
      MPI_Mrecv(&m, sizeof m, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
      code = m.code;
      done = 1;
    }
    idle_reset(&iw);
  }
  free(buf);
  return code;
}

/* Broadcasts rank 0's plan: its fixed part as bytes, then the per-config,
 * per-fold epochs. A plan without a committee becomes one of config 0. */
static void plan_bcast(MPI_Comm comm, int rank, final_plan *fp) {
  double *mine = fp->best_epochs;
  if (rank == 0 && fp->best >= 0 && fp->n_configs < 1) {
    fp->n_configs = 1;
    fp->trial[0] = fp->best;
    memcpy(fp->cx[0], fp->x, sizeof fp->x);
    fp->ccv[0] = fp->cv_mean;
  }
  MPI_Bcast(fp, (int)sizeof *fp, MPI_BYTE, 0, comm);
  fp->best_epochs = mine;
  if (fp->best < 0) return;
  size_t n = (size_t)fp->n_configs * (size_t)fp->n_folds;
  if (rank != 0) fp->best_epochs = mlps_xcalloc(n + 1, sizeof(double));
  MPI_Bcast(fp->best_epochs, (int)n, MPI_DOUBLE, 0, comm);
}

int final_run(MPI_Comm comm_in, const mlps_config *cfg, const char *cfg_text, const data_set *ds,
              const data_split *sp, final_plan *fp, json_writer *w, mlps_err *e) {
  int rank, size;
  MPI_Comm_rank(comm_in, &rank);
  MPI_Comm_size(comm_in, &size);
  plan_bcast(comm_in, rank, fp);
  if (fp->best < 0) return MLPS_OK;
  final_jobs fj;
  final_jobs_make(cfg, fp, &fj);
  /* Every configuration's plan must build, on every rank. */
  size_t *np = mlps_xcalloc((size_t)fj.total + 1, sizeof(size_t)), np_max = 0;
  int rc = MLPS_OK;
  for (int j = 0; !rc && j < fj.total; j++) {
    fit_plan p;
    rc = fit_plan_make(cfg, fp->cx[job_config(&fj, j)], ds->d, ds->m, &p, e);
    if (!rc) np[j] = mlp_arch_num_params(&p.arch);
    if (np[j] > np_max) np_max = np[j];
  }
  rc = mpi_agree(comm_in, rc, e);
  if (rc) {
    if (rank != 0) free(fp->best_epochs), fp->best_epochs = NULL;
    free(np);
    return rc;
  }
  MPI_Comm comm;
  MPI_Comm_dup(comm_in, &comm);
  int njobs = fj.total;
  if (rank == 0) {
    final_coord c = {comm, size, njobs, 0, 0, np, np_max, {NULL, NULL, NULL}, NULL, MLPS_OK, e};
    c.res.params = mlps_xcalloc((size_t)njobs, sizeof(float *));
    c.res.epochs = mlps_xcalloc((size_t)njobs, sizeof(int));
    c.res.seconds = mlps_xcalloc((size_t)njobs, sizeof(double));
    c.worker_job = mlps_xmalloc(sizeof(int) * (size_t)size);
    for (int r = 0; r < size; r++) c.worker_job[r] = -1;
    log_msg(1,
            "mlpsweep: retraining trial %d: %d network(s) on train+validation, %d fold "
            "model(s) for the test diagnostic",
            fp->best, fj.ensemble, fp->n_folds);
    if (fj.n_configs > 1)
      log_msg(1, "mlpsweep: committee: %d more configuration(s), %d network(s) each",
              fj.n_configs - 1, fj.ensemble);
    if (fj.n_lcurve)
      log_msg(1, "mlpsweep: learning curve: %d network(s) on nested subsets", fj.n_lcurve);
    if (size == 1) {
      float *buf = mlps_xmalloc(sizeof(float) * (np_max + 1));
      for (int j = 0; j < njobs && !c.code; j++) {
        msg_final_result r;
        run_job(cfg, ds, sp, fp, &fj, j, buf, &r);
        coord_note(&c, &r, buf, 0);
      }
      free(buf);
    } else {
      coord_loop(&c);
    }
    rc = c.code;
    sweep_orphan_check();
    if (!rc) rc = outputs_write(cfg, cfg_text, ds, sp, fp, &c.res, w, e);
    for (int j = 0; j < njobs; j++) free(c.res.params[j]);
    free(c.res.params), free(c.res.epochs), free(c.res.seconds), free(c.worker_job);
  } else {
    rc = worker_loop(comm, cfg, ds, sp, fp, &fj, np);
  }
  free(np);
  /* Rank 0's outcome (outputs included) on every rank, with its message. */
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  hard_report_collect(comm, cfg, fj.members, rank == 0 && !rc ? w : NULL);
  if (rc && rc != SWEEP_EXIT_STOPPED) {
    MPI_Bcast(e->msg, (int)sizeof e->msg, MPI_CHAR, 0, comm);
    e->code = rc;
  }
  MPI_Comm_free(&comm);
  if (rank != 0) free(fp->best_epochs), fp->best_epochs = NULL;
  return rc;
}
