/* Cost of one proposal: sampler_suggest with a history of N finished trials
 * (default 1,000; 5% failed) and 8 pending ones, over an 8-parameter
 * hyperparameter space (layers, width, lr, batch, activation, optimizer,
 * dropout, weight decay). Prints one JSON object with the time per suggest
 * for each sampler and TPE mode. Not a test: run it by hand,
 *
 *   build/tests/search/bench_sampler [--history N] [--reps R] [--only NAME]
 *
 * Times are wall-clock (CLOCK_MONOTONIC) per ask over R consecutive asks
 * of distinct trial ids, after one warm-up ask (mean, median, max), and the
 * process CPU time per ask (cpu_mean_ms). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "search/sampler.h"
#include "search_test_util.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of this process: less sensitive than wall time to other jobs
 * sharing the cores. */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void hp_space(search_space *s) {
  memset(s, 0, sizeof *s);
  sp_num(s, "layers", DIST_INT_UNIFORM, 1, 20, 0, 1);
  sp_num(s, "width", DIST_LOG_UNIFORM_VALUES, 16, 2048, 0, 1);
  sp_num(s, "lr", DIST_LOG_UNIFORM_VALUES, 1e-5, 1e-2, 0, 0);
  sp_cat(s, "batch", 8); /* 16 .. 2048 */
  sp_cat(s, "activation", 8);
  sp_cat(s, "optimizer", 2);
  sp_num(s, "dropout", DIST_UNIFORM, 0, 0.5, 0, 0);
  sp_num(s, "weight_decay", DIST_LOG_UNIFORM_VALUES, 1e-6, 1e-2, 0, 0);
}

static double objective_hp(const double *x) {
  double l = (x[0] - 4) / 5, w = log2(x[1] / 256) / 3, lr = log10(x[2] / 1e-3), b = (x[3] - 3) / 3,
         a = x[4] == 2 ? 0 : 0.3, o = x[5] == 0 ? 0 : 0.2, d = (x[6] - 0.1) / 0.3,
         wd = log10(x[7] / 1e-5) / 2;
  return l * l + w * w + lr * lr + b * b + a + o + d * d + wd * wd;
}

typedef struct {
  const char *name;
  sampler_method m;
  int multivariate, batch, liar;
} bench_case;

int main(int argc, char **argv) {
  int nh = 1000, reps = 200;
  const char *only = NULL;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--only")) only = argv[++i];
    else if (!strcmp(argv[i], "--history")) nh = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[++i]);
  }
  if (nh < 1 || reps < 1) {
    fprintf(stderr, "usage: bench_sampler [--history N] [--reps R] [--only NAME]\n");
    return 2;
  }
  search_space sp;
  hp_space(&sp);
  mlps_err err;
  /* History: the points a random search would have tried. */
  sampler *r;
  sampler_options o;
  sampler_options_init(&o);
  o.trials = nh + reps + 16;
  if (sampler_create(&r, SAMPLER_RANDOM, &sp, 7, &o, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const int np = 8;
  sampler_obs *h = calloc((size_t)nh, sizeof *h), pend[8];
  for (int t = 0; t < nh; t++) {
    h[t].trial = t;
    sampler_suggest(r, t, NULL, 0, NULL, 0, h[t].x, &err);
    h[t].status = t % 20 == 7 ? SAMPLER_TRIAL_FAILED : SAMPLER_TRIAL_OK;
    h[t].value = objective_hp(h[t].x);
  }
  for (int i = 0; i < np; i++) {
    pend[i].trial = nh + i;
    pend[i].status = SAMPLER_TRIAL_PENDING;
    sampler_suggest(r, nh + i, NULL, 0, NULL, 0, pend[i].x, &err);
  }
  sampler_free(r);

  static const bench_case cases[] = {
      {"tpe_univariate_liar", SAMPLER_TPE, 0, 0, 1},
      {"tpe_univariate_batch", SAMPLER_TPE, 0, 8, 0},
      {"tpe_multivariate_liar", SAMPLER_TPE, 1, 0, 1},
      {"random", SAMPLER_RANDOM, 0, 0, 0},
      {"lhs", SAMPLER_LHS, 0, 0, 0},
      {"sobol", SAMPLER_SOBOL, 0, 0, 0},
  };
  int nc = (int)(sizeof cases / sizeof cases[0]);
  printf(
      "{\"benchmark\": \"sampler_suggest\", \"params\": %d, \"history\": %d, \"failed\": %d, "
      "\"pending\": %d, "
      "\"reps\": %d, \"results\": [",
      sp.n, nh, (nh + 12) / 20, np, reps);
  double *ts = malloc(sizeof(double) * (size_t)reps);
  int first = 1;
  for (int c = 0; c < nc; c++) {
    if (only && strcmp(only, cases[c].name)) continue;
    sampler_options_init(&o);
    o.trials = nh + reps + 16;
    o.multivariate = cases[c].multivariate;
    o.batch = cases[c].batch;
    o.constant_liar = cases[c].liar;
    o.startup_trials = 10;
    sampler *s;
    if (sampler_create(&s, cases[c].m, &sp, 1, &o, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    double x[SPACE_MAX_PARAMS];
    /* Batch mode: the trials of the last generation whose predecessors
     * are all in the history (they see the first t0 trials). */
    int t0 = nh + np;
    if (cases[c].batch)
      t0 = o.startup_trials + (nh - o.startup_trials) / cases[c].batch * cases[c].batch;
    sampler_suggest(s, t0, h, nh, pend, np, x, &err); /* warm-up */
    double total = 0, cpu0 = cpu_now();
    for (int i = 0; i < reps; i++) {
      int t = cases[c].batch ? t0 + (i % cases[c].batch) : t0 + i;
      double a = now();
      int rc = sampler_suggest(s, t, h, nh, pend, np, x, &err);
      ts[i] = now() - a;
      total += ts[i];
      if (rc) {
        fprintf(stderr, "%s: %s\n", cases[c].name, err.msg);
        return 1;
      }
    }
    double cpu = (cpu_now() - cpu0) / reps;
    double med = median(ts, reps);
    printf(
        "%s\n  {\"sampler\": \"%s\", \"mean_ms\": %.4f, \"median_ms\": %.4f, \"max_ms\": %.4f, "
        "\"cpu_mean_ms\": %.4f}",
        first ? "" : ",", cases[c].name, 1e3 * total / reps, 1e3 * med, 1e3 * ts[reps - 1],
        1e3 * cpu);
    first = 0;
    sampler_free(s);
  }
  printf("\n]}\n");
  free(ts);
  free(h);
  return 0;
}
