"""core.backprop against torch.autograd (the same expressions in float64, summed in the same order, with the
``torch.nn.functional`` activations) and central finite differences, and the graph's own invariants: each node
after its inputs, ∂L/∂u = Σ of its outgoing edges' grads, edge.grad = target.grad · local."""

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.activations import ACTIVATIONS
from core.backprop import (
    Edge,
    Node,
    backward,
    backward_order,
    build_graph,
    chain_rule_text,
    finite_difference_gradients,
    forward,
    forward_order,
    gradient_step,
    gradient_sum_text,
    neuron_gradients,
    neuron_graph,
    neuron_loss,
    torch_neuron_gradients,
    torch_two_layer_gradients,
    two_layer_gradients,
    two_layer_graph,
)
from core.numbers import MINUS, format_number
from core.torch_reference import torch_activation_functions

ACTS = ["relu", "sigmoid", "tanh", "identity"]
TORCH_FN = torch_activation_functions()
TORCH_TOL = dict(rtol=1e-12, atol=1e-12)
KINK = 1e-3  # keep relu's z this far from 0 where a test needs the derivative to be smooth around z

coord = st.floats(-3.0, 3.0, allow_nan=False)


@st.composite
def neurons(draw, activations=ACTS):
    n = draw(st.integers(1, 5))
    x = np.array(draw(st.lists(coord, min_size=n, max_size=n)))
    w = np.array(draw(st.lists(coord, min_size=n, max_size=n)))
    return x, w, draw(coord), draw(coord), draw(st.sampled_from(activations))


def z_of(x, w, b):
    return sum((float(wi) * float(xi) for wi, xi in zip(w, x, strict=True)), 0.0) + b


def torch_neuron(x, w, b, y, activation):
    """L = (act(Σ_i w_i x_i + b) − y)² in torch float64, summed left to right as the graph does; (L, ∂L/∂w, ∂L/∂b)."""
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    xt = torch.tensor(x, dtype=torch.float64)
    z = wt[0] * xt[0]
    for i in range(1, len(x)):
        z = z + wt[i] * xt[i]
    loss = (TORCH_FN[activation](z + bt) - y) ** 2
    gw, gb = torch.autograd.grad(loss, [wt, bt])
    return loss.item(), gw.numpy(), gb.item()


# ---- one neuron against torch and finite differences ---------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(neurons())
def test_neuron_gradients_equal_torch_autograd(case):
    x, w, b, y, act = case
    assume(act != "relu" or abs(z_of(x, w, b)) > KINK)
    loss, gw, gb = torch_neuron(x, w, b, y, act)
    got = neuron_gradients(x, w, b, y, act)
    np.testing.assert_allclose(got["loss"], loss, **TORCH_TOL)
    np.testing.assert_allclose(got["w"], gw, **TORCH_TOL)
    np.testing.assert_allclose(got["b"], gb, **TORCH_TOL)
    assert got["w"].shape == w.shape and isinstance(got["b"], float) and isinstance(got["loss"], float)


@settings(max_examples=150, deadline=None)
@given(neurons())
def test_neuron_gradients_equal_central_differences(case):
    """Central differences err by about h²|L'''| + ε|L|/h: 1e-6·(1 + |L|) bounds both for h = 1e-6 here."""
    x, w, b, y, act = case
    assume(act != "relu" or abs(z_of(x, w, b)) > KINK)
    got = neuron_gradients(x, w, b, y, act)
    fd, passes = finite_difference_gradients(lambda w, b: neuron_loss(x, w, b, y, act), {"w": w, "b": b})
    tol = 1e-6 * (1 + got["loss"])
    np.testing.assert_allclose(fd["w"], got["w"], rtol=0, atol=tol)
    np.testing.assert_allclose(fd["b"], got["b"], rtol=0, atol=tol)
    assert passes == 2 * (w.size + 1)


@settings(max_examples=100, deadline=None)
@given(neurons())
def test_neuron_loss_is_the_graph_output(case):
    x, w, b, y, act = case
    assert neuron_loss(x, w, b, y, act) == neuron_graph(x, w, b, y, act).nodes["L"].value


