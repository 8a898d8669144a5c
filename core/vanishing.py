"""Gradients through depth, for the activations lesson: how the gradient that reaches each layer of a deep stack
shrinks or grows with the activation and the initialisation (``gradient_through_depth``), on a network drawn from a
private generator (``depth_network``).
"""

from __future__ import annotations

import numpy as np

from core.activations import activation_named, make_torch_module
from core.curve_fit import one_torch_thread

# ---- gradients through depth --------------------------------------------------------------------------------

INITS = ("xavier", "kaiming", "torch")


def depth_network(activation: str, depth: int, width: int = 32, seed: int = 0, batch: int = 64,
                  init: str = "xavier"):
    """(layers, x, t) for ``gradient_through_depth``: ``depth`` Linear(width, width) and a final Linear(width, 1)
    (float64 torch modules, biases 0), inputs x ~ N(0, 1) of shape (batch, width) and targets t ~ N(0, 1).

    init: "xavier" = ``xavier_normal_`` (gain 1), "kaiming" = ``kaiming_normal_`` (for relu), "torch" = nn.Linear's
    default; all drawn from a private ``torch.Generator`` seeded ``seed`` (torch's process-wide RNG is neither read
    nor changed, so concurrent sessions cannot disturb each other), in the order building the layers under
    a globally seeded RNG would draw them: nn.Linear's default init of every layer, then the chosen init,
    then x, then t.
    """
    import torch
    from torch import nn

    from core.seeding import materialise

    activation_named(activation)
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    for name, v in {"depth": depth, "width": width, "batch": batch}.items():
        if v < 1:
            raise ValueError(f"{name} must be at least 1, got {v}")
    generator = torch.Generator().manual_seed(seed)
    layers = [nn.Linear(width, width, dtype=torch.float64, device="meta") for _ in range(depth)]
    layers.append(nn.Linear(width, 1, dtype=torch.float64, device="meta"))
    materialise(nn.ModuleList(layers), generator, "cpu")  # nn.Linear's default first, as building them drew it
    with torch.no_grad():
        for layer in layers:
            if init == "xavier":
                nn.init.xavier_normal_(layer.weight, generator=generator)
            elif init == "kaiming":
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
            layer.bias.zero_()
    x = torch.randn(batch, width, dtype=torch.float64, generator=generator)
    t = torch.randn(batch, 1, dtype=torch.float64, generator=generator)
    return layers, x, t


def gradient_through_depth(activation: str, depth: int, width: int = 32, seed: int = 0, batch: int = 64,
                           init: str = "xavier") -> np.ndarray:
    """``‖∂L/∂W_l‖_F`` for the hidden layers l = 1 (next to the input) .. depth of ``depth_network``.

    Each hidden layer is followed by the activation; the final Linear(width, 1) is not counted. The loss is the MSE
    against random targets, ``L = mean((y - t)²)``, so the gradient arriving at the output is of order 1 whatever
    the output's scale, and what happens to it on the way down is the activations' (and weights') doing alone.
    """
    import torch

    layers, x, t = depth_network(activation, depth, width, seed, batch, init)
    with torch.enable_grad(), one_torch_thread():
        h = x
        for layer in layers[:-1]:
            h = make_torch_module(activation)(layer(h))
        loss = torch.mean((layers[-1](h) - t) ** 2)
        grads = torch.autograd.grad(loss, [layer.weight for layer in layers[:-1]])
    return np.array([torch.linalg.matrix_norm(g).item() for g in grads])
