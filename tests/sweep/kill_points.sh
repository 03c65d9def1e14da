#!/usr/bin/env bash
# kill -9 of the launcher at N points spread over a whole `mlpsweep run`
# (start-up, the sweep, the final retrain, the writing of the outputs), each
# followed by --resume: no task is lost or duplicated, and trials.csv and
# the final test metrics equal those of the uninterrupted run.
#
#   bash tests/sweep/kill_points.sh            # the CTest: 6 points
#   KILL_POINTS=40 bash tests/sweep/kill_points.sh   # a longer run
# Needs MLPS_BIN, MLPS_MPIEXEC and MLPS_TMP (set by CTest; by hand e.g.
# MLPS_BIN=build/src/mlpsweep MLPS_MPIEXEC="mpiexec --oversubscribe"
# MLPS_TMP=/tmp). The points are fractions of the uninterrupted run's wall
# time, from just after the launch to just past its end, so they land in
# every stage; which stage each hit is printed.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}"
N=${KILL_POINTS:-6}
W=$MLPS_TMP/kill_points
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../outputs.sh"
. "$(dirname "${BASH_SOURCE[0]}")/kill_run.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

"$MLPS_BIN" gen brokenpowerlaw --n 2000 --seed 9 -o bpl.h5 >/dev/null || exit 1
cat > kill.yaml <<'YAML'
name: kill
seed: 21
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 8, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  layers: {values: [1, 2]}
  width: {values: [24, 32]}
  lr: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}
  batch: {value: 32}
train: {max_epochs: 300, patience: 0}
final: {epochs: fixed, fixed_epochs: 2500, ensemble: 2}
YAML
launch() { $MLPS_MPIEXEC -n 3 "$MLPS_BIN" run kill.yaml --set output.dir="$1" "${@:2}"; }

t0=$(date +%s.%N)
launch ref >ref.log 2>&1
check "the uninterrupted run finishes" "[ $? -eq 0 ] && [ -s ref/summary.json ]"
T=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
echo "uninterrupted run: $T s; killing at $N points over it"

for ((k = 0; k < N; k++)); do
  out=p$k
  # fractions 0.02 .. 1.05 of the run, evenly spread
  at=$(awk -v t="$T" -v k=$k -v n=$N 'BEGIN { printf "%.3f", t * (0.02 + 1.03 * k / (n - 1)) }')
  # mpiexec itself in the background (not a shell function, which would
  # put a subshell between us and it): $! is the launcher we kill.
  $MLPS_MPIEXEC -n 3 "$MLPS_BIN" run kill.yaml --set output.dir="$out" >$out.log 2>&1 &
  launcher=$!
  sleep "$at"
  stage="start-up"
  [ -s $out/trials.jsonl ] && stage="sweep ($(tasks $out) of 16 tasks)"
  grep -q 'retraining' $out.log 2>/dev/null && stage="final stage"
  [ -s $out/summary.json ] && stage="after the end"
  # Orphaned ranks notice that mpirun is gone and exit writing nothing;
  # resume once they have (a requeued job starts on fresh processes).
  kill_run $launcher
  # (no ranks at all: mpirun was killed before it had started them)
  check "point $k (${at} s, $stage): the ranks are gone after kill -9 of mpirun" "[ $alive -eq 0 ]"
  launch $out --resume >$out.resume.log 2>&1
  check "point $k: --resume finishes" "[ $? -eq 0 ] && [ -s $out/summary.json ]" || tail -5 $out.resume.log
  check "point $k: no task lost or duplicated" "[ \$(tasks $out) -eq 16 ] && [ \$(dups $out) -eq 0 ]"
  check "point $k: trials.csv equals the uninterrupted run's" "diff <(strip ref/trials.csv) <(strip $out/trials.csv) >/dev/null"
  check "point $k: the final test metrics equal the uninterrupted run's" \
    "[ \"\$(test_metrics ref)\" = \"\$(test_metrics $out)\" ]"
done
checks_done kill_points "all checks passed ($N kill points)"
