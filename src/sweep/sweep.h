/* The sweep: rank 0 coordinates, the other ranks run (trial, fold) tasks.
 *
 * sweep_run() is the whole MPI machinery of a hyperparameter search, kept
 * independent of what a task does: the caller plugs in
 *   - a task callback (train one fold of one trial, fill a task_result),
 *   - a proposer callback (the sampler: trial k's point, given the history),
 *   - optionally a hook called once each finished task is durable.
 * sweep_run schedules tasks dynamically, journals every finished task to
 * OUT/trials.jsonl (fsync'd before it counts), resumes from that journal,
 * aggregates folds, writes OUT/trials.csv, shows progress and stops cleanly
 * on SIGTERM/SIGINT. See PROTOCOL.md for the messages and their handlers.
 *
 * Collective over opts->comm: every rank calls sweep_run and every rank gets
 * the same return code. Rank 0's options drive the sweep; workers only use
 * comm, task/task_user and verbosity. */
#ifndef MLPS_SWEEP_H
#define MLPS_SWEEP_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "search/metric.h"
#include "sweep/json.h"
#include "search/space.h"
#include "util/err.h"

/* Return/exit code when a SIGTERM/SIGINT stopped the sweep before its end:
 * everything finished is in the journal; rerun with --resume to continue.
 * Distinct from MLPS_ERUNTIME (1) and MLPS_EINPUT (2) so that SLURM requeue
 * scripts can tell "stopped, resumable" from "failed". */
#define SWEEP_EXIT_STOPPED 3

/* Journal file format (header line "format"/"version"). */
#define SWEEP_JOURNAL_FORMAT "mlpsweep-journal"
#define SWEEP_JOURNAL_VERSION 1

typedef enum {
  TASK_OK,
  TASK_DIVERGED, /* loss became NaN/Inf or exploded */
  TASK_TIMEOUT,  /* the task's own time budget ran out */
  TASK_FAILED,   /* anything else: reason says what */
  TASK_STOPPED,  /* abandoned because a stop was requested: never journaled,
                    the task is redone on resume */
  TASK_PRUNED,   /* stopped early by the judge (sweep_opts.judge), for itself or
                    for another fold of its trial: journaled, never redone */
  TASK_STATUS_COUNT
} task_status;
extern const char *const TASK_STATUS_NAMES[TASK_STATUS_COUNT];

/* The validation metrics a task reports are search/metric.h's; the sweep's
 * objective is one of them (lower is better). NaN when absent (e.g. the
 * median fractional error is only defined for log targets). */

#define SWEEP_REASON_MAX 160

/* One unit of work: fold `fold` of trial `trial` at point x (see space.h:
 * categorical parameters hold the index of their choice). */
typedef struct {
  int32_t trial, fold;
  int32_t n_params;
  int32_t pad_;
  uint64_t seed; /* sweep_task_seed(opts.seed, trial, fold) */
  double x[SPACE_MAX_PARAMS];
} sweep_task;

/* What a task returns. The callback fills status, reason (for anything not
 * ok), metrics, best_epoch and epochs; the framework fills trial, fold, rank
 * seconds (wall time of the callback) and wait_seconds (the part of it spent
 * awaiting the judge's verdicts at rungs, sweep_report_epoch_wait). */
typedef struct {
  int32_t trial, fold;
  int32_t status;     /* task_status */
  int32_t best_epoch; /* -1 when none */
  int32_t epochs;     /* epochs run */
  int32_t rank;       /* rank that ran it */
  double metrics[METRIC_COUNT];
  double seconds, wait_seconds;
  /* TASK_PRUNED only (the engine fills them): the fold whose judgement
   * pruned the trial (this task's own fold, or a sibling's), the epochs it
   * had trained at that judgement and its judged value there. */
  int32_t prune_fold, rung;
  double pruned_value;
  char reason[SWEEP_REASON_MAX];
} task_result;

