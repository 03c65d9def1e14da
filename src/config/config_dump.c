/* Resolved config -> YAML text (cfg_dump), the search-space summary as YAML
 * comments (cfg_summary), and the list of keys in which two configs differ
 * (cfg_diff, for --resume). The dump is what gets embedded in journals,
 * model files and summaries, so it must load back to the same config. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_schema.h"
#include "config/ytree.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/sbuf.h"

/* Shortest text that reads back to the same double (util/fmt), always
 * recognisable as a float (by us and by PyYAML: a dot in the mantissa,
 * signed exponent). */
static const char *yaml_double(char *buf, size_t cap, double v) {
  char t[FMT_DOUBLE_SIZE + 2];
  fmt_double(t, v);
  char *e = strchr(t, 'e');
  if (!strpbrk(t, "ni") && !strchr(t, '.')) { /* inf/nan never reach a valid config */
    if (e) {
      char tail[FMT_DOUBLE_SIZE];
      snprintf(tail, sizeof tail, "%s", e);
      snprintf(e, sizeof t - (size_t)(e - t), ".0%s", tail);
    } else {
      strcat(t, ".0");
    }
  }
  snprintf(buf, cap, "%s", t);
  return buf;
}

/* Plain when it cannot be mistaken for anything but a string, else
 * double-quoted with escapes. */
static void put_str(sbuf *b, const char *s) {
  static const char *const special[] = {
      "null", "Null", "NULL", "~",  "true", "True", "TRUE", "false", "False", "FALSE", "yes",
      "Yes",  "YES",  "no",   "No", "NO",   "on",   "On",   "ON",    "off",   "Off",   "OFF"};
  int plain = s[0] != '\0' && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
                               s[0] == '_' || s[0] == '/');
  for (const char *p = s; plain && *p; p++) {
    char ch = *p;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '_' || ch == '-' || ch == '.' || ch == '/' || ch == '+'))
      plain = 0;
  }
  for (size_t i = 0; plain && i < sizeof special / sizeof special[0]; i++)
    if (!strcmp(s, special[i])) plain = 0;
  if (plain) {
    sbuf_printf(b, "%s", s);
    return;
  }
  sbuf_printf(b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') sbuf_printf(b, "\\%c", *p);
    else if (*p == '\n') sbuf_printf(b, "\\n");
    else if (*p == '\t') sbuf_printf(b, "\\t");
    else if (*p < 0x20 || *p == 0x7f) sbuf_printf(b, "\\x%02x", *p);
    else sbuf_printf(b, "%c", *p);
  }
  sbuf_printf(b, "\"");
}

static void put_num(sbuf *b, double v) {
  char buf[FMT_DOUBLE_SIZE + 2];
  sbuf_puts(b, yaml_double(buf, sizeof buf, v));
}

const char *cfg_opt_text(const cfg_opt *o, const void *base, char *buf, size_t cap) {
  const char *field = (const char *)base + o->offset;
  switch (o->type) {
    case CFG_OPT_INT: snprintf(buf, cap, "%d", *(const int *)field); break;
    case CFG_OPT_NUM: yaml_double(buf, cap, *(const double *)field); break;
    case CFG_OPT_BOOL: snprintf(buf, cap, "%s", *(const int *)field ? "true" : "false"); break;
    case CFG_OPT_ENUM: snprintf(buf, cap, "%s", o->names[*(const int *)field]); break;
  }
  return buf;
}

/* "  key: value" lines of the options opts[0..n) of the struct at base. */
static void put_opts(sbuf *b, const cfg_opt *opts, int n, const void *base) {
  char buf[64];
  for (int i = 0; i < n; i++)
    sbuf_printf(b, "  %s: %s\n", opts[i].key, cfg_opt_text(&opts[i], base, buf, sizeof buf));
}

static void put_chain(sbuf *b, const xf_kind *chain, int n) {
  if (n == 0) {
    sbuf_printf(b, "[none]");
    return;
  }
  sbuf_printf(b, "[");
  for (int i = 0; i < n; i++) sbuf_printf(b, "%s%s", i ? ", " : "", XF_NAMES[chain[i]]);
  sbuf_printf(b, "]");
}

/* A parameter value as YAML (widths "64,64" -> [64, 64]). */
static void put_value(sbuf *b, const space_param *p, const space_value *v) {
  if (v->type == VAL_INT) sbuf_printf(b, "%ld", v->i);
  else if (v->type == VAL_FLOAT) put_num(b, v->f);
  else if (!strcmp(p->name, "widths")) {
    sbuf_printf(b, "[");
    for (const char *s = v->s; *s; s++) sbuf_printf(b, *s == ',' ? ", " : "%c", *s);
    sbuf_printf(b, "]");
  } else put_str(b, v->s);
}

