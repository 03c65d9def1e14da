/* The coordinator (rank 0) of the sweep (see sweep.h, PROTOCOL.md).
 *
 * Rank 0 drains every message that has arrived (MPI_Improbe + MPI_Mrecv, so
 * a message is received from exactly the source and tag probed), dispatches
 * it through a table of handlers indexed by tag, makes the finished tasks
 * of that batch durable with one write+fsync of the journal, counts them,
 * then hands tasks to idle workers. When nothing arrived it sleeps with
 * exponential back-off (idle.h) so that waiting costs no core. With one
 * rank it runs the tasks itself. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sweep/idle.h"
#include "sweep/sweep_internal.h"
#include "util/agree.h"
#include "util/clock.h"

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

void q_push(coord *c, int32_t trial, int32_t fold) {
  if (c->q_len == c->q_cap) {
    int cap = c->q_cap ? 2 * c->q_cap : 256;
    int32_t *q = mlps_xmalloc((size_t)cap * 2 * sizeof *q);
    for (int i = 0; i < c->q_len; i++) {
      int k = (c->q_head + i) % c->q_cap;
      q[2 * i] = c->q[2 * k];
      q[2 * i + 1] = c->q[2 * k + 1];
    }
    free(c->q);
    c->q = q;
    c->q_cap = cap;
    c->q_head = 0;
  }
  int k = (c->q_head + c->q_len) % c->q_cap;
  c->q[2 * k] = trial;
  c->q[2 * k + 1] = fold;
  c->q_len++;
}

static int q_pop(coord *c, int32_t *trial, int32_t *fold) {
  if (!c->q_len) return 0;
  *trial = c->q[2 * c->q_head];
  *fold = c->q[2 * c->q_head + 1];
  c->q_head = (c->q_head + 1) % c->q_cap;
  c->q_len--;
  return 1;
}

static void enter_stopping(coord *c, int rc);

static int any_pending(const coord *c) {
  for (int i = 0; i < c->tt.n; i++)
    if (c->tt.t[i].state == TRIAL_PENDING) return 1;
  return 0;
}

/* max_seconds, over every start of the sweep, is spent. */
static int budget_spent(coord *c) {
  const sweep_opts *o = c->o;
  if (c->st.budget_spent) return 1;
  if (!(o->max_seconds > 0) ||
      c->st.wall_seconds_before + (mlps_now() - c->t_setup) < o->max_seconds)
    return 0;
  c->st.budget_spent = 1;
  c->propose_done = 1;
  c->q_len = 0;
  progress_message(&c->pg, 1,
                   "sweep: search.max_seconds (%g s over every start) is spent: no new task "
                   "starts; running tasks finish, then the sweep ends",
                   o->max_seconds);
  return 1;
}

/* Next task to hand out: from the queue, else from a newly proposed trial.
 * Returns 1 with *t filled, 0 when there is none right now. */
static int next_task(coord *c, sweep_task *t) {
  const sweep_opts *o = c->o;
  int32_t trial, fold;
  if (budget_spent(c)) return 0;
  for (;;) {
    if (q_pop(c, &trial, &fold)) {
      /* Folds of a pruned trial never start (see sweep_opts.judge). */
      if (trials_fold_cancelled(&c->tt, &c->tt.t[trial], fold)) continue;
      break;
    }
    if (c->propose_done || c->propose_wait || c->rc) return 0;
    int id = c->next_trial;
    if (id >= o->max_trials) {
      c->propose_done = 1;
      return 0;
    }
    if (id < c->tt.n && c->tt.t[id].state != TRIAL_UNSEEN) { /* known from the journal */
      c->next_trial++;
      continue;
    }
    sweep_history h = {c->tt.t, c->tt.n, c->tt.n_folds, o->metric, c->tt.best};
    double x[SPACE_MAX_PARAMS] = {0};
    propose_status ps = o->propose(o->propose_user, id, &h, x, c->err);
    if (ps == PROPOSE_OK) {
      trials_set_point(&c->tt, id, x, o->space->n);
      for (int f = 0; f < o->n_folds; f++) q_push(c, id, f);
      c->next_trial++;
    } else if (ps == PROPOSE_WAIT) {
      if (!any_pending(c)) {
        mlps_errorf(c->err, MLPS_ERUNTIME,
                    "sweep: the sampler is waiting for pending trials before proposing trial "
                    "%d, but no trial is pending (it would wait forever)",
                    id);
        enter_stopping(c, MLPS_ERUNTIME);
        return 0;
      }
      c->propose_wait = 1;
      return 0;
    } else if (ps == PROPOSE_DONE) {
      c->propose_done = 1;
      return 0;
    } else {
      if (!c->err->code)
        mlps_errorf(c->err, MLPS_ERUNTIME, "sweep: the sampler failed at trial %d", id);
      enter_stopping(c, c->err->code ? c->err->code : MLPS_ERUNTIME);
      return 0;
    }
  }
  c->tt.t[trial].n_running++;
  memset(t, 0, sizeof *t);
  t->trial = trial;
  t->fold = fold;
  t->n_params = o->space->n;
  t->seed = sweep_task_seed(o->seed, trial, fold);
  memcpy(t->x, c->tt.t[trial].x, sizeof t->x);
  return 1;
}

