/* Launcher detection from the environment (see launcher.h). */
#include "util/launcher.h"

#include <stdlib.h>
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
