/* Example emulation targets for `mlpsweep gen`: parameters drawn by Latin
 * hypercube or uniform random sampling, model outputs on a fixed grid, and
 * an HDF5 file with /X (n, d), /Y (n, m), /grid (m) and attributes naming
 * the parameters, their ranges, the model, the sampling, the seed and the
 * format (DATA_FORMAT, DATA_FORMAT_VERSION in data.h).
 *
 *   powerlaw        (lnA in [ln 5e-4, ln 5e-2], Gamma in [1, 3])
 *                   -> T * A E^-Gamma on 60 log-spaced E in [0.3, 10] keV
 *   brokenpowerlaw  (Gamma1 in [0, 1.5], Gamma2 in [1.5, 5], Eb in [0.5, 5] keV)
 *                   -> T * (E/Eb)^-Gamma1 (E < Eb), T * (E/Eb)^-Gamma2 (E >= Eb)
 *   linpower        (Omega_c [0.1, 0.6], Omega_b [0.04, 0.06], h [0.64, 0.82],
 *                    n_s [0.84, 1.1], sigma_8 [0.8, 1.0]) -> linear P(k) at
 *                   z = 0, (Mpc/h)^3, on 50 log-spaced k in [1e-3, 10] h/Mpc
 *                   (Eisenstein & Hu 1998 with BAO, normalised to sigma_8)
 *
 * T is the exposure (default 1). With noise poisson the spectra are Poisson
 * draws with those means (counts); linpower has no noise option. */
#ifndef MLPS_GEN_H
#define MLPS_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/rng.h"

typedef enum { GEN_POWERLAW, GEN_BROKENPOWERLAW, GEN_LINPOWER, GEN_COUNT } gen_model;
extern const char *const GEN_MODEL_NAMES[GEN_COUNT];
typedef enum { GEN_LHS, GEN_RANDOM, GEN_SAMPLING_COUNT } gen_sampling;
extern const char *const GEN_SAMPLING_NAMES[GEN_SAMPLING_COUNT];
typedef enum { GEN_NOISE_NONE, GEN_NOISE_POISSON, GEN_NOISE_COUNT } gen_noise;
extern const char *const GEN_NOISE_NAMES[GEN_NOISE_COUNT];

#define GEN_PURPOSE 0x47454eull /* "GEN": rng_derive purpose of the generator streams */

typedef struct {
  int d;                    /* parameters */
  const char *const *names; /* (d) */
  const double *lo, *hi;    /* (d) ranges */
  const char *const *units; /* (d) */
  int m;                    /* grid points (outputs) */
  const char *grid_name, *grid_units, *y_units, *description;
  int allows_noise;
} gen_info;

const gen_info *gen_model_info(gen_model model);
/* The model's grid (m values). */
void gen_grid(gen_model model, double *grid);
/* Noise-free outputs for one parameter vector (natural units, exposure 1). */
void gen_eval(gen_model model, const double *params, const double *grid, double *out);

/* Latin hypercube in [0, 1)^d: for each dimension, a random permutation
 * puts exactly one of the n points in each stratum [i/n, (i+1)/n), at a
 * uniform position inside it. u is (n, d) row-major. */
void gen_lhs(mlps_rng *r, size_t n, int d, double *u);
/* Poisson deviate with mean lambda (>= 0): multiplication method below 10,
 * Hormann's PTRS transformed rejection above (as numpy). */
double gen_poisson(mlps_rng *r, double lambda);

typedef struct {
  gen_model model;
  size_t n;
  uint64_t seed;
  gen_sampling sampling;
  gen_noise noise;
  double exposure; /* > 0; 1 = the model itself */
  int gzip;        /* 0 = contiguous datasets, 1..9 = chunked + gzip */
} gen_opts;

/* Generates in memory: *X (n, d), *Y (n, m), *grid (m), all malloc'ed.
 * Parameters use the stream rng_derive(seed, GEN_PURPOSE, 0, 0), noise
 * rng_derive(seed, GEN_PURPOSE, 1, 0). */
int gen_make(const gen_opts *o, double **X, double **Y, double **grid, mlps_err *e);
/* Generates and writes the HDF5 file. */
int gen_write(const char *path, const gen_opts *o, mlps_err *e);

#endif
