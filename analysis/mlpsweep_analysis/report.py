"""One self-contained HTML report of an mlpsweep run, viewable offline
(plots embedded as base64 PNG, no scripts, no network):

    /usr/bin/python3 analysis/report.py OUT [-o OUT/report.html] [--data DATA.h5] [--png]

Tables: the best trial and its parameters, the CV metric, the final model's
test metrics, the fold-model diagnostic, the committee and the learning
curve against n (final_stage.py), trial and task counts by status,
failures, the top 10 trials. Plots: see plots.py. Works for a finished
sweep, one still running (journal only), one with failed or diverged
trials, kfold 1, ensembles, and final.retrain: false (no test-set plots).
--png also writes the plots to OUT/plots/.
"""
import argparse
import base64
import json
import html
import io
import os
import sys
import time

import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import final_stage  # noqa: E402
from .plots import PLOTS  # noqa: E402
from .results import Run, fmt, fmt_metric, fmt_param, is_complete, is_pruned  # noqa: E402

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:1400px;
     padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:1.6em}
h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.4em 0 1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.2em .55em;text-align:right;vertical-align:top}
th{background:#f2f2f2} td.l,th.l{text-align:left}
tr.best td{background:#eef7ee;font-weight:600} tr.bad td,p.bad{color:#b00}
.grid{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}
.muted{color:#666;font-size:.9em} .big{font-size:1.3em;font-weight:600}
img{max-width:100%;height:auto;border:1px solid #eee}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.8em;max-height:40em}
nav a{margin-right:1em}
"""


def esc(v):
    return html.escape(str(v))


def table(header, rows, classes=None, left=()):
    """header: list of column names; rows: lists of cells (already text);
    classes: per-row CSS class; left: indices of left-aligned columns."""
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f'<th class="{"l" if i in left else ""}">{esc(h)}</th>'
                                    for i, h in enumerate(header)) + "</tr>")
    for r, row in enumerate(rows):
        cls = f' class="{classes[r]}"' if classes and classes[r] else ""
        out.append(f"<tr{cls}>" + "".join(f'<td class="{"l" if i in left else ""}">{esc(c)}</td>'
                                          for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def kv_table(pairs):
    return table(None, [[k, v] for k, v in pairs], left=(0, 1))


def fig_html(fig, png_dir=None, name=None):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    if png_dir:
        fig.savefig(os.path.join(png_dir, name + ".png"), dpi=110)
    plt.close(fig)
    b64 = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{esc(name)}" src="data:image/png;base64,{b64}">'


TEST_KEYS = [("median_frac_err", "median |frac err|"), ("p95_frac_err", "95th pct |frac err|"),
             ("p99_frac_err", "99th pct |frac err|"), ("max_frac_err", "max |frac err|"), ("rmse", "RMSE"), ("mse_scaled", "MSE (transformed)"), ("mae_scaled", "MAE (transformed)"),
             ("n_rows", "test rows")]


def test_header(target_units):
    """TEST_KEYS' column names; RMSE in the targets' unit when the data file gives it."""
    rmse = f"RMSE [{target_units}]" if target_units else "RMSE (data units)"
    return [rmse if k == "rmse" else lab for k, lab in TEST_KEYS]


def test_row(label, epochs, test):
    return [label, epochs] + [fmt_metric(k, float(test[k])) if isinstance(test.get(k), (int, float)) else ""
                              for k, _ in TEST_KEYS]


def duration(t):
    """Seconds as a person reads them: 42.1 s, 12.5 min, 3.2 h."""
    return f"{t:.1f} s" if t < 120 else f"{t / 60:.1f} min" if t < 7200 else f"{t / 3600:.1f} h"


def wall_time(s):
    """The summary's wall time: over every start of the sweep when summary.json
    says how many there were (keys starts, sweep_seconds_total), else the
    last start's, as before those keys existed."""
    ranks = s.get("ranks", "?")
    starts = s.get("starts")
    if isinstance(starts, int) and starts > 1 and isinstance(s.get("sweep_seconds_total"), (int, float)):
        last = s.get("sweep_seconds", s.get("wall_seconds"))
        last = f"; the last {duration(last)} on {ranks} ranks" if isinstance(last, (int, float)) else ""
        return (f"{duration(s['sweep_seconds_total'])} over {starts} starts "
                f"(resumed {starts - 1} time{'s' if starts > 2 else ''}{last})")
    return f"{duration(s['wall_seconds'])} on {ranks} ranks" if "wall_seconds" in s else None


def pruning_line(p):
    """summary.json's pruning section in words: the pruner, trials pruned, and
    epochs trained against what a sweep without pruning would have trained."""
    if not p or p.get("pruner") in (None, "none"):
        return None
    line = f"{p['pruner']}: {p.get('trials_pruned', '?')} trials pruned"
    done, without = p.get("epochs_trained"), p.get("epochs_without_pruning")
    if isinstance(done, (int, float)) and isinstance(without, (int, float)) and without > 0:
        line += (f"; {done:,.0f} epochs trained, against about {without:,.0f} without pruning "
                 f"({100 * (1 - done / without):.0f}% saved)")
    return line


def bias_paragraph(pb):
    """summary.json's final.posterior_bias in words (None without it)."""
    if not pb or not isinstance(pb.get("max_sigma"), (int, float)):
        return None
    inner = pb.get("interior") or {}
    worst = max(pb.get("inputs", {}).items(), key=lambda kv: kv[1].get("max_sigma") or 0, default=(None, {}))[0]
    line = (f"Posterior bias from the emulator's error under <code>data.noise</code> (first order, the "
            f"systematic part, a row's worst parameter, in posterior sigma): median {pb['median_sigma']:.3f}, "
            f"95th percentile {pb['p95_sigma']:.3f}, maximum {pb['max_sigma']:.3f}"
            + (f" ({esc(worst)})" if worst else ""))
    if isinstance(inner.get("max_sigma"), (int, float)):
        line += (f"; {inner['max_sigma']:.3f} at most over the {inner.get('rows', '?')} test rows "
                 f"{100 * inner.get('margin', 0.05):g}% inside every edge of the training box")
    return line + (". A fit to one noisy data set also moves by a data-noise part that this figure does not "
                   "include (README, Posterior bias; <code>analysis/bias_fisher.py</code>).")


def epoch_limit_warning(run):
    """A warning when most finished trials had their best epoch at the last
    allowed one (train.max_epochs - 1): their validation loss was still
    falling when training stopped, so the sweep compared networks cut short."""
    try:
        max_epochs = int(float(run.config.get("train.max_epochs", "")))
    except ValueError:
        return None
    ok = [t for t in run.trials if is_complete(t)]
    be = np.array([t.get("best_epoch_mean", np.nan) for t in ok], dtype=float)
    be = be[np.isfinite(be)]
    hit = int(np.sum(be >= max_epochs - 1 - 1e-9))
    if max_epochs < 2 or len(be) == 0 or 2 * hit <= len(be):
        return None
    return (f"{hit} of {len(be)} finished trials had their best epoch at the last one allowed "
            f"(epoch {max_epochs - 1}, train.max_epochs {max_epochs}): training was cut short by the epoch "
            "limit, and the sweep compared networks that were still improving. Raise train.max_epochs "
            "(early stopping, train.patience, ends each trial when it stops improving) and run again.")


def sections(run, png_dir=None):
    s = run.summary or {}
    out = []
    counts = run.status_counts()
    ranked = run.ranked()
    best = ranked[0] if ranked else None
    best_id = s.get("best_trial", best["trial"] if best else None)
    one_split = str((run.header or {}).get("n_folds", run.config.get("split.kfold", ""))) == "1"
    if best is None or (isinstance(best_id, int) and best_id < 0):
        best_id = None  # no trial finished (summary.json then says best_trial -1)

    # --- summary ---
    out.append('<h2 id="summary">Summary</h2>')
    pairs = [("sweep", run.name), ("output directory", run.dir),
             ("search", f"{run.method or '?'}, metric {run.metric} (minimize)"),
             ("folds", (run.header or {}).get("n_folds", run.config.get("split.kfold", "?"))),
             ("trials", ", ".join(f"{v} {k}" for k, v in sorted(counts["trials"].items())) or "none"),
             ("tasks (trial x fold)", ", ".join(f"{v} {k}" for k, v in sorted(counts["tasks"].items())) or "none")]
    if run.header:
        h = run.header
        pairs.append(("started", f"{h.get('created', '?')} (mlpsweep {h.get('mlpsweep_version', '?')})"))
    pr = pruning_line(s.get("pruning"))
    if pr:
        pairs.append(("pruning", pr))
    wt = wall_time(s)
    if wt:
        pairs.append(("wall time", wt))
    if not run.summary:
        pairs.append(("state", "no summary.json: the sweep is still running or was stopped (resume with --resume)"))
    out.append(kv_table(pairs))
    warn = epoch_limit_warning(run)
    if warn:
        out.append(f'<p class="bad"><b>Warning:</b> {esc(warn)}</p>')

    # --- best trial ---
    if best_id is None:
        out.append('<h2 id="best">Best trial</h2><p class="bad">No trial finished successfully: see the failed '
                   'trials below for the reasons.</p>')
    else:
        out.append(f'<h2 id="best">Best trial: {esc(best_id)}</h2>')
        mean = s.get("cv_metric_mean", best["metric_mean"])
        std = s.get("cv_metric_std", best.get("metric_std", float("nan")))
        if one_split:  # kfold 1: one validation split, no spread to show
            out.append(f'<p>{esc(run.metric)} on the validation split (kfold 1): '
                       f'<span class="big">{fmt_metric(run.metric, mean)}</span></p>')
        else:
            out.append(f'<p>CV {esc(run.metric)} (mean &plusmn; std over folds): '
                       f'<span class="big">{fmt_metric(run.metric, mean)} &plusmn; '
                       f'{fmt_metric(run.metric, std)}</span></p>')
        bp = s.get("best_params") or (best["params"] if best else {})
        out.append(table(["parameter", "value"], [[k, fmt_param(v)] for k, v in bp.items()], left=(0, 1)))

    # --- test ---
    out.append('<h2 id="test">Test set (used once)</h2>')
    fin = s.get("final")
    rows, cls = [], []
    if fin and fin.get("test"):
        ep = fin.get("epochs")
        ep = ", ".join(str(e) for e in ep) if isinstance(ep, list) else ep
        ens = fin.get("ensemble", 1)
        rows.append(test_row(f"final model ({'ensemble of ' + str(ens) if ens and ens > 1 else 'retrained'}, "
                             f"epochs rule {fin.get('epochs_rule', '?')})", ep, fin["test"]))
        cls.append("best")
    for d in s.get("diagnostic_fold_models_test") or []:
        rows.append(test_row(f"fold {d.get('fold')} model (diagnostic)", d.get("epochs", ""), d.get("test", {})))
        cls.append("")
    if rows:
        tp = run.test_predictions()
        units = run.data_info(*[a.shape[1] for a in tp[:2]])["target_units"] if tp is not None else ""
        out.append(table(["model", "epochs"] + test_header(units), rows, cls, left=(0,)))
        out.append('<p class="muted">The fold models are the best trial\'s cross-validation networks, each trained '
                   'without its validation fold; they show whether the retrain on train+validation helped. '
                   '|frac err| is |predicted / true - 1| in percent, computed in data units and only for '
                   'log-transformed targets.</p>')
    bp = bias_paragraph((fin or {}).get("posterior_bias"))
    if bp:
        out.append(f"<p>{bp}</p>")
    if not fin:
        if not s:
            why = "the sweep has not finished."
        elif best_id is None:
            why = "no trial succeeded, so there was nothing to retrain."
        elif run.config.get("final.retrain") == "false":
            why = "<code>final.retrain</code> is false, so only the best trial's fold models were evaluated."
        else:
            why = "summary.json has no final section."
        out.append(f"<p>No final model: {why}</p>")

    out.extend(final_stage.sections(run, fig_html, table, esc, png_dir))  # committee, learning curve

    # --- failures ---
    bad = [t for t in run.trials if t["status"] != "ok" and not is_pruned(t)]
    if bad:
        out.append(f'<h2 id="failed">Failed trials ({len(bad)})</h2>')
        rows = [[t["trial"], t["status"], t.get("reason", "")] + [fmt_param(t["params"].get(p, ""))
                                                                  for p, _ in run.params]
                for t in bad[:30]]
        out.append(table(["trial", "status", "reason"] + [p for p, _ in run.params], rows,
                         ["bad"] * len(rows), left=(1, 2)))
        if len(bad) > 30:
            out.append(f'<p class="muted">... and {len(bad) - 30} more (trials.csv has them all).</p>')

    # --- top 10 ---
    out.append('<h2 id="top">Top 10 trials</h2>')
    pn = [p for p, _ in run.all_params] or list(run.trials[0]["params"])
    rows, cls = [], []
    for rank, t in enumerate(ranked[:10], 1):
        std = "" if one_split else fmt_metric(run.metric, t.get("metric_std", float("nan")))
        rows.append([rank, t["trial"], fmt_metric(run.metric, t["metric_mean"]), std,
                     fmt(t.get("best_epoch_mean", float("nan")), 3)] +
                    [fmt_param(t["params"].get(p, "")) for p in pn] + [fmt(t.get("seconds_sum", float("nan")), 3)])
        cls.append("best" if t["trial"] == best_id else "")
    if rows:
        out.append(table(["rank", "trial", f"{run.metric} mean", "std", "best epoch"] + pn + ["seconds"], rows, cls))
    else:
        out.append("<p>No trial finished successfully.</p>")

    # --- plots ---
    out.append('<h2 id="plots">Plots</h2>')
    for name, title, fn in PLOTS:
        try:
            fig = fn(run)
        except Exception as e:  # one broken plot must not lose the report
            out.append(f"<h3>{esc(title)}</h3><p class=\"bad\">could not plot: {esc(type(e).__name__)}: {esc(e)}</p>")
            continue
        if fig is None:
            why = "no final model (test_predictions.h5)" if name.startswith("test_") else "nothing to plot"
            out.append(f'<h3>{esc(title)}</h3><p class="muted">{why}</p>')
            continue
        out.append(f'<h3 id="{name}">{esc(title)}</h3>' + fig_html(fig, png_dir, name))
    if run.test_predictions() is not None:
        info = run.data_info(*[a.shape[1] for a in run.test_predictions()[:2]])
        src = info["data_path"] or "not found: x axis is the output bin index, inputs are x0, x1, ... (pass --data)"
        out.append(f'<p class="muted">Output grid and parameter names from the data file: {esc(src)}</p>')
        if info["target_description"]:
            out.append(f'<p class="muted">Targets (the data file\'s description): '
                       f'{esc(info["target_description"])}</p>')

    out.extend(mcmc_section(run.dir))

    # --- config ---
    if run.config_text:
        out.append('<h2 id="config">Resolved config</h2><details><summary>show</summary><pre>'
                   + esc(run.config_text) + "</pre></details>")
    return out


def mcmc_section(out_dir):
    """The MCMC check (analysis/mcmc_check.py), when OUT/mcmc_check.json exists:
    its summary per exposure and OUT/plots/mcmc_check.png."""
    path = os.path.join(out_dir, "mcmc_check.json")
    if not os.path.exists(path):
        return []
    try:
        with open(path) as f:
            d = json.load(f)
        rows = []
        variants = d.get("variants", {"emulator": "emulator", "emulator+error": "with error model"})
        for s in d["summary"]:
            for k, label in variants.items():
                e = s[k]
                rows.append([f"{s['exposure']:g}", f"{s['median_counts_max_bin']:.3g}", label,
                             f"{e['max_abs_bias']:.3f}",
                             ", ".join(f"{n} {v:.3f}" for n, v in zip(d["params"], e["max_abs_bias_per_param"])),
                             f"{e['width_ratio_min']:.2f}-{e['width_ratio_max']:.2f}",
                             "yes" if s["all_converged"] else "NO"])
    except (OSError, ValueError, KeyError) as e:
        return ['<h2 id="mcmc">MCMC check</h2>', f'<p class="bad">cannot read {esc(path)}: {esc(e)}</p>']
    out = ['<h2 id="mcmc">MCMC check: the emulator against the true model</h2>',
           f'<p>emcee on Poisson data from the true {esc(d["generator"])} model at '
           f'{len(d["results"]) // max(1, len(d["summary"]))} points of the training box; bias = (mean_emulator - '
           f'mean_true) / sigma_true (safe: below 0.1), width = sigma_emulator / sigma_true; the error models '
           f'(analysis/mcmc_check.py) from {esc(d["frac_sigma_source"])}.</p>',
           table(["exposure", "brightest bin (median counts)", "likelihood", "max |bias|", "per parameter",
                  "width", "converged"], rows)]
    png = os.path.join(out_dir, "plots", "mcmc_check.png")
    if os.path.exists(png):
        with open(png, "rb") as f:
            out.append(f'<img alt="mcmc_check" src="data:image/png;base64,{base64.b64encode(f.read()).decode()}">')
    return out


def write_report(out_dir, path=None, data=None, png=False):
    run = Run(out_dir, data_path=data)
    path = path or os.path.join(run.dir, "report.html")
    png_dir = None
    if png:
        png_dir = os.path.join(run.dir, "plots")
        os.makedirs(png_dir, exist_ok=True)
    body = sections(run, png_dir)
    nav = " ".join(f'<a href="#{a}">{t}</a>' for a, t in
                   [("summary", "summary"), ("best", "best trial"), ("test", "test set"), ("top", "top 10"),
                    ("plots", "plots"), ("config", "config")])
    doc = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>mlpsweep report: {esc(run.name)}"
           f"</title><style>{CSS}</style></head><body><h1>mlpsweep report: {esc(run.name)}</h1>"
           f'<p class="muted">written {time.strftime("%Y-%m-%d %H:%M:%S")} by analysis/report.py from '
           f"{esc(run.dir)}</p><nav>{nav}</nav>" + "\n".join(body) + "</body></html>\n")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(doc)
    os.replace(tmp, path)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write OUT/report.html for an mlpsweep output directory.")
    ap.add_argument("out", metavar="OUT", help="output directory of `mlpsweep run`")
    ap.add_argument("-o", "--output", help="HTML file to write (default OUT/report.html)")
    ap.add_argument("--data", help="the data file (default: data.path of the config, looked up from OUT)")
    ap.add_argument("--png", action="store_true", help="also write the plots as PNG files in OUT/plots/")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.out):
        print(f"report.py: {a.out} is not a directory (give the output.dir of an mlpsweep run)", file=sys.stderr)
        return 2
    try:
        path = write_report(a.out, a.output, a.data, a.png)
    except (OSError, ValueError) as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
