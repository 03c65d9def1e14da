/* Growable string buffer: the text of a config dump, a JSON line, a
 * summary. Appends cannot fail (allocation aborts with a message, as
 * mlps_xrealloc does), and the text is always NUL-terminated once anything
 * was appended. A zeroed sbuf is empty and ready; s is NULL until the
 * first append. */
#ifndef MLPS_SBUF_H
#define MLPS_SBUF_H

#include <stddef.h>

#include "util/err.h" /* MLPS_PRINTF */

typedef struct {
  char *s;    /* the text, NUL-terminated; owned; NULL while nothing was appended */
  size_t len; /* bytes of text, without the NUL */
  size_t cap; /* bytes allocated */
} sbuf;

/* Appends n bytes of s (which need not be NUL-terminated). */
void sbuf_put(sbuf *b, const char *s, size_t n);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_printf(sbuf *b, const char *fmt, ...) MLPS_PRINTF(2, 3);
/* Empties the text and keeps the allocation (for a buffer reused per line). */
void sbuf_reset(sbuf *b);
void sbuf_free(sbuf *b);

#endif
