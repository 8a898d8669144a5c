"""core.tensors against NumPy (np.broadcast_shapes, np.sum, np.broadcast_to, strides) and torch in float64."""

import functools
import itertools
import pickle
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.tensors import (
    BINARY_OPS,
    BROADCAST_EXAMPLES,
    MAX_NDIM,
    MAX_SIZE,
    REDUCTIONS,
    BroadcastError,
    ShapeError,
    broadcast_apply,
    broadcast_shapes,
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

# The references, written out here (not read from the registries).
TORCH_BINARY = {"add": torch.add, "subtract": torch.sub, "multiply": torch.mul, "divide": torch.div,
                "maximum": torch.maximum}
TORCH_REDUCE = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}
DTYPES = {1: np.int8, 2: np.float16, 4: np.float32, 8: np.float64}

SIZE = st.sampled_from((0, 1, 1, 1, 2, 2, 3, 4))  # mostly 1s and small sizes: compatible and not, both often
SHAPE = st.lists(SIZE, max_size=MAX_NDIM).map(tuple)


def numpy_broadcast(*shapes):
    """np.broadcast_shapes, or None where NumPy refuses."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


@st.composite
def compatible_shapes(draw, n_min=1, n_max=3, max_size=4, max_ndim=4):
    """A result shape, and operands that each drop some leading axes and set some sizes to 1."""
    result = draw(st.lists(st.integers(0, max_size), max_size=max_ndim).map(tuple))
    shapes = []
    for _ in range(draw(st.integers(n_min, n_max))):
        kept = result[draw(st.integers(0, len(result))):]
        shapes.append(tuple(1 if draw(st.booleans()) else n for n in kept))
    return shapes


# ---- broadcast_shapes --------------------------------------------------------------------------------------------


def check_against_numpy(shapes):
    expected = numpy_broadcast(*shapes)
    if expected is not None:
        assert broadcast_shapes(*shapes) == expected
        return
    with pytest.raises(BroadcastError) as raised:
        broadcast_shapes(*shapes)
    error = raised.value
    assert error.shapes == tuple(shapes)
    ndim = max(len(s) for s in shapes)

    def column(r):
        return [s[len(s) - r] if len(s) >= r else None for s in shapes]

    def conflict(r):
        return numpy_broadcast(*[(n,) for n in column(r) if n is not None]) is None

    assert 1 <= error.from_right <= ndim and conflict(error.from_right)
    assert not any(conflict(r) for r in range(1, error.from_right))  # the first conflict met from the right
    assert list(error.sizes) == column(error.from_right)
    assert error.axes == tuple(len(s) - error.from_right if len(s) >= error.from_right else None for s in shapes)
    assert isinstance(error, ValueError) and str(error).endswith("sizes must be equal, or one of them 1.")


def test_every_pair_and_triple_of_small_shapes_as_numpy():
    """Exhaustive: all pairs of shapes with up to 2 axes of sizes 0..3 or 3 axes of sizes 0..2, all triples with up
    to 2 axes of sizes 0..2 (4,501 cases)."""
    small = {s for ndim in range(3) for s in itertools.product(range(4), repeat=ndim)}
    small |= set(itertools.product(range(3), repeat=3))
    for pair in itertools.product(sorted(small), repeat=2):
        check_against_numpy(pair)
    tiny = [s for ndim in range(3) for s in itertools.product(range(3), repeat=ndim)]
    for triple in itertools.product(tiny, repeat=3):
        check_against_numpy(triple)


@settings(max_examples=800, deadline=None)
@given(st.lists(SHAPE, min_size=1, max_size=3))
def test_broadcast_shapes_is_numpys(shapes):
    check_against_numpy(shapes)


@settings(max_examples=200, deadline=None)
@given(compatible_shapes(n_max=4))
def test_shapes_built_to_broadcast_do(shapes):
    check_against_numpy(shapes)


def test_no_shapes_and_one_shape():
    assert broadcast_shapes() == np.broadcast_shapes() == ()
    assert broadcast_shapes((2, 0, 3)) == (2, 0, 3)
    assert broadcast_shapes(3, (2, 1)) == np.broadcast_shapes(3, (2, 1)) == (2, 3)  # a bare int, as NumPy
    with pytest.raises(ValueError, match="negative"):
        broadcast_shapes((2, -1))


def test_error_message_names_the_axis_in_each_shape():
    with pytest.raises(BroadcastError) as raised:
        broadcast_shapes((2, 3), (4,))
    assert str(raised.value) == ("shapes (2, 3) and (4,) cannot be broadcast: on the last axis (axis 1 of the first "
                                 "shape, axis 0 of the second) the sizes are 3 and 4; sizes must be equal, or one of "
                                 "them 1.")
    with pytest.raises(BroadcastError) as raised:
        broadcast_shapes((2, 3, 4), (4,), (5, 1, 1))
    error = raised.value
    assert (error.from_right, error.sizes, error.axes) == (3, (2, None, 5), (0, None, 0))
    assert "third axis from the right" in str(error) and "the second has no such axis" in str(error)


def test_errors_survive_pickling_and_compare_by_value():
    """Streamlit's cache pickles what a cached function returns, errors inside BroadcastSteps included."""
    steps = broadcast_steps((2, 3), (4,))
    again = pickle.loads(pickle.dumps(steps))
    assert again == steps and str(again.error) == str(steps.error) and again.error.sizes == (3, 4)
    with pytest.raises(ShapeError) as raised:
        parse_shape("2.5")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert (copy.code, copy.token, str(copy)) == ("not_integer", "2.5", str(raised.value))


