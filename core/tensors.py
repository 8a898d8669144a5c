"""Tensor shapes: reading a shape the student types, broadcasting step by step, reductions and what a view costs.

Broadcasting (NumPy's and torch's rule): write the shapes right-aligned, pad the shorter ones on the left with 1s,
then on every axis the sizes must be equal or 1; a 1 is repeated ("stretched") to the others' size. A size-0 axis
follows the same rule: 0 with 1 gives 0, 0 with 3 cannot be broadcast. ``broadcast_shapes`` equals
``np.broadcast_shapes``, ``broadcast_apply`` and ``reduce`` equal torch in float64, and ``memory_report`` equals the
strides NumPy itself gives (tests/test_tensors.py).

Shapes typed as text are parsed by hand (never ``eval``): digits 0-9, separators and one pair of brackets around the
whole, nothing else.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.arguments import quote_typed_text

MAX_NDIM = 6
MAX_SIZE = 10_000
MAX_TEXT = 200
_HINT = "Write a shape like 3, 1, 4 or (3, 1, 4)."

Shape = tuple[int, ...]


# ---- reading and writing shapes --------------------------------------------------------------------------------


class ShapeError(ValueError):
    """A shape string that cannot be read. ``code`` says what is wrong (for translated messages), ``token`` the
    offending piece (at most 20 characters) or ""."""

    CODES = ("chars", "negative", "not_integer", "syntax", "too_many_axes", "too_large", "too_long")

    def __init__(self, code: str, token: str = "", detail: str = ""):
        assert code in self.CODES, code
        self.code, self.token, self.detail = code, quote_typed_text(token), detail
        super().__init__(f"{detail} {_HINT}")

    def __reduce__(self):  # picklable (Streamlit's cache pickles return values)
        return type(self), (self.code, self.token, self.detail)


_NORMALISE = str.maketrans({"，": ",", "（": "(", "）": ")", "［": "[", "］": "]", "×": "x", "X": "x", "−": "-",
                            "－": "-"})  # one character for one, so positions in the normalised text are the typed ones
_LEX = re.compile(r"""
    (?P<space>\s+)
  | (?P<decimal>[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)? | [0-9]+\.(?:[eE][+-]?[0-9]+)? | [0-9]+[eE][+-]?[0-9]+)
  | (?P<int>[0-9]+)
  | (?P<minus>-\s*[0-9][0-9.]*)
  | (?P<open>[(\[])
  | (?P<close>[)\]])
  | (?P<sep>[,x])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)  # [0-9], not \d: "３" and "٣" are digits to str.isdigit but not here
_PAIRS = {"(": ")", "[": "]"}


