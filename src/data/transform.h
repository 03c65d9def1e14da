/* Per-column transforms of inputs or targets, fitted on training rows only.
 *
 * Every column has a chain of up to XF_MAX_CHAIN stages applied left to
 * right (e.g. [log, standard]); each stage is
 *     y = (g(x) - shift) / scale
 * with g = identity (none, standard, minmax), ln (log) or log10 (log10), and
 * (shift, scale) = (0, 1) for none/log/log10, (mean, population std) for
 * standard, (min, max - min) for minmax, computed from the training rows after
 * the earlier stages. So a fitted transform is just its chain and two
 * (ncols, XF_MAX_CHAIN) tables, which xf_write_h5 stores in model.h5.
 *
 * Fitting looks only at the rows it is given (the fold's training rows):
 * validation and test rows are transformed with those parameters and never
 * influence them (tests/data/test_data_transform.c proves it). */
#ifndef MLPS_TRANSFORM_H
#define MLPS_TRANSFORM_H

#include <hdf5.h>
#include <stddef.h>

#include "data/transform_types.h"
#include "util/err.h"

#define XF_FORMAT "mlpsweep-transform"
#define XF_FORMAT_VERSION 1

typedef struct {
  size_t ncols;
  xf_kind *kind; /* (ncols, XF_MAX_CHAIN); unused stages are XF_NONE */
  double *shift; /* (ncols, XF_MAX_CHAIN) */
  double *scale; /* (ncols, XF_MAX_CHAIN) */
  int fitted;    /* 1 after xf_fit or xf_read_h5 */
} xf_set;

/* Every column gets the same chain (n_chain 0..XF_MAX_CHAIN; 0 = none);
 * parameters start as identity. One allocation; xf_free releases it. */
void xf_init(xf_set *t, size_t ncols, const xf_kind *chain, int n_chain);
/* Gives column col its own chain (before fitting). */
void xf_set_chain(xf_set *t, size_t col, const xf_kind *chain, int n_chain);
void xf_free(xf_set *t);
/* Deep copy (dst must be uninitialised or freed). */
void xf_copy(xf_set *dst, const xf_set *src);

/* Fits on rows[0..nrows) of a (any number of rows, t->ncols) row-major;
 * rows NULL means rows 0..nrows-1. what ("inputs", "targets") prefixes
 * messages. Columns with zero spread under standard/minmax get scale 1 and
 * are described in warn (empty string when there is nothing to say; warn
 * may be NULL). A non-positive value under log/log10 is MLPS_EINPUT naming
 * the row (index into a) and column. */
int xf_fit(xf_set *t, const float *a, const size_t *rows, size_t nrows, const char *what,
           char *warn, size_t warnsize, mlps_err *e);

/* Gathers rows[0..nrows) of a (NULL: the first nrows) into out (nrows,
 * ncols), transformed. a is not modified (it may be node-shared memory).
 * A value outside log's domain is MLPS_EINPUT naming row and column. */
int xf_gather(const xf_set *t, const float *a, const size_t *rows, size_t nrows, float *out,
              const char *what, mlps_err *e);
/* Transforms a (nrows, ncols) in place; row0 numbers the rows in messages. */
int xf_apply(const xf_set *t, float *a, size_t nrows, size_t row0, const char *what, mlps_err *e);
/* Inverse in place: model outputs back to the data's own units. */
void xf_inverse(const xf_set *t, float *a, size_t nrows);
/* One value of column col, forward or inverse (double precision). */
double xf_forward1(const xf_set *t, size_t col, double x);
double xf_inverse1(const xf_set *t, size_t col, double y);
/* d forward / dx at x for column col (chain rule over the stages): how a
 * small change of a value in data units moves it in the transformed space,
 * e.g. 1 / (x scale) for [log, standard]. */
double xf_deriv1(const xf_set *t, size_t col, double x);

/* "log,standard" (or "none") for column col, into buf. */
const char *xf_chain_str(const xf_set *t, size_t col, char *buf, size_t bufsize);
/* Parses "log,standard", "[log, standard]" or "none" into chain/n. */
int xf_parse_chain(const char *s, xf_kind *chain, int *n, mlps_err *e);

/* Stores t in group `group` of loc (created with parents): attributes
 * format, format_version, ncols; datasets chain (ncols strings),
 * shift and scale (ncols, XF_MAX_CHAIN) float64. */
int xf_write_h5(hid_t loc, const char *group, const xf_set *t, mlps_err *e);
/* Reads what xf_write_h5 wrote (t must be uninitialised or freed). */
int xf_read_h5(hid_t loc, const char *group, xf_set *t, mlps_err *e);

/* 1 when chains and all parameters are bit-identical. */
int xf_equal(const xf_set *a, const xf_set *b);

#endif
