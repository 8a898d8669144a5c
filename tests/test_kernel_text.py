"""Kernels typed by students: parsed without eval, every bad cell named."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.kernel_text import KernelError, format_kernel, kernel_from_cells, parse_cell, parse_kernel, stack_centred


@pytest.mark.parametrize(("cell", "value"), [
    (1, 1.0), (-0.5, -0.5), (np.float32(0.25), 0.25), ("2", 2.0), (" -0.5 ", -0.5), ("1e-2", 0.01), ("1/9", 1 / 9),
    ("−1", -1.0), (".5", 0.5), ("+3", 3.0), ("-1/4", -0.25),
])
def test_cells_that_are_numbers(cell, value):
    assert parse_cell(cell) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("cell", "code"), [
    ("", "blank"), (None, "blank"), ("   ", "blank"), ("abc", "not_a_number"), ("1/0", "not_a_number"),
    ("nan", "not_a_number"), ("inf", "not_a_number"), (float("nan"), "not_finite"), (float("inf"), "not_finite"),
    ("__import__('os')", "not_a_number"), ("1+1", "not_a_number"), ("2*3", "not_a_number"), (True, "not_a_number"),
    ("1/2/3", "not_a_number"), ("9" * 50, "not_a_number"), ("1e999", "not_finite"),
])
def test_cells_that_are_not(cell, code):
    with pytest.raises(KernelError) as error:
        parse_cell(cell, 2, 3)
    assert error.value.code == code and (error.value.row, error.value.col) == (2, 3)


def test_grid_errors_name_the_problem():
    with pytest.raises(KernelError) as error:
        kernel_from_cells([["1", "2"], ["3", ""]])
    assert (error.value.code, error.value.row, error.value.col) == ("blank", 1, 1)
    for cells, code in (([], "empty"), ([[]], "empty"), ([[1, 2], [3]], "ragged"), ([[0] * 8], "too_large"),
                        ([[0]] * 8, "too_large")):
        with pytest.raises(KernelError) as error:
            kernel_from_cells(cells)
        assert error.value.code == code


def test_parse_kernel_text_forms():
    expected = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
    for text in ("1 0 -1; 2 0 -2; 1 0 -1", "1,0,-1\n2,0,-2\n1,0,-1\n", " 1  0 -1 ;2 0 -2;1 0 -1; "):
        np.testing.assert_array_equal(parse_kernel(text), expected)
    with pytest.raises(KernelError):
        parse_kernel("1 2; 3")
    with pytest.raises(KernelError):
        parse_kernel("x" * 3000)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 7), st.integers(1, 7)),
              elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)))
def test_format_then_parse_is_exact(w):
    np.testing.assert_array_equal(parse_kernel(format_kernel(w)), w)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_parse_kernel_never_fails_other_than_kernel_error(text):
    try:
        w = parse_kernel(text)
    except KernelError:
        return
    assert w.ndim == 2 and np.isfinite(w).all() and max(w.shape) <= 7


def test_stack_centred_pads_smaller_kernels_with_zeros():
    a, b = np.ones((3, 3)), np.full((5, 5), 2.0)
    stacked = stack_centred([a, b])
    assert stacked.shape == (2, 5, 5)
    np.testing.assert_array_equal(stacked[0, 1:4, 1:4], a)
    assert stacked[0].sum() == 9 and (stacked[1] == b).all()
