/* The section schema of a sweep config: the defaults, the sections data,
 * split, search, train, final and output with their keys, types, ranges and
 * cross checks, and cfg_load itself. parameters (-> the search space) is
 * config_space.c; typed YAML access and the problem list config_yaml.c.
 * Every problem is collected (not just the first) as
 * "FILE:LINE:COLUMN: key.path: what is wrong; what to do". */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_schema.h"
#include "config/config_space.h"
#include "config/config_yaml.h"
#include "data/colspec.h"
#include "util/err.h"

/* ---- the option tables (config_schema.h) ---- */

#define SAMPLER_OPT(key, type, lo, hi, lo_open, hi_open) \
  { #key, type, offsetof(sampler_options, key), {lo, hi, lo_open, hi_open }, NULL, NULL, 0 }
const cfg_opt CFG_SAMPLER_OPTS[] = {
    SAMPLER_OPT(startup_trials, CFG_OPT_INT, 0, 1e6, 0, 0),
    SAMPLER_OPT(gamma, CFG_OPT_NUM, 0, 1, 1, 0),
    SAMPLER_OPT(gamma_max, CFG_OPT_INT, 1, 1e6, 0, 0),
    SAMPLER_OPT(ei_candidates, CFG_OPT_INT, 1, 1e6, 0, 0),
    SAMPLER_OPT(prior_weight, CFG_OPT_NUM, 0, INFINITY, 1, 0),
    SAMPLER_OPT(multivariate, CFG_OPT_BOOL, 0, 0, 0, 0),
    SAMPLER_OPT(batch, CFG_OPT_INT, 0, 1e6, 0, 0),
    SAMPLER_OPT(constant_liar, CFG_OPT_BOOL, 0, 0, 0, 0),
    SAMPLER_OPT(consider_endpoints, CFG_OPT_BOOL, 0, 0, 0, 0),
    SAMPLER_OPT(magic_clip, CFG_OPT_BOOL, 0, 0, 0, 0),
    SAMPLER_OPT(sobol_scramble, CFG_OPT_BOOL, 0, 0, 0, 0),
};

#define TRAIN_OPT(key, type, lo, hi) \
  { #key, type, offsetof(cfg_train, key), {lo, hi, 0, 0 }, NULL, NULL, 0 }
#define TRAIN_ENUM(key, names, n) \
  { #key, CFG_OPT_ENUM, offsetof(cfg_train, key), {0, 0, 0, 0 }, #key, names, n }
const cfg_opt CFG_TRAIN_OPTS[] = {
    TRAIN_OPT(max_epochs, CFG_OPT_INT, 1, 1e9),
    TRAIN_OPT(patience, CFG_OPT_INT, 0, 1e9),
    TRAIN_OPT(min_delta, CFG_OPT_NUM, 0, INFINITY),
    TRAIN_ENUM(loss, NN_LOSS_NAMES, LOSS_COUNT),
    TRAIN_ENUM(init, NN_INIT_NAMES, INIT_COUNT),
    TRAIN_OPT(max_seconds, CFG_OPT_NUM, 0, INFINITY),
};
/* cfg_node_opt stores enum values through an int. */
_Static_assert(sizeof(nn_loss) == sizeof(int) && sizeof(nn_init) == sizeof(int),
               "enum fields are int-sized");

/* ---- sections ---- */

static const char *const TOP_KEYS[] = {"name",   "description", "seed",  "data",  "split",
                                       "search", "parameters",  "train", "final", "output"};
static const char *const DATA_KEYS[] = {
    "path",     "inputs",          "targets",          "input_columns", "target_columns",
    "max_rows", "input_transform", "target_transform", "noise"};
static const char *const SPLIT_KEYS[] = {"test_fraction", "test_count", "kfold", "val_fraction",
                                         "seed"};
static const char *const METRIC_KEYS[] = {"name", "goal"};
static const char *const PRUNER_KEYS[] = {"name",     "startup_trials", "warmup_epochs",
                                          "interval", "min_epochs",     "eta"};
static const char *const SCHED_KEYS[] = {"name",      "factor",  "patience", "min_lr",
                                         "threshold", "eta_min", "stages"};
static const char *const STAGE_KEYS[] = {"max_epochs", "patience", "lr_factor"};
static const char *const FINAL_KEYS[] = {
    "retrain",         "epochs",       "fixed_epochs", "holdout_fraction",
    "anneal_fraction", "ensemble",     "committee",    "committee_weights",
    "learning_curve",  "target_error", "hard_examples"};
static const char *const HARD_KEYS[] = {"rounds", "n_bad", "weight",          "lr_factor",
                                        "epochs", "by",    "holdout_fraction"};
static const char *const OUTPUT_KEYS[] = {"dir"};

static void parse_columns(cfg_ctx *c, const ynode *map, const char *path, const char *key,
                          char *out, size_t cap) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return;
  char kp[512];
  cfg_keypath(kp, sizeof kp, path, key);
  char buf[CFG_COLS_MAX];
  if (v->kind == YT_SEQ) { /* [0, 1, 5] */
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < v->n; i++) {
      long ix;
      char ip[600];
      snprintf(ip, sizeof ip, "%s[%d]", kp, i);
      if (cfg_node_int(c, v->items[i], ip, (cfg_range){0, INFINITY, 0, 0}, &ix) != 1) return;
      int w = snprintf(buf + off, sizeof buf - off, "%s%ld", i ? "," : "", ix);
      if (w < 0 || off + (size_t)w >= sizeof buf) {
        cfg_perr(c, v, kp, "too many columns listed; use ranges like 0:40");
        return;
      }
      off += (size_t)w;
    }
    if (v->n == 0) {
      cfg_perr(c, v, kp, "empty list; write all, or list column indices");
      return;
    }
  } else {
    if (cfg_node_str(c, v, kp, buf, sizeof buf, 0) != 1) return;
  }
  /* Syntax (and repeated columns) checked by the same parser that applies
   * the selection to the data later. */
  mlps_err e = {0};
  int64_t *cols = NULL, n = 0;
  if (colspec_parse(buf, -1, "bad column selection", &cols, &n, &e) != MLPS_OK) {
    cfg_perr(c, v, kp, "%s", e.msg);
    free(cols);
    return;
  }
  free(cols);
  snprintf(out, cap, "%s", buf);
}

static void parse_transform(cfg_ctx *c, const ynode *map, const char *path, const char *key,
                            xf_kind *chain, int *n) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return;
  char kp[512];
  cfg_keypath(kp, sizeof kp, path, key);
  const ynode *one[1] = {v};
  const ynode *const *items = one;
  int cnt = 1;
  if (v->kind == YT_SEQ) {
    items = (const ynode *const *)v->items;
    cnt = v->n;
  } else if (v->kind == YT_MAP) {
    cfg_perr(c, v, kp,
             "expected a transform name or a list of them like [log, standard], got a mapping");
    return;
  }
  if (cnt < 1 || cnt > XF_MAX_CHAIN) {
    cfg_perr(c, v, kp, "a transform chain has 1 to %d steps, got %d; e.g. [log, standard], or none",
             XF_MAX_CHAIN, cnt);
    return;
  }
  xf_kind tmp[XF_MAX_CHAIN];
  int ok = 1;
  for (int i = 0; i < cnt; i++) {
    int k;
    char ip[600];
    snprintf(ip, sizeof ip, "%s[%d]", kp, i);
    if (cfg_node_enum(c, items[i], v->kind == YT_SEQ ? ip : kp, "transform", XF_NAMES, XF_COUNT,
                      NULL, &k) != 1) {
      ok = 0;
      continue;
    }
    tmp[i] = (xf_kind)k;
    if (k == XF_NONE && cnt > 1) {
      cfg_perr(c, items[i], ip, "none means no transform and cannot be part of a chain; remove it");
      ok = 0;
    }
  }
  if (!ok) return;
  if (cnt == 1 && tmp[0] == XF_NONE) cnt = 0; /* none = the empty chain */
  memcpy(chain, tmp, sizeof(xf_kind) * (size_t)cnt);
  *n = cnt;
}

