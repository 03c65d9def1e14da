#!/usr/bin/env bash
# analysis/bias_fisher.py (the linearised posterior bias) on cases with a
# known answer, with the true model (`mlpsweep gen --params`) as "emulator":
#   * no error (Y_pred = the true spectra) gives dtheta = 0 on every row;
#   * an error that is a parameter shift, Y_pred = m(theta + d), gives
#     dtheta = -d on every row (the fit moves against the error; first order:
#     rtol 2% for d = 1e-4 of the range; rows whose break is within d of a
#     grid energy left out: the model has no derivative there), and the bias at T is
#     sqrt(T) dtheta / sigma_1: x10 from T = 1e2 to 1e4;
#   * a level error Y_pred = 1.01 m with --free-norm goes into ln_norm
#     (-0.01, first order in the error) and leaves the shape parameters (< 1e-6); without it, it
#     moves them;
#   * on a tiny real run (model.h5's derivatives: the data-noise part), the
#     linear theory agrees with exact maximum-likelihood fits over Poisson
#     data sets (the noise sd within 30%; the Asimov bias to 20% plus 3
#     errors of the mean, and closer than with the true model's Jacobian:
#     this emulator is poor, median error ~2%, and the theory is first
#     order in the error), and the validation against a short
#     mcmc_check.py finds the same points;
#   * bad input exits 2 naming the file or dataset.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}" "${MLPS_SRC:?}"
PY=/usr/bin/python3
AN=$MLPS_SRC/analysis
W=$MLPS_TMP/analysis_bias
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
export MLPS_BIN OPENBLAS_NUM_THREADS=1

