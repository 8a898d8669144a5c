"""``ui.plots.animation.typed_array_spec`` writes what plotly.py's ``to_typed_array_spec`` writes, for every numeric
dtype, shape and memory layout, and plotly.js's reading of it (base64 of little-endian bytes) gives the array back."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from _plotly_utils.utils import to_typed_array_spec
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ui.plots.animation import typed_array_spec

DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]


def same(got, want) -> bool:
    if isinstance(want, np.ndarray):
        return isinstance(got, np.ndarray) and np.array_equal(got, want, equal_nan=True)
    return got == want


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DTYPES).flatmap(lambda dtype: hnp.arrays(dtype, hnp.array_shapes(max_dims=3, max_side=6))),
       st.booleans())
def test_the_spec_is_plotlys(array, transposed):
    if transposed:
        array = array.T  # not C-contiguous when it has two dimensions or more
    assert same(typed_array_spec(array), to_typed_array_spec(array))


@pytest.mark.parametrize(("values", "dtype", "code"), [
    ([0, 127, -128], "int64", "i1"), ([0, 40_000], "int64", "i4"), ([2**40], "int64", None),
    ([0, 255], "uint64", "u1"), ([0, 70_000], "uint64", "u4"), ([1.5, np.nan], "float32", "f4"),
])
def test_64_bit_integers_go_in_the_narrowest_type_and_the_bytes_read_back(values, dtype, code):
    array = np.array(values, dtype=dtype)
    spec = typed_array_spec(array)
    if code is None:
        assert spec is array  # too large for plotly.js's typed arrays: left as it is
        return
    assert spec["dtype"] == code
    back = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(code).newbyteorder("<"))
    np.testing.assert_array_equal(back, array)


def test_a_big_endian_array_is_written_little_endian():
    array = np.arange(20, dtype=">f8").reshape(4, 5)
    spec = typed_array_spec(array)
    assert spec["shape"] == "4, 5"
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f8").reshape(4, 5), array)
