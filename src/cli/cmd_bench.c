/* mlpsweep bench: times the engine's training step (gather, forward, loss,
 * backward, optimizer) on synthetic data and prints one JSON object, with the
 * time spent inside the engine's own sgemm calls measured separately.
 * analysis/bench_torch.py is the PyTorch counterpart; analysis/bench_engine.sh
 * runs both and prints the ratios. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "nn/mlp.h"
#include "nn/train.h"
#include "util/clock.h"
#include "util/names.h"
#include "util/rng.h"

/* rng_derive purposes of the benchmark's streams. */
#define BENCH_PURPOSE_DATA 7 /* synthetic inputs and targets */
#define BENCH_PURPOSE_INIT 8 /* weight initialisation */

static const char *USAGE =
    "usage: mlpsweep bench [--net W0,W1,...,Wn] [--batch B] [--act NAME]\n"
    "                      [--optimizer NAME] [--steps N] [--warmup N] [--threads T]\n"
    "                      [--rows N] [--seed S]\n"
    "       mlpsweep bench --peak N [--threads T]\n\n"
    "Times MLP training steps (gather mini-batch, forward, MSE, backward,\n"
    "optimizer step) on synthetic data and prints one JSON object:\n"
    "samples_per_s, step_us, sgemm_us (time inside the engine's sgemm calls per\n"
    "step), sgemm_fraction, gflops (model flops per second), and the settings.\n"
    "With --peak N it instead times OpenBLAS's own sgemm on N x N x N matrices\n"
    "(best of 5) and prints its rate: the ceiling no engine on this BLAS passes.\n\n"
    "options:\n"
    "  --net W0,...,Wn   layer widths, inputs first, outputs last (default 3,64,64,64,64,60)\n"
    "  --batch B         mini-batch rows (default 256)\n"
    "  --act NAME        hidden activation: relu leaky_relu elu selu gelu swish sigmoid tanh\n"
    "                    (default relu)\n"
    "  --optimizer NAME  sgd adam adamw radam (default adam)\n"
    "  --steps N         timed steps (default 200)\n"
    "  --warmup N        untimed steps first (default 10)\n"
    "  --threads T       OpenBLAS threads (default 1)\n"
    "  --rows N          synthetic data rows (default 8192)\n"
    "  --seed S          seed of data and initialisation (default 1)\n"
    "  --peak N          time a square N x N x N sgemm instead (e.g. 2048)\n"
    "Compare with PyTorch: analysis/bench_engine.sh\n";

static int parse_net(const char *s, int *w, int *n) {
  *n = 0;
  const char *p = s;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > MLP_MAX_WIDTH || *n > MLP_MAX_LAYERS) return -1;
    w[(*n)++] = (int)v;
    if (*end == ',') {
      p = end + 1;
      if (!*p) return -1;
    } else if (*end) {
      return -1;
    } else {
      p = end;
    }
  }
  return *n >= 2 ? 0 : -1;
}

/* OpenBLAS's own rate on a large square sgemm, its best case: the reference
 * that tells whether a speed target is within reach of any engine calling
 * this BLAS on this core. */
static int bench_peak(long n, long threads) {
  size_t nn = (size_t)n * (size_t)n;
  float *a = malloc(nn * sizeof(float)), *b = malloc(nn * sizeof(float)),
        *c = malloc(nn * sizeof(float));
  if (!a || !b || !c) {
    free(a), free(b), free(c);
    mlps_err e = {0};
    mlps_errorf(&e, MLPS_ERUNTIME, "out of memory for three %ld x %ld matrices", n, n);
    return cli_report("bench", &e);
  }
  mlps_rng r;
  rng_seed(&r, 1);
  for (size_t i = 0; i < nn; i++)
    a[i] = (float)rng_normal(&r), b[i] = (float)rng_normal(&r), c[i] = 0.0f;
  nn_blas_set_threads((int)threads);
  nn_sgemm(0, 0, (int)n, (int)n, (int)n, 1.0f, a, (int)n, b, (int)n, 0.0f, c, (int)n); /* warm-up */
  double best = 1e300;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = mlps_now();
    nn_sgemm(0, 0, (int)n, (int)n, (int)n, 1.0f, a, (int)n, b, (int)n, 0.0f, c, (int)n);
    double d = mlps_now() - t0;
    if (d < best) best = d;
  }
  double flops = 2.0 * (double)n * (double)n * (double)n;
  printf(
      "{\"engine\": \"openblas-sgemm\", \"n\": %ld, \"threads\": %ld, \"seconds\": %.6f, "
      "\"gflops\": %.2f, \"blas\": \"%s\"}\n",
      n, threads, best, flops / best * 1e-9, nn_blas_info());
  int ok = isfinite(c[0]);
  free(a), free(b), free(c);
  return ok ? 0 : 1;
}

