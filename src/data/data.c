/* Loader and validator of X (n, d) and Y (n, m): see data.h.
 *
 * The loader works in three steps so that the node-shared version can put
 * collective agreement points between them: open_check (open file and
 * datasets, check types, shapes, selections and memory; nothing big is
 * allocated), then read_into (read row blocks as double, check every selected
 * value is finite and fits float32, store float32), then close. Reading in
 * blocks of whole rows (a multiple of the chunk height for chunked data) keeps
 * the temporary buffer small and decompresses every chunk once, and lets the
 * column selection take any order. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "data/data.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "data/colspec.h"
#include "data/h5.h"

#define BLOCK_BYTES ((size_t)8 << 20) /* temporary read buffer per block of rows */

typedef struct {
  hid_t fid, did[2];          /* file; datasets X, Y */
  const char *dname[2];       /* dataset names as given */
  size_t n_file, n;           /* rows in file, rows to load */
  size_t cols_file[2];        /* columns in file */
  int64_t *cols[2];           /* selected file columns */
  size_t ncols[2];            /* number selected */
  char **names[2];            /* selected column names, or NULL */
  hsize_t chunk_rows[2];      /* 0 = contiguous */
  char dtype[2][32];
  int nd;                     /* 1 (inputs only) or 2 */
} opened;

const char *data_fmt_bytes(double b, char *buf, size_t bufsize) {
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int i = 0;
  while (b >= 1024 && i < 5) {
    b /= 1024;
    i++;
  }
  if (i == 0)
    snprintf(buf, bufsize, "%.0f B", b);
  else
    snprintf(buf, bufsize, "%.*f %s", b < 10 ? 2 : 1, b, u[i]);
  return buf;
}

static int read_u64_file(const char *path, unsigned long long *v) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[64] = "";
  int ok = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  if (!ok || strncmp(line, "max", 3) == 0) return 0;
  char *end;
  *v = strtoull(line, &end, 10);
  return end != line;
}

size_t data_mem_available(void) {
  unsigned long long avail = ULLONG_MAX;
  FILE *f = fopen("/proc/meminfo", "r");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f)) {
      unsigned long long kb;
      if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
        avail = kb * 1024ull;
        break;
      }
    }
    fclose(f);
  }
  unsigned long long max, cur;
  /* cgroup v2, then v1: a batch job's limit is often far below the node's. */
  if (read_u64_file("/sys/fs/cgroup/memory.max", &max) && read_u64_file("/sys/fs/cgroup/memory.current", &cur)) {
    unsigned long long left = max > cur ? max - cur : 0;
    if (left < avail) avail = left;
  } else if (read_u64_file("/sys/fs/cgroup/memory/memory.limit_in_bytes", &max) &&
             read_u64_file("/sys/fs/cgroup/memory/memory.usage_in_bytes", &cur) && max < (1ull << 60)) {
    unsigned long long left = max > cur ? max - cur : 0;
    if (left < avail) avail = left;
  }
  return avail > SIZE_MAX ? SIZE_MAX : (size_t)avail;
}

static void close_opened(opened *o) {
  for (int k = 0; k < 2; k++) {
    if (o->did[k] > 0) H5Dclose(o->did[k]);
    free(o->cols[k]);
    h5_free_strings(o->names[k], o->ncols[k]);
    o->did[k] = -1;
    o->cols[k] = NULL;
    o->names[k] = NULL;
  }
  if (o->fid > 0) H5Fclose(o->fid);
  o->fid = -1;
}