/* ---- h-metrics: data.noise and what needs it (train.loss chi2, metric val_chi2) ---- */
static const char *const NOISE_KEYS[] = {"model", "exposure", "min_counts", "sigma"};

static void parse_noise(cfg_ctx *c, const ynode *data, const char *dpath, noise_spec *ns) {
  char path[64];
  const ynode *m = cfg_section(c, data, dpath, "noise", path, sizeof path);
  if (!m) return;
  cfg_check_keys(c, m, path, NOISE_KEYS, CFG_NK(NOISE_KEYS));
  int k = NOISE_NONE;
  if (cfg_get_enum(c, m, path, "model", "noise model", NOISE_MODEL_NAMES, NOISE_COUNT, &k) == 0)
    cfg_perr(c, m, path,
             "missing model; write model: poisson (with exposure) or gaussian (with "
             "sigma: DATASET)");
  ns->model = (noise_model)k;
  const cfg_range pos = {0, INFINITY, 1, 0};
  int has_t = cfg_get_num(c, m, path, "exposure", pos, &ns->exposure);
  int has_mc = cfg_get_num(c, m, path, "min_counts", pos, &ns->min_counts);
  int has_s = cfg_get_str(c, m, path, "sigma", ns->sigma, sizeof ns->sigma, 0);
  if (ns->model == NOISE_POISSON && has_t == 0)
    cfg_perr(c, m, path,
             "poisson noise needs exposure: T (counts = target * T), e.g. {model: "
             "poisson, exposure: 1000}");
  if (ns->model == NOISE_GAUSSIAN && has_s == 0)
    cfg_perr(c, m, path,
             "gaussian noise needs sigma: DATASET (a dataset of the data file shaped "
             "like the targets, or one value per output)");
  if (ns->model != NOISE_POISSON && (has_t || has_mc))
    cfg_perr(c, ytree_map_get(m, has_t ? "exposure" : "min_counts"), path,
             "exposure and min_counts belong to model poisson; remove them");
  if (ns->model != NOISE_GAUSSIAN && has_s)
    cfg_perr(c, ytree_map_get(m, "sigma"), path, "sigma belongs to model gaussian; remove it");
}

static void check_noise(cfg_ctx *c, const ynode *root, const mlps_config *cfg) {
  if (cfg->data.noise.model != NOISE_NONE) return;
  const ynode *t = ytree_map_get(root, "train"), *s = ytree_map_get(root, "search");
  if (cfg->train.loss == LOSS_CHI2)
    cfg_perr(c, t && t->kind == YT_MAP ? ytree_map_get(t, "loss") : t, "train.loss",
             "chi2 weighs each target by its measurement noise, but data.noise is not given; add "
             "data.noise: {model: poisson, exposure: T} or {model: gaussian, sigma: DATASET}");
  if (cfg->search.metric == METRIC_VAL_CHI2 || cfg->search.metric == METRIC_VAL_P95_BIAS)
    cfg_perr(c, s && s->kind == YT_MAP ? ytree_map_get(s, "metric") : s, "search.metric",
             "%s needs the targets' measurement noise; add data.noise: {model: poisson, "
             "exposure: T} or {model: gaussian, sigma: DATASET}",
             METRIC_NAMES[cfg->search.metric]);
}
/* ---- end h-metrics ---- */

