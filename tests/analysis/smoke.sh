#!/usr/bin/env bash
# Smoke test of analysis/ on three tiny sweeps of a generated broken power law:
#   A: grid with diverging trials (sgd at lr 10), kfold 2, a final ensemble of 2;
#   B: lhs, kfold 1, gelu, a single final network;
#   C: random, final.retrain false (no model.h5, no test predictions).
# report.py writes report.html (and with --png the plots) for A and C;
# best_so_far.py plots the three runs; compare_samplers.py tabulates them
# (by trials, and by training time with pruned Optuna trials); a pruned
# trial (a copy of C edited as the sweep writes one) in the analysis;
# run --write-split names the rows run A used; load_model (numpy, float64) matches
# `mlpsweep predict` (float32) on A's and B's models; the report reads right
# (errors in percent, units from the data file, the epoch-limit warning, a
# resumed sweep's wall time, rounded parameters, readable figures).
# browser.sh then renders the reports in Chromium.
# Needs /usr/bin/python3 with numpy, h5py and matplotlib (Debian's python3-*).
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}" "${MLPS_SRC:?}"
PY=/usr/bin/python3
AN=$MLPS_SRC/analysis
W=$MLPS_TMP/analysis_smoke
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

if ! $PY -c 'import numpy, h5py, matplotlib' 2>py.err; then
  fail "$PY cannot import numpy, h5py and matplotlib ($(tail -1 py.err));"
  echo "      install them with: apt-get install -y python3-numpy python3-h5py python3-matplotlib"
  checks_done analysis_smoke
fi

"$MLPS_BIN" gen brokenpowerlaw --n 1000 --seed 3 -o bpl.h5 >/dev/null || exit 1
cat > a.yaml <<'YAML'
name: smoke-a
seed: 5
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: grid, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  lr: {values: [10, 1.0e-2]}
  layers: {values: [1, 2]}
  width: {value: 16}
  optimizer: {value: sgd}
  activation: {value: selu}
train: {max_epochs: 10, patience: 5}
final: {ensemble: 2}
output: {dir: runs/a}
YAML
cat > b.yaml <<'YAML'
name: smoke-b
seed: 6
data: {path: bpl.h5, target_transform: [log10, minmax], input_transform: [minmax]}
split: {test_fraction: 0.1, kfold: 1}
search: {method: lhs, trials: 4, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  lr: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}
  width: {distribution: log_uniform_values, min: 8, max: 32}
  activation: {value: gelu}
train: {max_epochs: 10, patience: 5}
output: {dir: runs/b}
YAML
cat > c.yaml <<'YAML'
name: smoke-c
seed: 7
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 4, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  lr: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}
  batch: {values: [32, 64]}
  activation: {values: [relu, tanh]}
train: {max_epochs: 10, patience: 5}
final: {retrain: false}
output: {dir: runs/c}
YAML
for r in a b c; do
  timeout 120 $MLPS_MPIEXEC -n 3 "$MLPS_BIN" run $r.yaml -q >$r.log 2>&1
  check "sweep $r exits 0" "[ $? -eq 0 ] && [ -s runs/$r/summary.json ]"
done
check "sweep a has diverged tasks" "grep -q '\"status\":\"diverged\"' runs/a/trials.jsonl"
check "sweep c has no final model" "[ ! -e runs/c/model.h5 ]"

# report.py and best_so_far.py, run from another directory: the data file
# (for /grid and the parameter names) is found from the config's paths.
(cd / && $PY "$AN/report.py" "$W/runs/a" --png) >rep_a.log 2>&1
check "report.py on a (failed trials, ensemble) exits 0" "[ $? -eq 0 ] && [ -s runs/a/report.html ]"
check "report a embeds all 7 plots" "[ \$(grep -o 'data:image/png;base64' runs/a/report.html | wc -l) -eq 7 ]"
check "report a lists the failed trials and the fold-model diagnostic" \
  "grep -q 'Failed trials (2)' runs/a/report.html && grep -q 'fold 1 model (diagnostic)' runs/a/report.html"
