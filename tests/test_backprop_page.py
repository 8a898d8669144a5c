"""AppTest of the backpropagation lesson: stepping through the graph, the optimizer step and its checks, two layers,
the question, the snippet; both languages; bad links."""

import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from core.backprop import chain_rule_text, forward_text, gradient_question, neuron_graph, stages
from tests.conftest import assert_clean, lesson_runner, page_texts
from tests.helpers.code import shown_code
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import BACKPROP

lesson = lesson_runner(BACKPROP)


def test_stepping_shows_each_forward_value_then_each_chain_rule_product():
    at = lesson({"part": "graph", "act": "sigmoid", "x1": "1.5", "w2": "-0.7"})
    graph = neuron_graph([1.5, -1.0], [0.5, -0.7], 0.1, 1.0, "sigmoid")
    steps = stages(graph)
    assert translate("backprop.graph.start", "en") in page_texts(at)
    for k, (kind, item) in enumerate(steps, 1):
        at.button(key="backprop_next").click().run()
        expected = forward_text(graph, item) if kind == "forward" else chain_rule_text(graph, item)
        assert any(expected in m.value for m in at.markdown), (k, expected)
    assert at.slider(key="backprop_step").value == len(steps)
    at.button(key="backprop_next").click().run()  # past the end: stays at the end
    assert at.slider(key="backprop_step").value == len(steps)
    x = torch.tensor([1.5, -1.0], dtype=torch.float64)
    w = torch.tensor([0.5, -0.7], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    ((torch.sigmoid((w * x).sum() + b) - 1.0) ** 2).backward()
    done = at.success[0].value
    for value in (*w.grad.tolist(), b.grad.item()):
        assert f"{value:.4g}".replace("-", "−") in done
    at.button(key="backprop_back").click().run()
    assert at.slider(key="backprop_step").value == len(steps) - 1


def test_the_step_lowers_the_loss_and_applying_it_moves_the_weights():
    """The losses before and after one step of lr · gradient, and the weights the step moves the sliders to, as
    torch's autograd and ``torch.optim.SGD`` give them for the neuron on the sliders."""
    lr = 0.1
    at = lesson({"part": "step", "lr": str(lr), "act": "tanh"})
    v = {name: at.slider(key=f"backprop_{name}").value for name in ("x1", "x2", "w1", "w2", "b", "y")}
    x = torch.tensor([v["x1"], v["x2"]], dtype=torch.float64)
    w = torch.tensor([v["w1"], v["w2"]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(v["b"], dtype=torch.float64, requires_grad=True)

    def loss() -> torch.Tensor:
        return (torch.tanh((w * x).sum() + b) - v["y"]) ** 2

    optimizer = torch.optim.SGD([w, b], lr=lr)
    optimizer.zero_grad()
    before = loss()
    before.backward()
    optimizer.step()
    with torch.no_grad():
        after = loss()

    def number(text: str) -> float:
        return float(text.replace("−", "-"))

    assert number(at.metric[0].value) == pytest.approx(before.item(), rel=5e-4)  # written to 4 digits
    assert number(at.metric[1].value) == pytest.approx(after.item(), rel=5e-4)
    assert after < before
    new = [number(s) for s in at.table[0].value[translate("backprop.table.new", "en")]]
    np.testing.assert_allclose(new, [*w.tolist(), b.item()], rtol=5e-4)
    at.button(key="backprop_apply").click().run()
    assert_clean(at)
    moved = [at.slider(key=f"backprop_{name}").value for name in ("w1", "w2", "b")]
    np.testing.assert_allclose(moved, np.round([*w.tolist(), b.item()], 4), rtol=0, atol=1e-12)
    assert number(at.metric[0].value) == pytest.approx(after.item(), rel=1e-3)  # the new "before" is that "after"


def test_the_checks_agree_with_backprop_and_count_the_forward_passes():
    at = lesson({"part": "step"})
    at.button(key="backprop_check_torch").click().run()
    at.button(key="backprop_check_fd").click().run()
    texts = " ".join(m.value for m in at.markdown)
    assert "autograd:" in texts and "6 forward passes" in texts
    diffs = [float(d) for d in re.findall(r"largest difference(?: from backprop)?: ([0-9.e+-]+)", texts)]
    assert len(diffs) == 2 and diffs[0] == 0 and diffs[1] < 1e-6


def test_two_layers_agree_with_torch():
    at = lesson({"part": "two_layer", "act": "tanh", "seed": "7"})
    text = next(m.value for m in at.markdown if "PyTorch autograd" in m.value)
    assert float(text.rsplit(": ", 1)[1].rstrip(".")) < 1e-12


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_quiz(lang):
    at = lesson({"part": "quiz", "qseed": "5"}, lang)
    q = gradient_question(5)
    at.number_input(key="backprop_guess_5").set_value(q.answer + 2).run()
    assert at.error and f"{q.answer:g}" in at.error[0].value
    at.number_input(key="backprop_guess_5").set_value(q.answer).run()
    assert at.success


def test_the_snippet_prints_the_pages_gradients(tmp_path):
    at = lesson({"part": "graph", "w1": "-1.2", "act": "tanh"})
    code = next(c for c in shown_code(at) if "backward()" in c)
    (tmp_path / "backprop.py").write_text(code)
    out = subprocess.run([sys.executable, "backprop.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    graph = neuron_graph([2.0, -1.0], [-1.2, 0.3], 0.1, 1.0, "tanh")
    printed = [float(v) for v in re.search(r"dL/dw: \[(.*)\]", out.stdout).group(1).split(",")]
    np.testing.assert_allclose(printed, [graph.nodes["w1"].grad, graph.nodes["w2"].grad], rtol=1e-12)


@pytest.mark.parametrize("query", [{"x1": "nan"}, {"w1": "99"}, {"act": "evil"}, {"step": "-4"}, {"lr": "5"},
                                   {"seed": "x"}])
def test_bad_link_values_fall_back_without_a_traceback(query):
    assert_clean(lesson({"part": "graph", **query}))
    assert_clean(lesson({"part": "step", **query}))
