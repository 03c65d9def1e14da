"""Optuna's TPE on the search space of configs/bench-tpe.yaml, with a PyTorch
objective that trains the way an mlpsweep task does (analysis/torch_ref.py):
the same k-fold rows (a split file from `mlpsweep run --write-split`), the
same transforms, early stopping and metric (the mean over folds of the
validation median |fractional error| in counts). It is the reference that
mlpsweep's TPE is compared with in analysis/bench_tpe.sh.

    mlpsweep run configs/bench-tpe.yaml --dry-run --write-split split.h5
    /usr/bin/python3 analysis/optuna_tpe.py data/brokenpowerlaw-10k.h5 split.h5 \\
        --trials 60 --seed 1 --max-epochs 200 --patience 20 -o optuna-seed1.jsonl

With `--engine mlpsweep --config CONFIG` the objective is instead one
`mlpsweep run` per trial (the trial's values fixed, the same folds, one
rank): the same training engine as mlpsweep's own samplers, so that the
comparison is of the samplers alone.

Writes one JSON line per finished trial (trial, params, value, per-fold
metrics, seconds) and prints a summary line. With --resume an existing
output is continued up to --trials: its trials are given to the study as
finished (a trial with an infinite value as failed) and only the rest run.
The sampler's random state is not in the file, so the continued run is
reseeded from (seed, trials done): it is not trial-for-trial the
uninterrupted run, only another draw from the same process. Sampler: optuna.samplers.
TPESampler(seed=SEED) with Optuna's defaults (10 startup trials, univariate),
trials run one after another (n_jobs=1), as mlpsweep's with one worker.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

from . import optuna_io, torch_ref

def mlpsweep_trial(a, number, p):
    """One trial as a one-point grid sweep of mlpsweep; per-fold metrics from its journal."""
    with tempfile.TemporaryDirectory() as tmp:
        sets = {"search.method": "grid", "search.trials": 1, "final.retrain": "false",
                "train.max_epochs": a.max_epochs, "train.patience": a.patience,
                "seed": a.seed * 1000003 + number, "output.dir": tmp + "/out",
                "data.path": os.path.abspath(a.data)}
        for key in ("layers", "width", "lr", "batch", "activation"):
            sets[f"parameters.{key}"] = "{value: %s}" % p[key]
        cmd = [a.mlpsweep, "run", a.config, "-q"]
        for key, v in sets.items():
            cmd += ["--set", f"{key}={v}"]
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"optuna_tpe.py: mlpsweep failed ({r.returncode}): {r.stderr.strip()}")
        tasks = [json.loads(ln) for ln in open(tmp + "/out/trials.jsonl").read().splitlines()[1:] if ln.strip()]
        tasks.sort(key=lambda t: t["fold"])
        vals = [t["metric"] if t["status"] == "ok" else math.inf for t in tasks]
        return vals, [t["status"] for t in tasks], [t["epochs"] for t in tasks]


def suggest(trial, name, d):
    """trial.suggest_* for an optuna distribution object."""
    import optuna
    if isinstance(d, optuna.distributions.CategoricalDistribution):
        return trial.suggest_categorical(name, list(d.choices))
    if isinstance(d, optuna.distributions.IntDistribution):
        return trial.suggest_int(name, d.low, d.high, log=d.log)
    return trial.suggest_float(name, d.low, d.high, log=d.log)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("split")
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-epochs", type=int, default=200)
    ap.add_argument("--patience", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--engine", choices=["torch", "mlpsweep"], default="torch", help="what trains a trial")
    ap.add_argument("--config", help="with --engine mlpsweep: the sweep config (its data, split, train keys)")
    ap.add_argument("--mlpsweep", default=os.environ.get("MLPS_BIN", "mlpsweep"), help="the mlpsweep executable")
    ap.add_argument("-o", "--output", required=True, help="JSON lines, one per trial")
    ap.add_argument("--resume", action="store_true", help="continue the trials already in --output")
    a = ap.parse_args()
    if a.engine == "mlpsweep" and not a.config:
        ap.error("--engine mlpsweep needs --config")
    torch = torch_ref.set_threads(a.threads)
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # configs/bench-tpe.yaml's space, once: the objective suggests from it
    # and --resume replays finished trials against it.
    dist = optuna.distributions
    space = {"layers": dist.IntDistribution(1, 6),
             "width": dist.IntDistribution(16, 512, log=True),
             "lr": dist.FloatDistribution(1e-5, 1e-2, log=True),
             "batch": dist.CategoricalDistribution([32, 64, 128, 256, 512]),
             "activation": dist.CategoricalDistribution(["relu", "tanh", "gelu", "silu", "elu"])}
    X, Y, split = torch_ref.load(a.data, a.split)
    k = split["kfold"]
    done = []
    if a.resume and os.path.exists(a.output):
        try:
            done = optuna_io.read(a.output, drop_torn_tail=True)
        except ValueError as e:
            print(f"optuna_tpe.py: {e}", file=sys.stderr)
            sys.exit(2)
        if len(done) > a.trials:
            print(f"optuna_tpe.py: {a.output} already has {len(done)} trials, more than --trials {a.trials}",
                  file=sys.stderr)
            sys.exit(2)
    elif os.path.exists(a.output) and os.path.getsize(a.output) > 0:
        print(f"optuna_tpe.py: {a.output} exists; add --resume to continue it, or remove it", file=sys.stderr)
        sys.exit(2)
    out = open(a.output, "a")
    # elapsed continues from the last finished trial's.
    t_start = time.perf_counter() - (done[-1]["elapsed"] if done else 0.0)

    def objective(trial):
        p = {name: suggest(trial, name, d) for name, d in space.items()}
        t0 = time.perf_counter()
        if a.engine == "mlpsweep":
            vals, status, epochs = mlpsweep_trial(a, trial.number, p)
        else:
            vals, status, epochs = torch_trial(trial.number, p)
        # A diverged or failed fold makes the trial bad, not missing (as in mlpsweep).
        value = sum(vals) / k if len(vals) == k and all(math.isfinite(v) for v in vals) else float("inf")
        out.write(optuna_io.line({"trial": trial.number, "params": p, "value": value, "folds": vals,
                                  "status": status, "epochs": epochs,
                                  "seconds": round(time.perf_counter() - t0, 3),
                                  "elapsed": round(time.perf_counter() - t_start, 3)}))
        out.flush()
        return value

    def torch_trial(number, p):
        folds = []
        for f in range(k):
            # Seeds differ per (trial, fold) as mlpsweep's do.
            r = torch_ref.train(torch, X, Y, split[f"train_{f}"], split[f"val_{f}"], [p["width"]] * p["layers"],
                                p["activation"], p["lr"], p["batch"], a.max_epochs, a.patience,
                                seed=a.seed * 1000003 + number * 131 + f)
            folds.append(r)
        return [r["val_median_frac_err"] for r in folds], [r["status"] for r in folds], [r["epochs"] for r in folds]

    # A fresh sampler with the run's own seed would redraw the random
    # start-up points it drew before, so a continued run seeds it from
    # (seed, trials done).
    seed = a.seed if not done else (a.seed * 1000003 + len(done)) % 2**31
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    for o in done:
        # objective() returns inf for a failed trial; Optuna records that as
        # a finished trial with value inf, so the replay does the same.
        study.add_trial(optuna.trial.create_trial(params=o["params"], distributions=space, value=o["value"]))
    study.optimize(objective, n_trials=a.trials - len(done), n_jobs=1)
    out.close()
    print(json.dumps({"sampler": "optuna-tpe", "engine": a.engine, "optuna_version": optuna.__version__, "seed": a.seed,
                      "trials": a.trials, "best_value": study.best_value, "best_params": study.best_params,
                      "wall_seconds": round(time.perf_counter() - t_start, 2)}))


if __name__ == "__main__":
    main()
