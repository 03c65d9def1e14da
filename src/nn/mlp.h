/* The MLP itself: architecture, the one-allocation parameter buffer with
 * named per-layer views, and inference (predict / evaluate).
 *
 * Parameter layout (the flat buffer, also what the sweep writes to HDF5):
 *   for l = 0 .. n_layers-1, with in = sizes[l], out = sizes[l+1]:
 *     W_l  (out, in) row-major, exactly torch.nn.Linear.weight
 *     b_l  (out)                       torch.nn.Linear.bias
 *   so a torch state_dict flattened in order (0.weight, 0.bias, 2.weight, ...)
 *   is the same vector. Gradients and optimizer state mirror this layout.
 * Hidden layers apply arch.act; the output layer is linear.
 *
 * Data passed in is float32 row-major (n, d) and is never owned or modified
 * by the engine (it may live in node-shared memory). */
#ifndef MLPS_NN_MLP_H
#define MLPS_NN_MLP_H

#include <stddef.h>

#include "nn/nn_types.h"
#include "util/err.h"
#include "util/rng.h"

#define MLP_MAX_LAYERS 32 /* dense layers (hidden + output) */
#define MLP_MAX_WIDTH (1 << 20)

typedef struct {
  int n_layers;                  /* dense layers = hidden layers + 1 */
  int sizes[MLP_MAX_LAYERS + 1]; /* sizes[0] = inputs, sizes[n_layers] = outputs */
  nn_activation act;             /* hidden activation (output is linear) */
} mlp_arch;

/* Named views into params (llm.c style). */
typedef struct {
  float *W; /* (out, in) row-major */
  float *b; /* (out) */
} mlp_layer;

typedef struct {
  mlp_arch arch;
  size_t n_params;
  float *params;                   /* (n_params): the one allocation */
  mlp_layer layer[MLP_MAX_LAYERS]; /* views into params */
} mlp;

/* Fills arch from widths[0..n_widths) (inputs first, outputs last). */
int mlp_arch_make(mlp_arch *a, const int *widths, int n_widths, nn_activation act, mlps_err *e);
/* Checks an arch (layer count, widths, activation). */
int mlp_arch_check(const mlp_arch *a, mlps_err *e);
/* Number of floats in the parameter buffer. */
size_t mlp_arch_num_params(const mlp_arch *a);
/* Offsets (in floats) of W_l and b_l inside the flat buffer. */
void mlp_arch_offsets(const mlp_arch *a, int l, size_t *w_off, size_t *b_off);
/* Largest width over all layers, inputs and outputs included. */
int mlp_arch_max_width(const mlp_arch *a);
/* "3-64-64-60" style text into buf. */
const char *mlp_arch_str(const mlp_arch *a, char *buf, size_t bufsize);

/* Allocates a model (parameters zero). NULL and e set on failure. */
mlp *mlp_create(const mlp_arch *a, mlps_err *e);
void mlp_free(mlp *m);
/* New model with the same architecture and parameters. */
mlp *mlp_clone(const mlp *m, mlps_err *e);
/* Points W/b views of a layer array at buf (any buffer with the layout). */
void mlp_point_views(const mlp_arch *a, float *buf, mlp_layer *views);

/* Initialises parameters from seed (util/rng): INIT_TORCH is nn.Linear's
 * default: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); INIT_HE: W ~
 * N(0, 2/fan_in), b = 0; INIT_GLOROT: W ~ U(+-sqrt(6/(fan_in+fan_out))), b = 0. */
void mlp_init(mlp *m, nn_init init, unsigned long long seed);

/* Copy the flat parameter buffer (layout above) out of / into a model. */
void mlp_get_params(const mlp *m, float *dst);
void mlp_set_params(mlp *m, const float *src);
/* 1 when every parameter is finite. */
int mlp_params_finite(const mlp *m);

/* Forward pass in eval mode (no dropout) on n rows of X (n, sizes[0]);
 * writes Y (n, sizes[n_layers]). Allocates a small workspace per call. */
int mlp_predict(const mlp *m, const float *X, size_t n, float *Y, mlps_err *e);

/* Eval-mode metrics over n rows, accumulated in double: mean squared and
 * mean absolute error over all n*m outputs (either pointer may be NULL). */
int mlp_evaluate(const mlp *m, const float *X, const float *Y, size_t n, double *mse, double *mae,
                 mlps_err *e);

/* ---- kernels shared with the trainer (nn internal, documented for tests) ---- */

/* Forward workspace for batches of up to max_batch rows. */
typedef struct {
  int max_batch;
  int dropout_active; /* last forward applied dropout (hd/mask valid) */
  float *buf;         /* the one allocation */
  float *h[MLP_MAX_LAYERS +
           1]; /* h[0] unused (input); h[l+1] (B, sizes[l+1]) layer output after act */
  float *z[MLP_MAX_LAYERS +
           1]; /* pre-activations, only for acts whose derivative needs z (gelu, swish) */
  float *
      mask[MLP_MAX_LAYERS + 1]; /* dropout scale (0 or 1/(1-p)) per hidden unit, when dropout > 0 */
  float *hd[MLP_MAX_LAYERS + 1]; /* h after dropout (the next layer's input), when dropout > 0 */
} mlp_fwd_ws;

int mlp_fwd_ws_init(mlp_fwd_ws *w, const mlp_arch *a, int max_batch, int with_dropout, mlps_err *e);
void mlp_fwd_ws_free(mlp_fwd_ws *w);
/* Forward on nb rows of X; returns pointer to the (nb, out) output inside w.
 * dropout > 0 with rng applies inverted dropout to hidden layers (training). */
const float *mlp_forward(const mlp *m, mlp_fwd_ws *w, const float *X, int nb, float dropout,
                         mlps_rng *rng);
/* Input of layer l for the last forward (X itself for l = 0). */
const float *mlp_fwd_input(const mlp_fwd_ws *w, const float *X, int l);

/* Elementwise activation (exposed for tests). */
float nn_act(nn_activation a, float z);
/* 1 when the activation's derivative needs the pre-activation z (gelu, swish);
 * the others get it from the output h. */
int nn_act_needs_z(nn_activation a);
#if defined(__GNUC__) && !defined(__clang__)
#define NN_NO_MEMCPY_PATTERN __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NN_NO_MEMCPY_PATTERN
#endif
/* h[i, :] = b for i < nb (h is (nb, n) row-major). */
void nn_fill_rows(float *restrict h, const float *restrict b, int nb, int n);
/* sgemm wrapper (row-major) that the bench can time. */
void nn_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);

/* Bench instrumentation: when on, time spent inside the engine's sgemm calls
 * (this thread only) is accumulated; off by default so training pays one
 * predictable branch. */
void nn_sgemm_timing(int on);
double nn_sgemm_seconds(void); /* accumulated since the last reset */
void nn_sgemm_reset(void);
/* OpenBLAS thread count (openblas_set_num_threads) and core name / config
 * text for reports; no-ops / "unknown" with another cblas. */
void nn_blas_set_threads(int n);
const char *nn_blas_info(void);

#endif
