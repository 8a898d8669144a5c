"""A student's picture (drawn on the pad, a photo, an upload) prepared for a network the way each data set's own
images were made: ``prepare_image(gray, dataset)`` and its steps (ink box, deslant, stroke weight, MNIST's centring)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.data import DATASETS, area_resize, digits_to_28

# ---- a student's picture, prepared as the data set's authors prepared theirs ---------------------------------

INK_LEVEL = 0.2
"""A pixel is ink where the picture, stretched to [0, 1] (darkest 0, brightest 1, ink bright), exceeds this."""
BLANK_CONTRAST = 0.05
"""A picture whose brightest and darkest pixels differ by less than this holds no drawing."""
DIGITS_FRAME, DIGITS_INK = 32, 313
"""The UCI digits' bitmaps are 32×32, their strokes thickened or thinned to about 313 on-pixels: the median over
``load_digits()`` of the 4×4 block counts summed (mean 312.6, std 34.5; each digit's mean within 6% of it); the 8×8
images count the on-pixels of each 4×4 block (0..16)."""
DIGITS_WIDTH = 20
"""The UCI digits' box is 20 wide by 32 high, the digit stretched to fill it: in the 8×8 scans every digit spans all
8 rows and columns 1..6 (77% of them exactly those; 20 pixels centred in 32 cover pixels 6..25, columns 1..6), the
ones as wide as the zeros (5.3 and 6.0 columns on average) though a written one is far narrower."""
MAX_SLANT = 1.0
"""``deslant`` removes at most this shear (one column per row)."""
MNIST_BOX, MNIST_CENTRE = 20, 14.0
"""MNIST's procedure: the digit's box fitted into 20×20 (aspect kept, anti-aliased), then placed in 28×28 with its
centre of mass at pixel (14, 14) (the mean over MNIST's test images is (13.99, 14.00), rows and columns from 0)."""
FASHION_BOX = 28
"""Fashion-MNIST's procedure: the product trimmed to its box, its longer edge resized to 28, centred in 28×28."""


@dataclass(frozen=True, eq=False)
class PreparedImage:
    """A student's picture on its way to the network, each step kept so that it can be shown.

    ``picture``: the grey input, ink bright (inverted if it was mostly light) and stretched to [0, 1]. ``box``:
    ``(top, left, bottom, right)`` of its ink (bottom and right exclusive), None for "shapes" (whose training
    pictures are not cropped) and for a blank picture. ``cropped``: the picture inside the box (for "shapes" the
    whole picture). ``fitted``: the
    cropped ink in the data set's frame (digits: the 32×32 bitmap with normalised strokes; MNIST and Fashion-MNIST:
    the 28×28 image). ``small``: what the network sees at the data set's own resolution (8×8 for digits, else
    28×28). ``x``: the network's input, float32 ``(1, 1, 28, 28)`` in [0, 1]. ``slant``: the shear ``deslant``
    removed (digits only, else 0). ``blank``: no ink at all; then every array is zero (``cropped`` is empty) and the
    network should not be asked.
    """

    picture: np.ndarray
    box: tuple[int, int, int, int] | None
    cropped: np.ndarray
    fitted: np.ndarray
    small: np.ndarray
    x: torch.Tensor
    blank: bool
    slant: float = 0.0


def ink_box(picture: np.ndarray, level: float = INK_LEVEL) -> tuple[int, int, int, int] | None:
    """``(top, left, bottom, right)`` of the pixels ``> level`` (bottom and right exclusive); None if there is none."""
    rows, cols = np.flatnonzero((picture > level).any(1)), np.flatnonzero((picture > level).any(0))
    if not len(rows):
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def fit_in_box(img: np.ndarray, side: int) -> np.ndarray:
    """``img`` area-resized so that its longer side is ``side`` pixels and its aspect ratio is kept:
    ``(h, w) -> (max(1, round(h s)), max(1, round(w s)))`` with ``s = side / max(h, w)``."""
    h, w = img.shape
    s = side / max(h, w)
    return area_resize(img, max(1, round(h * s)), max(1, round(w * s)))


def paste(patch: np.ndarray, size: int, top: int, left: int) -> np.ndarray:
    """A ``size``×``size`` zero canvas with ``patch`` placed at row ``top``, column ``left``; what falls outside is
    cut off."""
    out = np.zeros((size, size))
    h, w = patch.shape
    r0, c0, r1, c1 = max(top, 0), max(left, 0), min(top + h, size), min(left + w, size)
    if r0 < r1 and c0 < c1:
        out[r0:r1, c0:c1] = patch[r0 - top:r1 - top, c0 - left:c1 - left]
    return out


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """``(sum_ij i a_ij, sum_ij j a_ij) / sum_ij a_ij``: the intensity-weighted mean row and column."""
    total = img.sum()
    return float(np.arange(img.shape[0]) @ img.sum(1) / total), float(img.sum(0) @ np.arange(img.shape[1]) / total)


def deslant(img: np.ndarray, limit: float = MAX_SLANT) -> tuple[np.ndarray, float]:
    """``(upright, k)``: ``img`` sheared along its rows so that its ink no longer slants.

    With the intensity-weighted central moments ``mu11 = mean((i - ci)(j - cj))`` and ``mu02 = mean((i - ci)^2)``
    (``i`` the row, ``j`` the column, ``(ci, cj)`` the centre of mass), the slant is ``k = mu11 / mu02`` (columns
    per row, clipped to ``[-limit, limit]``; 0 for a single row) and the output pixel ``(i, j)`` takes the input at
    ``(i, j + k (i - ci))``, linearly interpolated along the row (``j`` in the input's columns: the output is widened
    on both sides by ``p = ceil(|k| max|i - ci|)`` columns so that nothing falls off, its column ``j + p``). A shear
    keeps each row's mass and moves its mean column by ``-k (i - ci)``, so afterwards ``mu11`` is 0 (unless clipped).
    """
    h, w = img.shape
    ci, cj = centre_of_mass(img)
    rows, cols = np.arange(h) - ci, np.arange(w) - cj
    mu02 = rows**2 @ img.sum(1)
    k = float(np.clip(rows @ img @ cols / mu02, -limit, limit)) if mu02 > 0 else 0.0
    pad = math.ceil(abs(k) * np.abs(rows).max())
    wide = np.pad(img, ((0, 0), (pad + 1, pad + 1)))  # one more column of zeros each side for the interpolation
    src = np.clip(np.arange(w + 2 * pad)[None, :] + 1 + k * rows[:, None], 0, w + 2 * pad + 1)
    left = np.minimum(np.floor(src).astype(int), w + 2 * pad)
    frac = src - left
    row = np.arange(h)[:, None]
    return (1 - frac) * wide[row, left] + frac * wide[row, left + 1], k


def _edge(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` with at least one of their four neighbours (inside the picture) not in ``mask``."""
    padded = np.pad(mask, 1, constant_values=True)  # beyond the picture counts as "in the mask": not an edge
    return mask & ~(padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance of each pixel to the nearest pixel of the other kind: positive inside ``mask`` (to the
    nearest pixel outside), negative outside (to the nearest one inside). Thresholding it at ``-r`` dilates the mask
    by a disc of radius ``r``, at ``+r`` erodes it. Exact, by brute force over pairs: meant for small pictures
    (32×32). Only the other kind's edge pixels (``_edge``) are candidates: a nearest pixel ``q`` of the other kind
    always has a 4-neighbour of the first kind, else the neighbour one step from ``q`` towards ``p`` would be of the
    other kind and nearer."""
    mask = np.asarray(mask, dtype=bool)
    points = np.argwhere(np.ones_like(mask)).astype(np.float64)

    def nearest(targets: np.ndarray) -> np.ndarray:
        if not len(targets):
            return np.full(len(points), np.inf)
        # |p - q|^2 = |p|^2 + |q|^2 - 2 p.q: whole numbers far below 2^53, so exact in float64 (and one matrix product)
        q = targets.astype(np.float64)
        d2 = (points**2).sum(1)[:, None] + (q**2).sum(1)[None, :] - 2 * points @ q.T
        return np.sqrt(d2.min(1))

    to_outside, to_inside = nearest(np.argwhere(_edge(~mask))), nearest(np.argwhere(_edge(mask)))
    return np.where(mask.ravel(), to_outside, -to_inside).reshape(mask.shape)


def normalise_stroke(grey: np.ndarray, n_ink: int) -> np.ndarray:
    """A bitmap of exactly ``min(n_ink, size)`` on-pixels with the strokes of ``grey`` made thicker or thinner.

    The ink (``grey >= max / 2``) is dilated or eroded by a disc until it has ``n_ink`` pixels: pixels are ranked
    by their signed distance to the ink's edge (``signed_distance``), the deepest inside first, then the nearest
    outside; ties go to the brighter pixel of ``grey``, then to the earlier one in row-major order.
    """
    depth = signed_distance(grey >= grey.max() / 2)
    order = np.lexsort((-grey.ravel(), -depth.ravel()))  # the last key sorts first
    bitmap = np.zeros(grey.size)
    bitmap[order[:n_ink]] = 1.0
    return bitmap.reshape(grey.shape)


def _blank(picture: np.ndarray, small_side: int) -> PreparedImage:
    return PreparedImage(picture, None, np.zeros((0, 0)), np.zeros((small_side, small_side)),
                         np.zeros((small_side, small_side)), torch.zeros(1, 1, 28, 28), True)


def prepare_image(gray: np.ndarray, dataset: str) -> PreparedImage:
    """A student's picture (``(H, W)`` grey in [0, 1]) prepared the way ``dataset``'s own images were.

    Ink must be bright on dark, as in the training data: a picture that is mostly light (mean > 1/2: dark ink on
    paper) is inverted, then stretched to [0, 1] (``(g - min) / (max - min)``); a picture with less contrast than
    ``BLANK_CONTRAST`` is blank. Then, as each data set's authors did:

    - ``digits`` (UCI): the ink's box (pixels > ``INK_LEVEL``) made upright (``deslant``: the scans slant little),
      cropped again and stretched to 20×32 (``DIGITS_WIDTH`` × ``DIGITS_FRAME``, aspect not kept: the scans'), in the
      middle of 32×32; the strokes normalised to ``DIGITS_INK`` on-pixels (``normalise_stroke``); the on-pixels of
      each 4×4 block counted (as a fraction of 16) to 8×8; then ``digits_to_28``, exactly as the training images.
    - ``mnist``: the ink's box fitted into 20×20 keeping its aspect ratio (area-resized: anti-aliased), placed in
      28×28 with its centre of mass (``centre_of_mass``) at (14, 14), rounded to whole pixels.
    - ``fashion_mnist``: the box's longer edge resized to 28, centred in 28×28.
    - ``shapes`` (placed anywhere in training): the whole picture area-resized to 28×28.
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    g = np.clip(np.asarray(gray, dtype=np.float64), 0.0, 1.0)
    if g.ndim != 2 or min(g.shape) < 1:
        raise ValueError(f"expected a (H, W) image, got shape {g.shape}")
    if g.mean() > 0.5:
        g = 1.0 - g
    small_side = 8 if dataset == "digits" else 28
    lo, hi = g.min(), g.max()
    if hi - lo < BLANK_CONTRAST:
        return _blank(np.zeros_like(g), small_side)
    g = (g - lo) / (hi - lo)
    if dataset == "shapes":
        small = area_resize(g, 28, 28)
        return PreparedImage(g, None, g, small, small, torch.tensor(small, dtype=torch.float32)[None, None], False)
    box = ink_box(g)
    cropped = g[box[0]:box[2], box[1]:box[3]]  # not None: the brightest pixel is 1 > INK_LEVEL
    if dataset == "digits":
        upright, slant = deslant(cropped)
        top, left, bottom, right = ink_box(upright)  # not None: the shear keeps bright pixels bright enough
        patch = area_resize(upright[top:bottom, left:right], DIGITS_FRAME, DIGITS_WIDTH)
        fitted = normalise_stroke(paste(patch, DIGITS_FRAME, 0, (DIGITS_FRAME - DIGITS_WIDTH) // 2), DIGITS_INK)
        small = area_resize(fitted, 8, 8)
        x = digits_to_28(torch.tensor(small, dtype=torch.float32)[None, None]).clamp(0, 1)
        return PreparedImage(g, box, cropped, fitted, small, x, False, slant)
    if dataset == "fashion_mnist":
        patch = fit_in_box(cropped, FASHION_BOX)
        fitted = paste(patch, 28, (28 - patch.shape[0]) // 2, (28 - patch.shape[1]) // 2)
    else:
        patch = fit_in_box(cropped, MNIST_BOX)
        cy, cx = centre_of_mass(patch)
        fitted = paste(patch, 28, round(MNIST_CENTRE - cy), round(MNIST_CENTRE - cx))
    return PreparedImage(g, box, cropped, fitted, fitted, torch.tensor(fitted, dtype=torch.float32)[None, None],
                         False)