static void parse_data(cfg_ctx *c, const ynode *root, cfg_data *d) {
  char path[64];
  const ynode *m = cfg_section(c, root, "", "data", path, sizeof path);
  cfg_check_keys(c, m, path, DATA_KEYS, CFG_NK(DATA_KEYS));
  int has_path = cfg_get_str(c, m, path, "path", d->path, sizeof d->path, 0);
  int dk = ytree_map_find(root, "data");
  if (has_path == 0)
    cfg_perr(c, dk >= 0 ? root->keys[dk] : NULL, m ? "data.path" : "data",
             m ? "missing required key; add path: FILE.h5 under data (the HDF5 file with the "
                 "inputs and targets; "
                 "'mlpsweep gen' makes one)"
               : "missing required section; add data: {path: FILE.h5} (the HDF5 file with the "
                 "inputs and targets; "
                 "'mlpsweep gen' makes one)");
  cfg_get_str(c, m, path, "inputs", d->inputs, sizeof d->inputs, 0);
  cfg_get_str(c, m, path, "targets", d->targets, sizeof d->targets, 0);
  parse_columns(c, m, path, "input_columns", d->input_columns, sizeof d->input_columns);
  parse_columns(c, m, path, "target_columns", d->target_columns, sizeof d->target_columns);
  cfg_get_int(c, m, path, "max_rows", (cfg_range){0, INFINITY, 0, 0}, &d->max_rows);
  parse_transform(c, m, path, "input_transform", d->input_transform, &d->n_input_transform);
  parse_transform(c, m, path, "target_transform", d->target_transform, &d->n_target_transform);
  parse_noise(c, m, path, &d->noise);
}

static void parse_split(cfg_ctx *c, const ynode *root, cfg_split *s) {
  char path[64];
  const ynode *m = cfg_section(c, root, "", "split", path, sizeof path);
  cfg_check_keys(c, m, path, SPLIT_KEYS, CFG_NK(SPLIT_KEYS));
  const cfg_range frac = {0, 1, 1, 1};
  int tf = cfg_get_num(c, m, path, "test_fraction", frac, &s->test_fraction);
  int tc = cfg_get_int(c, m, path, "test_count", (cfg_range){0, INFINITY, 0, 0}, &s->test_count);
  if (tf && tc == 1 && s->test_count > 0)
    cfg_perr(c, ytree_map_get(m, "test_count"), "split.test_count",
             "test_fraction and test_count both given; keep one of them");
  cfg_get_i(c, m, path, "kfold", (cfg_range){1, 1000, 0, 0}, &s->kfold);
  int vf = cfg_get_num(c, m, path, "val_fraction", frac, &s->val_fraction);
  cfg_get_int(c, m, path, "seed", (cfg_range){0, 9007199254740992.0, 0, 0}, &s->seed);
  if (tf >= 0 && vf >= 0 && s->kfold == 1 && s->test_count == 0 &&
      s->test_fraction + s->val_fraction >= 1) {
    int on_val = vf == 1;
    cfg_perr(c, ytree_map_get(m, on_val ? "val_fraction" : "test_fraction"),
             on_val ? "split.val_fraction" : "split.test_fraction",
             "test_fraction %g + val_fraction %g = %g leaves no training data; they must sum to "
             "less than 1",
             s->test_fraction, s->val_fraction, s->test_fraction + s->val_fraction);
  }
}

static const ynode *named_section(cfg_ctx *c, const ynode *map, const char *path, const char *key,
                                  char *sub, size_t cap, const char *what, const char *const *table,
                                  int n, int *kind) {
  cfg_keypath(sub, cap, path, key);
  const ynode *v = ytree_map_get(map, key);
  if (!v) return NULL;
  if (v->kind == YT_SCALAR) {
    cfg_node_enum(c, v, sub, what, table, n, NULL, kind);
    return NULL;
  }
  if (v->kind != YT_MAP) {
    cfg_perr(c, v, sub, "expected a %s name or a mapping with name: and its options, got a list",
             what);
    return NULL;
  }
  cfg_get_enum(c, v, sub, "name", what, table, n, kind);
  return v;
}

/* W&B's spelling, search.early_terminate: {type: hyperband, min_iter: M,
 * eta: E}, is search.pruner: {name: hyperband, min_epochs: M, eta: E}. */
