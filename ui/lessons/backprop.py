"""The parts of the backpropagation lesson (pages/backprop.py): one neuron's graph step by step, one optimizer step
checked three ways, a two-layer network, and a question."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.backprop import (
    chain_rule_text,
    finite_difference_gradients,
    forward_text,
    gradient_question,
    gradient_step,
    neuron_graph,
    neuron_loss,
    stages,
    torch_neuron_gradients,
    torch_two_layer_gradients,
    two_layer_example,
    two_layer_graph,
)
from core.numbers import format_number
from ui.lessons.backprop_figures import graph_figure
from ui.plots.show import plot
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import part_intro
from ui.shell.terms import explained
from ui.shell.url_state import Choice, Number, url_choice, url_slider
from ui.widgets.code import SNIPPET_DIR, show_code
from ui.widgets.quiz import check_answer, quiz_controls, quiz_link

ACTIVATIONS = ("relu", "sigmoid", "tanh", "identity")
SNIPPET = SNIPPET_DIR / "backprop.py.tmpl"
LIMIT = 3.0  # every number slider spans [-3, 3]
DEFAULTS = {"x1": 2.0, "x2": -1.0, "w1": 0.5, "w2": 0.3, "b": 0.1, "y": 1.0}


LINK = {**{name: Number(-LIMIT, LIMIT) for name in DEFAULTS}, "act": Choice(ACTIVATIONS),
        "step": Number(0, 64, whole=True), "lr": Choice((0.01, 0.03, 0.1, 0.3, 1.0)),
        "seed": Number(1, 99, whole=True), **quiz_link(("gradient",))}
"""What the backprop lesson's link may say (``step``: how far through the graph)."""


def number_sliders(names=tuple(DEFAULTS), labels=None) -> dict[str, float]:
    """The sliders ``names`` (of x1, x2, w1, w2, b, y), three to a row, each in the URL under its own symbol;
    ``labels``: theirs (default: the neuron's). Returns ``{name: value}`` for these names only."""
    columns, values = st.columns(3), {}
    for n, name in enumerate(names):
        with columns[n % 3]:
            values[name] = url_slider(labels[n] if labels else t(f"backprop.slider.{name}"), key=f"backprop_{name}",
                                      name=name,
                                      min_value=-LIMIT, max_value=LIMIT, default=DEFAULTS[name], step=0.1)
    return values


def activation_control() -> str:
    return url_choice(st.segmented_control, t("backprop.activation"), ACTIVATIONS, key="backprop_act", name="act",
                      default="relu", format_func=translator("common.activation."))


def neuron_controls() -> tuple[list[float], list[float], float, float, str]:
    """x, w, b, y and the activation of the one-neuron lessons."""
    v = number_sliders()
    return [v["x1"], v["x2"]], [v["w1"], v["w2"]], v["b"], v["y"], activation_control()


def _move(key: str, by: int, last: int) -> None:
    st.session_state[key] = min(max(int(st.session_state.get(key, 0)) + by, 0), last)


@part_intro("backprop.graph.intro")
def part_graph() -> None:
    x, w, b, y, activation = neuron_controls()
    graph = neuron_graph(x, w, b, y, activation)
    steps = stages(graph)
    back, step_column, forward = st.columns([1, 4, 1], vertical_alignment="bottom")
    with step_column:
        k = url_slider(t("backprop.step"), key="backprop_step", name="step", min_value=0, max_value=len(steps),
                       default=0)
    back.button("◀", key="backprop_back", on_click=_move, args=("backprop_step", -1, len(steps)), width="stretch",
                help=t("backprop.back"))
    forward.button("▶", key="backprop_next", on_click=_move, args=("backprop_step", 1, len(steps)), width="stretch",
                   help=t("backprop.next"))
    done = steps[:k]
    values = {name for kind, name in done if kind == "forward"}
    grads = {(e.source, e.target) for kind, e in done if kind == "backward"}
    current = None
    if k == 0:
        st.info(t("backprop.graph.start"), icon="👣")
    else:
        kind, item = steps[k - 1]
        current = item if kind == "forward" else (item.source, item.target)
        text = forward_text(graph, item) if kind == "forward" else chain_rule_text(graph, item)
        st.markdown(t(f"backprop.graph.{kind}", n=k, total=len(steps), text=text))
    plot(st, graph_figure(graph, values=values, grads=grads, current=current, title=t("backprop.graph.title")),
         key="backprop_graph_fig")
    if k == len(steps):
        st.success(t("backprop.graph.done", w1=format_number(graph.nodes["w1"].grad),
                     w2=format_number(graph.nodes["w2"].grad), b=format_number(graph.nodes["b"].grad)), icon="✅")
    st.caption(t("backprop.graph.legend"))
    show_code(SNIPPET.read_text(), {"x": x, "w": w, "b": b, "y": y, "activation": activation, "lr": 0.1},
              filename="backprop.py", key="backprop_code_graph")


