"""core.scale: rescaling against a closed form, the equivariance errors, the accuracy by size against a direct loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data import load_digits_dataset
from core.models import CNNConfig, build_model
from core.scale import SCALES, accuracy_by_scale, equivariance_errors, rescale_images, varied_sizes


@pytest.mark.parametrize("factor", [0.5, 0.8, 1.3, 2.0])
def test_rescaling_a_linear_ramp_samples_it_at_p_over_factor(factor):
    """Bilinear interpolation is exact for a linear image: output pixel (i, j) holds the ramp at the input position
    that maps to it, ``j' = ((u / factor + 1) W - 1) / 2`` with ``u = (2 j + 1) / W - 1`` (likewise for rows)."""
    h, w = 20, 28
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    ramp = 0.2 + 0.015 * cols + 0.02 * rows  # inside [0, 1]
    got = rescale_images(torch.tensor(ramp)[None, None], factor)[0, 0].numpy()

    def source(index, n):
        return (((2 * index + 1) / n - 1) / factor + 1) * n / 2 - 0.5

    src_r, src_c = source(rows, h), source(cols, w)
    inside = (src_r >= 0) & (src_r <= h - 1) & (src_c >= 0) & (src_c <= w - 1)
    np.testing.assert_allclose(got[inside], (0.2 + 0.015 * src_c + 0.02 * src_r)[inside], atol=1e-12)
    assert inside.sum() > 0.2 * h * w
    if factor < 1:  # shrunk: the picture's edge comes inside, zero beyond
        assert got[0, 0] == 0


def test_rescaling_by_one_changes_nothing_and_needs_a_positive_factor():
    x = torch.rand(3, 1, 9, 9, dtype=torch.float64)
    torch.testing.assert_close(rescale_images(x, 1.0), x, atol=1e-12, rtol=0)
    with pytest.raises(ValueError):
        rescale_images(x, 0.0)


def test_varied_sizes_adds_rescaled_copies_of_the_training_images_only():
    data = load_digits_dataset()
    small = type(data)(data.x_train[:20], data.y_train[:20], data.x_test[:5], data.y_test[:5], data.classes, "")
    more = varied_sizes(small, copies=2, low=0.5, high=1.5, seed=4)
    assert len(more.x_train) == 60 and torch.equal(more.y_train, small.y_train.repeat(3))
    factors = np.random.default_rng(4).uniform(0.5, 1.5, 20)
    torch.testing.assert_close(more.x_train[20 + 7], rescale_images(small.x_train[7:8], float(factors[7]))[0])
    assert torch.equal(more.x_test, small.x_test)


def test_convolution_follows_a_shift_exactly_but_not_a_change_of_size():
    digit = torch.nn.functional.pad(load_digits_dataset().x_test[0, 0].double(), (8, 8, 8, 8))
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    shift_error, scale_error = equivariance_errors(digit, sobel)
    assert shift_error == 0.0
    assert scale_error > 0.3
    _, point = equivariance_errors(digit, torch.ones(1, 1))  # a 1×1 kernel is no kernel: it commutes with scaling
    assert point < 1e-12


def test_accuracy_by_scale_is_the_share_of_rescaled_test_digits_read_right():
    data = load_digits_dataset()
    model = build_model(CNNConfig(), seed=2).eval()
    got = accuracy_by_scale(model, data, (0.5, 1.0, 1.4))
    with torch.no_grad():
        expected = [float((model(rescale_images(data.x_test, s)).argmax(1) == data.y_test).float().mean())
                    for s in (0.5, 1.0, 1.4)]
    assert got == pytest.approx(expected, abs=1e-9)
    assert SCALES[0] == 0.5 and SCALES[-1] == 1.5 and len(SCALES) == 11
