"""The parts of the gradient-descent lesson (pages/gradient_descent.py): each reads its controls, calls core, draws."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from core.basins import basin_map, compare_endings
from core.budgets import BUILT_IN_NODES, DESCENT_WORK, OverBudget, check, descent_work
from core.expr import ExprError, parse_function
from core.minibatch import START, diabetes_bmi, least_squares, minibatch_descent, mse
from core.optim import (
    METHODS,
    Trajectory,
    convergence_steps,
    descend,
    measured_rate,
    optimal_momentum,
    phase_diagram,
    step_question,
)
from core.surfaces import SURFACES, Surface, custom_surface, nearest_minimum, quadratic_bowl
from ui.lessons.gradient_descent_figures import (
    METHOD_COLOURS,
    Path,
    basin_figure,
    contour_figure,
    curve_figure,
    minibatch_figure,
    phase_figure,
    surface_figure,
)
from ui.plots.charts import log_lines_figure
from ui.plots.kept import clicked_point
from ui.plots.show import plot
from ui.shell.course import correction
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import part_intro
from ui.shell.modes import more_controls, on_a_phone
from ui.shell.url_state import (
    Choice,
    Flag,
    Many,
    Number,
    Text,
    UrlParam,
    url_choice,
    url_multi,
    url_slider,
    url_toggle,
    url_widget,
)
from ui.widgets.code import SNIPPET_DIR, show_code
from ui.widgets.quiz import check_answer

SNIPPET = SNIPPET_DIR / "gradient_descent.py.tmpl"
CURVES = tuple(name for name, s in SURFACES.items() if s.dim == 1)
PLANES = tuple(name for name, s in SURFACES.items() if s.dim == 2)
CUSTOM = "custom"
DEFAULT_FORMULA = "x**2 + 3*sin(y)**2 + 0.1*y**2"
LRS = (0.0001, 0.0003, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0)
BASIN_SURFACES = ("camel", "himmelblau")
TOL = 1e-3


_CURVE_BOX = [s.box[0] for s in SURFACES.values() if s.dim == 1]
_PLANE_BOX = [s.box for s in SURFACES.values() if s.dim == 2] + [((-3.0, 3.0), (-3.0, 3.0))]  # and a formula's
_LR = Number(min(LRS), max(max(LRS), *(s.lr for s in SURFACES.values())))
BATCHES = (1, 4, 16, 64, 442)
"""Batch sizes offered: one patient at a time, … , all 442 (full-batch gradient descent)."""
MINIBATCH_LRS = (0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 0.9, 1.0, 1.1)


LINK = {"curve": Choice(CURVES), "x0": Number(min(lo for lo, _ in _CURVE_BOX), max(hi for _, hi in _CURVE_BOX)),
        "lr": _LR, "beta": Number(0.0, 0.99), "steps": Number(5, 2000, whole=True),
        "plane": Choice([*PLANES, CUSTOM]), "f": Text(200), "methods": Many(METHODS),
        "sx": Number(min(b[0][0] for b in _PLANE_BOX), max(b[0][1] for b in _PLANE_BOX)),
        "sy": Number(min(b[1][0] for b in _PLANE_BOX), max(b[1][1] for b in _PLANE_BOX)),
        **{f"lr_{m}": _LR for m in METHODS}, "view3d": Flag(), "kappa": Choice((2, 5, 10, 20, 50, 100, 200)),
        "bsurf": Choice(BASIN_SURFACES), "blr": _LR, "bbeta": Number(0.0, 0.99), "bsteps": Number(50, 1000, whole=True),
        "qseed": Number(1, 999, whole=True), "mb": Choice(BATCHES), "mlr": Choice(MINIBATCH_LRS),
        "mepochs": Number(1, 10, whole=True)}
"""What the gradient-descent lesson's link may say (``steps``: 5–200 on a curve, 10–2000 on a plane)."""


def lr_control(key: str, name: str, default: float, label: str | None = None) -> float:
    """A step size from a fixed ladder, plus the surface's own suggested one (the bowl's best is 2/(κ+1))."""
    default = round(default, 4)
    options = sorted({*LRS, default})
    if key in st.session_state and st.session_state[key] not in options:  # another surface's suggestion
        st.session_state[key] = default
    return url_choice(st.select_slider, label or t("common.lr"), options, key=key, name=name, default=default,
                      format_func=lambda v: f"{v:g}")


