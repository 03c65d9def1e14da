/* Backward pass, trainer workspace and the epoch loop (see train.h). */
#define _POSIX_C_SOURCE 200809L
#include "nn/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/act.h"
#include "util/clock.h"
#include "util/rng.h"

/* rng_derive purposes of the streams drawn from train_config.seed. */
#define TRAIN_PURPOSE_SHUFFLE 1 /* mini-batch order */
#define TRAIN_PURPOSE_DROPOUT 2 /* dropout masks */

const char *const TRAIN_STATUS_NAMES[TRAIN_STATUS_COUNT] = {"ok", "diverged", "timeout", "stopped"};

struct mlp_trainer {
  mlp *m;
  train_config cfg;
  int max_batch;
  mlp_fwd_ws fw;
  float *buf;                      /* one allocation for everything below */
  float *grads;                    /* (n_params) */
  mlp_layer gview[MLP_MAX_LAYERS]; /* views into grads */
  float *xb;                       /* (max_batch, in) gathered inputs */
  float *yb;                       /* (max_batch, out) gathered targets */
  float *wb;                       /* (max_batch, out) gathered weights; chi2 only, else NULL */
  float *d0, *d1;                  /* (max_batch, max_width) ping-pong activation gradients */
  optim_state opt;
  mlps_rng drop_rng;
};

/* ---- config ---- */

void train_config_default(train_config *c) {
  memset(c, 0, sizeof *c);
  optim_config_default(&c->opt, OPT_ADAM);
  c->loss = LOSS_MSE;
  c->batch = 256;
  c->max_epochs = 100;
  c->patience = 10;
  c->schedule = SCHED_CONSTANT;
  c->plateau_factor = 0.1;
  c->plateau_patience = 10;
  c->plateau_threshold = 1e-4;
}

int train_config_check(const train_config *c, mlps_err *e) {
  MLPS_TRY(optim_config_check(&c->opt, e));
  if ((int)c->loss < 0 || c->loss >= LOSS_COUNT)
    return mlps_errorf(e, MLPS_EINPUT, "unknown loss %d", (int)c->loss);
  if (c->batch < 1) return mlps_errorf(e, MLPS_EINPUT, "batch must be >= 1, got %d", c->batch);
  if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
    return mlps_errorf(e, MLPS_EINPUT, "dropout must be in [0, 1), got %g", (double)c->dropout);
  if (!(c->min_delta >= 0.0)) return mlps_errorf(e, MLPS_EINPUT, "min_delta must be >= 0");
  if (!(c->max_seconds >= 0.0)) return mlps_errorf(e, MLPS_EINPUT, "max_seconds must be >= 0");
  if ((int)c->schedule < 0 || c->schedule >= SCHED_COUNT)
    return mlps_errorf(e, MLPS_EINPUT, "unknown schedule %d", (int)c->schedule);
  if (c->schedule == SCHED_STAGES) {
    if (c->n_stages < 1 || c->n_stages > TRAIN_MAX_STAGES)
      return mlps_errorf(e, MLPS_EINPUT, "staged training needs 1 to %d stages, got %d",
                         TRAIN_MAX_STAGES, c->n_stages);
    for (int s = 0; s < c->n_stages; s++) {
      if (c->stages[s].max_epochs < 1 || c->stages[s].patience < 0 ||
          !(c->stages[s].lr_factor > 0.0))
        return mlps_errorf(e, MLPS_EINPUT,
                           "stage %d: max_epochs must be >= 1, patience >= 0, lr_factor > 0", s);
    }
  } else {
    if (c->max_epochs < 1)
      return mlps_errorf(e, MLPS_EINPUT, "max_epochs must be >= 1, got %d", c->max_epochs);
    if (c->patience < 0) return mlps_errorf(e, MLPS_EINPUT, "patience must be >= 0");
  }
  if (c->schedule == SCHED_PLATEAU) {
    if (!(c->plateau_factor > 0.0 && c->plateau_factor < 1.0))
      return mlps_errorf(e, MLPS_EINPUT, "plateau factor must be in (0, 1), got %g",
                         c->plateau_factor);
    if (c->plateau_patience < 0 || !(c->plateau_threshold >= 0.0) || !(c->plateau_min_lr >= 0.0))
      return mlps_errorf(e, MLPS_EINPUT, "plateau patience, threshold and min_lr must be >= 0");
  }
  if (c->schedule == SCHED_COSINE && !(c->cosine_eta_min >= 0.0))
    return mlps_errorf(e, MLPS_EINPUT, "cosine eta_min must be >= 0");
  /* cosine_start >= max_epochs is allowed and means no annealing at all (a
   * short retrain whose anneal fraction rounds to zero epochs) */
  if (c->schedule == SCHED_COSINE && c->cosine_start < 0)
    return mlps_errorf(e, MLPS_EINPUT, "cosine_start must be >= 0, got %d", c->cosine_start);
  return MLPS_OK;
}

