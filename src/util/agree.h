/* Status agreement across the ranks of a communicator, for collective steps
 * where any rank may fail (a file one node cannot read, a transform one
 * fold cannot fit): every rank learns the outcome and the message, so that
 * every rank returns the same code and rank 0 can print it once.
 *
 * Built as its own library (mlps_util_mpi) so that util itself, which nn
 * and search use, stays free of MPI. */
#ifndef MLPS_AGREE_H
#define MLPS_AGREE_H

#include <mpi.h>

#include "util/err.h"

/* Collective over comm. rc is this rank's status (e->msg its message when
 * non-zero). Returns MLPS_OK when every rank passed MLPS_OK; otherwise the
 * status of the lowest-numbered failing rank, and e (if not NULL) becomes
 * that rank's error on every rank. */
int mpi_agree(MPI_Comm comm, int rc, mlps_err *e);

#endif
