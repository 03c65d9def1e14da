/* Typed access to the YAML tree and the problem list of a config load (see
 * config_yaml.h). */
#include "config/config_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/names.h"

/* ---- problem collection ---- */

struct cfg_problem {
  int origin_rank, line, col, seq;
  char *text;
};

static int origin_rank(cfg_ctx *c, const char *origin) {
  for (int i = 0; i < c->doc.n_origins; i++)
    if (c->doc.origins[i] == origin || strcmp(c->doc.origins[i], origin) == 0) return i;
  return c->doc.n_origins;
}

static void add_problem(cfg_ctx *c, const char *origin, int line, int col, const char *path,
                        const char *msg) {
  char buf[2048];
  int off;
  if (line > 0) off = snprintf(buf, sizeof buf, "%s:%d:%d: ", origin, line, col);
  else off = snprintf(buf, sizeof buf, "%s: ", origin);
  if (off < 0 || off >= (int)sizeof buf) off = 0;
  snprintf(buf + off, sizeof buf - (size_t)off, "%s%s%s\n", path && path[0] ? path : "",
           path && path[0] ? ": " : "", msg);
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 16;
    c->probs = mlps_xrealloc(c->probs, sizeof(cfg_problem) * (size_t)c->cap);
  }
  cfg_problem *p = &c->probs[c->n];
  p->origin_rank = origin_rank(c, origin);
  p->line = line;
  p->col = col;
  p->seq = c->n;
  p->text = mlps_xstrdup(buf);
  c->n++;
}

void cfg_tree_err(void *ctx, const char *origin, int line, int col, const char *path,
                  const char *msg) {
  add_problem((cfg_ctx *)ctx, origin, line, col, path, msg);
}

void cfg_perr(cfg_ctx *c, const ynode *at, const char *path, const char *fmt, ...) {
  char msg[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!at) at = c->doc.root;
  if (at) add_problem(c, at->origin, at->line, at->col, path, msg);
  else add_problem(c, c->origin, 0, 0, path, msg);
}

static int prob_cmp(const void *a, const void *b) {
  const cfg_problem *x = a, *y = b;
  if (x->origin_rank != y->origin_rank) return x->origin_rank - y->origin_rank;
  if (x->line != y->line) return x->line - y->line;
  if (x->col != y->col) return x->col - y->col;
  return x->seq - y->seq;
}

/* ---- scalars ---- */

typedef enum { S_NULL, S_BOOL, S_INT, S_FLOAT, S_STRING, S_LIST, S_MAP } stype;

const char *cfg_kind_name(const ynode *n) {
  return n->kind == YT_SEQ ? "a list" : n->kind == YT_MAP ? "a mapping" : "a value";
}

/* Resolves a plain scalar the way YAML 1.1 / PyYAML would for the types we
 * use (null, bool, int, float), plus "1e-3" as a float. */
static stype scalar_type(const ynode *n, long *iv, double *fv, int *bv) {
  if (n->kind == YT_SEQ) return S_LIST;
  if (n->kind == YT_MAP) return S_MAP;
  const char *s = n->str;
  if (n->quoted) return S_STRING;
  if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
    return S_NULL;
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
  if (!strcmp(d, ".inf") || !strcmp(d, ".Inf") || !strcmp(d, ".INF"))
    return *fv = *s == '-' ? -INFINITY : INFINITY, S_FLOAT;
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

int cfg_node_is_null(const ynode *n) {
  long iv;
  double fv;
  int bv;
  return !n || (n->kind == YT_SCALAR && scalar_type(n, &iv, &fv, &bv) == S_NULL);
}

/* ---- ranges ---- */

static int in_range(double v, cfg_range r) {
  if (isnan(v)) return 0;
  if (r.lo_open ? !(v > r.lo) : !(v >= r.lo)) return 0;
  if (r.hi_open ? !(v < r.hi) : !(v <= r.hi)) return 0;
  return 1;
}

static void fmt_num(char *buf, size_t cap, double v) {
  if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, cap, "%.0f", v);
  else snprintf(buf, cap, "%g", v);
}

static const char *describe_range(char *buf, size_t cap, int is_int, cfg_range r) {
  char a[32], b[32];
  const char *what = is_int ? "an integer" : "a number";
  fmt_num(a, sizeof a, r.lo);
  fmt_num(b, sizeof b, r.hi);
  if (isinf(r.lo) && isinf(r.hi)) snprintf(buf, cap, "%s", what);
  else if (isinf(r.hi)) snprintf(buf, cap, "%s %s %s", what, r.lo_open ? ">" : ">=", a);
  else if (isinf(r.lo)) snprintf(buf, cap, "%s %s %s", what, r.hi_open ? "<" : "<=", b);
  else if (!r.lo_open && !r.hi_open) snprintf(buf, cap, "%s between %s and %s", what, a, b);
  else
    snprintf(buf, cap, "%s in %s%s, %s%s", what, r.lo_open ? "(" : "[", a, b,
             r.hi_open ? ")" : "]");
  return buf;
}

