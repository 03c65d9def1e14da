/* YAML text -> ynode tree with positions, overrides (--set) and tree diff.
 * See ytree.h for what is rejected and why. */
#define _POSIX_C_SOURCE 200809L /* fileno, strtok_r */
#include "config/ytree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "util/err.h"

#define TAG_STR "tag:yaml.org,2002:str"
#define TAG_MAP "tag:yaml.org,2002:map"
#define TAG_SEQ "tag:yaml.org,2002:seq"

static const char *intern_origin(ytree_doc *doc, const char *origin) {
  for (int i = 0; i < doc->n_origins; i++)
    if (strcmp(doc->origins[i], origin) == 0) return doc->origins[i];
  doc->origins = mlps_xrealloc(doc->origins, sizeof(char *) * (size_t)(doc->n_origins + 1));
  doc->origins[doc->n_origins] = mlps_xstrdup(origin);
  return doc->origins[doc->n_origins++];
}

ynode *ytree_new(ytree_kind kind, const char *origin, int line, int col) {
  ynode *n = mlps_xcalloc(1, sizeof *n);
  n->kind = kind;
  n->origin = origin;
  n->line = line;
  n->col = col;
  return n;
}

void ytree_node_free(ynode *n) {
  if (!n) return;
  for (int i = 0; i < n->n; i++) {
    ytree_node_free(n->items[i]);
    if (n->keys) ytree_node_free(n->keys[i]);
  }
  free(n->items);
  free(n->keys);
  free(n->str);
  free(n);
}

void ytree_free(ytree_doc *doc) {
  if (!doc) return;
  ytree_node_free(doc->root);
  for (int i = 0; i < doc->n_origins; i++) free(doc->origins[i]);
  free(doc->origins);
  memset(doc, 0, sizeof *doc);
}

static void grow(ynode *n) {
  if (n->n < n->cap) return;
  n->cap = n->cap ? 2 * n->cap : 4;
  n->items = mlps_xrealloc(n->items, sizeof(ynode *) * (size_t)n->cap);
  if (n->kind == YT_MAP) {
    n->keys = mlps_xrealloc(n->keys, sizeof(ynode *) * (size_t)n->cap);
  }
}

static void seq_append(ynode *seq, ynode *item) {
  grow(seq);
  seq->items[seq->n++] = item;
}

static void map_append(ynode *map, ynode *key, ynode *val) {
  grow(map);
  map->keys[map->n] = key;
  map->items[map->n] = val;
  map->n++;
}

int ytree_map_find(const ynode *map, const char *key) {
  if (!map || map->kind != YT_MAP) return -1;
  for (int i = 0; i < map->n; i++)
    if (strcmp(map->keys[i]->str, key) == 0) return i;
  return -1;
}

ynode *ytree_map_get(const ynode *map, const char *key) {
  int i = ytree_map_find(map, key);
  return i < 0 ? NULL : map->items[i];
}

/* ---- building from libyaml events ---- */

typedef struct {
  ynode *node;
  ynode *pending_key; /* map: key read, value not yet */
} frame;

typedef struct {
  ytree_doc *doc;
  const char *origin;
  ytree_error_fn err;
  void *ctx;
  int nerr;
  int n_anchors, n_aliases; /* reported once each, then counted */
  frame stack[YTREE_MAX_DEPTH + 1];
  int depth;
  long nodes;
  const char *text; /* the input, for a closer look at syntax errors */
  size_t len;
} builder;

static void berr(builder *b, int line, int col, const char *fmt, ...) MLPS_PRINTF(4, 5);
static void berr(builder *b, int line, int col, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  b->nerr++;
  if (b->err) b->err(b->ctx, b->origin, line, col, "", msg);
}

/* Attaches a finished node to its parent (or makes it the root). Returns 0,
 * or -1 when parsing must stop. */
