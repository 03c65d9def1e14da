/* The committee (final.committee K): which configurations the final model
 * averages besides the best one, and with what weights. A committee of
 * networks of different architectures averages errors that are not fully
 * correlated, which a seed ensemble of one architecture does less. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "workflow/workflow.h"

/* A trial the committee may use: every fold finished ok, a finite CV value. */
static int usable(const sweep_trial *t, int n_folds) {
  if (t->state != TRIAL_OK || !t->done || !isfinite(t->metric_mean)) return 0;
  for (int f = 0; f < n_folds; f++)
    if (!t->done[f] || t->folds[f].status != TASK_OK) return 0;
  return 1;
}

typedef struct {
  double v;
  int id;
} ranked;

/* By CV metric, then trial id, so the order is total and reproducible. */
static int cmp_ranked(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->v != y->v) return x->v < y->v ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

void committee_select(const mlps_config *cfg, const sweep_result *res, final_plan *fp) {
  if (fp->best < 0 || !res) return;
  int k = fp->n_folds, np = cfg->space.n;
  fp->n_configs = 1;
  fp->trial[0] = fp->best;
  memcpy(fp->cx[0], fp->x, sizeof fp->x);
  fp->ccv[0] = fp->cv_mean;
  int want = cfg->final.retrain ? cfg->final.committee : 1;
  if (want <= 1) return;
  ranked *ids = mlps_xmalloc(sizeof(ranked) * ((size_t)res->n_trials + 1));
  int n = 0;
  for (int i = 0; i < res->n_trials; i++)
    if (i != fp->best && usable(&res->trials[i], k))
      ids[n++] = (ranked){res->trials[i].metric_mean, i};
  qsort(ids, (size_t)n, sizeof(ranked), cmp_ranked);
  fp->best_epochs = mlps_xrealloc(fp->best_epochs, sizeof(double) * (size_t)want * (size_t)k);
  for (int i = 0; i < n && fp->n_configs < want; i++) {
    const sweep_trial *t = &res->trials[ids[i].id];
    int dup = 0; /* distinct: a repeated point would only add seeds */
    for (int c = 0; c < fp->n_configs && !dup; c++)
      dup = memcmp(fp->cx[c], t->x, sizeof(double) * (size_t)np) == 0;
    if (dup) continue;
    int c = fp->n_configs++;
    fp->trial[c] = t->id;
    memcpy(fp->cx[c], t->x, sizeof t->x);
    fp->ccv[c] = t->metric_mean;
    for (int f = 0; f < k; f++) fp->best_epochs[c * k + f] = t->folds[f].best_epoch + 1;
  }
  free(ids);
  if (fp->n_configs < want)
    log_msg(LOG_ALWAYS,
            "mlpsweep: warning: final.committee is %d but only %d distinct configuration(s) "
            "finished every fold; the committee has %d",
            want, fp->n_configs, fp->n_configs);
}

int committee_weights(const mlps_config *cfg, const final_plan *fp, double *w) {
  int n = fp->n_configs > 0 ? fp->n_configs : 1, ok = 1;
  double sum = 0;
  if (cfg->final.committee_weights == COMMITTEE_INVERSE_ERROR && n > 1) {
    for (int c = 0; c < n; c++) {
      ok &= isfinite(fp->ccv[c]) && fp->ccv[c] > 0;
      w[c] = ok ? 1.0 / fp->ccv[c] : 0;
      sum += w[c];
    }
    if (!ok)
      log_msg(LOG_ALWAYS,
              "mlpsweep: warning: a committee member's CV metric is not positive; "
              "weighting the committee equally");
  }
  if (cfg->final.committee_weights != COMMITTEE_INVERSE_ERROR || n == 1 || !ok) {
    for (int c = 0; c < n; c++) w[c] = 1.0 / n;
    return 0;
  }
  for (int c = 0; c < n; c++) w[c] /= sum;
  return 1;
}
