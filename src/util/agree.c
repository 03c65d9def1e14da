/* mpi_agree (see agree.h). */
#include "util/agree.h"

#include <limits.h>
#include <string.h>

int mpi_agree(MPI_Comm comm, int rc, mlps_err *e) {
  int rank, src, mine;
  MPI_Comm_rank(comm, &rank);
  mine = rc ? rank : INT_MAX;
  MPI_Allreduce(&mine, &src, 1, MPI_INT, MPI_MIN, comm);
  if (src == INT_MAX) return MLPS_OK;
  mlps_err tmp;
  memset(&tmp, 0, sizeof tmp);
  if (rank == src) {
    if (e) tmp = *e;
    tmp.code = rc;
  }
  MPI_Bcast(&tmp, (int)sizeof tmp, MPI_BYTE, src, comm);
  if (e) *e = tmp;
  return tmp.code ? tmp.code : MLPS_ERUNTIME;
}
