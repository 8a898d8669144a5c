"""管中窥豹, "seeing a leopard through a tube" (the primer, 0x03 2): twenty classmates each look at one small patch
of a photo through a thin bamboo tube; an experienced classmate puts their notes together, first into parts (an
eye, an ear, the whiskers), then into the whole animal. That is local perception in a CNN: each first-layer unit
sees a small patch, deeper units combine patches into parts and parts into the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TUBES = 20
"""How many classmates look, one tube each."""


@dataclass(frozen=True)
class Part:
    """A part of the photo that the experienced classmate recognises: its name (a catalogue key) and its box
    ``(top, left, bottom, right)`` as fractions of the photo's height and width (bottom and right exclusive)."""

    name: str
    box: tuple[float, float, float, float]


CAT_PARTS = (
    Part("ear", (0.0, 0.05, 0.22, 0.25)), Part("ear", (0.0, 0.72, 0.22, 0.9)),
    Part("eye", (0.27, 0.29, 0.52, 0.47)), Part("eye", (0.33, 0.63, 0.57, 0.78)),
    Part("stripes", (0.0, 0.44, 0.3, 0.68)), Part("nose", (0.7, 0.5, 0.92, 0.66)),
    Part("whiskers", (0.66, 0.0, 1.0, 0.45)),
)
"""The parts of the cat photo (``core.images.BUILTIN_IMAGES["cat"]``), placed by eye on it."""


def tube_side(shape: tuple[int, int]) -> int:
    """The side of a tube's square view: a tenth of the photo's shorter side, at least 4 pixels."""
    return max(4, min(shape) // 10)


def tube_positions(shape: tuple[int, int], n: int = TUBES, seed: int = 0) -> list[tuple[int, int]]:
    """``(top, left)`` of ``n`` square views of side ``tube_side(shape)`` that do not overlap: the photo is cut into
    a grid of cells of that side and ``n`` cells are drawn without replacement (``numpy.random.default_rng(seed)``),
    in the order the classmates look."""
    side = tube_side(shape)
    rows, cols = shape[0] // side, shape[1] // side
    if n > rows * cols:
        raise ValueError(f"{n} tubes do not fit in a {shape[0]}x{shape[1]} photo ({rows * cols} cells)")
    cells = np.random.default_rng(seed).choice(rows * cols, size=n, replace=False)
    return [(int(c // cols) * side, int(c % cols) * side) for c in cells]


def through_tubes(picture: np.ndarray, positions: list[tuple[int, int]], seen: int) -> np.ndarray:
    """What the first ``seen`` classmates saw, put together: ``picture`` ``(H, W)`` or ``(H, W, C)`` inside their
    views, NaN everywhere else."""
    side = tube_side(picture.shape[:2])
    out = np.full(picture.shape, np.nan)
    for top, left in positions[:seen]:
        out[top:top + side, left:left + side] = picture[top:top + side, left:left + side]
    return out


def part_box(part: Part, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``part``'s box in pixels of a photo of ``shape``: ``(top, left, bottom, right)``, each fraction times the
    side, rounded."""
    h, w = shape
    top, left, bottom, right = part.box
    return round(top * h), round(left * w), round(bottom * h), round(right * w)


def tubes_in(part: Part, positions: list[tuple[int, int]], shape: tuple[int, int]) -> list[int]:
    """The numbers (from 1) of the tubes whose view's centre lies inside ``part``'s box: the notes the experienced
    classmate combines into that part."""
    side = tube_side(shape)
    top, left, bottom, right = part_box(part, shape)
    return [n for n, (t, lft) in enumerate(positions, 1)
            if top <= t + side / 2 < bottom and left <= lft + side / 2 < right]
