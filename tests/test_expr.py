"""core.expr against NumPy formulas written out here, Python's own precedence and torch.autograd (float64)."""

import builtins
import math
import pickle
import threading
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.expr import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_TEXT,
    Binary,
    Call,
    ExprError,
    Expression,
    Name,
    Neg,
    Number,
    parse_function,
)
from core.expr_text import to_text

HINT = "A formula in x and y looks like x**2 + 3*sin(y) or (x - 1)^2 + y^2."
RNG = np.random.default_rng(0)
X, Y = RNG.uniform(-3, 3, 200), RNG.uniform(-3, 3, 200)

# Each formula once as text and once as Python over a module m (numpy for values, torch for gradients).
FORMULAS = [
    ("x", lambda m, x, y: x + 0 * y),
    ("x**2 + 3*sin(y)", lambda m, x, y: x**2 + 3 * m.sin(y)),
    ("x**2 + 3*sin(y)**2 + 0.1*y**2", lambda m, x, y: x**2 + 3 * m.sin(y) ** 2 + 0.1 * y**2),
    ("(1 - x)^2 + 100*(y - x^2)^2", lambda m, x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", lambda m, x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2),
    ("exp(-(x**2 + y**2)/2)", lambda m, x, y: m.exp(-(x**2 + y**2) / 2)),
    ("sqrt(x**2 + y**2 + 1)", lambda m, x, y: m.sqrt(x**2 + y**2 + 1)),
    ("log(1 + x**2) * cos(y)", lambda m, x, y: m.log(1 + x**2) * m.cos(y)),
    ("abs(x) + abs(y)", lambda m, x, y: m.abs(x) + m.abs(y)),
    ("tanh(x*y) - tan(y/4)", lambda m, x, y: m.tanh(x * y) - m.tan(y / 4)),
    ("x/y - y/x", lambda m, x, y: x / y - y / x),
    ("x**y", lambda m, x, y: x**y),
    ("abs(x)**y", lambda m, x, y: m.abs(x) ** y),
    ("2**x * e**-y", lambda m, x, y: 2**x * math.e ** (-y)),
    ("sin(pi*x) * cos(pi*y)", lambda m, x, y: m.sin(math.pi * x) * m.cos(math.pi * y)),
    ("-x**2 - -y", lambda m, x, y: -(x**2) - -y),
    ("x**-2 + y**0.5", lambda m, x, y: x**-2 + y**0.5),
    ("log(x) + sqrt(y)", lambda m, x, y: m.log(x) + m.sqrt(y)),  # NaN where x < 0 or y < 0
    ("exp(sin(exp(cos(x*y))))", lambda m, x, y: m.exp(m.sin(m.exp(m.cos(x * y))))),
    ("(x - y)*(x + y)/(1 + x**2*y**2)", lambda m, x, y: (x - y) * (x + y) / (1 + x**2 * y**2)),
    ("sqrt(abs(x*y)) + tanh(x)**3", lambda m, x, y: m.sqrt(m.abs(x * y)) + m.tanh(x) ** 3),
    ("1.5e-3*x + .5*y + 2E+1 + 3.", lambda m, x, y: 1.5e-3 * x + 0.5 * y + 2e1 + 3.0),
    ("−x × y · 2 ＋ （x）", lambda m, x, y: -x * y * 2 + x),
    ("7", lambda m, x, y: 7.0 + 0 * x * y),
]


def torch_grad(reference, x, y):
    """∂f/∂x and ∂f/∂y of ``reference(torch, x, y)`` by autograd, 0 for a variable the formula does not use."""
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    out = reference(torch, tx, ty)
    gx, gy = torch.autograd.grad(out.sum(), (tx, ty), allow_unused=True)
    return tuple(np.zeros_like(x) if g is None else g.numpy() for g in (gx, gy))


@pytest.mark.parametrize(("text", "reference"), FORMULAS, ids=[t for t, _ in FORMULAS])
def test_values_equal_numpy(text, reference):
    with np.errstate(all="ignore"):
        expected = reference(np, X, Y)
    np.testing.assert_allclose(parse_function(text)(X, Y), expected, rtol=1e-13, atol=0)


@pytest.mark.parametrize(("text", "reference"), FORMULAS, ids=[t for t, _ in FORMULAS])
def test_gradients_equal_torch_autograd(text, reference):
    expr = parse_function(text)
    mine = expr.grad(X, Y)
    for got, expected in zip(mine, torch_grad(reference, X, Y), strict=True):
        finite = np.isfinite(expected)
        assert finite.mean() > 0.2  # most points compared (log and sqrt have NaN at half of them)
        np.testing.assert_array_equal(np.isfinite(got), finite)
        np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-10, atol=1e-12)


