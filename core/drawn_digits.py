"""Digits drawn by the program with a pen, in writing styles the offline scans lack, for training only.

The offline digits (UCI, via scikit-learn) were written by 43 people on one kind of form: their 4s are mostly closed
(a slanted stroke meets the bar), their 9s end in a curved tail. Students write open 4s, straight-stemmed 9s, flat-
topped 3s, 7s with a bar. ``drawn_digits(n, seed)`` draws ``n`` digits from pen paths (``STYLES``: each digit as one
to three ways of writing it, each a list of strokes), each path randomly bent (``bend``: rotation, slant, width,
a smooth wobble), inked with a round pen of random width (``ink``) and sent through ``core.drawing.prepare_image``
exactly as a drawing on the trainer's pad is. The result joins the scans' training split, never their test split.
"""

from __future__ import annotations

import functools
import math
import threading

import numpy as np
import torch

from core.drawing import prepare_image

HEIGHT = 1.5
"""A pen path lives in the box x in [0, 1] (rightwards), y in [0, HEIGHT] (downwards): a digit is taller than wide."""


def arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float) -> np.ndarray:
    """Points of the ellipse ``(cx + rx cos a, cy + ry sin a)`` for ``a`` from ``start`` to ``stop`` degrees (y
    down, so 90° is the bottom and 270° the top; ``stop < start`` runs anticlockwise on screen), one every 12° or
    closer (at least 4 segments)."""
    a = np.radians(np.linspace(start, stop, max(4, math.ceil(abs(stop - start) / 12)) + 1))
    return np.c_[cx + rx * np.cos(a), cy + ry * np.sin(a)]


def line(*points: tuple[float, float]) -> np.ndarray:
    """A polyline through ``points``."""
    return np.array(points, dtype=np.float64)


def joined(*parts: np.ndarray) -> np.ndarray:
    """One stroke made of ``parts`` drawn without lifting the pen."""
    return np.concatenate(parts)


STYLES: dict[int, list[list[np.ndarray]]] = {
    0: [[arc(.5, .75, .45, .72, -90, 270)], [arc(.5, .75, .42, .72, -60, 310)]],
    1: [[line((.5, 0), (.5, 1.5))],
        [line((.2, .3), (.55, 0), (.55, 1.5))],
        [line((.2, .3), (.55, 0), (.55, 1.5)), line((.2, 1.5), (.9, 1.5))]],
    2: [[joined(arc(.5, .42, .42, .4, 195, 380), line((.85, .62), (.05, 1.5), (.95, 1.5)))],
        [joined(arc(.5, .4, .4, .4, 200, 360), line((.9, .4), (.1, 1.45), (.95, 1.42)))],
        [joined(arc(.5, .42, .42, .4, 195, 380), line((.85, .62), (.18, 1.35)), arc(.25, 1.28, .1, .1, 135, -225),
                line((.18, 1.35), (.95, 1.45)))]],  # a loop at the foot
    3: [[joined(arc(.5, .38, .4, .36, 200, 450), arc(.5, 1.1, .45, .38, 270, 520))],  # two bowls
        [joined(line((.1, 0), (.9, 0), (.45, .6)), arc(.5, 1.05, .45, .43, 250, 510))]],  # a flat top
    4: [[line((.7, 1.5), (.7, 0), (.05, 1.0), (.95, 1.0))],  # closed, one stroke
        [line((.15, 0), (.1, .9), (.9, .9)), line((.72, .15), (.72, 1.5))],  # open, two strokes
        [line((.15, 0), (.1, .9), (.9, .9)), line((.72, 0), (.72, 1.5))]],
    5: [[joined(line((.85, 0), (.2, 0), (.15, .65)), arc(.5, 1.05, .42, .42, 220, 510))],
        [joined(line((.2, 0), (.15, .65)), arc(.5, 1.05, .42, .42, 220, 510)), line((.2, 0), (.85, 0))]],
    6: [[joined(line((.75, 0), (.4, .25), (.15, .65), (.08, 1.05)), arc(.5, 1.08, .42, .4, 180, 540))],
        [joined(arc(1.0, 1.0, .92, 1.0, 250, 180), arc(.5, 1.05, .42, .42, 180, 540))],
        [joined(line((.7, 0), (.35, .45), (.15, .95), (.12, 1.2)), arc(.42, 1.2, .3, .28, 180, 540))]],  # small loop
    7: [[line((.05, 0), (.95, 0), (.35, 1.5))],
        [line((.05, 0), (.95, 0), (.45, 1.5)), line((.3, .75), (.85, .75))],  # with a bar
        [line((.05, .1), (.05, 0), (.95, 0), (.5, 1.5))]],
    8: [[arc(.5, .38, .35, .36, 0, 360), arc(.5, 1.1, .45, .4, 0, 360)],
        [joined(arc(.5, .38, .35, .36, 90, -180), arc(.5, 1.1, .45, .4, -90, 270), arc(.5, .38, .35, .36, 180, 90))]],
    9: [[arc(.5, .4, .4, .38, 0, 360), line((.9, .4), (.85, 1.5))],  # a straight stem
        [joined(arc(.5, .4, .4, .38, 0, -360), line((.9, .4), (.88, 1.1), (.55, 1.48), (.2, 1.35)))],  # a tail
        [arc(.5, .4, .4, .38, 0, 360), line((.9, .3), (.5, 1.5))],
        [arc(.5, .3, .35, .28, 0, 360), line((.85, .3), (.8, 1.5))]],  # a small loop
}
"""For each digit, the ways of writing it: each a list of strokes, each stroke an ``(n, 2)`` pen path in the box
``[0, 1] × [0, HEIGHT]``."""

