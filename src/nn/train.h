/* Training: the trainer (one workspace per run, no allocation in the
 * mini-batch loop) and mlp_train, the epoch loop with seeded reshuffles,
 * validation, early stopping that restores the best-validation weights,
 * learning-rate schedules, staged training, a per-epoch callback and
 * history, a wall-clock limit, and divergence detection.
 *
 * Typical use (the sweep's worker):
 *
 *   mlp_arch a;  mlp_arch_make(&a, widths, n, ACT_RELU, &e);
 *   mlp *m = mlp_create(&a, &e);
 *   mlp_init(m, INIT_TORCH, rng_derive(seed, trial, fold, 0));
 *   train_config c;  train_config_default(&c);  c.opt.kind = OPT_ADAM; ...
 *   c.seed = rng_derive(seed, trial, fold, 1);
 *   train_result r;
 *   if (mlp_train(m, Xtr, Ytr, ntr, Xva, Yva, nva, &c, cb, user, &r, &e)) -> error (bad config,
 * OOM) r.status: TRAIN_OK / DIVERGED / TIMEOUT / STOPPED; m holds the best weights
 *   train_result_free(&r);
 *
 * Semantics:
 * - Each epoch visits every training row once in a fresh seeded order, in
 *   mini-batches of cfg.batch rows, the last (partial) batch included. The
 *   reported train loss is the mean over the epoch's batches weighted by
 *   batch size (with dropout active, as torch reports it).
 * - Validation loss (cfg.loss, eval mode) is computed after every epoch.
 *   An epoch improves when val < best - min_delta; the weights of the best
 *   epoch are kept and restored at the end, whatever the status. patience
 *   0 disables early stopping. Without validation rows (n_val = 0, e.g. the
 *   final retrain for a fixed number of epochs) the monitor is the train
 *   loss, early stopping is off and the last weights are kept.
 * - Schedules: constant; plateau (torch ReduceLROnPlateau, mode min,
 *   relative threshold, cooldown 0, on the monitored loss); cosine (torch
 *   CosineAnnealingLR with T_max = max_epochs, lr set per epoch; with
 *   cosine_start = s > 0, lr is constant for epochs < s and anneals over
 *   T_max = max_epochs - s);
 *   stages: stage k runs up to stages[k].max_epochs with its own patience at
 *   lr = opt.lr * prod_{j<=k} stages[j].lr_factor, starting from the best
 *   weights so far; the optimizer state is reset at each stage start (as
 *   when a new torch optimizer is built per stage, which is what the staged
 *   emulator recipes do). Patience counts epochs without improving the
 *   best loss over all stages so far.
 * - Status: diverged when a batch loss, the validation loss or a weight is
 *   NaN/Inf; timeout when max_seconds elapsed (checked every batch);
 *   stopped when the callback returned non-zero. */
#ifndef MLPS_NN_TRAIN_H
#define MLPS_NN_TRAIN_H

#include <stddef.h>

#include "nn/mlp.h"
#include "nn/optim.h"

#define TRAIN_MAX_STAGES 16

typedef struct {
  int max_epochs;
  int patience;     /* 0: no early stopping within the stage */
  double lr_factor; /* multiplies the previous stage's lr */
} train_stage;

typedef struct {
  optim_config opt; /* optimizer, base lr, betas, eps, weight_decay, momentum, nesterov */
  nn_loss loss;     /* mse (default), mae, or chi2 (weighted squared error: mlp_train_w) */
  int batch;        /* mini-batch rows (default 256) */
  int max_epochs;   /* default 100 (ignored with SCHED_STAGES) */
  int patience;     /* default 10; 0 disables early stopping (ignored with SCHED_STAGES) */
  double min_delta; /* absolute improvement needed, default 0 */
  float dropout;    /* hidden-layer dropout probability in [0, 1), default 0 */
  nn_schedule_kind schedule;
  double plateau_factor;    /* default 0.1 */
  int plateau_patience;     /* default 10 */
  double plateau_threshold; /* relative, default 1e-4 */
  double plateau_min_lr;    /* default 0 */
  double cosine_eta_min;    /* default 0 */
  int cosine_start;         /* cosine: lr stays at base until this epoch, then decays to
                               eta_min over the remaining max_epochs - cosine_start epochs
                               (e.g. a final retrain that anneals its last 20%); >= max_epochs:
                               no annealing; default 0 */
  int n_stages;
  train_stage stages[TRAIN_MAX_STAGES];
  double max_seconds;      /* wall-clock limit of the run; 0 = none */
  unsigned long long seed; /* shuffles and dropout */
} train_config;

