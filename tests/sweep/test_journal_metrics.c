/* A journal written before the tail and chi2 metrics existed (issue 22)
 * still reads: its task lines lack val_p95_frac_err, val_max_frac_err and
 * val_chi2, which read as NaN; a line without one of the original metrics
 * is still an error naming it. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/journal.h"
#include "sweep/synth.h"
#include "test_util.h"

/* Removes "\"key\":VALUE," from every line of path (VALUE up to the comma). */
static void drop_key(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char pat[64], *p;
  snprintf(pat, sizeof pat, "\"%s\":", key);
  while ((p = strstr(buf, pat)) != NULL) {
    char *q = strchr(p, ',');
    memmove(p, q + 1, strlen(q + 1) + 1);
  }
  f = fopen(path, "w");
  fputs(buf, f);
  fclose(f);
}

static void write_journal(const char *path, const search_space *s) {
  remove(path);
  journal j;
  mlps_err err;
  journal_header h = {"name: t\n", s, 2, 4, 7, METRIC_VAL_MSE, NULL, NULL};
  CHECK(journal_create(&j, path, &h, 1, &err) == MLPS_OK);
  double x[SPACE_MAX_PARAMS] = {0.5, 14.5, 3, 2, 1, 0.001};
  for (int f = 0; f < 2; f++) {
    task_result r;
    memset(&r, 0, sizeof r);
    r.fold = f;
    r.status = TASK_OK;
    for (int m = 0; m < METRIC_COUNT; m++) r.metrics[m] = 0.25 * (m + 1);
    r.best_epoch = 3;
    r.epochs = 5;
    journal_add(&j, &r, x, s, METRIC_VAL_MSE, NULL, 0);
  }
  CHECK(journal_flush(&j, &err) == MLPS_OK);
  journal_close(&j);
}

int main(void) {
  const char *tmp = getenv("MLPS_TMP");
  char path[4096];
  snprintf(path, sizeof path, "%s/test_journal_metrics_%ld.jsonl", tmp ? tmp : "/tmp",
           (long)getpid());
  static search_space s;
  synth_space(&s);
  mlps_err err;
  journal_contents jc;

  write_journal(path, &s);
  drop_key(path, "val_p95_frac_err");
  drop_key(path, "val_max_frac_err");
  drop_key(path, "val_chi2");
  CHECK(journal_read(path, &jc, &err) == MLPS_OK);
  CHECK(jc.n == 2);
  for (int i = 0; i < jc.n; i++) {
    CHECK(jc.e[i].r.metrics[METRIC_VAL_MSE] == 0.25);
    CHECK(jc.e[i].r.metrics[METRIC_VAL_MEDIAN_FRAC_ERR] == 0.75);
    CHECK(isnan(jc.e[i].r.metrics[METRIC_VAL_P95_FRAC_ERR]));
    CHECK(isnan(jc.e[i].r.metrics[METRIC_VAL_CHI2]));
  }
  journal_contents_free(&jc);

  /* the new metrics read back when present */
  write_journal(path, &s);
  CHECK(journal_read(path, &jc, &err) == MLPS_OK);
  CHECK(jc.n == 2 && jc.e[1].r.metrics[METRIC_VAL_CHI2] == 0.25 * (METRIC_VAL_CHI2 + 1));
  journal_contents_free(&jc);

  /* an original metric missing (in the first task line, not the torn
   * last one) is still an error naming it */
  write_journal(path, &s);
  drop_key(path, "val_mae");
  CHECK(journal_read(path, &jc, &err) == MLPS_EINPUT);
  CHECK(strstr(err.msg, "val_mae") != NULL);
  remove(path);
  return TEST_RESULT("sweep_journal_metrics");
}
