#!/usr/bin/env bash
# The launch report on one machine (no SLURM needed; the two-node case is in
# test_cluster.sh): rank 0 names the node, its ranks and the rank that read
# the data, the OpenBLAS core and thread count; -q hides it; an OpenBLAS
# forced onto its generic Prescott kernels on a CPU with AVX2 draws the
# warning that says how to set OPENBLAS_CORETYPE.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}"
W=$MLPS_TMP/launch_report
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

"$MLPS_BIN" gen powerlaw --n 300 --seed 2 -o pl.h5 >/dev/null || exit 1
cat > tiny.yaml <<'YAML'
name: tiny
data: {path: pl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 2}
parameters:
  width: {value: 8}
  layers: {value: 1}
train: {max_epochs: 2}
YAML
host=$(hostname)
$MLPS_MPIEXEC -np 3 "$MLPS_BIN" run tiny.yaml --set output.dir=o1 >o1.out 2>o1.err
check "a run under mpirun -np 3 succeeds" "[ $? -eq 0 ]"
check "one line for the node: its 3 ranks, rank 0 read the data" \
  "grep -qx 'mlpsweep: node [^:]*: 3 rank(s) (0,1,2); data read by rank 0' o1.err && [ \$(grep -c '^mlpsweep: node ' o1.err) -eq 1 ]"
check "the summary names nodes, ranks, OpenBLAS core and threads" \
  "grep -Eqx 'mlpsweep: 1 node\(s\), 3 rank\(s\); OpenBLAS core [A-Za-z0-9_]+, 1 thread\(s\)' o1.err"

OPENBLAS_NUM_THREADS=2 "$MLPS_BIN" run tiny.yaml --set output.dir=o2 >o2.out 2>o2.err
# mlpsweep run sets one BLAS thread per rank whatever the environment says;
# the report shows the count OpenBLAS actually runs with.
check "one rank, OPENBLAS_NUM_THREADS=2: the report shows the 1 thread run uses" \
  "grep -qx 'mlpsweep: node [^:]*: 1 rank(s) (0); data read by rank 0' o2.err && grep -q '1 rank(s); OpenBLAS core .*, 1 thread(s)$' o2.err"

"$MLPS_BIN" run tiny.yaml -q --set output.dir=o3 >o3.out 2>o3.err
check "-q prints no launch report" "! grep -q 'mlpsweep: node \|rank(s); OpenBLAS' o3.err"

OPENBLAS_CORETYPE=Prescott "$MLPS_BIN" run tiny.yaml -q --set output.dir=o4 >o4.out 2>o4.err
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  check "generic Prescott kernels on an AVX2 CPU: a warning saying how to set OPENBLAS_CORETYPE (even with -q)" \
    "grep -q 'warning: OpenBLAS on .* runs its generic Prescott kernels .*OPENBLAS_CORETYPE=' o4.err"
else
  echo "skip: this CPU has no AVX2, so Prescott kernels draw no warning"
  check "no warning on a CPU without AVX2" "! grep -q 'generic Prescott' o4.err"
fi
checks_done launch_report