/* One training epoch of one task, streamed to the coordinator as it
 * happens (learning curves for history.h5). */
typedef struct {
  int32_t trial, fold, epoch;
  int32_t wait; /* the worker waits for the judge's verdict on this epoch */
  double val_loss, train_loss, lr;
} epoch_report;

/* Handle a running task uses to report epochs (opaque). */
typedef struct sweep_ctx sweep_ctx;

/* Runs one task. Must be deterministic in (config, task->seed, trial, fold)
 * for reproducible sweeps. Should poll sweep_stop_requested() (e.g. once per
 * epoch or every few mini-batches) and, when it is true, return promptly
 * with res->status = TASK_STOPPED. A non-zero return marks the task failed
 * (with res->reason if set); it does not stop the sweep. */
typedef int (*sweep_task_fn)(void *user, const sweep_task *task, sweep_ctx *ctx, task_result *res);

/* Streams one epoch to the coordinator: a non-blocking send on workers, a
 * direct store with one rank. Never blocks on the coordinator. */
void sweep_report_epoch(sweep_ctx *ctx, int epoch, double val_loss, double train_loss, double lr);

/* The same, then waits (without spinning) for the coordinator's verdict on
 * this epoch: returns 1 when the task is pruned (stop now; the engine
 * journals it as pruned), 0 to go on. For the epochs at which the judge's
 * rule decides (e.g. ASHA's rungs), so that a pruned task trains exactly
 * to its rung whatever the coordinator's latency; elsewhere a verdict
 * arrives asynchronously and sweep_stop_requested() picks it up. Also 1
 * when a stop was requested meanwhile. */
int sweep_report_epoch_wait(sweep_ctx *ctx, int epoch, double val_loss, double train_loss,
                            double lr);

/* True once SIGTERM/SIGINT arrived on this rank, the coordinator sent
 * STOP, or the running task was pruned. Cheap (at most one MPI_Iprobe per
 * millisecond on workers). */
int sweep_stop_requested(void);

/* While a task (or a final-stage job) runs on a worker: the communicator on
 * which sweep_stop_requested() probes for rank 0's STOP (MPI_COMM_NULL: none). */
void sweep_stop_poll_comm(MPI_Comm comm);

/* Exits the process at once, writing nothing, when the MPI launcher that
 * started it is gone (util/launcher.h). The engine calls it before every
 * journal write and while it waits; sweep_stop_requested() calls it too. */
void sweep_orphan_check(void);

/* SIGTERM/SIGINT handlers that set the stop flag (a second signal kills at
 * once). sweep_run installs them for its duration; a caller with later
 * stoppable stages (the final retrain) installs them around the whole run.
 * Calls nest: the outermost restore puts back what the first install found. */
void sweep_signals_install(void);
void sweep_signals_restore(void);
/* The first signal that asked to stop, for messages: "SIGINT", "SIGTERM"
 * (under a launcher with a note that mpirun turns SIGINT into SIGTERM), or
 * "a signal". */
const char *sweep_stop_signal_name(void);

/* The seed of task (trial, fold): every fit of that fold of that trial,
 * in the sweep or in the final stage's diagnostic, uses it. */
uint64_t sweep_task_seed(uint64_t seed, int trial, int fold);

/* ---- trials and the history the proposer sees ----------------------- */

typedef enum {
  TRIAL_UNSEEN,  /* id not proposed yet (a gap left by a resumed journal) */
  TRIAL_PENDING, /* proposed, some folds not finished */
  TRIAL_OK,      /* all folds ok: metric_mean/std valid */
  TRIAL_FAILED,  /* some fold not ok, or a non-finite objective */
  TRIAL_PRUNED,  /* a fold was pruned (and no fold before it failed) */
  TRIAL_STATE_COUNT
} trial_state;
extern const char *const TRIAL_STATE_NAMES[TRIAL_STATE_COUNT];

