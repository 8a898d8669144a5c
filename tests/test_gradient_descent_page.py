"""AppTest of the gradient-descent lesson: every part, its numbers against torch.optim, bad input, the quiz."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from core.optim import step_question
from core.surfaces import SURFACES
from tests.conftest import ROOT, lesson_runner, page_texts
from ui.shell.i18n import translate
from ui.shell.registry import GRADIENT_DESCENT

lesson = lesson_runner(GRADIENT_DESCENT)


texts = page_texts


def torch_run(surface, start, lr, steps, momentum=0.0):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr, momentum=momentum)
    for _ in range(steps):
        optimizer.zero_grad()
        p.grad = torch.from_numpy(surface.grad(p.detach().numpy()))
        optimizer.step()
    return p.detach().numpy()


def test_one_d_end_points_are_torchs():
    at = lesson({"part": "one_d", "curve": "wavy", "x0": "-4", "lr": "0.05", "beta": "0.9", "steps": "80"})
    surface = SURFACES["wavy"]
    for method, momentum in (("sgd", 0.0), ("momentum", 0.9)):
        end = torch_run(surface, [-4.0], 0.05, 80, momentum)
        line = translate("gradient_descent.one.ends", "en", name=translate("common.optimizer." + method, "en"),
                         x=f"{end[0]:.4g}",
                         where="")
        assert line.split(":")[0] in texts(at)


def test_one_d_too_large_a_step_diverges_with_a_message():
    at = lesson({"part": "one_d", "curve": "double_well", "lr": "2.0", "steps": "100"})
    assert at.warning and "diverged" in at.warning[0].value
    assert "nan" not in texts(at).lower()


def test_two_d_table_and_snippet_match_torch():
    at = lesson({"part": "two_d", "plane": "bowl", "methods": "sgd,momentum", "lr_sgd": "0.1", "lr_momentum": "0.05",
                 "steps": "60", "sx": "1.5", "sy": "1"})
    table = at.table[0].value
    surface = SURFACES["bowl"]
    final = surface.f(torch_run(surface, [1.5, 1.0], 0.05, 60, 0.9))
    assert f"{final:.6g}" in list(table.iloc[:, 3])
    [code] = [c.value for c in at.code if "torch.optim.SGD" in c.value]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        torch_end, ours = line.split("torch ends at ")[1].split(", this app at ")
        np.testing.assert_allclose(np.fromstring(torch_end.strip("[]"), sep=" "),
                                   np.fromstring(ours.split(" (")[0].strip("[]"), sep=" "), rtol=1e-6, atol=1e-8)


def test_two_d_custom_formula_runs():
    at = lesson({"part": "two_d", "plane": "custom", "f": "x**2 + 2*y**2", "sx": "1", "sy": "1"})
    assert at.table


@pytest.mark.parametrize(("formula", "code"), [
    ("__import__('os')", "chars"), ("2x", "syntax"), ("foo(x)", "unknown_function"), ("log(x)", "not_finite"),
    ("", "empty"), ("z + 1", "unknown_name")])
def test_bad_formulas_are_explained(formula, code):
    at = lesson({"part": "two_d", "plane": "custom", "f": formula})
    assert at.error
    first_words = translate("gradient_descent.expr_error." + code, "en", token="",
                            position=0).split("“")[0].split("(")[0][:20]
    assert first_words in at.error[0].value


@pytest.mark.parametrize(("query", "name"), [({"lr": "-1"}, "lr"), ({"lr": "1e9"}, "lr"), ({"beta": "1.5"}, "beta"),
                                             ({"x0": "99"}, "x0")])
def test_impossible_parameters_fall_back_with_a_notice(query, name):
    at = lesson({"part": "one_d", **query})
    assert at.toast and name in at.toast[0].value


def test_phase_diagram_measures_the_predicted_rate():
    at = lesson({"part": "phase", "kappa": "50"})
    line = next(m.value for m in at.markdown if m.value.startswith("At the star"))
    theory, measured = (float(x.split("**")[0]) for x in line.split("**")[1:4:2])
    assert measured == pytest.approx(theory, rel=0.05)


def test_basins_show_shares():
    at = lesson({"part": "basins", "bsurf": "camel"})
    assert sum("of the starts reach a global minimum" in m.value for m in at.markdown) == 2


def test_quiz_step_is_torchs():
    seed = 9
    q = step_question(seed)
    p = torch.tensor([q.x], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=q.lr, momentum=q.beta)
    optimizer.state[p]["momentum_buffer"] = torch.tensor([q.v], dtype=torch.float64)
    p.grad = torch.tensor([q.g], dtype=torch.float64)
    optimizer.step()
    at = lesson({"part": "quiz", "qseed": str(seed)})
    at.number_input(key=f"gradient_descent_guess_{seed}").set_value(float(p.detach()[0])).run()
    assert at.success
    at.number_input(key=f"gradient_descent_guess_{seed}").set_value(float(p.detach()[0]) + 1).run()
    assert at.error