check "report a found the data file's grid" "grep -q 'from the data file: $W/bpl.h5' runs/a/report.html"
check "report.py --png wrote the plots" \
  "[ \$(ls runs/a/plots/*.png 2>/dev/null | wc -l) -eq 7 ] && [ -s runs/a/plots/test_error_heatmaps.png ]"
(cd / && $PY "$AN/report.py" "$W/runs/c" -o "$W/c.html") >rep_c.log 2>&1
check "report.py without a final model exits 0" "[ $? -eq 0 ] && [ -s c.html ] && grep -q 'No final model' c.html"
$PY "$AN/best_so_far.py" runs/a runs/b runs/c -o bsf.png --labels grid lhs random >bsf.log 2>&1
check "best_so_far.py with three runs exits 0 and writes the figure" "[ $? -eq 0 ] && [ -s bsf.png ]"
$PY "$AN/report.py" runs/nope >nope.log 2>&1
check "report.py on a missing directory exits 2 with a message" "[ $? -eq 2 ] && grep -q 'not a directory' nope.log"

# load_model against `mlpsweep predict` on all 1000 rows. mlpsweep computes
# in float32, load_model in float64 from the same float32 weights: the
# scaled outputs differ by float32 rounding (~1e-7 relative per operation,
# ~1e-6 after a few layers), which the inverse target transform (exp /
# 10^x times the scale) turns into a relative error of a few 1e-6 (measured:
# < 3e-6 for all eight activations). rtol 1e-4 leaves a margin of >30x and
# still catches any real mistake (a wrong activation, transform or member
# average is off by 1e-2 or more).
for r in a b; do
  OPENBLAS_NUM_THREADS=1 "$MLPS_BIN" predict runs/$r/model.h5 bpl.h5 pred_$r.h5 >/dev/null 2>&1
  check "mlpsweep predict on model $r" "[ -s pred_$r.h5 ]"
  $PY "$AN/mlpsweep_model.py" runs/$r/model.h5 bpl.h5 np_$r.h5 >/dev/null 2>&1
  check "mlpsweep_model.py writes predictions for model $r" "[ -s np_$r.h5 ]"
  $PY - "$AN" runs/$r pred_$r.h5 np_$r.h5 <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import h5py
import numpy as np
from mlpsweep_model import load_model
out, pred, cli = sys.argv[2:5]
RTOL = 1e-4
f = load_model(out + "/model.h5")
with h5py.File("bpl.h5", "r") as h:
    X = h["X"][()]
with h5py.File(pred, "r") as h:
    ref = h["Y"][()].astype(np.float64)
with h5py.File(cli, "r") as h:
    viacli = h["Y"][()]
with h5py.File(out + "/test_predictions.h5", "r") as h:
    Xt, Pt = h["X"][()], h["Y_pred"][()].astype(np.float64)
Y = f(X)
rel = np.abs(Y - ref) / np.abs(ref)
relt = np.abs(f(Xt) - Pt) / np.abs(Pt)
one = f(X[0])
ok = (Y.shape == ref.shape and rel.max() < RTOL and relt.max() < RTOL and np.array_equal(viacli, Y)
      and one.shape == (ref.shape[1],) and np.allclose(one, Y[0], rtol=1e-12, atol=0))
print(f"{out}: {f.activation}, {len(f.members)} member(s): max |load_model/predict - 1| = {rel.max():.2e} "
      f"(test rows {relt.max():.2e}), tolerance {RTOL:g}")
sys.exit(0 if ok else 1)
PYEOF
  check "load_model reproduces mlpsweep predict for model $r (rtol 1e-4)" "[ $? -eq 0 ]"
done

# compare_samplers.py on mlpsweep runs (the benchmark's table) and on an
# Optuna-format file written here (analysis/optuna_tpe.py needs torch, which
# CI does not install): a failed trial (Infinity), and training time as the
# sum of the trials' seconds.
printf '%s\n' '{"trial": 1, "params": {}, "value": Infinity, "seconds": 2.0, "elapsed": 3.5}' \
  '{"trial": 0, "params": {}, "value": 0.5, "seconds": 1.5, "elapsed": 1.5}' \
  '{"trial": 2, "params": {}, "value": 0.25, "seconds": 3.5, "elapsed": 7.0}' >opt.jsonl
