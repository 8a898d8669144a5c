"""Every "show the code" snippet, run as a student runs it, prints the numbers the page shows.

For each view that shows code (every ``show_code`` call in ``ui/lessons``), the page is opened in AppTest with
settings that are not its defaults, in both languages; the code on the page is saved to a file in an empty folder and
run with ``sys.executable`` in a subprocess (a snippet that says "run it from the app's folder" imports ``core``: it
gets the app's folder on ``PYTHONPATH``; the others run with nothing but torch and numpy). The numbers it prints are
parsed and compared with the numbers the page shows: its metrics, its markdown (read through the catalogue's own
template, so both languages are read the same way), its tables, or the data of its figures (parsed, never searched
as text). Where the page shows no number for a printed value, the value is compared with the same computation done
by ``core`` here. Tolerances are explicit: half a unit in the last digit the page (or the snippet) writes, float32
rounding for figure data (``RTOL_FIGURE``), and ``EXACT`` for numbers both sides compute in float64.

Both languages show the same code, so each snippet runs once (``_RUNS``) and both pages are compared with its output.
"""

from __future__ import annotations

import json
import math
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, lesson_app, plotly_array
from tests.helpers.code import shown_code
from tests.helpers.figures import charts
from ui.lessons.activations import GALLERY_POINTS
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import (
    ACTIVATIONS,
    BACKPROP,
    CONVOLUTION,
    DEPTH,
    FC_CONV,
    GRADIENT_DESCENT,
    HOME,
    POOLING,
    TENSORS,
)

LANGS = list(LANGUAGES)
TIMEOUT = 180  # seconds for one snippet (the slowest trains a small MLP twice)
RTOL_FIGURE = 1e-6  # figures carry float32: 2^-24 ≈ 6e-8 relative rounding, with room to spare
EXACT = 1e-12  # relative, for float64 numbers computed on both sides by the same formulas
FLOAT = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan"

_RUNS: dict[str, str] = {}  # code -> its stdout: zh and en show the same code, and it runs once


def open_page(spec, query: dict[str, str], lang: str):
    """The page with ``query`` in its link, run cleanly, every value of the link taken (no "cannot use" notice)."""
    at = lesson_app(spec, query, lang)
    assert not at.toast, [notice.value for notice in at.toast]
    return at


# ---- running a snippet ------------------------------------------------------------------------------------


