"""The activation lesson (pages/activations.py): its link, and the parts that draw functions, a neuron and stacked
layers; the parts that train networks are in ``ui.lessons.activations_training``. Each reads its controls, calls core,
draws."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.activations import ACTIVATIONS
from core.collapse import depth_collapse
from core.conv import conv2d
from core.curve_fit import CURVE_TARGETS
from core.images import to_gray
from core.neuron import decision_line
from core.numbers import format_number
from core.questions.activations import collapse_question, neuron_question, vanishing_question
from core.torch_reference import torch_activation
from core.vanishing import INITS
from ui.lessons.activations_figures import Curve, curves_figure, plane_figure
from ui.lessons.activations_training import (
    COLOUR,
    FIT_STEPS,
    LEARNING_RATES,
    NAMES,
    OWN,
    WIDTHS,
    activation_select,
    part_fit,
    part_vanishing,
    part_why_relu,
)
from ui.plots.grids import image_figure
from ui.plots.show import plot
from ui.shell import registry
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import drawn_alone, part_intro
from ui.shell.modes import more_controls, more_details
from ui.shell.terms import explained
from ui.shell.theme import palette
from ui.shell.url_state import Choice, Flag, Many, Number, url_multi, url_slider, url_toggle
from ui.widgets.code import SNIPPET_DIR, show_code
from ui.widgets.image_input import IMAGE_LINK, image_picker
from ui.widgets.kernel_editor import KERNEL_LINK, kernel_picker
from ui.widgets.quiz import check_answer, quiz_controls, quiz_link

__all__ = ["LINK", "part_collapse", "part_feature", "part_fit", "part_gallery", "part_neuron", "part_quiz",
           "part_vanishing", "part_why_relu"]  # the lesson's parts, for the registry

LINK = {**IMAGE_LINK, **KERNEL_LINK, **quiz_link(("neuron", "collapse", "vanishing")),
        "act": Choice(NAMES), "acts": Many(NAMES), "range": Number(1.0, 20.0), "slopes": Flag(),
        "w": Number(-5.0, 5.0), "b": Number(-5.0, 5.0), "w1": Number(-5.0, 5.0), "w2": Number(-5.0, 5.0),
        "b2": Number(-5.0, 5.0), "depth": Number(1, 10, whole=True), "width": Number(1, 8, whole=True),
        "scale": Number(0.1, 4.0), "seed": Number(0, 99, whole=True), "target": Choice([*CURVE_TARGETS, OWN]),
        "noise": Number(0.0, 0.5), "layers": Number(1, 4, whole=True), "fwidth": Choice(WIDTHS),
        "steps": Choice(FIT_STEPS), "lr": Choice(LEARNING_RATES), "fseed": Number(0, 99, whole=True),
        "vdepth": Number(2, 30, whole=True), "vacts": Many(NAMES[1:]), "init": Choice(INITS)}
"""What the activations lesson's link may say."""


GALLERY_POINTS = 401
"""Points along each curve of the gallery: odd, so that x = 0 is one of them (ReLU's kink); about one every 2 px of a
laptop's plot (801 drew nothing more, at twice the data to send and draw)."""


@part_intro("activations.gallery.intro")
def part_gallery() -> None:
    names = url_multi(t("activations.gallery.pick"), NAMES, key="activations_pick", name="acts", default=["sigmoid",
                                                                                                          "tanh",
                                                                                                          "relu"],
                      format_func=translator("common.activation."))
    # the range and the slopes rerun the plot alone: the formulas and the table below stay as they are
    drawn_alone(registry.ACTIVATIONS, lambda: gallery_plot(names), "activations: gallery, the plot")
    if not names:
        return
    for name in names:
        label, formula, slope = st.columns([1, 3, 3], vertical_alignment="center")
        label.markdown(f"**{t('common.activation.' + name)}**")
        formula.latex(ACTIVATIONS[name].latex)
        slope.latex(ACTIVATIONS[name].grad_latex)
    st.subheader(t("activations.table.title"))
    # a grid, not st.table: on a phone it scrolls sideways instead of wrapping the Chinese one character a line
    st.dataframe(comparison_table(), hide_index=True)
    st.caption(t("activations.table.caption"))
    st.markdown(f"**{t('activations.table.col.use')}**")
    st.markdown(typical_uses())


