"""``ui.widgets.row_editor``: what the browser sends is taken only when it is an edit of a row and field on screen
to one of the field's options (property-tested), and the component is given the rows as they are."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.widgets.row_editor import Field, edit_of, editor_data

FIELDS = [Field("kind", "Kind", ("conv", "pool"), ("convolution", "pooling")),
          Field("kernel", "Kernel", (1, 3, 5), ("1×1", "3×3", "5×5")),
          Field("bn", "BN")]


def test_an_edit_of_a_row_on_screen_to_an_offered_option_is_taken():
    assert edit_of({"row": 1, "field": "kernel", "index": 2}, FIELDS, 2) == (1, "kernel", 5)
    assert edit_of({"row": 0, "field": "kind", "index": 1}, FIELDS, 2) == (0, "kind", "pool")
    assert edit_of({"row": 0, "field": "bn", "index": 0}, FIELDS, 1) == (0, "bn", False)
    assert edit_of({"row": 0, "field": "bn", "index": 1}, FIELDS, 1) == (0, "bn", True)
    rates = [Field("lr", "lr", (0.1, 1.0, 10.0), ("0.1", "1", "10"))]  # 1.0 would come back from JSON as 1
    assert edit_of({"row": 0, "field": "lr", "index": 1}, rates, 1) == (0, "lr", 1.0)


@pytest.mark.parametrize("event", [
    None, "edit", [], {}, {"row": 2, "field": "kernel", "index": 2},  # a row that is not on screen
    {"row": -1, "field": "kernel", "index": 2}, {"row": True, "field": "kernel", "index": 2},
    {"row": 0.0, "field": "kernel", "index": 2}, {"row": 0, "field": "stride", "index": 0},
    {"row": 0, "field": "kernel", "index": 3}, {"row": 0, "field": "kernel", "index": -1},
    {"row": 0, "field": "kernel", "index": "1"}, {"row": 0, "field": "kernel", "index": 1.0},
    {"row": 0, "field": "bn", "index": 2}, {"row": 0, "field": "kernel", "index": True},
    {"row": 0, "field": "kernel"}, {"row": 0, "field": "kernel", "value": 3},
])
def test_anything_else_the_browser_sends_is_ignored(event):
    assert edit_of(event, FIELDS, 2) is None


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False) |
                           st.text(max_size=5), lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@given(st.one_of(json_values, st.fixed_dictionaries({"row": json_values, "field": json_values,
                                                     "index": json_values}),
                 st.fixed_dictionaries({"row": st.integers(-2, 4), "field": st.sampled_from(["kind", "kernel", "bn"]),
                                        "index": json_values | st.integers(-2, 4)})),
       st.integers(0, 3))
def test_whatever_the_browser_sends_an_edit_taken_is_an_offered_option_of_a_row_on_screen(event, rows):
    edit = edit_of(event, FIELDS, rows)
    if edit is not None:
        row, name, value = edit
        field = next(f for f in FIELDS if f.name == name)
        assert 0 <= row < rows and (row, name) == (event["row"], event["field"])
        assert type(event["index"]) is int and value == field.options[event["index"]] and event["index"] >= 0


def test_the_component_is_given_the_fields_and_the_rows():
    data = json.loads(editor_data(FIELDS, [{"kind": "conv", "kernel": 3, "bn": True, "extra": 1}], ["Block 1"],
                                  dark=True))
    assert data["fields"][1] == {"name": "kernel", "label": "Kernel", "options": [1, 3, 5],
                                 "shown": ["1×1", "3×3", "5×5"]}
    assert data["fields"][2]["shown"] is None  # a checkbox
    assert data["rows"] == [{"name": "Block 1", "values": {"kind": "conv", "kernel": 3, "bn": True}}]
    assert data["dark"] is True
    with pytest.raises(ValueError):
        editor_data(FIELDS, [{"kind": "conv", "kernel": 3, "bn": True}], [], dark=False)


def test_a_field_is_checked_when_it_is_made():
    with pytest.raises(ValueError):
        Field("kernel", "Kernel", (1, 3), ("1×1",))
    with pytest.raises(ValueError):
        Field("bn", "BN", (0, 1))


@pytest.mark.parametrize(("module", "fields", "edit", "key", "start"), [
    ("ui.lessons.depth", "layer_fields", "edit_layer", "depth_l{}", "conv-3-1-1"),
    ("ui.lessons.cnn_trainer_setup", "block_fields", "edit_block", "cnn_trainer_b{}", "16-3-relu-max-bn"),
])
def test_every_option_of_every_field_lands_in_its_row_and_nowhere_else(monkeypatch, module, fields, edit, key,
                                                                       start):
    """The lessons' edit handlers, for each field the table offers and each of its options: the row's text in the
    session changes in that field alone (read back by the lesson's own parser), the other rows not at all."""
    import importlib

    from core.block_text import parse_block
    from core.depth import parse_layer

    page = importlib.import_module(module)
    parse = parse_layer if module.endswith("depth") else lambda text: dataclasses.asdict(parse_block(text))
    columns = getattr(page, fields)()
    for field in columns:
        for option in field.options:
            state = {key.format(1): start, key.format(2): start}
            monkeypatch.setattr(page.st, "session_state", state)
            getattr(page, edit)(1, field.name, option)  # the second row
            assert state[key.format(1)] == start
            assert parse(state[key.format(2)]) == {**parse(start), field.name: option}
