"""The X-ray tutorial's broken power law workflow in PyTorch, on exactly the
rows mlpsweep uses: one network (hidden 64x4 ReLU, Adam lr 1e-4, batch 256,
up to 3000 epochs, patience 40) trained on the training rows with early
stopping on the validation rows, evaluated once on the test rows. Prints one
JSON object (wall time, epochs, test median and 95th percentile of
|fractional error| in counts).

    mlpsweep run configs/brokenpowerlaw-tutorial.yaml --dry-run --write-split split.h5
    /usr/bin/python3 analysis/torch_tutorial.py data/brokenpowerlaw-100k.h5 split.h5

analysis/bench_tutorial.sh runs this and mlpsweep in the same run.
"""
import argparse
import json
import time

from . import torch_ref


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", help="HDF5 file with /X and /Y")
    ap.add_argument("split", help="split file from `mlpsweep run --write-split`")
    ap.add_argument("--widths", default="64,64,64,64")
    ap.add_argument("--act", default="relu")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--max-epochs", type=int, default=3000)
    ap.add_argument("--patience", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch = torch_ref.set_threads(a.threads)
    t0 = time.perf_counter()
    X, Y, split = torch_ref.load(a.data, a.split)
    r = torch_ref.train(torch, X, Y, split["train_0"], split["val_0"], [int(w) for w in a.widths.split(",")],
                        a.act, a.lr, a.batch, a.max_epochs, a.patience, a.seed)
    te = split["test"]
    med, p95 = torch_ref.frac_err(Y[te], torch_ref.predict(torch, r, X[te]))
    print(json.dumps({
        "engine": "torch", "torch_version": torch.__version__, "threads": a.threads,
        "train_rows": len(split["train_0"]), "val_rows": len(split["val_0"]), "test_rows": len(te),
        "status": r["status"], "epochs": r["epochs"], "best_epoch": r["best_epoch"],
        "train_seconds": round(r["seconds"], 2), "seconds_per_epoch": round(r["seconds"] / r["epochs"], 4),
        "wall_seconds": round(time.perf_counter() - t0, 2),
        "val_median_frac_err": r["val_median_frac_err"],
        "test_median_frac_err": med, "test_p95_frac_err": p95}))


if __name__ == "__main__":
    main()
