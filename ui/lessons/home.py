"""The home page: what the app teaches, the training/inference loop on one live neuron, and the learning path."""

import math

import streamlit as st

from core.numbers import format_number
from core.workflow import PHASES, STAGES, START_B, START_W, TOY_DATA, forward, loss_curve, train, training_step
from ui.lessons.home_figures import MILESTONES, history_figure, loss_history_figure, workflow_figure
from ui.plots.kept import clicked_point
from ui.plots.show import plot
from ui.shell.course import correction, primer_box
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import drawn_alone
from ui.shell.registry import HOME, lessons
from ui.shell.terms import explained
from ui.shell.theme import palette
from ui.shell.url_state import Choice, Number, url_choice, url_slider
from ui.widgets.code import show_code

MAX_STEPS = 100
X_NEW_DEFAULT = 3.0  # not among the training inputs: inference on a new example
CODE = '''import torch

torch.set_default_dtype(torch.float64)
data = $data  # (x, y) pairs of the rule y = 3x + 1
w = torch.tensor($w0, requires_grad=True)
b = torch.tensor($b0, requires_grad=True)
optimizer = torch.optim.SGD([w, b], lr=$lr)

# Training: forward pass, loss, backpropagation, optimizer step, one example at a time.
for step in range($steps):
    x, y = data[step % len(data)]
    y_hat = w * x + b
    loss = (y_hat - y) ** 2
    optimizer.zero_grad()
    loss.backward()  # dL/dw and dL/db
    optimizer.step()  # w <- w - lr * dL/dw
print(f"after {$steps} steps: w = {w.item():.6g}, b = {b.item():.6g}")

# Inference: the forward pass only, with the trained (frozen) weights.
with torch.no_grad():
    print(f"prediction for x = {$x_new}: {(w * $x_new + b).item():.6g}")
'''


LINK = {"phase": Choice(PHASES), "lr": Number(0.01, 1.0), "steps": Number(0, MAX_STEPS, whole=True),
        "x": Number(-3.0, 5.0), "stage": Choice(STAGES)}
"""What the home page's link may say."""


def fmt(v: float) -> str:
    """The home page's numbers: ``core.numbers.format_number`` with 6 significant digits."""
    return format_number(v, digits=6)


def select_clicked_stage() -> None:
    """A click on a box of the loop selects its stage (callback of the chart, before the rerun)."""
    point = clicked_point("home_flow")
    if point is not None:
        stage = point["customdata"]
        stage = stage[0] if isinstance(stage, list) and stage else stage
        if isinstance(stage, str) and stage in STAGES:
            st.session_state["home_stage"] = stage


def take_one_step() -> None:
    st.session_state["home_steps"] = min(MAX_STEPS, st.session_state["home_steps"] + 1)


def page() -> None:
    """The home page: the loop on one live neuron, then the learning path's cards."""
    st.title(t("home.title"))
    explained(t("home.intro"))
    with st.expander(t("home.how.title"), icon=":material/help:"):
        st.markdown(t("home.how.body"))
    primer_box(HOME)
    with st.expander(t("home.history.title"), icon=":material/history:"):
        st.markdown(t("home.history.body"))
        events = [(year, t("home.history.events." + key), kind) for key, year, kind in MILESTONES]
        plot(st, history_figure(events, t("home.history.figure"), palette()),
             key="home_history")

    drawn_alone(HOME, the_loop, "home: the loop")
    st.header(t("home.path.header"))
    st.markdown(t("home.path.body"))
    course_cards([spec for _, spec in lessons()])