def run_snippet(at, key: str, marker: str, tmp_path: Path) -> str:
    """Run the code that the page's ``show_code(..., key=key)`` shows (its one code block containing ``marker``) as
    ``python <key>.py`` in ``tmp_path``; its stdout (it must exit 0 and print something)."""
    codes = shown_code(at)
    assert [b for b in at.get("download_button") if b.proto.id.endswith("-" + key)], f"no show_code({key!r}) here"
    [code] = [c for c in codes if marker in c]
    if code not in _RUNS:
        (tmp_path / f"{key}.py").write_text(code, encoding="utf-8")
        env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
        if re.search(r"^from core[.\w]* import", code, re.M):  # "Run it from the app's folder"
            env["PYTHONPATH"] = str(ROOT)
        result = subprocess.run([sys.executable, f"{key}.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=TIMEOUT)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip(), "the snippet printed nothing"
        _RUNS[code] = result.stdout
    return _RUNS[code]


def printed(out: str, label: str) -> str:
    """The rest of the first printed line that starts (after spaces) with ``label``."""
    for line in out.splitlines():
        if line.lstrip().startswith(label):
            return line.lstrip()[len(label):]
    raise AssertionError(f"the snippet printed no line starting with {label!r}:\n{out}")


def floats(text: str) -> list[float]:
    return [float(v) for v in re.findall(FLOAT, text)]


# ---- reading the page -------------------------------------------------------------------------------------


def num(text: str) -> float:
    """A number as the page writes it: ``−`` for minus, ``,`` between thousands, ``**`` around it."""
    return float(text.strip().strip("*").replace("−", "-").replace(",", ""))


def half_unit(text: str, sig: int | None = None) -> float:
    """Half a unit in the last place of the number ``text``: of its ``sig``-th significant digit for a ``g`` format
    (which drops trailing zeros), else of the last digit written."""
    value = num(text)
    if sig is not None:
        return 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - sig + 1) if value else 0.5 * 10.0 ** (1 - sig)
    mantissa, _, exponent = text.strip().strip("*").replace("−", "-").replace(",", "").lower().partition("e")
    return 0.5 * 10.0 ** (int(exponent or 0) - len(mantissa.partition(".")[2]))


def assert_agrees(value: float | str, shown: str, sig: int | None = None, sig_printed: int | None = None) -> None:
    """``value`` (a float, or a number as the snippet printed it) equals the page's ``shown`` number to the digits
    either of them writes."""
    tolerance = half_unit(shown, sig)
    if isinstance(value, str):
        tolerance += half_unit(value, sig_printed)
        value = num(value)
    assert abs(value - num(shown)) <= tolerance * (1 + 1e-9), f"the snippet has {value!r}, the page {shown!r}"


def metric(at, label: str) -> str:
    [m] = [m for m in at.metric if m.label == label]
    return m.value


def fields(key: str, lang: str, texts, **known: object) -> dict[str, str]:
    """The values of the ``{fields}`` of catalogue entry ``key`` in the first of ``texts`` written from it (the
    ``known`` ones given): the page's markdown read through its own template, in either language."""
    pattern, seen, open_end = "", set(), False
    for literal, field, _, _ in string.Formatter().parse(translate(key, lang)):
        pattern += re.escape(literal)
        open_end = field is not None and field not in known
        if field is None:
            continue
        if field in known:
            pattern += re.escape(str(known[field]))
        elif field in seen:
            pattern += f"(?P={field})"
        else:
            pattern += f"(?P<{field}>.+?)"
            seen.add(field)
    if open_end:  # a template ending with a field: the field runs to the end of its line
        pattern += "$"
    for text in texts:
        match = re.search(pattern, text, re.M)
        if match:
            return match.groupdict()
    raise AssertionError(f"no text on the page is written from {key!r} ({lang}): {pattern}")


def markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def figures(at) -> list[dict]:
    return [c.spec for c in charts(at)]


def figure(at, title: str) -> dict:
    [fig] = [f for f in figures(at) if (f["layout"].get("title") or {}).get("text") == title]
    return fig


def figure_z(at, title: str) -> np.ndarray:
    """The numbers of the one heatmap titled ``title``: a figure of its own or a panel of several."""
    from tests.helpers.figures import panel

    return plotly_array(panel(at, title)["z"]).astype(float)


def trace(fig: dict, name: str) -> dict:
    [data] = [d for d in fig["data"] if d.get("name") == name]
    return data


def assert_close_to_figure(values, figure_values, scale: float | None = None) -> None:
    """``values`` (float64, from the snippet) equal ``figure_values`` (float32 in the figure) to float32 rounding."""
    figure_values = np.asarray(figure_values, dtype=float)
    scale = float(np.abs(figure_values).max()) if scale is None else scale
    np.testing.assert_allclose(values, figure_values, rtol=RTOL_FIGURE, atol=RTOL_FIGURE * scale)


# ---- home: the training loop on one neuron -----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_home_training_loop(lang, tmp_path):
    at = open_page(HOME, {"steps": "23", "lr": "0.21", "phase": "inference", "x": "4.5", "stage": "prediction"}, lang)
    out = run_snippet(at, "home_code", "torch.optim.SGD", tmp_path)
    steps, w, b = re.fullmatch(rf"after ({FLOAT}) steps: w = ({FLOAT}), b = ({FLOAT})", out.splitlines()[0]).groups()
    x, y_hat = re.fullmatch(rf"prediction for x = ({FLOAT}): ({FLOAT})", out.splitlines()[1]).groups()
    assert steps == metric(at, translate("home.metric.steps", lang)) == "23"
    assert_agrees(w, metric(at, "w"), sig=6, sig_printed=6)
    assert_agrees(b, metric(at, "b"), sig=6, sig_printed=6)
    shown = fields("home.explain.inference.prediction", lang, markdown(at))
    assert_agrees(x, shown["x"])
    assert_agrees(y_hat, shown["y_hat"], sig=6, sig_printed=6)


# ---- the convolution and pooling of a picture ---------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("query", [
    {"image": "digit", "kernel": "sobel_x", "s": "2", "pad": "custom", "p": "1", "mode": "reflect", "flip": "1"},
    {"image": "shapes", "kernel": "emboss", "d": "2", "pad": "same", "mode": "circular", "colour": "1"},
], ids=["grey-stride-reflect-flip", "colour-dilated-same-circular"])
def test_convolution_of_a_picture(query, lang, tmp_path):
    from core.conv import KERNELS, conv2d
    from core.images import BUILTIN_IMAGES

    at = open_page(CONVOLUTION, {"part": "image", **query}, lang)
    out = run_snippet(at, "convolution_code", "F.conv2d", tmp_path)
    shape = tuple(int(n) for n in floats(printed(out, "output shape:")))
    stats = np.array([[float(v) for v in m] for m in re.findall(
        rf"^channel \d+: min ({FLOAT}), max ({FLOAT}), mean ({FLOAT})$", out, re.M)])  # (channel, min|max|mean)
    # the output size: the page's formula for H and W, and the output picture's title
    sizes = [int(m) for m in re.findall(r"[HW]ₒᵤₜ = .*? = \*\*(\d+)\*\*", "\n".join(markdown(at)))]
    assert shape[1:] == tuple(sizes)
    assert shape[0] == len(stats) == (3 if query.get("colour") else 1)
    if query.get("colour"):  # the page draws the three channels as one colour picture: compare with core
        rgb = BUILTIN_IMAGES[query["image"]].load().transpose(2, 0, 1)
        w = KERNELS[query["kernel"]].weights
        padding = query["pad"] if query["pad"] != "custom" else int(query["p"])
        d = int(query.get("d", 1))
        expected = np.stack([conv2d(c, w, stride=int(query.get("s", 1)), padding=padding, dilation=d,
                                    padding_mode=query["mode"], flip=bool(query.get("flip"))) for c in rgb])
        assert expected.shape == shape
        np.testing.assert_allclose(stats, np.stack([expected.min(axis=(1, 2)), expected.max(axis=(1, 2)),
                                                    expected.mean(axis=(1, 2))], axis=1), rtol=EXACT, atol=EXACT)
    else:  # the output picture carries the output itself (float32)
        z = figure_z(at, translate("convolution.image.output", lang, h=shape[1], w=shape[2]))
        assert z.shape == shape[1:]
        assert_close_to_figure(stats[0], [z.min(), z.max(), z.mean()])
    diff = float(printed(out, "max |numpy - torch|:"))
    assert diff <= EXACT and num(metric(at, translate("common.diff", lang))) <= EXACT


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("query", [
    {"image": "digit", "kernel": "sobel_y", "mode": "avg", "window": "3"},
    {"image": "checkerboard", "edges": "0", "mode": "max", "window": "4"},
], ids=["edges-avg-3", "plain-max-4"])
def test_pooling_of_a_picture(query, lang, tmp_path):
    at = open_page(POOLING, {"part": "image", **query}, lang)
    out = run_snippet(at, "pooling_code", "pool2d", tmp_path)
    sides = re.fullmatch(r"\((\d+), (\d+)\) -> \((\d+), (\d+)\)", out.splitlines()[0]).groups()
    before, after = tuple(int(n) for n in sides[:2]), tuple(int(n) for n in sides[2:])
    low, high, mean = floats(printed(out, "pooled min, max, mean:"))
    shown = fields("pooling.image.numbers", lang, markdown(at))
    assert math.prod(before) == num(shown["before"]) and math.prod(after) == num(shown["after"])
    z = figure_z(at, translate("pooling.image.pooled", lang, h=after[0], w=after[1]))
    assert z.shape == after
    assert_close_to_figure([low, high, mean], [z.min(), z.max(), z.mean()])
    assert float(printed(out, "max |numpy - torch|:")) <= EXACT
    assert num(metric(at, translate("common.diff", lang))) <= EXACT


