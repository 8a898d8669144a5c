"""The parts of the "fully-connected = 1×1 convolution" lesson (pages/fc_conv.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from core.fc_conv import (
    MIXES,
    bottleneck_counts,
    bottleneck_question,
    classifier_head,
    classifier_head_as_conv,
    compare,
    conv2d_valid,
    dense_on_flattened,
    example,
    flat_example,
    flatten_question,
    fuse_channels,
    linear_to_conv,
    param_counts,
    params_question,
)
from core.images import BUILTIN_IMAGES
from core.pooling import global_avg_pool
from ui.plots.grids import image_figure, kernel_figure
from ui.plots.panels import panels_figure
from ui.plots.show import plot
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import part_intro
from ui.shell.modes import more_controls, side_by_side
from ui.shell.terms import explained
from ui.shell.url_state import Choice, Number, url_choice, url_slider
from ui.widgets.code import SNIPPET_DIR, show_code
from ui.widgets.image_input import IMAGE_LINK, image_picker
from ui.widgets.quiz import check_answer, quiz_controls, quiz_link

SNIPPET = SNIPPET_DIR / "fc_conv.py.tmpl"


LINK = {"c": Number(1, 6, whole=True), "size": Number(1, 5, whole=True), "out": Number(1, 4, whole=True),
        "seed": Number(1, 99, whole=True), "i": Number(0, 4, whole=True), "j": Number(0, 4, whole=True),
        **IMAGE_LINK, "mix": Choice((*MIXES, "custom")), **{f"w{c}": Number(-2.0, 2.0) for c in "rgb"},
        "bc": Number(16, 512, whole=True), "bs": Number(4, 128, whole=True), "bk": Number(1, 7, whole=True),
        **quiz_link(("params", "flatten", "bottleneck"))}
"""What the fully-connected lesson's link may say."""


def example_controls() -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Channels, map size, outputs and the example's number, in the URL (shared by the first three parts)."""
    columns = st.columns(2)
    with columns[0]:
        channels = url_slider(t("fc_conv.channels"), key="fc_conv_c", name="c", min_value=1, max_value=6, default=3)
    with columns[1]:
        size = url_slider(t("fc_conv.size"), key="fc_conv_size", name="size", min_value=1, max_value=5, default=3)
    with more_controls():
        columns = st.columns(2)
        with columns[0]:
            outputs = url_slider(t("fc_conv.outputs"), key="fc_conv_out", name="out", min_value=1, max_value=4,
                                 default=2)
        with columns[1]:
            seed = url_slider(t("common.example_number"), key="fc_conv_seed", name="seed", min_value=1, max_value=99,
                              default=1)
    return (*example(channels, size, outputs, seed), seed)


def maps_row(maps: np.ndarray, title_key: str, key: str, more: Sequence[tuple[np.ndarray, str]] = (),
             height: int = 176) -> None:
    """One small numbered grid per channel, side by side (a third of the width at most each), then the grids in
    ``more`` (what the part computes from them): all one chart, so that a change redraws one figure, not several.
    With ``more``, three to a row: their titles are longer than a channel's."""
    panels = [(m, t(title_key, n=n)) for n, m in enumerate(maps)] + list(more)
    plot(st, panels_figure(panels, side_by_side(3 if more else max(len(maps), 3)), height), key=key)


@part_intro("fc_conv.position.intro")
def part_position() -> None:
    x, W, b, _ = example_controls()
    c, h, w = x.shape
    st.markdown(t("fc_conv.position.input", c=c, h=h, w=w))
    maps_row(x, "fc_conv.channel", "fc_conv_x",
             [(W, t("fc_conv.weights", out=len(W), c=c)), (b[:, None], t("fc_conv.bias"))])
    i = url_slider(t("fc_conv.row"), key="fc_conv_i", name="i", min_value=0, max_value=h - 1, default=0)
    j = url_slider(t("fc_conv.col"), key="fc_conv_j", name="j", min_value=0, max_value=w - 1, default=0)
    pixel = x[:, i, j]
    terms = " + ".join(f"({W[0, k]:g})·({pixel[k]:g})" for k in range(c))
    st.markdown(t("fc_conv.position.one", i=i, j=j, vector=", ".join(f"{v:g}" for v in pixel), terms=terms,
                  b=f"{b[0]:g}", y=f"{W[0] @ pixel + b[0]:g}"))
    result = compare(x, W, b)
    st.markdown(t("fc_conv.position.outputs"))
    titles = {"dense": "fc_conv.dense_out", "conv": "fc_conv.conv_out"}
    plot(st, panels_figure([(result[kind][o], t(title, o=o)) for o in range(len(W)) for kind, title in titles.items()],
                           side_by_side(2), 166), key="fc_conv_outputs")
    a, p = st.columns(2)
    a.metric(t("fc_conv.max_diff"), f"{result['max_abs_diff']:.3g}")
    p.metric(t("fc_conv.params"), f"{result['dense_params']} = {result['conv_params']}")
    st.markdown(t("fc_conv.position.why", c=c, out=len(W)))
    show_code(SNIPPET.read_text(), {"x": x.tolist(), "W": W.tolist(), "b": b.tolist()}, filename="fc_conv.py",
              key="fc_conv_code_position")


