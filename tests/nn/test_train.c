/* Training loop: XOR is learnt; early stopping restores the best weights;
 * a huge learning rate ends as diverged; the callback stops a run; the
 * wall-clock limit; determinism by seed; schedules (plateau, min_lr, cosine,
 * stages continuing from the best weights); training without validation
 * rows; dropout off at evaluation; parameter copy out/in; initialisers;
 * config errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/mlp.h"
#include "nn/train.h"
#include "test_util.h"
#include "util/rng.h"

#define NTR 200
#define NVA 100
static float Xtr[NTR * 3], Ytr[NTR * 2], Xva[NVA * 3], Yva[NVA * 2], Yzero[NVA * 2];

static void make_data(void) {
  mlps_rng r;
  rng_seed(&r, 5);
  for (int i = 0; i < NTR + NVA; i++) {
    float *x = i < NTR ? Xtr + 3 * i : Xva + 3 * (i - NTR);
    float *y = i < NTR ? Ytr + 2 * i : Yva + 2 * (i - NTR);
    for (int j = 0; j < 3; j++) x[j] = (float)(2 * rng_uniform(&r) - 1);
    y[0] = sinf(2 * x[0]) + x[1] * x[2];
    y[1] = cosf(x[1] + x[2]) - 0.5f * x[0];
  }
  memset(Yzero, 0, sizeof Yzero);
}

static mlp *make_net(nn_activation act, int width, unsigned long long seed) {
  int w[] = {3, width, width, 2};
  mlp_arch a;
  mlps_err e = {0};
  mlp_arch_make(&a, w, 4, act, &e);
  mlp *m = mlp_create(&a, &e);
  mlp_init(m, INIT_TORCH, seed);
  return m;
}

static void test_xor(void) {
  float X[] = {0, 0, 0, 1, 1, 0, 1, 1}, Y[] = {0, 1, 1, 0};
  int w[] = {2, 8, 1};
  mlp_arch a;
  mlps_err e = {0};
  CHECK(mlp_arch_make(&a, w, 3, ACT_TANH, &e) == MLPS_OK);
  mlp *m = mlp_create(&a, &e);
  mlp_init(m, INIT_TORCH, 3);
  train_config c;
  train_config_default(&c);
  c.opt.lr = 0.05;
  c.batch = 4;
  c.max_epochs = 600;
  c.patience = 0;
  train_result r;
  CHECK(mlp_train(m, X, Y, 4, X, Y, 4, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.status == TRAIN_OK);
  float out[4];
  mlp_predict(m, X, 4, out, &e);
  for (int i = 0; i < 4; i++) CHECK_CLOSE(out[i], Y[i], 0, 0.1);
  train_result_free(&r);
  mlp_free(m);
}

/* Validation targets are all zero while training learns Y: the val loss is
 * best near the start and grows, so keeping the last weights would fail. */
static void test_early_stopping_restores_best(void) {
  mlp *m = make_net(ACT_RELU, 32, 11);
  train_config c;
  train_config_default(&c);
  c.opt.lr = 3e-3;
  c.batch = 32;
  c.max_epochs = 200;
  c.patience = 5;
  train_result r;
  mlps_err e = {0};
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yzero, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.status == TRAIN_OK);
  CHECK(r.epochs_run < 200);
  CHECK(r.best_epoch >= 0 && r.best_epoch == r.epochs_run - 1 - c.patience);
  CHECK(r.n_history == r.epochs_run);
  double best = INFINITY;
  for (int i = 0; i < r.n_history; i++) best = fmin(best, r.history[i].val_loss);
  CHECK_CLOSE(r.best_val_loss, best, 0, 0);
  CHECK_CLOSE(r.history[r.best_epoch].val_loss, best, 0, 0);
  double mse;
  CHECK(mlp_evaluate(m, Xva, Yzero, NVA, &mse, NULL, &e) == MLPS_OK);
  CHECK_CLOSE(mse, best, 1e-6, 0);
  CHECK(r.history[r.n_history - 1].val_loss > best * 1.001); /* last != best */
  train_result_free(&r);

  /* min_delta larger than any possible gain: only epoch 0 counts as best */
  c.min_delta = 1e9;
  c.patience = 3;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.best_epoch == 0 && r.epochs_run == 4);
  train_result_free(&r);
  mlp_free(m);
}

