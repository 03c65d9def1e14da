/* path_join, path_tmp, path_write_text (see paths.h). */
#include "util/paths.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int path_join(char *buf, size_t n, const char *dir, const char *name, mlps_err *e) {
  int k = dir && dir[0] ? snprintf(buf, n, "%s/%s", dir, name) : snprintf(buf, n, "%s", name);
  if (k < 0 || (size_t)k >= n)
    return mlps_errorf(e, MLPS_EINPUT,
                       "path %s/%s is longer than %zu bytes; use a shorter output.dir",
                       dir ? dir : "", name, n - 1);
  return MLPS_OK;
}

int path_tmp(char *buf, size_t n, const char *path, mlps_err *e) {
  int k = snprintf(buf, n, "%s.tmp", path);
  if (k < 0 || (size_t)k >= n)
    return mlps_errorf(e, MLPS_EINPUT,
                       "path %s.tmp is longer than %zu bytes; use a shorter output.dir", path,
                       n - 1);
  return MLPS_OK;
}

/* Writes text to path through path.tmp and a rename, checking every step,
 * so a full disk leaves the previous file (or none), never half of one. */
int path_write_text(const char *path, const char *text, mlps_err *e) {
  char tmp[MLPS_PATH_MAX];
  MLPS_TRY(path_tmp(tmp, sizeof tmp, path, e));
  FILE *f = fopen(tmp, "w");
  if (!f) return mlps_errorf(e, MLPS_ERUNTIME, "cannot write %s: %s", tmp, strerror(errno));
  int bad = fputs(text, f) < 0;
  bad |= fflush(f) != 0;
  int err = errno;
  if (fclose(f) != 0 && !bad) bad = 1, err = errno;
  if (bad) {
    remove(tmp);
    return mlps_errorf(e, MLPS_ERUNTIME, "cannot write %s: %s", path, strerror(err));
  }
  if (rename(tmp, path) != 0)
    return mlps_errorf(e, MLPS_ERUNTIME, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
  return MLPS_OK;
}
