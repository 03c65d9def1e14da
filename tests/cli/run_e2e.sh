#!/usr/bin/env bash
# End-to-end tests of `mlpsweep run` with real training under real mpirun:
# a small sweep on a generated broken power law with np 1, 2 and 3 gives the
# same trials.csv (timing columns aside), and so does a TPE sweep in
# generations (search.batch) with np 2 and 3, also when resumed with a
# larger budget; predict reproduces the run's test
# predictions to float32 rounding; kill -9 mid-sweep then --resume loses and
# duplicates nothing and ends with the uninterrupted run's trials; SIGTERM
# stops with exit 3 and resumes; a diverging trial is recorded and the sweep
# completes; an existing output directory is not overwritten; a finished
# sweep resumed with another final section redoes only the final stage, and
# one resumed with a larger budget runs only the new trials; a bad config
# under np 3 exits 2 on every rank without hanging.
set -uo pipefail
: "${MLPS_BIN:?}" "${MLPS_MPIEXEC:?}" "${MLPS_TMP:?}"
W=$MLPS_TMP/run_e2e
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../outputs.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
run() { local np=$1; shift; timeout --preserve-status 300 $MLPS_MPIEXEC -n "$np" "$MLPS_BIN" run "$@"; }
# signal_ranks SIG PID: signals the ranks started by `run ... &` (PID is
# timeout's; its child is mpiexec, whose children are the ranks), and only
# them, so other tests running at the same time are not touched.
signal_ranks() { local m; for m in $(pgrep -P "$2"); do pkill "-$1" -P "$m"; done; }

"$MLPS_BIN" gen brokenpowerlaw --n 1200 --seed 5 -o bpl.h5 >/dev/null || exit 1
cat > sweep.yaml <<'YAML'
name: e2e
seed: 11
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 3}
search: {method: random, trials: 6, metric: {name: val_median_frac_err, goal: minimize}}
parameters:
  layers: {values: [1, 2]}
  width: {values: [16, 32]}
  lr: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}
  batch: {values: [32, 64]}
  activation: {values: [relu, tanh]}
train: {max_epochs: 15, patience: 5}
output: {dir: out}
YAML

for np in 1 2 3; do
  run $np sweep.yaml -q --set output.dir=np$np >np$np.log 2>&1
  check "np $np sweep exits 0" "[ $? -eq 0 ]"
  check "np $np writes all outputs" "[ -s np$np/model.h5 ] && [ -s np$np/summary.json ] && [ -s np$np/trials.csv ] && [ -s np$np/history.h5 ]"
done
check "np 1 and np 2 give identical trials.csv" "diff <(strip np1/trials.csv) <(strip np2/trials.csv) >/dev/null"
check "np 2 and np 3 give identical trials.csv" "diff <(strip np2/trials.csv) <(strip np3/trials.csv) >/dev/null"
check "np 1 and np 3 give the same final test metrics" \
  "[ \"\$(grep -o '\"test\":{[^}]*}' np1/summary.json | head -1)\" = \"\$(grep -o '\"test\":{[^}]*}' np3/summary.json | head -1)\" ]"
check "journal has a header and 18 task lines" "[ \$(wc -l < np2/trials.jsonl) -eq 19 ]"

# TPE in generations (search.batch) is reproducible across rank counts: with
# one worker (np 2) and with two (np 3), which finish trials in other orders.
# gamma 0.5 makes the proposals sensitive to running trials: without
# search.batch, np 2 and np 3 gave different trials here.
tpe="--set search.method=tpe --set search.batch=2 --set search.startup_trials=2 --set search.gamma=0.5"
for np in 2 3; do
  run $np sweep.yaml -q $tpe --set search.trials=12 --set output.dir=tpe$np >tpe$np.log 2>&1
  check "TPE batch 2 np $np sweep exits 0 with 12 trials" "[ \$? -eq 0 ] && [ \$(wc -l < tpe$np/trials.csv) -eq 13 ]"
done
check "TPE batch 2: np 2 and np 3 give identical trials.csv" "diff <(strip tpe2/trials.csv) <(strip tpe3/trials.csv) >/dev/null"
# --resume rebuilds TPE's history from the journal: 7 trials (stopping inside
# a generation) under np 3, resumed to 12 under np 2, are the 12 above.
run 3 sweep.yaml -q $tpe --set search.trials=7 --set output.dir=tperes >tperes.log 2>&1
run 2 sweep.yaml -q $tpe --set search.trials=12 --set output.dir=tperes --resume >>tperes.log 2>&1
check "TPE batch 2: 7 trials resumed to 12 give the uninterrupted trials.csv" \
  "[ \$? -eq 0 ] && diff <(strip tpe2/trials.csv) <(strip tperes/trials.csv) >/dev/null"

