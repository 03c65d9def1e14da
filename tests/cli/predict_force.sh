#!/usr/bin/env bash
# `mlpsweep predict MODEL IN OUT` does not overwrite an existing OUT unless
# --force is given (exit 2 naming the file, before any work), never writes
# over its own MODEL or IN even with --force, and --help says so. The model
# comes from a tiny one-rank sweep.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_TMP:?}"
W=$MLPS_TMP/cli_predict_force
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

"$MLPS_BIN" gen powerlaw --n 200 --seed 4 -o pl.h5 >/dev/null || exit 1
cat > s.yaml <<'YAML'
name: predict-force
seed: 3
data: {path: pl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 1}
search: {method: random, trials: 1}
parameters:
  layers: {values: [1]}
  width: {values: [8]}
train: {max_epochs: 2, patience: 1}
output: {dir: out}
YAML
"$MLPS_BIN" run s.yaml -q >run.log 2>&1 || { echo "FAIL: sweep: $(tail -3 run.log)"; exit 1; }

P="$MLPS_BIN predict out/model.h5 pl.h5"
$P pred.h5 >p1.log 2>&1
check "predict into a new file exits 0" "[ \$? -eq 0 ] && [ -s pred.h5 ]"
echo keep >other.h5
$P other.h5 >p2.log 2>&1
check "an existing OUT is refused with exit 2 naming the file and --force" \
  "[ \$? -eq 2 ] && grep -q 'other.h5 exists; pass --force to overwrite it' p2.log"
check "the refused OUT is left as it was" "[ \"\$(cat other.h5)\" = keep ]"
$P other.h5 --force >p3.log 2>&1
# (not a byte comparison: HDF5 stores the dataset's modification time)
check "--force overwrites it" "[ \$? -eq 0 ] && /usr/bin/python3 -c 'import h5py, numpy as np, sys
a, b = h5py.File(\"pred.h5\")[\"Y\"][:], h5py.File(\"other.h5\")[\"Y\"][:]
sys.exit(0 if np.array_equal(a, b) else 1)'"
$P pl.h5 --force >p4.log 2>&1
check "OUT = IN is refused even with --force" "[ \$? -eq 2 ] && grep -q 'is also the input file' p4.log && $MLPS_BIN info --check pl.h5 >/dev/null"
"$MLPS_BIN" predict out/model.h5 pl.h5 out/../out/model.h5 --force >p5.log 2>&1
check "OUT = MODEL is refused even with --force" "[ \$? -eq 2 ] && grep -q 'is also the model file' p5.log"
"$MLPS_BIN" predict --help >h.log 2>&1
check "--help documents --force" "grep -q -- '--force' h.log"
checks_done cli_predict_force
