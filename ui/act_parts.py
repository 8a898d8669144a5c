"""The parts of the activation lesson (pages/activations.py): each reads its controls, calls core, draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from core.act_quiz import collapse_question, neuron_question, vanishing_question
from core.activations import (
    ACTIVATIONS,
    CURVE_TARGETS,
    PointsError,
    decision_line,
    fit_curve,
    gradient_through_depth,
    parse_points,
    target_points,
)
from core.collapse import depth_collapse, line_gap
from core.conv import conv2d
from core.images import to_gray
from core.torch_reference import torch_activation
from ui.act_figures import SERIES_COLOURS, Curve, curves_figure, fit_figure, plane_figure
from ui.code import show_code
from ui.conv_figures import image_figure
from ui.figures import log_lines_figure
from ui.i18n import t, translator
from ui.image_input import image_picker
from ui.kernel_editor import kernel_picker
from ui.quiz import check_answer, quiz_controls
from ui.theme import palette
from ui.url_state import url_choice, url_multi, url_slider, url_toggle

NAMES = tuple(ACTIVATIONS)
COLOUR = dict(zip(NAMES, SERIES_COLOURS, strict=True))
CHART = {"displayModeBar": False}
SNIPPETS = Path(__file__).resolve().parent.parent / "assets" / "snippets"
OWN = "own"
DEFAULT_POINTS = "-3, 0.2\n-2, 1.1\n-1, 0.4\n0, -0.8\n1, 0.3\n2, 1.4\n3, 0.1"
WIDTHS = (2, 4, 8, 16, 32, 64)
FIT_STEPS = (100, 200, 400, 600, 1000, 2000)
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
INITS = ("xavier", "kaiming", "torch")


def activation_select(key: str, default: str, label_key: str = "act.pick_one") -> str:
    return url_choice(st.selectbox, t(label_key), NAMES, key=key, name="act", default=default,
                      format_func=translator("act.name."))


def fmt(v: float) -> str:
    return "∞" if v == np.inf else "−∞" if v == -np.inf else f"{v:.4g}".replace("-", "−")


def part_gallery() -> None:
    st.markdown(t("act.gallery.intro"))
    names = url_multi(t("act.gallery.pick"), NAMES, key="act_pick", name="acts", default=["sigmoid", "tanh", "relu"],
                      format_func=translator("act.name."))
    left, right = st.columns(2, gap="large")
    with left:
        r = url_slider(t("act.gallery.range"), key="act_range", name="range", min_value=1.0, max_value=20.0,
                       default=5.0, step=0.5)
    with right:
        slopes = url_toggle(t("act.gallery.slopes"), key="act_slopes", name="slopes", default=True)
    if not names:
        st.info(t("act.gallery.none"), icon="👆")
        return
    x = np.linspace(-r, r, 801)
    curves = []
    for name in names:
        act, label = ACTIVATIONS[name], t("act.name." + name)
        curves.append(Curve(label, act.fn(x), COLOUR[name], group=name))
        if slopes:
            curves.append(Curve(t("act.gallery.slope_of", name=label), act.grad(x), COLOUR[name], dash="dot",
                                width=2, group=name))
    st.plotly_chart(curves_figure(x, curves, title=t("act.gallery.title" if slopes else "act.gallery.title_plain"),
                                  x_title="x", y_title=t("act.gallery.y_slopes" if slopes else "act.gallery.y")),
                    config=CHART, key="act_gallery_fig")
    if slopes:
        st.caption(t("act.gallery.slope_legend"))
    for name in names:
        label, formula, slope = st.columns([1, 3, 3], vertical_alignment="center")
        label.markdown(f"**{t('act.name.' + name)}**")
        formula.latex(ACTIVATIONS[name].latex)
        slope.latex(ACTIVATIONS[name].grad_latex)
    diff = max(max(float(np.abs(ACTIVATIONS[name].fn(x) - ref_f).max()),
                   float(np.abs(ACTIVATIONS[name].grad(x) - ref_g).max()))
               for name in names for ref_f, ref_g in [torch_activation(name, x)])
    st.metric(t("act.gallery.diff"), f"{diff:.1e}", help=t("act.gallery.diff_help", n=x.size))
    st.subheader(t("act.table.title"))
    # a grid, not st.table: on a phone it scrolls sideways instead of wrapping the Chinese one character a line
    st.dataframe(comparison_table(), hide_index=True)
    st.caption(t("act.table.caption"))
    st.markdown(f"**{t('act.table.col.use')}**")
    st.markdown(typical_uses())
    show_code((SNIPPETS / "activations_gallery.py.tmpl").read_text(), {"names": list(names), "r": r},
              filename="activations.py", key="act_gallery_code")


def affine_text(weights: list[tuple[float, str]], b: float) -> str:
    """``1·x₁ − 2·x₂ + 0.5``: the weighted sum as a student would write it."""
    text = ""
    for n, (w, symbol) in enumerate(weights):
        sign = ("−" if w < 0 else "") if n == 0 else (" − " if w < 0 else " + ")
        text += f"{sign}{abs(w):g}·{symbol}"
    return text + (f" − {abs(b):g}" if b < 0 else f" + {b:g}")


def comparison_table() -> dict[str, list]:
    yes, no = t("act.table.yes"), t("act.table.no")
    rows = [(t("act.name." + name), t("act.table.range_value", lo=fmt(a.output_range[0]), hi=fmt(a.output_range[1])),
             yes if a.zero_centred else no, t("act.table.saturates." + a.saturates), f"{a.max_slope:.4g}",
             t("act.table.cost." + a.cost)) for name, a in ACTIVATIONS.items()]
    columns = ("name", "range", "centred", "saturates", "slope", "cost")
    header = [t("act.table.col." + column) for column in columns]
    return {column: [row[n] for row in rows] for n, column in enumerate(header)}


def typical_uses() -> str:
    """One line per activation: where it is used (a list reads better than a wide table column on a phone)."""
    return "\n".join(f"- **{t('act.name.' + name)}**: {t('act.use.' + name)}" for name in ACTIVATIONS)


def part_neuron() -> None:
    st.markdown(t("act.neuron.intro"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        name = activation_select("act_fn", "sigmoid")
        w = url_slider("w", key="act_w", name="w", min_value=-5.0, max_value=5.0, default=1.0, step=0.1)
        b = url_slider("b", key="act_b", name="b", min_value=-5.0, max_value=5.0, default=0.0, step=0.1)
    act, label = ACTIVATIONS[name], t("act.name." + name)
    x = np.linspace(-6.0, 6.0, 601)
    y = act.fn(w * x + b)
    x0 = -b / w + 0.0 if w != 0 else None  # + 0.0: no "−0"
    marks = [(x0, t("act.neuron.switch"))] if x0 is not None and abs(x0) <= 6 else []
    with view:
        st.plotly_chart(curves_figure(x, [Curve(t("act.neuron.output", name=label), y, COLOUR[name]),
                                          Curve(t("act.neuron.reference", name=label), act.fn(x), "#9ca3af",
                                                dash="dot", width=2)],
                                      title=t("act.neuron.title", z=affine_text([(w, "x")], b)), x_title="x",
                                      y_title="y", height=360, vlines=marks), config=CHART, key="act_neuron_fig")
        if marks:
            st.markdown(t("act.neuron.explain", w=f"{w:g}", b=f"{b:g}", x0=f"{x0:.3g}"))
        else:
            st.markdown(t("act.neuron.flat" if w == 0 else "act.neuron.off_screen", b=f"{b:g}",
                          y=f"{float(act.fn(np.float64(b))):.4g}"))
    st.subheader(t("act.plane.title"))
    st.markdown(t("act.plane.intro"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        w1 = url_slider("w₁", key="act_w1", name="w1", min_value=-5.0, max_value=5.0, default=1.0, step=0.1)
        w2 = url_slider("w₂", key="act_w2", name="w2", min_value=-5.0, max_value=5.0, default=-1.0, step=0.1)
        b2 = url_slider("b", key="act_b2", name="b2", min_value=-5.0, max_value=5.0, default=0.5, step=0.1)
    axis = np.linspace(-3.0, 3.0, 121)
    z = act.fn(w1 * axis[None, :] + w2 * axis[:, None] + b2)
    lo, hi = act.output_range
    zrange = (float(z.min()), float(z.max())) if not (np.isfinite(lo) and np.isfinite(hi)) else (lo, hi)
    if zrange[0] == zrange[1]:
        zrange = (zrange[0] - 1, zrange[1] + 1)
    segment = decision_line(w1, w2, b2, -3.0, 3.0)
    with view:
        st.plotly_chart(plane_figure(axis, z, segment, title=t("act.plane.figure", name=label,
                                                                    z=affine_text([(w1, "x₁"), (w2, "x₂")], b2)),
                                     boundary_label=t("act.plane.boundary"), signed=bool(z.min() < 0 < z.max()),
                                     zrange=zrange), config=CHART, key="act_plane_fig")
        st.markdown(t("act.plane.explain") if segment else t("act.plane.no_line"))
    show_code((SNIPPETS / "activations_neuron.py.tmpl").read_text(), {"name": name, "w": w, "b": b},
              filename="neuron.py", key="act_neuron_code")


def part_collapse() -> None:
    st.markdown(t("act.collapse.intro"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        depth = url_slider(t("act.collapse.depth"), key="act_depth", name="depth", min_value=1, max_value=10,
                           default=4)
        width = url_slider(t("act.collapse.width"), key="act_width", name="width", min_value=1, max_value=8,
                           default=3)
        scale = url_slider(t("act.collapse.scale"), key="act_scale", name="scale", min_value=0.1, max_value=4.0,
                           default=2.0, step=0.1, help=t("act.collapse.scale_help"))
        seed = url_slider(t("act.seed"), key="act_seed", name="seed", min_value=0, max_value=99, default=0)
        name = activation_select("act_cfn", "identity", "act.collapse.between")
    x = np.linspace(-3.0, 3.0, 301)
    c = depth_collapse(depth, width, seed, name, x, scale)
    shape = " → ".join(["1", *[str(width)] * (depth - 1), "1"])
    pal = palette()
    with view:
        curves = [Curve(t("act.collapse.stack", depth=depth), c.stack, COLOUR[name], width=4),
                  Curve(t("act.collapse.composed"), c.composed, pal.text, dash="dash", width=2),
                  Curve(t("act.collapse.best"), c.best_line, pal.highlight, dash="dot", width=2)]
        st.plotly_chart(curves_figure(x, curves, title=t("act.collapse.title", shape=shape), x_title="x",
                                      y_title="y", height=380), config=CHART, key="act_collapse_fig")
        top, bottom = st.columns(2), st.columns(2)
        top[0].metric(t("act.collapse.W"), f"{c.W:.6g}")
        top[1].metric(t("act.collapse.b"), f"{c.b:.6g}")
        bottom[0].metric(t("act.collapse.gap_composed"), f"{c.gap_composed:.1e}")
        bottom[1].metric(t("act.collapse.gap_line"), f"{c.gap_line:.1e}")
        params = sum(W.size + b.size for W, b in c.layers)
        if name == "identity":
            st.success(t("act.collapse.collapsed", depth=depth, params=params, W=f"{c.W:.6g}", b=f"{c.b:.6g}"),
                       icon="📏")
        else:
            st.info(t("act.collapse.bent", name=t("act.name." + name), gap=f"{c.gap_line:.3g}"), icon="〰️")
    show_code((SNIPPETS / "activations_collapse.py.tmpl").read_text(),
              {"depth": depth, "width": width, "seed": seed, "name": name, "scale": scale}, filename="collapse.py",
              key="act_collapse_code")


@st.cache_data(max_entries=32, show_spinner=False)
def cached_fit(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], name: str, steps: int, lr: float, seed: int):
    return fit_curve(x, y, hidden=hidden, activation=name, steps=steps, lr=lr, seed=seed)


def fit_data() -> tuple[np.ndarray, np.ndarray, str] | None:
    """The training points: a target curve (with noise) or the student's own points."""
    target = url_choice(st.selectbox, t("act.fit.target"), [*CURVE_TARGETS, OWN], key="act_target", name="target",
                        default="sine", format_func=translator("act.fit.targets."))
    if target != OWN:
        noise = url_slider(t("act.fit.noise"), key="act_noise", name="noise", min_value=0.0, max_value=0.5,
                           default=0.1, step=0.05)
        x, y = target_points(target, n=200, noise=noise, seed=0)
        return x, y, target
    text = st.text_area(t("act.fit.points"), DEFAULT_POINTS, key="act_points", height=160,
                        help=t("act.fit.points_help"))
    try:
        x, y = parse_points(text)
    except PointsError as error:
        st.error(t("act.fit.error." + error.code, line=error.line or "?"), icon="✏️")
        return None
    return x, y, target