def momentum_control(key: str = "gradient_descent_beta", name: str = "beta", default: float = 0.9) -> float:
    return url_slider(t("gradient_descent.momentum"), key=key, name=name, min_value=0.0, max_value=0.99,
                      default=default,
                      step=0.01, help=t("gradient_descent.momentum_help"))


def minimum_name(surface: Surface, point: np.ndarray) -> str:
    k = int(nearest_minimum(surface, np.asarray(point), 0.05))
    if k < 0:
        return t("gradient_descent.no_minimum")
    m = surface.minima[k]
    where = ", ".join(f"{v:.3g}" for v in m.point)
    return t("gradient_descent.minimum_global" if m.kind == "global" else "gradient_descent.minimum_local",
             where=where, value=f"{m.value:.4g}")


@part_intro("gradient_descent.one.intro")
def part_one_d() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        name = url_choice(st.selectbox, t("gradient_descent.surface"), CURVES, key="gradient_descent_curve",
                          name="curve", default=CURVES[0],
                          format_func=translator("gradient_descent.surfaces."))
        surface = SURFACES[name]
        (lo, hi), = surface.box
        x0 = url_slider(t("gradient_descent.start"), key="gradient_descent_x0", name="x0", min_value=float(lo),
                        max_value=float(hi),
                        default=float(surface.start[0]), step=0.05)
        lr = lr_control("gradient_descent_lr1", "lr", surface.lr)
        beta = momentum_control()
        with more_controls():
            steps = url_slider(t("gradient_descent.steps"), key="gradient_descent_steps1", name="steps", min_value=5,
                               max_value=200, default=60)
    runs = {method: descend(surface.f, surface.grad, [x0], method, lr, steps, momentum=beta)
            for method in ("sgd", "momentum")}
    x = np.linspace(lo, hi, 600)
    fx = surface.f(x[:, None])
    pad = 0.1 * float(np.ptp(fx))
    paths = [Path(t("common.optimizer." + m), METHOD_COLOURS[m], r.points) for m, r in runs.items()]
    labels = {"x": "x", "loss": t("gradient_descent.loss"), "step": t("common.step")}
    with view:
        plot(st, curve_figure(x, fx, paths, lambda p: surface.f(np.asarray(p)[..., None]),
                              lambda p: surface.grad(np.asarray(p)[..., None])[..., 0], [lr, lr], labels,
                              t("common.play"), (float(fx.min()) - pad, float(fx.max()) + pad)),
             key="gradient_descent_curve_fig")
        st.caption(t("gradient_descent.one.arrows"))
        for method, run in runs.items():
            label = t("common.optimizer." + method)
            if run.diverged_at is not None:
                st.warning(t("gradient_descent.diverged", name=label, step=run.diverged_at, lr=lr), icon="💥")
            else:
                st.markdown(t("gradient_descent.one.ends", name=label, x=f"{run.points[-1, 0]:.4g}",
                              where=minimum_name(surface, run.points[-1])))
    show_code(SNIPPET.read_text(), {"surface": name, "formula": None, "start": [x0], "methods": ["sgd", "momentum"],
                                    "lrs": [lr, lr], "beta": beta, "steps": steps},
              filename="gradient_descent.py", key="gradient_descent_code_1d")


def formula_surface() -> tuple[Surface | None, str]:
    text = url_widget(st.text_input, UrlParam("gradient_descent_formula", "f", DEFAULT_FORMULA, str, accepts=LINK["f"]),
                      t("gradient_descent.formula"),
                      max_chars=200, help=t("gradient_descent.formula_help"))
    try:
        return custom_surface(text), text
    except ExprError as error:
        st.error(t("gradient_descent.expr_error." + error.code, token=error.token, position=error.position + 1),
                 icon="✏️")
        return None, text


