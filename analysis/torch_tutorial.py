#!/usr/bin/python3
"""Command wrapper of mlpsweep_analysis/torch_tutorial.py (its docstring says what it
does); the same as `python3 -m mlpsweep_analysis.torch_tutorial` run from analysis/."""
import sys

from mlpsweep_analysis.torch_tutorial import main

if __name__ == "__main__":
    sys.exit(main())
