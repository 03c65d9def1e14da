#!/usr/bin/env bash
# Accuracy benchmark of issue 22 (not a test): the quickstart config as it
# is against variants that target the tail of the error distribution, each
# run once on the same data and cores; then the test set's median, p95,
# p99 and max |fractional error|, the wall time, and (MCMC=1) the largest
# posterior bias at EXPOSURE counts per unit (analysis/mcmc_check.py).
#
#   MLPS_BIN=build/src/mlpsweep bash analysis/bench_accuracy.sh
#
# Settings (environment): VARIANTS (all of those below, by name), NP (ranks,
# nproc + 1), OUT (runs/bench-accuracy), BASE (configs/quickstart.yaml),
# DATA (its data file, generated when missing), MCMC (1), EXPOSURE (1000),
# POINTS (6). A variant is the base config with a YAML overlay merged over
# it (analysis/accuracy_table.py --config). A finished variant is not rerun.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
B=$(realpath "${MLPS_BIN:-$root/build/src/mlpsweep}")
PY=/usr/bin/python3
OUT=${OUT:-runs/bench-accuracy}
BASE=${BASE:-$root/configs/quickstart.yaml}
DATA=${DATA:-data/brokenpowerlaw-20k.h5}
NP=${NP:-$(( $(nproc) + 1 ))}
MCMC=${MCMC:-1}
EXPOSURE=${EXPOSURE:-1000}
POINTS=${POINTS:-6}

declare -A overlay=(
  [base]='{}'
  [p95]='{search: {metric: {name: val_p95_frac_err, goal: minimize}}}'
  [chi2]='{data: {noise: {model: poisson, exposure: 1000}}, train: {loss: chi2}}'
  [hard]='{final: {hard_examples: {rounds: 3, n_bad: 500, weight: 5, lr_factor: 0.3, epochs: 30}}}'
  [committee3]='{final: {committee: 3}}'
  [combined]='{search: {metric: {name: val_p95_frac_err, goal: minimize}}, final: {committee: 3, hard_examples: {rounds: 3, n_bad: 500, weight: 5, lr_factor: 0.3, epochs: 30}}}'
)
VARIANTS=${VARIANTS:-base p95 chi2 hard committee3 combined}

mkdir -p "$OUT" "$(dirname "$DATA")"
[ -s "$DATA" ] || "$B" gen brokenpowerlaw --n 20000 --seed 1 --sampling lhs -o "$DATA"
for v in $VARIANTS; do
  [ -n "${overlay[$v]+x}" ] || { echo "bench_accuracy.sh: VARIANTS: unknown variant '$v' (known: ${!overlay[*]})" >&2; exit 2; }
  run="$OUT/$v"
  if [ ! -s "$run/summary.json" ]; then
    $PY "$here/accuracy_table.py" --config "$BASE" "${overlay[$v]}" "$DATA" "$run" > "$OUT/$v.yaml"
    resume=""
    [ -s "$run/trials.jsonl" ] && resume="--resume"
    start=$(date +%s.%N)
    mpirun --oversubscribe -np "$NP" "$B" run "$OUT/$v.yaml" $resume
    end=$(date +%s.%N)
    echo "$start $end" > "$run/bench_wall.txt"
  fi
  if [ "$MCMC" = 1 ] && [ ! -s "$run/mcmc_check.json" ]; then
    MLPS_BIN="$B" $PY "$here/mcmc_check.py" "$run" --generator brokenpowerlaw --exposure "$EXPOSURE" \
      --points "$POINTS" --no-plot
  fi
done
$PY "$here/accuracy_table.py" --table "$OUT" $VARIANTS