@pytest.mark.parametrize(("w", "b"), [(2.0, -2.0), (0.0, 0.0), (-0.5, 0.5)])
def test_relu_at_the_kink_has_derivative_zero_like_torch(w, b):
    """z = w·x + b = 0 exactly: relu'(0) = 0, so ∂L/∂w = ∂L/∂b = 0, as torch.autograd says."""
    x, w, y = np.array([1.0]), np.array([w]), 0.5
    assert z_of(x, w, b) == 0.0
    got = neuron_gradients(x, w, b, y, "relu")
    loss, gw, gb = torch_neuron(x, w, b, y, "relu")
    assert got["loss"] == loss == 0.25
    assert got["w"].tolist() == gw.tolist() == [0.0]
    assert got["b"] == gb == 0.0
    assert neuron_graph(x, w, b, y, "relu").edge("z", "a").local == 0.0


def test_central_differences_at_the_kink_average_the_two_slopes():
    """At z = 0, (L(h) − L(−h)) / 2h = ((h − y)² − y²) / 2h = h/2 − y: the mean of the slopes 0 and −2y."""
    x, w, b, y = np.array([1.0]), np.array([2.0]), -2.0, 0.5
    fd, _ = finite_difference_gradients(lambda b: neuron_loss(x, w, b, y, "relu"), {"b": b})
    assert fd["b"] == pytest.approx(0.5e-6 - y, abs=1e-9)  # h = 1e-6
    assert neuron_gradients(x, w, b, y, "relu")["b"] == 0.0


def test_a_worked_example_by_hand():
    """x = (1.5, −2), w = (0.5, 0.3), b = 0.1, y = 0.4, relu: z = 0.75 − 0.6 + 0.1 = 0.25, a = 0.25, e = −0.15,
    L = 0.0225; ∂L/∂e = 2e = −0.3 flows unchanged to z (relu' = 1, sums pass gradients on), then ∂L/∂w_i = −0.3·x_i."""
    g = neuron_graph([1.5, -2.0], [0.5, 0.3], 0.1, 0.4)
    values = {name: node.value for name, node in g.nodes.items()}
    expected = {"p1": 0.75, "p2": -0.6, "z": 0.25, "a": 0.25, "e": -0.15, "L": 0.0225}
    for name, v in expected.items():
        assert values[name] == pytest.approx(v, abs=1e-15)
    for name, v in {"w1": -0.45, "w2": 0.6, "b": -0.3, "x1": -0.15, "x2": -0.09, "y": 0.3, "L": 1.0}.items():
        assert g.nodes[name].grad == pytest.approx(v, abs=1e-15)


# ---- the graph's shape and invariants ------------------------------------------------------------------------


def test_neuron_graph_names_ops_labels_and_depths():
    g = neuron_graph([1.0, 2.0, 3.0], [0.1, 0.2, 0.3], 0.5, 1.0, "sigmoid")
    assert forward_order(g) == ["x1", "x2", "x3", "w1", "w2", "w3", "b", "y", "p1", "p2", "p3", "z", "a", "e", "L"]
    assert g.output == "L"
    ops = {name: node.op for name, node in g.nodes.items()}
    assert ops == {"x1": "input", "x2": "input", "x3": "input", "w1": "param", "w2": "param", "w3": "param",
                   "b": "param", "y": "target", "p1": "mul", "p2": "mul", "p3": "mul", "z": "add", "a": "sigmoid",
                   "e": "sub", "L": "square"}
    assert g.nodes["p2"].inputs == ("w2", "x2")
    assert g.nodes["z"].inputs == ("p1", "p2", "p3", "b")
    labels = {name: g.nodes[name].label for name in ("x1", "w1", "p1", "z", "a", "e", "L")}
    assert labels == {"x1": "x1", "w1": "w1", "p1": "p1 = w1·x1", "z": "z = Σ + b", "a": "a = sigmoid(z)",
                      "e": f"e = a {MINUS} y", "L": "L = e²"}
    depths = {name: node.depth for name, node in g.nodes.items()}
    assert depths == {"x1": 0, "x2": 0, "x3": 0, "w1": 0, "w2": 0, "w3": 0, "b": 0, "y": 0, "p1": 1, "p2": 1,
                      "p3": 1, "z": 2, "a": 3, "e": 4, "L": 5}
    assert len(g.edges) == sum(len(node.inputs) for node in g.nodes.values()) == 2 * 3 + 4 + 1 + 2 + 1


