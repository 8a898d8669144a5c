"""The parts of the pooling lesson (pages/pooling.py): each reads its controls, calls core, draws."""


import numpy as np
import streamlit as st

from core.conv import KERNELS
from core.images import to_gray
from core.layer_cost import conv_cost
from core.pooling import feature_map, global_avg_pool, pool2d, pool_output_size, pool_step, shift_curve
from core.questions.pooling import pool_size_question, pool_winner_question
from core.torch_reference import torch_pool2d
from ui.plots.charts import bars_figure, lines_figure
from ui.plots.grids import image_figure, kernel_figure
from ui.plots.show import plot
from ui.plots.steps import StepFrame, step_figure
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import part_intro
from ui.shell.modes import more_controls
from ui.shell.theme import palette
from ui.shell.url_state import Choice, Flag, Number, url_choice, url_slider, url_toggle
from ui.widgets.code import SNIPPET_DIR, show_code
from ui.widgets.grid_input import GRID_LINK, grid_source
from ui.widgets.image_input import IMAGE_LINK, image_picker
from ui.widgets.kernel_editor import KERNEL_LINK, kernel_picker
from ui.widgets.quiz import check_answer, quiz_controls, quiz_link

MODES = ("max", "avg")
SNIPPET = SNIPPET_DIR / "pooling.py.tmpl"
GLOBAL_KERNELS = ("sobel_x", "sobel_y", "laplacian", "emboss", "outline", "box_blur")


LINK = {**IMAGE_LINK, **KERNEL_LINK, **GRID_LINK, **quiz_link(("size", "winner")),
        "mode": Choice(MODES), "n": Number(2, 12, whole=True), "size": Number(1, 5, whole=True),
        "s": Number(1, 5, whole=True), "p": Number(0, 2, whole=True), "ceil": Flag(), "seed": Number(0, 99, whole=True),
        "cell": Number(0, 16 * 16 - 1, whole=True),  # the largest output: n = 12, p = 2, size = 1 gives 16 × 16
        "edges": Flag(), "window": Number(2, 4, whole=True), "k": Number(1, 8, whole=True)}
"""What the pooling lesson's link may say (``size``: the step-by-step window; ``window``: on a picture)."""


def mode_control() -> str:
    return url_choice(st.segmented_control, t("pooling.mode"), MODES, key="pooling_mode", name="mode", default="max",
                      format_func=translator("pooling.mode_name."))


def window_problem(n: int, size: int, s: int, p: int, ceil_mode: bool) -> str | None:
    """A translated explanation if torch would refuse this window, else None."""
    if 2 * p > size:
        return t("pooling.error.padding", p=p, size=size)
    try:
        pool_output_size(n, size, s, p, ceil_mode)
    except ValueError:
        return t("pooling.error.too_small", n=n, p=p, size=size)
    return None