BEND_DEGREES, BEND_SLANT, BEND_WIDTH, BEND_WOBBLE = 12.0, 0.35, (0.6, 1.3), 0.07
"""``bend``'s ranges: rotation uniform in ±12°, slant ``k`` in ±0.35, width factor in [0.6, 1.3], wobble amplitude
in [0, 0.07] (of the box's width) for each of its four waves."""
PICTURE, MARGIN = 40, 4
"""``ink`` draws on a ``PICTURE``×``PICTURE`` picture, the digit's longer side ``PICTURE - 2 MARGIN`` pixels."""
PEN_WIDTH = (1.6, 3.8)
"""The pen's width in pixels, uniform in this range (from a thin pencil to a thick marker for a digit 32 pixels
tall)."""


def bend(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """``strokes`` as a different hand would write them.

    Each point ``p`` first wobbles: for each coordinate ``d`` and two waves ``j``, ``p_d += a_dj sin(2π f_dj·p +
    φ_dj)`` (``a`` uniform in [0, ``BEND_WOBBLE``], each frequency component in [0.5, 2], ``φ`` in [0, 2π)); then
    ``p -> R(θ) K(k) diag(s, 1) p`` (rotation ``θ``, slant ``K = [[1, k], [0, 1]]``, width ``s``). The wobble is a
    smooth function of the position, so strokes that meet still meet.
    """
    theta = math.radians(rng.uniform(-BEND_DEGREES, BEND_DEGREES))
    k, s = rng.uniform(-BEND_SLANT, BEND_SLANT), rng.uniform(*BEND_WIDTH)
    frequency = rng.uniform(0.5, 2.0, (2, 2, 2))
    phase = rng.uniform(0, 2 * math.pi, (2, 2))
    amplitude = rng.uniform(0, BEND_WOBBLE, (2, 2))
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    matrix = rotation @ np.array([[1.0, k], [0.0, 1.0]]) @ np.diag([s, 1.0])
    out = []
    for stroke in strokes:
        wobble = (amplitude[..., None] * np.sin(2 * math.pi * np.einsum("djc,nc->djn", frequency, stroke)
                                                + phase[..., None])).sum(1)  # (2, n)
        out.append((stroke + wobble.T) @ matrix.T)
    return out


def ink(strokes: list[np.ndarray], pen_width: float, size: int = PICTURE) -> np.ndarray:
    """A ``size``×``size`` grey picture in [0, 1] of ``strokes`` drawn with a round pen ``pen_width`` pixels wide.

    The strokes are scaled (aspect kept) so that their box's longer side is ``size - 2 MARGIN`` pixels and centred; a
    pixel's grey is ``clip(pen_width / 2 - d + 1/2, 0, 1)`` with ``d`` the distance from its centre to the nearest
    segment (anti-aliased over one pixel).
    """
    points = np.concatenate(strokes)
    low, span = points.min(0), points.max(0) - points.min(0)
    scale = (size - 2 * MARGIN) / max(span.max(), 1e-9)
    offset = (size - span * scale) / 2
    starts = np.concatenate([(s[:-1] - low) * scale + offset for s in strokes])  # (S, 2), x then y
    ends = np.concatenate([(s[1:] - low) * scale + offset for s in strokes])
    rows, cols = np.mgrid[0:size, 0:size] + 0.5
    pixels = np.c_[cols.ravel(), rows.ravel()]  # (P, 2)
    along = ends - starts
    length2 = np.maximum((along**2).sum(1), 1e-12)
    t = np.clip(((pixels[:, None] - starts[None]) * along[None]).sum(2) / length2, 0, 1)  # (P, S)
    nearest = starts[None] + t[..., None] * along[None]
    distance = np.sqrt(((pixels[:, None] - nearest) ** 2).sum(2)).min(1)
    return np.clip(pen_width / 2 - distance + 0.5, 0, 1).reshape(size, size)


_DRAWING = threading.Lock()


@functools.cache
def _drawn(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = []
    for label in labels:
        styles = STYLES[int(label)]
        strokes = bend(styles[int(rng.integers(len(styles)))], rng)
        images.append(prepare_image(ink(strokes, rng.uniform(*PEN_WIDTH)), "digits").x)
    x = torch.cat(images) if images else torch.zeros(0, 1, 28, 28)
    return x, torch.from_numpy(labels.astype(np.int64))


def drawn_digits(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` digits drawn by the program: images float32 ``(n, 1, 28, 28)`` in [0, 1] (as ``prepare_image(picture,
    "digits").x``) and labels int64 ``(n,)`` cycling 0, 1, …, 9; for each, a way of writing it (``STYLES``), a
    bend, a pen width, all from ``numpy.random.default_rng(seed)``. The same ``(n, seed)`` gives the same digits
    (cached; copies are returned)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    with _DRAWING:  # a second caller waits for the first one's drawing (then cached) instead of drawing again
        x, y = _drawn(int(n), int(seed))
    return x.clone(), y.clone()


FOR_TRAINING = 2000
"""How many drawn digits the trainer adds to the scans' 1,437 training images by default: with them the offline
model reads about 91% of real MNIST handwriting drawn on the pad, without them about 87% (``bench/handwriting.py``);
drawing them takes about 7 s once per server."""