/* Makes the batch durable (one write + fsync), then counts it. */
static int commit_batch(coord *c) {
  const sweep_opts *o = c->o;
  if (!c->n_batch) return MLPS_OK;
  sweep_orphan_check(); /* an orphan must not append to a journal a resume may own */
  for (int i = 0; i < c->n_batch; i++) {
    const task_result *r = &c->batch[i];
    const sweep_trial *t = &c->tt.t[r->trial];
    journal_add(&c->j, r, t->x, o->space, o->metric, t->curves[r->fold], t->n_curve[r->fold]);
  }
  int rc = journal_flush(&c->j, c->err);
  if (rc) {
    c->n_batch = 0;
    enter_stopping(c, rc);
    return rc;
  }
  for (int i = 0; i < c->n_batch; i++) {
    const task_result *r = &c->batch[i];
    c->tt.t[r->trial].n_running--;
    int done = trials_record(&c->tt, r);
    if (done < 0) continue; /* cannot happen: each task is handed out once */
    if (done == 1) c->propose_wait = 0;
    c->tasks_done++;
    c->st.n_tasks_run++;
    if (r->status == TASK_OK) c->st.n_tasks_ok++;
    else c->st.n_tasks_not_ok++;
    c->st.n_tasks_pruned += r->status == TASK_PRUNED;
    const sweep_trial *t = &c->tt.t[r->trial];
    progress_task(&c->pg, r, o->metric, o->space, t->x);
    if (o->task_done && !c->rc &&
        o->task_done(o->task_done_user, r, t->x, t->curves[r->fold], t->n_curve[r->fold], 0,
                     c->err))
      enter_stopping(c, c->err->code ? c->err->code : MLPS_ERUNTIME);
  }
  c->n_batch = 0;
  progress_update(&c->pg, &c->tt, o->space, c->tasks_done, 0);
  return MLPS_OK;
}

static void batch_add(coord *c, const task_result *r) {
  if (c->n_batch == c->cap_batch) {
    c->cap_batch = c->cap_batch ? 2 * c->cap_batch : 64;
    c->batch = mlps_xrealloc(c->batch, (size_t)c->cap_batch * sizeof *c->batch);
  }
  c->batch[c->n_batch++] = *r;
}

static void post(coord *c, int dest, int slot, int tag, const void *m, int n) {
  worker_info *w = &c->w[dest];
  void *buf = slot == SLOT_TASK      ? (void *)&w->task
              : slot == SLOT_STOP    ? (void *)&w->stop
              : slot == SLOT_VERDICT ? (void *)&w->verdict
                                     : (void *)&w->shutdown;
  if (w->req[slot] != MPI_REQUEST_NULL) MPI_Wait(&w->req[slot], MPI_STATUS_IGNORE);
  memcpy(buf, m, (size_t)n);
  MPI_Isend(buf, n, MPI_BYTE, dest, tag, c->comm, &w->req[slot]);
}

static void enter_stopping(coord *c, int rc) {
  if (!c->rc) c->rc = rc;
  if (c->stopping) return;
  c->stopping = 1;
  c->stop_t0 = mlps_now();
  msg_stop m = {rc == SWEEP_EXIT_STOPPED ? 0 : 1};
  for (int r = 1; r < c->size; r++)
    if (c->w[r].state == W_BUSY) post(c, r, SLOT_STOP, TAG_STOP, &m, sizeof m);
}

