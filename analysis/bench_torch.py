#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/bench_torch.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.bench_torch` run from analysis/."""
import sys

from mlpsweep_analysis.bench_torch import main

if __name__ == "__main__":
    sys.exit(main())
