"""A formula in x and y typed by a student: read by hand into a tree, evaluated and differentiated with NumPy.

Nothing the student types is ever run as Python (no ``eval``, ``exec``, ``compile``, ``ast`` or sympy): a tokenizer
cuts the text into numbers, names, operators and parentheses, and a Pratt parser builds a tree of five node types.
The grammar is Python's arithmetic: ``+ - * / **`` (``^`` too, as students write it), unary ``-`` and ``+``,
parentheses, the names ``x``, ``y``, ``pi``, ``e`` and one-argument calls of ``FUNCTIONS``. Precedence is
Python's: ``-x**2 = -(x**2)``, ``2**3**2 = 2**9``, ``2*-3 = -6``, ``x**-1 = 1/x``. ``2x`` is refused (write
``2*x``): a product is always written with ``*``.

The gradient is symbolic: ``derivative`` applies the chain rule node by node and returns a new tree (sharing the
original's subtrees), which is evaluated like the formula. Its conventions are torch autograd's, and the tests
compare with it in float64: ``abs'(0) = 0``, ``(a**b)' = b a**(b-1) a' + a**b log(a) b'`` with the second term
left out where ``b`` does not depend on the variable (so ``x**2`` has a slope at ``x < 0``), and a subtree without
the variable has derivative 0 even where its value is not finite.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.arguments import quote_typed_text

FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")
VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
MAX_TEXT = 200
MAX_DEPTH = 50
_HINT = "A formula in x and y looks like x**2 + 3*sin(y) or (x - 1)^2 + y^2."


class ExprError(ValueError):
    """A formula that cannot be used. ``code`` says what is wrong (for translated messages), ``token`` the offending
    piece (at most 20 characters) or "", ``position`` its 0-based index in the text or -1."""

    CODES = ("empty", "too_long", "unknown_name", "unknown_function", "syntax", "chars", "too_deep", "not_finite")

    def __init__(self, code: str, token: str = "", position: int = -1, detail: str = ""):
        assert code in self.CODES, code
        self.code, self.token, self.position, self.detail = code, quote_typed_text(token), position, detail
        super().__init__(f"{detail} {_HINT}")

    def __reduce__(self):  # picklable (Streamlit's cache pickles what it stores)
        return type(self), (self.code, self.token, self.position, self.detail)


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


# ---- writing a tree as text and as LaTeX --------------------------------------------------------------------------
# Precedence levels: 1 + -, 2 * /, 3 unary minus, 4 **, 5 a number, a name or a call.

_LEVEL = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4, POW_BASE: 2, POW_EXPONENT: 2}


def _level(node: Node) -> int:
    match node:
        case Binary(op, _, _):
            return _LEVEL[op]
        case Neg():
            return 3
        case Number(value) if value < 0:
            return 3
    return 5


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _wrap(text: str, wrap: bool) -> str:
    return f"({text})" if wrap else text


def _expanded(node: Binary) -> Node:
    """A derivative operator written out: b*a**(b - 1) or a**b*log(a)."""
    a, b = node.left, node.right
    return Binary("*", b, Binary("**", a, _sub(b, _ONE))) if node.op == POW_BASE else \
        Binary("*", Binary("**", a, b), Call("log", a))


def to_text(node: Node) -> str:
    """The tree as a formula ``parse_function`` reads back into the same tree, with as few parentheses as that
    allows (``x**2 + 3*sin(y)``)."""
    match node:
        case Binary("pow_base" | "pow_exponent"):
            return to_text(_expanded(node))
        case Number(value):
            return _number_text(value)
        case Name(name):
            return name
        case Neg(operand):
            return "-" + _wrap(to_text(operand), _level(operand) < 3 or isinstance(operand, Neg))
        case Binary(op, left, right):
            level = _LEVEL[op]
            left_text = _wrap(to_text(left), _level(left) <= level if op == "**" else _level(left) < level)
            right_text = _wrap(to_text(right), _level(right) < 3 if op == "**" else _level(right) <= level)
            return f"{left_text} {op} {right_text}" if level == 1 else f"{left_text}{op}{right_text}"
        case Call(fn, arg):
            return f"{fn}({to_text(arg)})"
    raise AssertionError(node)  # pragma: no cover


_LATEX_CALLS = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "log": r"\ln", "tanh": r"\tanh",
                "sign": r"\operatorname{sign}"}


def _number_latex(value: float) -> str:
    text = _number_text(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else rf"{mantissa} \cdot {power}"


def _latex_level(node: Node) -> int:
    if isinstance(node, Number) and "e" in _number_text(node.value):
        return 2  # 1.5 \cdot 10^{-3} is a product
    return _level(node)


def _paren(text: str, wrap: bool) -> str:
    return rf"\left({text}\right)" if wrap else text


def to_latex(node: Node) -> str:
    """The tree in LaTeX (``x^{2} + 3\\sin\\left(y\\right)``); every piece is generated, none copied from the text."""
    match node:
        case Binary("pow_base" | "pow_exponent"):
            return to_latex(_expanded(node))
        case Number(value):
            return _number_latex(value)
        case Name(name):
            return r"\pi" if name == "pi" else name
        case Neg(operand):
            return "-" + _paren(to_latex(operand), _latex_level(operand) < 2 or _latex_level(operand) == 3)
        case Binary("/", left, right):
            return rf"\frac{{{to_latex(left)}}}{{{to_latex(right)}}}"
        case Binary("**", left, right):
            return f"{_paren(to_latex(left), _latex_level(left) < 5 or isinstance(left, Call))}^{{{to_latex(right)}}}"
        case Binary("*", left, right):
            left_text = _paren(to_latex(left), _latex_level(left) < 2)
            right_text = _paren(to_latex(right), _latex_level(right) in (1, 3))  # x \cdot (-y)
            # a number before a letter or a command reads as a product: 2x, 3\sin(y), 2\left(x + 1\right)
            close = isinstance(left, Number) and _latex_level(left) == 5 and (right_text[0].isalpha() or
                                                                                right_text[0] == "\\")
            return f"{left_text}{right_text}" if close else rf"{left_text} \cdot {right_text}"
        case Binary(op, left, right):
            return f"{to_latex(left)} {op} {_paren(to_latex(right), _latex_level(right) in (1, 3))}"
        case Call("sqrt", arg):
            return rf"\sqrt{{{to_latex(arg)}}}"
        case Call("abs", arg):
            return rf"\left|{to_latex(arg)}\right|"
        case Call("exp", arg):
            return f"e^{{{to_latex(arg)}}}"
        case Call(fn, arg):
            return rf"{_LATEX_CALLS[fn]}\left({to_latex(arg)}\right)"
    raise AssertionError(node)  # pragma: no cover


# ---- the expression ----------------------------------------------------------------------------------------------


def _broadcast(value, shape: tuple[int, ...]) -> np.ndarray:
    out = np.asarray(value, dtype=np.float64)
    return out if out.shape == shape else np.broadcast_to(out, shape).copy()


@dataclass(frozen=True)
class Expression:
    """A parsed formula ``f(x, y)``: ``text`` as typed, ``tree`` its parse tree."""

    text: str
    tree: Node

    @functools.cached_property
    def partials(self) -> tuple[Node, Node]:
        """The trees of ∂f/∂x and ∂f/∂y."""
        return derivative(self.tree, "x"), derivative(self.tree, "y")

    def __call__(self, x, y) -> np.ndarray:
        """f(x, y), x and y broadcast together; NaN or inf where the formula has no finite value (callers check)."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        with np.errstate(all="ignore"):
            return _broadcast(evaluate(self.tree, x, y), np.broadcast_shapes(x.shape, y.shape))

    def grad(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """(∂f/∂x, ∂f/∂y) at x, y from the symbolic derivatives, x and y broadcast together."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        shape, cache = np.broadcast_shapes(x.shape, y.shape), {}
        with np.errstate(all="ignore"):
            return tuple(_broadcast(evaluate(d, x, y, cache), shape) for d in self.partials)

    @functools.cached_property
    def nodes(self) -> int:
        """What one step of gradient descent on it evaluates: the distinct nodes of f and of its two partial
        derivatives (``distinct_nodes``)."""
        return distinct_nodes(self.tree) + distinct_nodes(*self.partials)

    def to_latex(self) -> str:
        return to_latex(self.tree)

    def grad_latex(self) -> tuple[str, str]:
        """∂f/∂x and ∂f/∂y in LaTeX, as the chain rule wrote them (0s and 1s folded, nothing else simplified)."""
        return to_latex(self.partials[0]), to_latex(self.partials[1])


# ---- reading text ------------------------------------------------------------------------------------------------

_NORMALISE = str.maketrans({"−": "-", "－": "-", "＋": "+", "×": "*", "·": "*", "⋅": "*", "＊": "*", "÷": "/",
                            "／": "/", "（": "(", "）": ")", "＾": "^", "，": ","})  # one for one: positions stay
_LEX = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z][A-Za-z0-9]*)
  | (?P<op>\*\*|[-+*/^(),])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)  # [0-9] and [A-Za-z], not \d and \w: "３" and "é" are refused, not misread
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_LBP = {"+": 10, "-": 10, "*": 20, "/": 20, "**": 30}  # how tightly an operator binds the operand on its left
_UNARY_BP = 25  # -x*y = (-x)*y but -x**2 = -(x**2)
_NAMES = (*VARIABLES, *CONSTANTS)


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name" or "op"
    text: str  # as typed
    value: str  # normalised: "−" is "-", "^" is "**"
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for m in _LEX.finditer(text.translate(_NORMALISE)):
        kind, piece, position = m.lastgroup, text[m.start():m.end()], m.start()
        if kind == "other":
            hint = f" Write x**{_SUPERSCRIPTS.index(piece)} or x^{_SUPERSCRIPTS.index(piece)}." \
                if piece in _SUPERSCRIPTS else ""
            raise ExprError("chars", piece, position,
                            f"‘{quote_typed_text(piece)}’ (at {position + 1}) cannot be used in a formula.{hint}")
        if kind != "space":
            value = m.group()
            tokens.append(_Token(kind, piece, "**" if value == "^" else value, position))
    return tokens


def _unknown(token: _Token, called: bool) -> ExprError:
    lower = token.value.lower()
    if called:
        known = lower if lower in FUNCTIONS else {"ln": "log"}.get(lower)
        hint = f" Did you mean {known}?" if known else ""
        return ExprError("unknown_function", token.text, token.position,
                         f"‘{quote_typed_text(token.text)}’ is not a function this page knows; the functions are "
                         f"{', '.join(FUNCTIONS)}.{hint}")
    known = lower if lower in _NAMES else None
    hint = f" Did you mean {known}?" if known else (" Write x*y for a product." if len(token.value) == 2 and
                                                     set(token.value) <= set(VARIABLES) else "")
    return ExprError("unknown_name", token.text, token.position,
                     f"‘{quote_typed_text(token.text)}’ is not a name this page knows; a formula uses x, y, pi and e."
                     f"{hint}")


class _Parser:
    """Pratt parsing: ``expression(rbp)`` reads an operand, then every operator binding tighter than ``rbp``."""

    def __init__(self, tokens: list[_Token]):
        self.tokens, self.i, self.depth = tokens, 0, 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        self.i += 1
        return self.tokens[self.i - 1]

    def expression(self, rbp: int = 0) -> Node:
        left = self.operand()
        while (token := self.peek()) is not None and token.value not in ")," and _LBP.get(token.value, 99) > rbp:
            if token.value not in _LBP:
                self.missing_operator(token)
            self.take()
            # ** groups to the right (2**3**2 = 2**(3**2)), the others to the left (1-2-3 = (1-2)-3)
            right = self.nested(token, _LBP["**"] - 1) if token.value == "**" else self.expression(_LBP[token.value])
            left = Binary(token.value, left, right)
        return left

    def nested(self, token: _Token, rbp: int = 0) -> Node:
        """``expression(rbp)`` one level deeper: inside parentheses, a call, a sign or a power's exponent. Only
        these nest without bound (``x + y`` does not), so counting them bounds the recursion."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("too_deep", token.text, token.position, f"The formula is nested more than {MAX_DEPTH} "
                            "levels deep (parentheses, calls, signs and powers inside each other).")
        inner = self.expression(rbp)
        self.depth -= 1
        return inner

    def missing_operator(self, token: _Token):
        """Two operands side by side, as in ``2x`` or ``x y``."""
        if token.kind == "name" and token.value not in _NAMES and token.value not in FUNCTIONS:
            following = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
            raise _unknown(token, following is not None and following.value == "(")
        before = self.tokens[self.i - 1]
        simple = before.kind != "op" and token.kind == "name"  # 2x, 2pi, x y: "write 2*x" says it all
        hint = f"write {before.text}*{token.text}" if simple else "write a product with *, as in 2*x or (x + 1)*y"
        raise ExprError("syntax", token.text, token.position,
                        f"An operator is missing before ‘{quote_typed_text(token.text)}’ (at {token.position + 1}): "
                        f"{hint}.")

    def operand(self) -> Node:
        token = self.peek()
        if token is None:
            last = self.tokens[-1]
            raise ExprError("syntax", last.text, last.position, f"The formula ends too early: something is missing "
                            f"after ‘{quote_typed_text(last.text)}’ (at {last.position + 1}).")
        self.take()
        if token.kind == "number":
            value = float(token.value)
            if not math.isfinite(value):
                raise ExprError("not_finite", token.text, token.position,
                                f"‘{quote_typed_text(token.text)}’ is too large a number (over 1.8e308).")
            return Number(value)
        if token.kind == "name":
            return self.name(token)
        if token.value == "(":
            inner = self.nested(token)
            self.close(token, None)
            return inner
        if token.value == "-":
            return Neg(self.nested(token, _UNARY_BP))
        if token.value == "+":
            return self.nested(token, _UNARY_BP)
        after = f" after ‘{self.tokens[self.i - 2].text}’" if self.i >= 2 else " at the start"
        what = "nothing inside the parentheses" if token.value == ")" and self.i >= 2 and \
            self.tokens[self.i - 2].value == "(" else f"‘{token.text}’ cannot come{after}"
        raise ExprError("syntax", token.text, token.position, f"A number, a name or ‘(’ is missing at "
                        f"{token.position + 1}: {what}.")

    def name(self, token: _Token) -> Node:
        following = self.peek()
        called = following is not None and following.value == "("
        if token.value in _NAMES:
            return Name(token.value)
        if token.value not in FUNCTIONS:
            raise _unknown(token, called)
        if not called:
            raise ExprError("syntax", token.text, token.position, f"{token.value} is a function: give it its "
                            f"argument in parentheses, as in {token.value}(x).")
        opening = self.take()
        arg = self.nested(opening)
        self.close(opening, token.value)
        return Call(token.value, arg)

    def close(self, opening: _Token, fn: str | None) -> None:
        token = self.peek()
        if token is None:
            raise ExprError("syntax", opening.text, opening.position, f"‘{opening.text}’ (at {opening.position + 1}) "
                            "is never closed: a ‘)’ is missing.")
        if token.value == ",":
            what = f"{fn} takes exactly one argument" if fn else "a comma cannot be used here"
            raise ExprError("syntax", token.text, token.position, f"‘,’ at {token.position + 1}: {what}.")
        self.take()  # the loop in expression() stops only at ")" or ","


def parse_function(text: str) -> Expression:
    """The formula in ``text`` as an Expression; anything it cannot read raises ExprError (never runs the text)."""
    if not isinstance(text, str):
        raise ExprError("chars", type(text).__name__, -1, "A formula is written as text.")
    if len(text) > MAX_TEXT:
        raise ExprError("too_long", text, -1, f"The formula is too long ({len(text)} characters; at most {MAX_TEXT}).")
    if not text.strip():
        raise ExprError("empty", "", -1, "The formula is empty.")
    parser = _Parser(_tokens(text))
    tree = parser.expression()
    token = parser.peek()
    if token is not None:  # only ")" or "," stop the outermost expression early
        what = "has no matching ‘(’" if token.value == ")" else "cannot be used here: a function takes one argument"
        raise ExprError("syntax", token.text, token.position, f"‘{token.text}’ at {token.position + 1} {what}.")
    return Expression(text, tree)
