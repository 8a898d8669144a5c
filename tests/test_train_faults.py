"""Faults during training: the device running out of memory, a stop pressed mid-epoch, MNIST unreachable offline.

Out-of-memory is simulated on the CPU by a module whose forward raises ``torch.cuda.OutOfMemoryError`` (the class
exists in CPU-only builds too) on its Nth call; ``bench/gpu_check.py`` provokes a real one on a GPU.
"""

import re
import socket
import threading
import weakref
from dataclasses import replace

import pytest
import torch
from torch import nn

import core.downloads
import core.train
from core.data import load_dataset
from core.models import CNNConfig, ConvBlock, build_model
from core.train import OUT_OF_MEMORY, TrainConfig, evaluate, train
from tests.conftest import assert_clean, lesson_app
from ui.jobs import training_job as training
from ui.jobs.training_job import TrainingJob
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import CNN_TRAINER

TINY = CNNConfig(blocks=(ConvBlock(4),), dense=(16,), dropout=0.1)
CPU = TrainConfig(device="cpu", epochs=2, batch_size=8)  # 300 / 8: 38 batches an epoch, reports at 10, 20, 30, 38


@pytest.fixture(scope="module")
def small():
    d = load_dataset("digits")
    return type(d)(d.x_train[:300], d.y_train[:300], d.x_test[:100], d.y_test[:100], d.classes, "small")


class OutOfMemoryAt(nn.Module):
    """``inner``, except that its ``train_at``-th forward in training mode (or ``eval_at``-th in eval mode) raises
    the error CUDA raises; records where ``.to`` moved it, and keeps a weak reference to the input that failed."""

    def __init__(self, inner: nn.Module, train_at: int | None = None, eval_at: int | None = None):
        super().__init__()
        self.inner, self.train_at, self.eval_at = inner, train_at, eval_at
        self.calls = {True: 0, False: 0}
        self.moves: list[str] = []
        self.failed_input = None

    def to(self, *args, **kwargs):
        self.moves.append(str(torch.device(args[0] if args else kwargs["device"])))
        return super().to(*args, **kwargs)

    def forward(self, x):
        self.calls[self.training] += 1
        if self.calls[self.training] == (self.train_at if self.training else self.eval_at):
            self.failed_input = weakref.ref(x)
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.11 GiB "
                                              "total capacity; 77.80 GiB already allocated)")
        return self.inner(x)


def assert_usable_on_cpu(model: nn.Module, data) -> None:
    assert len(model.moves) == 2 and model.moves[-1] == "cpu"  # to the training device, then back to the CPU
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert all(b.device.type == "cpu" for b in model.buffers())
    assert all(p.grad is None for p in model.parameters())  # the failed step's gradients are dropped
    model.eval()
    with torch.no_grad():
        logits = model(data.x_test[:5])
    assert logits.shape == (5, 10) and torch.isfinite(logits).all()
    assert 0 <= evaluate(model, data)["accuracy"] <= 1


def test_out_of_memory_in_a_training_step(small):
    model = OutOfMemoryAt(build_model(TINY), train_at=25)
    reports = []
    result = train(model, small, CPU, on_progress=reports.append)
    assert (result.status, result.message) == ("out_of_memory", OUT_OF_MEMORY)
    assert [r["step"] for r in result.history] == [10, 20] and result.history == reports  # 24 steps done
    assert result.seconds > 0 and result.images_per_second > 0
    assert model.failed_input() is None  # the batch is not kept alive by the result (or a stored traceback)
    assert_usable_on_cpu(model, small)


def test_out_of_memory_in_the_end_of_epoch_test(small):
    model = OutOfMemoryAt(build_model(TINY), eval_at=3)  # 100 test images: two batches of 64 and 36; epoch 2 fails
    result = train(model, small, CPU)
    assert result.status == "out_of_memory"
    assert [r["step"] for r in result.history] == [10, 20, 30, 38, 48, 58, 68]
    assert result.history[3]["test_accuracy"] is not None  # epoch 1 was tested; epoch 2's test failed
    assert all(r["epoch"] == 2 for r in result.history[4:]) and result.history[-1]["test_accuracy"] is None
    assert_usable_on_cpu(model, small)


def test_out_of_memory_frees_before_emptying_the_cache(small, monkeypatch):
    """With CUDA present, ``empty_cache`` runs once the failed batch is gone (else its memory stays reserved).

    CUDA is made to look present only while the run cleans up after the error (``_release_device_memory``), and
    ``empty_cache`` there is a recorder: the training itself (whose optimizer asks torch whether CUDA is there) runs
    as on any CPU, whichever torch build is installed and whether or not a GPU driver is."""
    model = OutOfMemoryAt(build_model(TINY), train_at=3)
    seen = []
    release = core.train._release_device_memory

    def release_with_cuda_present(*args, **kwargs):
        with monkeypatch.context() as cuda:
            cuda.setattr(torch.cuda, "is_available", lambda: True)
            cuda.setattr(torch.cuda, "empty_cache",
                         lambda: seen.append((model.failed_input() is None, list(model.moves))))
            release(*args, **kwargs)

    monkeypatch.setattr(core.train, "_release_device_memory", release_with_cuda_present)
    result = train(model, small, CPU)
    assert result.status == "out_of_memory" and result.history == []
    assert seen == [(True, ["cpu", "cpu"])]  # the batch is freed and the model moved back before it runs


