"""Samplers compared on a surrogate of real training, over many seeds.

Real-training sampler benchmarks (analysis/bench_tpe.sh) cost about 10-20
minutes per run on this machine, so they get 2-3 seeds: too few to tell
samplers apart whose curves differ by less than the seed-to-seed spread.
This script fits a Gaussian process to the trials those runs already
trained (the log of the CV metric against the hyperparameters), then lets
each sampler search the GP's mean (optionally plus seeded noise of the size
the GP attributes to noise) for many seeds. Every sampler sees the same
function, so the differences are the samplers' own.

    /usr/bin/python3 analysis/sampler_surrogate.py configs/bench-tpe.yaml \\
        --runs 'runs/bench-tpe/tpe*-[0-9]' 'runs/bench-tpe/random-*' 'runs/bench-tpe/optuna-mlps-*.jsonl' \\
        --pipe build/tests/search/sampler_pipe --seeds 120 --noise --jobs 2 -o runs/surrogate \\
        --samplers 'random,tpe,tpe-univariate@tpe:multivariate=false;startup_trials=10,optuna'

--samplers is a comma list of [LABEL@]SPEC. SPEC "random" and "tpe" are
mlpsweep's samplers as the config's search section sets them, driven
through the ask/tell program tests/search/sampler_pipe (which proposes
exactly what a sweep would: ctest search_pipe_replay); "tpe:KEY=VALUE;..."
overrides search.KEY; "optuna" is Optuna's TPESampler(seed) with its
defaults, "optuna:ARG=VALUE;..." passes TPESampler arguments (e.g.
multivariate=true). Each (sampler, seed) sees the same noise stream.

Writes one JSON lines file per sampler and seed (the format of
analysis/optuna_tpe.py) in the output directory and prints the table of
analysis/compare_samplers.py (median best after N trials; the trial at
which "tpe" reaches "random"'s final best). Also prints the surrogate's
5-fold cross-validated R^2. Needs Debian's python3-sklearn and, for the
Optuna samplers, python3-optuna.
"""
import argparse
import glob
import math
import os
import subprocess
import sys

import numpy as np
import yaml

from . import compare_samplers, optuna_io
from .names import canon
from .results import Run

class Space:
    """The searched parameters of a config: name, kind (int/float/cat), bounds, log, values."""

    def __init__(self, cfg_path):
        with open(cfg_path) as f:
            cfg = yaml.safe_load(f)
        self.params = []
        for name, spec in cfg["parameters"].items():
            if "value" in spec:
                continue
            if "values" in spec:
                self.params.append({"name": name, "kind": "cat", "values": [canon(v) for v in spec["values"]]})
                continue
            dist = spec.get("distribution", "")
            lo, hi = spec["min"], spec["max"]
            is_int = isinstance(lo, int) and isinstance(hi, int) and (dist in ("", "int_uniform") or spec.get("q") == 1)
            self.params.append({"name": name, "kind": "int" if is_int else "float", "lo": lo, "hi": hi,
                                "log": "log" in dist})

    def features(self, p):
        """Point -> vector: numeric in [0, 1] on their (log) scale; numeric
        categoricals as a log-scaled ordinal; string categoricals one-hot."""
        out = []
        for q in self.params:
            v = p[q["name"]]
            if q["kind"] == "cat":
                vals = q["values"]
                if all(isinstance(c, (int, float)) for c in vals):
                    lo, hi = math.log(min(vals)), math.log(max(vals))
                    out.append((math.log(float(v)) - lo) / (hi - lo))
                else:
                    out += [float(canon(v) == c) for c in vals]
            else:
                f = (lambda t: math.log(t)) if q["log"] else float
                out.append((f(float(v)) - f(q["lo"])) / (f(q["hi"]) - f(q["lo"])))
        return out

    def from_pipe(self, names, coords):
        """Point from sampler_pipe coordinates (one per name; categorical = index)."""
        x = dict(zip(names, (float(v) for v in coords)))
        return {q["name"]: q["values"][int(x[q["name"]])] if q["kind"] == "cat"
                else int(x[q["name"]]) if q["kind"] == "int" else x[q["name"]] for q in self.params}

    def to_pipe(self, names, p):
        """sampler_pipe coordinates of point p, in the pipe's parameter order;
        parameters not searched (constants) are index 0."""
        byname = {q["name"]: q for q in self.params}
        return [0.0 if n not in byname else float(byname[n]["values"].index(p[n])) if byname[n]["kind"] == "cat"
                else float(p[n]) for n in names]

    def optuna_distributions(self):
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
        d = {}
        for q in self.params:
            if q["kind"] == "cat":
                d[q["name"]] = CategoricalDistribution(q["values"])
            elif q["kind"] == "int":
                d[q["name"]] = IntDistribution(q["lo"], q["hi"], log=q["log"])
            else:
                d[q["name"]] = FloatDistribution(q["lo"], q["hi"], log=q["log"])
        return d

    def optuna_params(self, trial):
        p = {}
        for q in self.params:
            if q["kind"] == "cat":
                p[q["name"]] = trial.suggest_categorical(q["name"], q["values"])
            elif q["kind"] == "int":
                p[q["name"]] = trial.suggest_int(q["name"], q["lo"], q["hi"], log=q["log"])
            else:
                p[q["name"]] = trial.suggest_float(q["name"], q["lo"], q["hi"], log=q["log"])
        return p


