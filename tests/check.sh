# Assertions for the shell-script tests; every tests/**/*.sh test sources it:
#   . "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
#
#   check NAME CONDITION     evals CONDITION (a string, so it sees the caller's
#                            variables and last $?); prints "ok: NAME", or
#                            fails and returns 1
#   fail MESSAGE...          records a failure: "FAIL: MESSAGE" (with
#                            "FAIL(CONTEXT)" when $check_context is set)
#   expect_exit CODE CMD...  runs CMD, stdout to $check_out and stderr to
#                            $check_err; another exit code fails, showing both;
#                            returns 0 when CMD exited CODE
#   expect_output TEXT [WHAT]  the last expect_exit's stdout or stderr contains
#                            TEXT (a fixed string); fails naming WHAT otherwise
#   checks_done NAME [TEXT]  prints "NAME: TEXT" (default "all checks passed")
#                            and exits 0, or "NAME: N failure(s)" and exits 1
# $check_failures counts the failures so far. The files of expect_exit live
# in a directory removed by an EXIT trap (the scripts set no trap of their own).
check_failures=0
check_context=
check_tmp=$(mktemp -d "${MLPS_TMP:-/tmp}/check.XXXXXX") || exit 1
check_out=$check_tmp/stdout
check_err=$check_tmp/stderr
trap 'rm -rf "$check_tmp"' EXIT

check() { if eval "$2"; then echo "ok: $1"; else fail "$1"; return 1; fi; }

fail() {
  echo "FAIL${check_context:+($check_context)}: $*"
  check_failures=$((check_failures + 1))
}

expect_exit() {
  local want=$1 got
  shift
  "$@" >"$check_out" 2>"$check_err"
  got=$?
  [ "$got" = "$want" ] && return 0
  fail "$* exited $got, expected $want"
  echo "--- stdout:"; head -n 40 "$check_out"
  echo "--- stderr:"; head -n 40 "$check_err"
  return 1
}

expect_output() {
  grep -qF -- "$1" "$check_out" "$check_err" && return 0
  fail "${2:-output} lacks '$1'; got:"
  head -n 40 "$check_out" "$check_err"
  return 1
}

checks_done() {
  if [ "$check_failures" -eq 0 ]; then
    echo "$1: ${2:-all checks passed}"
    exit 0
  fi
  echo "$1: $check_failures failure(s)"
  exit 1
}
