"""Seeded results do not depend on other threads: model building, the activations lessons' networks, augmentation
and training draw from private generators, never from torch's process-wide RNG (issue 19, item 6).

Streamlit runs each session's script in its own thread and training runs in background threads, so a seed that
went through ``torch.manual_seed`` could be overwritten by another session between seeding and drawing. Every
check here runs the seeded call in 8 threads at once, each seeding torch's global RNG at random and drawing from it
between its calls, while two more threads do nothing but that in a tight loop; the results must equal those of the
same call in the main thread, alone.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from core.curve_fit import fit_curve, target_points
from core.models import CNNConfig, ConvBlock, MLPConfig, build_model
from core.seeding import default_init_
from core.train import TrainConfig, augment, train
from core.vanishing import depth_network

WORKERS = 8
REPEATS = 3  # seeded calls per worker
CNN = CNNConfig(blocks=(ConvBlock(4), ConvBlock(6, 5, "tanh", "avg", False)), dense=(16,), dropout=0.2)
MLP = MLPConfig(hidden=(32, 16), dropout=0.1)


@pytest.fixture(autouse=True)
def global_rng_restored():
    """The disturbing threads reseed torch's global RNG: put it back for the tests that follow."""
    state = torch.get_rng_state()
    yield
    torch.set_rng_state(state)


def _disturb(rng: np.random.Generator) -> None:
    torch.manual_seed(int(rng.integers(2**31)))
    torch.rand(256)


def concurrently(job, seeds: list[int]) -> list:
    """``[[job(seed)] * REPEATS for seed in seeds]``, computed in ``len(seeds)`` threads started together, each seeding
    and drawing from the global RNG before every call, while two more threads do only that, in a tight loop."""
    start, stop = threading.Barrier(len(seeds) + 2, timeout=120), threading.Event()

    def hammer(k: int) -> int:
        rng, n = np.random.default_rng([k, 99]), 0
        start.wait()
        while not stop.is_set():
            _disturb(rng)
            n += 1
        return n

    def worker(k: int, seed: int) -> list:
        rng = np.random.default_rng(k)
        start.wait()
        out = []
        for _ in range(REPEATS):
            _disturb(rng)
            out.append(job(seed))
        return out

    with ThreadPoolExecutor(len(seeds) + 2) as pool:
        hammers = [pool.submit(hammer, k) for k in range(2)]
        workers = [pool.submit(worker, k, seed) for k, seed in enumerate(seeds)]
        try:
            results = [w.result() for w in workers]
        finally:
            stop.set()
        assert all(h.result() > 0 for h in hammers)  # the global RNG was disturbed while the jobs ran
    return results


def _same(a, b) -> bool:
    """Equal nested results: dicts, lists and tuples of tensors, arrays and numbers."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def check_concurrent(job, seeds=(1, 2) * (WORKERS // 2)) -> None:
    """Every threaded result equals the main thread's for its seed; the two seeds' results differ."""
    alone = {seed: job(seed) for seed in set(seeds)}
    assert not _same(alone[1], alone[2])
    for seed, results in zip(seeds, concurrently(job, list(seeds)), strict=True):
        assert all(_same(r, alone[seed]) for r in results), f"seed {seed} gave other numbers in a thread"


def _state(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# ---- models ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [CNN, MLP], ids=["cnn", "mlp"])
def test_build_model_in_threads_equals_the_main_thread(config):
    check_concurrent(lambda seed: _state(build_model(config, seed=seed)))


@pytest.mark.parametrize("config", [CNN, MLP, CNNConfig()], ids=["cnn", "mlp", "default"])
def test_build_model_leaves_the_global_rng_state_unchanged(config):
    torch.manual_seed(123)
    state = torch.get_rng_state()
    build_model(config, seed=4)
    assert torch.equal(torch.get_rng_state(), state)
    with torch.device("meta"):  # the checkpoint loader's size check: shapes only, nothing drawn
        build_model(config, seed=4)
    assert torch.equal(torch.get_rng_state(), state)


def test_default_init_draws_only_from_its_generator():
    layers = nn.Sequential(nn.Linear(5, 3, device="meta"), nn.BatchNorm1d(3, device="meta")).to_empty(device="cpu")
    state = torch.get_rng_state()
    default_init_(layers, torch.Generator().manual_seed(0))
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(layers[1].weight, torch.ones(3)) and torch.equal(layers[1].running_var, torch.ones(3))


# ---- the activations lesson --------------------------------------------------------------------------------------


@pytest.mark.parametrize("init", ["xavier", "kaiming", "torch"])
def test_depth_network_in_threads_equals_the_main_thread(init):
    def job(seed):
        network = depth_network("tanh", 4, width=12, seed=seed, batch=6, init=init)
        return list(network.weights), list(network.biases), network.x, network.t

    check_concurrent(job)


def test_fit_curve_in_threads_equals_the_main_thread():
    x, y = target_points("abs", n=30, noise=0.1, seed=0)

    def job(seed):
        fit = fit_curve(x, y, hidden=(8, 8), steps=15, seed=seed, snapshots=3)
        return fit.losses, fit.snapshot_predictions

    check_concurrent(job)


def test_depth_network_and_fit_curve_leave_the_global_rng_state_unchanged():
    state = torch.get_rng_state()
    depth_network("relu", 3, width=8, seed=2, batch=4, init="kaiming")
    fit_curve(*target_points("step", n=20), hidden=(4,), steps=5, seed=2)
    assert torch.equal(torch.get_rng_state(), state)


# ---- augmentation and training -----------------------------------------------------------------------------------


def test_augment_in_threads_equals_the_main_thread():
    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    check_concurrent(lambda seed: augment(x, torch.Generator().manual_seed(seed)))


def _data() -> SimpleNamespace:
    g = torch.Generator().manual_seed(0)
    return SimpleNamespace(x_train=torch.rand(96, 1, 28, 28, generator=g), y_train=torch.randint(0, 10, (96,),
                           generator=g), x_test=torch.rand(20, 1, 28, 28, generator=g),
                           y_test=torch.randint(0, 10, (20,), generator=g), classes=[str(i) for i in range(10)])


def test_training_in_threads_equals_the_main_thread():
    """Batch order, augmentation and dropout masks (CNN has dropout 0.2), so the losses and the trained weights."""
    data = _data()

    def job(seed):
        model = build_model(CNN, seed=seed)
        result = train(model, data, TrainConfig(device="cpu", epochs=1, batch_size=16, seed=seed, augment=True))
        assert result.status == "finished"
        return [(h["loss"], h["train_accuracy"], h["test_accuracy"]) for h in result.history], _state(model)

    check_concurrent(job)


def test_training_leaves_the_global_rng_state_unchanged():
    state = torch.get_rng_state()
    train(build_model(MLP, seed=1), _data(), TrainConfig(device="cpu", epochs=1, batch_size=32, seed=1, augment=True))
    assert torch.equal(torch.get_rng_state(), state)