@st.cache_data(max_entries=64, show_spinner=False)
def cached_runs(plane: str, formula: str | None, start: tuple[float, float], methods: tuple[str, ...],
                lrs: tuple[float, ...], steps: int, beta: float) -> dict[str, Trajectory]:
    """Each optimizer's run on the surface ``plane`` (or the ``formula``'s), shared by every session that asks for the
    same: a class refreshing one link computes it once."""
    surface = custom_surface(formula) if formula is not None else SURFACES[plane]
    return {m: descend(surface.f, surface.grad, list(start), m, lr, steps, momentum=beta)
            for m, lr in zip(methods, lrs, strict=True)}


START_GRID = 21
"""A click on the 2-D map starts at the nearest of ``START_GRID`` × ``START_GRID`` points spread over the surface's
box: round starts, 0.1 to 0.5 apart on the built-in planes (the sliders set any other)."""


def start_at(x: float, y: float, box: tuple[tuple[float, float], tuple[float, float]],
             grid: int = START_GRID) -> tuple[float, float]:
    """The point of the ``grid`` × ``grid`` grid over ``box`` nearest to ``(x, y)`` (finite numbers, inside the box
    or not), each coordinate rounded to 2 decimals as the link writes it."""
    start = []
    for value, (lo, hi) in zip((x, y), box, strict=True):
        spacing = (hi - lo) / (grid - 1)
        k = round((min(max(value, lo), hi) - lo) / spacing)  # clamped first: any finite click, however far
        start.append(round(float(np.linspace(lo, hi, grid)[k]), 2))
    return start[0], start[1]


def set_start_from_click(box: tuple[tuple[float, float], tuple[float, float]]) -> None:
    """The map's click callback: the start nearest to the clicked point (``start_at``) becomes the start (and goes
    into the link)."""
    point = clicked_point("gradient_descent_contour_fig")
    if point is not None and all(type(point[axis]) in (int, float) and math.isfinite(point[axis]) for axis in "xy"):
        sx, sy = start_at(float(point["x"]), float(point["y"]), box)
        st.session_state["gradient_descent_sx"], st.session_state["gradient_descent_sy"] = sx, sy


@part_intro("gradient_descent.two.intro")
def part_two_d() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        name = url_choice(st.selectbox, t("gradient_descent.surface"), [*PLANES, CUSTOM], key="gradient_descent_plane",
                          name="plane",
                          default="rosenbrock", format_func=translator("gradient_descent.surfaces."))
        surface, formula = formula_surface() if name == CUSTOM else (SURFACES[name], None)
        if surface is None:
            return
        (x_lo, x_hi), (y_lo, y_hi) = surface.box
        with more_controls():  # the start is also set by a click on the map
            methods = url_multi(t("gradient_descent.methods"), list(METHODS), key="gradient_descent_methods",
                                name="methods", default=["sgd", "momentum", "adam"],
                                format_func=translator("common.optimizer."), widget=st.multiselect)
            sx = url_slider(t("gradient_descent.start_x"), key="gradient_descent_sx", name="sx",
                            min_value=float(x_lo), max_value=float(x_hi), default=float(surface.start[0]), step=0.01)
            sy = url_slider(t("gradient_descent.start_y"), key="gradient_descent_sy", name="sy",
                            min_value=float(y_lo), max_value=float(y_hi), default=float(surface.start[1]), step=0.01)
            steps = url_slider(t("gradient_descent.steps"), key="gradient_descent_steps2", name="steps",
                               min_value=10, max_value=2000, default=300)
            beta = momentum_control()
        with st.expander(t("gradient_descent.two.rates")):
            lrs = {m: lr_control(f"gradient_descent_lr_{m}", f"lr_{m}",
                                 surface.lr if METHODS[m].torch_name == "SGD" else
                                 METHODS[m].default_lr, t("gradient_descent.lr_of",
                                                          name=t("common.optimizer." + m))) for m in methods}
    if not methods:
        view.info(t("gradient_descent.two.none"), icon="👆")
        return
    nodes = parse_function(formula).nodes if formula is not None else BUILT_IN_NODES
    try:
        check(DESCENT_WORK, descent_work(len(methods), steps, nodes))
    except OverBudget as over:
        view.error(t("budget.descent_work", cost=f"{over.cost:,}", limit=f"{over.budget.limit:,}", nodes=nodes,
                     optimizers=len(methods), steps=steps), icon="⏳")
        return
    runs = cached_runs(name, formula, (sx, sy), tuple(methods), tuple(lrs[m] for m in methods), steps, beta)
    xs, ys = np.linspace(x_lo, x_hi, 120), np.linspace(y_lo, y_hi, 120)
    z = surface.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    paths = [Path(t("common.optimizer." + m), METHOD_COLOURS[m], r.points) for m, r in runs.items()]
    minima = [m.point for m in surface.minima]
    labels = {"start": t("gradient_descent.start"), "minimum": t("gradient_descent.minimum"),
              "step": t("common.step"), "loss": t("gradient_descent.loss"),
              "click": t("gradient_descent.two.click")}
    with view:
        st.caption(t("gradient_descent.two.click_hint"))
        plot(st, contour_figure((xs, ys), z, paths, minima, labels, t("common.play")),
             key="gradient_descent_contour_fig", on_click=lambda: set_start_from_click(surface.box))
        for m, r in runs.items():
            if r.diverged_at is not None:
                st.warning(t("gradient_descent.diverged", name=t("common.optimizer." + m), step=r.diverged_at,
                             lr=lrs[m]), icon="💥")
        plot(st, log_lines_figure(range(steps + 1), loss_series(runs, surface), {
            t("common.optimizer." + m): METHOD_COLOURS[m] for m in runs},
            title=t("gradient_descent.two.loss_title"), x_title=t("common.step"),
            y_title=t("gradient_descent.two.loss_gap")), key="gradient_descent_loss_fig")
        st.table(results_table(runs, surface, lrs), border="horizontal")
        with more_controls():
            show_3d = url_toggle(t("gradient_descent.two.show_3d"), key="gradient_descent_3d", name="view3d")
        if show_3d:
            plot(st, surface_figure((xs, ys), z, paths, surface.f), key="gradient_descent_surface_fig")
    show_code(SNIPPET.read_text(), {"surface": name, "formula": formula,
                                    "start": [sx, sy], "methods": list(methods), "lrs": [lrs[m] for m in methods],
                                    "beta": beta, "steps": steps}, filename="gradient_descent.py",
                                    key="gradient_descent_code_2d")


