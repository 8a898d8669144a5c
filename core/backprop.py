"""Backpropagation on a small scalar computation graph: one neuron (or a two-layer network) with a squared error.

A graph is a list of scalar nodes in topological order: leaves ("input" x, "param" w or b, "target" y) and
operations on earlier nodes ("mul", "add" (n-ary sum), "sub", "square", or an activation named after a
``core.activations.ACTIVATIONS`` key). ``forward`` computes every value in that order. ``backward`` sets
``∂L/∂L = 1`` at the output and walks the nodes in reverse order: each node ``v`` passes ``∂L/∂v · ∂v/∂u`` down
every edge ``u -> v`` (the chain rule), and each ``u`` adds up what arrives along its outgoing edges
(``∂L/∂u = Σ_v ∂L/∂v · ∂v/∂u``). An ``Edge`` keeps both factors: ``local = ∂target/∂source`` at the forward values
and ``grad = target.grad · local``.

For one neuron ``L = (act(w·x + b) − y)²`` (``neuron_graph``) the nodes are

    x1..xn, w1..wn, b, y                leaves
    p_i = w_i·x_i                       "mul"
    z = p1 + … + pn + b                 "add"
    a = act(z)                          the activation
    e = a − y                           "sub"
    L = e²                              "square", the output

The derivatives at the kinks are torch autograd's, as in ``ACTIVATIONS``: ``relu'(0) = 0``, so a neuron whose
``z`` is exactly 0 gets ``∂L/∂w = 0`` and ``∂L/∂b = 0`` with relu, as torch says, although central differences
there give half the right-hand slope.

Checking a gradient without backprop means nudging each parameter both ways: ``finite_difference_gradients``
costs 2 forward passes per scalar parameter, where backprop gets them all from one forward and one backward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from core.activations import ACTIVATIONS
from core.numbers import MINUS, format_number

LEAF_OPS = ("input", "param", "target")
ARITHMETIC_OPS = ("mul", "add", "sub", "square")


# ---- the graph ----------------------------------------------------------------------------------------------


@dataclass
class Node:
    """One scalar of the computation: ``value`` after ``forward``, ``grad = ∂L/∂(this node)`` after ``backward``.

    depth: the longest path from any leaf (leaves 0), the column to draw the node in. label: a short formula,
    "symbol = expression" for operations (``"a = relu(z)"``), the bare name for leaves.
    """

    name: str
    op: str
    inputs: tuple[str, ...]
    value: float
    grad: float = 0.0
    depth: int = 0
    label: str = ""

    @property
    def is_leaf(self) -> bool:
        return self.op in LEAF_OPS

    @property
    def symbol(self) -> str:
        """What the chain-rule texts call the node: the label's left side (``"ŷ"`` for ``"ŷ = Σ + b2"``)."""
        return self.label.split(" = ")[0] if self.label else self.name


@dataclass
class Edge:
    """``source -> target``: local = ∂target/∂source at the forward values; grad = target.grad · local, the part of
    ∂L/∂source that comes through this edge."""

    source: str
    target: str
    local: float
    grad: float


@dataclass
class Graph:
    """Nodes by name in topological order (each after its inputs), one edge per (node, input) in that order."""

    nodes: dict[str, Node]
    edges: list[Edge]
    output: str

    def incoming(self, name: str) -> list[Edge]:
        """The edges into ``name``, one per input, in the order of ``Node.inputs``."""
        return [e for e in self.edges if e.target == name]

    def outgoing(self, name: str) -> list[Edge]:
        """The edges out of ``name``: ∂L/∂name is the sum of their ``grad``."""
        return [e for e in self.edges if e.source == name]

    def edge(self, source: str, target: str) -> Edge:
        """The (first) edge ``source -> target``; KeyError if there is none."""
        for e in self.edges:
            if e.source == source and e.target == target:
                return e
        raise KeyError(f"no edge {source} -> {target}")


def _arity_ok(op: str, k: int) -> bool:
    if op in LEAF_OPS:
        return k == 0
    if op == "sub":
        return k == 2
    if op == "mul":
        return k >= 2
    if op == "add":
        return k >= 1
    return k == 1  # square and the activations