def test_gradients_at_kinks_and_zeros_follow_torch():
    """abs'(0) = 0 (torch's sign), x**2 has a slope at x < 0, and x**0.5 at 0 is inf as in torch."""
    x, y = np.array([0.0, -2.0, 0.0, 1.0]), np.array([0.0, -3.0, 2.0, 0.0])
    for text, reference in [("abs(x) + abs(y)", lambda m, x, y: m.abs(x) + m.abs(y)),
                            ("x**2 + y**3", lambda m, x, y: x**2 + y**3),
                            ("x**0.5 * y", lambda m, x, y: x**0.5 * y),
                            ("sqrt(x) + 0*y", lambda m, x, y: m.sqrt(x) + 0 * y)]:
        for got, expected in zip(parse_function(text).grad(x, y), torch_grad(reference, x, y), strict=True):
            np.testing.assert_array_equal(got, expected)
    assert parse_function("abs(x)").grad(0.0, 1.0) == (0.0, 0.0)


def test_shapes_broadcast_and_constant_formulas_fill_them():
    expr = parse_function("x*y")
    assert expr(np.ones((3, 1)), np.ones(4)).shape == (3, 4)
    assert [g.shape for g in expr.grad(np.ones((3, 1)), np.ones(4))] == [(3, 4), (3, 4)]
    one = parse_function("1")
    value, (gx, gy) = one(np.zeros((2, 5)), 0.0), one.grad(np.zeros((2, 5)), 0.0)
    assert value.shape == gx.shape == gy.shape == (2, 5) and (value == 1).all() and not gx.any() and not gy.any()
    assert parse_function("x + y")(1.0, 2.0).shape == () and float(parse_function("x + y")(1.0, 2.0)) == 3.0


# ---- precedence: the same text read by Python (in this file's source) and by the parser ---------------------------

PRECEDENCE = [
    ("-x**2", lambda x, y: -x**2, Neg(Binary("**", Name("x"), Number(2.0)))),
    ("2**3**2", lambda x, y: 2**3**2, Binary("**", Number(2.0), Binary("**", Number(3.0), Number(2.0)))),
    ("1-2-3", lambda x, y: 1 - 2 - 3, Binary("-", Binary("-", Number(1.0), Number(2.0)), Number(3.0))),
    ("8/4/2", lambda x, y: 8 / 4 / 2, Binary("/", Binary("/", Number(8.0), Number(4.0)), Number(2.0))),
    ("2*-3", lambda x, y: 2 * -3, Binary("*", Number(2.0), Neg(Number(3.0)))),
    ("x^2", lambda x, y: x**2, Binary("**", Name("x"), Number(2.0))),
    ("-2**2", lambda x, y: -2**2, None),
    ("2**-1", lambda x, y: 2**-1, Binary("**", Number(2.0), Neg(Number(1.0)))),
    ("2**-x**2", lambda x, y: 2**-x**2, None),
    ("-x*y", lambda x, y: -x * y, Binary("*", Neg(Name("x")), Name("y"))),
    ("x - -y", lambda x, y: x - -y, None),
    ("--x", lambda x, y: x, Neg(Neg(Name("x")))),  # Python reads --x as -(-x)
    ("+x", lambda x, y: +x, Name("x")),
    ("2*3**2", lambda x, y: 2 * 3**2, None),
    ("2**3*2", lambda x, y: 2**3 * 2, None),
    ("x**-y*2", lambda x, y: x**-y * 2, None),
    ("1/2*x", lambda x, y: 1 / 2 * x, None),
    ("x-y+2", lambda x, y: x - y + 2, None),
    ("2^x^y", lambda x, y: 2**x**y, None),
    ("(2**3)**2", lambda x, y: (2**3) ** 2, None),
    ("-(x + y)*2", lambda x, y: -(x + y) * 2, None),
    ("1 + 2*3 - 4/5**2", lambda x, y: 1 + 2 * 3 - 4 / 5**2, None),
]


