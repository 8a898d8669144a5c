"""``ui.jobs.training_job.TrainingJob``: the worker thread behind the trainer page, driven without a browser."""

import time

import pytest
import torch

from core.data import load_dataset
from core.models import CNNConfig, ConvBlock, build_model
from core.train import TrainConfig
from ui.jobs import training_job as training
from ui.jobs.training_job import TrainingJob

TINY = CNNConfig(blocks=(ConvBlock(4),), dense=(16,))


@pytest.fixture(scope="module")
def small():
    d = load_dataset("digits")
    return type(d)(d.x_train[:256], d.y_train[:256], d.x_test[:64], d.y_test[:64], d.classes, "small")


def wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_a_run_reports_progress_and_ends_with_the_model(small):
    job = TrainingJob()
    assert job.start(build_model(TINY), small, TrainConfig(epochs=2, batch_size=32))
    wait_for(lambda: not job.running)
    snap = job.snapshot()
    assert snap.status == "finished" and snap.model is not None
    assert snap.history and snap.history[-1]["epoch"] == 2 and snap.history[-1]["test_accuracy"] is not None
    assert all(isinstance(v, (int, float, type(None))) for h in snap.history for v in h.values())


def test_stop_ends_the_run_and_frees_the_slot(small):
    job = TrainingJob()
    assert job.start(build_model(TINY), small, TrainConfig(epochs=200, batch_size=8))
    wait_for(lambda: job.snapshot().history)
    job.stop()
    assert not job.running and job.snapshot().status == "stopped"
    # every slot is free again: as many jobs as the cap can start
    others = [TrainingJob() for _ in range(training.MAX_CONCURRENT_TRAININGS)]
    try:
        assert all(o.start(build_model(TINY), small, TrainConfig(epochs=200, batch_size=8)) == "started"
                   for o in others)
        waiting = TrainingJob()  # the server is full: the next one waits its turn
        assert waiting.start(build_model(TINY), small, TrainConfig(epochs=1)) == "queued"
        assert waiting.snapshot().place == 1 and not waiting.running
        waiting.stop()
    finally:
        for o in others:
            o.stop()


def test_a_failing_run_reports_instead_of_raising(small):
    job = TrainingJob()
    assert job.start(build_model(TINY), small, TrainConfig(epochs=1, batch_size=100_000))
    wait_for(lambda: not job.running)
    snap = job.snapshot()
    assert snap.status == "failed" and "batch" in snap.message.lower()
    job.reset()
    assert job.snapshot().status == "idle" and job.snapshot().history == []


def test_the_views_follow_the_weights_epoch_by_epoch(small):
    """At the start the job holds the initial weights; after each epoch, a copy of that epoch's weights."""
    job = TrainingJob()
    model = build_model(TINY, seed=5)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    seen: dict[int, dict] = {}
    original = job._report

    def spy(generation, progress):
        original(generation, progress)
        if progress["test_accuracy"] is not None:
            snap = job.snapshot()
            seen[snap.weights_epoch] = snap.weights

    job._report = spy
    assert job.start(model, small, TrainConfig(epochs=2, batch_size=64))
    first = job.snapshot()
    for name, value in first.template.state_dict().items():
        torch.testing.assert_close(value, initial[name], rtol=0, atol=0)  # the template is the untrained network
    wait_for(lambda: not job.running)
    assert sorted(seen) == [1, 2]
    final = job.snapshot()
    assert final.weights_epoch == 2
    for name, value in model.state_dict().items():
        torch.testing.assert_close(final.weights[name], value.cpu(), rtol=0, atol=0)
    assert any(not torch.equal(seen[1][n], seen[2][n]) for n in seen[1] if seen[1][n].is_floating_point())
    assert not any(v is model.state_dict()[k] for k, v in final.weights.items())  # copies, not the live tensors
