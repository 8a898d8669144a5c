"""The server's training slots and each job's lifetime (``ui.jobs.training_job``): a fair queue, one run per
browser, a time limit, generation numbers against late workers, and jobs that outlive a dropped connection but not
an abandoned tab. The worker's ``train`` is replaced by a stand-in that waits for the test's signal, so nothing here
depends on how fast a network trains."""

import threading
import time

import pytest

import core.train
from core.train import TrainResult
from ui.jobs import training_job as training
from ui.jobs.training_job import TrainingJob, TrainingQueue, configured_slots


def wait_for(predicate, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


class StandIn:
    """``core.train.train`` for these tests: reports one epoch, then waits until the test releases it (or the job's
    stop event is set, as the real one checks it every batch)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, model, dataset, config, on_progress=None, stop=None) -> TrainResult:
        self.calls += 1
        on_progress({"epoch": 1, "step": 1, "loss": 1.0, "test_accuracy": None})
        while not self.release.is_set():
            if stop is not None and stop.is_set():
                return TrainResult("stopped", "")
            time.sleep(0.005)
        return TrainResult("finished", "")


@pytest.fixture
def stand_in(monkeypatch):
    fake = StandIn()
    monkeypatch.setattr(core.train, "train", fake)
    yield fake
    fake.release.set()


class Model:
    """A stand-in network: the job copies it and its (empty) weights."""

    def cpu(self):
        return self

    def state_dict(self):
        return {}


def start(job: TrainingJob, queue: TrainingQueue) -> str:
    job.queue = queue
    return job.start(Model(), None, None)


def test_the_queue_starts_jobs_in_the_order_they_asked_as_slots_free(stand_in):
    queue = TrainingQueue(slots=1)
    first, second, third = TrainingJob(), TrainingJob(), TrainingJob()
    assert start(first, queue) == "started"
    assert start(second, queue) == "queued" and start(third, queue) == "queued"
    assert (second.snapshot().status, second.snapshot().place, third.snapshot().place) == ("queued", 1, 2)
    assert queue.busy() == (1, 2)
    first.stop()  # its slot goes to the first in the queue
    wait_for(lambda: second.running)
    assert third.snapshot().place == 1 and queue.busy() == (1, 1)
    third.stop()  # a waiting student who gives up leaves the queue, nothing else changes
    assert third.snapshot().status == "idle" and queue.busy() == (1, 0)
    stand_in.release.set()
    wait_for(lambda: second.snapshot().status == "finished")
    assert queue.busy() == (0, 0) and stand_in.calls == 2


def test_a_late_worker_never_overwrites_a_reset_or_a_loaded_model(stand_in):
    queue = TrainingQueue(slots=2)
    job = TrainingJob()
    assert start(job, queue) == "started"
    wait_for(lambda: job.snapshot().history)
    job.stop_event = threading.Event()  # a worker that ignores the stop (a slow step) and ends after the reset
    job.reset()
    assert job.snapshot().status == "idle"
    stand_in.release.set()
    wait_for(lambda: not job.running)
    assert job.snapshot().status == "idle" and job.snapshot().history == []
    loaded = Model()
    stand_in.release.clear()
    assert start(job, queue) == "started"
    wait_for(lambda: job.snapshot().history)
    job.stop_event = threading.Event()
    job.adopt(loaded)
    stand_in.release.set()
    wait_for(lambda: not job.running)
    assert job.snapshot().status == "loaded" and job.snapshot().model is loaded
    assert queue.busy() == (0, 0)


def test_one_browser_trains_one_model_at_a_time(stand_in, monkeypatch):
    monkeypatch.setattr(training, "_JOBS", {})
    queue = TrainingQueue(slots=4)
    tab, other_tab, classmate = TrainingJob(browser="a"), TrainingJob(browser="a"), TrainingJob(browser="b")
    training._JOBS.update({"t1": tab, "t2": other_tab, "t3": classmate})
    assert start(tab, queue) == "started"
    assert start(other_tab, queue) == "busy" and other_tab.snapshot().status == "idle"
    assert start(classmate, queue) == "started"
    tab.stop()
    assert start(other_tab, queue) == "started"
    for job in (other_tab, classmate):
        job.stop()


def test_a_run_that_goes_past_the_time_limit_is_stopped_and_says_so(stand_in):
    job = TrainingJob(time_limit=0.05)
    assert start(job, TrainingQueue(slots=1)) == "started"
    wait_for(lambda: not job.running)
    snap = job.snapshot()
    assert (snap.status, snap.message) == ("time_limit", "0")


def test_a_job_outlives_a_dropped_connection_but_not_an_abandoned_tab(stand_in, monkeypatch):
    monkeypatch.setattr(training, "_JOBS", {})
    job = TrainingJob(seen=100.0)
    training._JOBS["token"] = job
    assert start(job, TrainingQueue(slots=1)) == "started"
    training.reap(now=100.0 + training.ABANDONED_AFTER - 1)  # back within the reconnect window: still training
    assert list(training._JOBS.items()) == [("token", job)] and job.running
    training.reap(now=100.0 + training.ABANDONED_AFTER + 1)  # nobody looked for longer: stopped, weights kept
    wait_for(lambda: not job.running)
    assert job.snapshot().status == "stopped" and list(training._JOBS.values()) == [job]
    training.reap(now=100.0 + training.FORGOTTEN_AFTER + 1)  # long gone: dropped with its model
    assert training._JOBS == {}


@pytest.mark.parametrize(("value", "seconds"), [(None, 180.0), ("5", 5.0), ("0", 1.0), ("soon", 180.0)])
def test_the_abandoned_time_can_be_set_in_the_environment(value, seconds):
    assert training._abandoned_after({} if value is None else {training.ABANDONED_VARIABLE: value}) == seconds


@pytest.mark.parametrize(("value", "slots"), [(None, 2), ("4", 4), ("0", 1), ("99", 16), ("two", 2), ("", 2)])
def test_the_teacher_sets_the_number_of_slots_in_the_environment(value, slots):
    assert configured_slots({} if value is None else {training.SLOTS_VARIABLE: value}) == slots
