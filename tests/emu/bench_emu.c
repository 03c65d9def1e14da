/* Prints the latency of libmlpsweep_emu (not a test: figures only).
 *   bench_emu MODEL.h5 [REPS [BYTES FMAS]]
 * Single-sample mlps_emu_predict: the median over REPS (default 400) blocks
 * of 200 calls of the time per call, on rows spread over the training box;
 * and the per-row time of one 1000-row call. analysis/bench_emu.py runs it
 * next to PyTorch on the same weights, and passes the network's weight
 * bytes as the library holds them and its multiply-adds per row: then it
 * also measures, in the same process on the same core, the floors of one
 * row: the clock (a chain of dependent integer adds, one cycle each), the
 * rate at which the core streams a buffer of BYTES (the weights do not fit
 * in L1, so every call reads them from L2) and its peak rate of float64
 * multiply-adds (16 independent FMA chains of the widest vectors). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
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

#if defined(__x86_64__) && defined(__GNUC__)
#define FLOOR_X86 1
/* GHz: 4 dependent adds per iteration, 1 cycle each (the loop's own counter
 * runs alongside); the best of many short runs (the machine may be shared). */
static double clock_ghz(void) {
  long n = 50000; /* 200,000 cycles a run: short, so the best of many is undisturbed */
  double best = 1e30;
  for (int r = 0; r < 2000; r++) {
    uint64_t x = 0;
    double t0 = now();
    for (long i = 0; i < n; i++)
      __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
    best = fmin(best, now() - t0);
  }
  return 4.0 * (double)n / best / 1e9;
}

/* Seconds to read nf floats once (best of many passes; 8 independent
 * vector sums, so the loads, not the adds, set the pace). */
__attribute__((target("avx512f"))) static double stream_avx512(const float *a, size_t nf) {
  float s[128] = {0};
  double best = 1e30;
  for (int r = 0; r < 2000; r++) {
    double t0 = now();
    for (size_t i = 0; i + 128 <= nf; i += 128)
      for (int k = 0; k < 128; k++) s[k] += a[i + k];
    best = fmin(best, now() - t0);
  }
  float all = 0; /* every lane used: none optimised away */
  for (int k = 0; k < 128; k++) all += s[k];
  volatile float sink = all;
  (void)sink;
  return best;
}

/* Multiply-adds per second: 16 chains of 8-wide float64 FMAs. */
__attribute__((target("avx512f,fma"))) static double fma_avx512(void) {
  double a[128], x = 1.0 - 1e-12, c = 1e-12;
  for (int k = 0; k < 128; k++) a[k] = k;
  long n = 2000; /* ~16,000 cycles a run; the best of many */
  double best = 1e30;
  for (int r = 0; r < 2000; r++) {
    double t0 = now();
    for (long i = 0; i < n; i++)
      for (int k = 0; k < 128; k++) a[k] = __builtin_fma(a[k], x, c);
    best = fmin(best, now() - t0);
  }
  double all = 0;
  for (int k = 0; k < 128; k++) all += a[k];
  volatile double sink = all;
  (void)sink;
  return 128.0 * (double)n / best;
}
#else
#define FLOOR_X86 0
#endif

/* The floors of one row for a network of `bytes` of weights and `fmas`
 * multiply-adds, measured here (AVX-512 CPUs only: the library's kernel). */
static void print_floors(double bytes, double fmas, double single_s) {
#if FLOOR_X86
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) {
    printf("bench_emu: floors measured on AVX-512 CPUs only\n");
    return;
  }
  double ghz = clock_ghz();
  size_t nf = ((size_t)bytes / 4 + 127) / 128 * 128;
  float *buf = malloc(sizeof(float) * nf);
  for (size_t i = 0; i < nf; i++) buf[i] = (float)(i % 7);
  double ts = stream_avx512(buf, nf);
  free(buf);
  double rate = fma_avx512();
  double tf = fmas / rate;
  printf("bench_emu: clock %.2f GHz; single row %.0f cycles\n", ghz, single_s * ghz * 1e9);
  printf(
      "bench_emu: floor, weights: %.0f KiB streamed at %.1f bytes/cycle = %.3f us (%.0f cycles)\n",
      bytes / 1024, bytes / (ts * ghz * 1e9), 1e6 * ts, ts * ghz * 1e9);
  printf(
      "bench_emu: floor, arithmetic: %.0f multiply-adds at %.1f per cycle = %.3f us (%.0f "
      "cycles)\n",
      fmas, rate / (ghz * 1e9), 1e6 * tf, tf * ghz * 1e9);
  printf("floor_bytes_us %.6f\nfloor_fma_us %.6f\nclock_ghz %.4f\n", 1e6 * ts, 1e6 * tf, ghz);
#else
  (void)bytes, (void)fmas, (void)single_s;
  printf("bench_emu: floors measured on x86-64 with GCC or Clang only\n");
#endif
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: bench_emu MODEL.h5 [REPS [BYTES FMAS]]\n"), 2;
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
  printf("bench_emu: %s: %zu inputs -> %zu outputs, %zu member(s), kernel %s\n", argv[1], d, m,
         mlps_emu_n_members(u), mlps_emu_kernel(u));
  printf(
      "bench_emu: single-sample mlps_emu_predict: median %.3f us (min %.3f, 90%% %.3f) over "
      "%d blocks of %d calls\n",
      1e6 * t[reps / 2], 1e6 * t[0], 1e6 * t[reps * 9 / 10], reps, block);
  printf("bench_emu: batch of %d rows: %.3f us per row (best of 5)\n", nb, 1e6 * tb);
  printf("single_us %.6f\nsingle_min_us %.6f\n", 1e6 * t[reps / 2], 1e6 * t[0]);
  if (argc > 4) print_floors(atof(argv[3]), atof(argv[4]), t[reps / 2]);
  if (!isfinite(sink)) printf("(non-finite predictions)\n");
  free(lo), free(hi), free(x), free(y), free(t);
  mlps_emu_close(u);
  return 0;
}
