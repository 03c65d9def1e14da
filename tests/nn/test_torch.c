/* The engine against PyTorch (reference values from make_torch_reference.py):
 *  1. optimizer trajectories (12 steps) of sgd (plain, weight decay, momentum,
 *     dampening, nesterov), adam (+L2), adamw, radam (+L2, both sides of the
 *     rho_t > 5 switch) on a fixed 7-vector with fixed gradients;
 *  2. a 3-8-6-2 net with torch's weights: forward output, loss, gradients,
 *     and the parameters after 3 forward+backward+Adam steps, for
 *     relu/gelu/tanh (mse) and elu/swish (mae).
 * Tolerances: both sides compute in float32 with the step scalars in double;
 * differences come from operation order (sgemm vs torch's kernels), a few
 * ulp per operation. Optimizer trajectories: rtol 1e-5 + atol 1e-6 (12
 * steps of ~6 float ops each). Net outputs/loss: rtol 1e-5, atol 1e-6;
 * gradients: rtol 1e-4, atol 1e-6 (sums of 5-row products in a different
 * order); parameters after 3 Adam steps: atol 2e-5 (Adam normalises the
 * gradient, so a 1e-4 relative gradient error moves a parameter by at most
 * ~1e-4 * lr per step, plus float rounding of O(1) values). */
#include <stdlib.h>

#include "nn/mlp.h"
#include "nn/optim.h"
#include "nn/train.h"
#include "ref_reader.h"
#include "test_util.h"

static void test_optimizers(const ref_file *f) {
  const ref_array *p0 = ref_get(f, "opt_p0", -1);
  int n = p0->n;
  const ref_array *g = ref_get(f, "opt_grads", -1);
  int steps = g->n / n;
  int ncases = (int)ref_get(f, "opt_ncases", 1)->v[0];
  float *p = malloc((size_t)n * sizeof(float)), *gr = malloc((size_t)n * sizeof(float));
  for (int c = 0; c < ncases; c++) {
    char name[64];
    snprintf(name, sizeof name, "opt_cfg_%d", c);
    const double *cfg = ref_get(f, name, 9)->v;
    snprintf(name, sizeof name, "opt_traj_%d", c);
    const ref_array *traj = ref_get(f, name, steps * n);
    optim_config oc;
    optim_config_default(&oc, (nn_optimizer)(int)cfg[0]);
    oc.lr = cfg[1];
    oc.weight_decay = cfg[2];
    oc.momentum = cfg[3];
    oc.dampening = cfg[4];
    oc.nesterov = (int)cfg[5];
    oc.beta1 = cfg[6];
    oc.beta2 = cfg[7];
    oc.eps = cfg[8];
    optim_state st;
    mlps_err e = {0};
    CHECK(optim_init(&st, &oc, (size_t)n, &e) == MLPS_OK);
    for (int i = 0; i < n; i++) p[i] = (float)p0->v[i];
    int bad = t_failures;
    for (int s = 0; s < steps; s++) {
      for (int i = 0; i < n; i++) gr[i] = (float)g->v[s * n + i];
      optim_step(&st, p, gr, oc.lr);
      for (int i = 0; i < n; i++) CHECK_CLOSE(p[i], traj->v[s * n + i], 1e-5, 1e-6);
    }
    if (t_failures != bad)
      fprintf(stderr, "  in optimizer case %d (%s)\n", c, NN_OPTIMIZER_NAMES[(int)cfg[0]]);
    optim_free(&st);
  }
  free(p);
  free(gr);
}

static void test_nets(const ref_file *f) {
  const ref_array *sz = ref_get(f, "net_sizes", -1);
  int widths[8];
  for (int i = 0; i < sz->n; i++) widths[i] = (int)sz->v[i];
  const ref_array *xr = ref_get(f, "net_x", -1), *yr = ref_get(f, "net_y", -1);
  int B = xr->n / widths[0];
  float *x = malloc((size_t)xr->n * sizeof(float)), *y = malloc((size_t)yr->n * sizeof(float));
  for (int i = 0; i < xr->n; i++) x[i] = (float)xr->v[i];
  for (int i = 0; i < yr->n; i++) y[i] = (float)yr->v[i];
  int ncases = (int)ref_get(f, "net_ncases", 1)->v[0];
  for (int c = 0; c < ncases; c++) {
    char name[64];
    snprintf(name, sizeof name, "net_cfg_%d", c);
    const double *cfg = ref_get(f, name, 2)->v;
    mlps_err e = {0};
    mlp_arch a;
    CHECK(mlp_arch_make(&a, widths, sz->n, (nn_activation)(int)cfg[0], &e) == MLPS_OK);
    mlp *m = mlp_create(&a, &e);
    snprintf(name, sizeof name, "net_params_%d", c);
    const ref_array *pr = ref_get(f, name, (int)m->n_params);
    for (size_t i = 0; i < m->n_params; i++) m->params[i] = (float)pr->v[i];
    int bad = t_failures;

    /* predict == torch forward */
    float out[64];
    CHECK(mlp_predict(m, x, (size_t)B, out, &e) == MLPS_OK);
    snprintf(name, sizeof name, "net_out_%d", c);
    const ref_array *outr = ref_get(f, name, B * widths[sz->n - 1]);
    for (int i = 0; i < outr->n; i++) CHECK_CLOSE(out[i], outr->v[i], 1e-5, 1e-6);

    train_config tc;
    train_config_default(&tc);
    tc.loss = (nn_loss)(int)cfg[1];
    tc.batch = B;
    tc.opt.lr = 0.01;
    mlp_trainer *t;
    CHECK(mlp_trainer_create(&t, m, &tc, &e) == MLPS_OK);
    double loss = mlp_trainer_grad(t, x, y, NULL, B);
    snprintf(name, sizeof name, "net_loss_%d", c);
    CHECK_CLOSE(loss, ref_get(f, name, 1)->v[0], 1e-5, 1e-7);
    snprintf(name, sizeof name, "net_grads_%d", c);
    const ref_array *gr = ref_get(f, name, (int)m->n_params);
    const float *g = mlp_trainer_grads(t);
    for (size_t i = 0; i < m->n_params; i++) CHECK_CLOSE(g[i], gr->v[i], 1e-4, 1e-6);

    /* fresh optimizer state: 3 steps of forward + backward + Adam */
    optim_reset(mlp_trainer_optim(t));
    for (int s = 0; s < 3; s++) mlp_trainer_step(t, x, y, NULL, B, tc.opt.lr);
    snprintf(name, sizeof name, "net_params3_%d", c);
    const ref_array *p3 = ref_get(f, name, (int)m->n_params);
    for (size_t i = 0; i < m->n_params; i++) CHECK_CLOSE(m->params[i], p3->v[i], 0.0, 2e-5);
    if (t_failures != bad)
      fprintf(stderr, "  in net case %d (%s, %s)\n", c, NN_ACTIVATION_NAMES[(int)cfg[0]],
              NN_LOSS_NAMES[(int)cfg[1]]);
    mlp_trainer_free(t);
    mlp_free(m);
  }
  free(x);
  free(y);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_nn_torch tests/nn/data/torch_ref.txt\n");
    return 2;
  }
  ref_file f;
  ref_load(&f, argv[1]);
  test_optimizers(&f);
  test_nets(&f);
  ref_free(&f);
  return TEST_RESULT("nn_torch");
}
