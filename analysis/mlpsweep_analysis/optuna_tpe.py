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

With `--pruner hyperband|median` (torch engine) the folds of a trial train
in lockstep, one epoch each in turn, and after every epoch the trial
reports the mean over its folds of their best validation MSE so far
(scaled units, as mlpsweep's pruners see it) at step = epochs trained:
Optuna's HyperbandPruner(min_resource=--min-epochs, max_resource=
--max-epochs, reduction_factor=--eta) or MedianPruner(n_startup_trials=
--startup-trials, n_warmup_steps=--warmup-epochs + 1, interval_steps=
--interval), with mlpsweep's defaults (search.pruner in the README). A
pruned trial stops all its folds and has no value. Without a pruner the
folds train exactly as before (lockstep or not, each fold has its own
seeds).

Writes one JSON line per finished trial (trial, params, value, state:
complete | pruned | failed, per-fold metrics, seconds: the trial's training
wall time, cpu_seconds: its CPU time, elapsed, and with a pruner the
reported curve and the step it was pruned at) and prints a summary line.
A pruned trial's value is null: only complete trials can be best. With --resume an existing
output is continued up to --trials: its trials are given to the study as
finished (a trial with an infinite value as failed) and only the rest run.
Pruned trials are given back as pruned, with their
reported values and the pruner's records (system attrs). The sampler's
random state is not in the file, so the continued run is
reseeded from (seed, trials done): it is not trial-for-trial the
uninterrupted run, only another draw from the same process. Sampler: optuna.samplers.
TPESampler(seed=SEED) with Optuna's defaults (10 startup trials, univariate),
trials run one after another (n_jobs=1), as mlpsweep's with one worker.
"""
import argparse
import json
import math
import os
import resource
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


def make_pruner(a):
    """Optuna's pruner for --pruner, with mlpsweep's settings (see the module docstring)."""
    import optuna
    if a.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=a.min_epochs, max_resource=a.max_epochs,
                                              reduction_factor=a.eta)
    if a.pruner == "median":
        # mlpsweep prunes from epoch warmup_epochs (0-based) on, i.e. once
        # warmup_epochs + 1 epochs are trained; steps here count epochs trained.
        return optuna.pruners.MedianPruner(n_startup_trials=a.startup_trials, n_warmup_steps=a.warmup_epochs + 1,
                                           interval_steps=a.interval)
    return optuna.pruners.NopPruner()


def replay(o, space):
    """A trial of the output file as an Optuna FrozenTrial, for --resume."""
    import optuna
    iv = dict(enumerate(o.get("curve") or [], start=1))
    if o.get("state") == "pruned":
        return optuna.trial.create_trial(params=o["params"], distributions=space, intermediate_values=iv,
                                         system_attrs=o.get("system_attrs") or {},
                                         state=optuna.trial.TrialState.PRUNED)
    # objective() returns inf for a failed trial; Optuna records that as a
    # finished trial with value inf, so the replay does the same.
    v = o["value"] if o.get("value") is not None else math.inf
    return optuna.trial.create_trial(params=o["params"], distributions=space, value=v, intermediate_values=iv,
                                     system_attrs=o.get("system_attrs") or {})


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
    ap.add_argument("--pruner", choices=["none", "hyperband", "median"], default="none",
                    help="Optuna's pruner (torch engine only)")
    ap.add_argument("--min-epochs", type=int, default=10, help="hyperband: min_resource (search.pruner.min_epochs)")
    ap.add_argument("--eta", type=int, default=3, help="hyperband: reduction_factor (search.pruner.eta)")
    ap.add_argument("--startup-trials", type=int, default=5, help="median: n_startup_trials")
    ap.add_argument("--warmup-epochs", type=int, default=10, help="median: no pruning before this epoch (0-based)")
    ap.add_argument("--interval", type=int, default=1, help="median: interval_steps")
    ap.add_argument("-o", "--output", required=True, help="JSON lines, one per trial")
    ap.add_argument("--resume", action="store_true", help="continue the trials already in --output")
    a = ap.parse_args()
    if a.engine == "mlpsweep" and not a.config:
        ap.error("--engine mlpsweep needs --config")
    if a.engine == "mlpsweep" and a.pruner != "none":
        ap.error("--pruner needs --engine torch (an mlpsweep run per trial reports no epochs to Optuna)")
    if a.pruner == "hyperband" and not (a.eta >= 2 and 1 <= a.min_epochs < a.max_epochs):
        ap.error("--pruner hyperband needs --eta >= 2 and 1 <= --min-epochs < --max-epochs")
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

    def write(trial, p, t0, c0, state, value, vals, status, epochs, curve=None, extra=None):
        row = {"trial": trial.number, "params": p, "value": value, "state": state, "folds": vals,
               "status": status, "epochs": epochs, "seconds": round(time.perf_counter() - t0, 3),
               "cpu_seconds": round(cpu_now() - c0, 3), "elapsed": round(time.perf_counter() - t_start, 3)}
        if curve is not None:
            row["curve"] = curve
            # The pruner's records (successive halving's rung values) are
            # in the trial's system attrs: kept for --resume.
            attrs = trial.storage.get_trial(trial._trial_id).system_attrs
            row["system_attrs"] = {key: v for key, v in attrs.items() if key.startswith("completed_rung_")}
        row.update(extra or {})
        out.write(optuna_io.line(row))
        out.flush()

    def objective(trial):
        p = {name: suggest(trial, name, d) for name, d in space.items()}
        t0, c0 = time.perf_counter(), cpu_now()
        curve = None
        if a.engine == "mlpsweep":
            vals, status, epochs = mlpsweep_trial(a, trial.number, p)
        elif a.pruner == "none":
            vals, status, epochs = torch_trial(trial.number, p)
        else:
            vals, status, epochs, curve = torch_trial_pruned(trial, p, lambda *r: write(trial, p, t0, c0, *r))
        # A diverged or failed fold makes the trial bad, not missing (as in mlpsweep).
        value = sum(vals) / k if len(vals) == k and all(math.isfinite(v) for v in vals) else float("inf")
        write(trial, p, t0, c0, "complete" if math.isfinite(value) else "failed", value, vals, status, epochs, curve)
        return value

    def folds_of(number, p):
        # Seeds differ per (trial, fold) as mlpsweep's do.
        return [torch_ref.Fold(torch, X, Y, split[f"train_{f}"], split[f"val_{f}"], [p["width"]] * p["layers"],
                               p["activation"], p["lr"], p["batch"], a.max_epochs, a.patience,
                               seed=a.seed * 1000003 + number * 131 + f) for f in range(k)]

    def torch_trial(number, p):
        rs = []
        for f in folds_of(number, p):  # one fold after another: one fold's memory at a time
            while not f.done:
                f.epoch()
            rs.append(f.result())
        return [r["val_median_frac_err"] for r in rs], [r["status"] for r in rs], [r["epochs"] for r in rs]

    def torch_trial_pruned(trial, p, write_pruned):
        """The folds in lockstep; after each epoch the mean of their best
        validation MSE so far goes to the pruner (a fold that stopped early
        keeps its best). Raises TrialPruned after writing the trial's line."""
        folds, curve = folds_of(trial.number, p), []
        step = 0
        while not all(f.done for f in folds):
            for f in folds:
                if not f.done:
                    f.epoch()
            step += 1
            if any(f.status == "diverged" for f in folds):
                break  # the trial fails; nothing to report
            v = sum(f.best for f in folds) / k
            curve.append(v)
            trial.report(v, step)
            if trial.should_prune():
                write_pruned("pruned", None, None, [f.status for f in folds], [f.epochs for f in folds],
                             curve, {"pruned_at": step, "pruned_value": v})
                raise optuna.TrialPruned()
        rs = [f.result() for f in folds]
        return [r["val_median_frac_err"] for r in rs], [r["status"] for r in rs], [r["epochs"] for r in rs], curve

    # A fresh sampler with the run's own seed would redraw the random
    # start-up points it drew before, so a continued run seeds it from
    # (seed, trials done).
    seed = a.seed if not done else (a.seed * 1000003 + len(done)) % 2**31
    # A fixed study name: Hyperband draws a trial's bracket from (study
    # name, trial number), so a resumed run keeps the brackets.
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=make_pruner(a), study_name=f"optuna-tpe-seed{a.seed}")
    for o in done:
        study.add_trial(replay(o, space))
    study.optimize(objective, n_trials=a.trials - len(done), n_jobs=1)
    out.close()
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = min(complete, key=lambda t: t.value) if complete else None
    print(json.dumps({"sampler": "optuna-tpe", "engine": a.engine, "pruner": a.pruner,
                      "optuna_version": optuna.__version__, "seed": a.seed, "trials": a.trials,
                      "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
                      "best_value": best.value if best else None, "best_params": best.params if best else None,
                      "wall_seconds": round(time.perf_counter() - t_start, 2)}))


def cpu_now():
    """CPU seconds of this process and its finished children (an mlpsweep
    run per trial with --engine mlpsweep)."""
    me, ch = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


if __name__ == "__main__":
    main()
