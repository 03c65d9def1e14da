/* JSON writer (escaping; the text is a util/sbuf, doubles are util/fmt's)
 * and a small recursive-descent reader for journal lines. See json.h. */
#include "sweep/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* ---- writer ---------------------------------------------------------- */

static void put(json_writer *w, const char *s, size_t n) { sbuf_put(&w->text, s, n); }

void json_init(json_writer *w) {
  memset(w, 0, sizeof *w);
  w->first[0] = 1;
}

void json_free(json_writer *w) {
  sbuf_free(&w->text);
  memset(w, 0, sizeof *w);
}

void json_reset(json_writer *w) {
  sbuf_reset(&w->text);
  w->depth = 0;
  w->first[0] = 1;
  w->after_key = 0;
}

/* Separator before a value or key at the current level. */
static void sep(json_writer *w) {
  if (w->after_key) {
    w->after_key = 0;
    return;
  }
  if (!w->first[w->depth]) put(w, ",", 1);
  w->first[w->depth] = 0;
}

static void open_(json_writer *w, char c) {
  sep(w);
  put(w, &c, 1);
  if (w->depth + 1 < JSON_MAX_DEPTH) w->depth++;
  w->first[w->depth] = 1;
}

static void close_(json_writer *w, char c) {
  if (w->depth > 0) w->depth--;
  put(w, &c, 1);
}

void json_obj_begin(json_writer *w) { open_(w, '{'); }
void json_obj_end(json_writer *w) { close_(w, '}'); }
void json_arr_begin(json_writer *w) { open_(w, '['); }
void json_arr_end(json_writer *w) { close_(w, ']'); }

void json_escape(json_writer *w, const char *s) {
  static const char hex[] = "0123456789abcdef";
  put(w, "\"", 1);
  const unsigned char *p = (const unsigned char *)s;
  const unsigned char *run = p; /* bytes copied verbatim in one put */
  for (; *p; p++) {
    const char *esc = NULL;
    char u[7];
    switch (*p) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default:
        if (*p < 0x20 || *p == 0x7f) {
          u[0] = '\\';
          u[1] = 'u';
          u[2] = '0';
          u[3] = '0';
          u[4] = hex[*p >> 4];
          u[5] = hex[*p & 15];
          u[6] = '\0';
          esc = u;
        }
    }
    if (esc) {
      put(w, (const char *)run, (size_t)(p - run));
      put(w, esc, strlen(esc));
      run = p + 1;
    }
  }
  put(w, (const char *)run, (size_t)(p - run));
  put(w, "\"", 1);
}

void json_key(json_writer *w, const char *key) {
  sep(w);
  json_escape(w, key);
  put(w, ":", 1);
  w->after_key = 1;
}

void json_str(json_writer *w, const char *s) {
  sep(w);
  json_escape(w, s ? s : "");
}

void json_num(json_writer *w, double v) {
  sep(w);
  if (!isfinite(v)) {
    put(w, "null", 4);
    return;
  }
  char b[FMT_DOUBLE_SIZE];
  sbuf_puts(&w->text, fmt_double(b, v));
}

void json_int(json_writer *w, long long v) {
  sep(w);
  char b[32];
  int n = snprintf(b, sizeof b, "%lld", v);
  put(w, b, (size_t)n);
}

void json_bool(json_writer *w, int v) {
  sep(w);
  put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_raw(json_writer *w, const char *s) { put(w, s, strlen(s)); }

/* ---- reader ---------------------------------------------------------- */

/* Bump allocator in chunks: every node and string of a parse lives here. */
typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  _Alignas(16) unsigned char mem[];
} chunk;

struct json_doc {
  chunk *chunks;
  json_value root;
};

static void *arena_alloc(json_doc *d, size_t n) {
  n = (n + 15) & ~(size_t)15;
  chunk *c = d->chunks;
  if (!c || c->used + n > c->cap) {
    size_t cap = n > 4096 ? n : 4096;
    c = mlps_xmalloc(sizeof(chunk) + cap);
    c->cap = cap;
    c->used = 0;
    c->next = d->chunks;
    d->chunks = c;
  }
  void *p = c->mem + c->used;
  c->used += n;
  return p;
}