@pytest.mark.parametrize(("text", "python", "tree"), PRECEDENCE, ids=[t for t, _, _ in PRECEDENCE])
def test_precedence_is_pythons(text, python, tree):
    expr = parse_function(text)
    x, y = 1.7, -0.6
    assert float(expr(x, y)) == python(x, y)
    if tree is not None:
        assert expr.tree == tree


# ---- what is refused, and why -------------------------------------------------------------------------------------

REJECTED = [
    ("__import__('os')", "chars", "_", 0),
    ("x.real", "chars", ".", 1),
    ("os.system('ls')", "chars", ".", 2),  # every character is checked before any name
    ("lambda: 1", "chars", ":", 6),
    ("x if y else 1", "unknown_name", "if", 2),
    ("[1,2]", "chars", "[", 0),
    ("'a'", "chars", "'", 0),
    ('"a"', "chars", '"', 0),
    ("exp", "syntax", "exp", 0),
    ("sin x", "syntax", "sin", 0),
    ("exp(x, y)", "syntax", ",", 5),
    ("exp()", "syntax", ")", 4),
    ("foo(x)", "unknown_function", "foo", 0),
    ("Sin(x)", "unknown_function", "Sin", 0),
    ("2 + foo (x)", "unknown_function", "foo", 4),
    ("foo", "unknown_name", "foo", 0),
    ("X**2", "unknown_name", "X", 0),
    ("xy", "unknown_name", "xy", 0),
    ("import os", "unknown_name", "import", 0),
    ("2x", "syntax", "x", 1),
    ("2 sin(x)", "syntax", "sin", 2),
    ("x(y + 1)", "syntax", "(", 1),
    ("x y", "syntax", "y", 2),
    ("(x", "syntax", "(", 0),
    ("sin(x", "syntax", "(", 3),
    ("x)", "syntax", ")", 1),
    ("()", "syntax", ")", 1),
    ("x,y", "syntax", ",", 1),
    ("x**", "syntax", "**", 1),
    ("x + ", "syntax", "+", 2),
    ("*x", "syntax", "*", 0),
    ("x */ y", "syntax", "/", 3),
    ("1..2", "syntax", ".2", 2),
    ("", "empty", "", -1),
    ("   \t", "empty", "", -1),
    ("x" * 300, "too_long", "x" * 19 + "…", -1),
    ("((((" * 60 + "x" + "))))" * 60, "too_long", "(" * 19 + "…", -1),  # 481 characters: the length is checked first
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "too_deep", "(", MAX_DEPTH),
    ("-" * (MAX_DEPTH + 1) + "x", "too_deep", "-", MAX_DEPTH),
    ("2^" * (MAX_DEPTH + 1) + "2", "too_deep", "^", 2 * MAX_DEPTH + 1),
    ("1e999", "not_finite", "1e999", 0),
    ("x = 1", "chars", "=", 2),
    ("x²", "chars", "²", 1),
    ("３*x", "chars", "３", 0),
    ("x\x00", "chars", "U+0000", 1),
    ("x\u200b", "chars", "U+200B", 1),
    ("{{7*7}}", "chars", "{", 0),
    ("x; y", "chars", ";", 1),
    ("x @ y", "chars", "@", 2),
    ("é", "chars", "é", 0),
]


