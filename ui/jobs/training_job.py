"""A training run owned by one browser session, in a worker thread that never touches Streamlit.

The worker calls ``core.train.train`` and writes each progress dict into a lock-protected ``TrainingJob``; the page
reads a snapshot of it (polling with ``st.fragment(run_every=…)`` only while the job is active). Jobs live in a
server-wide registry keyed by a token in the session state, so a browser that drops its connection and comes back
finds its training still going; a job no page has looked at for ``ABANDONED_AFTER`` seconds is stopped. The
server's ``QUEUE`` lets ``MAX_CONCURRENT_TRAININGS`` jobs train at once (``DLP_TRAINING_SLOTS``) and starts the
others in the order they asked; one browser trains one model at a time; a run stops after
``MAX_TRAINING_SECONDS``.
"""

from __future__ import annotations

import copy
import hashlib
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
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


DRAWING_THREAD = "dlp-drawn-digits"
"""The name of the thread that draws the digits once per server (``drawing_in_background``)."""


@st.cache_resource(show_spinner=False)
def drawing_in_background(n: int) -> threading.Thread:
    """Starts drawing ``n`` digits (``core.drawn_digits.drawn_digits``, a few seconds) once per server, in a thread,
    so that they are ready (cached) when a student presses Start; a Start before then waits for the same drawing."""
    from core.drawn_digits import drawn_digits

    thread = threading.Thread(target=drawn_digits, args=(n,), daemon=True, name=DRAWING_THREAD)
    thread.start()
    return thread


SLOTS_VARIABLE = "DLP_TRAINING_SLOTS"
"""The environment variable a teacher sets to choose how many models the server trains at once (1 to 16)."""


def configured_slots(environ: Mapping[str, str] = os.environ) -> int:
    """How many models train at once: ``DLP_TRAINING_SLOTS`` if it is a whole number (clamped to 1–16), else 2."""
    try:
        return min(16, max(1, int(environ.get(SLOTS_VARIABLE, "2"))))
    except ValueError:
        return 2


MAX_CONCURRENT_TRAININGS = configured_slots()
MAX_TRAINING_SECONDS = 600
"""A run that is still going after this long is stopped (its weights so far are kept): one student's run cannot hold
a slot for the whole lesson."""
ABANDONED_VARIABLE = "DLP_ABANDONED_AFTER"


def _abandoned_after(environ: Mapping[str, str] = os.environ) -> float:
    try:
        return max(1.0, float(environ.get(ABANDONED_VARIABLE, "180")))
    except ValueError:
        return 180.0


ABANDONED_AFTER = _abandoned_after()
"""Seconds after which a training (or a wait for one) that no page has looked at is stopped: longer than the two
minutes Streamlit keeps a disconnected session for its browser to come back (a Wi-Fi blip, a laptop lid), shorter
than a lesson. A page with a running job looks at it every second. ``DLP_ABANDONED_AFTER`` changes it (the load
benchmark uses a few seconds)."""
FORGOTTEN_AFTER = 2 * 3600.0
"""Seconds after which a job nobody has looked at is dropped with its model (the server's memory is not kept for a
tab closed long ago)."""


class TrainingQueue:
    """The server's training slots, shared fairly: at most ``slots`` jobs train at once; the others wait in the
    order they asked, and each is started as soon as a slot frees."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._lock = threading.Lock()
        self._running: set[int] = set()
        self._waiting: deque[tuple[int, Callable[[], None]]] = deque()

    def request(self, job: object, begin: Callable[[], None]) -> int:
        """Start ``job`` now (``begin()``; returns 0) if a slot is free and nobody waits, else queue it (returns its
        place, 1 = next)."""
        with self._lock:
            if len(self._running) < self.slots and not self._waiting:
                self._running.add(id(job))
                place = 0
            else:
                self._waiting.append((id(job), begin))
                place = len(self._waiting)
        if place == 0:
            begin()
        return place

    def finished(self, job: object) -> None:
        """``job`` no longer trains (or waits): its slot goes to the first in the queue."""
        with self._lock:
            self._running.discard(id(job))
            self._waiting = deque(w for w in self._waiting if w[0] != id(job))
            chosen = self._waiting.popleft() if self._waiting and len(self._running) < self.slots else None
            if chosen is not None:
                self._running.add(chosen[0])
        if chosen is not None:
            chosen[1]()

    def place(self, job: object) -> int:
        """``job``'s place in the queue (1 = next), 0 if it is not waiting."""
        with self._lock:
            return next((n for n, (key, _) in enumerate(self._waiting, 1) if key == id(job)), 0)

    def busy(self) -> tuple[int, int]:
        """(running, waiting), for the page and the tests."""
        with self._lock:
            return len(self._running), len(self._waiting)


