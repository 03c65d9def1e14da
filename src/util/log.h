/* Messages of library code for the terminal, behind one switch that only
 * cli/ sets: library code says what happened and how important it is; the
 * command decides (-q, -v) what reaches the user and where. */
#ifndef MLPS_LOG_H
#define MLPS_LOG_H

#include <stdio.h>

#include "util/err.h"

/* Levels: 0 always (warnings, stops, errors the caller does not return),
 * 1 normal progress and results (hidden by -q), 2 verbose (-v). */
enum { LOG_ALWAYS = 0, LOG_INFO = 1, LOG_VERBOSE = 2 };

/* Where messages go (NULL: stderr) and the highest level shown (default 1). */
void log_set(FILE *f, int verbosity);
int log_verbosity(void);
FILE *log_stream(void);

/* One line (a newline is added) when level <= the verbosity. */
void log_msg(int level, const char *fmt, ...) MLPS_PRINTF(2, 3);

#endif
