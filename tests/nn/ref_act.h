/* Double-precision reference activations (libm), shared by the nn tests that
 * check the engine's float kernels against them. */
#ifndef MLPS_TEST_REF_ACT_H
#define MLPS_TEST_REF_ACT_H

#include <math.h>

#include "nn/nn_types.h"

static inline double ref_act(nn_activation a, double z) {
  const double al = 1.6732632423543772848170429916717, sc = 1.0507009873554804934193349852946;
  switch (a) {
    case ACT_RELU: return z > 0 ? z : 0;
    case ACT_LEAKY_RELU: return z > 0 ? z : 0.01 * z;
    case ACT_ELU: return z > 0 ? z : expm1(z);
    case ACT_SELU: return sc * (z > 0 ? z : al * expm1(z));
    case ACT_GELU: return 0.5 * z * (1 + erf(z / sqrt(2.0)));
    case ACT_SWISH: return z / (1 + exp(-z));
    case ACT_SIGMOID: return 1 / (1 + exp(-z));
    case ACT_TANH: return tanh(z);
    default: return z;
  }
}

#endif
