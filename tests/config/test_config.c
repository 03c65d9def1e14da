/* Unit tests of config/: defaults, type inference of parameter specs,
 * overrides, dump -> load round trip (bit-exact struct), diff, limits
 * (file size, nesting, billion laughs) and the order of messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_train.h"
#include "config/ytree.h"
#include "nn/mlp.h"
#include "test_util.h"

static int starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int load(const char *text, const char *const *sets, int nsets, mlps_config *cfg,
                cfg_errors *e) {
  return cfg_load_text(text, strlen(text), "dir/unit.yaml", sets, nsets, cfg, e);
}

static const space_param *param(const mlps_config *cfg, const char *name) {
  int i = space_find(&cfg->space, name);
  return i < 0 ? NULL : &cfg->space.p[i];
}

/* Loads text, dumps, loads the dump: the two configs must be identical. */
static void check_round_trip(const char *text, const char *const *sets, int nsets) {
  mlps_config *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  cfg_errors e;
  int rc = load(text, sets, nsets, a, &e);
  CHECK(rc == 0);
  if (rc) fprintf(stderr, "%s", e.text ? e.text : "");
  cfg_errors_free(&e);
  char *d1 = cfg_dump(a);
  rc = cfg_load_text(d1, strlen(d1), "dump.yaml", NULL, 0, b, &e);
  CHECK(rc == 0);
  if (rc) fprintf(stderr, "%s\n---\n%s", e.text ? e.text : "", d1);
  cfg_errors_free(&e);
  char *d2 = cfg_dump(b);
  CHECK(strcmp(d1, d2) == 0);
  CHECK(memcmp(a, b, sizeof *a) == 0);
  char buf[256];
  CHECK(cfg_diff(a, b, buf, sizeof buf) == 0);
  free(d1);
  free(d2);
  free(a);
  free(b);
}

static void test_defaults(void) {
  mlps_config *c = calloc(1, sizeof *c);
  cfg_errors e;
  CHECK(load("data: {path: x.h5}\n", NULL, 0, c, &e) == 0);
  CHECK(e.n == 0 && e.text == NULL);
  CHECK(strcmp(c->name, "unit") == 0);
  CHECK(c->seed == 1);
  CHECK(strcmp(c->data.path, "x.h5") == 0);
  CHECK(strcmp(c->data.inputs, "X") == 0 && strcmp(c->data.targets, "Y") == 0);
  CHECK(strcmp(c->data.input_columns, "all") == 0);
  CHECK(c->data.n_input_transform == 1 && c->data.input_transform[0] == XF_STANDARD);
  CHECK(c->split.kfold == 5);
  CHECK_CLOSE(c->split.test_fraction, 0.1, 0, 0);
  CHECK(c->split.seed == -1 && CFG_SPLIT_SEED(c) == 1);
  CHECK(c->search.method == SAMPLER_RANDOM && c->search.sampler.trials == 20);
  CHECK(c->search.metric == METRIC_VAL_MSE && c->search.goal == GOAL_MINIMIZE);
  CHECK(c->search.sampler.startup_trials == 10 && c->search.sampler.ei_candidates == 24 &&
        c->search.sampler.gamma_max == 25);
  CHECK(c->search.pruner.kind == PRUNER_KIND_NONE);
  CHECK(c->train.max_epochs == 1000 && c->train.patience == 50);
  CHECK(c->train.schedule.kind == SCHED_CONSTANT && c->train.loss == LOSS_MSE &&
        c->train.init == INIT_TORCH);
  CHECK(c->final.retrain == 1 && c->final.ensemble == 1 &&
        c->final.epochs == FINAL_EPOCHS_MEAN_BEST);
  CHECK(strcmp(c->output.dir, "runs/unit") == 0);
  /* Every searchable parameter is present, as a constant at its default. */
  CHECK(c->space.n == 8);
  const char *names[] = {"layers",     "width",     "lr",      "batch",
                         "activation", "optimizer", "dropout", "weight_decay"};
  for (int i = 0; i < 8; i++) {
    const space_param *p = param(c, names[i]);
    CHECK(p && p->dist == DIST_CONSTANT && p->n_values == 1);
  }
  CHECK(param(c, "layers")->values[0].type == VAL_INT && param(c, "layers")->values[0].i == 3);
  CHECK(param(c, "lr")->values[0].type == VAL_FLOAT && param(c, "lr")->values[0].f == 1e-3);
  CHECK(strcmp(param(c, "activation")->values[0].s, "relu") == 0);
  CHECK(cfg_planned_tasks(c) == 100);
  free(c);
}

