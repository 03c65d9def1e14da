#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/compare_proposals.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.compare_proposals` run from analysis/."""
import sys

from mlpsweep_analysis.compare_proposals import main

if __name__ == "__main__":
    sys.exit(main())
