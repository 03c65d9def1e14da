"""The plots of one mlpsweep output directory (matplotlib, Agg backend).

Each plot_* function takes a Run (results.py) and returns a
matplotlib Figure, or None when the run has nothing to show (no final model
for the test-set plots, no history, fewer than two searched parameters...).
report.py embeds them in report.html; as a command this writes them as PNG:

    /usr/bin/python3 analysis/plots.py OUT [-o OUT/plots] [--data DATA.h5] [--top 6]
"""
import argparse
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from .results import LOG_DISTS, Run, fmt, fmt_metric, is_frac, is_pruned  # noqa: E402

FAIL_COLOR = "#d62728"
MAX_HEATMAP_ROWS = 150  # beyond this, heatmap rows are medians over groups of test rows
# report.html shows the figures at 100 dpi in a page at most 1400 px wide
# (less on a laptop): no figure wider than this, so that none is scaled
# down in the browser, and no text smaller than SMALL points (11 px).
MAX_WIDTH_IN = 12.0
SMALL = 8.5


def _metric_scale(metric):
    """(factor, unit) of a metric on the plots: fractional errors in percent,
    as the report's tables and the terminal give them."""
    return (100.0, "%") if is_frac(metric) else (1.0, "")


def _with_unit(label, unit):
    return f"{label} ({unit})" if unit else label


def _is_num(values):
    try:
        [float(v) for v in values]
        return True
    except (TypeError, ValueError):
        return False


