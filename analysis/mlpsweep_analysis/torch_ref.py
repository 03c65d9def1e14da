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


class Fold:
    """One training run advanced one epoch at a time, so that a caller can
    train several folds in lockstep and look at their losses after every
    epoch (optuna_tpe.py reports them to a pruner); train() runs one to its
    end. Attributes: best (lowest validation MSE so far, scaled units),
    best_epoch (0-based, -1 before the first), epochs (trained), status
    (ok | diverged | timeout), done, seconds (wall time in epoch())."""

    def __init__(self, torch, X, Y, tr, va, widths, act="relu", lr=1e-4, batch=256, max_epochs=3000,
                 patience=40, seed=1):
        self.torch, self.Y, self.va = torch, Y, va
        self.batch, self.max_epochs, self.patience = batch, max_epochs, patience
        torch.manual_seed(seed)
        self.sc = Scaled(X, Y, tr)
        self.xtr, self.ytr = torch.from_numpy(self.sc.x(X[tr])), torch.from_numpy(self.sc.y(Y[tr]))
        self.xva, self.yva = torch.from_numpy(self.sc.x(X[va])), torch.from_numpy(self.sc.y(Y[va]))
        self.net = make_net(torch, X.shape[1], Y.shape[1], widths, act)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.loss_fn = torch.nn.MSELoss()
        self.gen = torch.Generator().manual_seed(seed)
        self.best, self.best_state, self.best_epoch = math.inf, copy.deepcopy(self.net.state_dict()), -1
        self.status, self.epochs, self.done, self.seconds = "ok", 0, max_epochs <= 0, 0.0

    def epoch(self):
        """Trains one epoch, then validates; sets done at early stopping,
        divergence or max_epochs. Returns the validation MSE."""
        torch, net = self.torch, self.net
        t0 = time.perf_counter()
        net.train()
        perm = torch.randperm(len(self.xtr), generator=self.gen)
        for j in range(0, len(perm), self.batch):
            idx = perm[j:j + self.batch]
            self.opt.zero_grad(set_to_none=True)
            loss = self.loss_fn(net(self.xtr[idx]), self.ytr[idx])
            loss.backward()
            self.opt.step()
        net.eval()
        with torch.no_grad():
            v = float(self.loss_fn(net(self.xva), self.yva))
        e = self.epochs
        self.epochs += 1
        if not math.isfinite(v):
            self.status, self.done = "diverged", True
        elif v < self.best:
            self.best, self.best_epoch = v, e
            self.best_state = copy.deepcopy(net.state_dict())
        elif e - self.best_epoch >= self.patience:
            self.done = True
        self.done = self.done or self.epochs >= self.max_epochs
        self.seconds += time.perf_counter() - t0
        return v

    def result(self):
        """The dict train() returns, from the best weights."""
        self.net.load_state_dict(self.best_state)
        self.net.eval()
        with self.torch.no_grad():
            pred = self.sc.y_natural(self.net(self.xva).numpy())
        med = frac_err(self.Y[self.va], pred)[0] if self.status != "diverged" else math.inf
        return {"model": self.net, "scaler": self.sc, "best_epoch": self.best_epoch, "epochs": self.epochs,
                "seconds": self.seconds, "val_mse": self.best, "val_median_frac_err": med, "status": self.status}


def train(torch, X, Y, tr, va, widths, act="relu", lr=1e-4, batch=256, max_epochs=3000, patience=40,
          seed=1, max_seconds=None):
    """Trains on rows tr with early stopping on rows va. Returns a dict with
    the model, scaler, best_epoch (0-based), epochs, seconds, val_mse
    (scaled), val_median_frac_err, and status (ok | diverged | timeout)."""
    f = Fold(torch, X, Y, tr, va, widths, act, lr, batch, max_epochs, patience, seed)
    while not f.done:
        f.epoch()
        if not f.done and max_seconds and f.seconds > max_seconds:
            f.status = "timeout"
            break
    return f.result()


def predict(torch, result, X):
    with torch.no_grad():
        return result["scaler"].y_natural(result["model"](torch.from_numpy(result["scaler"].x(X))).numpy())
