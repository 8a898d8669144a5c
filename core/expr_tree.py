"""The tree of a formula in x and y (``core.expr`` reads it from text): five node types, its value with NumPy
(``evaluate``) and its symbolic partial derivatives (``derivative``), with torch autograd's conventions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")
VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}


# ---- the tree ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Name:
    name: str  # "x", "y", "pi" or "e"


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/" or "**"
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    fn: str  # one of FUNCTIONS, or "sign" (only in derivatives: abs' = sign)
    arg: Node


Node = Number | Name | Neg | Binary | Call

_NUMPY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
    "tanh": np.tanh, "sign": np.sign,
}
# Two operators only derivatives contain: the partial derivatives of a**b, with torch's values where a term is
# 0 times an infinity (d/da a**0 = 0 even at a = 0; d/db 0**b = 0 for b >= 0).
POW_BASE, POW_EXPONENT = "pow_base", "pow_exponent"


def _pow_base(a, b):
    """∂(a**b)/∂a = b a**(b-1), 0 where b = 0."""
    return np.where(b == 0, 0.0, b * np.power(a, b - 1))


def _pow_exponent(a, b):
    """∂(a**b)/∂b = a**b log(a), 0 where a = 0 and b >= 0."""
    return np.where((a == 0) & (b >= 0), 0.0, np.power(a, b) * np.log(a))


_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power, POW_BASE: _pow_base,
    POW_EXPONENT: _pow_exponent,
}


def evaluate(node: Node, x, y, cache: dict | None = None) -> np.ndarray:
    """The value of ``node`` at ``x``, ``y`` (broadcast as NumPy does). ``cache`` holds the values of subtrees by id,
    so that a derivative tree, which shares subtrees, computes each once."""
    cache = {} if cache is None else cache
    key = id(node)
    if key in cache:
        return cache[key]
    match node:
        case Number(value):
            out = np.float64(value)
        case Name("x"):
            out = x
        case Name("y"):
            out = y
        case Name(name):
            out = np.float64(CONSTANTS[name])
        case Neg(operand):
            out = np.negative(evaluate(operand, x, y, cache))
        case Binary(op, left, right):
            out = _BINARY[op](evaluate(left, x, y, cache), evaluate(right, x, y, cache))
        case Call(fn, arg):
            out = _NUMPY[fn](evaluate(arg, x, y, cache))
    cache[key] = out
    return out


def distinct_nodes(*trees: Node) -> int:
    """How many subtrees ``evaluate`` computes for ``trees`` with one shared cache: each distinct node (by identity)
    once, however often the trees share it. The cost of one evaluation, in operations on arrays."""
    seen: set[int] = set()
    stack = list(trees)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        match node:
            case Neg(operand) | Call(_, operand):
                stack.append(operand)
            case Binary(_, left, right):
                stack += [left, right]
    return len(seen)


# ---- derivatives -------------------------------------------------------------------------------------------------
# The constructors below fold the 0s and 1s the chain rule produces, so that a derivative stays readable (d/dx of
# 3*x is 3, not 0*x + 3*1). They fold nothing of the formula itself.

_ZERO, _ONE = Number(0.0), Number(1.0)


def _is(node: Node, value: float) -> bool:
    return isinstance(node, Number) and node.value == value


def _constant(node: Node) -> float | None:
    """The value of a number or a negated number (as in ``x**-2``), else None."""
    if isinstance(node, Neg) and isinstance(node.operand, Number):
        return -node.operand.value
    return node.value if isinstance(node, Number) else None


def _number(value: float, fallback: Callable[[], Node]) -> Node:
    return Number(value) if math.isfinite(value) else fallback()


def _neg(a: Node) -> Node:
    if isinstance(a, Number):
        return Number(-a.value) if a.value else _ZERO
    return a.operand if isinstance(a, Neg) else Neg(a)


def _add(a: Node, b: Node) -> Node:
    if _is(a, 0):
        return b
    if _is(b, 0):
        return a
    return _sub(a, b.operand) if isinstance(b, Neg) else Binary("+", a, b)


def _sub(a: Node, b: Node) -> Node:
    if _is(b, 0):
        return a
    if _is(a, 0):
        return _neg(b)
    return _add(a, b.operand) if isinstance(b, Neg) else Binary("-", a, b)


def _mul(a: Node, b: Node) -> Node:
    """``a*b``; signs move out (``(-a)*b = -(a*b)`` exactly in floating point) and leading numbers merge."""
    if _is(a, 0) or _is(b, 0):
        return _ZERO
    if isinstance(a, Neg) or _is(a, -1):
        return _neg(_mul(_neg(a), b))
    if isinstance(b, Neg) or _is(b, -1):
        return _neg(_mul(a, _neg(b)))
    if _is(a, 1):
        return b
    if _is(b, 1):
        return a
    if isinstance(a, Number) and isinstance(b, Number):
        return _number(a.value * b.value, lambda: Binary("*", a, b))
    if isinstance(a, Number) and isinstance(b, Binary) and b.op == "*" and isinstance(b.left, Number):
        product = a.value * b.left.value
        if math.isfinite(product) and product:
            return _mul(Number(product), b.right)
    return Binary("*", a, b)


def _div(a: Node, b: Node) -> Node:
    if _is(a, 0):
        return _ZERO
    if isinstance(a, Neg):
        return _neg(_div(a.operand, b))
    return a if _is(b, 1) else Binary("/", a, b)


def _pow(a: Node, b: Node) -> Node:
    if _is(b, 1):
        return a
    return _ONE if _is(b, 0) else Binary("**", a, b)


def uses(node: Node, name: str) -> bool:
    """Whether the variable ``name`` appears in ``node``."""
    match node:
        case Name(n):
            return n == name
        case Neg(operand):
            return uses(operand, name)
        case Binary(_, left, right):
            return uses(left, name) or uses(right, name)
        case Call(_, arg):
            return uses(arg, name)
    return False


def _outer(fn: str, node: Call) -> Node:
    """``fn'(u)`` for ``node = fn(u)``, reusing ``node`` where the derivative contains it."""
    u = node.arg
    return {
        "sin": lambda: Call("cos", u),
        "cos": lambda: Neg(Call("sin", u)),
        "tan": lambda: Binary("+", _ONE, Binary("**", node, Number(2.0))),  # 1 + tan², as torch
        "exp": lambda: node,
        "log": lambda: Binary("/", _ONE, u),
        "sqrt": lambda: Binary("/", Number(0.5), node),
        "abs": lambda: Call("sign", u),  # sign(0) = 0: abs'(0) = 0, as torch
        "tanh": lambda: Binary("-", _ONE, Binary("**", node, Number(2.0))),
        "sign": lambda: _ZERO,
    }[fn]()


