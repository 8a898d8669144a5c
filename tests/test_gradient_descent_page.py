"""AppTest of the gradient-descent lesson: every part, its numbers against torch.optim, bad input, the quiz."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.optim import step_question
from core.surfaces import SURFACES
from tests.conftest import ROOT, assert_clean, lesson_runner, page_texts, plotly_array
from tests.helpers.code import shown_code
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
    [code] = [c for c in shown_code(at) if "torch.optim.SGD" in c]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        torch_end, ours = line.split("torch ends at ")[1].split(", this app at ")
        np.testing.assert_allclose(np.fromstring(torch_end.strip("[]"), sep=" "),
                                   np.fromstring(ours.split(" (")[0].strip("[]"), sep=" "), rtol=1e-6, atol=1e-8)


def test_two_d_custom_formula_is_descended_as_torch_does():
    """A typed formula: each optimizer's final loss in the table is torch.optim's on the same function (written here
    with torch), from the same start, with the step sizes the page shows."""
    at = lesson({"part": "two_d", "plane": "custom", "f": "x**2 + 2*y**2 - x*y", "sx": "1.5", "sy": "-1",
                 "steps": "20"})
    table = at.table[0].value
    assert list(table.iloc[:, 0]) == [translate("common.optimizer." + m, "en") for m in ("sgd", "momentum", "adam")]
    rates = {m: at.select_slider(key=f"gradient_descent_lr_{m}").value for m in ("sgd", "momentum", "adam")}
    beta = at.slider(key="gradient_descent_beta").value
    optimizers = {"sgd": lambda p: torch.optim.SGD([p], lr=rates["sgd"]),
                  "momentum": lambda p: torch.optim.SGD([p], lr=rates["momentum"], momentum=beta),
                  "adam": lambda p: torch.optim.Adam([p], lr=rates["adam"])}
    for row, (method, make) in enumerate(optimizers.items()):
        p = torch.tensor([1.5, -1.0], dtype=torch.float64, requires_grad=True)
        optimizer = make(p)
        for _ in range(20):
            optimizer.zero_grad()
            (p[0] ** 2 + 2 * p[1] ** 2 - p[0] * p[1]).backward()
            optimizer.step()
        x, y = p.detach().tolist()
        assert float(table.iloc[row, 3]) == pytest.approx(x**2 + 2 * y**2 - x * y, rel=1e-5), method
        assert table.iloc[row, 4] == translate("gradient_descent.table.no", "en")  # none diverged


@pytest.mark.parametrize(("formula", "code"), [
    ("__import__('os')", "chars"), ("2x", "syntax"), ("foo(x)", "unknown_function"), ("log(x)", "not_finite"),
    ("", "empty"), ("z + 1", "unknown_name")])
def test_bad_formulas_are_explained(formula, code):
    at = lesson({"part": "two_d", "plane": "custom", "f": formula})
    assert at.error
    first_words = translate("gradient_descent.expr_error." + code, "en", token="",
                            position=0).split("“")[0].split("(")[0][:20]
    assert first_words in at.error[0].value


@pytest.mark.parametrize(("name", "raw", "key", "default"), [
    ("lr", "-1", "gradient_descent_lr1", 0.05), ("lr", "1e9", "gradient_descent_lr1", 0.05),
    ("beta", "1.5", "gradient_descent_beta", 0.9), ("x0", "99", "gradient_descent_x0", 3.0)])
def test_impossible_parameters_fall_back_with_a_notice(name, raw, key, default):
    """The control shows its default, and the one notice names the parameter, quotes the link's value and gives
    the default shown instead."""
    from ui.shell.url_state import shown

    at = lesson({"part": "one_d", name: raw})
    [control] = [w for w in [*at.slider, *at.select_slider] if w.key == key]
    assert control.value == default
    assert [toast.value for toast in at.toast] == [translate("url.bad_value", "en", name=name, value=shown(raw),
                                                             default=str(default))]
    assert name not in at.query_params  # the bad value leaves the link


def test_phase_diagram_measures_the_predicted_rate():
    at = lesson({"part": "phase", "kappa": "50"})
    line = next(m.value for m in at.markdown if m.value.startswith("At the star"))
    theory, measured = (float(x.split("**")[0]) for x in line.split("**")[1:4:2])
    assert measured == pytest.approx(theory, rel=0.05)


def camel(p: torch.Tensor) -> torch.Tensor:
    """The six-hump camel at each row of ``p`` (n, 2), written out here (not core.surfaces' code)."""
    x, y = p[:, 0], p[:, 1]
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def torch_basins(starts: np.ndarray, lr: float, momentum: float, steps: int, minima: np.ndarray) -> np.ndarray:
    """``torch.optim.SGD`` from every start at once (each row its own run: the loss is a sum of independent terms):
    the index of the minimum each run ends within 0.05 of, -1 for none, -2 for a run that left the picture."""
    from core.optim import LIMIT

    p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr, momentum=momentum)
    left = torch.zeros(len(starts), dtype=torch.bool)
    for _ in range(steps):
        optimizer.zero_grad()
        camel(p).sum().backward()
        optimizer.step()
        with torch.no_grad():
            left |= ~(torch.isfinite(p).all(1) & (p.abs() <= LIMIT).all(1))
    distance = np.linalg.norm(p.detach().numpy()[:, None, :] - minima[None], axis=-1)
    with np.errstate(invalid="ignore"):
        labels = np.where(distance.min(1) <= 0.05, distance.argmin(1), -1)
    return np.where(left.numpy(), -2, labels)


