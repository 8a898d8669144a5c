"""AppTest of the depth lesson: every part in both languages, the fields against the formula and torch, the stack
in the link, the trained network's maps, the question, bad links."""

import re

import pytest

from core.depth import DEFAULT_STACK, field_question, parse_layer
from core.receptive import receptive_fields
from tests.conftest import assert_clean, lesson_app, lesson_runner, page_texts
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import DEPTH

lesson = lesson_runner(DEPTH)


def test_the_table_shows_the_formula_and_the_same_measured_field():
    at = lesson({"part": "stack", "layers": "4", "l2": "conv-3-1-2", "l3": "conv-5-2-1"})
    assert_clean(at)
    table = at.table[0].value
    formula = list(table[translate("depth.column.field", "en")])
    measured = list(table[translate("depth.column.measured", "en")])
    stack = [parse_layer(s) for s in (DEFAULT_STACK[0], "conv-3-1-2", "conv-5-2-1", DEFAULT_STACK[3])]
    sizes = [f["size"] for f in receptive_fields(stack)]
    assert formula == measured == [f"{s} × {s}" for s in sizes] == ["3 × 3", "7 × 7", "11 × 11", "15 × 15"]


def test_editing_a_layer_writes_the_link_and_removing_layers_clears_it():
    at = lesson({"part": "stack", "layers": "3"})
    at.selectbox(key="depth_l2_dilation").set_value(2).run()
    assert at.query_params["l2"] == "conv-3-1-2"
    at.slider(key="depth_n").set_value(1).run()
    assert "l2" not in at.query_params
    assert_clean(at)


def test_a_stack_that_leaves_nothing_to_see_is_named():
    at = lesson({"part": "stack", "side": "16", "layers": "8", "l8": "conv-7-1-3"})
    # 16 -> 14 -> 12 -> 6 -> 4 -> 2 -> 1: layer 7's 3×3 kernel does not fit a 1×1 map
    assert at.error and at.error[0].value.startswith("Layer 7 has nothing left to look at")
    assert_clean(at)


def test_the_tube_reading_counts_the_first_layer_units_in_the_field():
    at = lesson({"part": "tube", "image": "digit", "layers": "3", "level": "3", "i": "0", "j": "0"})
    text = next(m.value for m in at.markdown if "first-layer units, each" in m.value)
    # layer 3 of conv3, conv3, pool2: a 6x6 field holds 4x4 first-layer units of 3x3 (centres 1..4)
    assert "**6 × 6**" in text and "**16**" in text


def test_the_features_part_points_to_the_trainer_until_a_network_is_trained():
    at = lesson({"part": "features"})
    assert translate("depth.features.none", "en") in page_texts(at)


def test_the_features_part_shows_the_network_trained_in_this_session_with_its_fields():
    import time

    from ui.shell.registry import CNN_TRAINER

    at = lesson_app(CNN_TRAINER, {"epochs": "1", "blocks": "2", "b1": "4-3-relu-max-bn", "b2": "8-5-relu-max-bn"})
    at.button(key="cnn_trainer_start").click().run()
    end = time.monotonic() + 180
    while not at.subheader:
        assert time.monotonic() < end, page_texts(at)
        time.sleep(0.5)
        at.run()
    at.query_params["part"] = "features"
    at.switch_page(DEPTH.script).run()
    assert_clean(at)
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    # block1: one 3×3 conv sees 3×3; block2's 5×5 conv after a 2×2 pool (jump 2) sees 3 + 1 + 4·2 = 12
    assert any("block1: 4 maps (8 shown), each unit sees 3 × 3 pixels" in s for s in specs)
    assert any("block2: 8 maps (8 shown), each unit sees 12 × 12 pixels" in s for s in specs)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_quiz(lang):
    at = lesson({"part": "quiz", "qseed": "6"}, lang)
    q = field_question(6)
    at.number_input(key="depth_guess_6").set_value(q.answer + 1).run()
    assert at.error and str(q.answer) in at.error[0].value
    at.number_input(key="depth_guess_6").set_value(q.answer).run()
    assert at.success


@pytest.mark.parametrize("query", [{"l1": "conv-9-1-1"}, {"layers": "99"}, {"l3": "<script>"}, {"level": "42"},
                                   {"i": "-1"}, {"side": "nan"}])
def test_bad_link_values_fall_back_without_a_traceback(query):
    for part in ("tube", "stack"):
        at = lesson({"part": part, **query})
        assert_clean(at)
        assert re.search(r"\d", " ".join(page_texts(at)))


def test_the_snippet_prints_the_tables_fields_and_measures_the_last(tmp_path):
    import subprocess
    import sys

    at = lesson({"part": "stack", "layers": "4", "l2": "conv-3-1-2", "l3": "conv-5-2-1"})
    code = next(c.value for c in at.code if "receptive field" in c.value)
    (tmp_path / "rf.py").write_text(code)
    out = subprocess.run([sys.executable, "rf.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    fields = list(at.table[0].value[translate("depth.column.field", "en")])
    printed = re.findall(r"field (\d+) x \d+", out.stdout)
    assert [f"{n} × {n}" for n in printed] == fields
    assert f"measured: {printed[-1]} pixels" in out.stdout
