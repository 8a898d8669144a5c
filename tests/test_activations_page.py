"""AppTest of the activation lesson: every part, its numbers against torch, its snippets, bad input."""

import itertools
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from core.activations import ACTIVATIONS
from core.linear_stack import random_linear_layers
from core.questions.activations import collapse_question, neuron_question, vanishing_question
from tests.conftest import ROOT, assert_clean, lesson_runner, page_texts, plotly_array
from tests.helpers.code import shown_code
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import ACTIVATIONS as PAGE

lesson = lesson_runner(PAGE)


texts = page_texts


def metric(at, key: str) -> str:
    [m] = [m for m in at.metric if m.label == translate(key, "en")]
    return m.value


def run_snippet(at, marker: str) -> str:
    [code] = [c for c in shown_code(at) if marker in c]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_gallery_agrees_with_torch_and_tables_every_activation():
    at = lesson({"part": "gallery", "acts": ",".join(ACTIVATIONS), "range": "20"})
    assert float(metric(at, "activations.gallery.diff")) < 1e-8
    table = at.dataframe[0].value
    assert len(table) == len(ACTIVATIONS)
    assert list(table.iloc[:, 0]) == [translate("common.activation." + n, "en") for n in ACTIVATIONS]
    out = run_snippet(at, "torch.autograd.grad")
    assert len(out.splitlines()) == len(ACTIVATIONS)
    assert all(float(line.rsplit("= ", 1)[1]) < 1e-8 for line in out.splitlines())
    assert "sigmoid: f(0) = 0.5000, f'(0) = 0.2500, max slope = 0.2500" in out


def test_gallery_with_nothing_picked_asks_for_a_pick():
    at = lesson({"part": "gallery"})
    at.pills(key="activations_pick").set_value([]).run()
    assert_clean(at)
    assert translate("activations.gallery.none", "en") in texts(at)


def test_a_bad_activation_list_in_the_link_falls_back_with_a_notice():
    from ui.shell.url_state import shown

    raw = "relu,__import__('os')"
    at = lesson({"part": "gallery", "acts": raw})
    assert at.pills(key="activations_pick").value == ["sigmoid", "tanh", "relu"]
    assert [toast.value for toast in at.toast] == [translate("url.bad_value", "en", name="acts", value=shown(raw),
                                                             default="sigmoid,tanh,relu")]


@pytest.mark.parametrize(("w", "b"), [(2.0, 1.0), (-0.5, 2.5), (1.0, 0.0)])
def test_neuron_bend_sits_at_minus_b_over_w(w, b):
    at = lesson({"part": "neuron", "act": "tanh", "w": str(w), "b": str(b)})
    assert f"**x = −b / w = {-b / w + 0.0:.3g}**" in texts(at)
    out = run_snippet(at, "nn.Linear(1, 1)")
    assert float(out.splitlines()[-1].split(": ")[1]) < 1e-12
    x = torch.tensor([-6.0, 0.0, 6.0], dtype=torch.float64)
    expected = torch.tanh(w * x + b).numpy()
    got = [float(v) for v in out.splitlines()[-2].split(": ")[1].split()]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_neuron_with_zero_weight_is_flat():
    at = lesson({"part": "neuron", "act": "relu", "w": "0", "b": "1.5"})
    assert translate("activations.neuron.flat", "en", b="1.5", y="1.5") in texts(at)


def test_plane_without_a_boundary_says_so():
    at = lesson({"part": "neuron", "w1": "0.1", "w2": "0.1", "b2": "5"})
    assert translate("activations.plane.no_line", "en") in texts(at)


def torch_stack(layers, module):
    modules = []
    for n, (W, b) in enumerate(layers):
        linear = nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        modules += [linear] + ([module] if n < len(layers) - 1 else [])
    return nn.Sequential(*modules)


@pytest.mark.parametrize(("depth", "width", "seed"), [(4, 3, 0), (7, 5, 11), (1, 1, 3)])
def test_collapse_without_activation_is_one_layer(depth, width, seed):
    at = lesson({"part": "collapse", "depth": str(depth), "width": str(width), "seed": str(seed), "act": "identity"})
    net = torch_stack(random_linear_layers(depth, width, seed, scale=2.0), nn.Identity())
    with torch.no_grad():
        b = float(net(torch.zeros(1, 1, dtype=torch.float64)))
        W = float(net(torch.ones(1, 1, dtype=torch.float64))) - b
    assert float(metric(at, "activations.collapse.W")) == pytest.approx(W, rel=1e-5)
    assert float(metric(at, "activations.collapse.b")) == pytest.approx(b, rel=1e-5, abs=1e-6)
    assert float(metric(at, "activations.collapse.gap_composed")) < 1e-12
    assert at.success
    out = run_snippet(at, "compose_linear(layers)")
    assert float(out.splitlines()[1].split("= ")[1]) < 1e-12


