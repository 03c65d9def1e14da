/* The X-ray tutorial's emulator: N(E) = A E^-Gamma on 60 log-spaced
 * energies in 0.3-10 keV, inputs (ln A, Gamma) with ln A uniform in
 * [ln 5e-4, ln 5e-2] and Gamma uniform in [1, 3], targets ln N. Inputs and
 * targets are standardised with training-set statistics (here, not in the
 * data module), an MLP is trained with Adam + reduce-on-plateau and early
 * stopping, and the held-out median |fractional error| in counts must be
 * below 0.5% (the acceptance figure). Seeds are fixed; over five
 * other data/init/shuffle seeds the median was 0.17-0.21%, so the margin is
 * not luck. Runs in about a second (Release). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/mlp.h"
#include "nn/train.h"
#include "test_util.h"
#include "util/rng.h"

#define NE 60
#define NTR 2000
#define NVA 400
#define NTE 400
#define NTOT (NTR + NVA + NTE)

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int verbose = argc > 1; /* any argument: print the learning curve */
  (void)argv;
  static float X[NTOT * 2], Y[NTOT * NE];
  double lnE[NE];
  for (int k = 0; k < NE; k++) lnE[k] = log(0.3) + (log(10.0) - log(0.3)) * k / (NE - 1);
  mlps_rng r;
  rng_seed(&r, 2024);
  for (int i = 0; i < NTOT; i++) {
    double lnA = log(5e-4) + (log(5e-2) - log(5e-4)) * rng_uniform(&r);
    double G = 1.0 + 2.0 * rng_uniform(&r);
    X[2 * i] = (float)lnA;
    X[2 * i + 1] = (float)G;
    for (int k = 0; k < NE; k++) Y[i * NE + k] = (float)(lnA - G * lnE[k]);
  }
  /* standardise columns with the training rows' mean and std */
  double xm[2], xs[2], ym[NE], ys[NE];
  for (int pass = 0; pass < 2; pass++) {
    float *A = pass ? Y : X;
    int d = pass ? NE : 2;
    double *mu = pass ? ym : xm, *sd = pass ? ys : xs;
    for (int j = 0; j < d; j++) {
      double s = 0, s2 = 0;
      for (int i = 0; i < NTR; i++) s += A[i * d + j];
      mu[j] = s / NTR;
      for (int i = 0; i < NTR; i++) s2 += (A[i * d + j] - mu[j]) * (A[i * d + j] - mu[j]);
      sd[j] = sqrt(s2 / NTR);
      for (int i = 0; i < NTOT; i++) A[i * d + j] = (float)((A[i * d + j] - mu[j]) / sd[j]);
    }
  }

  int w[] = {2, 64, 64, NE};
  mlp_arch a;
  mlps_err e = {0};
  CHECK(mlp_arch_make(&a, w, 4, ACT_TANH, &e) == MLPS_OK);
  mlp *m = mlp_create(&a, &e);
  mlp_init(m, INIT_TORCH, 1);
  train_config c;
  train_config_default(&c);
  c.opt.lr = 2e-3;
  c.batch = 32;
  c.max_epochs = 100;
  c.patience = 30;
  c.schedule = SCHED_PLATEAU;
  c.plateau_factor = 0.3;
  c.plateau_patience = 8;
  c.plateau_min_lr = 1e-6;
  c.seed = 7;
  train_result res;
  CHECK(mlp_train(m, X, Y, NTR, X + NTR * 2, Y + NTR * NE, NVA, &c, NULL, NULL, &res, &e) ==
        MLPS_OK);
  CHECK(res.status == TRAIN_OK);

  const float *Xte = X + (NTR + NVA) * 2, *Yte = Y + (NTR + NVA) * NE;
  float *P = malloc(sizeof(float) * NTE * NE);
  double *fe = malloc(sizeof(double) * NTE * NE);
  CHECK(mlp_predict(m, Xte, NTE, P, &e) == MLPS_OK);
  for (int i = 0; i < NTE * NE; i++) {
    int k = i % NE;
    double lp = P[i] * ys[k] + ym[k], lt = Yte[i] * ys[k] + ym[k];
    fe[i] = fabs(exp(lp - lt) - 1.0); /* |N_pred / N_true - 1| */
  }
  qsort(fe, NTE * NE, sizeof(double), cmp_double);
  double med = fe[NTE * NE / 2], p95 = fe[(int)(0.95 * NTE * NE)];
  printf("powerlaw: %d epochs (best %d), %.2f s, median |frac err| %.4f%%, p95 %.4f%%\n",
         res.epochs_run, res.best_epoch, res.seconds, 100 * med, 100 * p95);
  if (verbose)
    for (int i = 0; i < res.n_history; i++)
      printf("%3d train %.3e val %.3e lr %.1e\n", i, res.history[i].train_loss,
             res.history[i].val_loss, res.history[i].lr);
  CHECK(med < 0.005);
  free(P);
  free(fe);
  train_result_free(&res);
  mlp_free(m);
  return TEST_RESULT("nn_powerlaw");
}
