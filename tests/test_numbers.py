"""core.numbers.format_number: exact texts by hand, and any float against rounding to significant digits."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.numbers import MINUS, format_number


@pytest.mark.parametrize(("v", "digits", "text"), [
    (1.26, 4, "1.26"), (0.8400001, 4, "0.84"), (-1.5, 4, f"{MINUS}1.5"), (0.0, 4, "0"), (-0.0, 4, "0"),
    (123456.0, 4, "1.235e+05"), (-3.125e-4, 4, f"{MINUS}0.0003125"), (2 / 3, 4, "0.6667"), (1e-5, 4, f"1e{MINUS}05"),
    (2 / 3, 6, "0.666667"), (-1234567.0, 6, f"{MINUS}1.23457e+06"), (3.0, 6, "3"), (-0.0, 6, "0"),
    (math.inf, 4, "∞"), (-math.inf, 4, f"{MINUS}∞"), (math.inf, 6, "∞"), (math.nan, 4, "nan"), (7, 4, "7"),
])
def test_format_number_by_hand(v, digits, text):
    assert format_number(v, digits=digits) == text


@settings(max_examples=500, deadline=None)
@given(v=st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v == 0 or 1e-300 < abs(v) < 1e300),
       digits=st.integers(1, 12))
def test_format_number_rounds_to_significant_digits(v, digits):
    """The text, read back, is within half a unit of the ``digits``-th significant digit of ``v``; its sign is ``−``
    exactly when ``v < 0``, and it never holds the hyphen-minus."""
    text = format_number(v, digits=digits)
    assert "-" not in text
    if v == 0:
        assert text == "0"
        return
    assert text.startswith(MINUS) == (v < 0)
    unit = 10.0 ** (math.floor(math.log10(abs(v))) - digits + 1)
    # a tie (v = 2**-14 to 9 digits) is half a unit exactly, up to the rounding of reading the text and of ``unit``
    assert abs(float(text.replace(MINUS, "-")) - v) <= unit / 2 * (1 + 1e-9) + 4 * math.ulp(v)
    mantissa = text.replace(MINUS, "").split("e")[0].replace(".", "").lstrip("0")
    assert len(mantissa) <= digits


@pytest.mark.parametrize("digits", [0, -1, 2.5, True])
def test_format_number_refuses_digits_that_are_not_a_count(digits):
    with pytest.raises(ValueError, match="digits"):
        format_number(1.0, digits=digits)
