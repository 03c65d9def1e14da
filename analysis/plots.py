#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/plots.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.plots` run from analysis/."""
import sys

from mlpsweep_analysis.plots import main

if __name__ == "__main__":
    sys.exit(main())