/* ---- coordinator handlers: one per message type a worker sends ------- */

typedef int (*coord_handler)(coord *c, int src, MPI_Message *msg);

static int on_work_request(coord *c, int src, MPI_Message *msg) {
  msg_work_request m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  if (c->w[src].state == W_STARTING) c->w[src].state = W_IDLE;
  return MLPS_OK;
}

/* ---- pruning ---------------------------------------------------------- */

/* Tells the task on worker r (0: rank 0's own task) that it is pruned, by
 * fold `by`'s judgement at `rung` epochs with `value`. */
static void prune_worker(coord *c, int r, int by, int rung, double value) {
  worker_info *w = r ? &c->w[r] : &c->single;
  if (w->prune_fold >= 0) return; /* told already */
  w->prune_fold = by;
  w->prune_rung = rung;
  w->prune_value = value;
  if (!r) {
    stop_task_prune();
    return;
  }
  msg_verdict v = {w->trial, w->fold, -1, 1};
  post(c, r, SLOT_VERDICT, TAG_VERDICT, &v, sizeof v);
}

/* Fold `fold` of `trial` was judged pruned: the trial is. Its other running
 * folds are stopped (only those above it with prune_in_fold_order); its
 * queued folds are skipped when popped (trials_fold_cancelled). */
static void prune_trial(coord *c, int trial, int fold, int rung, double value) {
  sweep_trial *t = &c->tt.t[trial];
  if (t->live_prune_fold < 0 || fold < t->live_prune_fold) t->live_prune_fold = fold;
  if (c->size == 1) {
    prune_worker(c, 0, fold, rung, value);
    return;
  }
  for (int r = 1; r < c->size; r++) {
    const worker_info *w = &c->w[r];
    if (w->state == W_BUSY && w->trial == trial &&
        (w->fold == fold || trials_fold_cancelled(&c->tt, t, w->fold)))
      prune_worker(c, r, fold, rung, value);
  }
}

/* The result of a task the coordinator pruned: journaled as pruned with
 * the judgement that did it. A task that ended otherwise before it heard
 * the verdict is pruned all the same when the judgement was its own (the
 * decision stands: its siblings are cancelled already); a sibling that
 * ended first keeps its own outcome. */
static void apply_prune(const worker_info *w, task_result *m) {
  if (w->prune_fold < 0) {
    if (m->status == TASK_PRUNED) m->status = TASK_STOPPED; /* not by us: cannot be */
    return;
  }
  int own = w->prune_fold == m->fold;
  if (!own && m->status != TASK_PRUNED && m->status != TASK_STOPPED) return;
  m->status = TASK_PRUNED;
  m->prune_fold = w->prune_fold;
  m->rung = w->prune_rung;
  m->pruned_value = w->prune_value;
  if (own)
    snprintf(m->reason, sizeof m->reason, "pruned after %d epochs (value %.6g)", w->prune_rung,
             w->prune_value);
  else
    snprintf(m->reason, sizeof m->reason, "stopped: fold %d of its trial was pruned",
             w->prune_fold);
}

void coord_epoch(coord *c, int src, const epoch_report *e) {
  const sweep_opts *o = c->o;
  trials_add_epoch(&c->tt, e);
  worker_info *w = src ? &c->w[src] : &c->single;
  int mine = w->state == W_BUSY && w->trial == e->trial && w->fold == e->fold;
  if (mine && o->judge && w->prune_fold < 0) {
    double value = NAN;
    if (o->judge(o->judge_user, e, &value)) prune_trial(c, e->trial, e->fold, e->epoch + 1, value);
  }
  /* A waiting worker gets an answer, unless a prune verdict (which answers
   * it) went out already. */
  if (src && e->wait && !(mine && w->prune_fold >= 0)) {
    msg_verdict v = {e->trial, e->fold, e->epoch, 0};
    post(c, src, SLOT_VERDICT, TAG_VERDICT, &v, sizeof v);
  }
}

static int on_epoch(coord *c, int src, MPI_Message *msg) {
  msg_epoch m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  coord_epoch(c, src, &m);
  return MLPS_OK;
}