static void parse_early_terminate(cfg_ctx *c, const ynode *m, const char *path, cfg_search *s) {
  static const char *const ET_KEYS[] = {"type", "min_iter", "eta"};
  static const char *const ET_TYPES[] = {"hyperband"};
  const ynode *et = ytree_map_get(m, "early_terminate");
  if (!et) return;
  char sub[128];
  cfg_keypath(sub, sizeof sub, path, "early_terminate");
  if (et->kind != YT_MAP) {
    cfg_perr(c, et, sub, "expected a mapping such as {type: hyperband, min_iter: 3, eta: 3}");
    return;
  }
  if (ytree_map_get(m, "pruner")) {
    cfg_perr(c, et, sub,
             "given together with search.pruner; keep one: early_terminate {type: hyperband, "
             "min_iter: M, eta: E} (W&B's spelling) is pruner {name: hyperband, min_epochs: M, "
             "eta: E}");
    return;
  }
  cfg_check_keys(c, et, sub, ET_KEYS, CFG_NK(ET_KEYS));
  int k = 0;
  if (!ytree_map_get(et, "type"))
    cfg_perr(c, et, sub, "type: missing; write type: hyperband (the only type mlpsweep maps)");
  else cfg_get_enum(c, et, sub, "type", "early_terminate type", ET_TYPES, 1, &k);
  s->pruner.kind = PRUNER_KIND_HYPERBAND;
  cfg_get_i(c, et, sub, "min_iter", (cfg_range){1, 1e9, 0, 0}, &s->pruner.min_epochs);
  cfg_get_i(c, et, sub, "eta", (cfg_range){2, 1000, 0, 0}, &s->pruner.eta);
}

static void parse_search(cfg_ctx *c, const ynode *root, cfg_search *s, int *trials_given,
                         const ynode **method_node) {
  char path[64], sub[128];
  const ynode *m = cfg_section(c, root, "", "search", path, sizeof path);
  /* method, trials, metric, the sampler's options, pruner */
  const char *keys[3 + CFG_N_SAMPLER_OPTS + 3] = {"method", "trials", "metric"};
  int nk = 3;
  for (int i = 0; i < CFG_N_SAMPLER_OPTS; i++) keys[nk++] = CFG_SAMPLER_OPTS[i].key;
  keys[nk++] = "pruner";
  keys[nk++] = "max_seconds";
  keys[nk++] = "early_terminate";
  cfg_check_keys(c, m, path, keys, nk);
  int k;
  *method_node = ytree_map_get(m, "method");
  if (cfg_get_enum(c, m, path, "method", "search method", SAMPLER_METHOD_NAMES, SAMPLER_COUNT,
                   &k) == 1)
    s->method = (sampler_method)k;
  *trials_given =
      cfg_get_int(c, m, path, "trials", (cfg_range){1, 1e7, 0, 0}, &s->sampler.trials) == 1;
  int mk = s->metric;
  const ynode *mm = named_section(c, m, path, "metric", sub, sizeof sub, "metric", METRIC_NAMES,
                                  METRIC_COUNT, &mk);
  s->metric = (search_metric)mk;
  if (mm) {
    cfg_check_keys(c, mm, sub, METRIC_KEYS, CFG_NK(METRIC_KEYS));
    int g;
    if (cfg_get_enum(c, mm, sub, "goal", "goal", CFG_GOAL_NAMES, GOAL_COUNT, &g) == 1)
      s->goal = (cfg_goal)g;
  }
  for (int i = 0; i < CFG_N_SAMPLER_OPTS; i++)
    cfg_get_opt(c, &CFG_SAMPLER_OPTS[i], m, path, &s->sampler);
  int pk = s->pruner.kind;
  const ynode *pm = named_section(c, m, path, "pruner", sub, sizeof sub, "pruner",
                                  PRUNER_KIND_NAMES, PRUNER_KIND_COUNT, &pk);
  s->pruner.kind = (pruner_kind)pk;
  if (pm) {
    cfg_check_keys(c, pm, sub, PRUNER_KEYS, CFG_NK(PRUNER_KEYS));
    /* Options of another rule are refused, so a wrong name is not silent. */
    int rungs = s->pruner.kind == PRUNER_KIND_ASHA || s->pruner.kind == PRUNER_KIND_HYPERBAND;
    static const char *const median_only[] = {"startup_trials", "warmup_epochs", "interval"};
    static const char *const rungs_only[] = {"min_epochs", "eta"};
    for (int pass = 0; pass < 2; pass++) {
      const char *const *ks = pass ? rungs_only : median_only;
      int n = pass ? 2 : 3;
      if (pass == rungs) continue; /* the chosen rule's own keys */
      for (int i = 0; i < n; i++) {
        int j = ytree_map_find(pm, ks[i]);
        if (j < 0) continue;
        char kp[200];
        cfg_keypath(kp, sizeof kp, sub, ks[i]);
        cfg_perr(c, pm->keys[j], kp,
                 "applies to pruner %s only, but name is %s; remove it or choose that pruner",
                 pass ? "asha or hyperband" : "median (or none)",
                 PRUNER_KIND_NAMES[s->pruner.kind]);
      }
    }
    cfg_get_i(c, pm, sub, "startup_trials", (cfg_range){0, 1e6, 0, 0}, &s->pruner.startup_trials);
    cfg_get_i(c, pm, sub, "warmup_epochs", (cfg_range){0, 1e9, 0, 0}, &s->pruner.warmup_epochs);
    cfg_get_i(c, pm, sub, "interval", (cfg_range){1, 1e9, 0, 0}, &s->pruner.interval);
    cfg_get_i(c, pm, sub, "min_epochs", (cfg_range){1, 1e9, 0, 0}, &s->pruner.min_epochs);
    cfg_get_i(c, pm, sub, "eta", (cfg_range){2, 1000, 0, 0}, &s->pruner.eta);
  }
  parse_early_terminate(c, m, path, s);
  cfg_get_num(c, m, path, "max_seconds", (cfg_range){0, 1e12, 0, 0}, &s->max_seconds);
}