"$MLPS_BIN" gen brokenpowerlaw --n 2000 --seed 3 -o bpl.h5 >/dev/null || exit 1
cat > t.yaml <<'YAML'
name: bias-t
seed: 5
data: {path: bpl.h5, target_transform: [log, standard], input_transform: [standard]}
split: {test_fraction: 0.1, kfold: 1}
search: {method: random, trials: 1, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  lr: {value: 3.0e-3}
  layers: {value: 2}
  width: {value: 32}
  activation: {value: swish}
train: {max_epochs: 60, patience: 10}
output: {dir: runs/t}
YAML
timeout 120 $MLPS_MPIEXEC -n 2 "$MLPS_BIN" run t.yaml -q >t.log 2>&1
check "tiny sweep exits 0 with a model and test predictions" \
  "[ \$? -eq 0 ] && [ -s runs/t/model.h5 ] && [ -s runs/t/test_predictions.h5 ]" || { tail -20 t.log; checks_done analysis_bias; }

# The "emulators" with a known answer: the test rows' true spectra, shifted or scaled.
$PY - <<'PYEOF' || exit 1
import os
import subprocess
import h5py
import numpy as np
with h5py.File("runs/t/test_predictions.h5") as h:
    rows = h["rows"][()]
with h5py.File("bpl.h5") as h:
    X = h["X"][()][rows]
    lo, hi = h["X"].attrs["low"], h["X"].attrs["high"]
d = 1e-4 * (hi - lo) * np.array([1.0, -1.0, 1.0])
np.save("d.npy", d)
def gen(P):
    rows = "".join(" ".join(repr(float(v)) for v in r) + "\n" for r in P)
    out = subprocess.run([os.environ["MLPS_BIN"], "gen", "brokenpowerlaw", "--params", "-"], input=rows,
                         capture_output=True, text=True, check=True).stdout
    return np.loadtxt(out.splitlines(), ndmin=2)
m = gen(X)
for name, Yp in (("zero", m), ("shift", gen(X + d)), ("level", 1.01 * m)):
    with h5py.File(f"{name}.h5", "w") as h:
        h["X"], h["Y_pred"], h["rows"] = X.astype(np.float32), Yp.astype(np.float64), rows
with h5py.File("noypred.h5", "w") as h:
    h["X"] = X
PYEOF

for c in zero shift level; do
  $PY "$AN/bias_fisher.py" runs/t --generator brokenpowerlaw --exposure 100 10000 --predictions $c.h5 \
    -o $c.json >$c.log 2>&1
  check "bias_fisher.py --predictions $c.h5 exits 0" "[ \$? -eq 0 ] && [ -s $c.json ]" || tail -20 $c.log
done
$PY "$AN/bias_fisher.py" runs/t --generator brokenpowerlaw --exposure 1000 --predictions level.h5 --free-norm \
  -o level_fn.json >level_fn.log 2>&1
check "bias_fisher.py --free-norm exits 0" "[ \$? -eq 0 ] && [ -s level_fn.json ]" || tail -20 level_fn.log

$PY - <<'PYEOF'
import json, sys
import numpy as np
bad = []
def rows(name):
    d = json.load(open(f"{name}.json"))
    return d, np.array(d["rows"]["dtheta"]), np.array(d["rows"]["sigma_at_exposure_1"])
z, dz, _ = rows("zero")
print(f"no error: max |dtheta| {np.abs(dz).max():.1e}")
if np.abs(dz).max() > 1e-12 or z["summary"][0]["asimov"]["any"]["max"] > 1e-9:
    bad.append("no error must give dtheta = 0")
s, ds, s1 = rows("shift")
d = np.load("d.npy")
# Rows whose break crosses a grid energy between theta - h and theta + d + h have no derivative there (the
# broken power law's kink): left out, they are a few.
grid = np.geomspace(0.3, 10.0, 60)
Eb = np.array(s["rows"]["theta"])[:, 2]
smooth = np.abs(Eb[:, None] - grid[None, :]).min(axis=1) > abs(d[2]) + 2e-4 * 4.5
rel = (np.abs(ds + d) / np.abs(d))[smooth]
print(f"shift d = {d}: dtheta / -d - 1 at most {rel.max():.1e} on {smooth.sum()} of {len(Eb)} rows")
if smooth.sum() < 0.8 * len(Eb):
    bad.append("too few rows away from the kink")
if rel.max() > 0.02:
    bad.append(f"a shift d must give dtheta = -d (off by {rel.max():.3f} relative)")
b100, b1e4 = (np.array([s["summary"][k]["asimov"][n]["max"] for n in s["params"]]) for k in (0, 1))
want = np.abs(np.sqrt(100) * ds / s1).max(axis=0)
if not np.allclose(b100, want, rtol=1e-12) or not np.allclose(b1e4 / b100, 10.0, rtol=1e-12):
    bad.append(f"the bias must be sqrt(T) dtheta / sigma_1 (max at 1e2 {b100} vs {want}; 1e4/1e2 {b1e4 / b100})")
fn, dfn, _ = rows("level_fn")
_, dl, _ = rows("level")
print(f"level error 1.01, free norm: ln_norm {dfn[:, 3].min():.6f}..{dfn[:, 3].max():.6f} (want -0.01: first order), "
      f"shape at most {np.abs(dfn[:, :3]).max():.1e}; without: shape up to {np.abs(dl).max():.2e}")
if fn["params"][-1] != "ln_norm" or not np.allclose(dfn[:, 3], -0.01, rtol=1e-9) or np.abs(dfn[:, :3]).max() > 1e-6:
    bad.append("a level error with --free-norm must go into ln_norm only")
if np.abs(dl).max() < 1e-3:
    bad.append("a level error without --free-norm must move the shape parameters")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PYEOF
check "known answers: zero error, a parameter shift, a level error with and without --free-norm" "[ \$? -eq 0 ]"

# The real run: model.h5's derivatives, the data-noise part, exact ML fits; a short MCMC to validate against.
timeout 120 $PY "$AN/mcmc_check.py" runs/t --generator brokenpowerlaw --exposure 100 --points 2 --walkers 8 \
  --max-steps 400 --chunk 200 --no-plot >mc.log 2>&1
check "a short mcmc_check.py for the validation" "[ \$? -eq 0 ] && [ -s runs/t/mcmc_check.json ]" || tail -20 mc.log
$PY "$AN/bias_fisher.py" runs/t --generator brokenpowerlaw --exposure 100 1000 --points 2 --realisations 40 \
  >real.log 2>&1
check "bias_fisher.py on the run exits 0 and prints its table" \
  "[ \$? -eq 0 ] && grep -q '^| 1000 | Asimov (mean over data sets) |' real.log" || tail -20 real.log
$PY - <<'PYEOF'
import json, sys
import numpy as np
d = json.load(open("runs/t/bias_fisher.json"))
bad = []
if d["asimov_jacobian"] != "emulator" or d["noise_sd"] is None or "one_data_set" not in d["summary"][0]:
    bad.append("the run's own predictions must use the emulator's derivatives (Asimov J, data-noise part)")
for e in d["scaling"]["per_exposure"]:
    q, err = e["noise_sd_over_ml_sd"], e["rms_error_of_ml_mean"]
    print(f"T={e['exposure']:g}: noise sd linear / exact {q['median']:.2f} (max {q['max']:.2f}); rms(exact mean - "
          f"Asimov) {e['rms_ml_mean_minus_fisher']:.3f}, its error {err:.3f}")
    if not 0.7 < q["median"] < 1.3:
        bad.append(f"T={e['exposure']:g}: the linear noise sd must match the exact fits' ({q['median']:.2f})")
    size = np.sqrt(np.mean(np.square(e["ml_mean"])))
    print(f"  rms exact mean {size:.3f}; with the true model's J {e['rms_ml_mean_minus_fisher_trueJ']:.3f}")
    if e["rms_ml_mean_minus_fisher"] > 0.2 * size + 3 * err or \
       e["rms_ml_mean_minus_fisher"] > e["rms_ml_mean_minus_fisher_trueJ"]:
        bad.append(f"T={e['exposure']:g}: the Asimov bias must match the exact fits' mean to 20%, better than "
                   "with the true model's Jacobian")
v = d["validation"]
if not v or len(v["points"]) != 2 or not all(p["same_point_as_points()"] for p in v["points"]):
    bad.append("the validation must find mcmc_check.json's 2 points at points() with its seed")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PYEOF
check "linear theory against exact ML fits; validation at the MCMC's points" "[ \$? -eq 0 ]"

expect_exit 2 $PY "$AN/bias_fisher.py" runs/t --generator brokenpowerlaw --predictions missing.h5 \
  && expect_output "missing.h5"
expect_exit 2 $PY "$AN/bias_fisher.py" runs/t --generator brokenpowerlaw --predictions noypred.h5 \
  && expect_output "noypred.h5: no dataset /Y_pred"
expect_exit 2 $PY "$AN/bias_fisher.py" runs/t --generator linpower
checks_done analysis_bias
