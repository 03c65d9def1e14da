#!/usr/bin/env bash
# Runs `mlpsweep validate` on every config in invalid/ and checks that it
# exits 2 and reports the problem each file's header announces:
#   # expect: LINE: fragment   a line "FILE:LINE:COL: ..." containing fragment
#   # expect: 0: fragment      a line "FILE: ..." (no position) containing it
#   # expect: set: fragment    a line "--set k=v: ..." containing it
#   # args: ...                extra arguments (e.g. --set k=v)
# Also checks that every error line has the FILE:LINE:COLUMN (or --set)
# prefix, and that the problems are printed exactly once.
set -u
bin=${MLPS_BIN:?MLPS_BIN not set}
case $bin in /*) ;; */*) bin=$PWD/$bin ;; esac
dir=$(cd "$(dirname "$0")/invalid" && pwd)
tmp=${MLPS_TMP:-/tmp}/config_invalid.$$
mkdir -p "$tmp"
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
n=0
for f in "$dir"/*.yaml; do
  n=$((n + 1))
  name=$(basename "$f")
  args=$(sed -n 's/^# args: //p' "$f")
  # shellcheck disable=SC2086
  (cd "$dir" && "$bin" validate "$name" $args >"$tmp/out" 2>"$tmp/err")
  rc=$?
  if [ $rc -ne 2 ]; then
    fail "$name: exit $rc, expected 2"; cat "$tmp/err"; continue
  fi
  if [ -s "$tmp/out" ]; then
    fail "$name: printed a config on stdout although invalid"
  fi
  nexp=0
  while IFS= read -r exp; do
    nexp=$((nexp + 1))
    where=${exp%%: *}
    frag=${exp#*: }
    case $where in
      set) prefix="--set " ;;
      0) prefix="$name: " ;;
      *) prefix="$name:$where:" ;;
    esac
    if ! grep -F -- "$frag" "$tmp/err" | grep -q -F -- "$prefix" ||
       ! grep -F -- "$frag" "$tmp/err" | grep -q "^$(printf '%s' "$prefix" | sed 's/[.[\*^$]/\\&/g')"; then
      fail "$name: no line starting '$prefix' containing '$frag'; got:"; cat "$tmp/err"
    fi
  done < <(sed -n 's/^# expect: //p' "$f")
  if [ $nexp -eq 0 ]; then fail "$name: no '# expect:' header"; fi
  # Every line but the final count line names its place.
  bad=$(grep -v '^mlpsweep validate: ' "$tmp/err" | grep -v -E "^($name:[0-9]+:[0-9]+: |$name: |--set [^ ]*: )" || true)
  if [ -n "$bad" ]; then fail "$name: lines without a place:"; echo "$bad"; fi
  if [ "$(grep -c '^mlpsweep validate: .* problem' "$tmp/err")" -ne 1 ]; then
    fail "$name: expected one summary line"; cat "$tmp/err"
  fi
done
rm -rf "$tmp"
if [ $n -lt 30 ]; then fail "only $n invalid configs (want >= 30)"; fi
checks_done config_invalid "$n invalid configs rejected as expected"