def test_two_layer_graph_names():
    g = two_layer_graph([1.0, 2.0], np.ones((3, 2)), np.zeros(3), np.ones(3), 0.0, 1.0, "tanh")
    names = forward_order(g)
    assert names[:2] == ["x0", "x1"]
    assert {"W1_0_1", "W1_2_0", "b1_2", "w2_2", "b2", "y", "p2_1", "z2", "h0", "r1", "yhat", "e", "L"} <= set(names)
    assert g.nodes["p2_1"].inputs == ("W1_2_1", "x1")
    assert g.nodes["h1"].op == "tanh" and g.nodes["h1"].inputs == ("z1",)
    assert g.nodes["yhat"].inputs == ("r0", "r1", "r2", "b2") and g.nodes["yhat"].symbol == "ŷ"
    assert g.nodes["L"].depth == 7  # x -> p -> z -> h -> r -> ŷ -> e -> L
    assert len(g.outgoing("x0")) == 3


def check_invariants(g):
    position = {name: i for i, name in enumerate(forward_order(g))}
    for node in g.nodes.values():
        assert all(position[u] < position[node.name] for u in node.inputs)
        assert node.depth == (1 + max(g.nodes[u].depth for u in node.inputs) if node.inputs else 0)
        assert [e.source for e in g.incoming(node.name)] == list(node.inputs)
    back = backward_order(g)
    assert back[0] == g.output
    back_position = {name: i for i, name in enumerate(back)}
    for name in back:
        assert all(back_position[name] < back_position[u] for u in g.nodes[name].inputs)
    assert set(back) == set(g.nodes)  # every node here feeds the loss
    assert g.nodes[g.output].grad == 1.0
    for edge in g.edges:
        assert edge.grad == g.nodes[edge.target].grad * edge.local
    for name, node in g.nodes.items():
        if name != g.output:
            assert node.grad == pytest.approx(sum(e.grad for e in g.outgoing(name)), rel=1e-14, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(neurons())
def test_neuron_graph_orders_and_edge_sums(case):
    check_invariants(neuron_graph(*case))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.sampled_from(ACTS), st.integers(0, 2**32 - 1))
def test_two_layer_graph_orders_and_edge_sums(n, m, act, seed):
    rng = np.random.default_rng(seed)
    check_invariants(two_layer_graph(rng.uniform(-3, 3, n), rng.uniform(-3, 3, (m, n)), rng.uniform(-3, 3, m),
                                     rng.uniform(-3, 3, m), 0.3, -0.7, act))


def test_edges_carry_the_local_derivatives():
    g = neuron_graph([2.0], [-1.5], 0.5, 1.0, "tanh")  # z = −2.5
    z = -2.5
    a = math.tanh(z)
    assert g.edge("w1", "p1").local == 2.0 and g.edge("x1", "p1").local == -1.5
    assert g.edge("p1", "z").local == 1.0 and g.edge("b", "z").local == 1.0
    assert g.edge("z", "a").local == pytest.approx(1 - a * a, rel=1e-14)
    assert g.edge("a", "e").local == 1.0 and g.edge("y", "e").local == -1.0
    assert g.edge("e", "L").local == pytest.approx(2 * (a - 1.0), rel=1e-14)


def test_forward_and_backward_rerun_after_changing_a_leaf():
    g = neuron_graph([1.0, 2.0], [0.5, -0.5], 0.0, 1.0, "sigmoid")
    g.nodes["w2"].value = 0.25
    backward(forward(g))
    fresh = neuron_graph([1.0, 2.0], [0.5, 0.25], 0.0, 1.0, "sigmoid")
    assert {k: (v.value, v.grad) for k, v in g.nodes.items()} == {k: (v.value, v.grad) for k, v in fresh.nodes.items()}
    assert g.edges == fresh.edges


