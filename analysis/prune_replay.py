#!/usr/bin/python3
"""Would ASHA have kept the winners? Replays a sweep run WITHOUT pruning
through ASHA's rule, from its journal's learning curves.

    /usr/bin/python3 analysis/prune_replay.py RUN [RUN ...] [--min-epochs 10] [--eta 3]

For each run (an output directory of `mlpsweep run` with no pruner), the
tasks are taken in the order they finished (the journal's order, as the
coordinator saw them) and judged at each rung (min_epochs * eta^k below the
run's max_epochs) by mlpsweep's ASHA rule (src/search/pruner.h: the task's
best validation loss so far at the rung must be among the best floor(n /
eta) of the n values recorded there so far, itself included, at least the
best one), fold by fold. A trial is pruned when one of its folds is.
Printed per run:
  * the rank correlation (Spearman) over trials between the folds' mean
    best-so-far validation loss at each rung and the trial's final CV
    metric: how well the rung predicts the end;
  * how many trials ASHA would keep, and whether the run's best trial and
    its top 5 would have been among them;
  * at which rung the best trial would have been pruned, and its rank
    there.
The rule is replayed on the finished curves, so the trials are the
no-pruning sampler's, not those a pruned TPE would have proposed; it
answers whether the rule itself discards the eventual best."""
import argparse
import json
import sys

import numpy as np


def spearman(a, b):
    ra = np.argsort(np.argsort(a))
    rb = np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def load(run):
    with open(run.rstrip("/") + "/trials.jsonl") as fh:
        lines = fh.read().splitlines()
    head = json.loads(lines[0])
    tasks = [json.loads(ln) for ln in lines[1:] if ln.strip()]
    return head, [t for t in tasks if t.get("status") == "ok" and t.get("curve")]


def best_so_far(curve, epoch):
    """Best validation loss over epochs <= epoch (curve: [epoch, train, val, lr] flattened)."""
    c = np.asarray(curve, dtype=float).reshape(-1, 4)
    v = c[c[:, 0] <= epoch, 2]
    v = v[np.isfinite(v)]
    return float(v.min()) if v.size else np.inf


def replay(run, min_epochs, eta):
    head, tasks = load(run)
    max_epochs = max(int(np.asarray(t["curve"]).reshape(-1, 4)[:, 0].max()) for t in tasks)
    rungs = []
    r = min_epochs
    while r < max_epochs:
        rungs.append(r)
        r *= eta
    # final CV metric per trial (complete trials only)
    folds = {}
    for t in tasks:
        folds.setdefault(t["trial"], {})[t["fold"]] = t
    n_folds = head.get("n_folds") or max(len(f) for f in folds.values())
    final = {tr: np.mean([f["metric"] for f in fs.values()]) for tr, fs in folds.items() if len(fs) == n_folds}
    # ASHA replay, fold-matched, in journal order
    recorded = {}  # (fold, rung) -> values
    pruned_at = {}  # trial -> (rung, rank, n)
    for t in tasks:
        last = int(np.asarray(t["curve"]).reshape(-1, 4)[:, 0].max())
        for r in rungs:
            if last < r:
                break
            v = best_so_far(t["curve"], r)
            vals = recorded.setdefault((t["fold"], r), [])
            vals.append(v)
            rank = int(np.sum(np.asarray(vals) < v))  # 0 = best so far
            keep = max(1, len(vals) // eta)
            if rank >= keep:
                pruned_at.setdefault(t["trial"], (r, rank + 1, len(vals)))
                break
    trials = sorted(final)
    order = sorted(trials, key=lambda tr: final[tr])
    best, top5 = order[0], order[:5]
    out = {"run": run, "rungs": rungs, "trials": len(trials), "best_trial": best,
           "best_metric": final[best], "spearman": {}, "kept": [tr for tr in trials if tr not in pruned_at]}
    for r in rungs:
        at = [np.mean([best_so_far(fs[f]["curve"], r) for f in fs]) for fs in (folds[tr] for tr in trials)]
        out["spearman"][r] = spearman(np.asarray(at), np.asarray([final[tr] for tr in trials]))
    out["best_pruned_at"] = pruned_at.get(best)
    out["top5_kept"] = sum(tr not in pruned_at for tr in top5)
    kept = out["kept"]
    out["best_kept_metric"] = min(final[tr] for tr in kept) if kept else float("nan")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Replay a no-pruning sweep through ASHA's rule.")
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--min-epochs", type=int, default=10)
    ap.add_argument("--eta", type=int, default=3)
    a = ap.parse_args(argv)
    for run in a.runs:
        try:
            o = replay(run, a.min_epochs, a.eta)
        except (OSError, ValueError, KeyError) as e:
            print(f"prune_replay.py: {run}: {e}", file=sys.stderr)
            return 2
        rho = ", ".join(f"epoch {r}: {o['spearman'][r]:.2f}" for r in o["rungs"])
        bp = o["best_pruned_at"]
        fate = ("kept" if bp is None else f"pruned at epoch {bp[0]} (rank {bp[1]} of {bp[2]} there)")
        print(f"{run}: {o['trials']} trials; Spearman(rung value, final metric) {rho}; ASHA keeps "
              f"{len(o['kept'])}; best trial {o['best_trial']} ({o['best_metric']:.4g}) {fate}; "
              f"top 5 kept: {o['top5_kept']}; best kept {o['best_kept_metric']:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
