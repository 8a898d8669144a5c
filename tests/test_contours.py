"""``core.contours``: level lines against linear interpolation along the grid's edges (closed form) and planes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.contours import even_levels, level_lines


def curves(points: np.ndarray) -> list[np.ndarray]:
    """The NaN-separated curves of ``level_lines``' result."""
    gaps = np.flatnonzero(np.isnan(points[:, 0]))
    pieces = [piece[~np.isnan(piece[:, 0])] for piece in np.split(points, gaps)]
    return [piece for piece in pieces if len(piece)]


def edge_values(xs, ys, z, point) -> list[float]:
    """The values at ``point`` of the linear interpolation along each grid edge it lies on (closed form): none if it
    lies on no edge, two near a grid vertex."""
    x, y = point
    values = []
    for j in np.flatnonzero(np.isclose(xs, x, rtol=0, atol=1e-9)):  # a vertical edge: y between two rows
        i = int(np.clip(np.searchsorted(ys, y) - 1, 0, len(ys) - 2))
        s = (y - ys[i]) / (ys[i + 1] - ys[i])
        values.append(float((1 - s) * z[i, j] + s * z[i + 1, j]))
    for i in np.flatnonzero(np.isclose(ys, y, rtol=0, atol=1e-9)):  # a horizontal edge
        j = int(np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2))
        s = (x - xs[j]) / (xs[j + 1] - xs[j])
        values.append(float((1 - s) * z[i, j] + s * z[i, j + 1]))
    return values


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), nx=st.integers(3, 30), ny=st.integers(3, 30))
def test_every_point_lies_on_a_grid_edge_where_the_interpolated_value_is_its_level(seed, nx, ny):
    rng = np.random.default_rng(seed)
    xs = np.cumsum(rng.uniform(0.1, 1.0, nx))
    ys = np.cumsum(rng.uniform(0.1, 1.0, ny))
    z = rng.normal(size=(ny, nx))
    for level in even_levels(z, 4):
        points = level_lines(xs, ys, z, [level])
        for point in points[~np.isnan(points[:, 0])]:
            values = edge_values(xs, ys, z, point)
            assert values, point
            assert min(abs(v - level) for v in values) < 1e-9


def test_a_plane_gives_straight_lines_of_its_levels():
    xs, ys = np.linspace(-2, 2, 41), np.linspace(-1, 3, 33)
    x, y = np.meshgrid(xs, ys)
    z = 2 * x - 3 * y
    levels = even_levels(z, 7)
    assert levels == pytest.approx(np.linspace(z.min(), z.max(), 9)[1:-1], abs=1e-12)
    lines = curves(level_lines(xs, ys, z, levels))
    assert len(lines) == 7
    for line, level in zip(sorted(lines, key=lambda c: float(2 * c[0, 0] - 3 * c[0, 1])), levels, strict=True):
        assert 2 * line[:, 0] - 3 * line[:, 1] == pytest.approx(np.full(len(line), level), abs=1e-9)


def test_thinned_lines_keep_a_subset_of_the_exact_points_and_stay_on_the_circle():
    xs = ys = np.linspace(-1.5, 1.5, 121)
    x, y = np.meshgrid(xs, ys)
    z = np.hypot(x, y)
    exact = level_lines(xs, ys, z, [1.0])
    thin = level_lines(xs, ys, z, [1.0], tolerance=0.1)
    assert len(curves(exact)) == len(curves(thin)) == 1
    assert 8 < len(thin) < len(exact) / 2
    exact_set = {tuple(p) for p in np.round(exact, 12)}
    assert all(tuple(p) in exact_set for p in np.round(thin, 12))
    # linear interpolation of the radius across a cell of 0.025 misses the circle by less than 1e-3
    assert np.hypot(thin[:, 0], thin[:, 1]) == pytest.approx(np.ones(len(thin)), abs=1e-3)


def test_samples_that_are_not_finite_draw_no_line_and_flat_maps_have_no_levels():
    xs = ys = np.linspace(0, 1, 11)
    z = np.add.outer(ys, xs)
    z[:, 6:] = np.nan
    points = level_lines(xs, ys, z, [0.5])
    finite = points[~np.isnan(points[:, 0])]
    assert len(finite) > 0 and finite[:, 0].max() <= xs[5] + 1e-12
    assert even_levels(np.full((3, 3), 2.0)).size == 0
    assert even_levels(np.full((3, 3), np.nan)).size == 0
    assert level_lines(xs, ys, np.zeros((11, 11)), []).shape == (0, 2)
