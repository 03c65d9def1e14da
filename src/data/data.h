/* Loading and validating a training set: inputs X (n, d) and targets Y (n, m)
 * from two 2-D HDF5 datasets, into float32 row-major memory, either private
 * (data_load) or shared by all ranks of a node (data_load_shared: one rank
 * per node reads, the others map the same pages).
 *
 * Accepted: float32/float64 (or integer) datasets, contiguous or chunked,
 * compressed or not, anywhere in the file ("/X", "params", "/spectra/total").
 * Checked, each with a message naming file, dataset, row and column: file
 * missing / unreadable / not HDF5; dataset missing (the message lists the
 * datasets that exist); not numeric; rank != 2; X and Y row counts differ;
 * n = 0 (after max_rows); a column selection that is malformed or out of
 * range; NaN or Inf; a float64 value too large for float32; unreadable
 * (damaged) chunks, naming their rows; and the memory needed, compared with
 * what the node has, before anything sized by the file is allocated.
 *
 * While reading, a 64-bit checksum of the data as loaded is computed (see
 * data_identity below), so a resumed sweep can tell it still has the data it
 * started with. */
#ifndef MLPS_DATA_H
#define MLPS_DATA_H

#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "data/noise_spec.h"
#include "util/err.h"

#define DATA_FORMAT "mlpsweep-data" /* format attribute of files written by `mlpsweep gen` */
#define DATA_FORMAT_VERSION 1

/* What to load. Strings are borrowed for the duration of the call. */
typedef struct {
  const char *path;          /* HDF5 file (required) */
  const char *inputs;        /* dataset of X; NULL or "" = "X" */
  const char *targets;       /* dataset of Y; NULL or "" = "Y"; ignored when inputs_only */
  const char *input_columns; /* colspec.h syntax; NULL/""/"all" = all */
  const char *target_columns;
  long long max_rows; /* > 0: only the first max_rows rows; 0 = all */
  size_t
      mem_limit;   /* > 0: bytes allowed for the data (per node); 0 = what the node has available */
  int inputs_only; /* 1: load X only (e.g. predict); Y is NULL and m = 0 */
  size_t read_block_bytes; /* read buffer per block of rows; 0 = 8 MiB (tests set small values) */
  noise_spec noise;        /* the targets' noise (zeroed: none) */
} data_spec;

struct data_noise;

/* A loaded data set. X and Y are read-only views (they may be shared by
 * several processes): copy rows out (e.g. xf_gather in transform.h) before
 * changing them. */
typedef struct {
  size_t n, d, m;        /* rows, input columns, target columns (after selection) */
  const float *X;        /* (n, d) row-major */
  const float *Y;        /* (n, m) row-major; NULL when inputs_only */
  size_t n_file;         /* rows of the datasets in the file (n <= n_file) */
  size_t d_file, m_file; /* columns of the datasets in the file */
  int64_t *x_cols;       /* (d) file column of each input column */
  int64_t *y_cols;       /* (m) file column of each target column */
  char **x_names;        /* (d) column names from X's "names" attribute, or NULL when it has none */
  char **y_names;        /* (m) the same for Y */
  char path[1024], inputs[256], targets[256];
  char x_dtype[32], y_dtype[32]; /* file types, e.g. "float64" */
  size_t bytes;                  /* bytes of X and Y */
  uint64_t file_bytes;           /* size of the file when it was read */
  uint64_t checksum;             /* data_checksum(X, n, d, Y, m), computed while reading */
  struct data_noise *noise;      /* the targets' noise when spec.noise was given, else NULL */
  /* ownership (private) */
  void *mem_;  /* malloc'ed block (serial) */
  int shared_; /* 1: X, Y live in an MPI shared window */
  MPI_Win win_;
  MPI_Comm node_;
} data_set;

/* The loaded noise of a data set (data_set.noise). */
typedef struct data_noise {
  noise_model model;
  double exposure, min_counts; /* poisson */
  int per_row;                 /* gaussian: sigma is (n, m); else (m) */
  const float *sigma;          /* gaussian */
  char dataset[256];           /* gaussian */
  /* ownership (private) */
  void *sig_;  /* data_set of a per-row sigma */
  float *col_; /* per-output sigma */
} data_noise;

/* Sigma (data units) of target value y at (row, col) of a set with m target
 * columns. */
static inline double data_noise_sigma(const data_noise *nz, size_t row, size_t col, size_t m,
                                      double y) {
  if (nz->model == NOISE_POISSON) {
    double c = y * nz->exposure;
    return sqrt(c > nz->min_counts ? c : nz->min_counts) / nz->exposure;
  }
  return nz->per_row ? (double)nz->sigma[row * m + col] : (double)nz->sigma[col];
}

/* Serial load into private memory. Returns MLPS_OK, MLPS_EINPUT (bad file or
 * spec) or MLPS_ERUNTIME (out of memory, I/O); on error ds is left empty. */
int data_load(const data_spec *spec, data_set *ds, mlps_err *e);

/* Collective over comm. One rank per node (the lowest rank of comm on it)
 * reads into an MPI-3 shared window; the other ranks of the node map it.
 * Every rank returns the same status, and on error the same message (that
 * of the lowest failing rank), so the caller can print it once (rank 0) and
 * exit with the same code everywhere. Works with one rank and across nodes.
 * data_free must then be called collectively too (it frees the window). */
