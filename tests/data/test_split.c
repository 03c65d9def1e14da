/* Splits: test hold-out and k-fold folds are disjoint, cover every row,
 * have the KFold sizes, are sorted and deterministic, follow exactly the
 * algorithm documented in split.h, and the test set is never in a fold. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/split.h"
#include "test_util.h"
#include "util/rng.h"

static void check_split(size_t n, uint64_t seed, double tf, size_t tc, int k, double vf) {
  data_split s;
  mlps_err e;
  int rc = split_make(n, seed, tf, tc, k, vf, &s, &e);
  CHECK(rc == MLPS_OK);
  if (rc) {
    fprintf(stderr, "%s\n", e.msg);
    return;
  }
  size_t want_test = tc ? tc : (size_t)ceil(tf * (double)n - 1e-9);
  CHECK(s.n_test == want_test && s.n_pool == n - want_test);
  size_t *buf = malloc(n * sizeof *buf);
  int *hits = calloc(n, sizeof *hits);
  size_t nt = split_rows(&s, 0, SPLIT_TEST, buf);
  CHECK(nt == s.n_test && nt == split_count(&s, 0, SPLIT_TEST));
  for (size_t i = 0; i < nt; i++) {
    hits[buf[i]] += 1000; /* test rows */
    if (i) CHECK(buf[i] > buf[i - 1]);
  }
  size_t total_val = 0;
  for (int f = 0; f < k; f++) {
    size_t nv = split_rows(&s, f, SPLIT_VAL, buf);
    CHECK(nv == split_count(&s, f, SPLIT_VAL));
    if (k >= 2) {
      size_t want = s.n_pool / (size_t)k + ((size_t)f < s.n_pool % (size_t)k ? 1 : 0);
      CHECK(nv == want);
    } else {
      size_t want = (size_t)ceil(vf * (double)s.n_pool - 1e-9);
      CHECK(nv == want);
    }
    total_val += nv;
    for (size_t i = 0; i < nv; i++) {
      hits[buf[i]] += 1;
      if (i) CHECK(buf[i] > buf[i - 1]);
    }
    /* train = pool minus this fold's validation rows, no test rows */
    size_t ntr = split_rows(&s, f, SPLIT_TRAIN, buf);
    CHECK(ntr == s.n_pool - nv && ntr == split_count(&s, f, SPLIT_TRAIN));
    int *in_train = calloc(n, sizeof *in_train);
    for (size_t i = 0; i < ntr; i++) {
      in_train[buf[i]] = 1;
      if (i) CHECK(buf[i] > buf[i - 1]);
    }
    size_t nv2 = split_rows(&s, f, SPLIT_VAL, buf);
    for (size_t i = 0; i < nv2; i++) CHECK(!in_train[buf[i]]);
    size_t nt2 = split_rows(&s, f, SPLIT_TEST, buf);
    for (size_t i = 0; i < nt2; i++) CHECK(!in_train[buf[i]]);
    free(in_train);
  }
  if (k >= 2) {
    CHECK(total_val == s.n_pool);
    /* every pool row in exactly one fold, every test row in none */
    for (size_t i = 0; i < n; i++) CHECK(hits[i] == 1 || hits[i] == 1000);
  } else {
    for (size_t i = 0; i < n; i++) CHECK(hits[i] <= 1 || hits[i] == 1000);
  }
  CHECK(split_rows(&s, 0, SPLIT_POOL, buf) == s.n_pool);

  /* Exactly the documented algorithm. */
  size_t *perm = malloc(n * sizeof *perm);
  for (size_t i = 0; i < n; i++) perm[i] = i;
  mlps_rng r;
  rng_seed(&r, rng_derive(seed, SPLIT_PURPOSE, 0, 0));
  rng_shuffle_size(&r, perm, n);
  for (size_t i = 0; i < s.n_test; i++) CHECK(s.fold_of[perm[i]] == -1);
  size_t pos = s.n_test;
  for (int f = 0; f < k; f++) {
    size_t size = s.fold_size[f];
    for (size_t i = 0; i < size; i++) CHECK(s.fold_of[perm[pos + i]] == f);
    pos += size;
  }

  /* Deterministic: same inputs, same split; another seed, another one. */
  data_split s2, s3;
  split_make(n, seed, tf, tc, k, vf, &s2, &e);
  split_make(n, seed + 1, tf, tc, k, vf, &s3, &e);
  CHECK(memcmp(s.fold_of, s2.fold_of, n * sizeof *s.fold_of) == 0);
  CHECK(n < 20 || memcmp(s.fold_of, s3.fold_of, n * sizeof *s.fold_of) != 0);
  split_free(&s2);
  split_free(&s3);
  free(perm);
  free(hits);
  free(buf);
  split_free(&s);
}

int main(void) {
  check_split(103, 42, 0.1, 0, 5, 0.1); /* n_test = 11, pool 92 -> folds 19 19 18 18 18 */
  check_split(1000, 7, 0.2, 0, 10, 0.1);
  check_split(50, 1, 0.0, 7, 3, 0.1);  /* test_count overrides */
  check_split(97, 3, 0.1, 0, 1, 0.2);  /* k = 1: one train/validation split */
  check_split(10, 9, 0.0, 0, 10, 0.1); /* leave-one-out, no test set */
  data_split s;
  mlps_err e;
  split_make(103, 42, 0.1, 0, 5, 0.1, &s, &e);
  CHECK(s.n_test == 11 && s.fold_size[0] == 19 && s.fold_size[1] == 19 && s.fold_size[2] == 18 &&
        s.fold_size[4] == 18);
  split_free(&s);
  /* errors name the numbers */
  CHECK(split_make(10, 1, 0.1, 0, 10, 0.1, &s, &e) == MLPS_EINPUT &&
        strstr(e.msg, "9 rows remain"));
  CHECK(split_make(10, 1, 0.0, 10, 2, 0.1, &s, &e) == MLPS_EINPUT &&
        strstr(e.msg, "test set (10 rows)"));
  CHECK(split_make(10, 1, 1.5, 0, 2, 0.1, &s, &e) == MLPS_EINPUT && strstr(e.msg, "test_fraction"));
  CHECK(split_make(10, 1, 0.1, 0, 1, 0.0, &s, &e) == MLPS_EINPUT && strstr(e.msg, "val_fraction"));
  CHECK(split_make(10, 1, 0.1, 0, 0, 0.1, &s, &e) == MLPS_EINPUT && strstr(e.msg, "kfold"));
  return TEST_RESULT("data_split");
}
