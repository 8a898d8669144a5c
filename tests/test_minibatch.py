"""core.minibatch against torch: the same batches, the same steps, the same path; the loss and its minimum in closed
form against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.minibatch import LIMIT, START, diabetes_bmi, least_squares, minibatch_descent, mse


def test_the_data_are_the_diabetes_bmi_standardised():
    from sklearn.datasets import load_diabetes

    x, y = diabetes_bmi()
    raw = load_diabetes()
    assert len(x) == len(y) == 442
    np.testing.assert_allclose(x, (raw.data[:, 2] - raw.data[:, 2].mean()) / raw.data[:, 2].std())
    assert abs(y.mean()) < 1e-12 and y.std() == pytest.approx(1.0)


def test_mse_and_its_minimum_are_numpys():
    x, y = diabetes_bmi()
    for w, b in [(0.3, -0.2), (-1.5, 1.5), (2.0, 0.0)]:
        assert mse(w, b, x, y) == pytest.approx(np.mean((w * x + b - y) ** 2), rel=1e-12)
    w, b = least_squares(x, y)
    slope, intercept = np.polyfit(x, y, 1)
    assert (w, b) == pytest.approx((slope, intercept), abs=1e-12)
    grid = mse(np.array([[w - 0.01, w, w + 0.01]]), b, x, y)
    assert grid[0, 1] < grid[0, 0] and grid[0, 1] < grid[0, 2]


@pytest.mark.parametrize("batch, lr, epochs", [(1, 0.05, 2), (16, 0.3, 3), (442, 0.5, 4), (100, 0.2, 2)])
def test_the_path_is_torch_sgd_on_the_same_batches(batch, lr, epochs):
    x, y = diabetes_bmi()
    got = minibatch_descent(x, y, batch, lr, epochs, seed=5)
    weights = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([weights], lr=lr)
    xs, ys, rng, path = torch.from_numpy(x), torch.from_numpy(y), np.random.default_rng(5), [START]
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        for first in range(0, len(x), batch):
            rows = order[first:first + batch]
            optimizer.zero_grad()
            torch.mean((weights[0] * xs[rows] + weights[1] - ys[rows]) ** 2).backward()
            optimizer.step()
            path.append(tuple(weights.detach().tolist()))
    np.testing.assert_allclose(got.points, np.array(path), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.losses, [np.mean((w * x + b - y) ** 2) for w, b in path], rtol=1e-10)
    assert got.diverged_at is None and len(got.points) == 1 + epochs * -(-len(x) // batch)


def test_a_step_too_large_diverges_and_stops():
    x, y = diabetes_bmi()
    run = minibatch_descent(x, y, 1, 1.0, 5)
    assert run.diverged_at is not None and len(run.points) == run.diverged_at + 1
    assert np.abs(run.points[-1]).max() > LIMIT
    with pytest.raises(ValueError):
        minibatch_descent(x, y, 0, 0.1, 1)


def test_a_batch_of_one_steps_exactly_as_numpy_does():
    """The Python-float step of small batches (``SMALL_BATCH``) is the same formula: for batches of one the path
    equals NumPy's to the last bit (a mean of one number is that number)."""
    x, y = diabetes_bmi()
    got = minibatch_descent(x, y, 1, 0.05, 2, seed=3)
    rng, (w, b), path = np.random.default_rng(3), START, [START]
    for _ in range(2):
        for i in rng.permutation(len(x)):
            error = w * x[[i]] + b - y[[i]]
            w, b = w - 0.05 * 2 * np.mean(error * x[[i]]), b - 0.05 * 2 * np.mean(error)
            path.append((w, b))
    np.testing.assert_array_equal(got.points, np.array(path, dtype=np.float64))
