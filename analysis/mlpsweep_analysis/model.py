"""Load an mlpsweep model.h5 and predict with numpy (no mlpsweep, no torch).

    from mlpsweep_analysis.model import load_model   # or: from mlpsweep_model import load_model
    f = load_model("runs/demo/model.h5")
    Y = f(X)            # X (n, d) or (d,) in data units -> Y (n, m) or (m,)
    f.bounds            # (lo, hi) training box (model.h5 version 2), else None
    f.predict_members(X), f.spread(X)   # every member, their standard deviation
    f.frac_sigma        # per-output fractional error on the test set (v2), else None

Fast path (f(X)): the affine stages of the transforms (standard, minmax) are
folded into the first and last layers once at load time, exactly (up to
float64 rounding); only log/log10 stages stay outside. A single sample runs
on preallocated float64 buffers with np.dot and in-place ufuncs (no
temporaries), batches as matrix products. An input outside the training box
warns once per model object (warnings.warn, category OutsideTrainingBox);
the prediction is still made. `Model.reference(X)` is the unfolded path
(the transforms stage by stage, inputs rounded to float32 as mlpsweep reads
them), kept to check the folding. The single-sample buffers belong to the
model object and np.dot releases the GIL: give each thread its own
load_model (batches, predict_members and spread allocate and are safe).

This reproduces `mlpsweep predict` (src/workflow/model.h has the file layout):
per input column apply the transform chain, each stage y = (g(x) - shift) /
scale with g = identity, ln or log10; then h = act(W h + b) for the hidden
layers and y = W h + b for the output layer; average the ensemble members in
the scaled space (weighted by each member's `weight` attribute when the file
has them: a committee weighted by CV error); invert the target chain. It computes in float64 from the
float32 weights, while mlpsweep computes in float32, so the two agree to
float32 rounding, not bit for bit (tests/analysis/smoke.sh states the
tolerance).

As a command, it writes predictions like `mlpsweep predict` does:
    /usr/bin/python3 analysis/mlpsweep_model.py MODEL.h5 IN.h5 OUT.h5 [--inputs X] [--output Y]
"""
import argparse
import sys
import warnings

import h5py
import numpy as np

from .names import ACTIVATIONS as NAMES
from .names import canon

FORMAT = "mlpsweep-model"
# g of each transform kind and its inverse (none, standard and minmax only shift and scale).
_G = {"none": (None, None), "standard": (None, None), "minmax": (None, None),
      "log": (np.log, np.exp), "log10": (np.log10, lambda v: np.power(10.0, v))}
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848, 1.0507009873554804934


