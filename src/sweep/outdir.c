/* The output directory on rank 0 before the sweep starts: created if
 * missing, refused when it holds results and --resume was not given; the
 * journal created, or read back and replayed into the coordinator's trial
 * table (finished tasks kept, in-flight ones queued again). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sweep/sweep_internal.h"

int outdir_mkdir_p(const char *path, mlps_err *err) {
  char tmp[MLPS_PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
      return mlps_errorf(err, MLPS_ERUNTIME, "cannot create directory %s: %s", tmp, strerror(errno));
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

/* First entry of dir other than . and .. into name (empty when none). */
static void first_entry(const char *dir, char *name, size_t n) {
  name[0] = '\0';
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
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

int coord_setup(coord *c) {
  const sweep_opts *o = c->o;
  mlps_err *err = c->err;
  if (!o->out_dir || !o->out_dir[0])
    return mlps_errorf(err, MLPS_EINPUT, "sweep: no output directory given");
  if (!o->space || !o->task || !o->propose)
    return mlps_errorf(err, MLPS_EINPUT, "sweep: space, task and propose callbacks are required");
  if (o->n_folds < 1 || o->max_trials < 0)
    return mlps_errorf(err, MLPS_EINPUT, "sweep: need n_folds >= 1 and max_trials >= 0 (got %d, %d)",
                       o->n_folds, o->max_trials);
  if ((long)o->max_trials * o->n_folds > 2000000000L)
    return mlps_errorf(err, MLPS_EINPUT, "sweep: max_trials * n_folds is too large");
  MLPS_TRY(outdir_mkdir_p(o->out_dir, err));
  MLPS_TRY(path_join(c->journal_path, sizeof c->journal_path, o->out_dir, "trials.jsonl", err));
  journal_header h = {o->config_text, o->space, o->n_folds, o->max_trials, o->seed, o->metric};
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
    return journal_create(&c->j, c->journal_path, &h, o->no_fsync, err);
  }
  if (!have_journal) {
    progress_message(&c->pg, 1, "sweep: --resume: no journal in %s; starting a new sweep",
                     o->out_dir);
    return journal_create(&c->j, c->journal_path, &h, o->no_fsync, err);
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
    return journal_create(&c->j, c->journal_path, &h, o->no_fsync, err);
  }
  int rc = o->config_cmp
               ? o->config_cmp(o->config_cmp_user, jc.config_text,
                               o->config_text ? o->config_text : "", err)
               : default_config_cmp(jc.config_text, o->config_text ? o->config_text : "",
                                    c->journal_path, err);
  if (!rc && jc.n_folds != o->n_folds)
    rc = mlps_errorf(err, MLPS_EINPUT, "--resume: %s was written with %d folds, the config has %d",
                     c->journal_path, jc.n_folds, o->n_folds);
  if (rc) {
    journal_contents_free(&jc);
    return rc ? rc : MLPS_EINPUT;
  }
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
    c->tasks_done++;
    c->st.n_tasks_resumed++;
  }
  if (dup)
    progress_message(&c->pg, 1, "sweep: --resume: ignored %d duplicate line(s) in %s", dup,
                     c->journal_path);
  /* Folds of journaled trials that never finished were in flight: redo. */
  for (int id = 0; id < c->tt.n; id++) {
    sweep_trial *t = &c->tt.t[id];
    if (t->state != TRIAL_PENDING) continue;
    for (int f = 0; f < o->n_folds; f++)
      if (!t->done[f]) {
        q_push(c, id, f);
        c->st.n_tasks_redone++;
      }
  }
  journal_contents_free(&jc);
  progress_message(&c->pg, 1, "sweep: --resume: %d task(s) already done, %d in-flight task(s) to redo",
                   c->tasks_done, c->st.n_tasks_redone);
  return journal_open_append(&c->j, c->journal_path, o->no_fsync, err);
}
