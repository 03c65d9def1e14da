#!/usr/bin/env bash
# Quick-start command 1: install what is missing, build, then the main job:
# generate a broken power law (20,000 spectra), run a TPE sweep with 3-fold
# cross-validation under mpirun, retrain the best configuration, evaluate it
# once on the held-out test set, write plots and the HTML report, and print
# where everything is. About 5 minutes on 2 cores.
#
# Idempotent: a finished sweep is not rerun (its results are shown again);
# an interrupted one is resumed. Start over with: rm -rf runs/quickstart
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$MLPS_ROOT"

data=data/brokenpowerlaw-20k.h5
out=runs/quickstart
mkdir -p data runs
if [ ! -s "$data" ]; then
  "$MLPS_BIN" gen brokenpowerlaw --n 20000 --seed 1 --sampling lhs -o "$data"
fi

# One coordinator (it mostly sleeps) plus one worker per core.
np=$(( $(nproc) + 1 ))
if [ -s "$out/summary.json" ]; then
  echo "quickstart: $out is already finished; showing its results (rm -rf $out to run again)"
else
  resume=""
  [ -s "$out/trials.jsonl" ] && resume="--resume"
  mpirun --oversubscribe -np "$np" "$MLPS_BIN" run configs/quickstart.yaml $resume
fi

/usr/bin/python3 analysis/report.py "$out"

/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
s = json.load(open(f"{out}/summary.json"))
t = s["final"]["test"]
print()
print(f"best trial {s['best_trial']}: {s['best_params']}")
print(f"cross-validation {s['metric']}: {s['cv_metric_mean']:.4g} +- {s['cv_metric_std']:.2g}")
print(f"test set ({t['n_rows']} spectra): median |fractional error| = {100*t['median_frac_err']:.3f}%, "
      f"95th percentile = {100*t['p95_frac_err']:.3f}%")
print(f"outputs: {out}/ (model.h5, summary.json, trials.csv, trials.jsonl, history.h5, report.html)")
PY
