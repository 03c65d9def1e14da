/* cfg_load_mpi on 3 ranks: a valid config arrives identical on every rank;
 * an invalid one gives the same status everywhere, with the messages on
 * rank 0 only, and nobody hangs (the test has a timeout). */
#include <stdlib.h>
#include <string.h>

#include "config/config_mpi.h"
#include "mpi_test.h"

static unsigned long checksum(const void *p, size_t n) {
  const unsigned char *b = p;
  unsigned long h = 1469598103934665603ul;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ul;
  return h;
}

int main(int argc, char **argv) {
  mpi_test_init(&argc, &argv);
  if (argc < 3) {
    if (mt_rank == 0) fprintf(stderr, "usage: test_config_mpi GOOD.yaml BAD.yaml\n");
    return mpi_test_exit(2);
  }
  mlps_config *cfg = calloc(1, sizeof *cfg);
  cfg_errors e;
  const char *sets[] = {"search.trials=5"};

  int rc = cfg_load_mpi(MPI_COMM_WORLD, argv[1], sets, 1, cfg, &e);
  CHECK(rc == MLPS_OK);
  CHECK(cfg->search.sampler.trials == 5);
  CHECK(e.text == NULL && e.n == 0);
  unsigned long h = checksum(cfg, sizeof *cfg), hmin, hmax;
  MPI_Allreduce(&h, &hmin, 1, MPI_UNSIGNED_LONG, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&h, &hmax, 1, MPI_UNSIGNED_LONG, MPI_MAX, MPI_COMM_WORLD);
  CHECK(hmin == hmax);
  cfg_errors_free(&e);

  rc = cfg_load_mpi(MPI_COMM_WORLD, argv[2], NULL, 0, cfg, &e);
  CHECK(rc == MLPS_EINPUT);
  CHECK(e.n >= 1);
  CHECK(mt_rank == 0 ? e.text != NULL && strstr(e.text, "kfold") != NULL : e.text == NULL);
  cfg_errors_free(&e);

  free(cfg);
  return mpi_test_finish("config_mpi");
}
