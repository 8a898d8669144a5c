"""A standalone plain-PyTorch training script for the trainer's current configuration.

``training_script(model_config, train_config, dataset)`` fills ``assets/snippets/train_script.py.tmpl`` and returns
a complete script that needs only torch and numpy (and scikit-learn for "digits"), nothing from this project. It
loads the data as ``core.data`` does, builds the network of ``core.models.build_model`` (the same layers, names,
hyper-parameters and, for the same seed, initial weights), and trains it as ``core.train.train`` does (the same
optimizer, learning-rate schedule, batch order, dropout masks and, when ``augment`` is on, the same random changes
of every batch: ``core.train.augment`` is written out in the template, its ranges filled from ``core.train``), so
that on the CPU with one thread it ends with the app's weights. It prints each epoch's loss and accuracies and saves
the trained ``state_dict``.

The template's ``$name`` fields come in two kinds (``string.Template``, as
``ui.widgets.code.fill_snippet``): values, which
are written as Python literals with ``repr`` (``$lr`` -> ``0.003``, ``$dataset`` -> ``'digits'``), and generated
text written as it is: ``$layers`` (one ``("name", nn.Module(...)),`` line per layer, written here from the modules
``build_model`` makes, so the two cannot drift apart) and the docstring's ``$kind_title``, ``$data_title``,
``$data_notes`` and ``$usage``.
"""

from __future__ import annotations

import functools
import string
import textwrap
from collections.abc import Mapping
from pathlib import Path

from torch import nn

from core import train as _train
from core.activations import ACTIVATIONS, make_torch_module
from core.data import DATASETS
from core.downloads import IDX_FILES, MIRRORS
from core.model_inside import config_summary
from core.models import CNNConfig, MLPConfig, meta_model
from core.train import DEVICES, OPTIMIZERS, SCHEDULES, TrainConfig

TEMPLATE = Path(__file__).resolve().parent.parent / "assets" / "snippets" / "train_script.py.tmpl"
VALUE_FIELDS = ("dataset", "input_shape", "classes", "optimizer", "lr", "momentum", "weight_decay", "batch_size",
                "epochs", "schedule", "seed", "device", "threads", "out", "drawn", "augment", "augment_degrees",
                "augment_shear", "augment_scale", "augment_shift", "augment_stroke", "augment_seed")
TEXT_FIELDS = ("layers", "kind_title", "data_title", "data_notes", "usage")
WIDTH = 116  # docstring lines, so that the script keeps within 120 characters

# repr of the module make_torch_module builds -> the code that builds it ("LeakyReLU(negative_slope=0.01)" ->
# "nn.LeakyReLU(0.01)"): the very text make_torch_module parses, so the script's activation is the app's
_ACTIVATION_CODE = {repr(make_torch_module(name)): a.torch_module for name, a in ACTIVATIONS.items()}


def _kind(config: CNNConfig | MLPConfig) -> str:
    return "cnn" if isinstance(config, CNNConfig) else "mlp"


def script_filename(model_config: CNNConfig | MLPConfig, dataset: str) -> str:
    """The file name to offer for the download: ``train_digits_cnn.py``."""
    return f"train_{dataset}_{_kind(model_config)}.py"


def _pair(v: tuple[int, int]) -> str:
    return str(v[0]) if v[0] == v[1] else str(tuple(v))


def module_code(module: nn.Module) -> str:
    """The constructor call that builds ``module`` as ``core.models`` made it, e.g. ``nn.Conv2d(1, 16, 3, ...)``."""
    if isinstance(module, nn.Conv2d):
        if (module.stride, module.dilation, module.groups, module.padding_mode) != ((1, 1), (1, 1), 1, "zeros"):
            raise ValueError(f"cannot write {module!r} as code")
        return (f"nn.Conv2d({module.in_channels}, {module.out_channels}, {_pair(module.kernel_size)}, "
                f"padding={_pair(module.padding)}, bias={module.bias is not None})")
    if isinstance(module, nn.BatchNorm2d):
        extra = "".join(f", {k}={getattr(module, k)!r}" for k, default in (("eps", 1e-5), ("momentum", 0.1))
                        if getattr(module, k) != default)
        return f"nn.BatchNorm2d({module.num_features}{extra})"
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d) and repr(module) == repr(
            type(module)(module.kernel_size, module.stride)):
        return f"nn.{type(module).__name__}({module.kernel_size}, {module.stride})"
    if isinstance(module, nn.AdaptiveMaxPool2d | nn.AdaptiveAvgPool2d) and module.output_size in (1, (1, 1)):
        return f"nn.{type(module).__name__}(1)"
    if isinstance(module, nn.Linear):
        return f"nn.Linear({module.in_features}, {module.out_features}" + \
            (")" if module.bias is not None else ", bias=False)")
    if isinstance(module, nn.Dropout) and not module.inplace:
        return f"nn.Dropout({module.p!r})"
    if isinstance(module, nn.Flatten) and (module.start_dim, module.end_dim) == (1, -1):
        return "nn.Flatten()"
    if repr(module) in _ACTIVATION_CODE:
        return _ACTIVATION_CODE[repr(module)]
    raise ValueError(f"cannot write {module!r} as code")


@functools.lru_cache(maxsize=256)
def layers_code(config: CNNConfig | MLPConfig, indent: str = " " * 8) -> str:
    """One ``("name", nn.Module(...)),  # output shape`` line per layer of ``build_model(config)``, in its order;
    remembered per config (the set-up's script at every rerun)."""
    model = meta_model(config)  # checks the config; draws no weights
    shapes = {row["name"]: row["output_shape"] for row in config_summary(config)}
    return "\n".join(f'{indent}("{name}", {module_code(layer)}),  # {"x".join(map(str, shapes[name]))}'
                     for name, layer in model.named_children())


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, WIDTH))