@part_intro("pooling.steps.intro")
def part_steps() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        mode = mode_control()
        size = url_slider(t("pooling.size"), key="pooling_size", name="size", min_value=1, max_value=5, default=2)
        with more_controls():
            n = url_slider(t("pooling.steps.n"), key="pooling_n", name="n", min_value=2, max_value=12, default=6)
            s = url_slider(t("pooling.stride"), key="pooling_s", name="s", min_value=1, max_value=5, default=2)
            p = url_slider(t("pooling.padding"), key="pooling_p", name="p", min_value=0, max_value=2, default=0)
            ceil_mode = url_toggle(t("pooling.ceil"), key="pooling_ceil", name="ceil", help=t("pooling.ceil_help"))
            seed = url_slider(t("common.steps.seed"), key="pooling_seed", name="seed", min_value=0, max_value=99,
                              default=0)
            x = grid_source("pooling", n, seed)
    if x is None:
        return
    problem = window_problem(min(x.shape), size, s, p, ceil_mode)
    if problem:
        view.error(problem, icon="📐")
        return
    out = pool2d(x, size, s, p, mode=mode, ceil_mode=ceil_mode)
    ho, wo = out.shape
    with controls:
        cell = url_slider(t("common.steps.cell"), key="pooling_cell", name="cell", min_value=0,
                          max_value=ho * wo - 1,
                          default=0, help=t("common.steps.cell_help"))
    steps = [pool_step(x, size, s, p, i, j, mode, ceil_mode=ceil_mode) for i in range(ho) for j in range(wo)]
    frames = [StepFrame(i, j, step.rows, step.cols, step.window, cell_labels(step), step.value)
              for (i, j), step in zip(np.ndindex(ho, wo), steps, strict=True)]
    h, w = x.shape
    hp = max(int(steps[-1].rows.max()) + 1, h + 2 * p)
    wp = max(int(steps[-1].cols.max()) + 1, w + 2 * p)
    x_padded = np.zeros((hp, wp))
    x_padded[p:p + h, p:p + w] = x
    is_pad = np.ones((hp, wp), dtype=bool)
    is_pad[p:p + h, p:p + w] = False
    titles = {"input": t("common.steps.input"), "middle": t("pooling.steps.window"),
              "output": t("common.steps.output"),
              "cell": t("common.steps.cell")}
    now = steps[cell]
    i, j = divmod(cell, wo)
    with view:
        plot(st, step_figure(x_padded, is_pad, out, frames, cell, titles, palette(), t("common.play")),
             key="pooling_steps_fig")
        if mode == "max":
            st.markdown(t("pooling.steps.max_sum", i=i, j=j, value=f"{now.value:g}", row=now.rows[now.winner[0]],
                          col=now.cols[now.winner[1]]))
        else:
            st.markdown(t("pooling.steps.avg_sum", i=i, j=j, total=f"{now.total:g}", count=now.count,
                          value=f"{now.value:.4g}"))
        st.caption(t("pooling.steps.legend"))


def cell_labels(step) -> list[list[str]]:
    """The window's values; the winner of a max pool starred, padded cells as '·'."""
    labels = [[("·" if pad else f"{v:g}") for v, pad in zip(row, pads, strict=True)]
              for row, pads in zip(step.window, step.is_padding, strict=True)]
    if step.winner is not None:
        r, c = step.winner
        labels[r][c] = f"★ {labels[r][c]}"
    return labels


@part_intro("pooling.image.intro")
def part_image() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("pooling")
        mode = mode_control()
        size = url_slider(t("pooling.size"), key="pooling_isize", name="window", min_value=2, max_value=4, default=2,
                          help=t("pooling.image.size_help"))
        with more_controls():
            edges = url_toggle(t("pooling.image.edges"), key="pooling_edges", name="edges", default=True)
            w = kernel_picker("pooling") if edges else None
    if picked is None or (edges and w is None):
        return
    x = to_gray(picked.rgb)
    stages = [(t("pooling.image.input", h=x.shape[0], w=x.shape[1]), x, "gray")]
    if edges:
        x = feature_map(x, w)
        stages.append((t("pooling.image.relu", h=x.shape[0], w=x.shape[1]), x, "auto"))
    if min(x.shape) < size:
        view.error(t("pooling.error.too_small", n=min(x.shape), p=0, size=size), icon="📐")
        return
    out = pool2d(x, size, mode=mode)
    stages.append((t("pooling.image.pooled", h=out.shape[0], w=out.shape[1]), out, "auto"))
    scale = min(1.0, 300 / stages[0][1].shape[1])  # every stage at its true size relative to the input
    with view:
        for n, (column, (title, z, kind)) in enumerate(zip(st.columns([3, 3, 2] if edges else [3, 2]), stages,
                                                           strict=True)):
            plot(column, image_figure(z, title, kind=kind, height=int(z.shape[0] * scale) + 40, colorbar=False),
                 width=max(150, int(z.shape[1] * scale)), key=f"pooling_image_stage_{n}")
        c = 16
        before, after = conv_cost(c, c, 3, 3, *x.shape), conv_cost(c, c, 3, 3, *out.shape)
        st.markdown(t("pooling.image.numbers", before=f"{x.size:,}", after=f"{out.size:,}",
                      ratio=f"{x.size / out.size:.3g}", c=c, ops_before=f"{before.mult_adds:,}",
                      ops_after=f"{after.mult_adds:,}",
                      saved=f"{100 * (1 - after.mult_adds / before.mult_adds):.0f}"))
        diff = float(np.abs(out - torch_pool2d(x[None], size, size, 0, mode, False)[0]).max())
        st.metric(t("common.diff"), f"{diff:.2e}", help=t("pooling.diff_help"))
    show_code(SNIPPET.read_text(), {"image": picked.name, "edges": edges, "w": None if w is None else w.tolist(),
                                    "size": size, "mode": mode}, filename="pooling.py", key="pooling_code")


