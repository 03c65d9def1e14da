"""The JSON-lines format of Optuna runs (and of the surrogate's runs): one
object per finished trial, {"trial", "params", "value", ...}, as written by
optuna_tpe.py and sampler_surrogate.py and read by compare_samplers.py and
sampler_surrogate.py. A failed trial has value Infinity (or null)."""
import json
import math


def line(row):
    """One trial as its line of the file (with the newline)."""
    return json.dumps(row) + "\n"


def write(path, rows):
    with open(path, "w") as f:
        f.writelines(line(r) for r in rows)


def read(path, drop_torn_tail=False):
    """The trials of a file, in file order. A line that is not JSON raises
    ValueError naming it; with drop_torn_tail, a bad last line (cut short by
    a kill) is instead dropped and the file rewritten without it, as
    mlpsweep's journal reader does."""
    with open(path) as f:
        lines = f.read().splitlines(keepends=True)
    rows = []
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        try:
            rows.append(json.loads(ln))
        except json.JSONDecodeError:
            if drop_torn_tail and i == len(lines) - 1:
                with open(path, "w") as f:
                    f.writelines(lines[:i])
                break
            raise ValueError(f"{path}:{i + 1}: not a JSON line; fix or remove it") from None
    return rows


def value(row):
    """A trial's objective, NaN when missing (null)."""
    v = row.get("value")
    return math.nan if v is None else float(v)