def parse_shape(text: str) -> Shape:
    """``"3, 1, 4"``, ``"(3, 1, 4)"``, ``"[3 1 4]"``, ``"3x1x4"`` or ``"3×1×4"`` → ``(3, 1, 4)``; ``""`` or
    ``"()"`` → ``()``. Sizes 0..MAX_SIZE, at most MAX_NDIM of them; anything else raises ShapeError."""
    if not isinstance(text, str):
        raise ShapeError("chars", type(text).__name__, "A shape is written as text.")
    if len(text) > MAX_TEXT:
        raise ShapeError("too_long", text, f"The text is too long ({len(text)} characters; at most {MAX_TEXT}).")
    items: list[tuple[str, str]] = []  # (kind, text as typed), spaces left out
    end = 0  # where the previous item ended
    for m in _LEX.finditer(text.translate(_NORMALISE)):
        kind, piece = m.lastgroup, text[m.start():m.end()]
        if kind == "minus" and items and items[-1][0] == "int" and m.start() == end:
            raise ShapeError("chars", piece[0], f"‘{piece[0]}’ cannot be used in a shape.")  # "3-4": not a sign
        if kind == "minus":
            raise ShapeError("negative", piece, f"‘{quote_typed_text(piece)}’ is negative: a size is 0 or more.")
        if kind == "decimal":
            raise ShapeError("not_integer", piece, f"‘{quote_typed_text(piece)}’ is not a whole number.")
        if kind == "other":
            raise ShapeError("chars", piece, f"‘{quote_typed_text(piece)}’ cannot be used in a shape.")
        if kind != "space":
            items.append((kind, piece))
        end = m.end()
    for i, (kind, piece) in enumerate(items):  # one pair of brackets around the whole, none inside
        if (kind == "open" and i > 0) or (kind == "close" and i < len(items) - 1):
            raise ShapeError("chars", piece, f"‘{piece}’ can only go around the whole shape.")
    opened = bool(items) and items[0][0] == "open"
    closed = bool(items) and items[-1][0] == "close"
    if opened and not closed:
        raise ShapeError("syntax", items[0][1], f"‘{items[0][1]}’ has no closing bracket.")
    if closed and not opened:
        raise ShapeError("syntax", items[-1][1], f"‘{items[-1][1]}’ has no opening bracket.")
    if opened and _PAIRS[items[0][1].translate(_NORMALISE)] != items[-1][1].translate(_NORMALISE):
        raise ShapeError("syntax", items[-1][1], f"‘{items[0][1]}’ is closed by ‘{items[-1][1]}’.")
    inner = items[1:-1] if opened else items
    for i, (kind, piece) in enumerate(inner):
        if kind == "sep" and (i == 0 or inner[i - 1][0] == "sep"):
            raise ShapeError("syntax", piece, f"‘{piece}’ has no size before it.")
    if inner and inner[-1][0] == "sep" and inner[-1][1].translate(_NORMALISE) != ",":  # only (3,) has one
        raise ShapeError("syntax", inner[-1][1], f"‘{inner[-1][1]}’ has no size after it.")
    digits = [piece for kind, piece in inner if kind == "int"]
    if len(digits) > MAX_NDIM:
        raise ShapeError("too_many_axes", "", f"A shape here has at most {MAX_NDIM} axes; this one has {len(digits)}.")
    for piece in digits:
        if int(piece) > MAX_SIZE:
            raise ShapeError("too_large", piece,
                             f"‘{quote_typed_text(piece)}’ is too large: a size here is at most {MAX_SIZE}.")
    return tuple(int(piece) for piece in digits)


def format_shape(shape: Sequence[int]) -> str:
    """Python's tuple notation: ``(3, 1, 4)``, ``(3,)``, ``()``."""
    return str(tuple(int(n) for n in shape))


def _as_shape(shape) -> Shape:
    """A shape as a tuple of ints (a bare int is a 1-axis shape, as for NumPy); negative sizes raise ValueError."""
    out = (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(n) for n in shape)
    if any(n < 0 for n in out):
        raise ValueError(f"negative sizes are not allowed: {format_shape(out)}")
    return out


# ---- broadcasting --------------------------------------------------------------------------------------------

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _ordinal(n: int) -> str:
    if n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class BroadcastError(ValueError):
    """Shapes that cannot be broadcast together: the first conflict met scanning the axes from the right.

    ``from_right`` counts that axis from the right (1 = last), ``sizes`` and ``axes`` give each operand's size and
    axis index there (None where the operand has no such axis)."""

    def __init__(self, shapes: Sequence[Shape], from_right: int):
        self.shapes = tuple(tuple(s) for s in shapes)
        self.from_right = from_right
        self.axes = tuple(len(s) - from_right if len(s) >= from_right else None for s in self.shapes)
        self.sizes = tuple(None if k is None else s[k] for s, k in zip(self.shapes, self.axes, strict=True))
        axis = "the last axis" if from_right == 1 else f"the {_ordinal(from_right)} axis from the right"
        where = [f"axis {k} of the {_ordinal(n + 1)}" + (" shape" if not n else "")
                 for n, k in enumerate(self.axes) if k is not None]
        where += [f"the {_ordinal(n + 1)} has no such axis" for n, k in enumerate(self.axes) if k is None]
        super().__init__(f"shapes {_and([format_shape(s) for s in self.shapes])} cannot be broadcast: on {axis} "
                         f"({', '.join(where)}) the sizes are {_and([str(n) for n in self.sizes if n is not None])}; "
                         "sizes must be equal, or one of them 1.")

    def __reduce__(self):
        return type(self), (self.shapes, self.from_right)

    def __eq__(self, other):
        return type(other) is type(self) and (self.shapes, self.from_right) == (other.shapes, other.from_right)

    def __hash__(self):
        return hash((self.shapes, self.from_right))