/* asha and hyperband prune at rungs below train.max_epochs: a first rung at
 * or beyond it would never prune. */
static void check_pruner(cfg_ctx *c, const ynode *root, const mlps_config *cfg) {
  const cfg_pruner *p = &cfg->search.pruner;
  if (p->kind != PRUNER_KIND_ASHA && p->kind != PRUNER_KIND_HYPERBAND) return;
  if (p->min_epochs < cfg->train.max_epochs) return;
  const ynode *s = ytree_map_get(root, "search");
  const ynode *pm = s && s->kind == YT_MAP ? ytree_map_get(s, "pruner") : NULL;
  const char *key = "search.pruner.min_epochs";
  if (!pm && s && s->kind == YT_MAP && (pm = ytree_map_get(s, "early_terminate")))
    key = "search.early_terminate.min_iter";
  const ynode *at =
      pm && pm->kind == YT_MAP ? ytree_map_get(pm, key[7] == 'p' ? "min_epochs" : "min_iter") : pm;
  cfg_perr(c, at, key,
           "%d is not below train.max_epochs %d, so the pruner would never stop a task; lower "
           "min_epochs (e.g. to max_epochs / 27 for eta 3) or raise max_epochs",
           p->min_epochs, cfg->train.max_epochs);
}

static void parse_schedule(cfg_ctx *c, const ynode *train, const char *tpath, cfg_train *t) {
  char path[128];
  int kind = t->schedule.kind;
  const ynode *m = named_section(c, train, tpath, "schedule", path, sizeof path, "schedule",
                                 NN_SCHEDULE_NAMES, SCHED_COUNT, &kind);
  cfg_schedule *s = &t->schedule;
  s->kind = (nn_schedule_kind)kind;
  if (!m) {
    if (s->kind == SCHED_STAGES)
      cfg_perr(c, ytree_map_get(train, "schedule"), path,
               "schedule stages needs its list of stages; write schedule: {name: stages, stages: "
               "[{patience: 100}, "
               "{patience: 100, lr_factor: 0.1}]}");
    return;
  }
  cfg_check_keys(c, m, path, SCHED_KEYS, CFG_NK(SCHED_KEYS));
  /* Options must belong to the chosen kind, so a typo in name is not silently ignored. */
  static const struct {
    const char *key;
    nn_schedule_kind kind;
  } owner[] = {{"factor", SCHED_PLATEAU},    {"patience", SCHED_PLATEAU}, {"min_lr", SCHED_PLATEAU},
               {"threshold", SCHED_PLATEAU}, {"eta_min", SCHED_COSINE},   {"stages", SCHED_STAGES}};
  for (int i = 0; i < (int)(sizeof owner / sizeof owner[0]); i++) {
    int j = ytree_map_find(m, owner[i].key);
    if (j >= 0 && owner[i].kind != s->kind) {
      char kp[200];
      cfg_keypath(kp, sizeof kp, path, owner[i].key);
      cfg_perr(c, m->keys[j], kp,
               "applies to schedule %s only, but name is %s; remove it or set name: %s",
               NN_SCHEDULE_NAMES[owner[i].kind], NN_SCHEDULE_NAMES[s->kind],
               NN_SCHEDULE_NAMES[owner[i].kind]);
    }
  }
  cfg_get_num(c, m, path, "factor", (cfg_range){0, 1, 1, 1}, &s->factor);
  cfg_get_i(c, m, path, "patience", (cfg_range){1, 1e9, 0, 0}, &s->patience);
  cfg_get_num(c, m, path, "min_lr", (cfg_range){0, INFINITY, 0, 0}, &s->min_lr);
  cfg_get_num(c, m, path, "threshold", (cfg_range){0, 1, 0, 1}, &s->threshold);
  cfg_get_num(c, m, path, "eta_min", (cfg_range){0, INFINITY, 0, 0}, &s->eta_min);
  const ynode *st = ytree_map_get(m, "stages");
  char sp[200];
  cfg_keypath(sp, sizeof sp, path, "stages");
  if (s->kind == SCHED_STAGES && !st) {
    cfg_perr(c, m, sp,
             "missing; give a list like [{patience: 100}, {patience: 100, lr_factor: 0.1}]");
  } else if (st && s->kind == SCHED_STAGES) {
    if (st->kind != YT_SEQ || st->n < 1 || st->n > CFG_MAX_STAGES) {
      cfg_perr(c, st, sp,
               "expected a list of 1 to %d stages, each {max_epochs, patience, lr_factor}",
               CFG_MAX_STAGES);
    } else {
      s->n_stages = st->n;
      for (int i = 0; i < st->n; i++) {
        char ip[240];
        snprintf(ip, sizeof ip, "%s[%d]", sp, i);
        cfg_stage *g = &s->stages[i];
        g->max_epochs = -1;
        g->patience = -1;
        g->lr_factor = 1.0;
        const ynode *e = st->items[i];
        if (e->kind != YT_MAP) {
          cfg_perr(c, e, ip, "expected a mapping {max_epochs, patience, lr_factor}, got %s",
                   cfg_kind_name(e));
          continue;
        }
        cfg_check_keys(c, e, ip, STAGE_KEYS, CFG_NK(STAGE_KEYS));
        cfg_get_i(c, e, ip, "max_epochs", (cfg_range){1, 1e9, 0, 0}, &g->max_epochs);
        cfg_get_i(c, e, ip, "patience", (cfg_range){0, 1e9, 0, 0}, &g->patience);
        cfg_get_num(c, e, ip, "lr_factor", (cfg_range){0, INFINITY, 1, 0}, &g->lr_factor);
      }
    }
  }
}