@pytest.mark.parametrize(("text", "code", "token", "position"), REJECTED, ids=[repr(t[0][:20]) for t in REJECTED])
def test_refused_formulas_say_why(text, code, token, position):
    with pytest.raises(ExprError) as raised:
        parse_function(text)
    error = raised.value
    assert (error.code, error.token, error.position) == (code, token, position)
    assert isinstance(error, ValueError) and len(error.token) <= 20
    message = str(error)
    assert message.endswith(HINT) and len(message) > len(HINT) + 10
    assert not token or f"‘{token}’" in message or token in message or code in ("too_long", "too_deep")


def test_messages_give_the_fix():
    def message(text):
        with pytest.raises(ExprError) as raised:
            parse_function(text)
        return str(raised.value)

    assert "write 2*x" in message("2x") and "write x*y" in message("x y") and "write 2*pi" in message("2pi")
    assert "write a product with *" in message("x(y + 1)") and "write a product with *" in message("2.5.3")
    assert "Did you mean x?" in message("X") and "Did you mean sin?" in message("SIN(x)")
    assert "Write x*y" in message("xy") and "x**2 or x^2" in message("y + x²")
    assert "exactly one argument" in message("exp(x, y)") and "exp(x)" in message("exp")
    assert "never closed" in message("(x") and "no matching" in message("x)")
    assert "sin, cos, tan, exp, log, sqrt, abs, tanh" in message("foo(x)")


def test_limits_are_inclusive():
    assert parse_function("x" + " " * (MAX_TEXT - 1)).text
    nested = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert parse_function(nested).tree == Name("x")
    assert float(parse_function("-" * MAX_DEPTH + "2")(0, 0)) == 2.0
    assert parse_function("1e308")(0, 0) == 1e308


def test_errors_survive_pickling():
    with pytest.raises(ExprError) as raised:
        parse_function("2x")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert (copy.code, copy.token, copy.position, str(copy)) == ("syntax", "x", 1, str(raised.value))
    expr = parse_function("x**2 + sin(y)")
    again = pickle.loads(pickle.dumps(expr))
    assert again == expr and float(again(2.0, 0.0)) == 4.0


def test_the_longest_formulas_evaluate_without_deep_recursion():
    """Formulas at the limits, parsed, evaluated, differentiated and written in a fresh thread (whose stack Streamlit
    also runs scripts in)."""
    worst = ["x*" * 99 + "x", "x**" * 50 + "x", "-(" * 25 + "x" + ")" * 25, "sin(" * 20 + "x" + ")" * 20,
             "x/" * 99 + "y", "1+-" * 50 + "x", "(" * 50 + "x" + ")" * 50, "x-(" * 33 + "y" + ")" * 33]
    failures = []

    def run():
        for text in worst:
            try:
                expr = parse_function(text)
                expr(X, Y), expr.grad(X, Y), expr.to_latex(), expr.grad_latex(), to_text(expr.tree)
            except Exception as error:  # collected for the assertion below
                failures.append((text[:20], repr(error)))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures


# ---- text in any form: an Expression or an ExprError, and nothing ever run -----------------------------------------


def refuse(*args, **kwargs):
    raise AssertionError("the parser tried to run code")


TRICKY = st.sampled_from(["__import__('os')", "os.system('ls')", "lambda: 1", "exec", "eval(x)", "x.__class__",
                          "1e999", "2x", "sin", "(", ")", "**", "^", "−", "（", "）", "×", "·", "\x00", "\u202e",
                          "🙂", "x" * 201, "(" * 60, "sin(" * 3, ",", ".", "e", "pi", "1e", "E+4"])
FORMULA_CHARS = "xyepi0123456789.eE+-*/^(),  sincoexptalgqrbh_'\"[]−×·（）²é\t"


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=60), st.text(min_size=150, max_size=260), st.text(FORMULA_CHARS, max_size=80),
                 st.lists(st.one_of(TRICKY, st.text(FORMULA_CHARS, max_size=6)), max_size=8).map("".join)))