def test_backward_order_skips_nodes_the_output_does_not_use():
    g = build_graph([Node("u", "input", (), 2.0), Node("v", "input", (), 3.0), Node("s", "square", ("u",), 0.0),
                     Node("t", "square", ("v",), 0.0)], "s")
    backward(forward(g))
    assert backward_order(g) == ["s", "u"]
    assert (g.nodes["u"].grad, g.nodes["v"].grad, g.nodes["t"].grad) == (4.0, 0.0, 0.0)


def test_mul_of_a_node_with_itself_counts_both_edges():
    g = backward(forward(build_graph([Node("u", "input", (), 3.0), Node("s", "mul", ("u", "u"), 0.0)], "s")))
    assert g.nodes["s"].value == 9.0 and g.nodes["u"].grad == 6.0
    assert [e.grad for e in g.edges] == [3.0, 3.0]


def test_build_graph_rejects_bad_structures():
    u = Node("u", "input", (), 1.0)
    with pytest.raises(ValueError, match="twice"):
        build_graph([u, Node("u", "input", (), 2.0)], "u")
    with pytest.raises(ValueError, match="not defined before"):
        build_graph([Node("s", "square", ("u",), 0.0), u], "s")
    with pytest.raises(ValueError, match="unknown op"):
        build_graph([u, Node("s", "cube", ("u",), 0.0)], "s")
    with pytest.raises(ValueError, match="cannot take"):
        build_graph([u, Node("s", "sub", ("u",), 0.0)], "s")
    with pytest.raises(ValueError, match="output"):
        build_graph([u], "nope")


# ---- two layers --------------------------------------------------------------------------------------------


def two_layer_loss(x, W1, b1, w2, b2, y, activation):
    """L = (w2·act(W1 x + b1) + b2 − y)², the forward pass alone: NumPy products, torch's activation (float64)."""
    h = TORCH_FN[activation](torch.from_numpy(np.asarray(W1, dtype=np.float64) @ x + b1)).numpy()
    return float((np.dot(w2, h) + b2 - y) ** 2)


def torch_two_layer(x, W1, b1, w2, b2, y, activation):
    """L = (Σ_k w2_k act(Σ_i W1_ki x_i + b1_k) + b2 − y)², summed left to right as the graph does."""
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (W1, b1, w2, b2)]
    W1t, b1t, w2t, b2t = params
    xt = torch.tensor(x, dtype=torch.float64)
    m, n = W1.shape
    out = None
    for k in range(m):
        z = W1t[k, 0] * xt[0]
        for i in range(1, n):
            z = z + W1t[k, i] * xt[i]
        r = w2t[k] * TORCH_FN[activation](z + b1t[k])
        out = r if out is None else out + r
    loss = (out + b2t - y) ** 2
    grads = torch.autograd.grad(loss, params)
    return loss.item(), [g.numpy() for g in grads]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.sampled_from(ACTS), st.integers(0, 2**32 - 1))
def test_two_layer_gradients_equal_torch_autograd_and_differences(n, m, act, seed):
    rng = np.random.default_rng(seed)
    x, W1, b1, w2 = rng.uniform(-3, 3, n), rng.uniform(-3, 3, (m, n)), rng.uniform(-3, 3, m), rng.uniform(-3, 3, m)
    b2, y = float(rng.uniform(-3, 3)), float(rng.uniform(-3, 3))
    assume(act != "relu" or np.all(np.abs(W1 @ x + b1) > KINK))
    got = two_layer_gradients(x, W1, b1, w2, b2, y, act)
    loss, (gW1, gb1, gw2, gb2) = torch_two_layer(x, W1, b1, w2, b2, y, act)
    np.testing.assert_allclose(got["loss"], loss, **TORCH_TOL)
    for key, ref in {"W1": gW1, "b1": gb1, "w2": gw2, "b2": gb2}.items():
        np.testing.assert_allclose(got[key], ref, rtol=1e-12, atol=1e-12 * (1 + abs(loss)), err_msg=key)
    assert got["W1"].shape == (m, n) and got["b1"].shape == got["w2"].shape == (m,)
    np.testing.assert_allclose(got["loss"], two_layer_loss(x, W1, b1, w2, b2, y, act), **TORCH_TOL)
    fd, passes = finite_difference_gradients(lambda W1, b1, w2, b2: two_layer_loss(x, W1, b1, w2, b2, y, act),
                                             {"W1": W1, "b1": b1, "w2": w2, "b2": b2})
    assert passes == 2 * (m * n + 2 * m + 1)
    for key in fd:
        np.testing.assert_allclose(fd[key], got[key], rtol=0, atol=1e-6 * (1 + got["loss"]), err_msg=key)