def build_graph(nodes: Iterable[Node], output: str) -> Graph:
    """A graph of ``nodes`` (each after its inputs) with ``depth`` set and one zero edge per (node, input).

    Raises ValueError for repeated names, an input not defined before its node, an unknown op, the wrong number
    of inputs for an op, or an ``output`` that is not a node. Values and grads are filled in by ``forward`` and
    ``backward``.
    """
    by_name: dict[str, Node] = {}
    edges: list[Edge] = []
    for node in nodes:
        if node.name in by_name:
            raise ValueError(f"node {node.name!r} is defined twice")
        if node.op not in LEAF_OPS and node.op not in ARITHMETIC_OPS and node.op not in ACTIVATIONS:
            raise ValueError(f"unknown op {node.op!r} for node {node.name!r}")
        if not _arity_ok(node.op, len(node.inputs)):
            raise ValueError(f"op {node.op!r} cannot take {len(node.inputs)} inputs (node {node.name!r})")
        missing = [u for u in node.inputs if u not in by_name]
        if missing:
            raise ValueError(f"node {node.name!r} uses {missing}, not defined before it")
        node.depth = 1 + max(by_name[u].depth for u in node.inputs) if node.inputs else 0
        by_name[node.name] = node
        edges.extend(Edge(u, node.name, 0.0, 0.0) for u in node.inputs)
    if output not in by_name:
        raise ValueError(f"output {output!r} is not a node")
    return Graph(by_name, edges, output)


def forward_order(graph: Graph) -> list[str]:
    """Node names in the order ``forward`` computes them: leaves and operations, each after its inputs."""
    return list(graph.nodes)


def backward_order(graph: Graph) -> list[str]:
    """Node names in the order ``backward`` finishes their gradients: the output first, each node before its
    inputs; only nodes the output depends on."""
    needed = {graph.output}
    order = []
    for name in reversed(graph.nodes):
        if name in needed:
            order.append(name)
            needed.update(graph.nodes[name].inputs)
    return order


def _value(op: str, args: list[float]) -> float:
    if op == "mul":
        return math.prod(args)
    if op == "add":
        return sum(args[1:], args[0])  # left to right: ((p1 + p2) + …) + b
    if op == "sub":
        return args[0] - args[1]
    if op == "square":
        return args[0] * args[0]  # * rather than **: overflows to inf instead of raising
    return float(ACTIVATIONS[op].fn(args[0]))


def _local(op: str, args: list[float], position: int) -> float:
    """∂(op(args))/∂args[position]."""
    if op == "mul":
        return math.prod(a for i, a in enumerate(args) if i != position)
    if op == "add":
        return 1.0
    if op == "sub":
        return 1.0 if position == 0 else -1.0
    if op == "square":
        return 2.0 * args[0]
    return float(ACTIVATIONS[op].grad(args[0]))


def forward(graph: Graph) -> Graph:
    """Every operation's value from its inputs' values, in topological order, and each edge's ``local``
    derivative at those values. Leaves keep their values. Returns the graph (changed in place)."""
    for node in graph.nodes.values():
        if not node.is_leaf:
            node.value = _value(node.op, [graph.nodes[u].value for u in node.inputs])
    position: dict[str, int] = {}
    for edge in graph.edges:  # a node's incoming edges are listed in the order of its inputs
        i = position.get(edge.target, 0)
        position[edge.target] = i + 1
        target = graph.nodes[edge.target]
        edge.local = _local(target.op, [graph.nodes[u].value for u in target.inputs], i)
    return graph


def backward(graph: Graph) -> Graph:
    """∂L/∂L = 1 at the output, then in reverse topological order ``edge.grad = target.grad · edge.local`` for each
    edge into a node, and ``source.grad = Σ edge.grad`` over the source's outgoing edges (the chain rule).

    Needs ``forward`` first (the locals). Nodes the output does not depend on keep grad 0. Returns the graph.
    """
    for node in graph.nodes.values():
        node.grad = 0.0
    for edge in graph.edges:
        edge.grad = 0.0
    graph.nodes[graph.output].grad = 1.0
    incoming: dict[str, list[Edge]] = {}
    for edge in graph.edges:
        incoming.setdefault(edge.target, []).append(edge)
    for name in backward_order(graph):
        node = graph.nodes[name]
        for edge in incoming.get(name, []):
            edge.grad = node.grad * edge.local
            graph.nodes[edge.source].grad += edge.grad
    return graph