def test_any_text_gives_an_expression_or_an_expr_error(text):
    with mock.patch.multiple(builtins, eval=refuse, exec=refuse, compile=refuse, __import__=refuse):
        try:
            expr = parse_function(text)
        except ExprError as error:
            assert error.code in ExprError.CODES and len(error.token) <= 20
            assert -1 <= error.position < max(len(text), 1)
            return
        with np.errstate(all="ignore"):
            values, (gx, gy) = expr(X[:5], Y[:5]), expr.grad(X[:5], Y[:5])
        assert values.shape == gx.shape == gy.shape == (5,)
        assert isinstance(expr.to_latex(), str)


# ---- random trees: written out, read back, evaluated as the tree ---------------------------------------------------

NUMBER = st.one_of(st.integers(0, 12).map(float), st.floats(0, 1e3, allow_nan=False).map(abs),
                   st.sampled_from([0.5, 1e-3, 2.5e-7, 1e20, 0.1]))
LEAF = st.one_of(st.builds(Number, NUMBER), st.sampled_from([Name("x"), Name("y"), Name("pi"), Name("e")]))
TREES = st.recursive(LEAF, lambda children: st.one_of(
    st.builds(Neg, children),
    st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "**"]), children, children),
    st.builds(Call, st.sampled_from(FUNCTIONS), children)), max_leaves=8)

NUMPY_FUN = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
             "abs": np.abs, "tanh": np.tanh}
NUMPY_OP = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}
TORCH_FUN = {"sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp, "log": torch.log,
             "sqrt": torch.sqrt, "abs": torch.abs, "tanh": torch.tanh}
TORCH_OP = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "**": torch.pow}
CONSTANT = {"pi": math.pi, "e": math.e}


def numpy_value(node, x, y):
    if isinstance(node, Number):
        return np.float64(node.value)
    if isinstance(node, Name):
        return {"x": x, "y": y}.get(node.name, CONSTANT.get(node.name))
    if isinstance(node, Neg):
        return -numpy_value(node.operand, x, y)
    if isinstance(node, Call):
        return NUMPY_FUN[node.fn](numpy_value(node.arg, x, y))
    return NUMPY_OP[node.op](numpy_value(node.left, x, y), numpy_value(node.right, x, y))


def torch_value(node, x, y, seen=None):
    """The tree in torch; ``seen`` collects every intermediate value (to skip points where they are extreme)."""
    if isinstance(node, Number):
        out = torch.tensor(node.value, dtype=torch.float64)
    elif isinstance(node, Name):
        out = {"x": x, "y": y}[node.name] if node.name in ("x", "y") else torch.tensor(CONSTANT[node.name],
                                                                                        dtype=torch.float64)
    elif isinstance(node, Neg):
        out = -torch_value(node.operand, x, y, seen)
    elif isinstance(node, Call):
        out = TORCH_FUN[node.fn](torch_value(node.arg, x, y, seen))
    else:
        out = TORCH_OP[node.op](torch_value(node.left, x, y, seen), torch_value(node.right, x, y, seen))
    if seen is not None:
        seen.append(out.detach())
    return out


@st.composite
def written(draw, node):
    """``node`` as text, fully parenthesised, in any of the spellings the parser accepts."""
    space = st.sampled_from(["", "", " ", "  ", "\u3000"])
    if isinstance(node, Number):
        v = node.value
        forms = [repr(v)] + ([str(int(v)), f"{int(v)}.", f"{int(v)}e0", f"{int(v)}E+0"] if v.is_integer() and v < 1e16
                             else [])
        return draw(st.sampled_from(forms))
    if isinstance(node, Name):
        return node.name
    opening, closing = draw(st.sampled_from([("(", ")"), ("（", "）")]))
    if isinstance(node, Neg):
        return f"{opening}{draw(st.sampled_from(['-', '−']))}{draw(space)}{draw(written(node.operand))}{closing}"
    if isinstance(node, Call):
        return f"{node.fn}{draw(space)}{opening}{draw(written(node.arg))}{closing}"
    spelling = {"+": ["+"], "-": ["-", "−"], "*": ["*", "×", "·"], "/": ["/"], "**": ["**", "^"]}[node.op]
    op = draw(space) + draw(st.sampled_from(spelling)) + draw(space)
    return f"{opening}{draw(written(node.left))}{op}{draw(written(node.right))}{closing}"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_written_trees_read_back_as_the_same_tree(data):
    tree = data.draw(TREES)
    for text in (data.draw(written(tree)), to_text(tree)):
        assume(len(text) <= MAX_TEXT)
        expr = parse_function(text)
        assert expr.tree == tree
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(expr(X, Y), np.broadcast_to(numpy_value(tree, X, Y), X.shape))


