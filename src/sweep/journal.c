/* Journal writing (header, batched task lines, write+fsync) and reading for
 * resume (torn-line detection and truncation). See journal.h. */
#define _POSIX_C_SOURCE 200809L
#include "sweep/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sweep/trials.h"
#include "util/clock.h"
#include "util/names.h"

#ifndef MLPS_VERSION
#define MLPS_VERSION "unknown"
#endif

static int write_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* fsync retried on EINTR (a SIGTERM may arrive during it). */
static int sync_fd(int fd) {
  int rc;
  do rc = fsync(fd);
  while (rc != 0 && errno == EINTR);
  return rc;
}

static void sync_dir_of(const char *path) {
  char d[MLPS_PATH_MAX];
  snprintf(d, sizeof d, "%s", path);
  int fd = open(dirname(d), O_RDONLY);
  if (fd >= 0) {
    sync_fd(fd);
    close(fd);
  }
}

int journal_create(journal *j, const char *path, const journal_header *h, int no_fsync,
                   mlps_err *err) {
  memset(j, 0, sizeof *j);
  j->fd = -1;
  snprintf(j->path, sizeof j->path, "%s", path);
  j->no_fsync = no_fsync;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644);
  if (fd < 0)
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot create journal %s: %s", path, strerror(errno));
  json_writer w;
  json_init(&w);
  json_obj_begin(&w);
  json_key(&w, "format");
  json_str(&w, SWEEP_JOURNAL_FORMAT);
  json_key(&w, "version");
  json_int(&w, SWEEP_JOURNAL_VERSION);
  json_key(&w, "mlpsweep_version");
  json_str(&w, MLPS_VERSION);
  char when[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_key(&w, "created");
  json_str(&w, when);
  json_key(&w, "n_folds");
  json_int(&w, h->n_folds);
  json_key(&w, "max_trials");
  json_int(&w, h->max_trials);
  /* A 64-bit seed does not fit a JSON number exactly: written as text. */
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)h->seed);
  json_key(&w, "seed");
  json_str(&w, seed);
  json_key(&w, "metric");
  json_str(&w, METRIC_NAMES[h->metric]);
  json_key(&w, "params");
  json_arr_begin(&w);
  for (int i = 0; h->space && i < h->space->n; i++) {
    json_obj_begin(&w);
    json_key(&w, "name");
    json_str(&w, h->space->p[i].name);
    json_key(&w, "dist");
    json_str(&w, SPACE_DIST_NAMES[h->space->p[i].dist]);
    json_obj_end(&w);
  }
  json_arr_end(&w);
  json_key(&w, "config");
  json_str(&w, h->config_text ? h->config_text : "");
  if (h->write_extra) h->write_extra(h->extra_user, &w);
  json_obj_end(&w);
  json_raw(&w, "\n");
  int bad = write_all(fd, w.text.s, w.text.len) != 0 || (!no_fsync && sync_fd(fd) != 0);
  json_free(&w);
  if (bad) {
    int e = errno;
    close(fd);
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot write journal %s: %s", path, strerror(e));
  }
  if (!no_fsync) sync_dir_of(path);
  j->fd = fd;
  json_init(&j->w);
  return MLPS_OK;
}

int journal_open_append(journal *j, const char *path, int no_fsync, mlps_err *err) {
  memset(j, 0, sizeof *j);
  snprintf(j->path, sizeof j->path, "%s", path);
  j->no_fsync = no_fsync;
  j->fd = open(path, O_WRONLY | O_APPEND);
  if (j->fd < 0)
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot open journal %s: %s", path, strerror(errno));
  json_init(&j->w);
  return MLPS_OK;
}

void journal_add(journal *j, const task_result *r, const double *x, const search_space *s,
                 search_metric metric, const epoch_report *curve, int n_curve) {
  json_writer *w = &j->w;
  /* Lines are appended one after another: reset the comma state only. */
  w->depth = 0;
  w->first[0] = 1;
  w->after_key = 0;
  json_obj_begin(w);
  json_key(w, "trial");
  json_int(w, r->trial);
  json_key(w, "fold");
  json_int(w, r->fold);
  json_key(w, "params");
  trials_params_json(w, s, x);
  json_key(w, "x");
  json_arr_begin(w);
  for (int i = 0; i < s->n; i++) json_num(w, x[i]);
  json_arr_end(w);
  json_key(w, "status");
  json_str(
      w, r->status >= 0 && r->status < TASK_STATUS_COUNT ? TASK_STATUS_NAMES[r->status] : "failed");
  json_key(w, "reason");
  json_str(w, r->reason);
  json_key(w, "metric");
  json_num(w, r->metrics[metric]);
  for (int m = 0; m < METRIC_COUNT; m++) {
    json_key(w, METRIC_NAMES[m]);
    json_num(w, r->metrics[m]);
  }
  json_key(w, "best_epoch");
  json_int(w, r->best_epoch);
  json_key(w, "epochs");
  json_int(w, r->epochs);
  json_key(w, "seconds");
  json_num(w, r->seconds);
  json_key(w, "wait_seconds");
  json_num(w, r->wait_seconds);
  json_key(w, "rank");
  json_int(w, r->rank);
  if (r->status == TASK_PRUNED) {
    json_key(w, "rung");
    json_int(w, r->rung);
    json_key(w, "pruned_value");
    json_num(w, r->pruned_value);
    json_key(w, "pruned_fold");
    json_int(w, r->prune_fold);
  }
  json_key(w, "start");
  json_int(w, j->start);
  json_key(w, "t");
  json_num(w, mlps_now() - j->t0);
  if (n_curve > 0) {
    json_key(w, "curve");
    json_arr_begin(w);
    for (int i = 0; i < n_curve; i++) {
      json_int(w, curve[i].epoch);
      json_num(w, curve[i].train_loss);
      json_num(w, curve[i].val_loss);
      json_num(w, curve[i].lr);
    }
    json_arr_end(w);
  }
  json_obj_end(w);
  json_raw(w, "\n");
  j->n_pending++;
}

