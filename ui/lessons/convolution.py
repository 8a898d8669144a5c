"""The parts of the convolution lesson (pages/convolution.py): each reads its controls, calls core, draws.

They live here, not in the page, because the lesson has six of them; every number comes from ``core``.
"""


from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.conv import (
    KERNELS,
    SIGNALS,
    conv2d,
    conv_output_size,
    conv_steps,
    convolve_continuous,
    default_grid,
    resolve_padding,
    shifted_kernel,
)
from core.images import shift_image, to_gray
from core.kernel_text import stack_centred
from core.layer_cost import conv_cost, dense_cost
from core.questions.convolution import cell_question, size_question
from ui.lessons.convolution_figures import IntegralFrame, integral_figure
from ui.plots.grids import image_figure, kernel_figure
from ui.plots.panels import panels_figure
from ui.plots.show import plot
from ui.plots.steps import StepFrame, products_text, step_figure
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import drawn_alone, part_intro
from ui.shell.modes import more_controls, more_details, side_by_side
from ui.shell.registry import CONVOLUTION
from ui.shell.theme import palette
from ui.shell.url_state import Choice, Flag, Number, url_choice, url_number, url_slider, url_toggle
from ui.widgets.code import SNIPPET_DIR, show_code
from ui.widgets.grid_input import GRID_LINK, grid_source
from ui.widgets.image_input import IMAGE_LINK, image_picker
from ui.widgets.kernel_editor import KERNEL_LINK, kernel_picker
from ui.widgets.quiz import check_answer, quiz_controls, quiz_link

SNIPPET = SNIPPET_DIR / "convolution.py.tmpl"

PADDINGS = ("valid", "same", "custom")
MODES = ("zeros", "reflect", "replicate", "circular")
T_STEP = 0.1


LINK = {**IMAGE_LINK, **KERNEL_LINK, **GRID_LINK, **quiz_link(("size", "cell")),
        "f": Choice(SIGNALS), "g": Choice(SIGNALS), "t": Number(-4.0, 4.0), "corr": Flag(),
        "s": Number(1, 4, whole=True), "d": Number(1, 3, whole=True), "pad": Choice(PADDINGS),
        "p": Number(0, 3, whole=True), "mode": Choice(MODES), "flip": Flag(), "colour": Flag(),
        "n": Number(3, 16, whole=True), "k": Number(1, 5, whole=True), "seed": Number(0, 99, whole=True),
        "cell": Number(0, 22 * 22 - 1, whole=True),  # the largest output: n = 16, p = 3, k = 1 gives 22 × 22
        **{f"k{c}": Choice(KERNELS) for c in "rgb"}, "bias": Number(-1.0, 1.0),
        "dy": Number(-24, 24, whole=True), "dx": Number(-24, 24, whole=True)}
"""What the convolution lesson's link may say."""


@st.cache_data(max_entries=64, show_spinner=False)
def integral_data(f_name: str, g_name: str, flip: bool, n: int = 401):
    """Samples of f, g, f∗g on a grid over [-4, 4] (with the signals' jumps on it), and one IntegralFrame every
    T_STEP."""
    tau = default_grid(n, 4.0)
    f, g = SIGNALS[f_name].fn(tau), SIGNALS[g_name].fn(tau)
    result = convolve_continuous(f, g, tau, flip=flip)
    frames = []
    for t_now in np.round(np.arange(-4.0, 4.0 + T_STEP / 2, T_STEP), 10):
        g_shift = shifted_kernel(g, tau, t_now, flip=flip)
        frames.append(IntegralFrame(float(t_now), g_shift, f * g_shift, float(np.interp(t_now, tau, result))))
    return tau, f, result, frames


