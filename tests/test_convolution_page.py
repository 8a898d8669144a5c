"""AppTest of the convolution lesson: every part in both languages, the numbers it shows, and bad input."""

import io

import numpy as np
import pytest
from PIL import Image

from core.conv import KERNELS, conv2d, conv_output_size
from core.images import BUILTIN_IMAGES, to_gray
from tests.conftest import assert_clean, lesson_runner
from tests.helpers.code import shown_code
from tests.helpers.figures import chart, charts, titles
from tests.helpers.texts import read_fields
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import CONVOLUTION

lesson = lesson_runner(CONVOLUTION)


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [e.value for e in at.error] + [c.value for c in at.caption])


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("part", ["integral", "image", "steps", "channels", "why", "quiz"])
def test_every_part_but_the_quiz_draws_a_figure(part, lang):
    """(Every part renders, with its title, in both languages: ``test_app_pages.py``.)"""
    at = lesson({"part": part}, lang)
    assert charts(at) or part == "quiz"


def test_integral_readout_is_the_convolution_at_t():
    """The figure's title reads the area at the t the link starts at; t is the figure's own slider (no Streamlit
    slider, no round trip), and each frame carries its own reading."""
    at = lesson({"part": "integral", "f": "rectangle", "g": "rectangle", "t": "0.5"})
    assert not at.slider
    spec = chart(at, key="convolution_integral_True").spec
    # rectangle ∗ rectangle = triangle: 1 − |t| = 0.5 at t = 0.5 (numerical integration on the page's grid)
    assert spec["layout"]["title"]["text"] == "t = 0.5:  (f ∗ g)(t) = <b>0.5000</b>"
    frame = next(f for f in spec["frames"] if f["name"] == "-0.50")
    assert frame["layout"]["title"]["text"] == "t = -0.5:  (f ∗ g)(t) = <b>0.5000</b>"
    at = lesson({"part": "integral", "corr": "1", "f": "exponential_decay", "g": "exponential_decay"})
    assert len(charts(at)) == 2


@pytest.mark.parametrize("query", [
    {},
    {"kernel": "gaussian_blur_5", "s": "2", "pad": "custom", "p": "3", "d": "2", "mode": "reflect"},
    {"kernel": "sobel_y", "pad": "same", "mode": "circular", "flip": "1"},
    {"image": "digit", "kernel": "laplacian", "colour": "1", "s": "3"},
])
def test_image_part_output_and_formula(query):
    at = lesson({"part": "image", **query})
    image = BUILTIN_IMAGES[query.get("image", "photo")].load()
    w = KERNELS[query.get("kernel", "sobel_x")].weights
    s, d = int(query.get("s", 1)), int(query.get("d", 1))
    p = int(query.get("p", 0)) if query.get("pad") == "custom" else 0
    if query.get("pad") == "same":
        ho, wo = image.shape[:2]
    else:
        ho = conv_output_size(image.shape[0], w.shape[0], s, p, d)
        wo = conv_output_size(image.shape[1], w.shape[1], s, p, d)
    assert f"**{ho}**" in texts(at) and f"**{wo}**" in texts(at)
    [diff] = [m for m in at.metric if m.label == translate("common.diff", "en")]
    assert float(diff.value) < 1e-10
    [code] = [c for c in shown_code(at) if "F.conv2d" in c]
    assert f"stride={s}" in code


def output_chart(at, shape: tuple[int, int]):
    return chart(at, translate("convolution.image.output", "en", h=shape[0], w=shape[1]))


def test_changing_the_kernel_changes_the_output_and_the_url():
    at = lesson({"part": "image", "image": "checkerboard"})
    x = to_gray(BUILTIN_IMAGES["checkerboard"].load())
    before = conv2d(x, KERNELS["sobel_x"].weights)  # the default kernel
    np.testing.assert_allclose(output_chart(at, before.shape).data("z"), before, rtol=1e-6, atol=1e-6)
    at.selectbox(key="convolution_kernel").set_value("box_blur").run()
    assert_clean(at)
    after = conv2d(x, KERNELS["box_blur"].weights)
    np.testing.assert_allclose(output_chart(at, after.shape).data("z"), after, rtol=1e-6, atol=1e-6)
    assert dict(at.query_params)["kernel"] == "box_blur"