/* ---- map access ---- */

void cfg_keypath(char *out, size_t cap, const char *path, const char *key) {
  snprintf(out, cap, "%s%s%s", path, path[0] ? "." : "", key);
}

/* A section or nested mapping: NULL when absent or null; reports when it is
 * not a mapping. */
const ynode *cfg_section(cfg_ctx *c, const ynode *map, const char *path, const char *key, char *sub,
                         size_t cap) {
  cfg_keypath(sub, cap, path, key);
  const ynode *v = ytree_map_get(map, key);
  if (!v) return NULL;
  long iv;
  double fv;
  int bv;
  stype t = scalar_type(v, &iv, &fv, &bv);
  if (t == S_NULL) return NULL;
  if (v->kind != YT_MAP) {
    cfg_perr(c, v, sub,
             "expected a mapping (indented 'key: value' lines), got %s; see the config reference "
             "(README) for its keys",
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
      if (best < 0 || names_edit_distance(s, table[i]) < names_edit_distance(s, table[best]))
        best = i;
    }
  }
  return best >= 0 ? best : names_closest(table, n, s);
}

/* Reports keys of map not in allowed[], with the closest valid name. */
void cfg_check_keys(cfg_ctx *c, const ynode *map, const char *path, const char *const *allowed,
                    int n) {
  if (!map || map->kind != YT_MAP) return;
  for (int i = 0; i < map->n; i++) {
    const char *k = map->keys[i]->str;
    if (names_find(allowed, n, k) >= 0) continue;
    char kp[512], list[1024];
    cfg_keypath(kp, sizeof kp, path, k);
    names_join(allowed, n, list, sizeof list);
    int best = suggest(allowed, n, k);
    if (best >= 0)
      cfg_perr(c, map->keys[i], kp, "unknown key; did you mean '%s'? (valid keys%s%s: %s)",
               allowed[best], path[0] ? " in " : "", path, list);
    else
      cfg_perr(c, map->keys[i], kp, "unknown key; valid keys%s%s are: %s", path[0] ? " in " : "",
               path, list);
  }
}

static const ynode *scalar_at(cfg_ctx *c, const ynode *v, const char *kp, const char *expect) {
  if (v->kind != YT_SCALAR) {
    cfg_perr(c, v, kp, "expected %s, got %s", expect, cfg_kind_name(v));
    return NULL;
  }
  return v;
}

int cfg_node_int(cfg_ctx *c, const ynode *v, const char *kp, cfg_range r, long *out) {
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
    cfg_perr(c, v, kp, "expected %s, got %s '%s'", want, type_word(t), v->str);
    return -1;
  }
  if (!in_range((double)iv, r)) {
    cfg_perr(c, v, kp, "must be %s, got %ld", want, iv);
    return -1;
  }
  *out = iv;
  return 1;
}

int cfg_node_num(cfg_ctx *c, const ynode *v, const char *kp, cfg_range r, double *out) {
  char want[128];
  describe_range(want, sizeof want, 0, r);
  if (!scalar_at(c, v, kp, want)) return -1;
  long iv;
  double fv = 0;
  int bv;
  stype t = scalar_type(v, &iv, &fv, &bv);
  if (t != S_INT && t != S_FLOAT) {
    cfg_perr(c, v, kp, "expected %s, got %s '%s'", want, type_word(t), v->str);
    return -1;
  }
  if (!isfinite(fv)) {
    cfg_perr(c, v, kp, "must be a finite number, got '%s'", v->str);
    return -1;
  }
  if (!in_range(fv, r)) {
    cfg_perr(c, v, kp, "must be %s, got %s", want, v->str);
    return -1;
  }
  *out = fv;
  return 1;
}

/* map[key], its key path written to kp; NULL when absent. */
static const ynode *at_key(const ynode *map, const char *path, const char *key, char *kp,
                           size_t cap) {
  const ynode *v = ytree_map_get(map, key);
  if (v) cfg_keypath(kp, cap, path, key);
  return v;
}

int cfg_get_int(cfg_ctx *c, const ynode *map, const char *path, const char *key, cfg_range r,
                long *out) {
  char kp[512];
  const ynode *v = at_key(map, path, key, kp, sizeof kp);
  return v ? cfg_node_int(c, v, kp, r, out) : 0;
}

