#!/usr/bin/env bash
# The X-ray tutorial's broken power law baseline (configs/brokenpowerlaw-
# tutorial.yaml: 64x4 ReLU, Adam lr 1e-4, batch 256, up to 3000 epochs,
# patience 40, 90/5/5 of 100,000 LHS spectra), run by mlpsweep and by the
# same recipe in PyTorch (analysis/torch_tutorial.py) on the same rows.
# Benchmark, not a test. The two run at the same time, each on one core of
# this 2-core machine (mlpsweep with one rank, torch with one thread); the
# figures are wall times and test median |fractional error|.
#
#   MLPS_BIN=build/src/mlpsweep bash analysis/bench_tutorial.sh
#
# Settings (environment): OUT (runs/bench-tutorial), SAMPLES (100000),
# MAX_EPOCHS (3000). Prints both results and a one-line comparison.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
B=$(realpath "${MLPS_BIN:-build/src/mlpsweep}")
PY=/usr/bin/python3
OUT=${OUT:-runs/bench-tutorial}
SAMPLES=${SAMPLES:-100000}
MAX_EPOCHS=${MAX_EPOCHS:-3000}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
$PY -c "import torch, h5py" 2>/dev/null ||
  { echo "bench_tutorial.sh: $PY lacks torch or h5py (Debian: apt-get install python3-torch python3-h5py)" >&2; exit 2; }
if [[ -e $OUT/mlpsweep ]]; then
  echo "bench_tutorial.sh: $OUT/mlpsweep exists; remove $OUT or set OUT" >&2
  exit 2
fi
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
data=$OUT/brokenpowerlaw-$SAMPLES.h5
[[ -f $data ]] || "$B" gen brokenpowerlaw --n "$SAMPLES" --seed 1 --sampling lhs -o "$data" >/dev/null
sets=(--set data.path="$data" --set train.max_epochs="$MAX_EPOCHS" --set output.dir="$OUT/mlpsweep")
cfg=$here/../configs/brokenpowerlaw-tutorial.yaml
"$B" run "$cfg" "${sets[@]}" --dry-run --write-split "$OUT/split.h5" >/dev/null

t0=$(date +%s.%N)
# --bind-to none: mpirun would pin its rank to core 0, where torch may run too.
( mpirun --bind-to none -np 1 "$B" run "$cfg" "${sets[@]}" -q; date +%s.%N >"$OUT/mlpsweep.end" ) >"$OUT/mlpsweep.log" 2>&1 &
mlps_pid=$!
$PY "$here/torch_tutorial.py" "$data" "$OUT/split.h5" --max-epochs "$MAX_EPOCHS" >"$OUT/torch.json"
wait $mlps_pid
mlps_wall=$($PY -c "print(round($(cat "$OUT/mlpsweep.end") - $t0, 1))")

$PY - "$OUT" "$mlps_wall" <<'EOF'
import csv, json, sys
out, wall = sys.argv[1], float(sys.argv[2])
s = json.load(open(f"{out}/mlpsweep/summary.json"))
t = json.load(open(f"{out}/torch.json"))
trial = next(csv.DictReader(open(f"{out}/mlpsweep/trials.csv")))
fold = s["diagnostic_fold_models_test"][0]
m = {"engine": "mlpsweep", "wall_seconds": wall, "trial_seconds": float(trial["seconds_sum"]),
     "trial_epochs": fold["epochs"], "final_epochs": s["final"]["epochs"],
     "test_median_frac_err_final": s["final"]["test"]["median_frac_err"],
     "test_p95_frac_err_final": s["final"]["test"]["p95_frac_err"],
     "test_median_frac_err_trial_model": fold["test"]["median_frac_err"],
     "test_p95_frac_err_trial_model": fold["test"]["p95_frac_err"]}
print(json.dumps(m))
print(json.dumps(t))
print(f"one training run (early stopping on the validation rows): mlpsweep {m['trial_seconds']:.0f} s "
      f"({m['trial_epochs']} epochs, {m['trial_seconds'] / m['trial_epochs']:.3f} s/epoch), "
      f"torch {t['train_seconds']:.0f} s ({t['epochs']} epochs, {t['seconds_per_epoch']:.3f} s/epoch): "
      f"{t['train_seconds'] / t['epochs'] / max(m['trial_seconds'] / m['trial_epochs'], 1e-9):.1f}x per epoch")
print(f"test median |fractional error|: mlpsweep final {100 * m['test_median_frac_err_final']:.3f}%, "
      f"mlpsweep trial model {100 * m['test_median_frac_err_trial_model']:.3f}%, "
      f"torch {100 * t['test_median_frac_err']:.3f}%; mlpsweep whole workflow (trial + final stage) {wall:.0f} s")
EOF