def test_collapse_with_relu_bends():
    at = lesson({"part": "collapse", "depth": "4", "width": "6", "seed": "1", "act": "relu"})
    x = torch.linspace(-3, 3, 301, dtype=torch.float64)[:, None]
    net = torch_stack(random_linear_layers(4, 6, 1, scale=2.0), nn.ReLU())
    with torch.no_grad():
        y = net(x)[:, 0].numpy()
    slope, intercept = np.polyfit(x[:, 0].numpy(), y, 1)
    gap = np.abs(y - (slope * x[:, 0].numpy() + intercept)).max()
    assert float(metric(at, "activations.collapse.gap_line")) == pytest.approx(gap, rel=0.05)
    assert gap > 1e-3 and at.info


def test_fit_with_relu_beats_identity_and_identity_stays_straight():
    at = lesson({"part": "fit", "target": "sine", "act": "relu"})
    line = next(m.value for m in at.markdown if m.value.startswith("Final loss with"))
    relu_loss, identity_loss = (float(part.split("**")[1]) for part in line.split(": ")[1:3])
    assert relu_loss < 0.2 * identity_loss
    straight = lesson({"part": "fit", "target": "sine", "act": "identity", "layers": "3"})
    gap = float(straight.info[0].value.split("at most ")[1].split(" ")[0])
    assert gap < 1e-4
    out = run_snippet(at, "fit_curve(")
    assert f"{relu_loss:.4g}" in out.splitlines()[0]


def test_the_fit_replay_frames_are_the_snapshots_and_send_only_the_curves_heights():
    """Each ▶ frame is one snapshot of the fit (core's, recomputed here) and carries only the curve's y: its x,
    colour and hover travel once, in the drawn curve."""
    from core.curve_fit import fit_curve, target_points
    from tests.helpers.figures import chart

    at = lesson({"part": "fit", "target": "bumpy", "noise": "0.2", "act": "tanh", "steps": "200", "layers": "1",
                 "fwidth": "8"})
    fig = chart(at, key="activations_fit_fig")
    fit = fit_curve(*target_points("bumpy", n=200, noise=0.2, seed=0), hidden=(8,), activation="tanh", steps=200)
    frames = fig.spec["frames"]
    assert [f["name"] for f in frames] == [str(s) for s in fit.snapshot_steps]
    for frame, curve in zip(frames, fit.snapshot_predictions, strict=True):
        assert frame["traces"] == [1] and [set(d) for d in frame["data"]] == [{"y"}]
        np.testing.assert_allclose(plotly_array(frame["data"][0]["y"]), curve, rtol=1e-6, atol=1e-6)  # float32
    np.testing.assert_allclose(fig.data("x", 1), fit.x_eval, rtol=1e-6)
    np.testing.assert_allclose(fig.data("y", 1), fit.prediction, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("text", "code", "line"), [
    ("", "empty", None), ("1, 2\nhello", "format", 2), ("1, x2", "number", 1), ("1, 2", "too_few", None),
    ("1, 2\n2, inf", "range", 2), ("1, 2\n3, 1e9", "range", 2),
])
def test_bad_points_are_explained(text, code, line):
    at = lesson({"part": "fit", "target": "own"})
    at.text_area(key="activations_points").set_value(text).run()
    assert_clean(at)
    assert translate("activations.fit.error." + code, "en", line=line or "?") in texts(at)


def torch_fit_loss(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], module: nn.Module | None, steps: int,
                   lr: float, seed: int) -> float:
    """The final mean squared error (in y's units) of a 1 → hidden → 1 MLP trained full-batch with Adam on x and y
    standardised, in float64 as the app trains, torch's default init (drawn in float32) from ``seed``: written here with
    plain torch, not with core's fit."""
    xs = torch.from_numpy(((x - x.mean()) / x.std())[:, None])
    ys = torch.from_numpy(((y - y.mean()) / y.std())[:, None])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        sizes = [1, *hidden, 1]
        layers = [nn.Linear(a, b) for a, b in itertools.pairwise(sizes)]
    modules = [m for layer in layers[:-1] for m in (layer, *([module] if module else []))] + [layers[-1]]
    net = nn.Sequential(*modules).double()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(net(xs), ys).backward()
        optimizer.step()
    with torch.no_grad():
        return float(nn.functional.mse_loss(net(xs), ys)) * float(y.std()) ** 2