static void parse_train(cfg_ctx *c, const ynode *root, cfg_train *t) {
  char path[64];
  const ynode *m = cfg_section(c, root, "", "train", path, sizeof path);
  const char *keys[CFG_N_TRAIN_OPTS + 1];
  int nk = 0;
  for (int i = 0; i < CFG_N_TRAIN_OPTS; i++) keys[nk++] = CFG_TRAIN_OPTS[i].key;
  keys[nk++] = "schedule";
  cfg_check_keys(c, m, path, keys, nk);
  for (int i = 0; i < CFG_N_TRAIN_OPTS; i++) cfg_get_opt(c, &CFG_TRAIN_OPTS[i], m, path, t);
}

/* Committee and learning curve (issue 22): every limit checked here. */
static void parse_final_extras(cfg_ctx *c, const ynode *m, const char *path, cfg_final *f) {
  char kp[200];
  int k, ck = cfg_get_i(c, m, path, "committee", (cfg_range){1, CFG_MAX_NETWORKS, 0, 0},
                        &f->committee);
  if (ck == 1 && f->committee * f->ensemble > CFG_MAX_NETWORKS)
    cfg_perr(c, ytree_map_get(m, "committee"), "final.committee",
             "committee %d x ensemble %d = %d networks, at most %d fit in one model; lower "
             "committee or ensemble",
             f->committee, f->ensemble, f->committee * f->ensemble, CFG_MAX_NETWORKS);
  if (ck == 1 && f->committee > 1 && !f->retrain)
    cfg_perr(c, ytree_map_get(m, "committee"), "final.committee",
             "needs retrain: true (a committee is built from retrained networks); remove it or "
             "set retrain: true");
  if (cfg_get_enum(c, m, path, "committee_weights", "committee weighting",
                   CFG_COMMITTEE_WEIGHTS_NAMES, COMMITTEE_WEIGHTS_COUNT, &k) == 1)
    f->committee_weights = (cfg_committee_w)k;
  const ynode *lc = ytree_map_get(m, "learning_curve");
  cfg_keypath(kp, sizeof kp, path, "learning_curve");
  if (lc && !cfg_node_is_null(lc)) {
    if (lc->kind != YT_SEQ || lc->n < 1 || lc->n > CFG_MAX_LCURVE) {
      cfg_perr(c, lc, kp,
               "expected a list of 1 to %d increasing fractions of train+validation, like "
               "[0.1, 0.2, 0.5, 1.0]",
               CFG_MAX_LCURVE);
    } else {
      for (int i = 0; i < lc->n; i++) {
        char ip[240];
        snprintf(ip, sizeof ip, "%s[%d]", kp, i);
        double v;
        if (cfg_node_num(c, lc->items[i], ip, (cfg_range){0, 1, 1, 0}, &v) != 1) continue;
        if (i && v <= f->learning_curve[i - 1])
          cfg_perr(c, lc->items[i], ip,
                   "%g is not above the fraction before it (%g); list the fractions in "
                   "increasing order, each once",
                   v, f->learning_curve[i - 1]);
        f->learning_curve[i] = v;
      }
      f->n_learning_curve = lc->n;
      if (!f->retrain) cfg_perr(c, lc, kp, "needs retrain: true; remove it or set retrain: true");
    }
  }
  if (cfg_get_num(c, m, path, "target_error", (cfg_range){0, INFINITY, 1, 1}, &f->target_error) ==
          1 &&
      !f->n_learning_curve)
    cfg_perr(c, ytree_map_get(m, "target_error"), "final.target_error",
             "needs learning_curve (the fit that is extrapolated); add learning_curve: [0.1, 0.2, "
             "0.5, 1.0] or remove target_error");
}

static void parse_final(cfg_ctx *c, const ynode *root, cfg_final *f) {
  char path[64];
  const ynode *m = cfg_section(c, root, "", "final", path, sizeof path);
  cfg_check_keys(c, m, path, FINAL_KEYS, CFG_NK(FINAL_KEYS));
  cfg_get_bool(c, m, path, "retrain", &f->retrain);
  int k;
  if (cfg_get_enum(c, m, path, "epochs", "epoch rule", CFG_FINAL_EPOCHS_NAMES, FINAL_EPOCHS_COUNT,
                   &k) == 1)
    f->epochs = (cfg_final_epochs)k;
  int fe = cfg_get_i(c, m, path, "fixed_epochs", (cfg_range){0, 1e9, 0, 0}, &f->fixed_epochs);
  if (f->epochs == FINAL_EPOCHS_FIXED && fe >= 0 && f->fixed_epochs == 0)
    cfg_perr(c, ytree_map_get(m, "epochs"), "final.fixed_epochs",
             "missing or 0; epochs: fixed needs fixed_epochs: N (the number of epochs of the final "
             "retrain)");
  if (fe == 1 && f->fixed_epochs > 0 && f->epochs != FINAL_EPOCHS_FIXED)
    cfg_perr(c, ytree_map_get(m, "fixed_epochs"), "final.fixed_epochs",
             "applies only to epochs: fixed (epochs is %s); remove it or set epochs: fixed",
             CFG_FINAL_EPOCHS_NAMES[f->epochs]);
  cfg_get_num(c, m, path, "holdout_fraction", (cfg_range){0, 1, 1, 1}, &f->holdout_fraction);
  cfg_get_num(c, m, path, "anneal_fraction", (cfg_range){0, 1, 0, 0}, &f->anneal_fraction);
  cfg_get_i(c, m, path, "ensemble", (cfg_range){1, CFG_MAX_ENSEMBLE, 0, 0}, &f->ensemble);
  parse_final_extras(c, m, path, f);
}

