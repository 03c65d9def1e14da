"""What analysis/mcmc_check.py and analysis/bias_fisher.py share: the true
model as a process, the run's emulator with its training exposure and box,
and the test points of the box.

    ctx = open_run("runs/quickstart", "brokenpowerlaw")   # ValueError/OSError on bad input
    ctx.f, ctx.T0, ctx.lo, ctx.hi, ctx.names, ctx.box_src
    true = TrueModel(find_binary(None), "brokenpowerlaw"); true(P) ...; true.close()
    points(ctx.lo, ctx.hi, 6, np.random.default_rng(1))

Exposure convention of both: data are Poisson counts with mean
mu = T * model(theta) (`mlpsweep gen --noise poisson --exposure T`); the
emulator was trained on spectra at the data file's exposure T0 (attribute
`exposure`), so its mean is mu = (T / T0) * f(theta).
"""
import os
import shutil
import subprocess

import h5py
import numpy as np

from .model import load_model
from .results import Run

GENERATORS = ("powerlaw", "brokenpowerlaw", "linpower")


class TrueModel:
    """`mlpsweep gen GEN --params -` as a persistent process: rows of
    parameters in, noise-free spectra (exposure 1) out, in batches of at most
    64 rows (well under the pipe buffers: no deadlock)."""

    def __init__(self, binary, gen):
        self.proc = subprocess.Popen([binary, "gen", gen, "--params", "-"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def __call__(self, P):
        out = []
        for i in range(0, len(P), 64):
            out.extend(self._ask([" ".join(repr(float(v)) for v in row) for row in P[i:i + 64]]))
        return np.array(out)

    def _ask(self, rows):
        self.proc.stdin.write("\n".join(rows) + "\n")
        self.proc.stdin.flush()
        res = []
        for _ in rows:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"mlpsweep gen --params - stopped (exit {self.proc.wait()})")
            res.append(np.array(line.split(), dtype=np.float64))
        return res

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def find_binary(arg):
    if arg:
        return arg
    for c in (os.environ.get("MLPS_BIN"),
              os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "src", "mlpsweep"),
              shutil.which("mlpsweep")):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise ValueError("cannot find the mlpsweep binary: pass --mlpsweep PATH or set MLPS_BIN")


class RunContext:
    """The emulator of RUN (f), the training exposure T0 of its data file
    (1 when the file is not found), the prior box (lo, hi) and its source,
    the parameter names and the data file's path (or None)."""

    def __init__(self, f, T0, lo, hi, box_src, names, dpath):
        self.f, self.T0, self.lo, self.hi, self.box_src, self.names, self.dpath = f, T0, lo, hi, box_src, names, dpath


def open_run(run_dir, generator):
    """RunContext of an output directory; ValueError (or OSError, KeyError
    from h5py) naming the file when the run does not fit the generator or
    has no training box."""
    f = load_model(os.path.join(run_dir, "model.h5"))
    dpath = Run(run_dir).data_path()
    T0 = 1.0
    names = list(f.input_names)
    box = box_src = None
    if dpath:
        with h5py.File(dpath, "r") as h:
            T0 = float(np.atleast_1d(h.attrs.get("exposure", 1.0))[0])
            gen_model = h.attrs.get("model")
            if gen_model is not None and (gen_model.decode() if isinstance(gen_model, bytes) else gen_model) != generator:
                raise ValueError(f"{dpath}: made by generator '{gen_model}', not '{generator}'")
            if f.bounds is None and "names" in h["X"].attrs:  # v1: no input_names in model.h5
                names = [v.decode() if isinstance(v, bytes) else str(v) for v in h["X"].attrs["names"]]
            if f.bounds is None:
                X = h["X"][()]
                box, box_src = (X.min(axis=0), X.max(axis=0)), f"min and max of {dpath}:/X (model.h5 version 1)"
    if f.bounds is not None:
        box, box_src = f.bounds, "model.h5 /box"
    elif not dpath:
        raise ValueError(f"{run_dir}: model.h5 has no training box (version 1) and the data file is not found")
    lo, hi = (np.asarray(v, dtype=np.float64) for v in box)
    return RunContext(f, T0, lo, hi, box_src, names, dpath)


def points(lo, hi, n, rng):
    """n points of the box [lo, hi]: uniform in its central 15-85%, every
    second one with some coordinates near an edge (5% or 95% of the range),
    where an emulator is usually worst."""
    out = []
    for i in range(n):
        u = rng.uniform(0.15, 0.85, len(lo))
        if i % 2 == 1:
            pick = rng.random(len(lo)) < 0.5
            pick[rng.integers(len(lo))] = True
            u[pick] = np.where(rng.random(pick.sum()) < 0.5, 0.05, 0.95)
        out.append(lo + u * (hi - lo))
    return np.array(out)