int journal_flush(journal *j, mlps_err *err) {
  if (!j->n_pending) return MLPS_OK;
  if (write_all(j->fd, j->w.text.s, j->w.text.len) != 0 || (!j->no_fsync && sync_fd(j->fd) != 0))
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot append to journal %s: %s", j->path,
                       strerror(errno));
  json_reset(&j->w);
  j->n_pending = 0;
  return MLPS_OK;
}

void journal_close(journal *j) {
  if (j->fd >= 0) close(j->fd);
  j->fd = -1;
  json_free(&j->w);
}

/* ---- reading --------------------------------------------------------- */

static int get_int(const json_value *o, const char *key, int32_t *out) {
  double v;
  if (!json_get_num(o, key, &v) || !isfinite(v) || v != floor(v) || fabs(v) > 2e9) return 0;
  *out = (int32_t)v;
  return 1;
}

/* Fills e from a task line; returns NULL or the name of what is wrong. */
static const char *parse_task(const json_value *o, journal_entry *e, int n_folds) {
  memset(e, 0, sizeof *e);
  task_result *r = &e->r;
  if (!o || o->type != JSON_OBJ) return "not a JSON object";
  if (!get_int(o, "trial", &r->trial) || r->trial < 0) return "trial";
  if (!get_int(o, "fold", &r->fold) || r->fold < 0 || r->fold >= n_folds) return "fold";
  const json_value *x = json_get(o, "x");
  if (!x || x->type != JSON_ARR || x->n > SPACE_MAX_PARAMS) return "x";
  for (size_t i = 0; i < x->n; i++) {
    if (x->items[i].type != JSON_NUM) return "x";
    e->x[i] = x->items[i].num;
  }
  const char *st = json_get_str(o, "status");
  int s = st ? names_find(TASK_STATUS_NAMES, TASK_STATUS_COUNT, st) : -1;
  if (s < 0 || s == TASK_STOPPED) return "status";
  r->status = s;
  const char *reason = json_get_str(o, "reason");
  if (!reason) return "reason";
  snprintf(r->reason, sizeof r->reason, "%s", reason);
  /* Journals written before issue 22 lack the later metrics: NaN then. */
  for (int m = 0; m < METRIC_COUNT; m++)
    if (!json_get_num(o, METRIC_NAMES[m], &r->metrics[m])) {
      if (m <= METRIC_VAL_MEDIAN_FRAC_ERR) return METRIC_NAMES[m];
      r->metrics[m] = NAN;
    }
  if (!get_int(o, "best_epoch", &r->best_epoch)) return "best_epoch";
  if (!get_int(o, "epochs", &r->epochs)) return "epochs";
  if (!json_get_num(o, "seconds", &r->seconds)) return "seconds";
  if (!json_get_num(o, "wait_seconds", &r->wait_seconds)) r->wait_seconds = 0; /* older journals */
  if (!get_int(o, "rank", &r->rank)) return "rank";
  if (r->status == TASK_PRUNED) {
    if (!get_int(o, "rung", &r->rung) || r->rung < 0) return "rung";
    if (!json_get_num(o, "pruned_value", &r->pruned_value)) return "pruned_value";
    if (!get_int(o, "pruned_fold", &r->prune_fold) || r->prune_fold < 0 || r->prune_fold >= n_folds)
      return "pruned_fold";
  }
  e->curve = NULL;
  e->n_curve = 0;
  e->start = 0;
  e->t = NAN;
  double st_d;
  if (json_get_num(o, "start", &st_d) && st_d >= 0 && st_d < 1e6) e->start = (int)st_d;
  json_get_num(o, "t", &e->t);
  const json_value *cv = json_get(o, "curve");
  if (cv) {
    if (cv->type != JSON_ARR || cv->n % 4 || cv->n / 4 > (size_t)INT32_MAX) return "curve";
    for (size_t i = 0; i < cv->n; i++)
      if (cv->items[i].type != JSON_NUM && cv->items[i].type != JSON_NULL) return "curve";
    int n = (int)(cv->n / 4);
    e->curve = mlps_xmalloc(sizeof(epoch_report) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
      const json_value *v = &cv->items[4 * i];
      double a[4];
      for (int k = 0; k < 4; k++) a[k] = v[k].type == JSON_NUM ? v[k].num : NAN;
      epoch_report er = {r->trial, r->fold, (int32_t)a[0], 0, a[2], a[1], a[3]};
      e->curve[i] = er;
    }
    e->n_curve = n;
  }
  return NULL;
}