# ---- broadcast_steps ---------------------------------------------------------------------------------------------


@settings(max_examples=250, deadline=None)
@given(st.one_of(st.lists(SHAPE, max_size=3), compatible_shapes(n_min=0)))
def test_steps_agree_with_numpy_axis_by_axis(shapes):
    steps = broadcast_steps(*shapes)
    ndim = max((len(s) for s in shapes), default=0)
    expected = numpy_broadcast(*shapes)
    assert steps.shapes == tuple(tuple(s) for s in shapes) and steps.ndim == ndim
    assert steps.result == expected and (steps.error is None) == (expected is not None)
    assert steps.aligned == tuple(tuple([None] * (ndim - len(s)) + list(s)) for s in shapes)
    assert steps.padded == tuple(tuple([1] * (ndim - len(s)) + list(s)) for s in shapes)
    assert [a.index for a in steps.axes] == list(range(ndim))
    for a in steps.axes:
        column = [s[a.index - ndim + len(s)] if a.index >= ndim - len(s) else None for s in shapes]
        one_axis = numpy_broadcast(*[(n,) for n in column if n is not None])  # this axis alone, by NumPy
        assert a.from_right == ndim - a.index
        assert a.sizes == tuple(1 if n is None else n for n in column)
        assert a.padded == tuple(n is None for n in column)
        assert a.conflict == (one_axis is None) and a.result == (None if one_axis is None else one_axis[0])
        assert a.stretched == tuple(n == 1 and one_axis is not None and one_axis[0] != 1 for n in a.sizes)
        if expected is not None:
            assert a.result == expected[a.index]
    if steps.error is not None:
        with pytest.raises(BroadcastError) as raised:
            broadcast_shapes(*shapes)
        assert raised.value == steps.error and str(raised.value) == str(steps.error)
        assert steps.error.from_right == min(a.from_right for a in steps.axes if a.conflict)


def test_steps_of_the_row_plus_column_example():
    steps = broadcast_steps((3, 1), (4,))
    assert steps.aligned == ((3, 1), (None, 4)) and steps.padded == ((3, 1), (1, 4)) and steps.result == (3, 4)
    first, last = steps.axes
    assert (first.from_right, first.sizes, first.padded, first.stretched, first.result) == (
        2, (3, 1), (False, True), (False, True), 3)
    assert (last.from_right, last.sizes, last.padded, last.stretched, last.result) == (
        1, (1, 4), (False, False), (True, False), 4)


# ---- parsing shapes ----------------------------------------------------------------------------------------------

SPACE = st.sampled_from(("", "", " ", "  ", "\t", "\u3000"))
SEPARATOR = st.sampled_from((",", "，", " ", "x", "X", "×", "\t", "\u3000"))
BRACKETS = st.sampled_from((("", ""), ("(", ")"), ("[", "]"), ("（", "）")))


@st.composite
def written_shape(draw):
    """A shape, and that shape written in one of the accepted forms with random spacing."""
    shape = tuple(draw(st.lists(st.integers(0, MAX_SIZE), max_size=MAX_NDIM)))
    numbers = ["0" * draw(st.integers(0, 2)) + str(n) for n in shape]
    parts = [draw(SPACE)]
    for k, number in enumerate(numbers):
        if k:
            parts += [draw(SPACE), draw(SEPARATOR), draw(SPACE)]
        parts.append(number)
    if shape and draw(st.booleans()):
        parts += [draw(SPACE), draw(st.sampled_from((",", "，")))]  # a trailing comma, as in (3,)
    opening, closing = draw(BRACKETS)
    return shape, draw(SPACE) + opening + "".join(parts) + draw(SPACE) + closing + draw(SPACE)


