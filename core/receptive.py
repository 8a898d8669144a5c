"""Receptive fields: which input pixels a unit of a conv/pool stack can see, by formula and by backprop.

A layer with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d`` spans ``k_eff = d(k - 1) + 1`` of its
input cells. Going up a stack, one axis at a time (the same in both axes here), with ``size_0 = 1``, ``jump_0 = 1``,
``start_0 = 0`` (Dumoulin & Visin 2016, "A guide to convolution arithmetic"; Araujo et al. 2019, "Computing
receptive fields of convolutional neural networks", Distill)::

    size_l  = size_{l-1} + (k_eff - 1) * jump_{l-1}           field of one unit, in input pixels
    jump_l  = jump_{l-1} * s                                  input pixels between neighbouring units
    start_l = start_{l-1} + ((k_eff - 1) / 2 - p) * jump_{l-1}   centre of unit 0's field (pixel i sits at i)

Unit ``i`` of layer ``l`` is centred at ``start_l + i * jump_l`` and covers ``size_l`` pixels around it, so its
field runs from ``start_l + i * jump_l - (size_l - 1) / 2`` (a whole number: ``i * jump_l - sum p * jump``) to that
plus ``size_l - 1``. Padding pushes it past the image edge, hence ``field_bounds(..., input_size)`` clips it.

The formula gives the hull of the field. ``receptive_field_of`` measures the pixels that really reach a unit, by
backprop, and can see less at the image border: units of earlier layers that sit in the padding carry no pixel,
the last pixels that a floor-rounded layer leaves out reach no one, and dilation or a stride larger than the
field leaves holes whose edge may be what the clip lands on. Where the unclipped field lies inside the image the
two agree exactly (its corner pixels are reached through real units, over positive weights).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from core.arguments import whole_number

KINDS = ("conv", "pool")
"""Layer kinds a stack may hold: a convolution (``nn.Conv2d``) or max pooling (``nn.MaxPool2d``)."""

_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1}
_KEYS = {"kernel", "stride", "padding", "dilation", "name", "kind"}

Bounds = tuple[int, int, int, int]  # (top, left, bottom, right), inclusive, in input pixels


# ---- the formula ------------------------------------------------------------------------------------------


def _layer(index: int, layer) -> dict:
    """One layer's params, checked, with defaults filled in; errors name ``layers[index]``."""
    where = f"layers[{index}]"
    if not isinstance(layer, Mapping):
        raise ValueError(f"{where} must be a dict with a 'kernel' (and optionally 'stride', 'padding', 'dilation', "
                         f"'name', 'kind'), got {layer!r}")
    unknown = sorted(set(layer) - _KEYS, key=str)
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}; a layer takes {', '.join(sorted(_KEYS))}")
    if "kernel" not in layer:
        raise ValueError(f"{where} has no 'kernel'")
    kind = layer.get("kind", "conv")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    name = layer.get("name", f"layer{index + 1}")
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"{where}: name must be a non-empty string without '.', got {name!r}")
    params = {}
    for key, lowest in (("kernel", 1), ("stride", 1), ("padding", 0), ("dilation", 1)):
        try:
            params[key] = whole_number(layer.get(key, _DEFAULTS.get(key)), key, at_least=lowest)
        except ValueError as error:
            raise ValueError(f"{where} ({name}): {error}") from None
    return {"name": name, "kind": kind, **params}


