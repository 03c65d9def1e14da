#!/usr/bin/env bash
# Parallel-efficiency benchmark (not a test): the same real-training sweep
# (a fixed grid, so both runs do identical work) with 1 worker (np 2) and
# with 2 workers (np 3) on this machine; prints trials/hour for each and the
# efficiency = rate(2 workers) / (2 * rate(1 worker)).
#   MLPS_BIN=build/src/mlpsweep bash analysis/bench_parallel.sh
set -euo pipefail
B=${MLPS_BIN:-build/src/mlpsweep}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$B" gen brokenpowerlaw --n 20000 --seed 1 -o "$T/bpl.h5" >/dev/null
cat > "$T/grid.yaml" <<YAML
name: bench-parallel
seed: 1
data: {path: $T/bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: grid, metric: {name: val_mse, goal: minimize}}
parameters:
  layers: {values: [2, 3]}
  width: {values: [32, 48, 64, 96]}
  lr: {value: 1.0e-3}
  batch: {values: [64, 128]}
train: {max_epochs: 25, patience: 25}
final: {retrain: false}
YAML
declare -A rate
for np in 2 3; do
  t0=$(date +%s.%N)
  mpirun --oversubscribe -np $np "$B" run "$T/grid.yaml" -q --set output.dir="$T/np$np" >/dev/null
  t1=$(date +%s.%N)
  # the sweep's own wall time (excludes start-up and the final stage)
  sweep_s=$(/usr/bin/python3 -c "import json;print(json.load(open('$T/np$np/summary.json'))['sweep_seconds'])")
  rate[$np]=$(/usr/bin/python3 -c "print(16*3600/$sweep_s)")
  printf '{"workers": %d, "ranks": %d, "trials": 16, "sweep_seconds": %.2f, "total_seconds": %.2f, "trials_per_hour": %.0f}\n' \
    $((np - 1)) $np "$sweep_s" "$(/usr/bin/python3 -c "print($t1 - $t0)")" "${rate[$np]}"
done
/usr/bin/python3 -c "print('{\"parallel_efficiency_2_workers\": %.3f}' % (${rate[3]} / (2 * ${rate[2]})))"