@part_intro("fc_conv.head.intro")
def part_head() -> None:
    x, W, b, _ = example_controls()
    c = x.shape[0]
    pooled = global_avg_pool(x)
    dense = classifier_head(x, W, b)
    conv = classifier_head_as_conv(x, W, b)[:, 0, 0]
    maps_row(x, "fc_conv.channel", "fc_conv_head",
             [(pooled[:, None], t("fc_conv.head.gap", c=c)), (dense[:, None], t("fc_conv.head.dense")),
              (conv[:, None], t("fc_conv.head.conv"))])
    st.markdown(t("fc_conv.head.pooled", values=", ".join(f"{v:.4g}" for v in pooled)))
    st.metric(t("fc_conv.max_diff"), f"{float(np.abs(dense - conv).max()):.3g}")
    st.markdown(t("fc_conv.head.why"))
    show_code(SNIPPET.read_text(), {"x": x.tolist(), "W": W.tolist(), "b": b.tolist()}, filename="fc_conv.py",
              key="fc_conv_code_head")


@part_intro("fc_conv.flatten.intro")
def part_flatten() -> None:
    x, W, b, seed = example_controls()
    c, h, w = x.shape
    W_flat = flat_example(c, h, len(W), seed)  # a dense layer on all C·H·W numbers
    kernel, bias = linear_to_conv(W_flat, b, (c, h, w))
    st.markdown(t("fc_conv.flatten.kernel", out=len(W), n=c * h * w, c=c, h=h, w=w))
    dense = dense_on_flattened(x, W_flat, b)
    conv = conv2d_valid(x, kernel, bias)[:, 0, 0]
    maps_row(kernel[0], "fc_conv.flatten.kernel_channel", "fc_conv_flat",
             [(dense[:, None], t("fc_conv.flatten.dense")), (conv[:, None], t("fc_conv.flatten.conv", h=h, w=w))])
    counts = param_counts(c * h * w, len(W))
    conv_count = param_counts(c, len(W), (h, w))["conv"]
    a, p = st.columns(2)
    a.metric(t("fc_conv.max_diff"), f"{float(np.abs(dense - conv).max()):.3g}")
    p.metric(t("fc_conv.params"), f"{counts['dense']} = {conv_count}")
    st.markdown(t("fc_conv.flatten.why", h=h, w=w))


