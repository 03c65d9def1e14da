/* Workers of the sweep (ranks >= 1): wait for a task, run it through the
 * task callback, stream its epochs and return its result, until the
 * coordinator shuts them down (see PROTOCOL.md). Also the task runner that
 * the single-rank coordinator uses. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sweep/idle.h"
#include "sweep/sweep_internal.h"
#include "util/clock.h"

/* Runs the task callback and fills the framework's fields of the result. */
void run_task(const sweep_opts *o, const sweep_task *t, sweep_ctx *ctx, int rank, task_result *r) {
  memset(r, 0, sizeof *r);
  r->trial = t->trial;
  r->fold = t->fold;
  r->best_epoch = -1;
  for (int m = 0; m < METRIC_COUNT; m++) r->metrics[m] = NAN;
  double t0 = mlps_now();
  ctx->wait_seconds = 0;
  int rc = o->task(o->task_user, t, ctx, r);
  r->seconds = mlps_now() - t0;
  r->wait_seconds = ctx->wait_seconds;
  r->trial = t->trial;
  r->fold = t->fold;
  r->rank = rank;
  r->reason[SWEEP_REASON_MAX - 1] = '\0';
  /* A pruned task stops through the same question as a stopped one. */
  if (stop_task_pruned() && r->status == TASK_STOPPED) r->status = TASK_PRUNED;
  if (r->status == TASK_STOPPED && stop_signalled())
    snprintf(r->reason, sizeof r->reason, "%s", sweep_stop_signal_name());
  if (rc != 0 && r->status == TASK_OK) {
    r->status = TASK_FAILED;
    if (!r->reason[0]) snprintf(r->reason, sizeof r->reason, "task callback returned %d", rc);
  }
  if (r->status < 0 || r->status >= TASK_STATUS_COUNT) r->status = TASK_FAILED;
}

/* Sends (or, with one rank, hands over) one epoch report. */
static void report(sweep_ctx *ctx, int epoch, double val_loss, double train_loss, double lr,
                   int wait) {
  epoch_report e = {ctx->trial, ctx->fold, epoch, wait, val_loss, train_loss, lr};
  if (ctx->c) {
    e.wait = 0; /* the judge answers at once */
    coord_epoch(ctx->c, 0, &e);
    return;
  }
  int k = ctx->next++ % EPOCH_SLOTS;
  if (ctx->req[k] != MPI_REQUEST_NULL) MPI_Wait(&ctx->req[k], MPI_STATUS_IGNORE);
  ctx->buf[k] = e;
  MPI_Isend(&ctx->buf[k], sizeof e, MPI_BYTE, 0, TAG_EPOCH, ctx->comm, &ctx->req[k]);
}

void sweep_report_epoch(sweep_ctx *ctx, int epoch, double val_loss, double train_loss, double lr) {
  report(ctx, epoch, val_loss, train_loss, lr, 0);
}

