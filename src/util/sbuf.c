/* Growable string buffer (see sbuf.h). */
#include "util/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for n more bytes and the NUL; doubling keeps appends
 * amortised O(1) (a journal line is built from dozens of small puts). */
static void reserve(sbuf *b, size_t n) {
  if (b->len + n + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n + 1) cap *= 2;
  b->s = mlps_xrealloc(b->s, cap);
  b->cap = cap;
}

void sbuf_put(sbuf *b, const char *s, size_t n) {
  reserve(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sbuf_puts(sbuf *b, const char *s) { sbuf_put(b, s, strlen(s)); }

void sbuf_printf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void sbuf_reset(sbuf *b) {
  b->len = 0;
  if (b->s) b->s[0] = '\0';
}

void sbuf_free(sbuf *b) {
  free(b->s);
  memset(b, 0, sizeof *b);
}