static void put_bound(sbuf *b, const space_param *p, double v) {
  if (p->is_int) sbuf_printf(b, "%.0f", v);
  else put_num(b, v);
}

char *cfg_dump(const mlps_config *cfg) {
  sbuf b = {0};
  sbuf_printf(&b, "# mlpsweep resolved config (%s %d): every key, defaults filled in\n", CFG_FORMAT,
              CFG_FORMAT_VERSION);
  sbuf_printf(&b, "name: ");
  put_str(&b, cfg->name);
  sbuf_printf(&b, "\ndescription: ");
  put_str(&b, cfg->description);
  sbuf_printf(&b, "\nseed: %llu\n", (unsigned long long)cfg->seed);

  const cfg_data *d = &cfg->data;
  sbuf_printf(&b, "data:\n  path: ");
  put_str(&b, d->path);
  sbuf_printf(&b, "\n  inputs: ");
  put_str(&b, d->inputs);
  sbuf_printf(&b, "\n  targets: ");
  put_str(&b, d->targets);
  sbuf_printf(&b, "\n  input_columns: ");
  put_str(&b, d->input_columns);
  sbuf_printf(&b, "\n  target_columns: ");
  put_str(&b, d->target_columns);
  sbuf_printf(&b, "\n  max_rows: %ld\n  input_transform: ", d->max_rows);
  put_chain(&b, d->input_transform, d->n_input_transform);
  sbuf_printf(&b, "\n  target_transform: ");
  put_chain(&b, d->target_transform, d->n_target_transform);
  if (d->noise.model == NOISE_POISSON) { /* h-metrics: data.noise */
    sbuf_printf(&b, "\n  noise: {model: poisson, exposure: ");
    put_num(&b, d->noise.exposure);
    sbuf_printf(&b, ", min_counts: ");
    put_num(&b, d->noise.min_counts);
    sbuf_printf(&b, "}");
  } else if (d->noise.model == NOISE_GAUSSIAN) {
    sbuf_printf(&b, "\n  noise: {model: gaussian, sigma: ");
    put_str(&b, d->noise.sigma);
    sbuf_printf(&b, "}");
  }

  const cfg_split *sp = &cfg->split;
  /* test_fraction and test_count exclude each other; the unused one is
   * left out (test_count 0 means "use test_fraction"). */
  sbuf_printf(&b, "\nsplit:\n");
  if (sp->test_count > 0) {
    sbuf_printf(&b, "  test_count: %ld\n", sp->test_count);
  } else {
    sbuf_printf(&b, "  test_fraction: ");
    put_num(&b, sp->test_fraction);
    sbuf_printf(&b, "\n  test_count: 0\n");
  }
  sbuf_printf(&b, "  kfold: %d\n  val_fraction: ", sp->kfold);
  put_num(&b, sp->val_fraction);
  if (sp->seed >= 0) sbuf_printf(&b, "\n  seed: %ld", sp->seed);

  const cfg_search *s = &cfg->search;
  sbuf_printf(&b, "\nsearch:\n  method: %s\n  trials: %ld\n  metric: {name: %s, goal: %s}\n",
              SAMPLER_METHOD_NAMES[s->method], s->sampler.trials, METRIC_NAMES[s->metric],
              CFG_GOAL_NAMES[s->goal]);
  put_opts(&b, CFG_SAMPLER_OPTS, CFG_N_SAMPLER_OPTS, &s->sampler);
  if (s->pruner.kind == PRUNER_KIND_ASHA || s->pruner.kind == PRUNER_KIND_HYPERBAND)
    sbuf_printf(&b, "  pruner: {name: %s, min_epochs: %d, eta: %d}\n",
                PRUNER_KIND_NAMES[s->pruner.kind], s->pruner.min_epochs, s->pruner.eta);
  else
    sbuf_printf(&b, "  pruner: {name: %s, startup_trials: %d, warmup_epochs: %d, interval: %d}\n",
                PRUNER_KIND_NAMES[s->pruner.kind], s->pruner.startup_trials,
                s->pruner.warmup_epochs, s->pruner.interval);
  if (s->max_seconds > 0) {
    sbuf_printf(&b, "  max_seconds: ");
    put_num(&b, s->max_seconds);
    sbuf_printf(&b, "\n");
  }

  sbuf_printf(&b, "parameters:\n");
  for (int i = 0; i < cfg->space.n; i++) {
    const space_param *p = &cfg->space.p[i];
    sbuf_printf(&b, "  %s: {distribution: %s", p->name, SPACE_DIST_NAMES[p->dist]);
    if (p->dist == DIST_CONSTANT) {
      sbuf_printf(&b, ", value: ");
      put_value(&b, p, &p->values[0]);
    } else if (p->dist == DIST_CATEGORICAL) {
      sbuf_printf(&b, ", values: [");
      for (int j = 0; j < p->n_values; j++) {
        if (j) sbuf_printf(&b, ", ");
        put_value(&b, p, &p->values[j]);
      }
      sbuf_printf(&b, "]");
    } else {
      sbuf_printf(&b, ", min: ");
      put_bound(&b, p, p->min);
      sbuf_printf(&b, ", max: ");
      put_bound(&b, p, p->max);
      if (p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES) {
        sbuf_printf(&b, ", q: ");
        put_bound(&b, p, p->q);
      }
    }
    sbuf_printf(&b, "}\n");
  }

  const cfg_train *t = &cfg->train;
  sbuf_printf(&b, "train:\n");
  put_opts(&b, CFG_TRAIN_OPTS, CFG_N_TRAIN_OPTS, t);
  const cfg_schedule *sc = &t->schedule;
  sbuf_printf(&b, "  schedule: {name: %s", NN_SCHEDULE_NAMES[sc->kind]);
  if (sc->kind == SCHED_PLATEAU) {
    sbuf_printf(&b, ", factor: ");
    put_num(&b, sc->factor);
    sbuf_printf(&b, ", patience: %d, min_lr: ", sc->patience);
    put_num(&b, sc->min_lr);
    sbuf_printf(&b, ", threshold: ");
    put_num(&b, sc->threshold);
  } else if (sc->kind == SCHED_COSINE) {
    sbuf_printf(&b, ", eta_min: ");
    put_num(&b, sc->eta_min);
  } else if (sc->kind == SCHED_STAGES) {
    sbuf_printf(&b, ", stages: [");
    for (int i = 0; i < sc->n_stages; i++) {
      sbuf_printf(&b, "%s\n      {max_epochs: %d, patience: %d, lr_factor: ", i ? "," : "",
                  sc->stages[i].max_epochs, sc->stages[i].patience);
      put_num(&b, sc->stages[i].lr_factor);
      sbuf_printf(&b, "}");
    }
    sbuf_printf(&b, "]");
  }
  sbuf_printf(&b, "}\n");

  const cfg_final *f = &cfg->final;
  sbuf_printf(&b, "final:\n  retrain: %s\n  epochs: %s\n  fixed_epochs: %d\n  holdout_fraction: ",
              f->retrain ? "true" : "false", CFG_FINAL_EPOCHS_NAMES[f->epochs], f->fixed_epochs);
  put_num(&b, f->holdout_fraction);
  sbuf_printf(&b, "\n  anneal_fraction: ");
  put_num(&b, f->anneal_fraction);
  sbuf_printf(&b, "\n  ensemble: %d\n  committee: %d\n  committee_weights: %s", f->ensemble,
              f->committee, CFG_COMMITTEE_WEIGHTS_NAMES[f->committee_weights]);
  if (f->n_learning_curve) { /* absent = none (an empty list is not valid input) */
    sbuf_printf(&b, "\n  learning_curve: [");
    for (int i = 0; i < f->n_learning_curve; i++) {
      if (i) sbuf_printf(&b, ", ");
      put_num(&b, f->learning_curve[i]);
    }
    sbuf_printf(&b, "]");
  }
  if (f->target_error > 0) {
    sbuf_printf(&b, "\n  target_error: ");
    put_num(&b, f->target_error);
  }
  if (f->hard.rounds) {
    const cfg_hard_examples *h = &f->hard;
    sbuf_printf(&b, "\n  hard_examples: {rounds: %d, n_bad: %d, weight: %d, lr_factor: ", h->rounds,
                h->n_bad, h->weight);
    put_num(&b, h->lr_factor);
    sbuf_printf(&b, ", epochs: %d, by: %s, holdout_fraction: ", h->epochs,
                CFG_HARD_BY_NAMES[h->by]);
    put_num(&b, h->holdout_fraction);
    sbuf_printf(&b, "}");
  }
  sbuf_printf(&b, "\noutput:\n  dir: ");
  put_str(&b, cfg->output.dir);
  sbuf_printf(&b, "\n");
  return b.s;
}