def test_out_of_memory_through_the_training_job(small):
    job = TrainingJob()
    model = OutOfMemoryAt(build_model(TINY), train_at=15)
    assert job.start(model, small, CPU)
    job.thread.join(timeout=60)
    snap = job.snapshot()
    assert (snap.status, snap.message) == ("out_of_memory", OUT_OF_MEMORY)
    assert [h["step"] for h in snap.history] == [10] and snap.model is model
    assert_usable_on_cpu(model, small)
    # the slot is free again: as many jobs as the cap can start
    others = [TrainingJob() for _ in range(training.MAX_CONCURRENT_TRAININGS)]
    try:
        assert all(o.start(build_model(TINY), small, replace(CPU, epochs=200)) == "started" for o in others)
    finally:
        for o in others:
            o.stop()
    assert not any(o.running for o in others)


# ---- a stop pressed mid-epoch ----------------------------------------------------------------------------------


def test_stop_mid_epoch_from_progress(small):
    """Stop set at the second report of epoch 1 (step 20 of 38): no further batch runs."""
    stop = threading.Event()

    def on_progress(r):
        if r["step"] == 20:
            stop.set()

    model = build_model(TINY)
    result = train(model, small, CPU, on_progress, stop)
    assert (result.status, result.message) == ("stopped", "stopped after 20 steps")
    assert result.history[-1]["step"] == 20 and result.history[-1]["epoch"] == 1
    assert result.history[-1]["batch"] < result.history[-1]["batches_per_epoch"]
    assert 0 <= evaluate(model, small)["accuracy"] <= 1


class StopDuring(nn.Module):
    """``inner``, setting ``stop`` during its ``at``-th training forward: a stop pressed while a batch runs."""

    def __init__(self, inner: nn.Module, stop: threading.Event, at: int):
        super().__init__()
        self.inner, self.stop, self.at, self.calls = inner, stop, at, 0

    def forward(self, x):
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                self.stop.set()
        return self.inner(x)


def test_stop_pressed_during_a_batch_ends_after_that_batch(small, monkeypatch):
    monkeypatch.setattr(core.train, "PROGRESS_EVERY", 1)  # a report after every batch
    stop = threading.Event()
    model = StopDuring(build_model(TINY), stop, at=13)
    result = train(model, small, CPU, stop=stop)
    assert result.status == "stopped" and model.calls == 13
    assert [r["step"] for r in result.history] == list(range(1, 14))  # the batch in flight finishes: step 13
    assert result.message == "stopped after 13 steps"
    assert 0 <= evaluate(model, small)["accuracy"] <= 1


# ---- MNIST offline, on the trainer page ----------------------------------------------------------------------


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty dataset cache and every download mirror on a loopback port where nothing listens."""
    from ui.jobs.training_job import shared_dataset

    with socket.socket() as s:  # a port that was free a moment ago: connections to it are refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DLP_CACHE", str(tmp_path))
    for name in core.downloads.MIRRORS:
        monkeypatch.setitem(core.downloads.MIRRORS, name, f"http://127.0.0.1:{port}/")
    shared_dataset.clear()
    yield tmp_path
    shared_dataset.clear()


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, BaseException | None]]:
    """Every ``urllib.request.urlopen`` call: its URL and the error it ended with (None: it answered)."""
    import urllib.request

    calls = []
    real = urllib.request.urlopen

    def urlopen(url, *args, **kwargs):
        try:
            response = real(url, *args, **kwargs)
        except BaseException as error:
            calls.append((getattr(url, "full_url", url), error))
            raise
        calls.append((getattr(url, "full_url", url), None))
        return response

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return calls


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_mnist_offline_shows_an_error_and_the_page_goes_on(offline, connections, lang):
    at = lesson_app(CNN_TRAINER, {"data": "mnist"}, lang)  # checks: no exception, no page-error box
    # refused at once, not waited for: one attempt, refused by the port (no download timeout ran out)
    [(url, error)] = connections
    assert url.startswith(core.downloads.MIRRORS["mnist"]) and isinstance(getattr(error, "reason", error),
                                                                      ConnectionRefusedError)
    unavailable = translate("cnn_trainer.unavailable", lang, name=translate("cnn_trainer.datasets.mnist", lang))
    assert unavailable in [e.value for e in at.error]
    if lang == "en":
        assert "digits" in unavailable.lower()
    else:
        assert CJK.search(unavailable) and "手写数字" in unavailable and "MNIST" in unavailable
    assert at.selectbox(key="cnn_trainer_data").value == "mnist"
    assert "cnn_trainer_start" not in [b.key for b in at.button]  # nothing to train on: no start button
    assert not [p for p in offline.rglob("*") if p.is_file()]  # no partial download left in the cache

    at.selectbox(key="cnn_trainer_data").set_value("digits").run()
    assert_clean(at)
    assert not at.error
    assert at.button(key="cnn_trainer_start") and not at.button(key="cnn_trainer_start").disabled
    assert translate("cnn_trainer.idle", lang) in [i.value for i in at.info]
