/* Held-out test set and k-fold cross-validation splits.
 *
 * The algorithm (the indices depend only on n, seed, test_fraction or
 * test_count, k and val_fraction):
 *
 *  1. perm = [0, 1, ..., n-1], shuffled by Fisher-Yates (rng_shuffle_size)
 *     with an xoshiro256** stream seeded rng_seed(rng_derive(seed,
 *     SPLIT_PURPOSE, 0, 0)).
 *  2. Test set: n_test = test_count if test_count > 0, otherwise
 *     ceil(test_fraction * n) (as scikit-learn's train_test_split; 0 when
 *     test_fraction is 0). The test rows are perm[0 .. n_test).
 *  3. The rest, pool = perm[n_test .. n) (n_pool = n - n_test rows, kept in
 *     permuted order), is cut as scikit-learn's KFold on that permutation:
 *     k >= 2: fold f (f = 0..k-1) takes the next n_pool / k rows of pool,
 *     plus one more when f < n_pool % k (so the first n_pool % k folds are
 *     one row larger); fold f's validation rows are its own, its training
 *     rows are the other folds' rows.
 *     k = 1: one split: n_val = ceil(val_fraction * n_pool) rows,
 *     pool[0 .. n_val) validate, the rest train.
 *  4. Every list handed out is sorted ascending (as scikit-learn returns
 *     them), which also makes gathering rows cache-friendly.
 *
 * Requirements (else MLPS_EINPUT, with the numbers): n_test < n; every fold
 * has at least one validation row and one training row (n_pool >= k, and
 * n_pool >= 2 when k = 1). */
#ifndef MLPS_SPLIT_H
#define MLPS_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SPLIT_PURPOSE 0x53504c4954ull /* "SPLIT": the rng_derive purpose of the split stream */

typedef enum {
  SPLIT_TRAIN,
  SPLIT_VAL,
  SPLIT_TEST,
  SPLIT_POOL
} split_part; /* POOL = train + val (all but test) */

typedef struct {
  size_t n, n_test, n_pool;
  int k;
  int32_t *fold_of;  /* (n) -1: test row; 0..k-1: validation row of that fold; k: training-only row
                        (k = 1) */
  size_t *fold_size; /* (k) validation rows per fold */
} data_split;

/* test_count > 0 overrides test_fraction; val_fraction is used when k = 1. */
int split_make(size_t n, uint64_t seed, double test_fraction, size_t test_count, int k,
               double val_fraction, data_split *s, mlps_err *e);
void split_free(data_split *s);

/* Number of rows of part (fold ignored for TEST and POOL). */
size_t split_count(const data_split *s, int fold, split_part part);
/* Writes those rows, ascending, into out (split_count entries); returns the count. */
size_t split_rows(const data_split *s, int fold, split_part part, size_t *out);

/* Writes the split as FILE.h5: /fold (int64, one per data row: -1 a test
 * row, 0..k-1 the fold it validates, k a training-only row when k = 1) and
 * /test, /train_0, /val_0, ... (ascending row indices), so other tools (a
 * PyTorch baseline, a notebook) can train and test on exactly these rows.
 * Row numbers count the rows as loaded (after max_rows). */
int split_write_h5(const char *path, const data_split *s, mlps_err *e);

#endif