@dataclass(frozen=True)
class AxisStep:
    from_right: int  # 1 = last axis
    index: int  # the axis in the padded shapes and the result
    sizes: tuple[int, ...]  # each operand's size after padding with 1s on the left
    padded: tuple[bool, ...]  # the operand had no such axis: its 1 was added by padding
    stretched: tuple[bool, ...]  # the operand's 1 is repeated to the result's size (which is not 1)
    result: int | None  # None on conflict
    conflict: bool


@dataclass(frozen=True)
class BroadcastSteps:
    shapes: tuple[Shape, ...]  # as given
    ndim: int  # the largest ndim
    aligned: tuple[tuple[int | None, ...], ...]  # step 1: right-aligned, None in the empty slots on the left
    padded: tuple[Shape, ...]  # step 2: padded on the left with 1s
    axes: tuple[AxisStep, ...]  # step 3: one per axis, left to right
    result: Shape | None  # None when the shapes cannot be broadcast
    error: BroadcastError | None


def _axis_step(padded: Sequence[Shape], missing: Sequence[int], index: int) -> AxisStep:
    """One axis: the sizes other than 1 must agree; that size (or 1 if there is none) is the result's."""
    sizes = tuple(s[index] for s in padded)
    others = set(sizes) - {1}
    result = None if len(others) > 1 else (others.pop() if others else 1)
    return AxisStep(len(padded[0]) - index, index, sizes, tuple(index < m for m in missing),
                    tuple(n == 1 and result not in (None, 1) for n in sizes), result, result is None)


def broadcast_steps(*shapes: Sequence[int]) -> BroadcastSteps:
    """Broadcasting as three steps: right-align the shapes, pad them with 1s on the left, compare axis by axis."""
    shapes = tuple(_as_shape(s) for s in shapes)
    ndim = max((len(s) for s in shapes), default=0)
    missing = [ndim - len(s) for s in shapes]
    aligned = tuple((None,) * m + s for s, m in zip(shapes, missing, strict=True))
    padded = tuple((1,) * m + s for s, m in zip(shapes, missing, strict=True))
    axes = tuple(_axis_step(padded, missing, index) for index in range(ndim))
    conflicts = [a.from_right for a in axes if a.conflict]
    error = BroadcastError(shapes, min(conflicts)) if conflicts else None
    result = None if conflicts else tuple(a.result for a in axes)
    return BroadcastSteps(shapes, ndim, aligned, padded, axes, result, error)


def broadcast_shapes(*shapes: Sequence[int]) -> Shape:
    """The shape of ``a + b + ...`` (``np.broadcast_shapes``); BroadcastError names the first conflict from the
    right. No shapes give ``()``."""
    steps = broadcast_steps(*shapes)
    if steps.error is not None:
        raise steps.error
    return steps.result


# ---- values, operations and reductions ---------------------------------------------------------------------------


def demo_values(shape: Sequence[int], start: int = 1) -> np.ndarray:
    """``start, start + 1, ...`` in C order as float64 (readable on screen; no 0 when ``start >= 1``)."""
    shape = _as_shape(shape)
    return np.arange(start, start + math.prod(shape), dtype=np.float64).reshape(shape)


