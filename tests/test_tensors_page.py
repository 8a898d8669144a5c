"""AppTest of the tensors lesson: shapes, reductions and broadcasting against NumPy and torch, bad input, quiz."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from core.tensors import BROADCAST_EXAMPLES, shape_question
from tests.conftest import ROOT, assert_clean, lesson_runner, page_texts
from tests.helpers.code import shown_code
from tests.helpers.figures import chart
from ui.shell.i18n import translate
from ui.shell.registry import TENSORS

lesson = lesson_runner(TENSORS)


texts = page_texts


def assert_cells_show(at, key: str, name: str, expected: torch.Tensor) -> None:
    """The tensor picture drawn with ``key`` writes each of ``expected``'s values (4 significant digits) in its
    cell, and its hover names each cell by its index in ``expected``'s shape."""
    cells = chart(at, key=key).traces[0]
    assert list(cells["text"]) == [f"{float(v):.4g}" for v in expected.flatten()]
    assert list(cells["hovertext"]) == [f"{name}[{', '.join(map(str, i))}] = {float(v):.4g}"
                                        for i, v in zip(np.ndindex(*expected.shape), expected.flatten(), strict=True)]


@pytest.mark.parametrize(("kind", "shape"), [("scalar", ()), ("vector", (5,)), ("matrix", (4, 5)),
                                             ("tensor3", (3, 4, 5)), ("tensor4", (2, 3, 4, 5))])
def test_basics_shows_shape_and_ndim(kind, shape):
    at = lesson({"part": "basics", "kind": kind})
    expected = translate("tensors.basics.summary", "en", kind=translate("tensors.kind." + kind, "en"),
                         shape=str(shape), ndim=len(shape), size=int(np.prod(shape)))
    assert expected in texts(at)


@pytest.mark.parametrize("keep", ["0", "1"])
@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reduction_shape_and_values_match_torch(op, keep):
    at = lesson({"part": "basics", "kind": "tensor3", "rop": op, "raxis": "1", "keep": keep})
    x = torch.arange(1, 61, dtype=torch.float64).reshape(3, 4, 5)
    fn = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[op]
    y = fn(x, dim=1, keepdim=keep == "1")
    assert f"→ **{tuple(y.shape)}**" in texts(at)
    assert_cells_show(at, "tensors_reduce_fig", "y", y)


@pytest.mark.parametrize("example", [e for e in BROADCAST_EXAMPLES if not e.startswith("mismatch")])
def test_every_compatible_example_broadcasts(example):
    at = lesson({"part": "broadcast", "ex": example})
    shape = np.broadcast_shapes(*BROADCAST_EXAMPLES[example])
    assert translate("tensors.cast.result_shape", "en", shape=str(shape)) in texts(at)


@pytest.mark.parametrize("example", ["mismatch", "mismatch_middle"])
def test_mismatches_explain_and_quote_numpy(example):
    at = lesson({"part": "broadcast", "ex": example})
    assert at.error and "cannot be broadcast" in at.error[0].value
    with pytest.raises(ValueError) as numpy_error:
        np.broadcast_shapes(*BROADCAST_EXAMPLES[example])
    assert any(str(numpy_error.value) in c for c in shown_code(at))


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "maximum"])
def test_custom_shapes_result_matches_torch_and_the_snippet_runs(op):
    at = lesson({"part": "broadcast", "ex": "custom", "a": "2,1,3", "b": "(4, 1)", "c": "3", "op": op})
    a = torch.arange(1, 7, dtype=torch.float64).reshape(2, 1, 3)
    b = torch.arange(11, 15, dtype=torch.float64).reshape(4, 1)
    c = torch.arange(21, 24, dtype=torch.float64).reshape(3)
    fn = {"add": torch.add, "subtract": torch.sub, "multiply": torch.mul, "divide": torch.div,
          "maximum": torch.maximum}[op]
    out = fn(fn(a, b), c)
    assert translate("tensors.cast.result_shape", "en", shape=str(tuple(out.shape))) in texts(at)
    assert_cells_show(at, "tensors_cast_result", "out", out)
    [code] = [c for c in shown_code(at) if "np.broadcast_shapes" in c]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "result shape: (2, 4, 3)" in result.stdout and "max |numpy - torch|: 0.0" in result.stdout


@pytest.mark.parametrize(("text", "code"), [("3, x", "chars"), ("-2, 3", "negative"), ("2.5", "not_integer"),
                                            ("(3,,4", "syntax"), ("1,1,1,1,1,1,1", "too_many_axes"),
                                            ("99999", "too_large"), ("__import__('os')", "chars")])
def test_bad_shapes_are_explained(text, code):
    at = lesson({"part": "broadcast", "ex": "custom", "a": text})
    message = translate("tensors.shape_error." + code, "en", token="", name="a")
    assert at.error and message.split("“")[0] in at.error[0].value


def test_a_huge_result_is_shown_as_shapes_only():
    at = lesson({"part": "broadcast", "ex": "custom", "a": "100, 1", "b": "1, 100"})
    assert translate("tensors.cast.too_big", "en", cells="10,000", limit=240) in texts(at)


def test_memory_strides_match_numpy():
    at = lesson({"part": "memory", "ex": "batch_bias", "dtype": "float64"})
    table = at.table[0].value
    view = np.broadcast_to(np.empty((3, 1, 1)), (2, 3, 4, 4)).strides
    assert str(view) in list(table.iloc[1])


def test_quiz_streak_counts_right_answers():
    seed = 4
    q = shape_question(seed)
    at = lesson({"part": "quiz", "qseed": str(seed)})
    answer = "error" if q.answer is None else ", ".join(map(str, q.answer))
    at.text_input(key=f"tensors_answer_{seed}").input(answer)
    at.button[0].click().run()
    assert at.success and at.metric[0].value == "1"
    at.button(key="tensors_next").click().run()
    assert_clean(at)
    q2 = shape_question(seed + 1)
    wrong = "1, 2, 3, 4, 5" if q2.answer != (1, 2, 3, 4, 5) else "error"
    at.text_input(key=f"tensors_answer_{seed + 1}").input(wrong)
    at.button[0].click().run()
    assert at.error and at.metric[0].value == "0"


@pytest.mark.parametrize("raw", ["9" * 200, "<script>", "{{7*7}}"])
def test_hostile_shape_links_do_not_break_the_page(raw):
    at = lesson({"part": "broadcast", "ex": "custom", "a": raw})
    assert at.title and (at.error or at.toast)
