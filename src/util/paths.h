/* Path buffers: one size for every path the program builds (an output
 * directory joined with a file name, a temporary name beside a file), and
 * one way to join that reports truncation instead of writing elsewhere. */
#ifndef MLPS_PATHS_H
#define MLPS_PATHS_H

#include <stddef.h>

#include "util/err.h"

#define MLPS_PATH_MAX 4096

/* buf = dir + "/" + name (name alone when dir is empty). Returns MLPS_OK, or
 * MLPS_EINPUT with e naming the path when it does not fit in n bytes. */
int path_join(char *buf, size_t n, const char *dir, const char *name, mlps_err *e);

/* buf = path + ".tmp": where a file is written before it is renamed over
 * path, so a crash or a full disk never leaves half a file under its name.
 * MLPS_EINPUT when it does not fit. */
int path_tmp(char *buf, size_t n, const char *path, mlps_err *e);

/* Writes text to path through path.tmp and a rename, checking every step,
 * so a full disk leaves the previous file (or none), never half of one. */
int path_write_text(const char *path, const char *text, mlps_err *e);

#endif