def gallery_plot(names: list[str]) -> None:
    """The chosen activations (and their slopes) over ±range, how far they are from torch's, and the code."""
    left, right = st.columns(2, gap="large")
    with left:
        r = url_slider(t("activations.gallery.range"), key="activations_range", name="range", min_value=1.0,
                       max_value=20.0,
                       default=5.0, step=0.5)
    with right, more_controls():
        slopes = url_toggle(t("activations.gallery.slopes"), key="activations_slopes", name="slopes", default=True)
    if not names:
        st.info(t("activations.gallery.none"), icon="👆")
        return
    x = np.linspace(-r, r, GALLERY_POINTS)
    curves = []
    for name in names:
        act, label = ACTIVATIONS[name], t("common.activation." + name)
        curves.append(Curve(label, act.fn(x), COLOUR[name], group=name))
        if slopes:
            curves.append(Curve(t("activations.gallery.slope_of", name=label), act.grad(x), COLOUR[name], dash="dot",
                                width=2, group=name))
    plot(st, curves_figure(x, curves,
                           title=t("activations.gallery.title" if slopes else "activations.gallery.title_plain"),
                           x_title="x",
                           y_title=t("activations.gallery.y_slopes" if slopes else "activations.gallery.y")),
         key="activations_gallery_fig")
    if slopes:
        st.caption(t("activations.gallery.slope_legend"))
    diff = max(max(float(np.abs(ACTIVATIONS[name].fn(x) - ref_f).max()),
                   float(np.abs(ACTIVATIONS[name].grad(x) - ref_g).max()))
               for name in names for ref_f, ref_g in [torch_activation(name, x)])
    with more_details():
        st.metric(t("activations.gallery.diff"), f"{diff:.1e}", help=t("activations.gallery.diff_help", n=x.size))
    show_code((SNIPPET_DIR / "activations_gallery.py.tmpl").read_text(),
              {"names": list(names), "r": r, "n": GALLERY_POINTS}, filename="activations.py",
              key="activations_gallery_code")


def affine_text(weights: list[tuple[float, str]], b: float) -> str:
    """``1·x₁ − 2·x₂ + 0.5``: the weighted sum as a student would write it."""
    text = ""
    for n, (w, symbol) in enumerate(weights):
        sign = ("−" if w < 0 else "") if n == 0 else (" − " if w < 0 else " + ")
        text += f"{sign}{abs(w):g}·{symbol}"
    return text + (f" − {abs(b):g}" if b < 0 else f" + {b:g}")


def comparison_table() -> dict[str, list]:
    yes, no = t("activations.table.yes"), t("activations.table.no")
    rows = [(t("common.activation." + name), t("activations.table.range_value", lo=format_number(a.output_range[0]),
                                              hi=format_number(a.output_range[1])),
             yes if a.zero_centred else no, t("activations.table.saturates." + a.saturates), f"{a.max_slope:.4g}",
             t("activations.table.cost." + a.cost)) for name, a in ACTIVATIONS.items()]
    columns = ("name", "range", "centred", "saturates", "slope", "cost")
    header = [t("activations.table.col." + column) for column in columns]
    return {column: [row[n] for row in rows] for n, column in enumerate(header)}


def typical_uses() -> str:
    """One line per activation: where it is used (a list reads better than a wide table column on a phone)."""
    return "\n".join(f"- **{t('common.activation.' + name)}**: {t('activations.use.' + name)}" for name in ACTIVATIONS)


