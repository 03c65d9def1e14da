/* Trial table, fold aggregation and trials.csv. See trials.h.
 * Aggregates are computed once all folds are in, summing in fold order, so
 * they do not depend on the order in which folds finished (and hence not on
 * the number of ranks). */
#include "sweep/trials.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/fmt.h"
#include "util/paths.h"

const char *const TASK_STATUS_NAMES[TASK_STATUS_COUNT] = {"ok",     "diverged", "timeout",
                                                          "failed", "stopped",  "pruned"};
const char *const TRIAL_STATE_NAMES[TRIAL_STATE_COUNT] = {"unseen", "pending", "ok", "failed",
                                                          "pruned"};

void trials_init(trial_table *tt, int n_folds, search_metric metric) {
  memset(tt, 0, sizeof *tt);
  tt->n_folds = n_folds;
  tt->metric = metric;
  tt->best = -1;
}

void trials_free_one(sweep_trial *t, int n_folds) {
  if (t->curves)
    for (int f = 0; f < n_folds; f++) free(t->curves[f]);
  free(t->curves);
  free(t->n_curve);
  free(t->cap_curve);
  free(t->folds);
  free(t->done);
}

void trials_free(trial_table *tt) {
  for (int i = 0; i < tt->n; i++) trials_free_one(&tt->t[i], tt->n_folds);
  free(tt->t);
  memset(tt, 0, sizeof *tt);
}

sweep_trial *trials_get(trial_table *tt, int id) {
  if (id >= tt->cap) {
    int cap = tt->cap ? tt->cap : 64;
    while (cap <= id) cap *= 2;
    tt->t = mlps_xrealloc(tt->t, (size_t)cap * sizeof *tt->t);
    tt->cap = cap;
  }
  while (tt->n <= id) {
    sweep_trial *t = &tt->t[tt->n];
    memset(t, 0, sizeof *t);
    t->id = tt->n;
    t->state = TRIAL_UNSEEN;
    t->metric_mean = t->metric_std = NAN;
    for (int m = 0; m < METRIC_COUNT; m++) t->metrics_mean[m] = NAN;
    t->best_epoch_mean = t->epochs_mean = NAN;
    t->prune_fold = t->live_prune_fold = -1;
    t->prune_value = NAN;
    tt->n++;
  }
  return &tt->t[id];
}

static void alloc_folds(sweep_trial *t, int k) {
  if (t->folds) return;
  t->folds = mlps_xcalloc((size_t)k, sizeof *t->folds);
  t->done = mlps_xcalloc((size_t)k, 1);
  t->curves = mlps_xcalloc((size_t)k, sizeof *t->curves);
  t->n_curve = mlps_xcalloc((size_t)k, sizeof *t->n_curve);
  t->cap_curve = mlps_xcalloc((size_t)k, sizeof *t->cap_curve);
}

void trials_set_point(trial_table *tt, int id, const double *x, int n_params) {
  sweep_trial *t = trials_get(tt, id);
  memset(t->x, 0, sizeof t->x);
  memcpy(t->x, x, (size_t)n_params * sizeof *x);
  if (t->state == TRIAL_UNSEEN) t->state = TRIAL_PENDING;
  alloc_folds(t, tt->n_folds);
}

/* The lowest recorded fold of t that was pruned, or -1. */
static int lowest_pruned(const trial_table *tt, const sweep_trial *t) {
  for (int f = 0; f < tt->n_folds; f++)
    if (t->done[f] && t->folds[f].status == TASK_PRUNED) return f;
  return -1;
}

int trials_fold_cancelled(const trial_table *tt, const sweep_trial *t, int fold) {
  int p = t->live_prune_fold;
  if (t->done) {
    int q = lowest_pruned(tt, t);
    if (q >= 0 && (p < 0 || q < p)) p = q;
  }
  return p >= 0 && (!tt->fold_order || fold > p);
}

/* A trial with a pruned fold: pruned, or failed when a fold below the
 * lowest pruned one failed; aggregates over those folds only. */
static void aggregate_pruned(trial_table *tt, sweep_trial *t, int p) {
  const task_result *pr = &t->folds[p];
  t->prune_fold = pr->prune_fold;
  t->prune_rung = pr->rung;
  t->prune_value = pr->pruned_value;
  t->metric_mean = t->metric_std = NAN;
  for (int m = 0; m < METRIC_COUNT; m++) t->metrics_mean[m] = NAN;
  t->best_epoch_mean = NAN;
  double ep = pr->rung, ss = 0, sm = 0;
  for (int f = 0; f < tt->n_folds; f++) {
    if (!t->done[f]) continue;
    ss += t->folds[f].seconds;
    if (t->folds[f].seconds > sm) sm = t->folds[f].seconds;
  }
  t->seconds_sum = ss;
  t->seconds_max = sm;
  t->state = TRIAL_PRUNED;
  snprintf(t->reason, sizeof t->reason, "fold %d pruned after %d epochs (value %.6g)",
           pr->prune_fold, pr->rung, pr->pruned_value);
  int n = 1; /* folds counted in epochs_mean: p and the recorded ones below */
  for (int f = 0; f < p; f++) {
    const task_result *r = &t->folds[f];
    if (!t->done[f]) continue; /* never started (asynchronous pruning) */
    ep += r->epochs, n++;
    if (t->state == TRIAL_PRUNED && (r->status != TASK_OK || !isfinite(r->metrics[tt->metric]))) {
      t->state = TRIAL_FAILED;
      snprintf(t->reason, sizeof t->reason, "fold %d %s%s%.120s", f,
               r->status == TASK_OK ? "objective not finite" : TASK_STATUS_NAMES[r->status],
               r->reason[0] ? ": " : "", r->reason);
    }
  }
  t->epochs_mean = ep / n;
}

