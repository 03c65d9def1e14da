#!/usr/bin/env bash
# Scheduler-throughput benchmark (not a test): synthetic tasks that cost
# nothing, many oversubscribed ranks, tasks/s through rank 0, with the
# journal fsync'd per batch (the default) and without (scheduler alone).
#   bash tests/sweep/bench_sched.sh BUILD/tests/sweep/sweep_synth [NP...]
set -euo pipefail
SYNTH=$1
shift
NPS=${*:-16 32}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
MPI=${MLPS_MPIEXEC:-mpiexec --oversubscribe}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "cores: $(nproc); $(mpiexec --version | head -1)"
for np in $NPS; do
  for fs in "" --no-fsync; do
    rm -rf "$T/out"
    $MPI -n "$np" "$SYNTH" --out "$T/out" --trials 10000 --folds 5 --quiet $fs |
      sed "s/^synth:/np=$np ${fs:-fsync}:/"
  done
done
