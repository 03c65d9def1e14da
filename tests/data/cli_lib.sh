# Sourced by the data layer's command-line tests (test_cli.sh, test_guard.sh):
#   fail MESSAGE            counts a failure
#   run CODE NEEDLE cmd...  runs cmd, checks its exit code and that
#                           stdout+stderr contain NEEDLE ("" = anything)
#   cli_done NAME           prints the summary, exits 1 on any failure
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

run() {
  local want=$1 needle=$2
  shift 2
  local out code
  out=$("$@" 2>&1)
  code=$?
  if [ "$code" != "$want" ]; then fail "exit $code (want $want): $*"$'\n'"$(head -c 3000 <<<"$out")"; return; fi
  if [ -n "$needle" ] && ! grep -qF -- "$needle" <<<"$out"; then fail "no '$needle' in output of: $*"$'\n'"$(head -c 3000 <<<"$out")"; return; fi
  echo "ok ($code): $* -> $(head -c 300 <<<"$out" | tr '\n' ' ')"
}

cli_done() {
  if [ $fails -ne 0 ]; then echo "$1: $fails failure(s)"; exit 1; fi
  echo "$1: all checks passed"
}