QUEUE = TrainingQueue(MAX_CONCURRENT_TRAININGS)


@dataclass
class Snapshot:
    """What the page draws: copies, safe to read while the worker goes on."""

    status: str  # "idle" | "queued" | "running" | "finished" | "stopped" | "time_limit" | "diverged" |
    #              "out_of_memory" | "failed" | "loaded"
    history: list[dict]
    message: str
    model: Any  # the trained torch model once the run has ended, else None
    seconds: float
    weights: dict | None = None  # CPU copy of the state_dict at the last epoch's end (at the start: the initial one)
    weights_epoch: int = 0
    template: Any = None  # a CPU copy of the network as it was at the start: load ``weights`` into a copy of it
    place: int = 0  # while queued: the place in the server's queue (1 = next)


@dataclass
class TrainingJob:
    """One session's training: the worker thread, its stop event, and the metrics it reports.

    Every change of the job's run (start, reset, a loaded checkpoint) takes a new ``generation``; the worker writes
    only while its generation is the job's, so a worker that finishes late never overwrites what came after it.
    """

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
    generation: int = 0
    browser: str = ""  # who owns it: one running (or waiting) training per browser
    seen: float = field(default_factory=time.monotonic)  # when a page last looked at it
    queue: TrainingQueue = field(default_factory=lambda: QUEUE)
    time_limit: float = MAX_TRAINING_SECONDS
    _model: Any = None  # the model the worker trains (read only by the worker, in ``_report``)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    @property
    def active(self) -> bool:
        """Training, or waiting for a slot."""
        return self.running or self.status == "queued"

    def snapshot(self) -> Snapshot:
        with self.lock:
            seconds = time.perf_counter() - self.started if self.status == "running" else self.seconds
            place = self.queue.place(self) if self.status == "queued" else 0
            return Snapshot(self.status, list(self.history), self.message, self.model, seconds, self.weights,
                            self.weights_epoch, self.template, place)

    def start(self, model, dataset, config) -> str:
        """Train ``model`` in a worker thread as soon as the server has a slot: "started" (now), "queued" (waiting
        its turn; ``snapshot().place``), or "busy" when this browser already trains in another tab. A failure while
        starting (copying the model, starting the thread) frees the slot and ends the run as "failed"."""
        if self.active:
            return "started" if self.running else "queued"
        if self.browser and any(other is not self and other.browser == self.browser and other.active
                                for other in list(_JOBS.values())):
            return "busy"
        with self.lock:
            self.generation += 1
            generation = self.generation
            self.status, self.history, self.message, self.model, self.seconds = "queued", [], "", None, 0.0
            self.template, self.weights, self.weights_epoch = None, None, 0
        self.stop_event = threading.Event()
        place = self.queue.request(self, lambda: self._begin(generation, model, dataset, config))
        return "started" if place == 0 else "queued"

    def _begin(self, generation: int, model, dataset, config) -> None:
        """Given a slot: start the worker (or give the slot back if the run was cancelled while it waited)."""
        if generation != self.generation or self.stop_event.is_set():
            self.queue.finished(self)
            return
        try:
            template, weights = copy.deepcopy(model).cpu(), _cpu_state(model)
            with self.lock:
                self.status, self.template, self.weights, self.weights_epoch = "running", template, weights, 0
                self.started = time.perf_counter()
            self._model = model
            self.thread = threading.Thread(target=self._work, args=(generation, model, dataset, config),
                                           daemon=True, name="dlp-training")
            self.thread.start()
        except Exception as error:  # no worker runs: its slot must not stay taken
            self.thread = None  # never started: it could not be joined
            with self.lock:
                if generation == self.generation:
                    self.status, self.message, self.seconds = "failed", f"{type(error).__name__}: {error}", 0.0
                    self.history, self.model, self.template, self.weights, self.weights_epoch = [], None, None, None, 0
            self.queue.finished(self)

    def _work(self, generation: int, model, dataset, config) -> None:
        from core.train import train

        stop, out_of_time = self.stop_event, threading.Event()
        timer = threading.Timer(self.time_limit, lambda: (out_of_time.set(), stop.set()))
        timer.daemon = True
        timer.start()
        try:
            result = train(model, dataset, config, on_progress=lambda p: self._report(generation, p), stop=stop)
            status, message = result.status, result.message
        except Exception as error:  # any failure ends the run with a message; it never takes the app down
            status, message = "failed", f"{type(error).__name__}: {error}"
        finally:
            timer.cancel()
            self.queue.finished(self)
        with self.lock:
            if generation != self.generation:  # reset, restarted or replaced by a loaded model meanwhile
                return
            if status == "stopped" and out_of_time.is_set():
                status, message = "time_limit", str(int(self.time_limit))
            self.status, self.message, self.model = status, message, model
            self.seconds = time.perf_counter() - self.started

    def _report(self, generation: int, progress: dict) -> None:
        """Called by ``train`` in the worker thread: the metrics, and at an epoch's end a copy of the weights (the
        worker owns the model, so copying here never races with an optimizer step)."""
        weights = _cpu_state(self._model) if progress["test_accuracy"] is not None else None
        with self.lock:
            if generation != self.generation:
                return
            self.history.append(dict(progress))
            if weights is not None:
                self.weights, self.weights_epoch = weights, progress["epoch"]

    def stop(self, wait: float = 5.0) -> None:
        """Ask the worker to stop (it checks every batch) and wait for it a little; a waiting run leaves the
        queue."""
        self.stop_event.set()
        if self.status == "queued":
            self.queue.finished(self)
            with self.lock:
                if self.status == "queued":
                    self.status = "idle"
        if self.thread is not None:
            self.thread.join(timeout=wait)

    def _replace(self) -> None:
        """A new generation: whatever the worker still writes is ignored from here on."""
        with self.lock:
            self.generation += 1
        self.stop()

    def adopt(self, model) -> None:
        """Take a model loaded from a checkpoint as this session's trained model (no worker involved)."""
        self._replace()
        with self.lock:
            self.status, self.history, self.message, self.model, self.seconds = "loaded", [], "", model, 0.0
            self.template, self.weights, self.weights_epoch = model, _cpu_state(model), 0

    def reset(self) -> None:
        self._replace()
        with self.lock:
            self.status, self.history, self.message, self.model, self.seconds = "idle", [], "", None, 0.0
            self.template, self.weights, self.weights_epoch = None, None, 0