@settings(max_examples=40, deadline=None)
@given(neurons())
def test_the_torch_helpers_agree_with_the_graph(case):
    """``torch_*_gradients`` (torch.dot and @, summed in torch's order) within rounding of the graph's numbers."""
    x, w, b, y, act = case
    assume(act != "relu" or abs(z_of(x, w, b)) > KINK)
    got, ref = neuron_gradients(x, w, b, y, act), torch_neuron_gradients(x, w, b, y, act)
    tol = dict(rtol=1e-10, atol=1e-10 * (1 + got["loss"]))
    for key in ("loss", "w", "b"):
        np.testing.assert_allclose(got[key], ref[key], **tol)
    W1, b1, w2 = np.outer([1.0, -0.5], x), np.array([b, -b]), np.array([0.7, -1.2])
    assume(act != "relu" or np.all(np.abs(W1 @ x + b1) > KINK))
    got, ref = two_layer_gradients(x, W1, b1, w2, 0.1, y, act), torch_two_layer_gradients(x, W1, b1, w2, 0.1, y, act)
    tol = dict(rtol=1e-10, atol=1e-10 * (1 + got["loss"]))
    for key in ("loss", "W1", "b1", "w2", "b2"):
        np.testing.assert_allclose(got[key], ref[key], **tol)


# ---- finite differences ------------------------------------------------------------------------------------


def test_finite_differences_count_two_passes_per_scalar_and_keep_shapes():
    calls = []

    def loss(a, s):
        calls.append(1)
        return float(np.sum(a**2)) * s

    a = np.arange(6.0).reshape(2, 3)
    grads, passes = finite_difference_gradients(loss, {"a": a, "s": 2.0})
    assert passes == len(calls) == 2 * (6 + 1)
    assert grads["a"].shape == (2, 3) and isinstance(grads["s"], float)
    np.testing.assert_allclose(grads["a"], 4 * a, rtol=1e-8, atol=1e-8)
    assert grads["s"] == pytest.approx(np.sum(a**2), rel=1e-8)
    assert a.tolist() == np.arange(6.0).reshape(2, 3).tolist()  # the caller's array is left alone
    assert finite_difference_gradients(loss, {}) == ({}, 0)


# ---- one step of gradient descent --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(neurons())
def test_a_small_gradient_step_does_not_raise_the_loss(case):
    """z moves by −lr·(|x|² + 1)·∂L/∂z, at most 0.046·|∂L/∂z| for lr = 1e-3, and |∂²L/∂z²| <= 8.2 here, so the step
    cannot overshoot; relu's kink only flattens the loss."""
    x, w, b, y, act = case
    lr = 1e-3
    step = gradient_step(x, w, b, y, lr, act)
    assume(np.any(step["grad_w"] != 0) or step["grad_b"] != 0)
    assert step["loss_after"] <= step["loss_before"] + 1e-12 * (1 + step["loss_before"])
    np.testing.assert_array_equal(step["w"], w - lr * step["grad_w"])
    assert step["b"] == b - lr * step["grad_b"]
    assert step["loss_before"] == neuron_loss(x, w, b, y, act)
    assert step["loss_after"] == neuron_loss(x, step["w"], step["b"], y, act)


def test_a_step_on_the_worked_example():
    step = gradient_step([1.5, -2.0], [0.5, 0.3], 0.1, 0.4, lr=0.1)
    np.testing.assert_allclose(step["w"], [0.545, 0.24], rtol=0, atol=1e-15)
    assert step["b"] == pytest.approx(0.13, abs=1e-15)
    assert step["loss_after"] < step["loss_before"] == pytest.approx(0.0225, abs=1e-15)
    assert gradient_step([1.0], [1.0], 0.0, 0.0, lr=0.0)["loss_after"] == 1.0


