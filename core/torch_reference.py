"""The lessons' math computed by PyTorch, for the live "core vs torch" checks the pages show: convolution, pooling
and the activation functions (torch is imported on first use, so a page that never checks does not load it)."""

from __future__ import annotations

import numpy as np

TORCH_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def torch_conv2d_per_channel(x: np.ndarray, w: np.ndarray, stride: int, pads: tuple[tuple[int, int], tuple[int, int]],
                             padding_mode: str, dilation: int, flip: bool) -> np.ndarray:
    """``x`` (C, H, W), one 2-D kernel ``w`` for every channel: ``F.pad`` then ``F.conv2d`` (float64, CPU)."""
    import torch
    import torch.nn.functional as F

    (top, bottom), (left, right) = pads
    x_t = torch.from_numpy(np.array(x, dtype=np.float64))[:, None]  # a writable copy
    weight = torch.from_numpy(np.array(w[::-1, ::-1] if flip else w, dtype=np.float64))[None, None]
    if top or bottom or left or right:
        x_t = F.pad(x_t, (left, right, top, bottom), mode=TORCH_PAD_MODES[padding_mode])
    return F.conv2d(x_t, weight, stride=stride, dilation=dilation)[:, 0].numpy()


def torch_pool2d(x: np.ndarray, size: int, stride: int, padding: int, mode: str, ceil_mode: bool) -> np.ndarray:
    """``F.max_pool2d`` or ``F.avg_pool2d`` (count_include_pad=True) on ``x`` (C, H, W), float64, CPU."""
    import torch
    import torch.nn.functional as F

    x_t = torch.from_numpy(np.array(x, dtype=np.float64))
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(x_t, size, stride=stride, padding=padding, ceil_mode=ceil_mode).numpy()


def torch_activation_functions() -> dict:
    """Each ``core.activations.ACTIVATIONS`` name -> the ``torch.nn.functional`` function with torch's defaults."""
    import torch
    import torch.nn.functional as F

    return {"identity": lambda v: v, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
            "leaky_relu": lambda v: F.leaky_relu(v, 0.01), "elu": F.elu, "gelu": F.gelu, "softplus": F.softplus,
            "silu": F.silu}


def torch_activation(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f′(x) of a ``core.activations.ACTIVATIONS`` name, by ``torch.nn.functional`` and autograd (float64)."""
    import torch

    x_t = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = torch_activation_functions()[name](x_t)
    (grad,) = torch.autograd.grad(y.sum(), x_t)
    return y.detach().numpy(), grad.numpy()