def receptive_fields(layers: Sequence[Mapping]) -> list[dict]:
    """Per layer: ``size``, ``jump`` and ``start`` from the recurrence above, plus the layer's name, kind and params.

    Each result is ``{"name", "kind", "kernel", "stride", "padding", "dilation", "size", "jump", "start"}`` with
    ``name`` defaulting to ``"layer1"``, ``"layer2"``, ... (as in ``stack_to_model``), ``kind`` to ``"conv"``,
    ``size`` and ``jump`` ints and ``start`` a float (a half-integer when the field has an even size).
    """
    if isinstance(layers, Mapping | str) or not isinstance(layers, Sequence):
        raise ValueError(f"layers must be a list of layer dicts, got {type(layers).__name__}")
    size, jump, start = 1, 1, 0.0
    out, seen = [], set()
    for index, layer in enumerate(layers):
        entry = _layer(index, layer)
        if entry["name"] in seen:
            raise ValueError(f"layers[{index}]: the name {entry['name']!r} is used twice")
        seen.add(entry["name"])
        k_eff = entry["dilation"] * (entry["kernel"] - 1) + 1
        start += ((k_eff - 1) / 2 - entry["padding"]) * jump
        size += (k_eff - 1) * jump
        jump *= entry["stride"]
        out.append({**entry, "size": size, "jump": jump, "start": start})
    return out


def _pair_of(value, what: str) -> tuple[int, int]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(f"{what} must be one whole number or a pair (H, W), got {value!r}")
        return whole_number(value[0], what, at_least=1), whole_number(value[1], what, at_least=1)
    n = whole_number(value, what, at_least=1)
    return n, n


def field_bounds(fields_entry: Mapping, i: int, j: int, input_size=None) -> Bounds:
    """``(top, left, bottom, right)``, inclusive: ``start + i * jump -/+ (size - 1) / 2`` in rows, the same with j.

    ``input_size`` (``n`` or ``(H, W)``) clips the field to the image ``[0, H - 1] x [0, W - 1]``; without it the
    field may reach past the edges (negative with padding). A field lying wholly in the padding clips to an empty
    range (``top > bottom`` or ``left > right``).
    """
    size, jump, start = fields_entry["size"], fields_entry["jump"], fields_entry["start"]
    i, j = whole_number(i, "output row i", at_least=0), whole_number(j, "output column j", at_least=0)
    half = (size - 1) / 2
    top, left = round(start + i * jump - half), round(start + j * jump - half)  # whole numbers: -sum p*jump + i*jump
    bottom, right = top + size - 1, left + size - 1
    if input_size is None:
        return top, left, bottom, right
    h, w = _pair_of(input_size, "input_size")
    return max(top, 0), max(left, 0), min(bottom, h - 1), min(right, w - 1)


# ---- the torch model of a stack ---------------------------------------------------------------------------


def stack_to_model(layers: Sequence[Mapping], in_channels: int = 1, channels: int = 2) -> nn.Sequential:
    """``nn.Sequential`` of ``nn.Conv2d(c, channels, k, s, p, d)`` / ``nn.MaxPool2d(k, s, p, d)``, one per layer.

    Children are named as in ``receptive_fields`` (``"layer1"``, ``"layer2"``, ... unless a layer has a name).
    Pooling keeps the channel count. Torch refuses pooling padding above ``k // 2``, and so does this.
    """
    fields = receptive_fields(layers)
    c = whole_number(in_channels, "in_channels", at_least=1)
    channels = whole_number(channels, "channels", at_least=1)
    modules: list[tuple[str, nn.Module]] = []
    for index, f in enumerate(fields):
        k, s, p, d = f["kernel"], f["stride"], f["padding"], f["dilation"]
        if f["kind"] == "conv":
            modules.append((f["name"], nn.Conv2d(c, channels, k, s, p, d)))
            c = channels
        else:
            if p > k // 2:
                raise ValueError(f"layers[{index}] ({f['name']}): pooling padding p={p} is more than half the kernel "
                                 f"k={k} (torch allows p <= k // 2 = {k // 2})")
            modules.append((f["name"], nn.MaxPool2d(k, s, p, d)))
    return nn.Sequential(OrderedDict(modules))


