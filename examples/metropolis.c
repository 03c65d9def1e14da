/* A Metropolis sampler in plain C with the emulator as its model: the way a
 * likelihood code uses libmlpsweep_emu.
 *
 *   metropolis MODEL.h5 [STEPS] [SEED]
 *
 * Synthetic data: Poisson counts drawn from the emulator's own prediction at
 * the centre of the training box (for a model of counts per bin, such as
 * `mlpsweep gen brokenpowerlaw`'s). Flat prior on the training box
 * (mlps_emu_bounds), Gaussian proposals of 2% of the box, STEPS steps
 * (default 4000), the first quarter discarded. Prints the truth and the
 * posterior mean and standard deviation of each parameter, then a line
 * "mean v1 v2 ..." for scripts.
 *
 * Build: cc metropolis.c $(pkg-config --cflags --libs mlpsweep-emu) -lm */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mlpsweep_emu.h"

#define MAXD 64

static uint64_t rng_state;
static double uniform(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}
static double normal(void) {
  double u = uniform(), v = uniform();
  return sqrt(-2 * log(1 - u)) * cos(6.283185307179586 * v);
}
static double poisson(double mu) { /* Knuth below 30, rounded normal above */
  if (mu > 30) return fmax(0, floor(mu + sqrt(mu) * normal() + 0.5));
  double l = exp(-mu), p = 1;
  int k = 0;
  do {
    k++;
    p *= uniform();
  } while (p > l);
  return k - 1;
}

/* Poisson log-likelihood (up to a constant) of counts n under the emulator
 * at theta; -inf outside the box. */
static double loglike(const mlps_emu *u, const double *theta, const double *n, double *mu,
                      const double *lo, const double *hi) {
  size_t d = mlps_emu_n_inputs(u), m = mlps_emu_n_outputs(u);
  for (size_t j = 0; j < d; j++)
    if (!(theta[j] >= lo[j] && theta[j] <= hi[j])) return -INFINITY;
  if (mlps_emu_predict(u, 1, theta, mu) < 0) return -INFINITY;
  double s = 0;
  for (size_t i = 0; i < m; i++) s += n[i] * log(mu[i]) - mu[i];
  return s;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: metropolis MODEL.h5 [STEPS] [SEED]\n");
    return 2;
  }
  long steps = argc > 2 ? atol(argv[2]) : 4000;
  rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
  char err[1024];
  mlps_emu *u = mlps_emu_open(argv[1], err, sizeof err);
  if (!u) {
    fprintf(stderr, "metropolis: %s\n", err);
    return 2;
  }
  size_t d = mlps_emu_n_inputs(u), m = mlps_emu_n_outputs(u);
  double lo[MAXD], hi[MAXD], truth[MAXD], cur[MAXD], prop[MAXD], sum[MAXD] = {0}, sum2[MAXD] = {0};
  if (d > MAXD || mlps_emu_bounds(u, lo, hi) != 0) {
    fprintf(stderr, "metropolis: %s has no training box (format 1?) or too many inputs\n",
            argv[1]);
    mlps_emu_close(u);
    return 2;
  }
  double *counts = malloc(sizeof(double) * m), *mu = malloc(sizeof(double) * m);
  for (size_t j = 0; j < d; j++) truth[j] = cur[j] = 0.5 * (lo[j] + hi[j]);
  mlps_emu_predict(u, 1, truth, mu);
  for (size_t i = 0; i < m; i++) counts[i] = poisson(mu[i]);
  double lcur = loglike(u, cur, counts, mu, lo, hi);
  long kept = 0, accepted = 0;
  for (long s = 0; s < steps; s++) {
    for (size_t j = 0; j < d; j++) prop[j] = cur[j] + 0.02 * (hi[j] - lo[j]) * normal();
    double lp = loglike(u, prop, counts, mu, lo, hi);
    if (log(uniform()) < lp - lcur) {
      for (size_t j = 0; j < d; j++) cur[j] = prop[j];
      lcur = lp, accepted++;
    }
    if (s >= steps / 4) {
      for (size_t j = 0; j < d; j++) sum[j] += cur[j], sum2[j] += cur[j] * cur[j];
      kept++;
    }
  }
  printf("metropolis: %ld steps, acceptance %.2f\n", steps, (double)accepted / steps);
  for (size_t j = 0; j < d; j++) {
    double mean = sum[j] / kept, sd = sqrt(fmax(0, sum2[j] / kept - mean * mean));
    printf("  %-10s truth %10.5g  posterior %10.5g +- %.3g\n", mlps_emu_input_name(u, j),
           truth[j], mean, sd);
  }
  printf("mean");
  for (size_t j = 0; j < d; j++) printf(" %.17g", sum[j] / kept);
  printf("\nbox");
  for (size_t j = 0; j < d; j++) printf(" %.17g %.17g", lo[j], hi[j]);
  printf("\n");
  free(counts), free(mu);
  mlps_emu_close(u);
  return 0;
}
