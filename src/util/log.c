/* log_msg and its switch (see log.h). */
#include "util/log.h"

#include <stdarg.h>

static FILE *g_log = NULL;
static int g_verbosity = LOG_INFO;

void log_set(FILE *f, int verbosity) {
  g_log = f;
  g_verbosity = verbosity;
}

int log_verbosity(void) { return g_verbosity; }

FILE *log_stream(void) { return g_log ? g_log : stderr; }

void log_msg(int level, const char *fmt, ...) {
  if (level > g_verbosity) return;
  FILE *f = log_stream();
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fflush(f);
}
