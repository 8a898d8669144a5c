"""The parts of the depth lesson (pages/depth.py): the tube game on a picture, the stack and its receptive fields,
the trainer's network layer by layer, and a question."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from core.data import area_resize
from core.depth import (
    DEFAULT_STACK,
    DILATIONS,
    KERNELS,
    STRIDES,
    StackError,
    centre_unit,
    field_question,
    format_layer,
    output_shapes,
    parse_layer,
    units_inside,
)
from core.images import BUILTIN_IMAGES, mosaic, to_gray
from core.model_inside import feature_maps
from core.receptive import KINDS, field_bounds, model_to_stack, receptive_field_of, receptive_fields, stack_to_model
from ui.jobs.reference import reference_network
from ui.jobs.training_job import session_job, shared_dataset
from ui.lessons.depth_game import GAME_LINK, part_game
from ui.plots.charts import figure, lines_figure
from ui.plots.grids import image_figure
from ui.plots.panels import Band, bands_figure, bands_width
from ui.plots.show import plot
from ui.shell.i18n import filler, t
from ui.shell.lesson_frame import drawn_alone, part_intro
from ui.shell.modes import more_controls
from ui.shell.registry import DEPTH
from ui.shell.url_state import (
    Number,
    Text,
    UrlParam,
    url_rows,
    url_slider,
    url_value,
)
from ui.widgets.code import SNIPPET_DIR, show_code
from ui.widgets.image_input import IMAGE_LINK, image_picker
from ui.widgets.quiz import check_answer, quiz_controls, quiz_link
from ui.widgets.row_editor import Field, row_editor

__all__ = ["LINK", "part_features", "part_game", "part_quiz", "part_stack", "part_tube"]  # the parts, for the registry

SNIPPET = SNIPPET_DIR / "depth.py.tmpl"
MAX_LAYERS = 8
INPUT_SIDE = 96  # the picture is shrunk to at most this many pixels a side: the network's input
LAYER_COLOURS = ("#f59e0b", "#10b981", "#3b82f6", "#8b5cf6", "#ec4899", "#ef4444", "#14b8a6", "#84cc16")


LINK = {**IMAGE_LINK, **GAME_LINK, **quiz_link(("field",)), "layers": Number(1, MAX_LAYERS, whole=True),
        **{f"l{i}": Text(40) for i in range(1, MAX_LAYERS + 1)}, "layer": Number(1, MAX_LAYERS, whole=True),
        "i": Number(0, 127, whole=True), "j": Number(0, 127, whole=True), "side": Number(16, 128, whole=True)}
"""What the depth lesson's link may say (``l1`` … ``l8``: one layer each, as ``conv-3-1-1``)."""


def layer_param(i: int) -> UrlParam[str]:
    """Layer ``i``'s link parameter, ``l<i>=conv-3-1-1``, kept in the session as that text."""
    return UrlParam(key=f"depth_l{i}", name=f"l{i}", default=DEFAULT_STACK[i - 1],
                    decode=lambda s: format_layer(parse_layer(s)), encode=str, accepts=LINK[f"l{i}"])


def layer_fields() -> list[Field]:
    """The columns of the stack's table: kind, kernel, stride, dilation, in the page's language."""
    stride, dilation = filler("depth.stride_n", "s"), filler("depth.dilation_n", "d")
    return [Field("kind", t("depth.column.kind"), KINDS, tuple(t("depth.kinds." + k) for k in KINDS)),
            Field("kernel", t("depth.column.kernel"), KERNELS, tuple(f"{k}×{k}" for k in KERNELS)),
            Field("stride", t("depth.column.stride"), STRIDES, tuple(map(stride, STRIDES))),
            Field("dilation", t("depth.column.dilation"), DILATIONS, tuple(map(dilation, DILATIONS)))]


def edit_layer(row: int, field: str, value: object) -> None:
    """The table's edit (checked by ``ui.widgets.row_editor.edit_of``): layer ``row + 1`` with ``field`` changed."""
    key = layer_param(row + 1).key
    st.session_state[key] = format_layer({**parse_layer(st.session_state[key]), field: value})


def stack_controls(expanded: bool) -> list[dict]:
    """How many layers, and each layer's kind, kernel, stride and dilation in one table (``row_editor``)."""
    with st.expander(t("depth.stack"), expanded=expanded):
        n = url_slider(t("depth.layers"), key="depth_n", name="layers", min_value=1, max_value=MAX_LAYERS, default=7)
        layers = [parse_layer(text) for text in url_rows("l", n, MAX_LAYERS, lambda i: url_value(layer_param(i)))]
        row_editor("depth_layers", layer_fields(), layers, [t("depth.layer_n", n=i) for i in range(1, n + 1)],
                   edit_layer)
        st.caption(t("depth.padding_note"))
    return [{**layer, "name": f"layer{i}"} for i, layer in enumerate(layers, 1)]


