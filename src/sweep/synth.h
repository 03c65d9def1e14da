/* Synthetic tasks and samplers for testing and benchmarking the sweep
 * machinery without training anything: a task sleeps a given time (or not
 * at all), optionally streams fake epochs, and returns a deterministic fake
 * metric (a Branin-like function of the point plus per-fold noise from
 * (seed, trial, fold)), so results are reproducible whatever rank ran it.
 * Some trials can be made to fail or diverge on purpose. */
#ifndef MLPS_SYNTH_H
#define MLPS_SYNTH_H

#include "search/space.h"
#include "sweep/sweep.h"

typedef struct {
  uint64_t seed;
  double cost_ms;    /* wall time per task (slept, not computed) */
  int epochs;        /* fake epochs reported per task (0: none) */
  int fail_every;    /* every n-th trial has a failed fold (0: never) */
  int diverge_every; /* every n-th trial has a diverged fold (0: never) */
  int generation;    /* synth_propose: trials come in generations of this
                        size; a generation is proposed only when the
                        previous one has finished (0: no generations) */
} synth_opts;

/* A small mixed space: x0 uniform [-5, 10], x1 uniform [0, 15], layers
 * int_uniform [1, 4], activation {relu, tanh, gelu}, batch {32, 64, 128},
 * lr log_uniform [1e-4, 1e-1]. */
void synth_space(search_space *s);
/* The deterministic fake metric of trial/fold at point x. */
double synth_metric(const synth_opts *so, const search_space *s, const double *x, int trial,
                    int fold);
/* sweep_task_fn; user = synth_opts*. */
int synth_task(void *user, const sweep_task *t, sweep_ctx *ctx, task_result *r);

/* sweep_propose_fn; user = synth_propose_user. Uniform random point from
 * rng_derive(seed, trial, 0, 'P'), so trial k's point depends only on the
 * seed and k; with generation > 0 answers PROPOSE_WAIT until the previous
 * generation has finished (the shape of TPE's batch mode). */
typedef struct {
  const synth_opts *so;
  const search_space *space;
} synth_propose_user;
propose_status synth_propose(void *user, int trial, const sweep_history *h, double *x,
                             mlps_err *err);

#endif
