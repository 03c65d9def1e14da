/* Progress line of the coordinator. See progress.h. */
#define _POSIX_C_SOURCE 200809L
#include "sweep/progress.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void progress_init(progress *p, FILE *f, int verbosity, double interval, int total_tasks,
                   int done_at_start) {
  memset(p, 0, sizeof *p);
  p->f = f ? f : stderr;
  p->tty = isatty(fileno(p->f));
  /* Under mpirun with a terminal, Open MPI forwards rank 0's stdout through
   * a pseudo-terminal but its stderr through a pipe: draw the live line (and
   * the messages, to keep their order) on stdout then. */
  if (!f && !p->tty && isatty(STDOUT_FILENO)) {
    p->f = stdout;
    p->tty = 1;
  }
  p->verbosity = verbosity;
  p->interval = interval > 0 ? interval : 10;
  p->t_start = p->t_last = mlps_now();
  p->total_tasks = total_tasks;
  p->done_at_start = done_at_start;
}

static void fmt_duration(char *b, size_t n, double s) {
  if (!isfinite(s) || s < 0) {
    snprintf(b, n, "?");
    return;
  }
  long t = (long)(s + 0.5);
  if (t >= 86400) snprintf(b, n, "%ldd%02ldh", t / 86400, t / 3600 % 24);
  else if (t >= 3600) snprintf(b, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else if (t >= 60) snprintf(b, n, "%ldm%02lds", t / 60, t % 60);
  else snprintf(b, n, "%lds", t);
}

static void clear_line(progress *p) {
  if (p->line_active) {
    fputs("\r\033[K", p->f);
    p->line_active = 0;
  }
}

void progress_update(progress *p, const trial_table *tt, const search_space *s, int tasks_done,
                     int force) {
  if (p->verbosity < 1) return;
  double now = mlps_now();
  if (!force && now - p->t_last < (p->tty ? 0.2 : p->interval)) return;
  p->t_last = now;
  int ok = 0, failed = 0, pruned = 0, skipped = 0;
  for (int i = 0; i < tt->n; i++) {
    ok += tt->t[i].state == TRIAL_OK;
    failed += tt->t[i].state == TRIAL_FAILED;
    pruned += tt->t[i].state == TRIAL_PRUNED;
    /* folds of pruned trials that never ran count as done for the ETA */
    if (tt->t[i].state == TRIAL_PRUNED) skipped += tt->n_folds - tt->t[i].n_finished;
  }
  char npruned[32] = "";
  if (p->show_pruned || pruned) snprintf(npruned, sizeof npruned, ", %d pruned", pruned);
  double el = now - p->t_start;
  int run = tasks_done - p->done_at_start;
  double rate = el > 0 ? run / el : 0; /* tasks/s of this run */
  char eta[32], best[256] = "none yet";
  fmt_duration(eta, sizeof eta, rate > 0 ? (p->total_tasks - tasks_done - skipped) / rate : NAN);
  if (tt->best >= 0) {
    char params[200];
    const sweep_trial *b = &tt->t[tt->best];
    snprintf(best, sizeof best, "%.4g (trial %d: %s)", b->metric_mean, b->id,
             trials_params_line(s, b->x, params, sizeof params));
  }
  char line[640];
  snprintf(line, sizeof line,
           "sweep: tasks %d/%d (%.1f%%) | trials %d ok, %d failed%s | %.1f tasks/min | ETA %s "
           "| best %s %s",
           tasks_done, p->total_tasks,
           p->total_tasks ? 100.0 * (tasks_done + skipped) / p->total_tasks : 0.0, ok, failed,
           npruned, 60 * rate, eta, METRIC_NAMES[tt->metric], best);
  if (p->tty) {
    /* Keep the live line within a typical terminal so \r redraws cleanly
     * (the best trial's parameters come last and are what gets cut). */
    line[150] = '\0';
    fprintf(p->f, "\r\033[K%s", line);
    p->line_active = 1;
  } else {
    fprintf(p->f, "%s\n", line);
  }
  fflush(p->f);
}

void progress_task(progress *p, const task_result *r, search_metric m, const search_space *s,
                   const double *x) {
  if (p->verbosity < 2) return;
  char params[256];
  clear_line(p);
  fprintf(p->f, "sweep: trial %d fold %d %s %s=%.6g epochs %d (best %d) %.2fs rank %d [%s]%s%s\n",
          r->trial, r->fold, TASK_STATUS_NAMES[r->status], METRIC_NAMES[m], r->metrics[m],
          r->epochs, r->best_epoch, r->seconds, r->rank,
          trials_params_line(s, x, params, sizeof params), r->reason[0] ? ": " : "", r->reason);
  fflush(p->f);
}

void progress_message(progress *p, int level, const char *fmt, ...) {
  if (p->verbosity < level) return;
  clear_line(p);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(p->f, fmt, ap);
  va_end(ap);
  fputc('\n', p->f);
  fflush(p->f);
}

void progress_finish(progress *p) {
  if (p->line_active) {
    fputc('\n', p->f);
    p->line_active = 0;
    fflush(p->f);
  }
}
