#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/compare_samplers.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.compare_samplers` run from analysis/."""
import sys

from mlpsweep_analysis.compare_samplers import main

if __name__ == "__main__":
    sys.exit(main())
