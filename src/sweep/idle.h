/* How a rank waits for messages without burning a core: poll, and when
 * nothing came, yield or sleep with exponential back-off (50 us doubling to
 * 2 ms). Shared by the coordinator, the workers and the final stage. */
#ifndef MLPS_SWEEP_IDLE_H
#define MLPS_SWEEP_IDLE_H

#include <mpi.h>

#define BACKOFF_MIN_NS 50000L
#define BACKOFF_MAX_NS 2000000L
/* While a reply is expected the nap stays at most this long (see idle_wait). */
#define WAIT_REPLY_MAX_NS 200000L

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

/* After a message was handled: start again from the shortest nap. */
void idle_reset(idle_wait *w);
/* After a poll found nothing. */
void idle_pause(idle_wait *w);
/* Sleeps ns nanoseconds (a signal ends the nap early). */
void sleep_ns(long ns);

/* A worker waiting for its coordinator: returns once a message from src
 * has arrived on comm (msg and st ready for MPI_Mrecv), probing and napping
 * by w's policy in between instead of spinning in a blocking receive, as
 * Open MPI would; exits the process if the launcher died meanwhile
 * (sweep_orphan_check). */
void idle_wait_message(MPI_Comm comm, int src, idle_wait *w, MPI_Message *msg, MPI_Status *st);

#endif
