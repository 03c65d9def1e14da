#!/usr/bin/env bash
# The SLURM job scripts run on a laptop with plain bash (no SLURM variables):
# jobs/sweep-1node.sbatch runs a tiny sweep to the end; a second start finds
# the journal and resumes instead of being refused; a SIGTERM to the batch
# shell (what `#SBATCH --signal=B:TERM@120` sends) stops the sweep, the
# script says how to resume, and starting it again completes the sweep with
# every task exactly once.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_SRC:?}" "${MLPS_TMP:?}"
W=$MLPS_TMP/jobs_local
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
export MLPSWEEP=$MLPS_BIN NP=2
job=$MLPS_SRC/jobs/sweep-1node.sbatch

"$MLPS_BIN" gen powerlaw --n 800 --seed 3 -o pl.h5 >/dev/null || exit 1
cat > tiny.yaml <<'YAML'
name: tiny
data: {path: pl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 3}
parameters:
  width: {values: [8, 16]}
  layers: {value: 1}
train: {max_epochs: 10, patience: 5}
YAML
timeout 300 bash "$job" tiny.yaml out1 >job1.log 2>&1
check "job script runs a sweep without SLURM" "[ $? -eq 0 ] && [ -s out1/summary.json ] && grep -q 'mpirun' job1.log"
timeout 300 bash "$job" tiny.yaml out1 >job2.log 2>&1
check "a second start resumes the finished sweep instead of refusing" "[ $? -eq 0 ] && grep -q -- '--resume' job2.log"

cat > slow.yaml <<'YAML'
name: slow
data: {path: pl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 3}
search: {method: lhs, trials: 12}
parameters:
  width: {values: [16, 32]}
  layers: {value: 2}
  batch: {value: 16}
train: {max_epochs: 200, patience: 200}
YAML
timeout 300 bash "$job" slow.yaml out2 >job3.log 2>&1 &
jp=$!
for _ in $(seq 1 600); do
  [ -f out2/trials.jsonl ] && [ "$(wc -l < out2/trials.jsonl)" -ge 3 ] && break
  sleep 0.1
done
# timeout is the parent of the batch shell; signal the shell as SLURM would
kill -TERM "$(pgrep -P $jp | head -1)"
wait $jp
check "SIGTERM to the batch shell stops the sweep early" "[ ! -s out2/summary.json ] && grep -q 'caught SIGTERM' job3.log"
check "the script says how to resume" "grep -q 'run the same command again to resume' job3.log"
# mpirun, signalled, exits 1 whatever the ranks did: the sweep's own stop
# marker is what says "stopped cleanly, resume later".
check "the sweep left its stop marker although mpirun exited 1" "[ -s out2/stopped ] && grep -q 'stopped by SIGTERM' out2/stopped"
timeout 300 bash "$job" slow.yaml out2 >job4.log 2>&1
check "starting again completes the sweep" "[ $? -eq 0 ] && [ -s out2/summary.json ]"
check "and removes the stop marker" "[ ! -e out2/stopped ]"
check "every task exactly once" \
  "[ \$(tail -n +2 out2/trials.jsonl | wc -l) -eq 36 ] && [ \$(tail -n +2 out2/trials.jsonl | grep -o '\"trial\":[0-9]*,\"fold\":[0-9]*' | sort -u | wc -l) -eq 36 ]"
checks_done jobs_local
