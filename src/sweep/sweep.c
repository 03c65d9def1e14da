/* Coordinator and worker loops of the sweep (see sweep.h, PROTOCOL.md).
 *
 * Rank 0 drains every message that has arrived (MPI_Improbe + MPI_Mrecv, so
 * a message is received from exactly the source and tag probed), dispatches
 * it through a table of handlers indexed by tag, makes the finished tasks
 * of that batch durable with one write+fsync of the journal, counts them,
 * then hands tasks to idle workers. When nothing arrived it sleeps with
 * exponential back-off (50 us doubling to 2 ms) so that waiting costs no
 * core. With one rank it runs the tasks itself. */
#define _POSIX_C_SOURCE 200809L
#include "sweep/sweep.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <sched.h>
#include <time.h>

#include "sweep/journal.h"
#include "sweep/progress.h"
#include "sweep/sweep_proto.h"
#include "sweep/trials.h"
#include "util/rng.h"

const char *const PROTO_TAG_NAMES[TAG_END_] = {"?", "work_request", "task", "epoch",
                                               "result", "stop", "shutdown"};

#define BACKOFF_MIN_NS 50000L
#define BACKOFF_MAX_NS 2000000L
/* After sending a result a worker polls without sleeping (yielding the
 * core) this long: the next task usually comes within tens of
 * microseconds. */
#define SPIN_NS 100000L
#define DRAIN_MAX 512      /* messages handled per loop iteration */
/* Under load (messages keep coming) the journal is fsync'd at most every
 * COMMIT_EVERY_S, so the fsync's latency does not stall the loop once per
 * message; when a poll comes back empty the batch is committed as soon as
 * COMMIT_IDLE_S has passed since the last fsync (at once when load is light,
 * since the last one is then long past). */
#define COMMIT_EVERY_S 0.02
#define COMMIT_IDLE_S 0.002
#define COMMIT_MAX_BATCH 4096
#define EPOCH_SLOTS 64     /* in-flight epoch sends per worker */

/* ---- stop flag and signals ------------------------------------------ */

static volatile sig_atomic_t g_stop = 0;    /* a signal asked to stop */
static int g_stop_msg = 0; /* the coordinator sent STOP (this sweep only) */
static volatile sig_atomic_t g_signal = 0;  /* which signal, for the message */
static MPI_Comm g_worker_comm = MPI_COMM_NULL; /* set while a worker runs a task */
static double g_last_probe = 0;

static void on_signal(int sig) {
  if (g_stop && g_signal) {
    /* Second signal: the user insists. The journal is consistent at every
     * instant, so dying now loses only running tasks. */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_signal = sig;
  g_stop = 1;
}

void sweep_stop_reset(void) {
  g_stop = 0;
  g_signal = 0;
  g_stop_msg = 0;
}

int sweep_stop_requested(void) {
  if (g_stop || g_stop_msg) return 1;
  if (g_worker_comm != MPI_COMM_NULL) {
    double now = progress_now();
    if (now - g_last_probe >= 1e-3) {
      g_last_probe = now;
      int flag = 0;
      MPI_Status st;
      MPI_Iprobe(0, TAG_STOP, g_worker_comm, &flag, &st);
      if (flag) {
        msg_stop m;
        MPI_Recv(&m, sizeof m, MPI_BYTE, 0, TAG_STOP, g_worker_comm, MPI_STATUS_IGNORE);
        g_stop_msg = 1;
      }
    }
  }
  return g_stop || g_stop_msg;
}

typedef struct {
  struct sigaction term, intr;
} saved_handlers;

static void install_handlers(saved_handlers *s) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* MPI internals keep working; nanosleep still wakes */
  sigaction(SIGTERM, &sa, &s->term);
  sigaction(SIGINT, &sa, &s->intr);
}

static void restore_handlers(const saved_handlers *s) {
  sigaction(SIGTERM, &s->term, NULL);
  sigaction(SIGINT, &s->intr, NULL);
}

static void sleep_ns(long ns) {
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  nanosleep(&ts, NULL); /* EINTR (a signal) just ends the nap early */
}

/* Idle wait policy shared by coordinator and workers: call after a poll
 * found nothing; `last` is when the last message was handled. */
typedef struct {
  double last;
  long backoff;
  /* For this long after the last message the nap stays <= WAIT_REPLY_MAX_NS:
   * a worker that has just sent a result expects its next task at once. If
   * both sides backed off freely while waiting for each other, each one's
   * nap would grow with the other's and settle at the cap (measured: 5 ms per
   * task with one worker); capping one side breaks that loop. */
  double expect_reply_s;
  double spin_s; /* poll without sleeping this long after a message */
} idle_wait;
#define WAIT_REPLY_MAX_NS 200000L