def _logscale_ok(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return len(v) > 0 and v.min() > 0 and v.max() / v.min() > 20


def _param_axis(run, name, dist):
    """-> (kind, values per trial as float, tick labels or None, log?)
    kind 'num' or 'cat' (categories mapped to 0..k-1, in first-seen order or
    numerically sorted)."""
    raw = [t["params"].get(name, "") for t in run.trials]
    if _is_num(raw):
        v = np.array([float(x) for x in raw])
        # log axes for log distributions, and for value lists spanning decades
        return "num", v, None, bool(v.min() > 0 and (dist in LOG_DISTS or v.max() / v.min() >= 10))
    cats = []
    for x in raw:
        if x not in cats:
            cats.append(x)
    return "cat", np.array([cats.index(x) for x in raw], dtype=float), cats, False


def log_ticks(lo, hi):
    """Tick values for a log axis over [lo, hi]: the first of the decades,
    the 1-3 steps, the 1-2-5 steps and the 1..9 steps that gives three or
    more (at most six: a panel a third of the page wide holds that many
    labels like 0.0003 side by side), else three values spread over the
    range in log, rounded to as few significant digits as keep them apart."""
    if not (lo > 0 and hi > lo and math.isfinite(hi)):
        return []
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for subs in ((1,), (1, 3), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        t = [float(f"{m * 10.0 ** k:.12g}") for k in range(k0, k1 + 1) for m in subs]
        t = [v for v in t if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
        if len(t) >= 3:
            while len(t) > 6:  # many decades: every other one
                t = t[::2]
            return t
    r = hi / lo  # three values inside the range, rounded as little as keeps them apart and inside
    for digits in range(2, 8):
        t = sorted({float(f"{lo * r ** f:.{digits}g}") for f in (0.1, 0.5, 0.9)})
        t = [v for v in t if lo <= v <= hi]
        if len(t) == 3:
            break
    return t


def _plain_log_ticks(axis, lo=None, hi=None):
    """A log axis labelled with plain numbers (16, 0.002, 1e-05) at
    log_ticks(lo, hi) (default: the axis' current view), minor ticks
    unlabelled: readable however few values or decades the axis spans."""
    if lo is None or hi is None:
        ax = axis.axes  # its limits, brought up to date (the axis' own may be stale)
        lo, hi = sorted(ax.get_xlim() if axis is ax.xaxis else ax.get_ylim())
    t = log_ticks(lo, hi)
    if t:
        axis.set_major_locator(matplotlib.ticker.FixedLocator(t))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def best_so_far(metric):
    """Running minimum over trials, NaN (failed) trials skipped."""
    out, cur = np.empty(len(metric)), np.nan
    for i, m in enumerate(metric):
        if np.isfinite(m) and not (m >= cur):
            cur = m
        out[i] = cur
    return out


# --- sweep plots -----------------------------------------------------------

def plot_learning_curves(run, top=6):
    """Train (dashed) and validation (solid) loss per fold of the best trials.
    With pruning, each panel also draws faintly the validation curves of the
    pruned tasks of the same folds (the curves the pruner compared these
    with; a cross where each was stopped) and marks the rung epochs."""
    best = run.ranked()[:top]
    curves = [(t, run.history(t["trial"])) for t in best]
    curves = [(t, h) for t, h in curves if h]
    if not curves:
        return None
    pruned = run.pruned_tasks()
    rungs = run.rungs()
    n = len(curves)
    ncol = min(3, n)
    nrow = (n + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(min(4.6 * ncol, MAX_WIDTH_IN), 3.4 * nrow), squeeze=False)
    colors = plt.cm.tab10.colors
    for ax, (t, hist) in zip(axes.flat, curves):
        lr_varies = False
        for f, a in hist.items():
            c = colors[f % 10]
            ax.plot(a[:, 0], a[:, 2], "-", color=c, lw=1.4, label=f"fold {f} val")
            ax.plot(a[:, 0], a[:, 1], "--", color=c, lw=1.0, alpha=0.7, label=f"fold {f} train")
            fin = np.isfinite(a[:, 2])
            if fin.any():
                i = int(np.nanargmin(np.where(fin, a[:, 2], np.inf)))
                ax.plot(a[i, 0], a[i, 2], "o", color=c, ms=4)
            lr_varies |= a.shape[0] > 1 and np.ptp(a[:, 3]) > 0
        loss = np.concatenate([np.concatenate([a[:, 1], a[:, 2]]) for a in hist.values()])
        if _logscale_ok(loss) or (np.nanmin(loss) > 0 and np.nanmax(loss) / np.nanmin(loss) > 5):
            ax.set_yscale("log")
        if pruned or rungs:
            _draw_pruned(ax, [p for p in pruned if p.get("fold") in hist], rungs, colors)
        if ax.get_yscale() == "log":
            _plain_log_ticks(ax.yaxis)
        if lr_varies:
            ax2 = ax.twinx()
            for a in hist.values():
                ax2.plot(a[:, 0], a[:, 3], ":", color="0.5", lw=0.8)
            ax2.set_yscale("log")
            _plain_log_ticks(ax2.yaxis)
            ax2.set_ylabel("learning rate (dotted)", fontsize=SMALL, color="0.4")
            ax2.tick_params(labelsize=SMALL, colors="0.4")
        ax.set_title(f"trial {t['trial']}: {run.metric} {fmt_metric(run.metric, t['metric_mean'])}", fontsize=9)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss (transformed targets)")
        ax.grid(alpha=0.3, which="both")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=SMALL, ncol=2, loc="best")
    what = "solid: validation, dashed: training; dot: best epoch"
    if pruned:
        what += f";\nfaint: pruned tasks of the same fold ({len(pruned)} in all), x where stopped"
    if rungs:
        what += "; grey verticals: rungs"
    fig.suptitle(f"Learning curves of the {n} best trials ({what})")
    fig.tight_layout()
    return fig


MAX_RUNG_LINES = 12  # a median pruner decides at every epoch: lines there would hide the curves


def _draw_pruned(ax, pruned, rungs, colors):
    """Pruned tasks' validation curves, faint and in their fold's colour, a
    cross at the decision (rung, pruned_value), and the rungs as vertical
    lines (gids "pruned", "pruned_at", "rung", for tests); the axes keep the limits of the panel's own curves, so that an
    early, high pruned curve does not squash them."""
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    for p in pruned:
        a, c = p["curve"], colors[p["fold"] % 10]
        if len(a):
            ax.plot(a[:, 0], a[:, 2], "-", color=c, lw=0.7, alpha=0.25, gid="pruned")
        x, y = (a[-1, 0], a[-1, 2]) if len(a) else (None, None)
        if p.get("pruned_fold", p.get("fold")) == p.get("fold"):  # else stopped because another fold was pruned
            x, y = p.get("rung", x), p.get("pruned_value", y)
        if x is not None and y is not None and np.isfinite([x, y]).all():
            ax.plot(x, y, "x", color=c, ms=4, alpha=0.5, gid="pruned_at")
    if len(rungs) <= MAX_RUNG_LINES:
        for r in rungs:
            if xlim[0] <= r <= xlim[1]:
                ax.axvline(r, color="0.55", ls="-", lw=0.7, alpha=0.6, zorder=0, gid="rung")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)


def _no_value_label(run, ok):
    """What the trials without a value are: "failed", "pruned" or "failed / pruned"."""
    pr = {is_pruned(t) for t, good in zip(run.trials, ok) if not good}
    return " / ".join(w for w, on in (("failed", False in pr), ("pruned", True in pr)) if on)


def plot_metric_vs_params(run):
    """Trial metric (mean over folds, bar = std) against each searched parameter."""
    if not run.params:
        return None
    tr, m = run.metric_values()
    std = np.array([t.get("metric_std", np.nan) for t in run.trials], dtype=float)
    ok = np.isfinite(m)
    if not ok.any():
        return None
    scale, unit = _metric_scale(run.metric)
    m, std = m * scale, std * scale
    best = np.nanargmin(m)
    n = len(run.params)
    ncol = min(3, n)
    nrow = (n + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(min(3.6 * ncol + 1.2, MAX_WIDTH_IN), 3.4 * nrow + 0.5),
                             squeeze=False, sharey=True, layout="constrained")
    ylog = _logscale_ok(m[ok])
    top = np.nanmax(m) * (1.6 if ylog else 1.0) + (0 if ylog else 0.08 * (np.nanmax(m) - np.nanmin(m) + 1e-300))
    rng = np.random.default_rng(0)
    for ax, (name, dist) in zip(axes.flat, run.params):
        kind, v, cats, xlog = _param_axis(run, name, dist)
        x = v + (rng.uniform(-0.1, 0.1, len(v)) if kind == "cat" else 0)
        sc = ax.scatter(x[ok], m[ok], c=tr[ok], cmap="viridis", s=22, zorder=3, edgecolors="none")
        ax.errorbar(x[ok], m[ok], yerr=np.where(np.isfinite(std[ok]), std[ok], 0), fmt="none",
                    ecolor="0.6", lw=0.7, zorder=2)
        ax.scatter([x[best]], [m[best]], s=120, facecolors="none", edgecolors="k", lw=1.5, zorder=4,
                   label="best")
        if (~ok).any():
            what = _no_value_label(run, ok)
            ax.scatter(x[~ok], np.full((~ok).sum(), top), marker="x", color=FAIL_COLOR, s=30, zorder=3,
                       label=what.replace("failed", "failed / diverged"))
        if kind == "cat":
            ax.set_xticks(range(len(cats)))
            ax.set_xlim(-0.5, len(cats) - 0.5)
            ax.set_xticklabels(cats, rotation=30 if max(len(c) for c in cats) > 5 else 0, fontsize=SMALL)
        else:
            uniq = np.unique(v)
            # A list of values (grid, categorical): tick exactly those. A
            # distribution: ticks at round numbers, not at each trial's
            # value (a few trials drawn close together made labels overlap).
            listed = dist == "categorical" or (not dist and len(uniq) <= 8)
            if xlog:
                ax.set_xscale("log")
                _plain_log_ticks(ax.xaxis)
            if listed:
                ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(uniq))
                ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda u, _: f"{u:g}"))
                ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            elif np.all(v == np.round(v)) and not xlog:
                ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_xlabel(name + (" (log)" if xlog else ""))
        ax.grid(alpha=0.3, which="major")
    for ax in axes[:, 0]:
        ax.set_ylabel(_with_unit(f"{run.metric}, CV mean", unit))
    if ylog:
        axes.flat[0].set_yscale("log")
        _plain_log_ticks(axes.flat[0].yaxis)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=SMALL)
    cb = fig.colorbar(sc, ax=axes.ravel().tolist(), label="trial number", shrink=0.8)
    cb.locator = matplotlib.ticker.MaxNLocator(integer=True)
    cb.update_ticks()
    fig.suptitle(f"{run.metric} against each searched hyperparameter (colour: trial order)")
    return fig