static void test_inference(void) {
  mlps_config *c = calloc(1, sizeof *c);
  cfg_errors e;
  const char *t =
      "data: {path: x.h5}\n"
      "parameters:\n"
      "  layers: {min: 1, max: 4}\n"
      "  width: {distribution: log_uniform_values, min: 16, max: 512}\n"
      "  lr: {min: 0.001, max: 0.1}\n"
      "  batch: {distribution: q_log_uniform_values, min: 16, max: 2048}\n"
      "  dropout: {min: 0, max: 0.5}\n"
      "  activation: {values: [relu, silu]}\n"
      "  optimizer: {value: radam}\n"
      "  weight_decay: {distribution: q_uniform, min: 0, max: 0.01, q: 0.001}\n"
      "  patience: {value: 7}\n"
      "  loss: {value: mae}\n";
  int rc = load(t, NULL, 0, c, &e);
  CHECK(rc == 0);
  if (rc) fprintf(stderr, "%s", e.text);
  cfg_errors_free(&e);
  CHECK(param(c, "layers")->dist == DIST_INT_UNIFORM && param(c, "layers")->is_int);
  CHECK(param(c, "layers")->min == 1 && param(c, "layers")->max == 4);
  CHECK(param(c, "width")->dist == DIST_LOG_UNIFORM_VALUES && param(c, "width")->is_int);
  CHECK(param(c, "lr")->dist == DIST_UNIFORM && !param(c, "lr")->is_int);
  CHECK(param(c, "batch")->dist == DIST_Q_LOG_UNIFORM_VALUES && param(c, "batch")->q == 1.0);
  CHECK(param(c, "dropout")->dist == DIST_UNIFORM &&
        !param(c, "dropout")->is_int); /* ints written, real param */
  CHECK(param(c, "activation")->n_values == 2 &&
        strcmp(param(c, "activation")->values[1].s, "swish") == 0);
  CHECK(param(c, "optimizer")->dist == DIST_CONSTANT &&
        strcmp(param(c, "optimizer")->values[0].s, "radam") == 0);
  CHECK(param(c, "weight_decay")->q == 0.001);
  CHECK(c->train.patience == 7 && c->train.loss == LOSS_MAE);
  CHECK(!space_is_finite(&c->space));
  free(c);
}

static void test_grid_and_widths(void) {
  mlps_config *c = calloc(1, sizeof *c);
  cfg_errors e;
  const char *t =
      "data: {path: x.h5}\n"
      "search: {method: grid}\n"
      "split: {kfold: 3}\n"
      "parameters:\n"
      "  widths: {values: [[64, 64], [128, 64, 32]]}\n"
      "  batch: {values: [32, 64, 128]}\n";
  int rc = load(t, NULL, 0, c, &e);
  CHECK(rc == 0);
  if (rc) fprintf(stderr, "%s", e.text);
  cfg_errors_free(&e);
  CHECK(param(c, "layers") == NULL && param(c, "width") == NULL);
  const space_param *w = param(c, "widths");
  CHECK(w && w->dist == DIST_CATEGORICAL && w->n_values == 2 &&
        strcmp(w->values[1].s, "128,64,32") == 0);
  CHECK(c->search.sampler.trials == 6 && cfg_planned_tasks(c) == 18);
  int ws[8];
  CHECK(cfg_widths_parse(w->values[1].s, ws, 8) == 3 && ws[0] == 128 && ws[2] == 32);
  CHECK(cfg_widths_parse("64,,3", ws, 8) == 0 && cfg_widths_parse("64,", ws, 8) == 0);
  CHECK(cfg_widths_parse("1,2,3", ws, 2) == 0);
  char *sum = cfg_summary(c, 3);
  CHECK(strstr(sum, "grid size: 6 points") != NULL);
  CHECK(strstr(sum, "6 trials x 3 folds = 18 tasks") != NULL);
  CHECK(strstr(sum, "ranks: 3") != NULL);
  for (char *p = sum; *p; p = strchr(p, '\n') + 1) CHECK(*p == '#'); /* comments only */
  free(sum);
  free(c);
}