@settings(max_examples=200, deadline=None)
@given(TREES)
def test_gradients_of_random_trees_equal_torch_autograd(tree):
    """Compared where every intermediate value is 0 or between 1e-4 and 1e4 in size: elsewhere two correct float64
    computations can differ by far more than rounding (y/(y/1e20) is 1e20 less 1e20 in the derivative)."""
    expr = Expression(to_text(tree), tree)
    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(Y, dtype=torch.float64, requires_grad=True)
    seen = []
    out = torch_value(tree, tx, ty, seen)
    assume(out.requires_grad)
    expected = [np.zeros_like(X) if g is None else g.numpy()
                for g in torch.autograd.grad(out.sum(), (tx, ty), allow_unused=True)]
    size = np.abs(np.stack([np.broadcast_to(v.numpy(), X.shape) for v in seen]))
    moderate = np.all((size == 0) | ((size >= 1e-4) & (size <= 1e4)), axis=0)
    for got, want in zip(expr.grad(X, Y), expected, strict=True):
        compared = moderate & np.isfinite(want) & (np.abs(want) <= 1e8)
        np.testing.assert_allclose(got[compared], want[compared], rtol=1e-8, atol=1e-8)


# ---- LaTeX ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "latex"), [
    ("x**2 + 3*sin(y)", r"x^{2} + 3\sin\left(y\right)"),
    ("(1 - x)^2 + 100*(y - x^2)^2", r"\left(1 - x\right)^{2} + 100\left(y - x^{2}\right)^{2}"),
    ("exp(-x)/sqrt(y)", r"\frac{e^{-x}}{\sqrt{y}}"),
    ("abs(x)*log(y)", r"\left|x\right| \cdot \ln\left(y\right)"),
    ("-x**2", "-x^{2}"),
    ("(-x)**2", r"\left(-x\right)^{2}"),
    ("x*-y", r"x \cdot \left(-y\right)"),
    ("2*pi*x", r"2\pi \cdot x"),
    ("1e-5*x + 2.5e+20", r"10^{-5} \cdot x + 2.5 \cdot 10^{20}"),
    ("sin(x)**2", r"\left(\sin\left(x\right)\right)^{2}"),
    ("x - (y - 1)", r"x - \left(y - 1\right)"),
])
def test_latex(text, latex):
    assert parse_function(text).to_latex() == latex


@pytest.mark.parametrize(("text", "reference"), FORMULAS, ids=[t for t, _ in FORMULAS])
def test_latex_is_built_from_the_tree_only(text, reference):
    """Only characters the renderer writes itself, and balanced braces (st.latex cannot break on student text)."""
    for latex in (parse_function(text).to_latex(), *parse_function(text).grad_latex()):
        assert set(latex) <= set("abcdefghijklmnopqrstuvwxyz0123456789 .+-^{}()|\\")
        depth = 0
        for c in latex:
            depth += {"{": 1, "}": -1}.get(c, 0)
            assert depth >= 0
        assert depth == 0 and latex.count(r"\left") == latex.count(r"\right")


def test_derivatives_as_latex_fold_zeros_and_ones():
    assert parse_function("x**2 + 3*y").grad_latex() == ("2x", "3")
    assert parse_function("sin(x*y)").grad_latex() == (r"\cos\left(x \cdot y\right) \cdot y",
                                                       r"\cos\left(x \cdot y\right) \cdot x")
    assert parse_function("x**y").grad_latex() == (r"y \cdot x^{y - 1}", r"x^{y} \cdot \ln\left(x\right)")
