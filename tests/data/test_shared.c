/* Node-shared loading (run with 3 ranks and with 1): every rank sees the
 * same data, equal to the file; the data exist once per node (the summed
 * proportional set size, Pss, of the ranks grows by about one copy, not one
 * per rank); errors are agreed on by every rank with the same message.
 * With 3 ranks, two "nodes" are also emulated on this machine ({0, 2} and
 * {1}, via data_load_shared_nodes): two readers, two copies, and a problem
 * seen only by the second node's reader reaches every rank. The content
 * checksum is the same on every rank, for 1 or 3 ranks and any read block
 * size, and equals the one-call checksum of the values; two nodes reading
 * files of the same shape but one other value is an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "data/h5.h"
#include "mpi_test.h"

#define N 150000
#define D 8
#define M 32

static float xv(size_t i, size_t j) { return (float)(i % 1000) * 0.5f + (float)j; }
static float yv(size_t i, size_t j) { return (float)(i % 777) * 0.25f - (float)j; }

/* Pss of this process in bytes (shared pages divided among the processes mapping them). */
static double pss_bytes(const char *key) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  int rollup = f != NULL;
  if (!f) f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[256];
  double kb = 0;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      kb += atof(line + kl + 1);
      if (rollup) break;
    }
  }
  fclose(f);
  return kb * 1024.0;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

/* Writes X (N, D) = xv and Y (N, M) = yv to path; bump: one value of Y + 1. */
static void write_xy(const char *path, int bump) {
  float *x = malloc((size_t)N * D * sizeof *x), *y = malloc((size_t)N * M * sizeof *y);
  for (size_t i = 0; i < N; i++) {
    for (size_t j = 0; j < D; j++) x[i * D + j] = xv(i, j);
    for (size_t j = 0; j < M; j++) y[i * M + j] = yv(i, j);
  }
  if (bump) y[(size_t)123456 * M + 7] += 1.0f;
  hid_t f;
  mlps_err e;
  CHECK(h5_create(path, &f, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "X", x, N, D, 0, &e) == MLPS_OK);
  CHECK(h5_write_f32(f, "Y", y, N, M, 0, &e) == MLPS_OK);
  H5Fclose(f);
  free(x);
  free(y);
}