def _ncdf(x):
    """Standard normal CDF from Numerical Recipes' erfc fit (relative error
    < 1.2e-7, below float32 resolution): the same formula as the C engine
    (src/nn/act.h), so GELU models agree as closely as the other activations."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.5 * z)
    c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
         0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277]
    q = c[-1]
    for a in c[-2::-1]:
        q = a + t * q
    half_erfc = 0.5 * t * np.exp(q - z * z)
    return np.where(x < 0, half_erfc, 1.0 - half_erfc)


# numpy of each activation of names.ACTIVATIONS (the C engine's, src/nn/act.h).
ACTIVATIONS = {
    "relu": lambda z: np.where(z < 0, 0.0, z),
    "leaky_relu": lambda z: np.where(z < 0, 0.01 * z, z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "selu": lambda z: _SELU_SCALE * np.where(z > 0, z, _SELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
    "gelu": lambda z: z * _ncdf(z),
    "swish": lambda z: z / (1.0 + np.exp(-np.clip(z, -700, 700))),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700))),
    "tanh": np.tanh,
    "linear": lambda z: z,
}
assert set(ACTIVATIONS) == set(NAMES)


def _str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


class Transform:
    """One transform group (input_transform or target_transform) of model.h5."""

    def __init__(self, group):
        self.chain = [[k for k in _str(c).split(",") if k != "none"] for c in group["chain"][()]]
        self.shift = np.asarray(group["shift"][()], dtype=np.float64)  # (ncols, stages)
        self.scale = np.asarray(group["scale"][()], dtype=np.float64)
        for col in self.chain:
            for k in col:
                if k not in _G:
                    raise ValueError(f"unknown transform '{k}' (known: {', '.join(_G)})")

    def forward(self, x):
        y = np.array(x, dtype=np.float64)
        for j, col in enumerate(self.chain):
            for s, k in enumerate(col):
                g = _G[k][0]
                if g and not np.all(y[:, j] > 0):  # as mlpsweep predict: an error, not NaN
                    r = int(np.argmin(y[:, j] > 0))
                    raise ValueError(f"input row {r}, column {j}: {k} of {y[r, j]!r} (stage {s + 1} of the "
                                     "input transform needs values > 0)")
                v = g(y[:, j]) if g else y[:, j]
                y[:, j] = (v - self.shift[j, s]) / self.scale[j, s]
        return y

    def inverse(self, y):
        x = np.array(y, dtype=np.float64)
        for j, col in enumerate(self.chain):
            for s in reversed(range(len(col))):
                ginv = _G[col[s]][1]
                v = x[:, j] * self.scale[j, s] + self.shift[j, s]
                x[:, j] = ginv(v) if ginv else v
        return x


class OutsideTrainingBox(UserWarning):
    """An input lies outside the box of the training inputs: the emulator
    extrapolates there (errors of 100% and more are common)."""


def _affine_in(tr, j, first):
    """(a, c) with z = a * u + c composing the stages first.. of input column
    j, where u is the value after stage first's g (or the raw value)."""
    a, c = 1.0, 0.0
    for s in range(first, len(tr.chain[j])):
        a, c = a / tr.scale[j, s], (c - tr.shift[j, s]) / tr.scale[j, s]
    return a, c


def _last_nonlinear(col):
    nl = [s for s, k in enumerate(col) if _G[k][0] is not None]
    return nl[-1] if nl else -1


try:  # scipy's ufuncs make swish, sigmoid and gelu two calls each
    from scipy.special import expit as _expit, ndtr as _ndtr
except ImportError:  # pragma: no cover (Debian's python3-scipy is optional)
    _expit = _ndtr = None


def _inplace_act(name, batch=False):
    """f(z, t) overwriting z with act(z), t a scratch buffer of z's shape.
    For batches (and without scipy) swish and sigmoid go through numpy's
    vectorised tanh (3x faster than scipy's expit on 10^5 values; expit
    wins for one sample, where the call count matters): x sigmoid(x) =
    h (1 + tanh h) with h = x / 2, which cannot overflow (exp(-x) does for
    x < -709). gelu uses the exact normal CDF (scipy's ndtr), the C engine a
    fit within 1.2e-7 (below float32 resolution)."""
    if name == "swish" and _expit is not None and not batch:
        def f(z, t):
            _expit(z, out=t)
            np.multiply(z, t, out=z)
    elif name == "swish":
        def f(z, t):
            np.multiply(z, 0.5, out=t)
            np.tanh(t, out=z)
            np.add(z, 1.0, out=z)
            np.multiply(z, t, out=z)
    elif name == "sigmoid" and _expit is not None and not batch:
        def f(z, t):
            _expit(z, out=z)
    elif name == "sigmoid":
        def f(z, t):
            np.multiply(z, 0.5, out=t)
            np.tanh(t, out=z)
            np.add(z, 1.0, out=z)
            np.multiply(z, 0.5, out=z)
    elif name == "gelu" and _ndtr is not None:
        def f(z, t):
            _ndtr(z, out=t)
            np.multiply(z, t, out=z)
    elif name == "relu":
        def f(z, t):
            np.maximum(z, 0.0, out=z)
    elif name == "leaky_relu":
        def f(z, t):
            np.multiply(z, 0.01, out=t)
            np.maximum(z, t, out=z)
    elif name == "tanh":
        def f(z, t):
            np.tanh(z, out=z)
    elif name == "linear":
        def f(z, t):
            pass
    else:
        g = ACTIVATIONS[name]

        def f(z, t):
            z[...] = g(z)
    return f


def _attr_strs(v):
    return [_str(x) for x in np.atleast_1d(v)]