def best_value(surface: Surface, runs) -> float:
    """The lowest loss known: the global minimum if the surface names one, else the lowest any run reached."""
    if surface.minima:
        return min(m.value for m in surface.minima)
    return min(float(np.min(r.values)) for r in runs.values())


def loss_series(runs, surface: Surface) -> dict[str, np.ndarray]:
    """f − f_best per step (floored at 1e-16, so the log axis can show exact hits); padded after a divergence."""
    best = best_value(surface, runs)
    return {t("common.optimizer." + m): np.maximum(r.values - best, 1e-16) for m, r in runs.items()}


def results_table(runs, surface: Surface, lrs) -> dict[str, list[str]]:
    best = best_value(surface, runs)
    rows = {t("gradient_descent.table." + c): [] for c in ("method", "lr", "reached", "final", "diverged")}
    for m, r in runs.items():
        gap = r.values - best
        hit = int(np.argmax(gap <= TOL)) if np.any(gap <= TOL) else -1
        for column, value in zip(rows, (t("common.optimizer." + m), f"{lrs[m]:g}", str(hit) if hit >= 0 else "—",
                                        f"{r.values[-1]:.6g}",
                                        t("gradient_descent.table.yes") if r.diverged_at is not None
                                        else t("gradient_descent.table.no")), strict=True):
            rows[column].append(value)
    return rows


@st.cache_data(max_entries=16, show_spinner=False)
def cached_phase(kappa: float, budget: int):
    bowl = quadratic_bowl(kappa)
    tuning = optimal_momentum(kappa, 1.0)
    lrs = np.linspace(0.02, 4.0, 60) / kappa
    momenta = np.linspace(0.0, 0.98, 60)
    diagram = phase_diagram(bowl.grad, (1.0, 1.0), (0.0, 0.0), lrs, momenta, steps=budget)
    best = descend(bowl.f, bowl.grad, (1.0, 1.0), "momentum", tuning.lr, budget, momentum=tuning.momentum)
    plain = descend(bowl.f, bowl.grad, (1.0, 1.0), "sgd", 2.0 / (kappa + 1.0), budget)
    return diagram, tuning, measured_rate(best.points, (0.0, 0.0)), measured_rate(plain.points, (0.0, 0.0)), (
        int(convergence_steps(best.points, (0.0, 0.0), 1e-6)), int(convergence_steps(plain.points, (0.0, 0.0), 1e-6)))


