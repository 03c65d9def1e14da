#!/usr/bin/env bash
# The emulator from Python (issue 19), on one tiny sweep (an ensemble of 2,
# swish, standard inputs, log+standard targets):
#   * `mlpsweep gen MODEL --params` (one point, and rows on stdin) prints
#     exactly the noise-free /Y of `mlpsweep gen` at the same parameters
#     (%.17g: bit for bit); a bad row exits 2 naming the line;
#   * load_model's fast path (folded transforms) equals `mlpsweep predict`
#     on every test row (rtol 1e-4: float64 against the engine's float32,
#     measured ~2e-6, see smoke.sh), one sample equals the batch and the
#     unfolded reference to 1e-12; a version 1 file has no box and checks
#     nothing; a version 2 file (the v2 fields added with h5py) gives bounds,
#     input names and frac_sigma, and warns once outside the box;
#     predict_members and spread have the ensemble's shapes;
#   * to_torch equals `mlpsweep predict` (rtol 1e-4, same reason) and is
#     differentiable (when python3-torch is installed);
#   * analysis/mcmc_check.py runs 2 points with short chains and writes its
#     JSON (with "not converged" allowed: the chains are kept short), which
#     report.py shows; with --free-norm every chain also samples ln_norm,
#     and the true model's posterior of it covers 0 (the data's value).
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}" "${MLPS_SRC:?}"
PY=/usr/bin/python3
AN=$MLPS_SRC/analysis
W=$MLPS_TMP/analysis_emulator
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