# ---- validation ---------------------------------------------------------------------------------------------


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _array(name: str, v, ndim: int) -> np.ndarray:
    try:
        a = np.array(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold numbers, got {v!r}") from None
    if a.ndim != ndim or a.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D array of numbers, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must hold finite numbers, got {v!r}")
    return a


def _scalar(name: str, v) -> float:
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {v!r}") from None
    if a.ndim != 0:
        raise ValueError(f"{name} must be a single number, got shape {a.shape}")
    if not math.isfinite(float(a)):
        raise ValueError(f"{name} must be a finite number, got {v!r}")
    return float(a)


def _neuron_inputs(x, w, b, y, activation) -> tuple[np.ndarray, np.ndarray, float, float, str]:
    x, w = _array("x", x, 1), _array("w", w, 1)
    if x.shape != w.shape:
        raise ValueError(f"x and w must have the same length, got {x.size} and {w.size}")
    return x, w, _scalar("b", b), _scalar("y", y), _check_activation(activation)


def _two_layer_inputs(x, W1, b1, w2, b2, y, activation):
    x, W1, b1, w2 = _array("x", x, 1), _array("W1", W1, 2), _array("b1", b1, 1), _array("w2", w2, 1)
    m, n = W1.shape
    if n != x.size:
        raise ValueError(f"W1 must have one column per input: shape (m, {x.size}), got {W1.shape}")
    if b1.size != m or w2.size != m:
        raise ValueError(f"b1 and w2 must have one entry per row of W1 ({m}), got {b1.size} and {w2.size}")
    return x, W1, b1, w2, _scalar("b2", b2), _scalar("y", y), _check_activation(activation)


class _Nodes(list):
    """A graph's nodes in the order they are written."""

    def add(self, name: str, op: str, inputs=(), label: str = "", value: float = 0.0) -> None:
        self.append(Node(name, op, tuple(inputs), float(value), label=label or name))

    def squared_error_graph(self, prediction: str, symbol: str) -> Graph:
        """Close with ``e = prediction − y`` and ``L = e²``; return the graph after its forward and backward pass."""
        self.add("e", "sub", (prediction, "y"), f"e = {symbol} {MINUS} y")
        self.add("L", "square", ("e",), "L = e²")
        return backward(forward(build_graph(self, "L")))


# ---- one neuron ---------------------------------------------------------------------------------------------


def neuron_graph(x, w, b, y, activation: str = "relu") -> Graph:
    """The graph of ``L = (act(w·x + b) − y)²`` after ``forward`` and ``backward``.

    Nodes, in this order: x1..xn ("input"), w1..wn, b ("param"), y ("target"), p1..pn (p_i = w_i·x_i), z (the sum
    of the p_i and b), a = act(z) (op = the activation's name), e = a − y, L = e² (the output). Indices start at 1.
    """
    x, w, b, y, activation = _neuron_inputs(x, w, b, y, activation)
    n = x.size
    nodes = _Nodes()
    add = nodes.add

    for i in range(n):
        add(f"x{i + 1}", "input", value=x[i])
    for i in range(n):
        add(f"w{i + 1}", "param", value=w[i])
    add("b", "param", value=b)
    add("y", "target", value=y)
    for i in range(1, n + 1):
        add(f"p{i}", "mul", (f"w{i}", f"x{i}"), f"p{i} = w{i}·x{i}")
    add("z", "add", [f"p{i}" for i in range(1, n + 1)] + ["b"], "z = Σ + b")
    add("a", activation, ("z",), f"a = {activation}(z)")
    return nodes.squared_error_graph("a", "a")


def neuron_loss(x, w, b, y, activation: str = "relu") -> float:
    """``L = (act(w·x + b) − y)²``, the forward pass alone (summed in the graph's order: p1 + … + pn + b)."""
    x, w, b, y, activation = _neuron_inputs(x, w, b, y, activation)
    z = _value("add", [*(float(wi) * float(xi) for wi, xi in zip(w, x, strict=True)), b])
    e = float(ACTIVATIONS[activation].fn(z)) - y
    return e * e


def neuron_gradients(x, w, b, y, activation: str = "relu") -> dict:
    """``{"loss": L, "w": ∂L/∂w (shape of w), "b": ∂L/∂b}`` by backprop through ``neuron_graph``."""
    g = neuron_graph(x, w, b, y, activation)
    n = sum(1 for node in g.nodes.values() if node.op == "mul")
    return {"loss": g.nodes["L"].value, "w": np.array([g.nodes[f"w{i}"].grad for i in range(1, n + 1)]),
            "b": g.nodes["b"].grad}


def gradient_step(x, w, b, y, lr: float, activation: str = "relu") -> dict:
    """One step of gradient descent on the neuron, ``θ ← θ − lr·∂L/∂θ`` for θ = w, b.

    Returns ``{"w", "b"}`` (the new parameters), ``"grad_w", "grad_b"`` (the gradients used), ``"loss_before"`` and
    ``"loss_after"`` (L at the old and new parameters). lr must be a finite number >= 0.
    """
    lr = _scalar("lr", lr)
    if lr < 0:
        raise ValueError(f"lr must be >= 0, got {lr}")
    grads = neuron_gradients(x, w, b, y, activation)
    w_new = _array("w", w, 1) - lr * grads["w"]
    b_new = _scalar("b", b) - lr * grads["b"]
    return {"w": w_new, "b": b_new, "grad_w": grads["w"], "grad_b": grads["b"], "loss_before": grads["loss"],
            "loss_after": neuron_loss(x, w_new, b_new, y, activation)}


# ---- two layers ---------------------------------------------------------------------------------------------


def two_layer_graph(x, W1, b1, w2, b2, y, activation: str = "relu") -> Graph:
    """The graph of ``L = (w2·h + b2 − y)²`` with ``h_k = act(W1[k]·x + b1[k])``, after ``forward`` and ``backward``.

    Indices start at 0. Nodes, in this order: x0..x{n-1}; W1_k_i (= W1[k, i]), b1_k, w2_k, b2 ("param"); y;
    p{k}_{i} = W1_k_i·x_i; z{k} = Σ_i p{k}_{i} + b1_k; h{k} = act(z{k}); r{k} = w2_k·h{k}; yhat = Σ_k r{k} + b2
    (label "ŷ = Σ + b2"); e = yhat − y; L = e² (the output).
    """
    x, W1, b1, w2, b2, y, activation = _two_layer_inputs(x, W1, b1, w2, b2, y, activation)
    m, n = W1.shape
    nodes = _Nodes()
    add = nodes.add

    for i in range(n):
        add(f"x{i}", "input", value=x[i])
    for k in range(m):
        for i in range(n):
            add(f"W1_{k}_{i}", "param", value=W1[k, i])
        add(f"b1_{k}", "param", value=b1[k])
    for k in range(m):
        add(f"w2_{k}", "param", value=w2[k])
    add("b2", "param", value=b2)
    add("y", "target", value=y)
    for k in range(m):
        for i in range(n):
            add(f"p{k}_{i}", "mul", (f"W1_{k}_{i}", f"x{i}"), f"p{k}_{i} = W1_{k}_{i}·x{i}")
        add(f"z{k}", "add", [f"p{k}_{i}" for i in range(n)] + [f"b1_{k}"], f"z{k} = Σ + b1_{k}")
        add(f"h{k}", activation, (f"z{k}",), f"h{k} = {activation}(z{k})")
    for k in range(m):
        add(f"r{k}", "mul", (f"w2_{k}", f"h{k}"), f"r{k} = w2_{k}·h{k}")
    add("yhat", "add", [f"r{k}" for k in range(m)] + ["b2"], "ŷ = Σ + b2")
    return nodes.squared_error_graph("yhat", "ŷ")


def two_layer_gradients(x, W1, b1, w2, b2, y, activation: str = "relu") -> dict:
    """``{"loss", "W1" (m, n), "b1" (m,), "w2" (m,), "b2"}``: L and its gradients by backprop through
    ``two_layer_graph``."""
    g = two_layer_graph(x, W1, b1, w2, b2, y, activation)
    m, n = np.shape(W1)
    grad = {name: node.grad for name, node in g.nodes.items()}
    return {"loss": g.nodes["L"].value,
            "W1": np.array([[grad[f"W1_{k}_{i}"] for i in range(n)] for k in range(m)]),
            "b1": np.array([grad[f"b1_{k}"] for k in range(m)]),
            "w2": np.array([grad[f"w2_{k}"] for k in range(m)]),
            "b2": grad["b2"]}


# ---- checking without backprop ------------------------------------------------------------------------------


def finite_difference_gradients(loss_fn: Callable[..., float], params: dict, h: float = 1e-6
                                ) -> tuple[dict, int]:
    """Central differences ``∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h``, one scalar parameter at a time.

    ``loss_fn(**params)`` is the forward pass (e.g. ``lambda w, b: neuron_loss(x, w, b, y)``); each value of
    ``params`` is a number or an array. Returns the gradients (a float for a number, an array of the same shape
    for an array) and the number of forward passes made: 2 per scalar parameter. The error is about
    ``h²·|L'''|/6 + ε·|L|/h`` (ε = 2.2e-16): near 1e-10·|L| for h = 1e-6. Across a kink (relu at z = 0 within h)
    the estimate averages the two slopes.
    """
    h = _scalar("h", h)
    if h <= 0:
        raise ValueError(f"h must be > 0, got {h}")
    values = {k: _array(k, v, np.ndim(v)) if np.ndim(v) else _scalar(k, v) for k, v in params.items()}
    calls = 0

    def loss(current: dict) -> float:
        nonlocal calls
        calls += 1
        return float(loss_fn(**{k: v if isinstance(v, float) else v.copy() for k, v in current.items()}))

    grads: dict = {}
    for key, value in values.items():
        if isinstance(value, float):
            plus = loss({**values, key: value + h})
            minus = loss({**values, key: value - h})
            grads[key] = (plus - minus) / (2 * h)
            continue
        g = np.empty_like(value)
        for index in np.ndindex(value.shape):
            moved = value.copy()
            moved[index] = value[index] + h
            plus = loss({**values, key: moved})
            moved[index] = value[index] - h
            minus = loss({**values, key: moved})
            g[index] = (plus - minus) / (2 * h)
        grads[key] = g
    return grads, calls


# ---- the same in torch, for the live check ------------------------------------------------------------------


def torch_neuron_gradients(x, w, b, y, activation: str = "relu") -> dict:
    """``neuron_gradients`` by torch.autograd (float64, ``torch.nn.functional`` activations): the reference the
    lesson shows next to the graph's numbers."""
    import torch

    from core.torch_reference import torch_activation_functions

    x, w, b, y, activation = _neuron_inputs(x, w, b, y, activation)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    with torch.enable_grad():
        loss = (torch_activation_functions()[activation](torch.dot(wt, torch.from_numpy(x)) + bt) - y) ** 2
        gw, gb = torch.autograd.grad(loss, [wt, bt])
    return {"loss": loss.item(), "w": gw.numpy(), "b": gb.item()}


def torch_two_layer_gradients(x, W1, b1, w2, b2, y, activation: str = "relu") -> dict:
    """``two_layer_gradients`` by torch.autograd (float64, ``torch.nn.functional`` activations)."""
    import torch

    from core.torch_reference import torch_activation_functions

    x, W1, b1, w2, b2, y, activation = _two_layer_inputs(x, W1, b1, w2, b2, y, activation)
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (W1, b1, w2, b2)]
    W1t, b1t, w2t, b2t = params
    with torch.enable_grad():
        h = torch_activation_functions()[activation](W1t @ torch.from_numpy(x) + b1t)
        loss = (torch.dot(w2t, h) + b2t - y) ** 2
        grads = torch.autograd.grad(loss, params)
    return {"loss": loss.item(), "W1": grads[0].numpy(), "b1": grads[1].numpy(), "w2": grads[2].numpy(),
            "b2": grads[3].item()}


