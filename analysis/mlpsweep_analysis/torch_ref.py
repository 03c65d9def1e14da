"""PyTorch reference training, shared by the benchmark scripts that compare
mlpsweep with PyTorch (torch_tutorial.py, optuna_tpe.py).

It trains the way an mlpsweep task does, so that the comparison is of the
engines and samplers, not of two different recipes: the rows of a split
file written by `mlpsweep run --write-split`, inputs standardised and targets
log-then-standardised with statistics of the training rows only, PyTorch's
default Linear init, a seeded reshuffle every epoch with the last partial
batch kept, validation MSE (scaled units) every epoch, early stopping with
patience that restores the best weights. Metrics in natural units are the
median and 95th percentile of |fractional error| of the counts.

Run with Debian's /usr/bin/python3 (python3-torch, python3-h5py).
"""
import copy
import math
import os
import time

import h5py
import numpy as np

from .names import torch_module


def set_threads(n):
    """One BLAS/OpenMP thread count for torch; call before importing torch
    (Debian's torch uses OpenBLAS, which reads its count at load time)."""
    os.environ["OPENBLAS_NUM_THREADS"] = str(n)
    os.environ["OMP_NUM_THREADS"] = str(n)
    import torch
    torch.set_num_threads(n)
    return torch


def load(data_path, split_path, inputs="X", targets="Y"):
    """(X, Y, split) with split a dict of row-index arrays: test, train_K, val_K."""
    with h5py.File(data_path, "r") as f:
        X = np.asarray(f[inputs], dtype=np.float64)
        Y = np.asarray(f[targets], dtype=np.float64)
    with h5py.File(split_path, "r") as f:
        if f.attrs.get("format") not in ("mlpsweep-split", b"mlpsweep-split"):
            raise SystemExit(f"{split_path}: not a split file (write one with `mlpsweep run CONFIG --dry-run --write-split FILE.h5`)")
        split = {k: np.asarray(f[k]) for k in f if k != "fold"}
        split["kfold"] = int(f.attrs["kfold"])
    if len(split["test"]) + len(split["train_0"]) + len(split["val_0"]) > len(X):
        raise SystemExit(f"{split_path} does not match {data_path} (more rows in the split than in the data)")
    return X, Y, split


class Scaled:
    """Inputs standardised; targets log then standardised; fitted on `fit` rows."""

    def __init__(self, X, Y, fit):
        self.xm, self.xs = X[fit].mean(0), X[fit].std(0)
        self.xs[self.xs == 0] = 1.0
        L = np.log(Y[fit])
        self.ym, self.ys = L.mean(0), L.std(0)
        self.ys[self.ys == 0] = 1.0

    def x(self, X):
        return ((X - self.xm) / self.xs).astype(np.float32)

    def y(self, Y):
        return ((np.log(Y) - self.ym) / self.ys).astype(np.float32)

    def y_natural(self, Z):
        return np.exp(Z.astype(np.float64) * self.ys + self.ym)


def make_net(torch, d, m, widths, act):
    layers, prev = [], d
    for w in widths:
        layers += [torch.nn.Linear(prev, w), torch_module(torch, act)()]
        prev = w
    layers.append(torch.nn.Linear(prev, m))
    return torch.nn.Sequential(*layers)


def frac_err(Y_true, Y_pred):
    """(median, 95th percentile) of |Y_pred / Y_true - 1| over all entries."""
    r = np.abs(Y_pred / Y_true - 1.0)
    return float(np.median(r)), float(np.percentile(r, 95))


def train(torch, X, Y, tr, va, widths, act="relu", lr=1e-4, batch=256, max_epochs=3000, patience=40,
          seed=1, max_seconds=None):
    """Trains on rows tr with early stopping on rows va. Returns a dict with
    the model, scaler, best_epoch (0-based), epochs, seconds, val_mse
    (scaled), val_median_frac_err, and status (ok | diverged | timeout)."""
    torch.manual_seed(seed)
    sc = Scaled(X, Y, tr)
    xtr, ytr = torch.from_numpy(sc.x(X[tr])), torch.from_numpy(sc.y(Y[tr]))
    xva, yva = torch.from_numpy(sc.x(X[va])), torch.from_numpy(sc.y(Y[va]))
    net = make_net(torch, X.shape[1], Y.shape[1], widths, act)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    gen = torch.Generator().manual_seed(seed)
    best, best_state, best_epoch, status = math.inf, copy.deepcopy(net.state_dict()), -1, "ok"
    t0 = time.perf_counter()
    epoch = 0
    for epoch in range(max_epochs):
        net.train()
        perm = torch.randperm(len(xtr), generator=gen)
        for j in range(0, len(perm), batch):
            idx = perm[j:j + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            v = float(loss_fn(net(xva), yva))
        if not math.isfinite(v):
            status = "diverged"
            break
        if v < best:
            best, best_epoch = v, epoch
            best_state = copy.deepcopy(net.state_dict())
        elif epoch - best_epoch >= patience:
            break
        if max_seconds and time.perf_counter() - t0 > max_seconds:
            status = "timeout"
            break
    seconds = time.perf_counter() - t0
    net.load_state_dict(best_state)
    net.eval()
    with torch.no_grad():
        pred = sc.y_natural(net(xva).numpy())
    med = frac_err(Y[va], pred)[0] if status != "diverged" else math.inf
    return {"model": net, "scaler": sc, "best_epoch": best_epoch, "epochs": epoch + 1, "seconds": seconds,
            "val_mse": best, "val_median_frac_err": med, "status": status}


def predict(torch, result, X):
    with torch.no_grad():
        return result["scaler"].y_natural(result["model"](torch.from_numpy(result["scaler"].x(X))).numpy())
