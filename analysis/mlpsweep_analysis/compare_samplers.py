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

With --by-time (the pruning benchmark, analysis/bench_prune.sh) the axis
is cumulative training time instead of trials: each run's trials in the
order they ended, each adding its tasks' own seconds (an mlpsweep run's
journal, pruned and failed tasks included; an Optuna run's per-trial
seconds); only complete trials have a value (a pruned trial never counts as
a best). The table gives, per sampler, the median over seeds of the best
after T minutes of training (--times, default 1/10, 1/5, 1/3, 1/2 and 1 of
the reference's median training time; a run that ended before T keeps its
final best, and the cell says for how many seeds), and the training time at
which each seed first reaches the reference's median best (median over
seeds, and as a fraction of the reference's median training time). With
one worker per run, a task's seconds are its training's wall time on one
core, which equals its CPU time on an idle core; Optuna lines also carry
cpu_seconds, and the table prints their ratio (CPU / wall) as a check
of how busy the machine was.

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


def read_timeline(path, clock="cpu"):
    """(training seconds so far, value or NaN) per trial in the order the
    trials ended, value NaN unless the trial is complete, and how the
    seconds were measured. clock "wall": the tasks' (trials') own seconds;
    "cpu": an Optuna trial's cpu_seconds, and an mlpsweep task's seconds
    times its run's CPU share (cpu_share)."""
    if os.path.isdir(path):
        tl = Run(path).timeline()
        share = cpu_share(path, tl[-1][0] if tl else 0.0) if clock == "cpu" else None
        how = "task wall seconds" if share is None else f"task seconds x the run's CPU share {share:.2f}"
        return [t * (share or 1.0) for t, _, _ in tl], [v for _, _, v in tl], how
    times, vals, total, measured = [], [], 0.0, 0
    rows = optuna_io.read(path)
    for o in rows:
        use_cpu = clock == "cpu" and "cpu_seconds" in o
        measured += use_cpu
        total += o["cpu_seconds"] if use_cpu else o.get("seconds", 0.0)
        times.append(total)
        vals.append(optuna_io.value(o) if o.get("state", "complete") == "complete" else math.nan)
    how = ("trial CPU seconds" if measured == len(rows) else "trial wall seconds" if not measured
           else f"trial CPU seconds ({len(rows) - measured} trials: wall)")
    return times, vals, how


def cpu_share(out, task_seconds):
    """An mlpsweep run's CPU time over its tasks' summed (wall) seconds, at
    most 1, from OUT.cpu beside the output directory: one line "elapsed
    user system" per invocation, as `/usr/bin/time -a -o OUT.cpu -f '%e %U
    %S'` writes them (analysis/bench_tpe.sh does). With one rank training
    one task at a time this is the share of the tasks' wall time they had a
    core (start-up and the sampler count as training: a slight
    overestimate). None without the file."""
    f = out.rstrip("/") + ".cpu"
    if not os.path.exists(f) or task_seconds <= 0:
        return None
    cpu = 0.0
    with open(f) as fh:
        for ln in fh:
            parts = ln.split()
            if len(parts) == 3:
                try:
                    cpu += float(parts[1]) + float(parts[2])
                except ValueError:
                    pass  # /usr/bin/time's "Command exited with non-zero status" line
    return min(1.0, cpu / task_seconds) if cpu > 0 else None


def best_at(times, bests, t):
    """The best so far after t seconds of training (inf before any)."""
    i = int(np.searchsorted(np.asarray(times), t, side="right"))
    return bests[i - 1] if i else math.inf


def reach_time(times, bests, bar):
    """Training seconds at which the best so far first reaches bar; inf if never."""
    return next((t for t, b in zip(times, bests) if b <= bar), math.inf)


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


def print_tests(cells, target, points, what):
    """One-sided Mann-Whitney p-values both ways: the target better than each
    other label, and that label better than the target. cells[label][seed][j]
    is a seed's value at points[j] (None: the seed does not have it)."""
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        print("\n(no scipy: significance tests skipped; Debian: python3-scipy)")
        return
    print(f"\none-sided Mann-Whitney p after {', '.join(map(str, points))} {what}:")
    for label, bs in cells.items():
        if label == target:
            continue
        for name, a, b in ((f"{target} better than {label}", cells[target], bs),
                           (f"{label} better than {target}", bs, cells[target])):
            ps = []
            for j in range(len(points)):
                x = [c[j] for c in a if c[j] is not None]
                y = [c[j] for c in b if c[j] is not None]
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


