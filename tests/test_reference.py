"""core.reference: the reference network trains to a real accuracy, the same every time; its stages, its head and
the nearest hand-made kernels against direct computations with torch and NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.conv import KERNELS
from core.data import load_digits_dataset
from core.models import CNNConfig, ConvBlock, build_model
from core.reference import (
    LESSON_OF_LAYER,
    cosine,
    head,
    head_layer,
    nearest_kernels,
    stage_names,
    stages,
    train_reference,
)


@pytest.fixture(scope="module")
def reference():
    return train_reference()


def test_the_reference_network_reads_the_digits_and_is_the_same_every_time(reference):
    model, accuracy = reference
    assert accuracy > 0.95
    again, accuracy_again = train_reference()
    assert accuracy_again == accuracy
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values(),
                                                 strict=True))
    assert not model.training


def test_stages_are_every_layers_output_then_the_softmax(reference):
    from ui.shell.registry import all_pages

    model, _ = reference
    x = load_digits_dataset().x_test[3:4]
    got = stages(model, x)
    assert [s.name for s in got][:4] == ["block1_conv", "block1_bn", "block1_act", "block1_pool"]
    assert "dense1_drop" not in [s.name for s in got]
    assert got[0].output.shape == (16, 28, 28) and got[-2].output.shape == (10,)
    with torch.no_grad():
        expected = torch.softmax(model(x)[0], 0).numpy()
    np.testing.assert_allclose(got[-1].output, expected, rtol=1e-6, atol=1e-7)
    lessons = {spec.name for spec in all_pages()}
    assert {s.lesson for s in got} <= lessons and set(LESSON_OF_LAYER.values()) <= lessons


@pytest.mark.parametrize("config", [
    CNNConfig(),
    CNNConfig(blocks=(ConvBlock(8, batch_norm=False),), dropout=0.0),
    CNNConfig(blocks=(ConvBlock(4), ConvBlock(4, pooling="avg"), ConvBlock(4)), global_pool="max", dense=()),
], ids=["default", "one-block-no-dropout", "three-blocks-pooled-no-dense"])
def test_stage_names_are_the_stages_names_without_running_the_model(config):
    model = build_model(config, seed=1).eval()
    x = torch.zeros((1, *config.input_shape))
    got = stages(model, x)
    assert stage_names(model) == [(s.name, s.kind, s.lesson) for s in got]
    with torch.no_grad():  # the stage outputs are still each layer's: the last layer's output is the model's
        np.testing.assert_allclose(got[-2].output, model(x)[0].numpy(), rtol=1e-6, atol=1e-7)


def test_cosine_is_the_normalised_dot_product():
    a, b = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[0.5, -1.0], [2.0, 2.0]])
    assert cosine(a, b) == pytest.approx(float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum())))
    assert cosine(a, -3 * a) == pytest.approx(-1.0)
    assert cosine(a, np.zeros_like(a)) == 0.0


def test_nearest_kernels_finds_a_flipped_sobel_and_a_scaled_blur():
    handmade = {name: k.weights for name, k in KERNELS.items()}
    noise = np.random.default_rng(0).normal(0, 0.01, (3, 3))
    learned = np.stack([-2.0 * KERNELS["sobel_x"].weights, 5.0 * KERNELS["box_blur"].weights + noise])
    (first, c1), (second, c2) = nearest_kernels(learned, handmade)
    assert first == "sobel_x" and c1 == pytest.approx(-1.0)
    assert second == "box_blur" and c2 > 0.99
    with pytest.raises(ValueError):
        nearest_kernels(np.zeros((1, 4, 4)), handmade)


def test_the_head_is_the_last_dense_layer_on_its_features(reference):
    model, _ = reference
    x = load_digits_dataset().x_test[7:8]
    got = head(model, x)
    assert got.weights.shape == (10, 64) and got.features.shape == (64,)
    np.testing.assert_allclose(got.logits, got.weights @ got.features + got.bias, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(got.logits, model(x)[0].numpy(), rtol=1e-6, atol=1e-6)
    assert got.probabilities.sum() == pytest.approx(1.0)
    from_stages = head(model, x, stages(model, x))  # the same numbers without a second pass through the network
    for field in ("weights", "bias", "features", "logits", "probabilities"):
        np.testing.assert_array_equal(getattr(from_stages, field), getattr(got, field))
    name, layer = head_layer(model)
    assert name == [n for n, m in model.named_children() if isinstance(m, torch.nn.Linear)][-1]
    np.testing.assert_array_equal(layer.weight.detach().numpy(), got.weights)
    with pytest.raises(ValueError, match="no dense layer"):
        head_layer(torch.nn.Sequential(torch.nn.ReLU()))
