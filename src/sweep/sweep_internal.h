/* Internals of the sweep engine shared by its files (not for callers):
 * the coordinator's state, the context a running task reports through, and
 * the stop flag's setters. Files: sweep.c (sweep_run), coord.c (the
 * coordinator), worker.c (workers and the task runner), outdir.c (output
 * directory, lock, journal set-up and resume replay), stop.c (signals and
 * STOP), idle.c (waiting without burning a core). */
#ifndef MLPS_SWEEP_INTERNAL_H
#define MLPS_SWEEP_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "sweep/journal.h"
#include "sweep/outdir.h"
#include "sweep/progress.h"
#include "sweep/sweep.h"
#include "sweep/sweep_proto.h"
#include "sweep/trials.h"
#include "util/paths.h"

/* After sending a result a worker polls without sleeping (yielding the
 * core) this long: the next task usually comes within tens of
 * microseconds. */
#define SPIN_NS 100000L
#define DRAIN_MAX 512 /* messages handled per loop iteration */
/* Under load (messages keep coming) the journal is fsync'd at most every
 * COMMIT_EVERY_S, so the fsync's latency does not stall the loop once per
 * message; when a poll comes back empty the batch is committed as soon as
 * COMMIT_IDLE_S has passed since the last fsync (at once when load is light,
 * since the last one is then long past). */
#define COMMIT_EVERY_S 0.02
#define COMMIT_IDLE_S 0.002
#define COMMIT_MAX_BATCH 4096
#define EPOCH_SLOTS 64 /* in-flight epoch sends per worker */

typedef enum { W_STARTING, W_IDLE, W_BUSY, W_DONE } worker_state;

/* Sends to a worker are non-blocking from buffers kept here: a blocking
 * MPI_Send in Open MPI may spin (and sched_yield) until the worker, which
 * may be asleep in its back-off, picks the message up. One slot per kind of
 * message the coordinator sends; a slot is reused only after its previous
 * send completed, which the worker's reply implies. */
enum { SLOT_TASK, SLOT_STOP, SLOT_SHUTDOWN, SLOT_VERDICT, SLOT_COUNT };
typedef struct {
  worker_state state;
  int32_t trial, fold; /* when busy */
  /* The running task was pruned: the fold whose judgement did it, the rung
   * (epochs trained at the judgement) and value (-1 fold: not pruned). */
  int32_t prune_fold, prune_rung;
  double prune_value;
  MPI_Request req[SLOT_COUNT];
  msg_task task;
  msg_stop stop;
  msg_shutdown shutdown;
  msg_verdict verdict;
} worker_info;

typedef struct coord {
  const sweep_opts *o;
  MPI_Comm comm;
  int size;
  trial_table tt;
  journal j;
  progress pg;
  char journal_path[MLPS_PATH_MAX];
  /* FIFO of tasks to hand out, as (trial, fold) pairs */
  int32_t *q;
  int q_head, q_len, q_cap;
  int next_trial;     /* lowest id the proposer may still be asked for */
  int propose_done;   /* no more trials will come */
  int propose_wait;   /* proposer said WAIT: ask again after a trial completes */
  worker_info *w;     /* [size], entry 0 unused */
  task_result *batch; /* received, not yet durable */
  int n_batch, cap_batch;
  int in_flight;  /* tasks handed out, result not received */
  int tasks_done; /* durable tasks, including those resumed */
  int stopping;   /* no new tasks; waiting for busy workers */
  double stop_t0;
  int rc; /* sweep's return code once stopping */
  mlps_err *err;
  sweep_stats st;
  outdir_lock lock;   /* held from set-up to the end, unless the caller holds it */
  double t_setup;     /* mlps_now() when this start began (journal times count from it) */
  worker_info single; /* single-rank mode: the task rank 0 runs itself */
} coord;

struct sweep_ctx {
  coord *c;      /* single-rank mode: store epochs directly */
  MPI_Comm comm; /* worker mode */
  int32_t trial, fold;
  MPI_Request req[EPOCH_SLOTS];
  epoch_report buf[EPOCH_SLOTS];
  int next;
  double wait_seconds; /* this task's time in sweep_report_epoch_wait */
};

/* coord.c */
int coordinator(const sweep_opts *o, MPI_Comm comm, int size, sweep_result **out, mlps_err *err);
/* Queues (trial, fold) to be handed out (resume replay queues unfinished folds). */
void q_push(coord *c, int32_t trial, int32_t fold);
/* An epoch report arrived (from worker `src`, 0 in single-rank mode): its
 * learning curve, the judge, and the verdicts that follow. */
void coord_epoch(coord *c, int src, const epoch_report *e);

/* worker.c */
int worker_loop(const sweep_opts *o, MPI_Comm comm, int rank);
/* Runs the task callback and fills the framework's fields of the result. */
void run_task(const sweep_opts *o, const sweep_task *t, sweep_ctx *ctx, int rank, task_result *r);

/* outdir.c: on rank 0, before the loop: output directory, lock, journal
 * (created, or read back and replayed into c's trial table and queue). */
int coord_setup(coord *c);

/* stop.c */
void stop_set_message(int on);  /* the coordinator's STOP arrived (or reset) */
int stop_signalled(void);       /* a signal arrived on this rank */
int stop_any(void);             /* a signal or STOP */
void stop_note_signal(int sig); /* a worker stopped on a signal we did not see */
/* The task running on this rank, for verdicts (pruning). */
void stop_task_begin(int trial, int fold);
void stop_task_end(void);
int stop_task_pruned(void); /* a verdict pruned it */
void stop_task_prune(void); /* single-rank mode: the judge pruned it */
/* Applies a verdict about the running task; 0 when it is about another. */
int stop_take_verdict(const msg_verdict *m);

#endif
