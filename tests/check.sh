# Sourced by the shell-script tests: check NAME CONDITION runs CONDITION
# (a string for eval, so it sees the caller's last $?) and prints ok/FAIL;
# checks_done NAME prints the summary and exits 1 if any check failed.
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
checks_done() {
  [ $fail -eq 0 ] && echo "$1: all checks passed"
  exit $fail
}
