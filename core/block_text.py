"""One conv block as the short text a link carries: ``"32-5-tanh-avg-nobn"``, and back, refusing anything else."""

from __future__ import annotations

import re

from core.activations import ACTIVATIONS
from core.models import POOLINGS, ConvBlock


def format_block(block: ConvBlock) -> str:
    """``ConvBlock(32, 5, "tanh", "avg", False)`` -> ``"32-5-tanh-avg-nobn"`` (the form links carry)."""
    return "-".join((str(block.channels), str(block.kernel), block.activation, block.pooling,
                     "bn" if block.batch_norm else "nobn"))


def parse_block(text: str, max_channels: int = 512, max_kernel: int = 15) -> ConvBlock:
    """The inverse of ``format_block``; ``ValueError`` for anything else (no eval, bounded numbers)."""
    parts = str(text).strip().split("-")
    if len(parts) != 5:
        raise ValueError(f"a block is channels-kernel-activation-pooling-bn, got {text!r}")
    channels, kernel, activation, pooling, bn = parts
    if not (re.fullmatch(r"[0-9]{1,4}", channels) and re.fullmatch(r"[0-9]{1,3}", kernel)):
        raise ValueError(f"channels and kernel must be whole numbers, got {channels!r}, {kernel!r}")
    block = ConvBlock(int(channels), int(kernel), activation, pooling, {"bn": True, "nobn": False}.get(bn))
    if block.batch_norm is None:
        raise ValueError(f"the last part must be 'bn' or 'nobn', got {bn!r}")
    if not 1 <= block.channels <= max_channels or not 1 <= block.kernel <= max_kernel or block.kernel % 2 == 0:
        raise ValueError(f"channels must be 1..{max_channels} and the kernel odd in 1..{max_kernel}")
    if activation not in ACTIVATIONS or pooling not in POOLINGS:
        raise ValueError(f"unknown activation or pooling in {text!r}")
    return block