static int attach(builder *b, ynode *node) {
  if (b->depth == 0) {
    b->doc->root = node;
    return 0;
  }
  frame *f = &b->stack[b->depth - 1];
  if (f->node->kind == YT_SEQ) {
    seq_append(f->node, node);
    return 0;
  }
  if (!f->pending_key) {
    if (node->kind != YT_SCALAR) { /* cannot happen: checked at start events */
      ytree_node_free(node);
      return -1;
    }
    f->pending_key = node;
    return 0;
  }
  ynode *key = f->pending_key;
  f->pending_key = NULL;
  int prev = ytree_map_find(f->node, key->str);
  if (prev >= 0) {
    berr(b, key->line, key->col, "duplicate key '%s' (first at line %d); keep only one of them",
         key->str, f->node->keys[prev]->line);
    ytree_node_free(key);
    ytree_node_free(node);
    return 0;
  }
  if (strcmp(key->str, "<<") == 0 && !key->quoted)
    berr(b, key->line, key->col,
         "merge keys (<<) are not supported; write the keys out in full (anchors and aliases are "
         "rejected too)");
  map_append(f->node, key, node);
  return 0;
}

static int check_anchor(builder *b, const yaml_char_t *anchor, int line, int col) {
  if (!anchor) return 0;
  if (b->n_anchors++) return 1;
  berr(b, line, col,
       "YAML anchors (&%s) are not supported; write the value out in full where it is used",
       (const char *)anchor);
  return 1;
}

static int count_node(builder *b, int line, int col) {
  if (++b->nodes > YTREE_MAX_NODES) {
    berr(b, line, col, "more than %d YAML nodes; a sweep config should be a few hundred at most",
         YTREE_MAX_NODES);
    return -1;
  }
  return 0;
}

