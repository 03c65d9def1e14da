/* Prints the latency of libmlpsweep_emu (not a test: figures only).
 *   bench_emu MODEL.h5 [REPS]
 * Single-sample mlps_emu_predict: the median over REPS (default 400) blocks
 * of 200 calls of the time per call, on rows spread over the training box;
 * and the per-row time of one 1000-row call. analysis/bench_emu.py runs it
 * next to PyTorch on the same weights. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mlpsweep_emu.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: bench_emu MODEL.h5 [REPS]\n"), 2;
  int reps = argc > 2 ? atoi(argv[2]) : 400, block = 200, nb = 1000;
  char err[1024];
  mlps_emu *u = mlps_emu_open(argv[1], err, sizeof err);
  if (!u) return fprintf(stderr, "bench_emu: %s\n", err), 2;
  size_t d = mlps_emu_n_inputs(u), m = mlps_emu_n_outputs(u);
  double *lo = malloc(sizeof(double) * d), *hi = malloc(sizeof(double) * d);
  double *x = malloc(sizeof(double) * d * nb), *y = malloc(sizeof(double) * m * nb);
  double *t = malloc(sizeof(double) * reps);
  int box = mlps_emu_bounds(u, lo, hi) == 0;
  for (int i = 0; i < nb; i++)
    for (size_t j = 0; j < d; j++)
      x[i * d + j] =
          box ? lo[j] + (hi[j] - lo[j]) * (0.05 + 0.9 * ((i * 37 + j * 11) % 97) / 96.0) : 0.5;
  double sink = 0;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    for (int k = 0; k < block; k++) {
      mlps_emu_predict(u, 1, x + (size_t)((r * block + k) % nb) * d, y);
      sink += y[0];
    }
    t[r] = (now() - t0) / block;
  }
  qsort(t, reps, sizeof *t, cmp);
  double tb = 1e30;
  for (int r = 0; r < 5; r++) {
    double t0 = now();
    mlps_emu_predict(u, nb, x, y);
    tb = fmin(tb, (now() - t0) / nb);
  }
  printf("bench_emu: %s: %zu inputs -> %zu outputs, %zu member(s)\n", argv[1], d, m,
         mlps_emu_n_members(u));
  printf(
      "bench_emu: single-sample mlps_emu_predict: median %.3f us (min %.3f, 90%% %.3f) over "
      "%d blocks of %d calls\n",
      1e6 * t[reps / 2], 1e6 * t[0], 1e6 * t[reps * 9 / 10], reps, block);
  printf("bench_emu: batch of %d rows: %.3f us per row (best of 5)\n", nb, 1e6 * tb);
  printf("single_us %.6f\n", 1e6 * t[reps / 2]);
  if (!isfinite(sink)) printf("(non-finite predictions)\n");
  free(lo), free(hi), free(x), free(y), free(t);
  mlps_emu_close(u);
  return 0;
}