# ---- a dense layer as a 1×1 convolution -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_fc_conv_dense_at_every_position(lang, tmp_path):
    at = open_page(FC_CONV, {"part": "position", "c": "4", "size": "5", "out": "3", "seed": "11"}, lang)
    out = run_snippet(at, "fc_conv_code_position", "F.conv2d", tmp_path)
    outputs = np.array(json.loads(printed(out, "outputs (out, H, W):")))
    assert outputs.shape == (3, 5, 5)
    for o, output in enumerate(outputs):
        for title in ("fc_conv.dense_out", "fc_conv.conv_out"):
            np.testing.assert_allclose(output, figure_z(at, translate(title, lang, o=o)), rtol=EXACT, atol=EXACT)
    assert float(printed(out, "max |dense - conv| =")) == num(metric(at, translate("fc_conv.max_diff", lang))) == 0
    weights = int(printed(out, "weights:").split()[0])
    assert metric(at, translate("fc_conv.params", lang)) == f"{weights} = {weights}" == "15 = 15"


@pytest.mark.parametrize("lang", LANGS)
def test_fc_conv_classifier_head(lang, tmp_path):
    at = open_page(FC_CONV, {"part": "head", "c": "5", "out": "2", "seed": "8"}, lang)
    out = run_snippet(at, "fc_conv_code_head", "F.conv2d", tmp_path)
    means = json.loads(printed(out, "channel means:"))
    shown = fields("fc_conv.head.pooled", lang, markdown(at))["values"].split(", ")
    assert len(means) == len(shown) == 5
    for value, text in zip(means, shown, strict=True):
        assert_agrees(value, text, sig=4)
    head, difference = printed(out, "head:").split(" max difference: ")
    head = json.loads(head)
    for title in ("fc_conv.head.dense", "fc_conv.head.conv"):
        np.testing.assert_allclose(head, figure_z(at, translate(title, lang))[:, 0], rtol=EXACT, atol=EXACT)
    assert float(difference) == num(metric(at, translate("fc_conv.max_diff", lang))) == 0


