/* YAML tree -> mlps_config: defaults, type checks, range checks and cross
 * checks, collecting every problem (not just the first) as
 * "FILE:LINE:COLUMN: key.path: what is wrong; what to do". */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/ytree.h"
#include "data/colspec.h"
#include "util/err.h"
#include "util/names.h"

/* ---- problem collection ---- */

typedef struct {
  int origin_rank, line, col, seq;
  char *text;
} problem;

typedef struct {
  ytree_doc doc;
  const char *origin; /* the file (or text origin) */
  problem *probs;
  int n, cap;
} pctx;

static int origin_rank(pctx *c, const char *origin) {
  for (int i = 0; i < c->doc.n_origins; i++)
    if (c->doc.origins[i] == origin || strcmp(c->doc.origins[i], origin) == 0) return i;
  return c->doc.n_origins;
}

static void add_problem(pctx *c, const char *origin, int line, int col, const char *path, const char *msg) {
  char buf[2048];
  int off;
  if (line > 0)
    off = snprintf(buf, sizeof buf, "%s:%d:%d: ", origin, line, col);
  else
    off = snprintf(buf, sizeof buf, "%s: ", origin);
  if (off < 0 || off >= (int)sizeof buf) off = 0;
  snprintf(buf + off, sizeof buf - (size_t)off, "%s%s%s\n", path && path[0] ? path : "",
           path && path[0] ? ": " : "", msg);
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 16;
    c->probs = mlps_xrealloc(c->probs, sizeof(problem) * (size_t)c->cap);
  }
  problem *p = &c->probs[c->n];
  p->origin_rank = origin_rank(c, origin);
  p->line = line;
  p->col = col;
  p->seq = c->n;
  p->text = mlps_xstrdup(buf);
  c->n++;
}

static void tree_err(void *ctx, const char *origin, int line, int col, const char *path, const char *msg) {
  add_problem((pctx *)ctx, origin, line, col, path, msg);
}

static void perr(pctx *c, const ynode *at, const char *path, const char *fmt, ...) MLPS_PRINTF(4, 5);
static void perr(pctx *c, const ynode *at, const char *path, const char *fmt, ...) {
  char msg[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!at) at = c->doc.root;
  if (at)
    add_problem(c, at->origin, at->line, at->col, path, msg);
  else
    add_problem(c, c->origin, 0, 0, path, msg);
}

static int prob_cmp(const void *a, const void *b) {
  const problem *x = a, *y = b;
  if (x->origin_rank != y->origin_rank) return x->origin_rank - y->origin_rank;
  if (x->line != y->line) return x->line - y->line;
  if (x->col != y->col) return x->col - y->col;
  return x->seq - y->seq;
}

/* ---- scalars ---- */

typedef enum { S_NULL, S_BOOL, S_INT, S_FLOAT, S_STRING, S_LIST, S_MAP } stype;

static const char *kind_name(const ynode *n) {
  return n->kind == YT_SEQ ? "a list" : n->kind == YT_MAP ? "a mapping" : "a value";
}

/* Resolves a plain scalar the way YAML 1.1 / PyYAML would for the types we
 * use (null, bool, int, float), plus "1e-3" as a float. */
static stype scalar_type(const ynode *n, long *iv, double *fv, int *bv) {
  if (n->kind == YT_SEQ) return S_LIST;
  if (n->kind == YT_MAP) return S_MAP;
  const char *s = n->str;
  if (n->quoted) return S_STRING;
  if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL")) return S_NULL;
  static const char *T[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static const char *F[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  for (int i = 0; i < 9; i++) {
    if (!strcmp(s, T[i])) return *bv = 1, S_BOOL;
    if (!strcmp(s, F[i])) return *bv = 0, S_BOOL;
  }
  const char *d = s + (*s == '+' || *s == '-');
  if (isdigit((unsigned char)*d)) {
    int all_digits = 1;
    for (const char *q = d; *q; q++)
      if (!isdigit((unsigned char)*q)) all_digits = 0;
    if (all_digits) {
      errno = 0;
      long v = strtol(s, NULL, 10);
      if (!errno) {
        *iv = v;
        *fv = (double)v;
        return S_INT;
      }
    }
  }
  if (!strcmp(d, ".inf") || !strcmp(d, ".Inf") || !strcmp(d, ".INF")) return *fv = *s == '-' ? -INFINITY : INFINITY, S_FLOAT;
  if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) return *fv = NAN, S_FLOAT;
  if (isdigit((unsigned char)*d) || (*d == '.' && isdigit((unsigned char)d[1]))) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*end && !strpbrk(s, "xXpP") && !strstr(s, "nan") && !strstr(s, "inf")) {
      *fv = v;
      return S_FLOAT;
    }
  }
  return S_STRING;
}

static const char *type_word(stype t) {
  switch (t) {
    case S_NULL: return "nothing (null)";
    case S_BOOL: return "a boolean";
    case S_INT: return "an integer";
    case S_FLOAT: return "a number";
    case S_STRING: return "a string";
    case S_LIST: return "a list";
    default: return "a mapping";
  }
}

/* ---- ranges ---- */

typedef struct {
  double lo, hi;
  int lo_open, hi_open;
} range;
#define R_ANY ((range){-INFINITY, INFINITY, 0, 0})

static int in_range(double v, range r) {
  if (isnan(v)) return 0;
  if (r.lo_open ? !(v > r.lo) : !(v >= r.lo)) return 0;
  if (r.hi_open ? !(v < r.hi) : !(v <= r.hi)) return 0;
  return 1;
}

static void fmt_num(char *buf, size_t cap, double v) {
  if (v == floor(v) && fabs(v) < 1e15)
    snprintf(buf, cap, "%.0f", v);
  else
    snprintf(buf, cap, "%g", v);
}

static const char *describe_range(char *buf, size_t cap, int is_int, range r) {
  char a[32], b[32];
  const char *what = is_int ? "an integer" : "a number";
  fmt_num(a, sizeof a, r.lo);
  fmt_num(b, sizeof b, r.hi);
  if (isinf(r.lo) && isinf(r.hi))
    snprintf(buf, cap, "%s", what);
  else if (isinf(r.hi))
    snprintf(buf, cap, "%s %s %s", what, r.lo_open ? ">" : ">=", a);
  else if (isinf(r.lo))
    snprintf(buf, cap, "%s %s %s", what, r.hi_open ? "<" : "<=", b);
  else if (!r.lo_open && !r.hi_open)
    snprintf(buf, cap, "%s between %s and %s", what, a, b);
  else
    snprintf(buf, cap, "%s in %s%s, %s%s", what, r.lo_open ? "(" : "[", a, b, r.hi_open ? ")" : "]");
  return buf;
}

/* ---- map access ---- */