def derivative(node: Node, name: str) -> Node:
    """∂node/∂name as a tree, by the chain rule at each node (``name`` is "x" or "y")."""
    if not uses(node, name):
        return _ZERO
    match node:
        case Name():
            return _ONE
        case Neg(operand):
            return _neg(derivative(operand, name))
        case Binary("+", a, b):
            return _add(derivative(a, name), derivative(b, name))
        case Binary("-", a, b):
            return _sub(derivative(a, name), derivative(b, name))
        case Binary("*", a, b):
            return _add(_mul(derivative(a, name), b), _mul(a, derivative(b, name)))
        case Binary("/", a, b):  # a'/b - a b'/(b b), as torch's div backward
            return _sub(_div(derivative(a, name), b), _div(_mul(a, derivative(b, name)), _mul(b, b)))
        case Binary("**", a, b):  # b a**(b-1) a' + a**b log(a) b'; a term whose a' or b' is 0 folds away
            da, db = derivative(a, name), derivative(b, name)
            c = _constant(b)  # a number: c x**(c-1), as written (c = 0 has folded to 0 already)
            base_term = _mul(Binary(POW_BASE, a, b), da) if c is None else \
                _mul(b, _mul(_pow(a, Number(c - 1.0)), da))
            return _add(base_term, _mul(Binary(POW_EXPONENT, a, b), db))
        case Call(fn, arg):
            return _mul(_outer(fn, node), derivative(arg, name))
    raise AssertionError(node)  # pragma: no cover
