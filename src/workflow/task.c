/* The sweep's task: train fold `fold` of trial `trial` with transforms
 * fitted on that fold's training rows only, stream its epochs, and report
 * its validation metrics in the data's own units. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "workflow/fisher.h"
#include "workflow/fit.h"
#include "workflow/workflow.h"

typedef struct {
  sweep_ctx *ctx;
  const pruner *rules;
  int trial;
} epoch_cb_data;

/* At the epochs where the pruner decides (ASHA's rungs) the task waits
 * for the verdict, so a pruned task stops exactly there; a verdict taken
 * elsewhere (median) is picked up by sweep_stop_requested. */
static int epoch_cb(const train_epoch *ep, const train_result *so_far, void *user) {
  (void)so_far;
  epoch_cb_data *d = user;
  if (d->ctx && pruner_decides_at(d->rules, d->trial, ep->epoch))
    return sweep_report_epoch_wait(d->ctx, ep->epoch, ep->val_loss, ep->train_loss, ep->lr) ||
           sweep_stop_requested();
  if (d->ctx) sweep_report_epoch(d->ctx, ep->epoch, ep->val_loss, ep->train_loss, ep->lr);
  return sweep_stop_requested();
}

int task_train_fold(void *user, const sweep_task *t, sweep_ctx *ctx, task_result *res) {
  run_ctx *rc = user;
  const data_set *ds = rc->ds;
  mlps_err e = {0};
  fit_plan p;
  for (int k = 0; k < METRIC_COUNT; k++) res->metrics[k] = NAN;
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
  epoch_cb_data cbd = {ctx, rc->rules, t->trial};
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
        snprintf(res->reason, sizeof res->reason,
                 "loss or weights became NaN/Inf at epoch %d (lr %g)", r.epochs_run, p.tc.opt.lr);
        break;
      case TRAIN_TIMEOUT:
        res->status = TASK_TIMEOUT;
        snprintf(res->reason, sizeof res->reason,
                 "train.max_seconds (%g s) reached after %d epochs", p.tc.max_seconds,
                 r.epochs_run);
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
    if (!st) st = fit_metrics_rows(&fm, ds, va, nva, scaled, natural, &fmx, NULL, NULL, NULL, &e);
    if (!st) fit_metrics_search(&fmx, res->metrics);
    double med;
    if (!st && ds->noise)
      st = fisher_bias_quantiles(&fm, ds, va, nva, natural, &med,
                                 &res->metrics[METRIC_VAL_P95_BIAS], &e);
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
