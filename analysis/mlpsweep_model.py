#!/usr/bin/python3
"""load_model and the command-line predictor of mlpsweep_analysis/model.py,
under the name the README gives:

    sys.path.insert(0, "path/to/mlpsweep/analysis")
    from mlpsweep_model import load_model      # or: from mlpsweep_analysis.model import load_model
    from mlpsweep_model import to_torch        # torch.nn.Module (needs python3-torch)

    /usr/bin/python3 analysis/mlpsweep_model.py MODEL.h5 IN.h5 OUT.h5 [--inputs X] [--output Y]
"""
import sys

from mlpsweep_analysis.model import ACTIVATIONS, Model, OutsideTrainingBox, Transform, load_model, main

__all__ = ["ACTIVATIONS", "Model", "OutsideTrainingBox", "Transform", "load_model", "to_torch"]


def to_torch(path, **kw):
    """model.h5 as a torch.nn.Module (mlpsweep_analysis.torch_model; needs torch)."""
    from mlpsweep_analysis.torch_model import to_torch as t
    return t(path, **kw)

if __name__ == "__main__":
    sys.exit(main())