static void test_diverged(void) {
  for (int opt = 0; opt < OPT_COUNT; opt++) {
    mlp *m = make_net(ACT_RELU, 16, 2);
    train_config c;
    train_config_default(&c);
    optim_config_default(&c.opt, (nn_optimizer)opt);
    c.opt.lr = opt == OPT_SGD ? 1e6 : 1e30;
    c.batch = 16;
    c.max_epochs = 1000;
    train_result r;
    mlps_err e = {0};
    CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
    CHECK(r.status == TRAIN_DIVERGED);
    if (r.status != TRAIN_DIVERGED)
      fprintf(stderr, "  %s: status %s after %d epochs\n", NN_OPTIMIZER_NAMES[opt],
              TRAIN_STATUS_NAMES[r.status], r.epochs_run);
    CHECK(r.epochs_run < 1000);
    if (r.best_epoch >= 0) CHECK(mlp_params_finite(m)); /* best weights restored */
    train_result_free(&r);
    mlp_free(m);
  }
}

static int stop_at_3(const train_epoch *ep, const train_result *so_far, void *user) {
  int *calls = user;
  (*calls)++;
  CHECK(so_far->n_history == ep->epoch + 1);
  return ep->epoch == 3;
}

static void test_callback_and_timeout(void) {
  mlp *m = make_net(ACT_TANH, 16, 4);
  train_config c;
  train_config_default(&c);
  c.batch = 50;
  c.patience = 0;
  train_result r;
  mlps_err e = {0};
  int calls = 0;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, stop_at_3, &calls, &r, &e) == MLPS_OK);
  CHECK(r.status == TRAIN_STOPPED);
  CHECK(r.epochs_run == 4 && calls == 4);
  CHECK(r.steps == 4 * 4); /* 200 rows / batch 50 */
  train_result_free(&r);

  c.max_epochs = 100000000;
  c.max_seconds = 0.05;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.status == TRAIN_TIMEOUT);
  CHECK(r.seconds < 5.0);
  train_result_free(&r);
  mlp_free(m);
}

static void test_determinism_and_partial_batch(void) {
  float *p[3];
  for (int k = 0; k < 3; k++) {
    mlp *m = make_net(ACT_GELU, 16, 9);
    train_config c;
    train_config_default(&c);
    c.batch = 64; /* 200 = 3*64 + 8: the partial batch is trained on */
    c.max_epochs = 5;
    c.dropout = 0.2f;
    c.seed = k == 2 ? 8 : 7;
    train_result r;
    mlps_err e = {0};
    CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
    CHECK(r.steps == 5 * 4);
    p[k] = malloc(m->n_params * sizeof(float));
    mlp_get_params(m, p[k]);
    /* dropout is off at evaluation: predict is deterministic */
    float y1[4], y2[4];
    mlp_predict(m, Xva, 2, y1, &e);
    mlp_predict(m, Xva, 2, y2, &e);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    if (k == 2) {
      CHECK(memcmp(p[0], p[1], m->n_params * sizeof(float)) == 0);
      CHECK(memcmp(p[0], p[2], m->n_params * sizeof(float)) != 0);
      /* parameters out and in */
      mlp *m2 = mlp_create(&m->arch, &e);
      mlp_set_params(m2, p[0]);
      mlp *m3 = mlp_clone(m2, &e);
      float y3[4];
      mlp_predict(m3, Xva, 2, y3, &e);
      mlp_set_params(m, p[0]);
      mlp_predict(m, Xva, 2, y1, &e);
      CHECK(memcmp(y1, y3, sizeof y1) == 0);
      mlp_free(m2);
      mlp_free(m3);
    }
    train_result_free(&r);
    mlp_free(m);
  }
  for (int k = 0; k < 3; k++) free(p[k]);
}

