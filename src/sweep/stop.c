/* Stop requests: SIGTERM/SIGINT handlers and the STOP message of the
 * coordinator, behind one question a running task asks between epochs,
 * sweep_stop_requested() (see sweep.h and PROTOCOL.md, "Signals"). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"
#include "sweep/sweep_proto.h"
#include "util/clock.h"
#include "util/launcher.h"

static volatile sig_atomic_t g_stop = 0;     /* a signal asked to stop */
static int g_stop_msg = 0;                   /* the coordinator sent STOP (this stage only) */
static volatile sig_atomic_t g_signal = 0;   /* which signal, for the message */
static MPI_Comm g_poll_comm = MPI_COMM_NULL; /* probed for STOP while a task runs */
static double g_last_probe = 0;
static int32_t g_task_trial = -1, g_task_fold = -1; /* the task running on this rank */
static int g_task_pruned = 0;                       /* ... was pruned */

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

void sweep_orphan_check(void) {
  if (!launcher_gone()) return;
  /* Nobody is left to report to, and a resume may already be running: stop
   * at once, writing nothing (stderr may be a dead pipe: ignore errors). */
  static const char msg[] =
      "mlpsweep: the launcher (mpirun/srun) of this rank is gone; "
      "stopping without writing anything more\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(MLPS_ERUNTIME);
}

void stop_task_begin(int trial, int fold) {
  g_task_trial = trial;
  g_task_fold = fold;
  g_task_pruned = 0;
}

void stop_task_end(void) {
  g_task_trial = g_task_fold = -1;
  g_task_pruned = 0; /* later stages (the final retrain) must not see it */
}
int stop_task_pruned(void) { return g_task_pruned; }
void stop_task_prune(void) { g_task_pruned = 1; }

int stop_take_verdict(const msg_verdict *m) {
  if (m->trial != g_task_trial || m->fold != g_task_fold || g_task_trial < 0) return 0;
  if (m->prune) g_task_pruned = 1;
  return 1;
}

int sweep_stop_requested(void) {
  if (g_stop || g_stop_msg || g_task_pruned) return 1;
  double now = mlps_now();
  if (now - g_last_probe >= 1e-3) {
    g_last_probe = now;
    sweep_orphan_check();
    if (g_poll_comm != MPI_COMM_NULL) {
      int flag = 0;
      MPI_Status st;
      MPI_Iprobe(0, TAG_STOP, g_poll_comm, &flag, &st);
      if (flag) {
        msg_stop m;
        MPI_Recv(&m, sizeof m, MPI_BYTE, 0, TAG_STOP, g_poll_comm, MPI_STATUS_IGNORE);
        g_stop_msg = 1;
      }
      /* Verdicts sent unasked (pruned by a judgement elsewhere); stale
       * ones about an earlier task are dropped. */
      for (flag = 1; flag;) {
        MPI_Iprobe(0, TAG_VERDICT, g_poll_comm, &flag, &st);
        if (!flag) break;
        msg_verdict v;
        MPI_Recv(&v, sizeof v, MPI_BYTE, 0, TAG_VERDICT, g_poll_comm, MPI_STATUS_IGNORE);
        stop_take_verdict(&v);
      }
    }
  }
  return g_stop || g_stop_msg || g_task_pruned;
}

/* Handlers found by the outermost install, put back by the outermost
 * restore. */
static struct sigaction g_saved_term, g_saved_intr;
static int g_install_depth = 0;

void sweep_signals_install(void) {
  if (g_install_depth++ > 0) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* MPI internals keep working; nanosleep still wakes */
  sigaction(SIGTERM, &sa, &g_saved_term);
  sigaction(SIGINT, &sa, &g_saved_intr);
}

void sweep_signals_restore(void) {
  if (g_install_depth == 0 || --g_install_depth > 0) return;
  sigaction(SIGTERM, &g_saved_term, NULL);
  sigaction(SIGINT, &g_saved_intr, NULL);
}

void sweep_stop_poll_comm(MPI_Comm comm) { g_poll_comm = comm; }
void stop_set_message(int on) { g_stop_msg = on; }
int stop_signalled(void) { return g_stop != 0; }
int stop_any(void) { return g_stop || g_stop_msg; }
void stop_note_signal(int sig) {
  if (!g_signal) g_signal = sig;
}

const char *sweep_stop_signal_name(void) {
  if (g_signal == SIGTERM && launcher_detected())
    /* Open MPI's mpirun stops its ranks with SIGTERM whatever it received,
     * so a Ctrl-C reaches us as SIGTERM: say so rather than guess. */
    return "SIGTERM (mpirun passes a Ctrl-C or SIGINT on to the ranks as SIGTERM)";
  return g_signal == SIGINT ? "SIGINT" : g_signal == SIGTERM ? "SIGTERM" : "a signal";
}
