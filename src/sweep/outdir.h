/* The sweep's output directory: creation, and the exclusive lock that makes
 * one run at a time its only writer.
 *
 * The lock is an fcntl (POSIX record) write lock on OUT/mlpsweep.lock,
 * held by rank 0 for the whole run; the file records the holder's host, pid
 * and start time for the message a second run gets. The kernel (or the
 * NFS / Lustre lock manager) drops the lock when its holder dies, so a
 * stale file needs no clean-up: the next run simply takes it. The file is
 * never deleted (deleting a lock file lets two runs lock two inodes). */
#ifndef MLPS_OUTDIR_H
#define MLPS_OUTDIR_H

#include "util/err.h"

#define OUTDIR_LOCK_NAME "mlpsweep.lock"
/* Written by rank 0 when a signal stopped the run cleanly (exit 3), removed
 * when a run starts: job scripts decide "stopped, resume later" from it,
 * whatever exit code their launcher reports. */
#define OUTDIR_STOPPED_NAME "stopped"

/* mkdir -p; MLPS_EINPUT when the path exists and is not a directory. */
int outdir_mkdir_p(const char *path, mlps_err *err);

typedef struct {
  int fd;     /* -1 when not held */
  int locked; /* 0 when the file system has no working locks (warned) */
} outdir_lock;

/* Creates dir if needed and takes its lock. MLPS_EINPUT, naming the holder
 * and what to do, when another run holds it. On a file system without
 * working locks it warns and goes on (l->locked = 0). */
int outdir_lock_take(const char *dir, outdir_lock *l, mlps_err *err);
void outdir_lock_release(outdir_lock *l);

/* The stop marker (see OUTDIR_STOPPED_NAME): written with a one-line
 * reason, or removed. Errors are returned, not fatal. */
int outdir_mark_stopped(const char *dir, const char *reason, mlps_err *err);
int outdir_clear_stopped(const char *dir, mlps_err *err);

#endif
