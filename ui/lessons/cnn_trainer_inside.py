"""The trainer's last part: a trained CNN end to end for one test digit, as the primer's "typical CNN" (0x03 2):
every stage's maps and shape (each linked to its lesson), the first layer's learned kernels beside the nearest
hand-made ones, and the classifier head that maps the features to the ten labels (0x04 8)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from core.conv import KERNELS
from core.images import mosaic
from core.reference import head, head_layer, nearest_kernels, stage_names, stages
from ui.jobs.reference import reference_network
from ui.jobs.training_job import session_job, shared_dataset
from ui.plots.charts import bar_props, figure
from ui.plots.grids import SIGNED_SCALE, kernel_figure
from ui.plots.panels import BANDS_WIDTH_PX, PANEL_TITLE_PX, SHARED_AXIS, Band, bands_figure, bands_width, place_panel
from ui.plots.show import plot
from ui.shell.i18n import t
from ui.shell.lesson_frame import drawn_alone, part_intro
from ui.shell.registry import CNN_TRAINER, by_name
from ui.shell.terms import explained
from ui.shell.url_state import Number, url_slider

INSIDE_LINK = {"probe": Number(0, 359, whole=True)}
"""What the inside view reads from a link: the test digit (the digits have 360)."""
KERNELS_SHOWN = 8
LINKS_PER_ROW = 3


def network_to_show():
    """The student's trained CNN when there is one for the digits (its session's), else the reference network:
    ``(model, dataset, caption key, accuracy or None)``."""
    snap = session_job().snapshot()
    model = snap.model
    if model is not None and any(isinstance(m, torch.nn.Conv2d) for m in model.modules()) \
            and st.session_state.get("cnn_trainer_data", "digits") == "digits":
        return model.cpu().eval(), shared_dataset("digits"), "cnn_trainer.inside.yours", None
    with st.spinner(t("cnn_trainer.inside.training")):
        model, accuracy = reference_network()
    return model, shared_dataset("digits"), "cnn_trainer.inside.reference", accuracy


def stage_band(output: np.ndarray, title: str) -> Band:
    """Maps ``(C, H, W)`` as a mosaic of the first eight; a long vector as one strip of colours; a short one (16
    numbers at most) as a strip of cells with their numbers."""
    if output.ndim == 3:
        return Band(mosaic(output[:8]), title, 150)
    if output.size > 16:  # too many cells to write their numbers: a strip of colours
        return Band(output[None], title, 48, square=False)
    return Band(output[None], title, 64, numbers=True, square=False)


def shape_text(array) -> str:
    """An array's shape as the page writes it: ``8×14×14``."""
    return "×".join(map(str, array.shape))


HEAD_BARS_PX, HEAD_TICKS_PX = 190, 26
"""The height of the head's bar charts, and the room below each for its labels."""


def head_figure(features: np.ndarray, scores: np.ndarray, probabilities: np.ndarray, classes,
                titles: tuple[str, str, str], width_px: float) -> dict:
    """The classifier head at work on one digit, in one figure: the features flowing in across the top (a strip,
    as ``stage_band`` draws a stage), then the scores coming out and the probabilities the softmax makes of them,
    one bar per label with its value written on it: side by side, one above the other on a phone's column
    (``width_px`` as ``bands_width``). ``titles``: the features', the scores' and the probabilities'.

    One chart rather than three: two elements fewer for the browser to render at every move of the probe's slider
    (plotly.js's own drawing costs about the same either way: 21-32 ms for this one against about 29 for the three,
    Chromium, ``Plotly.react``), and the scores beside what the softmax makes of them. Written as the dict plotly.js
    reads."""
    strip = bands_figure([stage_band(np.asarray(features), titles[0])], width_px)
    strip_px = strip["layout"]["height"]
    stacked = width_px < BANDS_WIDTH_PX / 2
    row_px = PANEL_TITLE_PX + HEAD_BARS_PX + HEAD_TICKS_PX
    height = strip_px + row_px * (2 if stacked else 1)
    layout = dict(strip["layout"], height=height, showlegend=False)
    layout["yaxis"] = dict(layout["yaxis"], domain=[1 - strip_px / height, 1.0])
    traces, annotations = list(strip["data"]), list(layout["annotations"])
    for n, (values, title, percent) in enumerate(((scores, titles[1], False), (probabilities, titles[2], True)),
                                                 start=1):
        row, column = (n - 1, 0) if stacked else (0, n - 1)
        x_domain = [0.0, 1.0] if stacked else [0.0, 0.47] if column == 0 else [0.53, 1.0]
        top_px = strip_px + row * row_px + PANEL_TITLE_PX
        y_domain = [1 - (top_px + HEAD_BARS_PX) / height, 1 - top_px / height]
        y_axis = dict(SHARED_AXIS, zeroline=True, **(dict(range=[0, 1.05]) if percent else {}))
        place = place_panel(layout, annotations, n, title, x_domain, y_domain,
                            dict(type="category", fixedrange=True, automargin=False), y_axis)
        traces.append(dict(type="bar", **bar_props(classes, values, percent), **place))
    layout["annotations"] = annotations
    return {"data": traces, "layout": layout}


