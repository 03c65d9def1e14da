/* Pruner rules on hand-worked synthetic curves: which report is pruned at
 * which rung or epoch, ties (a value equal to the threshold continues), the
 * first tasks of a rung, fold matching, and hyperband's brackets (the same
 * for a trial on every call, in Hyperband's proportions). */
#include <math.h>
#include <stdio.h>

#include "search/pruner.h"
#include "test_util.h"

static void test_median(void) {
  pruner_options o = {PRUNER_KIND_MEDIAN, 2, 1, 1, 0, 0, 100, 1};
  pruner *p = pruner_create(&o, 2);
  double a[3] = {1.0, 0.8, 0.6}, b[3] = {1.2, 1.0, 0.9};
  pruner_task_done(p, 0, a, 3);
  CHECK(pruner_report(p, 9, 0, 1, 5.0) == 0); /* one finished task < startup_trials 2 */
  pruner_task_done(p, 0, b, 3);
  CHECK(pruner_report(p, 9, 0, 0, 5.0) == 0);  /* epoch 0 < warmup 1 */
  CHECK(pruner_report(p, 9, 0, 1, 0.95) == 1); /* median of {0.8, 1.0} = 0.9 */
  CHECK(pruner_report(p, 9, 0, 1, 0.85) == 0);
  CHECK(pruner_report(p, 9, 0, 1, 0.9) == 0); /* a tie is not worse */
  CHECK(pruner_report(p, 9, 0, 5, 0.8) == 1); /* past their ends: last values {0.6, 0.9} */
  CHECK(pruner_report(p, 9, 0, 5, 0.7) == 0);
  CHECK(pruner_report(p, 9, 1, 1, 99.0) == 0); /* fold 1 has no finished task */
  CHECK(pruner_report(p, 9, 0, 1, NAN) == 0);  /* divergence is not the pruner's */
  pruner_free(p);
  pruner_options oi = {PRUNER_KIND_MEDIAN, 2, 1, 2, 0, 0, 100, 1};
  p = pruner_create(&oi, 1);
  pruner_task_done(p, 0, a, 3);
  pruner_task_done(p, 0, b, 3);
  CHECK(pruner_report(p, 9, 0, 2, 5.0) == 0); /* (2 - 1) % 2: not a decision epoch */
  CHECK(pruner_report(p, 9, 0, 3, 5.0) == 1);
  pruner_free(p);
}

static void test_asha(void) {
  pruner_options o = {PRUNER_KIND_ASHA, 0, 0, 1, 1, 3, 27, 1};
  pruner *p = pruner_create(&o, 2);
  int r[8];
  CHECK(pruner_rungs(p, 0, r, 8) == 3 && r[0] == 1 && r[1] == 3 && r[2] == 9); /* 27 = max: none */
  /* Rung 1 (epoch index 0): the first value continues, then only the best
   * floor(n / 3) (at least the best one). */
  CHECK(pruner_report(p, 0, 0, 0, 0.5) == 0);  /* n 1: it is the best */
  CHECK(pruner_report(p, 1, 0, 0, 0.7) == 1);  /* n 2: 0.7 > best 0.5 */
  CHECK(pruner_report(p, 2, 0, 0, 0.4) == 0);  /* n 3: the best */
  CHECK(pruner_report(p, 3, 0, 0, 0.45) == 1); /* n 4: not the best */
  CHECK(pruner_report(p, 4, 0, 0, 0.6) == 1);  /* n 5 */
  CHECK(pruner_report(p, 5, 0, 0, 0.45) ==
        0);                                   /* n 6: the best 2 are {0.4, 0.45}: a tie continues */
  CHECK(pruner_report(p, 0, 0, 1, 9.0) == 0); /* epoch index 1 is no rung */
  CHECK(pruner_report(p, 0, 0, 2, 0.3) == 0); /* rung 3: first there */
  CHECK(pruner_report(p, 2, 0, 2, 0.35) == 1);  /* rung 3: n 2, not the best */
  CHECK(pruner_report(p, 6, 1, 0, 50.0) == 0);  /* fold 1's rung 1 is empty: first there */
  CHECK(pruner_report(p, 0, 0, 26, 99.0) == 0); /* no rung at max_epochs */
  pruner_free(p);
}

/* Generations: pruner_check decides without recording (the value still
 * ranks against the recorded ones), pruner_record records without deciding;
 * pruner_decides_at names the rungs the workers wait at. */
