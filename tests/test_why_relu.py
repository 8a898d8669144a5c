"""core.why_relu: the race's networks, the epoch counting, and the race itself against train() run directly."""

from __future__ import annotations

import pytest
import torch

from core.data import load_digits_dataset
from core.models import build_model
from core.train import TrainConfig, train
from core.why_relu import Race, first_epoch_at, race_network, run_race


def test_first_epoch_at_counts_from_one():
    assert first_epoch_at([0.5, 0.94, 0.95, 0.97], 0.95) == 3
    assert first_epoch_at([0.5, 0.6], 0.95) is None
    assert first_epoch_at([], 0.5) is None


def test_the_race_networks_differ_only_in_their_activation():
    sigmoid, relu = (build_model(race_network(a)) for a in ("sigmoid", "relu"))
    kinds = [type(m).__name__ for m in sigmoid.children()]
    assert kinds.count("Sigmoid") == 3 and "BatchNorm2d" not in kinds
    assert [k.replace("Sigmoid", "ReLU") for k in kinds] == [type(m).__name__ for m in relu.children()]
    assert all(torch.equal(a, b) for a, b in zip(sigmoid.state_dict().values(), relu.state_dict().values(),
                                                 strict=True))  # the same starting weights


def test_the_race_is_two_plain_trainings_and_relu_wins():
    race = Race(epochs=4)
    result = run_race(race)
    data = load_digits_dataset()
    for activation in ("sigmoid", "relu"):
        model = build_model(race_network(activation), seed=race.seed)
        run = train(model, data, TrainConfig(optimizer="momentum", lr=0.05, batch_size=64, epochs=4, device="cpu"))
        expected = [h["test_accuracy"] for h in run.history if h.get("test_accuracy") is not None]
        assert result.accuracy[activation] == pytest.approx(expected)
    assert result.accuracy["relu"][-1] > 0.85 > 0.2 > result.accuracy["sigmoid"][-1]  # measured: 92% and 10%
    assert result.images_per_second["cpu"] > 0
    assert bool(result.gpu) == torch.cuda.is_available()