typedef struct {
  int id;
  trial_state state;
  double x[SPACE_MAX_PARAMS];
  int n_finished;                    /* folds with a (journaled) result */
  double metric_mean;                /* mean over folds of the objective; NaN unless OK */
  double metric_std;                 /* sample std over folds (n-1), 0 with one fold */
  double metrics_mean[METRIC_COUNT]; /* mean of each metric over folds */
  double best_epoch_mean, epochs_mean;
  double seconds_sum, seconds_max;
  /* Pruning: the lowest fold pruned by its own judgement (-1: none), the
   * epochs it had trained then and its value there. */
  int prune_fold, prune_rung;
  double prune_value;
  int live_prune_fold;           /* coordinator: lowest fold judged pruned so far, -1 */
  int n_running;                 /* coordinator: folds handed out and not yet recorded */
  char reason[SWEEP_REASON_MAX]; /* why it failed or was pruned */
  task_result *folds;            /* [n_folds]; fold f valid when done[f] */
  unsigned char *done;           /* [n_folds] */
  epoch_report **curves;         /* [n_folds] learning curve per fold (this run only) */
  int *n_curve, *cap_curve;
} sweep_trial;

typedef struct {
  const sweep_trial *trials; /* indexed by trial id, [0, n) */
  int n;
  int n_folds;
  search_metric metric;
  int best; /* id of the best OK trial, or -1 */
} sweep_history;

typedef enum {
  PROPOSE_OK,   /* x filled */
  PROPOSE_WAIT, /* not yet (e.g. TPE's next generation needs pending trials
                   to finish); asked again after the next trial finishes */
  PROPOSE_DONE, /* no more trials (grid exhausted) */
  PROPOSE_ERROR /* err set; the sweep stops with that error */
} propose_status;

/* Proposes the point of trial `trial` (ids are asked in increasing order,
 * except that a resumed sweep may skip ids it already knows). Deterministic
 * samplers should make x a function of (seed, trial) alone so a resumed
 * sweep equals an uninterrupted one; adaptive ones (TPE) read h, where
 * PENDING trials are the ones still running. */
typedef propose_status (*sweep_propose_fn)(void *user, int trial, const sweep_history *h, double *x,
                                           mlps_err *err);

/* Called on rank 0 once a task's journal line (with its learning curve) is
 * on disk, for history.h5 and the like; on --resume also once for each
 * task read back from the journal, with replayed = 1. A non-zero return
 * (err set) ends the sweep with that error: nothing is lost, since the
 * journal already holds the task and its curve. */
typedef int (*sweep_task_done_fn)(void *user, const task_result *r, const double *x,
                                  const epoch_report *curve, int n_curve, int replayed,
                                  mlps_err *err);

/* Compares the journal's config text with the current one; returns 0 when
 * equivalent, else MLPS_EINPUT with err naming what differs. Default:
 * exact string comparison reporting the first differing line. */
typedef int (*sweep_config_cmp_fn)(void *user, const char *journal_cfg, const char *current_cfg,
                                   const json_value *journal_header, mlps_err *err);

/* Judges one epoch of a running task on rank 0 (pruning): returns 1 to stop
 * the task, with *value set to the value it was judged on (e.g. its best
 * validation loss so far); 0 to let it go on. Called for every epoch
 * report, in order per task, until it answers 1 for that trial. */
typedef int (*sweep_judge_fn)(void *user, const epoch_report *e, double *value);

/* Writes the caller's own members into the journal header (see
 * sweep_opts.header_extra); w is a sweep/json.h writer inside the header
 * object. */
typedef void (*sweep_header_fn)(void *user, json_writer *w);

