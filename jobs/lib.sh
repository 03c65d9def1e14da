#!/usr/bin/env bash
# Shared by the job scripts: pick the launcher (srun inside a SLURM
# allocation, mpirun elsewhere), resume automatically when the output
# directory already holds a journal, and forward SIGTERM from SLURM's
# walltime warning to the sweep so it stops cleanly and can be requeued.
#
# Environment read:
#   MLPSWEEP   path of the mlpsweep executable (default: build/src/mlpsweep
#              of this checkout, else `mlpsweep` on PATH)
#   NP         ranks when not under SLURM (default: number of cores)

MLPS_JOBS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${MLPSWEEP:-}" ]; then
  if [ -x "$MLPS_JOBS_DIR/../build/src/mlpsweep" ]; then
    MLPSWEEP=$MLPS_JOBS_DIR/../build/src/mlpsweep
  else
    MLPSWEEP=mlpsweep
  fi
fi
# One BLAS thread per rank: ranks, not threads, use the cores, and results
# stay bit-identical whatever the rank count.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# mlps_launch CMD...: runs CMD on all ranks of the allocation (srun) or on
# $NP local ranks (mpirun) and returns its exit code. SIGTERM/SIGINT sent to
# this shell are passed on to the launcher, which passes them to the ranks.
mlps_launch() {
  local launcher
  if [ -n "${SLURM_JOB_ID:-}" ] && command -v srun >/dev/null; then
    launcher=(srun --kill-on-bad-exit=1)
  else
    launcher=(mpirun --oversubscribe -np "${NP:-$(nproc)}")
  fi
  echo "mlpsweep job: ${launcher[*]} $*"
  "${launcher[@]}" "$@" &
  local pid=$!
  MLPS_GOT_TERM=0
  trap 'MLPS_GOT_TERM=1; echo "mlpsweep job: caught SIGTERM, asking the sweep to stop"; kill -TERM $pid 2>/dev/null' TERM INT
  local rc=0
  wait $pid || rc=$?
  # wait returns early when a trapped signal arrives; wait again for the end.
  while kill -0 $pid 2>/dev/null; do wait $pid || rc=$?; done
  trap - TERM INT
  return $rc
}

# mlps_resume_flag OUTDIR: prints --resume when OUTDIR holds a journal.
mlps_resume_flag() {
  if [ -s "$1/trials.jsonl" ]; then echo "--resume"; fi
}

# mlps_requeue_if_stopped RC OUTDIR: after a walltime SIGTERM (or exit code 3,
# "stopped, resumable") with the sweep unfinished (no summary.json yet),
# requeue the job under SLURM; the next start finds the journal and adds
# --resume. (mpirun exits 1 when it is itself signalled, whatever the ranks
# return, so the signal and the missing summary decide, not only the code.)
mlps_requeue_if_stopped() {
  local rc=$1 out=$2
  if { [ "$rc" -eq 3 ] || [ "${MLPS_GOT_TERM:-0}" -eq 1 ]; } && [ ! -s "$out/summary.json" ]; then
    if [ -n "${SLURM_JOB_ID:-}" ] && command -v scontrol >/dev/null; then
      echo "mlpsweep job: sweep stopped before its end; requeueing job $SLURM_JOB_ID to resume"
      scontrol requeue "$SLURM_JOB_ID"
    else
      echo "mlpsweep job: sweep stopped before its end; run the same command again to resume"
    fi
  fi
}