def _data_text(dataset: str, filename: str, drawn: int = 0) -> tuple[str, str]:
    """(notes, usage) for the docstring: where the data comes from and how to run the script on it."""
    if dataset == "digits" and drawn:
        notes = _wrap(f"Loaded with scikit-learn (pip install scikit-learn). The app also trained on {drawn:,} "
                      "digits it drew with its own code, which this script does not copy. Save them to a file once, "
                      "from the app's folder:")
        notes += ("\n\n    import numpy as np\n    from core.drawn_digits import drawn_digits\n"
                  f"    x, y = drawn_digits({drawn})\n"
                  '    np.savez("drawn_digits.npz", x=x.numpy(), y=y.numpy())\n\n')
        notes += _wrap("Without the file the script trains on the scans alone.")
        return notes, f"    python {filename} --data drawn_digits.npz"
    if dataset == "digits":
        return (_wrap("Loaded with scikit-learn (pip install scikit-learn); nothing to download."),
                f"    python {filename}")
    if dataset == "shapes":
        notes = _wrap("The app draws these pictures with its own code, which this script does not copy. Save the "
                      "app's set to a file once, from the app's folder (the app trains on load_shapes(seed=0)):")
        notes += ("\n\n    import numpy as np\n    from core.data import load_shapes\n    d = load_shapes(seed=0)\n"
                  '    np.savez("shapes.npz", x_train=d.x_train.numpy(), y_train=d.y_train.numpy(),\n'
                  "             x_test=d.x_test.numpy(), y_test=d.y_test.numpy())\n\n")
        notes += _wrap("Any .npz file with these four arrays will do: images float (N, 28, 28) or (N, 1, 28, 28) in "
                       "[0, 1], labels integers (N,).")
        return notes, f"    python {filename} --data shapes.npz"
    notes = _wrap(f"Reads the four IDX files ({', '.join(IDX_FILES)}) from the folder given with --data; by default "
                  f"from the app's download cache ($DLP_CACHE/{dataset} or ~/.cache/dl-playground/{dataset}), filled "
                  f"when the app loaded this data set. They can also be downloaded from {MIRRORS[dataset]}")
    return notes, f"    python {filename} --data FOLDER"


def _check(model_config, train_config: TrainConfig, dataset: str) -> None:
    if not isinstance(model_config, CNNConfig | MLPConfig):
        raise TypeError(f"model_config must be a CNNConfig or MLPConfig, got {type(model_config).__name__}")
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    c = train_config
    for name, value, allowed in (("optimizer", c.optimizer, OPTIMIZERS), ("schedule", c.schedule, SCHEDULES),
                                 ("device", c.device, DEVICES)):
        if value not in allowed:
            raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(allowed)}")
    if not (c.lr > 0 and c.lr != float("inf")) or c.epochs < 1 or c.batch_size < 1 or c.cpu_threads < 0:
        raise ValueError(f"need lr > 0, epochs >= 1, batch_size >= 1 and cpu_threads >= 0; got lr={c.lr}, "
                         f"epochs={c.epochs}, batch_size={c.batch_size}, cpu_threads={c.cpu_threads}")


def fill(template: str, values: Mapping[str, object], text: Mapping[str, str]) -> str:
    """``template`` with ``values`` written as Python literals (``repr``) and ``text`` as it is."""
    clash = set(values) & set(text)
    if clash:
        raise ValueError(f"fields given twice: {sorted(clash)}")
    return string.Template(template).substitute({**{k: repr(v) for k, v in values.items()}, **text})


def training_script(model_config: CNNConfig | MLPConfig, train_config: TrainConfig, dataset: str,
                    drawn: int = 0) -> str:
    """A runnable plain-PyTorch script that trains ``model_config`` on ``dataset`` as ``train_config`` says.

    ``drawn``: for "digits", how many of the app's drawn digits (``load_digits_dataset(drawn=...)``) the training
    split holds; the script reads them from a file the student saves (its docstring says how).

    Raises ``ModelConfigError`` for a network that cannot be built and ValueError for an unknown dataset or a bad
    training setting. ``train_config.device`` becomes the script's default ``--device`` and ``cpu_threads`` its
    default ``--threads``.
    """
    _check(model_config, train_config, dataset)
    kind = _kind(model_config)
    c = train_config
    if drawn and dataset != "digits":
        raise ValueError(f"only the digits have drawn digits, not {dataset!r}")
    notes, usage = _data_text(dataset, script_filename(model_config, dataset), drawn)
    values = {"dataset": dataset, "input_shape": tuple(int(v) for v in model_config.input_shape),
              "classes": int(model_config.classes), "optimizer": c.optimizer, "lr": float(c.lr),
              "momentum": float(c.momentum), "weight_decay": float(c.weight_decay), "batch_size": int(c.batch_size),
              "epochs": int(c.epochs), "schedule": c.schedule, "seed": int(c.seed), "device": c.device,
              "threads": int(c.cpu_threads), "out": f"{dataset}_{kind}_state_dict.pt", "drawn": int(drawn),
              "augment": bool(c.augment),
              **{f"augment_{name}": getattr(_train, f"AUGMENT_{name.upper()}")
                 for name in ("degrees", "shear", "scale", "shift", "stroke", "seed")}}
    text = {"layers": layers_code(model_config), "kind_title": kind.upper(),
            "data_title": _wrap(f"Data ({dataset}): {DATASETS[dataset].description}"), "data_notes": notes,
            "usage": usage}
    return fill(TEMPLATE.read_text(encoding="utf-8"), values, text)