def load_trials(space, paths):
    """(feature matrix, log metric) of every OK trial in mlpsweep output dirs and Optuna .jsonl files."""
    X, y = [], []
    for path in paths:
        if os.path.isdir(path):
            for t in Run(path).trials:
                if t["status"] == "ok" and math.isfinite(t["metric_mean"]):
                    X.append(space.features(t["params"]))
                    y.append(math.log(t["metric_mean"]))
        else:
            for o in optuna_io.read(path):
                if math.isfinite(optuna_io.value(o)):
                    X.append(space.features(o["params"]))
                    y.append(math.log(o["value"]))
    return np.array(X), np.array(y)


def fit_surrogate(X, y, seed=0):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    from sklearn.model_selection import KFold, cross_val_predict
    kern = ConstantKernel(1.0) * Matern(length_scale=[0.5] * X.shape[1], nu=2.5) + WhiteKernel(0.01)
    gp = GaussianProcessRegressor(kern, normalize_y=True, n_restarts_optimizer=2, random_state=seed)
    pred = cross_val_predict(gp, X, y, cv=KFold(5, shuffle=True, random_state=seed))
    r2 = 1 - np.var(y - pred) / np.var(y)
    gp.fit(X, y)
    noise_sd = math.sqrt(gp.kernel_.k2.noise_level) * gp._y_train_std
    return gp, r2, noise_sd


class Objective:
    def __init__(self, space, gp, noise_sd, seed):
        self.space, self.gp, self.noise_sd = space, gp, noise_sd
        self.rng = np.random.default_rng(seed)

    def __call__(self, p):
        m = float(self.gp.predict(np.array([self.space.features(p)]))[0])
        if self.noise_sd > 0:
            m += self.noise_sd * self.rng.standard_normal()
        return math.exp(m)


def run_pipe(pipe, cfg, space, method, extra, seed, trials, objective):
    """mlpsweep's sampler through sampler_pipe: ask, evaluate, tell, in sequence."""
    sets = ["--set", f"search.method={method}", "--set", f"seed={seed}", "--set", f"search.trials={trials}"]
    for kv in extra:
        sets += ["--set", f"search.{kv}"]
    proc = subprocess.Popen([pipe, cfg] + sets, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    names = proc.stdout.readline().split()[1:]
    out = []
    try:
        for t in range(trials):
            proc.stdin.write(f"ask {t}\n")
            proc.stdin.flush()
            line = proc.stdout.readline().split()
            if not line or line[0] != "x":
                raise RuntimeError(f"sampler_pipe: {' '.join(line) or 'no reply'}")
            p = space.from_pipe(names, line[2:])
            value = objective(p)
            proc.stdin.write(f"tell {t} ok {value!r} " + " ".join(line[2:]) + "\n")
            out.append({"trial": t, "params": p, "value": value})
    finally:
        proc.stdin.close()
        proc.wait()
    return out


def run_optuna(space, seed, trials, objective, opts):
    """Optuna's TPESampler(seed, **opts) on the objective, trials in sequence."""
    import warnings

    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # multivariate
    out = []

    def f(trial):
        p = space.optuna_params(trial)
        v = objective(p)
        out.append({"trial": trial.number, "params": p, "value": v})
        return v

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed, **opts))
    study.optimize(f, n_trials=trials)
    return out