$PY "$AN/compare_samplers.py" --run grid runs/a --run random runs/c --run lhs runs/b --run opt opt.jsonl \
  --reference random --target lhs --at 1,2,4 --within 2 -o cmp.png >cmp.log 2>&1
check "compare_samplers.py prints the table and writes the plot" \
  "[ $? -eq 0 ] && grep -q '^| random | 1 |' cmp.log && grep -q 'reaches random' cmp.log && grep -q 'over all 1 x 1 pairs of seeds: median .*within 2 trials in [01] of 1' cmp.log && [ -s cmp.png ]"
check "compare_samplers.py reads an Optuna run: best after 1, 2 trials, wall 7 s, training 7 s" \
  "grep -qF '| opt | 1 | 50.000% | 50.000% | - | 7 s | 7 s |' cmp.log"
# --by-time (the pruning benchmark): best so far against cumulative training
# time; a pruned trial (value null) never counts; Optuna's CPU seconds where
# a line has them; an mlpsweep run's seconds scaled by its CPU share from
# OUT.cpu (/usr/bin/time lines). The bar: opt's best 25% after 7 s; pr
# reaches 20% after 1.0 + 0.5 + 1.5 s of CPU.
printf '%s\n' '{"trial": 0, "params": {}, "value": 0.4, "state": "complete", "seconds": 9, "cpu_seconds": 1.0}' \
  '{"trial": 1, "params": {}, "value": null, "state": "pruned", "seconds": 9, "cpu_seconds": 0.5}' \
  '{"trial": 2, "params": {}, "value": 0.2, "state": "complete", "seconds": 9, "cpu_seconds": 1.5}' >opt_pr.jsonl
echo "1000.0 0.01 0.0" >runs/c.cpu
$PY "$AN/compare_samplers.py" --by-time --run opt opt.jsonl --run pr opt_pr.jsonl --run c runs/c \
  --reference opt --times 0.02,0.05 -o cmp_time.png >cmp_time.log 2>&1
check "compare_samplers.py --by-time: best at equal training time, time to reach the reference's best, CPU share" \
  "[ $? -eq 0 ] && grep -qF '| opt | 1 | 3 | 7 s | inf | inf | 7 s (1 of 1 seeds reach it) | 1.00 |' cmp_time.log && grep -qF '| pr | 1 | 3 | 3 s | 40.000% | 20.000% | 3 s (1 of 1 seeds reach it) | 0.43 |' cmp_time.log && grep -q 'c: task seconds x the run.s CPU share 0.0' cmp_time.log && [ -s cmp_time.png ]" || cat cmp_time.log
rm runs/c.cpu
check "compare_samplers.py gives mlpsweep runs a training time" "grep -qE '^\\| random \\| 1 \\|.* s \\|$' cmp.log"
if $PY -c "import scipy.stats" 2>/dev/null; then
  check "compare_samplers.py tests the target against each sampler, both ways" \
    "grep -q '^  lhs better than random: ' cmp.log && grep -q '^  grid better than lhs: ' cmp.log"
else
  check "compare_samplers.py says it skipped the tests without scipy" "grep -q 'no scipy' cmp.log"
fi
# A run cut short: the median after 3 trials is over the one seed that has 3.
head -2 opt.jsonl >opt_short.jsonl
$PY "$AN/compare_samplers.py" --run opt opt.jsonl opt_short.jsonl --at 2,3 >cmp_short.log 2>&1
check "compare_samplers.py says when a count's median is over fewer seeds" \
  "grep -qF '| opt | 2 | 50.000% | 25.000% (1 of 2 seeds) |' cmp_short.log"
# A sweep resumed and then killed: trials.csv (written when a sweep ends)
# knows trial 0 only, the journal trials 0 and 1 in full and one fold of
# trial 2. The analysis takes the journal, without the unfinished trial.
rm -rf runs/c_killed && mkdir -p runs/c_killed && head -2 runs/c/trials.csv >runs/c_killed/trials.csv
$PY - <<'PYEOF'
import json
lines = open("runs/c/trials.jsonl").read().splitlines()
tasks = [json.loads(l) for l in lines[1:]]
keep = [t for t in tasks if t["trial"] < 2] + [t for t in tasks if t["trial"] == 2][:1]
with open("runs/c_killed/trials.jsonl", "w") as f:
    f.write("\n".join([lines[0]] + [json.dumps(t) for t in keep]) + "\n")
