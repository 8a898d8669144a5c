"""The parts of the activation lesson that train networks: fitting a curve (``part_fit``), gradients through depth
(``part_vanishing``) and the sigmoid-against-ReLU race (``part_why_relu``); and the activation picker and the settings
every part of the lesson shares. ``ui.lessons.activations`` draws the others and declares the lesson's link."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.activations import ACTIVATIONS
from core.budgets import FIT_WORK, OverBudget, check, curve_fit_work
from core.collapse import line_gap
from core.curve_fit import CURVE_TARGETS, PointsError, fit_curves, parse_points, target_points
from core.vanishing import INITS, gradient_through_depth
from core.why_relu import RACE_ACTIVATIONS, Race, RaceResult, run_race
from ui.lessons.activations_figures import SERIES_COLOURS, fit_figure
from ui.plots.charts import lines_figure, log_lines_figure
from ui.plots.show import plot
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import part_intro
from ui.shell.modes import more_controls
from ui.shell.theme import palette
from ui.shell.url_state import url_choice, url_multi, url_slider
from ui.widgets.code import SNIPPET_DIR, show_code
from ui.widgets.on_request import measured_on_request

NAMES = tuple(ACTIVATIONS)
COLOUR = dict(zip(NAMES, SERIES_COLOURS, strict=True))
OWN = "own"
DEFAULT_POINTS = "-3, 0.2\n-2, 1.1\n-1, 0.4\n0, -0.8\n1, 0.3\n2, 1.4\n3, 0.1"
WIDTHS = (2, 4, 8, 16, 32, 64)
FIT_STEPS = (100, 200, 400, 600, 1000, 2000)
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)


def activation_select(key: str, default: str, label_key: str = "activations.pick_one") -> str:
    return url_choice(st.selectbox, t(label_key), NAMES, key=key, name="act", default=default,
                      format_func=translator("common.activation."))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_fits(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], names: tuple[str, ...], steps: int, lr: float,
                seed: int):
    """The chosen activation's network and the straight line's, trained side by side (``fit_curves``): together
    they cost about 1.4 times one alone."""
    return fit_curves(x, y, names, hidden=hidden, steps=steps, lr=lr, seed=seed)


def fit_data() -> tuple[np.ndarray, np.ndarray, str] | None:
    """The training points: a target curve (with noise) or the student's own points."""
    target = url_choice(st.selectbox, t("activations.fit.target"), [*CURVE_TARGETS, OWN], key="activations_target",
                        name="target",
                        default="sine", format_func=translator("activations.fit.targets."))
    if target != OWN:
        noise = url_slider(t("activations.fit.noise"), key="activations_noise", name="noise", min_value=0.0,
                           max_value=0.5,
                           default=0.1, step=0.05)
        x, y = target_points(target, n=200, noise=noise, seed=0)
        return x, y, target
    text = st.text_area(t("activations.fit.points"), DEFAULT_POINTS, key="activations_points", height=160,
                        help=t("activations.fit.points_help"))
    try:
        x, y = parse_points(text)
    except PointsError as error:
        st.error(t("activations.fit.error." + error.code, line=error.line or "?"), icon="✏️")
        return None
    return x, y, target


@part_intro("activations.fit.intro")
def part_fit() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        data = fit_data()
        name = activation_select("activations_ffn", "relu")
        with more_controls():
            layers = url_slider(t("activations.fit.layers"), key="activations_layers", name="layers", min_value=1,
                                max_value=4, default=2)
            width = url_choice(st.select_slider, t("activations.fit.width"), WIDTHS, key="activations_fwidth",
                               name="fwidth", default=16)
            steps = url_choice(st.select_slider, t("activations.fit.steps"), FIT_STEPS, key="activations_steps",
                               name="steps", default=600)
            lr = url_choice(st.select_slider, t("activations.fit.lr"), LEARNING_RATES, key="activations_lr",
                            name="lr", default=0.01)
            seed = url_slider(t("activations.seed"), key="activations_fseed", name="fseed", min_value=0,
                              max_value=99, default=0)
    if data is None:
        return
    x, y, target = data
    hidden = (width,) * layers
    try:
        check(FIT_WORK, curve_fit_work(hidden, steps))
    except OverBudget as over:
        view.error(t("budget.fit_work", cost=f"{over.cost:,}", limit=f"{FIT_WORK.limit:,}", steps=steps,
                     layers=layers, width=width), icon="⏳")
        return
    with view, st.spinner(t("activations.fit.training")):
        fits = cached_fits(x, y, hidden, tuple(dict.fromkeys((name, "identity"))), steps, lr, seed)
        fit, line = fits[0], fits[-1]  # the straight line is the chosen network itself when no activation is chosen
    pad = 0.25 * float(np.ptp(y) or 1.0)
    shape = " → ".join(["1", *map(str, hidden), "1"])
    labels = {"data": t("activations.fit.data"), "fit": t("activations.fit.fit", name=t("common.activation." + name)),
              "step": t("activations.fit.step"), "title": t("activations.fit.title", shape=shape)}
    with view:
        plot(st, fit_figure(x, y, fit.x_eval, fit.snapshot_steps, fit.snapshot_predictions, labels, palette(),
                            t("common.play"), (float(y.min()) - pad, float(y.max()) + pad)),
             key="activations_fit_fig")
        if fit.diverged_at is not None:
            st.warning(t("activations.fit.diverged", step=fit.diverged_at, lr=lr), icon="💥")
        series = {t("common.activation." + name): fit.losses}
        if name != "identity":
            series[t("common.activation.identity")] = line.losses
        plot(st, log_lines_figure(range(len(fit.losses)), series,
                                  {t("common.activation." + n): COLOUR[n] for n in (name, "identity")},
                                  title=t("activations.fit.loss_title"), x_title=t("activations.fit.step"),
                                  y_title=t("activations.fit.loss"), dashed=[t("common.activation.identity")],
                                  height=300),
             key="activations_loss_fig")
        final, final_line = float(fit.losses[-1]), float(line.losses[-1])
        if name == "identity":
            st.info(t("activations.fit.straight", gap=f"{line_gap(fit.x_eval, fit.prediction):.1e}",
                      loss=f"{final:.4g}"), icon="📏")
        else:
            st.markdown(t("activations.fit.compare", name=t("common.activation." + name), loss=f"{final:.4g}",
                          line=f"{final_line:.4g}", ratio=f"{final_line / max(final, 1e-300):.3g}"))
    show_code((SNIPPET_DIR / "activations_fit.py.tmpl").read_text(),
              {"target": target, "points": [x.tolist(), y.tolist()] if target == OWN else None,
               "noise": st.session_state.get("activations_noise", 0.1), "hidden": hidden, "name": name, "steps": steps,
               "lr": lr, "seed": seed}, filename="fit_curve.py", key="activations_fit_code")