# ---- gradient descent: a ball on a curve, runs on a plane ----------------------------------------------------


def descent_lines(out: str) -> dict[str, dict]:
    """``{method: {"loss", "torch", "ours", "diverged"}}`` from the snippet's lines."""
    runs = {}
    for line in out.splitlines():
        match = re.fullmatch(r"\s*(\w+): loss (\S+), torch ends at \[(.*?)\], this app at \[(.*?)\]"
                             r"(?: \(diverged at step (\d+)\))?", line)
        assert match, line
        method, loss, torch_end, ours, diverged = match.groups()
        runs[method] = {"loss": loss, "torch": floats(torch_end), "ours": floats(ours),
                        "diverged": None if diverged is None else int(diverged)}
    return runs


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("query", [
    {"curve": "wavy", "x0": "-2", "lr": "0.05", "beta": "0.8", "steps": "40"},
    {"curve": "double_well", "lr": "0.3", "steps": "100"},
], ids=["wavy", "momentum-diverges"])
def test_gradient_descent_on_a_curve(query, lang, tmp_path):
    at = open_page(GRADIENT_DESCENT, {"part": "one_d", **query}, lang)
    runs = descent_lines(run_snippet(at, "gradient_descent_code_1d", "torch.optim.SGD", tmp_path))
    assert list(runs) == ["sgd", "momentum"]
    for method, run in runs.items():
        name = translate("common.optimizer." + method, lang)
        warned = [w.value for w in at.warning if w.value.startswith(name)]
        if run["diverged"] is not None:
            assert int(fields("gradient_descent.diverged", lang, warned, name=name)["step"]) == run["diverged"]
            continue
        assert not warned
        x = fields("gradient_descent.one.ends", lang, markdown(at), name=name)["x"]
        assert_agrees(run["torch"][0], x, sig=4)
        assert_agrees(run["ours"][0], x, sig=4)
    assert [run["diverged"] is not None for run in runs.values()] == [False, query["curve"] == "double_well"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("query", [
    {"plane": "bowl", "methods": "sgd,nesterov,adam", "lr_sgd": "0.05", "steps": "80", "sx": "1.5", "sy": "-1",
     "beta": "0.7"},
    {"plane": "custom", "f": "x**2 + 2*y**2 - x*y", "methods": "momentum,rmsprop,adagrad", "sx": "1", "sy": "1",
     "steps": "50"},
], ids=["bowl-nesterov-diverges", "formula"])
def test_gradient_descent_on_a_plane(query, lang, tmp_path):
    at = open_page(GRADIENT_DESCENT, {"part": "two_d", **query}, lang)
    runs = descent_lines(run_snippet(at, "gradient_descent_code_2d", "torch.optim.SGD", tmp_path))
    table = at.table[0].value
    methods = [translate("common.optimizer." + m, lang) for m in runs]
    assert list(table.iloc[:, 0]) == methods and list(runs) == query["methods"].split(",")
    diverged = [translate("gradient_descent.table." + ("yes" if run["diverged"] is not None else "no"), lang)
                for run in runs.values()]
    assert list(table.iloc[:, 4]) == diverged
    for (method, run), name, final in zip(runs.items(), methods, table.iloc[:, 3], strict=True):
        if run["diverged"] is not None:  # the page warns at the same step (and tables where the path stopped)
            warned = [w.value for w in at.warning if w.value.startswith(name)]
            assert int(fields("gradient_descent.diverged", lang, warned, name=name)["step"]) == run["diverged"]
            continue
        assert_agrees(run["loss"], final, sig=6, sig_printed=6)
        np.testing.assert_allclose(run["torch"], run["ours"], rtol=1e-6, atol=1e-8, err_msg=method)
    assert (query["plane"] != "bowl") == all(run["diverged"] is None for run in runs.values())


# ---- backpropagation on one neuron ---------------------------------------------------------------------------


NEURON = {"x1": "1.5", "x2": "-0.7", "w1": "-1.2", "w2": "0.6", "b": "0.4", "y": "-0.5"}


def neuron_values(query: dict) -> tuple[list[float], list[float], float, float]:
    return ([float(query["x1"]), float(query["x2"])], [float(query["w1"]), float(query["w2"])], float(query["b"]),
            float(query["y"]))


def backprop_lines(out: str) -> dict[str, list[float]]:
    grad_w, grad_b = printed(out, "dL/dw:").split(" dL/db: ")
    new_w, new_b = printed(out, "new w:").split(" new b: ")
    return {"loss": [float(printed(out, "loss:"))], "grad": [*json.loads(grad_w), float(grad_b)],
            "new": [*json.loads(new_w), float(new_b)], "loss_after": [float(printed(out, "loss after the step:"))]}


@pytest.mark.parametrize("lang", LANGS)
def test_backprop_graph(lang, tmp_path):
    from core.backprop import gradient_step, neuron_graph, stages

    x, w, b, y = neuron_values(NEURON)
    last = len(stages(neuron_graph(x, w, b, y, "sigmoid")))
    at = open_page(BACKPROP, {"part": "graph", **NEURON, "act": "sigmoid", "step": str(last)}, lang)
    values = backprop_lines(run_snippet(at, "backprop_code_graph", "backward()", tmp_path))
    shown = fields("backprop.graph.done", lang, [s.value for s in at.success])
    for value, text in zip(values["grad"], (shown["w1"], shown["w2"], shown["b"]), strict=True):
        assert_agrees(value, text, sig=4)
    # the graph part shows no loss and no step: they are core's, with the snippet's step size 0.1
    step = gradient_step(x, w, b, y, 0.1, "sigmoid")
    np.testing.assert_allclose(values["loss"] + values["grad"] + values["new"] + values["loss_after"],
                               [step["loss_before"], *step["grad_w"], step["grad_b"], *step["w"], step["b"],
                                step["loss_after"]], rtol=EXACT, atol=EXACT)


@pytest.mark.parametrize("lang", LANGS)
def test_backprop_step(lang, tmp_path):
    query = {**NEURON, "w1": "0.8", "w2": "-0.3", "b": "0.2", "act": "tanh", "lr": "0.3"}
    at = open_page(BACKPROP, {"part": "step", **query}, lang)
    values = backprop_lines(run_snippet(at, "backprop_code_step", "backward()", tmp_path))
    table = at.table[0].value
    assert list(table.iloc[:, 0]) == ["w1", "w2", "b"]
    for column, key in ((2, "grad"), (3, "new")):
        for value, text in zip(values[key], table.iloc[:, column], strict=True):
            assert_agrees(value, text, sig=4)
    assert_agrees(values["loss"][0], metric(at, translate("backprop.loss_before", lang)), sig=4)
    assert_agrees(values["loss_after"][0], metric(at, translate("backprop.loss_after", lang)), sig=4)


# ---- receptive fields, broadcasting ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_depth_receptive_fields(lang, tmp_path):
    at = open_page(DEPTH, {"part": "stack", "layers": "5", "l2": "conv-3-1-2", "l3": "pool-2-2-1", "l4": "conv-5-1-1",
                           "l5": "conv-3-2-3", "side": "72"}, lang)
    out = run_snippet(at, "depth_code", "receptive field", tmp_path)
    table = at.table[0].value
    rows = re.findall(r"field (\d+) x (\d+), jump (\d+)", out)
    assert len(rows) == len(table) == 5
    assert [f"{a} × {b}" for a, b, _ in rows] == list(table[translate("depth.column.field", lang)])
    assert [jump for _, _, jump in rows] == list(table[translate("depth.column.jump", lang)])
    measured = int(re.fullmatch(r" (\d+) pixels", printed(out, "measured:")).group(1))
    assert list(table[translate("depth.column.measured", lang)])[-1] == f"{measured} × {measured}"


@pytest.mark.parametrize("lang", LANGS)
def test_tensors_broadcasting(lang, tmp_path):
    from core.tensors import BINARY_OPS

    at = open_page(TENSORS, {"part": "broadcast", "ex": "custom", "a": "2, 1, 3", "b": "4, 1", "op": "divide"}, lang)
    out = run_snippet(at, "tensors_cast_code", "np.broadcast_shapes", tmp_path)
    shape = printed(out, "result shape:").strip()
    assert fields("tensors.cast.result_shape", lang, [s.value for s in at.success])["shape"] == shape
    # the printed array: every line between the shape and the difference
    lines = out.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("result shape:"))
    end = next(n for n, line in enumerate(lines) if line.startswith("max |numpy - torch|:"))
    values = floats(" ".join(lines[start + 1:end]))
    cells = figure(at, translate("tensors.cast.result_title", lang, op=BINARY_OPS["divide"].symbol, shape=shape))
    texts = cells["data"][0]["text"]
    assert len(values) == len(texts) == math.prod(int(n) for n in floats(shape)) == 24
    for value, text in zip(values, texts, strict=True):  # the picture writes each value with 4 significant digits
        assert_agrees(value, text, sig=4)
    assert float(printed(out, "max |numpy - torch|:")) == 0


