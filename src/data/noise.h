/* Loading the targets' noise (data.noise) beside a data set: internal to
 * data/ (data_load and data_load_shared call it; the types and
 * data_noise_sigma are in data.h). */
#ifndef MLPS_DATA_NOISE_H
#define MLPS_DATA_NOISE_H

#include "data/data.h"

/* Fills ds->noise from spec->noise once X and Y are loaded (nothing when the
 * model is none). comm MPI_COMM_NULL: serial (data_load); otherwise
 * collective over comm, a per-row sigma shared per node like X and Y, and
 * every rank returns the same status and message. Checks, each naming file,
 * dataset, row and column: the sigma dataset exists and has the targets'
 * shape (or one value per output), every sigma is finite and > 0; under
 * poisson, no target is negative. */
int noise_load(MPI_Comm comm, MPI_Comm node, const data_spec *spec, data_set *ds, mlps_err *e);
/* Frees what noise_load allocated (collective like data_free). */
void noise_free(data_set *ds);

#endif