@settings(max_examples=300, deadline=None)
@given(written_shape())
def test_every_accepted_form_reads_back(case):
    shape, text = case
    assert parse_shape(text) == shape


@pytest.mark.parametrize(("text", "shape"), [
    ("3,1,4", (3, 1, 4)), ("(3, 1, 4)", (3, 1, 4)), ("[3 1 4]", (3, 1, 4)), ("3x1x4", (3, 1, 4)),
    ("3×1×4", (3, 1, 4)), ("3X1X4", (3, 1, 4)), (" 3 ,1 x 4\t", (3, 1, 4)), ("（3，1，4）", (3, 1, 4)),
    ("(3,)", (3,)), ("3,", (3,)), ("3", (3,)), ("()", ()), ("", ()), ("   ", ()), ("[ ]", ()), ("03", (3,)),
    ("0, 5", (0, 5)), ("3\u30004", (3, 4)), ("1,2,3,4,5,6", (1, 2, 3, 4, 5, 6)), (str(MAX_SIZE), (MAX_SIZE,)),
])
def test_accepted_shapes(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize(("text", "code", "token"), [
    ("abc", "chars", "a"), ("3a", "chars", "a"), ("3*4", "chars", "*"), ("3+4", "chars", "+"), ("3-4", "chars", "-"),
    ("９", "chars", "９"), ("٣", "chars", "٣"), ("3, ３", "chars", "３"), ("__import__('os')", "chars", "_"),
    ("{{7*7}}", "chars", "{"), ("<script>", "chars", "<"), ("((3))", "chars", "("), ("3, (4)", "chars", "("),
    ("\x00", "chars", "U+0000"), ("3\u200b4", "chars", "U+200B"), ("-", "chars", "-"),
    ("-1", "negative", "-1"), ("3, −2", "negative", "−2"), ("－5", "negative", "－5"),
    ("2.5", "not_integer", "2.5"), ("1e3", "not_integer", "1e3"), ("3.0", "not_integer", "3.0"),
    ("3.", "not_integer", "3."), (".5", "not_integer", ".5"),
    ("(3,", "syntax", "("), ("3, 4)", "syntax", ")"), ("[3, 4)", "syntax", ")"), ("(", "syntax", "("),
    ("3,,4", "syntax", ","), (",3", "syntax", ","), ("(,)", "syntax", ","), ("3x", "syntax", "x"),
    ("3, x 4", "syntax", "x"), (",", "syntax", ","),
    ("1,2,3,4,5,6,7", "too_many_axes", ""), (str(MAX_SIZE + 1), "too_large", str(MAX_SIZE + 1)),
    ("9" * 30, "too_large", "9" * 19 + "…"), ("1," * 101, "too_long", "1," * 9 + "1…"),
])
def test_unreadable_shapes_say_why(text, code, token):
    with pytest.raises(ShapeError) as raised:
        parse_shape(text)
    error = raised.value
    assert (error.code, error.token) == (code, token)
    assert isinstance(error, ValueError) and len(error.token) <= 20
    message = str(error)
    assert message.endswith("Write a shape like 3, 1, 4 or (3, 1, 4).")
    assert not token or f"‘{token}’" in message or code == "too_long"


TRICKY = st.sampled_from(["__import__('os')", "{{7*7}}", "<script>", "1e3", "3.0", "-1", "(3,", "3,,4", "[3, 4)",
                          "９", "\x00", "\u202e", "🙂", "()" * 150])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.text(min_size=150, max_size=400),
                 st.text(alphabet="0123456789,()[]xX× -.e，（）３٣\t\u3000", max_size=40),
                 st.lists(st.one_of(TRICKY, st.text(max_size=5)), max_size=4).map("".join)))
def test_parse_shape_raises_nothing_but_shape_error(text):
    try:
        shape = parse_shape(text)
    except ShapeError as error:
        assert error.code in ShapeError.CODES and len(error.token) <= 20
        assert all(c.isprintable() for c in error.token)
        return
    assert isinstance(shape, tuple) and len(shape) <= MAX_NDIM
    assert all(type(n) is int and 0 <= n <= MAX_SIZE for n in shape)
    assert len(text) <= 200 and parse_shape(format_shape(shape)) == shape