static void test_schedules(void) {
  mlps_err e = {0};
  train_result r;
  train_config c;
  /* plateau: lr so small and threshold so large (50%) that the val loss
   * never improves after epoch 0; torch semantics give lr0 for epochs 0..3,
   * then halving every 3 epochs (patience 2), clamped at min_lr. */
  mlp *m = make_net(ACT_TANH, 8, 1);
  train_config_default(&c);
  c.opt.lr = 1e-6;
  c.batch = 100;
  c.max_epochs = 12;
  c.patience = 0;
  c.schedule = SCHED_PLATEAU;
  c.plateau_factor = 0.5;
  c.plateau_patience = 2;
  c.plateau_threshold = 0.5;
  c.plateau_min_lr = 1e-6 / 3;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.n_history == 12);
  double want[12] = {1, 1, 1, 1, .5, .5, .5, 1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3};
  for (int i = 0; i < r.n_history; i++) CHECK_CLOSE(r.history[i].lr, want[i] * 1e-6, 1e-12, 0);
  train_result_free(&r);

  /* cosine over max_epochs to eta_min */
  train_config_default(&c);
  c.opt.lr = 1e-2;
  c.batch = 100;
  c.max_epochs = 10;
  c.patience = 0;
  c.schedule = SCHED_COSINE;
  c.cosine_eta_min = 1e-4;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.n_history == 10);
  for (int i = 0; i < r.n_history; i++)
    CHECK_CLOSE(r.history[i].lr,
                1e-4 + (1e-2 - 1e-4) * (1 + cos(3.14159265358979323846 * i / 10)) / 2, 1e-12, 0);
  train_result_free(&r);

  /* cosine that starts at epoch 6 of 10: constant, then T_max = 4 */
  c.cosine_start = 6;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.n_history == 10);
  for (int i = 0; i < r.n_history; i++)
    CHECK_CLOSE(
        r.history[i].lr,
        i < 6 ? 1e-2 : 1e-4 + (1e-2 - 1e-4) * (1 + cos(3.14159265358979323846 * (i - 6) / 4)) / 2,
        1e-12, 0);
  train_result_free(&r);
  c.cosine_start = 10; /* = max_epochs: no annealing */
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
  for (int i = 0; i < r.n_history; i++) CHECK(r.history[i].lr == 1e-2);
  train_result_free(&r);
  mlp_free(m);

  /* stages: lr = base * cumulative factor; each stage starts from the best
   * weights: with zero val targets the best is early, and stage 1 (lr ~ 0)
   * starts from it, so its val loss equals the best, not stage 0's last. */
  m = make_net(ACT_RELU, 32, 11);
  train_config_default(&c);
  c.opt.lr = 3e-3;
  c.batch = 32;
  c.schedule = SCHED_STAGES;
  c.n_stages = 3;
  c.stages[0] = (train_stage){30, 0, 1.0};
  c.stages[1] = (train_stage){3, 0, 1e-9};
  c.stages[2] = (train_stage){2, 1, 0.5};
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yzero, NVA, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.status == TRAIN_OK);
  CHECK(r.n_history == 34); /* stage 2 stops after 1 epoch without improvement */
  double best0 = INFINITY;
  for (int i = 0; i < 30; i++) {
    CHECK(r.history[i].stage == 0 && r.history[i].lr == 3e-3);
    best0 = fmin(best0, r.history[i].val_loss);
  }
  CHECK(r.history[29].val_loss > best0 * 1.001);
  for (int i = 30; i < 33; i++) {
    CHECK(r.history[i].stage == 1);
    CHECK_CLOSE(r.history[i].lr, 3e-12, 1e-9, 0);
    CHECK_CLOSE(r.history[i].val_loss, best0, 1e-5, 0);
  }
  CHECK(r.history[33].stage == 2);
  CHECK_CLOSE(r.history[33].lr, 1.5e-12, 1e-9, 0);
  train_result_free(&r);
  mlp_free(m);
}

