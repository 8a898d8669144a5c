"""The parts of the tensors lesson (pages/tensors.py): each reads its controls, calls core, draws."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from core.budgets import TENSOR_PICTURE, cells
from core.tensors import (
    BINARY_OPS,
    BROADCAST_EXAMPLES,
    REDUCTIONS,
    BroadcastError,
    ShapeError,
    broadcast_apply,
    broadcast_steps,
    demo_values,
    format_shape,
    memory_report,
    parse_answer,
    parse_shape,
    reduce,
    reduce_shape,
    shape_question,
)
from ui.lessons.tensors_figures import MAX_PICTURE_CELLS, tensor_figure
from ui.plots.show import plot
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import part_intro
from ui.shell.modes import more_controls
from ui.shell.theme import palette
from ui.shell.url_state import (
    Choice,
    Flag,
    Number,
    Text,
    UrlParam,
    url_choice,
    url_slider,
    url_toggle,
    url_widget,
)
from ui.widgets.code import SNIPPET_DIR, show_code

SNIPPET = SNIPPET_DIR / "tensors.py.tmpl"
KINDS = ("scalar", "vector", "matrix", "tensor3", "tensor4")  # index = ndim
DTYPES = {"float64": 8, "float32": 4, "float16": 2}
DEFAULT_SIZES = (2, 3, 4, 5)  # per axis, the sizes a new tensor starts with
CUSTOM = "custom"
OPERANDS = ("a", "b", "c")
COLOURS = ("#2563eb", "#d97706", "#059669")


LINK = {"kind": Choice(KINDS), **{f"n{k}": Number(1, 5, whole=True) for k in range(4)},
        "rop": Choice(REDUCTIONS), "raxis": Choice(range(4)), "keep": Flag(),
        "ex": Choice([*BROADCAST_EXAMPLES, CUSTOM]), **{name: Text(80) for name in OPERANDS},
        "op": Choice(BINARY_OPS), "dtype": Choice(DTYPES), "qseed": Number(1, 999, whole=True)}
"""What the tensors lesson's link may say (``a``, ``b``, ``c``: typed shapes)."""


def axis_labels(shape: tuple[int, ...]) -> list[str]:
    return [t("tensors.axis_label", k=k, n=n) for k, n in enumerate(shape)]


