"""Looking inside a network: a table of its layers (shape, weights, multiply-adds), every layer's output for an
input, and the pictures its first layer compares an image with.

``summarize`` measures a built network by running it; ``config_summary`` and ``config_mult_adds`` work out the same
numbers from a config's sizes alone (a property test keeps the two equal).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

from core.activations import make_torch_module
from core.curve_fit import one_torch_thread
from core.models import CNNConfig, MLPConfig, check_config


def _mult_adds(layer: nn.Module, y: torch.Tensor) -> int:
    """Multiply-adds of one layer per image: conv = output elements × in_channels/groups × k_h×k_w (bias adds not
    counted); linear = in × out; batch norm, activations, pooling, dropout, flatten: 0 (cheap elementwise ops)."""
    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        return y[0].numel() * (layer.in_channels // layer.groups) * kh * kw
    if isinstance(layer, nn.Linear):
        return layer.in_features * layer.out_features
    return 0


def summarize(model: nn.Sequential, input_shape: tuple[int, ...]) -> list[dict]:
    """One dict per layer: name, type, output_shape (without the batch), params, mult_adds (per image)."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    rows = []
    for name, layer, y in _run_layers(model, torch.zeros(1, *input_shape, device=device)):
        rows.append({"name": name, "type": type(layer).__name__, "output_shape": tuple(y.shape[1:]),
                     "params": sum(p.numel() for p in layer.parameters()), "mult_adds": _mult_adds(layer, y)})
    return rows


def _closed_form_rows(config: CNNConfig | MLPConfig, types: bool = True) -> list[dict]:
    """``summarize(build_model(config), config.input_shape)`` from the sizes alone, layer by layer as ``_layers``
    builds them: a k×k convolution with padding k // 2 gives ``h + 2(k // 2) - k + 1`` rows (the same for odd k),
    ``C_out·C_in·k²`` weights (+ ``C_out`` biases without batch norm) and ``h_out·w_out·C_out·C_in·k²``
    multiply-adds; batch norm ``2C`` parameters (its running statistics are buffers); a 2×2 pooling ``⌊h/2⌋``; a
    global pooling 1×1; a dense layer ``n·units + units`` parameters and ``n·units`` multiply-adds. A map that has
    vanished (0 rows or columns) stays empty. Without ``types`` the activations' module types are left blank (any
    activation name is then taken)."""
    c, h, w = config.input_shape
    rows = []
    activation_type = _module_type if types else (lambda name: "")

    def row(name: str, kind: str, shape: tuple[int, ...], params: int = 0, mult_adds: int = 0) -> None:
        rows.append({"name": name, "type": kind, "output_shape": shape, "params": params, "mult_adds": mult_adds})

    if isinstance(config, CNNConfig):
        for i, b in enumerate(config.blocks, 1):
            pad = b.kernel // 2
            h, w = (h + 2 * pad - b.kernel + 1 if h else 0), (w + 2 * pad - b.kernel + 1 if w else 0)
            weights = b.channels * c * b.kernel ** 2
            row(f"block{i}_conv", "Conv2d", (b.channels, h, w), weights + (0 if b.batch_norm else b.channels),
                h * w * weights)
            c = b.channels
            if b.batch_norm:
                row(f"block{i}_bn", "BatchNorm2d", (c, h, w), 2 * c)
            row(f"block{i}_act", activation_type(b.activation), (c, h, w))
            if b.pooling != "none":
                h, w = h // 2, w // 2
                row(f"block{i}_pool", "MaxPool2d" if b.pooling == "max" else "AvgPool2d", (c, h, w))
        if config.global_pool != "none":
            h = w = 1
            row("global_pool", "AdaptiveMaxPool2d" if config.global_pool == "max" else "AdaptiveAvgPool2d", (c, 1, 1))
        dense = config.dense
    else:
        dense = config.hidden
    n = c * h * w
    row("flatten", "Flatten", (n,))
    for i, units in enumerate(dense, 1):
        row(f"dense{i}", "Linear", (units,), n * units + units, n * units)
        row(f"dense{i}_act", activation_type(config.activation), (units,))
        if config.dropout > 0:
            row(f"dense{i}_drop", "Dropout", (units,))
        n = units
    row("out", "Linear", (config.classes,), n * config.classes + config.classes, n * config.classes)
    return rows


@functools.lru_cache(maxsize=64)
def _module_type(activation: str) -> str:
    return type(make_torch_module(activation)).__name__


@functools.lru_cache(maxsize=256)
def _config_rows(config: CNNConfig | MLPConfig) -> tuple[tuple[tuple[str, object], ...], ...]:
    check_config(config)
    return tuple(tuple(row.items()) for row in _closed_form_rows(config))


def config_summary(config: CNNConfig | MLPConfig) -> list[dict]:
    """``summarize(build_model(config), config.input_shape)`` without building it: the rows are worked out from the
    config's sizes (``_closed_form_rows``; tested equal to the built network's for random configs), about 0.1 ms
    against 30 for running the layers on the meta device, and remembered per config (the set-up's table and script,
    at every rerun). A fresh list of fresh dicts each call."""
    return [dict(row) for row in _config_rows(config)]


def _run_layers(model: nn.Sequential, x: torch.Tensor) -> list[tuple[str, nn.Module, torch.Tensor]]:
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            for name, layer in model.named_children():
                x = layer(x)
                out.append((name, layer, x))
    finally:
        model.train(was_training)
    return out


def feature_maps(model: nn.Sequential, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """Every layer's output for ``x`` (N, C, H, W), in eval mode without gradients; the model's mode is restored.

    On one torch thread (``one_torch_thread``): the lessons run this for one image at a move of a slider, too little
    work to share between threads, and on a server whose other core is busy (the browser, another session) a second
    thread made the trainer's stages of one digit take up to 64 ms instead of half a millisecond (30 digits, one core
    kept busy: at most 1.1 ms on one thread)."""
    with one_torch_thread():
        return [(name, y) for name, _, y in _run_layers(model, x)]


def first_layer_pictures(model: nn.Sequential, input_shape: tuple[int, int, int]) -> np.ndarray:
    """What the first layer looks for, as pictures (input channel 0): a CNN's first-conv kernels ``(C_out, k, k)``;
    an MLP's first dense layer ``(units, H, W)``, row ``j`` of its weight reshaped to the image: the template that
    unit ``j`` compares the whole image with."""
    for layer in model.children():
        if isinstance(layer, nn.Conv2d):
            return layer.weight.detach()[:, 0].cpu().numpy()
        if isinstance(layer, nn.Linear):
            c, h, w = input_shape
            return layer.weight.detach().reshape(-1, c, h, w)[:, 0].cpu().numpy()
    raise ValueError("this model has no weighted layer")


def config_mult_adds(config: CNNConfig | MLPConfig) -> int:
    """Multiply-adds per image of the network ``config`` describes, from its sizes alone (nothing is built): the sum
    of ``_closed_form_rows``' column, as ``summarize`` counts them. It answers for any config with whole sizes, before
    ``check_config`` refuses one: maps that no longer fit count as nothing (a pooled 1×1 map becomes 0×0, and every
    layer after it multiplies nothing), an even kernel's map is one larger (as torch sizes it), an activation's name
    is not looked at."""
    return sum(row["mult_adds"] for row in _closed_form_rows(config, types=False))