int cmd_bench(int argc, char **argv) {
  const char *sub = "bench";
  const char *net = "3,64,64,64,64,60";
  long batch = 256, steps = 200, warmup = 10, threads = 1, rows = 8192, seed = 1, peak = 0;
  int act = ACT_RELU, opt = OPT_ADAM;
  char names[256];
  /* The last training option seen: --peak times sgemm alone, so such an
   * option with it would be silently ignored; it is refused instead. */
  const char *train_opt = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (cli_is_help(a)) {
      fputs(USAGE, stdout);
      return 0;
    }
    if (strncmp(a, "--", 2) != 0) return cli_usage_error(sub, "unexpected argument '%s'", a);
    if (i + 1 >= argc) return cli_usage_error(sub, "%s needs a value", a);
    const char *v = argv[++i];
    int rc = 0;
    if (strcmp(a, "--peak") != 0 && strcmp(a, "--threads") != 0) train_opt = a;
    if (strcmp(a, "--net") == 0) {
      net = v;
    } else if (strcmp(a, "--batch") == 0) {
      rc = cli_parse_long(sub, a, v, 1, 1 << 20, &batch);
    } else if (strcmp(a, "--steps") == 0) {
      rc = cli_parse_long(sub, a, v, 1, 100000000, &steps);
    } else if (strcmp(a, "--warmup") == 0) {
      rc = cli_parse_long(sub, a, v, 0, 100000000, &warmup);
    } else if (strcmp(a, "--threads") == 0) {
      rc = cli_parse_long(sub, a, v, 1, 1024, &threads);
    } else if (strcmp(a, "--rows") == 0) {
      rc = cli_parse_long(sub, a, v, 1, 100000000, &rows);
    } else if (strcmp(a, "--peak") == 0) {
      rc = cli_parse_long(sub, a, v, 16, 16384, &peak);
    } else if (strcmp(a, "--seed") == 0) {
      rc = cli_parse_long(sub, a, v, 0, 0x7fffffffL, &seed);
    } else if (strcmp(a, "--act") == 0) {
      act = nn_activation_from_name(v);
      if (act < 0 || act == ACT_LINEAR)
        return cli_usage_error(sub, "--act: unknown hidden activation '%s'; valid: %s", v,
                               names_join(NN_ACTIVATION_NAMES, ACT_LINEAR, names, sizeof names));
    } else if (strcmp(a, "--optimizer") == 0) {
      opt = names_find(NN_OPTIMIZER_NAMES, OPT_COUNT, v);
      if (opt < 0)
        return cli_usage_error(sub, "--optimizer: unknown optimizer '%s'; valid: %s", v,
                               names_join(NN_OPTIMIZER_NAMES, OPT_COUNT, names, sizeof names));
    } else {
      return cli_usage_error(sub, "unknown option '%s'", a);
    }
    if (rc) return rc;
  }
  if (peak && train_opt)
    return cli_usage_error(sub,
                           "%s does not apply with --peak, which times a square sgemm alone "
                           "(only --threads does); drop one of them",
                           train_opt);
  if (peak) return bench_peak(peak, threads);
  int widths[MLP_MAX_LAYERS + 2], nw;
  if (parse_net(net, widths, &nw))
    return cli_usage_error(sub,
                           "--net expects 2 to %d comma-separated positive widths "
                           "(inputs first), got '%s'",
                           MLP_MAX_LAYERS + 1, net);
  if (batch > rows)
    return cli_usage_error(sub, "--batch (%ld) must not exceed --rows (%ld)", batch, rows);

  mlps_err e = {0};
  mlp_arch arch;
  if (mlp_arch_make(&arch, widths, nw, (nn_activation)act, &e)) return cli_report(sub, &e);
  int din = widths[0], dout = widths[nw - 1];
  nn_blas_set_threads((int)threads);

  float *X = malloc((size_t)rows * (size_t)din * sizeof(float));
  float *Y = malloc((size_t)rows * (size_t)dout * sizeof(float));
  size_t *idx = malloc((size_t)rows * sizeof(size_t));
  mlp *m = mlp_create(&arch, &e);
  if (!X || !Y || !idx || !m) {
    free(X), free(Y), free(idx), mlp_free(m);
    if (!e.code) mlps_errorf(&e, MLPS_ERUNTIME, "out of memory for %ld synthetic rows", rows);
    return cli_report(sub, &e);
  }
  mlps_rng r;
  rng_seed(&r, rng_derive((uint64_t)seed, BENCH_PURPOSE_DATA, 0, 0));
  for (size_t i = 0; i < (size_t)rows * (size_t)din; i++) X[i] = (float)rng_normal(&r);
  for (size_t i = 0; i < (size_t)rows * (size_t)dout; i++) Y[i] = (float)rng_normal(&r);
  for (size_t i = 0; i < (size_t)rows; i++) idx[i] = i;
  rng_shuffle_size(&r, idx, (size_t)rows);
  mlp_init(m, INIT_TORCH, rng_derive((uint64_t)seed, BENCH_PURPOSE_INIT, 0, 0));

  train_config c;
  train_config_default(&c);
  optim_config_default(&c.opt, (nn_optimizer)opt);
  if (opt == OPT_SGD) c.opt.momentum = 0.9; /* as bench_torch.py */
  c.batch = (int)batch;
  mlp_trainer *t;
  if (mlp_trainer_create(&t, m, &c, &e)) {
    free(X), free(Y), free(idx), mlp_free(m);
    return cli_report(sub, &e);
  }
  long nbat = rows / batch;
  double loss = 0.0;
  for (long s = 0; s < warmup; s++)
    loss = mlp_trainer_step(t, X, Y, idx + (s % nbat) * batch, (int)batch, c.opt.lr);

  /* Timed steps alternate in blocks between two modes so that both see the
   * same machine load: sgemm clock off (step_us: the real cost, no clock
   * calls in the loop) and on (sgemm_us, sgemm_fraction). */
  double dt = 0.0, dt_timed = 0.0;
  long done = 0, done_timed = 0, block = steps < 20 ? 1 : 10;
  nn_sgemm_reset();
  for (long s = 0; done + done_timed < 2 * steps; s++) {
    int timed = (int)((s / block) % 2);
    if ((timed ? done_timed : done) >= steps) continue;
    nn_sgemm_timing(timed);
    double t0 = mlps_now();
    loss = mlp_trainer_step(t, X, Y, idx + (s % nbat) * batch, (int)batch, c.opt.lr);
    double d = mlps_now() - t0;
    if (timed) dt_timed += d, done_timed++;
    else dt += d, done++;
  }
  nn_sgemm_timing(0);
  double sg = nn_sgemm_seconds();

  double flops = 0.0; /* forward + dW + dX (no dX for the input layer) */
  for (int l = 0; l < arch.n_layers; l++) {
    double f = 2.0 * (double)batch * arch.sizes[l] * arch.sizes[l + 1];
    flops += (l > 0 ? 3.0 : 2.0) * f;
  }
  double step_us = dt / (double)steps * 1e6;
  double sgemm_us = sg / (double)steps * 1e6; /* per step, from the timed-mode steps */
  char archs[256];
  printf(
      "{\"engine\": \"mlpsweep\", \"net\": \"%s\", \"arch\": \"%s\", \"batch\": %ld, "
      "\"act\": \"%s\", \"optimizer\": \"%s\", \"threads\": %ld, \"steps\": %ld, "
      "\"params\": %zu, \"step_us\": %.3f, \"samples_per_s\": %.1f, \"sgemm_us\": %.3f, "
      "\"sgemm_fraction\": %.4f, \"gflops\": %.2f, \"sgemm_gflops\": %.2f, "
      "\"final_loss\": %.6g, \"blas\": \"%s\"}\n",
      net, mlp_arch_str(&arch, archs, sizeof archs), batch, NN_ACTIVATION_NAMES[act],
      NN_OPTIMIZER_NAMES[opt], threads, steps, m->n_params, step_us,
      (double)batch / (step_us * 1e-6), sgemm_us, sg / dt_timed, flops / (step_us * 1e3),
      sg > 0 ? flops * (double)steps / sg * 1e-9 : 0.0, loss, nn_blas_info());
  mlp_trainer_free(t);
  mlp_free(m);
  free(X), free(Y), free(idx);
  return isfinite(loss) ? 0 : 1;
}