def _apply(step: dict) -> None:
    """The "take this step" button: the sliders move to the new weights (on the sliders' range)."""
    for name, value in (("w1", step["w"][0]), ("w2", step["w"][1]), ("b", step["b"])):
        st.session_state[f"backprop_{name}"] = float(np.clip(round(float(value), 4), -LIMIT, LIMIT))


def _flag(key: str) -> None:
    st.session_state[key] = True


@part_intro("backprop.step_part.intro")
def part_step() -> None:
    x, w, b, y, activation = neuron_controls()
    lr = url_choice(st.select_slider, t("common.lr"), (0.01, 0.03, 0.1, 0.3, 1.0), key="backprop_lr",
                    name="lr", default=0.1)
    step = gradient_step(x, w, b, y, lr, activation)
    rows = {t("backprop.table.param"): ["w1", "w2", "b"],
            t("backprop.table.value"): [format_number(v) for v in (*w, b)],
            t("backprop.table.grad"): [format_number(v) for v in (*step["grad_w"], step["grad_b"])],
            t("backprop.table.new"): [format_number(v) for v in (*step["w"], step["b"])]}
    st.table(rows, border="horizontal")
    before, after = st.columns(2)
    before.metric(t("backprop.loss_before"), format_number(step["loss_before"]))
    after.metric(t("backprop.loss_after"), format_number(step["loss_after"]),
                 delta=format_number(step["loss_after"] - step["loss_before"]), delta_color="inverse")
    st.button(t("backprop.apply"), key="backprop_apply", on_click=_apply, args=(step,), icon=":material/south:",
              type="primary")
    explained(t("backprop.check.intro"))
    torch_column, fd_column = st.columns(2)
    torch_column.button(t("backprop.check.torch"), key="backprop_check_torch", on_click=_flag,
                        args=("backprop_show_torch",))
    fd_column.button(t("backprop.check.fd"), key="backprop_check_fd", on_click=_flag, args=("backprop_show_fd",))
    ours = np.array([*step["grad_w"], step["grad_b"]])
    if st.session_state.get("backprop_show_torch"):
        ref = torch_neuron_gradients(x, w, b, y, activation)
        theirs = np.array([*ref["w"], ref["b"]])
        torch_column.markdown(t("backprop.check.torch_result", values=", ".join(format_number(v) for v in theirs),
                                diff=f"{float(np.abs(theirs - ours).max()):.2g}"))
    if st.session_state.get("backprop_show_fd"):
        grads, passes = finite_difference_gradients(lambda w, b: neuron_loss(x, w, b, y, activation),
                                                    {"w": np.array(w), "b": b})
        theirs = np.array([*grads["w"], grads["b"]])
        fd_column.markdown(t("backprop.check.fd_result", values=", ".join(format_number(v) for v in theirs),
                             diff=f"{float(np.abs(theirs - ours).max()):.2g}", passes=passes))
    st.caption(t("backprop.check.cost"))
    show_code(SNIPPET.read_text(), {"x": x, "w": w, "b": b, "y": y, "activation": activation, "lr": lr},
              filename="backprop.py", key="backprop_code_step")


@part_intro("backprop.two.intro")
def part_two_layer() -> None:
    v = number_sliders(("x1", "x2", "y"), ("x0", "x1", t("backprop.slider.y")))
    x, y, activation = [v["x1"], v["x2"]], v["y"], activation_control()
    seed = url_slider(t("common.example_number"), key="backprop_seed", name="seed", min_value=1, max_value=99,
                      default=1)
    W1, b1, w2, b2 = two_layer_example(seed)
    graph = two_layer_graph(x, W1, b1, w2, b2, y, activation)
    plot(st, graph_figure(graph, values=set(graph.nodes), grads={(e.source, e.target) for e in graph.edges},
                          current=None, title=t("backprop.two.title")), key="backprop_two_fig")
    ref = torch_two_layer_gradients(x, W1, b1, w2, b2, y, activation)
    ours = np.array([graph.nodes[f"W1_{k}_{i}"].grad for k in range(2) for i in range(2)])
    diff = float(np.abs(ours - np.asarray(ref["W1"]).reshape(-1)).max())
    st.markdown(t("backprop.two.check", loss=format_number(graph.nodes["L"].value),
                  grads=", ".join(format_number(v) for v in ours), diff=f"{diff:.2g}"))
    st.caption(t("backprop.graph.legend"))


def part_quiz() -> None:
    st.markdown(t("common.quiz.intro"))
    _, seed = quiz_controls("backprop", ("gradient",), "backprop.quiz.kind.")
    q = gradient_question(seed)
    st.markdown(t("backprop.quiz.gradient", x1=q.x[0], x2=q.x[1], w1=q.w[0], w2=q.w[1], b=q.b, y=q.y))
    check_answer(f"backprop_guess_{seed}", q.answer, lambda guess: t(
        "backprop.quiz.wrong", guess=f"{guess:g}", z=q.z, y=q.y, x1=q.x[0], e=q.z - q.y, answer=f"{q.answer:g}"))
