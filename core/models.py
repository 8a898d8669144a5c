"""The networks the trainer builds: a small CNN and an MLP, described by frozen configs that round-trip through JSON.

A config is plain data (the page's controls, the URL, a checkpoint hold it); ``build_model`` turns it into a
``torch.nn.Sequential`` whose layers carry stable names (``block1_conv``, ``dense1``, ``out``) so that
``core.model_inside`` can label every row and picture. ``check_config`` says which layer is wrong and
why before torch sees it: a 28×28 image halves at every pooled block (28, 14, 7, 3, 1, 0), so the fifth pooled block
has nothing left to look at.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from core.activations import ACTIVATIONS, make_torch_module
from core.seeding import materialise

POOLINGS = ("none", "max", "avg")  # "max" and "avg": 2×2 windows, stride 2 (floor: 7 -> 3)


class ModelConfigError(ValueError):
    """A config that cannot be built: ``layer`` names where ("block2", "dense1", "input"), ``code`` says why."""

    def __init__(self, layer: str, code: str, message: str):
        super().__init__(f"{layer}: {message}")
        self.layer, self.code = layer, code


@dataclass(frozen=True)
class ConvBlock:
    """conv (k×k, padding k // 2: the same size for odd k) -> batch norm? -> activation -> pooling."""

    channels: int = 16
    kernel: int = 3
    activation: str = "relu"
    pooling: str = "max"
    batch_norm: bool = True


@dataclass(frozen=True)
class CNNConfig:
    """Conv blocks, then flatten and dense layers (each: linear -> activation -> dropout), then ``classes`` logits.

    The default reaches 97-99% test accuracy on the 8×8 digits resampled to 28×28 in a few seconds on 2 CPU cores
    with ``TrainConfig()`` (``python bench/train.py``).
    """

    blocks: tuple[ConvBlock, ...] = (ConvBlock(16), ConvBlock(32))
    global_pool: str = "none"  # "none": flatten the last maps; "max"/"avg": one number per channel first
    dense: tuple[int, ...] = (64,)
    activation: str = "relu"  # of the dense layers
    dropout: float = 0.1
    input_shape: tuple[int, int, int] = (1, 28, 28)
    classes: int = 10

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CNNConfig:
        return _from_json(cls, text)


@dataclass(frozen=True)
class MLPConfig:
    """Flatten, then dense layers (linear -> activation -> dropout), then ``classes`` logits."""

    hidden: tuple[int, ...] = (128,)
    activation: str = "relu"
    dropout: float = 0.0
    input_shape: tuple[int, int, int] = (1, 28, 28)
    classes: int = 10

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MLPConfig:
        return _from_json(cls, text)


# ---- strict JSON ---------------------------------------------------------------------------------------------

# field -> kind: "int", "float", "str", "bool", "ints" (tuple of int), "shape" (3 ints), "blocks"
_KINDS = {"channels": "int", "kernel": "int", "activation": "str", "pooling": "str", "batch_norm": "bool",
          "blocks": "blocks", "global_pool": "str", "dense": "ints", "hidden": "ints", "dropout": "float",
          "input_shape": "shape", "classes": "int"}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _convert(name: str, v):
    kind = _KINDS[name]
    ok = {"int": _is_int, "str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
          "float": lambda v: (_is_int(v) and abs(v) <= 1e308) or (isinstance(v, float) and math.isfinite(v)),
          "ints": lambda v: isinstance(v, list) and all(_is_int(e) for e in v),
          "shape": lambda v: isinstance(v, list) and len(v) == 3 and all(_is_int(e) for e in v),
          "blocks": lambda v: isinstance(v, list) and all(isinstance(e, dict) for e in v)}[kind]
    if not ok(v):
        raise ValueError(f"config field {name!r} has the wrong type or value: {v!r}")
    if kind == "float":
        return float(v)
    if kind in ("ints", "shape"):
        return tuple(v)
    if kind == "blocks":
        return tuple(_from_dict(ConvBlock, e) for e in v)
    return v


def _from_dict(cls, data: dict):
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"unknown config keys for {cls.__name__}: {', '.join(unknown)}")
    return cls(**{k: _convert(k, v) for k, v in data.items()})


