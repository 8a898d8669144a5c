"""core.train: training on a digits slice, determinism, stop, divergence, evaluate, checkpoints, devices."""

import math
import os
import pickle
import threading
from dataclasses import dataclass, replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from core.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from core.models import CNNConfig, ConvBlock, MLPConfig, build_model
from core.train import DIVERGED, TrainConfig, device_info, evaluate, resolve_device, train

try:
    from core.data import Dataset
except ImportError:  # core.data is written separately; the trainer only needs these fields

    @dataclass(frozen=True)
    class Dataset:
        x_train: torch.Tensor
        y_train: torch.Tensor
        x_test: torch.Tensor
        y_test: torch.Tensor
        classes: list
        description: str = ""


TINY = CNNConfig(blocks=(ConvBlock(4),), dense=(16,), dropout=0.1)
CPU = TrainConfig(device="cpu", epochs=1, batch_size=32)


@pytest.fixture(scope="module")
def digits():
    """sklearn's 8×8 digits resampled to 28×28 in [0, 1], stratified 80/20 split (1,437 / 360)."""
    d = load_digits()
    x = F.interpolate(torch.tensor(d.images / 16.0, dtype=torch.float32)[:, None], size=(28, 28),
                      mode="bilinear", align_corners=False).clamp(0, 1)
    y = torch.tensor(d.target, dtype=torch.int64)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.2, stratify=d.target, random_state=0)
    return Dataset(x[tr], y[tr], x[te], y[te], [str(i) for i in range(10)], "digits")


@pytest.fixture(scope="module")
def small(digits):
    return Dataset(digits.x_train[:300], digits.y_train[:300], digits.x_test[:100], digits.y_test[:100],
                   digits.classes, "small")


def test_default_cnn_learns_digits(digits):
    data = replace(digits, x_train=digits.x_train[:1000], y_train=digits.y_train[:1000])
    reports = []
    result = train(build_model(CNNConfig()), data, TrainConfig(device="cpu", epochs=2), on_progress=reports.append)
    assert result.status == "finished" and result.history == reports
    assert reports[-1]["test_accuracy"] > 0.8
    assert result.images_per_second > 0 and result.seconds > 0


def test_progress_dicts_are_plain(small):
    reports = []
    train(build_model(TINY), small, replace(CPU, epochs=2, batch_size=16), on_progress=reports.append)
    batches = 300 // 16 + 1  # 19, the last one 12 images
    ends = [r for r in reports if r["test_accuracy"] is not None]
    assert [(r["epoch"], r["batch"]) for r in ends] == [(1, batches), (2, batches)]
    assert [r["batch"] for r in reports if r["epoch"] == 1] == [10, batches]
    assert [r["step"] for r in reports] == [10, 19, 29, 38]
    keys = {"step", "epoch", "batch", "batches_per_epoch", "loss", "train_accuracy", "test_accuracy",
            "images_per_second", "elapsed"}
    for r in reports:
        assert set(r) == keys and r["batches_per_epoch"] == batches
        assert all(v is None or type(v) in (int, float) for v in r.values())
        assert 0 <= r["train_accuracy"] <= 1


def test_same_seed_same_numbers(small):
    def losses(seed):
        return [(r["loss"], r["train_accuracy"], r["test_accuracy"])
                for r in train(build_model(TINY, seed=seed), small, replace(CPU, epochs=2, seed=seed)).history]

    state = torch.random.get_rng_state()
    assert losses(3) == losses(3)
    assert losses(3) != losses(4)
    assert torch.equal(torch.random.get_rng_state(), state)


# ---- augmentation: each step against an independent computation -----------------------------------------------

GEOMETRY = ("AUGMENT_DEGREES", "AUGMENT_SHEAR", "AUGMENT_SCALE", "AUGMENT_SHIFT")


def _drawn(seed: int, n: int) -> np.ndarray:
    """What ``augment`` draws for ``n`` images from a generator seeded ``seed``: u in [-1, 1], (n, 7)."""
    return torch.rand(n, 7, generator=torch.Generator().manual_seed(seed), dtype=torch.float32).numpy() * 2 - 1


def _bilinear(img: np.ndarray, y: float, x: float) -> float:
    """``img`` at the real position (row y, column x) of pixel centres, bilinear, 0 outside."""
    y0, x0 = math.floor(y), math.floor(x)
    total = 0.0
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < img.shape[0] and 0 <= xx < img.shape[1]:
                total += wy * wx * img[yy, xx]
    return total