/* ---- trainer ---- */

#define EVAL_CHUNK 512

int mlp_trainer_create(mlp_trainer **out, mlp *m, const train_config *c, mlps_err *e) {
  *out = NULL;
  MLPS_TRY(train_config_check(c, e));
  const mlp_arch *a = &m->arch;
  mlp_trainer *t = mlps_xcalloc(1, sizeof *t);
  t->m = m;
  t->cfg = *c;
  t->max_batch = c->batch;
  int B = c->batch, din = a->sizes[0], dout = a->sizes[a->n_layers], wmax = mlp_arch_max_width(a);
  size_t nw = c->loss == LOSS_CHI2 ? (size_t)B * (size_t)dout : 0; /* mse/mae: no weights */
  size_t n = m->n_params + (size_t)B * (size_t)(din + dout) + 2 * (size_t)B * (size_t)wmax + nw;
  /* the forward workspace also serves evaluation, in chunks of >= 512 rows */
  int rc = mlp_fwd_ws_init(&t->fw, a, B > EVAL_CHUNK ? B : EVAL_CHUNK, c->dropout > 0.0f, e);
  if (!rc) {
    t->buf = malloc(n * sizeof(float));
    if (!t->buf)
      rc = mlps_errorf(e, MLPS_ERUNTIME, "out of memory allocating trainer workspace (%zu floats)",
                       n);
  }
  if (!rc) rc = optim_init(&t->opt, &c->opt, m->n_params, e);
  if (rc) {
    mlp_trainer_free(t);
    return rc;
  }
  float *p = t->buf;
  t->grads = p, p += m->n_params;
  t->xb = p, p += (size_t)B * (size_t)din;
  t->yb = p, p += (size_t)B * (size_t)dout;
  t->d0 = p, p += (size_t)B * (size_t)wmax;
  t->d1 = p, p += (size_t)B * (size_t)wmax;
  t->wb = nw ? p : NULL;
  memset(t->grads, 0, m->n_params * sizeof(float));
  mlp_point_views(a, t->grads, t->gview);
  rng_seed(&t->drop_rng, rng_derive(c->seed, TRAIN_PURPOSE_DROPOUT, 0, 0));
  *out = t;
  return MLPS_OK;
}

void mlp_trainer_free(mlp_trainer *t) {
  if (!t) return;
  mlp_fwd_ws_free(&t->fw);
  optim_free(&t->opt);
  free(t->buf);
  free(t);
}

const float *mlp_trainer_grads(const mlp_trainer *t) { return t->grads; }
optim_state *mlp_trainer_optim(mlp_trainer *t) { return &t->opt; }
const mlp_fwd_ws *mlp_trainer_workspace(const mlp_trainer *t) { return &t->fw; }

/* Loss over n outputs (double) and its gradient dY (mean reduction); w
 * (chi2 only; NULL: weights 1, i.e. mse) weighs each squared error. The
 * sums use 8 independent double accumulators: one running double sum would
 * be a latency chain of n additions, slower than the rest of the loop. */
