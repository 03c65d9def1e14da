/* sweep_synth: runs the sweep machinery on synthetic tasks (no training),
 * for the sweep tests and the scheduler-throughput benchmark.
 *
 *   mpiexec -n N sweep_synth --out DIR [--trials 20] [--folds 3] [--cost-ms 0]
 *       [--epochs 0] [--seed 1] [--resume] [--kill-after N] [--term-after N]
 *       [--fail-every N] [--diverge-every N] [--generation G] [--config TEXT]
 *       [--pid-file PATH] [--no-fsync] [--quiet|--verbose] [--interval S]
 *       [--cpu-max PCT]
 *
 * --kill-after N: rank 0 raises SIGKILL on itself once N tasks of this run
 *   are in the journal (a crash at a random-ish point).
 * --term-after N: rank 0 raises SIGTERM on itself likewise (a walltime stop).
 * --cpu-max PCT: exit 1 when the coordinator's CPU time exceeds PCT% of the
 *   sweep's wall time (only meaningful with np > 1).
 * Prints one line "synth: key=value ..." with the figures on rank 0 and
 * exits with sweep_run's code (0 done, 3 stopped, 1/2 errors). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_test.h"
#include "sweep/sweep.h"
#include "sweep/synth.h"

typedef struct {
  long kill_after, term_after;
  long seen;
} hook_state;

static int on_done(void *user, const task_result *r, const double *x, const epoch_report *curve,
                   int n_curve, int replayed, mlps_err *err) {
  (void)r, (void)err;
  (void)x;
  (void)curve;
  (void)n_curve;
  hook_state *h = user;
  if (replayed) return 0; /* counts this run's tasks only */
  h->seen++;
  if (h->kill_after > 0 && h->seen == h->kill_after) raise(SIGKILL);
  if (h->term_after > 0 && h->seen == h->term_after) raise(SIGTERM);
  return 0;
}

static int usage(const char *m) {
  fprintf(stderr, "sweep_synth: %s\n", m);
  return 2;
}

int main(int argc, char **argv) {
  mpi_test_init(&argc, &argv);
  const int rank = mt_rank, size = mt_size;

  static search_space space;
  synth_space(&space);
  synth_opts so = {.seed = 1};
  sweep_opts o;
  sweep_opts_init(&o);
  o.n_folds = 3;
  o.max_trials = 20;
  o.space = &space;
  hook_state hs = {0, 0, 0};
  const char *pid_file = NULL;
  double cpu_max = 0;
  const char *config = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEXT()                                            \
  do {                                                    \
    if (!v) return mpi_test_exit(usage("missing value")); \
    i++;                                                  \
  } while (0)
    if (!strcmp(a, "--out")) {
      NEXT();
      o.out_dir = v;
    } else if (!strcmp(a, "--trials")) {
      NEXT();
      o.max_trials = atoi(v);
    } else if (!strcmp(a, "--folds")) {
      NEXT();
      o.n_folds = atoi(v);
    } else if (!strcmp(a, "--cost-ms")) {
      NEXT();
      so.cost_ms = atof(v);
    } else if (!strcmp(a, "--epochs")) {
      NEXT();
      so.epochs = atoi(v);
    } else if (!strcmp(a, "--seed")) {
      NEXT();
      so.seed = strtoull(v, NULL, 10);
    } else if (!strcmp(a, "--resume")) o.resume = 1;
    else if (!strcmp(a, "--kill-after")) {
      NEXT();
      hs.kill_after = atol(v);
    } else if (!strcmp(a, "--term-after")) {
      NEXT();
      hs.term_after = atol(v);
    } else if (!strcmp(a, "--fail-every")) {
      NEXT();
      so.fail_every = atoi(v);
    } else if (!strcmp(a, "--diverge-every")) {
      NEXT();
      so.diverge_every = atoi(v);
    } else if (!strcmp(a, "--generation")) {
      NEXT();
      so.generation = atoi(v);
    } else if (!strcmp(a, "--config")) {
      NEXT();
      config = v;
    } else if (!strcmp(a, "--pid-file")) {
      NEXT();
      pid_file = v;
    } else if (!strcmp(a, "--no-fsync")) o.no_fsync = 1;
    else if (!strcmp(a, "--quiet")) o.verbosity = 0;
    else if (!strcmp(a, "--verbose")) o.verbosity = 2;
    else if (!strcmp(a, "--interval")) {
      NEXT();
      o.progress_interval = atof(v);
    } else if (!strcmp(a, "--cpu-max")) {
      NEXT();
      cpu_max = atof(v);
    } else
      return mpi_test_exit(usage("unknown option (see the comment at the top of sweep_synth.c)"));
  }
  if (!o.out_dir) return mpi_test_exit(usage("--out DIR is required"));
  /* The "resolved config" the journal records: the synthetic settings that
   * change results, so a resume with other settings is refused. */
  char cfg[512];
  if (!config) {
    snprintf(cfg, sizeof cfg,
             "synthetic:\n  seed: %llu\n  folds: %d\n  trials: %d\n  fail_every: %d\n"
             "  diverge_every: %d\n  generation: %d\n  epochs: %d\n",
             (unsigned long long)so.seed, o.n_folds, o.max_trials, so.fail_every, so.diverge_every,
             so.generation, so.epochs);
    config = cfg;
  }
  o.config_text = config;
  o.seed = so.seed;
  o.task = synth_task;
  o.task_user = &so;
  synth_propose_user pu = {&so, &space};
  o.propose = synth_propose;
  o.propose_user = &pu;
  o.task_done = on_done;
  o.task_done_user = &hs;
  if (rank == 0 && pid_file) {
    FILE *f = fopen(pid_file, "w");
    if (f) {
      fprintf(f, "%ld\n", (long)getpid());
      fclose(f);
    }
  }

  mlps_err err;
  sweep_result *res = NULL;
  int rc = sweep_run(&o, &res, &err);
  if (rank == 0) {
    if (rc && rc != SWEEP_EXIT_STOPPED) fprintf(stderr, "sweep_synth: error: %s\n", err.msg);
    if (res) {
      const sweep_stats *s = &res->stats;
      double cpu_pct = s->wall_seconds > 0 ? 100 * s->coord_cpu_seconds / s->wall_seconds : 0;
      long n_curve = 0;
      for (int i = 0; i < res->n_trials; i++)
        if (res->trials[i].n_curve)
          for (int f = 0; f < res->n_folds; f++) n_curve += res->trials[i].n_curve[f];
      printf(
          "synth: np=%d tasks_run=%d resumed=%d redone=%d trials_ok=%d trials_failed=%d "
          "best_trial=%d best=%.17g wall_s=%.3f coord_cpu_s=%.3f coord_cpu_pct=%.2f "
          "tasks_per_s=%.0f messages=%ld epoch_reports=%ld torn=%d\n",
          size, s->n_tasks_run, s->n_tasks_resumed, s->n_tasks_redone, s->n_trials_ok,
          s->n_trials_failed, s->best_trial, s->best_metric, s->wall_seconds, s->coord_cpu_seconds,
          cpu_pct, s->tasks_per_second, s->n_messages, n_curve, s->dropped_torn_line);
      fflush(stdout);
      if (cpu_max > 0 && cpu_pct > cpu_max) {
        fprintf(stderr, "sweep_synth: coordinator CPU %.2f%% of wall exceeds --cpu-max %.2f%%\n",
                cpu_pct, cpu_max);
        if (!rc) rc = 1;
      }
      sweep_result_free(res);
    }
  }
  return mpi_test_exit(rc);
}
