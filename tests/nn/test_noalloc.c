/* No allocation in the mini-batch loop: this executable interposes malloc,
 * calloc, realloc and free (forwarding to glibc's __libc_* functions) and
 * counts calls made while training steps run, after the trainer is built.
 * Reported SKIPPED under AddressSanitizer, which owns the allocator. */
#include <stddef.h>
#include <stdio.h>

#include "nn/mlp.h"
#include "nn/train.h"
#include "test_util.h"
#include "util/rng.h"

#if defined(__SANITIZE_ADDRESS__)
#define NOALLOC_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOALLOC_SKIP 1
#endif
#endif

#ifndef NOALLOC_SKIP
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static volatile int counting = 0;
static volatile long n_alloc = 0;
void *malloc(size_t n) {
  if (counting) n_alloc++;
  return __libc_malloc(n);
}
void *calloc(size_t c, size_t n) {
  if (counting) n_alloc++;
  return __libc_calloc(c, n);
}
void *realloc(void *p, size_t n) {
  if (counting) n_alloc++;
  return __libc_realloc(p, n);
}
void free(void *p) {
  if (counting && p) n_alloc++;
  __libc_free(p);
}
#endif

int main(void) {
#ifdef NOALLOC_SKIP
  printf("nn_noalloc: skipped under AddressSanitizer (it owns malloc)\n");
  return MLPS_TEST_SKIP;
#else
  enum { N = 300 };
  static float X[N * 5], Y[N * 4], W[N * 4];
  static size_t idx[N];
  mlps_rng r;
  rng_seed(&r, 1);
  for (int i = 0; i < N * 5; i++) X[i] = (float)rng_normal(&r);
  for (int i = 0; i < N * 4; i++) Y[i] = (float)rng_normal(&r);
  for (int i = 0; i < N * 4; i++) W[i] = 0.5f + (float)rng_uniform(&r);
  for (int i = 0; i < N; i++) idx[i] = (size_t)i;
  for (int act = 0; act < ACT_LINEAR; act++) {
    for (int opt = 0; opt < OPT_COUNT; opt++) {
      int w[] = {5, 32, 16, 4};
      mlp_arch a;
      mlps_err e = {0};
      mlp_arch_make(&a, w, 4, (nn_activation)act, &e);
      mlp *m = mlp_create(&a, &e);
      mlp_init(m, INIT_TORCH, 1);
      train_config c;
      train_config_default(&c);
      optim_config_default(&c.opt, (nn_optimizer)opt);
      c.opt.momentum = opt == OPT_SGD ? 0.9 : 0.0;
      c.batch = 64;
      c.dropout = act % 2 ? 0.1f : 0.0f;
      c.loss = (act + opt) % 2 ? LOSS_CHI2 : LOSS_MSE; /* the weighted path too */
      mlp_trainer *t;
      CHECK(mlp_trainer_create(&t, m, &c, &e) == MLPS_OK);
      n_alloc = 0;
      counting = 1;
      for (int s = 0; s < 10; s++) {
        rng_shuffle_size(&r, idx, N);
        for (int i = 0; i < N; i += 64)
          mlp_trainer_step_w(t, X, Y, W, idx + i, N - i < 64 ? N - i : 64, 1e-3);
        (void)mlp_trainer_eval_w(t, X, Y, W, N);
      }
      counting = 0;
      CHECK(n_alloc == 0);
      if (n_alloc)
        fprintf(stderr, "  %ld allocations with %s / %s / %s\n", n_alloc, NN_ACTIVATION_NAMES[act],
                NN_OPTIMIZER_NAMES[opt], NN_LOSS_NAMES[c.loss]);
      mlp_trainer_free(t);
      mlp_free(m);
    }
  }
  return TEST_RESULT("nn_noalloc");
#endif
}
