#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/best_so_far.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.best_so_far` run from analysis/."""
import sys

from mlpsweep_analysis.best_so_far import main

if __name__ == "__main__":
    sys.exit(main())
