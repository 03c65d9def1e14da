/* Error text helpers and allocation that aborts on failure. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mlps_errorf(mlps_err *e, int code, const char *fmt, ...) {
  if (e) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
  }
  return code;
}

int mlps_err_prefix(mlps_err *e, const char *fmt, ...) {
  if (!e) return MLPS_ERUNTIME;
  char prefix[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Shift the old text right and put "prefix: " in front, truncating the
   * tail if the whole would not fit. */
  size_t lp = strlen(prefix), lo = strlen(e->msg);
  if (lp + 2 >= sizeof e->msg) lp = sizeof e->msg - 3;
  if (lp + 2 + lo >= sizeof e->msg) lo = sizeof e->msg - 1 - lp - 2;
  memmove(e->msg + lp + 2, e->msg, lo);
  memcpy(e->msg, prefix, lp);
  e->msg[lp] = ':';
  e->msg[lp + 1] = ' ';
  e->msg[lp + 2 + lo] = '\0';
  return e->code;
}

void mlps_err_clear(mlps_err *e) {
  if (e) {
    e->code = MLPS_OK;
    e->msg[0] = '\0';
  }
}

static void oom(size_t n, const char *file, int line) {
  fprintf(stderr, "mlpsweep: out of memory allocating %zu bytes at %s:%d\n", n, file, line);
  abort();
}

void *mlps_xmalloc_at(size_t n, const char *file, int line) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n, file, line);
  return p;
}

void *mlps_xcalloc_at(size_t count, size_t size, const char *file, int line) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) oom(count * size, file, line);
  return p;
}

void *mlps_xrealloc_at(void *p, size_t n, const char *file, int line) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom(n, file, line);
  return q;
}

char *mlps_xstrdup_at(const char *s, const char *file, int line) {
  size_t n = strlen(s) + 1;
  char *p = mlps_xmalloc_at(n, file, line);
  memcpy(p, s, n);
  return p;
}