@part_intro("gradient_descent.phase.intro")
def part_phase() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        kappa = url_choice(st.select_slider, t("gradient_descent.phase.kappa"), (2, 5, 10, 20, 50, 100, 200),
                           key="gradient_descent_kappa",
                           name="kappa", default=20)
    with view, st.spinner(t("gradient_descent.phase.computing")):
        diagram, tuning, rate_best, rate_plain, (steps_best, steps_plain) = cached_phase(float(kappa), 500)
    labels = {"steps": t("gradient_descent.phase.steps"), "optimum": t("gradient_descent.phase.optimum"),
              "lr": t("common.lr"),
              "momentum": t("gradient_descent.momentum"), "title": t("gradient_descent.phase.title", kappa=kappa)}
    with view:
        plot(st, phase_figure(diagram.lrs, diagram.momenta, diagram.steps, (tuning.lr, tuning.momentum),
                              labels), key="gradient_descent_phase_fig")
        st.markdown(t("gradient_descent.phase.theory", lr=f"{tuning.lr:.4g}", beta=f"{tuning.momentum:.4f}",
                      rate=f"{tuning.rate_momentum:.4f}", measured=f"{rate_best:.4f}", steps=steps_best,
                      rate_gd=f"{tuning.rate_gd:.4f}", measured_gd=f"{rate_plain:.4f}", steps_gd=steps_plain))
        st.caption(t("gradient_descent.phase.blank"))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_basin(name: str, method: str, lr: float, steps: int, beta: float = 0.0):
    """One optimizer's basins, cached on its own: moving β computes the momentum map alone."""
    extra = {"momentum": beta} if method == "momentum" else {}
    return basin_map(SURFACES[name], method, lr, steps, **extra)


@part_intro("gradient_descent.basins.intro")
def part_basins() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        name = url_choice(st.selectbox, t("gradient_descent.surface"), BASIN_SURFACES, key="gradient_descent_bsurf",
                          name="bsurf",
                          default="camel", format_func=translator("gradient_descent.surfaces."))
        surface = SURFACES[name]
        lr = lr_control("gradient_descent_blr", "blr", surface.lr)
        beta = momentum_control("gradient_descent_bbeta", "bbeta", 0.8)
        with more_controls():
            steps = url_slider(t("gradient_descent.steps"), key="gradient_descent_bsteps", name="bsteps",
                               min_value=50, max_value=1000, default=300)
    with view, st.spinner(t("gradient_descent.phase.computing")):
        plain, heavy = cached_basin(name, "sgd", lr, steps), cached_basin(name, "momentum", lr, steps, beta)
    names = [f"{'★' if m.kind == 'global' else '·'}{k + 1}" for k, m in enumerate(surface.minima)]
    minima = [m.point for m in surface.minima]
    globals_ = [k for k, m in enumerate(surface.minima) if m.kind == "global"]
    with view:
        left, right = st.columns(2)
        for column, result, key in ((left, plain, "sgd"), (right, heavy, "momentum")):
            title = t("gradient_descent.basins.title", name=t("common.optimizer." + key))
            plot(column, basin_figure(result.xs, result.ys, result.labels, minima, title, names,
                                      t("gradient_descent.no_minimum")),
                                      key=f"gradient_descent_basin_{key}")
            column.markdown(t("gradient_descent.basins.share", share=f"{100 * result.share[globals_].sum():.0f}",
                              diverged=f"{100 * result.diverged:.0f}"))
        st.caption(t("gradient_descent.basins.legend"))
    endings = compare_endings(surface, plain, heavy)
    correction("0x04 7)", t("gradient_descent.primer.says"), t(
        "gradient_descent.primer.in_fact", starts=f"{endings.starts:,}", better=f"{100 * endings.better:.0f}",
        same=f"{100 * endings.same:.0f}", worse=f"{100 * endings.worse:.0f}"))


