#!/usr/bin/env bash
# TPE benchmark on real training (not a test): configs/bench-tpe.yaml
# searched by mlpsweep's TPE and by random search, and the same space and
# budget by Optuna's TPE with a PyTorch objective (analysis/optuna_tpe.py),
# each for several seeds, all on the same k-fold rows. Each run uses one
# core (mlpsweep with one rank, Optuna and torch with one thread); JOBS runs
# go at once. Sampler "tpe" is TPE as configs/bench-tpe.yaml sets it
# (multivariate, 5 startup trials, gamma 0.15); "tpe-univariate" is TPE
# with the sampler's defaults (univariate, 10 startup trials, gamma 0.1);
# "optuna-mlps" is Optuna's TPE with mlpsweep training each trial (the same
# engine as tpe and random: the samplers alone). A sampler written
# NAME+PRUNER runs with a pruner (issue 20): mlpsweep's asha, hyperband or
# median (search.pruner, min_epochs MIN_EPOCHS and eta ETA for the first
# two, the defaults for median), Optuna's hyperband or median (optuna_tpe.py
# --pruner, the same settings), e.g. "tpe+asha optuna+hyperband";
# analysis/bench_prune.sh runs those. Ends with the comparison table
# (analysis/compare_samplers.py) and a best-so-far plot in OUT; with
# BY_TIME=1 (or a pruner), also the table and plot against cumulative
# training CPU time (compare_samplers.py --by-time, reference REFERENCE,
# default tpe, target TARGET, default tpe+asha). Each run's CPU time is
# recorded in OUT/NAME-SEED.cpu (/usr/bin/time, one line per invocation).
#
#   MLPS_BIN=build/src/mlpsweep bash analysis/bench_tpe.sh
#
# Settings (environment): SEEDS ("1 2 3"), TRIALS (60), EPOCHS (200),
# PATIENCE (20), SAMPLES (10000), JOBS (2), OUT (runs/bench-tpe),
# SAMPLERS ("optuna tpe random"; also "tpe-univariate", "optuna-mlps"; a
# sampler written NAME:N runs N trials instead of TRIALS, e.g. "tpe:30
# random:60"), MIN_EPOCHS (10), ETA (3). A run that has its trials is skipped and a partial one is
# continued (--resume), so an interrupted benchmark goes on where it
# stopped, and a run can be extended by raising its trial count.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
B=$(realpath "${MLPS_BIN:-build/src/mlpsweep}")
PY=/usr/bin/python3
SEEDS=${SEEDS:-1 2 3}
TRIALS=${TRIALS:-60}
EPOCHS=${EPOCHS:-200}
PATIENCE=${PATIENCE:-20}
SAMPLES=${SAMPLES:-10000}
JOBS=${JOBS:-2}
OUT=${OUT:-runs/bench-tpe}
SAMPLERS=${SAMPLERS:-optuna tpe random}
MIN_EPOCHS=${MIN_EPOCHS:-10}
ETA=${ETA:-3}
# SAMPLERS parsed once: names[i] runs counts[i] trials.
names=() counts=() most=0
for s in $SAMPLERS; do
  n=$TRIALS
  [[ $s == *:* ]] && n=${s#*:}
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench_tpe.sh: SAMPLERS: '$s': the trial count after ':' must be a positive integer" >&2; exit 2; }
  names+=("${s%%:*}") counts+=("$n")
  ((n > most)) && most=$n
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if [[ " $SAMPLERS " == *" optuna"* ]] && ! $PY -c "import optuna, torch" 2>/dev/null; then
  echo "bench_tpe.sh: $PY lacks optuna or torch (Debian: apt-get install python3-optuna python3-torch)" >&2
  exit 2
fi
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
data="$OUT/brokenpowerlaw-$SAMPLES.h5"
[[ -f $data ]] || "$B" gen brokenpowerlaw --n "$SAMPLES" --seed 1 --sampling lhs -o "$data" >/dev/null
# Every run (and Optuna) trains on the same rows: the config fixes
# split.seed, while the master seed (sampler and task seeds) varies.
sets=(--set data.path="$data" --set search.trials="$TRIALS" --set train.max_epochs="$EPOCHS"
      --set train.patience="$PATIENCE" --set final.retrain=false)
"$B" run "$here/../configs/bench-tpe.yaml" "${sets[@]}" --dry-run --write-split "$OUT/split.h5" >/dev/null

# One line per run: "sampler seed trials"; each run on one core.
one_run() {
  local s=$1 seed=$2 n=$3 lines=0 pruner=
  [[ $s == *+* ]] && pruner=${s#*+}
  # CPU time of each invocation (the rank's too: mpirun waits for it), for
  # compare_samplers.py --by-time.
  local timed=()
  [[ -x /usr/bin/time ]] && timed=(/usr/bin/time -a -o "$OUT/$s-$seed.cpu" -f "%e %U %S")
  case $s in
    optuna*)
      local f=$OUT/$s-$seed.jsonl engine=()
      [[ -s $f ]] && lines=$(wc -l <"$f")
      ((lines >= n)) && return 0
      # optuna-mlps: Optuna's TPE with mlpsweep training each trial (the
      # samplers alone).
      [[ $s == optuna-mlps ]] && engine=(--engine mlpsweep --mlpsweep "$B" --config "$here/../configs/bench-tpe.yaml")
      [[ -n $pruner ]] && engine=(--pruner "$pruner" --min-epochs "$MIN_EPOCHS" --eta "$ETA")
      "${timed[@]}" $PY "$here/optuna_tpe.py" "$data" "$OUT/split.h5" --trials "$n" --seed "$seed" --resume \
        --max-epochs "$EPOCHS" --patience "$PATIENCE" "${engine[@]}" -o "$f" >>"$OUT/$s-$seed.log" 2>&1 ||
        { echo "bench_tpe.sh: $s seed $seed FAILED: see $OUT/$s-$seed.log" >&2; return 1; } ;;
    *)
      local j=$OUT/$s-$seed/trials.jsonl
      [[ -f $j ]] && lines=$(($(wc -l <"$j") - 1))
      [[ -f $OUT/$s-$seed/summary.json ]] && ((lines >= n * $(head -1 "$j" | grep -o '"n_folds":[0-9]*' | cut -d: -f2))) && return 0
      local resume=() method=${s%%+*} extra=()
      [[ -f $j ]] && resume=(--resume)
      # tpe-univariate: TPE with the sampler's defaults instead of the
      # config's multivariate setting.
      [[ $method == tpe-univariate ]] && method=tpe && extra=(--set search.multivariate=false --set search.startup_trials=10 --set search.gamma=0.1)
      case $pruner in
        "") ;;
        median) extra+=(--set "search.pruner={name: median}") ;;
        *) extra+=(--set "search.pruner={name: $pruner, min_epochs: $MIN_EPOCHS, eta: $ETA}") ;;
      esac
      # --bind-to none: each mpirun binds its rank to core 0 by default, so
      # JOBS runs at once would share one core.
      "${timed[@]}" mpirun --bind-to none -np 1 "$B" run "$here/../configs/bench-tpe.yaml" "${sets[@]}" "${extra[@]}" --set search.method="$method" \
        --set search.trials="$n" --set seed="$seed" --set output.dir="$OUT/$s-$seed" -q "${resume[@]}" >>"$OUT/$s-$seed.log" 2>&1 ||
        { echo "bench_tpe.sh: $s seed $seed FAILED: see $OUT/$s-$seed.log" >&2; return 1; } ;;
  esac
  echo "bench_tpe.sh: $s seed $seed done" >&2
}
export -f one_run
export OUT TRIALS EPOCHS PATIENCE B PY here data MIN_EPOCHS ETA
export SETS_STR="${sets[*]}"
# Seeds outer, samplers inner in the given order: a benchmark stopped early
# has (nearly) the same seeds for every sampler, and the JOBS slots stay
# full. List the slowest sampler (optuna) first.
for seed in $SEEDS; do for i in "${!names[@]}"; do
  echo "${names[i]} $seed ${counts[i]}"
