/* Column selections: "all" (or empty), "0:50", "0,3,7", "0:10,20", "5:".
 * Columns are 0-based; a:b is half-open (a..b-1), a: runs to the last
 * column, :b starts at 0. Columns keep the order given; a column may appear
 * only once. */
#ifndef MLPS_COLSPEC_H
#define MLPS_COLSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Parses spec against a dataset of ncols columns. On success *cols is a
 * malloc'ed array of *n column indices (the caller frees it). On a problem
 * returns MLPS_EINPUT with a message quoting the spec and naming the part
 * that is wrong (what = e.g. "target_columns", used as the message prefix).
 * ncols < 0 checks the syntax only (nothing is allocated, *cols = NULL). */
int colspec_parse(const char *spec, int64_t ncols, const char *what, int64_t **cols, int64_t *n,
                  mlps_err *e);

/* Checks spec against ncols exactly as colspec_parse does (same messages)
 * and gives the number of columns it selects, allocating nothing sized by
 * ncols: callers check that the selection fits in memory before parsing it. */
int colspec_count(const char *spec, int64_t ncols, const char *what, int64_t *n, mlps_err *e);

/* The shortest spec for cols[0..n) ("0:3,7", "all" when it is 0..ncols-1
 * in order), e.g. to store a selection in model.h5 and reload it for
 * prediction. Returns buf (truncated to bufsize). */
const char *colspec_format(const int64_t *cols, int64_t n, int64_t ncols, char *buf,
                           size_t bufsize);

/* True when spec selects every column in order ("all", NULL or ""). */
int colspec_is_all(const char *spec);

#endif
