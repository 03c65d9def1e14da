/* xoshiro256** (Blackman & Vigna 2018) with splitmix64 seeding. */
#include <stddef.h>
#include "util/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void rng_seed(mlps_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t rng_derive(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t x = seed;
  uint64_t h = splitmix64(&x);
  x = h ^ (a + 0x632be59bd9b4e019ULL);
  h = splitmix64(&x);
  x = h ^ (b + 0x85157af5ULL);
  h = splitmix64(&x);
  x = h ^ (c + 0x2545f4914f6cdd1dULL);
  return splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(mlps_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double rng_uniform(mlps_rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

float rng_uniformf(mlps_rng *r) { return (float)(rng_next(r) >> 40) * 0x1.0p-24f; }

uint64_t rng_below(mlps_rng *r, uint64_t n) {
  /* Lemire's nearly-divisionless method with 128-bit multiply. */
  unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
  uint64_t l = (uint64_t)m;
  if (l < n) {
    uint64_t t = (0 - n) % n;
    while (l < t) {
      m = (unsigned __int128)rng_next(r) * n;
      l = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

double rng_normal(mlps_rng *r) {
  double u, v, s;
  do {
    u = 2.0 * rng_uniform(r) - 1.0;
    v = 2.0 * rng_uniform(r) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return u * sqrt(-2.0 * log(s) / s);
}

void rng_shuffle_u32(mlps_rng *r, uint32_t *a, uint64_t n) {
  for (uint64_t i = n; i > 1; i--) {
    uint64_t j = rng_below(r, i);
    uint32_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

void rng_shuffle_size(mlps_rng *r, size_t *a, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)rng_below(r, i);
    size_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}