/* Opens and checks one dataset: numeric, rank 2, at least one row and column. */
static int check_dataset(opened *o, int k, const char *path, mlps_err *e) {
  const char *name = o->dname[k];
  MLPS_TRY(h5_open_dataset(o->fid, path, name, &o->did[k], e));
  hid_t t = H5Dget_type(o->did[k]), s = H5Dget_space(o->did[k]), p = H5Dget_create_plist(o->did[k]);
  H5T_class_t c = H5Tget_class(t);
  h5_type_name(t, o->dtype[k], sizeof o->dtype[k]);
  int r = H5Sget_simple_extent_ndims(s);
  hsize_t dims[32] = {0};
  if (r > 0 && r <= 32) H5Sget_simple_extent_dims(s, dims, NULL);
  if (H5Pget_layout(p) == H5D_CHUNKED) {
    hsize_t cd[32] = {0};
    if (H5Pget_chunk(p, 32, cd) >= 1) o->chunk_rows[k] = cd[0];
  }
  H5Pclose(p);
  H5Sclose(s);
  H5Tclose(t);
  if (c != H5T_FLOAT && c != H5T_INTEGER)
    return mlps_errorf(e, MLPS_EINPUT, "%s: dataset '%s' has type %s; expected float32 or float64 numbers", path, name,
                       o->dtype[k]);
  if (r != 2) {
    char shape[128] = "";
    int q = 0;
    for (int i = 0; i < r && i < 32 && q < 100; i++)
      q += snprintf(shape + q, sizeof shape - (size_t)q, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    return mlps_errorf(e, MLPS_EINPUT,
                       "%s: dataset '%s' has rank %d (shape (%s)); expected a 2-D (rows, columns) dataset%s", path,
                       name, r, shape,
                       r == 1 ? " (for one column, reshape it to (n, 1), e.g. h5py: f.create_dataset(name, "
                                "data=a.reshape(-1, 1)))"
                              : "");
  }
  if (dims[1] == 0)
    return mlps_errorf(e, MLPS_EINPUT, "%s: dataset '%s' has shape (%llu, 0): no columns", path, name,
                       (unsigned long long)dims[0]);
  o->cols_file[k] = (size_t)dims[1];
  if (k == 0)
    o->n_file = (size_t)dims[0];
  else if ((size_t)dims[0] != o->n_file)
    return mlps_errorf(e, MLPS_EINPUT,
                       "%s: row counts differ: inputs '%s' has %zu rows but targets '%s' has %llu; row i of both must "
                       "be the same example",
                       path, o->dname[0], o->n_file, name, (unsigned long long)dims[0]);
  return MLPS_OK;
}

static int select_columns(opened *o, int k, const char *spec, const char *what, const char *path, mlps_err *e) {
  int64_t n = 0;
  int rc = colspec_parse(spec, (int64_t)o->cols_file[k], what, &o->cols[k], &n, e);
  if (rc) return mlps_err_prefix(e, "%s: dataset '%s' (%zu columns)", path, o->dname[k], o->cols_file[k]);
  o->ncols[k] = (size_t)n;
  /* Column names, when the dataset has a "names" attribute of the right length. */
  char **all = NULL;
  size_t na = 0;
  mlps_err ignore;
  if (h5_read_attr_strs(o->did[k], ".", "names", &all, &na, &ignore) == MLPS_OK) {
    if (na == o->cols_file[k]) {
      o->names[k] = mlps_xcalloc(o->ncols[k] ? o->ncols[k] : 1, sizeof(char *));
      for (size_t j = 0; j < o->ncols[k]; j++) o->names[k][j] = mlps_xstrdup(all[o->cols[k][j]]);
    }
    h5_free_strings(all, na);
  }
  return MLPS_OK;
}

/* Rows per read block of dataset k: about BLOCK_BYTES of doubles, rounded
 * to whole chunks so each chunk is decompressed once, unless the chunks are
 * so tall that one would need a huge buffer (then a chunk may be decompressed
 * once per block: slower, still correct). */
static size_t block_rows(const opened *o, int k) {
  size_t cf = o->cols_file[k];
  size_t block = BLOCK_BYTES / (cf * sizeof(double));
  if (block < 1) block = 1;
  hsize_t ch = o->chunk_rows[k];
  if (ch > 0 && (double)ch * (double)cf * sizeof(double) <= 8.0 * (double)BLOCK_BYTES)
    block = block < ch ? (size_t)ch : block / ch * ch;
  if (block > o->n) block = o->n;
  return block;
}

static int open_check(const data_spec *spec, opened *o, mlps_err *e) {
  memset(o, 0, sizeof *o);
  o->fid = o->did[0] = o->did[1] = -1;
  const char *path = spec->path ? spec->path : "";
  o->dname[0] = spec->inputs && spec->inputs[0] ? spec->inputs : "X";
  o->dname[1] = spec->targets && spec->targets[0] ? spec->targets : "Y";
  o->nd = spec->inputs_only ? 1 : 2;
  if (!path[0]) return mlps_errorf(e, MLPS_EINPUT, "no data file given (data.path)");
  int rc = h5_open_read(path, &o->fid, e);
  for (int k = 0; !rc && k < o->nd; k++) rc = check_dataset(o, k, path, e);
  if (!rc) rc = select_columns(o, 0, spec->input_columns, "input_columns", path, e);
  if (!rc && o->nd == 2) rc = select_columns(o, 1, spec->target_columns, "target_columns", path, e);
  if (rc) {
    close_opened(o);
    return rc;
  }
  o->n = o->n_file;
  if (spec->max_rows > 0 && (size_t)spec->max_rows < o->n) o->n = (size_t)spec->max_rows;
  if (o->n == 0) {
    close_opened(o);
    return mlps_errorf(e, MLPS_EINPUT, "%s: dataset '%s' has 0 rows; nothing to train on", path, o->dname[0]);
  }
  /* Memory: X and Y as float32, plus the transient read buffer, checked
   * before anything is allocated. */
  double need = (double)o->n * (double)(o->ncols[0] + (o->nd == 2 ? o->ncols[1] : 0)) * 4.0;
  double buf = 0;
  for (int k = 0; k < o->nd; k++) {
    double b = (double)block_rows(o, k) * (double)o->cols_file[k] * sizeof(double);
    if (b > buf) buf = b;
  }
  double have = spec->mem_limit ? (double)spec->mem_limit : (double)data_mem_available();
  if (need + buf > have) {
    char b1[32], b2[32], b3[32];
    close_opened(o);
    char what[600];
    if (o->nd == 2)
      snprintf(what, sizeof what, "%zu rows of inputs '%s' (%zu columns) and targets '%s' (%zu columns)", o->n,
               o->dname[0], o->ncols[0], o->dname[1], o->ncols[1]);
    else
      snprintf(what, sizeof what, "%zu rows of inputs '%s' (%zu columns)", o->n, o->dname[0], o->ncols[0]);
    return mlps_errorf(e, MLPS_EINPUT,
                       "%s: %s need %s as float32 (plus %s while reading), but only %s %s; load less with "
                       "data.max_rows or column selections, or use a node with more memory",
                       path, what, data_fmt_bytes(need, b1, sizeof b1), data_fmt_bytes(buf, b3, sizeof b3),
                       data_fmt_bytes(have, b2, sizeof b2),
                       spec->mem_limit ? "are allowed (memory limit)" : "are available on this node");
  }
  return MLPS_OK;
}

/* Reads rows [0, n) of dataset k, selected columns, into dst (n, ncols). */
static int read_matrix(opened *o, int k, const char *path, float *dst, mlps_err *e) {
  size_t cf = o->cols_file[k], nc = o->ncols[k];
  size_t block = block_rows(o, k);
  /* mmap rather than malloc: munmap returns the pages at once, so the
   * buffer does not stay resident in the heap next to the data. */
  size_t buf_bytes = block * cf * sizeof(double);
  double *buf = mmap(NULL, buf_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) {
    char b[32];
    return mlps_errorf(e, MLPS_ERUNTIME, "%s: out of memory for a read buffer of %s", path,
                       data_fmt_bytes((double)(block * cf * sizeof *buf), b, sizeof b));
  }
  hid_t fs = H5Dget_space(o->did[k]);
  int rc = MLPS_OK;
  const int64_t *cols = o->cols[k];
  for (size_t r0 = 0; r0 < o->n && !rc; r0 += block) {
    size_t nr = o->n - r0 < block ? o->n - r0 : block;
    hsize_t start[2] = {r0, 0}, count[2] = {nr, cf};
    hid_t ms = H5Screate_simple(2, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    if (H5Dread(o->did[k], H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) < 0)
      rc = mlps_errorf(e, MLPS_ERUNTIME,
                       "%s: dataset '%s': cannot read rows %zu..%zu (damaged file, or compressed with a filter this "
                       "HDF5 does not have?)",
                       path, o->dname[k], r0, r0 + nr - 1);
    H5Sclose(ms);
    for (size_t i = 0; i < nr && !rc; i++) {
      const double *row = buf + i * cf;
      float *out = dst + (r0 + i) * nc;
      for (size_t j = 0; j < nc; j++) {
        double v = row[cols[j]];
        if (!isfinite(v) || fabs(v) > FLT_MAX) {
          char col[64];
          if (cols[j] != (int64_t)j)
            snprintf(col, sizeof col, "column %zu (file column %lld)", j, (long long)cols[j]);
          else
            snprintf(col, sizeof col, "column %zu", j);
          rc = mlps_errorf(e, MLPS_EINPUT, "%s: dataset '%s': %s at row %zu, %s; %s", path, o->dname[k],
                           isnan(v) ? "NaN" : isinf(v) ? (v > 0 ? "+Inf" : "-Inf") : "value too large for float32",
                           r0 + i, col,
                           isfinite(v) ? "rescale the column (e.g. store its log)"
                                       : "remove or fix that row before training (every value must be finite)");
          break;
        }
        out[j] = (float)v;
      }
    }
  }
  H5Sclose(fs);
  munmap(buf, buf_bytes);
  return rc;
}

static size_t y_offset(const opened *o) {
  /* Y starts on a 64-byte boundary after X. */
  size_t xb = o->n * o->ncols[0] * sizeof(float);
  return (xb + 63) / 64 * 64;
}

static size_t total_bytes(const opened *o) {
  return o->nd == 2 ? y_offset(o) + o->n * o->ncols[1] * sizeof(float) : o->n * o->ncols[0] * sizeof(float);
}

static int read_into(opened *o, const char *path, void *base, mlps_err *e) {
  MLPS_TRY(read_matrix(o, 0, path, (float *)base, e));
  if (o->nd == 2) MLPS_TRY(read_matrix(o, 1, path, (float *)((char *)base + y_offset(o)), e));
  return MLPS_OK;
}

/* Moves metadata (columns, names) from o into ds and points X, Y at base. */
static void fill_set(opened *o, const data_spec *spec, data_set *ds, void *base) {
  ds->n = o->n;
  ds->d = o->ncols[0];
  ds->m = o->nd == 2 ? o->ncols[1] : 0;
  ds->n_file = o->n_file;
  ds->d_file = o->cols_file[0];
  ds->m_file = o->nd == 2 ? o->cols_file[1] : 0;
  ds->x_cols = o->cols[0];
  ds->y_cols = o->cols[1];
  ds->x_names = o->names[0];
  ds->y_names = o->names[1];
  o->cols[0] = o->cols[1] = NULL;
  o->names[0] = o->names[1] = NULL;
  snprintf(ds->path, sizeof ds->path, "%s", spec->path);
  snprintf(ds->inputs, sizeof ds->inputs, "%s", o->dname[0]);
  snprintf(ds->targets, sizeof ds->targets, "%s", o->nd == 2 ? o->dname[1] : "");
  snprintf(ds->x_dtype, sizeof ds->x_dtype, "%s", o->dtype[0]);
  snprintf(ds->y_dtype, sizeof ds->y_dtype, "%s", o->nd == 2 ? o->dtype[1] : "");
  ds->bytes = total_bytes(o);
  ds->X = (const float *)base;
  ds->Y = o->nd == 2 ? (const float *)((char *)base + y_offset(o)) : NULL;
}

int data_load(const data_spec *spec, data_set *ds, mlps_err *e) {
  memset(ds, 0, sizeof *ds);
  ds->win_ = MPI_WIN_NULL;
  ds->node_ = MPI_COMM_NULL;
  h5_quiet();
  opened o;
  MLPS_TRY(open_check(spec, &o, e));
  size_t bytes = total_bytes(&o);
  void *mem = malloc(bytes);
  if (!mem) {
    char b[32];
    close_opened(&o);
    return mlps_errorf(e, MLPS_ERUNTIME, "%s: out of memory allocating %s for the data", spec->path,
                       data_fmt_bytes((double)bytes, b, sizeof b));
  }
  int rc = read_into(&o, spec->path, mem, e);
  if (rc) {
    free(mem);
    close_opened(&o);
    return rc;
  }
  fill_set(&o, spec, ds, mem);
  ds->mem_ = mem;
  close_opened(&o);
  return MLPS_OK;
}

void data_free(data_set *ds) {
  if (!ds) return;
  if (ds->shared_) {
    MPI_Win_free(&ds->win_);
    MPI_Comm_free(&ds->node_);
  }
  free(ds->mem_);
  free(ds->x_cols);
  free(ds->y_cols);
  h5_free_strings(ds->x_names, ds->d);
  h5_free_strings(ds->y_names, ds->m);
  memset(ds, 0, sizeof *ds);
  ds->win_ = MPI_WIN_NULL;
  ds->node_ = MPI_COMM_NULL;
}

/* ---- node-shared loading ---------------------------------------------- */

/* Collective agreement: every rank of comm gets the status and message of
 * the lowest-numbered failing rank. */
static int agree(MPI_Comm comm, int rc, mlps_err *e) {
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

/* Packs what other ranks need to rebuild `opened`'s metadata. */
typedef struct {
  uint64_t n, n_file, cols_file[2], ncols[2];
  int32_t nd, has_names[2];
  char dtype[2][32];
} meta_hdr;

static char *pack_meta(const opened *o, size_t *len) {
  meta_hdr h;
  memset(&h, 0, sizeof h);
  h.n = o->n;
  h.n_file = o->n_file;
  h.nd = o->nd;
  size_t sz = sizeof h;
  for (int k = 0; k < 2; k++) {
    h.cols_file[k] = o->cols_file[k];
    h.ncols[k] = o->ncols[k];
    h.has_names[k] = o->names[k] != NULL;
    memcpy(h.dtype[k], o->dtype[k], sizeof h.dtype[k]);
    sz += o->ncols[k] * sizeof(int64_t);
    if (o->names[k])
      for (size_t j = 0; j < o->ncols[k]; j++) sz += strlen(o->names[k][j]) + 1;
  }
  char *buf = mlps_xmalloc(sz), *p = buf;
  memcpy(p, &h, sizeof h);
  p += sizeof h;
  for (int k = 0; k < 2; k++) {
    if (o->ncols[k]) memcpy(p, o->cols[k], o->ncols[k] * sizeof(int64_t));
    p += o->ncols[k] * sizeof(int64_t);
    if (o->names[k])
      for (size_t j = 0; j < o->ncols[k]; j++) {
        size_t l = strlen(o->names[k][j]) + 1;
        memcpy(p, o->names[k][j], l);
        p += l;
      }
  }
  *len = sz;
  return buf;
}

static void unpack_meta(const char *buf, opened *o) {
  meta_hdr h;
  memcpy(&h, buf, sizeof h);
  const char *p = buf + sizeof h;
  o->n = h.n;
  o->n_file = h.n_file;
  o->nd = h.nd;
  for (int k = 0; k < 2; k++) {
    o->cols_file[k] = h.cols_file[k];
    o->ncols[k] = h.ncols[k];
    memcpy(o->dtype[k], h.dtype[k], sizeof o->dtype[k]);
    o->cols[k] = mlps_xmalloc((o->ncols[k] ? o->ncols[k] : 1) * sizeof(int64_t));
    if (o->ncols[k]) memcpy(o->cols[k], p, o->ncols[k] * sizeof(int64_t));
    p += o->ncols[k] * sizeof(int64_t);
    if (h.has_names[k]) {
      o->names[k] = mlps_xcalloc(o->ncols[k] ? o->ncols[k] : 1, sizeof(char *));
      for (size_t j = 0; j < o->ncols[k]; j++) {
        o->names[k][j] = mlps_xstrdup(p);
        p += strlen(p) + 1;
      }
    }
  }
  if (!o->ncols[1]) {
    free(o->cols[1]);
    o->cols[1] = NULL;
  }
}

int data_load_shared(MPI_Comm comm, const data_spec *spec, data_set *ds, mlps_err *e) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int rc = data_load_shared_nodes(comm, node, spec, ds, e);
  MPI_Comm_free(&node);
  return rc;
}

int data_load_shared_nodes(MPI_Comm comm, MPI_Comm node_in, const data_spec *spec, data_set *ds, mlps_err *e) {
  memset(ds, 0, sizeof *ds);
  ds->win_ = MPI_WIN_NULL;
  ds->node_ = MPI_COMM_NULL;
  h5_quiet();
  int rank;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm node;
  MPI_Comm_dup(node_in, &node);
  MPI_Comm_set_errhandler(node, MPI_ERRORS_RETURN);
  int nrank;
  MPI_Comm_rank(node, &nrank);
  const int reader = nrank == 0;

  /* 1. The reader of each node opens and checks; everyone agrees. */
  opened o;
  memset(&o, 0, sizeof o);
  o.fid = o.did[0] = o.did[1] = -1;
  o.dname[0] = spec->inputs && spec->inputs[0] ? spec->inputs : "X";
  o.dname[1] = spec->targets && spec->targets[0] ? spec->targets : "Y";
  int rc = reader ? open_check(spec, &o, e) : MLPS_OK;
  rc = agree(comm, rc, e);
  if (rc) {
    close_opened(&o); /* this node's reader may have succeeded where another failed */
    MPI_Comm_free(&node);
    return rc;
  }

  /* 2. All nodes must have read the same shapes (a stale copy of the file on
   * one node's local disk would otherwise train on different data). */
  uint64_t mine[3] = {0, 0, 0}, lo[3], hi[3];
  if (reader) {
    mine[0] = o.n;
    mine[1] = o.ncols[0];
    mine[2] = o.ncols[1];
  }
  uint64_t minein[3];
  for (int i = 0; i < 3; i++) minein[i] = reader ? mine[i] : UINT64_MAX;
  MPI_Allreduce(mine, hi, 3, MPI_UINT64_T, MPI_MAX, comm);
  MPI_Allreduce(minein, lo, 3, MPI_UINT64_T, MPI_MIN, comm);
  if (memcmp(lo, hi, sizeof lo) != 0) {
    if (reader) close_opened(&o);
    MPI_Comm_free(&node);
    /* No file name: it may differ between ranks, the message must not. */
    return mlps_errorf(e, MLPS_EINPUT,
                       "data: the nodes of this job see different data (rows %llu..%llu, input columns %llu..%llu, "
                       "target columns %llu..%llu); is the file the same on every node?",
                       (unsigned long long)lo[0], (unsigned long long)hi[0], (unsigned long long)lo[1],
                       (unsigned long long)hi[1], (unsigned long long)lo[2], (unsigned long long)hi[2]);
  }

  /* 3. Metadata to the other ranks of the node. */
  size_t len = 0;
  char *meta = reader ? pack_meta(&o, &len) : NULL;
  uint64_t len64 = len;
  MPI_Bcast(&len64, 1, MPI_UINT64_T, 0, node);
  if (!reader) meta = mlps_xmalloc(len64);
  MPI_Bcast(meta, (int)len64, MPI_BYTE, 0, node);
  if (!reader) unpack_meta(meta, &o);
  free(meta);
  size_t bytes = total_bytes(&o);

  /* 4. One shared window per node, all of it owned by the reader. */
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "false");
  void *base = NULL;
  MPI_Win win = MPI_WIN_NULL;
  int mrc = MPI_Win_allocate_shared(reader ? (MPI_Aint)bytes : 0, 1, info, node, &base, &win);
  MPI_Info_free(&info);
  rc = MLPS_OK;
  if (mrc != MPI_SUCCESS) {
    char b[32];
    rc = mlps_errorf(e, MLPS_ERUNTIME,
                     "%s: could not allocate %s of node-shared memory (MPI_Win_allocate_shared failed; is /dev/shm "
                     "large enough?)",
                     spec->path, data_fmt_bytes((double)bytes, b, sizeof b));
  } else {
    MPI_Aint qsize;
    int qdisp;
    MPI_Win_shared_query(win, 0, &qsize, &qdisp, &base);
  }
  rc = agree(comm, rc, e);
  if (rc) {
    if (win != MPI_WIN_NULL) MPI_Win_free(&win);
    close_opened(&o);
    MPI_Comm_free(&node);
    return rc;
  }

  /* 5. The reader fills the window; the sync/barrier/sync makes its stores
   * visible to the other ranks (MPI-3 unified model). */
  MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
  rc = reader ? read_into(&o, spec->path, base, e) : MLPS_OK;
  MPI_Win_sync(win);
  MPI_Barrier(node);
  MPI_Win_sync(win);
  MPI_Win_unlock_all(win);
  rc = agree(comm, rc, e);
  if (rc) {
    MPI_Win_free(&win);
    close_opened(&o);
    MPI_Comm_free(&node);
    return rc;
  }
  fill_set(&o, spec, ds, base);
  close_opened(&o);
  ds->shared_ = 1;
  ds->win_ = win;
  ds->node_ = node;
  return MLPS_OK;
}

int data_write_meta(hid_t loc, const char *group, const data_set *ds, mlps_err *e) {
  hid_t g = h5_group_open_or_create(loc, group);
  if (g < 0) return mlps_errorf(e, MLPS_ERUNTIME, "cannot create group '%s'", group);
  char *xs = mlps_xmalloc(ds->d * 24 + 8), *ys = mlps_xmalloc(ds->m * 24 + 8);
  colspec_format(ds->x_cols, (int64_t)ds->d, (int64_t)ds->d_file, xs, ds->d * 24 + 8);
  colspec_format(ds->y_cols, (int64_t)ds->m, (int64_t)ds->m_file, ys, ds->m * 24 + 8);
  int64_t v[4] = {(int64_t)ds->n, (int64_t)ds->n_file, (int64_t)ds->d, (int64_t)ds->m};
  int rc = h5_attr_str(g, ".", "path", ds->path, e);
  if (!rc) rc = h5_attr_str(g, ".", "inputs", ds->inputs, e);
  if (!rc) rc = h5_attr_str(g, ".", "targets", ds->targets, e);
  if (!rc) rc = h5_attr_str(g, ".", "input_columns", xs, e);
  if (!rc) rc = h5_attr_str(g, ".", "target_columns", ys, e);
  if (!rc) rc = h5_attr_i64(g, ".", "n", &v[0], 1, e);
  if (!rc) rc = h5_attr_i64(g, ".", "n_file", &v[1], 1, e);
  if (!rc) rc = h5_attr_i64(g, ".", "d", &v[2], 1, e);
  if (!rc) rc = h5_attr_i64(g, ".", "m", &v[3], 1, e);
  if (!rc && ds->x_names) rc = h5_attr_strs(g, ".", "input_names", (const char *const *)ds->x_names, ds->d, e);
  if (!rc && ds->y_names) rc = h5_attr_strs(g, ".", "target_names", (const char *const *)ds->y_names, ds->m, e);
  free(xs);
  free(ys);
  H5Gclose(g);
  return rc;
}

void data_gather_rows(const float *src, size_t cols, const size_t *rows, size_t nrows, float *out) {
  for (size_t i = 0; i < nrows; i++) memcpy(out + i * cols, src + rows[i] * cols, cols * sizeof *out);
}
