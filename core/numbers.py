"""Numbers written for people: a few significant digits, a true minus sign, no negative zero."""

from __future__ import annotations

import math

from core.arguments import whole_number

MINUS = "\u2212"
"""− (U+2212), the minus sign of typeset mathematics: as wide as +, where the hyphen ``-`` is short."""


def format_number(v: float, digits: int = 4) -> str:
    """``v`` rounded to ``digits`` significant digits as ``f"{v:.{digits}g}"`` writes it, with ``−`` for every minus
    sign (the exponent's too), ``0`` for both ±0, ``∞`` and ``−∞`` for the infinities.

    ``format_number(1.26) == "1.26"``, ``format_number(-3.125e-4) == "−0.0003125"``, ``format_number(123456.0) ==
    "1.235e+05"``, ``format_number(-0.0) == "0"``, ``format_number(2 / 3, digits=6) == "0.666667"``.
    """
    digits = whole_number(digits, "digits", at_least=1)
    if v == 0:
        return "0"
    if math.isinf(v):
        return "∞" if v > 0 else f"{MINUS}∞"
    return f"{v:.{digits}g}".replace("-", MINUS)
