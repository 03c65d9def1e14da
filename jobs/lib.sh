#!/usr/bin/env bash
# Shared by the job scripts (sourced): find the executable, size the launch
# from the SLURM allocation, pick the launcher and SLURM's MPI plugin, take
# the output directory from the config, add --resume when it holds a
# journal, stop the sweep cleanly on the walltime signal and requeue the job
# so the next start resumes. Outside SLURM the same scripts run with mpirun
# on this machine.
#
# Environment read (all optional):
#   MLPSWEEP              the mlpsweep executable (default: build/src/mlpsweep
#                         of this checkout, else `mlpsweep` on PATH)
#   MLPSWEEP_LAUNCHER     srun | mpirun (default: srun inside a SLURM job,
#                         mpirun elsewhere)
#   MLPSWEEP_COORDINATOR  share (default): one rank per allocated task slot
#                         plus the coordinator, rank 0, which mostly sleeps
#                         and shares a core (srun --overcommit); slot: the
#                         coordinator takes one of the slots (one worker less)
#   SLURM_MPI_TYPE        SLURM's MPI plugin for srun (default: pmix when
#                         srun lists it, which Open MPI 4 needs; else pmi2)
#   NP                    ranks outside SLURM (default: cores + 1)

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

mlps_say() { echo "mlpsweep job: $*"; }

# This job for scancel and scontrol: an array task's own SLURM_JOB_ID can be
# the array's id, which would address every task of the array.
MLPS_JOB=${SLURM_JOB_ID:-}
[ -n "${SLURM_ARRAY_JOB_ID:-}" ] && MLPS_JOB=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}

# A walltime signal can come before the sweep starts (SLURM may send it up
# to a minute early); note it so the job still ends as "stopped, requeue".
MLPS_GOT_TERM=0
trap 'MLPS_GOT_TERM=1; mlps_say "caught SIGTERM before the sweep started"' TERM INT

# mlps_expand_counts "4(x2),2": prints 4 4 2 (SLURM's per-node count lists).
mlps_expand_counts() {
  local item n r items out=()
  IFS=, read -ra items <<<"$1"
  for item in "${items[@]}"; do
    n=${item%%(*}
    r=1
    [[ $item == *"(x"* ]] && { r=${item#*(x}; r=${r%)}; }
    while [ "$r" -gt 0 ]; do out+=("$n"); r=$((r - 1)); done
  done
  echo "${out[*]}"
}

# mlps_output_dir CONFIG [run args]: output.dir of the config as resolved
# by `mlpsweep validate` (with the same --set overrides).
mlps_output_dir() {
  local config=$1 resolved
  shift
  resolved=$("$MLPSWEEP" validate "$config" "$@") || return 2
  sed -n '/^output:/,/^[^ ]/s/^  dir: //p' <<<"$resolved" | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
}

# mlps_launch CMD...: runs CMD on every rank and returns its exit code.
# Under SLURM the ranks are the job's task slots (SLURM_TASKS_PER_NODE: the
# node's CPUs with --exclusive, or what -n/--ntasks-per-node asked for),
# plus the coordinator unless MLPSWEEP_COORDINATOR=slot. SIGTERM or SIGINT
# to this shell (SLURM's --signal=B:TERM@...) reaches the ranks as SIGTERM,
# so the sweep stops through its own handler (exit 3).
mlps_launch() {
  local launcher=${MLPSWEEP_LAUNCHER:-}
  if [ -z "$launcher" ]; then
    if [ -n "${SLURM_JOB_ID:-}" ] && command -v srun >/dev/null; then launcher=srun; else launcher=mpirun; fi
  fi
  local share=1
  case "${MLPSWEEP_COORDINATOR:-share}" in
    share) ;;
    slot) share=0 ;;
    *) echo "mlpsweep job: MLPSWEEP_COORDINATOR must be share or slot, not '$MLPSWEEP_COORDINATOR'" >&2; return 2 ;;
  esac
  local cmd=() counts=() total=0 c
  if [ -n "${SLURM_JOB_ID:-}" ]; then
    read -ra counts <<<"$(mlps_expand_counts "${SLURM_TASKS_PER_NODE:-1}")"
    for c in "${counts[@]}"; do total=$((total + c)); done
    [ "$share" -eq 1 ] && total=$((total + 1))
  fi
  case "$launcher" in
    srun)
      [ -n "${SLURM_JOB_ID:-}" ] || { echo "mlpsweep job: MLPSWEEP_LAUNCHER=srun needs a SLURM job" >&2; return 2; }
      local mpi=${SLURM_MPI_TYPE:-}
      if [ -z "$mpi" ]; then
        local plugins
        plugins=$(srun --mpi=list 2>&1)
        if grep -qw pmix <<<"$plugins"; then mpi=pmix; elif grep -qw pmi2 <<<"$plugins"; then mpi=pmi2; fi
      fi
      cmd=(srun --kill-on-bad-exit=1 -n "$total")
      [ -n "$mpi" ] && cmd+=(--mpi="$mpi")
      [ "$share" -eq 1 ] && cmd+=(--overcommit)
      ;;
    mpirun)
      if [ -n "${SLURM_JOB_ID:-}" ]; then
        # Open MPI reads the allocation's slots itself; the coordinator is
        # one rank more than the slots (--oversubscribe).
        cmd=(mpirun -np "$total")
        [ "$share" -eq 1 ] && cmd+=(--oversubscribe)
      else
        cmd=(mpirun --oversubscribe -np "${NP:-$(($(nproc) + 1))}")
      fi
      ;;
    *) echo "mlpsweep job: MLPSWEEP_LAUNCHER must be srun or mpirun, not '$launcher'" >&2; return 2 ;;
  esac
  if [ "$MLPS_GOT_TERM" -eq 1 ]; then
    mlps_say "not starting the sweep: the job was already told to stop"
    return 3
  fi
  mlps_say "${cmd[*]} $*"
  "${cmd[@]}" "$@" &
  local pid=$!
  # Under srun, signal the job's steps (not this shell): slurmstepd delivers
  # SIGTERM to every rank on every node. Killing srun instead would make it
  # SIGKILL the ranks. mpirun forwards SIGTERM to its ranks itself.
  local stop
  if [ "$launcher" = srun ]; then stop='scancel --signal=TERM "$MLPS_JOB"'; else stop="kill -TERM $pid 2>/dev/null"; fi
  trap 'MLPS_GOT_TERM=1; mlps_say "caught SIGTERM, asking the sweep to stop"; '"$stop" TERM INT
  # A signal that came between the check above and this trap.
  [ "$MLPS_GOT_TERM" -eq 1 ] && eval "$stop"
  local rc=0
  wait $pid || rc=$?
  # wait returns early when a trapped signal arrives; wait again for the end.
  while kill -0 $pid 2>/dev/null; do
    rc=0
    wait $pid || rc=$?
  done
  trap 'MLPS_GOT_TERM=1' TERM INT
  return $rc
}

