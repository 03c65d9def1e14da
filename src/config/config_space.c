/* parameters -> the search space: each hyperparameter's domain (value,
 * values, or min/max with a distribution) checked against its type and
 * range, the training keys that parameters may fix, and the grid check. */
#include "config/config_space.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/names.h"

static const char *const SPEC_KEYS[] = {"value", "values", "min", "max", "distribution", "q"};

typedef enum { PK_INT, PK_FLOAT, PK_ACT, PK_OPT, PK_WIDTHS } pkind;
typedef struct {
  const char *name;
  pkind kind;
  cfg_range r;
  double def_num;
  const char *def_str;
  const char *hint; /* what the value means, for messages */
} pdef;

static const pdef PDEFS[] = {
    {"layers", PK_INT, {1, CFG_MAX_LAYERS, 0, 0}, 3, NULL, "hidden layers"},
    {"width", PK_INT, {1, CFG_MAX_WIDTH, 0, 0}, 64, NULL, "units per hidden layer"},
    {"widths", PK_WIDTHS, {1, CFG_MAX_WIDTH, 0, 0}, 0, NULL, "per-layer widths"},
    {"lr", PK_FLOAT, {0, 10, 1, 0}, 1e-3, NULL, "learning rate"},
    {"batch", PK_INT, {1, 1 << 24, 0, 0}, 64, NULL, "mini-batch size"},
    {"activation", PK_ACT, {0, 0, 0, 0}, 0, "relu", "activation"},
    {"optimizer", PK_OPT, {0, 0, 0, 0}, 0, "adam", "optimizer"},
    {"dropout", PK_FLOAT, {0, 1, 0, 1}, 0, NULL, "dropout probability"},
    {"weight_decay", PK_FLOAT, {0, INFINITY, 0, 0}, 0, NULL, "weight decay"},
};
#define N_PDEFS CFG_NK(PDEFS)
_Static_assert(CFG_NK(PDEFS) <= SPACE_MAX_PARAMS, "every parameter fits in a search_space");

static void set_const_default(space_param *p, const pdef *d) {
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", d->name);
  p->dist = DIST_CONSTANT;
  p->n_values = 1;
  space_value *v = &p->values[0];
  if (d->kind == PK_INT) {
    p->is_int = 1;
    v->type = VAL_INT;
    v->i = (long)d->def_num;
    v->f = d->def_num;
    p->min = p->max = d->def_num;
  } else if (d->kind == PK_FLOAT) {
    v->type = VAL_FLOAT;
    v->f = d->def_num;
    p->min = p->max = d->def_num;
  } else {
    v->type = VAL_STRING;
    snprintf(v->s, sizeof v->s, "%s", d->def_str);
  }
}

static int act_lookup(const char *s) { return nn_activation_from_name(s); }

/* One categorical/constant value of parameter d from node v. */
static int parse_value(cfg_ctx *c, const pdef *d, const ynode *v, const char *kp,
                       space_value *out) {
  memset(out, 0, sizeof *out);
  if (d->kind == PK_INT) {
    long iv;
    if (cfg_node_int(c, v, kp, d->r, &iv) != 1) return 0;
    out->type = VAL_INT;
    out->i = iv;
    out->f = (double)iv;
    return 1;
  }
  if (d->kind == PK_FLOAT) {
    double fv;
    if (cfg_node_num(c, v, kp, d->r, &fv) != 1) return 0;
    out->type = VAL_FLOAT;
    out->f = fv;
    return 1;
  }
  if (d->kind == PK_ACT || d->kind == PK_OPT) {
    int k;
    int rc =
        d->kind == PK_ACT
            ? cfg_node_enum(c, v, kp, "activation", NN_ACTIVATION_NAMES, ACT_LINEAR, act_lookup, &k)
            : cfg_node_enum(c, v, kp, "optimizer", NN_OPTIMIZER_NAMES, OPT_COUNT, NULL, &k);
    if (rc != 1) return 0;
    if (d->kind == PK_ACT && k == ACT_LINEAR) {
      cfg_perr(
          c, v, kp,
          "linear is the output layer's activation; choose a nonlinear one for the hidden layers");
      return 0;
    }
    out->type = VAL_STRING;
    snprintf(out->s, sizeof out->s, "%s",
             d->kind == PK_ACT ? NN_ACTIVATION_NAMES[k] : NN_OPTIMIZER_NAMES[k]);
    return 1;
  }
  /* widths: a list of positive integers, stored as "64,64,32" */
  if (v->kind == YT_SEQ && v->n > CFG_MAX_LAYERS) {
    cfg_perr(c, v, kp, "%d layer widths, at most %d (the engine's limit of hidden layers)", v->n,
             CFG_MAX_LAYERS);
    return 0;
  }
  if (v->kind != YT_SEQ || v->n < 1) {
    cfg_perr(c, v, kp, "expected a list of 1 to %d layer widths like [64, 64, 32], got %s",
             CFG_MAX_LAYERS,
             v->kind == YT_SEQ   ? "an empty list"
             : v->kind == YT_MAP ? "a mapping"
                                 : v->str);
    return 0;
  }
  out->type = VAL_STRING;
  size_t off = 0;
  for (int i = 0; i < v->n; i++) {
    long w;
    char ip[600];
    snprintf(ip, sizeof ip, "%s[%d]", kp, i);
    if (cfg_node_int(c, v->items[i], ip, d->r, &w) != 1) return 0;
    int n = snprintf(out->s + off, sizeof out->s - off, "%s%ld", i ? "," : "", w);
    if (n < 0 || off + (size_t)n >= sizeof out->s) {
      cfg_perr(c, v, kp,
               "too many layers to store (at most %zu characters as '64,64,32'); use layers and "
               "width instead",
               sizeof out->s - 1);
      return 0;
    }
    off += (size_t)n;
  }
  return 1;
}

