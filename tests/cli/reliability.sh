#!/usr/bin/env bash
# Reliability of `mlpsweep run` under faults (issue 17), with real mpirun,
# real training and real files:
#  - one writer per output directory: a second run (or --resume) while the
#    first is running exits 2 at once naming the holder; the first finishes
#    with no duplicated task; a lock left by a dead holder is taken over;
#  - orphans: after kill -9 of mpirun its ranks notice, stop within seconds
#    and append nothing more to the journal;
#  - stops: SIGINT is named as SIGINT; SIGTERM during the final stage exits
#    3 with a message and a stop marker, and --resume completes the outputs;
#    under mpirun (whose own exit code is 1 when it is signalled) the marker
#    is there too;
#  - kfold above 64 runs (the final stage sized an array of 64);
#  - a full disk (a small tmpfs; needs root and mount, else skipped): every
#    failed write is an error with a message, never a crash; after space is
#    freed --resume completes every output, history.h5 included.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}"
W=$MLPS_TMP/reliability
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../outputs.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
run() { local np=$1; shift; timeout --preserve-status 600 $MLPS_MPIEXEC -n "$np" "$MLPS_BIN" run "$@"; }
# descendants PID: every process below PID.
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
# signal_ranks SIG PID: the mlpsweep processes below PID (the ranks of
# `run ... &`: PID is a subshell, then timeout, mpiexec, the ranks), and
# only them, as a scheduler or a user's kill would; not mpiexec.
signal_ranks() {
  local p
  for p in $(descendants "$2"); do
    [ "$(ps -o comm= -p "$p" 2>/dev/null)" = mlpsweep ] && kill "-$1" "$p"
  done
}
# signal_launcher SIG PID: mpiexec below PID (a Ctrl-C at the terminal).
signal_launcher() { pkill "-$1" -x mpiexec -P "$(pgrep -P "$2")"; }
# wait_for COND SECONDS: polls COND (eval) every 0.1 s; 1 if it never held.
wait_for() {
  local i n=$(( $2 * 10 ))
  for ((i = 0; i < n; i++)); do eval "$1" && return 0; sleep 0.1; done
  return 1
}

"$MLPS_BIN" gen brokenpowerlaw --n 3000 --seed 3 -o bpl.h5 >/dev/null || exit 1
cat > slow.yaml <<'YAML'
name: slow
seed: 5
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: random, trials: 12, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  layers: {value: 2}
  width: {values: [32, 48]}
  lr: {value: 0.003}
  batch: {value: 32}
train: {max_epochs: EPOCHS, patience: 0}
final: {epochs: fixed, fixed_epochs: 20}
YAML
# Long enough to be interrupted; the sanitizer build runs 3-5x slower.
sed -i "s/EPOCHS/$([ "${MLPS_SANITIZED:-0}" = 1 ] && echo 100 || echo 300)/" slow.yaml

# ---- one writer per output directory ----------------------------------
run 3 slow.yaml -q --set output.dir=lock >lock1.log 2>&1 &
first=$!
wait_for "[ \$(tasks lock) -ge 2 ]" 120
"$MLPS_BIN" run slow.yaml -q --resume --set output.dir=lock >lock2.log 2>&1
rc=$?
check "a --resume while the first run holds the directory exits 2" "[ $rc -eq 2 ]"
check "its message names the holder and what to do" \
  "grep -q 'in use by another mlpsweep run (host .*, pid [0-9]*' lock2.log && grep -q 'wait for that run to end' lock2.log"
"$MLPS_BIN" run slow.yaml -q --set output.dir=lock >lock3.log 2>&1
check "a fresh run on the same directory exits 2 too" "[ $? -eq 2 ] && grep -q 'in use by another' lock3.log"
wait $first
check "the first run finishes (exit 0)" "[ $? -eq 0 ]"
check "its journal has no duplicated (trial, fold)" "[ \$(dups lock) -eq 0 ] && [ \$(tasks lock) -eq 24 ]"
check "the lock file records host, pid and start" "grep -q '^pid ' lock/mlpsweep.lock && grep -q '^started ' lock/mlpsweep.lock"
# The holder is gone: its record stays, but the lock went with it.
run 2 slow.yaml -q --resume --set output.dir=lock --set final.fixed_epochs=5 >lock4.log 2>&1
check "a lock left by a finished (dead) holder is taken over" "[ $? -eq 0 ]"

