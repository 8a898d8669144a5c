"""The depth lesson's stack of layers: its URL form, its output sizes, which first-layer units a deeper unit
combines, and the receptive-field question.

A layer is ``kind-kernel-stride-dilation`` in a link (``conv-3-1-1``, ``pool-2-2-1``); padding is always 0 here, so
each layer's output shrinks by ``d(k - 1)`` and divides by the stride (``core.conv.conv_output_size``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.conv import conv_output_size
from core.receptive import KINDS, field_bounds, receptive_fields

KERNELS = (1, 2, 3, 5, 7)
STRIDES = (1, 2, 3)
DILATIONS = (1, 2, 3)
DEFAULT_STACK = ("conv-3-1-1", "conv-3-1-1", "pool-2-2-1", "conv-3-1-1", "conv-3-1-1", "pool-2-2-1", "conv-3-1-1",
                 "conv-3-1-1")
"""Eight layers in the VGG pattern: two 3×3 convolutions, then 2×2 max pooling, again and again."""


def parse_layer(text: str) -> dict:
    """``"conv-3-1-1"`` -> ``{"kind": "conv", "kernel": 3, "stride": 1, "dilation": 1}``; ValueError otherwise (only
    this page's choices: kernels 1, 2, 3, 5, 7; strides and dilations 1-3)."""
    match = re.fullmatch(r"(conv|pool)-([0-9])-([0-9])-([0-9])", str(text).strip())
    if not match:
        raise ValueError(f"a layer is kind-kernel-stride-dilation like conv-3-1-1, got {text!r}")
    kind, k, s, d = match.group(1), *(int(g) for g in match.groups()[1:])
    if k not in KERNELS or s not in STRIDES or d not in DILATIONS or kind not in KINDS:
        raise ValueError(f"{text!r}: kernel must be one of {KERNELS}, stride of {STRIDES}, dilation of {DILATIONS}")
    return {"kind": kind, "kernel": k, "stride": s, "dilation": d}


def format_layer(layer: dict) -> str:
    return f"{layer['kind']}-{layer['kernel']}-{layer.get('stride', 1)}-{layer.get('dilation', 1)}"


class StackError(ValueError):
    """A stack whose ``layer`` (1-based) has nothing left to look at: its kernel spans more than its input."""

    def __init__(self, layer: int, message: str):
        super().__init__(f"layer {layer}: {message}")
        self.layer = layer


def output_shapes(layers: list[dict], h: int, w: int) -> list[tuple[int, int]]:
    """Each layer's output ``(H, W)`` for an ``h``×``w`` input (padding 0); ``StackError`` naming the first layer
    whose kernel no longer fits."""
    shapes = []
    for index, layer in enumerate(layers, 1):
        try:
            h = conv_output_size(h, layer["kernel"], layer.get("stride", 1), 0, layer.get("dilation", 1))
            w = conv_output_size(w, layer["kernel"], layer.get("stride", 1), 0, layer.get("dilation", 1))
        except ValueError as error:
            raise StackError(index, str(error)) from None
        shapes.append((h, w))
    return shapes


def units_inside(entry: dict, bounds: tuple[int, int, int, int], shape: tuple[int, int]) -> list[tuple[int, int]]:
    """The units ``(i, j)`` of a layer (its ``receptive_fields`` entry, output ``shape``) whose whole field lies
    within ``bounds`` = (top, left, bottom, right): the small views a deeper unit puts together."""
    top, left, bottom, right = bounds
    half = (entry["size"] - 1) / 2
    rows = np.arange(shape[0])
    cols = np.arange(shape[1])
    centre_r = entry["start"] + rows * entry["jump"]
    centre_c = entry["start"] + cols * entry["jump"]
    ok_r = rows[(centre_r - half >= top) & (centre_r + half <= bottom)]
    ok_c = cols[(centre_c - half >= left) & (centre_c + half <= right)]
    return [(int(i), int(j)) for i in ok_r for j in ok_c]


@dataclass(frozen=True)
class FieldQuestion:
    """How many input pixels wide is the receptive field of one unit after ``layers`` (padding 0)?"""

    layers: tuple[str, ...]

    @property
    def answer(self) -> int:
        return int(receptive_fields([parse_layer(s) for s in self.layers])[-1]["size"])


def field_question(seed: int) -> FieldQuestion:
    """Two to four layers, mostly 3×3 convolutions, with a stride-2 pooling or a dilation now and then."""
    rng = np.random.default_rng([seed, 13])
    choices = ("conv-3-1-1", "conv-3-1-1", "conv-5-1-1", "pool-2-2-1", "conv-3-2-1", "conv-3-1-2")
    n = int(rng.integers(2, 5))
    return FieldQuestion(tuple(str(rng.choice(choices)) for _ in range(n)))


def centre_unit(shape: tuple[int, int]) -> tuple[int, int]:
    return shape[0] // 2, shape[1] // 2


__all__ = ["DEFAULT_STACK", "DILATIONS", "KERNELS", "STRIDES", "FieldQuestion", "StackError", "centre_unit",
           "field_bounds", "field_question", "format_layer", "output_shapes", "parse_layer", "units_inside"]
