#!/usr/bin/env bash
# analysis/prune_replay.py (issue 20: would ASHA have kept the winners?) on
# a journal with known curves: 6 trials of 1 fold, 30 epochs, rungs 3 and 9
# (min_epochs 3, eta 3). Trials 0-2 start well and end badly; trial 3 starts
# worst and ends best, so ASHA's replay prunes it at rung 3 (rank 4 of 4)
# and the best kept is trial 0; with eta 2 and min_epochs 12 it is kept.
# Also a real no-pruning sweep's journal is read (the curve format).
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_TMP:?}"
W=$MLPS_TMP/prune_replay
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
A=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../analysis" && pwd)
rm -rf "$W" && mkdir -p "$W/syn" && cd "$W" || exit 1

/usr/bin/python3 - <<'PY' || exit 1
import json
# val loss per epoch e (1..30): a + b / e; final metric = the loss at 30
shapes = {0: (0.30, 0.1), 1: (0.32, 0.1), 2: (0.34, 0.1), 3: (0.05, 3.0), 4: (0.40, 0.5), 5: (0.45, 0.5)}
with open("syn/trials.jsonl", "w") as f:
    f.write(json.dumps({"format": "mlpsweep-journal", "version": 1, "n_folds": 1}) + "\n")
    for t, (a, b) in shapes.items():
        curve = []
        for e in range(1, 31):
            curve += [e, a + b / e, a + b / e, 1e-3]
        f.write(json.dumps({"trial": t, "fold": 0, "status": "ok", "metric": a + b / 30, "curve": curve}) + "\n")
PY
/usr/bin/python3 "$A/prune_replay.py" syn --min-epochs 3 --eta 3 >r3.txt 2>&1
check "replay exits 0" "[ $? -eq 0 ]" || cat r3.txt
check "the slow starter (trial 3, the best) is pruned at rung 3, rank 4 of 4" \
  "grep -q 'best trial 3 (0.15) pruned at epoch 3 (rank 4 of 4 there)' r3.txt" || cat r3.txt
check "the best kept is trial 0's 0.3033" "grep -q 'best kept 0.3033' r3.txt" || cat r3.txt
/usr/bin/python3 "$A/prune_replay.py" syn --min-epochs 12 --eta 2 >r2.txt 2>&1
check "with min_epochs 12 and eta 2 (its curve crosses the others at 11.6) it is kept" "grep -q 'best trial 3 (0.15) kept' r2.txt" || cat r2.txt

# a real journal: a tiny no-pruning sweep
"$MLPS_BIN" gen brokenpowerlaw --n 300 --seed 2 -o bpl.h5 >/dev/null || exit 1
cat > s.yaml <<'YAML'
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 4, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  layers: {values: [1, 2]}
  width: {values: [8, 16]}
  lr: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-2}
train: {max_epochs: 12, patience: 0}
final: {retrain: false}
output: {dir: real}
YAML
"$MLPS_BIN" run s.yaml -q >run.log 2>&1
check "the sweep exits 0" "[ $? -eq 0 ]" || tail -3 run.log
/usr/bin/python3 "$A/prune_replay.py" real --min-epochs 3 --eta 2 >real.txt 2>&1
check "a real journal replays (4 trials, rungs 3 and 6)" \
  "grep -q '^real: 4 trials; Spearman(rung value, final metric) epoch 3: .*, epoch 6: ' real.txt" || cat real.txt
/usr/bin/python3 "$A/prune_replay.py" nowhere >bad.txt 2>&1
check "a missing run exits 2, naming it" "[ $? -eq 2 ] && grep -q 'nowhere' bad.txt"
checks_done prune_replay