@part_intro("gradient_descent.minibatch.intro")
def part_minibatch() -> None:
    """A line fitted to real data by mini-batch gradient descent: the chosen batch size against the full batch,
    their paths over the loss bowl, their losses per epoch, and every batch size at this step size."""
    x, y = diabetes_bmi()
    columns = st.columns(3)
    with columns[0]:
        batch = url_choice(st.select_slider, t("gradient_descent.minibatch.batch"), BATCHES,
                           key="gradient_descent_mb", name="mb", default=16)
    with columns[1]:
        lr = url_choice(st.select_slider, t("common.lr"), MINIBATCH_LRS, key="gradient_descent_mlr", name="mlr",
                        default=0.1)
    with columns[2]:
        epochs = url_slider(t("gradient_descent.minibatch.epochs"), key="gradient_descent_mepochs", name="mepochs",
                            min_value=1, max_value=10, default=3)
    runs = {b: minibatch_descent(x, y, b, lr, epochs) for b in BATCHES}
    optimum = least_squares(x, y)
    best = float(mse(*optimum, x, y))
    ws, bs = np.linspace(-2.0, 2.0, 81), np.linspace(-2.0, 2.0, 81)
    shown = [(t("gradient_descent.minibatch.run", b=b), colour, runs[b].points, runs[b].losses, -(-len(x) // b))
             for b, colour in ((batch, METHOD_COLOURS["momentum"]), (len(x), METHOD_COLOURS["sgd"]))]
    if batch == len(x):
        shown = shown[:1]
    plot(st, minibatch_figure((ws, bs), mse(ws[None, :], bs[:, None], x, y), shown, optimum, {
        "path": t("gradient_descent.minibatch.path"), "loss": t("gradient_descent.minibatch.loss"),
        "epochs": t("gradient_descent.minibatch.epochs"), "minimum": t("gradient_descent.minimum")},
        stacked=on_a_phone()), key="gradient_descent_minibatch")

    def ending(run) -> str:
        if run.diverged_at is not None:
            return t("gradient_descent.minibatch.diverged", step=run.diverged_at)
        return f"{run.losses[-1]:.4f}"

    st.dataframe({t("gradient_descent.minibatch.batch"): [str(b) for b in BATCHES],
                  t("gradient_descent.minibatch.steps"): [str(len(runs[b].points) - 1) for b in BATCHES],
                  t("gradient_descent.minibatch.final"): [ending(runs[b]) for b in BATCHES]}, hide_index=True)
    chosen = runs[batch]
    distance = float(np.hypot(*(chosen.points[-1] - np.array(optimum))))
    show_code((SNIPPET_DIR / "gradient_descent_minibatch.py.tmpl").read_text(), {
        "batch": batch, "lr": lr, "epochs": epochs, "start": START}, filename="minibatch.py",
        key="gradient_descent_code_minibatch")
    correction("0x04 6)", t("gradient_descent.minibatch.says"), t(
        "gradient_descent.minibatch.in_fact", best=f"{best:.4f}", lr=lr, batch=batch, final=ending(chosen),
        distance=f"{distance:.3g}" if chosen.diverged_at is None else "∞"))


@part_intro("gradient_descent.quiz.intro")
def part_quiz() -> None:
    seed = url_slider(t("common.quiz.number"), key="gradient_descent_qseed", name="qseed", min_value=1,
                      max_value=999, default=1)
    q = step_question(seed)
    st.markdown(t("gradient_descent.quiz.question", x=f"{q.x:g}", v=f"{q.v:g}", g=f"{q.g:g}", lr=f"{q.lr:g}",
                  beta=f"{q.beta:g}"))
    st.latex(r"v \leftarrow \beta\,v + g, \qquad x \leftarrow x - \mathrm{lr}\cdot v")
    check_answer(f"gradient_descent_guess_{seed}", q.answer, lambda guess: t(
        "gradient_descent.quiz.wrong", guess=f"{guess:g}", beta=f"{q.beta:g}", v=f"{q.v:g}", g=f"{q.g:g}",
        v_next=f"{q.v_next:.6g}",
        x=f"{q.x:g}", lr=f"{q.lr:g}", answer=f"{q.answer:.6g}"), rel_tol=1e-6, integer=False)
