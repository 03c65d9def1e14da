#!/usr/bin/env bash
# The job scripts, unmodified, on a real two-node SLURM (slurm_nodes.sh:
# slurmctld and two slurmd in network namespaces on this machine, Debian's
# slurm-wlm with its PMIx plugin), submitted with sbatch from a directory
# that is not the checkout, as a user would:
#   1. sweep-multinode.sbatch on 2 nodes under srun --mpi=pmix, then again
#      with MLPSWEEP_LAUNCHER=mpirun: each node's ranks read the data once
#      (one rank per node, from the launch report's lines); and Open MPI's
#      mpirun across the two nodes without SLURM (its rsh launcher, with an
#      agent entering the node's namespaces in place of ssh);
#   2. sweep-array.sbatch with a groups file, two tasks side by side;
#   3. sweep-1node.sbatch with no sbatch option (the whole node), writing to
#      the config's output.dir;
#   4. sweep-1node.sbatch -n 3 as the uninterrupted reference for the
#      walltime case: sweep-1node.sbatch with --time and
#      --signal=B:TERM@60; once the sweep has finished a few tasks the test
#      lowers the job's TimeLimit to end 30-90 s later, so SLURM's own
#      time-limit check sends the signal; the ranks stop cleanly (exit 3), the script
#      requeues the job, the second start resumes and completes, and
#      trials.csv equals the reference's, every task journaled once.
# Skipped (exit 77, reason printed) without root, namespaces or slurm-wlm.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_SRC:?}" "${MLPS_TMP:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../check.sh"
. "$here/../outputs.sh"
. "$here/slurm_nodes.sh"

if ! why=$(cluster_can_run); then
  echo "SKIP: cluster test: $why"
  exit 77
fi

W=$MLPS_TMP/cluster
rm -rf "$W" && mkdir -p "$W/submit" || exit 1
# Daemon state and sockets under /tmp: a Unix socket path has 108 bytes.
D=$(mktemp -d /tmp/mlps-slurm.XXXXXX) || exit 1
trap 'cluster_down; rm -rf "$D"' EXIT
cluster_up "$D" || { echo "FAIL: could not start the two-node SLURM (logs in $D)"; trap - EXIT; cluster_down; exit 1; }
echo "cluster: slurmctld + slurmd n1, n2 up ($(slurmctld -V))"

cd "$W/submit" || exit 1
export MLPSWEEP=$MLPS_BIN
unset SLURM_MPI_TYPE MLPSWEEP_LAUNCHER MLPSWEEP_COORDINATOR MLPSWEEP_HOME
jobs=$MLPS_SRC/jobs

"$MLPS_BIN" gen powerlaw --n 600 --seed 3 -o pl.h5 >/dev/null || exit 1
cat > tiny.yaml <<'YAML'
name: tiny
data: {path: pl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 4}
parameters:
  width: {values: [8, 16]}
  layers: {value: 1}
train: {max_epochs: 10, patience: 5}
output: {dir: res/tiny}
YAML
# Long enough that one worker is still busy when SLURM's time-limit check
# (every 30 s) sends the walltime signal, even on a fast idle core.
"$MLPS_BIN" gen powerlaw --n 4000 --seed 3 -o pl4k.h5 >/dev/null || exit 1
cat > slow.yaml <<'YAML'
name: slow
data: {path: pl4k.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 3}
search: {method: lhs, trials: 12}
parameters:
  width: {values: [32, 64]}
  layers: {value: 2}
  batch: {value: 16}
train: {max_epochs: 600, patience: 600}
output: {dir: res/slow}
YAML