static double loss_grad(nn_loss loss, const float *restrict y, const float *restrict t,
                        const float *restrict w, float *restrict dy, size_t n) {
  double acc[8] = {0};
  size_t i = 0, n8 = n - n % 8;
  if (loss == LOSS_CHI2 && w) {
    float sc = 2.0f / (float)n;
    for (; i < n8; i += 8)
      for (int k = 0; k < 8; k++) {
        float d = y[i + k] - t[i + k], wd = w[i + k] * d;
        acc[k] += (double)wd * (double)d;
        dy[i + k] = sc * wd;
      }
    for (; i < n; i++) {
      float d = y[i] - t[i], wd = w[i] * d;
      acc[0] += (double)wd * (double)d;
      dy[i] = sc * wd;
    }
  } else if (loss == LOSS_MAE) {
    float sc = 1.0f / (float)n;
    for (; i < n8; i += 8)
      for (int k = 0; k < 8; k++) {
        float d = y[i + k] - t[i + k];
        acc[k] += fabs((double)d);
        dy[i + k] = d > 0.0f ? sc : (d < 0.0f ? -sc : 0.0f);
      }
    for (; i < n; i++) {
      float d = y[i] - t[i];
      acc[0] += fabs((double)d);
      dy[i] = d > 0.0f ? sc : (d < 0.0f ? -sc : 0.0f);
    }
  } else {
    float sc = 2.0f / (float)n;
    for (; i < n8; i += 8)
      for (int k = 0; k < 8; k++) {
        float d = y[i + k] - t[i + k];
        acc[k] += (double)d * (double)d;
        dy[i + k] = sc * d;
      }
    for (; i < n; i++) {
      float d = y[i] - t[i];
      acc[0] += (double)d * (double)d;
      dy[i] = sc * d;
    }
  }
  double s = 0.0;
  for (int k = 0; k < 8; k++) s += acc[k];
  return s / (double)n;
}

/* Sum of |y - t| (mae), (y - t)^2 (mse) or w (y - t)^2 (chi2 with w) in
 * double, 8 accumulators. */
static double loss_sum(nn_loss loss, const float *restrict y, const float *restrict t,
                       const float *restrict w, size_t n) {
  double acc[8] = {0};
  size_t i = 0, n8 = n - n % 8;
  if (loss == LOSS_CHI2 && w) {
    for (; i < n8; i += 8)
      for (int k = 0; k < 8; k++) {
        double d = (double)y[i + k] - (double)t[i + k];
        acc[k] += (double)w[i + k] * d * d;
      }
    for (; i < n; i++) {
      double d = (double)y[i] - (double)t[i];
      acc[0] += (double)w[i] * d * d;
    }
  } else if (loss == LOSS_MAE) {
    for (; i < n8; i += 8)
      for (int k = 0; k < 8; k++) acc[k] += fabs((double)y[i + k] - (double)t[i + k]);
    for (; i < n; i++) acc[0] += fabs((double)y[i] - (double)t[i]);
  } else {
    for (; i < n8; i += 8)
      for (int k = 0; k < 8; k++) {
        double d = (double)y[i + k] - (double)t[i + k];
        acc[k] += d * d;
      }
    for (; i < n; i++) {
      double d = (double)y[i] - (double)t[i];
      acc[0] += d * d;
    }
  }
  double s = 0.0;
  for (int k = 0; k < 8; k++) s += acc[k];
  return s;
}

/* Rows idx[i] of src (., d) into dst (nb, d); inline loops, not a memcpy call
 * per (short) row. */
NN_NO_MEMCPY_PATTERN static void gather(float *restrict dst, const float *restrict src,
                                        const size_t *idx, int nb, int d) {
  for (int i = 0; i < nb; i++) {
    const float *restrict row = src + idx[i] * (size_t)d;
    float *restrict out = dst + (size_t)i * (size_t)d;
    for (int j = 0; j < d; j++) out[j] = row[j];
  }
}

