#!/usr/bin/env bash
# Issue 22 under real mpirun (np 2): a sweep selecting by val_chi2 and
# training with train.loss chi2 under data.noise poisson completes and
# journals val_chi2 and the tail metrics for every task (max >= p95 >=
# median); a gaussian sigma dataset per value loads node-shared (--dry-run);
# a sigma with a zero or of the wrong shape exits 2 on every rank, the
# message (dataset, row, column / shape) printed once.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}"
W=$MLPS_TMP/noise_chi2
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
run() { local np=$1; shift; timeout --preserve-status 300 $MLPS_MPIEXEC -n "$np" "$MLPS_BIN" run "$@"; }

"$MLPS_BIN" gen brokenpowerlaw --n 600 --seed 3 -o bpl.h5 >/dev/null || exit 1
# sigma datasets: 5% of each value; the same with one zero (row 7, column
# 4); one with a column too few
/usr/bin/python3 - <<'PY' || exit 1
import h5py, numpy as np
with h5py.File("bpl.h5", "a") as f:
    y = f["Y"][:]
    f["sigma"] = (0.05 * y).astype(np.float32)
    z = (0.05 * y).astype(np.float32); z[7, 4] = 0
    f["sigma_zero"] = z
    f["sigma_short"] = (0.05 * y[:, :-1]).astype(np.float32)
    open("shape.txt", "w").write("%d %d" % y.shape)
PY
read -r n m < shape.txt
cat > chi2.yaml <<'YAML'
name: chi2
seed: 4
data:
  path: bpl.h5
  target_transform: [log, standard]
  noise: {model: poisson, exposure: 1000}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 3, metric: {name: val_chi2, goal: minimize}}
parameters:
  layers: {values: [1, 2]}
  width: {values: [16, 32]}
  lr: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}
  batch: {values: [32, 64]}
train: {max_epochs: 8, patience: 4, loss: chi2}
output: {dir: out}
YAML

run 2 chi2.yaml -q >run.log 2>&1
check "np 2 sweep with loss chi2 and metric val_chi2 exits 0" "[ $? -eq 0 ]" || cat run.log
check "it writes the model and the summary" "[ -s out/model.h5 ] && [ -s out/summary.json ]"
check "the summary names val_chi2 as the metric" "grep -q '\"metric\":\"val_chi2\"' out/summary.json"
check "trials.csv has the new metrics' columns" \
  "head -1 out/trials.csv | grep -q 'val_p95_frac_err_mean,val_max_frac_err_mean,val_chi2_mean'"
/usr/bin/python3 - out/trials.jsonl <<'PY' >metrics.log 2>&1
import json, math, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
tasks = [l for l in lines if "fold" in l]
assert len(tasks) == 6, len(tasks)
for t in tasks:
    assert t["status"] == "ok", t
    c, md, p95, mx = t["val_chi2"], t["val_median_frac_err"], t["val_p95_frac_err"], t["val_max_frac_err"]
    for v in (c, md, p95, mx, t["val_p95_bias"]):
        assert isinstance(v, float) and math.isfinite(v) and v > 0, t
    assert md <= p95 <= mx, t
    assert t["metric"] == c, t
print("ok", len(tasks))
PY
check "every task journals a finite val_chi2 (the objective), val_p95_bias, and max >= p95 >= median" \
  "grep -q '^ok 6' metrics.log" || cat metrics.log

# summary.json's final.test against the test rows it wrote: the tail
# (p99, max) and chi2 with the Poisson sigma sqrt(max(y T, 1)) / T
/usr/bin/python3 - out/summary.json out/test_predictions.h5 <<'PY' >test_block.log 2>&1
import json, sys
import h5py, numpy as np
t = json.load(open(sys.argv[1]))["final"]["test"]
with h5py.File(sys.argv[2]) as f:
    y, p = f["Y"][:].astype(np.float64), f["Y_pred"][:].astype(np.float64)
a = np.sort(np.abs(p / y - 1).ravel())
T = 1000.0
chi2 = np.mean(((p - y) / (np.sqrt(np.maximum(y * T, 1.0)) / T)) ** 2)
want = {"p99_frac_err": np.quantile(a, 0.99), "max_frac_err": a[-1], "chi2": chi2}
for k, v in want.items():
    assert abs(t[k] - v) <= 1e-5 * v, (k, t[k], v)
assert t["median_frac_err"] <= t["p95_frac_err"] <= t["p99_frac_err"] <= t["max_frac_err"], t
print("ok")
PY
check "final.test has p99, max and chi2, as recomputed from test_predictions.h5" \
  "grep -q '^ok' test_block.log" || cat test_block.log