@part_intro("fc_conv.fusion.intro")
def part_fusion() -> None:
    """A 1×1 convolution mixes channels: colour channels into one map with three weights, then the bottleneck that
    saves weights by mixing many channels down before a large kernel."""
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("fc_conv")
        mix = url_choice(st.selectbox, t("fc_conv.fusion.mix"), [*MIXES, "custom"], key="fc_conv_mix", name="mix",
                         default="luminance", format_func=translator("fc_conv.fusion.mixes."))
        if mix == "custom":
            weights = tuple(url_slider(t("fc_conv.fusion.weight", channel=t("fc_conv.fusion.rgb." + c)),
                                       key=f"fc_conv_w{c}", name=f"w{c}", min_value=-2.0, max_value=2.0,
                                       default=default, step=0.1) for c, default in zip("rgb", (1.0, 0.0, -1.0),
                                                                                          strict=True))
        else:
            weights = MIXES[mix]
    if picked is None:
        return
    rgb = picked.rgb[::2, ::2] if max(picked.rgb.shape[:2]) > 256 else picked.rgb
    fused = fuse_channels(rgb, weights)
    with view:
        columns = st.columns(4)
        for n, (column, c) in enumerate(zip(columns[:3], "rgb", strict=True)):
            plot(column, image_figure(rgb[..., n], t("fc_conv.fusion.channel", channel=t(
                "fc_conv.fusion.rgb." + c), w=f"{weights[n]:.3g}"), kind="gray", height=200, colorbar=False),
                key=f"fc_conv_fusion_{c}")
        plot(columns[3], kernel_figure(np.array([weights]), t("fc_conv.fusion.kernel"), height=200),
             key="fc_conv_fusion_kernel")
        plot(st, image_figure(fused, t("fc_conv.fusion.fused", h=fused.shape[0], w=fused.shape[1]),
                              height=360), key="fc_conv_fusion_out")
        terms = " + ".join(f"{w:.3g}·{c.upper()}" for w, c in zip(weights, "rgb", strict=True))
        st.markdown(t("fc_conv.fusion.formula", terms=terms))
    st.subheader(t("fc_conv.fusion.bottleneck_title"))
    explained(t("fc_conv.fusion.bottleneck_intro"))
    left, middle, right = st.columns(3)
    with left:
        channels = url_slider(t("fc_conv.fusion.channels"), key="fc_conv_bc", name="bc", min_value=16,
                              max_value=512, default=256)
    with middle:
        squeezed = url_slider(t("fc_conv.fusion.squeezed"), key="fc_conv_bs", name="bs", min_value=4,
                              max_value=128, default=64)
    with right:
        kernel = url_slider(t("fc_conv.fusion.k"), key="fc_conv_bk", name="bk", min_value=1, max_value=7, default=3)
    counts = bottleneck_counts(channels, squeezed, kernel)
    a, b, c = st.columns(3)
    a.metric(t("fc_conv.fusion.direct", c=channels, k=kernel), f"{counts['direct']:,}")
    b.metric(t("fc_conv.fusion.bottleneck", c=channels, s=squeezed, k=kernel), f"{counts['bottleneck']:,}")
    c.metric(t("fc_conv.fusion.saved"), f"{1 - counts['bottleneck'] / counts['direct']:.1%}")
    if picked.name in BUILTIN_IMAGES:  # an upload is not in the app's folder for the script to load
        show_code((SNIPPET_DIR / "fc_conv_fusion.py.tmpl").read_text(), {
            "image": picked.name, "step": 2 if rgb is not picked.rgb else 1,
            "weights": list(weights), "channels": channels, "squeezed": squeezed, "kernel": kernel},
            filename="fc_conv_fusion.py", key="fc_conv_code_fusion")


def part_quiz() -> None:
    st.markdown(t("common.quiz.intro"))
    kind, seed = quiz_controls("fc_conv", ("params", "flatten", "bottleneck"), "fc_conv.quiz.kind.")
    if kind == "bottleneck":
        q = bottleneck_question(seed)
        st.markdown(t("fc_conv.quiz.bottleneck", c=q.c, s=q.s, k=q.k))
        check_answer(f"fc_conv_guess_bottleneck_{seed}", q.answer, lambda guess: t(
            "fc_conv.quiz.wrong_bottleneck", guess=f"{guess:g}", c=q.c, s=q.s, k=q.k, down=q.c * q.s + q.s,
            middle=q.s * q.s * q.k * q.k + q.s, up=q.s * q.c + q.c, answer=f"{q.answer:,}"))
    elif kind == "params":
        q = params_question(seed)
        st.markdown(t("fc_conv.quiz.params", c_in=q.c_in, c_out=q.c_out, h=q.h, w=q.w))
        check_answer(f"fc_conv_guess_params_{seed}", q.answer, lambda guess: t(
            "fc_conv.quiz.wrong_params", guess=f"{guess:g}", c_in=q.c_in, c_out=q.c_out, answer=q.answer))
    else:
        q = flatten_question(seed)
        st.markdown(t("fc_conv.quiz.flatten", c=q.c, h=q.h, w=q.w, out=q.out))
        check_answer(f"fc_conv_guess_flatten_{seed}", q.answer, lambda guess: t(
            "fc_conv.quiz.wrong_flatten", guess=f"{guess:g}", c=q.c, h=q.h, w=q.w, out=q.out, answer=q.answer))
