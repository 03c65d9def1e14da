/* Activation loops over whole buffers (see act.h). One loop per activation,
 * the switch outside, so that each loop vectorises.
 *
 * no-trapping-math lets GCC compute both sides of a select (e.g. tanh's
 * polynomial and exp branches) and if-convert it; it changes no result (no
 * reassociation, no contraction), only the assumption that floating-point
 * exceptions are not observed, which nothing here does. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "nn/act.h"

/* An AVX2 clone (8 lanes) chosen at load time where the CPU has it; "avx2"
 * does not imply FMA, so both clones round identically. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NN_CLONES
#endif

NN_CLONES void nn_act_forward(float *restrict h, float *restrict z, size_t n, nn_activation a) {
  if (z && a != ACT_LINEAR) memcpy(z, h, n * sizeof(float));
  switch (a) {
    case ACT_RELU:
      for (size_t i = 0; i < n; i++) h[i] = nn_act_one(ACT_RELU, h[i]);
      break;
    case ACT_LEAKY_RELU:
      for (size_t i = 0; i < n; i++) h[i] = nn_act_one(ACT_LEAKY_RELU, h[i]);
      break;
    case ACT_ELU:
      for (size_t i = 0; i < n; i++) h[i] = nn_act_one(ACT_ELU, h[i]);
      break;
    case ACT_SELU:
      for (size_t i = 0; i < n; i++) h[i] = nn_act_one(ACT_SELU, h[i]);
      break;
    case ACT_GELU:
      for (size_t i = 0; i < n; i++) h[i] = nn_act_one(ACT_GELU, h[i]);
      break;
    case ACT_SWISH:
      for (size_t i = 0; i < n; i++) h[i] = nn_act_one(ACT_SWISH, h[i]);
      break;
    case ACT_SIGMOID:
      for (size_t i = 0; i < n; i++) h[i] = nn_act_one(ACT_SIGMOID, h[i]);
      break;
    case ACT_TANH:
      for (size_t i = 0; i < n; i++) h[i] = nn_act_one(ACT_TANH, h[i]);
      break;
    case ACT_LINEAR:
    default: break;
  }
}

NN_CLONES void nn_act_backward(float *restrict d, const float *restrict h, const float *restrict z,
                               const float *restrict mask, size_t n, nn_activation a) {
  switch (a) {
    case ACT_RELU:
      for (size_t i = 0; i < n; i++) d[i] = h[i] > 0.0f ? d[i] : 0.0f;
      break;
    case ACT_LEAKY_RELU:
      for (size_t i = 0; i < n; i++) d[i] = h[i] > 0.0f ? d[i] : 0.01f * d[i];
      break;
    case ACT_ELU: /* z <= 0: d/dz (e^z - 1) = e^z = h + 1 */
      for (size_t i = 0; i < n; i++) d[i] *= h[i] > 0.0f ? 1.0f : h[i] + 1.0f;
      break;
    case ACT_SELU: /* z <= 0: scale * alpha * e^z = h + scale * alpha */
      for (size_t i = 0; i < n; i++)
        d[i] *= h[i] > 0.0f ? NN_SELU_SCALE : h[i] + NN_SELU_SCALE * NN_SELU_ALPHA;
      break;
    case ACT_SIGMOID:
      for (size_t i = 0; i < n; i++) d[i] *= h[i] * (1.0f - h[i]);
      break;
    case ACT_TANH:
      for (size_t i = 0; i < n; i++) d[i] *= 1.0f - h[i] * h[i];
      break;
    case ACT_GELU: /* Phi(z) + z phi(z) */
      for (size_t i = 0; i < n; i++) {
        float x = z[i];
        float cdf = nn_ncdff(x);
        float pdf = 0.39894228040143268f * nn_expf(-0.5f * x * x);
        d[i] *= cdf + x * pdf;
      }
      break;
    case ACT_SWISH: /* s + z s (1 - s) */
      for (size_t i = 0; i < n; i++) {
        float x = z[i];
        float s = nn_sigmoidf(x);
        d[i] *= s * (1.0f + x * (1.0f - s));
      }
      break;
    default: break;
  }
  if (mask)
    for (size_t i = 0; i < n; i++) d[i] *= mask[i];
}
