"""The activation lesson's exercises: answers from torch, compose_linear and the sigmoid's own slope."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.linear_stack import compose_linear
from core.questions.activations import (
    NEURON_ACTIVATIONS,
    CollapseQuestion,
    NeuronQuestion,
    VanishingQuestion,
    collapse_question,
    neuron_question,
    vanishing_question,
)

SEEDS = range(1, 200)
TORCH_NEURON = {"relu": F.relu, "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "identity": lambda z: z}


@pytest.mark.parametrize("seed", SEEDS)
def test_neuron_answer_is_what_a_torch_linear_layer_and_activation_give(seed):
    q = neuron_question(seed)
    assert q.activation in NEURON_ACTIVATIONS
    assert all(isinstance(v, int) and -3 <= v <= 3 for v in (*q.w, *q.x, q.b)) and len(q.w) == len(q.x) == 2
    layer = torch.nn.Linear(2, 1, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([q.w], dtype=torch.float64))
        layer.bias.fill_(q.b)
        expected = TORCH_NEURON[q.activation](layer(torch.tensor([q.x], dtype=torch.float64)))
    assert q.answer == pytest.approx(expected.item(), rel=1e-15, abs=1e-15)
    assert isinstance(q.answer, float)
    assert q.z == q.w[0] * q.x[0] + q.w[1] * q.x[1] + q.b
    assert neuron_question(seed) == q  # the same seed asks the same question (shared links)


def test_neuron_questions_cover_every_activation_and_both_signs():
    questions = [neuron_question(seed) for seed in SEEDS]
    assert {q.activation for q in questions} == set(NEURON_ACTIVATIONS)
    assert any(q.z < 0 and q.activation == "leaky_relu" for q in questions)
    assert any(q.z > 0 for q in questions)
    assert NeuronQuestion("leaky_relu", (1, 2), (-3, 1), 0).answer == pytest.approx(-0.01)
    assert NeuronQuestion("relu", (1, 2), (-3, 1), 0).answer == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_collapse_answer_is_compose_linear(seed):
    q = collapse_question(seed)
    assert all(isinstance(v, int) for v in (q.w1, q.b1, q.w2, q.b2))
    assert 1 <= abs(q.w1) <= 3 and 1 <= abs(q.w2) <= 3 and abs(q.b1) <= 3 and abs(q.b2) <= 3
    w, b = compose_linear([(np.array([[q.w1]]), np.array([q.b1])), (np.array([[q.w2]]), np.array([q.b2]))])
    assert (q.answer_w, q.answer_b) == (w[0, 0], b[0])
    x = np.linspace(-2, 2, 5)
    np.testing.assert_array_equal(q.w2 * (q.w1 * x + q.b1) + q.b2, q.answer_w * x + q.answer_b)
    assert collapse_question(seed) == q


def test_collapse_example():
    q = CollapseQuestion(w1=2, b1=1, w2=-3, b2=2)
    assert (q.answer_w, q.answer_b) == (-6.0, -1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_vanishing_answer_is_the_largest_sigmoid_slope_to_the_power_depth(seed):
    q = vanishing_question(seed)
    assert 2 <= q.depth <= 6 and isinstance(q.depth, int)
    x = torch.linspace(-10, 10, 20_001, dtype=torch.float64, requires_grad=True)
    (slope,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    assert q.answer == pytest.approx(slope.max().item() ** q.depth, rel=1e-12)
    assert vanishing_question(seed) == q


def test_vanishing_depths_all_appear_and_chaining_sigmoids_never_beats_the_bound():
    assert {vanishing_question(seed).depth for seed in SEEDS} == {2, 3, 4, 5, 6}
    q = VanishingQuestion(4)
    x = torch.linspace(-6, 6, 1201, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(q.depth):
        y = torch.sigmoid(y)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert g.max().item() <= q.answer