typedef struct {
  const char *s, *end, *start;
  json_doc *d;
  char *err;
  size_t errsize;
  int failed;
  int depth;
} parser;

static int fail(parser *p, const char *what) {
  if (!p->failed && p->err)
    snprintf(p->err, p->errsize, "column %ld: %s", (long)(p->s - p->start) + 1, what);
  p->failed = 1;
  return -1;
}

static void ws(parser *p) {
  while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static int hex4(parser *p, unsigned *out) {
  if (p->end - p->s < 4) return fail(p, "truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p->s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return fail(p, "bad hex digit in \\u escape");
  }
  p->s += 4;
  *out = v;
  return 0;
}

static char *utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xc0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xe0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
    *o++ = (char)(0x80 | (cp & 0x3f));
  } else {
    *o++ = (char)(0xf0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
    *o++ = (char)(0x80 | (cp & 0x3f));
  }
  return o;
}

/* At the opening quote; the unescaped string is never longer than the
 * escaped one, so one allocation of the raw length suffices. */
static int parse_string(parser *p, char **out) {
  p->s++; /* '"' */
  const char *q = p->s;
  while (q < p->end && *q != '"') q += (*q == '\\' && q + 1 < p->end) ? 2 : 1;
  if (q >= p->end) return fail(p, "unterminated string");
  char *o = arena_alloc(p->d, (size_t)(q - p->s) + 1), *o0 = o;
  while (p->s < q) {
    unsigned char c = (unsigned char)*p->s++;
    if (c < 0x20) return fail(p, "control character in string");
    if (c != '\\') {
      *o++ = (char)c;
      continue;
    }
    char e = *p->s++;
    switch (e) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '/': *o++ = '/'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u': {
        unsigned cp;
        if (hex4(p, &cp)) return -1;
        if (cp >= 0xd800 && cp < 0xdc00) { /* surrogate pair */
          unsigned lo;
          if (p->end - p->s < 6 || p->s[0] != '\\' || p->s[1] != 'u')
            return fail(p, "unpaired surrogate in \\u escape");
          p->s += 2;
          if (hex4(p, &lo)) return -1;
          if (lo < 0xdc00 || lo > 0xdfff) return fail(p, "bad low surrogate");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          return fail(p, "unpaired surrogate in \\u escape");
        }
        if (cp == 0) return fail(p, "\\u0000 not supported");
        o = utf8(o, cp);
        break;
      }
      default: return fail(p, "bad escape in string");
    }
  }
  *o = '\0';
  p->s = q + 1;
  *out = o0;
  return 0;
}

static int parse_value(parser *p, json_value *v);

/* Elements are parsed into a temporary growable array, then copied into
 * the arena at their final size. */
static int parse_container(parser *p, json_value *v, int is_obj) {
  char close = is_obj ? '}' : ']';
  if (++p->depth > 64) return fail(p, "nesting too deep");
  p->s++;
  size_t n = 0, cap = 0;
  json_value *items = NULL;
  char **keys = NULL;
  ws(p);
  if (p->s < p->end && *p->s == close) {
    p->s++;
  } else {
    for (;;) {
      if (n == cap) {
        cap = cap ? 2 * cap : 8;
        items = mlps_xrealloc(items, cap * sizeof *items);
        if (is_obj) keys = mlps_xrealloc(keys, cap * sizeof *keys);
      }
      ws(p);
      if (is_obj) {
        if (p->s >= p->end || *p->s != '"') {
          fail(p, "expected a key string");
          break;
        }
        if (parse_string(p, &keys[n])) break;
        ws(p);
        if (p->s >= p->end || *p->s != ':') {
          fail(p, "expected ':'");
          break;
        }
        p->s++;
      }
      if (parse_value(p, &items[n])) break;
      n++;
      ws(p);
      if (p->s < p->end && *p->s == ',') {
        p->s++;
        continue;
      }
      if (p->s < p->end && *p->s == close) {
        p->s++;
        break;
      }
      fail(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
      break;
    }
  }
  if (!p->failed) {
    v->type = is_obj ? JSON_OBJ : JSON_ARR;
    v->n = n;
    v->items = arena_alloc(p->d, (n ? n : 1) * sizeof *items);
    if (n) memcpy(v->items, items, n * sizeof *items);
    if (is_obj) {
      v->keys = arena_alloc(p->d, (n ? n : 1) * sizeof *keys);
      if (n) memcpy(v->keys, keys, n * sizeof *keys);
    }
  }
  free(items);
  free(keys);
  p->depth--;
  return p->failed ? -1 : 0;
}

static int lit(parser *p, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0) return fail(p, "unexpected token");
  p->s += n;
  return 0;
}