PYEOF
touch -d '-1 minute' runs/c_killed/trials.csv
$PY "$AN/compare_samplers.py" --run killed runs/c_killed --at 1,2,3 >cmp_killed.log 2>&1
check "compare_samplers.py reads past a stale trials.csv, not a trial with folds missing" \
  "grep -qE '^\| killed \| 1 \| [0-9.]+% \| [0-9.]+% \| - \|' cmp_killed.log"
# The journal's trials by the sweep's own rule: equal to trials.csv on run A
# (diverged trials included), also with a repeated (trial, fold) line, which
# counts once; an ok fold without a finite objective fails its trial. A
# trials.csv not older than the journal wins (a resume that lowered
# search.trials leaves trials in the journal that the csv omits).
$PY - "$AN" <<'PYEOF'
import json, math, os, shutil, sys
sys.path.insert(0, sys.argv[1])
from mlpsweep_analysis.results import Run
shutil.rmtree("runs/a_j", ignore_errors=True)
shutil.copytree("runs/a", "runs/a_j")
with open("runs/a_j/trials.jsonl") as f:
    lines = f.read().splitlines()
dup = json.loads(lines[1])
dup["metric"] = 1e6
with open("runs/a_j/trials.jsonl", "a") as f:
    f.write(json.dumps(dup) + "\n")
r = Run("runs/a_j")
csv, jr = r._read_csv(), {t["trial"]: t for t in r._aggregate_journal()}
def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(a))
ok = len(csv) == len(jr) == 4 and any(t["status"] == "failed" for t in csv) and all(
    t["status"] == jr[t["trial"]]["status"] and same(t["metric_mean"], jr[t["trial"]]["metric_mean"])
    and same(t["metric_std"], jr[t["trial"]]["metric_std"]) for t in csv)
# an ok fold without a finite objective fails its trial
nulled = [json.loads(l) for l in lines[1:]]
hit = next(t for t in nulled if t["status"] == "ok" and t.get("metric") is not None)
hit["metric"] = None
with open("runs/a_j/trials.jsonl", "w") as f:
    f.write("\n".join([lines[0]] + [json.dumps(t) for t in nulled]) + "\n")
r = Run("runs/a_j")
ok = ok and [t["status"] for t in r._aggregate_journal() if t["trial"] == hit["trial"]] == ["failed"]
# a csv of 2 trials newer than the journal of 4 wins (a resume that lowered
# search.trials); older by a minute, the journal adds the 2 it lacks
with open("runs/a/trials.csv") as f:
    rows = f.read().splitlines()
with open("runs/a_j/trials.csv", "w") as f:
    f.write("\n".join(rows[:3]) + "\n")
now = os.path.getmtime("runs/a_j/trials.jsonl")
os.utime("runs/a_j/trials.csv", (now, now))
n_new = len(Run("runs/a_j").trials)
os.utime("runs/a_j/trials.csv", (now - 60, now - 60))
n_old = len(Run("runs/a_j").trials)
print(f"csv newer: {n_new} trials (2), older: {n_old} (4)")
ok = ok and n_new == 2 and n_old == 4
print("journal aggregation matches trials.csv:", ok)
sys.exit(0 if ok else 1)
PYEOF
check "the journal read by trials.csv's rule (duplicates once, a non-finite objective fails)" "[ $? -eq 0 ]"
(cd "$AN" && $PY -m mlpsweep_analysis.compare_samplers --run x "$W/runs/nope") >cmp_bad.log 2>&1
check "compare_samplers (as python3 -m mlpsweep_analysis.compare_samplers) on a missing run exits 2" \
  "[ $? -eq 2 ] && grep -q 'compare_samplers.py: x:' cmp_bad.log"