def by_time(a):
    """--by-time: the table and plot against cumulative training time."""
    groups, hows = {}, {}
    for spec in a.run:
        try:
            tls = [read_timeline(p, a.clock) for p in spec[1:]]
        except (OSError, ValueError, KeyError) as e:  # ValueError: also a line that is not JSON
            print(f"compare_samplers.py: {spec[0]}: {e}", file=sys.stderr)
            return 2
        groups[spec[0]] = [(t, best_so_far(v)) for t, v, _ in tls]
        hows[spec[0]] = [h for _, _, h in tls]
    ref = groups[a.reference]
    if not all(b for _, b in ref) or not all(math.isfinite(b[-1]) for _, b in ref):
        print(f"compare_samplers.py: {a.reference} has a seed without a complete trial: no bar to reach",
              file=sys.stderr)
        return 2
    bar = statistics.median(b[-1] for _, b in ref)
    ref_time = statistics.median(t[-1] for t, _ in ref)
    n_ref = sorted({len(b) for _, b in ref})
    if a.times:
        points = [float(x) * 60 for x in a.times.split(",")]
    else:
        points = [ref_time * f for f in (0.1, 0.2, 1 / 3, 0.5, 1.0)]
    print(f"bar: {a.reference}'s median best-of-{'/'.join(map(str, n_ref))} = {fmt(bar)}; "
          f"its median training time {fmt_seconds(ref_time)}")
    print("| sampler | seeds | trials | training time (median) | " + " | ".join(f"best at {fmt_seconds(t)}" for t in points)
          + f" | time to {a.reference}'s median best (median) | / {a.reference}'s time |")
    print("|---|---:|---:|---:|" + "---:|" * len(points) + "---:|---:|")
    cells = {}
    for label, runs in groups.items():
        cells[label] = [[best_at(t, b, x) for x in points] for t, b in runs]
        row = []
        for j, x in enumerate(points):
            ended = sum(1 for t, _ in runs if not t or t[-1] < x)
            row.append(fmt(median([c[j] for c in cells[label]]))
                       + (f" ({ended} of {len(runs)} ended)" if ended and label != a.reference else ""))
        reach = [reach_time(t, b, bar) for t, b in runs]
        mr = statistics.median(reach)
        shown = fmt_seconds(mr) if math.isfinite(mr) else "not reached"
        n_reached = sum(math.isfinite(r) for r in reach)
        frac = f"{mr / ref_time:.2f}" if math.isfinite(mr) else "-"
        print(f"| {label} | {len(runs)} | {statistics.median(len(b) for _, b in runs):g} | "
              f"{fmt_seconds(median([t[-1] if t else 0.0 for t, _ in runs]))} | " + " | ".join(row)
              + f" | {shown} ({n_reached} of {len(runs)} seeds reach it) | {frac} |")
    print(f"\ntraining time ({a.clock}): " + "; ".join(f"{label}: {', '.join(sorted(set(h)))}" for label, h in hows.items()))
    print("per seed, training time to reach the bar: " + "; ".join(
        f"{label}: " + ", ".join(fmt_seconds(r) if math.isfinite(r) else "never"
                                 for r in (reach_time(t, b, bar) for t, b in runs))
        for label, runs in groups.items()))
    if a.target and a.target in groups:
        print_tests({lab: [[None if math.isinf(v) else v for v in c] for c in cs] for lab, cs in cells.items()},
                    a.target, [fmt_seconds(x) for x in points], "of training")
    if a.output:
        plot_by_time(groups, a.output, bar, a.reference, a.clock)
    return 0


def plot_by_time(groups, path, bar, reference, clock):
    """Best so far against training minutes: per seed thin, the median over
    seeds thick (up to the time the shortest seed of the label ended)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for label, runs in groups.items():
        ends = [t[-1] for t, _ in runs if t]
        grid = np.linspace(0, min(ends), 400) if ends else []
        med = [statistics.median(best_at(t, b, x) for t, b in runs) for x in grid]
        fin = [i for i, v in enumerate(med) if math.isfinite(v)]
        (ln,) = ax.plot(grid[fin] / 60, np.asarray(med)[fin], lw=2, label=f"{label} (median of {len(runs)})")
        for t, b in runs:
            ok = [i for i, v in enumerate(b) if math.isfinite(v)]
            ax.step(np.asarray(t)[ok] / 60, np.asarray(b)[ok], where="post", lw=0.6, alpha=0.35,
                    color=ln.get_color())
    ax.axhline(bar, color="0.3", ls=":", lw=0.9)
    ax.annotate(f"{reference}'s median best", xy=(1, bar), xycoords=("axes fraction", "data"),
                xytext=(-4, 3), textcoords="offset points", ha="right", va="bottom", fontsize=8, color="0.3")
    ax.set_yscale("log")
    ax.set_xlabel(f"cumulative training {'CPU' if clock == 'cpu' else 'wall'} time (min, one core)")
    ax.set_ylabel("best CV metric so far (complete trials)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(path)


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
    ap.add_argument("--by-time", action="store_true",
                    help="best so far against cumulative training time, not trials (needs --reference)")
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                    help="with --by-time: training CPU time (where measured; see read_timeline) or wall time")
    ap.add_argument("--times", help="with --by-time: training minutes for the table (default: fractions of "
                    "the reference's median training time)")
    a = ap.parse_args(argv)
    if any(len(spec) < 2 for spec in a.run):
        ap.error("--run needs a label and at least one path")
    if a.by_time:
        if not a.reference or a.reference not in [spec[0] for spec in a.run]:
            ap.error("--by-time needs --reference, one of the --run labels")
        return by_time(a)
    groups = {}
    for spec in a.run:
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
        print_tests({lab: [[c[n - 1] if len(c) >= n else None for n in at] for c in bs] for lab, bs in curves.items()},
                    a.target, at, "trials")
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