# ---- orphans: kill -9 of the launcher ----------------------------------
$MLPS_MPIEXEC -n 3 "$MLPS_BIN" run slow.yaml -q --set output.dir=orphan >orphan.log 2>&1 &
launcher=$!
wait_for "[ \$(tasks orphan) -ge 2 ]" 120
ranks=$(pgrep -P $launcher | tr '\n' ' ')
kill -9 $launcher
sleep 0.5
n_kill=$(tasks orphan)
gone() { local p; for p in $ranks; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
wait_for gone 20
check "after kill -9 of mpirun its ranks are gone within seconds" "gone"
sleep 1
check "and nothing more was appended to the journal ($n_kill tasks)" "[ \$(tasks orphan) -eq $n_kill ]"
run 3 slow.yaml -q --resume --set output.dir=orphan >orphan2.log 2>&1
check "the resume right after finishes" "[ $? -eq 0 ] && [ \$(dups orphan) -eq 0 ] && [ \$(tasks orphan) -eq 24 ]"
check "its summary counts 2 starts and the wall time over both" \
  "/usr/bin/python3 -c 'import json,sys; s=json.load(open(\"orphan/summary.json\")); sys.exit(not (s[\"starts\"] == 2 and s[\"sweep_seconds_total\"] > s[\"sweep_seconds\"] > 0))'"

# ---- stops ------------------------------------------------------------
run 1 slow.yaml --set output.dir=sigint >sigint.log 2>&1 &
pid=$!
wait_for "[ \$(tasks sigint) -ge 1 ]" 120
signal_ranks INT $pid
wait $pid
rc=$?
check "SIGINT stops the sweep with exit 3" "[ $rc -eq 3 ]"
check "and is named SIGINT, not SIGTERM" "grep -q 'stopped by SIGINT' sigint.log && ! grep -q 'SIGTERM' sigint.log"
check "the stop marker says so" "grep -q 'stopped by SIGINT during the sweep' sigint/stopped"

# SIGTERM in the final stage: a long final retrain (2 x 4000 epochs).
fin="--set search.trials=1 --set train.max_epochs=3 --set final.fixed_epochs=4000 --set final.ensemble=2"
run 1 slow.yaml $fin --set output.dir=final >final.log 2>&1 &
pid=$!
wait_for "grep -q 'retraining trial' final.log" 120
sleep 0.5
signal_ranks TERM $pid
wait $pid
rc=$?
check "SIGTERM during the final retrain exits 3" "[ $rc -eq 3 ]"
check "with a message saying how to go on" "grep -q 'stopped by SIGTERM.* during the final stage' final.log && grep -q 'resume' final.log"
check "and the stop marker, no model.h5" "[ -s final/stopped ] && [ ! -e final/model.h5 ]"
run 1 slow.yaml $fin --set final.fixed_epochs=30 --resume --set output.dir=final >final2.log 2>&1
check "--resume then redoes only the final stage" "[ $? -eq 0 ] && [ -s final/model.h5 ] && [ -s final/summary.json ]"
check "and clears the stop marker" "[ ! -e final/stopped ]"

# Under mpirun a signal to mpirun itself makes mpirun exit 1, whatever the
# ranks return: the marker still says the sweep stopped cleanly.
run 3 slow.yaml --set output.dir=mpirun_term >mterm.log 2>&1 &
pid=$!
wait_for "[ \$(tasks mpirun_term) -ge 2 ]" 120
signal_launcher TERM $pid
wait $pid
check "mpirun signalled: the stop marker is written" "[ -s mpirun_term/stopped ] && grep -q 'stopped by SIGTERM' mpirun_term/stopped"

# ---- resume against changed data ----------------------------------------
small="--set search.trials=2 --set train.max_epochs=3 --set final.fixed_epochs=2"
cp bpl.h5 data.h5
run 2 slow.yaml -q $small --set data.path=data.h5 --set output.dir=data >data1.log 2>&1
check "training cut short by max_epochs is warned of at the end" "grep -q 'cut short by the epoch limit' data1.log"
check "a sweep records its data in the journal header" \
  "[ \$? -eq 0 ] && head -1 data/trials.jsonl | grep -q '\"data\":{\"path\":\"data.h5\".*\"checksum\":\"[0-9a-f]\{16\}\"'"
"$MLPS_BIN" gen brokenpowerlaw --n 3000 --seed 4 -o data.h5 --force >/dev/null
run 2 slow.yaml -q $small --set data.path=data.h5 --set output.dir=data --resume >data2.log 2>&1
check "--resume on other data of the same shape exits 2 naming the checksum" \
  "[ \$? -eq 2 ] && grep -q 'the data differ from what this sweep started with: content checksum' data2.log"
"$MLPS_BIN" gen brokenpowerlaw --n 2999 --seed 3 -o data.h5 --force >/dev/null
run 2 slow.yaml -q $small --set data.path=data.h5 --set output.dir=data --resume >data3.log 2>&1
check "--resume on another row count exits 2 naming the rows" \
  "[ \$? -eq 2 ] && grep -q 'rows used 3000 -> 2999' data3.log && grep -q 'allow-data-change' data3.log"
check "and nothing of the sweep was lost" "[ \$(tasks data) -eq 4 ] && [ -s data/model.h5 ]"
run 2 slow.yaml -q $small --set data.path=data.h5 --set output.dir=data --resume --allow-data-change >data4.log 2>&1
check "--allow-data-change resumes, with a warning" "[ \$? -eq 0 ] && grep -q 'trained on different data' data4.log"
cp bpl.h5 data.h5
run 2 slow.yaml -q $small --set data.path=data.h5 --set output.dir=data --resume >data5.log 2>&1
check "the original data resumes without a word about it" "[ \$? -eq 0 ] && ! grep -q 'data differ' data5.log"

# ---- progress under mpirun ---------------------------------------------
# mpirun forwards rank 0's stdout through a terminal (its stderr through a
# pipe): with a terminal the live line is redrawn in place there.
if command -v script >/dev/null; then
  script -qec "$MLPS_MPIEXEC -n 2 $MLPS_BIN run slow.yaml $small --set output.dir=tty" tty.log >/dev/null 2>&1
  check "under mpirun on a terminal the progress line is redrawn in place" \
    "[ \$? -eq 0 ] && grep -q \$'\r\033\\[K' tty.log"
else
  echo "SKIP: no script(1) for the terminal case"
fi
"$MLPS_BIN" run slow.yaml --progress-interval 0 >pi.log 2>&1
check "--progress-interval 0 is a usage error (exit 2)" "[ \$? -eq 2 ] && grep -q 'progress-interval must be in' pi.log"

# ---- limits: kfold above 64 ---------------------------------------------
run 2 slow.yaml -q --set output.dir=k65 --set split.kfold=65 --set search.trials=1 \
  --set train.max_epochs=2 --set final.fixed_epochs=2 >k65.log 2>&1
check "kfold 65 runs through the final stage" "[ $? -eq 0 ] && [ -s k65/model.h5 ] && grep -c '\"fold\"' k65/summary.json >/dev/null"

# ---- a full disk ------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && mkdir -p disk && mount -t tmpfs -o size=160k tmpfs disk 2>/dev/null; then
  trap 'umount -l "$W/disk" 2>/dev/null; rm -rf "$check_tmp"' EXIT
  # The journal needs about 4 KiB per task with its curve here, history.h5
  # more: the disk fills during the sweep.
  run 2 slow.yaml --set output.dir=disk/out --set search.trials=40 --set train.max_epochs=40 >disk1.log 2>&1
  rc=$?
  check "a full disk is an error (exit 1), not a crash" "[ $rc -eq 1 ]"
  check "with a message naming the file that could not be written" \
    "grep -Eq 'cannot write .*(history.h5|trials.jsonl|trials.csv)|journal' disk1.log"
  check "and no HDF5 crash at exit" "! grep -Eq 'Segmentation|H5F__close_cb|signal 11' disk1.log"
  n_disk=$(tasks disk/out)
  mount -o remount,size=64m disk
  run 2 slow.yaml --resume --set output.dir=disk/out --set search.trials=40 --set train.max_epochs=40 >disk2.log 2>&1
  check "after space is freed --resume completes (exit 0)" "[ $? -eq 0 ] && [ -s disk/out/model.h5 ] && [ -s disk/out/summary.json ]"
  curves=$(/usr/bin/python3 -c "
import h5py
with h5py.File('disk/out/history.h5') as f:
    print(sum(len(g) for g in f.values()))" 2>/dev/null)
  check "history.h5 has every task's curve ($curves of 80; $n_disk were journaled before the disk filled)" "[ \"$curves\" = 80 ]"
  # The disk fills while model.h5 is written (a 1.2 MB network on 600 KiB):
  # the error names it, the library does not crash at exit (it did: a
  # segfault in H5F__close_cb), and --resume redoes the final stage.
  umount disk && mount -t tmpfs -o size=600k tmpfs disk
  wide="--set search.trials=1 --set train.max_epochs=2 --set parameters.width.values=[512] --set final.fixed_epochs=2"
  run 2 slow.yaml $wide --set output.dir=disk/wide >disk3.log 2>&1
  rc=$?
  check "model.h5 on a full disk: exit 1 with a message naming it, no crash" \
    "[ $rc -eq 1 ] && grep -q 'model.h5' disk3.log && ! grep -Eq 'Segmentation|H5F__close_cb|signal 11' disk3.log"
  check "no half-written model.h5 is left under the final name" "[ ! -e disk/wide/model.h5 ]"
  mount -o remount,size=64m disk
  run 2 slow.yaml $wide --resume --set output.dir=disk/wide >disk4.log 2>&1
  check "after space is freed --resume writes model.h5" "[ $? -eq 0 ] && [ -s disk/wide/model.h5 ]"
  umount disk
  trap 'rm -rf "$check_tmp"' EXIT
else
  echo "SKIP: full-disk cases need root and a tmpfs mount"
fi

checks_done reliability