static int is_numeric_dist(space_dist d) { return d != DIST_CONSTANT && d != DIST_CATEGORICAL; }

/* Parses parameters.NAME into p. Returns 1 when valid. */
static int parse_param(cfg_ctx *c, const pdef *d, const ynode *spec, const char *kp,
                       space_param *p) {
  set_const_default(p, d);
  if (spec->kind != YT_MAP) {
    cfg_perr(c, spec, kp,
             "expected a mapping like {value: X}, {values: [A, B]} or {min: A, max: B}, got %s; "
             "e.g. %s: {value: %s}",
             spec->kind == YT_SEQ ? "a list" : "a single value", d->name,
             spec->kind == YT_SCALAR ? spec->str : "...");
    return 0;
  }
  cfg_check_keys(c, spec, kp, SPEC_KEYS, CFG_NK(SPEC_KEYS));
  const ynode *value = ytree_map_get(spec, "value"), *values = ytree_map_get(spec, "values"),
              *mn = ytree_map_get(spec, "min"), *mx = ytree_map_get(spec, "max"),
              *q = ytree_map_get(spec, "q"), *dist = ytree_map_get(spec, "distribution");
  char sub[600];
  int dk = -1, ok = 1;
  if (dist) {
    cfg_keypath(sub, sizeof sub, kp, "distribution");
    if (cfg_node_enum(c, dist, sub, "distribution", SPACE_DIST_NAMES, DIST_COUNT, NULL, &dk) != 1)
      return 0;
  }
  int n_forms = !!value + !!values + !!(mn || mx);
  if (n_forms > 1) {
    cfg_perr(c, spec, kp, "give exactly one of value, values, or min and max; %s",
             value && values ? "value and values both given"
             : value         ? "value conflicts with min/max"
                             : "values conflicts with min/max");
    return 0;
  }
  if (n_forms == 0) {
    cfg_perr(c, spec, kp,
             "no domain given; write value: X (fixed), values: [A, B] (choices) or min: A, max: B "
             "(range)");
    return 0;
  }
  if (dk < 0)
    dk = value               ? DIST_CONSTANT
         : values            ? DIST_CATEGORICAL
         : d->kind == PK_INT ? DIST_INT_UNIFORM
                             : DIST_UNIFORM;
  p->dist = (space_dist)dk;
  int categorical_only = d->kind == PK_ACT || d->kind == PK_OPT || d->kind == PK_WIDTHS;
  if (categorical_only && is_numeric_dist(p->dist)) {
    cfg_perr(c, dist ? dist : spec, kp,
             "%s takes names or lists, not a numeric range; use value: or values: [...]", d->name);
    return 0;
  }
  if (p->dist == DIST_INT_UNIFORM && d->kind == PK_FLOAT) {
    cfg_perr(c, dist, kp,
             "%s (%s) takes real values; use uniform or log_uniform_values instead of int_uniform",
             d->name, d->hint);
    return 0;
  }
  /* The form must match the distribution. */
  if (p->dist == DIST_CONSTANT && !value) {
    cfg_perr(c, dist, kp, "distribution constant needs value: X%s",
             values ? " (values is for categorical)" : "");
    return 0;
  }
  if (p->dist == DIST_CATEGORICAL && !values) {
    cfg_perr(c, dist, kp, "distribution categorical needs values: [A, B, ...]");
    return 0;
  }
  if (is_numeric_dist(p->dist) && (!mn || !mx)) {
    cfg_perr(c, mn || mx ? spec : dist, kp, "distribution %s needs both min and max%s",
             SPACE_DIST_NAMES[p->dist],
             mn   ? " (max is missing)"
             : mx ? " (min is missing)"
                  : "");
    return 0;
  }
  p->is_int = d->kind == PK_INT;
  if (value) {
    cfg_keypath(sub, sizeof sub, kp, "value");
    if (!parse_value(c, d, value, sub, &p->values[0])) return 0;
    p->n_values = 1;
    p->min = p->max = p->values[0].f;
  } else if (values) {
    cfg_keypath(sub, sizeof sub, kp, "values");
    if (values->kind != YT_SEQ || values->n < 1) {
      cfg_perr(c, values, sub, "expected a non-empty list like [A, B, C]");
      return 0;
    }
    if (values->n > SPACE_MAX_CHOICES) {
      cfg_perr(c, values, sub, "%d values, at most %d; use min and max for a range", values->n,
               SPACE_MAX_CHOICES);
      return 0;
    }
    p->n_values = 0;
    for (int i = 0; i < values->n; i++) {
      char ip[640];
      snprintf(ip, sizeof ip, "%s[%d]", sub, i);
      space_value v;
      if (!parse_value(c, d, values->items[i], ip, &v)) {
        ok = 0;
        continue;
      }
      for (int j = 0; j < p->n_values; j++) {
        const space_value *u = &p->values[j];
        if ((v.type == VAL_STRING && !strcmp(u->s, v.s)) || (v.type != VAL_STRING && u->f == v.f)) {
          cfg_perr(c, values->items[i], ip, "duplicate value; each choice must appear once");
          ok = 0;
        }
      }
      p->values[p->n_values++] = v;
    }
    if (!ok) return 0;
    if (p->n_values && d->kind != PK_ACT && d->kind != PK_OPT && d->kind != PK_WIDTHS) {
      p->min = p->max = p->values[0].f;
      for (int j = 1; j < p->n_values; j++) {
        if (p->values[j].f < p->min) p->min = p->values[j].f;
        if (p->values[j].f > p->max) p->max = p->values[j].f;
      }
    }
  } else {
    /* numeric range */
    p->n_values = 0;
    memset(&p->values[0], 0, sizeof p->values[0]);
    char smin[600], smax[600];
    cfg_keypath(smin, sizeof smin, kp, "min");
    cfg_keypath(smax, sizeof smax, kp, "max");
    space_value a, b;
    int okmin = parse_value(c, d, mn, smin, &a), okmax = parse_value(c, d, mx, smax, &b);
    if (!okmin || !okmax) return 0;
    p->min = a.f;
    p->max = b.f;
    if (p->min > p->max) {
      cfg_perr(c, mn, smin, "min %s is greater than max %s; swap them", mn->str, mx->str);
      return 0;
    }
    int is_log = p->dist == DIST_LOG_UNIFORM_VALUES || p->dist == DIST_Q_LOG_UNIFORM_VALUES;
    if (is_log && p->min <= 0) {
      cfg_perr(c, mn, smin,
               "%s needs min > 0, got %s; use a positive min (e.g. 1e-06) or distribution uniform",
               SPACE_DIST_NAMES[p->dist], mn->str);
      return 0;
    }
    int is_q = p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES;
    if (is_q) {
      p->q = 1.0;
      if (q) {
        cfg_keypath(sub, sizeof sub, kp, "q");
        if (cfg_node_num(c, q, sub, (cfg_range){0, INFINITY, 1, 0}, &p->q) != 1) return 0;
        if (p->is_int && p->q != floor(p->q)) {
          cfg_perr(c, q, sub, "%s takes integers, so q must be a whole number, got %s", d->name,
                   q->str);
          return 0;
        }
      }
    }
  }
  if (q && !(p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES)) {
    cfg_keypath(sub, sizeof sub, kp, "q");
    cfg_perr(c, q, sub,
             "q applies only to q_uniform and q_log_uniform_values (distribution is %s); remove it",
             SPACE_DIST_NAMES[p->dist]);
    return 0;
  }
  return ok;
}

