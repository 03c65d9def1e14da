/* The sweep's output directory: creation and (outdir_lock) the exclusive
 * lock that makes one run at a time its only writer. */
#ifndef MLPS_OUTDIR_H
#define MLPS_OUTDIR_H

#include "util/err.h"

/* mkdir -p; MLPS_EINPUT when the path exists and is not a directory. */
int outdir_mkdir_p(const char *path, mlps_err *err);

#endif