void train_config_default(train_config *c);
int train_config_check(const train_config *c, mlps_err *e);

typedef enum {
  TRAIN_OK,
  TRAIN_DIVERGED,
  TRAIN_TIMEOUT,
  TRAIN_STOPPED,
  TRAIN_STATUS_COUNT
} train_status;
extern const char *const TRAIN_STATUS_NAMES[TRAIN_STATUS_COUNT]; /* ok diverged timeout stopped */

typedef struct {
  int epoch;         /* 0-based, counted over all stages */
  int stage;         /* 0 unless SCHED_STAGES */
  double train_loss; /* mean over the epoch's batches */
  double val_loss;   /* NaN without validation rows */
  double lr;         /* learning rate used during the epoch */
  double seconds;    /* since the start of the run, at the end of the epoch */
} train_epoch;

typedef struct {
  train_status status;
  int epochs_run;
  int best_epoch;       /* epoch whose weights the model holds; -1 if none finished */
  double best_val_loss; /* monitored loss at best_epoch (train loss when n_val = 0) */
  double seconds;
  long steps;           /* optimizer steps */
  train_epoch *history; /* (epochs_run), owned: train_result_free */
  int n_history;
} train_result;

void train_result_free(train_result *r);

/* Per-epoch callback: called after each epoch with its history entry and the
 * result so far (best_epoch, best_val_loss valid). Non-zero stops the run
 * (status TRAIN_STOPPED; best weights restored). */
typedef int (*train_callback)(const train_epoch *ep, const train_result *so_far, void *user);

/* Trains m in place (see the semantics above). X*, Y* are float32 row-major
 * (n, sizes[0]) and (n, sizes[last]); not modified or retained. Returns
 * MLPS_OK whenever training ran (check r->status), MLPS_EINPUT for a bad
 * config, MLPS_ERUNTIME when out of memory. */
int mlp_train(mlp *m, const float *X_train, const float *Y_train, size_t n_train,
              const float *X_val, const float *Y_val, size_t n_val, const train_config *c,
              train_callback cb, void *user, train_result *r, mlps_err *e);
/* The same with per-element weights W (n, sizes[last]) beside Y, used by
 * loss chi2 (which needs them: MLPS_EINPUT without) as w (y - t)^2 in the
 * training and validation losses; ignored by mse and mae. */
int mlp_train_w(mlp *m, const float *X_train, const float *Y_train, const float *W_train,
                size_t n_train, const float *X_val, const float *Y_val, const float *W_val,
                size_t n_val, const train_config *c, train_callback cb, void *user, train_result *r,
                mlps_err *e);

/* ---- the trainer: one step at a time (bench, tests, custom loops) ---- */

typedef struct mlp_trainer mlp_trainer;

/* Workspace for batches up to c->batch rows, gradients and optimizer state. */
int mlp_trainer_create(mlp_trainer **out, mlp *m, const train_config *c, mlps_err *e);
void mlp_trainer_free(mlp_trainer *t);
/* Forward + backward on nb rows (idx[0..nb) of X/Y, or rows 0..nb when idx is
 * NULL; nb is clipped to the configured batch); fills the gradient buffer (overwritten, not
 * accumulated) and returns the batch loss (cfg loss, mean over nb*outputs). */
double mlp_trainer_grad(mlp_trainer *t, const float *X, const float *Y, const size_t *idx, int nb);
/* mlp_trainer_grad followed by an optimizer step at learning rate lr. */
double mlp_trainer_step(mlp_trainer *t, const float *X, const float *Y, const size_t *idx, int nb,
                        double lr);
/* The same with weights W laid out as Y (loss chi2: mean of w (y - t)^2;
 * W NULL or another loss: as without). */
double mlp_trainer_grad_w(mlp_trainer *t, const float *X, const float *Y, const float *W,
                          const size_t *idx, int nb);
double mlp_trainer_step_w(mlp_trainer *t, const float *X, const float *Y, const float *W,
                          const size_t *idx, int nb, double lr);
/* Gradient buffer, layout of the parameters (views: mlp_point_views). */
const float *mlp_trainer_grads(const mlp_trainer *t);
optim_state *mlp_trainer_optim(mlp_trainer *t);
/* The forward workspace of the last step (activations, dropout masks; for
 * tests and diagnostics). */
const mlp_fwd_ws *mlp_trainer_workspace(const mlp_trainer *t);
/* Mean loss (cfg loss) in eval mode over n rows, in double. */
double mlp_trainer_eval(mlp_trainer *t, const float *X, const float *Y, size_t n);
double mlp_trainer_eval_w(mlp_trainer *t, const float *X, const float *Y, const float *W, size_t n);

#endif