@part_intro("cnn_trainer.inside.intro")
def part_inside() -> None:
    model, dataset, which, accuracy = network_to_show()
    st.caption(t(which, accuracy=f"{100 * accuracy:.1f}" if accuracy is not None else ""))
    st.subheader(t("cnn_trainer.inside.pipeline"))
    stage_links(model)
    # the probe's slider reruns what depends on the probe alone: the links above, the classifier's weights and the
    # kernels below stay as they are
    drawn_alone(CNN_TRAINER, lambda: probe_view(model, dataset), "cnn_trainer: inside, one test image")
    head_weights(model, dataset)
    learned_kernels(model)


def stage_links(model) -> None:
    """Each stage's lesson, in the order of the stages drawn below, three to a row (read from the layers: no image
    runs through the network for them)."""
    every = stage_names(model)
    for row in range(0, len(every), LINKS_PER_ROW):
        for cell, (name, kind, lesson_name) in zip(st.columns(LINKS_PER_ROW), every[row:row + LINKS_PER_ROW],
                                                   strict=False):
            lesson = by_name(lesson_name)
            cell.page_link(lesson.script, label=f"{name} · {kind}", icon=lesson.icon)


def probe_view(model, dataset) -> None:
    """One test image (the probe) through the network: every stage's output, then the classifier head's scores."""
    index = url_slider(t("common.network.probe"), key="cnn_trainer_inside_probe", name="probe", min_value=0,
                       max_value=len(dataset.y_test) - 1, default=0)
    x = dataset.x_test[index:index + 1]
    st.markdown(t("cnn_trainer.inside.input", label=dataset.classes[int(dataset.y_test[index])]))
    every = stages(model, x)
    *layers, _ = every  # the last stage, the softmax's probabilities, is drawn with the head (``head_figure``)
    # every stage in one figure: a chart per stage made each move of the slider mount sixteen charts afresh
    bands = [stage_band(x[0].numpy(), shape_text(x[0])),
             *(stage_band(s.output, f"{s.name} · {s.kind}: {shape_text(s.output)}") for s in layers)]
    plot(st, bands_figure(bands, bands_width()), key="cnn_trainer_inside_stages")
    classifier_head(model, x, dataset.classes, every)


def learned_kernels(model) -> None:
    """The first convolution's kernels (input channel 0), each with the hand-made kernel whose pattern it is closest
    to and their cosine similarity."""
    st.subheader(t("cnn_trainer.inside.kernels"))
    explained(t("cnn_trainer.inside.kernels_intro"))
    first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    learned = first.weight.detach().cpu().numpy()[:KERNELS_SHOWN, 0]
    handmade = {name: k.weights for name, k in KERNELS.items()}
    for row in range(0, len(learned), 4):
        for column, n in zip(st.columns(4), range(row, min(row + 4, len(learned))), strict=False):
            name, similarity = nearest_kernels(learned[n:n + 1], handmade)[0]
            plot(column, kernel_figure(learned[n], t("cnn_trainer.inside.learned", n=n), height=170),
                 key=f"cnn_trainer_inside_kernel_{n}")
            plot(column, kernel_figure(np.sign(similarity) * handmade[name], t(
                "cnn_trainer.inside.nearest", name=t("kernel.name." + name), sign="−" if similarity < 0 else "",
                cos=f"{abs(similarity):.2f}"), height=170), key=f"cnn_trainer_inside_nearest_{n}")


def classifier_head(model, x, classes, seen) -> None:
    """The last dense layer at work on the probe: the digit's features flowing in, the scores coming out and the
    probabilities the softmax makes of them, the network's last stage (its weights are drawn once below the probe's
    view, ``head_weights``), read from the probe's stages ``seen``."""
    st.subheader(t("cnn_trainer.inside.head"))
    got = head(model, x, seen)
    explained(t("cnn_trainer.inside.head_intro", features=len(got.features), classes=len(classes)))
    last = seen[-1]
    plot(st, head_figure(got.features, got.logits, got.probabilities, classes, (
        t("cnn_trainer.inside.features", n=len(got.features)), t("cnn_trainer.inside.scores"),
        f"{last.name} · {last.kind}: {shape_text(last.output)}"), bands_width()), key="cnn_trainer_inside_head")
    best = int(np.argmax(got.logits))
    st.markdown(t("cnn_trainer.inside.reading", label=classes[best], score=f"{got.logits[best]:.3g}",
                  probability=f"{100 * got.probabilities[best]:.1f}"))


def head_weights(model, dataset) -> None:
    """The last dense layer as a map from the features to the labels: its weights, a row per class. The same for
    every probe: outside the probe's fragment, so its slider neither builds nor sends it again."""
    weights, classes = head_layer(model)[1].weight.detach().cpu().numpy(), dataset.classes
    limit = float(np.abs(weights).max()) or 1.0
    plot(st, figure(go.Heatmap(z=weights.astype(np.float32), y=[str(c) for c in classes], colorscale=SIGNED_SCALE,
                               zmid=0, zmin=-limit, zmax=limit, showscale=False,
                               hovertemplate="%{y} ← %{x}: %{z:.3f}<extra></extra>"),
                    layout=dict(height=300, margin=dict(l=0, r=0, t=34, b=0), title=dict(
                        text=t("cnn_trainer.inside.weights", classes=len(classes), features=weights.shape[1]),
                        font=dict(size=14)), yaxis=dict(type="category", autorange="reversed"))),
         key="cnn_trainer_inside_head_weights")