@part_intro("activations.neuron.intro")
def part_neuron() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        name = activation_select("activations_fn", "sigmoid")
        w = url_slider("w", key="activations_w", name="w", min_value=-5.0, max_value=5.0, default=1.0, step=0.1)
        b = url_slider("b", key="activations_b", name="b", min_value=-5.0, max_value=5.0, default=0.0, step=0.1)
    act, label = ACTIVATIONS[name], t("common.activation." + name)
    x = np.linspace(-6.0, 6.0, 601)
    y = act.fn(w * x + b)
    x0 = -b / w + 0.0 if w != 0 else None  # + 0.0: no "−0"
    marks = [(x0, t("activations.neuron.switch"))] if x0 is not None and abs(x0) <= 6 else []
    with view:
        plot(st, curves_figure(x, [Curve(t("activations.neuron.output", name=label), y, COLOUR[name]),
                                   Curve(t("activations.neuron.reference", name=label), act.fn(x), "#9ca3af",
                                         dash="dot", width=2)],
                               title=t("activations.neuron.title", z=affine_text([(w, "x")], b)), x_title="x",
                               y_title="y", height=360, vlines=marks),
                               key="activations_neuron_fig")
        if marks:
            st.markdown(t("activations.neuron.explain", w=f"{w:g}", b=f"{b:g}", x0=f"{x0:.3g}"))
        else:
            st.markdown(t("activations.neuron.flat" if w == 0 else "activations.neuron.off_screen", b=f"{b:g}",
                          y=f"{float(act.fn(np.float64(b))):.4g}"))
    st.subheader(t("activations.plane.title"))
    explained(t("activations.plane.intro"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        w1 = url_slider("w₁", key="activations_w1", name="w1", min_value=-5.0, max_value=5.0, default=1.0, step=0.1)
        w2 = url_slider("w₂", key="activations_w2", name="w2", min_value=-5.0, max_value=5.0, default=-1.0, step=0.1)
        b2 = url_slider("b", key="activations_b2", name="b2", min_value=-5.0, max_value=5.0, default=0.5, step=0.1)
    axis = np.linspace(-3.0, 3.0, 121)
    z = act.fn(w1 * axis[None, :] + w2 * axis[:, None] + b2)
    lo, hi = act.output_range
    zrange = (float(z.min()), float(z.max())) if not (np.isfinite(lo) and np.isfinite(hi)) else (lo, hi)
    if zrange[0] == zrange[1]:
        zrange = (zrange[0] - 1, zrange[1] + 1)
    segment = decision_line(w1, w2, b2, -3.0, 3.0)
    with view:
        plot(st, plane_figure(axis, z, segment, title=t("activations.plane.figure", name=label,
                                                             z=affine_text([(w1, "x₁"), (w2, "x₂")], b2)),
                              boundary_label=t("activations.plane.boundary"), signed=bool(z.min() < 0 < z.max()),
                              zrange=zrange), key="activations_plane_fig")
        st.markdown(t("activations.plane.explain") if segment else t("activations.plane.no_line"))
    show_code((SNIPPET_DIR / "activations_neuron.py.tmpl").read_text(), {"name": name, "w": w, "b": b},
              filename="neuron.py", key="activations_neuron_code")


@part_intro("activations.collapse.intro")
def part_collapse() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        depth = url_slider(t("activations.collapse.depth"), key="activations_depth", name="depth", min_value=1,
                           max_value=10,
                           default=4)
        width = url_slider(t("activations.collapse.width"), key="activations_width", name="width", min_value=1,
                           max_value=8,
                           default=3)
        name = activation_select("activations_cfn", "identity", "activations.collapse.between")
        with more_controls():
            scale = url_slider(t("activations.collapse.scale"), key="activations_scale", name="scale", min_value=0.1,
                               max_value=4.0, default=2.0, step=0.1, help=t("activations.collapse.scale_help"))
            seed = url_slider(t("activations.seed"), key="activations_seed", name="seed", min_value=0, max_value=99,
                              default=0)
    x = np.linspace(-3.0, 3.0, 301)
    c = depth_collapse(depth, width, seed, name, x, scale)
    shape = " → ".join(["1", *[str(width)] * (depth - 1), "1"])
    pal = palette()
    with view:
        curves = [Curve(t("activations.collapse.stack", depth=depth), c.stack, COLOUR[name], width=4),
                  Curve(t("activations.collapse.composed"), c.composed, pal.text, dash="dash", width=2),
                  Curve(t("activations.collapse.best"), c.best_line, pal.highlight, dash="dot", width=2)]
        plot(st, curves_figure(x, curves, title=t("activations.collapse.title", shape=shape), x_title="x",
                               y_title="y", height=380), key="activations_collapse_fig")
        top, bottom = st.columns(2), st.columns(2)
        top[0].metric(t("activations.collapse.W"), f"{c.W:.6g}")
        top[1].metric(t("activations.collapse.b"), f"{c.b:.6g}")
        bottom[0].metric(t("activations.collapse.gap_composed"), f"{c.gap_composed:.1e}")
        bottom[1].metric(t("activations.collapse.gap_line"), f"{c.gap_line:.1e}")
        params = sum(W.size + b.size for W, b in c.layers)
        if name == "identity":
            st.success(t("activations.collapse.collapsed", depth=depth, params=params, W=f"{c.W:.6g}", b=f"{c.b:.6g}"),
                       icon="📏")
        else:
            st.info(t("activations.collapse.bent", name=t("common.activation." + name), gap=f"{c.gap_line:.3g}"),
                    icon="〰️")
    show_code((SNIPPET_DIR / "activations_collapse.py.tmpl").read_text(),
              {"depth": depth, "width": width, "seed": seed, "name": name, "scale": scale}, filename="collapse.py",
              key="activations_collapse_code")


@part_intro("activations.feature.intro")
def part_feature() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("activations", default="shapes")
        w = kernel_picker("activations")
        name = activation_select("activations_mfn", "relu")
    if picked is None or w is None:
        return
    x = to_gray(picked.rgb)
    feature = conv2d(x, w, padding="same")
    after = ACTIVATIONS[name].fn(feature)
    negative, positive = float((feature < 0).mean()), float((feature > 0).mean())
    with view:
        columns = st.columns(3)
        for column, (title, z, kind) in zip(columns, [(t("activations.feature.input"), x, "gray"),
                                                      (t("activations.feature.map"), feature, "signed"),
                                                      (t("activations.feature.after",
                                                         name=t("common.activation." + name)), after,
                                                       "auto")], strict=True):
            plot(column, image_figure(z, title, kind=kind, height=260, colorbar=False))
        st.markdown(t("activations.feature.numbers", negative=f"{100 * negative:.0f}", positive=f"{100 * positive:.0f}",
                      name=t("common.activation." + name),
                      lo=f"{float(after.min()):.3g}", hi=f"{float(after.max()):.3g}",
                      zeros=f"{100 * float((after == 0).mean()):.0f}"))
        st.caption(t("activations.feature.why"))


def part_quiz() -> None:
    st.markdown(t("common.quiz.intro"))
    kind, seed = quiz_controls("activations", ("neuron", "collapse", "vanishing"), "activations.quiz.kind.")
    if kind == "neuron":
        q = neuron_question(seed)
        label = t("common.activation." + q.activation)
        st.markdown(t("activations.quiz.neuron", name=label, w=q.w, x=q.x, b=q.b))
        z = sum(wi * xi for wi, xi in zip(q.w, q.x, strict=True)) + q.b
        check_answer(f"activations_guess_neuron_{seed}", q.answer, lambda guess: t(
            "activations.quiz.wrong_neuron", guess=f"{guess:g}", z=z, name=label, answer=f"{q.answer:g}"),
            integer=False)
    elif kind == "collapse":
        q = collapse_question(seed)
        st.markdown(t("activations.quiz.collapse", w1=q.w1, b1=q.b1, w2=q.w2, b2=q.b2))
        explain = t("activations.quiz.collapse_how", w1=q.w1, b1=q.b1, w2=q.w2, b2=q.b2, W=f"{q.answer_w:g}",
                    b=f"{q.answer_b:g}")
        st.markdown(t("activations.quiz.collapse_W"))
        check_answer(f"activations_guess_W_{seed}", q.answer_w, lambda guess: explain)
        st.markdown(t("activations.quiz.collapse_b"))
        check_answer(f"activations_guess_b_{seed}", q.answer_b, lambda guess: explain)
    else:
        q = vanishing_question(seed)
        st.markdown(t("activations.quiz.vanishing", depth=q.depth))
        check_answer(f"activations_guess_vanish_{seed}", q.answer, lambda guess: t(
            "activations.quiz.wrong_vanishing", guess=f"{guess:g}", depth=q.depth, answer=f"{q.answer:g}"),
            rel_tol=1e-3, integer=False)
