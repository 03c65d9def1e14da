#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/report.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.report` run from analysis/."""
import sys

from mlpsweep_analysis.report import main

if __name__ == "__main__":
    sys.exit(main())