def test_augment_warps_each_image_by_its_drawn_rotation_slant_scale_and_shift(monkeypatch):
    import core.train as ct

    monkeypatch.setattr(ct, "AUGMENT_STROKE", 0.0)
    x = torch.rand(3, 1, 12, 10, generator=torch.Generator().manual_seed(1))
    got = ct.augment(x, torch.Generator().manual_seed(7)).numpy()
    u = _drawn(7, 3).astype(np.float64)
    for n in range(3):
        theta, k = u[n, 1] * math.radians(ct.AUGMENT_DEGREES), u[n, 2] * ct.AUGMENT_SHEAR
        s = np.diag([1 + ct.AUGMENT_SCALE * u[n, 3], 1 + ct.AUGMENT_SCALE * u[n, 4]])
        r = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
        a = r @ np.array([[1, k], [0, 1]]) @ s  # the content's point q goes to a q + t
        t = np.array([u[n, 5] * ct.AUGMENT_SHIFT * 2 / 10, u[n, 6] * ct.AUGMENT_SHIFT * 2 / 12])
        expected = np.zeros((12, 10))
        for i in range(12):
            for j in range(10):
                p = np.array([(2 * j + 1) / 10 - 1, (2 * i + 1) / 12 - 1])  # pixel centre, normalised (x, y)
                qx, qy = np.linalg.solve(a, p - t)
                expected[i, j] = _bilinear(x[n, 0].numpy(), (qy + 1) * 12 / 2 - 0.5, (qx + 1) * 10 / 2 - 0.5)
        np.testing.assert_allclose(got[n, 0], np.clip(expected, 0, 1), atol=2e-5)


def test_augment_thickens_or_thins_strokes_by_its_drawn_weight(monkeypatch):
    from scipy import ndimage

    import core.train as ct

    for name in GEOMETRY:
        monkeypatch.setattr(ct, name, 0.0)
    x = torch.rand(6, 1, 9, 9, generator=torch.Generator().manual_seed(2))
    got = ct.augment(x, torch.Generator().manual_seed(3)).numpy()
    for n, a in enumerate(_drawn(3, 6)[:, 0] * ct.AUGMENT_STROKE):
        img = x[n, 0].numpy().astype(np.float64)
        dilated = ndimage.grey_dilation(img, size=3, mode="constant", cval=-np.inf)  # a 3×3 max (edges: what is in)
        eroded = ndimage.grey_erosion(img, size=3, mode="constant", cval=np.inf)
        expected = img + a * (dilated - img) if a > 0 else img + -a * (eroded - img)
        np.testing.assert_allclose(got[n, 0], expected, atol=1e-5)


def test_augment_is_seeded_by_its_own_generator():
    import core.train as ct

    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    state = torch.random.get_rng_state()
    one, two = ct.augment(x, torch.Generator().manual_seed(4)), ct.augment(x, torch.Generator().manual_seed(4))
    assert torch.equal(one, two) and not torch.equal(one, ct.augment(x, torch.Generator().manual_seed(5)))
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG is untouched
    assert one.shape == x.shape and one.min() >= 0 and one.max() <= 1


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_private_dropout_equals_f_dropout_and_leaves_the_global_rng(p):
    """During training each nn.Dropout draws its masks from the run's own generator: on the CPU the same masks as
    F.dropout after seeding the global RNG the same way, the global RNG untouched, the layer as it was after."""
    from core.seeding import private_dropout

    x = torch.rand(40, 30, generator=torch.Generator().manual_seed(0), requires_grad=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        expected = F.dropout(x, p, training=True)
    layer = torch.nn.Dropout(p)
    state = torch.random.get_rng_state()
    with private_dropout(torch.nn.Sequential(layer), torch.Generator().manual_seed(11)):
        got = layer(x)
        assert torch.equal(layer.eval()(x), x)  # eval mode: no dropout
        layer.train()
    assert torch.equal(got, expected) and got.requires_grad
    assert torch.equal(torch.random.get_rng_state(), state)
    assert "forward" not in vars(layer)  # the class's own forward again


def test_training_with_augmentation_is_reproducible_and_differs(small):
    def run(augment: bool, seed: int = 3):
        model = build_model(TINY, seed=seed)
        result = train(model, small, replace(CPU, epochs=2, seed=seed, augment=augment))
        return result, model.state_dict()

    state = torch.random.get_rng_state()
    (plain, _), (aug, w_aug), (again, w_again) = run(False), run(True), run(True)
    assert aug.status == "finished" and aug.history[-1]["test_accuracy"] > 0.3  # it still learns
    assert [h["loss"] for h in aug.history] == [h["loss"] for h in again.history]
    assert all(torch.equal(w_aug[k], w_again[k]) for k in w_aug)
    assert [h["loss"] for h in aug.history] != [h["loss"] for h in plain.history]
    assert torch.equal(torch.random.get_rng_state(), state)
    assert TrainConfig().augment is False  # off unless asked for (the trainer asks for it on the digits)


def test_stop_halts_within_one_batch(small):
    stop = threading.Event()
    reports = []

    def on_progress(r):
        reports.append(r)
        stop.set()

    result = train(build_model(TINY), small, replace(CPU, batch_size=8, epochs=3), on_progress, stop)
    assert result.status == "stopped"
    assert len(reports) == 1 and reports[0]["step"] == 10
    assert result.message == "stopped after 10 steps"  # no batch ran after the event was set
    stop2 = threading.Event()
    stop2.set()
    assert train(build_model(TINY), small, CPU, stop=stop2).history == []


def test_stop_from_another_thread(small):
    stop = threading.Event()
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    result = train(build_model(TINY), small, replace(CPU, epochs=1000), stop=stop)
    timer.join()
    assert result.status == "stopped"


def test_diverges_with_huge_lr(small):
    result = train(build_model(MLPConfig()), small, replace(CPU, optimizer="sgd", lr=1e12, epochs=3))
    assert (result.status, result.message) == ("diverged", DIVERGED)


def test_inf_data_diverges_at_once(small):
    bad = replace(small, x_train=small.x_train.clone())
    bad.x_train[:] = float("inf")
    result = train(build_model(MLPConfig()), bad, CPU)
    assert result.status == "diverged" and result.history == []


def test_bad_train_configs(small):
    with pytest.raises(ValueError, match="larger than the training set"):
        train(build_model(TINY), small, replace(CPU, batch_size=301))
    for bad in (replace(CPU, optimizer="rmsprop"), replace(CPU, lr=0.0), replace(CPU, schedule="step")):
        with pytest.raises(ValueError):
            train(build_model(TINY), small, bad)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_every_optimizer_runs(small, optimizer):
    result = train(build_model(TINY), small, replace(CPU, optimizer=optimizer, lr=0.01, schedule="constant"))
    assert result.status == "finished"


def test_evaluate_by_hand(small):
    model = build_model(TINY, seed=5)
    train(model, small, CPU)
    model.train()  # evaluate must switch to eval mode itself (dropout, batch norm)
    out = evaluate(model, small, batch_size=7)
    model.eval()
    with torch.no_grad():
        pred = model(small.x_test).argmax(1).numpy()
    y = small.y_test.numpy()
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y, pred), 1)
    assert out["confusion"] == confusion.tolist()
    assert out["accuracy"] == pytest.approx((pred == y).mean())
    assert out["per_class"] == pytest.approx([confusion[i, i] / confusion[i].sum() for i in range(10)])


