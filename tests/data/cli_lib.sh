# Sourced by the data layer's command-line tests (test_cli.sh, test_guard.sh),
# on top of tests/check.sh (fail, expect_exit, expect_output, checks_done):
#   run CODE NEEDLE cmd...  runs cmd, checks its exit code and that stdout or
#                           stderr contains NEEDLE ("" = anything)
#   cli_done NAME           checks_done NAME
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

run() {
  local want=$1 needle=$2
  shift 2
  expect_exit "$want" "$@" || return
  if [ -n "$needle" ]; then expect_output "$needle" "the output of: $*" || return; fi
  echo "ok ($want): $* -> $(cat "$check_out" "$check_err" | head -c 200 | tr '\n' ' ')"
}

cli_done() { checks_done "$@"; }
