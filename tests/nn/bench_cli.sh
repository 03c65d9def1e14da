#!/usr/bin/env bash
# mlpsweep bench: --help, strict argument errors (exit 2), and one short run
# that prints a single JSON object with the documented keys. Not a timing
# test: the figures are not checked.
set -u
bin=${MLPS_BIN:?MLPS_BIN not set}
fail=0
expect() { # expect CODE args...
  local want=$1; shift
  "$bin" bench "$@" >/tmp/nn_bench_out.$$ 2>/tmp/nn_bench_err.$$
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: mlpsweep bench $* exited $got, expected $want"; cat /tmp/nn_bench_err.$$; fail=1
  fi
}
expect 0 --help
grep -q -- "--threads" /tmp/nn_bench_out.$$ || { echo "FAIL: --help lacks --threads"; fail=1; }
expect 2 --net 3,0,2
expect 2 --net 3
expect 2 --net 3,64,
expect 2 --net 3,x,4
expect 2 --batch 0
expect 2 --batch 12abc
expect 2 --steps
expect 2 --act linear
expect 2 --act relux
grep -q "relu" /tmp/nn_bench_err.$$ || { echo "FAIL: no list of valid activations"; fail=1; }
expect 2 --optimizer adamx
expect 2 --threads -1
expect 2 --bogus 1
expect 2 positional
expect 2 --rows 100 --batch 200
expect 0 --net 3,16,16,5 --batch 32 --steps 20 --warmup 2 --rows 256 --act gelu --optimizer radam
out=$(cat /tmp/nn_bench_out.$$)
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || { echo "FAIL: expected one line of JSON"; fail=1; }
for k in samples_per_s step_us sgemm_us sgemm_fraction net batch threads steps; do
  printf '%s' "$out" | grep -q "\"$k\": " || { echo "FAIL: key $k missing in: $out"; fail=1; }
done
# --peak: OpenBLAS's own square sgemm rate, one JSON line.
expect 2 --peak 8
expect 2 --peak 64x
expect 2 --peak 64 --net 3,16,5
grep -q -- "--net does not apply with --peak" /tmp/nn_bench_err.$$ || { echo "FAIL: --peak with --net: no clear message"; fail=1; }
expect 2 --batch 32 --peak 64
expect 0 --peak 64
out=$(cat /tmp/nn_bench_out.$$)
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || { echo "FAIL: --peak: expected one line of JSON"; fail=1; }
for k in '"engine": "openblas-sgemm"' '"n": 64' '"gflops": ' '"seconds": '; do
  printf '%s' "$out" | grep -qF "$k" || { echo "FAIL: --peak: '$k' missing in: $out"; fail=1; }
done
rm -f /tmp/nn_bench_out.$$ /tmp/nn_bench_err.$$
[ $fail = 0 ] && echo "nn_bench_cli: all checks passed"
exit $fail
