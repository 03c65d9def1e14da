/* The start-up launch report (see launch_report.h): hosts, ranks per host,
 * the data reader of each host, OpenBLAS core and threads. */
#include "workflow/launch_report.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/log.h"

/* What each rank tells rank 0 (fixed size, sent as bytes). */
typedef struct {
  int reader;  /* comm rank of the lowest rank sharing memory with this one */
  int threads; /* OpenBLAS threads; 0 when the BLAS is not OpenBLAS */
  int avx2, avx512;
  char core[32];
  char host[MPI_MAX_PROCESSOR_NAME];
} launch_rank;

int launch_core_is_generic(const char *core) {
  /* OpenBLAS's x86 cores without AVX2 kernels (its corename list). */
  static const char *const old[] = {
      "Katmai", "Coppermine",  "Northwood", "Prescott",  "Banias",     "Atom",         "Core2",
      "Penryn", "Dunnington",  "Nehalem",   "Athlon",    "Opteron",    "Opteron_SSE3", "Barcelona",
      "Nano",   "Sandybridge", "Bobcat",    "Bulldozer", "Piledriver", "Steamroller",  "Unknown"};
  for (size_t i = 0; i < sizeof old / sizeof old[0]; i++)
    if (strcasecmp(core, old[i]) == 0) return 1;
  return 0;
}

static void self_describe(launch_rank *me) {
  memset(me, 0, sizeof *me);
  int len = 0;
  MPI_Get_processor_name(me->host, &len);
#ifdef OPENBLAS_VERSION
  snprintf(me->core, sizeof me->core, "%s", openblas_get_corename());
  me->threads = openblas_get_num_threads();
#else
  snprintf(me->core, sizeof me->core, "not OpenBLAS");
#endif
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  me->avx2 = __builtin_cpu_supports("avx2") != 0;
  me->avx512 = __builtin_cpu_supports("avx512f") != 0;
#endif
}

/* Prints one node's line: ranks whose reader is r. */
static void print_node(const launch_rank *all, int size, int r) {
  fprintf(log_stream(), "mlpsweep: node %s: ", all[r].host);
  int n = 0;
  for (int i = 0; i < size; i++) n += all[i].reader == r;
  fprintf(log_stream(), "%d rank(s) (", n);
  for (int i = 0, k = 0; i < size; i++)
    if (all[i].reader == r) fprintf(log_stream(), "%s%d", k++ ? "," : "", i);
  fprintf(log_stream(), "); data read by rank %d\n", r);
}

/* Warns once per node whose OpenBLAS runs a pre-AVX2 core on an AVX2 CPU. */
static void warn_generic(const launch_rank *all, int size) {
  for (int r = 0; r < size; r++) {
    const launch_rank *a = &all[r];
    if (a->reader != r || !a->threads || !a->avx2 || !launch_core_is_generic(a->core)) continue;
    fprintf(log_stream(),
            "mlpsweep: warning: OpenBLAS on %s runs its generic %s kernels although the CPU has "
            "%s; training can "
            "be 2-5x slower. Set OPENBLAS_CORETYPE=%s in the job's environment (export it before "
            "srun/mpirun), "
            "or use an OpenBLAS built with DYNAMIC_ARCH that knows this CPU\n",
            a->host, a->core, a->avx512 ? "AVX-512" : "AVX2",
            a->avx512 ? "SkylakeX" : "Haswell (Zen on AMD)");
  }
}

void launch_report(MPI_Comm comm, int verbosity) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  /* The same grouping and key as data_load_shared, whose reader is the
   * node's rank 0, i.e. the lowest rank of comm there. */
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  launch_rank me;
  self_describe(&me);
  me.reader = rank;
  MPI_Bcast(&me.reader, 1, MPI_INT, 0, node);
  MPI_Comm_free(&node);

  launch_rank *all = rank == 0 ? mlps_xmalloc(sizeof *all * (size_t)size) : NULL;
  MPI_Gather(&me, (int)sizeof me, MPI_BYTE, all, (int)sizeof me, MPI_BYTE, 0, comm);
  if (rank != 0) return;

  int nodes = 0, tmin = all[0].threads, tmax = all[0].threads, same_core = 1;
  for (int i = 0; i < size; i++) {
    if (all[i].reader == i) {
      nodes++;
      if (verbosity > 0) print_node(all, size, i);
    }
    if (all[i].threads < tmin) tmin = all[i].threads;
    if (all[i].threads > tmax) tmax = all[i].threads;
    if (strcmp(all[i].core, all[0].core) != 0) same_core = 0;
  }
  if (verbosity > 0 && !tmax) {
    fprintf(log_stream(), "mlpsweep: %d node(s), %d rank(s); the BLAS is not OpenBLAS\n", nodes,
            size);
  } else if (verbosity > 0) {
    fprintf(log_stream(), "mlpsweep: %d node(s), %d rank(s); OpenBLAS core %s", nodes, size,
            all[0].core);
    if (!same_core) {
      for (int i = 1; i < size; i++)
        if (all[i].reader == i && strcmp(all[i].core, all[0].core) != 0)
          fprintf(log_stream(), " (%s on %s)", all[i].core, all[i].host);
    }
    if (tmin == tmax) fprintf(log_stream(), ", %d thread(s)\n", tmin);
    else fprintf(log_stream(), ", %d-%d thread(s)\n", tmin, tmax);
  }
  warn_generic(all, size);
  free(all);
}