typedef struct {
  MPI_Comm comm;
  const char *out_dir;       /* created if missing; must be empty unless resume */
  const char *config_text;   /* resolved config, stored in the journal header */
  const search_space *space; /* parameter names and types for params/CSV */
  int n_folds;               /* k >= 1 */
  int max_trials;            /* budget: trial ids are [0, max_trials) */
  uint64_t seed;
  search_metric metric;     /* objective */
  int resume;               /* continue from OUT/trials.jsonl */
  int verbosity;            /* 0 quiet, 1 progress (default), 2 + a line per task */
  double progress_interval; /* seconds between plain progress lines (non-tty), 10 */
  double stop_grace;        /* seconds to wait for busy workers after a stop, 10 */
  int no_fsync;             /* benchmarks only: skip fsync of the journal */
  int dir_locked;           /* the caller holds out_dir's lock (outdir.h) for longer
                               than the sweep; otherwise sweep_run takes it */
  FILE *log;                /* progress and messages; default stderr */
  sweep_task_fn task;
  void *task_user;
  sweep_propose_fn propose;
  void *propose_user;
  sweep_task_done_fn task_done;
  void *task_done_user;
  sweep_config_cmp_fn config_cmp;
  void *config_cmp_user;
  sweep_header_fn header_extra; /* may be NULL */
  void *header_extra_user;
  /* Pruning (may be NULL). When a fold of a trial is judged pruned the
   * trial is pruned: its other running folds are told to stop, its
   * unscheduled folds never start (but with prune_in_fold_order). */
  sweep_judge_fn judge;
  void *judge_user;
  /* Reproducible pruning: the lowest fold pruned by its own judgement
   * decides the trial, as if folds ran one after another, so a trial's
   * outcome does not depend on which folds ran at once: folds below a
   * pruned one still run to their own end, only folds above it are
   * stopped or never started. */
  int prune_in_fold_order;
  /* Budget of wall time over every start of the sweep (seconds; 0 = none):
   * once spent no task starts; running ones finish. */
  double max_seconds;
} sweep_opts;

/* Defaults: comm WORLD, 1 fold, verbosity 1, intervals as above. */
void sweep_opts_init(sweep_opts *o);

typedef struct {
  int n_tasks_run;     /* tasks finished and journaled by this run */
  int n_tasks_resumed; /* tasks taken from the journal */
  int n_tasks_redone;  /* of which in-flight at the kill: none recorded */
  int n_trials_ok, n_trials_failed, n_trials_pending, n_trials_pruned;
  int n_tasks_ok, n_tasks_not_ok; /* not ok: failed, diverged, timed out or pruned */
  int n_tasks_pruned;
  int best_trial; /* -1 when no trial is OK */
  double best_metric;
  double wall_seconds;        /* scheduling loop on rank 0 */
  int n_starts;               /* starts of this sweep, this one included (1 + resumes seen) */
  double wall_seconds_before; /* wall time of the earlier starts (each to its last task) */
  double wall_seconds_total;  /* that + this start's, from its set-up to the loop's end */
  double coord_cpu_seconds;   /* getrusage(RUSAGE_SELF) user+sys on rank 0 over the loop */
  double tasks_per_second;
  long n_messages;       /* messages handled by the coordinator */
  int stopped;           /* a signal stopped the sweep */
  int dropped_torn_line; /* resume found and truncated a torn last line */
  int budget_spent;      /* max_seconds ran out before the last trial */
} sweep_stats;

/* The outcome on rank 0 (NULL on workers): every trial with its folds and
 * this run's learning curves, for the final retrain and history.h5. */
typedef struct {
  sweep_trial *trials; /* indexed by id */
  int n_trials;
  int n_folds;
  search_metric metric;
  sweep_stats stats;
} sweep_result;

/* Runs the sweep. Returns MLPS_OK when the budget is spent,
 * SWEEP_EXIT_STOPPED after a signal, or an error code with err set (the
 * message is set on every rank; print it on rank 0 only). *out (may be NULL)
 * receives the result on rank 0; free it with sweep_result_free. */
int sweep_run(const sweep_opts *o, sweep_result **out, mlps_err *err);
void sweep_result_free(sweep_result *r);

#endif