OPENBLAS_NUM_THREADS=1 "$MLPS_BIN" predict np2/model.h5 np2/test_predictions.h5 pred.h5 >/dev/null 2>&1
# predict computes in float64 (libmlpsweep_emu), the run in float32: they
# agree to float32 rounding of a few layers (rtol 1e-5, ~80 ulps).
check "predict reproduces the run's test predictions to float32 rounding" \
  "/usr/bin/python3 -c 'import h5py,numpy as np,sys; a=h5py.File(\"np2/test_predictions.h5\")[\"Y_pred\"][:]; b=h5py.File(\"pred.h5\")[\"Y\"][:]; sys.exit(0 if a.shape==b.shape and np.allclose(b,a,rtol=1e-5,atol=0) else 1)'"

# refusal to overwrite a finished sweep
run 2 sweep.yaml -q --set output.dir=np2 >ow.log 2>&1; rc=$?
check "existing output dir refused with exit 2" "[ $rc -eq 2 ] && grep -q -- '--resume' ow.log"

# A finished sweep resumed with another final section, from a copied output
# dir, redoes only the final stage; another train section is refused.
cp -r np2 np2copy && rm np2copy/summary.json
run 2 sweep.yaml -q --set output.dir=np2copy --set final.ensemble=2 --resume >fin.log 2>&1
check "resume with another final section exits 0, trains no task, writes a 2-network model" \
  "[ $? -eq 0 ] && [ \$(wc -l < np2copy/trials.jsonl) -eq 19 ] && diff <(strip np2/trials.csv) <(strip np2copy/trials.csv) >/dev/null && grep -q '\"ensemble\":2' np2copy/summary.json"
run 2 sweep.yaml -q --set output.dir=np2copy --set train.max_epochs=16 --resume >fin2.log 2>&1; rc=$?
check "resume with another train section is refused, naming the key" "[ $rc -eq 2 ] && grep -q 'train.max_epochs' fin2.log"
# data.noise decides no trial here (loss mse, metric median): it may be
# added on a resume, for the final stage's chi2 and posterior bias; not when
# the metric is val_chi2 (the journaled trials were chosen without it)
rm np2copy/summary.json
run 2 sweep.yaml -q --set output.dir=np2copy --set "data.noise={model: poisson, exposure: 100}" --resume >noise.log 2>&1
check "resume adding data.noise exits 0, trains no task, reports the posterior bias" \
  "[ $? -eq 0 ] && [ \$(wc -l < np2copy/trials.jsonl) -eq 19 ] && grep -q '\"posterior_bias\":{\"median_sigma\":[0-9]' np2copy/summary.json" || tail -3 noise.log
run 2 sweep.yaml -q --set output.dir=np2copy --set "data.noise={model: poisson, exposure: 100}" --set search.metric.name=val_chi2 --resume >noise2.log 2>&1; rc=$?
check "resume adding data.noise with metric val_chi2 is refused, naming the keys" \
  "[ $rc -eq 2 ] && grep -q 'data.noise' noise2.log" || tail -3 noise2.log

# A finished random sweep resumed with a larger search.trials runs only the
# new trials and ends where a sweep started with that budget ends; an LHS
# design is built for its budget, so there a new budget is refused.
cp -r np2 np2more
run 2 sweep.yaml -q --set output.dir=np2more --set search.trials=8 --resume >more.log 2>&1
check "resume with search.trials 6 -> 8 exits 0 and adds exactly 6 tasks" \
  "[ $? -eq 0 ] && [ \$(wc -l < np2more/trials.jsonl) -eq 25 ] && cmp -s <(head -19 np2more/trials.jsonl) np2/trials.jsonl && grep -q '\"trials_ok\":8' np2more/summary.json"
run 2 sweep.yaml -q --set output.dir=np2t8 --set search.trials=8 >t8.log 2>&1
check "the extended sweep equals one started with 8 trials" "diff <(strip np2more/trials.csv) <(strip np2t8/trials.csv) >/dev/null"
run 1 sweep.yaml -q --set output.dir=lhs2 --set search.method=lhs --set search.trials=2 --set train.max_epochs=2 >lhs.log 2>&1
run 1 sweep.yaml -q --set output.dir=lhs2 --set search.method=lhs --set search.trials=3 --set train.max_epochs=2 --resume >lhs3.log 2>&1; rc=$?
check "LHS: resume with another search.trials is refused, naming the key" "[ $rc -eq 2 ] && grep -q 'search.trials' lhs3.log"

# kill -9 in the middle, then --resume
cat > slow.yaml <<'YAML'
name: e2e-kill
seed: 11
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 3}
search: {method: lhs, trials: 8, metric: {name: val_mse, goal: minimize}}
parameters:
  layers: {values: [1, 2]}
  width: {values: [16, 32]}
  lr: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}
  batch: {value: 32}
