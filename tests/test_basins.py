"""``core.basins.basin_map`` against single ``descend`` runs, cell by cell."""

import numpy as np
import pytest
import torch

from core.basins import BasinMap, basin_map, compare_endings
from core.optim import LIMIT, descend
from core.surfaces import SURFACES, nearest_minimum


@pytest.mark.parametrize(("name", "method", "momentum"), [("camel", "sgd", 0.0), ("camel", "momentum", 0.8),
                                                          ("himmelblau", "sgd", 0.0)])
def test_every_cell_is_its_own_run(name, method, momentum):
    surface = SURFACES[name]
    result = basin_map(surface, method, 0.01, 200, momentum=momentum, n=9)
    for i in range(9):
        for j in range(9):
            run = descend(surface.f, surface.grad, [result.xs[j], result.ys[i]], method, 0.01, 200, momentum=momentum)
            expected = -1 if run.diverged_at is not None else int(nearest_minimum(surface, run.points[-1], 0.05))
            assert result.labels[i, j] == expected
    assert result.share.sum() + np.mean(result.labels == -1) == pytest.approx(1.0)


def camel(p: torch.Tensor) -> torch.Tensor:
    """The six-hump camel, written out here (not core.surfaces' code)."""
    x, y = p[0], p[1]
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def torch_end(start, lr: float, steps: int) -> np.ndarray | None:
    """Where ``torch.optim.SGD`` on the camel ends from ``start``; None when a step leaves the picture (a coordinate
    non-finite or beyond ±LIMIT), which the basin map counts as diverged."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        camel(p).backward()
        optimizer.step()
        if not (torch.isfinite(p).all() and p.detach().abs().max() <= LIMIT):
            return None
    return p.detach().numpy()


# (0.01, 40): a few runs end between 0.05 and 0.1 from a minimum, which the 0.05 tolerance leaves unlabelled
@pytest.mark.parametrize(("lr", "steps"), [(2.0, 100), (0.1, 60), (0.01, 300), (0.01, 40)])
def test_the_map_labels_each_start_as_torch_descends_from_it(lr, steps):
    """Each cell against torch from the same start: diverged (-1 and counted in ``diverged``), or the index of the
    minimum the run ends within 0.05 of (-1 for none); ``share`` is each label's fraction of the grid."""
    surface, n = SURFACES["camel"], 7
    result = basin_map(surface, "sgd", lr, steps, n=n)
    (x_lo, x_hi), (y_lo, y_hi) = surface.box
    np.testing.assert_allclose(result.xs, np.linspace(x_lo, x_hi, n))
    np.testing.assert_allclose(result.ys, np.linspace(y_lo, y_hi, n))
    minima = np.array([m.point for m in surface.minima])
    expected = np.empty((n, n), dtype=int)
    diverged = np.zeros((n, n), dtype=bool)
    for i, y in enumerate(result.ys):
        for j, x in enumerate(result.xs):
            end = torch_end([x, y], lr, steps)
            if end is None:
                diverged[i, j], expected[i, j] = True, -1
                continue
            distance = np.linalg.norm(minima - end, axis=1)
            expected[i, j] = int(np.argmin(distance)) if distance.min() <= 0.05 else -1
    np.testing.assert_array_equal(result.labels, expected)
    assert result.diverged == pytest.approx(diverged.mean())
    np.testing.assert_allclose(result.share, [np.mean(expected == k) for k in range(len(minima))])
    if lr == 2.0:
        assert result.diverged > 0.5  # a huge step leaves from most starts
    else:
        assert result.diverged == 0 and result.share.sum() > 0  # small steps stay, and some reach a minimum


def test_compare_endings_counts_start_by_start_with_no_minimum_the_highest():
    surface = SURFACES["camel"]  # minima 0, 1 global (-1.0316), 2..5 local (higher)
    values = [m.value for m in surface.minima]
    first = np.array([[0, 2, -1], [3, -1, 1]])
    second = np.array([[2, 0, -1], [3, 4, -1]])

    def height(label):
        return np.inf if label < 0 else values[label]

    pairs = [(height(a), height(b)) for a, b in zip(first.ravel(), second.ravel(), strict=True)]
    expected = (sum(b < a for a, b in pairs) / 6, sum(b == a for a, b in pairs) / 6, sum(b > a for a, b in pairs) / 6)
    got = compare_endings(surface, *(BasinMap(np.zeros(3), np.zeros(2), labels, np.zeros(6), 0.0)
                                     for labels in (first, second)))
    assert (got.better, got.same, got.worse, got.starts) == pytest.approx((*expected, 6))
    assert got.better + got.same + got.worse == pytest.approx(1.0)
    with pytest.raises(ValueError):
        compare_endings(surface, BasinMap(np.zeros(3), np.zeros(2), first, np.zeros(6), 0.0),
                        BasinMap(np.zeros(2), np.zeros(2), np.zeros((2, 2), int), np.zeros(6), 0.0))