# submit ARGS...: sbatch on the submit host; prints the job id.
submit() { in_cluster sbatch --parsable "$@" | cut -d';' -f1; }
# job_field JOB KEY: a field of `scontrol show job`.
job_field() { in_cluster scontrol show job "$1" 2>/dev/null | grep -o "\b$2=[^ ]*" | head -1 | cut -d= -f2; }
# wait_done JOB...: until no job is pending or running (600 s at most).
wait_done() {
  local i
  for i in $(seq 1 600); do
    [ -z "$(in_cluster squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && return 0
    sleep 1
  done
  echo "jobs $* still queued after 600 s:"; in_cluster squeue
  return 1
}
# one_reader_per_node LOG NODES RANKS: the launch report lists NODES distinct
# hosts with RANKS ranks in all, each host's data read by its lowest rank.
one_reader_per_node() {
  /usr/bin/python3 - "$@" <<'PY'
import re, sys
log, nodes, ranks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = re.findall(r"^mlpsweep: node (\S+): (\d+) rank\(s\) \(([\d,]+)\); data read by rank (\d+)$",
                   open(log).read(), re.M)
hosts = [h for h, *_ in lines]
seen = sorted(int(r) for _, _, rs, _ in lines for r in rs.split(","))
ok = (len(lines) == nodes and len(set(hosts)) == nodes and seen == list(range(ranks))
      and all(int(n) == len(rs.split(",")) and int(rd) == min(map(int, rs.split(","))) for _, n, rs, rd in lines))
print(f"  launch report: {lines}")
sys.exit(0 if ok else 1)
PY
}

# 1. Two nodes: srun (PMIx found by the script), then mpirun in the allocation.
j1=$(submit -N 2 --ntasks-per-node=2 -o multi.log "$jobs/sweep-multinode.sbatch" tiny.yaml res/multi)
wait_done "$j1"
check "multinode job completes on 2 nodes under srun" \
  "[ \"\$(job_field $j1 JobState)\" = COMPLETED ] && [ -s res/multi/summary.json ] && grep -q 'srun .*--mpi=pmix' multi.log"
check "  each node's data read once: 2 nodes, 5 ranks (4 slots + coordinator)" "one_reader_per_node multi.log 2 5"
export MLPSWEEP_LAUNCHER=mpirun
j2=$(submit -N 2 --ntasks-per-node=2 -o multi-mpirun.log "$jobs/sweep-multinode.sbatch" tiny.yaml res/multi-mpirun)
unset MLPSWEEP_LAUNCHER
wait_done "$j2"
check "multinode job completes with MLPSWEEP_LAUNCHER=mpirun" \
  "[ \"\$(job_field $j2 JobState)\" = COMPLETED ] && [ -s res/multi-mpirun/summary.json ] && grep -q 'job: mpirun ' multi-mpirun.log"
check "  each node's data read once under mpirun" "one_reader_per_node multi-mpirun.log 2 5"
check "  srun and mpirun give the same trials.csv" "diff <(strip res/multi/trials.csv) <(strip res/multi-mpirun/trials.csv) >/dev/null"

# 1b. Open MPI without SLURM across the same two nodes: mpirun's own rsh
# launcher, with an agent that enters the node's namespaces where ssh
# would log in (no sshd needed).
cluster_rsh_agent "$W/rsh-agent"
on_node n1 timeout 300 mpirun --mca plm_rsh_agent "$W/rsh-agent" --host n1:2,n2:2 -np 4 \
  "$MLPS_BIN" run tiny.yaml --set output.dir=res/rsh >rsh.log 2>&1
check "mpirun --host n1:2,n2:2 without SLURM (rsh launcher) completes" "[ $? -eq 0 ] && [ -s res/rsh/summary.json ]"
check "  each node's data read once" "one_reader_per_node rsh.log 2 4"
check "  the same trials.csv as under srun" "diff <(strip res/multi/trials.csv) <(strip res/rsh/trials.csv) >/dev/null"

# 2. A job array over a groups file (submitted by a relative script path).
cat > groups.txt <<'EOF'
# name  overrides
first   data.target_columns=0:10
second  data.target_columns=10:20 search.trials=3
EOF
rel=$(realpath --relative-to=. "$jobs/sweep-array.sbatch")
j3=$(submit --array=0-1 -n 2 -o 'array-%a.log' "$rel" tiny.yaml groups.txt res/groups)
wait_done "$j3"
check "array: both tasks complete, each with its group's overrides" \
  "[ -s res/groups/first/summary.json ] && [ -s res/groups/second/summary.json ] && [ \$(wc -l < res/groups/second/trials.csv) -eq 4 ] && grep -qF 'target_columns: \\\"0:10\\\"' res/groups/first/trials.jsonl"
check "  the two tasks ran on different nodes side by side" \
  "[ \"\$(grep -ho 'node n[12]' array-0.log array-1.log | sort -u | wc -l)\" -eq 2 ]"

# 3. One node with no sbatch option: the whole node (4 CPUs) + coordinator,
# written to the config's output.dir.
j4=$(submit -o one.log "$jobs/sweep-1node.sbatch" tiny.yaml)
wait_done "$j4"
check "1-node job without options: 5 ranks on one node, config's output.dir (res/tiny)" \
  "[ \"\$(job_field $j4 JobState)\" = COMPLETED ] && [ -s res/tiny/summary.json ] && one_reader_per_node one.log 1 5"

# 4. Reference on n2, walltime job on n1, at the same time.
jr=$(submit -w n2 -n 3 -o ref.log "$jobs/sweep-1node.sbatch" slow.yaml)
jw=$(submit -w n1 -n 1 --time=10 --signal=B:TERM@60 -o wall.log "$jobs/sweep-1node.sbatch" slow.yaml res/wall)
for i in $(seq 1 600); do
  [ -f res/wall/trials.jsonl ] && [ "$(tail -n +2 res/wall/trials.jsonl | wc -l)" -ge 2 ] && break
  sleep 0.5
done
# SLURM checks time limits every 30 s and signals a job whose remaining
# time is at most the --signal offset + 30 s; a limit that has passed at a
# check kills the job instead. So the new limit ends 30-90 s from now: the
# next check signals, and the one after it comes before the limit.
rt=$(job_field "$jw" RunTime) # [D-]HH:MM:SS
IFS=: read -r h m sec <<<"${rt#*-}"
elapsed=$((10#$h * 3600 + 10#$m * 60 + 10#$sec))
in_cluster scontrol update JobId="$jw" TimeLimit=$(((elapsed + 30) / 60 + 1))
for i in $(seq 1 300); do
  grep -q 'requeueing job' wall.log && break
  sleep 1
done
# The second start gets the job's normal limit back (the test shortened the
# first one only); a requeued job is held cred_expire seconds first.
in_cluster scontrol update JobId="$jw" TimeLimit=10
wait_done "$jr" "$jw"
check "reference 1-node job (-n 3) completes in the config's output.dir (res/slow)" \
  "[ \"\$(job_field $jr JobState)\" = COMPLETED ] && [ -s res/slow/summary.json ]"
check "  one node, 4 ranks (3 slots + coordinator), data read once" "one_reader_per_node ref.log 1 4"
check "walltime: SIGTERM reached the batch shell and the sweep stopped cleanly (exit 3)" \
  "grep -q 'caught SIGTERM, asking the sweep to stop' wall.log && grep -q 'sweep: stopped by SIGTERM.*(exit code 3)' wall.log"
check "  the job requeued itself and its second start resumed and completed" \
  "grep -q 'start 2 of job' wall.log && grep -q -- '--resume' wall.log && [ \"\$(job_field $jw Restarts)\" -ge 1 ] && [ \"\$(job_field $jw JobState)\" = COMPLETED ] && [ -s res/wall/summary.json ]"
check "  trials.csv equals the uninterrupted run's" "diff <(strip res/slow/trials.csv) <(strip res/wall/trials.csv)"
check "  every task journaled exactly once" \
  "[ \$(tail -n +2 res/wall/trials.jsonl | wc -l) -eq 36 ] && [ \$(tail -n +2 res/wall/trials.jsonl | grep -o '\"trial\":[0-9]*,\"fold\":[0-9]*' | sort -u | wc -l) -eq 36 ]"
if [ $check_failures -ne 0 ]; then
  for f in *.log; do echo "== $f"; grep -v '^sweep: tasks' "$f"; done
fi
checks_done cluster
