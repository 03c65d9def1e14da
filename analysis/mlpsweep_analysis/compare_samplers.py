"""Compares samplers run on the same problem with several seeds: mlpsweep
output directories and Optuna runs (JSON lines from analysis/optuna_tpe.py).

    /usr/bin/python3 analysis/compare_samplers.py \\
        --run tpe runs/b/tpe-1 runs/b/tpe-2 runs/b/tpe-3 \\
        --run random runs/b/random-1 runs/b/random-2 runs/b/random-3 \\
        --run optuna runs/b/optuna-1.jsonl runs/b/optuna-2.jsonl runs/b/optuna-3.jsonl \\
        [--reference random --target tpe] [--at 10,20,30,60] [--within 30] [-o best_so_far.png]

Prints a Markdown table: per sampler, the median over seeds of the best
metric after N trials (over the seeds that have N, saying so when some stop
short), the median wall time and the median training time,
and (with --reference and
--target) the trial at which the target reaches the reference's final best,
per seed and as the median, and over all pairs of seeds (median, and how
many pairs reach it within --within trials). With --target, also one-sided
Mann-Whitney p-values per trial count, both ways between the target and
each other sampler (scipy; seeds are independent runs, not pairs). Failed or
diverged trials count as bad, not as missing. Exit code 2 on unreadable
input.

Wall time is an mlpsweep run's summary `sweep_seconds_total` (every
start of a resumed sweep), or `sweep_seconds` (the last start only) from a
summary without it, and an Optuna run's `elapsed`, which a --resume carries
on. Training time is the sum of the tasks' (Optuna: the trials')
own seconds, so it covers every invocation; with one worker per run it is
the wall time less start-up and the sampler's own cost.
"""
import argparse
import math
import os
import statistics
import sys

import numpy as np

from . import optuna_io
from .plots import best_so_far as running_min
from .results import Run


def read_run(path):
    """(values in trial order, NaN for a failed trial; wall seconds or None;
    training seconds)."""
    if os.path.isdir(path):
        r = Run(path)
        tr, m = r.metric_values()
        train = sum(t.get("seconds_sum") or 0.0 for t in r.trials)
        s = r.summary or {}
        return list(m[np.argsort(tr)]), s.get("sweep_seconds_total", s.get("sweep_seconds")), train
    rows = sorted(optuna_io.read(path), key=lambda o: o["trial"])
    vals = [optuna_io.value(o) for o in rows]
    return vals, (rows[-1].get("elapsed") if rows else None), sum(o.get("seconds", 0.0) for o in rows)


def fmt_seconds(t):
    return "-" if t is None else f"{t:.0f} s" if t < 120 else f"{t / 60:.1f} min"


def best_so_far(vals):
    """Running minimum; before the first successful trial, inf (not a value)."""
    return [math.inf if math.isnan(b) else float(b) for b in running_min(np.asarray(vals, dtype=float))]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v):
    if v is None:
        return "-"
    if math.isinf(v):
        return "inf"
    return f"{100 * v:.3f}%" if v < 1 else f"{v:.4g}"


def print_tests(curves, target, at):
    """One-sided Mann-Whitney p-values both ways: the target better than each
    other label, and that label better than the target."""
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        print("\n(no scipy: significance tests skipped; Debian: python3-scipy)")
        return
    print(f"\none-sided Mann-Whitney p after {', '.join(map(str, at))} trials:")
    for label, bs in curves.items():
        if label == target:
            continue
        for name, a, b in ((f"{target} better than {label}", curves[target], bs),
                           (f"{label} better than {target}", bs, curves[target])):
            ps = []
            for n in at:
                x = [c[n - 1] for c in a if len(c) >= n]
                y = [c[n - 1] for c in b if len(c) >= n]
                ps.append(f"{mannwhitneyu(x, y, alternative='less').pvalue:.3f}" if x and y else "-")
            print(f"  {name}: " + " / ".join(ps))