@part_intro("convolution.integral.intro")
def part_integral() -> None:
    c1, c2 = st.columns(2)
    f_name = url_choice(c1.selectbox, t("convolution.integral.f"), list(SIGNALS), key="convolution_f", name="f",
                        default="rectangle", format_func=translator("convolution.signal."))
    g_name = url_choice(c2.selectbox, t("convolution.integral.g"), list(SIGNALS), key="convolution_g", name="g",
                        default="rectangle", format_func=translator("convolution.signal."))
    # t is the figure's own slider, moved in the browser (every frame sent once): a link says where it starts
    t_now = url_number(key="convolution_t", name="t", min_value=-4.0, max_value=4.0, default=-1.5)
    compare = url_toggle(t("convolution.integral.compare"), key="convolution_corr", name="corr")
    labels = {key: t("convolution.integral.label." + key) for key in ("f", "g", "product", "result", "tau", "t")}
    pal = palette()
    columns = st.columns(2) if compare else [st.container()]
    for column, flip in zip(columns, (True, False), strict=False):
        tau, f, result, frames = integral_data(f_name, g_name, flip)
        current = round((t_now + 4.0) / T_STEP)
        label = translator("convolution.integral.label.")
        names = dict(labels, g=label("g" if flip else "g_noflip"),
                     product=label("product" if flip else "product_noflip"),
                     result=label("result" if flip else "correlation"))
        with column:
            if compare:
                st.subheader(t("convolution.integral.conv_title" if flip else "convolution.integral.corr_title"))
            plot(st, integral_figure(tau, f, result, frames, current, names, pal, t("common.play")),
                 key=f"convolution_integral_{flip}")
    st.caption(t("convolution.integral.note"))


def padding_controls(key: str) -> tuple:
    """Stride, padding (valid / same / custom amount), padding mode and dilation, all in the URL."""
    c1, c2 = st.columns(2)
    with c1:
        s = url_slider(t("convolution.stride"), key=f"{key}_s", name="s", min_value=1, max_value=4, default=1)
    with c2:
        d = url_slider(t("convolution.dilation"), key=f"{key}_d", name="d", min_value=1, max_value=3, default=1)
    kind = url_choice(st.segmented_control, t("convolution.padding"), PADDINGS, key=f"{key}_pad", name="pad",
                      default="valid",
                      format_func=translator("convolution.padding_kind."))
    p = 0
    if kind == "custom":
        p = url_slider(t("convolution.padding_amount"), key=f"{key}_p", name="p", min_value=0, max_value=3, default=1)
    padding = p if kind == "custom" else kind
    mode = "zeros"
    if padding not in ("valid", 0):
        mode = url_choice(st.selectbox, t("convolution.padding_mode"), MODES, key=f"{key}_mode", name="mode",
                          default="zeros", format_func=translator("convolution.mode."))
    if kind == "same" and s != 1:
        st.warning(t("convolution.same_needs_stride_1"))
        padding = "valid"
    return s, padding, mode, d


def size_problem(shape: tuple[int, int], w: np.ndarray, s: int, padding, mode: str, d: int) -> str | None:
    """A translated explanation if this combination cannot be computed, else None."""
    (top, bottom), (left, right) = resolve_padding(padding, w.shape, d, s)
    for n, k, before, after in ((shape[0], w.shape[0], top, bottom), (shape[1], w.shape[1], left, right)):
        if mode == "reflect" and max(before, after) >= n:
            return t("convolution.error.reflect", p=max(before, after), n=n)
        if n + before + after < d * (k - 1) + 1:
            return t("convolution.error.too_small", n=n, p=before + after, k=k, d=d, span=d * (k - 1) + 1)
    return None


def size_formula(n: int, k: int, s: int, p_total: int, d: int, axis: str) -> str:
    out = conv_output_size(n, k, s, (p_total, 0), d)
    return (f"{axis}ₒᵤₜ = ⌊({n} + {p_total} − {d}·({k} − 1) − 1) / {s}⌋ + 1 = **{out}**")


@part_intro("convolution.image.intro")
def part_image() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("convolution")
        w = kernel_picker("convolution")
        if w is not None:
            plot(st, kernel_figure(w, t("convolution.image.kernel", h=w.shape[0], w=w.shape[1]), height=200),
                 key="convolution_image_kernel")
        with more_controls():
            s, padding, mode, d = padding_controls("convolution")
            flip = url_toggle(t("convolution.flip"), key="convolution_flip", name="flip",
                              help=t("convolution.flip_help"))
            colour = url_toggle(t("convolution.colour"), key="convolution_colour", name="colour",
                                help=t("convolution.colour_help"))
    if picked is None or w is None:
        return
    x = picked.rgb.transpose(2, 0, 1) if colour else to_gray(picked.rgb)[None]
    problem = size_problem(x.shape[1:], w, s, padding, mode, d)
    with view:
        if problem:
            st.error(problem, icon="📐")
            return
        # In colour, each channel is convolved on its own with the same kernel (a depthwise convolution).
        out = np.stack([conv2d(c, w, stride=s, padding=padding, dilation=d, padding_mode=mode, flip=flip) for c in x])
        c1, c3 = st.columns(2)
        h, wd = x.shape[1:]
        plot(c1, image_figure(picked.rgb if colour else x[0], t("convolution.image.input", h=h, w=wd),
                              kind="rgb" if colour else "gray", colorbar=False), key="convolution_image_input")
        ho, wo = out.shape[1:]
        if colour:
            shown = out.transpose(1, 2, 0)
            shown = 0.5 + shown / (2 * (np.abs(shown).max() or 1)) if shown.min() < 0 else np.clip(shown, 0, 1)
            plot(c3, image_figure(shown, t("convolution.image.output", h=ho, w=wo), kind="rgb"),
                 key="convolution_image_output")
        else:
            plot(c3, image_figure(out[0], t("convolution.image.output", h=ho, w=wo), value_label="out = "),
                 key="convolution_image_output")
        (top, bottom), (left, right) = resolve_padding(padding, w.shape, d, s)
        st.markdown(t("convolution.image.formula") + "\n\n" + size_formula(h, w.shape[0], s, top + bottom, d,
                                                                           "H") + "  \n"
                    + size_formula(wd, w.shape[1], s, left + right, d, "W"))
        if out.min() < 0 and not colour:
            st.caption(t("convolution.image.signed_note"))
    code_and_check(x, picked.name, w, s, padding, mode, d, flip, colour, out)


