/* Prologue and epilogue of the C tests that run under mpiexec:
 *
 *   int main(int argc, char **argv) {
 *     mpi_test_init(&argc, &argv);   MPI_Init; sets mt_rank and mt_size
 *     ... CHECK() on any rank ...
 *     return mpi_test_finish("name"); failures summed over the ranks,
 *   }                                 MPI_Finalize, one report (rank 0),
 *                                     exit code 1 on every rank if any failed
 *
 * and mpi_test_exit(code) to finalize and leave early (usage errors).
 *
 * Leaks (the policy is in tests/CMakeLists.txt, MLPS_TEST_ENV): MPI_Init and
 * MPI_Finalize run with LeakSanitizer disabled on this thread, so the
 * thousands of blocks Open MPI keeps until exit are ignored where they are
 * made instead of being matched against tests/lsan.supp at exit, which costs
 * seconds per rank (measured: sweep_synth np 2 under ASan, 8 s -> 2.5 s).
 * Everything in between, ours included, stays leak-checked. */
#ifndef MLPS_MPI_TEST_H
#define MLPS_MPI_TEST_H

#include <mpi.h>
#include <stdio.h>

#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define MT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MT_ASAN 1
#endif
#endif
#ifdef MT_ASAN
#include <sanitizer/lsan_interface.h>
#define MT_LSAN_OFF() __lsan_disable()
#define MT_LSAN_ON() __lsan_enable()
#else
#define MT_LSAN_OFF() ((void)0)
#define MT_LSAN_ON() ((void)0)
#endif

static int mt_rank = 0, mt_size = 1;

static inline void mpi_test_init(int *argc, char ***argv) {
  MT_LSAN_OFF();
  MPI_Init(argc, argv);
  MT_LSAN_ON();
  MPI_Comm_rank(MPI_COMM_WORLD, &mt_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &mt_size);
}

static inline int mpi_test_exit(int code) {
  MT_LSAN_OFF(); /* no ON: the process ends */
  MPI_Finalize();
  return code;
}

static inline int mpi_test_finish(const char *name) {
  int mine = t_failures, total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  mpi_test_exit(0);
  if (mt_rank != 0) return total ? 1 : 0;
  if (total) {
    fprintf(stderr, "%s: %d check(s) failed over %d rank(s)\n", name, total, mt_size);
    return 1;
  }
  printf("%s: all checks passed on %d rank(s)\n", name, mt_size);
  return 0;
}

#endif
