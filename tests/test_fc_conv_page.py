"""AppTest of the "fully-connected = 1×1 convolution" lesson: every part in both languages, numbers against torch,
the snippet runs and prints what the page shows, the quiz."""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.fc_conv import example, flat_example, flatten_question, params_question
from tests.conftest import assert_clean, lesson_runner, plotly_array
from tests.helpers.code import shown_code
from tests.helpers.figures import chart, panel
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import FC_CONV

lesson = lesson_runner(FC_CONV)


def z(at, key: str, **values) -> np.ndarray:
    """The numbers of the panel titled with catalogue entry ``key`` (in English)."""
    return np.asarray(plotly_array(panel(at, translate(key, "en", **values))["z"]), dtype=float)


@pytest.mark.parametrize("query", [{}, {"c": "5", "size": "4", "out": "3", "seed": "17"}, {"c": "1", "size": "1"}])
def test_dense_at_every_pixel_equals_torch_and_the_conv(query):
    at = lesson({"part": "position", **query})
    assert_clean(at)
    c, size, out, seed = (int(query.get(k, d)) for k, d in (("c", 3), ("size", 3), ("out", 2), ("seed", 1)))
    x, W, b = (torch.from_numpy(a) for a in example(c, size, out, seed))
    reference = F.conv2d(x[None], W[:, :, None, None], b)[0].numpy()
    for o in range(out):
        np.testing.assert_allclose(z(at, "fc_conv.dense_out", o=o), reference[o], rtol=0, atol=1e-12)
        np.testing.assert_allclose(z(at, "fc_conv.conv_out", o=o), reference[o], rtol=0, atol=1e-12)
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
    pooled = F.adaptive_avg_pool2d(x[None], 1).flatten(1)
    scores = F.linear(pooled, W, b)[0].numpy()
    np.testing.assert_allclose(z(at, "fc_conv.head.gap", c=4)[:, 0], pooled[0].numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(z(at, "fc_conv.head.dense")[:, 0], scores, rtol=0, atol=1e-12)
    np.testing.assert_allclose(z(at, "fc_conv.head.conv")[:, 0], scores, rtol=0, atol=1e-12)


def test_the_flattened_dense_layer_matches_torch_and_its_kernel_is_the_reshaped_row():
    at = lesson({"part": "flatten", "c": "2", "size": "4", "out": "3", "seed": "9"})
    x, _, b = example(2, 4, 3, 9)
    W_flat = flat_example(2, 4, 3, 9)
    scores = F.linear(torch.from_numpy(x).flatten(), torch.from_numpy(W_flat), torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(z(at, "fc_conv.flatten.dense")[:, 0], scores, rtol=0, atol=1e-12)
    np.testing.assert_allclose(z(at, "fc_conv.flatten.conv", h=4, w=4)[:, 0], scores, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(z(at, "fc_conv.flatten.kernel_channel", n=1), W_flat[0].reshape(2, 4, 4)[1])
    assert {m.label: m.value for m in at.metric}["weights (dense = conv)"] == "99 = 99"


def test_the_snippet_runs_and_prints_the_pages_difference(tmp_path):
    at = lesson({"part": "position", "seed": "3"})
    code = next(c for c in shown_code(at) if "F.conv2d" in c)
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


@pytest.mark.parametrize(("name", "raw", "default"), [("c", "99", 3), ("size", "-3", 3), ("out", "x", 2),
                                                     ("seed", "1e99", 1), ("i", "7", 0)])
def test_bad_link_values_fall_back_with_a_notice_and_the_default_example(name, raw, default):
    """The one notice names the parameter, quotes the link and gives the default; the page shows the default
    example (3 channels of 3 × 3, 2 outputs, example 1), its outputs still torch's."""
    from ui.shell.url_state import shown

    at = lesson({"part": "position", name: raw})
    assert_clean(at)
    assert at.slider(key=f"fc_conv_{name}").value == default
    assert [t.value for t in at.toast] == [translate("url.bad_value", "en", name=name, value=shown(raw),
                                                     default=str(default))]
    x, W, b = (torch.from_numpy(a) for a in example(3, 3, 2, 1))
    reference = F.conv2d(x[None], W[:, :, None, None], b)[0].numpy()
    for o in range(2):
        np.testing.assert_allclose(z(at, "fc_conv.conv_out", o=o), reference[o], rtol=0, atol=1e-12)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_fusion_part_mixes_the_colour_channels_with_a_1x1_convolution(lang):
    from core.fc_conv import MIXES, bottleneck_counts, fuse_channels
    from core.images import BUILTIN_IMAGES

    at = lesson({"part": "fusion"}, lang)
    rgb = BUILTIN_IMAGES["photo"].load()
    rgb = rgb[::2, ::2] if max(rgb.shape[:2]) > 256 else rgb
    fused = chart(at, key="fc_conv_fusion_out").data("z")
    np.testing.assert_allclose(fused, fuse_channels(rgb, MIXES["luminance"]), atol=1e-6)  # float32 in the figure
    np.testing.assert_allclose(chart(at, key="fc_conv_fusion_kernel").data("z"), [MIXES["luminance"]], atol=1e-6)
    counts = bottleneck_counts(256, 64, 3)
    assert [m.value for m in at.metric] == [f"{counts['direct']:,}", f"{counts['bottleneck']:,}",
                                            f"{1 - counts['bottleneck'] / counts['direct']:.1%}"]


def test_own_weights_for_the_fusion_come_from_the_link():
    from core.fc_conv import fuse_channels
    from core.images import BUILTIN_IMAGES

    at = lesson({"part": "fusion", "mix": "custom", "wr": "0.5", "wg": "-1.5", "wb": "2", "bc": "64", "bs": "16",
                 "bk": "5"})
    rgb = BUILTIN_IMAGES["photo"].load()
    rgb = rgb[::2, ::2] if max(rgb.shape[:2]) > 256 else rgb
    np.testing.assert_allclose(chart(at, key="fc_conv_fusion_out").data("z"), fuse_channels(rgb, (0.5, -1.5, 2.0)),
                               atol=1e-5)
    assert at.metric[0].value == f"{64 * 64 * 25 + 64:,}"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_bottleneck_question_is_checked_and_explained_layer_by_layer(lang):
    from core.fc_conv import bottleneck_question

    at = lesson({"part": "quiz", "q": "bottleneck", "qseed": "7"}, lang)
    q = bottleneck_question(7)
    box = at.number_input(key="fc_conv_guess_bottleneck_7")
    box.set_value(q.answer - 1).run()
    assert at.error and f"{q.answer:,}" in at.error[0].value and str(q.c * q.s + q.s) in at.error[0].value
    box.set_value(q.answer).run()
    assert at.success and not at.error
    assert_clean(at)


@pytest.mark.parametrize(("part", "drawn"), [("position", 2), ("head", 1), ("flatten", 1)])
def test_each_group_of_grids_is_one_chart(part, drawn):
    """Each group of small grids is one figure of panels (the input's channels with W and b; the outputs; the
    input's channels with the head's three columns; the kernel's channels with both results): every changed chart
    is mounted afresh in the browser, and 6 channels with 4 outputs were 18 charts."""
    from tests.helpers.figures import charts

    at = lesson({"part": part, "c": "6", "out": "4"})
    assert len(charts(at)) == drawn
    assert sum(len(c.traces) for c in charts(at)) >= 6
