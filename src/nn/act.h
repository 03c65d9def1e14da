/* Activation functions, forward and backward, on whole buffers.
 *
 * libm's expf/erff/tanhf are calls GCC cannot vectorise, and they made the
 * smooth activations cost more than the matrix products. These are
 * branch-free float versions that GCC vectorises: exp by Cody-Waite range
 * reduction and the Cephes polynomial (<= 2 ulp on the clamped range),
 * tanh by Cephes' odd polynomial for |x| < 0.625 and 1 - 2/(exp(2|x|) + 1)
 * beyond, the normal CDF (for GELU) by Numerical Recipes' erfc fit
 * (relative error < 1.2e-7). NaN inputs give NaN
 * outputs (divergence must stay visible); exp clamps to [-87, 88] so no
 * overflow to Inf happens inside an activation. fabsf/copysignf instead of
 * sign tests keep the code free of branches GCC would not if-convert. */
#ifndef MLPS_NN_ACT_H
#define MLPS_NN_ACT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nn/nn_types.h"

#define NN_SELU_ALPHA 1.6732632423543772848170429916717f
#define NN_SELU_SCALE 1.0507009873554804934193349852946f

static inline float nn_bits_to_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static inline uint32_t nn_float_to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static inline float nn_expf(float x) {
  /* clamp to [-87, 88]; NaN passes through (its comparisons are false).
   * Written as three independent selects: two chained ones get
   * jump-threaded into branches and the loop is no longer vectorised. */
  float hi = x > 88.0f ? 88.0f : x, lo = x < -87.0f ? -87.0f : x;
  x = x > 0.0f ? hi : lo;
  /* n = round(x / ln 2) via the 1.5 * 2^23 trick (exact for |n| < 2^22) */
  float t = x * 1.44269504088896341f + 12582912.0f;
  float fn = t - 12582912.0f;
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t n = (int32_t)(nn_float_to_bits(t) - 0x4B400000u); /* |n| <= 127 */
  return p * nn_bits_to_float((uint32_t)(n + 127) << 23);
}

/* e^x - 1 without the cancellation near 0: Taylor to x^6 for |x| < 0.35
 * (truncation < 2e-7 relative), nn_expf(x) - 1 beyond. */
static inline float nn_expm1f(float x) {
  float ax = fabsf(x);
  float p =
      x *
      (1.0f + x * (0.5f + x * (1.0f / 6 + x * (1.0f / 24 + x * (1.0f / 120 + x * (1.0f / 720))))));
  float e = nn_expf(x) - 1.0f;
  return ax < 0.35f ? p : e;
}

static inline float nn_sigmoidf(float x) { return 1.0f / (1.0f + nn_expf(-x)); }

static inline float nn_tanhf(float x) {
  float ax = fabsf(x);
  float z = x * x;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                  1.33314422036e-1f) *
                     z -
                 3.33332819422e-1f) *
                    z * x +
                x;
  float big = copysignf(1.0f - 2.0f / (nn_expf(2.0f * ax) + 1.0f), x);
  return ax < 0.625f ? small : big;
}

/* Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, from Numerical
 * Recipes' erfc Chebyshev fit (relative error < 1.2e-7 everywhere), so the
 * negative tail of GELU keeps its relative accuracy instead of cancelling in
 * 1 + erf(x). */
static inline float nn_ncdff(float x) {
  float z = fabsf(x) * 0.70710678118654752f;
  float t = 1.0f / (1.0f + 0.5f * z);
  float q = -1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f));
  q = -0.18628806f + t * (0.27886807f + t * q);
  q = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * q)));
  float half_erfc = 0.5f * t * nn_expf(q - z * z);
  return x < 0.0f ? half_erfc : 1.0f - half_erfc;
}

/* The activation of one value (same arithmetic as the buffer versions). */
static inline float nn_act_one(nn_activation a, float z) {
  switch (a) {
    case ACT_RELU: return z < 0.0f ? 0.0f : z; /* NaN stays NaN, as torch */
    case ACT_LEAKY_RELU: return z < 0.0f ? 0.01f * z : z;
    case ACT_ELU: return z > 0.0f ? z : nn_expm1f(z);
    case ACT_SELU: return NN_SELU_SCALE * (z > 0.0f ? z : NN_SELU_ALPHA * nn_expm1f(z));
    case ACT_GELU: return z * nn_ncdff(z);
    case ACT_SWISH: return z * nn_sigmoidf(z);
    case ACT_SIGMOID: return nn_sigmoidf(z);
    case ACT_TANH: return nn_tanhf(z);
    case ACT_LINEAR:
    default: return z;
  }
}

/* h = act(h) in place on n values; z (n), when not NULL, receives the input
 * (pre-activation) first. */
void nn_act_forward(float *restrict h, float *restrict z, size_t n, nn_activation a);
/* d *= act'(.) [* mask] in place. The derivative comes from the output h for
 * relu, leaky_relu, elu, selu, sigmoid, tanh and from the pre-activation z
 * for gelu and swish; mask (dropout scales) may be NULL. */
void nn_act_backward(float *restrict d, const float *restrict h, const float *restrict z,
                     const float *restrict mask, size_t n, nn_activation a);

#endif
