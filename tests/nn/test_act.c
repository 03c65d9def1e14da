/* The engine's vectorisable activations (act.h) against double-precision
 * libm on a dense grid of [-30, 30] plus edge values. Tolerance: |err| <=
 * 4 float ulp of the result (2.4e-7 relative) + 2e-7 absolute. The absolute
 * part covers results near 0, where float rounding of the input itself
 * dominates (elu/selu Taylor branch, tanh, swish). NaN in gives NaN
 * out, so divergence stays visible; huge inputs do not overflow. */
#include <math.h>
#include <stdio.h>

#include "nn/act.h"
#include "nn/mlp.h"
#include "ref_act.h"
#include "test_util.h"

int main(void) {
  for (int a = 0; a < ACT_COUNT; a++) {
    double worst = 0, worst_z = 0;
    int bad = t_failures;
    for (int i = -300000; i <= 300000; i++) {
      float z = (float)(i * 1e-4);
      double r = ref_act((nn_activation)a, z);
      float got = nn_act((nn_activation)a, z);
      double err = fabs(got - r) / (fabs(r) * 2.4e-7 + 2e-7);
      if (err > worst) worst = err, worst_z = z;
      if (err > 1.0 && t_failures - bad < 5) CHECK_CLOSE(got, r, 2.4e-7, 2e-7);
    }
    if (worst > 1.0) t_failures++;
    printf("%-10s worst error %.2f of tolerance at z = %g\n", NN_ACTIVATION_NAMES[a], worst,
           worst_z);
    CHECK(isnan(nn_act((nn_activation)a, NAN)));
    float big[4] = {1e30f, -1e30f, 100.0f, -100.0f};
    for (int k = 0; k < 4; k++) {
      float v = nn_act((nn_activation)a, big[k]);
      CHECK(isfinite(v) || (a == ACT_RELU || a == ACT_LEAKY_RELU || a == ACT_LINEAR));
      CHECK_CLOSE(v, ref_act((nn_activation)a, big[k]), 2.4e-7, 2e-7);
    }
  }
  /* the buffer versions equal the scalar one */
  float h[256], z[256];
  for (int a = 0; a < ACT_LINEAR; a++) {
    for (int i = 0; i < 256; i++) h[i] = (float)((i - 128) * 0.07);
    nn_act_forward(h, z, 256, (nn_activation)a);
    for (int i = 0; i < 256; i++) {
      CHECK(z[i] == (float)((i - 128) * 0.07));
      CHECK(h[i] == nn_act((nn_activation)a, z[i]));
    }
  }
  return TEST_RESULT("nn_act");
}