static void keypath(char *out, size_t cap, const char *path, const char *key) {
  snprintf(out, cap, "%s%s%s", path, path[0] ? "." : "", key);
}

/* A section or nested mapping: NULL when absent or null; reports when it is
 * not a mapping. */
static const ynode *section(pctx *c, const ynode *map, const char *path, const char *key, char *sub, size_t cap) {
  keypath(sub, cap, path, key);
  const ynode *v = ytree_map_get(map, key);
  if (!v) return NULL;
  long iv;
  double fv;
  int bv;
  stype t = scalar_type(v, &iv, &fv, &bv);
  if (t == S_NULL) return NULL;
  if (v->kind != YT_MAP) {
    perr(c, v, sub, "expected a mapping (indented 'key: value' lines), got %s; see the config reference (README) for its keys",
         t == S_STRING ? "a string" : type_word(t));
    return NULL;
  }
  return v;
}

/* The valid name the user most likely meant: one that extends or is
 * extended by what was written ("warmup" -> "warmup_epochs"), else the
 * closest by edit distance; -1 when nothing is close. */
static int suggest(const char *const *table, int n, const char *s) {
  int best = -1;
  size_t ls = strlen(s);
  for (int i = 0; i < n; i++) {
    size_t lt = strlen(table[i]);
    size_t m = ls < lt ? ls : lt;
    if (m >= 3 && strncmp(table[i], s, m) == 0) {
      if (best < 0 || names_edit_distance(s, table[i]) < names_edit_distance(s, table[best])) best = i;
    }
  }
  return best >= 0 ? best : names_closest(table, n, s);
}

/* Reports keys of map not in allowed[], with the closest valid name. */
static void check_keys(pctx *c, const ynode *map, const char *path, const char *const *allowed, int n) {
  if (!map || map->kind != YT_MAP) return;
  for (int i = 0; i < map->n; i++) {
    const char *k = map->keys[i]->str;
    if (names_find(allowed, n, k) >= 0) continue;
    char kp[512], list[1024];
    keypath(kp, sizeof kp, path, k);
    names_join(allowed, n, list, sizeof list);
    int best = suggest(allowed, n, k);
    if (best >= 0)
      perr(c, map->keys[i], kp, "unknown key; did you mean '%s'? (valid keys%s%s: %s)", allowed[best],
           path[0] ? " in " : "", path, list);
    else
      perr(c, map->keys[i], kp, "unknown key; valid keys%s%s are: %s", path[0] ? " in " : "", path, list);
  }
}

static const ynode *scalar_at(pctx *c, const ynode *v, const char *kp, const char *expect) {
  if (v->kind != YT_SCALAR) {
    perr(c, v, kp, "expected %s, got %s", expect, kind_name(v));
    return NULL;
  }
  return v;
}

/* Value getters: return 1 when the key is present and valid (out set), 0
 * when absent (out untouched), -1 when present but wrong (reported). */

static int node_int(pctx *c, const ynode *v, const char *kp, range r, long *out) {
  char want[128];
  describe_range(want, sizeof want, 1, r);
  if (!scalar_at(c, v, kp, want)) return -1;
  long iv = 0;
  double fv = 0;
  int bv;
  stype t = scalar_type(v, &iv, &fv, &bv);
  if (t == S_FLOAT && fv == floor(fv) && fabs(fv) < 9e15) {
    iv = (long)fv; /* 1e3 or 20.0 is a whole number: accept it */
    t = S_INT;
  }
  if (t != S_INT) {
    perr(c, v, kp, "expected %s, got %s '%s'", want, type_word(t), v->str);
    return -1;
  }
  if (!in_range((double)iv, r)) {
    perr(c, v, kp, "must be %s, got %ld", want, iv);
    return -1;
  }
  *out = iv;
  return 1;
}

static int node_num(pctx *c, const ynode *v, const char *kp, range r, double *out) {
  char want[128];
  describe_range(want, sizeof want, 0, r);
  if (!scalar_at(c, v, kp, want)) return -1;
  long iv;
  double fv = 0;
  int bv;
  stype t = scalar_type(v, &iv, &fv, &bv);
  if (t != S_INT && t != S_FLOAT) {
    perr(c, v, kp, "expected %s, got %s '%s'", want, type_word(t), v->str);
    return -1;
  }
  if (!isfinite(fv)) {
    perr(c, v, kp, "must be a finite number, got '%s'", v->str);
    return -1;
  }
  if (!in_range(fv, r)) {
    perr(c, v, kp, "must be %s, got %s", want, v->str);
    return -1;
  }
  *out = fv;
  return 1;
}

static int get_int(pctx *c, const ynode *map, const char *path, const char *key, range r, long *out) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return 0;
  char kp[512];
  keypath(kp, sizeof kp, path, key);
  return node_int(c, v, kp, r, out);
}

static int get_i(pctx *c, const ynode *map, const char *path, const char *key, range r, int *out) {
  long v;
  int rc = get_int(c, map, path, key, r, &v);
  if (rc == 1) *out = (int)v;
  return rc;
}

static int get_num(pctx *c, const ynode *map, const char *path, const char *key, range r, double *out) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return 0;
  char kp[512];
  keypath(kp, sizeof kp, path, key);
  return node_num(c, v, kp, r, out);
}

static int get_bool(pctx *c, const ynode *map, const char *path, const char *key, int *out) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return 0;
  char kp[512];
  keypath(kp, sizeof kp, path, key);
  if (!scalar_at(c, v, kp, "true or false")) return -1;
  long iv;
  double fv;
  int bv = 0;
  stype t = scalar_type(v, &iv, &fv, &bv);
  if (t != S_BOOL) {
    perr(c, v, kp, "expected true or false, got '%s'", v->str);
    return -1;
  }
  *out = bv;
  return 1;
}

static int node_str(pctx *c, const ynode *v, const char *kp, char *out, size_t cap, int allow_empty) {
  if (!scalar_at(c, v, kp, "a string")) return -1;
  size_t n = strlen(v->str);
  if (!allow_empty && n == 0) {
    perr(c, v, kp, "must not be empty");
    return -1;
  }
  if (n >= cap) {
    perr(c, v, kp, "too long (%zu characters, at most %zu)", n, cap - 1);
    return -1;
  }
  memcpy(out, v->str, n + 1);
  return 1;
}

static int get_str(pctx *c, const ynode *map, const char *path, const char *key, char *out, size_t cap,
                   int allow_empty) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return 0;
  char kp[512];
  keypath(kp, sizeof kp, path, key);
  return node_str(c, v, kp, out, cap, allow_empty);
}