def test_basins_colour_each_start_by_the_minimum_torch_reaches_and_count_the_shares():
    """Each pixel of both maps (plain and momentum) against torch from the pixel's own start; the sentence under each
    map gives the share of starts that reach a global minimum and the share that diverge, as torch counts them."""
    from tests.helpers.figures import chart
    from tests.helpers.texts import read_fields

    lr, beta, steps = 0.1, 0.8, 100  # with momentum, about one start in ten diverges
    at = lesson({"part": "basins", "bsurf": "camel", "blr": str(lr), "bbeta": str(beta), "bsteps": str(steps)})
    assert (at.select_slider(key="gradient_descent_blr").value, at.slider(key="gradient_descent_bbeta").value,
            at.slider(key="gradient_descent_bsteps").value) == (lr, beta, steps)
    surface = SURFACES["camel"]
    minima = np.array([m.point for m in surface.minima])
    best = [k for k, m in enumerate(surface.minima) if m.kind == "global"]
    ending = translate("gradient_descent.basins.share", "en").rsplit("}", 1)[1]  # "% diverge."
    shares = [m.value for m in at.markdown if m.value.endswith(ending)]  # under the plain map, then momentum's
    assert len(shares) == 2
    endings = {}
    for method, momentum, sentence in (("sgd", 0.0, shares[0]), ("momentum", beta, shares[1])):
        basins = chart(at, key=f"gradient_descent_basin_{method}")
        xs, ys = basins.data("x"), basins.data("y")
        starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)  # row = y, column = x, as drawn
        expected = torch_basins(starts, lr, momentum, steps, minima).reshape(len(ys), len(xs))
        shown = basins.data("z") - 1  # z = label + 1; the map greys out both "no minimum" and "diverged"
        np.testing.assert_array_equal(shown, np.maximum(expected, -1))
        numbers = read_fields("gradient_descent.basins.share", "en", sentence)
        assert numbers == {"share": f"{100 * np.isin(expected, best).mean():.0f}",
                           "diverged": f"{100 * (expected == -2).mean():.0f}"}
        assert (expected == -2).any() == (method == "momentum")
        endings[method] = expected
    # the primer's claim on momentum, checked start by start on torch's runs: a lower minimum, the same, a higher one
    heights = np.array([m.value for m in surface.minima])
    plain, heavy = (np.where(endings[k] >= 0, heights[np.maximum(endings[k], 0)], np.inf) for k in ("sgd", "momentum"))
    fields = read_fields("gradient_descent.primer.in_fact", "en", [m.value for m in at.markdown])
    assert fields == {"starts": f"{plain.size:,}", "better": f"{100 * np.mean(heavy < plain):.0f}",
                      "same": f"{100 * np.mean(heavy == plain):.0f}", "worse": f"{100 * np.mean(heavy > plain):.0f}"}


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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_minibatch_part_draws_both_paths_and_corrects_the_primer_with_their_numbers(lang):
    from core.minibatch import diabetes_bmi, least_squares, minibatch_descent, mse
    from tests.helpers.figures import chart
    from tests.helpers.texts import read_fields

    at = lesson({"part": "minibatch", "mb": "4", "mlr": "0.3", "mepochs": "2"}, lang)
    assert_clean(at)
    x, y = diabetes_bmi()
    chosen, full = minibatch_descent(x, y, 4, 0.3, 2), minibatch_descent(x, y, 442, 0.3, 2)
    figure = chart(at, key="gradient_descent_minibatch")  # the paths (left) and the losses (right), one figure
    lines = [trace for trace in figure.traces if trace.get("mode") == "lines" and trace.get("name") != "levels"
             and trace.get("xaxis", "x") == "x"]
    for trace, run in zip(lines, (chosen, full), strict=True):
        np.testing.assert_allclose(np.c_[plotly_array(trace["x"]), plotly_array(trace["y"])], run.points)
    loss = next(trace for trace in figure.traces if trace.get("xaxis") == "x2")
    assert figure.layout["yaxis2"]["type"] == "log"
    assert figure.annotations == [translate("gradient_descent.minibatch.path", lang),
                                  translate("gradient_descent.minibatch.loss", lang)]
    np.testing.assert_allclose(plotly_array(loss["y"]), chosen.losses)
    assert plotly_array(loss["x"])[-1] == pytest.approx(2.0)  # 2 epochs of 111 steps each, on an axis of epochs
    fields = read_fields("gradient_descent.minibatch.in_fact", lang, [m.value for m in at.markdown])
    optimum = least_squares(x, y)
    assert fields["best"] == f"{float(mse(*optimum, x, y)):.4f}"
    assert fields["final"] == f"{chosen.losses[-1]:.4f}"
    assert fields["distance"] == f"{float(np.hypot(*(chosen.points[-1] - np.array(optimum)))):.3g}"


