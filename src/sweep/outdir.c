/* The output directory on rank 0 before the sweep starts: created if
 * missing and locked (one writer at a time), refused when it holds results
 * and --resume was not given; the
 * journal created, or read back and replayed into the coordinator's trial
 * table (finished tasks kept, in-flight ones queued again). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"
#include "util/clock.h"
#include "util/log.h"

int outdir_mkdir_p(const char *path, mlps_err *err) {
  char tmp[MLPS_PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
      return mlps_errorf(err, MLPS_ERUNTIME, "cannot create directory %s: %s", tmp,
                         strerror(errno));
    *p = '/';
  }
  if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot create output directory %s: %s", tmp,
                       strerror(errno));
  struct stat sb;
  if (stat(tmp, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return mlps_errorf(err, MLPS_EINPUT, "output path %s exists and is not a directory", tmp);
  return MLPS_OK;
}

/* ---- the lock --------------------------------------------------------- */

int outdir_lock_take(const char *dir, outdir_lock *l, mlps_err *err) {
  l->fd = -1;
  l->locked = 0;
  char path[MLPS_PATH_MAX];
  MLPS_TRY(outdir_mkdir_p(dir, err));
  MLPS_TRY(path_join(path, sizeof path, dir, OUTDIR_LOCK_NAME, err));
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0)
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot open the lock file %s: %s", path,
                       strerror(errno));
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl(fd, F_SETLK, &fl) != 0) {
    int e = errno;
    if (e == EACCES || e == EAGAIN) {
      char holder[512] = "";
      ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
      holder[n > 0 ? n : 0] = '\0';
      /* "host H\npid P\nstarted T\n" -> "host H, pid P, started T" */
      char flat[600];
      size_t k = 0;
      for (const char *p = holder; *p && k + 3 < sizeof flat; p++) {
        if (*p != '\n') flat[k++] = *p;
        else if (p[1]) flat[k++] = ',', flat[k++] = ' ';
      }
      flat[k] = '\0';
      close(fd);
      return mlps_errorf(err, MLPS_EINPUT,
                         "output directory %s is in use by another mlpsweep run (%s; lock file "
                         "%s). Only one run may write there at a time: wait for that run to end, "
                         "or stop it (kill -TERM its pid on that host, or scancel its job) and "
                         "then --resume; a run whose processes are gone releases the lock by "
                         "itself",
                         dir, flat[0] ? flat : "holder unknown", path);
    }
    /* ENOLCK, EOPNOTSUPP, ENOSYS: no locks on this file system. */
    log_msg(LOG_ALWAYS,
            "mlpsweep: warning: cannot lock %s (%s): this file system has no working file locks "
            "(NFS without lockd, Lustre without -o flock?); nothing stops a second run from "
            "writing to %s at the same time: make sure only one does",
            path, strerror(e), dir);
    l->fd = fd;
    return MLPS_OK;
  }
  l->fd = fd;
  l->locked = 1;
  char host[256] = "?", when[64] = "?", text[512];
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  int k = snprintf(text, sizeof text, "host %s\npid %ld\nstarted %s\n", host, (long)getpid(), when);
  /* The record is for messages only: a failed write does not matter. */
  if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)k, 0) == k) fsync(fd);
  return MLPS_OK;
}

void outdir_lock_release(outdir_lock *l) {
  if (l->fd >= 0) close(l->fd); /* closing drops the lock */
  l->fd = -1;
  l->locked = 0;
}

/* ---- the stop marker -------------------------------------------------- */

int outdir_mark_stopped(const char *dir, const char *reason, mlps_err *err) {
  char path[MLPS_PATH_MAX];
  MLPS_TRY(path_join(path, sizeof path, dir, OUTDIR_STOPPED_NAME, err));
  FILE *f = fopen(path, "w");
  int bad = !f || fprintf(f, "%s\n", reason) < 0;
  if (f && fclose(f) != 0) bad = 1;
  if (bad) return mlps_errorf(err, MLPS_ERUNTIME, "cannot write %s: %s", path, strerror(errno));
  return MLPS_OK;
}

