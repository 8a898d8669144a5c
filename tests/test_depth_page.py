"""AppTest of the depth lesson: every part in both languages, the fields against the formula and torch, the stack
in the link, the trained network's maps, the question, bad links."""

import re

import pytest

from core.depth import DEFAULT_STACK, field_question, parse_layer
from core.receptive import receptive_fields
from tests.conftest import assert_clean, lesson_app, lesson_runner, plotly_array
from tests.helpers.code import shown_code
from tests.helpers.editors import editor, shown_rows
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
    """The table shows the stack; an edit (what ``edit_layer`` stores, here set directly: AppTest cannot click the
    browser's controls; tests/test_browser_fragments.py does) goes into the link and the table; fewer layers leave
    it."""
    at = lesson({"part": "stack", "layers": "3"})
    assert shown_rows(at, "depth_layers") == [parse_layer(text) for text in DEFAULT_STACK[:3]]
    at.session_state["depth_l2"] = "conv-3-1-2"
    at.run()
    assert at.query_params["l2"] == "conv-3-1-2"
    assert shown_rows(at, "depth_layers")[1] == {"kind": "conv", "kernel": 3, "stride": 1, "dilation": 2}
    at.slider(key="depth_n").set_value(1).run()
    assert "l2" not in at.query_params and len(shown_rows(at, "depth_layers")) == 1
    assert_clean(at)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_stack_table_names_its_columns_and_choices_in_the_pages_language(lang):
    """Its labels come with each run, in the page's language (a language switch relabels it at once)."""
    from core.depth import DILATIONS, KERNELS, STRIDES
    from core.receptive import KINDS

    at = lesson({"part": "stack", "layers": "2", "lang": lang})
    table = editor(at, "depth_layers")
    assert [f["label"] for f in table["fields"]] == [translate(f"depth.column.{name}", lang) for name in
                                                     ("kind", "kernel", "stride", "dilation")]
    assert [f["options"] for f in table["fields"]] == [list(KINDS), list(KERNELS), list(STRIDES), list(DILATIONS)]
    assert table["fields"][0]["shown"] == [translate(f"depth.kinds.{k}", lang) for k in KINDS]
    assert table["fields"][2]["shown"] == [translate("depth.stride_n", lang, s=s) for s in STRIDES]
    assert [row["name"] for row in table["rows"]] == [translate("depth.layer_n", lang, n=n) for n in (1, 2)]


def test_a_stack_that_leaves_nothing_to_see_is_named():
    at = lesson({"part": "stack", "side": "16", "layers": "8", "l8": "conv-7-1-3"})
    # 16 -> 14 -> 12 -> 6 -> 4 -> 2 -> 1: layer 7's 3×3 kernel does not fit a 1×1 map
    assert at.error and at.error[0].value.startswith("Layer 7 has nothing left to look at")
    assert_clean(at)


def test_the_tube_reading_counts_the_first_layer_units_in_the_field():
    at = lesson({"part": "tube", "image": "digit", "layers": "3", "layer": "3", "i": "0", "j": "0"})
    text = next(m.value for m in at.markdown if "first-layer units, each" in m.value)
    # layer 3 of conv3, conv3, pool2: a 6x6 field holds 4x4 first-layer units of 3x3 (centres 1..4)
    assert "**6 × 6**" in text and "**16**" in text


def test_before_anything_is_trained_the_features_part_shows_the_reference_network():
    """A fresh session sees the maps of the server's reference network (trained once, shared), said so, with its
    accuracy, and a link to train its own."""
    import numpy as np

    from core.data import load_dataset
    from core.images import mosaic
    from core.model_inside import feature_maps
    from tests.helpers.figures import chart
    from tests.helpers.texts import read_fields
    from ui.jobs.reference import reference_network

    at = lesson({"part": "features"})
    assert_clean(at)
    model, accuracy = reference_network()  # cached: the page's own
    fields = read_fields("depth.features.reference", "en", [c.value for c in at.caption])
    assert fields == {"accuracy": f"{100 * accuracy:.1f}"}
    x = load_dataset("digits").x_test[:1]
    first = dict(feature_maps(model, x))["block1_act"][0].numpy()
    np.testing.assert_allclose(chart(at, key="depth_features_fig").data("z", trace=1), mosaic(first[:8]), rtol=1e-5,
                               atol=1e-5)