def test_custom_kernel_from_the_link():
    at = lesson({"part": "image", "image": "checkerboard", "kernel": "custom", "kw": "1 2; 3 4"})
    assert dict(at.query_params)["kw"] == "1 2;3 4"
    assert at.data_editor[0].value.to_numpy().tolist() == [["1", "2"], ["3", "4"]]
    kernel = chart(at, translate("convolution.image.kernel", "en", h=2, w=2))
    np.testing.assert_array_equal(kernel.data("z"), [[1, 2], [3, 4]])
    out = conv2d(to_gray(BUILTIN_IMAGES["checkerboard"].load()), np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose(output_chart(at, out.shape).data("z"), out, rtol=1e-6, atol=1e-5)
    at = lesson({"part": "image", "kernel": "custom", "kw": "1 two; 3 4"})
    assert at.toast and "kw" in at.toast[0].value  # bad kernel text in the link: default with a notice
    assert dict(at.query_params)["kw"] == "0 -1 0;-1 5 -1;0 -1 0"


@pytest.mark.parametrize(("cell", "code"), [("", "blank"), ("abc", "not_a_number"), ("nan", "not_a_number")])
def test_an_unusable_custom_cell_is_named_and_the_page_keeps_working(monkeypatch, cell, code):
    """AppTest cannot type into the grid, so the grid hands back the student's edit itself."""
    import streamlit as st

    real_editor = st.data_editor

    def editor(data, **kwargs):
        real_editor(data, **kwargs)
        edited = data.copy()
        edited.iloc[1, 0] = cell
        return edited

    monkeypatch.setattr(st, "data_editor", editor)
    at = lesson({"part": "image", "image": "checkerboard", "kernel": "custom"})
    assert translate("kernel.error." + code, "en", row=2, col=1) in texts(at)
    assert len(charts(at)) == 0  # no output drawn from a broken kernel, and no traceback


def png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(at, name: str, data: bytes):
    at.file_uploader(key="convolution_upload").upload(name, data, "image/png").run()
    assert_clean(at)
    return at


@pytest.mark.parametrize(("name", "data", "code"), [
    ("notes.png", b"this is not an image at all", "not_image"),
    ("broken.png", png_bytes(np.zeros((40, 40, 3), np.uint8))[:60], "corrupt"),
    ("empty.png", b"", "empty"),
])
def test_bad_uploads_get_a_clear_message_and_the_page_keeps_working(name, data, code):
    at = upload(lesson({"part": "image", "image": "upload"}), name, data)
    assert translate("image.error." + code, "en").split(".")[0] in texts(at)
    at.selectbox(key="convolution_image").set_value("shapes").run()
    assert_clean(at)
    assert charts(at)


def test_a_large_upload_is_downscaled_and_says_so():
    big = np.random.default_rng(0).integers(0, 255, (700, 1400, 3), dtype=np.uint8)
    at = upload(lesson({"part": "image", "image": "upload"}), "big.png", png_bytes(big))
    assert translate("image.downscaled", "en", width=1400, height=700, side=512) in texts(at)
    # 1400 × 700 shrunk to 512 × 256, then a 3 × 3 kernel (valid): 254 × 510
    assert output_chart(at, (254, 510)).data("z").shape == (254, 510)
    assert translate("convolution.image.input", "en", h=256, w=512) in titles(at)


def test_a_kernel_larger_than_a_tiny_upload_is_explained():
    tiny = png_bytes(np.full((6, 6), 128, np.uint8), "L")
    at = lesson({"part": "image", "image": "upload", "kernel": "gaussian_blur_5", "d": "3"})
    at = upload(at, "tiny.png", tiny)
    assert translate("convolution.error.too_small", "en", n=6, p=0, k=5, d=3, span=13) in texts(at)


def test_steps_part_sum_equals_conv2d():
    at = lesson({"part": "steps", "n": "6", "k": "3", "s": "2", "p": "1", "d": "1", "seed": "4", "cell": "5"})
    x = np.random.default_rng(4).integers(0, 10, (6, 6)).astype(float)
    w = np.random.default_rng(1004).integers(-1, 2, (3, 3)).astype(float)
    out = conv2d(x, w, stride=2, padding=1)
    i, j = divmod(5, out.shape[1])
    assert f"out[{i}, {j}] =" in texts(at) and f"**{out[i, j]:g}**" in texts(at)
    at.slider(key="convolution_cell").set_value(6).run()
    i, j = divmod(6, out.shape[1])
    assert f"out[{i}, {j}] =" in texts(at)


def test_channels_part_adds_up_as_torch_and_counts_its_parameters():
    """One output channel over R, G, B: each contribution, their sum plus b, and the parameter count, against
    ``F.conv2d`` on the same image and kernels (a 5 × 5 kernel for red: the 3 × 3 ones are centred in 5 × 5)."""
    import torch
    import torch.nn.functional as F

    kernels, b = {"r": "gaussian_blur_5", "g": "sobel_y", "b": "laplacian"}, 0.3
    at = lesson({"part": "channels", "image": "shapes", "bias": str(b), **{f"k{c}": k for c, k in kernels.items()}})
    rgb = BUILTIN_IMAGES["shapes"].load()
    rgb = rgb[::2, ::2] if max(rgb.shape[:2]) > 256 else rgb
    x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None].double()
    weight = torch.stack([F.pad(torch.tensor(KERNELS[k].weights), [(5 - KERNELS[k].weights.shape[0]) // 2] * 4)
                          for k in kernels.values()])[None]  # (1, 3, 5, 5)
    layer = torch.nn.Conv2d(3, 1, 5, padding="same").double()
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.fill_(b)
        expected = layer(x)[0, 0].numpy()
        parts = [F.conv2d(x[:, c:c + 1], weight[:, c:c + 1], padding="same")[0, 0].numpy() for c in range(3)]
    shown = chart(at, translate("convolution.channels.sum", "en", b="0.3")).data("z")
    np.testing.assert_allclose(shown, expected, rtol=1e-6, atol=1e-5)  # sent as float32
    for c, part in zip("rgb", parts, strict=True):
        name = translate("convolution.channels.rgb." + c, "en")
        contribution = chart(at, translate("convolution.channels.contribution", "en", channel=name)).data("z")
        np.testing.assert_allclose(contribution, part, rtol=1e-6, atol=1e-5)
    explained = read_fields("convolution.channels.explain", "en", texts(at))
    assert int(explained["params"]) == sum(p.numel() for p in layer.parameters()) == 76
    assert float(explained["check"]) < 1e-12


def test_the_bias_redraws_the_sum_alone(monkeypatch):
    """The bias changes the sum only: the three rows above it (each channel, its kernel, its contribution) are not
    built again for it (``channel_rows``, cached), while another kernel builds them anew; the sum follows the bias."""
    import ui.lessons.convolution as convolution

    built = []
    real = convolution.kernel_figure
    monkeypatch.setattr(convolution, "kernel_figure", lambda *a, **k: built.append(a[1]) or real(*a, **k))
    at = lesson({"part": "channels", "image": "gradient", "kr": "emboss", "bias": "0.1"})
    before = len(built)
    at.slider(key="convolution_bias").set_value(-0.4).run()
    assert_clean(at)
    assert len(built) == before  # the bias: nothing rebuilt
    assert charts(at) and chart(at, translate("convolution.channels.sum", "en", b="-0.4"))
    at.selectbox(key="convolution_kr").set_value("sharpen").run()
    assert len(built) == before + 3  # another kernel: the three rows again


def test_why_part_shows_equivariance_away_from_edges():
    at = lesson({"part": "why", "image": "shapes", "kernel": "sobel_x", "dy": "7", "dx": "-5"})
    line = next(m.value for m in at.markdown if "Away from the edges" in m.value)
    inner = float(line.split("**")[1])
    assert inner < 1e-12


@pytest.mark.parametrize("kind", ["size", "cell"])
def test_quiz_checks_answers(kind):
    from core.questions.convolution import cell_question, size_question

    q = size_question(7) if kind == "size" else cell_question(7)
    at = lesson({"part": "quiz", "q": kind, "qseed": "7"})
    at.number_input[0].set_value(float(q.answer)).run()
    assert at.success
    at = lesson({"part": "quiz", "q": kind, "qseed": "7"})
    at.number_input[0].set_value(float(q.answer) + 1).run()
    assert at.error and f"**{q.answer:g}**" in at.error[0].value


def test_gray_image_matches_core_on_the_photo():
    """The numbers hovered on screen are conv2d's (spot-check the figure's data against core)."""
    at = lesson({"part": "image", "image": "digit", "kernel": "sharpen"})
    x = to_gray(BUILTIN_IMAGES["digit"].load())
    out = conv2d(x, KERNELS["sharpen"].weights)
    assert out.shape == (126, 126)
    np.testing.assert_allclose(output_chart(at, (126, 126)).data("z"), out, rtol=1e-6, atol=1e-6)  # float32


def test_shrinking_the_input_keeps_the_output_cell_in_range():
    at = lesson({"part": "steps", "n": "10", "cell": "60", "src": "digit", "top": "100"})
    at.slider(key="convolution_sn").set_value(4).run()
    assert_clean(at)
    assert at.slider(key="convolution_cell").value <= at.slider(key="convolution_cell").max
    assert 0 <= at.slider(key="convolution_top").value <= 124  # 128 − 4 at most


def test_steps_on_a_patch_of_the_digit():
    from core.images import crop_patch

    at = lesson({"part": "steps", "src": "digit", "n": "5", "top": "40", "left": "50", "k": "3", "p": "0"})
    x = np.rint(9 * crop_patch(to_gray(BUILTIN_IMAGES["digit"].load()), 40, 50, 5))
    w = np.random.default_rng(1000).integers(-1, 2, (3, 3)).astype(float)
    assert f"**{conv2d(x, w)[0, 0]:g}**" in texts(at)


def test_steps_on_typed_numbers():
    at = lesson({"part": "steps", "src": "typed", "grid": "1 2 3; 4 5 6; 7 8 9; 1 1 1", "k": "2", "p": "0",
                 "seed": "2"})
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 1]], dtype=float)
    w = np.random.default_rng(1002).integers(-1, 2, (2, 2)).astype(float)
    assert f"**{conv2d(x, w)[0, 0]:g}**" in texts(at)
    at = lesson({"part": "steps", "src": "typed", "grid": "1 2; 3 oops"})
    assert translate("common.grid.error.not_a_number", "en", row=2, col=2, side=16) in texts(at)


