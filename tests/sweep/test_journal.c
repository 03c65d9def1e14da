/* Journal and fold aggregation without MPI: lines written are read back
 * exactly (params, x, metrics incl. NaN, reasons with quotes), a torn last
 * line is dropped and truncated, a corrupt middle line is an error, and
 * trials aggregate in fold order (mean, sample std, failure, best). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep/journal.h"
#include "sweep/synth.h"
#include "sweep/trials.h"
#include "test_util.h"

static task_result mk(int trial, int fold, double mse) {
  task_result r;
  memset(&r, 0, sizeof r);
  r.trial = trial;
  r.fold = fold;
  r.status = TASK_OK;
  r.metrics[0] = mse;
  r.metrics[1] = sqrt(mse);
  r.metrics[2] = NAN;
  r.best_epoch = 4;
  r.epochs = 9;
  r.seconds = 0.25;
  r.rank = 2;
  return r;
}

static long file_size(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

int main(void) {
  const char *tmp = getenv("MLPS_TMP");
  char path[4096];
  snprintf(path, sizeof path, "%s/test_journal_%ld.jsonl", tmp ? tmp : "/tmp", (long)getpid());
  remove(path);
  static search_space s;
  synth_space(&s);
  double x[SPACE_MAX_PARAMS] = {1.0 / 3, 14.5, 3, 2, 1, 0.00123};
  journal j;
  mlps_err err;
  const char *cfg = "sweep:\n  name: \"t\"\n  weird: \\ \x01 end\n";
  journal_header h = {cfg, &s, 3, 10, 18446744073709551615ULL, METRIC_VAL_MSE, NULL, NULL};
  CHECK(journal_create(&j, path, &h, 0, &err) == MLPS_OK);
  CHECK(journal_create(&j, path, &h, 0, &err) != MLPS_OK); /* never overwrites */
  journal_open_append(&j, path, 0, &err);
  task_result a = mk(0, 0, 0.1), b = mk(0, 1, 0.2);
  b.status = TASK_DIVERGED;
  snprintf(b.reason, sizeof b.reason, "loss \"NaN\"\nat epoch 3");
  /* a's learning curve goes with it (NaN as null), b has none */
  epoch_report curve[2] = {{0, 0, 0, 0, 0.25, 1.0 / 3, 1e-3}, {0, 0, 1, 0, NAN, 0.125, 5e-4}};
  journal_add(&j, &a, x, &s, METRIC_VAL_MSE, curve, 2);
  journal_add(&j, &b, x, &s, METRIC_VAL_MSE, NULL, 0);
  CHECK(journal_flush(&j, &err) == MLPS_OK);
  journal_close(&j);

  /* params as the user wrote them: string choice, int choice, integers */
  FILE *f = fopen(path, "r");
  char line[8192];
  CHECK(fgets(line, sizeof line, f) != NULL);
  CHECK(strstr(line, "\"format\":\"mlpsweep-journal\"") != NULL);
  CHECK(strstr(line, "\"seed\":\"18446744073709551615\"") != NULL);
  CHECK(fgets(line, sizeof line, f) != NULL);
  CHECK(strstr(line, "\"activation\":\"gelu\"") != NULL);
  CHECK(strstr(line, "\"batch\":64") != NULL);
  CHECK(strstr(line, "\"layers\":3,") != NULL);
  CHECK(strstr(line, "\"val_median_frac_err\":null") != NULL);
  fclose(f);

  journal_contents jc;
  CHECK(journal_read(path, &jc, &err) == MLPS_OK);
  CHECK(jc.config_text && strcmp(jc.config_text, cfg) == 0);
  CHECK(jc.n_folds == 3 && jc.n == 2 && !jc.torn_dropped);
  if (jc.n == 2) {
    CHECK(jc.e[0].x[0] == 1.0 / 3 && jc.e[0].x[5] == 0.00123);
    CHECK(jc.e[0].r.metrics[0] == 0.1 && isnan(jc.e[0].r.metrics[2]));
    CHECK(jc.e[0].r.best_epoch == 4 && jc.e[0].r.epochs == 9 && jc.e[0].r.rank == 2);
    CHECK(jc.e[1].r.status == TASK_DIVERGED);
    CHECK(strcmp(jc.e[1].r.reason, b.reason) == 0);
    /* the curve reads back bit for bit (round-trip doubles) */
    CHECK(jc.e[0].n_curve == 2 && jc.e[1].n_curve == 0 && jc.e[1].curve == NULL);
    if (jc.e[0].n_curve == 2) {
      CHECK(jc.e[0].curve[0].epoch == 0 && jc.e[0].curve[1].epoch == 1);
      CHECK(jc.e[0].curve[0].train_loss == 1.0 / 3 && jc.e[0].curve[0].val_loss == 0.25);
      CHECK(jc.e[0].curve[0].lr == 1e-3 && isnan(jc.e[0].curve[1].val_loss));
      CHECK(jc.e[0].curve[1].trial == 0 && jc.e[0].curve[1].fold == 0);
    }
  }
  journal_contents_free(&jc);

  /* torn last line: dropped, file truncated to the last good line */
  long good = file_size(path);
  int fd = open(path, O_WRONLY | O_APPEND);
  const char *torn = "{\"trial\":1,\"fold\":0,\"params\":{\"x0\":0.5";
  CHECK(write(fd, torn, strlen(torn)) == (ssize_t)strlen(torn));
  close(fd);
  CHECK(journal_read(path, &jc, &err) == MLPS_OK);
  CHECK(jc.torn_dropped == 1 && jc.n == 2);
  CHECK(file_size(path) == good);
  journal_contents_free(&jc);
  /* a complete-looking line missing its newline is torn too */
  fd = open(path, O_WRONLY | O_APPEND);
  CHECK(write(fd, "{}", 2) == 2);
  close(fd);
  CHECK(journal_read(path, &jc, &err) == MLPS_OK && jc.torn_dropped && file_size(path) == good);
  journal_contents_free(&jc);

  /* a corrupt line in the middle is an error naming the line */
  fd = open(path, O_WRONLY | O_APPEND);
  CHECK(write(fd, "garbage\n", 8) == 8);
  close(fd);
  journal_open_append(&j, path, 0, &err);
  journal_add(&j, &a, x, &s, METRIC_VAL_MSE, NULL, 0);
  journal_flush(&j, &err);
  journal_close(&j);
  CHECK(journal_read(path, &jc, &err) == MLPS_EINPUT);
  CHECK(strstr(err.msg, ":4: corrupt journal line") != NULL);
  remove(path);

  /* aggregation: fold order, sample std, failure, best with ties */
  trial_table tt;
  trials_init(&tt, 3, METRIC_VAL_MSE);
  for (int id = 0; id < 3; id++) trials_set_point(&tt, id, x, s.n);
  task_result r2 = mk(0, 2, 0.3), r1 = mk(0, 1, 0.2), r0 = mk(0, 0, 0.1);
  CHECK(trials_record(&tt, &r2) == 0);
  CHECK(trials_record(&tt, &r0) == 0);
  CHECK(trials_record(&tt, &r0) == -1); /* duplicate ignored */
  CHECK(trials_record(&tt, &r1) == 1);
  CHECK(tt.t[0].state == TRIAL_OK);
  CHECK_CLOSE(tt.t[0].metric_mean, 0.2, 1e-15, 0); /* (0.1+0.2+0.3)/3, fold order */
  CHECK_CLOSE(tt.t[0].metric_std, 0.1, 1e-14, 0);  /* sample std (n-1) */
  CHECK(tt.best == 0);
  for (int f = 0; f < 3; f++) {
    task_result r = mk(1, f, 0.01);
    if (f == 1) r.status = TASK_TIMEOUT;
    trials_record(&tt, &r);
  }
  CHECK(tt.t[1].state == TRIAL_FAILED && strstr(tt.t[1].reason, "fold 1 timeout") != NULL);
  CHECK(tt.best == 0);
  for (int f = 0; f < 3; f++) {
    task_result r = mk(2, f, 0.2);
    trials_record(&tt, &r);
  }
  CHECK(tt.t[2].state == TRIAL_OK);
  CHECK(tt.best == 0 || tt.t[2].metric_mean < tt.t[0].metric_mean);
  trials_free(&tt);
  return TEST_RESULT("sweep_journal");
}