static int build(builder *b, yaml_parser_t *p) {
  int docs = 0;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(p, &ev)) {
      int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
      const char *problem = p->problem ? p->problem : "unknown problem";
      if (p->error == YAML_READER_ERROR)
        berr(b, 0, 0, "not UTF-8 text (%s at byte %zu); save the config as UTF-8", problem,
             p->problem_offset);
      else if (p->problem_mark.index < b->len && b->text[p->problem_mark.index] == '\t')
        berr(b, line, col,
             "YAML syntax error: a tab character; YAML indents with spaces only, replace it");
      else
        berr(b, line, col, "YAML syntax error: %s%s%s; check indentation, colons and quoting",
             problem, p->context ? " " : "", p->context ? p->context : "");
      return -1;
    }
    int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
    int stop = 0;
    switch (ev.type) {
      case YAML_STREAM_START_EVENT:
      case YAML_DOCUMENT_END_EVENT: break;
      case YAML_STREAM_END_EVENT: stop = 1; break;
      case YAML_DOCUMENT_START_EVENT:
        if (++docs > 1) {
          berr(b, line, col,
               "more than one YAML document (---); put the whole sweep in one document");
          stop = -1;
        }
        break;
      case YAML_ALIAS_EVENT: {
        if (!b->n_aliases++)
          berr(b, line, col,
               "YAML aliases (*%s) are not supported; write the value out in full (this also rules "
               "out "
               "exponential 'billion laughs' expansion)",
               (const char *)ev.data.alias.anchor);
        if (count_node(b, line, col)) {
          stop = -1;
          break;
        }
        ynode *n = ytree_new(YT_SCALAR, b->origin, line, col);
        n->str = mlps_xstrdup("");
        if (attach(b, n)) stop = -1;
        break;
      }
      case YAML_SCALAR_EVENT: {
        check_anchor(b, ev.data.scalar.anchor, line, col);
        if (count_node(b, line, col)) {
          stop = -1;
          break;
        }
        ynode *n = ytree_new(YT_SCALAR, b->origin, line, col);
        n->str = mlps_xmalloc(ev.data.scalar.length + 1);
        memcpy(n->str, ev.data.scalar.value, ev.data.scalar.length);
        n->str[ev.data.scalar.length] = '\0';
        n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (ev.data.scalar.tag) {
          const char *tag = (const char *)ev.data.scalar.tag;
          if (strcmp(tag, TAG_STR) == 0) n->quoted = 1;
          else if (strcmp(tag, "tag:yaml.org,2002:int") && strcmp(tag, "tag:yaml.org,2002:float") &&
                   strcmp(tag, "tag:yaml.org,2002:bool") && strcmp(tag, "tag:yaml.org,2002:null") &&
                   strcmp(tag, "!"))
            berr(b, line, col,
                 "YAML tag '%s' is not supported; remove it (quote the value to make it a string)",
                 (const char *)ev.data.scalar.tag);
        }
        if (attach(b, n)) stop = -1;
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        int is_map = ev.type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *anchor =
            is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
        const yaml_char_t *tag = is_map ? ev.data.mapping_start.tag : ev.data.sequence_start.tag;
        check_anchor(b, anchor, line, col);
        if (tag && strcmp((const char *)tag, is_map ? TAG_MAP : TAG_SEQ) != 0)
          berr(b, line, col, "YAML tag '%s' is not supported; remove it", (const char *)tag);
        if (b->depth > 0) {
          frame *f = &b->stack[b->depth - 1];
          if (f->node->kind == YT_MAP && !f->pending_key) {
            berr(b, line, col, "a list or mapping used as a key; keys must be plain names");
            stop = -1;
            break;
          }
        }
        if (b->depth >= YTREE_MAX_DEPTH) {
          berr(b, line, col, "nesting deeper than %d levels; a sweep config needs about 5",
               YTREE_MAX_DEPTH);
          stop = -1;
          break;
        }
        if (count_node(b, line, col)) {
          stop = -1;
          break;
        }
        ynode *n = ytree_new(is_map ? YT_MAP : YT_SEQ, b->origin, line, col);
        b->stack[b->depth].node = n;
        b->stack[b->depth].pending_key = NULL;
        b->depth++;
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        ynode *n = b->stack[--b->depth].node;
        if (attach(b, n)) stop = -1;
        break;
      }
      default: break;
    }
    yaml_event_delete(&ev);
    if (stop) return stop < 0 ? -1 : 0;
  }
}

int ytree_parse(ytree_doc *doc, const char *text, size_t len, const char *origin,
                ytree_error_fn err, void *ctx) {
  memset(doc, 0, sizeof *doc);
  builder b = {0};
  b.doc = doc;
  b.origin = intern_origin(doc, origin);
  b.err = err;
  b.ctx = ctx;
  b.text = text;
  b.len = len;
  if (len > YTREE_MAX_BYTES) {
    berr(&b, 0, 0, "config is %zu bytes, over the %u-byte limit; a sweep config is a few KiB", len,
         YTREE_MAX_BYTES);
    return b.nerr;
  }
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    berr(&b, 0, 0, "cannot initialise the YAML parser (out of memory)");
    return b.nerr;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  int built = build(&b, &p);
  if (b.n_anchors > 1 || b.n_aliases > 1)
    berr(&b, 0, 0, "%d anchors and %d aliases in all; only the first of each is shown above",
         b.n_anchors, b.n_aliases);
  if (built < 0) {
    /* Free what is still on the stack (partially built containers). */
    while (b.depth > 0) {
      frame *f = &b.stack[--b.depth];
      ytree_node_free(f->pending_key); /* stacked nodes are not attached yet */
      ytree_node_free(f->node);
    }
    if (!b.nerr) b.nerr = 1;
  }
  yaml_parser_delete(&p);
  return b.nerr;
}