def model_to_stack(model: nn.Module) -> list[dict]:
    """The reverse of ``stack_to_model``: ``model``'s conv and pooling children, in order and named as in the model,
    as layer dicts for ``receptive_fields``. Other children (activations, batch norm, dropout) leave the field as it
    is; the first flatten or dense layer ends the stack. ValueError for a layer whose kernel, stride, padding or
    dilation differ between the two axes (the recurrence here is the same in both).
    """
    stack = []
    for name, layer in model.named_children():
        if isinstance(layer, nn.Flatten | nn.Linear):
            break
        if not isinstance(layer, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
            continue
        params = {"kernel": layer.kernel_size, "stride": layer.stride or layer.kernel_size, "padding": layer.padding,
                  "dilation": getattr(layer, "dilation", 1)}
        for key, value in params.items():
            pair = _pair(value)
            if pair[0] != pair[1]:
                raise ValueError(f"{name}: {key} {pair} differs between the two axes; receptive_fields needs one value")
            params[key] = pair[0]
        stack.append({"name": name, "kind": "conv" if isinstance(layer, nn.Conv2d) else "pool", **params})
    return stack


# ---- measured by backprop ---------------------------------------------------------------------------------


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, Sequence) else (int(v), int(v))


class _AverageTaps(nn.Module):
    """A max pool's geometry with the mean in place of the max: every tap gets a gradient, not only the winner."""

    def __init__(self, pool: nn.MaxPool2d):
        super().__init__()
        self.k, self.p, self.d = _pair(pool.kernel_size), _pair(pool.padding), _pair(pool.dilation)
        self.s = _pair(pool.stride if pool.stride is not None else pool.kernel_size)
        self.ceil_mode = pool.ceil_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for n, k, s, p, d in zip(x.shape[-2:], self.k, self.s, self.p, self.d, strict=True):
            span = d * (k - 1) + 1
            out = (n + 2 * p - span + (s - 1 if self.ceil_mode else 0)) // s + 1
            if self.ceil_mode and (out - 1) * s >= n + p:
                out -= 1  # torch drops a last window that would start in the right padding
            pads.append((p, p + max(0, (out - 1) * s + span - (n + 2 * p))))  # ceil mode: the overhang too
        (top, bottom), (left, right) = pads
        c = x.shape[1]
        weight = torch.full((c, 1, *self.k), 1.0 / (self.k[0] * self.k[1]), dtype=x.dtype, device=x.device)
        return F.conv2d(F.pad(x, (left, right, top, bottom)), weight, stride=self.s, dilation=self.d, groups=c)


_CANCELLING = (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d, nn.GroupNorm, nn.LayerNorm,
               nn.Softmax, nn.Softmin, nn.LogSoftmax, nn.Softmax2d)


def _swap_max_pools(module: nn.Module) -> None:
    """Max pools (plain and adaptive) to means over the same windows, in every slot (a shared one in each)."""
    for name, child in module._modules.items():
        if isinstance(child, nn.MaxPool2d):
            module._modules[name] = _AverageTaps(child)
        elif isinstance(child, nn.AdaptiveMaxPool2d):
            module._modules[name] = nn.AdaptiveAvgPool2d(child.output_size)  # torch gives both the same windows
        elif child is not None:
            _swap_max_pools(child)


def _positive(module: nn.Module) -> nn.Module:
    """A copy to measure with: positive averaging weights, no bias, max pools as averages, batch norm as identity."""
    module = copy.deepcopy(module).to(device="cpu", dtype=torch.float64).eval()
    _swap_max_pools(module)
    for name, m in module.named_modules():
        if isinstance(m, _CANCELLING):
            raise ValueError(f"cannot measure a receptive field through {type(m).__name__} ({name}): it normalises "
                             "over units, so the equal positive signals of the measurement cancel")
    with torch.no_grad():
        for name, m in module.named_modules():
            own = list(m.parameters(recurse=False))
            if isinstance(m, nn.modules.conv._ConvNd | nn.Linear):
                m.weight.fill_(1.0 / m.weight[0].numel())  # each output a mean of its inputs: stays near 1
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                if not m.track_running_stats:
                    raise ValueError(f"cannot measure through {type(m).__name__} ({name}) without running stats: "
                                     "it subtracts the batch mean")
                m.reset_parameters()  # running mean 0, var 1, weight 1, bias 0: x / sqrt(1 + eps)
            elif own and not isinstance(m, nn.PReLU):  # PReLU only scales negative inputs: none here
                raise ValueError(f"cannot measure a receptive field through {type(m).__name__} ({name}): unknown "
                                 "layer with weights; supported: convolutions, linear, batch norm, pooling and "
                                 "parameter-free activations")
    return module