static void test_check_record(void) {
  pruner_options o = {PRUNER_KIND_ASHA, 0, 0, 1, 1, 3, 27, 1};
  pruner *p = pruner_create(&o, 1);
  CHECK(pruner_decides_at(p, 0, 0) && pruner_decides_at(p, 0, 2) && pruner_decides_at(p, 0, 8));
  CHECK(!pruner_decides_at(p, 0, 1) && !pruner_decides_at(p, 0, 26));
  CHECK(pruner_check(p, 0, 0, 0, 0.9) == 0); /* nothing recorded: alone, the best */
  CHECK(pruner_check(p, 1, 0, 0, 0.8) == 0); /* ... still nothing recorded */
  pruner_record(p, 0, 0, 0, 0.5);
  pruner_record(p, 1, 0, 0, 0.6);
  pruner_record(p, 2, 0, 0, 0.7);
  pruner_record(p, 3, 0, 1, 0.1); /* no rung: ignored */
  /* recorded {0.5, 0.6, 0.7}; with the checked value n = 4, floor(4/3) = 1 */
  CHECK(pruner_check(p, 4, 0, 0, 0.55) == 1);
  CHECK(pruner_check(p, 5, 0, 0, 0.5) == 0); /* ties the best */
  CHECK(pruner_check(p, 6, 0, 0, 0.45) == 0);
  CHECK(pruner_check(p, 7, 0, 0, 0.55) == 1); /* checks left no record: the same answer */
  pruner_options m = {PRUNER_KIND_MEDIAN, 0, 0, 1, 0, 0, 100, 1};
  pruner *q = pruner_create(&m, 1);
  CHECK(!pruner_decides_at(q, 0, 5)); /* the median may decide at any epoch */
  double a[2] = {1.0, 0.5};
  pruner_task_done(q, 0, a, 2);
  CHECK(pruner_check(q, 1, 0, 1, 0.6) == 1 && pruner_check(q, 1, 0, 1, 0.4) == 0);
  pruner_free(p);
  pruner_free(q);
}

static void test_hyperband(void) {
  pruner_options o = {PRUNER_KIND_HYPERBAND, 0, 0, 1, 1, 3, 27, 42};
  pruner *p = pruner_create(&o, 1), *q = pruner_create(&o, 1);
  /* s_max = 3: brackets with first rungs 1, 3, 9 and one that never prunes;
   * Hyperband runs 27, 12, 6 and 4 trials in them. */
  int count[4] = {0, 0, 0, 0}, same = 1;
  for (int t = 0; t < 4900; t++) {
    int b = pruner_bracket(p, t);
    if (b < 0 || b > 3) {
      CHECK(0);
      continue;
    }
    count[b]++;
    same &= b == pruner_bracket(q, t);
  }
  CHECK(same); /* a function of (seed, trial) */
  const double want[4] = {27, 12, 6, 4};
  for (int b = 0; b < 4; b++) CHECK_CLOSE(count[b], 100 * want[b], 0.15, 0);
  /* each bracket's own rungs; the last bracket never prunes */
  int seen[4] = {0, 0, 0, 0};
  for (int t = 0; t < 200; t++) {
    int b = pruner_bracket(p, t), r[8], n = pruner_rungs(p, t, r, 8);
    if (seen[b]++) continue;
    if (b == 0) CHECK(n == 3 && r[0] == 1);
    if (b == 1) CHECK(n == 2 && r[0] == 3 && r[1] == 9);
    if (b == 2) CHECK(n == 1 && r[0] == 9);
    if (b == 3) {
      CHECK(n == 0);
      for (int e = 0; e < 27; e++) CHECK(pruner_report(p, t, 0, e, 1e9) == 0);
    }
  }
  for (int b = 0; b < 4; b++) CHECK(seen[b] > 0);
  pruner_free(p);
  pruner_free(q);
}

int main(void) {
  pruner_options none = {PRUNER_KIND_NONE, 0, 0, 1, 1, 3, 10, 1};
  CHECK(pruner_create(&none, 3) == NULL);
  CHECK(pruner_report(NULL, 0, 0, 5, 1.0) == 0);
  test_median();
  test_asha();
  test_hyperband();
  test_check_record();
  return TEST_RESULT("search_pruner");
}