# ---- activations -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_activation_gallery(lang, tmp_path):
    names = ["gelu", "elu", "softplus"]
    at = open_page(ACTIVATIONS, {"part": "gallery", "acts": ",".join(names), "range": "3.5"}, lang)
    out = run_snippet(at, "activations_gallery_code", "torch.autograd.grad", tmp_path)
    fig = figure(at, translate("activations.gallery.title", lang))
    diffs = []
    for name in names:
        line = printed(out, f"{name}:")
        f0, slope0, top, diff = re.fullmatch(rf" f\(0\) = ({FLOAT}), f'\(0\) = ({FLOAT}), max slope = ({FLOAT}), "
                                             rf"max \|numpy - torch\| = ({FLOAT})", line).groups()
        label = translate("common.activation." + name, lang)
        f = plotly_array(trace(fig, label)["y"]).astype(float)
        slope = plotly_array(trace(fig, translate("activations.gallery.slope_of", lang, name=label))["y"]).astype(float)
        assert len(f) == len(slope) == GALLERY_POINTS and GALLERY_POINTS % 2 == 1
        middle = GALLERY_POINTS // 2  # x = 0
        for value, on_screen in ((f0, f[middle]), (slope0, slope[middle]), (top, np.abs(slope).max())):
            assert abs(num(value) - on_screen) <= half_unit(value) + RTOL_FIGURE * max(abs(on_screen), 1), \
                (name, value, on_screen)
        diffs.append(float(diff))
    shown = metric(at, translate("activations.gallery.diff", lang))
    assert max(diffs) <= 1e-8 and num(shown) <= 1e-8


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("query", [{"act": "tanh", "w": "-1.5", "b": "2"}, {"act": "softplus", "w": "0", "b": "1.3"}],
                         ids=["bend", "flat"])