int cfg_get_i(cfg_ctx *c, const ynode *map, const char *path, const char *key, cfg_range r,
              int *out) {
  long v;
  int rc = cfg_get_int(c, map, path, key, r, &v);
  if (rc == 1) *out = (int)v;
  return rc;
}

int cfg_get_num(cfg_ctx *c, const ynode *map, const char *path, const char *key, cfg_range r,
                double *out) {
  char kp[512];
  const ynode *v = at_key(map, path, key, kp, sizeof kp);
  return v ? cfg_node_num(c, v, kp, r, out) : 0;
}

int cfg_node_bool(cfg_ctx *c, const ynode *v, const char *kp, int *out) {
  if (!scalar_at(c, v, kp, "true or false")) return -1;
  long iv;
  double fv;
  int bv = 0;
  stype t = scalar_type(v, &iv, &fv, &bv);
  if (t != S_BOOL) {
    cfg_perr(c, v, kp, "expected true or false, got '%s'", v->str);
    return -1;
  }
  *out = bv;
  return 1;
}

int cfg_get_bool(cfg_ctx *c, const ynode *map, const char *path, const char *key, int *out) {
  char kp[512];
  const ynode *v = at_key(map, path, key, kp, sizeof kp);
  return v ? cfg_node_bool(c, v, kp, out) : 0;
}

int cfg_node_str(cfg_ctx *c, const ynode *v, const char *kp, char *out, size_t cap,
                 int allow_empty) {
  if (!scalar_at(c, v, kp, "a string")) return -1;
  size_t n = strlen(v->str);
  if (!allow_empty && n == 0) {
    cfg_perr(c, v, kp, "must not be empty");
    return -1;
  }
  if (n >= cap) {
    cfg_perr(c, v, kp, "too long (%zu characters, at most %zu)", n, cap - 1);
    return -1;
  }
  memcpy(out, v->str, n + 1);
  return 1;
}

int cfg_get_str(cfg_ctx *c, const ynode *map, const char *path, const char *key, char *out,
                size_t cap, int allow_empty) {
  char kp[512];
  const ynode *v = at_key(map, path, key, kp, sizeof kp);
  return v ? cfg_node_str(c, v, kp, out, cap, allow_empty) : 0;
}

/* Enum value from a name table; lookup may add aliases (silu). */
int cfg_node_enum(cfg_ctx *c, const ynode *v, const char *kp, const char *what,
                  const char *const *table, int n, int (*lookup)(const char *), int *out) {
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
    cfg_perr(c, v, kp, "unknown %s '%s'; did you mean '%s'? (valid: %s)", what, v->str, table[best],
             list);
  else cfg_perr(c, v, kp, "unknown %s '%s'; valid %ss are: %s", what, v->str, what, list);
  return -1;
}

int cfg_get_enum(cfg_ctx *c, const ynode *map, const char *path, const char *key, const char *what,
                 const char *const *table, int n, int *out) {
  char kp[512];
  const ynode *v = at_key(map, path, key, kp, sizeof kp);
  return v ? cfg_node_enum(c, v, kp, what, table, n, NULL, out) : 0;
}

int cfg_ctx_finish(cfg_ctx *c, cfg_errors *errs) {
  int rc = MLPS_OK;
  if (c->n) {
    qsort(c->probs, (size_t)c->n, sizeof(cfg_problem), prob_cmp);
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
    rc = MLPS_EINPUT;
  }
  free(c->probs);
  ytree_free(&c->doc);
  return rc;
}

/* ---- options described by a table (config_schema.h) ---- */

int cfg_node_opt(cfg_ctx *c, const cfg_opt *o, const ynode *v, const char *kp, void *base) {
  char *field = (char *)base + o->offset;
  long iv;
  int rc, k;
  switch (o->type) {
    case CFG_OPT_INT:
      rc = cfg_node_int(c, v, kp, o->range, &iv);
      if (rc == 1) *(int *)field = (int)iv;
      return rc;
    case CFG_OPT_NUM: return cfg_node_num(c, v, kp, o->range, (double *)field);
    case CFG_OPT_BOOL: return cfg_node_bool(c, v, kp, (int *)field);
    case CFG_OPT_ENUM:
      rc = cfg_node_enum(c, v, kp, o->what, o->names, o->n_names, NULL, &k);
      if (rc == 1) *(int *)field = k;
      return rc;
  }
  return -1;
}

int cfg_get_opt(cfg_ctx *c, const cfg_opt *o, const ynode *map, const char *path, void *base) {
  char kp[512];
  const ynode *v = at_key(map, path, o->key, kp, sizeof kp);
  return v ? cfg_node_opt(c, o, v, kp, base) : 0;
}