def test_the_features_part_shows_the_network_trained_in_this_session_with_its_fields():
    """The maps drawn are the trained network's own (its weights read back from the trainer's checkpoint download),
    each block titled with its field."""
    import io

    import numpy as np

    from core.checkpoints import load_checkpoint
    from core.data import load_dataset
    from core.images import mosaic
    from tests.helpers.downloads import download, record_downloads
    from tests.helpers.figures import chart, panel
    from tests.helpers.trainer import network_maps, train_until_done
    from ui.shell.registry import CNN_TRAINER

    with record_downloads() as stored:
        at = train_until_done(lesson_app(CNN_TRAINER, {"epochs": "1", "blocks": "2", "b1": "4-3-relu-max-bn",
                                                       "b2": "8-5-relu-max-bn"}))
        trained, _ = load_checkpoint(io.BytesIO(download(at, stored, "cnn_trainer_download").data))
    at.query_params["part"] = "features"
    at.switch_page(DEPTH.script).run()
    assert_clean(at)
    x = load_dataset("digits").x_test[:1]  # the probe image: test image 0
    figure = chart(at, key="depth_features_fig")  # the input, then each block's maps, as bands of one figure
    assert len(figure.traces) == 3
    np.testing.assert_allclose(plotly_array(panel(at, translate("depth.features.input", "en"))["z"]),
                               x[0, 0].numpy(), rtol=1e-6, atol=1e-6)
    # block1: one 3×3 conv sees 3×3; block2's 5×5 conv after a 2×2 pool (jump 2) sees 3 + 1 + 4·2 = 12
    fields = {"block1_act": ("block1", 4, 3), "block2_act": ("block2", 8, 12)}
    maps = network_maps(trained, x)
    assert [name for name, _ in maps] == list(fields)
    for name, out in maps:
        block, c, size = fields[name]
        drawn = plotly_array(panel(at, translate("depth.features.block", "en", block=block, c=c, size=size))["z"])
        np.testing.assert_allclose(drawn, mosaic(out[:8]), rtol=1e-5, atol=1e-5)  # float32 on the page


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_quiz(lang):
    at = lesson({"part": "quiz", "qseed": "6"}, lang)
    q = field_question(6)
    at.number_input(key="depth_guess_6").set_value(q.answer + 1).run()
    assert at.error and str(q.answer) in at.error[0].value
    at.number_input(key="depth_guess_6").set_value(q.answer).run()
    assert at.success


@pytest.mark.parametrize(("name", "raw", "parts"), [("l1", "conv-9-1-1", ("tube", "stack")),
                                                   ("layers", "99", ("tube", "stack")),
                                                   ("l3", "<script>", ("tube", "stack")), ("layer", "42", ("tube",)),
                                                   ("i", "-1", ("tube",)), ("side", "nan", ("stack",))])
def test_bad_link_values_fall_back_with_a_notice_naming_the_default(name, raw, parts):
    """In each part that reads the parameter, one notice names it, quotes the link and gives the default that the
    control shows instead (a layer: the default stack's; a number: the slider's value); the other part ignores it."""
    from ui.shell.url_state import shown

    layer = {"l1": DEFAULT_STACK[0], "l3": DEFAULT_STACK[2]}
    for part in ("tube", "stack"):
        at = lesson({"part": part, name: raw})
        assert_clean(at)
        if part not in parts:
            assert not at.toast
            continue
        key = {"layers": "depth_n", "layer": "depth_level"}.get(name, f"depth_{name}")
        default = layer.get(name) or str(at.slider(key=key).value)
        assert [t.value for t in at.toast] == [translate("url.bad_value", "en", name=name, value=shown(raw),
                                                         default=default)]


def test_the_snippet_prints_the_tables_fields_and_measures_the_last(tmp_path):
    import subprocess
    import sys

    at = lesson({"part": "stack", "layers": "4", "l2": "conv-3-1-2", "l3": "conv-5-2-1"})
    code = next(c for c in shown_code(at) if "receptive field" in c)
    (tmp_path / "rf.py").write_text(code)
    out = subprocess.run([sys.executable, "rf.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    fields = list(at.table[0].value[translate("depth.column.field", "en")])
    printed = re.findall(r"field (\d+) x \d+", out.stdout)
    assert [f"{n} × {n}" for n in printed] == fields
    assert f"measured: {printed[-1]} pixels" in out.stdout


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_tube_game_opens_tubes_then_the_classmate_combines_them(lang):
    """The first part: only the opened tubes' pixels are shown; the classmate's second stage names each part with the
    tubes inside it; the third says it is a cat and answers the student's guess."""
    import numpy as np

    from core.images import BUILTIN_IMAGES
    from core.tube_game import CAT_PARTS, through_tubes, tube_positions, tubes_in
    from tests.helpers.figures import chart
    from tests.helpers.texts import read_fields

    at = lesson({"tubes": "6", "guess": "leopard", "see": "2"}, lang)
    assert_clean(at)
    photo = BUILTIN_IMAGES["cat"].load()
    positions = tube_positions(photo.shape[:2])
    shown = chart(at, key="depth_game_views")
    assert len(shown.layout["shapes"]) == 6
    expected = np.nan_to_num(through_tubes(photo, positions, 6), nan=0.12)
    sent = shown.picture().astype(float)  # a JPEG (ui.plots.grids.photo_figure): the photo within its small loss
    error = np.abs(sent - np.clip(np.rint(expected * 255), 0, 255))
    assert sent.shape == expected.shape and error.mean() < 2.0 and np.percentile(error, 99) < 16, (
        error.mean(), np.percentile(error, 99))
    unseen = np.isnan(through_tubes(photo, positions, 6)).all(axis=-1)
    assert abs(sent[unseen].mean() - 0.12 * 255) < 1.0  # what no tube shows stays the unseen grey
    combined = read_fields("depth.game.reading2", lang, [m.value for m in at.markdown])["combined"]
    for part in CAT_PARTS:
        found = tubes_in(part, positions, photo.shape[:2])
        if found:
            assert f"{translate('depth.game.parts.' + part.name, lang)} ← {', '.join(map(str, found))}" in combined
    end = lesson({"tubes": "6", "guess": "leopard", "see": "3"}, lang)
    wrong = translate("depth.game.wrong", lang, animal=translate("depth.game.animals.leopard", lang), n=6)
    assert any(m.value.endswith(wrong) for m in end.markdown)