# --write-split: the rows match the ones the run used (its test set).
"$MLPS_BIN" run a.yaml --dry-run --write-split split_a.h5 >/dev/null 2>&1
$PY - <<'PYEOF'
import sys
import h5py
import numpy as np
with h5py.File("split_a.h5", "r") as s, h5py.File("runs/a/test_predictions.h5", "r") as t:
    fold, k = s["fold"][()], int(s.attrs["kfold"])
    ok = (np.array_equal(np.sort(t["rows"][()]), s["test"][()]) and np.array_equal(np.where(fold == -1)[0], s["test"][()])
          and all(np.array_equal(np.where(fold == f)[0], s[f"val_{f}"][()]) for f in range(k))
          and all(np.array_equal(np.where((fold >= 0) & (fold != f))[0], s[f"train_{f}"][()]) for f in range(k))
          and len(fold) == 1000)
sys.exit(0 if ok else 1)
PYEOF
check "run --write-split writes the rows the run used" "[ $? -eq 0 ]"

# The report as an astronomer reads it (issue 21).
# Errors in percent, as the terminal prints them: the CV metric of run a is
# summary.json's cv_metric_mean x 100 with 4 decimals and a % sign.
want=$($PY -c 'import json,sys; s=json.load(open(sys.argv[1])); print("%.4f%%" % (100 * s["cv_metric_mean"]))' runs/a/summary.json)
check "report a gives the CV metric in percent ($want)" "grep -qF 'class=\"big\">$want &plusmn;' runs/a/report.html"
check "report a gives the test errors in percent and RMSE in the data file's unit" \
  "grep -qE '<td class=\"\">[0-9]+\.[0-9]{4}%</td>' runs/a/report.html && grep -qF 'RMSE [counts]' runs/a/report.html"
# Training cut short by the epoch limit (max_epochs 10: most best epochs are 9)
# is warned of.
check "report c warns that the epoch limit cut training short" "grep -q 'cut short by the epoch limit' c.html"
# Without the epoch limit reached (max_epochs 100 in the config) no warning;
# the wall time over every start of a resumed sweep (the summary keys it
# has), and a sweep run once not called resumed; without attributes in the
# data file, data units and x0, x1, ... (the functions the report calls, on
# copies of run c's and a's outputs, without drawing the plots again).
rm -rf runs/c_long && cp -r runs/c runs/c_long
$PY -c 'import h5py,sys; i=h5py.File("bpl.h5","r"); o=h5py.File("plain.h5","w"); [o.create_dataset(k, data=i[k][()]) for k in ("X","Y","grid")]'
(cd "$AN" && $PY - "$W" <<'PYEOF'
import json, sys
from mlpsweep_analysis import report
from mlpsweep_analysis.results import Run
w = sys.argv[1]
s = json.load(open(f"{w}/runs/c_long/summary.json"))
s["config"] = s["config"].replace("max_epochs: 10\n", "max_epochs: 100\n")
json.dump(s, open(f"{w}/runs/c_long/summary.json", "w"))
long_warn = report.epoch_limit_warning(Run(f"{w}/runs/c_long"))
short_warn = report.epoch_limit_warning(Run(f"{w}/runs/c"))
s = json.load(open(f"{w}/runs/c/summary.json"))
once = report.wall_time(s)
s["starts"], s["sweep_seconds_total"] = 3, 1234.5  # the keys a resumed sweep's summary has
resumed = report.wall_time(s)
plain = Run(f"{w}/runs/a", data_path=f"{w}/plain.h5").data_info(3, 60)
full = Run(f"{w}/runs/a").data_info(3, 60)
print(f"warnings: max_epochs 10: {short_warn!r}; 100: {long_warn!r}\nwall time: once: {once}; resumed: {resumed}")
print(f"without attributes: {plain['target_units']!r} {plain['input_names']} {[h for h in report.test_header('') if h.startswith('RMSE')]}; "
      f"with: {full['target_units']!r} {full['input_names']} {full['target_description']!r}")
ok = (long_warn is None and short_warn and "resumed" not in once and " on 3 ranks" in once
      and resumed.startswith("20.6 min over 3 starts (resumed 2 times; the last ")
      and plain["target_units"] == "" and plain["input_names"] == ["x0", "x1", "x2"] and not plain["target_description"]
      and "RMSE (data units)" in report.test_header("") and full["target_units"] == "counts"
      and full["input_names"] == ["Gamma1", "Gamma2", "Eb [keV]"] and full["target_description"])
sys.exit(0 if ok else 1)
PYEOF
) >summary_fns.log 2>&1
check "no epoch-limit warning below the limit; wall time over a resumed sweep's starts; data units without attributes" \
  "[ \$? -eq 0 ]"; cat summary_fns.log
