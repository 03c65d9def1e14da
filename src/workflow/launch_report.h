/* How the job was launched, said once at start-up by rank 0: which hosts,
 * how many ranks on each, which rank read the data there, and which
 * OpenBLAS kernels run with how many threads (with a warning when OpenBLAS
 * picked a generic core on a CPU that has AVX2 or AVX-512, which can make
 * training 2-5x slower). Users check a cluster launch from these lines, and
 * tests/cluster checks that each node read the data once. */
#ifndef MLPS_LAUNCH_REPORT_H
#define MLPS_LAUNCH_REPORT_H

#include <mpi.h>

/* Collective over comm. Groups the ranks as data_load_shared does
 * (MPI_Comm_split_type(MPI_COMM_TYPE_SHARED), the lowest rank of each group
 * reads), then rank 0 prints to stderr, one line per node and a summary:
 *   mlpsweep: node HOST: N rank(s) (R1,R2,...); data read by rank R1
 *   mlpsweep: N node(s), M rank(s); OpenBLAS core CORE, T thread(s)
 * With verbosity 0 only the warning about a generic OpenBLAS core is
 * printed. */
void launch_report(MPI_Comm comm, int verbosity);

/* 1 when an OpenBLAS core name (openblas_get_corename()) is one of the
 * cores without AVX2 kernels (Prescott, Core2, Nehalem, Sandybridge, ...),
 * 0 for Haswell, Zen, SkylakeX and newer, and for names it does not know
 * (a newer OpenBLAS's new cores). Case-insensitive. */
int launch_core_is_generic(const char *core);

#endif
