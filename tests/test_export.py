"""core.export: the standalone training script builds the app's network and, on the CPU, ends with the app's weights.

Running the script costs a fresh Python importing torch and scikit-learn (10-15 s on a busy 2-core machine), so
one test runs it in a subprocess as a user would (the key test: digits, against ``core.train.train``); the others
execute its text in a namespace in this process (it is our own generated code) and call its functions or ``main``.
"""

import ast
import contextlib
import gzip
import hashlib
import itertools
import re
import string
import struct
import subprocess
import sys

import numpy as np
import pytest
import torch

import core.train
from core.activations import ACTIVATIONS
from core.data import IDX_FILES, load_dataset, load_mnist, load_shapes
from core.export import TEMPLATE, TEXT_FIELDS, VALUE_FIELDS, script_filename, training_script
from core.models import POOLINGS, CNNConfig, ConvBlock, MLPConfig, ModelConfigError, build_model
from core.train import TrainConfig, train
from tests.helpers.idx_files import write_idx

APP_ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")  # ui.lessons.cnn_trainer.ACTIVATIONS
TINY = CNNConfig(blocks=(ConvBlock(4, 3, "relu", "max", True),), dense=(16,), dropout=0.1)
CPU1 = TrainConfig(device="cpu", epochs=1, batch_size=64, seed=3, cpu_threads=1)
ALLOWED_IMPORTS = {"argparse", "gzip", "math", "os", "struct", "time", "collections", "pathlib", "numpy", "torch",
                   "sklearn"}


