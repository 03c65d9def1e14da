/* Name tables of the config enums, and small helpers on a loaded config. */
#include "config/config.h"

#include "util/names.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const CFG_GOAL_NAMES[GOAL_COUNT] = {"minimize"};
const char *const CFG_FINAL_EPOCHS_NAMES[FINAL_EPOCHS_COUNT] = {"mean_best", "median_best",
                                                                "max_best", "holdout", "fixed"};
const char *const CFG_COMMITTEE_WEIGHTS_NAMES[COMMITTEE_WEIGHTS_COUNT] = {"equal", "inverse_error"};
const char *const CFG_HARD_BY_NAMES[HARD_BY_COUNT] = {"frac_err", "bias"};

void cfg_errors_free(cfg_errors *e) {
  if (!e) return;
  free(e->text);
  e->text = NULL;
  e->n = 0;
}

void cfg_free(mlps_config *cfg) {
  /* Flat struct: nothing owned yet. Kept so callers need not change when
   * a field becomes dynamic. */
  (void)cfg;
}

_Static_assert(CFG_MAX_WIDTH <= MLP_MAX_WIDTH, "a width that validates must build");

/* cfg_search's trials aliases sampler.trials. */
_Static_assert(offsetof(sampler_options, trials) == 0,
               "trials must be sampler_options' first member");

void cfg_sampler_options(const mlps_config *cfg, sampler_options *o) { *o = cfg->search.sampler; }

long cfg_planned_trials(const mlps_config *cfg) { return cfg->search.sampler.trials; }

long cfg_planned_tasks(const mlps_config *cfg) {
  return cfg->search.sampler.trials * (long)cfg->split.kfold;
}

int cfg_widths_parse(const char *s, int *widths, int max) {
  int n = 0;
  const char *p = s;
  while (*p) {
    char *end;
    long w = strtol(p, &end, 10);
    if (end == p || w < 1 || w > CFG_MAX_WIDTH || n >= max) return 0;
    widths[n++] = (int)w;
    p = end;
    if (*p == ',') {
      p++;
      if (!*p) return 0;
    } else if (*p) {
      return 0;
    }
  }
  return n;
}

/* Value of parameter p at coordinate v: a choice for categorical and
 * constant parameters, the number itself otherwise. */
static const space_value *choice(const space_param *p, double v) {
  if (!(v >= 0) || v >= p->n_values || v != floor(v)) return NULL;
  return &p->values[(int)v];
}

int cfg_trial_decode(const mlps_config *cfg, const double *x, cfg_trial *t, mlps_err *e) {
  memset(t, 0, sizeof *t);
  int layers = 0, width = 0;
  const char *widths = NULL;
  for (int i = 0; i < cfg->space.n; i++) {
    const space_param *p = &cfg->space.p[i];
    double num = x[i];
    const space_value *v = NULL;
    if (p->dist == DIST_CATEGORICAL || p->dist == DIST_CONSTANT) {
      v = choice(p, x[i]);
      if (!v)
        return mlps_errorf(e, MLPS_EINPUT, "parameter %s: %g is not a choice index (0..%d)",
                           p->name, x[i], p->n_values - 1);
      num = v->type == VAL_INT ? (double)v->i : v->f;
    } else if (!(num >= p->min && num <= p->max)) {
      return mlps_errorf(e, MLPS_EINPUT, "parameter %s: %g is outside [%g, %g]", p->name, num,
                         p->min, p->max);
    }
    const char *n = p->name;
    if (!strcmp(n, "layers")) layers = (int)lround(num);
    else if (!strcmp(n, "width")) width = (int)lround(num);
    else if (!strcmp(n, "batch")) t->batch = (int)lround(num);
    else if (!strcmp(n, "lr")) t->lr = num;
    else if (!strcmp(n, "dropout")) t->dropout = num;
    else if (!strcmp(n, "weight_decay")) t->weight_decay = num;
    else if (!strcmp(n, "widths")) widths = v ? v->s : NULL;
    else if (!strcmp(n, "activation") && v)
      t->activation = (nn_activation)nn_activation_from_name(v->s);
    else if (!strcmp(n, "optimizer") && v) {
      int k = names_find(NN_OPTIMIZER_NAMES, OPT_COUNT, v->s);
      t->optimizer = (nn_optimizer)(k < 0 ? 0 : k);
    }
  }
  if (widths) {
    t->n_layers = cfg_widths_parse(widths, t->widths, CFG_MAX_LAYERS);
    if (t->n_layers < 1)
      return mlps_errorf(e, MLPS_EINPUT, "parameter widths: cannot read '%s'", widths);
  } else {
    if (layers < 1 || layers > CFG_MAX_LAYERS || width < 1)
      return mlps_errorf(e, MLPS_EINPUT, "layers %d and width %d must be >= 1 (layers <= %d)",
                         layers, width, CFG_MAX_LAYERS);
    t->n_layers = layers;
    for (int i = 0; i < layers; i++) t->widths[i] = width;
  }
  return MLPS_OK;
}
