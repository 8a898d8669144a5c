"""AppTest of the pooling lesson, and its helpers (shift measurement, quiz) against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.images import BUILTIN_IMAGES, shift_image, to_gray
from core.questions.pooling import pool_size_question, pool_winner_question
from tests.conftest import lesson_runner
from tests.helpers.figures import chart
from ui.shell.i18n import translate
from ui.shell.registry import POOLING

lesson = lesson_runner(POOLING)


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [e.value for e in at.error])


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize(("size", "s", "p", "ceil"), [(2, 2, 0, "0"), (3, 2, 1, "1"), (3, 1, 1, "0"), (2, 3, 1, "1")])
def test_steps_value_is_torchs(mode, size, s, p, ceil):
    n, seed, cell = 7, 3, 2
    at = lesson({"part": "steps", "mode": mode, "n": str(n), "size": str(size), "s": str(s), "p": str(p),
                 "ceil": ceil, "seed": str(seed), "cell": str(cell)})
    x = torch.from_numpy(np.random.default_rng(seed).integers(0, 10, (n, n)).astype(float))[None]
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    out = pool(x, size, stride=s, padding=p, ceil_mode=ceil == "1")[0].numpy()
    i, j = divmod(cell, out.shape[1])
    value = f"**{out[i, j]:g}**" if mode == "max" else f"**{out[i, j]:.4g}**"
    assert f"out[{i}, {j}] =" in texts(at) and value in texts(at)


@pytest.mark.parametrize(("query", "key", "values"), [
    ({"size": "2", "p": "2"}, "pooling.error.padding", {"p": 2, "size": 2}),
    ({"n": "2", "size": "5", "p": "0"}, "pooling.error.too_small", {"n": 2, "p": 0, "size": 5}),
])
def test_impossible_windows_are_explained(query, key, values):
    at = lesson({"part": "steps", **query})
    assert translate(key, "en", **values) in texts(at)


def test_image_part_numbers_and_torch_agreement():
    at = lesson({"part": "image", "image": "photo", "window": "2", "mode": "max"})
    # the 342×512 photo, conv with "same" padding + ReLU, then 2×2 max pooling: 171×256
    assert "**175,104**" in texts(at) and "**43,776**" in texts(at)
    [diff] = [m for m in at.metric if m.label == translate("common.diff", "en")]
    assert float(diff.value) < 1e-12


def test_shift_part_measures_tolerance():
    at = lesson({"part": "shift", "image": "shapes", "kernel": "sobel_x", "window": "2", "k": "3"})
    line = next(m.value for m in at.markdown if m.value.startswith("A 1-pixel shift"))
    feature, pooled_max = float(line.split("by ")[1].split(",")[0]), float(line.split("map by ")[2].split(" ")[0])
    assert pooled_max < feature


def test_shift_curve_against_torch():
    from core.conv import KERNELS
    from core.pooling import shift_curve

    x = to_gray(BUILTIN_IMAGES["shapes"].load())
    w = KERNELS["sobel_y"].weights
    curve = shift_curve(x, w, range(3), 2)

    def block(image):
        t_in = torch.from_numpy(np.array(image))[None, None]
        return F.relu(F.conv2d(t_in, torch.from_numpy(np.array(w))[None, None], padding="same"))[0]

    def change(a, b):
        return float(torch.linalg.norm(b - a) / torch.linalg.norm(a))

    base = block(x)
    for s in range(3):
        moved = block(shift_image(x, 0, s))
        assert curve["feature"][s] == pytest.approx(change(base, moved), abs=1e-12)
        assert curve["max"][s] == pytest.approx(change(F.max_pool2d(base, 2), F.max_pool2d(moved, 2)), abs=1e-12)
        assert curve["avg"][s] == pytest.approx(change(F.avg_pool2d(base, 2), F.avg_pool2d(moved, 2)), abs=1e-12)


def test_global_average_part_shows_one_number_per_channel():
    """Each bar is its channel's mean, as torch's ReLU(conv2d) then ``adaptive_avg_pool2d`` computes it."""
    from core.conv import KERNELS

    at = lesson({"part": "global", "image": "checkerboard"})
    x = torch.from_numpy(to_gray(BUILTIN_IMAGES["checkerboard"].load()))[None, None]
    names = {translate("kernel.name." + name, "en"): name for name in KERNELS}
    bars = chart(at, translate("pooling.global.bars", "en", c=6, h=x.shape[2], w=x.shape[3]))
    labels = list(bars.traces[0]["x"])
    assert len(labels) == 6 and set(labels) <= set(names)
    weights = torch.stack([torch.from_numpy(np.array(KERNELS[names[label]].weights)) for label in labels])[:, None]
    means = F.adaptive_avg_pool2d(F.relu(F.conv2d(x, weights, padding="same")), 1).flatten().numpy()
    np.testing.assert_allclose(bars.data("y"), means, rtol=1e-12, atol=1e-12)
    assert list(bars.traces[0]["text"]) == [f"{v:.4g}" for v in means]  # the number written on each bar
    for label in labels:  # each channel's map is drawn above its bar
        assert chart(at, label).data("z").shape == x.shape[2:]


@pytest.mark.parametrize("seed", range(1, 60))
def test_pool_size_question_matches_torch(seed):
    q = pool_size_question(seed)
    out = F.max_pool2d(torch.zeros(1, 1, q.n), (1, q.size), stride=(1, q.s), padding=(0, q.p), ceil_mode=q.ceil_mode)
    assert q.answer == out.shape[-1]


@pytest.mark.parametrize("seed", range(1, 20))
def test_pool_winner_question_matches_torch(seed):
    q = pool_winner_question(seed)
    assert q.answer == F.max_pool2d(torch.from_numpy(q.x)[None], 2)[0, q.i, q.j].item()


@pytest.mark.parametrize("kind", ["size", "winner"])
def test_quiz_checks_answers(kind):
    q = pool_size_question(5) if kind == "size" else pool_winner_question(5)
    at = lesson({"part": "quiz", "q": kind, "qseed": "5"})
    at.number_input[0].set_value(float(q.answer)).run()
    assert at.success
    at.number_input[0].set_value(float(q.answer) + 1).run()
    assert at.error and f"**{q.answer:g}**" in at.error[0].value


def test_typed_numbers_are_pooled():
    at = lesson({"part": "steps", "src": "typed", "grid": "1 3 2 4; 5 6 1 2; 7 2 9 0; 3 1 4 8", "cell": "3"})
    assert "out[1, 1] =" in texts(at) and "**9**" in texts(at)


@pytest.mark.parametrize(("grid", "code", "values"), [
    ("1 2; 3", "ragged", {}),
    ("1 x; 3 4", "not_a_number", {"row": 1, "col": 2}),
    ("", "empty", {}),
    (" ; ;", "empty", {}),
    (";".join(["1 " * 17] * 17), "too_large", {}),
])
def test_bad_typed_grids_are_explained(grid, code, values):
    at = lesson({"part": "steps", "src": "typed", "grid": grid})
    assert translate("common.grid.error." + code, "en", **{"row": 1, "col": 1, "side": 16, **values}) in texts(at)