def receptive_field_of(model: nn.Module, layer_name: str, unit: tuple[int, int, int],
                       input_shape: tuple[int, int, int]) -> Bounds:
    """``(top, left, bottom, right)``, inclusive: the input pixels ``x`` with ``d y[c, i, j] / d x != 0``.

    ``y`` is the output of ``model``'s child ``layer_name`` (an ``nn.Sequential``, run child by child up to it),
    ``unit = (c, i, j)``, ``input_shape = (C, H, W)``. Measured on a float64 deepcopy (``model`` is untouched)
    whose every path from a pixel to the unit has a positive weight, so no gradient can vanish or cancel: the
    input is all ones; convolutions and linear layers average their inputs (weights ``1 / fan_in``, no bias), so
    values stay near 1 and gradients neither overflow nor underflow; batch norm becomes ``x / sqrt(1 + eps)``;
    max pooling (plain and adaptive) becomes the mean over the same taps (same kernel, stride, padding, dilation
    and ceil mode), since a max passes its gradient to one winner only. Activations then see positive inputs, where
    ReLU, leaky ReLU, ELU, GELU, SiLU, softplus, sigmoid and tanh all have a positive slope. A pixel gets a non-zero
    gradient exactly when some chain of real (non-padding) units links it to ``y[c, i, j]``.

    ValueError for an unknown layer, a unit outside that layer's output, a unit that sees only padding, or a
    layer that the measurement cannot go through (normalisation over units, softmax, unknown weighted layers).
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential, got {type(model).__name__}")
    names = list(model._modules)  # every slot, also a module used twice (named_children lists it once)
    if layer_name not in names:
        raise ValueError(f"no layer named {layer_name!r}; the model's layers are {', '.join(names)}")
    if not (isinstance(input_shape, Sequence) and len(input_shape) == 3):
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
    shape = tuple(whole_number(v, "input_shape entry", at_least=1) for v in input_shape)
    if not (isinstance(unit, Sequence) and len(unit) == 3):
        raise ValueError(f"unit must be (channel, i, j), got {unit!r}")
    c, i, j = (whole_number(v, "unit entry", at_least=0) for v in unit)

    probe = _positive(model)
    with torch.enable_grad():
        x = torch.ones((1, *shape), dtype=torch.float64, requires_grad=True)
        y = x
        try:
            for name, layer in probe._modules.items():
                y = layer(y)
                if name == layer_name:
                    break
        except RuntimeError as error:
            raise ValueError(f"the model does not run on an input of shape {shape} up to {layer_name!r}: "
                             f"{error}") from None
        if y.ndim != 4:
            raise ValueError(f"layer {layer_name!r} gives an output of shape {tuple(y.shape)}, not a (1, C, H, W) "
                             "feature map: it has no spatial units")
        _, n_c, n_h, n_w = y.shape
        if not (c < n_c and i < n_h and j < n_w):
            raise ValueError(f"unit {(c, i, j)} is outside {layer_name!r}'s output of {n_c} channels x {n_h} x {n_w}: "
                             f"c must be in 0..{n_c - 1}, i in 0..{n_h - 1}, j in 0..{n_w - 1}")
        y[0, c, i, j].backward()
    seen = (x.grad[0] != 0).any(dim=0)
    rows, cols = torch.nonzero(seen.any(dim=1)).flatten(), torch.nonzero(seen.any(dim=0)).flatten()
    if rows.numel() == 0:
        raise ValueError(f"unit {(c, i, j)} of {layer_name!r} sees only padding: no input pixel reaches it")
    return int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1])
