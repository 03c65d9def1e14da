/* Small HDF5 helpers shared by the data loader, the generators, `mlpsweep
 * info` and the model file writer (sweep): opening files with messages that
 * say what is wrong, writing matrices and attributes, reading attributes back.
 * Every function silences HDF5's own error-stack printing (the caller gets
 * one message in an mlps_err instead). */
#ifndef MLPS_H5_H
#define MLPS_H5_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Link info type of H5Lvisit callbacks (it changed in HDF5 1.12). */
#if H5_VERSION_GE(1, 12, 0)
typedef H5L_info2_t h5_linfo;
#else
typedef H5L_info_t h5_linfo;
#endif

/* Turns off HDF5's automatic error printing for this thread. Idempotent. */
void h5_quiet(void);

/* Opens an existing file read-only. Distinguishes "no such file", "cannot
 * read" and "not an HDF5 file" in the message (MLPS_EINPUT). */
int h5_open_read(const char *path, hid_t *fid, mlps_err *e);
/* Creates (truncates) a file for writing; MLPS_ERUNTIME with the path. */
int h5_create(const char *path, hid_t *fid, mlps_err *e);
/* Closes a file written with h5_create and returns rc, or an error naming
 * path when rc was MLPS_OK and the close (which flushes) failed. */
int h5_close_file(hid_t fid, const char *path, int rc, mlps_err *e);

/* The program's HDF5 lifetime: h5_library_init() before any other HDF5 call
 * (it stops HDF5 from shutting down in atexit), h5_library_close() at the
 * end, which shuts it down unless a close failed (see h5.c). */
void h5_library_init(void);
void h5_library_close(void);

/* For commands that write a file named by the user (gen -o, predict OUT):
 * MLPS_EINPUT "PATH exists; pass --force to overwrite it, or choose another
 * file" when path exists and force is 0; MLPS_OK otherwise. */
int h5_check_overwrite(const char *path, int force, mlps_err *e);
/* True when a and b both exist and are the same file (device and inode, so
 * "out/../out/model.h5" is model.h5). */
int h5_same_file(const char *a, const char *b);

/* Opens dataset `name` (relative to loc, may contain groups). When it is
 * missing, the message lists the datasets that do exist in the file (up to
 * about 20). `file` is the file name used in messages. */
int h5_open_dataset(hid_t loc, const char *file, const char *name, hid_t *did, mlps_err *e);

/* Writes a 2-D (rows, cols) or, with cols == 0, 1-D (rows) dataset. `gzip`
 * 1..9 compresses in chunks of about 1 MiB (0 = contiguous). Parent groups
 * are created as needed. */
int h5_write_f32(hid_t loc, const char *name, const float *a, size_t rows, size_t cols, int gzip,
                 mlps_err *e);
int h5_write_f64(hid_t loc, const char *name, const double *a, size_t rows, size_t cols, int gzip,
                 mlps_err *e);
int h5_write_i64(hid_t loc, const char *name, const int64_t *a, size_t rows, size_t cols,
                 mlps_err *e);
/* 1-D dataset of fixed-length strings (h5py reads them as bytes). */
int h5_write_strings(hid_t loc, const char *name, const char *const *s, size_t n, mlps_err *e);

/* Attributes on object `obj` (a path relative to loc, "." for loc itself).
 * Strings are fixed-length ASCII, so h5py returns them without custom code. */
int h5_attr_str(hid_t loc, const char *obj, const char *attr, const char *value, mlps_err *e);
int h5_attr_strs(hid_t loc, const char *obj, const char *attr, const char *const *v, size_t n,
                 mlps_err *e);
int h5_attr_f64(hid_t loc, const char *obj, const char *attr, const double *v, size_t n,
                mlps_err *e);
int h5_attr_i64(hid_t loc, const char *obj, const char *attr, const int64_t *v, size_t n,
                mlps_err *e);

/* Reads a scalar or 1-element string attribute (fixed or variable length)
 * into buf. MLPS_EINPUT when absent or not a string. */
int h5_read_attr_str(hid_t loc, const char *obj, const char *attr, char *buf, size_t bufsize,
                     mlps_err *e);
/* Reads a string-array attribute (fixed or variable length): *out is an
 * array of *n malloc'ed strings (free with h5_free_strings). */
int h5_read_attr_strs(hid_t loc, const char *obj, const char *attr, char ***out, size_t *n,
                      mlps_err *e);
/* Reads up to max numbers of a numeric attribute; *n gets the count. */
int h5_read_attr_f64(hid_t loc, const char *obj, const char *attr, double *v, size_t max, size_t *n,
                     mlps_err *e);
/* Reads a whole numeric dataset as double (any int/float type); *a is
 * malloc'ed, dims[0..rank) filled (rank <= 2). */
int h5_read_f64(hid_t loc, const char *name, double **a, size_t dims[2], int *rank, mlps_err *e);
/* Reads a 1-D string dataset (fixed or variable length). */
int h5_read_strings(hid_t loc, const char *name, char ***out, size_t *n, mlps_err *e);
void h5_free_strings(char **s, size_t n);

/* Opens group `group` of loc, creating it and missing parents when absent.
 * Returns the group id, or a negative value on failure. */
hid_t h5_group_open_or_create(hid_t loc, const char *group);

/* True when loc has a link `name` (each path component checked). */
int h5_exists(hid_t loc, const char *name);

/* "float32", "float64", "int32", "uint8", "string", ... for messages. */
const char *h5_type_name(hid_t type, char *buf, size_t bufsize);

/* Reads rows [r0, r0 + nr) and columns [0, nc) of a numeric 1-D (nc = 1)
 * or 2-D dataset as double into buf (nr, nc). When HDF5 cannot (a damaged
 * chunk fails its checksum or decompression, a filter is missing, a read
 * error), the chunk-high slices are tried one by one to name the first
 * unreadable rows, and the result is MLPS_EINPUT (bad file content):
 * "FILE: dataset 'NAME': rows A..B cannot be read (HDF5: what failed); ...
 * re-create or re-copy the file". */
int h5_read_rows(hid_t did, size_t r0, size_t nr, size_t nc, double *buf, const char *file,
                 const char *name, mlps_err *e);

/* Per-column statistics of a numeric 1-D or 2-D dataset (a 1-D dataset is
 * one column), computed in blocks of rows. */
typedef struct {
  double min, max, mean; /* over finite values; NaN when there are none */
  uint64_t nan, inf;     /* counts */
} h5_colstats;
/* Statistics of the first `cols` columns over the first `rows` rows (both
 * clipped to the dataset's; rows = 0: all); st has room for `cols`. Bounding
 * them bounds the work on a file that claims 10^10 rows. file and name are
 * for messages. */
int h5_column_stats(hid_t did, size_t rows, size_t cols, h5_colstats *st, const char *file,
                    const char *name, mlps_err *e);

#endif