def network_input() -> np.ndarray | None:
    """The picture in grey, shrunk to at most ``INPUT_SIDE`` pixels a side (the built-in ones cached)."""
    picked = image_picker("depth", default="photo")
    if picked is None:
        return None
    return shrunk_builtin(picked.name) if picked.name in BUILTIN_IMAGES else shrunk(picked.rgb)


def shrunk(rgb: np.ndarray) -> np.ndarray:
    gray = to_gray(rgb)
    scale = INPUT_SIDE / max(gray.shape)
    if scale < 1:
        gray = area_resize(gray, max(1, round(gray.shape[0] * scale)), max(1, round(gray.shape[1] * scale)))
    return gray


@st.cache_data(max_entries=8, show_spinner=False)
def shrunk_builtin(name: str) -> np.ndarray:
    return shrunk(BUILTIN_IMAGES[name].load())


def _square(bounds, colour: str, width: float, dash: str = "solid", fill: str | None = None) -> dict:
    top, left, bottom, right = bounds
    return dict(type="rect", x0=left - 0.5, x1=right + 0.5, y0=top - 0.5, y1=bottom + 0.5,
                line=dict(color=colour, width=width, dash=dash), fillcolor=fill or "rgba(0,0,0,0)")


def _shapes_or_error(layers: list[dict], gray: np.ndarray):
    try:
        return output_shapes(layers, *gray.shape)
    except StackError as error:
        st.error(t("depth.too_small", layer=error.layer, h=gray.shape[0], w=gray.shape[1]), icon="📐")
        return None


@part_intro("depth.tube.intro")
def part_tube() -> None:
    layers = stack_controls(expanded=False)
    controls, _ = st.columns([1, 2], gap="medium")
    with controls:
        gray = network_input()
    if gray is None:
        return
    shapes = _shapes_or_error(layers, gray)
    if shapes is None:
        return
    # the unit looked at reruns alone: the stack's controls and the picture's picker above are not sent again
    drawn_alone(DEPTH, lambda: tube_view(layers, gray, shapes), "depth: tube, the unit looked at")


def tube_view(layers: list[dict], gray: np.ndarray, shapes: list[tuple[int, int]]) -> None:
    """The unit looked at (a layer, a row and a column) and its field on the picture, with the first layer's fields
    inside it."""
    fields = receptive_fields(layers)
    controls, view = st.columns([1, 2], gap="medium")
    with controls:
        level = url_slider(t("depth.tube.layer"), key="depth_level", name="layer", min_value=1,
                           max_value=len(layers), default=len(layers))
        h, w = shapes[level - 1]
        ci, cj = centre_unit((h, w))
        with more_controls():
            i = url_slider(t("depth.tube.row"), key="depth_i", name="i", min_value=0, max_value=h - 1, default=ci)
            j = url_slider(t("depth.tube.col"), key="depth_j", name="j", min_value=0, max_value=w - 1, default=cj)
    entry = fields[level - 1]
    bounds = field_bounds(entry, i, j, gray.shape)
    small = units_inside(fields[0], bounds, shapes[0])
    tube_fig = image_figure(gray, t("depth.tube.title", layer=level, size=entry["size"]), kind="gray", height=440,
                            colorbar=False)
    stride = max(1, fields[0]["size"])  # one tube in every `size` units: the views side by side, not all overlapping
    shown = [(a, b) for a, b in small if a % stride == small[0][0] % stride and b % stride == small[0][1] % stride]
    tube_fig.layout.shapes = [_square(field_bounds(fields[0], a, b, gray.shape), LAYER_COLOURS[0], 1.2,
                                      fill="rgba(245,158,11,0.10)") for a, b in shown] + \
        [_square(bounds, LAYER_COLOURS[(level - 1) % len(LAYER_COLOURS)], 3.5)]
    plot(view, tube_fig, key="depth_tube_fig")
    view.markdown(t("depth.tube.reading", layer=level, size=entry["size"], n=len(small), k=fields[0]["size"],
                    shown=len(shown), h=h, w=w))