int data_load_shared(MPI_Comm comm, const data_spec *spec, data_set *ds, mlps_err *e);
/* The same with the node grouping given: node must split comm into groups
 * of ranks that can share memory (data_load_shared uses
 * MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)); it is duplicated, not kept.
 * Lets tests emulate several nodes on one machine. */
int data_load_shared_nodes(MPI_Comm comm, MPI_Comm node, const data_spec *spec, data_set *ds,
                           mlps_err *e);

/* Frees what data_load / data_load_shared allocated; ds becomes empty.
 * Collective over the node for shared sets. Safe on an empty (zeroed) set. */
void data_free(data_set *ds);

/* Records where the data came from in group `group` of loc (created with
 * parents), for model.h5: attributes path, inputs, targets, input_columns,
 * target_columns (colspec strings that reload the same selection), n (rows
 * used), n_file, d, m, checksum (data_checksum_hex), and input_names /
 * target_names when known. */
int data_write_meta(hid_t loc, const char *group, const data_set *ds, mlps_err *e);

/* ---- data identity --------------------------------------------------- */

/* Content checksum: a 64-bit hash of the float32 bit patterns of X then Y,
 * value by value in row order, over exactly the rows and columns loaded,
 * combined with n, d and m. It depends only on those values, not on how the
 * file is chunked or compressed, how reading is blocked, or how many ranks
 * and nodes there are. Each value goes through a step that is a bijection
 * of the state, so two inputs that differ in exactly one value always get
 * different checksums. About 1.2 ns per value (measured: data/README.md).
 *
 * Streaming form (what the loader uses, row by row): */
typedef struct {
  uint64_t h[2];  /* two lanes: 64-bit word k (values 2k, 2k+1) goes to lane k % 2 */
  uint64_t count; /* values so far */
  uint32_t half;  /* a value waiting for its pair */
} data_hash;
void data_hash_init(data_hash *s);
void data_hash_floats(data_hash *s, const float *v, size_t n);
uint64_t data_hash_final(const data_hash *s);
/* The checksum of X (n, d) and Y (n, m) (Y NULL and m = 0 for inputs only). */
uint64_t data_checksum(const float *X, size_t n, size_t d, const float *Y, size_t m);
/* 16 lower-case hex digits into buf (>= 17 bytes); returns buf. */
const char *data_checksum_hex(uint64_t c, char *buf);
/* Parses 16 hex digits (an optional "0x" allowed); 0 on success, -1 if not. */
int data_checksum_parse(const char *s, uint64_t *c);

/* What a sweep records about its data, so that --resume can refuse other
 * data: plain integers and strings, to be written as JSON (checksum as
 * data_checksum_hex). The column lists are colspec strings (colspec.h) of the
 * file columns used, e.g. "all" or "0:3,7": malloc'ed, freed by
 * data_identity_free (a reader filling one from JSON strdup's them). */
typedef struct {
  char path[1024];      /* the data file as given (data.path) */
  char inputs[256];     /* dataset names */
  char targets[256];    /* "" when inputs only */
  uint64_t file_bytes;  /* size of the file */
  uint64_t n, d, m;     /* rows, input columns, target columns used */
  char *input_columns;  /* file columns of X used, colspec string */
  char *target_columns; /* the same for Y ("" when inputs only) */
  uint64_t checksum;    /* data_checksum of what was loaded */
} data_identity;

/* Fields, for data_identity_diff. */
enum {
  DATA_ID_PATH = 1 << 0,
  DATA_ID_INPUTS = 1 << 1,
  DATA_ID_TARGETS = 1 << 2,
  DATA_ID_FILE_BYTES = 1 << 3,
  DATA_ID_N = 1 << 4,
  DATA_ID_D = 1 << 5,
  DATA_ID_M = 1 << 6,
  DATA_ID_INPUT_COLUMNS = 1 << 7,
  DATA_ID_TARGET_COLUMNS = 1 << 8,
  DATA_ID_CHECKSUM = 1 << 9,
  DATA_ID_ALL = (1 << 10) - 1,
  /* what the trials depend on: everything except where the file lies and
   * its size (a moved, copied or repacked file with the same values) */
  DATA_ID_VALUES = DATA_ID_ALL & ~(DATA_ID_PATH | DATA_ID_FILE_BYTES),
};

/* The identity of a loaded set (the same on every rank of a shared set). */
void data_identity_make(const data_set *ds, data_identity *id);
void data_identity_free(data_identity *id);
/* One line: "FILE (SIZE bytes): n rows; inputs 'X' columns all (d 3);
 * targets 'Y' columns 0:50 (m 50); content checksum HEX". */
const char *data_identity_describe(const data_identity *id, char *buf, size_t bufsize);
/* Compares the fields in `fields` (DATA_ID_* bits) of `was` and `now`.
 * Returns the bits of those that differ (0: the same) and writes them into
 * msg as "rows used 1000 -> 999; content checksum 1a2b... -> 9f8e..."
 * ("" when none differ; truncated to msgsize, which must be >= 1). */
unsigned data_identity_diff(const data_identity *was, const data_identity *now, unsigned fields,
                            char *msg, size_t msgsize);

/* Bytes of memory this process may still use: the smaller of MemAvailable
 * (/proc/meminfo), the cgroup's memory.max - memory.current and the address
 * space limit (ulimit -v) left, when known; SIZE_MAX when nothing is known. */
size_t data_mem_available(void);

/* "1.5 GiB", "320 MiB", "12 KiB", "100 B". */
const char *data_fmt_bytes(double bytes, char *buf, size_t bufsize);

#endif