static void idle_reset(idle_wait *w) {
  w->last = progress_now();
  w->backoff = BACKOFF_MIN_NS;
}

static void idle_pause(idle_wait *w) {
  double since = progress_now() - w->last;
  if (since < w->spin_s) {
    sched_yield();
    return;
  }
  long cap = since < w->expect_reply_s ? WAIT_REPLY_MAX_NS : BACKOFF_MAX_NS;
  if (w->backoff > cap) w->backoff = cap;
  sleep_ns(w->backoff);
  w->backoff = w->backoff * 2 > cap ? cap : w->backoff * 2;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

void sweep_opts_init(sweep_opts *o) {
  memset(o, 0, sizeof *o);
  o->comm = MPI_COMM_WORLD;
  o->n_folds = 1;
  o->verbosity = 1;
  o->progress_interval = 10;
  o->stop_grace = 10;
  o->metric = SWEEP_METRIC_VAL_MSE;
}

/* ---- coordinator state ---------------------------------------------- */

typedef enum { W_STARTING, W_IDLE, W_BUSY, W_DONE } worker_state;

/* Sends to a worker are non-blocking from buffers kept here: a blocking
 * MPI_Send in Open MPI may spin (and sched_yield) until the worker, which
 * may be asleep in its back-off, picks the message up. One slot per kind of
 * message the coordinator sends; a slot is reused only after its previous
 * send completed, which the worker's reply implies. */
enum { SLOT_TASK, SLOT_STOP, SLOT_SHUTDOWN, SLOT_COUNT };
typedef struct {
  worker_state state;
  int32_t trial, fold; /* when busy */
  MPI_Request req[SLOT_COUNT];
  msg_task task;
  msg_stop stop;
  msg_shutdown shutdown;
} worker_info;

typedef struct coord {
  const sweep_opts *o;
  MPI_Comm comm;
  int size;
  trial_table tt;
  journal j;
  progress pg;
  char journal_path[4096];
  /* FIFO of tasks to hand out, as (trial, fold) pairs */
  int32_t *q;
  int q_head, q_len, q_cap;
  int next_trial;   /* lowest id the proposer may still be asked for */
  int propose_done; /* no more trials will come */
  int propose_wait; /* proposer said WAIT: ask again after a trial completes */
  worker_info *w;   /* [size], entry 0 unused */
  task_result *batch; /* received, not yet durable */
  int n_batch, cap_batch;
  int in_flight;    /* tasks handed out, result not received */
  int tasks_done;   /* durable tasks, including those resumed */
  int stopping;     /* no new tasks; waiting for busy workers */
  double stop_t0;
  int rc;           /* sweep's return code once stopping */
  mlps_err *err;
  sweep_stats st;
} coord;

struct sweep_ctx {
  coord *c;       /* single-rank mode: store epochs directly */
  MPI_Comm comm;  /* worker mode */
  int32_t trial, fold;
  MPI_Request req[EPOCH_SLOTS];
  epoch_report buf[EPOCH_SLOTS];
  int next;
};

static void q_push(coord *c, int32_t trial, int32_t fold) {
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

/* Next task to hand out: from the queue, else from a newly proposed trial.
 * Returns 1 with *t filled, 0 when there is none right now. */
static int next_task(coord *c, sweep_task *t) {
  const sweep_opts *o = c->o;
  int32_t trial, fold;
  while (!q_pop(c, &trial, &fold)) {
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
                    "%d, but no trial is pending (it would wait forever)", id);
        enter_stopping(c, MLPS_ERUNTIME);
        return 0;
      }
      c->propose_wait = 1;
      return 0;
    } else if (ps == PROPOSE_DONE) {
      c->propose_done = 1;
      return 0;
    } else {
      if (!c->err->code) mlps_errorf(c->err, MLPS_ERUNTIME, "sweep: the sampler failed at trial %d", id);
      enter_stopping(c, c->err->code ? c->err->code : MLPS_ERUNTIME);
      return 0;
    }
  }
  memset(t, 0, sizeof *t);
  t->trial = trial;
  t->fold = fold;
  t->n_params = o->space->n;
  t->seed = rng_derive(o->seed, (uint64_t)trial, (uint64_t)fold, 0);
  memcpy(t->x, c->tt.t[trial].x, sizeof t->x);
  return 1;
}