@dataclass(frozen=True)
class BinaryOp:
    name: str
    symbol: str  # for display
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
    numpy_code: str  # how the lesson's code writes it

    def __call__(self, a, b):
        return self.fn(a, b)


BINARY_OPS: dict[str, BinaryOp] = {op.name: op for op in (
    BinaryOp("add", "+", np.add, "a + b"),
    BinaryOp("subtract", "−", np.subtract, "a - b"),
    BinaryOp("multiply", "×", np.multiply, "a * b"),
    BinaryOp("divide", "÷", np.divide, "a / b"),
    BinaryOp("maximum", "max", np.maximum, "np.maximum(a, b)"),
)}

REDUCTIONS: dict[str, Callable[..., np.ndarray]] = {"sum": np.sum, "mean": np.mean, "max": np.max}


def _lookup(registry: dict, name: str, what: str):
    if name not in registry:
        raise ValueError(f"unknown {what} {name!r}; one of {', '.join(registry)}")
    return registry[name]


def broadcast_apply(op: str, *arrays) -> np.ndarray:
    """``((a op b) op c) ...`` with broadcasting; shapes that do not broadcast raise BroadcastError first."""
    fn = _lookup(BINARY_OPS, op, "operation").fn
    if not arrays:
        raise ValueError("broadcast_apply needs at least one array")
    arrays = [np.asarray(x) for x in arrays]
    broadcast_shapes(*(x.shape for x in arrays))
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is inf or nan, as in torch, without a warning
        return functools.reduce(fn, arrays[1:], arrays[0])


def _axis_index(ndim: int, axis: int) -> int:
    """``axis`` as 0..ndim-1. A scalar (ndim 0) has the one axis 0 (or -1) for reductions, as in NumPy and torch."""
    n = max(ndim, 1)
    if not -n <= axis < n:
        raise ValueError(f"axis {axis} is out of range for a shape with ndim = {ndim} (use {-n}..{n - 1})")
    return axis % n


def reduce_shape(shape: Sequence[int], axis: int, keepdims: bool) -> Shape:
    """The shape after summing (or averaging, or taking the max) along ``axis``: that axis becomes 1 or goes."""
    shape = _as_shape(shape)
    k = _axis_index(len(shape), axis)
    if not shape:
        return ()
    return shape[:k] + ((1,) if keepdims else ()) + shape[k + 1:]


def reduce(x: np.ndarray, op: str, axis: int, keepdims: bool) -> np.ndarray:
    """``op`` (sum, mean or max) of ``x`` along ``axis``. An empty axis has sum 0 and mean nan (as in torch, without
    a warning); its max raises ValueError."""
    fn = _lookup(REDUCTIONS, op, "reduction")
    x = np.asarray(x)
    shape = reduce_shape(x.shape, axis, keepdims)
    if x.ndim and x.shape[axis] == 0 and op != "sum":
        if op == "max":
            raise ValueError(f"the max along axis {axis} of an array of shape {format_shape(x.shape)} has no value: "
                             "that axis is empty")
        return np.full(shape, np.nan)
    if not x.ndim:  # np.sum takes axis 0 of a scalar, np.mean does not: reduce its one value as a 1-axis array
        return np.asarray(fn(x.reshape(1), axis=0))
    return np.asarray(fn(x, axis=axis, keepdims=keepdims))


# ---- memory ------------------------------------------------------------------------------------------------------


def _c_strides(shape: Shape, itemsize: int) -> Shape:
    """Row-major strides in bytes; NumPy 2 gives an empty array (a size 0 anywhere) strides of 0."""
    if 0 in shape:
        return (0,) * len(shape)
    return tuple(itemsize * math.prod(shape[k + 1:]) for k in range(len(shape)))


@dataclass(frozen=True)
class MemoryReport:
    view_strides: Shape  # bytes per step of the broadcast view; 0 where it repeats one element
    copy_strides: Shape  # bytes per step of a C-contiguous copy of the result's shape
    view_bytes: int  # memory the view uses: the original operand's
    copy_bytes: int  # memory a copy of the result's shape uses


