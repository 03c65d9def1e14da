#!/usr/bin/env bash
# Pruning benchmark on real training (issue 20; not a test): the TPE
# benchmark's space, rows and settings (analysis/bench_tpe.sh, which this
# runs) with these samplers, each for several seeds on one core per run:
#   tpe               mlpsweep TPE without pruning (the bar)
#   tpe+asha          mlpsweep TPE with ASHA (min_epochs MIN_EPOCHS, eta ETA)
#   tpe+median        mlpsweep TPE with the median pruner (its defaults)
#   random+asha       mlpsweep random search with ASHA
#   optuna+hyperband  Optuna's TPE + HyperbandPruner(min_resource MIN_EPOCHS,
#                     reduction_factor ETA), PyTorch training reporting the
#                     folds' mean best validation loss every epoch
#   optuna+median     Optuna's TPE + MedianPruner (mlpsweep's median defaults)
#   optuna            Optuna's TPE without pruning
# Ends with bench_tpe.sh's table by trial count, then the table against
# cumulative training CPU time (analysis/compare_samplers.py --by-time):
# the median over seeds of the best CV |fractional error| at equal training
# time, and the time each needs to reach no-pruning TPE's median best-of-N;
# and OUT/best_so_far_time.png.
#
#   MLPS_BIN=build/src/mlpsweep bash analysis/bench_prune.sh
#
# Settings (environment) as bench_tpe.sh's: SEEDS ("1 2 3 4"), TRIALS (60),
# EPOCHS (200), PATIENCE (20), SAMPLES (10000), JOBS (2), MIN_EPOCHS (10),
# ETA (3), OUT (runs/bench-prune), SAMPLERS (the list above). Interrupted
# runs are continued, finished ones skipped, as there. The full benchmark
# takes 1-3 hours per no-pruning run; README, Performance, gives a reduced
# one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SEEDS=${SEEDS:-1 2 3 4}
export OUT=${OUT:-runs/bench-prune}
# Optuna first: its runs are the slowest (bench_tpe.sh starts runs in this order).
export SAMPLERS=${SAMPLERS:-optuna+hyperband optuna+median optuna tpe tpe+asha tpe+median random+asha}
export BY_TIME=1 REFERENCE=${REFERENCE:-tpe} TARGET=${TARGET:-tpe+asha}
exec bash "$here/bench_tpe.sh"