def _from_json(cls, text: str):
    """Strict: unknown keys, wrong types and unbuildable values raise ValueError; missing keys take defaults."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError) as e:
        raise ValueError(f"not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError("a config must be a JSON object")
    config = _from_dict(cls, data)
    check_config(config)
    return config


# ---- checking and building -----------------------------------------------------------------------------------

def _check_activation(layer: str, name: str) -> None:
    if name not in ACTIVATIONS:
        raise ModelConfigError(layer, "bad_value",
                               f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def _check_dense(layers: tuple[int, ...], activation: str, dropout: float, classes: int) -> None:
    for i, n in enumerate(layers, 1):
        if n < 1:
            raise ModelConfigError(f"dense{i}", "bad_value", f"a dense layer needs at least 1 unit, got {n}")
    _check_activation("dense1" if layers else "out", activation)
    if not 0.0 <= dropout < 1.0:
        raise ModelConfigError("dense1" if layers else "out", "bad_value", f"dropout must be in [0, 1), got {dropout}")
    if classes < 2:
        raise ModelConfigError("out", "bad_value", f"need at least 2 classes, got {classes}")


def check_config(config: CNNConfig | MLPConfig) -> None:
    """Raise ``ModelConfigError`` naming the first layer that cannot be built; return None if all can."""
    c, h, w = config.input_shape
    if min(c, h, w) < 1:
        raise ModelConfigError("input", "bad_value", f"input shape must be positive, got {config.input_shape}")
    if isinstance(config, MLPConfig):
        _check_dense(config.hidden, config.activation, config.dropout, config.classes)
        return
    for i, b in enumerate(config.blocks, 1):
        layer = f"block{i}"
        if b.channels < 1:
            raise ModelConfigError(layer, "bad_value", f"channels must be at least 1, got {b.channels}")
        if b.kernel < 1 or b.kernel % 2 == 0:
            raise ModelConfigError(layer, "bad_value", f"kernel must be odd and at least 1, got {b.kernel}")
        _check_activation(layer, b.activation)
        if b.pooling not in POOLINGS:
            raise ModelConfigError(layer, "bad_value", f"unknown pooling {b.pooling!r}; choose one of {POOLINGS}")
        if b.pooling != "none":
            if min(h, w) < 2:
                raise ModelConfigError(layer, "too_small", f"2×2 pooling of a {h}×{w} map leaves less than 1×1; "
                                       "remove a block or its pooling")
            h, w = h // 2, w // 2
    if config.global_pool not in POOLINGS:
        raise ModelConfigError("global_pool", "bad_value",
                               f"unknown global pooling {config.global_pool!r}; choose one of {POOLINGS}")
    _check_dense(config.dense, config.activation, config.dropout, config.classes)


def _layers(config: CNNConfig | MLPConfig, device=None) -> list[tuple[str, nn.Module]]:
    """The named layers of ``config``; their weighted ones on ``device`` (``build_model``: "meta", nothing drawn)."""
    c, h, w = config.input_shape
    out: list[tuple[str, nn.Module]] = []
    if isinstance(config, CNNConfig):
        for i, b in enumerate(config.blocks, 1):
            # a conv followed by batch norm needs no bias: BN subtracts the mean and adds its own shift
            out.append((f"block{i}_conv", nn.Conv2d(c, b.channels, b.kernel, padding=b.kernel // 2,
                                                    bias=not b.batch_norm, device=device)))
            if b.batch_norm:
                out.append((f"block{i}_bn", nn.BatchNorm2d(b.channels, device=device)))
            out.append((f"block{i}_act", make_torch_module(b.activation)))
            if b.pooling != "none":
                out.append((f"block{i}_pool", (nn.MaxPool2d if b.pooling == "max" else nn.AvgPool2d)(2, 2)))
                h, w = h // 2, w // 2
            c = b.channels
        if config.global_pool != "none":  # the whole map -> one number per channel: where a feature was is lost
            out.append(("global_pool", (nn.AdaptiveMaxPool2d if config.global_pool == "max" else
                                        nn.AdaptiveAvgPool2d)(1)))
            h, w = 1, 1
        dense = config.dense
    else:
        dense = config.hidden
    out.append(("flatten", nn.Flatten()))
    n = c * h * w
    for i, units in enumerate(dense, 1):
        out += [(f"dense{i}", nn.Linear(n, units, device=device)),
                (f"dense{i}_act", make_torch_module(config.activation))]
        if config.dropout > 0:
            out.append((f"dense{i}_drop", nn.Dropout(config.dropout)))
        n = units
    out.append(("out", nn.Linear(n, config.classes, device=device)))
    return out


def build_model(config: CNNConfig | MLPConfig, seed: int = 0) -> nn.Sequential:
    """The network for ``config`` with torch's default init drawn from a private generator seeded ``seed``.

    The layers are built on the meta device (drawing nothing), then given memory and initialised by
    ``core.seeding.default_init_`` from ``torch.Generator().manual_seed(seed)``: Conv2d and Linear weights
    ``kaiming_uniform_(a=√5)``, biases U(±1/√fan_in), batch norm weight 1 and bias 0: the numbers that seeding the
    global RNG with ``seed`` and then building the layers would give. torch's process-wide RNG is neither read
    nor changed, so sessions building models in several threads at once get the same weights for the same seed. On
    the default device (CPU unless a ``with torch.device(...)`` block says otherwise; "meta": shapes only).
    """
    return materialise(meta_model(config), torch.Generator().manual_seed(seed))


def meta_model(config: CNNConfig | MLPConfig) -> nn.Sequential:
    """``build_model(config)``'s layers, names and sizes on the meta device: shapes only, no weights drawn."""
    check_config(config)
    return nn.Sequential(OrderedDict(_layers(config, device="meta")))