def test_checkpoint_round_trip(tmp_path, small):
    model = build_model(TINY)
    train(model, small, CPU)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, TINY)
    loaded, config = load_checkpoint(path)
    assert config == TINY
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(small.x_test), loaded(small.x_test))
    import io
    buffer = io.BytesIO()
    save_checkpoint(buffer, model, TINY)
    buffer.seek(0)
    assert load_checkpoint(buffer, expect=TINY)[1] == TINY


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("writer", ["torch", "pickle"])
def test_malicious_pickle_is_refused_without_running(tmp_path, writer):
    marker, path = tmp_path / "pwned", tmp_path / "evil.pt"
    payload = {"format": "dl-playground-checkpoint", "version": 1, "x": Evil(marker)}
    if writer == "torch":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert e.value.code == "not_a_checkpoint"
    assert not marker.exists()


def test_other_architecture_is_a_mismatch(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, build_model(MLPConfig()), MLPConfig())
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path, expect=TINY)
    assert e.value.code == "mismatch"
    save_checkpoint(path, build_model(MLPConfig()), MLPConfig(hidden=(64,)))  # weights that do not fit the config
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert e.value.code == "mismatch"


def test_truncated_and_foreign_files(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, build_model(TINY), TINY)
    data = path.read_bytes()
    for cut in (len(data) // 2, 100, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(path)
        assert e.value.code == "corrupt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert e.value.code == "not_a_checkpoint"
    torch.save({"format": "dl-playground-checkpoint", "version": 2}, path)
    with pytest.raises(CheckpointError, match="version"):
        load_checkpoint(path)
    torch.save({"format": "dl-playground-checkpoint", "version": 1, "config": "{}"}, path)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert e.value.code == "corrupt"


def test_devices_on_this_machine():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            resolve_device("cuda")
    with pytest.raises(ValueError):
        resolve_device("tpu")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    assert device_info("cpu") == {"type": "cpu", "name": "CPU", "memory_gb": None}


def test_mistakes_are_the_wrong_predictions(small):
    from core.train import mistakes

    model = build_model(CNNConfig(blocks=(ConvBlock(4),), dense=()))
    scores = evaluate(model, small)
    with torch.no_grad():
        pred = model.eval()(small.x_test).argmax(1).tolist()
    assert scores["predicted"] == pred
    expected = [(i, t, p) for i, (t, p) in enumerate(zip(small.y_test.tolist(), pred, strict=True)) if t != p]
    assert mistakes(scores, small, limit=5) == expected[:5]


def test_top_answers_are_torch_topk_with_ties_broken_by_the_lower_class():
    from core.train import top_answers

    generator = torch.Generator().manual_seed(3)
    for _ in range(20):
        p = torch.softmax(torch.randn(10, generator=generator, dtype=torch.float64), 0)
        values, indices = torch.topk(p, 3)
        assert top_answers(p) == [(int(i), float(v)) for v, i in zip(values, indices, strict=True)]
    assert top_answers([0.25, 0.5, 0.25], k=3) == [(1, 0.5), (0, 0.25), (2, 0.25)]
    assert top_answers([0.9, 0.1], k=3) == [(0, 0.9), (1, 0.1)]  # fewer classes than k
