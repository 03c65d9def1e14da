/* Launcher detection from the environment (see launcher.h). */
#define _POSIX_C_SOURCE 200809L
#include "util/launcher.h"

#include <stdlib.h>
#include <unistd.h>
#include <string.h>

int launcher_rank(void) {
  /* Open MPI's mpirun, PMIx (srun --mpi=pmix, prterun), PMI-1/2 (MPICH's
   * hydra, srun --mpi=pmi2), MVAPICH2. */
  static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
                                     "MV2_COMM_WORLD_RANK"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v) return atoi(v);
  }
  /* srun without an MPI plugin: SLURM_PROCID is set in every job step. A
   * batch script's own shell has SLURM_PROCID=0 too but is the "batch"
   * step (or has no step id), so it does not count as launched. */
  const char *procid = getenv("SLURM_PROCID"), *step = getenv("SLURM_STEP_ID");
  if (procid && *procid && step && *step && strcmp(step, "batch") != 0) return atoi(procid);
  return -1;
}

int launcher_detected(void) { return launcher_rank() >= 0; }

static pid_t g_parent = 0; /* 0: not watching */

void launcher_watch(void) {
  if (!g_parent && launcher_detected()) g_parent = getppid();
}

int launcher_gone(void) { return g_parent && getppid() != g_parent; }