# ---- the chain rule as text ---------------------------------------------------------------------------------


def _factor(v: float) -> str:
    text = format_number(v)
    return f"({text})" if text.startswith(MINUS) else text


def _d(num: str, den: str) -> str:
    return f"∂{num}/∂{den}"


def chain_rule_text(graph: Graph, edge: Edge) -> str:
    """The gradient ``edge`` carries to its source as a chain-rule product, formula only (no words):

    ``"∂L/∂w1 = ∂L/∂p1 · ∂p1/∂w1 = 0.84 · 1.5 = 1.26"``. Negative factors are bracketed. Into the output itself the
    product has one factor: ``"∂L/∂e = 2.4"``. Where the source has several outgoing edges (x_i in the two-layer
    graph) this is only one term of its gradient, so the text leaves out the left side:
    ``"∂L/∂p0_0 · ∂p0_0/∂x0 = 0.84 · 1.5 = 1.26"``; ``gradient_sum_text`` adds the terms up.
    """
    source, target = graph.nodes[edge.source], graph.nodes[edge.target]
    out = graph.nodes[graph.output].symbol
    s, t = source.symbol, target.symbol
    if edge.target == graph.output:
        return f"{_d(out, s)} = {format_number(edge.grad)}"
    product = f"{_d(out, t)} · {_d(t, s)} = {_factor(target.grad)} · {_factor(edge.local)} = {format_number(edge.grad)}"
    return product if len(graph.outgoing(edge.source)) > 1 else f"{_d(out, s)} = {product}"


