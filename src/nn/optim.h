/* Optimizers with PyTorch's update rules and defaults (torch 1.13
 * single-tensor code paths), on a flat parameter vector: one fused loop per
 * step over all parameters, state in one allocation mirroring the params.
 *
 *   sgd:   g = grad + wd*p; buf = g (first step) | momentum*buf + (1-dampening)*g;
 *          g = nesterov ? g + momentum*buf : buf; p -= lr*g
 *   adam:  g = grad + wd*p (L2); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *          p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *   adamw: p *= 1 - lr*wd (decoupled), then adam without L2
 *   radam: torch.optim.RAdam: rho_inf = 2/(1-b2) - 1,
 *          rho_t = rho_inf - 2 t b2^t/(1-b2^t); if rho_t > 5 the update is
 *          rectified and adaptive, else p -= lr * m/(1-b1^t)
 * Arithmetic is float32 per element with step scalars computed in double,
 * as torch does. */
#ifndef MLPS_NN_OPTIM_H
#define MLPS_NN_OPTIM_H

#include <stddef.h>

#include "nn/nn_types.h"
#include "util/err.h"

typedef struct {
  nn_optimizer kind;
  double lr;           /* base learning rate (schedules scale it) */
  double beta1, beta2; /* adam family */
  double eps;          /* adam family */
  double weight_decay; /* L2 for sgd/adam/radam, decoupled for adamw */
  double momentum;     /* sgd */
  double dampening;    /* sgd */
  int nesterov;        /* sgd; needs momentum > 0 and dampening 0 as torch */
} optim_config;

/* torch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0
 * (adamw 1e-2), momentum 0, dampening 0, nesterov off. */
void optim_config_default(optim_config *c, nn_optimizer kind);
int optim_config_check(const optim_config *c, mlps_err *e);

typedef struct {
  optim_config cfg;
  size_t n;   /* parameters */
  long step;  /* optimizer steps taken since init/reset (torch's state['step']) */
  float *buf; /* one allocation: m and v (adam family) or momentum buffer (sgd) */
  float *m;   /* (n) first moment / sgd momentum buffer */
  float *v;   /* (n) second moment (adam family) */
} optim_state;

int optim_init(optim_state *s, const optim_config *c, size_t n, mlps_err *e);
/* Zeroes the state as for a freshly constructed torch optimizer. */
void optim_reset(optim_state *s);
void optim_free(optim_state *s);
/* One step with learning rate lr (the schedule's current value). */
void optim_step(optim_state *s, float *params, const float *grads, double lr);

#endif
