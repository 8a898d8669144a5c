"""Seeded randomness that never touches torch's process-wide RNG.

Streamlit runs each session's script in a thread of its own, and training runs in worker threads: seeding torch's
global RNG (even inside a forked RNG state) changes state every thread shares, so two students working at once would
draw each other's numbers. Here every seeded draw comes from a private ``torch.Generator``: a network's initial
weights (``default_init_``, ``materialise``) and the dropout masks of a training run (``private_dropout``).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math

import torch
from torch import nn

# ---- initial weights -------------------------------------------------------------------------------------------


def default_init_(module, generator):
    """``module``'s parameters and buffers set as torch's own ``reset_parameters`` sets them, every random number
    drawn from ``generator`` (a private ``torch.Generator`` on the CPU), never from torch's process-wide RNG.

    Seeding torch's global RNG (even inside a forked RNG state) changes state every thread of the process shares: two
    sessions (Streamlit runs each in its own thread) or a training thread seeding at once would draw each other's
    numbers. Linear and Conv weights: ``kaiming_uniform_(a=√5)``, which is U(±1/√fan_in); their biases:
    U(±1/√fan_in), 0 if fan_in is 0. BatchNorm, LayerNorm, GroupNorm: their own ``reset_parameters`` (weight 1,
    bias 0, running mean 0 and variance 1), which draws nothing. Modules are visited in ``module.modules()`` order,
    weight before bias: the order in which constructing them draws from the global RNG, so the same seed gives the
    same numbers as seeding the global RNG with ``seed`` and then building the layers. Another module with parameters or
    buffers of its own raises TypeError (it would be left uninitialised). Returns ``module``.
    """
    norms = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
                default_weights_(m.weight, m.bias, generator)
            elif isinstance(m, norms):
                m.reset_parameters()
            elif any(True for _ in itertools.chain(m.parameters(recurse=False), m.buffers(recurse=False))):
                raise TypeError(f"no seeded initialisation for {type(m).__name__}")
    return module


def materialise(module, generator, device=None):
    """``module``, built on the meta device (shapes only: its constructors drew nothing), given memory on ``device``
    (None: the default device, that of a ``with torch.device(...)`` block included) and initialised by
    ``default_init_`` from ``generator``. On the meta device it is returned as it is (shapes only, nothing drawn).
    The numbers are drawn on the CPU, then moved: the same seed gives the same weights on every device."""
    target = torch.device(device) if device is not None else torch.empty(0).device
    if target.type == "meta":
        return module
    default_init_(module.to_empty(device="cpu"), generator)
    return module if target.type == "cpu" else module.to(target)


def default_weights_(weight: torch.Tensor, bias: torch.Tensor | None, generator) -> None:
    """A Linear or Conv layer's ``weight`` and ``bias`` (None: none) set in place as its ``reset_parameters`` sets
    them, drawn from ``generator``: the weight ``kaiming_uniform_(a=√5)``, U(±1/√fan_in); then the bias U(±1/√fan_in),
    0 if fan_in is 0. For plain tensors as well as a module's parameters (``core.vanishing`` draws a deep stack's
    weights without building its modules)."""
    with torch.no_grad():
        nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
        if bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            nn.init.uniform_(bias, -bound, bound, generator=generator)


# ---- dropout masks ---------------------------------------------------------------------------------------------


def dropout_generator(device: torch.device, seed: int) -> torch.Generator:
    """A private generator for the dropout masks, on ``device`` where torch has one there (cpu, cuda, mps), else on
    the CPU (the masks are then drawn there and moved)."""
    try:
        return torch.Generator(device=device).manual_seed(seed)
    except (RuntimeError, TypeError):
        return torch.Generator().manual_seed(seed)


def _dropout(layer: nn.Dropout, generator: torch.Generator, x: torch.Tensor) -> torch.Tensor:
    """What ``F.dropout`` computes (on the CPU: the same ops, so the same masks for the same generator state), its
    mask drawn from ``generator``: each value kept with probability 1 - p and scaled by 1 / (1 - p)."""
    if not layer.training or layer.p == 0:
        return x
    if layer.p == 1:
        return x * torch.zeros((), dtype=x.dtype, device=x.device)
    keep = 1 - layer.p
    if generator.device.type == x.device.type:
        noise = torch.empty_like(x).bernoulli_(keep, generator=generator)
    else:
        noise = torch.empty(x.shape, dtype=x.dtype).bernoulli_(keep, generator=generator).to(x.device)
    return x * noise.div_(keep)


@contextlib.contextmanager
def private_dropout(model: nn.Module, generator: torch.Generator):
    """Every ``nn.Dropout`` in ``model`` draws its masks from ``generator`` inside this block (``_dropout``), not
    from torch's process-wide RNG; the layers are as they were afterwards.

    ``nn.Dropout.forward`` takes no generator: its masks come from the global RNG, which every thread of the process
    shares, so seeding it (as this module once did, in a forked RNG state) let two sessions training at
    once change each other's masks, and changed the global state under the other threads' feet. Here each layer's
    ``forward`` is shadowed by an instance attribute for the run. Other dropout modules (``Dropout2d``,
    ``AlphaDropout``, ...; ``build_model`` makes none) still use the global RNG: their masks are then not
    reproducible."""
    layers = [m for m in model.modules() if type(m) is nn.Dropout]
    saved = [m.__dict__.get("forward") for m in layers]
    for m in layers:
        m.forward = functools.partial(_dropout, m, generator)
    try:
        yield
    finally:
        for m, forward in zip(layers, saved, strict=True):
            if forward is None:
                del m.forward
            else:
                m.forward = forward