def gradient_sum_text(graph: Graph, name: str) -> str:
    """∂L/∂name as the sum of what its outgoing edges carry: ``"∂L/∂x0 = 0.12 + (−0.3) = −0.18"``; with one
    outgoing edge the ``chain_rule_text`` of that edge; ``"∂L/∂L = 1"`` at the output."""
    node = graph.nodes[name]
    out = graph.nodes[graph.output].symbol
    if name == graph.output:
        return f"{_d(out, out)} = 1"
    edges = graph.outgoing(name)
    if len(edges) == 1:
        return chain_rule_text(graph, edges[0])
    if not edges:
        return f"{_d(out, node.symbol)} = 0"
    terms = " + ".join(_factor(e.grad) for e in edges)
    return f"{_d(out, node.symbol)} = {terms} = {format_number(node.grad)}"


def forward_text(graph: Graph, name: str) -> str:
    """How ``name``'s value is computed, with its inputs' numbers: ``"p1 = w1·x1 = 0.5 · 2 = 1"``,
    ``"z = p1 + p2 + b = 1 + (−0.5) + 0.1 = 0.6"``, ``"a = relu(z) = relu(0.6) = 0.6"``, ``"L = e² = (−0.3)² = 0.09"``.
    A leaf is its own value: ``"x1 = 2"``."""
    node = graph.nodes[name]
    value = format_number(node.value)
    if node.is_leaf:
        return f"{node.symbol} = {value}"
    symbols = [graph.nodes[i].symbol for i in node.inputs]
    numbers = [_factor(graph.nodes[i].value) for i in node.inputs]
    if node.op == "mul":
        formula, filled = "·".join(symbols), " · ".join(numbers)
    elif node.op == "add":
        formula, filled = " + ".join(symbols), " + ".join(numbers)
    elif node.op == "sub":
        formula, filled = f" {MINUS} ".join(symbols), f" {MINUS} ".join(numbers)
    elif node.op == "square":
        formula, filled = f"{symbols[0]}²", f"({format_number(graph.nodes[node.inputs[0]].value)})²"
    else:  # an activation
        formula, filled = f"{node.op}({symbols[0]})", f"{node.op}({format_number(graph.nodes[node.inputs[0]].value)})"
    return f"{node.symbol} = {formula} = {filled} = {value}"