# ---- the chain rule as text --------------------------------------------------------------------------------


def test_chain_rule_text():
    g = neuron_graph([1.5, -2.0], [0.5, 0.3], 0.1, 0.4)
    assert chain_rule_text(g, g.edge("w1", "p1")) == f"∂L/∂w1 = ∂L/∂p1 · ∂p1/∂w1 = ({MINUS}0.3) · 1.5 = {MINUS}0.45"
    assert chain_rule_text(g, g.edge("w2", "p2")) == f"∂L/∂w2 = ∂L/∂p2 · ∂p2/∂w2 = ({MINUS}0.3) · ({MINUS}2) = 0.6"
    assert chain_rule_text(g, g.edge("z", "a")) == f"∂L/∂z = ∂L/∂a · ∂a/∂z = ({MINUS}0.3) · 1 = {MINUS}0.3"
    assert chain_rule_text(g, g.edge("e", "L")) == f"∂L/∂e = {MINUS}0.3"
    assert gradient_sum_text(g, "w1") == chain_rule_text(g, g.edge("w1", "p1"))
    assert gradient_sum_text(g, "L") == "∂L/∂L = 1"
    symbols = {node.symbol for node in g.nodes.values()}
    for edge in g.edges:  # formula only: every word in the text is a node's symbol
        assert set(re.findall(r"[A-Za-z]\w*", chain_rule_text(g, edge))) <= symbols


def test_chain_rule_text_for_a_source_with_several_edges():
    g = two_layer_graph([1.0, 2.0], [[0.5, -0.2], [0.1, 0.3]], [0.0, 0.1], [1.0, -1.0], 0.2, 1.0, "tanh")
    term = chain_rule_text(g, g.edge("x0", "p0_0"))
    assert term.startswith("∂L/∂p0_0 · ∂p0_0/∂x0 = ")
    total = gradient_sum_text(g, "x0")
    parts = [format_number(e.grad).replace(MINUS, "-") for e in g.outgoing("x0")]
    assert total.startswith("∂L/∂x0 = ") and total.endswith(f"= {format_number(g.nodes['x0'].grad)}")
    assert [p.strip("()").replace(MINUS, "-") for p in total.split(" = ")[1].split(" + ")] == parts
    assert chain_rule_text(g, g.edge("yhat", "e")).startswith("∂L/∂ŷ = ∂L/∂e · ∂e/∂ŷ = ")


# ---- validation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "match"), [
    (([1.0, 2.0], [1.0], 0.0, 0.0), "same length"),
    (([], [], 0.0, 0.0), "non-empty"),
    (([[1.0]], [[1.0]], 0.0, 0.0), "1-D"),
    (([1.0, math.nan], [1.0, 2.0], 0.0, 0.0), "finite"),
    (([1.0], [math.inf], 0.0, 0.0), "finite"),
    (([1.0], [1.0], math.nan, 0.0), "finite"),
    (([1.0], [1.0], 0.0, -math.inf), "finite"),
    (([1.0], [1.0], [0.0, 1.0], 0.0), "single number"),
    ((["a"], [1.0], 0.0, 0.0), "numbers"),
])
def test_neuron_validation(args, match):
    for fn in (neuron_graph, neuron_gradients, neuron_loss):
        with pytest.raises(ValueError, match=match):
            fn(*args)


def test_unknown_activation_and_bad_steps():
    with pytest.raises(ValueError, match="unknown activation"):
        neuron_graph([1.0], [1.0], 0.0, 0.0, "swish")
    with pytest.raises(ValueError, match="unknown activation"):
        two_layer_graph([1.0], [[1.0]], [0.0], [1.0], 0.0, 0.0, "nope")
    for lr in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="lr"):
            gradient_step([1.0], [1.0], 0.0, 0.0, lr)
    for h in (0.0, -1e-6, math.nan):
        with pytest.raises(ValueError, match="h"):
            finite_difference_gradients(lambda a: a, {"a": 1.0}, h=h)


