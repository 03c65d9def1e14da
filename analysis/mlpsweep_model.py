#!/usr/bin/python3
"""load_model and the command-line predictor of mlpsweep_analysis/model.py,
under the name the README gives:

    sys.path.insert(0, "path/to/mlpsweep/analysis")
    from mlpsweep_model import load_model      # or: from mlpsweep_analysis.model import load_model

    /usr/bin/python3 analysis/mlpsweep_model.py MODEL.h5 IN.h5 OUT.h5 [--inputs X] [--output Y]
"""
import sys

from mlpsweep_analysis.model import ACTIVATIONS, Model, Transform, load_model, main

__all__ = ["ACTIVATIONS", "Model", "Transform", "load_model"]

if __name__ == "__main__":
    sys.exit(main())