def test_one_neuron(query, lang, tmp_path):
    at = open_page(ACTIVATIONS, {"part": "neuron", **query}, lang)
    out = run_snippet(at, "activations_neuron_code", "nn.Linear(1, 1)", tmp_path)
    label = translate("common.activation." + query["act"], lang)
    [curve] = [d for f in figures(at) for d in f["data"]
               if d.get("name") == translate("activations.neuron.output", lang, name=label)]
    y = plotly_array(curve["y"])
    ends = floats(printed(out, "y at x = -6, 0, 6:"))
    assert_close_to_figure(ends, y.astype(float)[[0, 300, -1]])
    if float(query["w"]):
        assert_agrees(float(printed(out, "the bend sits where w*x + b = 0: x =")),
                      fields("activations.neuron.explain", lang, markdown(at))["x0"], sig=3)
    else:  # a flat line at act(b)
        assert "the bend" not in out
        assert_agrees(ends[1], fields("activations.neuron.flat", lang, markdown(at))["y"], sig=4)
    assert float(printed(out, "max |numpy - torch|:")) <= EXACT


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("act", ["tanh", "identity"])
def test_collapse(act, lang, tmp_path):
    at = open_page(ACTIVATIONS, {"part": "collapse", "depth": "3", "width": "5", "scale": "1.5", "seed": "7",
                                 "act": act}, lang)
    out = run_snippet(at, "activations_collapse_code", "compose_linear", tmp_path)
    W, b = re.fullmatch(rf" ({FLOAT})  b = ({FLOAT})", printed(out, "composed W =")).groups()
    assert_agrees(W, metric(at, translate("activations.collapse.W", lang)), sig=6)
    assert_agrees(b, metric(at, translate("activations.collapse.b", lang)), sig=6)
    gaps = (float(printed(out, "max |stack - (W x + b)| =")), float(printed(out, "max |stack - best line| =")))
    shown = [metric(at, translate("activations.collapse." + key, lang)) for key in ("gap_composed", "gap_line")]
    if act == "identity":  # both only rounding error, on the page and in the snippet
        assert max(gaps) <= 1e-12 and max(num(s) for s in shown) <= 1e-12
    else:
        for gap, text in zip(gaps, shown, strict=True):
            assert_agrees(gap, text)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("query", [
    {"target": "sine", "noise": "0.2", "act": "tanh"},
    {"target": "own", "act": "identity"},
], ids=["sine-tanh", "own-points-identity"])
def test_curve_fit(query, lang, tmp_path):
    settings = {"layers": "1", "fwidth": "8", "steps": "200", "lr": "0.03", "fseed": "3"}
    at = open_page(ACTIVATIONS, {"part": "fit", **settings, **query}, lang)
    out = run_snippet(at, "activations_fit_code", "fit_curve(", tmp_path)
    losses = {name: printed(out, f"{name}: final loss ").strip() for name in dict.fromkeys([query["act"], "identity"])}
    if query["act"] == "identity":
        assert len(losses) == 1
        assert_agrees(losses["identity"], fields("activations.fit.straight", lang, [i.value for i in at.info])["loss"],
                      sig=4, sig_printed=4)
    else:
        shown = fields("activations.fit.compare", lang, markdown(at))
        assert_agrees(losses[query["act"]], shown["loss"], sig=4, sig_printed=4)
        assert_agrees(losses["identity"], shown["line"], sig=4, sig_printed=4)


