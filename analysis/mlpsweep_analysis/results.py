"""Read the outputs of one `mlpsweep run` (an output directory) for the plots
and the report: trials.jsonl, trials.csv, summary.json, history.h5,
test_predictions.h5, and the data file named in the config (for /grid and
the input parameter names). Everything but the journal or trials.csv is
optional, so a sweep still running, one without a final model
(final.retrain: false) or one whose data file moved can still be shown.
numpy and h5py only.
"""
import csv
import json
import math
import os

import h5py
import numpy as np

LOG_DISTS = ("log_uniform_values", "q_log_uniform_values")


def _s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def parse_config(text):
    """The resolved config YAML (flat, 2-space indented, as mlpsweep writes
    it) -> {"name": "x", "data.path": "...", "search.method": "tpe", ...}.
    Only scalar and flow values: enough for the keys the analysis needs."""
    out, section = {}, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or ":" not in line:
            continue
        indent = len(line) - len(line.lstrip())
        key, _, val = line.strip().partition(":")
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "\"'":
            val = val[1:-1]
        if indent == 0:
            section = key if not val else None
            if val:
                out[key] = val
        elif indent == 2 and section:
            out[f"{section}.{key}"] = val
    return out


def parse_columns(spec, n):
    """data.input_columns / target_columns ("all", "0,2,5:9", "[0, 1, 7]") -> indices."""
    spec = str(spec).strip().strip("[]")
    if spec in ("", "all"):
        return list(range(n))
    idx = []
    for part in spec.split(","):
        part = part.strip()
        if ":" in part:
            a, b = part.split(":", 1)
            idx.extend(range(int(a) if a.strip() else 0, int(b) if b.strip() else n))
        elif part:
            idx.append(int(part))
    return idx


def _why(task):
    """Why a journal task fails its trial."""
    if task.get("status") == "ok":
        return "objective is not finite"
    return task.get("reason") or ""


def _num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return x


def is_pruned(trial):
    """A trial stopped by the pruner (trials.csv's state column, or the
    journal: any fold pruned). It has no value: it is never the best."""
    return trial.get("state") == "pruned" or trial.get("status") == "pruned"


def is_complete(trial):
    """Every fold completed with a finite objective: only such a trial can be best."""
    return trial.get("status") == "ok" and not is_pruned(trial) and math.isfinite(trial.get("metric_mean", math.nan))