static void test_no_validation(void) {
  mlp *m = make_net(ACT_SELU, 16, 6);
  train_config c;
  train_config_default(&c);
  c.batch = 40;
  c.max_epochs = 7;
  c.patience = 1;
  c.opt.kind = OPT_RADAM;
  train_result r;
  mlps_err e = {0};
  CHECK(mlp_train(m, Xtr, Ytr, NTR, NULL, NULL, 0, &c, NULL, NULL, &r, &e) == MLPS_OK);
  CHECK(r.status == TRAIN_OK && r.epochs_run == 7 && r.best_epoch == 6);
  CHECK(isnan(r.history[0].val_loss));
  CHECK(r.history[6].train_loss < r.history[0].train_loss);
  train_result_free(&r);
  mlp_free(m);
}

/* Initialisers: bounds and second moments on a 256-256-256 net (65536
 * weights per layer: the sample std is within ~1% of the true one, the
 * tolerance is 5%), zero biases for he/glorot, same seed -> same weights. */
static void test_init(void) {
  int w[] = {256, 256, 100};
  mlp_arch a;
  mlps_err e = {0};
  mlp_arch_make(&a, w, 3, ACT_RELU, &e);
  for (int init = 0; init < INIT_COUNT; init++) {
    mlp *m = mlp_create(&a, &e), *m2 = mlp_create(&a, &e);
    mlp_init(m, (nn_init)init, 5);
    mlp_init(m2, (nn_init)init, 5);
    CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) == 0);
    mlp_init(m2, (nn_init)init, 6);
    CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) != 0);
    for (int l = 0; l < 2; l++) {
      int in = w[l], out = w[l + 1];
      double s2 = 0, mx = 0, bmx = 0;
      for (int i = 0; i < in * out; i++) {
        s2 += (double)m->layer[l].W[i] * m->layer[l].W[i];
        mx = fmax(mx, fabs(m->layer[l].W[i]));
      }
      for (int j = 0; j < out; j++) bmx = fmax(bmx, fabs(m->layer[l].b[j]));
      double sd = sqrt(s2 / (in * out)), want_sd, bound;
      if (init == INIT_TORCH) {
        bound = 1 / sqrt(in);
        want_sd = bound / sqrt(3.0);
        CHECK(mx <= bound && bmx <= bound && bmx > 0);
      } else if (init == INIT_HE) {
        want_sd = sqrt(2.0 / in);
        CHECK(bmx == 0);
      } else {
        bound = sqrt(6.0 / (in + out));
        want_sd = bound / sqrt(3.0);
        CHECK(mx <= bound && bmx == 0);
      }
      CHECK_CLOSE(sd, want_sd, 0.05, 0);
    }
    mlp_free(m);
    mlp_free(m2);
  }
}

static void test_config_errors(void) {
  mlp *m = make_net(ACT_RELU, 4, 1);
  train_config c;
  train_result r;
  mlps_err e = {0};
  train_config_default(&c);
  c.opt.lr = -1;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_EINPUT);
  CHECK(strstr(e.msg, "learning rate") != NULL);
  train_config_default(&c);
  c.dropout = 1.0f;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_EINPUT);
  train_config_default(&c);
  c.schedule = SCHED_STAGES;
  c.n_stages = 0;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_EINPUT);
  train_config_default(&c);
  c.opt.kind = OPT_SGD;
  c.opt.nesterov = 1;
  CHECK(mlp_train(m, Xtr, Ytr, NTR, Xva, Yva, NVA, &c, NULL, NULL, &r, &e) == MLPS_EINPUT);
  int w[] = {3, 0, 2};
  mlp_arch a;
  CHECK(mlp_arch_make(&a, w, 3, ACT_RELU, &e) == MLPS_EINPUT);
  CHECK(mlp_arch_make(&a, w, 1, ACT_RELU, &e) == MLPS_EINPUT);
  train_result_free(&r);
  mlp_free(m);
}

int main(void) {
  make_data();
  test_xor();
  test_early_stopping_restores_best();
  test_diverged();
  test_callback_and_timeout();
  test_determinism_and_partial_batch();
  test_schedules();
  test_no_validation();
  test_init();
  test_config_errors();
  return TEST_RESULT("nn_train");
}