int outdir_clear_stopped(const char *dir, mlps_err *err) {
  char path[MLPS_PATH_MAX];
  MLPS_TRY(path_join(path, sizeof path, dir, OUTDIR_STOPPED_NAME, err));
  if (remove(path) != 0 && errno != ENOENT)
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot remove %s: %s", path, strerror(errno));
  return MLPS_OK;
}

/* ---- set-up ----------------------------------------------------------- */

/* First entry of dir other than ., .. and the lock file into name (empty
 * when none). */
static void first_entry(const char *dir, char *name, size_t n) {
  name[0] = '\0';
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        strcmp(e->d_name, OUTDIR_LOCK_NAME) == 0)
      continue;
    snprintf(name, n, "%s", e->d_name);
    break;
  }
  closedir(d);
}

static int default_config_cmp(const char *a, const char *b, const char *path, mlps_err *err) {
  if (strcmp(a, b) == 0) return MLPS_OK;
  int line = 1;
  const char *pa = a, *pb = b;
  while (*pa && *pa == *pb) {
    if (*pa == '\n') line++;
    pa++;
    pb++;
  }
  /* Show the differing line of each. */
  const char *la = pa, *lb = pb;
  while (la > a && la[-1] != '\n') la--;
  while (lb > b && lb[-1] != '\n') lb--;
  int na = (int)strcspn(la, "\n"), nb = (int)strcspn(lb, "\n");
  return mlps_errorf(err, MLPS_EINPUT,
                     "--resume: the config differs from the one recorded in %s (first difference "
                     "at line %d: journal has \"%.*s\", current config has \"%.*s\"); resume with "
                     "the original config, or start a new sweep in another output directory",
                     path, line, na > 200 ? 200 : na, la, nb > 200 ? 200 : nb, lb);
}

/* A new journal: this is the sweep's first start. */
static int create_journal(coord *c, const journal_header *h) {
  MLPS_TRY(journal_create(&c->j, c->journal_path, h, c->o->no_fsync, c->err));
  c->st.n_starts = 1;
  c->j.start = 0;
  c->j.t0 = c->t_setup;
  return MLPS_OK;
}

/* Earlier starts of the sweep: how many, and how long each ran (to the last
 * task it journaled; a start killed later is counted to there), so the
 * summary can give the wall time over every start. */
static void replay_starts(coord *c, const journal_contents *jc) {
  int n = 0;
  for (int i = 0; i < jc->n; i++)
    if (jc->e[i].start + 1 > n) n = jc->e[i].start + 1;
  double *last_t = mlps_xcalloc((size_t)n + 1, sizeof(double));
  for (int i = 0; i < jc->n; i++) {
    const journal_entry *e = &jc->e[i];
    if (e->t > last_t[e->start]) last_t[e->start] = e->t;
  }
  c->st.wall_seconds_before = 0;
  for (int k = 0; k < n; k++) c->st.wall_seconds_before += last_t[k];
  c->st.n_starts = n + 1;
  free(last_t);
}