def print_reach(ref, tgt, reference, target, within):
    """The trial at which each target seed reaches the reference seed's final
    best: per seed, and over all pairs of seeds."""
    if not all(ref):
        print(f"\n{reference} has a seed without a finished trial: no best to reach yet")
        return
    if len(ref) != len(tgt):
        print("compare_samplers.py: warning: unequal seed counts; pairing by position", file=sys.stderr)

    def hit(r, t):  # first trial at which t reaches r's final best; inf if never
        return next((i + 1 for i, v in enumerate(t) if v <= r[-1]), math.inf)

    def show(m):
        return str(m) if math.isfinite(m) else "not reached"
    hits = [hit(r, t) for r, t in zip(ref, tgt)]
    shown = ", ".join(str(h) if math.isfinite(h) else f">{len(t)}" for h, t in zip(hits, tgt))
    sizes = sorted({len(r) for r in ref})
    print(f"\n{target} reaches {reference}'s best-of-{'/'.join(map(str, sizes))} at trial: {shown} "
          f"(median {show(statistics.median(hits))})")
    # Seeds are independent runs, so pairing seed k with seed k is
    # arbitrary: the median over every (reference, target) pair estimates
    # the same quantity with less variance.
    allp = [hit(r, t) for r in ref for t in tgt]
    print(f"over all {len(ref)} x {len(tgt)} pairs of seeds: median {show(statistics.median(allp))}, "
          f"reached within {within} trials in {sum(h <= within for h in allp)} of {len(allp)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", nargs="+", action="append", required=True, metavar=("LABEL", "PATH"),
                    help="a label, then one mlpsweep output directory or Optuna .jsonl per seed")
    ap.add_argument("--at", default="10,20,30,60", help="trial counts for the table")
    ap.add_argument("--reference", help="label whose final best is the bar (e.g. random)")
    ap.add_argument("--target", help="label that should reach it (e.g. tpe)")
    ap.add_argument("--within", type=int, default=30,
                    help="trial budget the target should reach it in (default 30)")
    ap.add_argument("-o", "--output", help="also plot best-so-far (median over seeds) to this image")
    a = ap.parse_args(argv)
    groups = {}
    for spec in a.run:
        if len(spec) < 2:
            ap.error("--run needs a label and at least one path")
        try:
            groups[spec[0]] = [read_run(p) for p in spec[1:]]
        except (OSError, ValueError, KeyError) as e:  # ValueError: also a line that is not JSON
            print(f"compare_samplers.py: {spec[0]}: {e}", file=sys.stderr)
            return 2
    at = [int(s) for s in a.at.split(",")]
    print("| sampler | seeds | " + " | ".join(f"best after {n}" for n in at)
          + " | wall time (median) | training time (median) |")
    print("|---|---:|" + "---:|" * len(at) + "---:|---:|")
    curves = {}
    for label, runs in groups.items():
        bs = [best_so_far(v) for v, _, _ in runs]
        curves[label] = bs
        cells = []
        for n in at:
            have = [b[n - 1] for b in bs if len(b) >= n]
            # a run stopped short of n trials: the median is over fewer seeds
            cells.append(fmt(median(have)) + (f" ({len(have)} of {len(bs)} seeds)" if 0 < len(have) < len(bs) else ""))
        wall, train = median([w for _, w, _ in runs]), median([t for _, _, t in runs])
        print(f"| {label} | {len(runs)} | " + " | ".join(cells) + f" | {fmt_seconds(wall)} | {fmt_seconds(train)} |")
    if a.target and a.target in curves:
        print_tests(curves, a.target, at)
    if a.reference and a.target:
        if a.reference not in curves or a.target not in curves:
            print("compare_samplers.py: --reference/--target must be labels of --run", file=sys.stderr)
            return 2
        print_reach(curves[a.reference], curves[a.target], a.reference, a.target, a.within)
    if a.output:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for label, bs in curves.items():
            n = min(len(b) for b in bs)
            med = [statistics.median(b[i] for b in bs) for i in range(n)]
            ax.plot(range(1, n + 1), med, label=f"{label} (median of {len(bs)})", lw=2)
            for b in bs:
                ax.plot(range(1, len(b) + 1), b, lw=0.6, alpha=0.35, color=ax.lines[-1].get_color())
        ax.set_yscale("log")
        ax.set_xlabel("trial")
        ax.set_ylabel("best CV metric so far")
        ax.legend()
        fig.tight_layout()
        fig.savefig(a.output, dpi=120)
        print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