/* Enum value from a name table; lookup may add aliases (silu). */
static int node_enum(pctx *c, const ynode *v, const char *kp, const char *what, const char *const *table, int n,
                     int (*lookup)(const char *), int *out) {
  if (!scalar_at(c, v, kp, what)) return -1;
  int i = lookup ? lookup(v->str) : names_find(table, n, v->str);
  if (i >= 0) {
    *out = i;
    return 1;
  }
  char list[1024];
  names_join(table, n, list, sizeof list);
  int best = suggest(table, n, v->str);
  if (best >= 0)
    perr(c, v, kp, "unknown %s '%s'; did you mean '%s'? (valid: %s)", what, v->str, table[best], list);
  else
    perr(c, v, kp, "unknown %s '%s'; valid %ss are: %s", what, v->str, what, list);
  return -1;
}

static int get_enum(pctx *c, const ynode *map, const char *path, const char *key, const char *what,
                    const char *const *table, int n, int *out) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return 0;
  char kp[512];
  keypath(kp, sizeof kp, path, key);
  return node_enum(c, v, kp, what, table, n, NULL, out);
}

/* ---- sections ---- */

static const char *const TOP_KEYS[] = {"name", "description", "seed", "data", "split", "search",
                                       "parameters", "train", "final", "output"};
static const char *const DATA_KEYS[] = {"path", "inputs", "targets", "input_columns", "target_columns",
                                        "max_rows", "input_transform", "target_transform"};
static const char *const SPLIT_KEYS[] = {"test_fraction", "test_count", "kfold", "val_fraction", "seed"};
static const char *const SEARCH_KEYS[] = {"method",        "trials",        "metric",       "startup_trials",
                                          "gamma",         "gamma_max",     "ei_candidates", "prior_weight",
                                          "multivariate",  "batch",         "constant_liar", "consider_endpoints",
                                          "magic_clip",    "sobol_scramble", "pruner"};
static const char *const METRIC_KEYS[] = {"name", "goal"};
static const char *const PRUNER_KEYS[] = {"name", "startup_trials", "warmup_epochs", "interval"};
static const char *const TRAIN_KEYS[] = {"max_epochs", "patience", "min_delta", "loss",
                                         "init", "max_seconds", "schedule"};
static const char *const SCHED_KEYS[] = {"name", "factor", "patience", "min_lr", "threshold", "eta_min", "stages"};
static const char *const STAGE_KEYS[] = {"max_epochs", "patience", "lr_factor"};
static const char *const FINAL_KEYS[] = {"retrain", "epochs", "fixed_epochs", "holdout_fraction",
                                         "anneal_fraction", "ensemble"};
static const char *const OUTPUT_KEYS[] = {"dir"};
static const char *const SPEC_KEYS[] = {"value", "values", "min", "max", "distribution", "q"};
#define NK(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void parse_columns(pctx *c, const ynode *map, const char *path, const char *key, char *out, size_t cap) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return;
  char kp[512];
  keypath(kp, sizeof kp, path, key);
  char buf[CFG_COLS_MAX];
  if (v->kind == YT_SEQ) { /* [0, 1, 5] */
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < v->n; i++) {
      long ix;
      char ip[600];
      snprintf(ip, sizeof ip, "%s[%d]", kp, i);
      if (node_int(c, v->items[i], ip, (range){0, INFINITY, 0, 0}, &ix) != 1) return;
      int w = snprintf(buf + off, sizeof buf - off, "%s%ld", i ? "," : "", ix);
      if (w < 0 || off + (size_t)w >= sizeof buf) {
        perr(c, v, kp, "too many columns listed; use ranges like 0:40");
        return;
      }
      off += (size_t)w;
    }
    if (v->n == 0) {
      perr(c, v, kp, "empty list; write all, or list column indices");
      return;
    }
  } else {
    if (node_str(c, v, kp, buf, sizeof buf, 0) != 1) return;
  }
  /* Syntax (and repeated columns) checked by the same parser that applies
   * the selection to the data later. */
  mlps_err e = {0};
  int64_t *cols = NULL, n = 0;
  if (colspec_parse(buf, -1, "bad column selection", &cols, &n, &e) != MLPS_OK) {
    perr(c, v, kp, "%s", e.msg);
    free(cols);
    return;
  }
  free(cols);
  snprintf(out, cap, "%s", buf);
}

static void parse_transform(pctx *c, const ynode *map, const char *path, const char *key, xf_kind *chain, int *n) {
  const ynode *v = ytree_map_get(map, key);
  if (!v) return;
  char kp[512];
  keypath(kp, sizeof kp, path, key);
  const ynode *one[1] = {v};
  const ynode *const *items = one;
  int cnt = 1;
  if (v->kind == YT_SEQ) {
    items = (const ynode *const *)v->items;
    cnt = v->n;
  } else if (v->kind == YT_MAP) {
    perr(c, v, kp, "expected a transform name or a list of them like [log, standard], got a mapping");
    return;
  }
  if (cnt < 1 || cnt > XF_MAX_CHAIN) {
    perr(c, v, kp, "a transform chain has 1 to %d steps, got %d; e.g. [log, standard], or none", XF_MAX_CHAIN, cnt);
    return;
  }
  xf_kind tmp[XF_MAX_CHAIN];
  int ok = 1;
  for (int i = 0; i < cnt; i++) {
    int k;
    char ip[600];
    snprintf(ip, sizeof ip, "%s[%d]", kp, i);
    if (node_enum(c, items[i], v->kind == YT_SEQ ? ip : kp, "transform", XF_NAMES, XF_COUNT, NULL, &k) != 1) {
      ok = 0;
      continue;
    }
    tmp[i] = (xf_kind)k;
    if (k == XF_NONE && cnt > 1) {
      perr(c, items[i], ip, "none means no transform and cannot be part of a chain; remove it");
      ok = 0;
    }
  }
  if (!ok) return;
  if (cnt == 1 && tmp[0] == XF_NONE) cnt = 0; /* none = the empty chain */
  memcpy(chain, tmp, sizeof(xf_kind) * (size_t)cnt);
  *n = cnt;
}

static void parse_data(pctx *c, const ynode *root, cfg_data *d) {
  char path[64];
  const ynode *m = section(c, root, "", "data", path, sizeof path);
  check_keys(c, m, path, DATA_KEYS, NK(DATA_KEYS));
  int has_path = get_str(c, m, path, "path", d->path, sizeof d->path, 0);
  int dk = ytree_map_find(root, "data");
  if (has_path == 0)
    perr(c, dk >= 0 ? root->keys[dk] : NULL, m ? "data.path" : "data",
         m ? "missing required key; add path: FILE.h5 under data (the HDF5 file with the inputs and targets; "
             "'mlpsweep gen' makes one)"
           : "missing required section; add data: {path: FILE.h5} (the HDF5 file with the inputs and targets; "
             "'mlpsweep gen' makes one)");
  get_str(c, m, path, "inputs", d->inputs, sizeof d->inputs, 0);
  get_str(c, m, path, "targets", d->targets, sizeof d->targets, 0);
  parse_columns(c, m, path, "input_columns", d->input_columns, sizeof d->input_columns);
  parse_columns(c, m, path, "target_columns", d->target_columns, sizeof d->target_columns);
  get_int(c, m, path, "max_rows", (range){0, INFINITY, 0, 0}, &d->max_rows);
  parse_transform(c, m, path, "input_transform", d->input_transform, &d->n_input_transform);
  parse_transform(c, m, path, "target_transform", d->target_transform, &d->n_target_transform);
}

