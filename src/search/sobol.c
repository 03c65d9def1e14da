/* The Sobol sequence with Joe & Kuo's new-joe-kuo-6.21201 direction numbers
 * (S. Joe and F. Y. Kuo, SIAM J. Sci. Comput. 30, 2635 (2008)), first 32
 * dimensions, 32-bit resolution, in the Gray-code order of their reference
 * generator. Coordinates are computed directly from the index, so any point
 * can be had without generating the ones before it. */
#include "search/sobol.h"

#define SOBOL_BITS 32

/* Dimensions 2..32 of the file: s (degree), a (polynomial), m_1..m_s.
 * Dimension 1 is the van der Corput sequence (all m = 1). */
static const struct {
  int s, a;
  unsigned m[8];
} JOE_KUO[SOBOL_DIMS - 1] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
};

/* Direction numbers of one dimension, bit i worth 2^-(i+1). Recomputed per
 * call (a few hundred operations): no global state, nothing to initialise. */
static void directions(int d, uint32_t *v) {
  if (d == 0) {
    for (int i = 0; i < SOBOL_BITS; i++) v[i] = 1u << (31 - i);
    return;
  }
  int s = JOE_KUO[d - 1].s;
  unsigned a = (unsigned)JOE_KUO[d - 1].a;
  const unsigned *m = JOE_KUO[d - 1].m;
  for (int i = 0; i < s && i < SOBOL_BITS; i++) v[i] = (uint32_t)m[i] << (31 - i);
  for (int i = s; i < SOBOL_BITS; i++) {
    uint32_t x = v[i - s] ^ (v[i - s] >> s);
    for (int k = 1; k < s; k++)
      if ((a >> (s - 1 - k)) & 1u) x ^= v[i - k];
    v[i] = x;
  }
}

uint32_t sobol_coord(uint32_t index, int dim) {
  if (dim < 0 || dim >= SOBOL_DIMS) return 0;
  uint32_t v[SOBOL_BITS];
  directions(dim, v);
  /* Gray-code order, as Joe & Kuo's reference generator (and scipy) emit
   * the sequence: point k is the XOR over the set bits of k ^ (k >> 1). */
  index ^= index >> 1;
  uint32_t x = 0;
  for (int i = 0; index; i++, index >>= 1)
    if (index & 1u) x ^= v[i];
  return x;
}

void sobol_unit(uint32_t index, int nd, const uint32_t *shift, double *u) {
  for (int j = 0; j < nd; j++) u[j] = (double)(sobol_coord(index, j) ^ shift[j]) * 0x1p-32;
}
