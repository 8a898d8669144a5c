"""The trainer's second part: a CNN and a dense network of the same size, trained on centred images, tested on
shifted ones (the primer's claim that convolution copes with position, measured)."""

from __future__ import annotations

import streamlit as st

from core.data import shift_images
from core.scale import ScaleExperiment, ScaleResult, rescale_images, run_scale_experiment
from core.shift import DIRECTIONS, EXPERIMENT_DATASETS, ShiftExperiment, experiment_data, run_shift_experiment
from ui.plots.charts import lines_figure
from ui.plots.grids import image_figure
from ui.plots.show import plot
from ui.shell.course import correction
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import part_intro
from ui.shell.url_state import Choice, Number, url_choice, url_slider
from ui.widgets.on_request import measured_on_request

POSITION_LINK = {"shift_data": Choice(EXPERIMENT_DATASETS), "shift_dir": Choice(DIRECTIONS),
                 "shift_max": Number(2, 12, whole=True), "shift_epochs": Number(1, 8, whole=True)}
"""What the shifted-images part reads from a link."""


@st.cache_data(max_entries=16, show_spinner=False)
def measured(exp: ShiftExperiment):
    """One run per experiment per server: the first student waits, the class sees it at once."""
    return run_shift_experiment(exp)


@st.cache_resource(max_entries=4, show_spinner=False)
def centred_data(dataset: str, seed: int, n_train: int, n_test: int):
    """The experiment's centred images, generated once per server (read-only)."""
    return experiment_data(ShiftExperiment(dataset=dataset, seed=seed, n_train=n_train, n_test=n_test))


def experiment_controls() -> ShiftExperiment:
    left, right = st.columns(2)
    with left:
        dataset = url_choice(st.segmented_control, t("cnn_trainer.shift.dataset"), EXPERIMENT_DATASETS,
                             key="cnn_trainer_shift_data",
                             name="shift_data", default="digits", format_func=translator("cnn_trainer.datasets."))
        direction = url_choice(st.segmented_control, t("cnn_trainer.shift.direction"), DIRECTIONS,
                               key="cnn_trainer_shift_dir",
                               name="shift_dir", default="right",
                               format_func=translator("cnn_trainer.shift.directions."))
    with right:
        max_shift = url_slider(t("cnn_trainer.shift.max_shift"), key="cnn_trainer_shift_max", name="shift_max",
                               min_value=2,
                               max_value=12, default=8)
        epochs = url_slider(t("cnn_trainer.epochs"), key="cnn_trainer_shift_epochs", name="shift_epochs", min_value=1,
                            max_value=8,
                            default=3)
    return ShiftExperiment(dataset=dataset, max_shift=max_shift, direction=direction, epochs=epochs)