static void parse_split(pctx *c, const ynode *root, cfg_split *s) {
  char path[64];
  const ynode *m = section(c, root, "", "split", path, sizeof path);
  check_keys(c, m, path, SPLIT_KEYS, NK(SPLIT_KEYS));
  const range frac = {0, 1, 1, 1};
  int tf = get_num(c, m, path, "test_fraction", frac, &s->test_fraction);
  int tc = get_int(c, m, path, "test_count", (range){0, INFINITY, 0, 0}, &s->test_count);
  if (tf && tc == 1 && s->test_count > 0)
    perr(c, ytree_map_get(m, "test_count"), "split.test_count",
         "test_fraction and test_count both given; keep one of them");
  get_i(c, m, path, "kfold", (range){1, 1000, 0, 0}, &s->kfold);
  int vf = get_num(c, m, path, "val_fraction", frac, &s->val_fraction);
  get_int(c, m, path, "seed", (range){0, 9007199254740992.0, 0, 0}, &s->seed);
  if (tf >= 0 && vf >= 0 && s->kfold == 1 && s->test_count == 0 && s->test_fraction + s->val_fraction >= 1) {
    int on_val = vf == 1;
    perr(c, ytree_map_get(m, on_val ? "val_fraction" : "test_fraction"),
         on_val ? "split.val_fraction" : "split.test_fraction",
         "test_fraction %g + val_fraction %g = %g leaves no training data; they must sum to less than 1",
         s->test_fraction, s->val_fraction, s->test_fraction + s->val_fraction);
  }
}

static const ynode *named_section(pctx *c, const ynode *map, const char *path, const char *key, char *sub,
                                  size_t cap, const char *what, const char *const *table, int n, int *kind) {
  keypath(sub, cap, path, key);
  const ynode *v = ytree_map_get(map, key);
  if (!v) return NULL;
  if (v->kind == YT_SCALAR) {
    node_enum(c, v, sub, what, table, n, NULL, kind);
    return NULL;
  }
  if (v->kind != YT_MAP) {
    perr(c, v, sub, "expected a %s name or a mapping with name: and its options, got a list", what);
    return NULL;
  }
  get_enum(c, v, sub, "name", what, table, n, kind);
  return v;
}

static void parse_search(pctx *c, const ynode *root, cfg_search *s, int *trials_given, const ynode **method_node) {
  char path[64], sub[128];
  const ynode *m = section(c, root, "", "search", path, sizeof path);
  check_keys(c, m, path, SEARCH_KEYS, NK(SEARCH_KEYS));
  int k;
  *method_node = ytree_map_get(m, "method");
  if (get_enum(c, m, path, "method", "search method", SAMPLER_METHOD_NAMES, SAMPLER_COUNT, &k) == 1)
    s->method = (sampler_method)k;
  *trials_given = get_int(c, m, path, "trials", (range){1, 1e7, 0, 0}, &s->trials) == 1;
  int mk = s->metric;
  const ynode *mm = named_section(c, m, path, "metric", sub, sizeof sub, "metric", CFG_METRIC_NAMES, METRIC_COUNT, &mk);
  s->metric = (cfg_metric)mk;
  if (mm) {
    check_keys(c, mm, sub, METRIC_KEYS, NK(METRIC_KEYS));
    int g;
    if (get_enum(c, mm, sub, "goal", "goal", CFG_GOAL_NAMES, GOAL_COUNT, &g) == 1) s->goal = (cfg_goal)g;
  }
  get_i(c, m, path, "startup_trials", (range){0, 1e6, 0, 0}, &s->startup_trials);
  get_num(c, m, path, "gamma", (range){0, 1, 1, 0}, &s->gamma);
  get_i(c, m, path, "gamma_max", (range){1, 1e6, 0, 0}, &s->gamma_max);
  get_i(c, m, path, "ei_candidates", (range){1, 1e6, 0, 0}, &s->ei_candidates);
  get_num(c, m, path, "prior_weight", (range){0, INFINITY, 1, 0}, &s->prior_weight);
  get_bool(c, m, path, "multivariate", &s->multivariate);
  get_i(c, m, path, "batch", (range){0, 1e6, 0, 0}, &s->batch);
  get_bool(c, m, path, "constant_liar", &s->constant_liar);
  get_bool(c, m, path, "consider_endpoints", &s->consider_endpoints);
  get_bool(c, m, path, "magic_clip", &s->magic_clip);
  get_bool(c, m, path, "sobol_scramble", &s->sobol_scramble);
  int pk = s->pruner.kind;
  const ynode *pm = named_section(c, m, path, "pruner", sub, sizeof sub, "pruner", CFG_PRUNER_NAMES, PRUNER_COUNT, &pk);
  s->pruner.kind = (cfg_pruner_kind)pk;
  if (pm) {
    check_keys(c, pm, sub, PRUNER_KEYS, NK(PRUNER_KEYS));
    get_i(c, pm, sub, "startup_trials", (range){0, 1e6, 0, 0}, &s->pruner.startup_trials);
    get_i(c, pm, sub, "warmup_epochs", (range){0, 1e9, 0, 0}, &s->pruner.warmup_epochs);
    get_i(c, pm, sub, "interval", (range){1, 1e9, 0, 0}, &s->pruner.interval);
  }
}

