/* The MPI message protocol between the coordinator (rank 0) and workers.
 * One struct and one handler per message type; see PROTOCOL.md for the
 * conversation. Messages travel as MPI_BYTE images of these structs on a
 * communicator duplicated from the caller's, so they never mix with other
 * traffic (ranks of one job share the same ABI). */
#ifndef MLPS_SWEEP_PROTO_H
#define MLPS_SWEEP_PROTO_H

#include <stdint.h>

#include "sweep/sweep.h"

typedef enum {
  TAG_WORK_REQUEST = 1, /* worker -> coord: msg_work_request, once at start */
  TAG_TASK,             /* coord -> worker: msg_task */
  TAG_EPOCH,            /* worker -> coord: msg_epoch, non-blocking, per epoch */
  TAG_RESULT,           /* worker -> coord: msg_result; also asks for the next task */
  TAG_STOP,             /* coord -> worker: msg_stop, abandon the running task */
  TAG_SHUTDOWN,         /* coord -> worker: msg_shutdown, leave the worker loop */
  TAG_VERDICT,          /* coord -> worker: msg_verdict, go on or prune a task */
  TAG_END_
} proto_tag;
extern const char *const PROTO_TAG_NAMES[TAG_END_];

typedef struct {
  int32_t rank;
} msg_work_request;

typedef sweep_task msg_task;    /* the task to run */
typedef epoch_report msg_epoch; /* one epoch of the running task */
typedef task_result msg_result; /* the finished (or stopped) task */

typedef struct {
  int32_t why; /* 0: signal on the coordinator; 1: fatal error on the coordinator */
} msg_stop;

typedef struct {
  int32_t code; /* the sweep's return code, returned by sweep_run on every rank */
} msg_shutdown;

/* The judge's answer about task (trial, fold): sent for every epoch report
 * that waits for it, and unasked when the task is pruned (by its own
 * judgement or a sibling fold's). A worker ignores verdicts about a task
 * it is not running (they can cross its result). */
typedef struct {
  int32_t trial, fold;
  int32_t epoch; /* the report answered, -1 when unasked */
  int32_t prune; /* 1: stop the task */
} msg_verdict;

#endif
