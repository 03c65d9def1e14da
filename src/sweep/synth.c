/* Synthetic tasks and sampler for tests and the scheduler benchmark.
 * See synth.h. */
#define _POSIX_C_SOURCE 200809L
#include "sweep/synth.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/rng.h"

/* rng_derive purposes of the synthetic streams. */
#define SYNTH_PURPOSE_METRIC 'M' /* a task's metric noise, from (seed, trial, fold) */
#define SYNTH_PURPOSE_POINT 'P'  /* a trial's point, from (seed, trial) */

static void add_num(search_space *s, const char *name, space_dist d, int is_int, double lo,
                    double hi) {
  space_param *p = &s->p[s->n++];
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->dist = d;
  p->is_int = is_int;
  p->min = lo;
  p->max = hi;
}

static space_param *add_cat(search_space *s, const char *name) {
  space_param *p = &s->p[s->n++];
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->dist = DIST_CATEGORICAL;
  return p;
}

void synth_space(search_space *s) {
  memset(s, 0, sizeof *s);
  add_num(s, "x0", DIST_UNIFORM, 0, -5, 10);
  add_num(s, "x1", DIST_UNIFORM, 0, 0, 15);
  add_num(s, "layers", DIST_INT_UNIFORM, 1, 1, 4);
  space_param *a = add_cat(s, "activation");
  const char *acts[] = {"relu", "tanh", "gelu"};
  for (int i = 0; i < 3; i++) {
    a->values[i].type = VAL_STRING;
    snprintf(a->values[i].s, sizeof a->values[i].s, "%s", acts[i]);
  }
  a->n_values = 3;
  space_param *b = add_cat(s, "batch");
  for (int i = 0; i < 3; i++) {
    b->values[i].type = VAL_INT;
    b->values[i].i = 32L << i;
    b->values[i].f = (double)(32L << i);
  }
  b->n_values = 3;
  add_num(s, "lr", DIST_LOG_UNIFORM_VALUES, 0, 1e-4, 1e-1);
}

double synth_metric(const synth_opts *so, const search_space *s, const double *x, int trial,
                    int fold) {
  (void)s;
  /* Branin on (x0, x1), scaled by mild effects of the other parameters. */
  const double pi = 3.14159265358979323846;
  double a = 1, b = 5.1 / (4 * pi * pi), c = 5 / pi, r = 6, t = 1 / (8 * pi), ss = 10;
  double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
  double f = a * u * u + ss * (1 - t) * cos(x[0]) + ss;
  f *= 1 + 0.05 * (x[2] - 1) + 0.02 * x[3];
  mlps_rng g;
  rng_seed(&g, rng_derive(so->seed, (uint64_t)trial, (uint64_t)fold, SYNTH_PURPOSE_METRIC));
  return f * (1 + 0.05 * rng_uniform(&g));
}

static void nap_ms(double ms) {
  if (ms <= 0) return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(fmod(ms, 1000) * 1e6)};
  while (nanosleep(&ts, &ts) != 0 && !sweep_stop_requested()) {
  }
}

int synth_task(void *user, const sweep_task *t, sweep_ctx *ctx, task_result *r) {
  const synth_opts *so = user;
  int k = t->trial;
  int bad_fold = t->fold == 0;
  if (so->diverge_every > 0 && k % so->diverge_every == so->diverge_every - 1 && bad_fold) {
    r->status = TASK_DIVERGED;
    snprintf(r->reason, sizeof r->reason, "loss became NaN at epoch 3 (lr too large?)");
    r->epochs = 3;
    return 0;
  }
  if (so->fail_every > 0 && k % so->fail_every == so->fail_every - 1 && bad_fold) {
    r->status = TASK_FAILED;
    snprintf(r->reason, sizeof r->reason, "synthetic failure: \"quoted\" text\tand a tab");
    return 0;
  }
  double m = synth_metric(so, NULL, t->x, t->trial, t->fold);
  int n_ep = so->epochs;
  if (n_ep > 0) {
    for (int e = 0; e < n_ep; e++) {
      if (sweep_stop_requested()) {
        r->status = TASK_STOPPED;
        return 0;
      }
      nap_ms(so->cost_ms / n_ep);
      double v = m * (1 + 4.0 / (e + 1));
      sweep_report_epoch(ctx, e, v, 0.9 * v, 1e-3);
    }
  } else {
    /* Sleep in slices so a stop is noticed within a few milliseconds. */
    double left = so->cost_ms;
    while (left > 0) {
      if (sweep_stop_requested()) {
        r->status = TASK_STOPPED;
        return 0;
      }
      double d = left > 5 ? 5 : left;
      nap_ms(d);
      left -= d;
    }
  }
  r->status = TASK_OK;
  r->metrics[METRIC_VAL_MSE] = m;
  r->metrics[METRIC_VAL_MAE] = sqrt(m);
  r->metrics[METRIC_VAL_MEDIAN_FRAC_ERR] = NAN;
  r->epochs = n_ep > 0 ? n_ep : 1;
  r->best_epoch = r->epochs - 1 - (t->trial + t->fold) % (r->epochs > 2 ? 2 : 1);
  return 0;
}

propose_status synth_propose(void *user, int trial, const sweep_history *h, double *x,
                             mlps_err *err) {
  (void)err;
  const synth_propose_user *u = user;
  int g = u->so->generation;
  if (g > 0) {
    int first = trial / g * g; /* all trials before this generation must be finished */
    for (int i = 0; i < first && i < h->n; i++)
      if (h->trials[i].state == TRIAL_PENDING || h->trials[i].state == TRIAL_UNSEEN)
        return PROPOSE_WAIT;
  }
  mlps_rng r;
  rng_seed(&r, rng_derive(u->so->seed, (uint64_t)trial, 0, SYNTH_PURPOSE_POINT));
  const search_space *s = u->space;
  for (int i = 0; i < s->n; i++) {
    const space_param *p = &s->p[i];
    double v = rng_uniform(&r);
    switch (p->dist) {
      case DIST_CONSTANT: x[i] = 0; break;
      case DIST_CATEGORICAL: x[i] = (double)rng_below(&r, (uint64_t)p->n_values); break;
      case DIST_INT_UNIFORM: x[i] = p->min + floor(v * (p->max - p->min + 1)); break;
      case DIST_LOG_UNIFORM_VALUES:
      case DIST_Q_LOG_UNIFORM_VALUES:
        x[i] = exp(log(p->min) + v * (log(p->max) - log(p->min)));
        break;
      default: x[i] = p->min + v * (p->max - p->min); break;
    }
  }
  return PROPOSE_OK;
}