/* final.hard_examples (workflow/hard.h): every key but holdout_fraction and
 * by is required, since no default fits every data set; by frac_err judges
 * the holdout by |fractional error|, so the targets must be positive (a log
 * chain); by bias needs data.noise. */
static void parse_hard_examples(cfg_ctx *c, const ynode *root, mlps_config *cfg) {
  const ynode *fm = ytree_map_get(root, "final");
  if (!fm || fm->kind != YT_MAP) return;
  char path[64];
  const ynode *m = cfg_section(c, fm, "final", "hard_examples", path, sizeof path);
  if (!m) return;
  cfg_hard_examples *h = &cfg->final.hard;
  cfg_check_keys(c, m, path, HARD_KEYS, CFG_NK(HARD_KEYS));
  static const char *const what[] = {
      "the number of fine-tuning rounds", "how many worst training rows each round uses",
      "how many times each of them appears in the fine-tune's rows",
      "the fine-tune's learning rate as a fraction of the trial's", "fine-tune epochs per round"};
  int got[5] = {
      cfg_get_i(c, m, path, "rounds", (cfg_range){1, CFG_MAX_HARD_ROUNDS, 0, 0}, &h->rounds),
      cfg_get_i(c, m, path, "n_bad", (cfg_range){1, 1e9, 0, 0}, &h->n_bad),
      cfg_get_i(c, m, path, "weight", (cfg_range){1, CFG_MAX_HARD_WEIGHT, 0, 0}, &h->weight),
      cfg_get_num(c, m, path, "lr_factor", (cfg_range){0, 1e6, 1, 0}, &h->lr_factor),
      cfg_get_i(c, m, path, "epochs", (cfg_range){1, 1e6, 0, 0}, &h->epochs)};
  cfg_get_num(c, m, path, "holdout_fraction", (cfg_range){0, 0.5, 1, 0}, &h->holdout_fraction);
  int k;
  if (cfg_get_enum(c, m, path, "by", "hard-example measure", CFG_HARD_BY_NAMES, HARD_BY_COUNT,
                   &k) == 1)
    h->by = (cfg_hard_by)k;
  if (h->by == HARD_BY_BIAS && cfg->data.noise.model == NOISE_NONE)
    cfg_perr(c, ytree_map_get(m, "by"), "final.hard_examples.by",
             "bias ranks rows by the posterior bias their error causes under the data's "
             "noise, which needs data.noise; add data.noise ({model: poisson, exposure: T} "
             "or {model: gaussian, sigma: DATASET}) or use by: frac_err");
  for (int i = 0; i < 5; i++)
    if (got[i] == 0)
      cfg_perr(c, m, path, "%s is missing; give %s: VALUE (%s)", HARD_KEYS[i], HARD_KEYS[i],
               what[i]);
  if (!cfg->final.retrain)
    cfg_perr(c, m, path,
             "applies to the final retrain, but final.retrain is false; remove it "
             "or set retrain: true");
  const cfg_data *d = &cfg->data;
  if (h->by == HARD_BY_FRAC_ERR && (!d->n_target_transform || (d->target_transform[0] != XF_LOG &&
                                                               d->target_transform[0] != XF_LOG10)))
    cfg_perr(c, m, path,
             "judges rounds by |fractional error|, which needs positive targets "
             "with data.target_transform starting with log or log10; add it, use by: bias "
             "(with data.noise), or remove hard_examples");
}

/* ---- defaults and the whole document ---- */

static void set_defaults(mlps_config *cfg, const char *origin) {
  memset(cfg, 0, sizeof *cfg);
  /* name: the file's base name without extension */
  const char *base = strrchr(origin, '/');
  base = base ? base + 1 : origin;
  snprintf(cfg->name, sizeof cfg->name, "%s", base);
  char *dot = strrchr(cfg->name, '.');
  if (dot && dot != cfg->name) *dot = '\0';
  if (!cfg->name[0]) snprintf(cfg->name, sizeof cfg->name, "sweep");
  cfg->seed = 1;
  snprintf(cfg->data.inputs, sizeof cfg->data.inputs, "X");
  snprintf(cfg->data.targets, sizeof cfg->data.targets, "Y");
  snprintf(cfg->data.input_columns, sizeof cfg->data.input_columns, "all");
  snprintf(cfg->data.target_columns, sizeof cfg->data.target_columns, "all");
  cfg->data.n_input_transform = 1;
  cfg->data.input_transform[0] = XF_STANDARD;
  cfg->data.n_target_transform = 1;
  cfg->data.target_transform[0] = XF_STANDARD;
  cfg->data.noise.min_counts = 1;
  cfg->split.test_fraction = 0.1;
  cfg->split.kfold = 5;
  cfg->split.val_fraction = 0.1;
  cfg->split.seed = -1;
  cfg_search *s = &cfg->search;
  s->method = SAMPLER_RANDOM;
  sampler_options_init(&s->sampler); /* the sampler's defaults, trials included */
  s->metric = METRIC_VAL_MSE;
  s->goal = GOAL_MINIMIZE;
  s->pruner.kind = PRUNER_KIND_NONE;
  s->pruner.startup_trials = 5;
  s->pruner.warmup_epochs = 10;
  s->pruner.interval = 1;
  s->pruner.min_epochs = 10;
  s->pruner.eta = 3;
  cfg_train *t = &cfg->train;
  t->max_epochs = 1000;
  t->patience = 50;
  t->loss = LOSS_MSE;
  t->init = INIT_TORCH;
  t->schedule.kind = SCHED_CONSTANT;
  t->schedule.factor = 0.1;
  t->schedule.patience = 10;
  t->schedule.threshold = 1e-4;
  cfg->final.retrain = 1;
  cfg->final.epochs = FINAL_EPOCHS_MEAN_BEST;
  cfg->final.holdout_fraction = 0.1;
  cfg->final.anneal_fraction = 0.2;
  cfg->final.ensemble = 1;
  cfg->final.committee = 1;
  cfg->final.hard.holdout_fraction = 0.1;
}

