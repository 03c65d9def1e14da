"""Load an mlpsweep model.h5 and predict with numpy (no mlpsweep, no torch).

    from mlpsweep_analysis.model import load_model   # or: from mlpsweep_model import load_model
    f = load_model("runs/demo/model.h5")
    Y = f(X)            # X (n, d) or (d,) in data units -> Y (n, m) or (m,)

This reproduces `mlpsweep predict` (src/sweep/model.h has the file layout):
per input column apply the transform chain, each stage y = (g(x) - shift) /
scale with g = identity, ln or log10; then h = act(W h + b) for the hidden
layers and y = W h + b for the output layer; average the ensemble members in
the scaled space; invert the target chain. It computes in float64 from the
float32 weights, while mlpsweep computes in float32, so the two agree to
float32 rounding, not bit for bit (tests/analysis/smoke.sh states the
tolerance).

As a command, it writes predictions like `mlpsweep predict` does:
    /usr/bin/python3 analysis/mlpsweep_model.py MODEL.h5 IN.h5 OUT.h5 [--inputs X] [--output Y]
"""
import argparse
import sys

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


class Model:
    """A callable emulator: f(X) with X (n, d) or (d,) in data units."""

    def __init__(self, path):
        with h5py.File(path, "r") as h:
            fmt = _str(h.attrs.get("format", ""))
            if fmt != FORMAT:
                raise ValueError(f"{path}: format is '{fmt}', expected '{FORMAT}' (a model.h5 written by mlpsweep run)")
            self.sizes = [int(s) for s in h.attrs["sizes"]]
            self.activation = canon(_str(h.attrs["activation"]))
            if self.activation not in ACTIVATIONS:
                raise ValueError(f"{path}: unknown activation '{self.activation}'")
            self.config = _str(h.attrs.get("config", ""))
            self.xin = Transform(h["input_transform"])
            self.yout = Transform(h["target_transform"])
            nl = len(self.sizes) - 1
            # members[k] = [(W (out, in), b (out,)), ...] upcast to float64
            self.members = [[(h[f"members/{k}/W{l}"][()].astype(np.float64),
                              h[f"members/{k}/b{l}"][()].astype(np.float64))
                             for l in range(nl)] for k in range(int(h.attrs["n_members"]))]
        self.n_inputs, self.n_outputs = self.sizes[0], self.sizes[-1]

    def predict_scaled(self, X):
        """Network output in the transformed target space (members averaged)."""
        # mlpsweep reads inputs as float32: round them the same way.
        h0 = self.xin.forward(np.asarray(X, dtype=np.float32))
        act = ACTIVATIONS[self.activation]
        acc = 0.0
        for layers in self.members:
            h = h0
            for l, (W, b) in enumerate(layers):
                h = h @ W.T + b
                if l < len(layers) - 1:
                    h = act(h)
            acc = acc + h
        return acc / len(self.members)

    def __call__(self, X):
        X = np.asarray(X)
        one = X.ndim == 1
        X2 = X.reshape(1, -1) if one else X
        if X2.ndim != 2 or X2.shape[1] != self.n_inputs:
            raise ValueError(f"expected inputs of shape (n, {self.n_inputs}), got {X.shape}")
        Y = self.yout.inverse(self.predict_scaled(X2))
        return Y[0] if one else Y


def load_model(path):
    """Returns a callable f(X) -> Y in data units reproducing `mlpsweep predict`."""
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