void cfg_space_parse(cfg_ctx *c, const ynode *root, mlps_config *cfg, const ynode **nodes) {
  char path[64];
  const ynode *m = cfg_section(c, root, "", "parameters", path, sizeof path);
  const char *allowed[N_PDEFS + CFG_N_TRAIN_OPTS];
  int na = 0;
  for (int i = 0; i < N_PDEFS; i++) allowed[na++] = PDEFS[i].name;
  for (int i = 0; i < CFG_N_TRAIN_OPTS; i++) allowed[na++] = CFG_TRAIN_OPTS[i].key;
  cfg_check_keys(c, m, path, allowed, na);

  int has_widths = ytree_map_find(m, "widths") >= 0;
  if (has_widths) {
    for (int k = 0; k < 2; k++) {
      const char *other = k ? "width" : "layers";
      int j = ytree_map_find(m, other);
      if (j >= 0)
        cfg_perr(c, m->keys[j], k ? "parameters.width" : "parameters.layers",
                 "widths already gives every layer's width, so %s must not be given too; remove "
                 "one of them",
                 other);
    }
  }
  search_space *s = &cfg->space;
  s->n = 0;
  for (int i = 0; i < N_PDEFS; i++) {
    const pdef *d = &PDEFS[i];
    if (has_widths
            ? (d->kind == PK_INT && (!strcmp(d->name, "layers") || !strcmp(d->name, "width")))
            : d->kind == PK_WIDTHS)
      continue;
    space_param *p = &s->p[s->n];
    const ynode *spec = ytree_map_get(m, d->name);
    nodes[s->n] = spec;
    char kp[128];
    cfg_keypath(kp, sizeof kp, path, d->name);
    if (!spec) set_const_default(p, d);
    else if (!parse_param(c, d, spec, kp, p)) set_const_default(p, d);
    s->n++;
  }
  /* Training keys fixed here with value: (W&B style), typed by the same
   * table as the train section. */
  const ynode *train = ytree_map_get(root, "train");
  for (int i = 0; i < CFG_N_TRAIN_OPTS; i++) {
    const cfg_opt *o = &CFG_TRAIN_OPTS[i];
    const ynode *spec = ytree_map_get(m, o->key);
    if (!spec) continue;
    char kp[128];
    cfg_keypath(kp, sizeof kp, path, o->key);
    if (train && train->kind == YT_MAP && ytree_map_get(train, o->key)) {
      cfg_perr(c, spec, kp, "also set as train.%s; set it in one place only", o->key);
      continue;
    }
    if (spec->kind != YT_MAP || ytree_map_find(spec, "value") < 0 || spec->n != 1) {
      cfg_perr(
          c, spec, kp,
          "training settings can only be fixed in parameters, as %s: {value: X}; to vary it, run "
          "separate sweeps",
          o->key);
      continue;
    }
    char vp[160];
    cfg_keypath(vp, sizeof vp, kp, "value");
    cfg_node_opt(c, o, spec->items[0], vp, &cfg->train);
  }
}

