/* Loading the config under MPI: rank 0 reads and validates, every rank gets
 * the same result. Kept apart from config.h so code that only needs the
 * struct does not pull in mpi.h. */
#ifndef MLPS_CONFIG_MPI_H
#define MLPS_CONFIG_MPI_H

#include <mpi.h>

#include "config/config.h"

/* Collective over comm. Rank 0 runs cfg_load; the status is broadcast, and
 * on success the config (a flat struct) too, so every rank returns the same
 * status and, on MLPS_OK, an identical cfg. errs is filled on rank 0 only
 * (other ranks get n = the same count but text NULL), so the caller prints
 * errs.text when it is not NULL and every rank exits with the status: the
 * messages appear once and no rank waits on another. Returns MLPS_ERUNTIME
 * if a broadcast fails. */
int cfg_load_mpi(MPI_Comm comm, const char *path, const char *const *sets, int nsets,
                 mlps_config *cfg, cfg_errors *errs);

#endif
