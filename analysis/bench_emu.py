#!/usr/bin/env python3
"""Single-sample latency of libmlpsweep_emu next to PyTorch, same weights,
same run, one thread (issue 19's goal: <= 2 us for the tutorial net
3-64x4-60 and >= 20x faster than torch's no-grad single-sample call).

    /usr/bin/python3 analysis/bench_emu.py [--bench build/tests/emu/bench_emu]
                                           [--repeat 3] [--out DIR]

For each network (quickstart 3-128x3-60 and tutorial 3-64x4-60, silu) it
writes a model.h5 (format 2) with random weights, runs bench_emu on it (the
median of 400 blocks of 200 calls) and times the same weights in a
torch.nn.Sequential under torch.no_grad() on one input row (median of 400
blocks of 200 calls), pinned to the same core. With --repeat N it runs
everything N times and reports each network's medians.

It also passes bench_emu the network's weight bytes as the library's
AVX-512 kernel holds them (first layer float64, the others float32, blocks
of 64 outputs) and its multiply-adds per row, so bench_emu measures the
floors of one row in the same run, on the same core: the bytes at the rate
the core streams a buffer of that size (L2: the weights do not fit in L1),
and the multiply-adds at the measured FMA peak.
"""
import argparse
import os
import subprocess
import tempfile
import time

import h5py
import numpy as np

NETS = {"quickstart 3-128x3-60": [3, 128, 128, 128, 60], "tutorial 3-64x4-60": [3, 64, 64, 64, 64, 60]}


def write_model(path, sizes, rng):
    """A minimal format-2 model.h5 (workflow/model.h): standard inputs,
    [log, standard] targets, one member, silu."""
    d, m = sizes[0], sizes[-1]
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "mlpsweep-model"
        f.attrs["format_version"] = np.int64(2)
        f.attrs["n_members"] = np.int64(1)
        f.attrs["sizes"] = np.array(sizes, dtype=np.int64)
        f.attrs["activation"] = "swish"
        f.attrs["input_names"] = [f"p{j}" for j in range(d)]
        f["box/lo"] = np.zeros(d)
        f["box/hi"] = np.ones(d)
        for name, n, chain in (("input_transform", d, ["standard"]), ("target_transform", m, ["log", "standard"])):
            g = f.create_group(name)
            g.attrs["format"] = "mlpsweep-transform"
            g.attrs["format_version"] = np.int64(1)
            g.attrs["ncols"] = np.int64(n)
            g["chain"] = np.array([",".join(chain)] * n, dtype="S")
            shift, scale = np.zeros((n, 4)), np.ones((n, 4))
            k = len(chain) - 1
            shift[:, k] = rng.normal(size=n)
            scale[:, k] = rng.uniform(0.5, 2, size=n)
            g["shift"], g["scale"] = shift, scale
        ws = []
        for l in range(len(sizes) - 1):
            bound = 1 / np.sqrt(sizes[l])
            W = rng.uniform(-bound, bound, (sizes[l + 1], sizes[l])).astype(np.float32)
            b = rng.uniform(-bound, bound, sizes[l + 1]).astype(np.float32)
            f[f"members/0/W{l}"], f[f"members/0/b{l}"] = W, b
            ws.append((W, b))
        f["members/0"].attrs["sizes"] = np.array(sizes, dtype=np.int64)
        f["members/0"].attrs["activation"] = "swish"
    return ws


def footprint(sizes, ob=64):
    """(bytes, multiply-adds) of one row in the AVX-512 kernel's layout:
    outputs padded to blocks of ob, layer 0 float64 (the input fold), the
    rest float32, biases float64."""
    nbytes = fmas = 0
    for l in range(len(sizes) - 1):
        no = -(-sizes[l + 1] // ob) * ob
        nbytes += sizes[l] * no * (8 if l == 0 else 4) + 8 * no
        fmas += sizes[l] * no
    return nbytes, fmas


def torch_latency(ws, d, reps=2000, block=10):
    """(median, min) over reps blocks of the time per call. 10 calls a block
    (~0.4 ms, as bench_emu's 200 calls of ~2 us): on a shared machine a long
    block is preempted more often, which would favour the library."""
    import torch

    torch.set_num_threads(1)
    layers = []
    for i, (W, b) in enumerate(ws):
        lin = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(ws) - 1:
            layers.append(torch.nn.SiLU())
    net = torch.nn.Sequential(*layers).eval()
    x = torch.rand(1, d)
    t = []
    with torch.no_grad():
        for _ in range(50):
            net(x)
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(block):
                net(x)
            t.append((time.perf_counter() - t0) / block)
    return 1e6 * float(np.median(t)), 1e6 * float(np.min(t))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bench", default=os.path.join(here, "..", "build", "tests", "emu", "bench_emu"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", default=None, help="directory for the model files (default: a temporary one)")
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="bench_emu.")
    os.makedirs(out, exist_ok=True)
    cpu = sorted(os.sched_getaffinity(0))[0]
    os.sched_setaffinity(0, {cpu})  # torch here and bench_emu (inherits) on one core
    rng = np.random.default_rng(19)
    res = {k: ([], [], [], [], [], []) for k in NETS}
    models = {}
    for name, sizes in NETS.items():
        path = os.path.join(out, name.split()[0] + ".h5")
        models[name] = (path, write_model(path, sizes, rng), sizes[0], footprint(sizes))
    for r in range(a.repeat):
        for name, (path, ws, d, (nbytes, fmas)) in models.items():
            txt = subprocess.run([a.bench, path, "400", str(nbytes), str(fmas)], check=True, capture_output=True,
                                 text=True).stdout
            val = {l.split()[0]: float(l.split()[1]) for l in txt.splitlines()
                   if l.split() and l.split()[0] in ("single_us", "single_min_us", "floor_bytes_us", "floor_fma_us")}
            kern = ([l.split("kernel ")[1] for l in txt.splitlines() if "kernel " in l] or ["?"])[0]
            emu = val["single_us"]
            tor, tor_min = torch_latency(ws, d)
            for q, v in enumerate((emu, tor, val.get("floor_bytes_us", np.nan), val.get("floor_fma_us", np.nan),
                                   val.get("single_min_us", np.nan), tor_min)):
                res[name][q].append(v)
            emin = res[name][4][-1]
            print(f"run {r + 1}: {name}: libmlpsweep_emu {emu:.3f} us (min {emin:.3f}; {kern}), "
                  f"torch no-grad {tor:.1f} us (min {tor_min:.1f}), ratio {tor / emu:.0f}x (of minima "
                  f"{tor_min / emin:.0f}x); floors: {nbytes / 1024:.0f} KiB of weights "
                  f"{res[name][2][-1]:.3f} us, {fmas} multiply-adds {res[name][3][-1]:.3f} us")
    print(f"medians over {a.repeat} run(s), core {cpu}:")
    for name, (e, t, fb, ff, emin, tmin) in res.items():
        em, tm, en, tn = (float(np.median(v)) for v in (e, t, emin, tmin))
        print(f"  {name:24s} libmlpsweep_emu {em:7.3f} us   torch {tm:7.1f} us   {tm / em:5.0f}x faster   "
              f"(minima: {en:.3f} us, {tn:.1f} us, {tn / en:.0f}x)   floor {max(np.median(fb), np.median(ff)):.3f} us (weights {np.median(fb):.3f}, "
              f"arithmetic {np.median(ff):.3f})")


if __name__ == "__main__":
    main()
