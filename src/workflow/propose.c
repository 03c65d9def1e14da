/* The sweep's proposer: the configured sampler (search/sampler.h) asked for
 * trial k's point, with the sweep's trials as its history (running trials
 * as pending). */
#include <string.h>

#include "workflow/workflow.h"

propose_status propose_next(void *user, int trial, const sweep_history *h, double *x,
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
    o->step = 0;
    o->status = t->state == TRIAL_PENDING  ? SAMPLER_TRIAL_PENDING
                : t->state == TRIAL_OK     ? SAMPLER_TRIAL_OK
                : t->state == TRIAL_PRUNED ? SAMPLER_TRIAL_PRUNED
                                           : SAMPLER_TRIAL_FAILED;
    if (t->state == TRIAL_PRUNED) { /* ranked by how far it got, then its value there */
      o->value = t->prune_value;
      o->step = t->prune_rung;
    }
  }
  switch (sampler_ready(rc->smp, trial, rc->obs, n)) {
    case SAMPLER_DONE: return PROPOSE_DONE;
    case SAMPLER_WAIT: return PROPOSE_WAIT;
    default: break;
  }
  if (sampler_suggest(rc->smp, trial, rc->obs, n, NULL, 0, x, err)) return PROPOSE_ERROR;
  return PROPOSE_OK;
}