# gen --params against gen's noise-free data, bit for bit.
"$MLPS_BIN" gen brokenpowerlaw --n 600 --seed 3 -o bpl.h5 >/dev/null || exit 1
"$MLPS_BIN" gen linpower --n 5 --seed 4 -o lp.h5 >/dev/null || exit 1
for g in bpl:brokenpowerlaw lp:linpower; do
  f=${g%%:*} model=${g#*:}
  $PY -c 'import h5py,sys; [print(" ".join(repr(float(v)) for v in r)) for r in h5py.File(sys.argv[1])["X"][:20]]' $f.h5 >$f.rows
  "$MLPS_BIN" gen $model --params - <$f.rows >$f.out 2>$f.err
  check "gen $model --params - exits 0 with one line per row" "[ \$? -eq 0 ] && [ \$(wc -l <$f.out) -eq \$(wc -l <$f.rows) ]"
  "$MLPS_BIN" gen $model --params "$(head -1 $f.rows | tr ' ' ,)" >$f.one
  $PY - $f.h5 $f.out $f.one <<'PYEOF'
import sys
import h5py
import numpy as np
Y = h5py.File(sys.argv[1])["Y"][:20]
S = np.loadtxt(sys.argv[2], ndmin=2)
one = np.loadtxt(sys.argv[3])
print(f"{sys.argv[1]}: {S.shape}, equal bit for bit: {np.array_equal(S, Y)}, single point: {np.array_equal(one, Y[0])}")
sys.exit(0 if np.array_equal(S, Y) and np.array_equal(one, Y[0]) else 1)
PYEOF
  check "gen $model --params equals gen's noise-free /Y bit for bit" "[ \$? -eq 0 ]"
done
printf '1 2 3\n1 2\n' | "$MLPS_BIN" gen brokenpowerlaw --params - >bad.out 2>bad.err
check "a short row on stdin exits 2 naming the line" "[ \$? -eq 2 ] && grep -q 'stdin line 2: brokenpowerlaw takes 3' bad.err && [ \$(wc -l <bad.out) -eq 1 ]"
expect_exit 2 "$MLPS_BIN" gen brokenpowerlaw --params 1,x,3 && expect_output "'x,3' at character 3 is not a finite number"

cat > a.yaml <<'YAML'
name: emu-a
seed: 5
data: {path: bpl.h5, target_transform: [log, standard], input_transform: [standard]}
split: {test_fraction: 0.2, kfold: 1}
search: {method: random, trials: 1, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  lr: {value: 3.0e-3}
  layers: {value: 2}
  width: {value: 16}
  activation: {value: swish}
train: {max_epochs: 10, patience: 5}
final: {ensemble: 2}
output: {dir: runs/a}
YAML
timeout 120 $MLPS_MPIEXEC -n 2 "$MLPS_BIN" run a.yaml -q >a.log 2>&1
check "tiny sweep exits 0 with a model" "[ \$? -eq 0 ] && [ -s runs/a/model.h5 ]" || { tail -20 a.log; checks_done analysis_emulator; }
OPENBLAS_NUM_THREADS=1 "$MLPS_BIN" predict runs/a/model.h5 runs/a/test_predictions.h5 pred.h5 >/dev/null 2>&1
check "mlpsweep predict on the test rows" "[ -s pred.h5 ]"

$PY - "$AN" <<'PYEOF'
import shutil, sys, warnings
sys.path.insert(0, sys.argv[1])
import h5py
import numpy as np
from mlpsweep_analysis.model import OutsideTrainingBox, load_model
RTOL = 1e-4
bad = []
with h5py.File("runs/a/test_predictions.h5", "r") as h:
    X, P = h["X"][()], h["Y_pred"][()].astype(np.float64)
with h5py.File("pred.h5", "r") as h:
    Q = h["Y"][()].astype(np.float64)
# model.h5 of a run is version 2 (box, input names, error model): the
# predictions against `mlpsweep predict` (float64 through the C library,
# written as float32), the box, the warning once per model object.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", OutsideTrainingBox)  # test rows may lie outside the box
    g = load_model("runs/a/model.h5")
    Y = g(X)
    one = np.array([g(x) for x in X.astype(np.float64)])
    ref = g.reference(X)
rel = np.abs(Y / Q - 1).max()
print(f"v2: fast vs predict {rel:.2e} (tolerance {RTOL:g}); one vs batch {np.abs(one / Y - 1).max():.1e}; "
      f"fast vs unfolded {np.abs(ref / Y - 1).max():.1e}; vs the run's Y_pred {np.abs(Y / P - 1).max():.1e}")
if not (rel < RTOL and np.abs(Y / P - 1).max() < RTOL and np.abs(one / Y - 1).max() < 1e-12
        and np.abs(ref / Y - 1).max() < 1e-6):
    bad.append("v2 predictions")
lo, hi = g.bounds if g.bounds is not None else (None, None)
with h5py.File("bpl.h5", "r") as d:
    Xall = d["X"][()].astype(np.float32).astype(np.float64)  # as mlpsweep reads it
if lo is None or not (g.format_version == 2 and np.all(lo <= hi) and np.all(lo >= Xall.min(axis=0))
                      and np.all(hi <= Xall.max(axis=0)) and len(g.input_names) == 3
                      and g.input_names != ["x0", "x1", "x2"] and g.frac_sigma.shape == (60,)
                      and np.array_equal(g.outside(X), ((X < lo) | (X > hi)).any(axis=1))):
    bad.append("v2 metadata")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", OutsideTrainingBox)
    Ym = g.predict_members(X[:5])
    sp = g.spread(X[:5])
if Ym.shape != (2, 5, 60) or sp.shape != (5, 60) or not np.all(sp > 0):
    bad.append("members/spread shapes")
h2 = load_model("runs/a/model.h5")  # a fresh object: warns once
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    x_out = np.array([lo[0], hi[1] + 1.0, lo[2]])
    h2(x_out)
    h2(x_out[None, :].repeat(3, axis=0))
    h2.predict_members(x_out)
outs = [x for x in w if issubclass(x.category, OutsideTrainingBox)]
print(f"v2: outside the box (three calls) {len(outs)}: {outs[0].message if outs else ''}")
if len(outs) != 1 or g.input_names[1] not in str(outs[0].message):
    bad.append("warning once outside the box")
# A version 1 file: the same model without the version 2 fields.
shutil.copy("runs/a/model.h5", "v1.h5")
with h5py.File("v1.h5", "a") as h:
    h.attrs["format_version"] = np.int64(1)
    del h.attrs["input_names"], h["box"]
    for k in ("frac_cov", "frac_mean", "col_p95_frac"):
        if k in h["metrics"]:
            del h["metrics"][k]
with warnings.catch_warnings():
    warnings.simplefilter("error")  # a version 1 file checks nothing: no warning
    f = load_model("v1.h5")
    Y1 = f(X)
    far = f(np.array([100.0, 100.0, 100.0]))
if not np.array_equal(Y1, Y):
    bad.append("v1 predictions")
if f.bounds is not None or f.format_version != 1 or f.input_names != ["x0", "x1", "x2"] or f.frac_sigma is not None:
    bad.append("v1 metadata")
if "training box unknown" not in f.describe():
    bad.append("v1 describe")
print("\n".join(bad) or "load_model: all good")
sys.exit(1 if bad else 0)
PYEOF
check "load_model: fast path equals predict, v1 and v2 files, warning once outside the box" "[ \$? -eq 0 ]"

if $PY -c 'import torch' 2>/dev/null; then
  $PY - "$AN" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import h5py
import numpy as np
import torch
from mlpsweep_analysis.torch_model import to_torch
with h5py.File("runs/a/test_predictions.h5", "r") as h:
    X = h["X"][()].astype(np.float64)
with h5py.File("pred.h5", "r") as h:
    Q = h["Y"][()].astype(np.float64)
net = to_torch("runs/a/model.h5")
with torch.no_grad():
    Y = net(torch.from_numpy(X)).numpy()
rel = np.abs(Y / Q - 1).max()
x = torch.tensor(X[:1], requires_grad=True)
net(x)[0, 5].backward()
eps = 1e-6
fd = [(net(torch.from_numpy(X[:1] + eps * np.eye(3)[j])) - net(torch.from_numpy(X[:1] - eps * np.eye(3)[j])))[0, 5].item() / (2 * eps) for j in range(3)]
grad_ok = np.allclose(x.grad.numpy()[0], fd, rtol=1e-5, atol=1e-8)
print(f"to_torch vs predict: {rel:.2e} (tolerance 1e-4), dtype {Y.dtype}; gradient vs finite differences: {grad_ok}")
sys.exit(0 if rel < 1e-4 and Y.dtype == np.float64 and grad_ok else 1)
PYEOF
  check "to_torch equals mlpsweep predict (rtol 1e-4) and its gradient the finite differences" "[ \$? -eq 0 ]"
else
  echo "to_torch: python3-torch not installed, not checked (apt-get install python3-torch)"
fi

MLPS_BIN=$MLPS_BIN timeout 120 $PY "$AN/mcmc_check.py" runs/a --generator brokenpowerlaw --exposure 100 --points 2 \
  --walkers 16 --max-steps 200 --chunk 100 >mc.log 2>&1
check "mcmc_check.py on a tiny case exits 0 and writes its JSON and plot" \
  "[ \$? -eq 0 ] && [ -s runs/a/mcmc_check.json ] && [ -s runs/a/plots/mcmc_check.png ] && grep -q '^| 100 |' mc.log" || tail -20 mc.log
$PY - <<'PYEOF'
import json, sys
d = json.load(open("runs/a/mcmc_check.json"))
r = d["results"]
ok = (len(r) == 2 and all(set(x["chains"]) == {"true", "emulator", "emulator+error", "emulator+cov"} for x in r)
      and all(len(x["chains"]["emulator"]["bias"]) == 3 for x in r) and d["summary"][0]["exposure"] == 100
      and d["frac_sigma_source"].startswith("model.h5") and d["box_source"].startswith("model.h5") and d["params"] == ["Gamma1", "Gamma2", "Eb"])
sys.exit(0 if ok else 1)
PYEOF
check "mcmc_check.json has 2 points x 4 chains with biases per parameter" "[ \$? -eq 0 ]"
MLPS_BIN=$MLPS_BIN timeout 120 $PY "$AN/mcmc_check.py" runs/a --generator brokenpowerlaw --exposure 100 --points 1 \
  --walkers 10 --max-steps 100 --chunk 100 --free-norm --no-plot -o fn.json >fn.log 2>&1
check "mcmc_check.py --free-norm exits 0" "[ \$? -eq 0 ]" || tail -20 fn.log
$PY - <<'PYEOF'
import json, sys
d = json.load(open("fn.json"))
ch = d["results"][0]["chains"]
t = ch["true"]
ok = (d["free_norm"] and d["params"] == ["Gamma1", "Gamma2", "Eb", "ln_norm"]
      and all(len(c["mean"]) == 4 for c in ch.values()) and len(ch["emulator"]["bias"]) == 4
      and abs(t["mean"][3]) < 5 * t["sd"][3] and t["sd"][3] > 0)
print(f"free normalisation: true chain ln_norm {t['mean'][3]:+.4f} +- {t['sd'][3]:.4f}")
sys.exit(0 if ok else 1)
PYEOF
check "with --free-norm each chain samples ln_norm too, and the true model's posterior covers 0" "[ \$? -eq 0 ]"
$PY "$AN/report.py" runs/a -o rep.html >rep.log 2>&1
check "report.html shows the MCMC check's table and plot" \
  "[ \$? -eq 0 ] && grep -q 'id=\"mcmc\"' rep.html && grep -q '<td[^>]*>100</td>' rep.html && grep -q 'alt=\"mcmc_check\"' rep.html"
checks_done analysis_emulator