def plot_parallel(run):
    """Parallel coordinates: one axis per searched parameter, then the metric;
    one line per trial coloured by its metric (failed and pruned trials grey, dashed)."""
    if not run.params:
        return None
    tr, m = run.metric_values()
    ok = np.isfinite(m)
    if not ok.any():
        return None
    scale, unit = _metric_scale(run.metric)
    m = m * scale
    axes_def = []  # (label, normalised values in [0, 1], tick positions, tick labels)
    for name, dist in run.params:
        kind, v, cats, xlog = _param_axis(run, name, dist)
        if kind == "cat":
            k = max(len(cats) - 1, 1)
            axes_def.append((name, v / k, [i / k for i in range(len(cats))], cats))
            continue
        w = np.log10(v) if xlog else v
        lo, hi = w.min(), w.max()
        span = hi - lo if hi > lo else 1.0
        uniq = np.unique(w)
        ticks = uniq if len(uniq) <= 6 else np.linspace(lo, hi, 5)
        labels = [fmt(float(10 ** t if xlog else t), 3) for t in ticks]
        axes_def.append((name + (" (log)" if xlog else ""), (w - lo) / span, list((ticks - lo) / span), labels))
    ylog = _logscale_ok(m[ok])
    mm = np.log10(m[ok]) if ylog else m[ok]
    lo, hi = mm.min(), mm.max()
    span = hi - lo if hi > lo else 1.0
    mnorm = np.full(len(m), 1.08)  # failed trials above the top
    mnorm[ok] = (mm - lo) / span
    # The metric's ticks at round values (the same on its colour bar).
    vlo, vhi = m[ok].min(), m[ok].max()
    if ylog:
        mt = np.array(log_ticks(vlo, vhi))
    else:
        mt = matplotlib.ticker.MaxNLocator(5).tick_values(vlo, vhi)
        mt = mt[(mt >= vlo - 1e-12 * abs(vlo)) & (mt <= vhi + 1e-12 * abs(vhi))]
    # and at the best and worst values, where the lines end (round ticks
    # too close to them dropped)
    near = 0.08 * ((np.log10(vhi) - np.log10(vlo)) if ylog else (vhi - vlo))
    pos = (lambda v: np.log10(v)) if ylog else (lambda v: v)
    mt = np.unique(np.concatenate([[vlo, vhi], [t for t in mt if min(abs(pos(t) - pos(vlo)),
                                                                     abs(pos(t) - pos(vhi))) > near]]))
    tpos = list(((np.log10(mt) if ylog else mt) - lo) / span)
    tlab = [fmt(float(t), 3) for t in mt]
    if (~ok).any():  # a "failed" (or "pruned") mark only when a trial failed (was pruned)
        tpos, tlab = tpos + [1.08], tlab + [_no_value_label(run, ok)]
    axes_def.append((_with_unit(run.metric + (", log" if ylog else ""), unit), mnorm, tpos, tlab))
    k = len(axes_def)
    fig, ax = plt.subplots(figsize=(min(max(7, 1.9 * k), MAX_WIDTH_IN), 4.8))
    xs = np.arange(k)
    Y = np.array([a[1] for a in axes_def]).T  # (trials, axes)
    cmap = plt.cm.viridis  # best (lowest) dark, worst light
    order = np.argsort(np.where(ok, -mnorm, -10))  # failed first, best last (on top)
    best = int(np.nanargmin(m))
    for i in order:
        if not ok[i]:
            ax.plot(xs, Y[i], "--", color="0.7", lw=0.8, zorder=1)
        else:
            c = cmap(mnorm[i])
            ax.plot(xs, Y[i], "-", color=c, lw=3.0 if i == best else 1.1, alpha=1 if i == best else 0.75,
                    zorder=3 if i == best else 2)
    for j, (label, _, tpos, tlab) in enumerate(axes_def):
        ax.axvline(j, color="k", lw=0.8, zorder=0)
        for p, s in zip(tpos, tlab):
            ax.text(j + 0.04, p, s, fontsize=9, va="center", ha="left",
                    bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.7), zorder=5)
    ax.set_xticks(xs)
    ax.set_xticklabels([a[0] for a in axes_def], fontsize=10)
    ax.set_yticks([])
    ax.set_xlim(-0.2, k - 0.6)
    ax.set_ylim(-0.06, 1.14)
    for s in ("top", "right", "left"):
        ax.spines[s].set_visible(False)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=LogNorm(vlo, vhi) if ylog else plt.Normalize(vlo, vhi))
    cb = fig.colorbar(sm, ax=ax, label=_with_unit(run.metric, unit), pad=0.02)
    cb.set_ticks(mt)
    cb.set_ticklabels(tlab[:len(mt)])
    cb.ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    failed = f"; dashed grey: {_no_value_label(run, ok)}" if (~ok).any() else ""
    ax.set_title(f"Parallel coordinates of {len(m)} trials (thick: best trial {tr[best]}{failed})")
    fig.tight_layout()
    return fig