static void aggregate(trial_table *tt, sweep_trial *t) {
  int k = tt->n_folds;
  int p = lowest_pruned(tt, t);
  if (p >= 0) {
    aggregate_pruned(tt, t, p);
    return;
  }
  t->reason[0] = '\0';
  int failed = 0;
  for (int f = 0; f < k && !failed; f++) {
    const task_result *r = &t->folds[f];
    if (r->status != TASK_OK) {
      failed = 1;
      snprintf(t->reason, sizeof t->reason, "fold %d %s%s%.120s", f,
               r->status >= 0 && r->status < TASK_STATUS_COUNT ? TASK_STATUS_NAMES[r->status] : "?",
               r->reason[0] ? ": " : "", r->reason);
    } else if (!isfinite(r->metrics[tt->metric])) {
      failed = 1;
      snprintf(t->reason, sizeof t->reason, "fold %d: objective %s is not finite", f,
               METRIC_NAMES[tt->metric]);
    }
  }
  for (int m = 0; m < METRIC_COUNT; m++) {
    double s = 0;
    for (int f = 0; f < k; f++) s += t->folds[f].metrics[m];
    t->metrics_mean[m] = s / k;
  }
  double be = 0, ep = 0, ss = 0, sm = 0;
  for (int f = 0; f < k; f++) {
    be += t->folds[f].best_epoch;
    ep += t->folds[f].epochs;
    ss += t->folds[f].seconds;
    if (t->folds[f].seconds > sm) sm = t->folds[f].seconds;
  }
  t->best_epoch_mean = be / k;
  t->epochs_mean = ep / k;
  t->seconds_sum = ss;
  t->seconds_max = sm;
  if (failed) {
    t->state = TRIAL_FAILED;
    t->metric_mean = t->metric_std = NAN;
    return;
  }
  double mean = t->metrics_mean[tt->metric], v = 0;
  for (int f = 0; f < k; f++) {
    double d = t->folds[f].metrics[tt->metric] - mean;
    v += d * d;
  }
  t->metric_mean = mean;
  t->metric_std = k > 1 ? sqrt(v / (k - 1)) : 0.0;
  t->state = TRIAL_OK;
  /* Ties go to the lower id so the best does not depend on finishing order. */
  if (tt->best < 0 || mean < tt->t[tt->best].metric_mean ||
      (mean == tt->t[tt->best].metric_mean && t->id < tt->best))
    tt->best = t->id;
}

int trials_record(trial_table *tt, const task_result *r) {
  sweep_trial *t = trials_get(tt, r->trial);
  alloc_folds(t, tt->n_folds);
  if (r->fold < 0 || r->fold >= tt->n_folds || t->done[r->fold]) return -1;
  t->folds[r->fold] = *r;
  t->done[r->fold] = 1;
  if (t->state == TRIAL_UNSEEN) t->state = TRIAL_PENDING;
  t->n_finished++;
  if (t->state != TRIAL_PENDING) { /* a late fold of a pruned trial */
    aggregate(tt, t);
    return 0;
  }
  int p = lowest_pruned(tt, t);
  if (p < 0 && t->n_finished < tt->n_folds) return 0;
  if (p >= 0) {
    if (t->n_running > 0) return 0;
    for (int f = 0; tt->fold_order && f < p; f++)
      if (!t->done[f]) return 0;
  }
  aggregate(tt, t);
  return 1;
}

void trials_add_epoch(trial_table *tt, const epoch_report *e) {
  if (e->trial < 0 || e->trial >= tt->n || e->fold < 0 || e->fold >= tt->n_folds) return;
  sweep_trial *t = &tt->t[e->trial];
  if (!t->curves) return;
  int f = e->fold;
  if (t->n_curve[f] == t->cap_curve[f]) {
    t->cap_curve[f] = t->cap_curve[f] ? 2 * t->cap_curve[f] : 64;
    t->curves[f] = mlps_xrealloc(t->curves[f], (size_t)t->cap_curve[f] * sizeof(epoch_report));
  }
  t->curves[f][t->n_curve[f]++] = *e;
}

/* ---- parameter formatting ------------------------------------------- */

static const space_value *choice(const space_param *p, double xi) {
  if (p->dist != DIST_CATEGORICAL && p->dist != DIST_CONSTANT) return NULL;
  if (p->n_values <= 0) return NULL;
  long k = (long)xi;
  if (k < 0) k = 0;
  if (k >= p->n_values) k = p->n_values - 1;
  return &p->values[k];
}