def shifted_examples(exp: ShiftExperiment) -> None:
    """The same test image at a few of the shifts, so the student sees what "shifted by k" means."""
    x = centred_data(exp.dataset, exp.seed, exp.n_train, exp.n_test).x_test[:1]
    steps = sorted({0, exp.max_shift // 2, exp.max_shift})
    for n, (column, s) in enumerate(zip(st.columns(len(steps)), steps, strict=True)):
        dx, dy = {"right": (s, 0), "down": (0, s), "diagonal": (s, s)}[exp.direction]
        plot(column, image_figure(shift_images(x, dx, dy)[0, 0].numpy(), t("cnn_trainer.shift.example", s=s),
                                  kind="gray", height=170, colorbar=False),
             key=f"cnn_trainer_shift_example_{n}")  # by place: a new largest shift redraws the chart it had


def _request(exp: ShiftExperiment) -> None:
    st.session_state["cnn_trainer_shift_run"] = exp


@part_intro("cnn_trainer.shift.intro")
def part_position() -> None:
    exp = experiment_controls()
    shifted_examples(exp)
    if st.session_state.get("cnn_trainer_shift_run") != exp:
        st.button(t("cnn_trainer.shift.run"), type="primary", key="cnn_trainer_shift_button", icon=":material/science:",
                  on_click=_request, args=(exp,))
        st.info(t("cnn_trainer.shift.press"), icon="🧪")
        return
    with st.spinner(t("cnn_trainer.shift.running")):
        result = measured(exp)
    if result.status != "finished":
        st.error(t("cnn_trainer.status." + result.status, seconds="", message=""), icon="⚠️")
        return
    chance = 1 / len(centred_data(exp.dataset, exp.seed, exp.n_train, exp.n_test).classes)
    figure = lines_figure(result.shifts, {
        t("cnn_trainer.shift.cnn", params=f"{result.cnn_params:,}"): result.cnn_accuracy,
        t("cnn_trainer.shift.mlp", params=f"{result.mlp_params:,}"): result.mlp_accuracy,
        t("cnn_trainer.shift.pooled", params=f"{result.pooled_params:,}"): result.pooled_accuracy,
    }, t("cnn_trainer.shift.title"), t("cnn_trainer.shift.axis"), t("cnn_trainer.accuracy"), height=380, percent=True)
    figure.add_hline(y=chance, line_dash="dot", annotation_text=t("cnn_trainer.shift.chance"))
    figure.update_yaxes(range=[0, 1.02])
    plot(st, figure, key="cnn_trainer_shift_fig")
    far = len(result.shifts) // 2
    def far_mean(accuracy: list[float]) -> str:
        return f"{100 * sum(accuracy[far:]) / len(accuracy[far:]):.0f}"

    st.markdown(t("cnn_trainer.shift.reading", cnn0=f"{100 * result.cnn_accuracy[0]:.0f}",
                  mlp0=f"{100 * result.mlp_accuracy[0]:.0f}", far=result.shifts[far],
                  cnn=far_mean(result.cnn_accuracy), mlp=far_mean(result.mlp_accuracy),
                  pooled=far_mean(result.pooled_accuracy), seconds=f"{result.seconds:.0f}"))


# ---- sizes: the primer's claim that convolution copes with scale, measured ------------------------------------------

@st.cache_data(max_entries=2, show_spinner=False)
def measured_scales(exp: ScaleExperiment) -> ScaleResult:
    """Two trainings once per server (about 15 s on a 2-core CPU): the first student waits, the class sees it at
    once."""
    return run_scale_experiment(exp)


@part_intro("cnn_trainer.scale.intro")
def part_scale() -> None:
    digit = centred_data("digits", 0, 1500, 600).x_test[:1]
    for column, s in zip(st.columns(3), (0.5, 1.0, 1.5), strict=True):
        plot(column, image_figure(rescale_images(digit, s)[0, 0].numpy(), t("cnn_trainer.scale.example", s=s),
                                  kind="gray", height=170, colorbar=False),
             key=f"cnn_trainer_scale_example_{s}")
    exp = ScaleExperiment()
    result = measured_on_request("cnn_trainer_scale", "cnn_trainer.scale.", lambda: measured_scales(exp))
    if result is None:
        return
    if result.status != "finished":
        st.error(t("cnn_trainer.status." + result.status, seconds="", message=""), icon="⚠️")
        return
    figure = lines_figure(list(result.scales), {t("cnn_trainer.scale.plain"): result.plain_accuracy,
                                                t("cnn_trainer.scale.varied", low=exp.low, high=exp.high):
                                                    result.varied_accuracy},
                          t("cnn_trainer.scale.title"), t("cnn_trainer.scale.axis"), t("cnn_trainer.accuracy"),
                          height=380, percent=True)
    figure.update_yaxes(range=[0, 1.02])
    plot(st, figure, key="cnn_trainer_scale_fig")
    at = {s: k for k, s in enumerate(result.scales)}

    def pct(accuracy: list[float], s: float) -> str:
        return f"{100 * accuracy[at[s]]:.0f}"

    correction("0x03 1)", t("cnn_trainer.scale.says"), t(
        "cnn_trainer.scale.in_fact", shift_error=f"{result.shift_error:g}", scale_error=f"{result.scale_error:.0%}",
        plain1=pct(result.plain_accuracy, 1.0), plain_small=pct(result.plain_accuracy, 0.5),
        plain_big=pct(result.plain_accuracy, 1.5), varied_small=pct(result.varied_accuracy, 0.5),
        varied_big=pct(result.varied_accuracy, 1.5), seconds=f"{result.seconds:.0f}"))