@st.cache_data(max_entries=32, show_spinner=False)
def cached_shift_curve(rgb: np.ndarray, w: np.ndarray, k: int, size: int) -> dict[str, list[float]]:
    """``shift_curve`` of the picture in grey for shifts 0 … k, cached per picture, kernel, k and window: each point
    convolves and pools the whole picture (most of the part's rerun on the server)."""
    return shift_curve(to_gray(rgb), w, range(k + 1), size)


@part_intro("pooling.shift.intro")
def part_shift() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("pooling", default="shapes")
        w = kernel_picker("pooling")
        size = url_slider(t("pooling.size"), key="pooling_isize", name="window", min_value=2, max_value=4, default=2)
        k = url_slider(t("pooling.shift.k"), key="pooling_k", name="k", min_value=1, max_value=8, default=6)
    if picked is None or w is None:
        return
    curve = cached_shift_curve(picked.rgb, w, k, size)
    series = {t("pooling.shift.feature"): curve["feature"], t("pooling.shift.max"): curve["max"],
              t("pooling.shift.avg"): curve["avg"]}
    with view:
        plot(st, lines_figure(range(k + 1), series, t("pooling.shift.title"), t("pooling.shift.x"),
                              t("pooling.shift.y")))
        st.markdown(t("pooling.shift.result", feature=f"{curve['feature'][1]:.2f}", max=f"{curve['max'][1]:.2f}",
                      avg=f"{curve['avg'][1]:.2f}", size=size))


@part_intro("pooling.global.intro")
def part_global() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("pooling", default="shapes")
    if picked is None:
        return
    x = to_gray(picked.rgb)
    maps = np.stack([feature_map(x, KERNELS[name].weights) for name in GLOBAL_KERNELS])
    means = global_avg_pool(maps)
    names = [t("kernel.name." + name) for name in GLOBAL_KERNELS]
    with view:
        columns = st.columns(3)
        for n, (name, z) in enumerate(zip(names, maps, strict=True)):
            plot(columns[n % 3], image_figure(z, name, height=200, colorbar=False))
        plot(st, bars_figure(names, means, t("pooling.global.bars", c=len(names), h=x.shape[0], w=x.shape[1])))
        st.markdown(t("pooling.global.after"))


def part_quiz() -> None:
    st.markdown(t("common.quiz.intro"))
    kind, seed = quiz_controls("pooling", ("size", "winner"), "pooling.quiz.kind.")
    if kind == "size":
        q = pool_size_question(seed)
        rounding = t("pooling.quiz.ceil" if q.ceil_mode else "pooling.quiz.floor")
        st.markdown(t("pooling.quiz.size_question", n=q.n, size=q.size, s=q.s, p=q.p, rounding=rounding))
        check_answer(f"pooling_guess_size_{seed}", q.answer, lambda guess: t(
            "pooling.quiz.wrong_size", guess=f"{guess:g}", n=q.n, size=q.size, s=q.s, p=q.p, answer=q.answer,
            rounding=rounding))
    else:
        q = pool_winner_question(seed)
        plot(st, kernel_figure(q.x, t("common.quiz.input"), height=260))
        st.markdown(t("pooling.quiz.winner_question", i=q.i, j=q.j))
        values = ", ".join(f"{v:g}" for v in q.x[2 * q.i:2 * q.i + 2, 2 * q.j:2 * q.j + 2].ravel())
        check_answer(f"pooling_guess_winner_{seed}", q.answer, lambda guess: t(
            "pooling.quiz.wrong_winner", guess=f"{guess:g}", values=values, answer=f"{q.answer:g}"))