int journal_read(const char *path, journal_contents *out, mlps_err *err) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDWR);
  if (fd < 0) return mlps_errorf(err, MLPS_ERUNTIME, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot stat %s: %s", path, strerror(errno));
  }
  size_t size = (size_t)st.st_size;
  char *buf = malloc(size + 1);
  if (!buf) {
    close(fd);
    return mlps_errorf(err, MLPS_ERUNTIME, "out of memory reading %s (%zu bytes)", path, size);
  }
  size_t got = 0;
  while (got < size) {
    ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  size = got;
  buf[size] = '\0';

  int rc = MLPS_OK, cap = 0;
  size_t good = 0; /* bytes up to the end of the last good line */
  char perr[160];
  int lineno = 0;
  for (size_t pos = 0; pos < size;) {
    lineno++;
    char *nl = memchr(buf + pos, '\n', size - pos);
    size_t end = nl ? (size_t)(nl - buf) : size;
    int last = !nl || end + 1 >= size;
    json_doc *d = nl ? json_parse(buf + pos, end - pos, perr, sizeof perr) : NULL;
    int parsed = d != NULL;
    if (!nl) snprintf(perr, sizeof perr, "no newline at the end");
    const char *bad = NULL;
    journal_entry e;
    if (d && lineno == 1) {
      const json_value *h = json_root(d);
      const char *fmt = json_get_str(h, "format");
      double ver = 0, nf = 0;
      const char *cfg = json_get_str(h, "config");
      if (!fmt || strcmp(fmt, SWEEP_JOURNAL_FORMAT) != 0) {
        rc = mlps_errorf(err, MLPS_EINPUT,
                         "%s:1: not an mlpsweep journal (header has no \"format\": \"%s\")", path,
                         SWEEP_JOURNAL_FORMAT);
      } else if (!json_get_num(h, "version", &ver) || ver != SWEEP_JOURNAL_VERSION) {
        rc = mlps_errorf(err, MLPS_EINPUT,
                         "%s:1: journal version %g is not supported (this mlpsweep reads "
                         "version %d)",
                         path, ver, SWEEP_JOURNAL_VERSION);
      } else if (!json_get_num(h, "n_folds", &nf) || nf < 1 || !cfg) {
        rc = mlps_errorf(err, MLPS_EINPUT, "%s:1: journal header lacks n_folds or config", path);
      } else {
        out->version = (int)ver;
        out->n_folds = (int)nf;
        out->config_text = mlps_xstrdup(cfg);
        out->header = d; /* kept for the caller's own header members */
        d = NULL;
      }
    } else if (d) {
      bad = parse_task(json_root(d), &e, out->n_folds);
      if (bad) snprintf(perr, sizeof perr, "missing or invalid \"%s\"", bad);
    }
    json_doc_free(d);
    if (rc) break;
    if (!parsed || bad) {
      if (last) { /* torn by a kill in the middle of a write: drop it */
        out->torn_dropped = 1;
        size_t n = end - pos < sizeof out->torn_text - 1 ? end - pos : sizeof out->torn_text - 1;
        memcpy(out->torn_text, buf + pos, n);
        out->torn_text[n] = '\0';
        break;
      }
      rc = mlps_errorf(err, MLPS_EINPUT,
                       "%s:%d: corrupt journal line (%s); only the last line may be torn. "
                       "Fix or remove that line by hand, then resume",
                       path, lineno, perr);
      break;
    }
    if (lineno > 1) {
      if (out->n == cap) {
        cap = cap ? 2 * cap : 256;
        out->e = mlps_xrealloc(out->e, (size_t)cap * sizeof *out->e);
      }
      out->e[out->n++] = e;
    }
    good = end + 1;
    pos = end + 1;
  }
  if (!rc && good < size) {
    /* Cut the torn tail so the next append starts on a fresh line. */
    if (ftruncate(fd, (off_t)good) != 0 || sync_fd(fd) != 0)
      rc = mlps_errorf(err, MLPS_ERUNTIME, "cannot truncate torn line of %s: %s", path,
                       strerror(errno));
  }
  free(buf);
  close(fd);
  if (rc) journal_contents_free(out);
  return rc;
}

void journal_contents_free(journal_contents *c) {
  for (int i = 0; i < c->n; i++) free(c->e[i].curve);
  json_doc_free(c->header);
  free(c->config_text);
  free(c->e);
  memset(c, 0, sizeof *c);
}