@pytest.mark.parametrize("lang", LANGS)
def test_vanishing_gradients(lang, tmp_path):
    names = ["sigmoid", "relu", "silu"]
    at = open_page(ACTIVATIONS, {"part": "vanishing", "vdepth": "9", "vacts": ",".join(names), "init": "kaiming"},
                   lang)
    out = run_snippet(at, "activations_vanish_code", "gradient_through_depth", tmp_path)
    fig = figure(at, translate("activations.vanish.title", lang, depth=9))
    for name in names:
        label = translate("common.activation." + name, lang)
        first, last, ratio = re.fullmatch(rf" first layer ({FLOAT}), last layer ({FLOAT}), ratio ({FLOAT})",
                                          printed(out, f"{name}:")).groups()
        g = plotly_array(trace(fig, label)["y"]).astype(float)
        assert len(g) == 9
        for value, on_screen in ((first, g[0]), (last, g[-1])):
            assert abs(num(value) - on_screen) <= half_unit(value) + RTOL_FIGURE * on_screen, (name, value, on_screen)
        assert_agrees(ratio, fields("activations.vanish.ratio", lang, markdown(at), name=label)["ratio"])


def test_every_view_that_shows_code_is_run_here():
    """Each ``show_code(..., key=...)`` call in ``ui`` has its snippet run by a test above (and no test runs a key
    that no longer exists): a new "show the code" view fails here until its printed numbers are checked too."""
    in_ui = set()
    for path in (ROOT / "ui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"(?<!def )\bshow_code\(", text):
            in_ui.add(re.compile(r'\bkey="(\w+)"').search(text, call.end()).group(1))
    run_here = set(re.findall(r'run_snippet\(at, "(\w+)"', Path(__file__).read_text(encoding="utf-8")))
    assert in_ui == run_here


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fc_conv_fusion_snippet_fuses_as_the_page(lang, tmp_path):
    from core.fc_conv import MIXES, bottleneck_counts
    from tests.helpers.figures import chart

    at = open_page(FC_CONV, {"part": "fusion", "mix": "red_minus_green", "bc": "128", "bs": "32", "bk": "3"}, lang)
    out = run_snippet(at, "fc_conv_code_fusion", "F.conv2d", tmp_path)
    fused = chart(at, key="fc_conv_fusion_out").data("z")
    assert printed(out, "fused map:").strip() == str(fused.shape)
    assert floats(printed(out, "min, max:")) == pytest.approx([fused.min(), fused.max()], abs=1e-5)
    counts = bottleneck_counts(128, 32, 3)
    assert int(printed(out, "direct:")) == counts["direct"] and int(printed(out, "bottleneck:")) == counts["bottleneck"]
    assert MIXES["red_minus_green"] == (1.0, -1.0, 0.0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_gradient_descent_minibatch_snippet_ends_where_the_page_does(lang, tmp_path):
    from core.minibatch import diabetes_bmi, least_squares, minibatch_descent, mse

    at = open_page(GRADIENT_DESCENT, {"part": "minibatch", "mb": "16", "mlr": "0.1", "mepochs": "2"}, lang)
    out = run_snippet(at, "gradient_descent_code_minibatch", "load_diabetes", tmp_path)
    x, y = diabetes_bmi()
    run = minibatch_descent(x, y, 16, 0.1, 2)
    assert int(printed(out, "steps:")) == len(run.points) - 1
    assert float(printed(out, "final loss:")) == pytest.approx(run.losses[-1], rel=1e-9)
    assert float(printed(out, "least-squares loss:")) == pytest.approx(float(mse(*least_squares(x, y), x, y)),
                                                                        rel=1e-9)