def test_the_step_by_step_part_opens_as_the_primers_picture_without_padding():
    """The primer's picture: no padding, so the output is smaller; the text names both sizes (computed by
    ``conv_output_size``) and the padding that keeps the size, which the student tries next."""
    at = lesson({"part": "steps"})
    assert at.slider(key="convolution_sp").value == 0
    n, k = at.slider(key="convolution_sn").value, at.slider(key="convolution_sk").value
    out = conv_output_size(n, k, 1, 0, 1)
    assert out < n
    fields = read_fields("convolution.steps.smaller", "en", [m.value for m in at.markdown])
    assert fields == {"ho": str(out), "wo": str(out), "h": str(n), "w": str(n), "same": str((k - 1) // 2)}
    padded = lesson({"part": "steps", "p": str((k - 1) // 2)})
    fields = read_fields("convolution.steps.size", "en", [m.value for m in padded.markdown])
    assert fields == {"ho": str(n), "wo": str(n), "h": str(n), "w": str(n), "p": str((k - 1) // 2)}


def test_integral_frames_carry_only_what_moves_and_match_the_continuous_convolution():
    """Each frame of the integral's animation sends the y of g(t − τ), of the product f·g(t − τ) and of the result
    so far (NaN after t) on the figure's one τ grid, and the marker at t: numbers from ``core.conv``, float32."""
    from core.conv import SIGNALS, convolve_continuous, default_grid, shifted_kernel
    from tests.conftest import plotly_array

    at = lesson({"part": "integral", "f": "rectangle", "g": "exponential_decay", "t": "0.5"})
    spec = chart(at, key="convolution_integral_True").spec
    tau = default_grid(401, 4.0)
    f, g = SIGNALS["rectangle"].fn(tau), SIGNALS["exponential_decay"].fn(tau)
    result = convolve_continuous(f, g, tau)
    np.testing.assert_array_equal(plotly_array(spec["data"][3]["x"]), tau.astype(np.float32))
    assert len(spec["frames"]) == 81 and spec["layout"]["sliders"][0]["active"] == 45  # t = 0.5 of -4 … 4 by 0.1
    for frame in spec["frames"][::8]:
        t_now = float(frame["name"])
        g_shift, product, so_far, marker = frame["data"]
        assert frame["traces"] == [1, 2, 3, 4] and set(g_shift) == set(product) == set(so_far) == {"y"}
        expected_g = shifted_kernel(g, tau, t_now)
        np.testing.assert_allclose(plotly_array(g_shift["y"]), expected_g, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(plotly_array(product["y"]), f * expected_g, rtol=1e-6, atol=1e-7)
        y = plotly_array(so_far["y"])
        after = tau > t_now + 1e-12
        assert np.isnan(y[after]).all() and not np.isnan(y[~after]).any()
        np.testing.assert_allclose(y[~after], result[~after], rtol=1e-6, atol=1e-7)
        assert marker["x"] == [pytest.approx(t_now)] and marker["y"][0] == pytest.approx(np.interp(t_now, tau, result))


def test_the_integral_figure_stays_under_its_payload():
    """The frames repeat no τ grid and no style: the figure's JSON stays under 700 KB (1.03 MB before)."""
    import json

    at = lesson({"part": "integral"})
    assert len(json.dumps(chart(at, key="convolution_integral_True").spec)) < 700_000
