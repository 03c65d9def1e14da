"""The report's sections for the final stage's extras (issue 22):

* the committee (final.committee): its test error beside the best
  configuration alone (one network and its ensemble), from summary.json's
  "committee" block, and the members with their CV metric and weight;
* how much data is enough (final.learning_curve): the test error against
  the number of training rows, OUT/learning_curve.csv, with the power law
  err = a n^-b fitted by mlpsweep (summary.json "learning_curve") and the n
  extrapolated for final.target_error. plot_data_curve(run) draws it.
"""
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

TAIL = [("median_frac_err", "median"), ("p95_frac_err", "95th pct"), ("p99_frac_err", "99th pct"),
        ("max_frac_err", "max")]


def _pct(v):
    return f"{100 * v:.3f}%" if isinstance(v, (int, float)) and np.isfinite(v) else ""


def read_learning_curve(out_dir):
    """OUT/learning_curve.csv as a dict of float arrays, or None."""
    path = os.path.join(out_dir, "learning_curve.csv")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def plot_data_curve(run):
    """Test |fractional error| (median and p95; RMSE for targets that are not
    positive) against training rows n, log-log, with the fitted power laws
    and, when final.target_error is set, the target and the n it needs."""
    lc = read_learning_curve(run.dir)
    s = (run.summary or {}).get("learning_curve") or {}
    if lc is None:
        return None
    frac = s.get("error", "median_frac_err") == "median_frac_err"
    scale = 100.0 if frac else 1.0
    series = ([("test_median_frac_err", "median", "fit_median_frac_err", "C0"),
               ("test_p95_frac_err", "95th percentile", "fit_p95_frac_err", "C1")] if frac else
              [("test_rmse", "RMSE", "fit_rmse", "C0")])
    fig, ax = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    n = lc["n"]
    target = s.get("target_error")
    hi = n.max()
    for col, label, fk, color in series:
        fit = s.get(fk) or {}
        if isinstance(fit.get("n_target"), (int, float)) and np.isfinite(fit["n_target"]):
            hi = max(hi, min(fit["n_target"], 1e3 * n.max()))
    for col, label, fk, color in series:
        ax.plot(n, scale * lc[col], "o", color=color, label=f"test {label}")
        fit = s.get(fk) or {}
        a, b = fit.get("a"), fit.get("b")
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            nn = np.geomspace(n.min(), hi, 100)
            ax.plot(nn, scale * a * nn ** -b, "-", color=color, lw=1,
                    label=f"fit {scale * a * 1000.0 ** -b:.3g}{'%' if frac else ''} x (n/1000)^-{b:.2f}")
            nt = fit.get("n_target")
            if isinstance(nt, (int, float)) and np.isfinite(nt) and nt <= hi:
                ax.axvline(nt, color=color, ls=":", lw=1)
                ax.annotate(f"n = {nt:.3g}", (nt, scale * target), xytext=(4, 6), textcoords="offset points",
                            color=color, fontsize=9)
    if isinstance(target, (int, float)) and np.isfinite(target):
        ax.axhline(scale * target, color="0.4", ls="--", lw=1, label=f"target_error {scale * target:g}"
                   f"{'%' if frac else ''}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training rows n (nested subsets of train+validation)")
    ax.set_ylabel("test |fractional error| [%]" if frac else "test RMSE (data units)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    return fig


def sections(run, fig_html, table, esc, png_dir=None):
    """HTML pieces: the committee and the learning curve (empty when the run
    has neither). fig_html, table and esc are report.py's."""
    s = run.summary or {}
    out = []
    com = s.get("committee")
    if com:
        te = com.get("test", {})
        nets = com["members"][0].get("networks", 1) if com.get("members") else 1
        rows = [["best configuration, one network"] + [_pct(te.get("best_single", {}).get(k)) for k, _ in TAIL]]
        if nets > 1:
            rows.append([f"best configuration, ensemble of {nets}"] +
                        [_pct(te.get("best_ensemble", {}).get(k)) for k, _ in TAIL])
        rows.append([f"committee of {com['configs']} configurations ({com.get('weights')} weights)"] +
                    [_pct(te.get("committee", {}).get(k)) for k, _ in TAIL])
        out.append('<h2 id="committee">Committee</h2>')
        out.append(table(["model"] + [f"{lab} |frac err|" for _, lab in TAIL], rows,
                         [""] * (len(rows) - 1) + ["best"], left=(0,)))
        by_id = {t["trial"]: t for t in run.trials}
        pn = [p for p, _ in run.params]
        mrows = [[m["trial"], f"{m['cv_metric']:.4g}", f"{m['weight']:.3f}", m.get("networks", 1)] +
                 [_pct(m.get("test", {}).get(k)) for k, _ in TAIL[:2]] +
                 [str(by_id.get(m["trial"], {}).get("params", {}).get(p, "")) for p in pn]
                 for m in com.get("members", [])]
        out.append(table(["trial", f"CV {run.metric}", "weight", "networks", "test median", "test p95"] + pn,
                         mrows, left=()))
        out.append('<p class="muted">The committee averages the networks of the best distinct configurations '
                   '(in the transformed target space, weighted as shown); its first member is the best '
                   'configuration, so the rows above compare the same test rows and networks.</p>')
    lc = s.get("learning_curve")
    if lc:
        out.append('<h2 id="data_curve">How much data is enough</h2>')
        fig = plot_data_curve(run)
        if fig is not None:
            out.append(fig_html(fig, png_dir, "test_data_curve"))
        frac = lc.get("error") == "median_frac_err"
        rows = [[p["n"], f"{p['fraction']:g}", _pct(p.get("median_frac_err")), _pct(p.get("p95_frac_err")),
                 f"{p.get('rmse', float('nan')):.4g}", p.get("epochs", ""), f"{p.get('seconds', 0):.1f}"]
                for p in lc.get("points", [])]
        out.append(table(["n", "fraction", "median |frac err|", "95th pct |frac err|", "RMSE", "epochs", "seconds"],
                         rows))
        fit = lc.get("fit_median_frac_err" if frac else "fit_rmse") or {}
        t = lc.get("target_error")
        if isinstance(t, (int, float)) and isinstance(fit.get("n_target"), (int, float)):
            what = "median |fractional error|" if frac else "RMSE"
            tv = f"{100 * t:g}%" if frac else f"{t:g}"
            out.append(f'<p>Extrapolated from the fit: the {what} reaches {esc(tv)} at about '
                       f'<span class="big">n = {fit["n_target"]:.3g}</span> training rows.</p>')
        out.append('<p class="muted">Each point retrains the best configuration on a nested subset of '
                   'train+validation (never a test row), early-stopping on a holdout of that subset, and is '
                   'evaluated once on the test set. The fit is a straight line in log-log; an extrapolation far '
                   'beyond the largest n is a guess that assumes the same network keeps improving.</p>')
    return out