static void parse_schedule(pctx *c, const ynode *train, const char *tpath, cfg_train *t) {
  char path[128];
  int kind = t->schedule.kind;
  const ynode *m =
      named_section(c, train, tpath, "schedule", path, sizeof path, "schedule", NN_SCHEDULE_NAMES, SCHED_COUNT, &kind);
  cfg_schedule *s = &t->schedule;
  s->kind = (nn_schedule_kind)kind;
  if (!m) {
    if (s->kind == SCHED_STAGES)
      perr(c, ytree_map_get(train, "schedule"), path,
           "schedule stages needs its list of stages; write schedule: {name: stages, stages: [{patience: 100}, "
           "{patience: 100, lr_factor: 0.1}]}");
    return;
  }
  check_keys(c, m, path, SCHED_KEYS, NK(SCHED_KEYS));
  /* Options must belong to the chosen kind, so a typo in name is not silently ignored. */
  static const struct {
    const char *key;
    nn_schedule_kind kind;
  } owner[] = {{"factor", SCHED_PLATEAU}, {"patience", SCHED_PLATEAU}, {"min_lr", SCHED_PLATEAU},
               {"threshold", SCHED_PLATEAU}, {"eta_min", SCHED_COSINE}, {"stages", SCHED_STAGES}};
  for (int i = 0; i < (int)(sizeof owner / sizeof owner[0]); i++) {
    int j = ytree_map_find(m, owner[i].key);
    if (j >= 0 && owner[i].kind != s->kind) {
      char kp[200];
      keypath(kp, sizeof kp, path, owner[i].key);
      perr(c, m->keys[j], kp, "applies to schedule %s only, but name is %s; remove it or set name: %s",
           NN_SCHEDULE_NAMES[owner[i].kind], NN_SCHEDULE_NAMES[s->kind], NN_SCHEDULE_NAMES[owner[i].kind]);
    }
  }
  get_num(c, m, path, "factor", (range){0, 1, 1, 1}, &s->factor);
  get_i(c, m, path, "patience", (range){1, 1e9, 0, 0}, &s->patience);
  get_num(c, m, path, "min_lr", (range){0, INFINITY, 0, 0}, &s->min_lr);
  get_num(c, m, path, "threshold", (range){0, 1, 0, 1}, &s->threshold);
  get_num(c, m, path, "eta_min", (range){0, INFINITY, 0, 0}, &s->eta_min);
  const ynode *st = ytree_map_get(m, "stages");
  char sp[200];
  keypath(sp, sizeof sp, path, "stages");
  if (s->kind == SCHED_STAGES && !st) {
    perr(c, m, sp, "missing; give a list like [{patience: 100}, {patience: 100, lr_factor: 0.1}]");
  } else if (st && s->kind == SCHED_STAGES) {
    if (st->kind != YT_SEQ || st->n < 1 || st->n > CFG_MAX_STAGES) {
      perr(c, st, sp, "expected a list of 1 to %d stages, each {max_epochs, patience, lr_factor}", CFG_MAX_STAGES);
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
          perr(c, e, ip, "expected a mapping {max_epochs, patience, lr_factor}, got %s", kind_name(e));
          continue;
        }
        check_keys(c, e, ip, STAGE_KEYS, NK(STAGE_KEYS));
        get_i(c, e, ip, "max_epochs", (range){1, 1e9, 0, 0}, &g->max_epochs);
        get_i(c, e, ip, "patience", (range){0, 1e9, 0, 0}, &g->patience);
        get_num(c, e, ip, "lr_factor", (range){0, INFINITY, 1, 0}, &g->lr_factor);
      }
    }
  }
}

static const char *const TRAIN_FIXED_KEYS[] = {"max_epochs", "patience", "min_delta", "loss", "init", "max_seconds"};

/* One train key from map[key] (train section, or parameters.KEY.value). */
static void parse_train_key(pctx *c, const ynode *map, const char *path, const char *key, cfg_train *t) {
  int k;
  if (!strcmp(key, "max_epochs"))
    get_i(c, map, path, key, (range){1, 1e9, 0, 0}, &t->max_epochs);
  else if (!strcmp(key, "patience"))
    get_i(c, map, path, key, (range){0, 1e9, 0, 0}, &t->patience);
  else if (!strcmp(key, "min_delta"))
    get_num(c, map, path, key, (range){0, INFINITY, 0, 0}, &t->min_delta);
  else if (!strcmp(key, "loss")) {
    if (get_enum(c, map, path, key, "loss", NN_LOSS_NAMES, LOSS_COUNT, &k) == 1) t->loss = (nn_loss)k;
  } else if (!strcmp(key, "init")) {
    if (get_enum(c, map, path, key, "init", NN_INIT_NAMES, INIT_COUNT, &k) == 1) t->init = (nn_init)k;
  } else if (!strcmp(key, "max_seconds"))
    get_num(c, map, path, key, (range){0, INFINITY, 0, 0}, &t->max_seconds);
}

static void parse_train(pctx *c, const ynode *root, cfg_train *t) {
  char path[64];
  const ynode *m = section(c, root, "", "train", path, sizeof path);
  check_keys(c, m, path, TRAIN_KEYS, NK(TRAIN_KEYS));
  for (int i = 0; i < NK(TRAIN_FIXED_KEYS); i++) parse_train_key(c, m, path, TRAIN_FIXED_KEYS[i], t);
}

static void parse_final(pctx *c, const ynode *root, cfg_final *f) {
  char path[64];
  const ynode *m = section(c, root, "", "final", path, sizeof path);
  check_keys(c, m, path, FINAL_KEYS, NK(FINAL_KEYS));
  get_bool(c, m, path, "retrain", &f->retrain);
  int k;
  if (get_enum(c, m, path, "epochs", "epoch rule", CFG_FINAL_EPOCHS_NAMES, FINAL_EPOCHS_COUNT, &k) == 1)
    f->epochs = (cfg_final_epochs)k;
  int fe = get_i(c, m, path, "fixed_epochs", (range){0, 1e9, 0, 0}, &f->fixed_epochs);
  if (f->epochs == FINAL_EPOCHS_FIXED && fe >= 0 && f->fixed_epochs == 0)
    perr(c, ytree_map_get(m, "epochs"), "final.fixed_epochs",
         "missing or 0; epochs: fixed needs fixed_epochs: N (the number of epochs of the final retrain)");
  if (fe == 1 && f->fixed_epochs > 0 && f->epochs != FINAL_EPOCHS_FIXED)
    perr(c, ytree_map_get(m, "fixed_epochs"), "final.fixed_epochs",
         "applies only to epochs: fixed (epochs is %s); remove it or set epochs: fixed",
         CFG_FINAL_EPOCHS_NAMES[f->epochs]);
  get_num(c, m, path, "holdout_fraction", (range){0, 1, 1, 1}, &f->holdout_fraction);
  get_num(c, m, path, "anneal_fraction", (range){0, 1, 0, 0}, &f->anneal_fraction);
  get_i(c, m, path, "ensemble", (range){1, 64, 0, 0}, &f->ensemble);
}

/* ---- parameters -> search_space ---- */

typedef enum { PK_INT, PK_FLOAT, PK_ACT, PK_OPT, PK_WIDTHS } pkind;
typedef struct {
  const char *name;
  pkind kind;
  range r;
  double def_num;
  const char *def_str;
  const char *hint; /* what the value means, for messages */
} pdef;

