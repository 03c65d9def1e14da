/* Minimal assertion helpers for CTest executables: each failed check prints
 * file:line and the values, and the test returns non-zero at the end. */
#ifndef MLPS_TEST_UTIL_H
#define MLPS_TEST_UTIL_H

#include <math.h>
#include <stdio.h>

/* unused in tools that take only mpi_test.h's prologue (sweep_synth) */
__attribute__((unused)) static int t_failures = 0;

/* Exit code of a test that cannot run here: CTest reports it SKIPPED
 * (SKIP_RETURN_CODE, set for every test in tests/CMakeLists.txt). */
#define MLPS_TEST_SKIP 77

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      t_failures++;                                                            \
    }                                                                          \
  } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_CLOSE(a, b, rtol, atol)                                                         \
  do {                                                                                        \
    double ta_ = (double)(a), tb_ = (double)(b);                                              \
    if (!(fabs(ta_ - tb_) <= (atol) + (rtol)*fabs(tb_))) {                                    \
      fprintf(stderr, "%s:%d: CHECK_CLOSE failed: %s = %.9g, %s = %.9g (rtol %g, atol %g)\n", \
              __FILE__, __LINE__, #a, ta_, #b, tb_, (double)(rtol), (double)(atol));          \
      t_failures++;                                                                           \
    }                                                                                         \
  } while (0)

#define TEST_RESULT(name)                                                          \
  (t_failures ? (fprintf(stderr, "%s: %d check(s) failed\n", name, t_failures), 1) \
              : (printf("%s: all checks passed\n", name), 0))

#endif
