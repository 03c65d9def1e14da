#!/usr/bin/python3
"""Latency of the Python loaders of a model.h5, against PyTorch with the same
weights, in one run on one core (torch.set_num_threads(1), OpenBLAS one
thread): median over many calls of

  load_model     f(x): the fast path (folded transforms, float64 buffers)
  reference      f.reference(x): the unfolded path (the old load_model)
  to_torch       to_torch(path) under no_grad (float64, transforms included)
  torch float32  a plain torch.nn.Sequential of the same weights in float32,
                 no transforms (what a PyTorch user would write by hand)

for one sample (d,) and for a batch of 1000 rows.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 analysis/bench_loaders.py runs/quickstart/model.h5 [--calls N]
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from mlpsweep_analysis.model import load_model  # noqa: E402
from mlpsweep_analysis.names import torch_module  # noqa: E402


def median_us(fn, arg, calls):
    for _ in range(min(50, calls)):
        fn(arg)
    ts = np.empty(calls)
    pc = time.perf_counter
    for i in range(calls):
        t = pc()
        fn(arg)
        ts[i] = pc() - t
    return 1e6 * float(np.median(ts))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--calls", type=int, default=2000, help="calls per single-sample timing (default 2000)")
    a = ap.parse_args(argv)
    import torch
    from mlpsweep_analysis.torch_model import to_torch
    torch.set_num_threads(1)
    f = load_model(a.model)
    lo, hi = f.bounds if f.bounds is not None else (None, None)
    rng = np.random.default_rng(1)
    if lo is None:  # a version 1 file: rows of the test set as inputs
        import h5py
        with h5py.File(os.path.join(os.path.dirname(a.model), "test_predictions.h5"), "r") as h:
            X = h["X"][()].astype(np.float64)
        X = X[rng.integers(0, len(X), 1000)]
    else:
        X = lo + (hi - lo) * rng.random((1000, f.n_inputs))
    x = np.ascontiguousarray(X[0])
    net = to_torch(a.model).eval()
    plain = []
    for layers, act in zip(f.members, f.member_activations):
        mods = []
        for l, (W, b) in enumerate(layers):
            lin = torch.nn.Linear(W.shape[1], W.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W.astype(np.float32)))
                lin.bias.copy_(torch.from_numpy(b.astype(np.float32)))
            mods.append(lin)
            if l < len(layers) - 1:
                A = torch_module(torch, act)
                mods.append(A(0.01) if act == "leaky_relu" else A())
        plain.append(torch.nn.Sequential(*mods).eval())

    def plain_call(t):
        y = plain[0](t)
        for p in plain[1:]:
            y = y + p(t)
        return y

    arch = "x".join(str(s) for s in f.sizes)
    print(f"{a.model}: {arch} {f.activation}, {len(f.members)} member(s); torch {torch.__version__}, numpy "
          f"{np.__version__}, 1 thread; median of {a.calls} calls (batch: of {max(20, a.calls // 50)})")
    tx, tX = torch.from_numpy(x[None, :].copy()), torch.from_numpy(X)
    tx32, tX32 = tx.float(), tX.float()
    nb = max(20, a.calls // 50)
    with torch.no_grad():
        rows = [("load_model f(x)", median_us(f, x, a.calls), median_us(f, X, nb)),
                ("reference (unfolded)", median_us(f.reference, x, max(200, a.calls // 5)), median_us(f.reference, X, nb)),
                ("to_torch, float64, no_grad", median_us(net, tx, a.calls), median_us(net, tX, nb)),
                ("torch float32 Sequential, no_grad", median_us(plain_call, tx32, a.calls), median_us(plain_call, tX32, nb))]
    print(f"| loader | 1 sample (us) | 1000 rows (us) |\n|---|---:|---:|")
    for name, one, batch in rows:
        print(f"| {name} | {one:.1f} | {batch:.0f} |")
    print(f"load_model single sample / torch float32: {rows[0][1] / rows[3][1]:.2f}; / to_torch: {rows[0][1] / rows[2][1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