static void parse_root(cfg_ctx *c, mlps_config *cfg) {
  const ynode *root = c->doc.root;
  if (cfg_node_is_null(root)) {
    cfg_perr(
        c, NULL, "",
        "the config is empty; at least data: {path: FILE.h5} is required (see configs/demo.yaml)");
    return;
  }
  if (root->kind != YT_MAP) {
    cfg_perr(
        c, root, "",
        "the top level must be a mapping of sections (name, data, split, search, parameters, ...), "
        "got %s",
        cfg_kind_name(root));
    return;
  }
  cfg_check_keys(c, root, "", TOP_KEYS, CFG_NK(TOP_KEYS));
  cfg_get_str(c, root, "", "name", cfg->name, sizeof cfg->name, 0);
  cfg_get_str(c, root, "", "description", cfg->description, sizeof cfg->description, 1);
  long seed;
  if (cfg_get_int(c, root, "", "seed", (cfg_range){0, 9007199254740992.0, 0, 0}, &seed) == 1)
    cfg->seed = (uint64_t)seed;
  parse_data(c, root, &cfg->data);
  parse_split(c, root, &cfg->split);
  int trials_given = 0;
  const ynode *method_node = NULL;
  parse_search(c, root, &cfg->search, &trials_given, &method_node);
  parse_train(c, root, &cfg->train);
  const ynode *pnodes[SPACE_MAX_PARAMS] = {0};
  cfg_space_parse(c, root, cfg, pnodes);
  /* Schedule after parameters so stage defaults see a max_epochs/patience
   * fixed in either place. */
  char tp[16] = "train";
  const ynode *tm = ytree_map_get(root, "train");
  if (tm && tm->kind == YT_MAP) parse_schedule(c, tm, tp, &cfg->train);
  cfg_schedule *sc = &cfg->train.schedule;
  for (int i = 0; i < sc->n_stages; i++) {
    if (sc->stages[i].max_epochs < 0) sc->stages[i].max_epochs = cfg->train.max_epochs;
    if (sc->stages[i].patience < 0) sc->stages[i].patience = cfg->train.patience;
  }
  if (sc->kind != SCHED_STAGES) sc->n_stages = 0;

  parse_final(c, root, &cfg->final);
  parse_hard_examples(c, root, cfg);
  check_pruner(c, root, cfg);
  check_noise(c, root, cfg);

  char op[16];
  const ynode *om = cfg_section(c, root, "", "output", op, sizeof op);
  cfg_check_keys(c, om, op, OUTPUT_KEYS, CFG_NK(OUTPUT_KEYS));
  if (cfg_get_str(c, om, op, "dir", cfg->output.dir, sizeof cfg->output.dir, 0) == 0)
    snprintf(cfg->output.dir, sizeof cfg->output.dir, "runs/%.*s",
             (int)(sizeof cfg->output.dir - 6), cfg->name);

  cfg_space_check_grid(c, root, cfg, pnodes, trials_given, method_node);
}

static int load_common(cfg_ctx *c, const char *origin, const char *const *sets, int nsets,
                       mlps_config *cfg, cfg_errors *errs) {
  /* A syntax error or a limit leaves no tree; lesser YAML problems leave a
   * tree worth checking, so every problem is reported in one go. */
  int parse_failed = c->n > 0 && !c->doc.root;
  for (int i = 0; i < nsets && !parse_failed; i++) ytree_set(&c->doc, sets[i], cfg_tree_err, c);
  set_defaults(cfg, origin);
  if (!parse_failed) parse_root(c, cfg);
  return cfg_ctx_finish(c, errs);
}

int cfg_load(const char *path, const char *const *sets, int nsets, mlps_config *cfg,
             cfg_errors *errs) {
  cfg_ctx c = {0};
  if (errs) errs->n = 0, errs->text = NULL;
  ytree_parse_file(&c.doc, path, cfg_tree_err, &c);
  c.origin = path;
  return load_common(&c, path, sets, nsets, cfg, errs);
}

int cfg_load_text(const char *text, size_t len, const char *origin, const char *const *sets,
                  int nsets, mlps_config *cfg, cfg_errors *errs) {
  cfg_ctx c = {0};
  if (errs) errs->n = 0, errs->text = NULL;
  ytree_parse(&c.doc, text, len, origin, cfg_tree_err, &c);
  c.origin = origin;
  return load_common(&c, origin, sets, nsets, cfg, errs);
}