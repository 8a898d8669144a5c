"""What a ``ui.widgets.row_editor`` table shows in AppTest: its fields and rows as the component is given them."""

from __future__ import annotations

import json

from tests.helpers.figures import _key, elements


def editor_keys(at) -> list[str | None]:
    """The key of each row editor on the page, in order."""
    return [_key(e.proto.id) for e in elements(at, "bidi_component") if e.proto.component_name.endswith("row_editor")]


def editor(at, key: str) -> dict:
    """The table drawn with ``key``: ``{"fields": [{name, label, options, shown}], "rows": [{name, values}], "dark"}``;
    fails unless there is exactly one."""
    found = [json.loads(e.proto.bytes) for e in elements(at, "bidi_component")
             if e.proto.component_name.endswith("row_editor") and _key(e.proto.id) == key]
    assert len(found) == 1, f"{len(found)} row editors drawn with key {key!r}"
    return found[0]


def shown_rows(at, key: str) -> list[dict]:
    """Each row's values, as the table shows them."""
    return [row["values"] for row in editor(at, key)["rows"]]