static void test_overrides(void) {
  mlps_config *c = calloc(1, sizeof *c);
  cfg_errors e;
  const char *t =
      "data:\n  path: x.h5\n  target_transform: [log, standard]\nsearch:\n  trials: 5\n";
  const char *sets[] = {
      "search.trials=40",
      "parameters.lr={min: 1.0e-5, max: 1.0e-2, distribution: log_uniform_values}",
      "data.path=other file.h5",
      "train.schedule={name: plateau, factor: 0.5}",
      "data.target_transform.0=log10",
      "seed=99",
      "final.ensemble=3"};
  int rc = load(t, sets, 7, c, &e);
  CHECK(rc == 0);
  if (rc) fprintf(stderr, "%s", e.text);
  cfg_errors_free(&e);
  CHECK(c->search.sampler.trials == 40);
  CHECK(param(c, "lr")->dist == DIST_LOG_UNIFORM_VALUES && param(c, "lr")->min == 1e-5);
  CHECK(strcmp(c->data.path, "other file.h5") == 0);
  CHECK(c->train.schedule.kind == SCHED_PLATEAU && c->train.schedule.factor == 0.5 &&
        c->train.schedule.patience == 10);
  CHECK(c->data.target_transform[0] == XF_LOG10 && c->data.target_transform[1] == XF_STANDARD);
  CHECK(c->seed == 99 && c->final.ensemble == 3);
  CHECK(CFG_SPLIT_SEED(c) == 99); /* the split follows the master seed unless split.seed is set */
  const char *split_seed[] = {"seed=99", "split.seed=7"};
  rc = load(t, split_seed, 2, c, &e);
  CHECK(rc == 0 && c->seed == 99 && c->split.seed == 7 && CFG_SPLIT_SEED(c) == 7);
  cfg_errors_free(&e);

  /* A bad override is reported against the override, after file problems. */
  const char *bad[] = {"search.trials=x", "split.kfold=0"};
  rc = load("data: {path: x.h5}\nsearch: {method: gird}\n", bad, 2, c, &e);
  CHECK(rc == MLPS_EINPUT && e.n == 3);
  CHECK(e.text && strstr(e.text, "dir/unit.yaml:2:") == e.text);
  CHECK(strstr(e.text, "\n--set search.trials=x: search.trials: expected an integer") != NULL);
  CHECK(strstr(e.text, "\n--set split.kfold=0: split.kfold: must be") != NULL);
  cfg_errors_free(&e);
  free(c);
}

static void test_round_trips(void) {
  check_round_trip("data: {path: x.h5}\n", NULL, 0);
  check_round_trip(
      "name: \"odd: name #1\"\n"
      "description: \"quotes \\\" and\\nnewlines\"\n"
      "seed: 123456789012\n"
      "data:\n  path: \"yes\"\n  inputs: '123'\n  input_columns: \"0,2,5:9\"\n  target_columns: "
      "[0, 1, 7]\n"
      "  max_rows: 5000\n  input_transform: none\n  target_transform: [log10, minmax]\n"
      "split: {test_count: 500, kfold: 1, val_fraction: 0.15, seed: 42}\n"
      "search:\n  method: tpe\n  trials: 60\n  metric: val_median_frac_err\n  multivariate: true\n "
      " batch: 4\n"
      "  gamma: 0.15\n  prior_weight: 0.5\n  pruner: {name: median, warmup_epochs: 20}\n"
      "parameters:\n"
      "  layers: {min: 1, max: 20}\n"
      "  width: {distribution: q_log_uniform_values, min: 16, max: 2048, q: 8}\n"
      "  lr: {distribution: log_uniform_values, min: 1e-5, max: 0.01}\n"
      "  batch: {values: [16, 64, 256, 2048]}\n"
      "  dropout: {min: 0.0, max: 0.5}\n"
      "  weight_decay: {value: 0.30000000000000004}\n"
      "  activation: {values: [relu, selu, leaky_relu, elu, gelu, swish, sigmoid, tanh]}\n"
      "  optimizer: {values: [adam, radam]}\n"
      "train:\n  max_epochs: 3000\n  patience: 40\n  min_delta: 1e-7\n  init: he\n  max_seconds: "
      "3600\n"
      "  schedule:\n    name: stages\n    stages:\n      - {patience: 100}\n      - {patience: "
      "100, lr_factor: 0.1}\n"
      "      - {max_epochs: 50, patience: 1000, lr_factor: 0.01}\n"
      "final: {retrain: false, epochs: fixed, fixed_epochs: 77, ensemble: 5, anneal_fraction: 0}\n"
      "output: {dir: /tmp/some where}\n",
      NULL, 0);
  check_round_trip(
      "data: {path: x.h5}\ntrain: {schedule: {name: cosine, eta_min: 1e-6}}\nsearch: {method: "
      "sobol}\n",
      NULL, 0);
  const char *sets[] = {"search.method=grid", "parameters.widths={value: [64, 64, 64, 64]}"};
  check_round_trip("data: {path: x.h5}\n", sets, 2);
  check_round_trip(
      "data: {path: x.h5, target_transform: [log, standard]}\n"
      "final: {hard_examples: {rounds: 3, n_bad: 500, weight: 5, lr_factor: 0.3, "
      "epochs: 30, holdout_fraction: 0.15}}\n",
      NULL, 0);
}

