"""``ui.widgets.row_editor``: what the browser sends is taken only when it is an edit of a row and field on screen
to one of the field's options (property-tested), and the component is given the rows as they are."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.widgets.row_editor import Field, edit_of, editor_data

FIELDS = [Field("kind", "Kind", ("conv", "pool"), ("convolution", "pooling")),
          Field("kernel", "Kernel", (1, 3, 5), ("1×1", "3×3", "5×5")),
          Field("bn", "BN")]


def test_an_edit_of_a_row_on_screen_to_an_offered_value_is_taken():
    assert edit_of({"row": 1, "field": "kernel", "value": 5}, FIELDS, 2) == (1, "kernel", 5)
    assert edit_of({"row": 0, "field": "kind", "value": "pool"}, FIELDS, 2) == (0, "kind", "pool")
    assert edit_of({"row": 0, "field": "bn", "value": False}, FIELDS, 1) == (0, "bn", False)


@pytest.mark.parametrize("event", [
    None, "edit", [], {}, {"row": 2, "field": "kernel", "value": 5},  # a row that is not on screen
    {"row": -1, "field": "kernel", "value": 5}, {"row": True, "field": "kernel", "value": 5},
    {"row": 0.0, "field": "kernel", "value": 5}, {"row": 0, "field": "stride", "value": 1},
    {"row": 0, "field": "kernel", "value": 4}, {"row": 0, "field": "kernel", "value": "3"},
    {"row": 0, "field": "kernel", "value": 3.0}, {"row": 0, "field": "bn", "value": 1},
    {"row": 0, "field": "kernel", "value": True}, {"row": 0, "field": "kernel"},
])
def test_anything_else_the_browser_sends_is_ignored(event):
    assert edit_of(event, FIELDS, 2) is None


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False) |
                           st.text(max_size=5), lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@given(st.one_of(json_values, st.fixed_dictionaries({"row": json_values, "field": json_values,
                                                     "value": json_values}),
                 st.fixed_dictionaries({"row": st.integers(-2, 4), "field": st.sampled_from(["kind", "kernel", "bn"]),
                                        "value": json_values | st.sampled_from(["conv", "pool", 1, 3, 5])})),
       st.integers(0, 3))
def test_whatever_the_browser_sends_an_edit_taken_is_an_offered_value_of_a_row_on_screen(event, rows):
    edit = edit_of(event, FIELDS, rows)
    if edit is not None:
        row, name, value = edit
        field = next(f for f in FIELDS if f.name == name)
        assert 0 <= row < rows and value in field.options and type(value) is type(event["value"])
        assert (row, name, value) == (event["row"], event["field"], event["value"])


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