class Model:
    """A callable emulator: f(X) with X (n, d) or (d,) in data units."""

    def __init__(self, path):
        self.path = str(path)
        with h5py.File(path, "r") as h:
            fmt = _str(h.attrs.get("format", ""))
            if fmt != FORMAT:
                raise ValueError(f"{path}: format is '{fmt}', expected '{FORMAT}' (a model.h5 written by mlpsweep run)")
            self.format_version = int(np.atleast_1d(h.attrs.get("format_version", 1))[0])
            if self.format_version > 3:
                raise ValueError(f"{path}: format_version {self.format_version} is newer than this loader "
                                 "reads (1 to 3): update mlpsweep's analysis/")
            self.sizes = [int(s) for s in h.attrs["sizes"]]
            self.activation = canon(_str(h.attrs["activation"]))
            self.config = _str(h.attrs.get("config", ""))
            self.xin = Transform(h["input_transform"])
            self.yout = Transform(h["target_transform"])
            # members[k] = [(W (out, in), b (out,)), ...] upcast to float64;
            # version 2 gives each member its own sizes and activation (a
            # committee mixes architectures) and its weight in the mean.
            self.members, self.member_activations, weights = [], [], []
            for k in range(int(h.attrs["n_members"])):
                g = h[f"members/{k}"]
                sizes = [int(s) for s in g.attrs["sizes"]] if "sizes" in g.attrs else self.sizes
                act = canon(_str(g.attrs["activation"])) if "activation" in g.attrs else self.activation
                if act not in ACTIVATIONS:
                    raise ValueError(f"{path}: members/{k}: unknown activation '{act}'")
                self.members.append([(g[f"W{l}"][()].astype(np.float64), g[f"b{l}"][()].astype(np.float64))
                                     for l in range(len(sizes) - 1)])
                self.member_activations.append(act)
                weights.append(float(np.atleast_1d(g.attrs["weight"])[0]) if "weight" in g.attrs else None)
            n_in = self.sizes[0]
            names = h.attrs.get("input_names")
            self.input_names = _attr_strs(names) if names is not None else [f"x{j}" for j in range(n_in)]
            self.bounds = None  # version 1 files have no training box
            if "box" in h:
                self.bounds = (np.asarray(h["box/lo"][()], dtype=np.float64),
                               np.asarray(h["box/hi"][()], dtype=np.float64))
            met = h.get("metrics")
            get = (lambda k: np.asarray(met[k][()], dtype=np.float64) if met is not None and k in met else None)
            self.col_rmse, self.col_median_frac = get("col_rmse"), get("col_median_frac")
            self.col_p95_frac, self.frac_cov, self.frac_mean = get("col_p95_frac"), get("frac_cov"), get("frac_mean")
        self.n_inputs, self.n_outputs = self.sizes[0], self.sizes[-1]
        # The members' weights, summing to 1 (equal when any is missing);
        # weighted: they differ (a committee by inverse CV error, version 3).
        n = len(self.members)
        if any(w is None for w in weights) or not sum(weights) > 0:
            weights = [1.0] * n
        if any(not (np.isfinite(w) and w >= 0) for w in weights):
            raise ValueError(f"{path}: member weights {weights} must be finite and >= 0")
        self.weights = np.asarray(weights, dtype=np.float64) / sum(weights)
        self.weighted = bool(np.any(np.abs(self.weights - self.weights[0]) > 1e-15))
        # The fractional error per output (v2): the root mean square of the
        # test rows' fractional residuals, their variance plus their mean
        # squared (a bias is an error too).
        self.frac_sigma = None
        if self.frac_cov is not None:
            mean2 = self.frac_mean ** 2 if self.frac_mean is not None else 0.0
            self.frac_sigma = np.sqrt(np.diag(self.frac_cov) + mean2)
        self._warned = False
        self._fold()

    # -- the fast path -----------------------------------------------------
    def _fold(self):
        d, m = self.n_inputs, self.n_outputs
        # Inputs: column j is u_j = g_L(stages 0..L-1 of x_j) for its last
        # nonlinear stage L (u_j = x_j without one), then z = a u + c.
        self._pre_in = []  # (j, L) of the columns with a log stage
        a, c = np.ones(d), np.zeros(d)
        for j, col in enumerate(self.xin.chain):
            L = _last_nonlinear(col)
            if L >= 0:
                self._pre_in.append((j, L))
            a[j], c[j] = _affine_in(self.xin, j, max(L, 0))
        # Targets, inverted: stages from the last down to the last nonlinear
        # one K are affine before its g^-1: v = A y + C, then g_K^-1, then
        # the stages K-1..0 inverted in full.
        A, C = np.ones(m), np.zeros(m)
        self._post = []  # (j, K) of the outputs with a log stage
        for j, col in enumerate(self.yout.chain):
            K = _last_nonlinear(col)
            for s in range(len(col) - 1, max(K, 0) - 1, -1):
                A[j], C[j] = A[j] * self.yout.scale[j, s], C[j] * self.yout.scale[j, s] + self.yout.shift[j, s]
            if K >= 0:
                self._post.append((j, K))
        # Folded layers per member, float64, C-contiguous. The single-sample
        # path multiplies [W | b] by [h, 1] (one call per layer, not two):
        # each layer writes into the head of a buffer whose last element
        # stays 1.
        self._fast, self._single = [], []
        for layers, act in zip(self.members, self.member_activations):
            fl = []
            for l, (W, b) in enumerate(layers):
                W, b = W.copy(), b.copy()
                if l == 0:
                    b = b + W @ c
                    W = W * a[None, :]
                if l == len(layers) - 1:
                    W, b = W * A[:, None], b * A + C
                W, b = np.ascontiguousarray(W), np.ascontiguousarray(b)
                fl.append((W, b, np.empty(W.shape[0]), np.empty(W.shape[0])))
            self._fast.append((fl, _inplace_act(act, batch=True)))
            steps = []
            for l, (W, b, _, _) in enumerate(fl):
                Wb = np.ascontiguousarray(np.hstack([W, b[:, None]]))
                zb = np.ones(W.shape[0] + 1)
                steps.append((Wb, zb, zb[:-1], np.empty(W.shape[0])))
            self._single.append((steps[:-1], steps[-1], _inplace_act(act)))
        self._pre_groups = self._groups(self.xin, self._pre_in)
        self._post_groups = self._groups(self.yout, self._post)
        self._x1 = np.ones(d + 1)  # [x, 1]
        self._xhead = self._x1[:-1]
        self._u = np.empty(d)
        if self.bounds is not None:
            self._box = list(zip(self.bounds[0].tolist(), self.bounds[1].tolist()))
        self._acc = np.empty(m)
        self._inv_n = 1.0 / len(self.members)

    @staticmethod
    def _groups(tr, cols):
        """Columns (j, L) grouped by their kinds of stages 0..L: per group
        (index or None for all columns, kinds, shift (L+1, k), scale)."""
        by = {}
        for j, L in cols:
            by.setdefault(tuple(tr.chain[j][:L + 1]), []).append(j)
        out = []
        for kinds, js in by.items():
            idx = None if len(js) == len(tr.chain) else np.array(js)
            sel = slice(None) if idx is None else idx
            out.append((idx, kinds, tr.shift[sel, :len(kinds)].T.copy(), tr.scale[sel, :len(kinds)].T.copy()))
        return out

    def _pre(self, X):
        """Log stages of the inputs (X (n, d) float64, modified in place):
        stages 0..L-1 in full and g of the last nonlinear stage L."""
        for idx, kinds, shift, scale in self._pre_groups:
            V = X if idx is None else X[:, idx]
            for s, k in enumerate(kinds):
                g = _G[k][0]
                if g and not np.all(V > 0):  # as mlpsweep predict: an error, not NaN
                    r, c = np.argwhere(~(V > 0))[0]
                    j = c if idx is None else idx[c]
                    raise ValueError(f"input row {r}, column {j}: {k} of {V[r, c]!r} (stage {s + 1} of the "
                                     "input transform needs values > 0)")
                V = g(V) if g else V
                if s < len(kinds) - 1:
                    V = (V - shift[s]) / scale[s]
            if idx is None:
                X[...] = V
            else:
                X[:, idx] = V
        return X

    def _post_apply(self, Y):
        """g^-1 of the targets' last log stage and the stages before it
        inverted in full (Y (..., m), in place)."""
        for idx, kinds, shift, scale in self._post_groups:
            K = len(kinds) - 1
            if idx is None and K == 0:  # the common case: one log stage on every output
                if kinds[0] == "log":
                    np.exp(Y, out=Y)
                else:
                    np.power(10.0, Y, out=Y)
                continue
            V = _G[kinds[K]][1](Y if idx is None else Y[..., idx])
            for s in range(K - 1, -1, -1):
                V = V * scale[s] + shift[s]
                g = _G[kinds[s]][1]
                V = g(V) if g else V
            if idx is None:
                Y[...] = V
            else:
                Y[..., idx] = V
        return Y

    def _check_box(self, X2):
        if self._warned or self.bounds is None:
            return
        lo, hi = self.bounds
        out = (X2 < lo) | (X2 > hi)
        if out.any():
            self._warned = True
            r, j = np.argwhere(out)[0]
            n = int(out.any(axis=1).sum())
            warnings.warn(f"{self.path}: {n} input row(s) outside the training box (first: row {r}, "
                          f"{self.input_names[j]} = {X2[r, j]:.6g} not in [{lo[j]:.6g}, {hi[j]:.6g}]); "
                          "the emulator extrapolates there (warned once per model)",
                          OutsideTrainingBox, stacklevel=3)

    def outside(self, X):
        """Per row, True where the input is outside the training box (all
        False when the box is unknown: a version 1 model.h5)."""
        X2 = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if self.bounds is None:
            return np.zeros(len(X2), dtype=bool)
        return ((X2 < self.bounds[0]) | (X2 > self.bounds[1])).any(axis=1)

    def _one(self, x):
        """One sample (d,) float64: the members' folded networks on buffers."""
        if self._pre_in:
            u = self._u
            u[:] = x
            x = self._pre(u[None, :])[0]
        x1 = self._x1
        self._xhead[:] = x
        acc = self._acc
        first = True
        dot = np.dot
        for hidden, (Wl, _, zl, _), act in self._single:
            h = x1
            for Wb, zb, z, t in hidden:
                dot(Wb, h, out=z)
                act(z, t)
                h = zb
            if first:
                dot(Wl, h, out=acc)
                first = False
                if self.weighted:
                    acc *= self.weights[0]
                k = 1
            else:
                dot(Wl, h, out=zl)
                if self.weighted:
                    zl *= self.weights[k]
                    k += 1
                np.add(acc, zl, out=acc)
        y = acc * self._inv_n if len(self._single) > 1 and not self.weighted else acc.copy()
        return self._post_apply(y) if self._post else y

    def _members_batch(self, X2, average=False):
        """(members, n, m): each member's folded output, before g^-1; with
        average, their mean (n, m)."""
        U = self._pre(X2.copy()) if self._pre_in else X2
        out = []
        for fl, act in self._fast:
            h = U
            last = len(fl) - 1
            for l, (W, b, _, _) in enumerate(fl):
                z = h @ W.T
                z += b
                if l < last:
                    act(z, np.empty_like(z))
                h = z
            out.append(h)
        if average and self.weighted:
            acc = out[0] * self.weights[0]
            for h, w in zip(out[1:], self.weights[1:]):
                acc += w * h
            return acc
        if average:
            acc = out[0]
            for h in out[1:]:
                acc += h
            return acc * self._inv_n if len(out) > 1 else acc
        return np.stack(out)

    def _rows(self, X):
        X = np.asarray(X, dtype=np.float64)
        one = X.ndim == 1
        X2 = X.reshape(1, -1) if one else X
        if X2.ndim != 2 or X2.shape[1] != self.n_inputs:
            raise ValueError(f"expected inputs of shape (n, {self.n_inputs}) or ({self.n_inputs},), got {X.shape}")
        self._check_box(X2)
        return X2, one

    def __call__(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1 and X.shape[0] == self.n_inputs:
            if not self._warned and self.bounds is not None:
                for v, (lo, hi) in zip(X.tolist(), self._box):
                    if not lo <= v <= hi:  # NaN too
                        self._check_box(X[None, :])
                        break
            return self._one(X)
        X2, one = self._rows(X)
        Y = self._members_batch(X2, average=True)
        Y = self._post_apply(Y) if self._post else Y
        return Y[0] if one else Y

    predict = __call__

    def predict_members(self, X):
        """Every member's prediction in data units: (members, n, m), or
        (members, m) for one sample (d,)."""
        X2, one = self._rows(X)
        Y = self._members_batch(X2)
        Y = self._post_apply(Y) if self._post else Y
        return Y[:, 0] if one else Y

    def spread(self, X):
        """Standard deviation over the members of their predictions in data
        units (ddof 1), (n, m) or (m,); NaN for a single network (no
        ensemble, no spread). Note that f(X) averages the members in the
        transformed target space, so it is not the mean of predict_members."""
        Ym = self.predict_members(X)
        if len(self.members) < 2:
            return np.full(Ym.shape[1:], np.nan)
        return Ym.std(axis=0, ddof=1)

    # -- the unfolded reference path ----------------------------------------
    def predict_scaled(self, X):
        """Network output in the transformed target space (members averaged),
        unfolded, inputs rounded to float32 as mlpsweep reads them."""
        h0 = self.xin.forward(np.asarray(X, dtype=np.float32))
        acc = 0.0
        for layers, name, w in zip(self.members, self.member_activations, self.weights):
            act = ACTIVATIONS[name]
            h = h0
            for l, (W, b) in enumerate(layers):
                h = h @ W.T + b
                if l < len(layers) - 1:
                    h = act(h)
            acc = acc + w * h
        return acc

    def reference(self, X):
        """The unfolded path: f(X) stage by stage (slow; for checking)."""
        X2, one = self._rows(X)
        Y = self.yout.inverse(self.predict_scaled(X2))
        return Y[0] if one else Y

    def describe(self):
        box = ("training box: " + ", ".join(f"{n} [{l:.6g}, {h:.6g}]" for n, l, h in zip(self.input_names, *self.bounds))
               if self.bounds is not None else
               f"training box unknown (model.h5 version {self.format_version} does not store it): inputs are not checked")
        err = ("error model: frac_cov over the test rows" if self.frac_cov is not None else
               "no error model (frac_cov: model.h5 version 2)")
        arch = sorted({"-".join(str(W.shape[1]) for W, _ in m) + f"-{self.n_outputs}" for m in self.members})
        wts = (", weights " + " ".join(f"{w:.3g}" for w in self.weights)) if self.weighted else ""
        return (f"{self.path}: {self.n_inputs} -> {self.n_outputs}, {len(self.members)} member(s) "
                f"({', '.join(arch)}{wts}), {self.activation}; {box}; {err}")


def load_model(path):
    """Returns a callable f(X) -> Y in data units reproducing `mlpsweep predict`
    (a Model: also bounds, predict_members, spread, outside, frac_sigma)."""
    return Model(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Apply an mlpsweep model.h5 with numpy (like `mlpsweep predict`).")
    ap.add_argument("model")
    ap.add_argument("inp", metavar="IN.h5")
    ap.add_argument("out", metavar="OUT.h5")
    ap.add_argument("--inputs", default="X", help="dataset of inputs (n, d) in IN.h5 (default X)")
    ap.add_argument("--output", default="Y", help="dataset written to OUT.h5 (default Y)")
    a = ap.parse_args(argv)
    try:
        f = load_model(a.model)
        with h5py.File(a.inp, "r") as h:
            if a.inputs not in h:
                raise ValueError(f"{a.inp}: no dataset '{a.inputs}' (has: {', '.join(h.keys())}); pass --inputs")
            X = h[a.inputs][()]
        Y = f(X)
    except (OSError, ValueError, KeyError) as e:
        print(f"mlpsweep_model.py: {e}", file=sys.stderr)
        return 2
    with h5py.File(a.out, "w") as h:
        h.create_dataset(a.output, data=Y)
        h.attrs["model"] = a.model
        h.attrs["inputs"] = a.inp
    print(f"mlpsweep_model.py: wrote {a.out}:{a.output} {Y.shape}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
