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
 * range; NaN or Inf; a float64 value too large for float32; and the memory
 * needed, compared with what the node has, before anything is allocated. */
#ifndef MLPS_DATA_H
#define MLPS_DATA_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define DATA_FORMAT "mlpsweep-data" /* format attribute of files written by `mlpsweep gen` */
#define DATA_FORMAT_VERSION 1

/* What to load. Strings are borrowed for the duration of the call. */
typedef struct {
  const char *path;      /* HDF5 file (required) */
  const char *inputs;    /* dataset of X; NULL or "" = "X" */
  const char *targets;   /* dataset of Y; NULL or "" = "Y"; ignored when inputs_only */
  const char *input_columns;  /* colspec.h syntax; NULL/""/"all" = all */
  const char *target_columns;
  long long max_rows;    /* > 0: only the first max_rows rows; 0 = all */
  size_t mem_limit;      /* > 0: bytes allowed for the data (per node); 0 = what the node has available */
  int inputs_only;       /* 1: load X only (e.g. predict); Y is NULL and m = 0 */
} data_spec;

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
  size_t bytes;          /* bytes of X and Y */
  /* ownership (private) */
  void *mem_;            /* malloc'ed block (serial) */
  int shared_;           /* 1: X, Y live in an MPI shared window */
  MPI_Win win_;
  MPI_Comm node_;
} data_set;

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
int data_load_shared_nodes(MPI_Comm comm, MPI_Comm node, const data_spec *spec, data_set *ds, mlps_err *e);

/* Frees what data_load / data_load_shared allocated; ds becomes empty.
 * Collective over the node for shared sets. Safe on an empty (zeroed) set. */
void data_free(data_set *ds);

/* Copies rows[0..nrows) of src (any rows, cols) into out (nrows, cols),
 * untransformed (e.g. test targets in the data's own units). */
void data_gather_rows(const float *src, size_t cols, const size_t *rows, size_t nrows, float *out);

/* Records where the data came from in group `group` of loc (created with
 * parents), for model.h5: attributes path, inputs, targets, input_columns,
 * target_columns (colspec strings that reload the same selection), n (rows
 * used), n_file, d, m, and input_names / target_names when known. */
int data_write_meta(hid_t loc, const char *group, const data_set *ds, mlps_err *e);

/* Bytes of memory this process may still use: the smaller of MemAvailable
 * (/proc/meminfo) and the cgroup's memory.max - memory.current, when known;
 * SIZE_MAX when nothing is known. */
size_t data_mem_available(void);

/* "1.5 GiB", "320 MiB", "12 KiB", "100 B". */
const char *data_fmt_bytes(double bytes, char *buf, size_t bufsize);

#endif