@part_intro("tensors.basics.intro")
def part_basics() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        kind = url_choice(st.radio, t("tensors.basics.ndim"), KINDS, key="tensors_kind", name="kind",
                          default="tensor3", format_func=translator("tensors.kind."))
        ndim = KINDS.index(kind)
        shape = tuple(url_slider(t("tensors.basics.size", k=k), key=f"tensors_n{k}", name=f"n{k}", min_value=1,
                                 max_value=5, default=DEFAULT_SIZES[4 - ndim + k] if ndim else 1)
                      for k in range(ndim))
    x = demo_values(shape)
    pal = palette()
    with view:
        st.markdown(t("tensors.basics.summary", kind=t("tensors.kind." + kind), shape=format_shape(shape), ndim=ndim,
                      size=x.size))
        plot(st, tensor_figure(x, title=t("tensors.basics.figure", shape=format_shape(shape)), name="x",
                               colour=COLOURS[0], text_colour=pal.text, axis_labels=axis_labels(shape)),
             key="tensors_basics_fig")
        st.caption(t("tensors.basics.hover"))
    if ndim == 0:
        st.info(t("tensors.basics.scalar_reduce"), icon="ℹ️")
        return
    st.subheader(t("tensors.reduce.title"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        op = url_choice(st.radio, t("tensors.reduce.op"), list(REDUCTIONS), key="tensors_rop", name="rop",
                        default="sum", format_func=translator("tensors.reduce.ops."), horizontal=True)
        axis = url_choice(st.segmented_control, t("tensors.reduce.axis"), list(range(ndim)), key="tensors_raxis",
                          name="raxis", default=0)
        with more_controls():
            keepdims = url_toggle("keepdims", key="tensors_keep", name="keep", help=t("tensors.reduce.keep_help"))
    out = reduce(x, op, axis, keepdims)
    with view:
        st.markdown(t("tensors.reduce.result", op=op, axis=axis, shape=format_shape(shape),
                      out=format_shape(reduce_shape(shape, axis, keepdims)),
                      other=format_shape(reduce_shape(shape, axis, not keepdims)),
                      keep="True" if keepdims else "False", other_keep="False" if keepdims else "True"))
        out_shape = out.shape
        title = t("tensors.reduce.figure", op=op, axis=axis, shape=format_shape(out_shape))
        plot(st, tensor_figure(out, title=title, name="y", colour=COLOURS[2], text_colour=pal.text,
                               axis_labels=axis_labels(out_shape), value_format="{:.4g}"),
             key="tensors_reduce_fig")


def shape_input(n: int, default: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """One operand's shape typed by the student (kept in ``?a=`` …); None if it is empty and optional."""
    name = OPERANDS[n]
    text_default = "" if default is None else format_shape(default)
    param = UrlParam(f"tensors_{name}", name, text_default, str, accepts=LINK[name])
    label = t("tensors.cast.shape_label", name=name) if n < 2 else t("tensors.cast.shape_optional", name=name)
    text = url_widget(st.text_input, param, label, max_chars=80, placeholder="(3, 1, 4)",
                      help=t("tensors.cast.shape_help"))
    if n == 2 and not text.strip():
        return None
    try:
        return parse_shape(text)
    except ShapeError as error:
        st.error(t("tensors.shape_error." + error.code, token=error.token, name=name), icon="✏️")
        raise


def chosen_shapes() -> list[tuple[int, ...]] | None:
    """The example's shapes, or the student's; None (with a message shown) if one cannot be read."""
    example = url_choice(st.selectbox, t("tensors.cast.example"), [*BROADCAST_EXAMPLES, CUSTOM], key="tensors_example",
                         name="ex", default="row_column", format_func=translator("tensors.example."))
    if example != CUSTOM:
        shapes = list(BROADCAST_EXAMPLES[example])
        st.caption(t("tensors.example_note." + example))
        return shapes
    shapes = []
    for n in range(3):
        try:
            shape = shape_input(n, (3, 1) if n == 0 else (1, 4) if n == 1 else None)
        except ShapeError:
            return None
        if shape is not None:
            shapes.append(shape)
    return shapes


def steps_table(steps) -> dict[str, list[str]]:
    """Step 2 and 3 as a table: one row per operand (padded sizes, marked), one for the result."""
    columns = [t("tensors.cast.axis_column", k=a.index, r=a.from_right) for a in steps.axes]
    table = {t("tensors.cast.operand"): [f"{OPERANDS[n]} {format_shape(s)}" for n, s in enumerate(steps.shapes)]
             + [t("tensors.cast.result")]}
    added = " " + t("tensors.cast.added")
    for column, a in zip(columns, steps.axes, strict=True):
        cells = []
        for size, padded, stretched in zip(a.sizes, a.padded, a.stretched, strict=True):
            if a.conflict and size != 1:
                cells.append(f"❌ {size}")
            elif stretched:
                cells.append(t("tensors.cast.stretched", size=size, to=a.result) + (added if padded else ""))
            else:
                cells.append(f"{size}" + (added if padded else ""))
        cells.append("❌" if a.conflict else f"**{a.result}**")
        table[column] = cells
    return table


def error_text(error: BroadcastError) -> str:
    where = t("common.list_separator").join(
        t("tensors.cast.error_axis", name=OPERANDS[n], axis=axis, size=size) if axis is not None else
        t("tensors.cast.error_missing", name=OPERANDS[n])
        for n, (axis, size) in enumerate(zip(error.axes, error.sizes, strict=True)))
    return t("tensors.cast.error", r=error.from_right, where=where)


@part_intro("tensors.cast.intro")
def part_broadcast() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        shapes = chosen_shapes()
        op = url_choice(st.radio, t("tensors.cast.op"), list(BINARY_OPS), key="tensors_op", name="op",
                        default="add", format_func=lambda name: BINARY_OPS[name].symbol, horizontal=True)
    if shapes is None:
        return
    steps = broadcast_steps(*shapes)
    pal = palette()
    with view:
        st.markdown(t("tensors.cast.step1", shapes=" , ".join(format_shape(s) for s in shapes), ndim=steps.ndim))
        st.markdown(t("tensors.cast.step2"))
        st.table(steps_table(steps), border="horizontal")
        if steps.error is not None:
            st.error(error_text(steps.error), icon="🚫")
            try:
                np.broadcast_shapes(*shapes)
            except ValueError as numpy_error:
                st.markdown(t("tensors.cast.numpy_says"))
                st.code(str(numpy_error), language="text")
            draw_operands(shapes, pal, steps.ndim - steps.error.from_right, steps.error.from_right)
            return
        st.success(t("tensors.cast.result_shape", shape=format_shape(steps.result)), icon="✅")
    symbol = BINARY_OPS[op].symbol
    if len(steps.result) > 4 or cells(steps.result) > TENSOR_PICTURE.limit:  # from the shapes: nothing is built
        view.info(t("tensors.cast.too_big", cells=f"{cells(steps.result):,}", limit=TENSOR_PICTURE.limit), icon="🔭")
    else:
        arrays = [demo_values(s, start=1 + 10 * n) for n, s in enumerate(shapes)]
        result = broadcast_apply(op, *arrays)
        with view:
            st.markdown(t("tensors.cast.pictures"))
            columns = st.columns(len(arrays) + 1)
            for n, (column, a) in enumerate(zip(columns, arrays, strict=False)):
                stretched = np.broadcast_to(a, result.shape)
                real = np.zeros(result.shape, dtype=bool)
                real[tuple(slice(0, 1) if s == 1 and r != 1 else slice(None)
                           for s, r in zip((1,) * (result.ndim - a.ndim) + a.shape, result.shape, strict=True))] = True
                plot(column, tensor_figure(stretched, title=t("tensors.cast.operand_title", name=OPERANDS[n],
                                                                shape=format_shape(a.shape)),
                                           name=OPERANDS[n], colour=COLOURS[n], text_colour=pal.text, real=real),
                     key=f"tensors_cast_fig_{n}")
            plot(columns[-1], tensor_figure(result, title=t("tensors.cast.result_title", op=symbol,
                                                           shape=format_shape(result.shape)),
                                            name="out", colour="#7c3aed", text_colour=pal.text,
                                            value_format="{:.4g}"), key="tensors_cast_result")
            st.caption(t("tensors.cast.faded"))
    show_code(SNIPPET.read_text(), {"shapes": [list(s) for s in shapes], "op": op}, filename="broadcasting.py",
              key="tensors_cast_code")


def draw_operands(shapes, pal, _index: int, from_right: int) -> None:
    """The operands as they are, the conflicting axis's arrow in red (only when they are small enough to draw)."""
    small = [s for s in shapes if len(s) <= 4 and math.prod(s) <= MAX_PICTURE_CELLS]
    if len(small) != len(shapes):
        return
    columns = st.columns(len(shapes))
    for n, (column, s) in enumerate(zip(columns, shapes, strict=True)):
        axis = len(s) - from_right
        plot(column, tensor_figure(demo_values(s, start=1 + 10 * n), title=f"{OPERANDS[n]} {format_shape(s)}",
                                   name=OPERANDS[n], colour=COLOURS[n], text_colour=pal.text,
                                   axis_labels=axis_labels(s), highlight_axis=axis if axis >= 0 else None),
             key=f"tensors_conflict_fig_{n}")


@part_intro("tensors.memory.intro")
def part_memory() -> None:
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        shapes = chosen_shapes()
        with more_controls():
            dtype = url_choice(st.radio, t("tensors.memory.dtype"), list(DTYPES), key="tensors_dtype", name="dtype",
                               default="float32", horizontal=True)
        itemsize = DTYPES[dtype]
    if shapes is None:
        return
    steps = broadcast_steps(*shapes)
    if steps.error is not None:
        view.error(error_text(steps.error), icon="🚫")
        return
    rows = {t("tensors.memory.col." + c): [] for c in ("operand", "view", "copy", "bytes_view", "bytes_copy")}
    for n, s in enumerate(shapes):
        m = memory_report(s, steps.result, itemsize)
        for column, value in zip(rows, (f"{OPERANDS[n]} {format_shape(s)}", str(m.view_strides), str(m.copy_strides),
                                        f"{m.view_bytes:,}", f"{m.copy_bytes:,}"), strict=True):
            rows[column].append(value)
    total_view = sum(memory_report(s, steps.result, itemsize).view_bytes for s in shapes)
    total_copy = sum(memory_report(s, steps.result, itemsize).copy_bytes for s in shapes)
    with view:
        st.markdown(t("tensors.memory.result", shape=format_shape(steps.result)))
        st.table(rows, border="horizontal")
        st.markdown(t("tensors.memory.summary", view=f"{total_view:,}", copy=f"{total_copy:,}",
                      ratio=f"{total_copy / max(total_view, 1):.1f}"))
        st.caption(t("tensors.memory.strides"))


def check_shape_answer(seed: int) -> None:
    """The Check button's callback: judge the typed answer once, keep the verdict, update the streak."""
    text = st.session_state.get(f"tensors_answer_{seed}", "").strip()
    if not text:
        return
    try:
        guess = parse_answer(text)
    except ShapeError as error:
        st.session_state[f"tensors_verdict_{seed}"] = ("unreadable", text, error.code, error.token)
        return
    right = guess == shape_question(seed).answer
    scored = st.session_state.setdefault("tensors_scored", set())
    if right and seed not in scored:
        scored.add(seed)
        st.session_state["tensors_streak"] = st.session_state.get("tensors_streak", 0) + 1
    elif not right:
        st.session_state["tensors_streak"] = 0
    st.session_state[f"tensors_verdict_{seed}"] = ("right" if right else "wrong", text, "", "")


@part_intro("tensors.quiz.intro")
def part_quiz() -> None:
    seed = url_slider(t("common.quiz.number"), key="tensors_qseed", name="qseed", min_value=1, max_value=999, default=1)
    q = shape_question(seed)
    st.markdown(t("tensors.quiz.question", shapes=" , ".join(format_shape(s) for s in q.shapes)))
    with st.form(key=f"tensors_quiz_form_{seed}", border=False):
        st.text_input(t("tensors.quiz.answer"), key=f"tensors_answer_{seed}", max_chars=60,
                      placeholder=t("tensors.quiz.placeholder"))
        st.form_submit_button(t("tensors.quiz.check"), on_click=check_shape_answer, args=(seed,))
    verdict, text, code, token = st.session_state.get(f"tensors_verdict_{seed}", (None, "", "", ""))
    expected = q.answer
    if verdict == "unreadable":
        st.error(t("tensors.shape_error." + code, token=token, name="?"), icon="✏️")
    elif verdict == "right":
        st.success(t("tensors.quiz.right", answer=format_shape(expected) if expected is not None
                     else t("tensors.quiz.error_word")), icon="✅")
    elif verdict == "wrong":
        explanation = (t("tensors.quiz.wrong_shape", answer=format_shape(expected)) if expected is not None
                       else error_text(broadcast_steps(*q.shapes).error))
        st.error(t("tensors.quiz.wrong", guess=text) + " " + explanation, icon="❌")
    st.metric(t("tensors.quiz.streak"), st.session_state.get("tensors_streak", 0))
    st.button(t("tensors.quiz.next"), on_click=lambda: st.session_state.update(tensors_qseed=min(seed + 1, 999)),
              key="tensors_next")