static void test_trial_decode(void) {
  mlps_config *c = calloc(1, sizeof *c);
  cfg_errors e;
  const char *t =
      "data: {path: x.h5}\nparameters:\n  widths: {values: [[64, 32], [8, 8, 8]]}\n"
      "  optimizer: {values: [sgd, radam]}\n  lr: {value: 0.01}\n";
  CHECK(load(t, NULL, 0, c, &e) == 0);
  /* space order: widths, lr, batch, activation, optimizer, dropout, weight_decay */
  double x[SPACE_MAX_PARAMS] = {1, 0, 0, 0, 1, 0, 0};
  cfg_trial tr;
  mlps_err err = {0};
  CHECK(cfg_trial_decode(c, x, &tr, &err) == MLPS_OK);
  CHECK(tr.n_layers == 3 && tr.widths[0] == 8 && tr.widths[2] == 8);
  CHECK(tr.optimizer == OPT_RADAM && tr.lr == 0.01 && tr.batch == 64 && tr.activation == ACT_RELU);
  train_config tc;
  const char *sets[] = {
      "train.schedule={name: stages, stages: [{patience: 5}, {patience: 7, lr_factor: 0.1}]}",
      "train.max_epochs=40", "train.loss=mae"};
  CHECK(load(t, sets, 3, c, &e) == 0);
  CHECK(cfg_train_config(c, &tr, &tc, &err) == MLPS_OK);
  CHECK(tc.schedule == SCHED_STAGES && tc.n_stages == 2 && tc.stages[0].max_epochs == 40 &&
        tc.stages[0].patience == 5 && tc.stages[1].lr_factor == 0.1 && tc.loss == LOSS_MAE);
  CHECK(tc.opt.kind == OPT_RADAM && tc.opt.weight_decay == 0);
  x[0] = 2; /* not a choice */
  CHECK(cfg_trial_decode(c, x, &tr, &err) == MLPS_EINPUT && strstr(err.msg, "widths"));
  free(c);
}

/* A config that validates can run (issue 17): the largest layers and the
 * longest widths list validation lets through decode to an architecture the
 * engine builds, and one more layer is refused at validation. */
static void check_builds(const mlps_config *c, int n_layers) {
  double x[SPACE_MAX_PARAMS] = {0};
  cfg_trial tr;
  mlps_err err = {0};
  CHECK(cfg_trial_decode(c, x, &tr, &err) == MLPS_OK);
  CHECK(tr.n_layers == n_layers);
  int widths[MLP_MAX_LAYERS + 1], nw = 0; /* as fit.c builds it: inputs, hidden, outputs */
  widths[nw++] = 3;
  for (int i = 0; i < tr.n_layers; i++) widths[nw++] = tr.widths[i];
  widths[nw++] = 2;
  mlp_arch a;
  CHECK(mlp_arch_make(&a, widths, nw, tr.activation, &err) == MLPS_OK);
  mlp *net = mlp_create(&a, &err);
  CHECK(net != NULL);
  mlp_free(net);
}