static int setup_journal(coord *c) {
  const sweep_opts *o = c->o;
  mlps_err *err = c->err;
  if (!o->out_dir || !o->out_dir[0])
    return mlps_errorf(err, MLPS_EINPUT, "sweep: no output directory given");
  if (!o->space || !o->task || !o->propose)
    return mlps_errorf(err, MLPS_EINPUT, "sweep: space, task and propose callbacks are required");
  if (o->n_folds < 1 || o->max_trials < 0)
    return mlps_errorf(err, MLPS_EINPUT,
                       "sweep: need n_folds >= 1 and max_trials >= 0 (got %d, %d)", o->n_folds,
                       o->max_trials);
  if ((long)o->max_trials * o->n_folds > 2000000000L)
    return mlps_errorf(err, MLPS_EINPUT, "sweep: max_trials * n_folds is too large");
  if (!o->dir_locked) MLPS_TRY(outdir_lock_take(o->out_dir, &c->lock, err));
  MLPS_TRY(path_join(c->journal_path, sizeof c->journal_path, o->out_dir, "trials.jsonl", err));
  journal_header h = {o->config_text, o->space,  o->n_folds,      o->max_trials,
                      o->seed,        o->metric, o->header_extra, o->header_extra_user};
  struct stat sb;
  int have_journal = stat(c->journal_path, &sb) == 0;
  if (!o->resume) {
    char name[256];
    first_entry(o->out_dir, name, sizeof name);
    if (name[0])
      return mlps_errorf(err, MLPS_EINPUT,
                         "output directory %s is not empty (it contains %s%s); mlpsweep does not "
                         "overwrite results. To continue that sweep add --resume; otherwise "
                         "choose another output directory or remove this one",
                         o->out_dir, name, have_journal ? ", a sweep journal" : "");
    return create_journal(c, &h);
  }
  if (!have_journal) {
    progress_message(&c->pg, 1, "sweep: --resume: no journal in %s; starting a new sweep",
                     o->out_dir);
    return create_journal(c, &h);
  }
  journal_contents jc;
  MLPS_TRY(journal_read(c->journal_path, &jc, err));
  if (jc.torn_dropped) {
    c->st.dropped_torn_line = 1;
    progress_message(&c->pg, 1,
                     "sweep: --resume: dropped a torn last line of %s (a task interrupted while "
                     "being written; it will be redone): %.60s...",
                     c->journal_path, jc.torn_text);
  }
  if (!jc.config_text) { /* only a torn header: nothing was recorded */
    journal_contents_free(&jc);
    remove(c->journal_path);
    return create_journal(c, &h);
  }
  int rc = o->config_cmp ? o->config_cmp(o->config_cmp_user, jc.config_text,
                                         o->config_text ? o->config_text : "",
                                         jc.header ? json_root(jc.header) : NULL, err)
                         : default_config_cmp(jc.config_text, o->config_text ? o->config_text : "",
                                              c->journal_path, err);
  if (!rc && jc.n_folds != o->n_folds)
    rc = mlps_errorf(err, MLPS_EINPUT, "--resume: %s was written with %d folds, the config has %d",
                     c->journal_path, jc.n_folds, o->n_folds);
  if (rc) {
    journal_contents_free(&jc);
    return rc ? rc : MLPS_EINPUT;
  }
  replay_starts(c, &jc);
  int dup = 0;
  for (int i = 0; i < jc.n; i++) {
    journal_entry *e = &jc.e[i];
    if (e->r.trial >= o->max_trials) continue; /* budget lowered: keep the file, ignore */
    sweep_trial *t = trials_get(&c->tt, e->r.trial);
    if (t->state == TRIAL_UNSEEN) trials_set_point(&c->tt, e->r.trial, e->x, o->space->n);
    if (trials_record(&c->tt, &e->r) < 0) {
      dup++;
      continue;
    }
    if (o->task_done) {
      int hrc = o->task_done(o->task_done_user, &e->r, e->x, e->curve, e->n_curve, 1, err);
      if (hrc) {
        journal_contents_free(&jc);
        return hrc;
      }
    }
    c->tasks_done++;
    c->st.n_tasks_resumed++;
  }
  if (dup)
    progress_message(&c->pg, 1, "sweep: --resume: ignored %d duplicate line(s) in %s", dup,
                     c->journal_path);
  /* Folds of journaled trials that never finished were in flight: redo,
   * but for the folds a pruned fold cancels (a pruned trial is never rerun). */
  for (int id = 0; id < c->tt.n; id++) {
    sweep_trial *t = &c->tt.t[id];
    if (t->state != TRIAL_PENDING) continue;
    for (int f = 0; f < o->n_folds; f++)
      if (!t->done[f] && !trials_fold_cancelled(&c->tt, t, f)) {
        q_push(c, id, f);
        c->st.n_tasks_redone++;
      }
  }
  journal_contents_free(&jc);
  progress_message(&c->pg, 1,
                   "sweep: --resume: %d task(s) already done, %d in-flight task(s) to redo",
                   c->tasks_done, c->st.n_tasks_redone);
  MLPS_TRY(journal_open_append(&c->j, c->journal_path, o->no_fsync, err));
  c->j.start = c->st.n_starts - 1;
  c->j.t0 = c->t_setup;
  return MLPS_OK;
}

int coord_setup(coord *c) {
  c->t_setup = mlps_now();
  MLPS_TRY(setup_journal(c));
  /* This run owns the directory now: an old stop marker is out of date. */
  return outdir_clear_stopped(c->o->out_dir, c->err);
}