def test_own_points_are_fitted_and_the_final_losses_are_torchs():
    """The student's points, fitted by the chosen activation and by the same network without one: both final losses
    (and their ratio) as a plain torch fit gives them, and the loss curve ends at the number written under it."""
    from tests.helpers.figures import chart
    from tests.helpers.texts import read_fields

    points = [(-2.0, 1.0), (-1.0, 0.0), (0.0, 1.0), (1.0, 0.0), (2.0, 1.0), (3.0, -0.5)]
    at = lesson({"part": "fit", "target": "own", "act": "tanh", "steps": "200", "layers": "1", "fwidth": "8"})
    at.text_area(key="activations_points").set_value("\n".join(f"{x}, {y}" for x, y in points)).run()
    assert_clean(at)
    x, y = (np.array(v) for v in zip(*points, strict=True))
    [activation] = [s.value for s in at.selectbox if s.key == "activations_ffn"]
    assert activation == "tanh"
    tanh_loss = torch_fit_loss(x, y, (8,), nn.Tanh(), 200, 0.01, 0)
    line_loss = torch_fit_loss(x, y, (8,), None, 200, 0.01, 0)
    shown = read_fields("activations.fit.compare", "en", texts(at))
    assert shown["name"] == translate("common.activation.tanh", "en")
    assert float(shown["loss"]) == pytest.approx(tanh_loss, rel=1e-3)
    assert float(shown["line"]) == pytest.approx(line_loss, rel=1e-3)
    assert float(shown["ratio"]) == pytest.approx(line_loss / tanh_loss, rel=5e-3)  # written to 3 digits
    assert tanh_loss < line_loss  # the bend helps on points that are not on a line
    curve = chart(at, translate("activations.fit.loss_title", "en"))
    assert curve.trace_names == [translate("common.activation.tanh", "en"),
                                 translate("common.activation.identity", "en")]
    assert [f"{curve.data('y', n)[-1]:.4g}" for n in range(2)] == [shown["loss"], shown["line"]]


def test_huge_learning_rate_warns_or_fits_without_a_traceback():
    at = lesson({"part": "fit", "lr": "0.3", "layers": "4", "fwidth": "64", "steps": "400"})
    assert at.title  # diverged or not, the page stays up (assert_clean in lesson)


def test_vanishing_sigmoid_loses_more_than_relu():
    at = lesson({"part": "vanishing", "vdepth": "15"})
    ratios = {}
    for line in texts(at).splitlines():
        for name in ("sigmoid", "tanh", "relu"):
            if line.startswith(f"- {translate('common.activation.' + name, 'en')}:"):
                ratios[name] = float(line.split("**")[1])
    assert ratios["sigmoid"] < 1e-4 < ratios["relu"]
    out = run_snippet(at, "gradient_through_depth(")
    assert f"{ratios['sigmoid']:.2e}" in out.splitlines()[0]


def test_feature_map_relu_zeroes_the_negatives():
    at = lesson({"part": "feature", "image": "shapes", "kernel": "sobel_x", "act": "relu"})
    line = next(m.value for m in at.markdown if m.value.startswith("Of the feature map"))
    negative, positive, zeros = (float(line.split("**")[n].rstrip("%")) for n in (1, 3, 5))
    assert negative > 0 and abs(zeros - (100 - positive)) <= 1  # ReLU: everything not positive becomes 0


def test_quiz_neuron_right_and_wrong():
    seed = 5
    q = neuron_question(seed)
    at = lesson({"part": "quiz", "q": "neuron", "qseed": str(seed)})
    at.number_input(key=f"activations_guess_neuron_{seed}").set_value(q.answer).run()
    assert at.success
    at.number_input(key=f"activations_guess_neuron_{seed}").set_value(q.answer + 1).run()
    assert at.error and f"**{q.answer:g}**" in at.error[0].value


def test_quiz_collapse_and_vanishing():
    q = collapse_question(3)
    at = lesson({"part": "quiz", "q": "collapse", "qseed": "3"})
    at.number_input(key="activations_guess_W_3").set_value(q.answer_w).run()
    at.number_input(key="activations_guess_b_3").set_value(q.answer_b + 1).run()
    assert len(at.success) == 1 and len(at.error) == 1
    v = vanishing_question(7)
    at = lesson({"part": "quiz", "q": "vanishing", "qseed": "7"})
    at.number_input(key="activations_guess_vanish_7").set_value(float(f"{v.answer:.4g}")).run()
    assert at.success


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_why_relu_trains_both_networks_on_request_and_reads_their_curves(lang):
    from core.why_relu import Race
    from tests.helpers.figures import chart, charts
    from tests.helpers.texts import read_fields
    from ui.lessons.activations_training import measured_race

    at = lesson({"part": "why_relu"}, lang)
    assert not [c for c in charts(at) if c.key == "activations_race_fig"]  # nothing trains until asked
    at.button(key="activations_race_button").click().run(timeout=240)
    assert_clean(at)
    result = measured_race(Race())  # cached: the run the page drew
    figure = chart(at, key="activations_race_fig")
    assert [trace["y"] for trace in figure.traces[:2]] == [pytest.approx(result.accuracy["sigmoid"]),
                                                           pytest.approx(result.accuracy["relu"])]
    fields = read_fields("activations.why_relu.reading", lang, [m.value for m in at.markdown])
    assert fields["relu"] == translate("activations.why_relu.epochs", lang, n=result.epochs_to_target["relu"])
    assert fields["relu_last"] == f"{100 * result.accuracy['relu'][-1]:.0f}"
    speed = "activations.why_relu.gpu" if torch.cuda.is_available() else "activations.why_relu.no_gpu"
    assert read_fields(speed, lang, [m.value for m in at.markdown])["cpu"] == \
        f"{result.images_per_second['cpu']:,.0f}"