int ytree_parse_file(ytree_doc *doc, const char *path, ytree_error_fn err, void *ctx) {
  memset(doc, 0, sizeof *doc);
  const char *origin = intern_origin(doc, path);
  struct stat st;
  char msg[1200];
  FILE *f = fopen(path, "rb");
  if (!f || fstat(fileno(f), &st) != 0) {
    snprintf(msg, sizeof msg, "cannot open config: %s; check the path", strerror(errno));
    if (f) fclose(f);
    if (err) err(ctx, origin, 0, 0, "", msg);
    return 1;
  }
  if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > YTREE_MAX_BYTES) {
    if (S_ISREG(st.st_mode))
      snprintf(msg, sizeof msg,
               "config is %lld bytes, over the %u-byte limit; a sweep config is a few KiB",
               (long long)st.st_size, YTREE_MAX_BYTES);
    else snprintf(msg, sizeof msg, "not a regular file; give the path of a YAML config");
    fclose(f);
    if (err) err(ctx, origin, 0, 0, "", msg);
    return 1;
  }
  size_t n = (size_t)st.st_size;
  char *text = mlps_xmalloc(n + 1);
  size_t got = fread(text, 1, n, f);
  fclose(f);
  if (got != n) {
    free(text);
    if (err) err(ctx, origin, 0, 0, "", "short read; check the file");
    return 1;
  }
  text[n] = '\0';
  ytree_doc tmp;
  int rc = ytree_parse(&tmp, text, n, path, err, ctx);
  free(text);
  /* Keep origins in one place: tmp interned the same path first. */
  ytree_free(doc);
  *doc = tmp;
  return rc;
}

/* ---- overrides ---- */

static void set_origin(ynode *n, const char *origin) {
  if (!n) return;
  n->origin = origin;
  n->line = n->col = 0;
  for (int i = 0; i < n->n; i++) {
    set_origin(n->items[i], origin);
    if (n->keys) set_origin(n->keys[i], origin);
  }
}

static void collect_err(void *ctx, const char *origin, int line, int col, const char *path,
                        const char *msg) {
  (void)origin, (void)line, (void)col, (void)path;
  snprintf((char *)ctx, 512, "%s", msg);
}

static int is_index(const char *s, long *out) {
  if (!*s) return 0;
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < 0) return 0;
  *out = v;
  return 1;
}

