"""core.arguments: the shared checks, against Python's and torch's own readings of the same values."""

import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch.nn.modules.utils import _pair as torch_pair

from core.arguments import as_pair, quote_typed_text, whole_number, work_dtype

# ---- whole_number ---------------------------------------------------------------------------------------------


@given(v=st.integers(-10**20, 10**20), at_least=st.one_of(st.none(), st.integers(-3, 3)))
def test_whole_number_keeps_every_int_at_or_above_the_bound(v, at_least):
    if at_least is not None and v < at_least:
        with pytest.raises(ValueError, match=f"n must be {'0 or more' if at_least == 0 else f'at least {at_least}'}"):
            whole_number(v, "n", at_least)
        return
    assert whole_number(v, "n", at_least) == operator.index(v) and type(whole_number(v, "n", at_least)) is int


@pytest.mark.parametrize("v", [np.int64(7), np.uint8(7), np.int32(7)])
def test_whole_number_takes_numpy_integers_as_int(v):
    assert whole_number(v, "n", at_least=1) == 7 and type(whole_number(v, "n", at_least=1)) is int


@pytest.mark.parametrize(("v", "at_least", "message"), [
    (2.0, None, r"^n must be a whole number, got 2\.0$"),
    (True, 1, r"^n must be a whole number, at least 1, got True$"),
    ("3", 0, r"^n must be a whole number, 0 or more, got '3'$"), (None, None, "got None"),
    (np.float64(3.0), 1, "whole number"), (0, 1, r"^n must be at least 1, got 0$"),
    (-1, 0, r"^n must be 0 or more, got -1$"),
])
def test_whole_number_refuses_with_a_message_naming_the_argument(v, at_least, message):
    with pytest.raises(ValueError, match=message):
        whole_number(v, "n", at_least)


# ---- as_pair --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3, (2, 5), [4, 1], np.int64(2), (np.int64(1), 2)])
def test_as_pair_equals_torchs_pair(value):
    assert as_pair(value, "size") == tuple(int(v) for v in torch_pair(value))


@pytest.mark.parametrize("value", [2.0, (1, 2, 3), (1,), True, (1, True), (1.0, 2), "ab", None])
def test_as_pair_refuses_what_is_not_one_or_two_ints(value):
    with pytest.raises(ValueError, match="size must be an int or a pair of ints"):
        as_pair(value, "size")


# ---- work_dtype -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "computed", "returned"), [
    (np.float64, np.float64, np.float64), (np.float32, np.float32, np.float32), (np.float16, np.float32, np.float16),
    (np.int64, np.float64, np.float64), (np.uint8, np.float64, np.float64), (bool, np.float64, np.float64),
])
def test_work_dtype(dtype, computed, returned):
    assert work_dtype(np.zeros(2, dtype), "op") == (np.dtype(computed), np.dtype(returned))


@pytest.mark.parametrize("dtype", [complex, object, "U2", "datetime64[s]"])
def test_work_dtype_refuses_what_is_not_real_numbers(dtype):
    with pytest.raises(ValueError, match="pooling works on real numbers"):
        work_dtype(np.zeros(2, dtype), "pooling")


# ---- quote_typed_text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("piece", "shown"), [
    ("abc", "abc"), ("x\u200by", "xU+200By"), ("\n", "U+000A"), ("a" * 20, "a" * 20), ("a" * 21, "a" * 19 + "…"),
    ("\u200b" * 5, "U+200BU+200BU+200BU…"), ("", ""), ("½×π", "½×π"),
])
def test_quote_typed_text_by_hand(piece, shown):
    assert quote_typed_text(piece) == shown


@given(piece=st.text(max_size=60), limit=st.integers(2, 40))
def test_quote_typed_text_is_printable_short_and_keeps_short_printable_text(piece, limit):
    shown = quote_typed_text(piece, limit)
    assert shown.isprintable() and len(shown) <= limit
    if piece.isprintable() and len(piece) <= limit:
        assert shown == piece
    elif piece.isprintable():
        assert shown == piece[: limit - 1] + "…"
