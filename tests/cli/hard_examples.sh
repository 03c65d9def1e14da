#!/usr/bin/env bash
# final.hard_examples end to end under real mpirun (workflow/hard.c): a
# small finished sweep is resumed with hard-example settings, which redoes
# only the final stage.
#  - Helpful rounds: they run, are logged and reported in summary.json; a
#    kept round improved the holdout's 95th percentile, a round starts where
#    the previous kept one ended, a rejected round is the last; the report
#    and the weights are the same with 1 and 2 ranks.
#  - Fine-tuning that overfits (a huge weight on 2 rows at 50x or 80x the
#    learning rate) worsens the holdout: the round is rejected and undone,
#    so the two runs, whose fine-tunes differed, write bit-identical
#    networks and test predictions, and the reported holdout figures are the
#    ones before the round.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}"
W=$MLPS_TMP/hard_examples
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
run() { local np=$1; shift; timeout --preserve-status 300 $MLPS_MPIEXEC -n "$np" "$MLPS_BIN" run "$@"; }

"$MLPS_BIN" gen brokenpowerlaw --n 1200 --seed 5 -o bpl.h5 >/dev/null || exit 1
cat > sweep.yaml <<'YAML'
name: hard
seed: 11
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 2, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  layers: {values: [2]}
  width: {values: [32]}
  lr: {values: [3.0e-3]}
  batch: {values: [32]}
  activation: {values: [tanh]}
train: {max_epochs: 30, patience: 10}
output: {dir: base}
YAML
run 2 sweep.yaml -q >base.log 2>&1
check "the sweep without hard examples exits 0" "[ $? -eq 0 ] && [ -s base/model.h5 ]"
check "no hard_examples block without the key" "! grep -q hard_examples base/summary.json"

# resume NAME NP SETTINGS: the finished sweep's final stage again, in NAME.
resume() {
  cp -r base "$1"
  run "$2" sweep.yaml --resume --set output.dir="$1" --set final.hard_examples="$3" "${@:4}" >"$1.log" 2>&1
}

good='{rounds: 3, n_bad: 50, weight: 5, lr_factor: 0.3, epochs: 10}'
resume good2 2 "$good"
check "np 2 with helpful hard examples exits 0" "[ $? -eq 0 ] && [ -s good2/model.h5 ]"
check "rounds are logged" "grep -q 'final network 0, hard examples round 1/3: holdout median' good2.log"
resume good1 1 "$good"
check "np 1 with helpful hard examples exits 0" "[ $? -eq 0 ]"

# report.py OUT: checks the hard_examples block of OUT/summary.json and
# prints the number of rounds kept.
cat > report.py <<'PY'
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
by = s["hard_examples"]["by"]
unit = {"frac_err": "frac_err", "bias": "bias_sigma"}[by]
mem = s["hard_examples"]["members"]
assert len(mem) == 1 and mem[0]["member"] == 0, mem
m = mem[0]
assert m["holdout_rows"] == 108 and m["train_rows"] == 972, m  # ceil(0.1 * 1080)
r = m["rounds"]
assert 1 <= len(r) <= 3, r
for i, x in enumerate(r):
    assert x["kept"] == (x["p95_after"] < x["p95_before"]), x
    assert x["fine_tune"] == "ok", x
    if i:
        assert r[i - 1]["kept"], "a round after a rejected one"
        assert (x["median_before"], x["p95_before"]) == (r[i - 1]["median_after"], r[i - 1]["p95_after"]), r
last = r[-1]
want = (last["median_after"], last["p95_after"]) if last["kept"] else (last["median_before"], last["p95_before"])
assert (m["holdout_median_" + unit], m["holdout_p95_" + unit]) == want, m
print(sum(x["kept"] for x in r), r[0]["p95_after"] > r[0]["p95_before"])
PY
check "good rounds: summary report consistent, at least one round kept" \
  "out=\$(/usr/bin/python3 report.py good2) && [ \"\${out%% *}\" -ge 1 ]"
check "np 1 and np 2 report the same rounds" \
  "diff <(grep -o '\"hard_examples\":{.*}]}' good1/summary.json) <(grep -o '\"hard_examples\":{.*}]}' good2/summary.json)"

