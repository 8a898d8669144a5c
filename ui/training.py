"""A training run owned by one browser session, in a worker thread that never touches Streamlit.

The worker calls ``core.train.train`` and writes each progress dict into a lock-protected ``TrainingJob``; the page
reads a snapshot of it (polling with ``st.fragment(run_every=…)`` only while the job runs). The job lives in a
session-scoped ``st.cache_resource``: its ``on_release`` stops the thread when the session ends. A server-wide
semaphore caps how many sessions train at once, so a classroom server stays responsive.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

MAX_CONCURRENT_TRAININGS = 2
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_TRAININGS)


@dataclass
class Snapshot:
    """What the page draws: copies, safe to read while the worker goes on."""

    status: str  # "idle" | "running" | "finished" | "stopped" | "diverged" | "failed" | "loaded"
    history: list[dict]
    message: str
    model: Any  # the trained torch model once the run has ended, else None
    seconds: float


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

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def snapshot(self) -> Snapshot:
        with self.lock:
            seconds = time.perf_counter() - self.started if self.status == "running" else self.seconds
            return Snapshot(self.status, list(self.history), self.message, self.model, seconds)

    def start(self, model, dataset, config) -> bool:
        """Start training ``model`` in a worker thread; False (nothing started) when the server is full."""
        if self.running:
            return True
        if not _SLOTS.acquire(blocking=False):
            return False
        self.stop_event.clear()
        with self.lock:
            self.status, self.history, self.message, self.model = "running", [], "", None
            self.started = time.perf_counter()
        self.thread = threading.Thread(target=self._work, args=(model, dataset, config), daemon=True,
                                       name="dlp-training")
        self.thread.start()
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
        with self.lock:
            self.history.append(dict(progress))

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

    def reset(self) -> None:
        self.stop()
        with self.lock:
            self.status, self.history, self.message, self.model, self.seconds = "idle", [], "", None, 0.0


def _release(job: TrainingJob) -> None:
    job.stop(wait=0.0)


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def session_job() -> TrainingJob:
    """This browser session's training job (one per session; stopped when the session ends)."""
    return TrainingJob()