# mlps_resume_flag OUTDIR: prints --resume when OUTDIR holds a journal.
mlps_resume_flag() {
  if [ -s "$1/trials.jsonl" ]; then echo "--resume"; fi
}

# mlps_requeue_if_stopped RC OUTDIR: when the sweep stopped before its end
# (OUTDIR/stopped, written by a clean stop; or exit code 3 or our SIGTERM,
# with no summary.json yet), requeue the job under SLURM; the next start
# finds the journal and adds --resume. (mpirun exits 1 when it is itself
# signalled, whatever the ranks return, so the code alone cannot decide.)
mlps_requeue_if_stopped() {
  local rc=$1 out=$2
  if [ -e "$out/stopped" ] || { { [ "$rc" -eq 3 ] || [ "${MLPS_GOT_TERM:-0}" -eq 1 ]; } && [ ! -s "$out/summary.json" ]; }; then
    if [ -n "${SLURM_JOB_ID:-}" ] && command -v scontrol >/dev/null; then
      # SLURM holds a requeued job for AuthInfo's cred_expire (default 120 s).
      local hold
      hold=$(scontrol show config 2>/dev/null | sed -n 's/^AuthInfo .*cred_expire=\([0-9]*\).*/\1/p')
      mlps_say "sweep stopped before its end; requeueing job $MLPS_JOB to resume (SLURM holds a requeued job ${hold:-120} s before it may start again)"
      scontrol requeue "$MLPS_JOB" ||
        mlps_say "scontrol requeue failed; submit the same command again to resume"
    else
      mlps_say "sweep stopped before its end; run the same command again to resume"
    fi
  fi
}

# mlps_sweep CONFIG OUTDIR [run args]: the whole job. OUTDIR empty means the
# config's output.dir. Returns the sweep's exit code.
mlps_sweep() {
  local config=$1 out=$2 rc
  shift 2
  [ -n "${SLURM_RESTART_COUNT:-}" ] && mlps_say "start $((SLURM_RESTART_COUNT + 1)) of job $MLPS_JOB (requeued)"
  if [ -n "$out" ]; then
    set -- "$@" --set "output.dir=$out"
  else
    out=$(mlps_output_dir "$config" "$@") || return 2
  fi
  mlps_launch "$MLPSWEEP" run "$config" "$@" $(mlps_resume_flag "$out")
  rc=$?
  mlps_requeue_if_stopped $rc "$out"
  return $rc
}
