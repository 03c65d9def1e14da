"""Best metric so far against trial number, one line per run: compare
samplers (or seeds) on the same problem.

    /usr/bin/python3 analysis/best_so_far.py OUT1 OUT2 ... -o fig.png [--labels tpe random ...]

Labels default to "NAME (METHOD)" from each run's config; runs given the
same label share a colour (e.g. several seeds of one sampler). Trials are
in the order they were proposed; failed or diverged trials leave the line
flat. Runs still in progress are read from their journal.
"""
import argparse
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .plots import plot_best_so_far  # noqa: E402
from .results import Run  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description="Plot best-so-far against trial number for one or more mlpsweep runs.")
    ap.add_argument("outs", nargs="+", metavar="OUT", help="output directories of `mlpsweep run`")
    ap.add_argument("-o", "--output", required=True, help="image to write (.png, .pdf, .svg)")
    ap.add_argument("--labels", nargs="+", help="one label per OUT (or one comma-separated list)")
    ap.add_argument("--title", help="plot title")
    a = ap.parse_args(argv)
    labels = a.labels
    if labels and len(labels) == 1 and "," in labels[0]:
        labels = [s.strip() for s in labels[0].split(",")]
    if labels and len(labels) != len(a.outs):
        print(f"best_so_far.py: {len(labels)} labels for {len(a.outs)} output directories", file=sys.stderr)
        return 2
    runs = []
    for o in a.outs:
        try:
            runs.append(Run(o))
        except (OSError, ValueError) as e:
            print(f"best_so_far.py: {e}", file=sys.stderr)
            return 2
    metrics = {r.metric for r in runs}
    if len(metrics) > 1:
        print(f"best_so_far.py: warning: the runs minimise different metrics ({', '.join(sorted(metrics))}); "
              "their lines are not comparable", file=sys.stderr)
    fig = plot_best_so_far(runs, labels)
    if a.title:
        fig.axes[0].set_title(a.title)
    fig.savefig(a.output, dpi=120)
    plt.close(fig)
    print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