def _cpu_state(model) -> dict:
    return {name: value.detach().to("cpu", copy=True) for name, value in model.state_dict().items()}


_JOBS: dict[str, TrainingJob] = {}
"""Every session's job, by the token its session state holds: server-wide, so that a session whose browser
reconnects (Streamlit keeps a disconnected session two minutes) finds its training still going."""
_JOBS_LOCK = threading.Lock()


def reap(now: float | None = None) -> None:
    """Stop the trainings (and waits) no page has looked at for ``ABANDONED_AFTER`` seconds (their tab was closed,
    or its browser did not come back; a returning student finds the weights so far), and drop the jobs nobody has
    looked at for ``FORGOTTEN_AFTER``."""
    now = time.monotonic() if now is None else now
    with _JOBS_LOCK:
        idle = {token: job for token, job in _JOBS.items() if now - job.seen > ABANDONED_AFTER}
        for token, job in list(idle.items()):
            if now - job.seen > FORGOTTEN_AFTER:
                del _JOBS[token]
    for job in idle.values():
        if job.active:
            job.stop(wait=0.0)


_JANITOR: list[threading.Thread] = []


def _janitor() -> None:
    """Reaps every few seconds, so that a class that has gone home leaves no training behind."""
    while True:
        time.sleep(min(10.0, ABANDONED_AFTER / 2))
        reap()


def _start_janitor() -> None:
    with _JOBS_LOCK:
        if not _JANITOR:
            _JANITOR.append(threading.Thread(target=_janitor, daemon=True, name="dlp-training-janitor"))
            _JANITOR[0].start()


def browser_id() -> str:
    """Who is asking, per browser rather than per tab or per address (a class shares one NAT address): a hash of the
    browser's XSRF cookie, which Streamlit sets once per browser and every tab sends; "" when there is none."""
    cookie = st.context.cookies.get("_streamlit_xsrf", "") if st.context.cookies else ""
    return hashlib.sha256(cookie.encode()).hexdigest()[:16] if cookie else ""


def session_job() -> TrainingJob:
    """This browser session's training job (one per session, found again after a reconnect, stopped when no page
    has looked at it for ``ABANDONED_AFTER`` seconds, ``reap``). The key is a token kept in the session state, so a
    session whose state starts afresh (every AppTest run shares one session id) gets a job of its own."""
    _start_janitor()
    token = st.session_state.setdefault("_training_job_token", uuid.uuid4().hex)
    with _JOBS_LOCK:
        job = _JOBS.setdefault(token, TrainingJob())
    job.seen, job.browser = time.monotonic(), browser_id()
    return job