def stages(graph: Graph) -> list[tuple[str, str | Edge]]:
    """The lesson's steps: ``("forward", node name)`` for each operation in topological order, then
    ``("backward", edge)`` for each edge that reaches the output, the edges into a node once its own gradient is
    complete (nodes in ``backward_order``), each node's edges in input order."""
    out: list[tuple[str, str | Edge]] = [("forward", n) for n in forward_order(graph) if not graph.nodes[n].is_leaf]
    for name in backward_order(graph):
        out += [("backward", e) for e in graph.incoming(name)]
    return out


@dataclass(frozen=True)
class GradientQuestion:
    """``L = (relu(w1·x1 + w2·x2 + b) − y)²`` with small whole numbers (z > 0, so relu passes): what is ∂L/∂w1?"""

    x: tuple[int, int]
    w: tuple[int, int]
    b: int
    y: int

    @property
    def z(self) -> int:
        return self.w[0] * self.x[0] + self.w[1] * self.x[1] + self.b

    @property
    def answer(self) -> float:
        return float(neuron_gradients(self.x, self.w, self.b, self.y, "relu")["w"][0])


def gradient_question(seed: int) -> GradientQuestion:
    """A question whose neuron is active (z ≥ 1) and whose answer, 2·(z − y)·x1, is not 0."""
    rng = np.random.default_rng([seed, 11])
    while True:
        x = tuple(int(v) for v in rng.integers(-3, 4, size=2))
        w = tuple(int(v) for v in rng.integers(-2, 3, size=2))
        q = GradientQuestion(x, w, int(rng.integers(-2, 3)), int(rng.integers(-3, 4)))
        if q.z >= 1 and q.z != q.y and q.x[0] != 0:
            return q


def two_layer_example(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Readable weights for the two-layer network (two hidden units), in steps of 0.1 within [-1, 1]."""
    rng = np.random.default_rng([seed, 5])
    W1 = rng.integers(-10, 11, size=(2, 2)) / 10
    return W1, rng.integers(-10, 11, size=2) / 10, rng.integers(-10, 11, size=2) / 10, float(rng.integers(-5, 6)) / 10
