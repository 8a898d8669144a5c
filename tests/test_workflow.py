"""core.workflow against torch autograd and torch.optim.SGD, in float64."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.workflow import (
    PHASES,
    STAGES,
    START_B,
    START_W,
    TOY_DATA,
    dataset_loss,
    forward,
    loss_curve,
    train,
    training_step,
)

finite = st.floats(min_value=-100, max_value=100, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(w=finite, b=finite, x=finite, y=finite, lr=st.floats(min_value=1e-4, max_value=1.0))
def test_training_step_equals_torch_autograd_and_sgd(w, b, x, y, lr):
    step = training_step(w, b, x, y, lr)
    w_t = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    y_hat = w_t * x + b_t
    loss = (y_hat - y) ** 2
    loss.backward()
    assert step.y_hat == pytest.approx(y_hat.item(), rel=1e-12, abs=1e-12)
    assert step.loss == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    assert step.grad_w == pytest.approx(w_t.grad.item(), rel=1e-12, abs=1e-12)
    assert step.grad_b == pytest.approx(b_t.grad.item(), rel=1e-12, abs=1e-12)
    torch.optim.SGD([w_t, b_t], lr=lr).step()
    assert step.w_next == pytest.approx(w_t.item(), rel=1e-12, abs=1e-12)
    assert step.b_next == pytest.approx(b_t.item(), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.35])
def test_train_matches_torch_sgd_trajectory(lr):
    steps = 60
    history = train(steps, lr)
    w = torch.tensor(START_W, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(START_B, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    for k in range(steps):
        x, y = TOY_DATA[k % len(TOY_DATA)]
        loss = (w * x + b - y) ** 2
        optimizer.zero_grad()
        loss.backward()
        assert history[k].loss == pytest.approx(loss.item(), rel=1e-9)
        optimizer.step()
        assert (history[k].w_next, history[k].b_next) == pytest.approx((w.item(), b.item()), rel=1e-9, abs=1e-12)


def test_training_learns_the_rule_and_too_large_a_step_diverges():
    learned = train(100, 0.1)[-1]
    assert learned.w_next == pytest.approx(3.0, abs=1e-3) and learned.b_next == pytest.approx(1.0, abs=1e-3)
    losses = loss_curve(train(40, 0.8))
    assert losses[-1] > 1e3 * losses[0]


def test_loss_curve_and_dataset_loss():
    history = train(5, 0.1)
    curve = loss_curve(history)
    assert len(curve) == 6
    assert curve[0] == pytest.approx(sum((START_W * x + START_B - y) ** 2 for x, y in TOY_DATA) / 4)
    assert curve[-1] == dataset_loss(history[-1].w_next, history[-1].b_next)
    assert dataset_loss(3.0, 1.0) == 0.0
    assert forward(3.0, 1.0, 5.0) == 16.0
    assert train(0, 0.1) == []
    with pytest.raises(ValueError):
        train(-1, 0.1)


def test_phases_inference_is_the_forward_pass_of_training():
    assert PHASES["training"] == STAGES
    assert PHASES["inference"] == STAGES[:3]