@part_intro("depth.stack_part.intro")
def part_stack() -> None:
    layers = stack_controls(expanded=True)
    side = url_slider(t("depth.input_side"), key="depth_side", name="side", min_value=16, max_value=128,
                      default=64)
    gray = np.zeros((side, side))
    shapes = _shapes_or_error(layers, gray)
    if shapes is None:
        return
    fields = receptive_fields(layers)
    measured = measured_fields(tuple(format_layer(layer) for layer in layers), side)
    table = {t("depth.column.layer"): [str(n) for n in range(1, len(layers) + 1)],
             t("depth.column.kind"): [t("depth.kinds." + f["kind"]) for f in fields],
             t("depth.column.kernel"): [f"{f['kernel']}×{f['kernel']}" for f in fields],
             t("depth.column.stride"): [str(f["stride"]) for f in fields],
             t("depth.column.dilation"): [str(f["dilation"]) for f in fields],
             t("depth.column.output"): [f"{h} × {w}" for h, w in shapes],
             t("depth.column.field"): [f"{f['size']} × {f['size']}" for f in fields],
             t("depth.column.measured"): measured,
             t("depth.column.jump"): [str(f["jump"]) for f in fields]}
    st.table(table, border="horizontal")
    left, right = st.columns(2)
    squares = [_square(field_bounds(entry, *centre_unit(shape), side), LAYER_COLOURS[n % 8], 2.5)
               for n, (entry, shape) in enumerate(zip(fields, shapes, strict=True))]
    legend = [go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=LAYER_COLOURS[n % 8]),
                         name=t("depth.layer_n", n=n + 1)) for n in range(len(fields))]
    squares_fig = figure(data=legend, layout=dict(
        height=340, margin=dict(l=10, r=10, t=40, b=10), shapes=squares,
        title=dict(text=t("depth.stack_part.squares", side=side), font=dict(size=14)),
        xaxis=dict(range=[-0.5, side - 0.5], visible=False, constrain="domain"),
        yaxis=dict(range=[side - 0.5, -0.5], visible=False, scaleanchor="x"), plot_bgcolor="rgba(128,128,128,0.08)"))
    plot(left, squares_fig, key="depth_squares_fig")
    sizes = {t("depth.field_size"): [f["size"] for f in fields]}
    growth = lines_figure(list(range(1, len(fields) + 1)), sizes, t("depth.stack_part.growth"), t("depth.layer_axis"),
                          t("depth.pixels"), height=340)
    plot(right, growth, key="depth_growth_fig")
    st.markdown(t("depth.stack_part.why"))
    show_code(SNIPPET.read_text(), {"layers": [(f["kind"], f["kernel"], f["stride"], f["dilation"]) for f in fields],
                                    "side": side}, filename="receptive_field.py", key="depth_code")


@st.cache_data(max_entries=64, show_spinner=False)
def measured_fields(stack: tuple[str, ...], side: int) -> list[str]:
    """Each layer's field for its centre unit, measured by backprop on a ``side``×``side`` input (cached per stack:
    seven backward passes are the slow part of this page)."""
    layers = [{**parse_layer(text), "name": f"layer{n}"} for n, text in enumerate(stack, 1)]
    model = stack_to_model(layers)
    out = []
    for layer, (h, w) in zip(layers, output_shapes(layers, side, side), strict=True):
        top, left, bottom, right = receptive_field_of(model, layer["name"], (0, *centre_unit((h, w))), (1, side, side))
        out.append(f"{bottom - top + 1} × {right - left + 1}")
    return out


@part_intro("depth.features.intro")
def part_features() -> None:
    snap = session_job().snapshot()
    model = snap.model
    if model is None or not any(isinstance(m, torch.nn.Conv2d) for m in model.modules()):
        with st.spinner(t("cnn_trainer.inside.training")):
            model, accuracy = reference_network()  # before the student trains: the server's reference network
        dataset = shared_dataset("digits")
        st.caption(t("depth.features.reference", accuracy=f"{100 * accuracy:.1f}"))
        st.page_link("pages/cnn_trainer.py", label=t("depth.features.go"), icon="🧠")
    else:
        dataset = shared_dataset(st.session_state.get("cnn_trainer_data", "digits"))
    model = model.cpu().eval()
    index = st.slider(t("common.network.probe"), 0, len(dataset.y_test) - 1, 0, key="depth_probe")
    x = dataset.x_test[index:index + 1]
    try:
        maps = [(name, out[0].numpy()) for name, out in feature_maps(model, x) if name.endswith("_act")
                and out.dim() == 4]
    except RuntimeError:
        st.error(t("common.network.wrong_data"), icon="🧾")
        return
    fields = {f["name"]: f["size"] for f in receptive_fields(model_to_stack(model))}
    # the input and each block's maps as bands of one figure: one chart to mount afresh when the probe moves
    bands = [Band(x[0, 0].numpy(), t("depth.features.input"), 200, kind="gray")]
    for name, out in maps:
        block = name.split("_")[0]
        bands.append(Band(mosaic(out[:8]), t("depth.features.block", block=block, c=out.shape[0],
                                             size=fields.get(f"{block}_conv", 0)), 150))
    plot(st, bands_figure(bands, bands_width()), key="depth_features_fig")
    st.caption(t("depth.features.reading"))


def part_quiz() -> None:
    st.markdown(t("common.quiz.intro"))
    _, seed = quiz_controls("depth", ("field",), "depth.quiz.kind.")
    q = field_question(seed)
    names = [t("depth.quiz.layer", kind=t("depth.kinds." + parse_layer(s)["kind"]), k=parse_layer(s)["kernel"],
               s=parse_layer(s)["stride"], d=parse_layer(s)["dilation"]) for s in q.layers]
    st.markdown(t("depth.quiz.field", layers=" → ".join(names)))
    sizes = [f["size"] for f in receptive_fields([parse_layer(s) for s in q.layers])]
    check_answer(f"depth_guess_{seed}", q.answer, lambda guess: t(
        "depth.quiz.wrong", guess=f"{guess:g}", steps=" → ".join(map(str, sizes)), answer=q.answer))