done; done | xargs -P "$JOBS" -L 1 bash -c 'sets=($SETS_STR); one_run "$0" "$1" "$2"' ||
  echo "bench_tpe.sh: some runs failed (above); the table covers what finished" >&2

args=()
for s in "${names[@]}"; do
  paths=()
  for seed in $SEEDS; do
    if [[ $s == optuna* ]]; then paths+=("$OUT/$s-$seed.jsonl"); else paths+=("$OUT/$s-$seed"); fi
  done
  args+=(--run "$s" "${paths[@]}")
done
extra=()
[[ " ${names[*]} " == *" random "* && " ${names[*]} " == *" tpe "* ]] && extra=(--reference random --target tpe)
$PY "$here/compare_samplers.py" "${args[@]}" "${extra[@]}" --at "10,20,30,$most" -o "$OUT/best_so_far.png"
ref=${REFERENCE:-tpe} target=${TARGET:-tpe+asha}
if [[ ${BY_TIME:-0} == 1 || " ${names[*]}" == *+* ]] && [[ " ${names[*]} " == *" $ref "* ]]; then
  extra=()
  [[ " ${names[*]} " == *" $target "* ]] && extra=(--target "$target")
  echo
  $PY "$here/compare_samplers.py" "${args[@]}" --by-time --reference "$ref" "${extra[@]}" -o "$OUT/best_so_far_time.png"
fi
