"""to_torch(path): an mlpsweep model.h5 as a torch.nn.Module (Debian's
python3-torch), for PyTorch users who differentiate the emulator (HMC,
Fisher matrices) or export it (torch.onnx).

    from mlpsweep_analysis.torch_model import to_torch
    net = to_torch("runs/demo/model.h5")          # float64 by default
    x = torch.tensor([[0.7, 3.1, 2.0]], dtype=torch.float64, requires_grad=True)
    y = net(x)                                      # data units, like `mlpsweep predict`
    J = torch.autograd.functional.jacobian(net, x)

The module is built from the same folded layers as the numpy fast path
(model.py: standard/minmax stages folded into the first and last layers),
with the log/log10 stages applied outside them and the members averaged
before the inverse target transform's log stage, as mlpsweep does. Its
buffers `lo`, `hi` hold the training box (NaN when model.h5 has none).
"""
import numpy as np
import torch

from .model import Model
from .names import torch_module

_G = {"log": (torch.log, torch.exp), "log10": (torch.log10, lambda v: torch.pow(10.0, v))}


class Emulator(torch.nn.Module):
    def __init__(self, model, dtype=torch.float64):
        super().__init__()
        self.n_inputs, self.n_outputs = model.n_inputs, model.n_outputs
        self.input_names = list(model.input_names)
        nets = []
        for (fl, _), act in zip(model._fast, model.member_activations):
            mods = []
            for l, (W, b, _, _) in enumerate(fl):
                lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=dtype)
                with torch.no_grad():
                    lin.weight.copy_(torch.from_numpy(W))
                    lin.bias.copy_(torch.from_numpy(b))
                mods.append(lin)
                if l < len(fl) - 1:
                    A = torch_module(torch, act)
                    mods.append(A(0.01) if act == "leaky_relu" else A())
            nets.append(torch.nn.Sequential(*mods))
        self.members = torch.nn.ModuleList(nets)
        self._weights = [float(w) for w in model.weights] if model.weighted else None
        # The log stages outside the folded layers: per column its stages
        # (kind, shift, scale), as model.py's _pre and _post_apply use them.
        self._pre = [(j, [(model.xin.chain[j][s], float(model.xin.shift[j, s]), float(model.xin.scale[j, s]))
                          for s in range(L + 1)]) for j, L in model._pre_in]
        self._post = [(j, [(model.yout.chain[j][s], float(model.yout.shift[j, s]), float(model.yout.scale[j, s]))
                           for s in range(K + 1)]) for j, K in model._post]
        lo, hi = model.bounds if model.bounds is not None else (np.full(self.n_inputs, np.nan),) * 2
        self.register_buffer("lo", torch.tensor(lo, dtype=dtype))
        self.register_buffer("hi", torch.tensor(hi, dtype=dtype))

    def forward(self, x):
        if self._pre:
            cols = list(x.unbind(-1))
            for j, stages in self._pre:
                v = cols[j]
                for s, (k, shift, scale) in enumerate(stages):
                    v = _G[k][0](v) if k in _G else v
                    if s < len(stages) - 1:  # the last stage's affine part is folded
                        v = (v - shift) / scale
                cols[j] = v
            x = torch.stack(cols, -1)
        if self._weights is not None:  # a committee weighted by CV error
            y = self._weights[0] * self.members[0](x)
            for w, net in zip(self._weights[1:], self.members[1:]):
                y = y + w * net(x)
        else:
            y = self.members[0](x)
            for net in self.members[1:]:
                y = y + net(x)
            if len(self.members) > 1:
                y = y / len(self.members)
        if self._post:
            cols = list(y.unbind(-1))
            for j, stages in self._post:
                v = cols[j]
                for s in range(len(stages) - 1, -1, -1):
                    k, shift, scale = stages[s]
                    if s < len(stages) - 1:  # the last stage's affine part is folded
                        v = v * scale + shift
                    v = _G[k][1](v) if k in _G else v
                cols[j] = v
            y = torch.stack(cols, -1)
        return y


def to_torch(path, dtype=torch.float64):
    """model.h5 -> torch.nn.Module: rows of x in data units -> y in data
    units (the members' mean as `mlpsweep predict` computes it)."""
    return Emulator(Model(path), dtype=dtype)