const char *trials_param_text(const search_space *s, int i, double xi, char *buf, size_t n) {
  const space_param *p = &s->p[i];
  const space_value *v = choice(p, xi);
  char d[32];
  if (v) {
    if (v->type == VAL_STRING) snprintf(buf, n, "%s", v->s);
    else if (v->type == VAL_INT) snprintf(buf, n, "%ld", v->i);
    else snprintf(buf, n, "%s", fmt_double(d, v->f));
  } else if (p->is_int) {
    snprintf(buf, n, "%.0f", xi);
  } else {
    snprintf(buf, n, "%s", fmt_double(d, xi));
  }
  return buf;
}

const char *trials_params_line(const search_space *s, const double *x, char *buf, size_t n) {
  size_t off = 0;
  buf[0] = '\0';
  for (int i = 0; i < s->n && off < n; i++) {
    char v[64];
    const space_param *p = &s->p[i];
    if (!choice(p, x[i]) && !p->is_int) snprintf(v, sizeof v, "%.4g", x[i]); /* for reading */
    else trials_param_text(s, i, x[i], v, sizeof v);
    int w = snprintf(buf + off, n - off, "%s%s=%s", i ? " " : "", p->name, v);
    if (w < 0) break;
    off += (size_t)w;
  }
  return buf;
}

void trials_params_json(json_writer *w, const search_space *s, const double *x) {
  json_obj_begin(w);
  for (int i = 0; i < s->n; i++) {
    const space_param *p = &s->p[i];
    const space_value *v = choice(p, x[i]);
    json_key(w, p->name);
    if (v) {
      if (v->type == VAL_STRING) json_str(w, v->s);
      else if (v->type == VAL_INT) json_int(w, v->i);
      else json_num(w, v->f);
    } else if (p->is_int) {
      json_int(w, (long long)x[i]);
    } else {
      json_num(w, x[i]);
    }
  }
  json_obj_end(w);
}

/* ---- trials.csv ------------------------------------------------------ */

static void csv_field(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static void csv_num(FILE *f, double v) {
  char b[32];
  fputc(',', f);
  if (isfinite(v)) fputs(fmt_double(b, v), f);
  else if (isnan(v)) fputs("nan", f);
  else fputs(v > 0 ? "inf" : "-inf", f);
}

int trials_write_csv(const trial_table *tt, const search_space *s, const char *path,
                     mlps_err *err) {
  char tmp[MLPS_PATH_MAX];
  MLPS_TRY(path_tmp(tmp, sizeof tmp, path, err));
  FILE *f = fopen(tmp, "w");
  if (!f) return mlps_errorf(err, MLPS_ERUNTIME, "cannot write %s: %s", tmp, strerror(errno));
  fputs("trial", f);
  for (int i = 0; i < s->n; i++) {
    fputc(',', f);
    csv_field(f, s->p[i].name);
  }
  fprintf(f, ",status,reason,n_folds_ok,metric_mean,metric_std");
  for (int m = 0; m < METRIC_COUNT; m++) fprintf(f, ",%s_mean", METRIC_NAMES[m]);
  fprintf(f, ",best_epoch_mean,epochs_mean,state,seconds_sum,seconds_max\n");
  for (int id = 0; id < tt->n; id++) {
    const sweep_trial *t = &tt->t[id];
    if (t->state != TRIAL_OK && t->state != TRIAL_FAILED && t->state != TRIAL_PRUNED) continue;
    fprintf(f, "%d", id);
    for (int i = 0; i < s->n; i++) {
      char v[64];
      fputc(',', f);
      csv_field(f, trials_param_text(s, i, t->x[i], v, sizeof v));
    }
    /* A pruned trial counts the folds below its lowest pruned one. */
    int n_ok = 0, p = lowest_pruned(tt, t);
    for (int k = 0; k < (p >= 0 ? p : tt->n_folds); k++)
      n_ok += t->done[k] && t->folds[k].status == TASK_OK;
    fprintf(f, ",%s,", TRIAL_STATE_NAMES[t->state]);
    csv_field(f, t->reason);
    fprintf(f, ",%d", n_ok);
    csv_num(f, t->metric_mean);
    csv_num(f, t->metric_std);
    for (int m = 0; m < METRIC_COUNT; m++) csv_num(f, t->metrics_mean[m]);
    csv_num(f, t->best_epoch_mean);
    csv_num(f, t->epochs_mean);
    fprintf(f, ",%s", t->state == TRIAL_OK ? "complete" : TRIAL_STATE_NAMES[t->state]);
    csv_num(f, t->seconds_sum);
    csv_num(f, t->seconds_max);
    fputc('\n', f);
  }
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) {
    remove(tmp);
    return mlps_errorf(err, MLPS_ERUNTIME, "error writing %s", tmp);
  }
  if (rename(tmp, path) != 0)
    return mlps_errorf(err, MLPS_ERUNTIME, "cannot rename %s to %s: %s", tmp, path,
                       strerror(errno));
  return MLPS_OK;
}
