"""core.neuron.decision_line: worked examples and a property test against the line's own equation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.neuron import decision_line


def check_segment(w1, w2, b, lo, hi, segment):
    scale = (abs(w1) + abs(w2)) * max(abs(lo), abs(hi), hi - lo) + abs(b)
    for x1, x2 in segment:
        assert abs(w1 * x1 + w2 * x2 + b) <= 1e-9 * scale
        assert lo <= x1 <= hi and lo <= x2 <= hi
        assert x1 in (lo, hi) or x2 in (lo, hi)  # on the box's boundary


def test_decision_line_examples():
    assert decision_line(1, 1, 0, -1, 1) == ((-1.0, 1.0), (1.0, -1.0))
    assert decision_line(1, 0, -0.5, -3, 3) == ((0.5, -3.0), (0.5, 3.0))  # vertical: x1 = 0.5
    assert decision_line(0, 2, 2, -3, 3) == ((-3.0, -1.0), (3.0, -1.0))  # horizontal: x2 = -1
    assert decision_line(0, 1, 3, -3, 3) == ((-3.0, -3.0), (3.0, -3.0))  # along the bottom edge
    assert decision_line(1, 1, 2, -1, 1) == ((-1.0, -1.0), (-1.0, -1.0))  # touches one corner
    assert decision_line(1, 1, 5, -1, 1) is None
    assert decision_line(0, 0, 1, -1, 1) is None and decision_line(0, 0, 0, -1, 1) is None
    with pytest.raises(ValueError):
        decision_line(1, 1, 0, 1, 1)


weights = st.floats(-10, 10, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-6)


@settings(max_examples=300, deadline=None)
@given(weights, weights, st.floats(-30, 30), st.floats(-5, 5), st.floats(0.1, 10))
def test_decision_line_property(w1, w2, b, lo, width):
    hi = lo + width
    segment = decision_line(w1, w2, b, lo, hi)
    if w1 == w2 == 0:
        assert segment is None
        return
    tol = 1e-9 * ((abs(w1) + abs(w2)) * max(abs(lo), abs(hi), width) + abs(b))
    corners = [w1 * c1 + w2 * c2 + b for c1 in (lo, hi) for c2 in (lo, hi)]
    if min(corners) > tol or max(corners) < -tol:  # all four corners on one side: the line misses
        assert segment is None
    elif min(corners) < -tol and max(corners) > tol:  # corners on both sides: the line crosses
        assert segment is not None
    if segment is not None:
        check_segment(w1, w2, b, lo, hi, segment)
