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
# it (analysis/accuracy_table.py --config), with data.noise poisson at
# EXPOSURE added to every one (it decides nothing in a sweep that neither
# trains nor selects by it; the final stage then reports the first-order
# posterior bias over all test rows, workflow/fisher.h). A variant that changes only the
# final stage (its overlay has no other section) starts from a copy of the
# finished base run and resumes it: the sweep is the same, only the final
# stage runs again, and its wall time is counted as the base's sweep plus
# its own final stage. A finished variant is not rerun.
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
  [hard]='{final: {hard_examples: {rounds: 10, n_bad: 2000, weight: 5, lr_factor: 0.3, epochs: 30}}}'
  [committee3]='{final: {committee: 3}}'
  [hard+ens2]='{final: {ensemble: 2, hard_examples: {rounds: 10, n_bad: 2000, weight: 5, lr_factor: 0.3, epochs: 30}}}'
  [hard-bias]='{final: {hard_examples: {rounds: 10, n_bad: 2000, weight: 5, lr_factor: 0.3, epochs: 30, by: bias}}}'
  [hard-bias+ens2]='{final: {ensemble: 2, hard_examples: {rounds: 10, n_bad: 2000, weight: 5, lr_factor: 0.3, epochs: 30, by: bias}}}'
  [bias-select]='{search: {metric: {name: val_p95_bias, goal: minimize}}}'
  [bias-select+hard-bias]='{search: {metric: {name: val_p95_bias, goal: minimize}}, final: {hard_examples: {rounds: 10, n_bad: 2000, weight: 5, lr_factor: 0.3, epochs: 30, by: bias}}}'
)
VARIANTS=${VARIANTS:-base p95 chi2 hard committee3 hard+ens2 hard-bias hard-bias+ens2 bias-select bias-select+hard-bias}

mkdir -p "$OUT" "$(dirname "$DATA")"
[ -s "$DATA" ] || "$B" gen brokenpowerlaw --n 20000 --seed 1 --sampling lhs -o "$DATA"
for v in $VARIANTS; do
  [ -n "${overlay[$v]+x}" ] || { echo "bench_accuracy.sh: VARIANTS: unknown variant '$v' (known: ${!overlay[*]})" >&2; exit 2; }
  run="$OUT/$v"
  if [ ! -s "$run/summary.json" ]; then
    $PY "$here/accuracy_table.py" --config "$BASE" "${overlay[$v]}" "$DATA" "$run" "$EXPOSURE" > "$OUT/$v.yaml"
    resume=""
    if [ "$v" != base ] && [[ ${overlay[$v]} =~ ^\{final: ]] && [ ! -e "$run" ]; then
      [ -s "$OUT/base/summary.json" ] || { echo "bench_accuracy.sh: variant $v resumes the base run: put base first in VARIANTS" >&2; exit 2; }
      cp -r "$OUT/base" "$run"
      rm -f "$run/summary.json" "$run/mcmc_check.json" "$run/mlpsweep.lock"
      echo "$OUT/base" > "$run/bench_base"
    fi
    [ -s "$run/trials.jsonl" ] && resume="--resume"
    mpirun --oversubscribe -np "$NP" "$B" run "$OUT/$v.yaml" $resume
  fi
  if [ "$MCMC" = 1 ] && [ ! -s "$run/mcmc_check.json" ]; then
    MLPS_BIN="$B" $PY "$here/mcmc_check.py" "$run" --generator brokenpowerlaw --exposure "$EXPOSURE" \
      --points "$POINTS" --no-plot
  fi
done
$PY "$here/accuracy_table.py" --table "$OUT" $VARIANTS