def part_fit() -> None:
    st.markdown(t("act.fit.intro"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        data = fit_data()
        name = activation_select("act_ffn", "relu")
        layers = url_slider(t("act.fit.layers"), key="act_layers", name="layers", min_value=1, max_value=4, default=2)
        width = url_choice(st.select_slider, t("act.fit.width"), WIDTHS, key="act_fwidth", name="fwidth", default=16)
        steps = url_choice(st.select_slider, t("act.fit.steps"), FIT_STEPS, key="act_steps", name="steps",
                           default=600)
        lr = url_choice(st.select_slider, t("act.fit.lr"), LEARNING_RATES, key="act_lr", name="lr", default=0.01)
        seed = url_slider(t("act.seed"), key="act_fseed", name="fseed", min_value=0, max_value=99, default=0)
    if data is None:
        return
    x, y, target = data
    hidden = (width,) * layers
    with view, st.spinner(t("act.fit.training")):
        fit = cached_fit(x, y, hidden, name, steps, lr, seed)
        line = fit if name == "identity" else cached_fit(x, y, hidden, "identity", steps, lr, seed)
    pad = 0.25 * float(np.ptp(y) or 1.0)
    labels = {"data": t("act.fit.data"), "fit": t("act.fit.fit", name=t("act.name." + name)),
              "step": t("act.fit.step"), "title": t("act.fit.title", shape=" → ".join(["1", *map(str, hidden), "1"]))}
    with view:
        st.plotly_chart(fit_figure(x, y, fit.x_eval, fit.snapshot_steps, fit.snapshot_predictions, labels, palette(),
                                   t("conv.play"), (float(y.min()) - pad, float(y.max()) + pad)),
                        config=CHART, key="act_fit_fig")
        if fit.diverged_at is not None:
            st.warning(t("act.fit.diverged", step=fit.diverged_at, lr=lr), icon="💥")
        series = {t("act.name." + name): fit.losses}
        if name != "identity":
            series[t("act.name.identity")] = line.losses
        st.plotly_chart(log_lines_figure(range(len(fit.losses)), series,
                                         {t("act.name." + n): COLOUR[n] for n in (name, "identity")},
                                         title=t("act.fit.loss_title"), x_title=t("act.fit.step"),
                                         y_title=t("act.fit.loss"), dashed=[t("act.name.identity")], height=300),
                        config=CHART, key="act_loss_fig")
        final, final_line = float(fit.losses[-1]), float(line.losses[-1])
        if name == "identity":
            st.info(t("act.fit.straight", gap=f"{line_gap(fit.x_eval, fit.prediction):.1e}",
                      loss=f"{final:.4g}"), icon="📏")
        else:
            st.markdown(t("act.fit.compare", name=t("act.name." + name), loss=f"{final:.4g}",
                          line=f"{final_line:.4g}", ratio=f"{final_line / max(final, 1e-300):.3g}"))
    show_code((SNIPPETS / "activations_fit.py.tmpl").read_text(),
              {"target": target, "points": [x.tolist(), y.tolist()] if target == OWN else None,
               "noise": st.session_state.get("act_noise", 0.1), "hidden": hidden, "name": name, "steps": steps,
               "lr": lr, "seed": seed}, filename="fit_curve.py", key="act_fit_code")


@st.cache_data(max_entries=64, show_spinner=False)
def cached_gradients(name: str, depth: int, init: str) -> np.ndarray:
    return gradient_through_depth(name, depth, width=32, seed=0, init=init)


def part_vanishing() -> None:
    st.markdown(t("act.vanish.intro"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        depth = url_slider(t("act.vanish.depth"), key="act_vdepth", name="vdepth", min_value=2, max_value=30,
                           default=12)
        names = url_multi(t("act.gallery.pick"), NAMES[1:], key="act_vpick", name="vacts",
                          default=["sigmoid", "tanh", "relu"], format_func=translator("act.name."),
                          widget=st.multiselect)
        init = url_choice(st.selectbox, t("act.vanish.init"), INITS, key="act_init", name="init", default="xavier",
                          format_func=translator("act.vanish.inits."))
    if not names:
        view.info(t("act.gallery.none"), icon="👆")
        return
    layers = np.arange(1, depth + 1)
    series = {t("act.name." + n): cached_gradients(n, depth, init) for n in names}
    colours = {t("act.name." + n): COLOUR[n] for n in names}
    bound = t("act.vanish.bound")
    if "sigmoid" in names:
        last = series[t("act.name.sigmoid")][-1]
        series[bound] = last * 0.25 ** (depth - layers)
        colours[bound] = COLOUR["sigmoid"]
    with view:
        st.plotly_chart(log_lines_figure(layers, series, colours, title=t("act.vanish.title", depth=depth),
                                         x_title=t("act.vanish.layer"), y_title=t("act.vanish.norm"),
                                         dashed=[bound]), config=CHART, key="act_vanish_fig")
        ratios = {n: float(series[t("act.name." + n)][0] / series[t("act.name." + n)][-1]) for n in names}
        st.markdown("\n".join(t("act.vanish.ratio", name=t("act.name." + n), ratio=f"{r:.2e}", depth=depth)
                              for n, r in ratios.items()))
        st.markdown(t("act.vanish.explain", depth=depth, steps=depth - 1, bound=f"{0.25 ** (depth - 1):.1e}"))
    show_code((SNIPPETS / "activations_vanishing.py.tmpl").read_text(),
              {"names": list(names), "depth": depth, "init": init}, filename="vanishing.py", key="act_vanish_code")


def part_feature() -> None:
    st.markdown(t("act.feature.intro"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("act", default="shapes")
        w = kernel_picker("act")
        name = activation_select("act_mfn", "relu")
    if picked is None or w is None:
        return
    x = to_gray(picked.rgb)
    feature = conv2d(x, w, padding="same")
    after = ACTIVATIONS[name].fn(feature)
    negative, positive = float((feature < 0).mean()), float((feature > 0).mean())
    with view:
        columns = st.columns(3)
        for column, (title, z, kind) in zip(columns, [(t("act.feature.input"), x, "gray"),
                                                      (t("act.feature.map"), feature, "signed"),
                                                      (t("act.feature.after", name=t("act.name." + name)), after,
                                                       "auto")], strict=True):
            column.plotly_chart(image_figure(z, title, kind=kind, height=260, colorbar=False), config=CHART)
        st.markdown(t("act.feature.numbers", negative=f"{100 * negative:.0f}", positive=f"{100 * positive:.0f}",
                      name=t("act.name." + name),
                      lo=f"{float(after.min()):.3g}", hi=f"{float(after.max()):.3g}",
                      zeros=f"{100 * float((after == 0).mean()):.0f}"))
        st.caption(t("act.feature.why"))


def part_quiz() -> None:
    st.markdown(t("conv.quiz.intro"))
    kind, seed = quiz_controls("act", ("neuron", "collapse", "vanishing"), "act.quiz.kind.")
    if kind == "neuron":
        q = neuron_question(seed)
        label = t("act.name." + q.activation)
        st.markdown(t("act.quiz.neuron", name=label, w=q.w, x=q.x, b=q.b))
        z = sum(wi * xi for wi, xi in zip(q.w, q.x, strict=True)) + q.b
        check_answer(f"act_guess_neuron_{seed}", q.answer, lambda guess: t(
            "act.quiz.wrong_neuron", guess=f"{guess:g}", z=z, name=label, answer=f"{q.answer:g}"), integer=False)
    elif kind == "collapse":
        q = collapse_question(seed)
        st.markdown(t("act.quiz.collapse", w1=q.w1, b1=q.b1, w2=q.w2, b2=q.b2))
        explain = t("act.quiz.collapse_how", w1=q.w1, b1=q.b1, w2=q.w2, b2=q.b2, W=f"{q.answer_w:g}",
                    b=f"{q.answer_b:g}")
        st.markdown(t("act.quiz.collapse_W"))
        check_answer(f"act_guess_W_{seed}", q.answer_w, lambda guess: explain)
        st.markdown(t("act.quiz.collapse_b"))
        check_answer(f"act_guess_b_{seed}", q.answer_b, lambda guess: explain)
    else:
        q = vanishing_question(seed)
        st.markdown(t("act.quiz.vanishing", depth=q.depth))
        check_answer(f"act_guess_vanish_{seed}", q.answer, lambda guess: t(
            "act.quiz.wrong_vanishing", guess=f"{guess:g}", depth=q.depth, answer=f"{q.answer:g}"),
            rel_tol=1e-3, integer=False)