@pytest.mark.parametrize("value", [None, 3, b"3,4", (3, 4)])
def test_parse_shape_of_something_not_text(value):
    with pytest.raises(ShapeError):
        parse_shape(value)


def test_format_shape_is_python_tuple_notation():
    assert format_shape((3, 1, 4)) == "(3, 1, 4)" and format_shape((3,)) == "(3,)" and format_shape(()) == "()"
    assert format_shape(np.zeros((2, 0)).shape) == "(2, 0)" and format_shape([np.int64(5)]) == "(5,)"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, MAX_SIZE), max_size=MAX_NDIM).map(tuple))
def test_format_then_parse_is_the_same_shape(shape):
    assert format_shape(shape) == str(shape) and parse_shape(format_shape(shape)) == shape


@pytest.mark.parametrize(("text", "answer"), [
    ("error", None), ("Error", None), ("ERROR", None), (" error ", None), ("错误", None), ("报错", None),
    ("none", None), ("None", None), ("(3, 4)", (3, 4)), ("3x4", (3, 4)), ("()", ()), ("", ()),
])
def test_parse_answer(text, answer):
    assert parse_answer(text) == answer


def test_parse_answer_passes_unreadable_text_on_as_shape_error():
    for text in ("err", "3 4 error", "2.5"):
        with pytest.raises(ShapeError):
            parse_answer(text)


# ---- reductions --------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=5).map(tuple), st.integers(-7, 7), st.booleans())
def test_reduce_shape_is_numpys(shape, axis, keepdims):
    try:
        expected = np.sum(np.zeros(shape), axis=axis, keepdims=keepdims).shape
    except ValueError:  # np.exceptions.AxisError
        with pytest.raises(ValueError, match="ndim"):
            reduce_shape(shape, axis, keepdims)
        return
    assert reduce_shape(shape, axis, keepdims) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 4), max_size=4).map(tuple), st.sampled_from(sorted(REDUCTIONS)),
       st.data(), st.booleans(), st.integers(0, 2**32 - 1))
def test_reduce_is_torchs(shape, op, data, keepdims, seed):
    n = max(len(shape), 1)  # a scalar reduces along axis 0 or -1, in NumPy and torch alike
    axis = data.draw(st.integers(-n, n - 1))
    x = np.random.default_rng(seed).normal(size=shape)
    out = reduce(x, op, axis, keepdims)
    expected = TORCH_REDUCE[op](torch.from_numpy(x), dim=axis, keepdim=keepdims).numpy()
    assert out.shape == expected.shape == reduce_shape(shape, axis, keepdims)
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-15)


def test_reduce_defaults_and_empty_axes():
    x = demo_values((2, 3))
    np.testing.assert_array_equal(reduce(x, "sum", 1, False), [6.0, 15.0])
    np.testing.assert_array_equal(reduce(x, "mean", 0, True), [[2.5, 3.5, 4.5]])
    np.testing.assert_array_equal(reduce(x, "max", -1, False), [3.0, 6.0])
    empty = np.zeros((2, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Mean of empty slice"
        for op in ("sum", "mean"):
            expected = TORCH_REDUCE[op](torch.from_numpy(empty), dim=1).numpy()
            np.testing.assert_array_equal(reduce(empty, op, 1, False), expected)
    with pytest.raises(IndexError):
        torch.amax(torch.from_numpy(empty), dim=1)
    with pytest.raises(ValueError, match="empty"):
        reduce(empty, "max", 1, False)
    with pytest.raises(ValueError, match="ndim"):
        reduce(x, "sum", 2, False)
    with pytest.raises(ValueError, match="unknown"):
        reduce(x, "median", 0, False)


# ---- element-wise operations -------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", sorted(BINARY_OPS))
@settings(max_examples=80, deadline=None)
@given(shapes=compatible_shapes(n_min=2, n_max=3, max_size=3), seed=st.integers(0, 2**32 - 1))
def test_broadcast_apply_is_torchs(op, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=s) for s in shapes]
    out = broadcast_apply(op, *arrays)
    expected = functools.reduce(TORCH_BINARY[op], [torch.from_numpy(x) for x in arrays]).numpy()
    assert out.shape == expected.shape == np.broadcast_shapes(*shapes) and out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)  # one IEEE operation per element, in the same order


