"""A training run owned by one browser session, in a worker thread that never touches Streamlit.

The worker calls ``core.train.train`` and writes each progress dict into a lock-protected ``TrainingJob``; the page
reads a snapshot of it (polling with ``st.fragment(run_every=…)`` only while the job runs). The job lives in a
session-scoped ``st.cache_resource``: its ``on_release`` stops the thread when the session ends. A server-wide
semaphore caps how many sessions train at once, so a classroom server stays responsive.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import streamlit as st


@st.cache_resource(max_entries=4, show_spinner=False)
def shared_dataset(name: str, drawn: int = 0):
    """One copy per server of each data set (read-only tensors; training never changes them), shared by the trainer
    and the lessons that follow its network (depth); ``drawn``: the digits drawn by the program added to the digits'
    training images (``core.data.load_digits_dataset``)."""
    from core.data import load_dataset

    return load_dataset(name, drawn=drawn) if drawn else load_dataset(name)


@st.cache_resource(show_spinner=False)
def drawing_in_background(n: int) -> threading.Thread:
    """Starts drawing ``n`` digits (``core.drawn_digits.drawn_digits``, a few seconds) once per server, in a thread,
    so that they are ready (cached) when a student presses Start; a Start before then waits for the same drawing."""
    from core.drawn_digits import drawn_digits

    thread = threading.Thread(target=drawn_digits, args=(n,), daemon=True, name="dlp-drawn-digits")
    thread.start()
    return thread


MAX_CONCURRENT_TRAININGS = 2
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_TRAININGS)


@dataclass
class Snapshot:
    """What the page draws: copies, safe to read while the worker goes on."""

    status: str  # "idle" | "running" | "finished" | "stopped" | "diverged" | "out_of_memory" | "failed" | "loaded"
    history: list[dict]
    message: str
    model: Any  # the trained torch model once the run has ended, else None
    seconds: float
    weights: dict | None = None  # CPU copy of the state_dict at the last epoch's end (at the start: the initial one)
    weights_epoch: int = 0
    template: Any = None  # a CPU copy of the network as it was at the start: load ``weights`` into a copy of it


@dataclass
class TrainingJob:
    """One session's training: the worker thread, its stop event, and the metrics it reports."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    status: str = "idle"
    history: list[dict] = field(default_factory=list)
    message: str = ""
    model: Any = None
    started: float = 0.0
    seconds: float = 0.0
    weights: dict | None = None
    weights_epoch: int = 0
    template: Any = None
    _model: Any = None  # the model the worker trains (read only by the worker, in ``_report``)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def snapshot(self) -> Snapshot:
        with self.lock:
            seconds = time.perf_counter() - self.started if self.status == "running" else self.seconds
            return Snapshot(self.status, list(self.history), self.message, self.model, seconds, self.weights,
                            self.weights_epoch, self.template)

    def start(self, model, dataset, config) -> bool:
        """Start training ``model`` in a worker thread; False (nothing started) when the server is full. A failure
        while starting (copying the model, starting the thread) frees the slot and ends the run as "failed"."""
        if self.running:
            return True
        if not _SLOTS.acquire(blocking=False):
            return False
        self.stop_event.clear()
        try:
            template, weights = copy.deepcopy(model).cpu(), _cpu_state(model)
            with self.lock:
                self.status, self.history, self.message, self.model = "running", [], "", None
                self.template, self.weights, self.weights_epoch = template, weights, 0
                self.started = time.perf_counter()
            self._model = model
            self.thread = threading.Thread(target=self._work, args=(model, dataset, config), daemon=True,
                                           name="dlp-training")
            self.thread.start()
        except Exception as error:  # no worker runs: its slot must not stay taken
            _SLOTS.release()
            self.thread = None  # never started: it could not be joined
            with self.lock:
                self.status, self.message, self.seconds = "failed", f"{type(error).__name__}: {error}", 0.0
                self.history, self.model, self.template, self.weights, self.weights_epoch = [], None, None, None, 0
        return True

    def _work(self, model, dataset, config) -> None:
        from core.train import train

        try:
            result = train(model, dataset, config, on_progress=self._report, stop=self.stop_event)
            status, message = result.status, result.message
        except Exception as error:  # any failure ends the run with a message; it never takes the app down
            status, message = "failed", f"{type(error).__name__}: {error}"
        finally:
            _SLOTS.release()
        with self.lock:
            self.status, self.message, self.model = status, message, model
            self.seconds = time.perf_counter() - self.started

    def _report(self, progress: dict) -> None:
        """Called by ``train`` in the worker thread: the metrics, and at an epoch's end a copy of the weights (the
        worker owns the model, so copying here never races with an optimizer step)."""
        weights = _cpu_state(self._model) if progress["test_accuracy"] is not None else None
        with self.lock:
            self.history.append(dict(progress))
            if weights is not None:
                self.weights, self.weights_epoch = weights, progress["epoch"]

    def stop(self, wait: float = 5.0) -> None:
        """Ask the worker to stop (it checks every batch) and wait for it a little."""
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=wait)

    def adopt(self, model) -> None:
        """Take a model loaded from a checkpoint as this session's trained model (no worker involved)."""
        self.stop()
        with self.lock:
            self.status, self.history, self.message, self.model, self.seconds = "loaded", [], "", model, 0.0
            self.template, self.weights, self.weights_epoch = model, _cpu_state(model), 0

    def reset(self) -> None:
        self.stop()
        with self.lock:
            self.status, self.history, self.message, self.model, self.seconds = "idle", [], "", None, 0.0
            self.template, self.weights, self.weights_epoch = None, None, 0


def _cpu_state(model) -> dict:
    return {name: value.detach().to("cpu", copy=True) for name, value in model.state_dict().items()}


def _release(job: TrainingJob) -> None:
    job.stop(wait=0.0)


@st.cache_resource(scope="session", on_release=_release, show_spinner=False, max_entries=8)
def _job_for(token: str) -> TrainingJob:
    return TrainingJob()


def session_job() -> TrainingJob:
    """This browser session's training job (one per session; stopped when the session ends).

    The session-scoped cache releases (stops) the job when the session ends; the key is a token kept in the session
    state, so a session whose state starts afresh (every AppTest run shares one session id) gets a job of its own.
    """
    token = st.session_state.setdefault("_training_job_token", uuid.uuid4().hex)
    return _job_for(token)
