"""Faults: an MNIST download cut off or hanging mid-way, and an exception inside a session's training thread.

Downloads go to a raw-socket HTTP server on 127.0.0.1 that misbehaves on one file: it announces the file's length
and then closes the connection half-way ("drop"), resets it half-way ("reset"), stops sending half-way ("stall"),
or reads the request and never answers ("silent"). The mirror is pointed at it through ``core.downloads.MIRRORS`` and
the cache through ``$DLP_CACHE``. There is no realistic way to make training raise from the page (too big a batch
is refused before a run starts), so the failing run is a model whose forward raises on its 3rd training batch:
through ``TrainingJob`` directly, and through the page in AppTest sessions of their own, with ``core.train.train``
wrapped in-process (no hook in the app).
"""

from __future__ import annotations

import contextlib
import itertools
import struct
import threading
import time

import numpy as np
import pytest
from torch import nn

import core.downloads
import core.train
from core.data import IDX_FILES, DatasetUnavailable, load_dataset, read_idx
from core.models import CNNConfig, ConvBlock, build_model
from core.train import TrainConfig
from tests.conftest import assert_clean, lesson_app, page_texts
from tests.helpers.idx_files import fake_files, sha256s
from ui.jobs import training_job as training
from ui.jobs.training_job import TrainingJob
from ui.shell.i18n import translate
from ui.shell.registry import CNN_TRAINER


@pytest.fixture(autouse=True)
def fake_files_sizes(monkeypatch):
    """The fake IDX files served here have their own sizes, not the real files' (``core.downloads.SIZES``); and a retry
    here is an attempt at once (the 60 s a failure is remembered is tested in test_data.py)."""
    monkeypatch.setattr(core.downloads, "SIZES", {})
    monkeypatch.setattr(core.downloads, "RETRY_AFTER", 0.0)

# ---- the MNIST download cut off or hanging -------------------------------------------------------------------

BROKEN = IDX_FILES[2]  # the third file: the two before it arrive whole, the last one is never asked for


@contextlib.contextmanager
def raw_server(files: dict[str, bytes], faults: dict[str, str]):
    """An HTTP/1.1 server on 127.0.0.1, one thread per connection; yields ``(base_url, requested names)``."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    done = threading.Event()
    requests: list[str] = []
    handlers: list[threading.Thread] = []

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            name = head.split(b" ", 2)[1].decode().rsplit("/", 1)[-1]
            requests.append(name)
            fault = faults.get(name)
            if fault == "silent":  # the request was read: never a byte back
                done.wait()
                return
            body = files[name]
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nConnection: close\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body))
            conn.sendall(body if fault is None else body[: len(body) // 2])
            if fault == "stall":
                done.wait()
            elif fault == "reset":  # close with an RST instead of a FIN
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            handlers.append(threading.Thread(target=handle, args=(conn,), daemon=True))
            handlers[-1].start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/mnist/", requests
    finally:
        done.set()
        acceptor.join(timeout=5)
        listener.close()
        for handler in handlers:
            handler.join(timeout=5)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """An empty cache, the fake files' checksums as MNIST's, and ``point(url)`` to move MNIST's mirror there."""
    files = fake_files(n_train=200)  # train images ~157 kB: several 64 kB reads, cut off in the middle
    monkeypatch.setenv("DLP_CACHE", str(tmp_path))
    monkeypatch.setitem(core.downloads.CHECKSUMS, "mnist", sha256s(files))

    def point(url: str) -> None:
        monkeypatch.setitem(core.downloads.MIRRORS, "mnist", url)

    return files, tmp_path / "mnist", point