static void test_engine_limits(void) {
  mlps_config *c = calloc(1, sizeof *c);
  cfg_errors e;
  char t[1024];
  snprintf(t, sizeof t,
           "data: {path: x.h5}\nparameters:\n  layers: {value: %d}\n  width: {value: 2}\n",
           CFG_MAX_LAYERS);
  CHECK(load(t, NULL, 0, c, &e) == 0);
  check_builds(c, CFG_MAX_LAYERS);
  snprintf(t, sizeof t, "data: {path: x.h5}\nparameters:\n  layers: {value: %d}\n",
           CFG_MAX_LAYERS + 1);
  CHECK(load(t, NULL, 0, c, &e) == MLPS_EINPUT && e.n == 1 &&
        strstr(e.text, "parameters.layers.value"));
  cfg_errors_free(&e);
  int off = snprintf(t, sizeof t, "data: {path: x.h5}\nparameters:\n  widths: {value: [");
  for (int i = 0; i < CFG_MAX_LAYERS; i++)
    off += snprintf(t + off, sizeof t - (size_t)off, "%s2", i ? ", " : "");
  snprintf(t + off, sizeof t - (size_t)off, "]}\n");
  CHECK(load(t, NULL, 0, c, &e) == 0);
  check_builds(c, CFG_MAX_LAYERS);
  snprintf(t + off, sizeof t - (size_t)off, ", 2]}\n");
  char want[64];
  snprintf(want, sizeof want, "%d layer widths, at most %d", CFG_MAX_LAYERS + 1, CFG_MAX_LAYERS);
  CHECK(load(t, NULL, 0, c, &e) == MLPS_EINPUT && e.n == 1 && strstr(e.text, want));
  cfg_errors_free(&e);
  free(c);
}

static void test_diff(void) {
  mlps_config *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  cfg_errors e;
  const char *t = "data: {path: x.h5}\nparameters: {lr: {min: 0.001, max: 0.01}}\n";
  CHECK(load(t, NULL, 0, a, &e) == 0);
  const char *sets[] = {"search.trials=21", "parameters.lr.max=0.1"};
  CHECK(load(t, sets, 2, b, &e) == 0);
  char buf[256];
  int n = cfg_diff(a, b, buf, sizeof buf);
  CHECK(n == 2);
  CHECK(strcmp(buf, "search.trials, parameters.lr.max") == 0);
  if (n != 2) fprintf(stderr, "diff: %d: %s\n", n, buf);
  /* widths instead of layers/width: keys that exist on one side only. */
  const char *sw[] = {"parameters.widths={value: [8, 8]}"};
  CHECK(load(t, sw, 1, b, &e) == 0);
  n = cfg_diff(a, b, buf, sizeof buf);
  CHECK(n == 3 && strstr(buf, "parameters.layers") && strstr(buf, "parameters.widths"));
  /* A tiny buffer is truncated, the count is still right. */
  CHECK(cfg_diff(a, b, buf, 8) == 3 && strlen(buf) == 7);
  free(a);
  free(b);
}

static void test_limits(void) {
  mlps_config *c = calloc(1, sizeof *c);
  cfg_errors e;
  /* over the size limit: rejected before parsing */
  size_t big = YTREE_MAX_BYTES + 10;
  char *text = malloc(big + 1);
  memset(text, '#', big);
  text[big] = '\0';
  CHECK(cfg_load_text(text, big, "big.yaml", NULL, 0, c, &e) == MLPS_EINPUT);
  CHECK(e.n == 1 && strstr(e.text, "over the 1048576-byte limit"));
  cfg_errors_free(&e);
  free(text);
  /* deep nesting */
  char deep[400] = "data: {path: x.h5}\nx: ";
  for (int i = 0; i < 100; i++) strcat(deep, "[");
  CHECK(load(deep, NULL, 0, c, &e) == MLPS_EINPUT && strstr(e.text, "nesting deeper"));
  cfg_errors_free(&e);
  /* a billion laughs file is refused without expanding anything, and the
   * message list stays short */
  char laughs[4096] = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char k = 'b'; k <= 'j'; k++) {
    char line[128];
    snprintf(line, sizeof line, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", k, k,
             k - 1, k - 1, k - 1, k - 1, k - 1, k - 1, k - 1, k - 1, k - 1);
    strcat(laughs, line);
  }
  CHECK(load(laughs, NULL, 0, c, &e) == MLPS_EINPUT && e.n < 20 &&
        strstr(e.text, "aliases (*a) are not supported"));
  cfg_errors_free(&e);
  /* a file that does not exist */
  CHECK(cfg_load("/nonexistent/x.yaml", NULL, 0, c, &e) == MLPS_EINPUT &&
        strstr(e.text, "cannot open config"));
  cfg_errors_free(&e);
  free(c);
}

