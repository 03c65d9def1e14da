#!/usr/bin/env bash
# `mlpsweep validate` end to end: every example in configs/ is valid; the
# output resolves to itself (round trip, byte for byte); overrides; --help
# and usage errors; and under mpiexec -np 3 a bad config prints its errors
# once and every rank exits 2 without hanging (a good one prints once).
set -u
bin=${MLPS_BIN:?MLPS_BIN not set}
src=${MLPS_SRC:?MLPS_SRC not set}
mpiexec=${MLPS_MPIEXEC:-mpiexec --oversubscribe}
here=$(cd "$(dirname "$0")" && pwd)
tmp=${MLPS_TMP:-/tmp}/config_validate.$$
mkdir -p "$tmp"
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

# 1. examples are valid and round-trip exactly
n=0
for f in "$src"/configs/*.yaml; do
  n=$((n + 1))
  name=$(basename "$f" .yaml)
  if ! "$bin" validate "$f" >"$tmp/$name.1.yaml" 2>"$tmp/err"; then
    fail "$f is not valid:"; cat "$tmp/err"; continue
  fi
  grep -q '^# ---- search-space summary' "$tmp/$name.1.yaml" || fail "$f: no summary"
  grep -q '^# planned: ' "$tmp/$name.1.yaml" || fail "$f: no planned trials/tasks"
  "$bin" validate "$tmp/$name.1.yaml" >"$tmp/$name.2.yaml" 2>"$tmp/err" || { fail "$name: output is not valid"; cat "$tmp/err"; }
  cmp -s "$tmp/$name.1.yaml" "$tmp/$name.2.yaml" || { fail "$name: output does not resolve to itself"; diff "$tmp/$name.1.yaml" "$tmp/$name.2.yaml"; }
  # Python's YAML reader sees the same structure (numbers as numbers).
  if command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null; then
    python3 - "$tmp/$name.1.yaml" <<'PY' || fail "$name: python yaml disagrees"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert isinstance(d["seed"], int)
assert isinstance(d["split"]["test_fraction"], float)
for k, v in d["parameters"].items():
    for b in ("min", "max"):
        if b in v: assert isinstance(v[b], (int, float)) and not isinstance(v[b], bool), (k, b, v[b])
PY
  fi
done
[ $n -ge 1 ] || fail "no configs in $src/configs"

# 2. overrides and defaults
demo=$src/configs/demo.yaml
"$bin" validate "$demo" --set search.trials=3 --set=seed=11 --set 'parameters.lr={value: 0.01}' >"$tmp/o.yaml" 2>"$tmp/err" || { fail "overrides rejected"; cat "$tmp/err"; }
grep -q '^  trials: 3$' "$tmp/o.yaml" || fail "--set search.trials=3 not applied"
grep -q '^seed: 11$' "$tmp/o.yaml" || fail "--set=seed=11 not applied"
grep -q '^  lr: {distribution: constant, value: 0.01}$' "$tmp/o.yaml" || fail "--set parameters.lr not applied"
grep -q '^  patience: 20$' "$tmp/o.yaml" || fail "file value lost"
grep -q '^  ensemble: 1$' "$tmp/o.yaml" || fail "default final.ensemble not filled in"
"$bin" validate "$demo" --set search.trials=x >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "bad override: exit $rc, expected 2"
grep -q '^--set search.trials=x: search.trials: expected an integer' "$tmp/err" || { fail "bad override message"; cat "$tmp/err"; }
"$bin" validate "$demo" --quiet >"$tmp/q" 2>&1 && [ ! -s "$tmp/q" ] || fail "--quiet printed something or failed"

# 3. help and usage errors
"$bin" validate --help >"$tmp/h" 2>&1 || fail "--help exit code"
grep -q '^usage: mlpsweep validate CONFIG' "$tmp/h" || fail "--help text"
"$bin" validate >/dev/null 2>&1; [ $? -eq 2 ] || fail "no CONFIG: expected exit 2"
"$bin" validate "$demo" --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option: expected exit 2"
"$bin" validate "$demo" --set >/dev/null 2>&1; [ $? -eq 2 ] || fail "--set without value: expected exit 2"

# 4. under MPI: no hang, messages once, same exit code everywhere.
# shellcheck disable=SC2086
timeout 60 $mpiexec -np 3 "$bin" validate "$here/invalid/kfold_zero.yaml" >"$tmp/mo" 2>"$tmp/me"; rc=$?
[ $rc -eq 2 ] || { fail "np 3 bad config: exit $rc, expected 2 (124 = hang)"; cat "$tmp/me"; }
c=$(grep -c 'split.kfold: must be' "$tmp/me")
[ "$c" -eq 1 ] || { fail "np 3: error printed $c times, expected once"; cat "$tmp/me"; }
# shellcheck disable=SC2086
timeout 60 $mpiexec -np 3 "$bin" validate "$demo" >"$tmp/mo" 2>"$tmp/me"; rc=$?
[ $rc -eq 0 ] || { fail "np 3 good config: exit $rc"; cat "$tmp/me"; }
c=$(grep -c '^name: ' "$tmp/mo")
[ "$c" -eq 1 ] || fail "np 3: config printed $c times, expected once"
grep -q '^# ranks: 3 (rank 0 coordinates, 2 workers' "$tmp/mo" || fail "np 3: no rank plan"

rm -rf "$tmp"
checks_done config_validate_cli
