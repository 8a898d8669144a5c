"""A formula's tree written back as text (``to_text``: what the student could type again) and as LaTeX (``to_latex``,
for the page), with the fewest parentheses its precedence needs.
"""

from __future__ import annotations

from core.expr_tree import _ONE, POW_BASE, POW_EXPONENT, Binary, Call, Name, Neg, Node, Number, _sub

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
