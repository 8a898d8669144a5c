"""Gradients through depth, for the activations lesson: how the gradient that reaches each layer of a deep stack
shrinks or grows with the activation and the initialisation (``gradient_through_depth``), on a network drawn from a
private generator (``depth_network``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.activations import activation_named, make_torch_module
from core.curve_fit import one_torch_thread

if TYPE_CHECKING:  # torch is imported where it is used: the module loads without it
    import torch

# ---- gradients through depth --------------------------------------------------------------------------------

INITS = ("xavier", "kaiming", "torch")


@dataclass(frozen=True)
class DepthNetwork:
    """A deep stack for ``gradient_through_depth``: ``weights[l]`` (out, in) and ``biases[l]`` of layer l (the hidden
    layers, then the output layer), the inputs ``x`` (batch, width) and the targets ``t`` (batch, 1), all float64
    torch tensors."""

    weights: tuple[torch.Tensor, ...]
    biases: tuple[torch.Tensor, ...]
    x: torch.Tensor
    t: torch.Tensor


def depth_network(activation: str, depth: int, width: int = 32, seed: int = 0, batch: int = 64,
                  init: str = "xavier") -> DepthNetwork:
    """The network of ``gradient_through_depth``: ``depth`` Linear(width, width) layers and a final Linear(width, 1)
    (float64, biases 0), inputs x ~ N(0, 1) of shape (batch, width) and targets t ~ N(0, 1).

    init: "xavier" = ``xavier_normal_`` (gain 1), "kaiming" = ``kaiming_normal_`` (for relu), "torch" = nn.Linear's
    default; all drawn from a private ``torch.Generator`` seeded ``seed`` (torch's process-wide RNG is neither read
    nor changed, so concurrent sessions cannot disturb each other), in the order building the layers under
    a globally seeded RNG would draw them: nn.Linear's default init of every layer (``default_weights_``), then the
    chosen init, then x, then t. The weights are drawn into plain tensors: no module is built (building 31 meta
    modules and giving them memory took 5 ms a network, most of a depth change's rerun).
    """
    import torch
    from torch import nn

    from core.seeding import default_weights_

    activation_named(activation)
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    for name, v in {"depth": depth, "width": width, "batch": batch}.items():
        if v < 1:
            raise ValueError(f"{name} must be at least 1, got {v}")
    generator = torch.Generator().manual_seed(seed)
    outs = [width] * depth + [1]
    weights = [torch.empty(out, width, dtype=torch.float64) for out in outs]
    biases = [torch.empty(out, dtype=torch.float64) for out in outs]
    for weight, bias in zip(weights, biases, strict=True):
        default_weights_(weight, bias, generator)  # nn.Linear's default first, as building them drew it
    with torch.no_grad():
        for weight, bias in zip(weights, biases, strict=True):
            if init == "xavier":
                nn.init.xavier_normal_(weight, generator=generator)
            elif init == "kaiming":
                nn.init.kaiming_normal_(weight, nonlinearity="relu", generator=generator)
            bias.zero_()
    x = torch.randn(batch, width, dtype=torch.float64, generator=generator)
    t = torch.randn(batch, 1, dtype=torch.float64, generator=generator)
    return DepthNetwork(tuple(weights), tuple(biases), x, t)


def gradient_through_depth(activation: str, depth: int, width: int = 32, seed: int = 0, batch: int = 64,
                           init: str = "xavier") -> np.ndarray:
    """``‖∂L/∂W_l‖_F`` for the hidden layers l = 1 (next to the input) .. depth of ``depth_network``.

    Each hidden layer is followed by the activation; the final Linear(width, 1) is not counted. The loss is the MSE
    against random targets, ``L = mean((y - t)²)``, so the gradient arriving at the output is of order 1 whatever
    the output's scale, and what happens to it on the way down is the activations' (and weights') doing alone.
    """
    import torch

    network = depth_network(activation, depth, width, seed, batch, init)
    act = make_torch_module(activation)
    hidden = [w.requires_grad_() for w in network.weights[:-1]]
    with torch.enable_grad(), one_torch_thread():
        h = network.x
        for weight, bias in zip(hidden, network.biases, strict=False):
            h = act(torch.nn.functional.linear(h, weight, bias))
        y = torch.nn.functional.linear(h, network.weights[-1], network.biases[-1])
        loss = torch.mean((y - network.t) ** 2)
        grads = torch.autograd.grad(loss, hidden)
    return torch.linalg.matrix_norm(torch.stack(grads)).numpy()