double mlp_trainer_grad(mlp_trainer *t, const float *X, const float *Y, const size_t *idx, int nb) {
  return mlp_trainer_grad_w(t, X, Y, NULL, idx, nb);
}

double mlp_trainer_grad_w(mlp_trainer *t, const float *X, const float *Y, const float *W,
                          const size_t *idx, int nb) {
  mlp *m = t->m;
  const mlp_arch *a = &m->arch;
  int L = a->n_layers, din = a->sizes[0], dout = a->sizes[L];
  if (nb > t->max_batch) nb = t->max_batch;
  if (nb < 1) return 0.0;
  if (idx) {
    gather(t->xb, X, idx, nb, din);
    gather(t->yb, Y, idx, nb, dout);
    X = t->xb;
    Y = t->yb;
    if (W && t->wb) {
      gather(t->wb, W, idx, nb, dout);
      W = t->wb;
    }
  }
  if (t->cfg.loss != LOSS_CHI2) W = NULL;
  const float *out = mlp_forward(m, &t->fw, X, nb, t->cfg.dropout, &t->drop_rng);
  float *d = t->d0, *dn = t->d1;
  /* sgemm accumulates (beta = 1) into zeroed buffers: a memset is cheaper
   * than OpenBLAS's beta = 0 pass over C */
  memset(t->grads, 0, m->n_params * sizeof(float));
  double loss = loss_grad(t->cfg.loss, out, Y, W, d, (size_t)nb * (size_t)dout);
  for (int l = L - 1; l >= 0; l--) {
    int nin = a->sizes[l], nout = a->sizes[l + 1];
    if (l < L - 1)
      nn_act_backward(d, t->fw.h[l + 1], t->fw.z[l + 1],
                      t->fw.dropout_active ? t->fw.mask[l + 1] : NULL, (size_t)nb * (size_t)nout,
                      a->act);
    const float *in = mlp_fwd_input(&t->fw, X, l);
    /* dW = dZ^T in: (nout, nb) x (nb, nin) */
    nn_sgemm(1, 0, nout, nin, nb, 1.0f, d, nout, in, nin, 1.0f, t->gview[l].W, nin);
    /* db = column sums of dZ */
    /* db = column sums of dZ, four rows per pass over db (zeroed above) */
    float *restrict db = t->gview[l].b;
    int i = 0;
    for (; i + 4 <= nb; i += 4) {
      const float *restrict r0 = d + (size_t)i * (size_t)nout;
      const float *restrict r1 = r0 + nout, *restrict r2 = r1 + nout, *restrict r3 = r2 + nout;
      for (int j = 0; j < nout; j++) db[j] += (r0[j] + r1[j]) + (r2[j] + r3[j]);
    }
    for (; i < nb; i++) {
      const float *restrict row = d + (size_t)i * (size_t)nout;
      for (int j = 0; j < nout; j++) db[j] += row[j];
    }
    if (l > 0) {
      /* d(in) = dZ W: (nb, nout) x (nout, nin); not needed for the inputs */
      memset(dn, 0, (size_t)nb * (size_t)nin * sizeof(float));
      nn_sgemm(0, 0, nb, nin, nout, 1.0f, d, nout, m->layer[l].W, nin, 1.0f, dn, nin);
      float *tmp = d;
      d = dn;
      dn = tmp;
    }
  }
  return loss;
}

double mlp_trainer_step(mlp_trainer *t, const float *X, const float *Y, const size_t *idx, int nb,
                        double lr) {
  return mlp_trainer_step_w(t, X, Y, NULL, idx, nb, lr);
}

double mlp_trainer_step_w(mlp_trainer *t, const float *X, const float *Y, const float *W,
                          const size_t *idx, int nb, double lr) {
  double loss = mlp_trainer_grad_w(t, X, Y, W, idx, nb);
  optim_step(&t->opt, t->m->params, t->grads, lr);
  return loss;
}

double mlp_trainer_eval(mlp_trainer *t, const float *X, const float *Y, size_t n) {
  return mlp_trainer_eval_w(t, X, Y, NULL, n);
}

