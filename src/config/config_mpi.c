/* cfg_load under MPI: validate once on rank 0, broadcast status and config. */
#include "config/config_mpi.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

int cfg_load_mpi(MPI_Comm comm, const char *path, const char *const *sets, int nsets,
                 mlps_config *cfg, cfg_errors *errs) {
  int rank;
  if (errs) errs->n = 0, errs->text = NULL;
  if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS) return MLPS_ERUNTIME;
  int hdr[2] = {MLPS_OK, 0}; /* status, number of problems */
  if (rank == 0) {
    cfg_errors e = {0};
    hdr[0] = cfg_load(path, sets, nsets, cfg, &e);
    hdr[1] = e.n;
    if (errs) *errs = e;
    else cfg_errors_free(&e);
  }
  /* Every rank takes part in both broadcasts whatever rank 0 found, so a bad
   * config cannot leave a rank waiting. */
  if (MPI_Bcast(hdr, 2, MPI_INT, 0, comm) != MPI_SUCCESS) return MLPS_ERUNTIME;
  if (rank != 0 && errs) errs->n = hdr[1];
  if (hdr[0] != MLPS_OK) return hdr[0];
  /* mlps_config is flat (config.h), so its bytes are the config. */
  if (MPI_Bcast(cfg, (int)sizeof *cfg, MPI_BYTE, 0, comm) != MPI_SUCCESS) return MLPS_ERUNTIME;
  return MLPS_OK;
}