static void test_messages(void) {
  mlps_config *c = calloc(1, sizeof *c);
  cfg_errors e;
  const char *t =
      "data:\n  path: x.h5\n"
      "parameters:\n"
      "  layers: {min: 5, max: 2}\n"   /* line 4 */
      "  lr: {min: 0.001, max: 0.1}\n" /* line 5: continuous under grid */
      "split:\n  kfold: 0\n"           /* line 7 */
      "search: {method: grid}\n";
  CHECK(load(t, NULL, 0, c, &e) == MLPS_EINPUT);
  CHECK(e.n == 3);
  if (e.n != 3) fprintf(stderr, "%s", e.text);
  /* sorted by position; each line "FILE:LINE:COL: key.path: ..." */
  const char *l1 = e.text, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
  CHECK(starts(
      l1, "dir/unit.yaml:4:17: parameters.layers.min: min 5 is greater than max 2; swap them"));
  CHECK(starts(l2, "dir/unit.yaml:5:7: parameters.lr: search.method is grid"));
  CHECK(starts(l3, "dir/unit.yaml:7:10: split.kfold: "));
  cfg_errors_free(&e);
  free(c);
}

/* Mutated configs (bytes flipped, cut, duplicated) must never crash or
 * leak, whatever the parser makes of them; run under ASan this is a small
 * deterministic fuzz test. */
static void test_mutations(void) {
  const char *base =
      "name: fuzz\nseed: 3\ndata:\n  path: x.h5\n  target_transform: [log, standard]\n"
      "split: {kfold: 3, test_fraction: 0.1}\n"
      "search:\n  method: tpe\n  trials: 30\n  metric: {name: val_mse}\n  pruner: {name: median}\n"
      "parameters:\n  layers: {min: 1, max: 4}\n  lr: {distribution: log_uniform_values, min: "
      "1e-5, max: 1e-2}\n"
      "  activation: {values: [relu, tanh]}\n  width: {values: [8, 16]}\n"
      "train:\n  schedule: {name: stages, stages: [{patience: 3}, {patience: 4, lr_factor: 0.1}]}\n"
      "final: {epochs: holdout}\n";
  size_t n = strlen(base);
  char *buf = malloc(2 * n + 1);
  mlps_config *c = calloc(1, sizeof *c);
  unsigned long long state = 12345;
  int ok = 0;
  static const char alphabet[] = ":-[]{},&*!#'\"\n 0123456789.eabcxyz<>|";
  for (int it = 0; it < 3000; it++) {
    memcpy(buf, base, n + 1);
    size_t len = n;
    int edits = 1 + it % 4;
    for (int k = 0; k < edits; k++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      size_t pos = (size_t)(state >> 33) % len;
      int op = (int)((state >> 20) % 3);
      if (op == 0) {
        buf[pos] = alphabet[(state >> 40) % (sizeof alphabet - 1)];
      } else if (op == 1 && len > 1) {
        memmove(buf + pos, buf + pos + 1, len - pos);
        len--;
      } else if (len + 8 < 2 * n) {
        size_t take = (size_t)((state >> 45) % 8);
        memmove(buf + pos + take, buf + pos, len - pos + 1);
        len += take;
      }
    }
    cfg_errors e;
    int rc = cfg_load_text(buf, len, "fuzz.yaml", NULL, 0, c, &e);
    CHECK(rc == MLPS_OK || (rc == MLPS_EINPUT && e.n > 0 && e.text));
    if (rc == MLPS_OK) {
      ok++;
      char *d = cfg_dump(c);
      mlps_config *c2 = calloc(1, sizeof *c2);
      cfg_errors e2;
      CHECK(cfg_load_text(d, strlen(d), "dump.yaml", NULL, 0, c2, &e2) == MLPS_OK);
      CHECK(memcmp(c, c2, sizeof *c) == 0);
      cfg_errors_free(&e2);
      free(c2);
      free(d);
    }
    cfg_errors_free(&e);
  }
  CHECK(ok > 0 && ok < 3000);
  free(c);
  free(buf);
}