double mlp_trainer_eval_w(mlp_trainer *t, const float *X, const float *Y, const float *W,
                          size_t n) {
  const mlp_arch *a = &t->m->arch;
  int din = a->sizes[0], dout = a->sizes[a->n_layers];
  double s = 0.0;
  size_t chunk = (size_t)t->fw.max_batch;
  for (size_t i = 0; i < n; i += chunk) {
    int nb = (int)(n - i < chunk ? n - i : chunk);
    const float *out = mlp_forward(t->m, &t->fw, X + i * (size_t)din, nb, 0.0f, NULL);
    s += loss_sum(t->cfg.loss, out, Y + i * (size_t)dout, W ? W + i * (size_t)dout : NULL,
                  (size_t)nb * (size_t)dout);
  }
  return n ? s / ((double)n * (double)dout) : NAN;
}

/* ---- the epoch loop ---- */

void train_result_free(train_result *r) {
  if (!r) return;
  free(r->history);
  r->history = NULL;
  r->n_history = 0;
}

typedef struct {
  double best, lr;
  int bad;
} plateau_state;

/* torch.optim.lr_scheduler.ReduceLROnPlateau.step, mode 'min', threshold_mode
 * 'rel', cooldown 0, eps 1e-8. */
static void plateau_step(plateau_state *p, const train_config *c, double metric) {
  if (metric < p->best * (1.0 - c->plateau_threshold)) {
    p->best = metric;
    p->bad = 0;
  } else {
    p->bad++;
  }
  if (p->bad > c->plateau_patience) {
    double nl = p->lr * c->plateau_factor;
    if (nl < c->plateau_min_lr) nl = c->plateau_min_lr;
    if (p->lr - nl > 1e-8) p->lr = nl;
    p->bad = 0;
  }
}

int mlp_train(mlp *m, const float *X_train, const float *Y_train, size_t n_train,
              const float *X_val, const float *Y_val, size_t n_val, const train_config *c,
              train_callback cb, void *user, train_result *r, mlps_err *e) {
  return mlp_train_w(m, X_train, Y_train, NULL, n_train, X_val, Y_val, NULL, n_val, c, cb, user, r,
                     e);
}

