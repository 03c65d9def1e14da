/* Finite-difference gradient checks: every hidden activation x every loss on
 * a 4-7-6-5-3 net (three hidden layers), batch 6 gathered through an index
 * permutation. The engine's analytic float32 gradient is compared with a
 * central difference of an independent double-precision forward pass written
 * here (which also checks the engine's forward). Loss chi2 gets per-element
 * weights spanning two decades (as (y/sigma)^2 of Poisson bins would), so a
 * weight applied to the wrong element or left out of the gradient fails.
 *
 * Tolerance: |g - fd| <= 2e-3 |fd| + 2e-5 max|fd|. The FD side is accurate
 * to ~1e-9 (double, h = 1e-5: truncation h^2 ~ 1e-10, rounding 1e-16/h);
 * the engine side is float32 (eps 6e-8) through 4 layers of sums of <= 7
 * terms and transcendental functions (expf, erff: a few ulp), so relative
 * errors of 1e-6..1e-5 of the gradient's scale are expected; 2e-5 of the
 * largest gradient leaves margin while a wrong derivative (errors of order
 * 1) fails by orders of magnitude. Kinks (relu, leaky_relu at 0; mae at
 * y = t) are met with probability ~h per unit and the seeds are fixed.
 * The same check runs with dropout 0.3, the reference applying the masks the
 * engine's forward drew. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/mlp.h"
#include "nn/train.h"
#include "ref_act.h"
#include "test_util.h"
#include "util/rng.h"

#define B 6

/* Double forward of the whole batch with parameters p (engine layout). */
/* masks[l][r * width + k]: dropout scale of hidden layer l (1-based as in
 * mlp_fwd_ws), or NULL without dropout. */
static const float *const *g_masks = NULL;
/* chi2 weights, laid out as Y (rows of the data, not of the batch). */
static const float *g_w = NULL;

static double ref_loss(const mlp_arch *a, const double *p, const float *X, const float *Y,
                       const size_t *idx, nn_loss loss, double *out) {
  double s = 0;
  int L = a->n_layers, dout = a->sizes[L];
  for (int r = 0; r < B; r++) {
    double h[64], hn[64];
    for (int j = 0; j < a->sizes[0]; j++) h[j] = X[idx[r] * a->sizes[0] + j];
    for (int l = 0; l < L; l++) {
      size_t wo, bo;
      mlp_arch_offsets(a, l, &wo, &bo);
      int in = a->sizes[l], o = a->sizes[l + 1];
      for (int k = 0; k < o; k++) {
        double z = p[bo + k];
        for (int j = 0; j < in; j++) z += p[wo + (size_t)k * in + j] * h[j];
        hn[k] = l < L - 1 ? ref_act(a->act, z) : z;
        if (l < L - 1 && g_masks) hn[k] *= g_masks[l + 1][r * o + k];
      }
      memcpy(h, hn, sizeof(double) * o);
    }
    for (int k = 0; k < dout; k++) {
      if (out) out[r * dout + k] = h[k];
      double d = h[k] - Y[idx[r] * dout + k];
      s += loss == LOSS_MAE    ? fabs(d)
           : loss == LOSS_CHI2 ? (double)g_w[idx[r] * dout + k] * d * d
                               : d * d;
    }
  }
  return s / (B * dout);
}