/* Every method's sampler accepts the space config/ builds, and its points
 * stay inside the domains (the contract between config/ and search/). */
static void test_sampler_contract(void) {
  static const char *const methods[] = {"grid", "random", "lhs", "sobol", "tpe"};
  for (int m = 0; m < 5; m++) {
    char text[1024];
    int grid = m == 0;
    snprintf(text, sizeof text,
             "data: {path: x.h5}\nsearch: {method: %s, trials: 12, startup_trials: 4}\n"
             "parameters:\n"
             "  layers: {values: [1, 2, 3]}\n"
             "  width: %s\n"
             "  lr: %s\n"
             "  batch: {values: [32, 64]}\n"
             "  activation: {values: [relu, silu]}\n"
             "  dropout: %s\n",
             methods[m],
             grid ? "{values: [16, 32]}"
                  : "{distribution: q_log_uniform_values, min: 16, max: 512, q: 8}",
             grid ? "{value: 0.001}" : "{distribution: log_uniform_values, min: 1e-5, max: 1e-2}",
             grid ? "{values: [0.0, 0.25]}" : "{min: 0, max: 0.5}");
    mlps_config *c = calloc(1, sizeof *c);
    cfg_errors e;
    int rc = load(text, NULL, 0, c, &e);
    CHECK(rc == 0);
    if (rc) fprintf(stderr, "%s", e.text);
    cfg_errors_free(&e);
    CHECK((int)c->search.method == m);
    sampler_options o;
    cfg_sampler_options(c, &o);
    CHECK(o.trials == c->search.sampler.trials && o.startup_trials == 4);
    sampler *s = NULL;
    mlps_err err = {0};
    rc = sampler_create(&s, c->search.method, &c->space, c->seed, &o, &err);
    CHECK(rc == MLPS_OK);
    if (rc) fprintf(stderr, "%s: %s\n", methods[m], err.msg);
    if (s) {
      CHECK(sampler_budget(s) == cfg_planned_trials(c));
      for (int t = 0; t < 6; t++) {
        double x[SPACE_MAX_PARAMS];
        CHECK(sampler_ready(s, t, NULL, 0) == SAMPLER_READY);
        CHECK(sampler_suggest(s, t, NULL, 0, NULL, 0, x, &err) == MLPS_OK);
        for (int i = 0; i < c->space.n; i++) {
          const space_param *p = &c->space.p[i];
          if (p->dist == DIST_CATEGORICAL || p->dist == DIST_CONSTANT)
            CHECK(x[i] >= 0 && x[i] < p->n_values && x[i] == floor(x[i]));
          else CHECK(x[i] >= p->min && x[i] <= p->max && (!p->is_int || x[i] == floor(x[i])));
        }
        cfg_trial tr;
        CHECK(cfg_trial_decode(c, x, &tr, &err) == MLPS_OK);
        CHECK(tr.n_layers >= 1 && tr.n_layers <= 3 && tr.widths[0] >= 16 && tr.widths[0] <= 512);
        CHECK(tr.widths[tr.n_layers - 1] == tr.widths[0]);
        CHECK(tr.activation == ACT_RELU || tr.activation == ACT_SWISH);
        CHECK(tr.optimizer == OPT_ADAM && (tr.batch == 32 || tr.batch == 64));
        CHECK(tr.lr >= 1e-5 && tr.lr <= 1e-2 && tr.dropout >= 0 && tr.dropout <= 0.5 &&
              tr.weight_decay == 0);
        train_config tc;
        CHECK(cfg_train_config(c, &tr, &tc, &err) == MLPS_OK);
        CHECK(tc.opt.lr == tr.lr && tc.batch == tr.batch && tc.max_epochs == c->train.max_epochs);
      }
      sampler_free(s);
    }
    free(c);
  }
}

int main(void) {
  test_defaults();
  test_inference();
  test_grid_and_widths();
  test_overrides();
  test_round_trips();
  test_diff();
  test_trial_decode();
  test_engine_limits();
  test_limits();
  test_messages();
  test_mutations();
  test_sampler_contract();
  return TEST_RESULT("config_unit");
}