def memory_report(shape: Sequence[int], result_shape: Sequence[int], itemsize: int = 8) -> MemoryReport:
    """What broadcasting ``shape`` to ``result_shape`` costs as a view (``np.broadcast_to``) and as a copy.

    The view steps 0 bytes along an axis the operand lacks or has size 1 on (NumPy writes 0 there even where the
    result's size is 1 too, as stepping along a single element never moves)."""
    shape, result_shape = _as_shape(shape), _as_shape(result_shape)
    if broadcast_shapes(shape, result_shape) != result_shape:
        raise ValueError(f"{format_shape(shape)} cannot be broadcast to {format_shape(result_shape)}: it would change "
                         "the result's shape")
    missing = len(result_shape) - len(shape)
    own = _c_strides(shape, itemsize)
    view = (0,) * missing + tuple(0 if n == 1 else st for n, st in zip(shape, own, strict=True))
    return MemoryReport(view, _c_strides(result_shape, itemsize), math.prod(shape) * itemsize,
                        math.prod(result_shape) * itemsize)


# ---- examples and the quiz ---------------------------------------------------------------------------------------

BROADCAST_EXAMPLES: dict[str, tuple[Shape, ...]] = {
    "row_column": ((3, 1), (1, 4)),  # a column plus a row: a 3×4 table
    "image_scale": ((4, 5, 3), (3,)),  # an RGB image times one factor per colour channel
    "batch_bias": ((2, 3, 4, 4), (3, 1, 1)),  # a batch of feature maps plus one bias per channel
    "dense_bias": ((5, 3), (3,)),  # the primer's dot(w, x) + b: 5 outputs of a 3-unit layer plus the bias
    "three_way": ((2, 1, 4), (3, 1), (4,)),
    "mismatch": ((2, 3), (4,)),
    "mismatch_middle": ((2, 3, 4), (2, 2, 1)),  # the last axis stretches (4 with 1); the middle one fails
}


@dataclass(frozen=True)
class ShapeQuestion:
    shapes: tuple[Shape, ...]

    @property
    def answer(self) -> Shape | None:
        """The broadcast shape, or None when the shapes cannot be broadcast."""
        return broadcast_steps(*self.shapes).result


def shape_question(seed: int, compatible_share: float = 0.6) -> ShapeQuestion:
    """Two different shapes of ndim 0..4, sizes 1..5: from a result shape, each operand drops some leading axes and
    sets some sizes to 1; for an incompatible pair (about 40%) one shared axis gets two different sizes above 1."""
    rng = np.random.default_rng(seed)
    compatible = rng.random() < compatible_share
    while True:
        result = tuple(int(n) for n in rng.integers(1, 6, int(rng.choice([1, 2, 2, 3, 3, 4]))))
        dropped = int(rng.choice([0, 0, 1, 1, 2]))  # leading axes the second operand lacks
        ndims = [len(result), max(len(result) - dropped, 0 if compatible else 1)]
        shapes = [[1 if rng.random() < 0.3 else n for n in result[len(result) - m:]] for m in ndims]
        if not compatible:
            k = -int(rng.integers(1, min(ndims) + 1))  # an axis both have, from the right
            shapes[0][k], shapes[1][k] = (int(n) for n in rng.choice(np.arange(2, 6), 2, replace=False))
        first, second = tuple(shapes[0]), tuple(shapes[1])
        if first != second:
            return ShapeQuestion((first, second) if rng.random() < 0.5 else (second, first))


_ERROR_WORDS = frozenset({"error", "none", "错误", "报错"})


def parse_answer(text: str) -> Shape | None:
    """The student's answer: a shape, or None for "error" / "none" / "错误" / "报错" (cannot be broadcast)."""
    if isinstance(text, str) and text.strip().lower() in _ERROR_WORDS:
        return None
    return parse_shape(text)
