#!/usr/bin/env bash
# Pruning in a real `mlpsweep run` under real mpirun (issue 20):
#   asha     np 3, ASHA: some trials are pruned; each task pruned by its own
#            judgement trained exactly its rung's epochs (it waits for the
#            verdict there); its siblings are stopped or never start; no
#            pruned trial is the best; summary.json counts it all.
#   batch    generations (search.batch): np 2 and np 3 give the same
#            trials.csv; kill -9 mid-sweep then --resume gives it too, with
#            no task duplicated and no pruned trial rerun.
#   tpe      TPE + ASHA: the best trial is complete, never a pruned one;
#            W&B's early_terminate runs Hyperband; search.max_seconds
#            0.001 starts no task and the run still ends with exit 0.
# Usage: prune.sh CASE (needs MLPS_BIN, MLPS_MPIEXEC, MLPS_TMP, as CTest sets).
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}"
case_name=$1
W=$MLPS_TMP/prune_$case_name
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../outputs.sh"
. "$(dirname "${BASH_SOURCE[0]}")/kill_run.sh"
check_context=$case_name
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
run() { local np=$1; shift; timeout --preserve-status 300 $MLPS_MPIEXEC -n "$np" "$MLPS_BIN" run "$@"; }

"$MLPS_BIN" gen brokenpowerlaw --n 500 --seed 5 -o bpl.h5 >/dev/null || exit 1
# Epochs are cheap (small net, 400 rows); rungs at 3 and 9 of 27 epochs;
# no early stopping, so a task that is not pruned trains 27 epochs.
cat > prune.yaml <<'YAML'
name: prune
seed: 7
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search:
  method: random
  trials: 12
  metric: {name: val_median_frac_err, goal: minimize}
  pruner: {name: asha, min_epochs: 3, eta: 3}
parameters:
  layers: {value: 1}
  width: {values: [8, 16]}
  lr: {distribution: log_uniform_values, min: 1.0e-4, max: 3.0e-2}
  batch: {value: 64}
train: {max_epochs: 27, patience: 0}
final: {ensemble: 1}
YAML

# journal_tasks DIR: prints one line per task "trial fold status epochs rung
# pruned_fold start" from DIR/trials.jsonl (rung/pruned_fold -1 when not pruned).
journal_tasks() {
  /usr/bin/python3 - "$1/trials.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()[1:]
for l in lines:
    d = json.loads(l)
    print(d["trial"], d["fold"], d["status"], d["epochs"], d.get("rung", -1), d.get("pruned_fold", -1), d["start"])
PY
}
state_of() { # state_of DIR TRIAL: the state column of that trial in trials.csv
  awk -F, -v t="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "state") c = i } NR > 1 && $1 == t { print $c }' "$1/trials.csv"
}
best_of() { grep -o '"best_trial":[0-9-]*' "$1/summary.json" | head -1 | cut -d: -f2; }

case $case_name in
asha)
  run 3 prune.yaml -q --set output.dir=a3 >a3.log 2>&1
  check "np 3 ASHA sweep exits 0" "[ $? -eq 0 ] && [ -s a3/summary.json ]" || tail -5 a3.log
  journal_tasks a3 >a3.tasks
  own=$(awk '$3 == "pruned" && $6 == $2' a3.tasks | wc -l)
  check "some tasks are pruned by their own judgement ($own)" "[ $own -gt 0 ]"
  check "a task pruned by its own judgement trained exactly its rung's epochs (3 or 9)" \
    "[ \$(awk '\$3 == \"pruned\" && \$6 == \$2 && (\$4 != \$5 || (\$5 != 3 && \$5 != 9))' a3.tasks | wc -l) -eq 0 ]" ||
    awk '$3 == "pruned" && $6 == $2' a3.tasks | head -5
  check "tasks not pruned trained all 27 epochs" \
    "[ \$(awk '\$3 == \"ok\" && \$4 != 27' a3.tasks | wc -l) -eq 0 ]"
  np=$(grep -c ',pruned,[^,]*,[^,]*$' a3/trials.csv)
  check "trials.csv has pruned trials ($np) with state pruned" "[ $np -gt 0 ]"
  # a pruned trial's folds: none runs after its pruning; none duplicated
  check "no (trial, fold) twice in the journal" "[ \$(dups a3) -eq 0 ]"
  while read -r t; do
    n=$(awk -v t="$t" '$1 == t' a3.tasks | wc -l)
    [ "$n" -le 2 ] || fail "pruned trial $t has $n task lines"
  done < <(awk '$3 == "pruned" { print $1 }' a3.tasks | sort -u)
  b=$(best_of a3)
  check "the best trial ($b) is complete" "[ \"\$(state_of a3 $b)\" = complete ]"
  check "summary.json has the pruning block" \
    "grep -q '\"pruning\":{\"pruner\":\"asha\",\"trials_pruned\":$np,' a3/summary.json"
  check "summary.json: fewer epochs trained than without pruning, rungs 3 and 9" \
    "/usr/bin/python3 -c 'import json,sys; p=json.load(open(\"a3/summary.json\"))[\"pruning\"]; sys.exit(not (p[\"epochs_trained\"] < p[\"epochs_without_pruning\"] and p[\"rungs\"] == [3, 9]))'"
  # the cost of waiting for the verdicts at rungs is measured: every task
  # that reached a rung waited (wait_seconds > 0, at most its seconds) and
  # the summary's verdict_wait_seconds is the journal's sum
  check "the rung waits are timed per task and summed in summary.json" \
    "/usr/bin/python3 - <<'PY'
