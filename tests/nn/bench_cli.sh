#!/usr/bin/env bash
# mlpsweep bench: --help, strict argument errors (exit 2), and one short run
# that prints a single JSON object with the documented keys. Not a timing
# test: the figures are not checked.
set -u
bin=${MLPS_BIN:?MLPS_BIN not set}
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
expect() { local want=$1; shift; expect_exit "$want" "$bin" bench "$@"; } # expect CODE args...
expect 0 --help
check "--help lists --threads" 'grep -q -- "--threads" "$check_out"'
expect 2 --net 3,0,2
expect 2 --net 3
expect 2 --net 3,64,
expect 2 --net 3,x,4
expect 2 --batch 0
expect 2 --batch 12abc
expect 2 --steps
expect 2 --act linear
expect 2 --act relux
check "--act relux lists the valid activations" 'grep -q "relu" "$check_err"'
expect 2 --optimizer adamx
expect 2 --threads -1
expect 2 --bogus 1
expect 2 positional
expect 2 --rows 100 --batch 200
expect 0 --net 3,16,16,5 --batch 32 --steps 20 --warmup 2 --rows 256 --act gelu --optimizer radam
out=$(cat "$check_out")
check "one line of JSON" '[ "$(printf "%s\n" "$out" | wc -l)" = 1 ]'
for k in samples_per_s step_us sgemm_us sgemm_fraction net batch threads steps; do
  check "key $k in the JSON" 'printf "%s" "$out" | grep -q "\"$k\": "' || echo "  in: $out"
done
# --peak: OpenBLAS's own square sgemm rate, one JSON line.
expect 2 --peak 8
expect 2 --peak 64x
expect 2 --peak 64 --net 3,16,5
check "--peak with --net: a clear message" 'grep -q -- "--net does not apply with --peak" "$check_err"'
expect 2 --batch 32 --peak 64
expect 0 --peak 64
out=$(cat "$check_out")
check "--peak: one line of JSON" '[ "$(printf "%s\n" "$out" | wc -l)" = 1 ]'
for k in '"engine": "openblas-sgemm"' '"n": 64' '"gflops": ' '"seconds": '; do
  check "--peak: '$k' in the JSON" 'printf "%s" "$out" | grep -qF "$k"' || echo "  in: $out"
done
checks_done nn_bench_cli
