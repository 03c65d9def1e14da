#!/usr/bin/env bash
# libmlpsweep_emu on a real model: a small one-rank sweep on a generated
# broken power law (final.ensemble 2, targets [log, standard], silu) writes
# model.h5 (format 2) and test_predictions.h5; `mlpsweep predict` runs on the
# test rows; test_emu checks the library against both, the fold against the
# unfolded path, the box and out-of-box counts, members, the error model,
# threads, a format-1 file and open errors; the C Metropolis example runs on
# the model and its posterior mean is finite and inside the box.
#   emu.sh TEST_EMU METROPOLIS
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_TMP:?}" "${MLPS_SRC:?}"
TEST_EMU=$1 METRO=$2
W=$MLPS_TMP/emu_lib
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

"$MLPS_BIN" gen brokenpowerlaw --n 400 --seed 2 -o bpl.h5 >/dev/null || exit 1
cat > s.yaml <<'YAML'
name: emu-lib
seed: 5
data: {path: bpl.h5, input_transform: standard, target_transform: [log, standard]}
split: {test_fraction: 0.15, kfold: 1}
search: {method: random, trials: 1}
parameters:
  layers: {values: [2]}
  width: {values: [24]}
  activation: {values: [silu]}
train: {max_epochs: 30, patience: 5}
final: {ensemble: 2}
output: {dir: out}
YAML
"$MLPS_BIN" run s.yaml -q >run.log 2>&1 || { echo "FAIL: sweep: $(tail -3 run.log)"; exit 1; }
"$MLPS_BIN" predict out/model.h5 out/test_predictions.h5 pred.h5 >pred.log 2>&1
check "mlpsweep predict on the test rows exits 0" "[ \$? -eq 0 ]"

"$TEST_EMU" out/model.h5 out/test_predictions.h5 pred.h5 "$MLPS_SRC/tests/emu/data/model_v1.h5" \
  "$MLPS_SRC/tests/emu/data/v1_pred.h5" "$W" >t.log 2>&1
check "test_emu: library = run and predict, fold exact, box, members, error model, threads, format 1, errors" \
  "[ \$? -eq 0 ]" || cat t.log
grep '^test_emu:' t.log

"$METRO" out/model.h5 3000 7 >m.log 2>&1
check "the Metropolis example exits 0" "[ \$? -eq 0 ]" || cat m.log
check "its posterior mean is finite and inside the training box" "awk '
  /^mean/ { for (i = 2; i <= NF; i++) mean[i - 1] = \$i; d = NF - 1 }
  /^box/  { for (i = 1; i <= d; i++) { lo = \$(2 * i); hi = \$(2 * i + 1);
              if (!(mean[i] + 0 == mean[i] && mean[i] >= lo && mean[i] <= hi)) bad = 1 } ; seen = 1 }
  END { exit (seen && !bad) ? 0 : 1 }' m.log"
sed -n 1,5p m.log
checks_done emu_lib