def test_the_2d_map_is_a_heatmap_under_server_level_lines_that_takes_the_clicks_with_few_frames():
    """What a fresh plot of the 2-D figure costs the browser most is kept small: no plotly contour trace (its
    lines are traced in the browser at every redraw), no grid of invisible points to click (the map itself is
    hovered and clicked), at most 51 frames (each a slider step plotly lays out)."""
    from core.contours import even_levels, level_lines
    from core.surfaces import SURFACES
    from tests.helpers.figures import chart

    at = lesson({"part": "two_d", "plane": "bowl", "steps": "400"})
    figure = chart(at, key="gradient_descent_contour_fig")
    kinds = [trace.get("type") for trace in figure.traces]
    assert "contour" not in kinds and kinds.count("heatmap") == 1
    assert not [trace for trace in figure.traces if trace.get("mode") == "text"]
    heatmap = next(trace for trace in figure.traces if trace.get("type") == "heatmap")
    assert "hoverinfo" not in heatmap and translate("gradient_descent.two.click", "en") in heatmap["hovertemplate"]
    assert len(figure.spec["frames"]) <= 51 and len(figure.layout["sliders"][0]["steps"]) <= 51
    # the level lines are core.contours' of the map shown (log(1 + f − min f) on the page's 120 × 120 grid)
    (x_lo, x_hi), (y_lo, y_hi) = SURFACES["bowl"].box
    xs, ys = np.linspace(x_lo, x_hi, 120), np.linspace(y_lo, y_hi, 120)
    z = SURFACES["bowl"].f(np.stack(np.meshgrid(xs, ys), axis=-1))
    shown = np.log1p(z - z.min())
    want = level_lines(xs, ys, shown, even_levels(shown, 12), tolerance=0.1)
    levels = next(trace for trace in figure.traces if trace.get("name") == "levels")
    np.testing.assert_allclose(plotly_array(levels["x"]), want[:, 0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(plotly_array(levels["y"]), want[:, 1], rtol=1e-6, atol=1e-6)


def test_moving_the_start_does_not_trace_the_level_lines_again(monkeypatch):
    """The surface's level lines are traced once per surface (``level_points``, cached), not at every move of the
    start: two moves trace nothing, another surface traces its own once; the lines drawn stay the same."""
    import ui.lessons.gradient_descent_figures as figures
    from tests.helpers.figures import chart

    traced = []
    real = figures.level_lines
    monkeypatch.setattr(figures, "level_lines", lambda *a, **k: traced.append(1) or real(*a, **k))
    figures.level_points.clear()
    at = lesson({"part": "two_d", "plane": "rosenbrock"})
    levels = next(t for t in chart(at, key="gradient_descent_contour_fig").traces if t.get("name") == "levels")
    assert len(traced) == 1
    for value in (0.5, -0.5):
        at.slider(key="gradient_descent_sx").set_value(value).run()
        assert_clean(at)
    assert len(traced) == 1
    again = next(t for t in chart(at, key="gradient_descent_contour_fig").traces if t.get("name") == "levels")
    assert np.array_equal(plotly_array(again["x"]), plotly_array(levels["x"]), equal_nan=True)  # NaN: breaks
    at = lesson({"part": "two_d", "plane": "bowl"})
    assert len(traced) == 2


def test_moving_the_momentum_computes_the_momentum_basins_alone(monkeypatch):
    """Each optimizer's basins are cached on their own (``cached_basin``): β changes the momentum map only, so it is
    the only one computed again."""
    import ui.lessons.gradient_descent as page

    computed = []
    real = page.basin_map
    monkeypatch.setattr(page, "basin_map", lambda surface, method, *a, **k: computed.append(method) or
                        real(surface, method, *a, **k))
    at = lesson({"part": "basins", "bsurf": "camel", "bsteps": "60", "bbeta": "0.5"})
    computed.clear()
    at.slider(key="gradient_descent_bbeta").set_value(0.55).run()
    assert_clean(at)
    assert computed == ["momentum"]


@settings(max_examples=200, deadline=None)
@given(st.floats(-10, 10), st.floats(-10, 10), st.floats(-5, 0), st.floats(0.5, 8), st.floats(-5, 0),
       st.floats(0.5, 8))
def test_a_click_starts_at_the_nearest_point_of_the_grid_of_starts(x, y, x_lo, x_width, y_lo, y_width):
    """``start_at``: a point of the 21 × 21 grid over the box (rounded to 2 decimals), and none nearer to the click."""
    from ui.lessons.gradient_descent import START_GRID, start_at

    box = ((x_lo, x_lo + x_width), (y_lo, y_lo + y_width))
    got = start_at(x, y, box)
    for value, chosen, (lo, hi) in zip((x, y), got, box, strict=True):
        grid = np.linspace(lo, hi, START_GRID)
        nearest = grid[np.argmin(np.abs(grid - value))]
        assert chosen == round(float(nearest), 2) or abs(abs(value - chosen) - np.abs(grid - value).min()) < 1e-9


def test_a_click_on_the_bowl_starts_at_round_numbers():
    from core.surfaces import SURFACES
    from ui.lessons.gradient_descent import start_at

    box = SURFACES["bowl"].box
    assert start_at(-1.03, 0.51, box) == (-0.9, 0.6)  # the grid over [-3, 3]² is 0.3 apart
    assert start_at(-99.0, 99.0, box) == (box[0][0], box[1][1])  # outside the box: its nearest corner
    assert start_at(-1e308, 1e308, box) == (box[0][0], box[1][1])


@pytest.mark.parametrize("click", [{"x": float("inf"), "y": 0.5}, {"x": float("nan"), "y": 0.5},
                                   {"x": True, "y": 0.5}, {"x": "1", "y": 0.5}, {"x": 1e308, "y": -1e308}])
def test_a_click_the_browser_could_send_never_breaks_the_page(monkeypatch, click):
    """What the browser sends is any JSON (Streamlit reads NaN and Infinity too): a click that is not two finite
    numbers moves nothing; a huge one starts at the box's corner."""
    import ui.lessons.gradient_descent as page

    state = {}
    monkeypatch.setattr(page, "clicked_point", lambda key: click)
    monkeypatch.setattr(page.st, "session_state", state)
    page.set_start_from_click(((-3.0, 3.0), (-3.0, 3.0)))
    if all(type(click[a]) is float and np.isfinite(click[a]) for a in "xy"):
        assert state == {"gradient_descent_sx": 3.0, "gradient_descent_sy": -3.0}
    else:
        assert state == {}
