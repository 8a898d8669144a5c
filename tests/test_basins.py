"""``core.basins.basin_map`` against single ``descend`` runs, cell by cell."""

import numpy as np
import pytest

from core.basins import basin_map
from core.optim import descend
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


def test_a_huge_step_diverges_everywhere():
    result = basin_map(SURFACES["camel"], "sgd", 2.0, 100, n=5)
    assert result.diverged > 0.5 and np.all(result.labels[result.labels >= 0] >= 0)