static const pdef PDEFS[] = {
    {"layers", PK_INT, {1, CFG_MAX_LAYERS, 0, 0}, 3, NULL, "hidden layers"},
    {"width", PK_INT, {1, 65536, 0, 0}, 64, NULL, "units per hidden layer"},
    {"widths", PK_WIDTHS, {1, 65536, 0, 0}, 0, NULL, "per-layer widths"},
    {"lr", PK_FLOAT, {0, 10, 1, 0}, 1e-3, NULL, "learning rate"},
    {"batch", PK_INT, {1, 1 << 24, 0, 0}, 64, NULL, "mini-batch size"},
    {"activation", PK_ACT, {0, 0, 0, 0}, 0, "relu", "activation"},
    {"optimizer", PK_OPT, {0, 0, 0, 0}, 0, "adam", "optimizer"},
    {"dropout", PK_FLOAT, {0, 1, 0, 1}, 0, NULL, "dropout probability"},
    {"weight_decay", PK_FLOAT, {0, INFINITY, 0, 0}, 0, NULL, "weight decay"},
};
#define N_PDEFS NK(PDEFS)

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
static int parse_value(pctx *c, const pdef *d, const ynode *v, const char *kp, space_value *out) {
  memset(out, 0, sizeof *out);
  if (d->kind == PK_INT) {
    long iv;
    if (node_int(c, v, kp, d->r, &iv) != 1) return 0;
    out->type = VAL_INT;
    out->i = iv;
    out->f = (double)iv;
    return 1;
  }
  if (d->kind == PK_FLOAT) {
    double fv;
    if (node_num(c, v, kp, d->r, &fv) != 1) return 0;
    out->type = VAL_FLOAT;
    out->f = fv;
    return 1;
  }
  if (d->kind == PK_ACT || d->kind == PK_OPT) {
    int k;
    int rc = d->kind == PK_ACT
                 ? node_enum(c, v, kp, "activation", NN_ACTIVATION_NAMES, ACT_LINEAR, act_lookup, &k)
                 : node_enum(c, v, kp, "optimizer", NN_OPTIMIZER_NAMES, OPT_COUNT, NULL, &k);
    if (rc != 1) return 0;
    if (d->kind == PK_ACT && k == ACT_LINEAR) {
      perr(c, v, kp, "linear is the output layer's activation; choose a nonlinear one for the hidden layers");
      return 0;
    }
    out->type = VAL_STRING;
    snprintf(out->s, sizeof out->s, "%s", d->kind == PK_ACT ? NN_ACTIVATION_NAMES[k] : NN_OPTIMIZER_NAMES[k]);
    return 1;
  }
  /* widths: a list of positive integers, stored as "64,64,32" */
  if (v->kind != YT_SEQ || v->n < 1 || v->n > CFG_MAX_LAYERS) {
    perr(c, v, kp, "expected a list of 1 to %d layer widths like [64, 64, 32], got %s", CFG_MAX_LAYERS,
         v->kind == YT_SEQ ? "an empty list" : v->kind == YT_MAP ? "a mapping" : v->str);
    return 0;
  }
  out->type = VAL_STRING;
  size_t off = 0;
  for (int i = 0; i < v->n; i++) {
    long w;
    char ip[600];
    snprintf(ip, sizeof ip, "%s[%d]", kp, i);
    if (node_int(c, v->items[i], ip, d->r, &w) != 1) return 0;
    int n = snprintf(out->s + off, sizeof out->s - off, "%s%ld", i ? "," : "", w);
    if (n < 0 || off + (size_t)n >= sizeof out->s) {
      perr(c, v, kp, "too many layers to store (at most %zu characters as '64,64,32'); use layers and width instead",
           sizeof out->s - 1);
      return 0;
    }
    off += (size_t)n;
  }
  return 1;
}

static int is_numeric_dist(space_dist d) { return d != DIST_CONSTANT && d != DIST_CATEGORICAL; }