static int parse_number(parser *p, json_value *v) {
  /* Validate the JSON number grammar, then convert with strtod on a copy
   * (the input need not be NUL-terminated). */
  const char *q = p->s;
  if (q < p->end && *q == '-') q++;
  if (q >= p->end || *q < '0' || *q > '9') return fail(p, "bad number");
  if (*q == '0') q++;
  else
    while (q < p->end && *q >= '0' && *q <= '9') q++;
  if (q < p->end && *q == '.') {
    q++;
    if (q >= p->end || *q < '0' || *q > '9') return fail(p, "bad number");
    while (q < p->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < p->end && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < p->end && (*q == '+' || *q == '-')) q++;
    if (q >= p->end || *q < '0' || *q > '9') return fail(p, "bad number");
    while (q < p->end && *q >= '0' && *q <= '9') q++;
  }
  char buf[64];
  size_t n = (size_t)(q - p->s);
  if (n >= sizeof buf) return fail(p, "number too long");
  memcpy(buf, p->s, n);
  buf[n] = '\0';
  v->type = JSON_NUM;
  v->num = strtod(buf, NULL);
  p->s = q;
  return 0;
}

static int parse_value(parser *p, json_value *v) {
  memset(v, 0, sizeof *v);
  ws(p);
  if (p->s >= p->end) return fail(p, "unexpected end of text");
  switch (*p->s) {
    case '{': return parse_container(p, v, 1);
    case '[': return parse_container(p, v, 0);
    case '"': v->type = JSON_STR; return parse_string(p, &v->str);
    case 't':
      v->type = JSON_BOOL;
      v->num = 1;
      return lit(p, "true");
    case 'f':
      v->type = JSON_BOOL;
      v->num = 0;
      return lit(p, "false");
    case 'n': v->type = JSON_NULL; return lit(p, "null");
    default: return parse_number(p, v);
  }
}

json_doc *json_parse(const char *text, size_t len, char *err, size_t errsize) {
  json_doc *d = mlps_xcalloc(1, sizeof *d);
  parser p = {text, text + len, text, d, err, errsize, 0, 0};
  if (err && errsize) err[0] = '\0';
  if (parse_value(&p, &d->root) == 0) {
    ws(&p);
    if (p.s != p.end) fail(&p, "trailing characters after the JSON value");
  }
  if (p.failed) {
    json_doc_free(d);
    return NULL;
  }
  return d;
}

const json_value *json_root(const json_doc *d) { return &d->root; }

void json_doc_free(json_doc *d) {
  if (!d) return;
  for (chunk *c = d->chunks, *n; c; c = n) {
    n = c->next;
    free(c);
  }
  free(d);
}

const json_value *json_get(const json_value *o, const char *key) {
  if (!o || o->type != JSON_OBJ) return NULL;
  for (size_t i = 0; i < o->n; i++)
    if (strcmp(o->keys[i], key) == 0) return &o->items[i];
  return NULL;
}

int json_get_num(const json_value *o, const char *key, double *out) {
  const json_value *v = json_get(o, key);
  if (v && v->type == JSON_NUM) {
    *out = v->num;
    return 1;
  }
  if (v && v->type == JSON_NULL) {
    *out = NAN;
    return 1;
  }
  return 0;
}

const char *json_get_str(const json_value *o, const char *key) {
  const json_value *v = json_get(o, key);
  return v && v->type == JSON_STR ? v->str : NULL;
}