# A stopped sweep (no summary.json; parameters from the journal as text) rounds them.
$PY "$AN/report.py" runs/c_killed -o c_killed.html >/dev/null 2>&1
check "a stopped sweep's report rounds the parameters (no 0.0027911760...)" \
  "[ -s c_killed.html ] && grep -q '<td class=\"l\">lr</td>' c_killed.html && ! grep -qE '<td[^>]*>[0-9]*\.[0-9]{8,}</td>' c_killed.html"
check "the report names the targets from the data file's description" "grep -q 'Targets (the data' runs/a/report.html"
# Pruned trials (issue 20) in the analysis, on a copy of run c whose
# journal is edited as the sweep writes a pruned trial (contract: status
# pruned, epochs, rung, pruned_value, the curve trained so far; the other
# fold never started), with summary.json's pruning section and trials.csv's
# state column: the pruned trial is neither best nor failed, the report
# says what pruning saved, and the learning-curve plot draws the pruned
# fold's curve faintly in every panel (each shows folds 0 and 1) with a
# cross where it stopped and the rungs as vertical lines.
rm -rf runs/c_pruned && cp -r runs/c runs/c_pruned
(cd "$AN" && $PY - "$W" <<'PYEOF'
import csv, json, math, sys
import matplotlib
matplotlib.use("Agg")
from mlpsweep_analysis import report
from mlpsweep_analysis.plots import plot_learning_curves
from mlpsweep_analysis.results import Run
d = sys.argv[1] + "/runs/c_pruned"
lines = open(d + "/trials.jsonl").read().splitlines()
tasks = [json.loads(l) for l in lines[1:]]
worst = Run(d).ranked()[-1]["trial"]
kept = []
for t in tasks:
    if t["trial"] == worst and t["fold"] == 1:
        continue  # never started: its trial was pruned
    if t["trial"] == worst:
        val = [t["curve"][4 * i + 2] for i in range(3)]
        t.update(status="pruned", epochs=3, rung=2, pruned_value=min(val), curve=t["curve"][:12])
    kept.append(t)
open(d + "/trials.jsonl", "w").write("\n".join([lines[0]] + [json.dumps(t) for t in kept]) + "\n")
rows = list(csv.DictReader(open(d + "/trials.csv")))
cols = list(rows[0])
cols.insert(cols.index("status") + 1, "state")
for r in rows:
    r["state"] = "pruned" if int(r["trial"]) == worst else "complete"
    if int(r["trial"]) == worst:
        r["status"] = "pruned"
with open(d + "/trials.csv", "w", newline="") as f:
    w = csv.DictWriter(f, cols)
    w.writeheader()
    w.writerows(rows)
s = json.load(open(d + "/summary.json"))
s["pruning"] = {"pruner": "asha", "trials_pruned": 1, "epochs_trained": 50, "epochs_without_pruning": 70,
                "rungs": [2, 6]}
json.dump(s, open(d + "/summary.json", "w"))
bad = []
for source in ("trials.csv", "journal"):
    if source == "journal":
        open(d + "/trials.csv", "w").close()  # an empty csv: the journal's trials (a sweep still running)
    run = Run(d)
    t = {x["trial"]: x for x in run.trials}[worst]
    if not (t["state"] == "pruned" and worst not in [x["trial"] for x in run.ranked()] and len(run.ranked()) == 3
            and run.status_counts()["trials"].get("pruned") == 1 and "failed" not in run.status_counts()["trials"]
            and all(isinstance(v, str) for v in t["params"].values()) and "state" not in t["params"]):
        bad.append(f"{source}: trial {worst} read as {t['status']}/{t.get('state')}, ranked {len(run.ranked())}")
    tl = run.timeline()
    # trials in the order they ended in the journal (a complete one at its
    # last fold, the pruned one at its pruned fold, which on a busy machine
    # may come before a complete trial's last fold)
    order, nf = [], {}
    for t in kept:
        nf[t["trial"]] = nf.get(t["trial"], 0) + 1
        if t["trial"] not in order and (t["status"] == "pruned" or nf[t["trial"]] == 2):
            order.append(t["trial"])
    if [k for _, k, _ in tl] != order or sorted(order) != [0, 1, 2, 3] or not math.isnan(dict((k, v) for _, k, v in tl)[worst]):
        bad.append(f"{source}: timeline {tl}")
fig = plot_learning_curves(run)
for ax in fig.axes[:3]:
    n = {g: sum(1 for l in ax.get_lines() if l.get_gid() == g) for g in ("pruned", "pruned_at", "rung")}
    if n != {"pruned": 1, "pruned_at": 1, "rung": 2}:
        bad.append(f"learning curves panel {ax.get_title()!r}: {n}")
html = "".join(report.sections(run))
if "asha: 1 trials pruned; 50 epochs trained, against about 70 without pruning (29% saved)" not in html:
    bad.append("the report's pruning line")
if "Failed trials" in html:
    bad.append("the report lists the pruned trial as failed")
print("\n".join(bad) or f"pruned trial {worst}: read, plotted and reported")
sys.exit(1 if bad else 0)
PYEOF
) >pruned.log 2>&1
check "a pruned trial: not best, not failed; faint curve, cross and rungs in the learning curves; the report's pruning line" \
  "[ \$? -eq 0 ]"; cat pruned.log

