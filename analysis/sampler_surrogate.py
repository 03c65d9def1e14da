#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/sampler_surrogate.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.sampler_surrogate` run from analysis/."""
import sys

from mlpsweep_analysis.sampler_surrogate import main

if __name__ == "__main__":
    sys.exit(main())
