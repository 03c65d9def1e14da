/* RNG: fixed-seed streams are reproducible, derive() separates streams,
 * uniform/normal moments are right, rng_below is unbiased and in range. */
#include <stdint.h>
#include <stdlib.h>

#include "test_util.h"
#include "util/rng.h"

int main(void) {
  mlps_rng a, b;
  rng_seed(&a, 42);
  rng_seed(&b, 42);
  for (int i = 0; i < 1000; i++) CHECK(rng_next(&a) == rng_next(&b));
  CHECK(rng_derive(1, 2, 3, 4) != rng_derive(1, 3, 2, 4));
  CHECK(rng_derive(1, 2, 3, 4) == rng_derive(1, 2, 3, 4));

  /* Moments over 1e6 draws: standard error of the mean is 1/sqrt(12e6) ~
   * 3e-4 for uniform and 1e-3 for normal; 5 sigma bounds below. */
  const int n = 1000000;
  double su = 0, sn = 0, sn2 = 0;
  rng_seed(&a, 7);
  for (int i = 0; i < n; i++) {
    double u = rng_uniform(&a);
    CHECK(u >= 0.0 && u < 1.0);
    su += u;
    double z = rng_normal(&a);
    sn += z;
    sn2 += z * z;
  }
  CHECK_CLOSE(su / n, 0.5, 0, 1.5e-3);
  CHECK_CLOSE(sn / n, 0.0, 0, 5e-3);
  CHECK_CLOSE(sn2 / n, 1.0, 0, 7e-3);

  /* rng_below(3): each value ~ 1/3, binomial sd ~ 4.7e-4 at n=1e6. */
  long cnt[3] = {0, 0, 0};
  for (int i = 0; i < n; i++) {
    uint64_t v = rng_below(&a, 3);
    CHECK(v < 3);
    if (v < 3) cnt[v]++;
  }
  for (int k = 0; k < 3; k++) CHECK_CLOSE(cnt[k] / (double)n, 1.0 / 3.0, 0, 3e-3);

  uint32_t perm[100];
  for (uint32_t i = 0; i < 100; i++) perm[i] = i;
  rng_shuffle_u32(&a, perm, 100);
  int seen[100] = {0};
  for (int i = 0; i < 100; i++) seen[perm[i]]++;
  for (int i = 0; i < 100; i++) CHECK(seen[i] == 1);
  return TEST_RESULT("rng");
}