/* Parses parameters.NAME into p. Returns 1 when valid. */
static int parse_param(pctx *c, const pdef *d, const ynode *spec, const char *kp, space_param *p) {
  set_const_default(p, d);
  if (spec->kind != YT_MAP) {
    perr(c, spec, kp,
         "expected a mapping like {value: X}, {values: [A, B]} or {min: A, max: B}, got %s; e.g. %s: {value: %s}",
         spec->kind == YT_SEQ ? "a list" : "a single value", d->name, spec->kind == YT_SCALAR ? spec->str : "...");
    return 0;
  }
  check_keys(c, spec, kp, SPEC_KEYS, NK(SPEC_KEYS));
  const ynode *value = ytree_map_get(spec, "value"), *values = ytree_map_get(spec, "values"),
              *mn = ytree_map_get(spec, "min"), *mx = ytree_map_get(spec, "max"), *q = ytree_map_get(spec, "q"),
              *dist = ytree_map_get(spec, "distribution");
  char sub[600];
  int dk = -1, ok = 1;
  if (dist) {
    keypath(sub, sizeof sub, kp, "distribution");
    if (node_enum(c, dist, sub, "distribution", SPACE_DIST_NAMES, DIST_COUNT, NULL, &dk) != 1) return 0;
  }
  int n_forms = !!value + !!values + !!(mn || mx);
  if (n_forms > 1) {
    perr(c, spec, kp, "give exactly one of value, values, or min and max; %s", 
         value && values ? "value and values both given" : value ? "value conflicts with min/max"
                                                                 : "values conflicts with min/max");
    return 0;
  }
  if (n_forms == 0) {
    perr(c, spec, kp, "no domain given; write value: X (fixed), values: [A, B] (choices) or min: A, max: B (range)");
    return 0;
  }
  if (dk < 0) dk = value ? DIST_CONSTANT : values ? DIST_CATEGORICAL : d->kind == PK_INT ? DIST_INT_UNIFORM : DIST_UNIFORM;
  p->dist = (space_dist)dk;
  int categorical_only = d->kind == PK_ACT || d->kind == PK_OPT || d->kind == PK_WIDTHS;
  if (categorical_only && is_numeric_dist(p->dist)) {
    perr(c, dist ? dist : spec, kp, "%s takes names or lists, not a numeric range; use value: or values: [...]",
         d->name);
    return 0;
  }
  if (p->dist == DIST_INT_UNIFORM && d->kind == PK_FLOAT) {
    perr(c, dist, kp, "%s (%s) takes real values; use uniform or log_uniform_values instead of int_uniform",
         d->name, d->hint);
    return 0;
  }
  /* The form must match the distribution. */
  if (p->dist == DIST_CONSTANT && !value) {
    perr(c, dist, kp, "distribution constant needs value: X%s", values ? " (values is for categorical)" : "");
    return 0;
  }
  if (p->dist == DIST_CATEGORICAL && !values) {
    perr(c, dist, kp, "distribution categorical needs values: [A, B, ...]");
    return 0;
  }
  if (is_numeric_dist(p->dist) && (!mn || !mx)) {
    perr(c, mn || mx ? spec : dist, kp, "distribution %s needs both min and max%s", SPACE_DIST_NAMES[p->dist],
         mn ? " (max is missing)" : mx ? " (min is missing)" : "");
    return 0;
  }
  p->is_int = d->kind == PK_INT;
  if (value) {
    keypath(sub, sizeof sub, kp, "value");
    if (!parse_value(c, d, value, sub, &p->values[0])) return 0;
    p->n_values = 1;
    p->min = p->max = p->values[0].f;
  } else if (values) {
    keypath(sub, sizeof sub, kp, "values");
    if (values->kind != YT_SEQ || values->n < 1) {
      perr(c, values, sub, "expected a non-empty list like [A, B, C]");
      return 0;
    }
    if (values->n > SPACE_MAX_CHOICES) {
      perr(c, values, sub, "%d values, at most %d; use min and max for a range", values->n, SPACE_MAX_CHOICES);
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
          perr(c, values->items[i], ip, "duplicate value; each choice must appear once");
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
    keypath(smin, sizeof smin, kp, "min");
    keypath(smax, sizeof smax, kp, "max");
    space_value a, b;
    int okmin = parse_value(c, d, mn, smin, &a), okmax = parse_value(c, d, mx, smax, &b);
    if (!okmin || !okmax) return 0;
    p->min = a.f;
    p->max = b.f;
    if (p->min > p->max) {
      perr(c, mn, smin, "min %s is greater than max %s; swap them", mn->str, mx->str);
      return 0;
    }
    int is_log = p->dist == DIST_LOG_UNIFORM_VALUES || p->dist == DIST_Q_LOG_UNIFORM_VALUES;
    if (is_log && p->min <= 0) {
      perr(c, mn, smin, "%s needs min > 0, got %s; use a positive min (e.g. 1e-06) or distribution uniform",
           SPACE_DIST_NAMES[p->dist], mn->str);
      return 0;
    }
    int is_q = p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES;
    if (is_q) {
      p->q = 1.0;
      if (q) {
        keypath(sub, sizeof sub, kp, "q");
        if (node_num(c, q, sub, (range){0, INFINITY, 1, 0}, &p->q) != 1) return 0;
        if (p->is_int && p->q != floor(p->q)) {
          perr(c, q, sub, "%s takes integers, so q must be a whole number, got %s", d->name, q->str);
          return 0;
        }
      }
    }
  }
  if (q && !(p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES)) {
    keypath(sub, sizeof sub, kp, "q");
    perr(c, q, sub, "q applies only to q_uniform and q_log_uniform_values (distribution is %s); remove it",
         SPACE_DIST_NAMES[p->dist]);
    return 0;
  }
  return ok;
}

static void parse_parameters(pctx *c, const ynode *root, mlps_config *cfg, const ynode **nodes) {
  char path[64];
  const ynode *m = section(c, root, "", "parameters", path, sizeof path);
  const char *allowed[N_PDEFS + NK(TRAIN_FIXED_KEYS)];
  int na = 0;
  for (int i = 0; i < N_PDEFS; i++) allowed[na++] = PDEFS[i].name;
  for (int i = 0; i < NK(TRAIN_FIXED_KEYS); i++) allowed[na++] = TRAIN_FIXED_KEYS[i];
  check_keys(c, m, path, allowed, na);

  int has_widths = ytree_map_find(m, "widths") >= 0;
  if (has_widths) {
    for (int k = 0; k < 2; k++) {
      const char *other = k ? "width" : "layers";
      int j = ytree_map_find(m, other);
      if (j >= 0)
        perr(c, m->keys[j], k ? "parameters.width" : "parameters.layers",
             "widths already gives every layer's width, so %s must not be given too; remove one of them", other);
    }
  }
  search_space *s = &cfg->space;
  s->n = 0;
  for (int i = 0; i < N_PDEFS; i++) {
    const pdef *d = &PDEFS[i];
    if (has_widths ? (d->kind == PK_INT && (!strcmp(d->name, "layers") || !strcmp(d->name, "width")))
                   : d->kind == PK_WIDTHS)
      continue;
    space_param *p = &s->p[s->n];
    const ynode *spec = ytree_map_get(m, d->name);
    nodes[s->n] = spec;
    char kp[128];
    keypath(kp, sizeof kp, path, d->name);
    if (!spec)
      set_const_default(p, d);
    else if (!parse_param(c, d, spec, kp, p))
      set_const_default(p, d);
    s->n++;
  }
  /* Training keys fixed here with value: (W&B style). */
  const ynode *train = ytree_map_get(root, "train");
  for (int i = 0; i < NK(TRAIN_FIXED_KEYS); i++) {
    const char *key = TRAIN_FIXED_KEYS[i];
    const ynode *spec = ytree_map_get(m, key);
    if (!spec) continue;
    char kp[128];
    keypath(kp, sizeof kp, path, key);
    if (train && train->kind == YT_MAP && ytree_map_get(train, key)) {
      perr(c, spec, kp, "also set as train.%s; set it in one place only", key);
      continue;
    }
    if (spec->kind != YT_MAP || ytree_map_find(spec, "value") < 0 || spec->n != 1) {
      perr(c, spec, kp,
           "training settings can only be fixed in parameters, as %s: {value: X}; to vary it, run separate sweeps",
           key);
      continue;
    }
    /* parse_train_key reads map[key]; spec is {value: X}, so read "value" under kp. */
    cfg_train tmp = cfg->train;
    int k;
    char vp[160];
    keypath(vp, sizeof vp, kp, "value");
    const ynode *v = spec->items[0];
    if (!strcmp(key, "max_epochs")) {
      long x;
      if (node_int(c, v, vp, (range){1, 1e9, 0, 0}, &x) == 1) tmp.max_epochs = (int)x;
    } else if (!strcmp(key, "patience")) {
      long x;
      if (node_int(c, v, vp, (range){0, 1e9, 0, 0}, &x) == 1) tmp.patience = (int)x;
    } else if (!strcmp(key, "min_delta")) {
      node_num(c, v, vp, (range){0, INFINITY, 0, 0}, &tmp.min_delta);
    } else if (!strcmp(key, "max_seconds")) {
      node_num(c, v, vp, (range){0, INFINITY, 0, 0}, &tmp.max_seconds);
    } else if (!strcmp(key, "loss")) {
      if (node_enum(c, v, vp, "loss", NN_LOSS_NAMES, LOSS_COUNT, NULL, &k) == 1) tmp.loss = (nn_loss)k;
    } else if (!strcmp(key, "init")) {
      if (node_enum(c, v, vp, "init", NN_INIT_NAMES, INIT_COUNT, NULL, &k) == 1) tmp.init = (nn_init)k;
    }
    cfg->train = tmp;
  }
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
  cfg->split.test_fraction = 0.1;
  cfg->split.kfold = 5;
  cfg->split.val_fraction = 0.1;
  cfg->split.seed = -1;
  cfg_search *s = &cfg->search;
  s->method = SAMPLER_RANDOM;
  s->trials = 20;
  s->metric = METRIC_VAL_MSE;
  s->goal = GOAL_MINIMIZE;
  s->startup_trials = 10;
  s->gamma = 0.1;
  s->gamma_max = 25;
  s->ei_candidates = 24;
  s->prior_weight = 1.0;
  s->constant_liar = 1;
  s->magic_clip = 1;
  s->sobol_scramble = 1;
  s->pruner.kind = PRUNER_NONE;
  s->pruner.startup_trials = 5;
  s->pruner.warmup_epochs = 10;
  s->pruner.interval = 1;
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
}

static void parse_root(pctx *c, mlps_config *cfg) {
  const ynode *root = c->doc.root;
  long iv;
  double fv;
  int bv;
  if (!root || (root->kind == YT_SCALAR && scalar_type(root, &iv, &fv, &bv) == S_NULL)) {
    perr(c, NULL, "", "the config is empty; at least data: {path: FILE.h5} is required (see configs/demo.yaml)");
    return;
  }
  if (root->kind != YT_MAP) {
    perr(c, root, "", "the top level must be a mapping of sections (name, data, split, search, parameters, ...), "
                      "got %s", kind_name(root));
    return;
  }
  check_keys(c, root, "", TOP_KEYS, NK(TOP_KEYS));
  get_str(c, root, "", "name", cfg->name, sizeof cfg->name, 0);
  get_str(c, root, "", "description", cfg->description, sizeof cfg->description, 1);
  long seed;
  if (get_int(c, root, "", "seed", (range){0, 9007199254740992.0, 0, 0}, &seed) == 1) cfg->seed = (uint64_t)seed;
  parse_data(c, root, &cfg->data);
  parse_split(c, root, &cfg->split);
  int trials_given = 0;
  const ynode *method_node = NULL;
  parse_search(c, root, &cfg->search, &trials_given, &method_node);
  parse_train(c, root, &cfg->train);
  const ynode *pnodes[SPACE_MAX_PARAMS] = {0};
  parse_parameters(c, root, cfg, pnodes);
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

  char op[16];
  const ynode *om = section(c, root, "", "output", op, sizeof op);
  check_keys(c, om, op, OUTPUT_KEYS, NK(OUTPUT_KEYS));
  if (get_str(c, om, op, "dir", cfg->output.dir, sizeof cfg->output.dir, 0) == 0)
    snprintf(cfg->output.dir, sizeof cfg->output.dir, "runs/%.*s", (int)(sizeof cfg->output.dir - 6), cfg->name);

  /* Cross checks that need several sections. */
  cfg_search *s = &cfg->search;
  if (s->method == SAMPLER_GRID) {
    int finite = 1;
    for (int i = 0; i < cfg->space.n; i++) {
      const space_param *p = &cfg->space.p[i];
      if (!is_numeric_dist(p->dist)) continue;
      finite = 0;
      char kp[128];
      keypath(kp, sizeof kp, "parameters", p->name);
      perr(c, pnodes[i] ? pnodes[i] : method_node, kp,
           "search.method is grid, which needs a finite list of choices, but this is %s; give values: [...] or "
           "use method random, lhs, sobol or tpe",
           SPACE_DIST_NAMES[p->dist]);
    }
    if (finite) {
      uint64_t g = space_grid_size(&cfg->space);
      if (!trials_given) {
        if (g > (uint64_t)1e7)
          perr(c, method_node, "search.method",
               "the grid has %llu points, too many to run; set search.trials or use fewer values",
               (unsigned long long)g);
        else
          s->trials = (long)g;
      } else if ((uint64_t)s->trials > g) {
        const ynode *sm = ytree_map_get(root, "search");
        perr(c, ytree_map_get(sm, "trials"), "search.trials",
             "%ld trials asked but the grid has only %llu points; remove trials (a grid runs every point once) or "
             "lower it",
             s->trials, (unsigned long long)g);
      }
    }
  }
}

static void finish(pctx *c, mlps_config *cfg, cfg_errors *errs, int *rc) {
  (void)cfg;
  if (c->n) {
    qsort(c->probs, (size_t)c->n, sizeof(problem), prob_cmp);
    size_t len = 0;
    for (int i = 0; i < c->n; i++) len += strlen(c->probs[i].text);
    char *t = mlps_xmalloc(len + 1), *w = t;
    for (int i = 0; i < c->n; i++) {
      size_t l = strlen(c->probs[i].text);
      memcpy(w, c->probs[i].text, l);
      w += l;
      free(c->probs[i].text);
    }
    *w = '\0';
    if (errs) {
      errs->n = c->n;
      errs->text = t;
    } else {
      free(t);
    }
    *rc = MLPS_EINPUT;
  } else {
    *rc = MLPS_OK;
  }
  free(c->probs);
  ytree_free(&c->doc);
}

static int load_common(pctx *c, const char *origin, const char *const *sets, int nsets, mlps_config *cfg,
                       cfg_errors *errs) {
  /* A syntax error or a limit leaves no tree; lesser YAML problems leave a
   * tree worth checking, so every problem is reported in one go. */
  int parse_failed = c->n > 0 && !c->doc.root;
  for (int i = 0; i < nsets && !parse_failed; i++) ytree_set(&c->doc, sets[i], tree_err, c);
  set_defaults(cfg, origin);
  if (!parse_failed) parse_root(c, cfg);
  int rc;
  finish(c, cfg, errs, &rc);
  return rc;
}

int cfg_load(const char *path, const char *const *sets, int nsets, mlps_config *cfg, cfg_errors *errs) {
  pctx c = {0};
  if (errs) errs->n = 0, errs->text = NULL;
  ytree_parse_file(&c.doc, path, tree_err, &c);
  c.origin = path;
  return load_common(&c, path, sets, nsets, cfg, errs);
}

int cfg_load_text(const char *text, size_t len, const char *origin, const char *const *sets, int nsets,
                  mlps_config *cfg, cfg_errors *errs) {
  pctx c = {0};
  if (errs) errs->n = 0, errs->text = NULL;
  ytree_parse(&c.doc, text, len, origin, tree_err, &c);
  c.origin = origin;
  return load_common(&c, origin, sets, nsets, cfg, errs);
}