# A real sweep with ASHA (issue 20): random search, 9 trials x 2 folds,
# rungs at 2 and 6 epochs of 18, np 3. The journal's pruned tasks are the
# trials.csv's pruned trials, none of them is ranked or best, the report
# gives the pruning line, and the learning-curve plot draws every pruned
# task of the panel's folds faintly and the rungs inside the panel.
cat > d.yaml <<'YAML'
name: smoke-d
seed: 8
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search:
  method: random
  trials: 9
  metric: {name: val_median_frac_err, goal: minimize}
  pruner: {name: asha, min_epochs: 2, eta: 3}
parameters:
  lr: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-2}
  width: {values: [8, 32]}
train: {max_epochs: 18, patience: 18}
final: {retrain: false}
output: {dir: runs/d}
YAML
timeout 120 $MLPS_MPIEXEC -n 3 "$MLPS_BIN" run d.yaml -q >d.log 2>&1
check "sweep d (ASHA) exits 0 and pruned a task" \
  "[ \$? -eq 0 ] && [ -s runs/d/summary.json ] && grep -q '\"status\":\"pruned\"' runs/d/trials.jsonl" || cat d.log
(cd / && $PY "$AN/report.py" "$W/runs/d" -o "$W/d.html") >rep_d.log 2>&1
check "report.py on an ASHA sweep exits 0 and gives the pruning line" \
  "[ \$? -eq 0 ] && grep -qE 'asha: [1-9][0-9]* trials pruned; [0-9,]+ epochs trained, against about' d.html"
(cd "$AN" && $PY - "$W/runs/d" <<'PYEOF'
import json, sys
import matplotlib
matplotlib.use("Agg")
from mlpsweep_analysis.plots import plot_learning_curves
from mlpsweep_analysis.results import Run
run = Run(sys.argv[1])
bad = []
pruned = run.pruned_tasks()
rungs = run.rungs()
s = run.summary
if not rungs or rungs != sorted(float(r) for r in s["pruning"]["rungs"]):
    bad.append(f"rungs {rungs} against summary {s['pruning']}")
for t in pruned:
    if not (t["epochs"] < 18 and float(t["rung"]) in rungs and "pruned_value" in t and len(t["curve"]) == t["epochs"]):
        bad.append(f"pruned task {t['trial']}/{t['fold']}: epochs {t['epochs']}, rung {t.get('rung')}, "
                   f"{len(t['curve'])} curve epochs")
csv_pruned = {t["trial"] for t in run.trials if t.get("state") == "pruned"}
if csv_pruned != {t["trial"] for t in pruned} or s["pruning"]["trials_pruned"] != len(csv_pruned):
    bad.append(f"pruned trials: trials.csv {sorted(csv_pruned)}, journal {sorted({t['trial'] for t in pruned})}")
ranked = [t["trial"] for t in run.ranked()]
if csv_pruned & set(ranked) or s.get("best_trial") in csv_pruned:
    bad.append(f"a pruned trial is ranked ({ranked}) or best ({s.get('best_trial')})")
fig = plot_learning_curves(run)
for ax in fig.axes:
    if not ax.get_title().startswith("trial "):
        continue
    lo, hi = ax.get_xlim()
    n = {g: sum(1 for l in ax.get_lines() if l.get_gid() == g) for g in ("pruned", "rung")}
    want = {"pruned": sum(1 for t in pruned if len(t["curve"])), "rung": sum(1 for r in rungs if lo <= r <= hi)}
    if n != want:
        bad.append(f"panel {ax.get_title()!r}: {n}, expected {want}")
print("\n".join(bad) or f"{len(pruned)} pruned tasks of {len(csv_pruned)} trials; rungs {rungs}; plotted")
sys.exit(1 if bad else 0)
PYEOF
) >asha.log 2>&1
check "ASHA sweep: journal, trials.csv and summary agree on the pruned trials; none is best; all drawn faintly with the rungs" \
  "[ \$? -eq 0 ]"; cat asha.log

