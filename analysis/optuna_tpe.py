#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/optuna_tpe.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.optuna_tpe` run from analysis/."""
import sys

from mlpsweep_analysis.optuna_tpe import main

if __name__ == "__main__":
    sys.exit(main())