import json
lines = [json.loads(l) for l in open('a3/trials.jsonl').read().splitlines()[1:]]
p = json.load(open('a3/summary.json'))['pruning']
assert all(0 <= d['wait_seconds'] <= d['seconds'] for d in lines)
assert all(d['wait_seconds'] > 0 for d in lines if d['epochs'] >= 3 and d['status'] in ('ok', 'pruned') and d.get('pruned_fold', d['fold']) == d['fold'])
assert abs(p['verdict_wait_seconds'] - sum(d['wait_seconds'] for d in lines)) < 1e-9 * max(1, p['task_seconds'])
assert 0 < p['verdict_wait_seconds'] < p['task_seconds']
PY"
  # asynchronous: kill -9 mid-sweep, --resume: nothing duplicated, no
  # pruned trial gets a task after the resume
  $MLPS_MPIEXEC -n 3 "$MLPS_BIN" run prune.yaml -q --set output.dir=k >k.log 2>&1 &
  launcher=$!
  for ((i = 0; i < 3000 && $(tasks k) < 8; i++)); do kill -0 $launcher 2>/dev/null || break; sleep 0.05; done
  kill_run $launcher
  check "asynchronous: killed mid-sweep ($(tasks k) tasks journaled)" "[ ! -s k/summary.json ] && [ $alive -eq 0 ]"
  journal_tasks k >k.before
  run 3 prune.yaml -q --set output.dir=k --resume >k.resume.log 2>&1
  check "asynchronous: --resume after kill -9 finishes" "[ $? -eq 0 ] && [ -s k/summary.json ]" || tail -5 k.resume.log
  check "asynchronous: no (trial, fold) twice after the resume" "[ \$(dups k) -eq 0 ]"
  journal_tasks k >k.after
  rerun=$(awk 'NR == FNR { if ($3 == "pruned") p[$1] = 1; next } $7 > 0 && ($1 in p)' k.before k.after | wc -l)
  check "asynchronous: no pruned trial rerun after --resume" "[ $rerun -eq 0 ]"
  # the median: verdicts come asynchronously (picked up with STOP's poll)
  sed 's/^  pruner: .*/  pruner: {name: median, startup_trials: 2, warmup_epochs: 2}/' prune.yaml >median.yaml
  run 3 median.yaml -q --set output.dir=m3 >m3.log 2>&1
  check "np 3 median sweep exits 0" "[ $? -eq 0 ] && [ -s m3/summary.json ]" || tail -5 m3.log
  check "the median prunes trials" "grep -q ',pruned,[^,]*,[^,]*\$' m3/trials.csv"
  b=$(best_of m3)
  check "the median's best trial ($b) is complete" "[ \"\$(state_of m3 $b)\" = complete ]"
  ;;