def plot_best_so_far(runs, labels=None, ax=None):
    """Best metric so far against trial number, one line per run (same label,
    same colour); finished trials as dots; the legend gives each label's
    best, and with one label a dotted line marks it. runs: list of Run."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.3))
    colors = plt.cm.tab10.colors
    metrics = sorted({r.metric for r in runs})
    scale, unit = _metric_scale(metrics[0]) if len(metrics) == 1 else (1.0, "")
    seen = {}  # label -> colour; a repeated label (e.g. seeds of one sampler) shares it
    bests, lines = {}, {}
    allv = []
    for i, run in enumerate(runs):
        lab = labels[i] if labels and i < len(labels) else run.label
        first = lab not in seen
        c = seen.setdefault(lab, colors[len(seen) % 10])
        tr, m = run.metric_values()
        m = m * scale
        n = tr
        ok = np.isfinite(m)
        (ln,) = ax.step(n, best_so_far(m), where="post", color=c, lw=1.8)
        if first:
            lines[lab] = ln
        ax.plot(n[ok], m[ok], ".", color=c, alpha=0.35, ms=5)
        allv.extend(m[ok])
        if ok.any():
            bests[lab] = min(bests.get(lab, np.inf), float(np.min(m[ok])))
    ylog = _logscale_ok(allv) or (len(allv) and min(allv) > 0 and max(allv) / min(allv) > 5)
    if ylog:
        ax.set_yscale("log")
    if len(bests) == 1:  # one label: a line at its best, so that the value reads off the axis
        (lab, b), = bests.items()
        ax.axhline(b, color=seen[lab], ls=":", lw=0.9)
        # below the line, at the right: no trial lies under the final best
        ax.annotate(f"best {fmt(b, 4)}{unit}", xy=(1, b), xycoords=("axes fraction", "data"), xytext=(-4, -3),
                    textcoords="offset points", ha="right", va="top", fontsize=9, color=seen[lab])
        lo, hi = ax.get_ylim()
        if ax.get_yscale() == "log":
            ax.set_ylim(min(lo, b / (hi / b) ** 0.12), hi)
        else:
            ax.set_ylim(min(lo, b - 0.12 * (hi - b)), hi)
    if ylog:
        _plain_log_ticks(ax.yaxis)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("trial (in the order proposed)")
    ax.set_ylabel(_with_unit(" / ".join(metrics), unit))
    ax.grid(alpha=0.3, which="both")
    ax.legend(list(lines.values()),
              [f"{lab} (best {fmt(bests[lab], 4)}{unit})" if lab in bests else lab for lab in lines],
              fontsize=SMALL)
    ax.set_title("Best so far against trial number (dots: each trial)")
    if fig:
        fig.tight_layout()
    return fig


# --- test-set plots ----------------------------------------------------------

def _test(run):
    tp = run.test_predictions()
    if tp is None:
        return None
    X, Y, P = tp
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(Y != 0, P / Y - 1.0, np.nan)
    info = run.data_info(X.shape[1], Y.shape[1])
    return X, Y, P, frac, info


def target_label(info, what):
    """'true [counts]': an axis of target values, with the data file's unit
    when it gives one."""
    u = info["target_units"]
    return f"{what} [{u}]" if u else f"{what} (data units)"


def _grid_colorbar(fig, sc, axes, info):
    """The colour bar of the output grid (or bin index), plainly ticked."""
    cb = fig.colorbar(sc, ax=axes, label=info["grid_label"] if info["grid"] is not None else "output bin")
    if info["grid"] is not None and np.all(info["grid"] > 0):
        _plain_log_ticks(cb.ax.yaxis, cb.norm.vmin, cb.norm.vmax)
    return cb


def _grid_x(info, m):
    g = info["grid"]
    if g is None:
        return np.arange(m, dtype=float), "output bin", False
    return g, info["grid_label"], bool(np.all(g > 0) and g.max() / g.min() > 20)


def plot_parity(run):
    """Predicted against true for every test row and output, and the
    fractional residual against the true value (which the parity panel hides
    when the values span decades)."""
    t = _test(run)
    if t is None:
        return None
    X, Y, P, frac, info = t
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.5, 4.8), layout="constrained")
    pos = bool(np.all(Y > 0) and np.all(P > 0))
    m = Y.shape[1]
    cols = np.broadcast_to(np.arange(m), Y.shape)
    cval = (info["grid"][cols] if info["grid"] is not None else cols).ravel()
    norm = LogNorm() if info["grid"] is not None and np.all(info["grid"] > 0) else None
    kw = dict(c=cval, s=2, alpha=0.6, cmap="plasma", norm=norm, rasterized=True, edgecolors="none")
    sc = ax.scatter(Y.ravel(), P.ravel(), **kw)
    lo, hi = np.nanmin([Y.min(), P.min()]), np.nanmax([Y.max(), P.max()])
    ax.plot([lo, hi], [lo, hi], "--", color="0.2", lw=0.8, label="y = x")
    if pos:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(target_label(info, "true (test set)"))
    ax.set_ylabel(target_label(info, "predicted"))
    ax.legend(loc="upper left")
    ax.set_title(f"Parity: {Y.shape[0]} test rows x {m} outputs")
    fin = np.isfinite(frac)
    if fin.any():
        pct = 100 * frac
        ax2.scatter(Y[fin], pct[fin], **dict(kw, c=np.broadcast_to(cval.reshape(Y.shape), Y.shape)[fin]))
        ax2.axhline(0, color="0.2", lw=0.8)
        q = np.nanpercentile(np.abs(pct[fin]), 99.5)
        ax2.set_ylim(-1.15 * q, 1.15 * q)
        if pos:
            ax2.set_xscale("log")
        ax2.set_xlabel(target_label(info, "true (test set)"))
        ax2.set_ylabel("predicted / true - 1 (%; 99.5% of points shown)")
        ax2.set_title("Fractional residual")
    else:
        ax2.axis("off")
    for a in (ax, ax2):
        a.grid(alpha=0.3, which="major")
    _grid_colorbar(fig, sc, [ax, ax2], info)
    return fig


def plot_error_spectra(run):
    """|fractional error| percentiles per output bin, and the signed bias."""
    t = _test(run)
    if t is None or not np.isfinite(t[3]).any():
        return None
    X, Y, P, frac, info = t
    m = Y.shape[1]
    x, xlabel, xlog = _grid_x(info, m)
    frac = 100 * frac  # percent, as the tables
    a = np.abs(frac)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    qs = [(50, "median", "C0"), (68, "68th pct", "C1"), (95, "95th pct", "C2"), (99, "99th pct", "C3")]
    for q, lab, c in qs:
        ax1.plot(x, np.nanpercentile(a, q, axis=0), "-", color=c, label=lab, lw=1.6)
    ax1.plot(x, np.nanmax(a, axis=0), ":", color="0.4", label="max", lw=1)
    ax1.set_yscale("log")
    _plain_log_ticks(ax1.yaxis)
    ax1.set_ylabel("|predicted / true - 1| (%)")
    ax1.set_title("|fractional error| percentiles over the test rows")
    med = np.nanmedian(frac, axis=0)
    ax2.fill_between(x, np.nanpercentile(frac, 2.5, axis=0), np.nanpercentile(frac, 97.5, axis=0),
                     color="C0", alpha=0.15, label="2.5-97.5 pct")
    ax2.fill_between(x, np.nanpercentile(frac, 16, axis=0), np.nanpercentile(frac, 84, axis=0),
                     color="C0", alpha=0.35, label="16-84 pct")
    ax2.plot(x, med, "-", color="C0", label="median (bias)")
    ax2.axhline(0, color="k", lw=0.8)
    ax2.set_ylabel("predicted / true - 1 (%)")
    ax2.set_title("signed fractional error")
    for ax in (ax1, ax2):
        if xlog:
            ax.set_xscale("log")
            _plain_log_ticks(ax.xaxis)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=SMALL)
    fig.tight_layout()
    return fig


def plot_error_heatmaps(run):
    """|fractional error| of every test row and output bin, rows sorted by
    each input parameter in turn: where in parameter space the emulator is worse."""
    t = _test(run)
    if t is None or not np.isfinite(t[3]).any():
        return None
    X, Y, P, frac, info = t
    n, m = Y.shape
    d = X.shape[1]
    a = 100 * np.abs(frac)  # percent, as the tables
    fin = a[np.isfinite(a) & (a > 0)]
    if not len(fin):
        return None
    vmin, vmax = max(np.percentile(fin, 1), fin.max() * 1e-6), np.percentile(fin, 99.5)
    norm = LogNorm(vmin=vmin, vmax=max(vmax, vmin * 10))
    x, xlabel, xlog = _grid_x(info, m)
    # bin edges for pcolormesh
    if m > 1:
        xe = np.sqrt(x[:-1] * x[1:]) if xlog else 0.5 * (x[:-1] + x[1:])
        first = x[0] ** 2 / xe[0] if xlog else 2 * x[0] - xe[0]
        last = x[-1] ** 2 / xe[-1] if xlog else 2 * x[-1] - xe[-1]
        edges = np.concatenate([[first], xe, [last]])
    else:
        edges = np.array([x[0] - 0.5, x[0] + 0.5])
    ncol = min(3, d)
    nrow = (d + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(min(3.6 * ncol + 1.2, MAX_WIDTH_IN), 4.0 * nrow + 0.8),
                             squeeze=False, layout="constrained")
    # Many rows: median over groups of equal count (quantiles of the sorted
    # parameter), or single bad rows alias away and the pattern drowns in noise.
    ngroup = n if n <= MAX_HEATMAP_ROWS else MAX_HEATMAP_ROWS
    for j, ax in enumerate(axes.flat[:d]):
        o = np.argsort(X[:, j], kind="stable")
        xs = X[o, j]
        groups = np.array_split(np.arange(n), ngroup)
        with np.errstate(all="ignore"):
            z = np.array([np.nanmedian(a[o[g]], axis=0) if len(g) > 1 else a[o[g[0]]] for g in groups])
        im = ax.pcolormesh(edges, np.arange(ngroup + 1), np.ma.masked_invalid(z), norm=norm, cmap="magma",
                           shading="flat", rasterized=True)
        if xlog:
            ax.set_xscale("log")
            _plain_log_ticks(ax.xaxis)
        ticks = np.linspace(0, ngroup - 1, min(6, ngroup)).astype(int)
        ax.set_yticks(ticks + 0.5)
        ax.set_yticklabels([fmt(float(np.median(xs[groups[i]])), 3) for i in ticks])
        ax.tick_params(labelsize=9)
        what = "test rows" if ngroup == n else f"groups of ~{n // ngroup} rows"
        ax.set_ylabel(f"{info['input_names'][j]} ({what}, sorted)", fontsize=10)
        ax.set_xlabel(xlabel, fontsize=10)
        ax.set_title(f"sorted by {info['input_names'][j]}", fontsize=10)
    for ax in list(axes.flat)[d:]:
        ax.axis("off")
    cb = fig.colorbar(im, ax=axes.ravel().tolist(), label="|predicted / true - 1| (%)", shrink=0.85)
    _plain_log_ticks(cb.ax.yaxis, norm.vmin, norm.vmax)
    fig.suptitle("|fractional error| over output bins, test rows sorted by each input parameter"
                 + ("" if ngroup == n else f"\n({n} rows in {ngroup} groups, median of each)"))
    return fig


# name, title, function(run)
PLOTS = [
    ("learning_curves", "Learning curves of the best trials", plot_learning_curves),
    ("metric_vs_params", "Metric against each hyperparameter", plot_metric_vs_params),
    ("parallel_coordinates", "Parallel coordinates of all trials", plot_parallel),
    ("best_so_far", "Best so far against trial number",
     lambda r: plot_best_so_far([r]) if np.isfinite(r.metric_values()[1]).any() else None),
    ("test_parity", "Test set: parity", plot_parity),
    ("test_error_spectra", "Test set: relative-error spectra", plot_error_spectra),
    ("test_error_heatmaps", "Test set: |fractional error| by input parameter", plot_error_heatmaps),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write the plots of an mlpsweep output directory as PNG files.")
    ap.add_argument("out", metavar="OUT", help="output directory of `mlpsweep run`")
    ap.add_argument("-o", "--outdir", help="where to write the PNGs (default OUT/plots)")
    ap.add_argument("--data", help="the data file (default: data.path of the config, looked up from OUT)")
    a = ap.parse_args(argv)
    try:
        run = Run(a.out, data_path=a.data)
    except (OSError, ValueError) as e:
        print(f"plots.py: {e}", file=sys.stderr)
        return 2
    outdir = a.outdir or os.path.join(run.dir, "plots")
    os.makedirs(outdir, exist_ok=True)
    for name, title, fn in PLOTS:
        fig = fn(run)
        if fig is None:
            print(f"plots.py: {name}: nothing to plot", file=sys.stderr)
            continue
        path = os.path.join(outdir, name + ".png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
