/* The sampler object: built by the front (sampler.c: sampler_create) and
 * read by the methods it calls (tpe.c), with the RNG purposes of every
 * stream the samplers draw. Not for use outside src/search/. */
#ifndef MLPS_SAMPLER_IMPL_H
#define MLPS_SAMPLER_IMPL_H

#include "search/sampler.h"
#include "search/sdim.h"

/* Purposes for rng_derive, so the streams of different uses never meet. */
enum {
  SPURP_RANDOM = 1,
  SPURP_LHS_PERM = 2,
  SPURP_LHS_JITTER = 3,
  SPURP_SOBOL_SHIFT = 4,
  SPURP_TPE = 5,
  SPURP_TPE_MV = 6
};

struct sampler {
  sampler_method method;
  uint64_t seed; /* user seed */
  uint64_t base; /* root of every stream of this sampler */
  sampler_options opt;
  uint64_t grid_size;
  int nd;                      /* non-constant parameters */
  double x0[SPACE_MAX_PARAMS]; /* start of every point: constants (index 0) and
                                  numeric ranges with min == max (the value) */
  sdim dim[SPACE_MAX_PARAMS];
  uint32_t sobol_shift[SPACE_MAX_PARAMS];
  search_space space;
};

#endif
