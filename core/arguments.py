"""Checking the arguments that the rest of ``core`` takes: whole numbers, (h, w) pairs, array dtypes, typed text.

One helper per kind of check, so that every module refuses a bad value with the same words: a ``ValueError`` that
names the argument, says what it must be and shows what it got.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

Pair = tuple[int, int]


def whole_number(value, name: str, at_least: int | None = None) -> int:
    """``value`` as an ``int`` when it is a whole number (an ``Integral``, not a ``bool``) and ``value >= at_least``.

    ValueError otherwise, naming ``name``: "``name`` must be a whole number[, at least 1], got 2.5" when it is not
    whole, "``name`` must be at least 1, got 0" (or "must be 0 or more") when it is whole but too small.
    """
    bound = None if at_least is None else "0 or more" if at_least == 0 else f"at least {at_least}"
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number{'' if bound is None else ', ' + bound}, got {value!r}")
    if at_least is not None and value < at_least:
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return int(value)


def as_pair(value, name: str) -> Pair:
    """``v -> (v, v)`` for an int, ``(h, w)`` kept as it is; anything else is a ValueError."""
    values = (value, value) if isinstance(value, Integral) and not isinstance(value, bool) else value
    try:
        h, w = values
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints (h, w), got {value!r}") from None
    if not all(isinstance(v, Integral) and not isinstance(v, bool) for v in (h, w)):
        raise ValueError(f"{name} must be an int or a pair of ints (h, w), got {value!r}")
    return int(h), int(w)


def work_dtype(x: np.ndarray, op: str) -> tuple[np.dtype, np.dtype]:
    """(dtype computed in, dtype returned) for an array of real numbers: floats keep theirs (float16 is computed in
    float32), integers and booleans become float64. ValueError, naming ``op``, for complex or non-numeric arrays."""
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"{op} works on real numbers; got an array of {x.dtype}")
    if np.issubdtype(x.dtype, np.floating):
        return np.promote_types(x.dtype, np.float32), x.dtype
    return np.dtype(np.float64), np.dtype(np.float64)


def quote_typed_text(piece: str, limit: int = 20) -> str:
    """``piece`` safe to quote in a message: each invisible character written as ``U+XXXX`` (``"\\u200b"`` ->
    ``"U+200B"``), and at most ``limit`` characters, the last one ``…`` when it was cut."""
    shown = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in piece[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
