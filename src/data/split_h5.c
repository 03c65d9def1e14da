/* The split as an HDF5 file (see split.h, split_write_h5), so other tools
 * can train and test on exactly the rows mlpsweep uses. */
#include <stdio.h>
#include <stdlib.h>

#include "data/h5.h"
#include "data/split.h"

int split_write_h5(const char *path, const data_split *sp, mlps_err *e) {
  hid_t fid;
  MLPS_TRY(h5_create(path, &fid, e));
  int64_t *fold = mlps_xmalloc(sizeof(int64_t) * (sp->n + 1));
  size_t *rows = mlps_xmalloc(sizeof(size_t) * (sp->n + 1));
  int64_t *rows64 = mlps_xmalloc(sizeof(int64_t) * (sp->n + 1));
  for (size_t i = 0; i < sp->n; i++) fold[i] = sp->fold_of[i];
  int rc = h5_write_i64(fid, "fold", fold, sp->n, 0, e);
  /* The test rows, then each fold's training and validation rows. */
  for (int j = -1; !rc && j < 2 * sp->k; j++) {
    int f = j < 0 ? 0 : j / 2;
    split_part part = j < 0 ? SPLIT_TEST : j % 2 == 0 ? SPLIT_TRAIN : SPLIT_VAL;
    size_t n = split_rows(sp, f, part, rows);
    for (size_t i = 0; i < n; i++) rows64[i] = (int64_t)rows[i];
    char name[32];
    if (j < 0) snprintf(name, sizeof name, "test");
    else snprintf(name, sizeof name, "%s_%d", part == SPLIT_TRAIN ? "train" : "val", f);
    rc = h5_write_i64(fid, name, rows64, n, 0, e);
  }
  int64_t k = sp->k;
  if (!rc) rc = h5_attr_str(fid, ".", "format", "mlpsweep-split", e);
  if (!rc) rc = h5_attr_i64(fid, ".", "kfold", &k, 1, e);
  free(fold), free(rows), free(rows64);
  return h5_close_file(fid, path, rc, e);
}