int main(int argc, char **argv) {
  mpi_test_init(&argc, &argv);
  const int rank = mt_rank, size = mt_size;
  h5_quiet();
  const char *tmp = getenv("MLPS_TMP");
  char path[1024];
  snprintf(path, sizeof path, "%s/data_shared_%d.h5", tmp && tmp[0] ? tmp : "/tmp", size);
  if (rank == 0) write_xy(path, 0);
  MPI_Barrier(MPI_COMM_WORLD);

  double before = pss_bytes("Pss"), rss_before = pss_bytes("Rss");
  data_spec spec = {.path = path};
  data_set ds;
  mlps_err e = {0, ""};
  int rc = data_load_shared(MPI_COMM_WORLD, &spec, &ds, &e);
  CHECK(rc == MLPS_OK);
  if (rc) {
    fprintf(stderr, "rank %d: %s\n", rank, e.msg);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  CHECK(ds.n == N && ds.d == D && ds.m == M);
  /* every value equals the file's, on every rank (this also touches every page) */
  int ok = 1;
  for (size_t i = 0; i < N; i++) {
    for (size_t j = 0; j < D; j++) ok &= ds.X[i * D + j] == xv(i, j);
    for (size_t j = 0; j < M; j++) ok &= ds.Y[i * M + j] == yv(i, j);
  }
  CHECK(ok);
  uint64_t h = fnv(ds.X, N * D * sizeof(float), 1469598103934665603ull);
  h = fnv(ds.Y, N * M * sizeof(float), h);
  uint64_t hmin, hmax;
  MPI_Allreduce(&h, &hmin, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&h, &hmax, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  CHECK(hmin == hmax); /* identical bytes on every rank */
  /* the loader's checksum: that of the values (so the same for any rank
   * count), the same on every rank */
  CHECK(ds.checksum == data_checksum(ds.X, ds.n, ds.d, ds.Y, ds.m));
  uint64_t ck = ds.checksum, ckmin, ckmax;
  MPI_Allreduce(&ck, &ckmin, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&ck, &ckmax, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  CHECK(ckmin == ckmax && ds.file_bytes > (uint64_t)ds.bytes);
  if (rank == 0) {
    char hex[17];
    printf("  content checksum %s on every rank\n", data_checksum_hex(ck, hex));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  double after = pss_bytes("Pss"), rss_after = pss_bytes("Rss");
  double d = after - before, dr = rss_after - rss_before, sum, sumr;
  MPI_Allreduce(&d, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  MPI_Allreduce(&dr, &sumr, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  double copy = (double)ds.bytes;
  if (rank == 0)
    printf(
        "  %d rank(s): one copy = %.1f MiB; summed Pss grew by %.1f MiB (%.2f copies), summed Rss "
        "by %.1f MiB "
        "(%.2f: each rank maps the same pages)\n",
        size, copy / 1048576, sum / 1048576, sum / copy, sumr / 1048576, sumr / copy);
  if (before >= 0) {
    /* one copy plus slack for MPI/HDF5 bookkeeping; one copy per rank would be `size` copies */
    CHECK(sum > 0.8 * copy);
    CHECK(sum < 1.4 * copy);
  }
  data_free(&ds);

  /* Errors: the reader (rank 0) finds the problem; all ranks agree on it. */
  data_spec bad = {.path = path, .targets = "nope"};
  mlps_err e2 = {0, ""};
  rc = data_load_shared(MPI_COMM_WORLD, &bad, &ds, &e2);
  CHECK(rc == MLPS_EINPUT);
  CHECK(strstr(e2.msg,
               "dataset 'nope' not found; datasets in the file: /X (150000, 8), /Y (150000, 32)") !=
        NULL);
  int rmin, rmax;
  MPI_Allreduce(&rc, &rmin, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&rc, &rmax, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  CHECK(rmin == rmax);
  uint64_t mh = fnv(e2.msg, strlen(e2.msg), 1), mmin, mmax;
  MPI_Allreduce(&mh, &mmin, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&mh, &mmax, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  CHECK(mmin == mmax);
  if (rank == 0) printf("  agreed error on all ranks: %s\n", e2.msg);
  /* A memory limit that is too small, also agreed. */
  data_spec small = {.path = path, .mem_limit = 1 << 20};
  rc = data_load_shared(MPI_COMM_WORLD, &small, &ds, &e2);
  CHECK(rc == MLPS_EINPUT && strstr(e2.msg, "need 22.9 MiB as float32"));

  if (size >= 2) {
    MPI_Comm node;
    MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &node);
    before = pss_bytes("Pss");
    /* the second node reads in blocks of 1 MiB (about 3,600 rows), the first in 8 MiB */
    data_spec blocked = {.path = path, .read_block_bytes = rank % 2 ? 1 << 20 : 0};
    rc = data_load_shared_nodes(MPI_COMM_WORLD, node, &blocked, &ds, &e);
    CHECK(rc == MLPS_OK);
    if (!rc) {
      CHECK(ds.checksum == ck);
      ok = 1;
      for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < D; j++) ok &= ds.X[i * D + j] == xv(i, j);
        for (size_t j = 0; j < M; j++) ok &= ds.Y[i * M + j] == yv(i, j);
      }
      CHECK(ok);
      MPI_Barrier(MPI_COMM_WORLD);
      d = pss_bytes("Pss") - before;
      MPI_Allreduce(&d, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      if (rank == 0)
        printf("  2 emulated nodes: summed Pss grew by %.2f copies (one per node)\n", sum / copy);
      if (before >= 0) CHECK(sum > 1.6 * copy && sum < 2.4 * copy);
      data_free(&ds);
    }
    /* only the second node's reader (rank 1) gets a missing file */
    char other[1100];
    snprintf(other, sizeof other, "%s.missing", path);
    data_spec per = {.path = rank == 1 ? other : path};
    rc = data_load_shared_nodes(MPI_COMM_WORLD, node, &per, &ds, &e2);
    CHECK(rc == MLPS_EINPUT && strstr(e2.msg, ".missing: file not found"));
    if (rank == 0) printf("  node 1's error on every rank: %s\n", e2.msg);
    /* the nodes see files of different shapes */
    char smallp[1100];
    snprintf(smallp, sizeof smallp, "%s/data_shared_small_%d.h5", tmp && tmp[0] ? tmp : "/tmp",
             size);
    if (rank == 0) {
      float z[10 * (D > M ? D : M)];
      memset(z, 0, sizeof z);
      hid_t f;
      CHECK(h5_create(smallp, &f, &e) == MLPS_OK);
      h5_write_f32(f, "X", z, 10, D, 0, &e);
      h5_write_f32(f, "Y", z, 10, M, 0, &e);
      H5Fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    data_spec diff = {.path = rank == 1 ? smallp : path};
    rc = data_load_shared_nodes(MPI_COMM_WORLD, node, &diff, &ds, &e2);
    CHECK(rc == MLPS_EINPUT &&
          strstr(e2.msg, "nodes of this job see different data (rows 10..150000"));
    if (rank == 0) printf("  %s\n", e2.msg);
    /* same shape, one value different (a stale copy): the checksums differ */
    char otherp[1100];
    snprintf(otherp, sizeof otherp, "%s/data_shared_other_%d.h5", tmp && tmp[0] ? tmp : "/tmp",
             size);
    if (rank == 0) write_xy(otherp, 1); /* one value differs */
    MPI_Barrier(MPI_COMM_WORLD);
    data_spec stale = {.path = rank == 1 ? otherp : path};
    rc = data_load_shared_nodes(MPI_COMM_WORLD, node, &stale, &ds, &e2);
    CHECK(
        rc == MLPS_EINPUT &&
        strstr(
            e2.msg,
            "nodes of this job see different data: same rows and columns, but content checksums"));
    if (rc == MLPS_OK) data_free(&ds);
    if (rank == 0) printf("  %s\n", e2.msg);
    MPI_Comm_free(&node);
  }

  return mpi_test_finish("data_shared");
}
