/* sweep_run's callback contract, run under mpiexec (np 1 and 3): the
 * proposer's DONE / WAIT / ERROR answers, the history it sees (pending
 * trials), the task_done hook firing only once the task's journal line is
 * on disk, learning curves in the result, a failing callback recorded as a
 * failed task, and every rank returning the same code. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_test.h"
#include "sweep/sweep.h"
#include "sweep/synth.h"

static search_space g_space;

typedef struct {
  int mode; /* 0 plain, 1 done after 5, 2 error at 3, 3 wait with nothing pending */
  int asked;
  int max_pending; /* most PENDING trials seen in one history */
  int saw_unseen;  /* a trial below the asked id was UNSEEN (must not happen) */
} prop_state;

static propose_status prop(void *user, int trial, const sweep_history *h, double *x,
                           mlps_err *err) {
  prop_state *p = user;
  p->asked++;
  int pending = 0;
  for (int i = 0; i < h->n; i++) {
    pending += h->trials[i].state == TRIAL_PENDING;
    if (i < trial && h->trials[i].state == TRIAL_UNSEEN) p->saw_unseen = 1;
  }
  if (pending > p->max_pending) p->max_pending = pending;
  if (p->mode == 1 && trial >= 5) return PROPOSE_DONE;
  if (p->mode == 2 && trial == 3) {
    mlps_errorf(err, MLPS_ERUNTIME, "test sampler: cannot propose trial %d", trial);
    return PROPOSE_ERROR;
  }
  if (p->mode == 3 && trial == 2) return PROPOSE_WAIT;
  for (int i = 0; i < g_space.n; i++)
    x[i] = g_space.p[i].dist == DIST_CATEGORICAL ? trial % 3 : trial + 0.5;
  return PROPOSE_OK;
}

static int task(void *user, const sweep_task *t, sweep_ctx *ctx, task_result *r) {
  (void)user;
  if (t->trial == 1 && t->fold == 1) return 7; /* callback failure */
  for (int e = 0; e < 4; e++) sweep_report_epoch(ctx, e, 1.0 / (e + 1), 2.0 / (e + 1), 1e-3);
  r->status = TASK_OK;
  r->metrics[0] = t->trial + 0.1 * t->fold;
  r->metrics[1] = r->metrics[2] = 0;
  r->epochs = 4;
  r->best_epoch = 3;
  return 0;
}

typedef struct {
  const char *journal;
  int calls, missing;
} hook_state;

/* The hook must only see tasks whose line is already in the file. */
static int hook(void *user, const task_result *r, const double *x, const epoch_report *curve,
                int n_curve, int replayed, mlps_err *err) {
  (void)x, (void)err;
  if (replayed) return 0;
  hook_state *h = user;
  h->calls++;
  char want[64], line[8192];
  snprintf(want, sizeof want, "{\"trial\":%d,\"fold\":%d,", r->trial, r->fold);
  FILE *f = fopen(h->journal, "r");
  int found = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, want, strlen(want)) == 0) found = 1;
  if (f) fclose(f);
  if (!found) h->missing++;
  if (r->status == TASK_OK && (n_curve != 4 || curve[3].epoch != 3)) h->missing += 100;
  return 0;
}

static int run(int mode, const char *tag, int max_trials, prop_state *ps, hook_state *hs,
               sweep_result **res, mlps_err *err) {
  static char dir[4096], journal[4200];
  const char *tmp = getenv("MLPS_TMP");
  long pid = (long)getpid();
  MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  snprintf(dir, sizeof dir, "%s/sweep_api_np%d_%s_%ld", tmp ? tmp : "/tmp", mt_size, tag, pid);
  snprintf(journal, sizeof journal, "%s/trials.jsonl", dir);
  memset(ps, 0, sizeof *ps);
  ps->mode = mode;
  memset(hs, 0, sizeof *hs);
  hs->journal = journal;
  sweep_opts o;
  sweep_opts_init(&o);
  o.out_dir = dir;
  o.config_text = tag;
  o.space = &g_space;
  o.n_folds = 2;
  o.max_trials = max_trials;
  o.verbosity = 0;
  o.task = task;
  o.propose = prop;
  o.propose_user = ps;
  o.task_done = hook;
  o.task_done_user = hs;
  return sweep_run(&o, res, err);
}

/* Every rank must return the same code. */
static void check_same_everywhere(int rc) {
  int lo, hi;
  MPI_Allreduce(&rc, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&rc, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  CHECK(lo == hi);
}

int main(int argc, char **argv) {
  mpi_test_init(&argc, &argv);
  synth_space(&g_space);
  prop_state ps;
  hook_state hs;
  mlps_err err;
  sweep_result *res = NULL;

  /* plain: 6 trials x 2 folds; trial 1 fails through its fold 1 */
  int rc = run(0, "plain", 6, &ps, &hs, &res, &err);
  check_same_everywhere(rc);
  CHECK(rc == MLPS_OK);
  if (mt_rank == 0) {
    CHECK(res != NULL);
    CHECK(hs.calls == 12 && hs.missing == 0);
    CHECK(ps.asked == 6 && !ps.saw_unseen);
    if (res) {
      CHECK(res->n_trials == 6 && res->stats.n_trials_ok == 5 && res->stats.n_trials_failed == 1);
      CHECK(res->trials[1].state == TRIAL_FAILED);
      CHECK(strstr(res->trials[1].reason, "fold 1 failed: task callback returned 7") != NULL);
      CHECK(res->stats.best_trial == 0);
      CHECK_CLOSE(res->trials[2].metric_mean, 2.05, 1e-15, 0); /* (2.0 + 2.1) / 2 */
      CHECK(res->trials[0].n_curve[1] == 4 && res->trials[0].curves[1][2].val_loss == 1.0 / 3);
    }
  } else {
    CHECK(res == NULL);
  }
  sweep_result_free(res);

  /* the proposer ends the sweep early */
  rc = run(1, "done", 100, &ps, &hs, &res, &err);
  check_same_everywhere(rc);
  CHECK(rc == MLPS_OK);
  if (mt_rank == 0 && res) CHECK(res->n_trials == 5 && hs.calls == 10);
  sweep_result_free(res);

  /* a proposer error stops the sweep with its message, same code everywhere */
  rc = run(2, "error", 10, &ps, &hs, &res, &err);
  check_same_everywhere(rc);
  CHECK(rc == MLPS_ERUNTIME);
  if (mt_rank == 0) CHECK(strstr(err.msg, "cannot propose trial 3") != NULL);
  sweep_result_free(res);

  /* WAIT: fine while trials are pending (np > 1: the workers idle until
   * trials 0 and 1 finish... then the proposer still says WAIT with nothing
   * pending, which must be an error, not a hang) */
  rc = run(3, "wait", 10, &ps, &hs, &res, &err);
  check_same_everywhere(rc);
  CHECK(rc == MLPS_ERUNTIME);
  if (mt_rank == 0) {
    CHECK(strstr(err.msg, "would wait forever") != NULL);
    CHECK(hs.calls == 4); /* trials 0 and 1 finished and were journaled */
  }
  sweep_result_free(res);

  return mpi_test_finish("sweep_api");
}