@pytest.mark.parametrize("name", sorted(BINARY_OPS))
def test_binary_op_registry(name):
    op = BINARY_OPS[name]
    a, b = demo_values((3, 1)), demo_values((4,), start=11)
    assert op.name == name and op.symbol and op.fn is getattr(np, name)
    np.testing.assert_array_equal(op(a, b), getattr(np, name)(a, b))
    np.testing.assert_array_equal(eval(op.numpy_code, {"np": np, "a": a, "b": b}), op(a, b))  # the shown code runs


def test_symbols_for_display():
    assert {name: op.symbol for name, op in BINARY_OPS.items()} == {
        "add": "+", "subtract": "−", "multiply": "×", "divide": "÷", "maximum": "max"}


def test_broadcast_apply_edges():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # dividing by 0 gives inf and nan, as torch, and no warning
        out = broadcast_apply("divide", np.array([1.0, 0.0]), np.zeros(2))
    np.testing.assert_array_equal(out, torch.div(torch.tensor([1.0, 0.0]), torch.zeros(2)).double().numpy())
    np.testing.assert_array_equal(broadcast_apply("add", demo_values((2,))), [1.0, 2.0])
    with pytest.raises(BroadcastError):
        broadcast_apply("add", np.zeros((2, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="unknown"):
        broadcast_apply("power", np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        broadcast_apply("add")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=4).map(tuple), st.integers(-5, 20))
def test_demo_values_count_in_c_order(shape, start):
    x = demo_values(shape, start)
    assert x.shape == shape and x.dtype == np.float64 and x.flags.c_contiguous
    np.testing.assert_array_equal(x.ravel(), np.arange(start, start + x.size))
    assert start < 1 or not (x == 0).any()
    assert demo_values(()) == 1.0 and demo_values((2, 2))[1, 0] == 3.0


# ---- memory ------------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(compatible_shapes(n_min=2, n_max=3, max_ndim=5), st.sampled_from(sorted(DTYPES)))
def test_memory_report_is_numpys(shapes, itemsize):
    shape, result = shapes[0], np.broadcast_shapes(*shapes)
    dtype = DTYPES[itemsize]
    view = np.broadcast_to(np.empty(shape, dtype), result)
    copy = np.empty(result, dtype)
    m = memory_report(shape, result, itemsize)
    assert m.view_strides == view.strides and m.copy_strides == copy.strides
    assert m.view_bytes == np.empty(shape, dtype).nbytes and m.copy_bytes == copy.nbytes


def test_memory_of_a_stretched_column():
    m = memory_report((3, 1), (3, 4))
    assert (m.view_strides, m.copy_strides, m.view_bytes, m.copy_bytes) == ((8, 0), (32, 8), 24, 96)
    with pytest.raises(ValueError, match="cannot be broadcast to"):
        memory_report((3,), (1,))  # a broadcast that would change the target's shape
    with pytest.raises(BroadcastError):
        memory_report((3,), (4,))


# ---- examples and the quiz ---------------------------------------------------------------------------------------


def test_examples_in_order_and_as_numpy_says():
    assert list(BROADCAST_EXAMPLES) == ["row_column", "image_scale", "batch_bias", "dense_bias", "three_way",
                                        "mismatch", "mismatch_middle"]
    assert BROADCAST_EXAMPLES["dense_bias"] == ((5, 3), (3,))
    for name, shapes in BROADCAST_EXAMPLES.items():
        if name.startswith("mismatch"):
            with pytest.raises(ValueError):
                np.broadcast_shapes(*shapes)
            with pytest.raises(BroadcastError):
                broadcast_shapes(*shapes)
        else:
            assert broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)


@pytest.mark.parametrize("seed", range(1, 40))
def test_a_seed_asks_the_same_question(seed):
    assert shape_question(seed) == shape_question(seed)


def test_quiz_questions_over_many_seeds():
    questions = [shape_question(seed) for seed in range(1, 1000)]
    for q in questions:
        assert len(q.shapes) == 2 and q.shapes[0] != q.shapes[1]
        assert all(len(s) <= 4 and all(1 <= n <= 5 for n in s) for s in q.shapes)
        assert q.answer == numpy_broadcast(*q.shapes)
    compatible = sum(q.answer is not None for q in questions) / len(questions)
    assert 0.45 <= compatible <= 0.75
    assert len({q.shapes for q in questions}) > 500  # not a handful of questions repeated


def test_the_middle_mismatch_fails_in_the_middle():
    error = broadcast_steps(*BROADCAST_EXAMPLES["mismatch_middle"]).error
    assert error is not None and error.from_right == 2 and error.sizes == (3, 2)
