/* Trial + config -> train_config (see config_train.h). */
#include "config/config_train.h"

/* Validation caps the stages at CFG_MAX_STAGES, so they always fit. */
_Static_assert(CFG_MAX_STAGES <= TRAIN_MAX_STAGES, "a schedule that validates must build");

int cfg_train_config(const mlps_config *cfg, const cfg_trial *t, train_config *tc, mlps_err *e) {
  const cfg_train *c = &cfg->train;
  train_config_default(tc);
  optim_config_default(&tc->opt, t->optimizer);
  tc->opt.lr = t->lr;
  tc->opt.weight_decay = t->weight_decay; /* config default 0 for every optimizer, adamw included */
  tc->loss = c->loss;
  tc->batch = t->batch;
  tc->max_epochs = c->max_epochs;
  tc->patience = c->patience;
  tc->min_delta = c->min_delta;
  tc->dropout = (float)t->dropout;
  tc->max_seconds = c->max_seconds;
  const cfg_schedule *s = &c->schedule;
  tc->schedule = s->kind;
  tc->plateau_factor = s->factor;
  tc->plateau_patience = s->patience;
  tc->plateau_threshold = s->threshold;
  tc->plateau_min_lr = s->min_lr;
  tc->cosine_eta_min = s->eta_min;
  tc->n_stages = 0;
  if (s->kind == SCHED_STAGES) {
    tc->n_stages = s->n_stages;
    for (int i = 0; i < s->n_stages; i++) {
      tc->stages[i].max_epochs = s->stages[i].max_epochs;
      tc->stages[i].patience = s->stages[i].patience;
      tc->stages[i].lr_factor = s->stages[i].lr_factor;
    }
  }
  return train_config_check(tc, e);
}