void cfg_space_check_grid(cfg_ctx *c, const ynode *root, mlps_config *cfg,
                          const ynode *const *nodes, int trials_given, const ynode *method_node) {
  cfg_search *s = &cfg->search;
  if (s->method == SAMPLER_GRID) {
    int finite = 1;
    for (int i = 0; i < cfg->space.n; i++) {
      const space_param *p = &cfg->space.p[i];
      if (!is_numeric_dist(p->dist)) continue;
      finite = 0;
      char kp[128];
      cfg_keypath(kp, sizeof kp, "parameters", p->name);
      cfg_perr(c, nodes[i] ? nodes[i] : method_node, kp,
               "search.method is grid, which needs a finite list of choices, but this is %s; give "
               "values: [...] or "
               "use method random, lhs, sobol or tpe",
               SPACE_DIST_NAMES[p->dist]);
    }
    if (finite) {
      uint64_t g = space_grid_size(&cfg->space);
      if (!trials_given) {
        if (g > (uint64_t)1e7)
          cfg_perr(
              c, method_node, "search.method",
              "the grid has %llu points, too many to run; set search.trials or use fewer values",
              (unsigned long long)g);
        else s->sampler.trials = (long)g;
      } else if ((uint64_t)s->sampler.trials > g) {
        const ynode *sm = ytree_map_get(root, "search");
        cfg_perr(c, ytree_map_get(sm, "trials"), "search.trials",
                 "%ld trials asked but the grid has only %llu points; remove trials (a grid runs "
                 "every point once) or "
                 "lower it",
                 s->sampler.trials, (unsigned long long)g);
      }
    }
  }
}