def _cnn_configs() -> list[CNNConfig]:
    """1-4 blocks × every pooling × with/without BN (24), the activation, kernel, global pooling, dense and dropout
    varying along."""
    out = []
    for i, (n, pooling, bn) in enumerate(itertools.product(range(1, 5), POOLINGS, (True, False))):
        act = APP_ACTIVATIONS[i % len(APP_ACTIVATIONS)]
        blocks = tuple(ConvBlock(4 * 2**k, (3, 5, 1)[(i + k) % 3], act, pooling, bn) for k in range(n))
        out.append(CNNConfig(blocks=blocks, global_pool=POOLINGS[i // 3 % 3], dense=((), (64,))[i % 2], activation=act,
                             dropout=(0.0, 0.1)[i // 2 % 2]))
    # every activation of the registry (the app offers five of them) in both places, with and without dropout
    out += [CNNConfig(blocks=(ConvBlock(3, 3, a, "avg", False), ConvBlock(5, 3, a, "max", True)), dense=(8, 6),
                      activation=a, dropout=d, classes=6) for a, d in zip(ACTIVATIONS, itertools.cycle((0.0, 0.1)))]
    return out


MLP_CONFIGS = [MLPConfig(), MLPConfig(hidden=(), classes=6), MLPConfig(hidden=(32, 16), activation="gelu", dropout=0.1),
               MLPConfig(hidden=(20,), activation="leaky_relu", input_shape=(1, 8, 8))]
CONFIGS = _cnn_configs() + MLP_CONFIGS


def _namespace(script: str) -> dict:
    """The script's functions and constants, without running its ``main``."""
    ns = {"__name__": "exported_training_script"}
    exec(compile(script, "train_script.py", "exec"), ns)
    return ns


@pytest.fixture
def torch_state():
    """The script sets torch's thread count and seeds the global RNG: both are put back after the test."""
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        yield
    torch.set_num_threads(threads)


def _app_weights(config, dataset, train_config) -> dict[str, torch.Tensor]:
    model = build_model(config, seed=train_config.seed)
    result = train(model, dataset, train_config)
    assert result.status == "finished", result.message
    return {k: v.detach().cpu() for k, v in model.state_dict().items()}, result


def _assert_same_state(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for k in want:
        torch.testing.assert_close(got[k], want[k], atol=1e-5, rtol=1e-5, msg=k)


# ---- the text --------------------------------------------------------------------------------------------------

def test_template_fields_are_exactly_those_filled():
    identifiers = string.Template(TEMPLATE.read_text(encoding="utf-8")).get_identifiers()
    assert set(identifiers) == set(VALUE_FIELDS) | set(TEXT_FIELDS)
    assert not set(VALUE_FIELDS) & set(TEXT_FIELDS)


@pytest.mark.parametrize("dataset", ["digits", "shapes", "mnist", "fashion_mnist"])
def test_script_is_plain_python_without_the_project_or_unsafe_loading(dataset):
    script = training_script(CNNConfig(), TrainConfig(), dataset)
    tree = ast.parse(script)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert not {"eval", "exec", "compile", "torch.load", "pickle.load", "pickle.loads"} & calls
    assert not re.search(r"\bpickle\.|import pickle|torch\.load|(?<![.\w])eval\(|\bexec\(", script)
    np_loads = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == "np.load"]
    assert np_loads and all(any(k.arg == "allow_pickle" and k.value.value is False for k in n.keywords)
                            for n in np_loads)
    assert "$" not in script.replace("$DLP_CACHE", "")  # every field filled, the one escaped dollar kept


def test_settings_become_the_scripts_constants_and_defaults():
    config = MLPConfig(hidden=(12,), classes=6)
    tc = TrainConfig(optimizer="nesterov", lr=0.1, momentum=0.8, weight_decay=1e-4, batch_size=32, epochs=5,
                     schedule="constant", seed=11, device="cuda", cpu_threads=2)
    script = training_script(config, tc, "shapes")
    constants = {}
    for node in ast.parse(script).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            with contextlib.suppress(ValueError):  # the constants only, not the expressions
                constants[node.targets[0].id] = ast.literal_eval(node.value)
    wanted = {"DATASET": "shapes", "INPUT_SHAPE": (1, 28, 28), "CLASSES": 6, "OPTIMIZER": "nesterov", "LR": 0.1,
              "MOMENTUM": 0.8, "WEIGHT_DECAY": 1e-4, "BATCH_SIZE": 32, "EPOCHS": 5, "SCHEDULE": "constant",
              "SEED": 11, "DEVICE": "cuda", "THREADS": 2, "DEFAULT_OUT": "shapes_mlp_state_dict.pt", "AUGMENT": False,
              "AUGMENT_DEGREES": core.train.AUGMENT_DEGREES, "AUGMENT_SHEAR": core.train.AUGMENT_SHEAR,
              "AUGMENT_SCALE": core.train.AUGMENT_SCALE, "AUGMENT_SHIFT": core.train.AUGMENT_SHIFT,
              "AUGMENT_STROKE": core.train.AUGMENT_STROKE, "AUGMENT_SEED": core.train.AUGMENT_SEED}
    assert {k: constants.get(k) for k in wanted} == wanted
    assert "python train_shapes_mlp.py --data shapes.npz" in script and "np.savez(" in script
    assert script_filename(config, "shapes") == "train_shapes_mlp.py"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown dataset"):
        training_script(CNNConfig(), TrainConfig(), "cifar")
    with pytest.raises(ValueError, match="unknown optimizer"):
        training_script(CNNConfig(), TrainConfig(optimizer="lbfgs"), "digits")
    with pytest.raises(ValueError, match="lr > 0"):
        training_script(CNNConfig(), TrainConfig(lr=0.0), "digits")
    with pytest.raises(ModelConfigError):
        training_script(CNNConfig(blocks=(ConvBlock(4, pooling="max"),) * 5), TrainConfig(), "digits")
    with pytest.raises(TypeError):
        training_script({"blocks": []}, TrainConfig(), "digits")


def test_writing_the_script_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    training_script(CNNConfig(), TrainConfig(), "digits")
    assert torch.equal(torch.get_rng_state(), before)


# ---- the network -------------------------------------------------------------------------------------------------

def _config_id(config) -> str:
    if isinstance(config, MLPConfig):
        return f"mlp-{'x'.join(map(str, config.hidden)) or 'linear'}-{config.activation}-{config.dropout}"
    b = config.blocks[0]
    return (f"cnn-{len(config.blocks)}x{b.kernel}-{b.pooling}-{'bn' if b.batch_norm else 'nobn'}-{b.activation}-"
            f"dense{'x'.join(map(str, config.dense)) or 0}-{config.dropout}")


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_script_builds_the_apps_network(config, torch_state):
    ns = _namespace(training_script(config, TrainConfig(), "digits"))
    for seed in (0, 7):
        want, got = build_model(config, seed), ns["build_model"](seed)
        assert repr(got) == repr(want)  # every layer's type and hyper-parameters, in order, with the same names
        got_state, want_state = got.state_dict(), want.state_dict()
        assert list(got_state) == list(want_state)
        for k, v in want_state.items():
            assert got_state[k].shape == v.shape and got_state[k].dtype == v.dtype, k
            assert torch.equal(got_state[k], v), k  # the same initial weights, bit for bit


def test_print_model(capsys, torch_state):
    ns = _namespace(training_script(TINY, CPU1, "mnist"))
    ns["main"](["--print-model"])  # loads no data
    out = capsys.readouterr().out
    assert "(block1_conv): Conv2d(1, 4" in out and "(dense1_drop): Dropout(p=0.1" in out
    assert f"{sum(p.numel() for p in build_model(TINY).parameters()):,} parameters" in out


# ---- training: the same weights as the app ------------------------------------------------------------------------

def test_digits_script_ends_with_the_apps_weights(tmp_path):
    """The key test: the script run as a user runs it, against core.train.train with the same settings."""
    path = tmp_path / script_filename(TINY, "digits")
    path.write_text(training_script(TINY, CPU1, "digits"), encoding="utf-8")
    # started first: the test trains the app's model while the script runs
    process = subprocess.Popen([sys.executable, path.name, "--out", "trained.pt"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        want, result = _app_weights(TINY, load_dataset("digits"), CPU1)
        out, err = process.communicate(timeout=240)
    finally:
        process.kill()  # nothing left to end when it has finished
    assert process.returncode == 0, err
    run = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    assert "digits: 1,437 training and 360 test images; cpu" in run.stdout
    accuracy = result.history[-1]["test_accuracy"]
    assert "epoch 1/1: loss " in run.stdout and f"test accuracy {accuracy:.2%}" in run.stdout, run.stdout
    _assert_same_state(torch.load(tmp_path / "trained.pt", weights_only=True), want)


def test_digits_script_adds_the_apps_drawn_digits_from_the_file_its_docstring_saves(tmp_path, monkeypatch, capsys,
                                                                                      torch_state):
    """With drawn digits the script says how to save them (the docstring's code, run here as a user would), reads
    them after the scans, as the app does, and ends with the app's weights; without the file it says so."""
    drawn = 40
    script = training_script(TINY, CPU1, "digits", drawn)
    docstring = ast.get_docstring(ast.parse(script))
    saving = "\n".join(line[4:] for line in docstring.splitlines() if line.startswith("    ") and "python " not in line)
    monkeypatch.chdir(tmp_path)
    exec(compile(saving, "docstring", "exec"), {})  # our own generated text: the lines a user pastes
    assert "--data drawn_digits.npz" in docstring
    ns = _namespace(script)
    assert ns["DRAWN"] == drawn
    app = load_dataset("digits", drawn=drawn)
    x_train, y_train, x_test, y_test = ns["load_data"]("drawn_digits.npz")
    assert torch.equal(x_train, app.x_train) and torch.equal(y_train, app.y_train)
    assert torch.equal(x_test, app.x_test) and torch.equal(y_test, app.y_test)
    capsys.readouterr()
    assert len(ns["load_data"](None)[1]) == len(app.y_train) - drawn
    assert f"the app also trained on {drawn} digits it drew" in capsys.readouterr().out
    want, _ = _app_weights(TINY, app, CPU1)
    ns["main"](["--data", "drawn_digits.npz", "--out", str(tmp_path / "w.pt")])
    _assert_same_state(torch.load(tmp_path / "w.pt", weights_only=True), want)
    with pytest.raises(ValueError, match="only the digits"):
        training_script(TINY, CPU1, "shapes", drawn)


@pytest.mark.parametrize("config, train_config", [
    (TINY, TrainConfig(optimizer="nesterov", lr=0.05, weight_decay=1e-3, batch_size=100, epochs=2,
                       schedule="constant", seed=5, device="cpu")),
    (CNNConfig(blocks=(ConvBlock(4, 5, "gelu", "avg", False),), dense=(), activation="gelu"),
     TrainConfig(optimizer="sgd", lr=0.1, batch_size=128, epochs=1, seed=1, device="cpu")),
    (MLPConfig(hidden=(32,), activation="tanh", dropout=0.1),
     TrainConfig(optimizer="momentum", lr=0.05, batch_size=256, epochs=2, device="cpu")),
    (TINY, TrainConfig(batch_size=64, epochs=2, seed=6, device="cpu", augment=True)),
], ids=["nesterov-constant", "sgd-cosine", "mlp-momentum", "adam-augmented"])
def test_every_optimizer_and_schedule_matches_the_app(config, train_config, tmp_path, torch_state):
    digits = load_dataset("digits")
    small = type(digits)(digits.x_train[:600], digits.y_train[:600], digits.x_test, digits.y_test, digits.classes,
                         digits.description)
    want, _ = _app_weights(config, small, train_config)
    ns = _namespace(training_script(config, train_config, "digits"))
    x_train, y_train, x_test, y_test = ns["load_data"](None)
    assert torch.equal(x_train, digits.x_train) and torch.equal(y_test, digits.y_test)  # the app's data, exactly
    ns["load_data"] = lambda *args: (x_train[:600], y_train[:600], x_test, y_test)  # the same slice as the app's
    ns["main"](["--out", str(tmp_path / "w.pt")])
    _assert_same_state(torch.load(tmp_path / "w.pt", weights_only=True), want)


def test_shapes_from_an_npz_file(tmp_path, capsys, torch_state):
    shapes = load_shapes(0, n_train=96, n_test=24)
    np.savez(tmp_path / "shapes.npz", x_train=shapes.x_train.numpy(), y_train=shapes.y_train.numpy(),
             x_test=shapes.x_test.numpy()[:, 0], y_test=shapes.y_test.numpy())  # (N, 28, 28) is read as well
    config = CNNConfig(blocks=(ConvBlock(4),), dense=(8,), classes=6)
    tc = TrainConfig(device="cpu", epochs=2, batch_size=32, seed=2)
    want, _ = _app_weights(config, shapes, tc)
    ns = _namespace(training_script(config, tc, "shapes"))
    with pytest.raises(SystemExit, match="--data"):
        ns["main"]([])
    ns["main"](["--data", str(tmp_path / "shapes.npz"), "--out", str(tmp_path / "w.pt")])
    assert "epoch 2/2" in capsys.readouterr().out
    _assert_same_state(torch.load(tmp_path / "w.pt", weights_only=True), want)
    np.savez(tmp_path / "wrong.npz", x_train=np.zeros((4, 1, 8, 8), np.float32), y_train=np.zeros(4, np.int64),
             x_test=np.zeros((2, 1, 8, 8), np.float32), y_test=np.zeros(2, np.int64))
    with pytest.raises(SystemExit, match="expects"):
        ns["main"](["--data", str(tmp_path / "wrong.npz")])


def _write_idx(path, array: np.ndarray) -> None:
    """Unsigned bytes as a gzipped IDX file (magic 0x0000080<ndim>)."""
    path.write_bytes(gzip.compress(write_idx(array.astype(np.uint8), 0x08)))


def test_mnist_script_reads_idx_files_and_matches_the_app(tmp_path, monkeypatch, capsys, torch_state):
    """Tiny fake MNIST files in a fake download cache: the script's default --data is the app's cache folder."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "cache" / "mnist"
    folder.mkdir(parents=True)
    arrays = [rng.integers(0, 256, (120, 28, 28)), rng.integers(0, 10, 120), rng.integers(0, 256, (40, 28, 28)),
              rng.integers(0, 10, 40)]
    for name, array in zip(IDX_FILES, arrays, strict=True):
        _write_idx(folder / name, array)
    monkeypatch.setenv("DLP_CACHE", str(tmp_path / "cache"))
    checksums = {f: "md5:" + hashlib.md5((folder / f).read_bytes()).hexdigest() for f in IDX_FILES}
    data = load_mnist(0, n_train=100, n_test=30, checksums=checksums)  # the app's loader: no download, files match
    tc = TrainConfig(device="cpu", epochs=1, batch_size=16, seed=4)
    want, result = _app_weights(TINY, data, tc)
    ns = _namespace(training_script(TINY, tc, "mnist"))
    monkeypatch.chdir(tmp_path)
    ns["main"](["--n-train", "100", "--n-test", "30", "--device", "cpu"])  # no --data: the app's cache folder
    out = capsys.readouterr().out
    assert "mnist: 100 training and 30 test images" in out
    assert f"test accuracy {result.history[-1]['test_accuracy']:.2%}" in out, out
    _assert_same_state(torch.load(tmp_path / "mnist_cnn_state_dict.pt", weights_only=True), want)


def test_idx_reader_checks_magic_numbers_and_sizes(tmp_path):
    ns = _namespace(training_script(TINY, CPU1, "fashion_mnist"))
    _write_idx(tmp_path / "images.gz", np.zeros((3, 28, 28)))
    assert ns["read_idx"](tmp_path / "images.gz", 0x00000803).shape == (3, 28, 28)
    with pytest.raises(SystemExit, match="magic number 0x00000801"):
        ns["read_idx"](tmp_path / "images.gz", 0x00000801)
    (tmp_path / "short").write_bytes(struct.pack(">IIII", 0x00000803, 3, 28, 28) + bytes(100))
    with pytest.raises(SystemExit, match="do not hold"):
        ns["read_idx"](tmp_path / "short", 0x00000803)
    with pytest.raises(SystemExit, match="missing IDX files"):
        ns["load_data"](str(tmp_path))
