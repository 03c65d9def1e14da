/* Progress reporting of the coordinator: on a terminal a live status line
 * redrawn in place (\r); otherwise (batch logs) a plain line every
 * `interval` seconds. Quiet (verbosity 0) prints nothing; verbose (2) adds a
 * line per finished task. */
#ifndef MLPS_PROGRESS_H
#define MLPS_PROGRESS_H

#include <stdio.h>

#include "sweep/trials.h"
#include "util/clock.h"
#include "util/err.h"

typedef struct {
  FILE *f;
  int tty;
  int verbosity;
  double interval;
  double t_start, t_last;
  int line_active;   /* a \r status line is on screen */
  int total_tasks;   /* budget in tasks (max_trials * n_folds) */
  int done_at_start; /* tasks already in the journal when this run began */
  int show_pruned;   /* pruning is on: the line counts pruned trials */
} progress;

void progress_init(progress *p, FILE *f, int verbosity, double interval, int total_tasks,
                   int done_at_start);
/* Redraws (tty, at most 5 times a second) or prints a plain line when the
 * interval has passed; force prints now. */
void progress_update(progress *p, const trial_table *tt, const search_space *s, int tasks_done,
                     int force);
/* Verbose: one line for a finished task. */
void progress_task(progress *p, const task_result *r, search_metric m, const search_space *s,
                   const double *x);
/* A message on its own line (clears the live line first). verbosity 0 still
 * prints messages with level 0. */
void progress_message(progress *p, int level, const char *fmt, ...) MLPS_PRINTF(3, 4);
/* Ends the live line. */
void progress_finish(progress *p);

#endif