/* sweep_report_epoch_wait's wait for the verdict on its report of epoch. */
static int await_verdict(sweep_ctx *ctx, int epoch) {
  /* The answer comes within the coordinator's back-off nap: poll as a
   * worker awaiting its next task does (spin briefly, then short naps). */
  idle_wait iw = {0, 0, 0.02, 1e-9 * SPIN_NS};
  idle_reset(&iw);
  for (;;) {
    if (stop_signalled()) return 1;
    int flag = 0;
    MPI_Message msg;
    MPI_Status st;
    MPI_Improbe(0, MPI_ANY_TAG, ctx->comm, &flag, &msg, &st);
    if (!flag) {
      sweep_orphan_check();
      idle_pause(&iw);
      continue;
    }
    if (st.MPI_TAG == TAG_VERDICT) {
      msg_verdict v;
      MPI_Mrecv(&v, sizeof v, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
      if (stop_take_verdict(&v) && (v.prune || v.epoch == epoch)) return stop_task_pruned();
    } else if (st.MPI_TAG == TAG_STOP) {
      msg_stop m;
      MPI_Mrecv(&m, sizeof m, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
      stop_set_message(1);
      return 1;
    } else { /* nothing else is sent to a busy worker */
      char junk[sizeof(msg_task)];
      MPI_Mrecv(junk, sizeof junk, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
    }
  }
}

int sweep_report_epoch_wait(sweep_ctx *ctx, int epoch, double val_loss, double train_loss,
                            double lr) {
  report(ctx, epoch, val_loss, train_loss, lr, 1);
  if (ctx->c) return sweep_stop_requested();
  double t0 = mlps_now();
  int answer = await_verdict(ctx, epoch);
  ctx->wait_seconds += mlps_now() - t0; /* journaled: the cost of waiting (summary "pruning") */
  return answer;
}

typedef struct worker {
  const sweep_opts *o;
  MPI_Comm comm;
  int rank;
  int done;
  int code;
  sweep_ctx ctx;
  /* non-blocking sends to the coordinator (see post()) */
  MPI_Request req_result, req_request;
  msg_result result;
  msg_work_request request;
} worker;

typedef void (*worker_handler)(worker *w, MPI_Message *msg);

static void on_task(worker *w, MPI_Message *msg) {
  msg_task t;
  MPI_Mrecv(&t, sizeof t, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  task_result r;
  if (stop_any()) { /* stopping: give it back unrun */
    memset(&r, 0, sizeof r);
    r.trial = t.trial;
    r.fold = t.fold;
    r.status = TASK_STOPPED;
    r.rank = w->rank;
  } else {
    w->ctx.c = NULL;
    w->ctx.comm = w->comm;
    w->ctx.trial = t.trial;
    w->ctx.fold = t.fold;
    sweep_stop_poll_comm(w->comm);
    stop_task_begin(t.trial, t.fold);
    run_task(w->o, &t, &w->ctx, w->rank, &r);
    stop_task_end();
    sweep_stop_poll_comm(MPI_COMM_NULL);
  }
  if (w->req_result != MPI_REQUEST_NULL) MPI_Wait(&w->req_result, MPI_STATUS_IGNORE);
  w->result = r;
  MPI_Isend(&w->result, sizeof r, MPI_BYTE, 0, TAG_RESULT, w->comm, &w->req_result);
}

static void on_stop(worker *w, MPI_Message *msg) {
  msg_stop m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  (void)w;
  stop_set_message(1);
}

/* A verdict that crossed the result of the task it was about. */
static void on_verdict(worker *w, MPI_Message *msg) {
  msg_verdict m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  (void)w;
}

static void on_shutdown(worker *w, MPI_Message *msg) {
  msg_shutdown m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  w->code = m.code;
  w->done = 1;
}

static const worker_handler WORKER_HANDLERS[TAG_END_] = {
    [TAG_TASK] = on_task,
    [TAG_STOP] = on_stop,
    [TAG_SHUTDOWN] = on_shutdown,
    [TAG_VERDICT] = on_verdict,
};

int worker_loop(const sweep_opts *o, MPI_Comm comm, int rank) {
  worker w;
  memset(&w, 0, sizeof w);
  w.o = o;
  w.comm = comm;
  w.rank = rank;
  for (int k = 0; k < EPOCH_SLOTS; k++) w.ctx.req[k] = MPI_REQUEST_NULL;
  w.req_result = w.req_request = MPI_REQUEST_NULL;
  w.request.rank = rank;
  MPI_Isend(&w.request, sizeof w.request, MPI_BYTE, 0, TAG_WORK_REQUEST, comm, &w.req_request);
  idle_wait iw = {0, 0, 0.02, 1e-9 * SPIN_NS};
  idle_reset(&iw);
  while (!w.done) {
    MPI_Message msg;
    MPI_Status st;
    idle_wait_message(comm, 0, &iw, &msg, &st); /* e.g. a sampler in batch mode */
    int tag = st.MPI_TAG;
    worker_handler h = tag > 0 && tag < TAG_END_ ? WORKER_HANDLERS[tag] : NULL;
    if (!h) {
      char junk;
      MPI_Mrecv(&junk, 0, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
      continue;
    }
    h(&w, &msg);
    idle_reset(&iw); /* after a task: its result was just sent */
  }
  MPI_Waitall(EPOCH_SLOTS, w.ctx.req, MPI_STATUSES_IGNORE);
  MPI_Wait(&w.req_result, MPI_STATUS_IGNORE);
  MPI_Wait(&w.req_request, MPI_STATUS_IGNORE);
  return w.code;
}