static int on_result(coord *c, int src, MPI_Message *msg) {
  msg_result m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  worker_info *w = &c->w[src];
  if (w->state != W_BUSY || w->trial != m.trial || w->fold != m.fold)
    return mlps_errorf(c->err, MLPS_ERUNTIME,
                       "sweep: protocol error: rank %d returned trial %d fold %d, which it was "
                       "not running",
                       src, m.trial, m.fold);
  w->state = W_IDLE; /* a result also asks for the next task */
  c->in_flight--;
  m.rank = src;
  apply_prune(w, &m);
  if (m.status == TASK_STOPPED) {
    c->tt.t[m.trial].n_running--; /* never recorded */
    /* Abandoned: not journaled, redone on resume. A worker that stops on
     * its own got a signal the coordinator may not have: stop everything. */
    if (!c->stopping) {
      stop_note_signal(strcmp(m.reason, "SIGINT") == 0 ? SIGINT : SIGTERM);
      progress_message(&c->pg, 1, "sweep: rank %d stopped its task on a signal; stopping the sweep",
                       src);
      enter_stopping(c, SWEEP_EXIT_STOPPED);
    }
    return MLPS_OK;
  }
  batch_add(c, &m);
  return MLPS_OK;
}

static const coord_handler COORD_HANDLERS[TAG_END_] = {
    [TAG_WORK_REQUEST] = on_work_request,
    [TAG_EPOCH] = on_epoch,
    [TAG_RESULT] = on_result,
};

/* Hands tasks to idle workers; sends shutdown to idle workers when nothing
 * is left for them. Returns the number of messages sent. */
static int schedule(coord *c, int queue_only) {
  int sent = 0;
  for (int r = 1; r < c->size; r++) {
    worker_info *w = &c->w[r];
    if (w->state != W_IDLE) continue;
    sweep_task t;
    if (queue_only && c->q_len == 0) break;
    if (!c->stopping && next_task(c, &t)) {
      post(c, r, SLOT_TASK, TAG_TASK, &t, sizeof t);
      w->state = W_BUSY;
      w->trial = t.trial;
      w->fold = t.fold;
      w->prune_fold = -1;
      c->in_flight++;
      sent++;
      continue;
    }
    if (queue_only) continue;
    /* Nothing to give: shut the worker down if nothing can come later. */
    int finished = c->stopping || (c->propose_done && c->q_len == 0);
    if (finished) {
      /* Make pending results durable first, so that a journal error still
       * reaches this worker as its return code. */
      if (c->n_batch) commit_batch(c);
      msg_shutdown m = {c->rc};
      post(c, r, SLOT_SHUTDOWN, TAG_SHUTDOWN, &m, sizeof m);
      w->state = W_DONE;
      sent++;
    }
  }
  return sent;
}

static int all_done(const coord *c) {
  for (int r = 1; r < c->size; r++)
    if (c->w[r].state != W_DONE) return 0;
  return 1;
}

