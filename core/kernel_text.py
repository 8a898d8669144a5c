"""Kernels typed by people: a grid of cells or a line of text like ``1 0 -1; 2 0 -2; 1 0 -1``.

Parsed by hand (never ``eval``): a cell is a decimal number, optionally a fraction ``a/b``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

MAX_KERNEL_SIDE = 7
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class KernelError(ValueError):
    """A kernel that cannot be used; ``code`` names the problem (for translation), ``row``/``col`` the cell."""

    def __init__(self, code: str, message: str, row: int | None = None, col: int | None = None):
        super().__init__(message)
        self.code, self.row, self.col = code, row, col


def parse_cell(cell: object, row: int = 0, col: int = 0) -> float:
    """One cell as a finite float: numbers pass, text like ``-0.5``, ``1e-2`` or ``1/9`` is parsed."""
    if isinstance(cell, bool):
        raise KernelError("not_a_number", f"cell ({row}, {col}) is not a number", row, col)
    if isinstance(cell, int | float | np.integer | np.floating):
        value = float(cell)
    else:
        text = "" if cell is None else str(cell).strip().replace("−", "-")
        if not text:
            raise KernelError("blank", f"cell ({row}, {col}) is empty", row, col)
        if len(text) > 40:
            raise KernelError("not_a_number", f"cell ({row}, {col}) is too long to be a number", row, col)
        parts = text.split("/")
        if len(parts) > 2 or not all(_NUMBER.match(part.strip()) for part in parts):
            raise KernelError("not_a_number", f"cell ({row}, {col}) is not a number: {text!r}", row, col)
        value = float(parts[0])
        if len(parts) == 2:
            denominator = float(parts[1])
            if denominator == 0:
                raise KernelError("not_a_number", f"cell ({row}, {col}) divides by zero", row, col)
            value /= denominator
    if not math.isfinite(value):
        raise KernelError("not_finite", f"cell ({row}, {col}) is not a finite number", row, col)
    return value


def kernel_from_cells(cells: Sequence[Sequence[object]], max_side: int = MAX_KERNEL_SIDE) -> np.ndarray:
    """A rectangular grid of cells (1×1 to max_side²) as a float64 array; the first bad cell raises KernelError."""
    rows = [list(row) for row in cells]
    if not rows or not rows[0]:
        raise KernelError("empty", "the kernel has no cells")
    if len(rows) > max_side or max(len(r) for r in rows) > max_side:
        raise KernelError("too_large", f"a grid has at most {max_side}×{max_side} cells")
    if len({len(r) for r in rows}) != 1:
        raise KernelError("ragged", "every row of the kernel needs the same number of cells")
    return np.array([[parse_cell(c, i, j) for j, c in enumerate(r)] for i, r in enumerate(rows)], dtype=np.float64)


def parse_kernel(text: str, max_side: int = MAX_KERNEL_SIDE) -> np.ndarray:
    """``"1 0 -1; 2 0 -2; 1 0 -1"`` (rows split by ``;`` or new lines, cells by spaces or commas) → array."""
    if len(text) > 4000:
        raise KernelError("too_large", "the text is too long")
    lines = [line for line in re.split(r"[;\n]", text) if line.strip()]
    return kernel_from_cells([[c for c in re.split(r"[,\s]+", line.strip()) if c] for line in lines], max_side)


def format_kernel(w: np.ndarray) -> str:
    """The inverse of ``parse_kernel``, with every float written exactly (``repr``)."""
    return ";".join(" ".join(_short(v) for v in row) for row in np.asarray(w, dtype=np.float64))


def _short(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def stack_centred(kernels: list[np.ndarray]) -> np.ndarray:
    """Kernels of different odd sizes centred in one (C, k, k) array (zeros around the smaller ones)."""
    k = max(max(w.shape) for w in kernels)
    out = np.zeros((len(kernels), k, k))
    for c, w in enumerate(kernels):
        top, left = (k - w.shape[0]) // 2, (k - w.shape[1]) // 2
        out[c, top:top + w.shape[0], left:left + w.shape[1]] = w
    return out