def code_and_check(x: np.ndarray, image: str, w, s, padding, mode, d, flip, colour, out) -> None:
    """The snippet that reproduces the image part, and the live max |core − torch| on these very inputs."""
    from core.torch_reference import TORCH_PAD_MODES, torch_conv2d_per_channel

    pads = resolve_padding(padding, w.shape, d, s)
    diff = float(np.abs(out - torch_conv2d_per_channel(x, w, s, pads, mode, d, flip)).max())
    with more_details():
        st.metric(t("common.diff"), f"{diff:.2e}", help=t("convolution.code.diff_help"))
    (top, bottom), (left, right) = pads
    show_code(SNIPPET.read_text(), {"image": image, "colour": colour, "w": w.tolist(), "s": s, "padding": padding,
                                    "d": d, "mode": mode, "flip": flip, "pads": (left, right, top, bottom),
                                    "torch_mode": TORCH_PAD_MODES[mode]}, filename="convolution.py",
                                    key="convolution_code")


@part_intro("convolution.steps.intro")
def part_steps() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        n = url_slider(t("convolution.steps.n"), key="convolution_sn", name="n", min_value=3, max_value=16, default=5)
        k = url_slider(t("convolution.steps.k"), key="convolution_sk", name="k", min_value=1, max_value=5, default=3)
        with more_controls():
            s = url_slider(t("convolution.stride"), key="convolution_ss", name="s", min_value=1, max_value=4,
                           default=1)
            p = url_slider(t("convolution.padding_amount"), key="convolution_sp", name="p", min_value=0, max_value=3,
                           default=0)  # the primer's picture first: no padding, a smaller output
            d = url_slider(t("convolution.dilation"), key="convolution_sd", name="d", min_value=1, max_value=3,
                           default=1)
            seed = url_slider(t("common.steps.seed"), key="convolution_seed", name="seed", min_value=0, max_value=99,
                              default=0)
            x = grid_source("convolution", n, seed)
    if x is None:
        return
    w = np.random.default_rng(seed + 1000).integers(-1, 2, (k, k)).astype(float)
    try:
        ho, wo = conv_output_size(x.shape[0], k, s, p, d), conv_output_size(x.shape[1], k, s, p, d)
    except ValueError:
        view.error(t("convolution.error.too_small", n=min(x.shape), p=2 * p, k=k, d=d, span=d * (k - 1) + 1), icon="📐")
        return
    out = conv2d(x, w, stride=s, padding=p, dilation=d)
    with controls:
        cell = url_slider(t("common.steps.cell"), key="convolution_cell", name="cell", min_value=0,
                          max_value=ho * wo - 1,
                          default=0, help=t("common.steps.cell_help"))
    steps = conv_steps(x, w, stride=s, padding=p, dilation=d)
    frames = [StepFrame(i, j, st_.rows, st_.cols, st_.products, products_text(st_.window, w), st_.value)
              for (i, j), st_ in zip(np.ndindex(ho, wo), steps, strict=True)]
    x_padded = np.pad(x, p)
    is_pad = np.pad(np.zeros_like(x, dtype=bool), p, constant_values=True)
    titles = {key: t("common.steps." + key) for key in ("input", "output", "cell")} | {
        "middle": t("convolution.steps.products")}
    with view:
        plot(st, step_figure(x_padded, is_pad, out, frames, cell, titles, palette(), t("common.play")),
             key="convolution_steps_fig")
        now = steps[cell]
        terms = " + ".join(f"({a:g}×{b:g})" for a, b in zip(now.window.ravel(), w.ravel(), strict=True))
        i, j = divmod(cell, wo)
        st.markdown(t("convolution.steps.sum", i=i, j=j, terms=terms, value=f"{now.value:g}"))
        st.caption(t("convolution.steps.legend"))
    size = dict(ho=ho, wo=wo, h=x.shape[0], w=x.shape[1])
    if p == 0 and (ho, wo) != x.shape:
        st.markdown(t("convolution.steps.smaller", same=d * (k - 1) // 2, **size))
    else:
        st.markdown(t("convolution.steps.size", p=p, **size))


@part_intro("convolution.channels.intro")
def part_channels() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("convolution")
        names = [url_choice(st.selectbox, t("convolution.channels.kernel_for",
                                            channel=t("convolution.channels.rgb." + c)),
                            list(KERNELS), key=f"convolution_k{c}", name=f"k{c}", default=default,
                            format_func=translator("kernel.name."))
                 for c, default in (("r", "sobel_x"), ("g", "sobel_y"), ("b", "box_blur"))]
    if picked is None:
        return
    rgb = picked.rgb[::2, ::2] if max(picked.rgb.shape[:2]) > 256 else picked.rgb
    x = rgb.transpose(2, 0, 1)
    weight = stack_centred([KERNELS[name].weights for name in names])
    labels = tuple(t("convolution.channels.rgb." + c) for c in "rgb")
    rows = channel_rows(np.ascontiguousarray(x), tuple(names), labels, tuple(t("kernel.name." + n) for n in names),
                        tuple(t("convolution.channels.contribution", channel=label) for label in labels))
    with view:
        for row in rows.figures:
            for cell, fig in zip(st.columns(3), row, strict=True):  # plotly draws no narrower than 150 px: equal
                plot(cell, fig)  # thirds keep the kernel whole
        drawn_alone(CONVOLUTION, lambda: bias_and_sum(x, weight, rows.parts), "convolution: channels, the bias")


def bias_and_sum(x: np.ndarray, weight: np.ndarray, parts: list[np.ndarray]) -> None:
    """The bias and the sum it shifts, with the check that the sum is the channels' contributions plus the bias. Its
    own fragment: the bias reruns it alone, and the rows above (the channels, their kernels and contributions) are
    neither built nor sent again."""
    with more_controls():
        b = url_slider(t("convolution.channels.bias"), key="convolution_bias", name="bias", min_value=-1.0,
                       max_value=1.0, default=0.0, step=0.1)
    out = conv2d(x, weight[None], bias=np.array([b]), padding="same")[0]
    plot(st, image_figure(out, t("convolution.channels.sum", b=f"{b:g}"), height=360), key="convolution_channels_sum")
    check = float(np.abs(sum(parts) + b - out).max())
    st.markdown(t("convolution.channels.explain", check=f"{check:.1e}", params=weight.size + 1))


@dataclass(frozen=True)
class ChannelRows:
    """Each input channel's convolution on its own (``parts``) and its row of figures: the channel, its kernel, what
    it adds to the sum."""

    parts: list[np.ndarray]
    figures: list[tuple[dict, dict, dict]]


@st.cache_data(max_entries=16, show_spinner=False)
def channel_rows(x: np.ndarray, names: tuple[str, ...], labels: tuple[str, ...], kernel_titles: tuple[str, ...],
                 part_titles: tuple[str, ...]) -> ChannelRows:
    """The three rows above the sum, which the bias does not change: built once per picture, kernels and language
    (the bias slider redrew them, 60 of a rerun's 90 ms on the server; ``bench/latency.py``)."""
    weight = stack_centred([KERNELS[name].weights for name in names])
    parts = [conv2d(x[c], weight[c], padding="same") for c in range(3)]
    figures = [(image_figure(x[c], labels[c], kind="gray", height=220).to_dict(),
                kernel_figure(weight[c], kernel_titles[c], height=180).to_dict(),
                image_figure(parts[c], part_titles[c], height=220).to_dict()) for c in range(3)]
    return ChannelRows(parts, figures)


@part_intro("convolution.why.intro")
def part_why() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("convolution")
        w = kernel_picker("convolution")
        dy = url_slider(t("convolution.why.dy"), key="convolution_dy", name="dy", min_value=-24, max_value=24,
                        default=10)
        dx = url_slider(t("convolution.why.dx"), key="convolution_dx", name="dx", min_value=-24, max_value=24,
                        default=6)
    if picked is None or w is None:
        return
    x = to_gray(picked.rgb)
    if size_problem(x.shape, w, 1, "same", "zeros", 1):
        return
    out = conv2d(x, w, padding="same")
    of_shifted, shifted_of = conv2d(shift_image(x, dy, dx), w, padding="same"), shift_image(out, dy, dx)
    diff = of_shifted - shifted_of
    margin = max(w.shape) + 1  # away from the edges, where zeros enter and leave the image
    inner = diff[abs(dy) + margin:diff.shape[0] - abs(dy) - margin, abs(dx) + margin:diff.shape[1] - abs(dx) - margin]
    with view:
        st.subheader(t("convolution.why.equivariance"))
        # three small pictures side by side in one figure (about 190 pixels wide each on a laptop), each drawn in
        # blocks of at most 192 a side (the numbers below are the whole maps')
        plot(st, panels_figure([(of_shifted, t("convolution.why.conv_of_shifted")),
                                (shifted_of, t("convolution.why.shifted_conv")),
                                (diff, t("convolution.why.difference"), "signed")], side_by_side(3), 200,
                               pictures=True,
                               max_side=192), key="convolution_why_maps")
        st.markdown(t("convolution.why.equivariance_result",
                      inner=f"{float(np.abs(inner).max()) if inner.size else 0:.1e}",
                      edge=f"{float(np.abs(diff).max()):.3g}"))

        st.subheader(t("convolution.why.params"))
        h, wd = x.shape
        k, c_out = w.shape, 8
        conv = conv_cost(3, c_out, *k, h, wd)
        dense = dense_cost(3 * h * wd, c_out * h * wd)
        st.markdown(t("convolution.why.params_table", h=h, w=wd, kh=k[0], kw=k[1], c_out=c_out,
                      conv_params=f"{conv.params:,}", dense_params=f"{dense.params:,}",
                      ratio=f"{dense.params / conv.params:,.0f}", conv_ops=f"{conv.mult_adds:,}",
                      dense_ops=f"{dense.mult_adds:,}"))

        st.subheader(t("convolution.why.shrink"))
        ho, wo = conv_output_size(h, k[0]), conv_output_size(wd, k[1])
        same, valid = conv_cost(c_out, c_out, 3, 3, h, wd), conv_cost(c_out, c_out, 3, 3, ho, wo)
        st.markdown(t("convolution.why.shrink_text", h=h, w=wd, ho=ho, wo=wo, kh=k[0], kw=k[1], c=c_out,
                      same_ops=f"{same.mult_adds:,}", valid_ops=f"{valid.mult_adds:,}",
                      saved=f"{100 * (1 - valid.mult_adds / same.mult_adds):.1f}"))


def part_quiz() -> None:
    st.markdown(t("common.quiz.intro"))
    kind, seed = quiz_controls("convolution", ("size", "cell"), "convolution.quiz.kind.")
    if kind == "size":
        q = size_question(seed)
        st.markdown(t("convolution.quiz.size_question", n=q.n, k=q.k, s=q.s, p=q.p, d=q.d))
        check_answer(f"convolution_guess_size_{seed}", q.answer, lambda guess: t(
            "convolution.quiz.wrong_size", guess=f"{guess:g}", n=q.n, k=q.k, s=q.s, p=q.p, d=q.d,
            inside=q.n + 2 * q.p - q.d * (q.k - 1) - 1, answer=q.answer))
    else:
        q = cell_question(seed)
        cols = st.columns(2)
        plot(cols[0], kernel_figure(q.x, t("common.quiz.input"), height=240))
        plot(cols[1], kernel_figure(q.w, t("convolution.quiz.kernel"), height=200))
        st.markdown(t("convolution.quiz.cell_question", i=q.i, j=q.j))
        terms = " + ".join(f"{a:g}×{b:g}" for a, b in zip(q.x[q.i:q.i + 2, q.j:q.j + 2].ravel(), q.w.ravel(),
                                                            strict=True))
        check_answer(f"convolution_guess_cell_{seed}", q.answer, lambda guess: t(
            "convolution.quiz.wrong_cell", guess=f"{guess:g}", terms=terms, answer=f"{q.answer:g}"))