train: {max_epochs: 120, patience: 120}
output: {dir: killed}
YAML
run 2 slow.yaml -q --set output.dir=ref >ref.log 2>&1
check "uninterrupted reference sweep exits 0" "[ $? -eq 0 ]"
timeout --preserve-status 300 $MLPS_MPIEXEC -n 3 "$MLPS_BIN" run slow.yaml -q >kill.log 2>&1 &
lp=$!
for _ in $(seq 1 600); do
  [ -f killed/trials.jsonl ] && [ "$(wc -l < killed/trials.jsonl)" -ge 6 ] && break
  sleep 0.1
done
signal_ranks KILL $lp; wait $lp 2>/dev/null
n_before=$(( $(wc -l < killed/trials.jsonl) - 1 ))
check "kill -9 left a partial journal ($n_before of 24 tasks)" "[ $n_before -ge 5 ] && [ $n_before -lt 24 ]"
run 2 slow.yaml -q --resume >resume.log 2>&1
check "resume after kill -9 exits 0" "[ $? -eq 0 ]"
check "no task lost or duplicated after resume" \
  "[ \$(tail -n +2 killed/trials.jsonl | grep -o '\"trial\":[0-9]*,\"fold\":[0-9]*' | sort | uniq | wc -l) -eq 24 ] && [ \$(tail -n +2 killed/trials.jsonl | wc -l) -eq 24 ]"
check "resumed sweep equals the uninterrupted one" "diff <(strip ref/trials.csv) <(strip killed/trials.csv) >/dev/null"

# SIGTERM: stop cleanly with exit 3, then resume
timeout --preserve-status 300 $MLPS_MPIEXEC -n 2 "$MLPS_BIN" run slow.yaml -q --set output.dir=term >term.log 2>&1 &
lp=$!
for _ in $(seq 1 600); do
  [ -f term/trials.jsonl ] && [ "$(wc -l < term/trials.jsonl)" -ge 4 ] && break
  sleep 0.1
done
# SIGTERM to the ranks, as srun and SLURM deliver it. (mpirun itself, when it
# gets SIGTERM, forwards it but exits 1 whatever the ranks return.)
signal_ranks TERM $lp; wait $lp; rc=$?
check "SIGTERM stops with exit 3 and says how to resume" "[ $rc -eq 3 ] && grep -q -- '--resume' term.log"
run 2 slow.yaml -q --set output.dir=term --resume >term2.log 2>&1
check "resume after SIGTERM exits 0" "[ $? -eq 0 ]"
check "SIGTERM-resumed sweep equals the uninterrupted one" "diff <(strip ref/trials.csv) <(strip term/trials.csv) >/dev/null"

# a diverging trial is recorded and the sweep completes
cat > diverge.yaml <<'YAML'
name: e2e-diverge
seed: 2
data: {path: bpl.h5, target_transform: [log, standard]}
split: {test_fraction: 0.1, kfold: 2}
search: {method: grid, metric: {name: val_mse, goal: minimize}}
parameters:
  lr: {values: [10, 1.0e-2]}
  optimizer: {value: sgd}
  activation: {value: selu}
  layers: {value: 2}
  width: {value: 16}
train: {max_epochs: 10, patience: 5}
output: {dir: diverge}
YAML
run 2 diverge.yaml -q >div.log 2>&1
check "sweep with a diverging trial completes" "[ $? -eq 0 ] && [ -s diverge/model.h5 ]"
check "diverged tasks are journaled as diverged" "grep -q '\"status\":\"diverged\"' diverge/trials.jsonl"
check "the best trial is the sane one" "grep -q '\"best_trial\":1' diverge/summary.json"

# a bad config under np 3: every rank exits 2, errors printed once
printf 'name: bad\ndata: {path: bpl.h5}\nsearch: {method: bayes}\n' > bad.yaml
run 3 bad.yaml >bad.log 2>&1; rc=$?
check "bad config under np 3 exits 2" "[ $rc -eq 2 ]"
check "its error is printed once" "[ \$(grep -c 'search.method' bad.log) -eq 1 ]"
# a command-line error under np 3: exit 2, printed once
run 3 sweep.yaml --bogus >usage.log 2>&1; rc=$?
check "unknown option under np 3 exits 2, printed once" "[ $rc -eq 2 ] && [ \$(grep -c 'unknown option' usage.log) -eq 1 ]"
run 1 sweep.yaml --write-split >usage2.log 2>&1; rc=$?
check "--write-split without a file exits 2 and says what it needs" "[ $rc -eq 2 ] && grep -q -- '--write-split needs FILE.h5' usage2.log"
# bad data: a missing dataset is named, exit 2
run 2 sweep.yaml --set data.targets=/nope --set output.dir=nodata >nodata.log 2>&1; rc=$?
check "missing dataset exits 2 and lists the datasets" "[ $rc -eq 2 ] && grep -q 'nope' nodata.log"

checks_done run_e2e