int mlp_train_w(mlp *m, const float *X_train, const float *Y_train, const float *W_train,
                size_t n_train, const float *X_val, const float *Y_val, const float *W_val,
                size_t n_val, const train_config *c, train_callback cb, void *user, train_result *r,
                mlps_err *e) {
  memset(r, 0, sizeof *r);
  r->best_epoch = -1;
  r->best_val_loss = NAN;
  MLPS_TRY(train_config_check(c, e));
  if (n_train < 1) return mlps_errorf(e, MLPS_EINPUT, "no training rows");
  if (!X_val || !Y_val) n_val = 0;
  if (c->loss == LOSS_CHI2 && (!W_train || (n_val && !W_val)))
    return mlps_errorf(e, MLPS_EINPUT,
                       "loss chi2 needs a weight per target value of the training and validation "
                       "rows (the workflow derives them from data.noise)");

  train_stage single = {c->max_epochs, c->patience, 1.0};
  const train_stage *stages = c->schedule == SCHED_STAGES ? c->stages : &single;
  int n_stages = c->schedule == SCHED_STAGES ? c->n_stages : 1;
  long total_epochs = 0;
  for (int s = 0; s < n_stages; s++) total_epochs += stages[s].max_epochs;

  train_config tc = *c;
  if ((size_t)tc.batch > n_train) tc.batch = (int)n_train;
  mlp_trainer *t;
  MLPS_TRY(mlp_trainer_create(&t, m, &tc, e));
  size_t *idx = malloc(n_train * sizeof(size_t));
  float *best = malloc(m->n_params * sizeof(float));
  r->history = malloc((size_t)total_epochs * sizeof(train_epoch));
  if (!idx || !best || !r->history) {
    free(idx);
    free(best);
    train_result_free(r);
    mlp_trainer_free(t);
    return mlps_errorf(e, MLPS_ERUNTIME,
                       "out of memory allocating training buffers (%zu rows, %zu parameters)",
                       n_train, m->n_params);
  }
  for (size_t i = 0; i < n_train; i++) idx[i] = i;
  mlps_rng shuf;
  rng_seed(&shuf, rng_derive(c->seed, TRAIN_PURPOSE_SHUFFLE, 0, 0));

  double t0 = mlps_now(), best_loss = INFINITY, cum_factor = 1.0;
  int epoch = 0, has_best = 0;
  train_status status = TRAIN_OK;
  for (int s = 0; s < n_stages && status == TRAIN_OK; s++) {
    cum_factor *= stages[s].lr_factor;
    double lr0 = c->opt.lr * cum_factor;
    if (s > 0) {
      if (has_best && n_val) mlp_set_params(m, best);
      optim_reset(&t->opt);
    }
    plateau_state pl = {INFINITY, lr0, 0};
    int since_best = 0;
    for (int ep = 0; ep < stages[s].max_epochs; ep++) {
      double lr = lr0;
      if (c->schedule == SCHED_PLATEAU) lr = pl.lr;
      if (c->schedule == SCHED_COSINE && ep >= c->cosine_start)
        lr = c->cosine_eta_min + (lr0 - c->cosine_eta_min) *
                                     (1.0 + cos(3.14159265358979323846 * (ep - c->cosine_start) /
                                                (stages[s].max_epochs - c->cosine_start))) /
                                     2.0;
      rng_shuffle_size(&shuf, idx, n_train);
      double sum = 0.0;
      for (size_t i = 0; i < n_train; i += (size_t)tc.batch) {
        int nb = (int)(n_train - i < (size_t)tc.batch ? n_train - i : (size_t)tc.batch);
        double bl = mlp_trainer_step_w(t, X_train, Y_train, W_train, idx + i, nb, lr);
        r->steps++;
        if (!isfinite(bl)) {
          status = TRAIN_DIVERGED;
          break;
        }
        sum += bl * nb;
        if (c->max_seconds > 0.0 && mlps_now() - t0 > c->max_seconds) {
          status = TRAIN_TIMEOUT;
          break;
        }
      }
      if (status != TRAIN_OK) break;
      if (!mlp_params_finite(m)) {
        status = TRAIN_DIVERGED;
        break;
      }
      train_epoch *h = &r->history[r->n_history];
      h->epoch = epoch;
      h->stage = s;
      h->train_loss = sum / (double)n_train;
      h->val_loss = n_val ? mlp_trainer_eval_w(t, X_val, Y_val, W_val, n_val) : NAN;
      h->lr = lr;
      h->seconds = mlps_now() - t0;
      double mon = n_val ? h->val_loss : h->train_loss;
      r->n_history++;
      r->epochs_run = r->n_history;
      if (!isfinite(mon)) {
        status = TRAIN_DIVERGED;
        break;
      }
      if (!n_val) { /* no validation: the last epoch is the result */
        r->best_epoch = epoch;
        r->best_val_loss = mon;
        has_best = 1;
      } else if (mon < best_loss - c->min_delta) {
        best_loss = mon;
        since_best = 0;
        r->best_epoch = epoch;
        r->best_val_loss = best_loss;
        mlp_get_params(m, best);
        has_best = 1;
      } else {
        since_best++;
      }
      if (c->schedule == SCHED_PLATEAU) plateau_step(&pl, c, mon);
      epoch++;
      r->seconds = mlps_now() - t0;
      if (cb && cb(h, r, user)) {
        status = TRAIN_STOPPED;
        break;
      }
      if (n_val && stages[s].patience > 0 && since_best >= stages[s].patience) break;
    }
  }
  if (has_best && n_val) mlp_set_params(m, best);
  r->status = status;
  r->seconds = mlps_now() - t0;
  free(idx);
  free(best);
  mlp_trainer_free(t);
  return MLPS_OK;
}