@st.cache_data(max_entries=64, show_spinner=False)
def cached_gradients(name: str, depth: int, init: str) -> np.ndarray:
    return gradient_through_depth(name, depth, width=32, seed=0, init=init)


@part_intro("activations.vanish.intro")
def part_vanishing() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        depth = url_slider(t("activations.vanish.depth"), key="activations_vdepth", name="vdepth", min_value=2,
                           max_value=30,
                           default=12)
        names = url_multi(t("activations.gallery.pick"), NAMES[1:], key="activations_vpick", name="vacts",
                          default=["sigmoid", "tanh", "relu"], format_func=translator("common.activation."),
                          widget=st.multiselect)
        with more_controls():
            init = url_choice(st.selectbox, t("activations.vanish.init"), INITS, key="activations_init", name="init",
                              default="xavier", format_func=translator("activations.vanish.inits."))
    if not names:
        view.info(t("activations.gallery.none"), icon="👆")
        return
    layers = np.arange(1, depth + 1)
    series = {t("common.activation." + n): cached_gradients(n, depth, init) for n in names}
    colours = {t("common.activation." + n): COLOUR[n] for n in names}
    bound = t("activations.vanish.bound")
    if "sigmoid" in names:
        last = series[t("common.activation.sigmoid")][-1]
        series[bound] = last * 0.25 ** (depth - layers)
        colours[bound] = COLOUR["sigmoid"]
    with view:
        plot(st, log_lines_figure(layers, series, colours, title=t("activations.vanish.title", depth=depth),
                                  x_title=t("activations.vanish.layer"), y_title=t("activations.vanish.norm"),
                                  dashed=[bound]), key="activations_vanish_fig")
        curves = {n: series[t("common.activation." + n)] for n in names}
        ratios = {n: float(curves[n][0] / curves[n][-1]) for n in names}
        st.markdown("\n".join(t("activations.vanish.ratio", name=t("common.activation." + n), ratio=f"{r:.2e}",
                                depth=depth)
                              for n, r in ratios.items()))
        st.markdown(t("activations.vanish.explain", depth=depth, steps=depth - 1, bound=f"{0.25 ** (depth - 1):.1e}"))
    show_code((SNIPPET_DIR / "activations_vanishing.py.tmpl").read_text(),
              {"names": list(names), "depth": depth, "init": init}, filename="vanishing.py",
              key="activations_vanish_code")


@st.cache_data(max_entries=1, show_spinner=False)
def measured_race(race: Race) -> RaceResult:
    """Two trainings once per server (about 10 s on a 2-core CPU): the first student waits, the class sees it."""
    return run_race(race)


@part_intro("activations.why_relu.intro")
def part_why_relu() -> None:
    """The same CNN with sigmoid and with ReLU, trained alike: epochs to the target accuracy; and its speed on the
    CPU (and a GPU where there is one): the two reasons the primer gives for CNNs' success (0x03 1)."""
    race = Race()
    result = measured_on_request("activations_race", "activations.why_relu.", lambda: measured_race(race))
    if result is None:
        return
    epochs = list(range(1, race.epochs + 1))
    figure = lines_figure(epochs, {t("common.activation." + a): result.accuracy[a] for a in RACE_ACTIVATIONS},
                          t("activations.why_relu.title"), t("activations.why_relu.axis"),
                          t("activations.why_relu.accuracy"), height=360, percent=True)
    figure.update_yaxes(range=[0, 1.02])
    figure.add_hline(y=race.target, line_dash="dot", annotation_text=f"{race.target:.0%}")
    plot(st, figure, key="activations_race_fig")

    def reached(name: str) -> str:
        n = result.epochs_to_target[name]
        return t("activations.why_relu.epochs", n=n) if n is not None else t("activations.why_relu.never",
                                                                            n=race.epochs)

    st.markdown(t("activations.why_relu.reading", target=f"{race.target:.0%}", relu=reached("relu"),
                  sigmoid=reached("sigmoid"), sigmoid_last=f"{100 * result.accuracy['sigmoid'][-1]:.0f}",
                  relu_last=f"{100 * result.accuracy['relu'][-1]:.0f}"))
    cpu = f"{result.images_per_second['cpu']:,.0f}"
    if result.gpu:
        st.markdown(t("activations.why_relu.gpu", cpu=cpu, gpu=result.gpu,
                      cuda=f"{result.images_per_second['cuda']:,.0f}"))
    else:
        st.markdown(t("activations.why_relu.no_gpu", cpu=cpu))
