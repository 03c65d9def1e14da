"""Where mlpsweep's TPE and Optuna's TPESampler propose, given one history.

Takes the first N finished trials of an mlpsweep run, gives them to both
samplers and asks each many times (mlpsweep: distinct trial ids, i.e.
independent random streams, through tests/search/sampler_pipe; Optuna: one
TPESampler per seed). Prints, per parameter, the distribution of the
proposals: choice frequencies for categorical and integer parameters with
few values, quantiles otherwise. Same-rule samplers give matching rows.

    /usr/bin/python3 analysis/compare_proposals.py configs/bench-tpe.yaml runs/bench-tpe/tpe-univariate-1 \\
        --history 30 --asks 1000 --set search.multivariate=false --set search.startup_trials=10 --set search.gamma=0.1

Optuna's sampler gets the matching options (multivariate, startup trials,
gamma as a fraction capped at 25). Needs Debian's python3-optuna.
"""
import argparse
import math
import subprocess
import sys

import numpy as np

from .names import canon
from .results import Run
from .sampler_surrogate import Space


def typed(space, params):
    out = {}
    for q in space.params:
        v = params[q["name"]]
        if q["kind"] == "cat":
            vals = q["values"]
            v = canon(v)
            out[q["name"]] = next(c for c in vals if str(c) == str(v))
        else:
            out[q["name"]] = int(float(v)) if q["kind"] == "int" else float(v)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("run", help="an mlpsweep output directory (its trials in id order)")
    ap.add_argument("--history", type=int, default=30, help="the first N trials form the history")
    ap.add_argument("--asks", type=int, default=1000)
    ap.add_argument("--pipe", default="build/tests/search/sampler_pipe")
    ap.add_argument("--set", action="append", default=[], help="config override for mlpsweep's sampler")
    a = ap.parse_args(argv)
    import optuna
    import yaml
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = Space(a.config)
    trials = [t for t in Run(a.run).trials if t["status"] == "ok"][: a.history]
    hist = [(typed(space, t["params"]), t["metric_mean"]) for t in trials]
    if len(hist) < a.history:
        print(f"compare_proposals.py: {a.run} has {len(hist)} finished trials, fewer than --history", file=sys.stderr)
        return 2
    sets = [kv for s in a.set for kv in ["--set", s]]
    opts = {kv.partition("=")[0].split(".")[-1]: yaml.safe_load(kv.partition("=")[2]) for kv in a.set}

    # mlpsweep: tell the history, then ask ids past it (each its own stream).
    proc = subprocess.Popen([a.pipe, a.config] + sets, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    names = proc.stdout.readline().split()[1:]
    cmds = "".join(f"tell {i} ok {v!r} " + " ".join(repr(c) for c in space.to_pipe(names, p)) + "\n"
                   for i, (p, v) in enumerate(hist))
    cmds += "".join(f"ask {len(hist) + k}\n" for k in range(a.asks))
    out, _ = proc.communicate(cmds)
    ours = []
    for ln in out.splitlines():
        f = ln.split()
        if not f or f[0] != "x":
            print(f"compare_proposals.py: sampler_pipe: {ln}", file=sys.stderr)
            return 2
        ours.append(space.from_pipe(names, f[2:]))

    dists = space.optuna_distributions()
    study = optuna.create_study()
    for p, v in hist:
        study.add_trial(optuna.trial.create_trial(params=p, distributions=dists, value=v))
    n_startup = int(opts.get("startup_trials", 10))
    g = float(opts.get("gamma", 0.1))
    theirs = []
    for seed in range(a.asks):
        study.sampler = optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=n_startup, multivariate=bool(opts.get("multivariate", False)),
            gamma=lambda n, g=g: min(int(math.ceil(g * n - 1e-9)), 25))
        tr = study.ask(dists)
        theirs.append(tr.params)
        study.tell(tr, state=optuna.trial.TrialState.FAIL)  # failed: not in later histories

    print(f"{a.asks} proposals after the first {len(hist)} trials of {a.run}")
    for q in space.params:
        n = q["name"]
        if q["kind"] == "cat" or (q["kind"] == "int" and q["hi"] - q["lo"] < 12):
            vals = q["values"] if q["kind"] == "cat" else list(range(q["lo"], q["hi"] + 1))
            for label, rows in (("mlpsweep", ours), ("optuna", theirs)):
                freq = [sum(1 for r in rows if r[n] == c) / len(rows) for c in vals]
                print(f"{n:12s} {label:9s} " + "  ".join(f"{c}:{f:.3f}" for c, f in zip(vals, freq)))
        else:
            for label, rows in (("mlpsweep", ours), ("optuna", theirs)):
                v = np.array([float(r[n]) for r in rows])
                qs = np.percentile(v, [10, 25, 50, 75, 90])
                print(f"{n:12s} {label:9s} quantiles 10/25/50/75/90: " + "  ".join(f"{x:.4g}" for x in qs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