batch)
  B="--set search.batch=4"
  run 2 prune.yaml -q $B --set output.dir=b2 >b2.log 2>&1
  check "np 2 in generations exits 0" "[ $? -eq 0 ]" || tail -5 b2.log
  run 3 prune.yaml -q $B --set output.dir=b3 >b3.log 2>&1
  check "np 3 in generations exits 0" "[ $? -eq 0 ]" || tail -5 b3.log
  np=$(grep -c ',pruned,[^,]*,[^,]*$' b2/trials.csv)
  check "trials are pruned in generations ($np)" "[ $np -gt 0 ]"
  check "np 2 and np 3 give the same trials.csv" "diff <(strip b2/trials.csv) <(strip b3/trials.csv)"
  # kill -9 of mpirun once a few tasks are journaled, then --resume
  $MLPS_MPIEXEC -n 3 "$MLPS_BIN" run prune.yaml -q $B --set output.dir=k >k.log 2>&1 &
  launcher=$!
  for ((i = 0; i < 3000 && $(tasks k) < 8; i++)); do kill -0 $launcher 2>/dev/null || break; sleep 0.05; done
  kill_run $launcher
  n1=$(tasks k)
  check "killed mid-sweep ($n1 tasks journaled), the ranks are gone" "[ ! -s k/summary.json ] && [ $alive -eq 0 ]"
  journal_tasks k >k.before
  run 3 prune.yaml -q $B --set output.dir=k --resume >k.resume.log 2>&1
  check "--resume finishes" "[ $? -eq 0 ] && [ -s k/summary.json ]" || tail -5 k.resume.log
  check "no (trial, fold) twice in the journal" "[ \$(dups k) -eq 0 ]"
  check "kill -9 + --resume gives the uninterrupted trials.csv" "diff <(strip b2/trials.csv) <(strip k/trials.csv)"
  # a trial pruned before the kill, with no fold left below its pruned one,
  # gets no task after it
  journal_tasks k >k.after
  rerun=0
  while read -r t low; do
    below=$(awk -v t="$t" -v l="$low" '$1 == t && $2 < l' k.before | wc -l)
    [ "$below" -lt "$low" ] && continue # a fold below was in flight: it runs
    if awk -v t="$t" '$1 == t && $7 > 0' k.after | grep -q .; then rerun=1; fail "pruned trial $t got tasks after --resume"; fi
  done < <(awk '$3 == "pruned" { if (!($1 in m) || $2 < m[$1]) m[$1] = $2 } END { for (t in m) print t, m[t] }' k.before)
  check "no pruned trial rerun after --resume" "[ $rerun -eq 0 ]"
  ;;

tpe)
  T="--set search.method=tpe --set search.startup_trials=4 --set search.trials=14"
  run 3 prune.yaml -q $T --set output.dir=t3 >t3.log 2>&1
  check "np 3 TPE + ASHA exits 0" "[ $? -eq 0 ]" || tail -5 t3.log
  np=$(grep -c ',pruned,[^,]*,[^,]*$' t3/trials.csv)
  check "TPE + ASHA prunes trials ($np)" "[ $np -gt 0 ]"
  b=$(best_of t3)
  check "TPE's best trial ($b) is complete, never a pruned one" "[ \"\$(state_of t3 $b)\" = complete ]"
  # W&B's spelling maps onto the pruner
  sed 's/^  pruner: .*/  early_terminate: {type: hyperband, min_iter: 3, eta: 3}/' prune.yaml >wandb.yaml
  run 3 wandb.yaml -q --set output.dir=w3 >w3.log 2>&1
  check "early_terminate {type: hyperband} runs Hyperband" \
    "[ $? -eq 0 ] && grep -q '\"pruning\":{\"pruner\":\"hyperband\"' w3/summary.json" || tail -5 w3.log
  run 2 prune.yaml -q --set output.dir=m2 --set search.max_seconds=0.001 >m2.log 2>&1
  check "search.max_seconds spent: the run still ends with exit 0" "[ $? -eq 0 ] && [ -s m2/summary.json ]" || tail -5 m2.log
  check "search.max_seconds spent: fewer than the 24 tasks ran ($(tasks m2))" "[ \$(tasks m2) -lt 24 ]"
  check "summary.json says the budget was spent" "grep -q '\"budget_spent\":true' m2/summary.json"
  ;;
esac
checks_done "prune_$case_name"