@pytest.mark.parametrize(("args", "match"), [
    (([1.0, 2.0], [[1.0, 2.0, 3.0]], [0.0], [1.0], 0.0, 0.0), "column per input"),
    (([1.0], [[1.0], [2.0]], [0.0], [1.0, 1.0], 0.0, 0.0), "one entry per row"),
    (([1.0], [[1.0], [2.0]], [0.0, 0.0], [1.0], 0.0, 0.0), "one entry per row"),
    (([1.0], [1.0], [0.0], [1.0], 0.0, 0.0), "2-D"),
    (([1.0], [[math.nan]], [0.0], [1.0], 0.0, 0.0), "finite"),
    (([1.0], [[1.0]], [0.0], [1.0], math.inf, 0.0), "finite"),
])
def test_two_layer_validation(args, match):
    for fn in (two_layer_graph, two_layer_gradients):
        with pytest.raises(ValueError, match=match):
            fn(*args)


def test_every_activation_builds_a_graph():
    for name in ACTIVATIONS:
        g = neuron_graph([0.3, -0.4], [1.2, 0.7], 0.05, 0.5, name)
        assert g.nodes["a"].op == name and g.nodes["a"].label == f"a = {name}(z)"
        assert isinstance(g.edges[0], Edge)


# ---- the lesson's texts, steps and question ---------------------------------------------------------------------

def test_forward_text_writes_each_operation_with_its_numbers():
    from core.backprop import forward_text

    g = neuron_graph([2.0, -1.0], [0.5, 0.3], 0.1, 1.0, "relu")
    assert forward_text(g, "p1") == "p1 = w1·x1 = 0.5 · 2 = 1"
    assert forward_text(g, "p2") == "p2 = w2·x2 = 0.3 · (−1) = −0.3"
    assert forward_text(g, "z") == "z = p1 + p2 + b = 1 + (−0.3) + 0.1 = 0.8"
    assert forward_text(g, "a") == "a = relu(z) = relu(0.8) = 0.8"
    assert forward_text(g, "e") == "e = a − y = 0.8 − 1 = −0.2"
    assert forward_text(g, "L") == "L = e² = (−0.2)² = 0.04"
    assert forward_text(g, "x1") == "x1 = 2"


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_stages_go_forward_through_every_operation_then_back_along_every_edge(activation):
    from core.backprop import stages

    g = neuron_graph([1.0, 2.0, -1.0], [0.2, -0.4, 0.9], 0.3, -0.5, activation)
    steps = stages(g)
    forward_part = [s for kind, s in steps if kind == "forward"]
    backward_part = [s for kind, s in steps if kind == "backward"]
    assert forward_part == [n for n in g.nodes if not g.nodes[n].is_leaf]
    assert sorted(map(id, backward_part)) == sorted(map(id, g.edges))  # each edge once
    for k, e in enumerate(backward_part):  # an edge is taken only once its target's gradient is complete
        taken = [id(b) for b in backward_part[:k]]
        assert all(id(out) in taken for out in g.outgoing(e.target))


@pytest.mark.parametrize("seed", range(1, 60))
def test_gradient_questions_are_active_and_match_torch(seed):
    from core.backprop import gradient_question

    q = gradient_question(seed)
    assert q.z >= 1 and q.answer != 0
    x = torch.tensor(q.x, dtype=torch.float64)
    w = torch.tensor(q.w, dtype=torch.float64, requires_grad=True)
    ((torch.relu((w * x).sum() + q.b) - q.y) ** 2).backward()
    assert q.answer == pytest.approx(w.grad[0].item(), abs=1e-12)
    assert q.answer == 2 * (q.z - q.y) * q.x[0]


def test_the_two_layer_example_is_deterministic_and_readable():
    from core.backprop import two_layer_example

    W1, b1, w2, b2 = two_layer_example(3)
    again = two_layer_example(3)
    assert all(np.array_equal(a, b) for a, b in zip((W1, b1, w2, b2), again, strict=True))
    assert W1.shape == (2, 2) and b1.shape == w2.shape == (2,) and isinstance(b2, float)
    assert (np.abs(W1) <= 1).all() and np.allclose(W1 * 10, np.round(W1 * 10))
