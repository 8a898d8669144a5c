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
from dataclasses import dataclass

import numpy as np

from core.arguments import quote_typed_text
from core.expr_text import to_latex
from core.expr_tree import (
    CONSTANTS,
    FUNCTIONS,
    VARIABLES,
    Binary,
    Call,
    Name,
    Neg,
    Node,
    Number,
    derivative,
    distinct_nodes,
    evaluate,
)

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