static void coord_loop_mpi(coord *c) {
  /* The coordinator does not spin: it would burn ~SPIN_NS per message
   * (epoch reports included) for little gain once workers answer fast. */
  idle_wait iw = {0, 0, 0, 0};
  idle_reset(&iw);
  double last_commit = mlps_now();
  while (!all_done(c)) {
    sweep_orphan_check();
    int got = 0, urgent = 0;
    for (; got < DRAIN_MAX; got++) {
      int flag = 0;
      MPI_Message msg;
      MPI_Status st;
      MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->comm, &flag, &msg, &st);
      if (!flag) break;
      c->st.n_messages++;
      int tag = st.MPI_TAG;
      urgent += tag != TAG_EPOCH;
      coord_handler h = tag > 0 && tag < TAG_END_ ? COORD_HANDLERS[tag] : NULL;
      if (!h) {
        char junk;
        MPI_Mrecv(&junk, 0, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
        mlps_errorf(c->err, MLPS_ERUNTIME, "sweep: protocol error: unexpected tag %d from rank %d",
                    tag, st.MPI_SOURCE);
        enter_stopping(c, MLPS_ERUNTIME);
        continue;
      }
      if (h(c, st.MPI_SOURCE, &msg)) enter_stopping(c, MLPS_ERUNTIME);
    }
    /* Idle workers get queued tasks before the journal's fsync, which is
     * then off their critical path; new trials are proposed after it, so
     * the sampler sees the finished tasks of this batch. */
    if (stop_signalled() && !c->stopping) enter_stopping(c, SWEEP_EXIT_STOPPED);
    int sent = schedule(c, 1);
    double since = mlps_now() - last_commit;
    if (c->n_batch && (c->stopping || c->n_batch >= COMMIT_MAX_BATCH || since >= COMMIT_EVERY_S ||
                       (got == 0 && since >= COMMIT_IDLE_S))) {
      commit_batch(c);
      last_commit = mlps_now();
    }
    if (stop_signalled() && !c->stopping) enter_stopping(c, SWEEP_EXIT_STOPPED);
    sent += schedule(c, 0);
    if (c->stopping && c->in_flight > 0 && mlps_now() - c->stop_t0 > c->o->stop_grace) {
      progress_message(&c->pg, 0,
                       "sweep: %d task(s) still running %.0f s after the stop; aborting them "
                       "(everything finished is in %s; rerun with --resume)",
                       c->in_flight, c->o->stop_grace, c->journal_path);
      MPI_Abort(c->comm, c->rc ? c->rc : SWEEP_EXIT_STOPPED);
    }
    /* Epoch reports need no answer: they do not reset the back-off, or a
     * stream of them would keep the coordinator polling at 50 us. */
    if (urgent || sent) idle_reset(&iw);
    else if (!got) idle_pause(&iw);
    else sleep_ns(iw.backoff);
  }
  commit_batch(c); /* results that came with the last workers' shutdown */
  for (int r = 1; r < c->size; r++) MPI_Waitall(SLOT_COUNT, c->w[r].req, MPI_STATUSES_IGNORE);
}

static void coord_loop_single(coord *c) {
  const sweep_opts *o = c->o;
  sweep_task t;
  sweep_ctx ctx;
  while (!stop_signalled() && !c->stopping && next_task(c, &t)) {
    memset(&ctx, 0, sizeof ctx);
    ctx.c = c;
    ctx.comm = MPI_COMM_NULL;
    ctx.trial = t.trial;
    ctx.fold = t.fold;
    worker_info *w = &c->single;
    w->state = W_BUSY;
    w->trial = t.trial;
    w->fold = t.fold;
    w->prune_fold = -1;
    task_result r;
    stop_task_begin(t.trial, t.fold);
    run_task(o, &t, &ctx, 0, &r);
    stop_task_end();
    w->state = W_IDLE;
    apply_prune(w, &r);
    if (r.status == TASK_STOPPED) break; /* redone on resume */
    batch_add(c, &r);
    if (commit_batch(c)) break;
  }
  if (stop_signalled() && !c->stopping) enter_stopping(c, SWEEP_EXIT_STOPPED);
}

static void fill_stats(coord *c) {
  sweep_stats *s = &c->st;
  s->n_trials_ok = s->n_trials_failed = s->n_trials_pending = s->n_trials_pruned = 0;
  for (int i = 0; i < c->tt.n; i++) {
    s->n_trials_ok += c->tt.t[i].state == TRIAL_OK;
    s->n_trials_failed += c->tt.t[i].state == TRIAL_FAILED;
    s->n_trials_pending += c->tt.t[i].state == TRIAL_PENDING;
    s->n_trials_pruned += c->tt.t[i].state == TRIAL_PRUNED;
  }
  s->best_trial = c->tt.best;
  s->best_metric = c->tt.best >= 0 ? c->tt.t[c->tt.best].metric_mean : NAN;
  s->tasks_per_second = s->wall_seconds > 0 ? s->n_tasks_run / s->wall_seconds : 0;
}

