#!/usr/bin/env bash
# sampler_pipe proposes what the sweep proposes: a small sequential TPE sweep
# (one rank, one fold, so trial t is asked after trials 0..t-1 finished) is
# replayed through sampler_pipe with the same config, and every trial's point
# must equal the journal's exactly (univariate and multivariate). This is
# what lets analysis/sampler_surrogate.py stand for the sweep's sampler.
# Also: a malformed command exits 2 naming its line.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_TMP:?}" "${MLPS_PIPE:?}"
PY=/usr/bin/python3
W=$MLPS_TMP/search_pipe_replay
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

"$MLPS_BIN" gen powerlaw --n 300 --seed 2 -o pl.h5 >/dev/null || exit 1
cat > s.yaml <<'YAML'
name: pipe-replay
seed: 11
data: {path: pl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 1}
search: {method: tpe, trials: 12, startup_trials: 4, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  layers: {min: 1, max: 3}
  width: {distribution: q_log_uniform_values, min: 4, max: 32, q: 1}
  lr: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
  batch: {values: [16, 32, 64]}
  activation: {values: [relu, tanh, gelu]}
train: {max_epochs: 4, patience: 2}
final: {retrain: false}
output: {dir: out}
YAML

for mv in false true; do
  "$MLPS_BIN" run s.yaml --set search.multivariate=$mv --set output.dir=out-$mv -q >run-$mv.log 2>&1 ||
    { fail "sweep (multivariate=$mv): $(tail -3 run-$mv.log)"; checks_done search_pipe_replay; }
  # Commands: for each trial in order, ask it, then tell its result.
  $PY - out-$mv/trials.jsonl >cmds-$mv.txt <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[1:] if l.strip()]
rows.sort(key=lambda r: r["trial"])
for r in rows:
    print(f"ask {r['trial']}")
    val = r["metric"] if r["status"] == "ok" else 0.0
    print(f"tell {r['trial']} {r['status']} {val!r} " + " ".join(repr(float(v)) for v in r["x"]))
PY
  "$MLPS_PIPE" s.yaml --set search.multivariate=$mv <cmds-$mv.txt >pipe-$mv.txt 2>pipe-$mv.err
  check "pipe exits 0 (multivariate=$mv)" '[[ $? -eq 0 ]]'
  check "every trial replays to the journal's point (multivariate=$mv)" "$PY - out-$mv/trials.jsonl pipe-$mv.txt <<'PY'
import json, sys
rows = {}
for l in open(sys.argv[1]).read().splitlines()[1:]:
    if l.strip():
        r = json.loads(l)
        rows[r['trial']] = [float(v) for v in r['x']]
got = {}
for l in open(sys.argv[2]):
    f = l.split()
    if f[0] == 'x':
        got[int(f[1])] = [float(v) for v in f[2:]]
bad = [t for t in rows if got.get(t) != rows[t]]
if len(rows) != 12 or bad:
    print('mismatch at trials', bad, 'of', len(rows), file=sys.stderr)
    sys.exit(1)
PY"
done

printf 'ask 0\nbogus 1\n' | "$MLPS_PIPE" s.yaml >bad.txt 2>&1
rc=$?
check "a bad command exits 2" '[[ $rc -eq 2 ]]'
check "... naming its line" 'grep -q "error: line 2: unknown command" bad.txt'
printf 'tell 0 ok 1.0 1 2\n' | "$MLPS_PIPE" s.yaml >short.txt 2>&1
check "too few coordinates exit 2" '[[ $? -eq 2 ]] && grep -q "too few coordinates" short.txt'
checks_done search_pipe_replay
