"""AppTest of the "fully-connected = 1×1 convolution" lesson: every part in both languages, numbers against torch,
the snippet runs and prints what the page shows, the quiz."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.fc_conv import example, flat_example, flatten_question, params_question
from tests.conftest import assert_clean, lesson_runner, page_texts, plotly_array
from ui.shell.i18n import LANGUAGES
from ui.shell.registry import FC_CONV

lesson = lesson_runner(FC_CONV)


def figure(at, title: str) -> dict:
    return json.loads(next(c.proto.spec for c in at.get("plotly_chart") if title in c.proto.spec))


def z(at, title: str) -> np.ndarray:
    return plotly_array(figure(at, title)["data"][0]["z"]).astype(float)


@pytest.mark.parametrize("query", [{}, {"c": "5", "size": "4", "out": "3", "seed": "17"}, {"c": "1", "size": "1"}])
def test_dense_at_every_pixel_equals_torch_and_the_conv(query):
    at = lesson({"part": "position", **query})
    assert_clean(at)
    c, size, out, seed = (int(query.get(k, d)) for k, d in (("c", 3), ("size", 3), ("out", 2), ("seed", 1)))
    x, W, b = (torch.from_numpy(a) for a in example(c, size, out, seed))
    reference = F.conv2d(x[None], W[:, :, None, None], b)[0].numpy()
    for o in range(out):
        np.testing.assert_allclose(z(at, f"dense layer at every pixel: output {o}"), reference[o], rtol=0, atol=1e-12)
        np.testing.assert_allclose(z(at, f"1×1 convolution: output {o}"), reference[o], rtol=0, atol=1e-12)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["max |dense − conv|"] == "0"
    assert metrics["weights (dense = conv)"] == f"{c * out + out} = {c * out + out}"


def test_the_written_out_sum_at_the_chosen_pixel_is_right():
    at = lesson({"part": "position", "i": "2", "j": "1"})
    x, W, b = example(3, 3, 2, 1)
    expected = W[0] @ x[:, 2, 1] + b[0]
    assert any(f"= **{expected:g}**" in m.value for m in at.markdown)


def test_the_head_matches_torch_pooling_then_linear():
    at = lesson({"part": "head", "c": "4", "out": "3", "seed": "5"})
    x, W, b = (torch.from_numpy(a) for a in example(4, 3, 3, 5))
    scores = F.linear(F.adaptive_avg_pool2d(x[None], 1).flatten(1), W, b)[0].numpy()
    np.testing.assert_allclose(z(at, "dense layer: scores")[:, 0], scores, rtol=0, atol=1e-12)
    np.testing.assert_allclose(z(at, "1×1 convolution: scores")[:, 0], scores, rtol=0, atol=1e-12)


def test_the_flattened_dense_layer_matches_torch_and_its_kernel_is_the_reshaped_row():
    at = lesson({"part": "flatten", "c": "2", "size": "4", "out": "3", "seed": "9"})
    x, _, b = example(2, 4, 3, 9)
    W_flat = flat_example(2, 4, 3, 9)
    scores = F.linear(torch.from_numpy(x).flatten(), torch.from_numpy(W_flat), torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(z(at, "dense layer on the flattened map")[:, 0], scores, rtol=0, atol=1e-12)
    np.testing.assert_allclose(z(at, "convolution with a 4 × 4 kernel")[:, 0], scores, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(z(at, "kernel of output 0, channel 1"), W_flat[0].reshape(2, 4, 4)[1])
    assert {m.label: m.value for m in at.metric}["weights (dense = conv)"] == "99 = 99"


def test_the_snippet_runs_and_prints_the_pages_difference(tmp_path):
    at = lesson({"part": "position", "seed": "3"})
    code = next(c.value for c in at.code if "F.conv2d" in c.value)
    (tmp_path / "fc_conv.py").write_text(code)
    out = subprocess.run([sys.executable, "fc_conv.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "max |dense - conv| = 0.0" in out.stdout and "weights: 8 in both" in out.stdout


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_quiz_right_and_wrong_answers(lang):
    at = lesson({"part": "quiz", "qseed": "4"}, lang)
    q = params_question(4)
    box = at.number_input(key="fc_conv_guess_params_4")
    box.set_value(q.answer + 1).run()
    assert at.error and str(q.answer) in at.error[0].value
    box.set_value(q.answer).run()
    assert at.success and not at.error
    at = lesson({"part": "quiz", "q": "flatten", "qseed": "4"}, lang)
    q = flatten_question(4)
    at.number_input(key="fc_conv_guess_flatten_4").set_value(q.answer).run()
    assert at.success
    assert_clean(at)


@pytest.mark.parametrize("query", [{"c": "99"}, {"size": "-3"}, {"out": "x"}, {"seed": "1e99"}, {"i": "7"}])
def test_bad_link_values_fall_back_without_a_traceback(query):
    at = lesson({"part": "position", **query})
    assert_clean(at)
    assert page_texts(at)
