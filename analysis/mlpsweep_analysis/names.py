"""The activation names, once for the analysis: those of the C engine
(src/nn/nn_types.c, in its order), the alias it accepts, and the PyTorch
module of each (torch.nn.<name>), for the reference scripts."""

ACTIVATIONS = ("relu", "leaky_relu", "elu", "selu", "gelu", "swish", "sigmoid", "tanh", "linear")
ALIASES = {"silu": "swish"}  # accepted by the engine, written as the canonical name
TORCH = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU", "selu": "SELU", "gelu": "GELU",
         "swish": "SiLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "linear": "Identity"}


def canon(name):
    """The engine's name for an activation (an alias resolved); anything
    that is not a string (e.g. a numeric categorical value) unchanged."""
    return ALIASES.get(name, name) if isinstance(name, str) else name


def known(name):
    """True for an activation name the engine accepts (aliases included)."""
    return canon(name) in ACTIVATIONS


def torch_module(torch, name):
    """The torch.nn activation class of an engine activation name."""
    return getattr(torch.nn, TORCH[canon(name)])