_CTX = None


def _init_worker(a, space, gp, noise_sd):
    global _CTX
    _CTX = (a, space, gp, noise_sd)


def _one_run(job):
    """One (label, spec, seed): runs the sampler, writes its JSON lines, returns the path."""
    label, spec, seed = job
    a, space, gp, noise_sd = _CTX
    obj = Objective(space, gp, noise_sd, seed * 7919 + 1)  # the same noise stream for every sampler
    method, _, opts = spec.partition(":")
    kvs = [kv for kv in opts.split(";") if kv]
    if method == "optuna":
        kw = {k: yaml.safe_load(v) for k, _, v in (kv.partition("=") for kv in kvs)}
        rows = run_optuna(space, seed, a.trials, obj, kw)
    else:
        rows = run_pipe(a.pipe, a.config, space, method, kvs, seed, a.trials, obj)
    path = os.path.join(a.output, f"{label.replace(':', '_').replace(';', '_')}-{seed}.jsonl")
    optuna_io.write(path, rows)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config", help="the sweep config whose parameters and search section are used")
    ap.add_argument("--runs", nargs="+", required=True, help="mlpsweep output dirs and Optuna .jsonl files to fit")
    ap.add_argument("--pipe", default="build/tests/search/sampler_pipe", help="the sampler_pipe program")
    ap.add_argument("--samplers", default="random,tpe,optuna",
                    help="comma list of [LABEL@]SPEC; SPEC: random, tpe, tpe:KEY=VALUE;..., optuna, optuna:ARG=VALUE;...")
    ap.add_argument("--jobs", type=int, default=1, help="runs at once (processes)")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--seed0", type=int, default=1)
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--noise", action="store_true", help="add the GP's noise level (seeded) to each evaluation")
    ap.add_argument("-o", "--output", required=True, help="directory for the per-seed JSON lines")
    a = ap.parse_args(argv)
    space = Space(a.config)
    paths = [p for pat in a.runs for p in (sorted(glob.glob(pat)) or [pat]) if not p.endswith(".log")]
    X, y = load_trials(space, paths)
    if len(y) < 20:
        print(f"sampler_surrogate.py: only {len(y)} finished trials in --runs; need at least 20", file=sys.stderr)
        return 2
    gp, r2, noise_sd = fit_surrogate(X, y)
    print(f"surrogate: GP on {len(y)} trials, 5-fold CV R^2 of log metric {r2:.3f}, "
          f"noise sd {noise_sd:.3f} (log){' (added)' if a.noise else ''}")
    os.makedirs(a.output, exist_ok=True)
    specs = {}
    for item in (t.strip() for t in a.samplers.split(",")):
        if item:
            label, _, spec = item.partition("@")
            specs[label] = spec or label
    jobs = [(label, spec, seed) for label, spec in specs.items() for seed in range(a.seed0, a.seed0 + a.seeds)]
    ctx = (a, space, gp, noise_sd if a.noise else 0.0)
    if a.jobs > 1:
        import multiprocessing
        with multiprocessing.Pool(a.jobs, initializer=_init_worker, initargs=ctx) as pool:
            paths_out = pool.map(_one_run, jobs, chunksize=1)
    else:
        _init_worker(*ctx)
        paths_out = [_one_run(j) for j in jobs]
    runs = {}
    for (label, _, _), path in zip(jobs, paths_out):
        runs.setdefault(label, []).append(path)
    cargs = []
    for label, ps in runs.items():
        cargs += ["--run", label] + ps
    if "random" in runs and "tpe" in runs:
        cargs += ["--reference", "random", "--target", "tpe"]
    cargs += ["--at", ",".join(str(n) for n in [n for n in (10, 20, 30) if n < a.trials] + [a.trials])]
    return compare_samplers.main(cargs)


if __name__ == "__main__":
    sys.exit(main())