# the first-order posterior bias (workflow/fisher.c): test_predictions.h5's
# bias_sigma against numpy's own computation (float64 model, its own step),
# and summary.json's posterior_bias from it
/usr/bin/python3 - out/summary.json out/test_predictions.h5 out/model.h5 "$(dirname "${BASH_SOURCE[0]}")/../../analysis" <<'PY' >bias.log 2>&1
import json, sys
import h5py, numpy as np
sys.path.insert(0, sys.argv[4])
from mlpsweep_analysis.model import load_model
pb = json.load(open(sys.argv[1]))["final"]["posterior_bias"]
with h5py.File(sys.argv[2]) as f:
    X, y, p, b = f["X"][:].astype(float), f["Y"][:].astype(float), f["Y_pred"][:].astype(float), f["bias_sigma"][:]
model, T = load_model(sys.argv[3]), 1000.0
n, d = X.shape
h = 3e-4 * (X.max(0) - X.min(0))
J = np.stack([(model(X + h[k] * np.eye(d)[k]) - model(X - h[k] * np.eye(d)[k])) / (2 * h[k]) for k in range(d)], 1)
w = 1 / (np.sqrt(np.maximum(y * T, 1.0)) / T) ** 2
F = np.einsum("nkj,nj,nlj->nkl", J, w, J)
g = np.einsum("nkj,nj,nj->nk", J, w, p - y)
Fi = np.linalg.inv(F)
want = -np.einsum("nkl,nl->nk", Fi, g) / np.sqrt(np.einsum("nkk->nk", Fi))
assert b.shape == (n, d), b.shape
err = np.abs(b - want).max() / np.abs(want).max()
assert err < 2e-2, err
a = np.abs(b).max(1)  # a row's worst parameter
for k, v in (("median_sigma", np.median(a)), ("p95_sigma", np.quantile(a, 0.95)), ("max_sigma", a.max())):
    assert abs(pb[k] - v) <= 1e-9 * max(v, 1e-300), (k, pb[k], v)
assert set(pb["inputs"]) == {"Gamma1", "Gamma2", "Eb"}, pb["inputs"]
# the interior: rows at least 5% of each range inside the training box
with h5py.File(sys.argv[3]) as f:
    lo, hi = f["box/lo"][:], f["box/hi"][:]
inside = np.all((X >= lo + 0.05 * (hi - lo)) & (X <= hi - 0.05 * (hi - lo)), 1)
ai = np.abs(b[inside]).max(1)
it = pb["interior"]
assert it["rows"] == inside.sum() and 0 < it["rows"] < n, (it, inside.sum())
assert abs(it["max_sigma"] - ai.max()) <= 1e-9 * ai.max() and abs(it["p95_sigma"] - np.quantile(ai, 0.95)) <= 1e-9 * ai.max(), it
print("ok", err, pb["max_sigma"])
PY
check "posterior bias: bias_sigma matches numpy's Fisher computation; the summary's quantiles are of it" \
  "grep -q '^ok' bias.log" || cat bias.log

# the report says it
/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../../analysis/report.py" out -o report.html >report.log 2>&1
check "report.html states the posterior bias and its interior figure" \
  "grep -q 'Posterior bias from the emulator.s error under <code>data.noise</code>.*maximum [0-9.]* (.*at most over the [0-9]* test rows 5% inside' report.html" || tail -3 report.log

# selection by the posterior bias (loss mse): the objective is val_p95_bias
run 2 chi2.yaml -q --set train.loss=mse --set search.metric.name=val_p95_bias --set output.dir=pbias >pbias.log 2>&1
check "np 2 sweep selecting by val_p95_bias exits 0, the objective is that metric" \
  "[ $? -eq 0 ] && /usr/bin/python3 -c \"
import json
ls = [json.loads(l) for l in open('pbias/trials.jsonl').read().splitlines()[1:]]
assert len(ls) == 6 and all(l['metric'] == l['val_p95_bias'] > 0 for l in ls), ls
\"" || tail -3 pbias.log

sed 's/noise: {model: poisson, exposure: 1000}/noise: {model: gaussian, sigma: sigma}/' chi2.yaml >gauss.yaml
run 2 gauss.yaml --dry-run >dry.log 2>&1
check "a gaussian sigma per value loads under np 2 (--dry-run)" "[ $? -eq 0 ]" || cat dry.log

for bad in sigma_zero sigma_short; do
  run 2 gauss.yaml --dry-run --set data.noise.sigma=$bad >$bad.log 2>&1
  check "$bad: exit 2 under np 2" "[ $? -eq 2 ]" || cat $bad.log
done
check "a zero sigma is named by dataset, row and column, once" \
  "[ \$(grep -c \"dataset 'sigma_zero' (data.noise.sigma): sigma 0 at row 7, column 4\" sigma_zero.log) -eq 1 ]" ||
  cat sigma_zero.log
check "a sigma of the wrong shape says which shapes would do, once" \
  "[ \$(grep -c \"dataset 'sigma_short' (data.noise.sigma) has shape (\$n, \$((m - 1))); expected (\$n, \$m)\" sigma_short.log) -eq 1 ]" ||
  cat sigma_short.log
checks_done noise_chi2