# The figures themselves: no tick labels that overlap, no text under 8 pt,
# at least two labelled ticks on every colour bar, no figure wider than
# 12 in (1200 px in the page), a "failed" mark only when a trial failed,
# and log_ticks gives 2-6 ticks inside any range.
$PY - "$AN" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from mlpsweep_analysis.plots import PLOTS, log_ticks
from mlpsweep_analysis.results import Run
bad = []
for lo, hi in [(1.5e-4, 2.8e-2), (0.00156, 0.00386), (0.01, 10), (1e-6, 1e3), (64, 128), (100, 105), (0.641, 0.677)]:
    t = log_ticks(lo, hi)
    if not (2 <= len(t) <= 6 and all(lo <= v <= hi for v in t)):
        bad.append(f"log_ticks({lo}, {hi}) = {t}")
for out in ("runs/a", "runs/c", "runs/c_pruned"):
    run = Run(out)
    for name, _, fn in PLOTS:
        fig = fn(run)
        if fig is None:
            continue
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        if fig.get_figwidth() > 12.0 + 1e-9:
            bad.append(f"{out} {name}: {fig.get_figwidth():.1f} in wide")
        for t in fig.findobj(matplotlib.text.Text):
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 8:
                bad.append(f"{out} {name}: text {t.get_text()!r} at {t.get_fontsize()} pt")
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                labs = [l for l in axis.get_ticklabels() if l.get_visible() and l.get_text()]
                lo, hi = axis.get_view_interval()
                labs = [l for l in labs if min(lo, hi) <= (l.get_position()[0] if axis is ax.xaxis else l.get_position()[1]) <= max(lo, hi)]
                boxes = [l.get_window_extent(r) for l in labs]
                for i in range(len(boxes)):
                    for j in range(i + 1, len(boxes)):
                        if boxes[i].overlaps(boxes[j]):
                            bad.append(f"{out} {name}: tick labels {labs[i].get_text()!r} and {labs[j].get_text()!r} overlap")
            if ax.get_label() == "<colorbar>":
                n = len([l for l in ax.yaxis.get_ticklabels() if l.get_text()])
                if n < 2:
                    bad.append(f"{out} {name}: colour bar with {n} labelled tick(s)")
        if name == "parallel_coordinates":
            has = any(t.get_text() == "failed" for t in fig.findobj(matplotlib.text.Text))
            if has != (out == "runs/a"):  # a has failed trials, c none
                bad.append(f"{out} {name}: 'failed' mark {'shown' if has else 'missing'}")
        plt.close(fig)
print("\n".join(bad) or "figures: readable")
sys.exit(1 if bad else 0)
PYEOF
check "the figures are readable (no overlapping or tiny labels, colour bars ticked, 'failed' only when failed)" "[ \$? -eq 0 ]"

if [ $check_failures -ne 0 ]; then
  for l in rep_a.log rep_c.log bsf.log cmp.log; do echo "--- $l"; tail -20 $l; done
fi
checks_done analysis_smoke