static void put_domain(sbuf *b, const space_param *p) {
  if (p->dist == DIST_CONSTANT) {
    sbuf_printf(b, "fixed ");
    put_value(b, p, &p->values[0]);
  } else if (p->dist == DIST_CATEGORICAL) {
    sbuf_printf(b, "one of [");
    for (int j = 0; j < p->n_values; j++) {
      if (j) sbuf_printf(b, ", ");
      put_value(b, p, &p->values[j]);
    }
    sbuf_printf(b, "] (%d choices)", p->n_values);
  } else {
    sbuf_printf(b, "%s [", SPACE_DIST_NAMES[p->dist]);
    put_bound(b, p, p->min);
    sbuf_printf(b, ", ");
    put_bound(b, p, p->max);
    sbuf_printf(b, "]");
    if (p->q > 0) {
      sbuf_printf(b, " step ");
      put_bound(b, p, p->q);
    }
    if (p->is_int) sbuf_printf(b, ", integers");
    if (p->dist == DIST_INT_UNIFORM) sbuf_printf(b, " (%.0f values)", p->max - p->min + 1);
  }
}

char *cfg_summary(const mlps_config *cfg, int nranks) {
  sbuf b = {0};
  const cfg_search *s = &cfg->search;
  sbuf_printf(
      &b,
      "# ---- search-space summary (comments only: this output is itself a valid config) ----\n");
  sbuf_printf(&b, "# method %s, metric %s (%s)\n", SAMPLER_METHOD_NAMES[s->method],
              METRIC_NAMES[s->metric], CFG_GOAL_NAMES[s->goal]);
  int nfree = 0;
  for (int i = 0; i < cfg->space.n; i++) {
    const space_param *p = &cfg->space.p[i];
    if (p->dist != DIST_CONSTANT) nfree++;
    sbuf_printf(&b, "#   %-13s ", p->name);
    put_domain(&b, p);
    sbuf_printf(&b, "\n");
  }
  sbuf_printf(&b, "# searched parameters: %d of %d\n", nfree, cfg->space.n);
  if (space_is_finite(&cfg->space)) {
    uint64_t g = space_grid_size(&cfg->space);
    if (g == UINT64_MAX) sbuf_printf(&b, "# grid size: more than 1.8e19 points\n");
    else sbuf_printf(&b, "# grid size: %llu point%s\n", (unsigned long long)g, g == 1 ? "" : "s");
  } else {
    sbuf_printf(&b, "# grid size: not finite (continuous:");
    for (int i = 0; i < cfg->space.n; i++)
      if (cfg->space.p[i].dist != DIST_CONSTANT && cfg->space.p[i].dist != DIST_CATEGORICAL)
        sbuf_printf(&b, " %s", cfg->space.p[i].name);
    sbuf_printf(&b, ")\n");
  }
  long trials = cfg_planned_trials(cfg), tasks = cfg_planned_tasks(cfg);
  sbuf_printf(&b, "# planned: %ld trial%s x %d fold%s = %ld task%s", trials, trials == 1 ? "" : "s",
              cfg->split.kfold, cfg->split.kfold == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s");
  if (cfg->final.retrain)
    sbuf_printf(&b, ", then a final retrain (ensemble of %d, epochs %s)", cfg->final.ensemble,
                CFG_FINAL_EPOCHS_NAMES[cfg->final.epochs]);
  sbuf_printf(&b, "\n");
  if (s->method == SAMPLER_TPE) {
    if (s->sampler.batch)
      sbuf_printf(&b,
                  "# tpe: first %d trials by LHS, then generations of %d (reproducible across rank "
                  "counts)\n",
                  s->sampler.startup_trials, s->sampler.batch);
    else
      sbuf_printf(&b, "# tpe: first %d trials by LHS, then asynchronous proposals%s\n",
                  s->sampler.startup_trials,
                  s->sampler.constant_liar
                      ? " (running trials count as the worst seen: constant liar)"
                      : "");
  }
  if (nranks > 0) {
    if (nranks == 1)
      sbuf_printf(&b, "# ranks: 1 (rank 0 coordinates and trains the tasks itself)\n");
    else
      sbuf_printf(&b, "# ranks: %d (rank 0 coordinates, %d worker%s; %.1f tasks per worker)\n",
                  nranks, nranks - 1, nranks == 2 ? "" : "s", (double)tasks / (nranks - 1));
  }
  sbuf_printf(&b, "# outputs: %s/\n", cfg->output.dir);
  return b.s;
}

/* ---- diff ---- */

typedef struct {
  char *buf;
  size_t cap, len;
} diff_out;

static void diff_add(void *ctx, const char *path) {
  diff_out *o = ctx;
  if (!o->buf || o->cap == 0) return;
  int n = snprintf(o->buf + o->len, o->cap - o->len, "%s%s", o->len ? ", " : "", path);
  if (n > 0) o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

int cfg_diff(const mlps_config *a, const mlps_config *b, char *buf, size_t bufsize) {
  char *ta = cfg_dump(a), *tb = cfg_dump(b);
  ytree_doc da, db;
  ytree_parse(&da, ta, strlen(ta), "a", NULL, NULL);
  ytree_parse(&db, tb, strlen(tb), "b", NULL, NULL);
  diff_out o = {buf, bufsize, 0};
  if (buf && bufsize) buf[0] = '\0';
  int n = ytree_diff(da.root, db.root, diff_add, &o);
  ytree_free(&da);
  ytree_free(&db);
  free(ta);
  free(tb);
  return n;
}
