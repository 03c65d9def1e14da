/* Seeded pseudo-random numbers: xoshiro256** seeded through splitmix64.
 * Every random choice in mlpsweep (init, shuffles, dropout, splits, samplers,
 * generators) comes from here, so results never depend on libc's rand and
 * are identical on every platform. */
#ifndef MLPS_RNG_H
#define MLPS_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} mlps_rng;

/* Deterministic seeding: the same seed gives the same stream everywhere. */
void rng_seed(mlps_rng *r, uint64_t seed);
/* Mixes a base seed with up to three integers (e.g. seed, trial, fold) into
 * an independent stream seed; order matters. */
uint64_t rng_derive(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
uint64_t rng_next(mlps_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(mlps_rng *r);
/* Uniform float in [0, 1) with 24 random bits. */
float rng_uniformf(mlps_rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's method). n must be > 0. */
uint64_t rng_below(mlps_rng *r, uint64_t n);
/* Standard normal (Marsaglia polar method, no cached second value so that
 * the stream position depends only on the number of calls). */
double rng_normal(mlps_rng *r);
/* In-place Fisher-Yates shuffle of n indices. */
void rng_shuffle_u32(mlps_rng *r, uint32_t *a, uint64_t n);
void rng_shuffle_size(mlps_rng *r, size_t *a, size_t n);

#endif