int ytree_set(ytree_doc *doc, const char *arg, ytree_error_fn err, void *ctx) {
  char obuf[600];
  snprintf(obuf, sizeof obuf, "--set %s", arg);
  const char *origin = intern_origin(doc, obuf);
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg) {
    if (err) err(ctx, origin, 0, 0, "", "expected key.path=value, e.g. --set search.trials=20");
    return 1;
  }
  size_t klen = (size_t)(eq - arg);
  char *key = mlps_xmalloc(klen + 1);
  memcpy(key, arg, klen);
  key[klen] = '\0';
  /* Every segment must be non-empty. */
  if (key[0] == '.' || key[klen - 1] == '.' || strstr(key, "..")) {
    if (err)
      err(ctx, origin, 0, 0, key,
          "empty segment in the key path; write it like search.metric.name");
    free(key);
    return 1;
  }
  const char *value = eq + 1;
  ytree_doc vdoc;
  char vmsg[512] = "";
  if (ytree_parse(&vdoc, value, strlen(value), origin, collect_err, vmsg)) {
    char msg[700];
    snprintf(msg, sizeof msg, "the value is not valid YAML (%s); quote it, e.g. --set '%s=\"...\"'",
             vmsg, key);
    if (err) err(ctx, origin, 0, 0, key, msg);
    ytree_free(&vdoc);
    free(key);
    return 1;
  }
  ynode *val = vdoc.root;
  vdoc.root = NULL;
  ytree_free(&vdoc);
  if (!val) {
    val = ytree_new(YT_SCALAR, origin, 0, 0);
    val->str = mlps_xstrdup("");
  }
  set_origin(val, origin);

  if (!doc->root) doc->root = ytree_new(YT_MAP, origin, 0, 0);
  ynode *cur = doc->root;
  char *save = NULL, *seg = strtok_r(key, ".", &save);
  char done_path[600] = "";
  int rc = 0;
  while (seg) {
    char *next = strtok_r(NULL, ".", &save);
    long idx;
    ynode **slot = NULL;
    if (cur->kind == YT_MAP) {
      int i = ytree_map_find(cur, seg);
      if (i < 0) {
        ynode *k = ytree_new(YT_SCALAR, origin, 0, 0);
        k->str = mlps_xstrdup(seg);
        map_append(cur, k, next ? ytree_new(YT_MAP, origin, 0, 0) : NULL);
        i = cur->n - 1;
      }
      slot = &cur->items[i];
    } else if (cur->kind == YT_SEQ && is_index(seg, &idx)) {
      if (idx > cur->n) {
        char msg[700];
        snprintf(msg, sizeof msg, "index %ld is past the end of a list of %d; use 0..%d", idx,
                 cur->n, cur->n);
        if (err) err(ctx, origin, 0, 0, done_path, msg);
        rc = 1;
        break;
      }
      if (idx == cur->n) seq_append(cur, next ? ytree_new(YT_MAP, origin, 0, 0) : NULL);
      slot = &cur->items[idx];
    } else {
      char msg[800];
      snprintf(msg, sizeof msg,
               "is %s here, not a mapping, so it has no key '%s'; set %s itself instead",
               cur->kind == YT_SEQ ? "a list" : "a single value", seg,
               done_path[0] ? done_path : "a top-level key");
      if (err) err(ctx, origin, 0, 0, done_path, msg);
      rc = 1;
      break;
    }
    size_t dl = strlen(done_path);
    snprintf(done_path + dl, sizeof done_path - dl, "%s%s", dl ? "." : "", seg);
    if (!next) {
      ytree_node_free(*slot);
      *slot = val;
      val = NULL;
      break;
    }
    cur = *slot;
    seg = next;
  }
  ytree_node_free(val);
  free(key);
  return rc;
}

/* ---- diff ---- */

static int same(const ynode *a, const ynode *b) {
  if (!a || !b) return a == b;
  if (a->kind != b->kind || a->n != b->n) return 0;
  if (a->kind == YT_SCALAR) return strcmp(a->str, b->str) == 0;
  for (int i = 0; i < a->n; i++) {
    if (a->kind == YT_MAP) {
      const ynode *bv = ytree_map_get(b, a->keys[i]->str);
      if (!bv || !same(a->items[i], bv)) return 0;
    } else if (!same(a->items[i], b->items[i])) {
      return 0;
    }
  }
  return 1;
}

static int diff_rec(const ynode *a, const ynode *b, char *path, size_t cap,
                    void (*out)(void *, const char *), void *ctx) {
  if (same(a, b)) return 0;
  if (!a || !b || a->kind != YT_MAP || b->kind != YT_MAP) {
    out(ctx, path[0] ? path : "(whole config)");
    return 1;
  }
  int nd = 0;
  size_t len = strlen(path);
  for (int pass = 0; pass < 2; pass++) {
    const ynode *x = pass ? b : a, *y = pass ? a : b;
    for (int i = 0; i < x->n; i++) {
      const ynode *yv = ytree_map_get(y, x->keys[i]->str);
      if (pass && yv) continue; /* keys in both were handled in pass 0 */
      snprintf(path + len, cap - len, "%s%s", len ? "." : "", x->keys[i]->str);
      nd += pass ? diff_rec(NULL, x->items[i], path, cap, out, ctx)
                 : diff_rec(x->items[i], yv, path, cap, out, ctx);
      path[len] = '\0';
    }
  }
  return nd;
}

int ytree_diff(const ynode *a, const ynode *b, void (*out)(void *ctx, const char *path),
               void *ctx) {
  char path[1024] = "";
  return diff_rec(a, b, path, sizeof path, out, ctx);
}