# same_nets A B: the networks of A/model.h5 and B/model.h5 are bit-identical
# (and so are the test predictions).
cat > same.py <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(d + "/model.h5", "r") for d in sys.argv[1:3])
names = []
a["members"].visit(lambda n: names.append(n) if isinstance(a["members"][n], h5py.Dataset) else None)
assert names, "no datasets under members/"
same = all(np.array_equal(a["members"][n][()], b["members"][n][()]) for n in names)
pa, pb = (h5py.File(d + "/test_predictions.h5", "r")["Y_pred"][()] for d in sys.argv[1:3])
sys.exit(0 if same and np.array_equal(pa, pb) else 1)
PY
check "np 1 and np 2 write the same networks" "/usr/bin/python3 same.py good1 good2"
check "kept rounds changed the network" "! /usr/bin/python3 same.py base good2"

resume over50 2 '{rounds: 3, n_bad: 2, weight: 200, lr_factor: 50, epochs: 30}'
check "an overfitting fine-tune exits 0" "[ $? -eq 0 ]"
resume over80 2 '{rounds: 3, n_bad: 2, weight: 200, lr_factor: 80, epochs: 40}'
check "another overfitting fine-tune exits 0" "[ $? -eq 0 ]"
for o in over50 over80; do
  check "$o: the round worsened the holdout p95 and was rejected, the rounds ended" \
    "[ \"\$(/usr/bin/python3 report.py $o)\" = '0 True' ]"
  check "$o: the log says it was undone" "grep -q 'round 1/3: .*: undone, rounds end' $o.log"
done
check "rejected rounds leave the network as before them, bit for bit" \
  "/usr/bin/python3 same.py over50 over80"
check "the rejected runs differ from the kept one (the comparison can fail)" \
  "! /usr/bin/python3 same.py over50 good2"
check "rejected runs report the same holdout figures before the round" \
  "diff <(grep -o '\"holdout_median_frac_err\":[^}]*' over50/summary.json) <(grep -o '\"holdout_median_frac_err\":[^}]*' over80/summary.json)"

# by: bias (data.noise added on the resume: the sweep did not use it): rows
# ranked and rounds judged by the first-order posterior bias (fisher.h)
resume bias2 2 '{rounds: 3, n_bad: 50, weight: 5, lr_factor: 0.3, epochs: 10, by: bias}' \
  --set "data.noise={model: poisson, exposure: 1000}"
check "by bias: exits 0, logs the rounds in sigma" \
  "[ $? -eq 0 ] && grep -q 'hard examples round 1/3: holdout median |posterior bias| .* sigma' bias2.log" || tail -3 bias2.log
check "by bias: summary report consistent (by, rounds, holdout figures in sigma)" \
  "/usr/bin/python3 report.py bias2 >/dev/null && grep -q '\"by\":\"bias\"' bias2/summary.json"
check "by bias ranks other rows than by frac_err (the fine-tuned networks differ)" \
  "! /usr/bin/python3 same.py bias2 good2 || [ \"\$(/usr/bin/python3 report.py bias2 | cut -d' ' -f1)\" = 0 ]"

# With train.loss chi2 the fine-tune is weighted like the training (the
# weights come from data.noise): its rounds run ("fine_tune": "ok"), where
# an unweighted call would be refused by the trainer.
sed -e 's/^data: {path: bpl.h5, target_transform: \[log, standard\]}/data: {path: bpl.h5, target_transform: [log, standard], noise: {model: poisson, exposure: 1000}}/' \
  -e 's/^train: {max_epochs: 30, patience: 10}/train: {max_epochs: 30, patience: 10, loss: chi2}/' \
  -e 's/^output: {dir: base}/output: {dir: chi2}/' sweep.yaml >chi2.yaml
run 2 chi2.yaml -q --set final.hard_examples="$good" >chi2.log 2>&1
check "loss chi2 with hard examples exits 0" "[ $? -eq 0 ] && grep -q 'loss: chi2' chi2/summary.json"
check "loss chi2: every fine-tune ran" \
  "/usr/bin/python3 -c \"import json; r = json.load(open('chi2/summary.json'))['hard_examples']['members'][0]['rounds']; assert r and all(x['fine_tune'] == 'ok' for x in r), r\""

checks_done hard_examples
