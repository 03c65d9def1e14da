/* Idle wait policy (see idle.h). */
#define _POSIX_C_SOURCE 200809L
#include "sweep/idle.h"

#include <sched.h>
#include <time.h>

#include "sweep/sweep.h"
#include "util/clock.h"

void sleep_ns(long ns) {
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  nanosleep(&ts, NULL); /* EINTR (a signal) just ends the nap early */
}

void idle_reset(idle_wait *w) {
  w->last = mlps_now();
  w->backoff = BACKOFF_MIN_NS;
}

void idle_pause(idle_wait *w) {
  double since = mlps_now() - w->last;
  if (since < w->spin_s) {
    sched_yield();
    return;
  }
  long cap = since < w->expect_reply_s ? WAIT_REPLY_MAX_NS : BACKOFF_MAX_NS;
  if (w->backoff > cap) w->backoff = cap;
  sleep_ns(w->backoff);
  w->backoff = w->backoff * 2 > cap ? cap : w->backoff * 2;
}

void idle_wait_message(MPI_Comm comm, int src, idle_wait *w, MPI_Message *msg, MPI_Status *st) {
  for (;;) {
    int flag = 0;
    MPI_Improbe(src, MPI_ANY_TAG, comm, &flag, msg, st);
    if (flag) return;
    sweep_orphan_check();
    idle_pause(w);
  }
}
