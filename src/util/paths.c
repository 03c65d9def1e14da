/* path_join (see paths.h). */
#include "util/paths.h"

#include <stdio.h>

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