class Run:
    """One output directory. Attributes (None when the file is absent):
    header (journal line 1), tasks (list of journal task dicts), trials (list of
    dicts, one per trial: 'trial', 'params', 'status', 'state' (complete |
    pruned | failed), 'reason', 'metric_mean', 'metric_std', 'n_folds_ok',
    ...), summary, config (parse_config), params (searched: [(name, dist)]),
    all_params, metric, label."""

    def __init__(self, out, data_path=None):
        self.dir = os.path.abspath(out)
        self.header, self.tasks = None, []
        jpath = os.path.join(self.dir, "trials.jsonl")
        if os.path.exists(jpath):
            with open(jpath) as f:
                for i, line in enumerate(f):
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut short by a kill: the journal's reader ignores it too
                    if i == 0 and obj.get("format") == "mlpsweep-journal":
                        self.header = obj
                    else:
                        self.tasks.append(obj)
        self.summary = None
        spath = os.path.join(self.dir, "summary.json")
        if os.path.exists(spath):
            with open(spath) as f:
                self.summary = json.load(f)
        cfg_text = (self.summary or {}).get("config") or (self.header or {}).get("config") or ""
        self.config_text = cfg_text
        self.config = parse_config(cfg_text)
        self.metric = (self.summary or {}).get("metric") or (self.header or {}).get("metric") or "metric"
        self.name = self.config.get("name") or os.path.basename(self.dir)
        self.method = self.config.get("search.method", "")
        self.label = self.name + (f" ({self.method})" if self.method else "")
        hp = (self.header or {}).get("params")
        self.all_params = [(p["name"], p.get("dist", "")) for p in hp] if hp else []
        self.trials = self._read_csv() or []
        # trials.csv is written when a sweep ends, after its journal is closed.
        # A journal written to later belongs to a resumed sweep still running
        # (or killed): its trials the csv lacks come from the journal. A
        # journal not newer is left alone: a resume that lowered search.trials
        # leaves trials in it that the csv rightly omits.
        csv_path = os.path.join(self.dir, "trials.csv")
        if os.path.exists(jpath) and (not self.trials or os.path.getmtime(jpath) > os.path.getmtime(csv_path) + 1.0):
            known = {t["trial"] for t in self.trials}
            self.trials = sorted(self.trials + [t for t in self._aggregate_journal() if t["trial"] not in known],
                                 key=lambda t: t["trial"])
        if not self.trials and not self.tasks:
            raise ValueError(f"{self.dir}: no trials.csv and no finished task in trials.jsonl; "
                             "is this the output.dir of an mlpsweep run?")
        if not self.all_params and self.trials:
            self.all_params = [(k, "") for k in self.trials[0]["params"]]
        # searched parameters: not constant, and taking more than one value
        self.params = [(n, d) for n, d in self.all_params
                       if d != "constant" and len({str(t["params"].get(n)) for t in self.trials}) > 1]
        self._data_path_arg = data_path

    # --- trials ---------------------------------------------------------
    def _read_csv(self):
        path = os.path.join(self.dir, "trials.csv")
        if not os.path.exists(path):
            return None
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            return None
        cols = list(rows[0].keys())
        try:
            stop = cols.index("status")
        except ValueError:
            return None
        pnames = [c for c in cols[1:stop] if c != "state"]
        trials = []
        for r in rows:
            t = {k: r[k] for k in cols if k not in pnames}
            t["trial"] = int(r["trial"])
            t["params"] = {p: r[p] for p in pnames}
            for k in cols[stop + 1:]:
                if k not in ("reason", "state"):
                    t[k] = _num(r[k])
            # trials.csv before pruning had no state column
            t.setdefault("state", "complete" if t["status"] == "ok" else "failed")
            trials.append(t)
        return sorted(trials, key=lambda t: t["trial"])

    def _aggregate_journal(self):
        """trials.csv's rows from the journal, by the sweep's own rule
        (src/sweep/trials.c): a trial counts once all its folds are in (the
        first line of each (trial, fold); a resume may repeat one), or once
        one fold is pruned (its other folds stop or never start); it failed
        if a fold did not end ok or its objective is not finite."""
        by = {}
        for t in self.tasks:
            by.setdefault(t["trial"], {}).setdefault(t.get("fold"), t)
        n_folds = (self.header or {}).get("n_folds")
        trials = []
        for k in sorted(by):
            ts = [by[k][f] for f in sorted(by[k])]
            pruned = any(t.get("status") == "pruned" for t in ts)
            if n_folds and len(ts) < n_folds and not pruned:
                continue  # folds still running
            # The journal writes a non-finite objective as null.
            bad = [t for t in ts if t.get("status") != "ok" or t.get("metric") is None]
            m = np.array([t["metric"] for t in ts], dtype=float) if not bad else None
            good = not bad and bool(np.isfinite(m).all())
            trials.append({
                "trial": k, "params": {p: _s(v) for p, v in ts[0]["params"].items()},
                "status": "pruned" if pruned else "ok" if good else "failed",
                "state": "pruned" if pruned else "complete" if good else "failed",
                "reason": "; ".join(f"fold {t['fold']} {t['status']}: {_why(t)}" for t in bad),
                "n_folds_ok": float(sum(t.get("status") == "ok" for t in ts)),
                "metric_mean": float(m.mean()) if good else float("nan"),
                "metric_std": (float(m.std(ddof=1)) if len(m) > 1 else 0.0) if good else float("nan"),
                "best_epoch_mean": float(np.mean([t.get("best_epoch", np.nan) for t in ts])),
                "seconds_sum": float(sum(t.get("seconds", 0) for t in ts)),
            })
        return trials

    def metric_values(self):
        """(trial numbers, metric_mean) arrays, NaN for failed trials."""
        tr = np.array([t["trial"] for t in self.trials])
        m = np.array([t["metric_mean"] if is_complete(t) else np.nan for t in self.trials], dtype=float)
        return tr, m

    def ranked(self):
        """complete trials, best first."""
        return sorted([t for t in self.trials if is_complete(t)], key=lambda t: t["metric_mean"])

    def timeline(self):
        """[(training seconds so far, trial, value)] in the order trials
        ended, one entry per trial: the journal's tasks in file order (the
        order they finished), each adding its own seconds, pruned and
        failed ones included; a trial ends with its last fold (or its
        first pruned fold) and has its metric_mean as value if it is
        complete, NaN otherwise. With one worker the seconds add up to the
        run's training time at that point."""
        n_folds = (self.header or {}).get("n_folds") or 1
        value = {t["trial"]: (t["metric_mean"] if is_complete(t) else math.nan) for t in self.trials}
        seen, folds_in, ended, out, total = set(), {}, set(), [], 0.0
        for t in self.tasks:
            key = (t["trial"], t.get("fold"))
            if key in seen:
                continue  # a resume may repeat a (trial, fold): counted once, as in trials.csv
            seen.add(key)
            total += t.get("seconds") or 0.0
            k = t["trial"]
            folds_in[k] = folds_in.get(k, 0) + 1
            done = t.get("status") == "pruned" or folds_in[k] >= n_folds
            if done and k not in ended and k in value:
                ended.add(k)
                out.append((total, k, value[k]))
        return out

    def status_counts(self):
        """{'trials': {status: n}, 'tasks': {status: n}}; a pruned trial counts as pruned."""
        tr, ta = {}, {}
        for t in self.trials:
            k = "pruned" if is_pruned(t) else t["status"]
            tr[k] = tr.get(k, 0) + 1
        for t in self.tasks:
            ta[t.get("status", "?")] = ta.get(t.get("status", "?"), 0) + 1
        return {"trials": tr, "tasks": ta}

    def pruned_tasks(self):
        """The journal's pruned tasks (first line of each (trial, fold)),
        each with 'curve' as an array (epochs, 4): epoch, train_loss,
        val_loss, lr (the curve trained until the stop), and 'rung' (the
        epoch the decision was taken at) and 'pruned_value' when given."""
        seen, out = set(), []
        for t in self.tasks:
            key = (t["trial"], t.get("fold"))
            if t.get("status") != "pruned" or key in seen:
                continue
            seen.add(key)
            c = np.array([math.nan if v is None else v for v in t.get("curve") or []], dtype=float)
            out.append(dict(t, curve=c[: len(c) // 4 * 4].reshape(-1, 4)))
        return out

    def rungs(self):
        """The pruner's rung epochs: summary.json's pruning.rungs, else (a
        sweep still running) the epochs at which the journal's pruned tasks
        were stopped; [] without pruning."""
        r = ((self.summary or {}).get("pruning") or {}).get("rungs")
        if r is None:
            r = {t["rung"] for t in self.tasks if t.get("status") == "pruned" and t.get("rung") is not None}
        return sorted(float(x) for x in r)

    # --- files ----------------------------------------------------------
    def history(self, trial):
        """{fold: array (epochs, 4): epoch, train_loss, val_loss, lr}"""
        path = os.path.join(self.dir, "history.h5")
        if not os.path.exists(path):
            return {}
        out = {}
        with h5py.File(path, "r") as h:
            g = h.get(f"trial_{trial:06d}")
            if g is None:
                return {}
            for k in g:
                if k.startswith("fold_"):
                    out[int(k[5:])] = g[k][()]
        return dict(sorted(out.items()))

    def test_predictions(self):
        """(X, Y, Y_pred) of the test rows, or None without a final model."""
        path = os.path.join(self.dir, "test_predictions.h5")
        if not os.path.exists(path):
            return None
        with h5py.File(path, "r") as h:
            return (h["X"][()].astype(np.float64), h["Y"][()].astype(np.float64),
                    h["Y_pred"][()].astype(np.float64))

    def data_path(self):
        """The data file of the config, looked for where the run most likely
        ran: relative paths in the config are relative to the directory
        mlpsweep ran in, which is OUT minus output.dir when that matches."""
        if self._data_path_arg:
            return self._data_path_arg if os.path.exists(self._data_path_arg) else None
        p = self.config.get("data.path")
        if not p:
            return None
        cands = [p] if os.path.isabs(p) else []
        od = self.config.get("output.dir", "")
        if od and not os.path.isabs(od):
            parts = os.path.normpath(od).split(os.sep)
            base = self.dir
            if os.path.normpath(base).split(os.sep)[-len(parts):] == parts:
                for _ in parts:
                    base = os.path.dirname(base)
                cands.append(os.path.join(base, p))
        cands += [os.path.join(os.getcwd(), p), os.path.join(os.path.dirname(self.dir), p),
                  os.path.join(self.dir, os.path.basename(p))]
        for c in cands:
            if os.path.isfile(c):
                return c
        return None

    def data_info(self, d, m):
        """{'input_names': [d names], 'grid': (m,) or None, 'grid_label': str,
        'target_units': str ('' when unknown), 'target_description': str,
        'data_path': str or None} for d inputs and m outputs, from the data
        file's attributes where it has them (`mlpsweep gen` writes them all:
        X names and units, Y units and description, grid name and units)."""
        info = {"input_names": [f"x{j}" for j in range(d)], "grid": None, "grid_label": "output bin",
                "target_units": "", "target_description": "", "data_path": None}
        path = self.data_path()
        if not path:
            return info
        info["data_path"] = path
        try:
            with h5py.File(path, "r") as h:
                xs = h.get(self.config.get("data.inputs", "X"))
                names = None
                if xs is not None and "names" in xs.attrs:
                    names = [_s(v) for v in xs.attrs["names"]]
                elif "param_names" in h.attrs:
                    names = [_s(v) for v in h.attrs["param_names"]]
                if names:
                    cols = parse_columns(self.config.get("data.input_columns", "all"), len(names))
                    if len(cols) == d and max(cols) < len(names):
                        units = [_s(v) for v in xs.attrs["units"]] if xs is not None and "units" in xs.attrs else []
                        info["input_names"] = [names[c] + (f" [{units[c]}]" if c < len(units) and units[c] else "")
                                               for c in cols]
                ys = h.get(self.config.get("data.targets", "Y"))
                if ys is not None:
                    info["target_units"] = _one_unit(ys.attrs.get("units"),
                                                     self.config.get("data.target_columns", "all"), m)
                    info["target_description"] = _s(ys.attrs.get("description", ""))
                g = h.get("grid")
                if isinstance(g, h5py.Dataset) and g.ndim == 1:
                    grid = g[()].astype(np.float64)
                    cols = parse_columns(self.config.get("data.target_columns", "all"), len(grid))
                    if len(cols) == m and max(cols) < len(grid):
                        info["grid"] = grid[cols]
                        nm = _s(g.attrs.get("name", "grid"))
                        un = _s(g.attrs.get("units", ""))
                        info["grid_label"] = nm + (f" [{un}]" if un else "")
        except (OSError, KeyError, ValueError):
            pass
        return info


def _one_unit(units, col_spec, m):
    """The unit of the selected target columns: a scalar attribute, or a
    per-column one whose selected columns agree; '' otherwise."""
    if units is None:
        return ""
    if isinstance(units, (str, bytes)):
        return _s(units)
    units = [_s(u) for u in np.ravel(units)]
    cols = parse_columns(col_spec, len(units))
    sel = {units[c] for c in cols if c < len(units)}
    return sel.pop() if len(sel) == 1 and len(cols) == m else ""


def is_frac(metric):
    """Fractional-error metrics and test keys: shown in percent, as the
    terminal shows the final model's errors."""
    return str(metric).endswith("frac_err")


def fmt_pct(v):
    """A fraction as the terminal prints it: 0.006070 -> '0.6070%'."""
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
        return fmt(v)
    return f"{100 * v:.4f}%"


def fmt_metric(metric, v):
    """A value of the named metric: percent for fractional errors."""
    return fmt_pct(v) if is_frac(metric) else fmt(v)


def fmt_param(v):
    """A parameter value for a table: numbers (also as text, as trials.csv
    and the journal give them) to 4 significant digits, anything else as is."""
    if isinstance(v, bool):
        return str(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    return fmt(x)


def fmt(v, digits=4):
    """Short text for a table cell."""
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}"
    return str(v)