def the_loop() -> None:
    """The training loop on one neuron: its controls, the loop's figure, the numbers of the step, the loss."""
    st.header(t("home.loop.header"))
    explained(t("home.loop.intro"))
    phase = url_choice(st.segmented_control, t("home.phase_label"), list(PHASES), key="home_phase", name="phase",
                       default="training", format_func=translator("home.phase."))

    training = phase == "training"
    x_new = X_NEW_DEFAULT
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        lr = url_slider(t("home.lr"), key="home_lr", name="lr", min_value=0.01, max_value=1.0, default=0.1,
                        step=0.01, help=t("home.lr_help"), disabled=not training)
        steps = url_slider(t("home.steps"), key="home_steps", name="steps", min_value=0, max_value=MAX_STEPS,
                           default=0, help=t("home.steps_help"), disabled=not training)
        st.button(t("home.step_button"), on_click=take_one_step, icon=":material/skip_next:",
                  disabled=not training or steps >= MAX_STEPS)
        if training:
            st.caption(t("home.training_note"))
        else:
            x_new = url_slider(t("home.x_new"), key="home_x", name="x", min_value=-3.0, max_value=5.0,
                               default=X_NEW_DEFAULT, step=0.5, help=t("home.x_new_help"))
            st.caption(t("home.inference_note"))

    history = train(steps, lr)
    w, b = (history[-1].w_next, history[-1].b_next) if history else (START_W, START_B)
    losses = loss_curve(history)
    step = training_step(w, b, *TOY_DATA[steps % len(TOY_DATA)], lr)
    idle = t("home.node.idle")
    if training:
        details = {
            "input": f"x = {fmt(step.x)}", "layers": f"w = {fmt(w)}<br>b = {fmt(b)}",
            "prediction": f"ŷ = {fmt(step.y_hat)}", "target": f"y = {fmt(step.y)}", "loss": f"L = {fmt(step.loss)}",
            "gradients": f"∂L/∂w = {fmt(step.grad_w)}<br>∂L/∂b = {fmt(step.grad_b)}",
            "optimizer": f"w → {fmt(step.w_next)}<br>b → {fmt(step.b_next)}",
        }
    else:
        y_new = forward(w, b, x_new)
        details = {"input": f"x = {fmt(x_new)}", "layers": f"w = {fmt(w)}<br>b = {fmt(b)}",
                   "prediction": f"ŷ = {fmt(y_new)}", "target": idle, "loss": idle, "gradients": idle,
                   "optimizer": idle}
    nodes = {name: (t("home.node." + name), detail) for name, detail in details.items()}
    pal = palette()
    with view:
        figure_slot = st.container()  # filled below, once the stage control has been read
    stage = url_choice(st.segmented_control, t("home.stage_label"), STAGES, key="home_stage", name="stage",
                       default="input", format_func=translator("home.stage."))
    if stage not in PHASES[phase]:
        st.info(t("home.explain.not_in_inference", stage=t("home.stage." + stage)))
    elif training:
        st.markdown(t("home.explain." + stage, x=fmt(step.x), y=fmt(step.y), w=fmt(w), b=fmt(b),
                      y_hat=fmt(step.y_hat), loss=fmt(step.loss), grad_w=fmt(step.grad_w),
                      grad_b=fmt(step.grad_b), lr=fmt(lr), w_next=fmt(step.w_next), b_next=fmt(step.b_next)))
    else:
        st.markdown(t("home.explain.inference." + stage, x=fmt(x_new), w=fmt(w), b=fmt(b),
                      y_hat=fmt(y_new), truth=fmt(3 * x_new + 1)))
    if training:
        correction("0x02", t("home.primer.says"), t("home.primer.in_fact", grad_w=fmt(step.grad_w),
                                                      grad_b=fmt(step.grad_b), lr=fmt(lr), w_next=fmt(step.w_next)))
    cols = st.columns(4)
    cols[0].metric(t("home.metric.steps"), steps)
    cols[1].metric("w", fmt(w))
    cols[2].metric("b", fmt(b))
    cols[3].metric(t("home.metric.loss"), fmt(losses[-1]), help=t("home.metric.loss_help"))
    plot(st, loss_history_figure(losses, steps, t("home.loss_title"), t("home.steps"), pal))
    with figure_slot:
        fig = workflow_figure(nodes, {"forward": t("home.edge.forward"), "backward": t("home.edge.backward"),
                                      "update": t("home.edge.update")},
                              active=PHASES[phase], selected=stage, pal=pal, play_order=PHASES[phase],
                              play_label=t("home.play"))
        plot(st, fig, key="home_flow", on_click=select_clicked_stage)
        st.caption(t("home.click_hint"))
    if not math.isfinite(losses[-1]) or losses[-1] > 10 * losses[0]:
        controls.warning(t("home.diverging"), icon="⚠️")

    show_code(CODE, {"data": TOY_DATA, "w0": START_W, "b0": START_B, "lr": lr, "steps": steps,
                     "x_new": x_new}, filename="training_loop.py", key="home_code")


def course_cards(course: list) -> None:
    """The course after this page, numbered, three cards a row (a phone stacks them in the course's order): each
    links to its lesson and names the primer's section it teaches."""
    for n, spec in enumerate(course):
        if n % 3 == 0:
            row = st.columns(3)
        with row[n % 3].container(border=True):
            st.page_link(spec.script, label=f"{n + 1}. {t(spec.title_key)}", icon=spec.icon)
            st.caption(f"{t('course.primer', section=spec.primer)} · {t(spec.summary_key)}")