def everything_in(folder) -> list[str]:
    """Every entry under ``folder``, hidden temporary files included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


ERRORS = {"drop": rf"download of http://127\.0\.0\.1:\d+/mnist/{BROKEN} stopped after \d+ of \d+ bytes",
          "reset": rf"could not download http://127\.0\.0\.1:\d+/mnist/{BROKEN} \(.*reset",
          "stall": rf"could not download http://127\.0\.0\.1:\d+/mnist/{BROKEN} \(.*timed out",
          "silent": rf"could not download http://127\.0\.0\.1:\d+/mnist/{BROKEN} \(.*timed out"}


@pytest.mark.parametrize("fault", list(ERRORS))
def test_a_broken_download_leaves_no_partial_file_and_a_retry_works(mirror, fault, monkeypatch):
    import urllib.request

    files, folder, point = mirror
    progress: list[tuple[int, int]] = []
    timeouts: list[float | None] = []
    real_urlopen = urllib.request.urlopen

    def urlopen(url, *args, **kwargs):
        timeouts.append(kwargs.get("timeout", args[1] if len(args) > 1 else None))
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with raw_server(files, {BROKEN: fault}) as (url, requests):
        point(url)
        with pytest.raises(DatasetUnavailable, match=ERRORS[fault]) as info:
            load_dataset("mnist", timeout=0.5, progress=lambda done, total: progress.append((done, total)))
    # not left hanging: each request (one per file, no retries: `requests` below) waits at most the timeout given
    assert timeouts == [0.5] * 3
    assert info.value.name == "mnist" and '"digits" and "shapes" need no download' in str(info.value)
    assert requests == list(IDX_FILES[:3])
    assert everything_in(folder) == sorted(IDX_FILES[:2])  # the whole files stay; nothing of the broken one
    whole = len(files[IDX_FILES[0]]) + len(files[IDX_FILES[1]])
    assert max(done for done, _ in progress) < whole + len(files[BROKEN])  # never reported as complete

    with raw_server(files, {}) as (url, requests):  # the mirror is back: the retry fetches only what is missing
        point(url)
        d = load_dataset("mnist", timeout=5)
    assert requests == list(IDX_FILES[2:])
    assert everything_in(folder) == sorted(IDX_FILES)
    assert d.x_train.shape == (200, 1, 28, 28) and d.x_test.shape == (10, 1, 28, 28)
    for x, y, prefix in ((d.x_train, d.y_train, "train"), (d.x_test, d.y_test, "t10k")):
        np.testing.assert_array_equal((x[:, 0] * 255).round().numpy().astype(np.uint8),
                                      read_idx(files[f"{prefix}-images-idx3-ubyte.gz"]))
        np.testing.assert_array_equal(y.numpy(), read_idx(files[f"{prefix}-labels-idx1-ubyte.gz"]))


def test_a_cut_off_download_replaces_no_damaged_cached_file(mirror):
    """A damaged copy already in the cache is removed, and the interrupted download does not take its place."""
    files, folder, point = mirror
    folder.mkdir()
    (folder / BROKEN).write_bytes(files[BROKEN][:100])
    with raw_server(files, {BROKEN: "drop"}) as (url, _), pytest.raises(DatasetUnavailable, match="stopped after"):
        point(url)
        load_dataset("mnist", timeout=5)
    assert everything_in(folder) == sorted(IDX_FILES[:2])


def test_the_trainer_page_reports_a_cut_off_download_then_loads_it_on_retry(mirror):
    from ui.jobs.training_job import shared_dataset

    files, folder, point = mirror
    shared_dataset.clear()
    try:
        with raw_server(files, {BROKEN: "drop"}) as (url, _):
            point(url)
            at = lesson_app(CNN_TRAINER, {"data": "mnist"}, "zh")  # no exception, no page-error box
        assert translate("cnn_trainer.unavailable", "zh", name=translate("cnn_trainer.datasets.mnist", "zh")) in [
            e.value for e in at.error]
        assert "cnn_trainer_start" not in [b.key for b in at.button]
        assert everything_in(folder) == sorted(IDX_FILES[:2])
        with raw_server(files, {}) as (url, requests):  # a failed load is not cached: the next run tries again
            point(url)
            at.run()
        assert_clean(at)
        assert requests == list(IDX_FILES[2:]) and not at.error
        assert at.selectbox(key="cnn_trainer_data").value == "mnist" and at.button(key="cnn_trainer_start")
    finally:
        shared_dataset.clear()


# ---- an exception inside the training thread -------------------------------------------------------------------

TINY = CNNConfig(blocks=(ConvBlock(4),), dense=(16,))
CPU = TrainConfig(device="cpu", epochs=1, batch_size=32)


@pytest.fixture(scope="module")
def small():
    d = load_dataset("digits")
    return type(d)(d.x_train[:256], d.y_train[:256], d.x_test[:64], d.y_test[:64], d.classes, "small")


class FailsAt(nn.Module):
    """``inner``, except that its ``at``-th forward in training mode raises a RuntimeError."""

    def __init__(self, inner: nn.Module, at: int = 3):
        super().__init__()
        self.inner, self.at, self.calls = inner, at, 0

    def forward(self, x):
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                raise RuntimeError(f"boom in training batch {self.at}")
        return self.inner(x)


def wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


@pytest.fixture
def jobs(monkeypatch):
    """Every TrainingJob started during the test, stopped at its end (whatever the test asserted)."""
    started: list[TrainingJob] = []
    original = TrainingJob.start

    def start(self, *args, **kwargs):
        started.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TrainingJob, "start", start)
    yield started
    for job in started:
        job.stop()
    assert not any(job.running for job in started)


def test_an_exception_in_the_worker_fails_that_job_only_and_frees_its_slot(small, jobs):
    failing, other = TrainingJob(), TrainingJob()  # two sessions: together they take every slot
    assert training.MAX_CONCURRENT_TRAININGS == 2
    model = FailsAt(build_model(TINY))
    assert failing.start(model, small, CPU)
    assert other.start(build_model(TINY), small, TrainConfig(device="cpu", epochs=200, batch_size=8))
    failing.thread.join(timeout=60)
    snap = failing.snapshot()
    assert (snap.status, snap.message) == ("failed", "RuntimeError: boom in training batch 3")
    assert model.calls == 3 and not failing.running and snap.seconds > 0
    assert other.running and other.snapshot().status == "running"  # the other session trains on
    third = TrainingJob()  # a third session gets the failed run's slot
    assert third.start(build_model(TINY), small, CPU) == "started"
    third.thread.join(timeout=60)
    assert third.snapshot().status == "finished" and third.snapshot().history[-1]["epoch"] == 1
    other.stop()
    assert other.snapshot().status == "stopped"


class NoCopy(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = build_model(TINY)

    def forward(self, x):
        return self.inner(x)

    def __deepcopy__(self, memo):
        raise RuntimeError("this model cannot be copied")


class NoThread(threading.Thread):
    def start(self):
        raise RuntimeError("can't start new thread")


@pytest.mark.parametrize("where", ["copy", "thread"])
def test_a_failure_while_starting_frees_the_slot_and_reports(small, jobs, monkeypatch, where):
    job = TrainingJob()
    with monkeypatch.context() as patch:
        if where == "thread":
            patch.setattr(training.threading, "Thread", NoThread)
        assert job.start(NoCopy() if where == "copy" else build_model(TINY), small, CPU)
    snap = job.snapshot()
    message = "RuntimeError: " + ("this model cannot be copied" if where == "copy" else "can't start new thread")
    assert (snap.status, snap.message, snap.model, snap.template) == ("failed", message, None, None)
    assert not job.running
    job.reset()  # Reset (and a session's end) work on a job whose worker never started
    assert job.snapshot().status == "idle"
    others = [TrainingJob() for _ in range(training.MAX_CONCURRENT_TRAININGS)]  # every slot is free
    for other in others:
        assert other.start(build_model(TINY), small, TrainConfig(device="cpu", epochs=200, batch_size=8)) == "started"
    for other in others:
        other.stop()


def fail_when_three_epochs(monkeypatch) -> None:
    """``core.train.train`` as the worker calls it, except that a run of 3 epochs gets a model that raises on its
    3rd training batch (the page's own model, its forward wrapped)."""
    real = core.train.train

    def train(model, dataset, config, *args, **kwargs):
        if config.epochs == 3:
            forward, calls = model.forward, itertools.count(1)

            def failing(x):
                if model.training and next(calls) == 3:
                    raise RuntimeError("boom in training batch 3")
                return forward(x)

            model.forward = failing
        return real(model, dataset, config, *args, **kwargs)

    monkeypatch.setattr(core.train, "train", train)


def poll(at, done, limit: float = 90.0):
    end = time.monotonic() + limit
    while not done(at):
        assert time.monotonic() < end, page_texts(at)
        time.sleep(0.3)
        at.run()
    assert_clean(at)


def test_on_the_page_a_failed_run_shows_its_error_and_other_sessions_train(monkeypatch, jobs):
    fail_when_three_epochs(monkeypatch)
    net = {"blocks": "1", "b1": "4-3-relu-max-bn", "dense": "0", "batch": "32"}
    failing = lesson_app(CNN_TRAINER, {**net, "epochs": "3"}, "zh")
    failing.button(key="cnn_trainer_start").click().run()
    assert_clean(failing)
    wait_for(lambda: jobs and not jobs[0].running)
    poll(failing, lambda at: not at.button(key="cnn_trainer_start").disabled)
    expected = translate("cnn_trainer.status.failed", "zh", message="RuntimeError: boom in training batch 3")
    assert expected in [e.value for e in failing.error]
    assert not failing.subheader  # no results for a failed run

    # two other sessions both start (the failed run's slot is free) and both finish
    others = [lesson_app(CNN_TRAINER, {**net, "epochs": "1"}, "en") for _ in range(2)]
    for at in others:
        at.button(key="cnn_trainer_start").click().run()
        assert_clean(at)
    assert [job.snapshot().status for job in jobs[1:]] != ["queued", "queued"]  # the failed run left no slot taken
    assert "queued" not in {job.snapshot().status for job in jobs[1:]}
    assert len(jobs) == 3 and len({id(job) for job in jobs}) == 3  # a job of its own per session
    for at in others:
        poll(at, lambda at: bool(at.subheader))
        assert at.success and at.success[0].value.startswith("Finished in")
        assert not at.error
    failing.run()  # meanwhile the failed session still shows its error, and can start again
    assert expected in [e.value for e in failing.error] and not failing.button(key="cnn_trainer_start").disabled