int main(void) {
  int widths[] = {4, 7, 6, 5, 3};
  const int N = 11; /* data rows; the batch takes 6 of them through idx */
  float X[11 * 4], Y[11 * 3];
  size_t idx[B] = {3, 9, 0, 7, 4, 10};
  mlps_rng r;
  rng_seed(&r, 42);
  for (int i = 0; i < N * 4; i++) X[i] = (float)rng_normal(&r);
  for (int i = 0; i < N * 3; i++) Y[i] = (float)rng_normal(&r);
  float W[11 * 3];
  for (int i = 0; i < N * 3; i++) W[i] = (float)exp(2.3 * rng_uniform(&r)); /* 1..10 */
  g_w = W;
  for (int act = 0; act < ACT_LINEAR; act++) {
    for (int loss = 0; loss < LOSS_COUNT; loss++) {
      mlps_err e = {0};
      mlp_arch a;
      CHECK(mlp_arch_make(&a, widths, 5, (nn_activation)act, &e) == MLPS_OK);
      mlp *m = mlp_create(&a, &e);
      mlp_init(m, INIT_HE, 100 + act);
      /* non-zero biases so every unit has a generic operating point */
      for (int l = 0; l < a.n_layers; l++)
        for (int k = 0; k < a.sizes[l + 1]; k++) m->layer[l].b[k] = (float)(0.3 * rng_normal(&r));
      train_config c;
      train_config_default(&c);
      c.loss = (nn_loss)loss;
      c.batch = B;
      mlp_trainer *t;
      CHECK(mlp_trainer_create(&t, m, &c, &e) == MLPS_OK);
      double lossv = mlp_trainer_grad_w(t, X, Y, W, idx, B);
      const float *g = mlp_trainer_grads(t);
      {
        /* evaluation (eval_w, contiguous rows) agrees with the batch loss */
        float xg[B * 4], yg[B * 3], wg[B * 3];
        for (int i = 0; i < B; i++) {
          memcpy(xg + i * 4, X + idx[i] * 4, 4 * sizeof(float));
          memcpy(yg + i * 3, Y + idx[i] * 3, 3 * sizeof(float));
          memcpy(wg + i * 3, W + idx[i] * 3, 3 * sizeof(float));
        }
        CHECK_CLOSE(mlp_trainer_eval_w(t, xg, yg, wg, B), lossv, 1e-6, 1e-9);
      }

      size_t n = m->n_params;
      double *p = malloc(n * sizeof(double)), *fd = malloc(n * sizeof(double));
      for (size_t i = 0; i < n; i++) p[i] = m->params[i];
      double out[B * 3];
      double l0 = ref_loss(&a, p, X, Y, idx, (nn_loss)loss, out);
      int bad = t_failures;
      CHECK_CLOSE(lossv, l0, 1e-5, 1e-7);
      /* forward: engine predict on the gathered rows vs the double forward */
      float xb[B * 4], yb[B * 3];
      for (int i = 0; i < B; i++) memcpy(xb + i * 4, X + idx[i] * 4, 4 * sizeof(float));
      CHECK(mlp_predict(m, xb, B, yb, &e) == MLPS_OK);
      for (int i = 0; i < B * 3; i++) CHECK_CLOSE(yb[i], out[i], 1e-5, 1e-6);

      double gmax = 0;
      const double h = 1e-5;
      for (size_t i = 0; i < n; i++) {
        double keep = p[i];
        p[i] = keep + h;
        double lp = ref_loss(&a, p, X, Y, idx, (nn_loss)loss, NULL);
        p[i] = keep - h;
        double lm = ref_loss(&a, p, X, Y, idx, (nn_loss)loss, NULL);
        p[i] = keep;
        fd[i] = (lp - lm) / (2 * h);
        if (fabs(fd[i]) > gmax) gmax = fabs(fd[i]);
      }
      CHECK(gmax > 1e-3); /* the check is not vacuous */
      for (size_t i = 0; i < n; i++) CHECK_CLOSE(g[i], fd[i], 2e-3, 2e-5 * gmax);
      if (t_failures != bad)
        fprintf(stderr, "  in %s x %s\n", NN_ACTIVATION_NAMES[act], NN_LOSS_NAMES[loss]);
      free(p);
      free(fd);
      mlp_trainer_free(t);
      mlp_free(m);
    }
  }
  /* dropout: the engine's gradient with the masks its forward drew equals the
   * FD gradient of the double forward with the same masks */
  for (int act = 0; act < ACT_LINEAR; act++) {
    mlps_err e = {0};
    mlp_arch a;
    mlp_arch_make(&a, widths, 5, (nn_activation)act, &e);
    mlp *m = mlp_create(&a, &e);
    mlp_init(m, INIT_TORCH, 7);
    train_config c;
    train_config_default(&c);
    c.batch = B;
    c.dropout = 0.3f;
    c.seed = 99;
    mlp_trainer *t;
    CHECK(mlp_trainer_create(&t, m, &c, &e) == MLPS_OK);
    double lossv = mlp_trainer_grad(t, X, Y, idx, B);
    const mlp_fwd_ws *w = mlp_trainer_workspace(t);
    CHECK(w->dropout_active);
    int zeros = 0, total = 0;
    for (int l = 1; l < a.n_layers; l++)
      for (int i = 0; i < B * a.sizes[l]; i++, total++) {
        zeros += w->mask[l][i] == 0.0f;
        CHECK(w->mask[l][i] == 0.0f || w->mask[l][i] == 1.0f / 0.7f);
      }
    CHECK(zeros > 0 && zeros < total / 2); /* p = 0.3 of 108 units: ~32 */
    g_masks = (const float *const *)w->mask;
    size_t n = m->n_params;
    double *p = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) p[i] = m->params[i];
    CHECK_CLOSE(lossv, ref_loss(&a, p, X, Y, idx, LOSS_MSE, NULL), 1e-5, 1e-7);
    const float *g = mlp_trainer_grads(t);
    double gmax = 0, *fd = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
      double keep = p[i], h = 1e-5;
      p[i] = keep + h;
      double lp = ref_loss(&a, p, X, Y, idx, LOSS_MSE, NULL);
      p[i] = keep - h;
      double lm = ref_loss(&a, p, X, Y, idx, LOSS_MSE, NULL);
      p[i] = keep;
      fd[i] = (lp - lm) / (2 * h);
      if (fabs(fd[i]) > gmax) gmax = fabs(fd[i]);
    }
    int bad = t_failures;
    for (size_t i = 0; i < n; i++) CHECK_CLOSE(g[i], fd[i], 2e-3, 2e-5 * gmax);
    if (t_failures != bad) fprintf(stderr, "  in dropout x %s\n", NN_ACTIVATION_NAMES[act]);
    /* evaluation never drops: predict twice, same result, equal to no-mask forward */
    g_masks = NULL;
    float xb[B * 4], yb[B * 3];
    double out[B * 3];
    for (int i = 0; i < B; i++) memcpy(xb + i * 4, X + idx[i] * 4, 4 * sizeof(float));
    mlp_predict(m, xb, B, yb, &e);
    ref_loss(&a, p, X, Y, idx, LOSS_MSE, out);
    for (int i = 0; i < B * 3; i++) CHECK_CLOSE(yb[i], out[i], 1e-5, 1e-6);
    free(p);
    free(fd);
    mlp_trainer_free(t);
    mlp_free(m);
  }
  return TEST_RESULT("nn_grad");
}
