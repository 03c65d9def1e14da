/* Seeded test hold-out and k-fold splits: the algorithm is in split.h. The
 * split is stored as one label per row, so each list is an O(n) scan that
 * comes out sorted. */
#include "data/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

int split_make(size_t n, uint64_t seed, double test_fraction, size_t test_count, int k,
               double val_fraction, data_split *s, mlps_err *e) {
  memset(s, 0, sizeof *s);
  if (k < 1) return mlps_errorf(e, MLPS_EINPUT, "split: kfold must be >= 1, got %d", k);
  if (test_count == 0 && !(test_fraction >= 0 && test_fraction < 1))
    return mlps_errorf(e, MLPS_EINPUT, "split: test_fraction must be in [0, 1), got %g",
                       test_fraction);
  if (k == 1 && !(val_fraction > 0 && val_fraction < 1))
    return mlps_errorf(e, MLPS_EINPUT,
                       "split: val_fraction must be in (0, 1) when kfold is 1, got %g",
                       val_fraction);
  size_t n_test = test_count > 0 ? test_count : (size_t)ceil(test_fraction * (double)n - 1e-9);
  if (n_test >= n)
    return mlps_errorf(e, MLPS_EINPUT,
                       "split: the test set (%zu rows) leaves no rows to train on (n = %zu)",
                       n_test, n);
  size_t n_pool = n - n_test;
  if ((k >= 2 && n_pool < (size_t)k) || (k == 1 && n_pool < 2))
    return mlps_errorf(
        e, MLPS_EINPUT,
        "split: %zu rows remain after the test set (%zu of %zu); %d-fold cross-validation needs at "
        "least %d (use more data, a smaller test set or fewer folds)",
        n_pool, n_test, n, k, k >= 2 ? k : 2);
  size_t n_val1 = 0;
  if (k == 1) {
    n_val1 = (size_t)ceil(val_fraction * (double)n_pool - 1e-9);
    if (n_val1 < 1) n_val1 = 1;
    if (n_val1 >= n_pool) n_val1 = n_pool - 1;
  }
  size_t *perm = malloc((n ? n : 1) * sizeof *perm);
  int32_t *fold_of = malloc((n ? n : 1) * sizeof *fold_of);
  if (!perm || !fold_of) {
    free(perm);
    free(fold_of);
    return mlps_errorf(e, MLPS_ERUNTIME, "split: out of memory for %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) perm[i] = i;
  mlps_rng r;
  rng_seed(&r, rng_derive(seed, SPLIT_PURPOSE, 0, 0));
  rng_shuffle_size(&r, perm, n);
  for (size_t i = 0; i < n_test; i++) fold_of[perm[i]] = -1;
  s->fold_size = mlps_xcalloc((size_t)k, sizeof *s->fold_size);
  size_t pos = n_test;
  if (k == 1) {
    for (size_t i = 0; i < n_pool; i++) fold_of[perm[n_test + i]] = i < n_val1 ? 0 : 1;
    s->fold_size[0] = n_val1;
  } else {
    for (int f = 0; f < k; f++) {
      size_t size = n_pool / (size_t)k + ((size_t)f < n_pool % (size_t)k ? 1 : 0);
      for (size_t i = 0; i < size; i++) fold_of[perm[pos + i]] = f;
      s->fold_size[f] = size;
      pos += size;
    }
  }
  free(perm);
  s->n = n;
  s->n_test = n_test;
  s->n_pool = n_pool;
  s->k = k;
  s->fold_of = fold_of;
  return MLPS_OK;
}

void split_free(data_split *s) {
  if (!s) return;
  free(s->fold_of);
  free(s->fold_size);
  memset(s, 0, sizeof *s);
}

static int in_part(const data_split *s, int32_t f, int fold, split_part part) {
  switch (part) {
    case SPLIT_TEST: return f == -1;
    case SPLIT_POOL: return f != -1;
    case SPLIT_VAL: return f == fold;
    case SPLIT_TRAIN: return f != -1 && f != fold;
  }
  (void)s;
  return 0;
}

size_t split_count(const data_split *s, int fold, split_part part) {
  switch (part) {
    case SPLIT_TEST: return s->n_test;
    case SPLIT_POOL: return s->n_pool;
    case SPLIT_VAL: return fold >= 0 && fold < s->k ? s->fold_size[fold] : 0;
    case SPLIT_TRAIN: return fold >= 0 && fold < s->k ? s->n_pool - s->fold_size[fold] : 0;
  }
  return 0;
}

size_t split_rows(const data_split *s, int fold, split_part part, size_t *out) {
  size_t c = 0;
  if ((part == SPLIT_VAL || part == SPLIT_TRAIN) && (fold < 0 || fold >= s->k)) return 0;
  for (size_t i = 0; i < s->n; i++)
    if (in_part(s, s->fold_of[i], fold, part)) out[c++] = i;
  return c;
}