int coordinator(const sweep_opts *o, MPI_Comm comm, int size, sweep_result **out, mlps_err *err) {
  coord *c = mlps_xcalloc(1, sizeof *c);
  c->o = o;
  c->comm = comm;
  c->size = size;
  c->err = err;
  c->j.fd = -1;
  c->lock.fd = -1;
  trials_init(&c->tt, o->n_folds, o->metric);
  c->tt.fold_order = o->prune_in_fold_order;
  c->w = mlps_xcalloc((size_t)size, sizeof *c->w);
  for (int r = 0; r < size; r++)
    for (int k = 0; k < SLOT_COUNT; k++) c->w[r].req[k] = MPI_REQUEST_NULL;
  progress_init(&c->pg, o->log, o->verbosity, o->progress_interval, 0, 0); /* setup messages */
  int rc = coord_setup(c);
  /* Tell the workers whether to start (with the message, so that every
   * rank returns the same code and text). */
  rc = mpi_agree(comm, rc, err);
  if (rc) {
    journal_close(&c->j);
    outdir_lock_release(&c->lock);
    trials_free(&c->tt);
    free(c->w);
    free(c);
    return rc;
  }
  progress_init(&c->pg, o->log, o->verbosity, o->progress_interval, o->max_trials * o->n_folds,
                c->tasks_done);
  c->pg.show_pruned = o->judge != NULL;
  double t0 = mlps_now(), cpu0 = cpu_seconds();
  if (size == 1) coord_loop_single(c);
  else coord_loop_mpi(c);
  c->st.wall_seconds = mlps_now() - t0;
  c->st.wall_seconds_total = c->st.wall_seconds_before + (mlps_now() - c->t_setup);
  c->st.coord_cpu_seconds = cpu_seconds() - cpu0;
  c->st.stopped = c->rc == SWEEP_EXIT_STOPPED;
  rc = c->rc;
  journal_close(&c->j);
  progress_update(&c->pg, &c->tt, o->space, c->tasks_done, 1);
  progress_finish(&c->pg);
  char csv[MLPS_PATH_MAX];
  mlps_err cerr = {0, ""};
  if ((path_join(csv, sizeof csv, o->out_dir, "trials.csv", &cerr) ||
       trials_write_csv(&c->tt, o->space, csv, &cerr)) &&
      !rc) {
    *err = cerr;
    rc = cerr.code;
  }
  fill_stats(c);
  sweep_stats *s = &c->st;
  if (rc == SWEEP_EXIT_STOPPED) {
    progress_message(&c->pg, 0,
                     "sweep: stopped by %s: %d of %d tasks done (%d this run); every finished "
                     "task is in %s. To continue, rerun the same command with --resume "
                     "(exit code %d)",
                     sweep_stop_signal_name(), c->tasks_done, o->max_trials * o->n_folds,
                     s->n_tasks_run, c->journal_path, SWEEP_EXIT_STOPPED);
    mlps_errorf(err, SWEEP_EXIT_STOPPED, "sweep stopped by %s; rerun with --resume",
                sweep_stop_signal_name());
    char why[256];
    snprintf(why, sizeof why,
             "stopped by %s during the sweep: %d of %d tasks done; rerun with "
             "--resume",
             sweep_stop_signal_name(), c->tasks_done, o->max_trials * o->n_folds);
    mlps_err merr = {0, ""};
    if (outdir_mark_stopped(o->out_dir, why, &merr))
      progress_message(&c->pg, 0, "sweep: warning: %s", merr.msg);
  } else if (rc == MLPS_OK) {
    char params[256] = "";
    if (s->best_trial >= 0)
      trials_params_line(o->space, c->tt.t[s->best_trial].x, params, sizeof params);
    progress_message(&c->pg, 1,
                     "sweep: done: %d tasks (%d this run, %d from the journal), trials %d ok / %d "
                     "failed / %d pruned; best %s %.6g (trial %d: %s); wall %.2f s, coordinator "
                     "CPU %.1f%% of wall",
                     c->tasks_done, s->n_tasks_run, s->n_tasks_resumed, s->n_trials_ok,
                     s->n_trials_failed, s->n_trials_pruned, METRIC_NAMES[o->metric],
                     s->best_metric, s->best_trial, params, s->wall_seconds,
                     s->wall_seconds > 0 ? 100 * s->coord_cpu_seconds / s->wall_seconds : 0.0);
  }
  if (out) {
    sweep_result *res = mlps_xcalloc(1, sizeof *res);
    res->trials = c->tt.t;
    res->n_trials = c->tt.n;
    res->n_folds = o->n_folds;
    res->metric = o->metric;
    res->stats = c->st;
    c->tt.t = NULL;
    c->tt.n = 0;
    *out = res;
  }
  outdir_lock_release(&c->lock);
  trials_free(&c->tt);
  free(c->q);
  free(c->batch);
  free(c->w);
  free(c);
  return rc;
}
