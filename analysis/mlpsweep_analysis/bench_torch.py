"""PyTorch reference for `mlpsweep bench`: the same MLP, batch, optimizer and
thread count, a full training step (zero_grad, forward, MSE, backward,
optimizer step) on synthetic data; prints one JSON object like the C bench.

Usage: bench_torch.py --net 3,64,64,64,64,60 --batch 256 --act relu
                      --optimizer adam --steps 200 --threads 1
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import os
import sys
import time

from .names import known, torch_module


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--net", default="3,64,64,64,64,60", help="layer widths, input first")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--act", default="relu")
    ap.add_argument("--optimizer", default="adam", choices=["sgd", "adam", "adamw", "radam"])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rows", type=int, default=8192, help="synthetic data set size")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    # OpenBLAS (torch's BLAS on Debian) reads its thread count at load time;
    # torch.set_num_threads only sets OpenMP's, so set both.
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    sizes = [int(s) for s in a.net.split(",")]
    if len(sizes) < 2 or min(sizes) < 1:
        ap.error("--net needs at least two positive widths")
    if not known(a.act):
        ap.error("unknown --act " + a.act)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch_module(torch, a.act)())
    model = torch.nn.Sequential(*layers)
    opt = {"sgd": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
           "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
           "adamw": lambda p: torch.optim.AdamW(p, lr=1e-3),
           "radam": lambda p: torch.optim.RAdam(p, lr=1e-3)}[a.optimizer](model.parameters())
    X = torch.randn(a.rows, sizes[0])
    Y = torch.randn(a.rows, sizes[-1])
    loss_fn = torch.nn.MSELoss()
    nb = a.rows // a.batch

    def step(i):
        j = (i % nb) * a.batch
        xb, yb = X[j:j + a.batch], Y[j:j + a.batch]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        loss = step(i)
    dt = time.perf_counter() - t0
    step_us = dt / a.steps * 1e6
    print(json.dumps({
        "engine": "torch", "torch_version": torch.__version__,
        "net": a.net, "batch": a.batch, "act": a.act, "optimizer": a.optimizer,
        "threads": a.threads, "steps": a.steps,
        "step_us": round(step_us, 3),
        "samples_per_s": round(a.batch / (step_us * 1e-6), 1),
        "final_loss": float(loss.item()),
    }))


if __name__ == "__main__":
    sys.exit(main())