/* Makes the batch durable (one write + fsync), then counts it. */
static int commit_batch(coord *c) {
  const sweep_opts *o = c->o;
  if (!c->n_batch) return MLPS_OK;
  for (int i = 0; i < c->n_batch; i++) {
    const task_result *r = &c->batch[i];
    journal_add(&c->j, r, c->tt.t[r->trial].x, o->space, o->metric);
  }
  int rc = journal_flush(&c->j, c->err);
  if (rc) {
    c->n_batch = 0;
    enter_stopping(c, rc);
    return rc;
  }
  for (int i = 0; i < c->n_batch; i++) {
    const task_result *r = &c->batch[i];
    int done = trials_record(&c->tt, r);
    if (done < 0) continue; /* cannot happen: each task is handed out once */
    if (done == 1) c->propose_wait = 0;
    c->tasks_done++;
    c->st.n_tasks_run++;
    if (r->status == TASK_OK) c->st.n_tasks_ok++;
    else c->st.n_tasks_not_ok++;
    const sweep_trial *t = &c->tt.t[r->trial];
    progress_task(&c->pg, r, o->metric, o->space, t->x);
    if (o->task_done)
      o->task_done(o->task_done_user, r, t->x, t->curves[r->fold], t->n_curve[r->fold]);
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
  void *buf = slot == SLOT_TASK ? (void *)&w->task : slot == SLOT_STOP ? (void *)&w->stop
                                                                        : (void *)&w->shutdown;
  if (w->req[slot] != MPI_REQUEST_NULL) MPI_Wait(&w->req[slot], MPI_STATUS_IGNORE);
  memcpy(buf, m, (size_t)n);
  MPI_Isend(buf, n, MPI_BYTE, dest, tag, c->comm, &w->req[slot]);
}

static void enter_stopping(coord *c, int rc) {
  if (!c->rc) c->rc = rc;
  if (c->stopping) return;
  c->stopping = 1;
  c->stop_t0 = progress_now();
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

static int on_epoch(coord *c, int src, MPI_Message *msg) {
  (void)src;
  msg_epoch m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  trials_add_epoch(&c->tt, &m);
  return MLPS_OK;
}

static int on_result(coord *c, int src, MPI_Message *msg) {
  msg_result m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  worker_info *w = &c->w[src];
  if (w->state != W_BUSY || w->trial != m.trial || w->fold != m.fold)
    return mlps_errorf(c->err, MLPS_ERUNTIME,
                       "sweep: protocol error: rank %d returned trial %d fold %d, which it was "
                       "not running", src, m.trial, m.fold);
  w->state = W_IDLE; /* a result also asks for the next task */
  c->in_flight--;
  m.rank = src;
  if (m.status == TASK_STOPPED) {
    /* Abandoned: not journaled, redone on resume. A worker that stops on
     * its own got a signal the coordinator may not have: stop everything. */
    if (!c->stopping) {
      g_signal = g_signal ? g_signal : SIGTERM;
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
  double last_commit = progress_now();
  while (!all_done(c)) {
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
    if (g_stop && !c->stopping) enter_stopping(c, SWEEP_EXIT_STOPPED);
    int sent = schedule(c, 1);
    double since = progress_now() - last_commit;
    if (c->n_batch && (c->stopping || c->n_batch >= COMMIT_MAX_BATCH || since >= COMMIT_EVERY_S ||
                       (got == 0 && since >= COMMIT_IDLE_S))) {
      commit_batch(c);
      last_commit = progress_now();
    }
    if (g_stop && !c->stopping) enter_stopping(c, SWEEP_EXIT_STOPPED);
    sent += schedule(c, 0);
    if (c->stopping && c->in_flight > 0 && progress_now() - c->stop_t0 > c->o->stop_grace) {
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

/* Runs the task callback and fills the framework's fields of the result. */
static void run_task(const sweep_opts *o, const sweep_task *t, sweep_ctx *ctx, int rank,
                     task_result *r) {
  memset(r, 0, sizeof *r);
  r->trial = t->trial;
  r->fold = t->fold;
  r->best_epoch = -1;
  for (int m = 0; m < SWEEP_METRIC_COUNT; m++) r->metrics[m] = NAN;
  double t0 = progress_now();
  int rc = o->task(o->task_user, t, ctx, r);
  r->seconds = progress_now() - t0;
  r->trial = t->trial;
  r->fold = t->fold;
  r->rank = rank;
  r->reason[SWEEP_REASON_MAX - 1] = '\0';
  if (rc != 0 && r->status == TASK_OK) {
    r->status = TASK_FAILED;
    if (!r->reason[0]) snprintf(r->reason, sizeof r->reason, "task callback returned %d", rc);
  }
  if (r->status < 0 || r->status >= TASK_STATUS_COUNT) r->status = TASK_FAILED;
}

static void coord_loop_single(coord *c) {
  const sweep_opts *o = c->o;
  sweep_task t;
  sweep_ctx ctx;
  while (!g_stop && !c->stopping && next_task(c, &t)) {
    memset(&ctx, 0, sizeof ctx);
    ctx.c = c;
    ctx.comm = MPI_COMM_NULL;
    ctx.trial = t.trial;
    ctx.fold = t.fold;
    task_result r;
    run_task(o, &t, &ctx, 0, &r);
    if (r.status == TASK_STOPPED) break; /* redone on resume */
    batch_add(c, &r);
    if (commit_batch(c)) break;
  }
  if (g_stop && !c->stopping) enter_stopping(c, SWEEP_EXIT_STOPPED);
}

void sweep_report_epoch(sweep_ctx *ctx, int epoch, double val_loss, double train_loss,
                        double lr) {
  epoch_report e = {ctx->trial, ctx->fold, epoch, 0, val_loss, train_loss, lr};
  if (ctx->c) {
    trials_add_epoch(&ctx->c->tt, &e);
    return;
  }
  int k = ctx->next++ % EPOCH_SLOTS;
  if (ctx->req[k] != MPI_REQUEST_NULL) MPI_Wait(&ctx->req[k], MPI_STATUS_IGNORE);
  ctx->buf[k] = e;
  MPI_Isend(&ctx->buf[k], sizeof e, MPI_BYTE, 0, TAG_EPOCH, ctx->comm, &ctx->req[k]);
}

/* ---- setup on rank 0: output dir, journal, resume -------------------- */

static int mkdir_p(const char *path, mlps_err *err) {
  char tmp[4096];
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

static int coord_setup(coord *c) {
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
  MLPS_TRY(mkdir_p(o->out_dir, err));
  snprintf(c->journal_path, sizeof c->journal_path, "%s/trials.jsonl", o->out_dir);
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

/* ---- worker ---------------------------------------------------------- */

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
  if (g_stop || g_stop_msg) { /* stopping: give it back unrun */
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
    g_worker_comm = w->comm;
    run_task(w->o, &t, &w->ctx, w->rank, &r);
    g_worker_comm = MPI_COMM_NULL;
  }
  if (w->req_result != MPI_REQUEST_NULL) MPI_Wait(&w->req_result, MPI_STATUS_IGNORE);
  w->result = r;
  MPI_Isend(&w->result, sizeof r, MPI_BYTE, 0, TAG_RESULT, w->comm, &w->req_result);
}

static void on_stop(worker *w, MPI_Message *msg) {
  msg_stop m;
  MPI_Mrecv(&m, sizeof m, MPI_BYTE, msg, MPI_STATUS_IGNORE);
  (void)w;
  g_stop_msg = 1;
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
};

static int worker_loop(const sweep_opts *o, MPI_Comm comm, int rank) {
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
    int flag = 0;
    MPI_Message msg;
    MPI_Status st;
    MPI_Improbe(0, MPI_ANY_TAG, comm, &flag, &msg, &st);
    if (!flag) {
      /* Waiting for the coordinator (e.g. a sampler in batch mode): sleep
       * instead of spinning in a blocking receive, which Open MPI does. */
      idle_pause(&iw);
      continue;
    }
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

/* ---- sweep_run ------------------------------------------------------- */

static void fill_stats(coord *c) {
  sweep_stats *s = &c->st;
  s->n_trials_ok = s->n_trials_failed = s->n_trials_pending = 0;
  for (int i = 0; i < c->tt.n; i++) {
    s->n_trials_ok += c->tt.t[i].state == TRIAL_OK;
    s->n_trials_failed += c->tt.t[i].state == TRIAL_FAILED;
    s->n_trials_pending += c->tt.t[i].state == TRIAL_PENDING;
  }
  s->best_trial = c->tt.best;
  s->best_metric = c->tt.best >= 0 ? c->tt.t[c->tt.best].metric_mean : NAN;
  s->tasks_per_second = s->wall_seconds > 0 ? s->n_tasks_run / s->wall_seconds : 0;
}

static int coordinator(const sweep_opts *o, MPI_Comm comm, int size, sweep_result **out,
                       mlps_err *err) {
  coord *c = mlps_xcalloc(1, sizeof *c);
  c->o = o;
  c->comm = comm;
  c->size = size;
  c->err = err;
  c->j.fd = -1;
  trials_init(&c->tt, o->n_folds, o->metric);
  c->w = mlps_xcalloc((size_t)size, sizeof *c->w);
  for (int r = 0; r < size; r++)
    for (int k = 0; k < SLOT_COUNT; k++) c->w[r].req[k] = MPI_REQUEST_NULL;
  progress_init(&c->pg, o->log, o->verbosity, o->progress_interval, 0, 0); /* setup messages */
  int rc = coord_setup(c);
  /* Tell the workers whether to start (with the message, so that every
   * rank returns the same code and text). */
  int hdr[1] = {rc};
  MPI_Bcast(hdr, 1, MPI_INT, 0, comm);
  if (rc) {
    MPI_Bcast(err->msg, MLPS_ERR_MSG, MPI_CHAR, 0, comm);
    journal_close(&c->j);
    trials_free(&c->tt);
    free(c->w);
    free(c);
    return rc;
  }
  progress_init(&c->pg, o->log, o->verbosity, o->progress_interval,
                o->max_trials * o->n_folds, c->tasks_done);
  double t0 = progress_now(), cpu0 = cpu_seconds();
  if (size == 1) coord_loop_single(c);
  else coord_loop_mpi(c);
  c->st.wall_seconds = progress_now() - t0;
  c->st.coord_cpu_seconds = cpu_seconds() - cpu0;
  c->st.stopped = c->rc == SWEEP_EXIT_STOPPED;
  rc = c->rc;
  journal_close(&c->j);
  progress_update(&c->pg, &c->tt, o->space, c->tasks_done, 1);
  progress_finish(&c->pg);
  char csv[4200];
  snprintf(csv, sizeof csv, "%s/trials.csv", o->out_dir);
  mlps_err cerr = {0, ""};
  if (trials_write_csv(&c->tt, o->space, csv, &cerr) && !rc) {
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
                     g_signal == SIGINT ? "SIGINT" : g_signal == SIGTERM ? "SIGTERM" : "a signal",
                     c->tasks_done, o->max_trials * o->n_folds, s->n_tasks_run, c->journal_path,
                     SWEEP_EXIT_STOPPED);
    mlps_errorf(err, SWEEP_EXIT_STOPPED, "sweep stopped by a signal; rerun with --resume");
  } else if (rc == MLPS_OK) {
    char params[256] = "";
    if (s->best_trial >= 0)
      trials_params_line(o->space, c->tt.t[s->best_trial].x, params, sizeof params);
    progress_message(&c->pg, 1,
                     "sweep: done: %d tasks (%d this run, %d from the journal), trials %d ok / %d "
                     "failed; best %s %.6g (trial %d: %s); wall %.2f s, coordinator CPU %.1f%% "
                     "of wall",
                     c->tasks_done, s->n_tasks_run, s->n_tasks_resumed, s->n_trials_ok,
                     s->n_trials_failed, SWEEP_METRIC_NAMES[o->metric], s->best_metric,
                     s->best_trial, params, s->wall_seconds,
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
  trials_free(&c->tt);
  free(c->q);
  free(c->batch);
  free(c->w);
  free(c);
  return rc;
}

int sweep_run(const sweep_opts *o, sweep_result **out, mlps_err *err) {
  mlps_err local;
  if (!err) err = &local;
  if (out) *out = NULL;
  mlps_err_clear(err);
  g_stop_msg = 0;
  MPI_Comm comm;
  MPI_Comm_dup(o->comm, &comm);
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  saved_handlers sh;
  install_handlers(&sh);
  int rc;
  if (rank == 0) {
    rc = coordinator(o, comm, size, out, err);
  } else {
    int hdr[1];
    MPI_Bcast(hdr, 1, MPI_INT, 0, comm);
    rc = hdr[0];
    if (rc) {
      MPI_Bcast(err->msg, MLPS_ERR_MSG, MPI_CHAR, 0, comm);
      err->code = rc;
    } else {
      rc = worker_loop(o, comm, rank);
      if (rc) mlps_errorf(err, rc, "sweep ended with code %d (see rank 0's message)", rc);
    }
  }
  restore_handlers(&sh);
  MPI_Comm_free(&comm);
  return rc;
}

void sweep_result_free(sweep_result *r) {
  if (!r) return;
  for (int i = 0; i < r->n_trials; i++) trials_free_one(&r->trials[i], r->n_folds);
  free(r->trials);
  free(r);
}
