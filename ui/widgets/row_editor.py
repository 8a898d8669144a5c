"""``row_editor``: a table of choices, one row per item (a layer, a conv block), one field per column, drawn by one
component (``row_editor.js``) with the browser's own ``<select>`` and checkbox controls.

Why not a row of Streamlit selectboxes: each is an element Streamlit sends again and React draws again at every rerun
of the part around it, changed or not. The depth lesson's stack of 7 layers was 28 of them; without them a press of
the layer count answered in 108 ms instead of 152 against a 67-76 ms floor (``bench/latency.py``, same session). The
native controls are also the phone's own pickers.

The table only shows: what a row holds lives in the page's own state (its link parameter, ``ui.shell.url_state``),
and an edit in the browser comes back as an event, ``{row, field, index}``, that ``edit_of`` checks against the
fields and rows on screen before ``on_edit`` takes it (the browser can send anything).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

from ui.shell.theme import is_dark


@dataclass(frozen=True)
class Field:
    """One column: ``name`` (the key in a row's values), its ``label`` (the header and each control's accessible
    name), its ``options`` (JSON values: numbers or text) and what each is ``shown`` as; ``shown=None``: a checkbox
    for ``(False, True)``."""

    name: str
    label: str
    options: tuple[Any, ...] = (False, True)
    shown: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.shown is None and not (self.options == (False, True) and all(type(o) is bool for o in self.options)):
            raise ValueError(f"field {self.name!r}: a checkbox holds (False, True), not {self.options!r}")
        if self.shown is not None and len(self.shown) != len(self.options):
            raise ValueError(f"field {self.name!r}: {len(self.options)} options shown as {len(self.shown)} labels")


Edit = tuple[int, str, Any]
"""A checked edit: the row (from 0), the field's name, the new value (one of the field's options)."""


def edit_of(event: object, fields: Sequence[Field], rows: int) -> Edit | None:
    """The browser's ``event`` as an edit of one of ``rows`` rows, or None when it is not one: a dict with an int
    ``row`` in range, a known ``field`` and the ``index`` (an int, not a bool) of one of that field's options (a
    checkbox: 0 or 1); the edit holds the option itself, from the field, whatever its type."""
    if not isinstance(event, Mapping):
        return None
    row, name, index = event.get("row"), event.get("field"), event.get("index")
    if type(row) is not int or not 0 <= row < rows or type(index) is not int:
        return None
    field = next((f for f in fields if f.name == name), None)
    if field is None or not 0 <= index < len(field.options):
        return None
    return row, field.name, field.options[index]


def editor_data(fields: Sequence[Field], rows: Sequence[Mapping[str, Any]], names: Sequence[str],
                dark: bool) -> bytes:
    """What the component is given, as UTF-8 JSON bytes (Streamlit passes bytes on as they are)."""
    if len(rows) != len(names):
        raise ValueError(f"{len(rows)} rows and {len(names)} names")
    return json.dumps({
        "fields": [{"name": f.name, "label": f.label, "options": list(f.options),
                    "shown": None if f.shown is None else list(f.shown)} for f in fields],
        "rows": [{"name": name, "values": {f.name: row[f.name] for f in fields}}
                 for name, row in zip(names, rows, strict=True)],
        "dark": dark}, ensure_ascii=False).encode()


HOLDER = '<div class="dlp-row-editor-frame"><div class="dlp-row-editor"></div></div>'
"""The table's place, there before its script runs (the script fills it)."""


@cache
def _component() -> Any:
    here = Path(__file__).parent
    return st.components.v2.component("row_editor", html=HOLDER,
                                      js=(here / "row_editor.js").read_text(),
                                      css=(here / "row_editor.css").read_text(),
                                      isolate_styles=False)  # the page's font and theme variables


def row_editor(key: str, fields: Sequence[Field], rows: Sequence[Mapping[str, Any]], names: Sequence[str],
               on_edit: Callable[[int, str, Any], None]) -> None:
    """Show ``rows`` (each a mapping of the fields' names to values), named ``names``, as a table under the fields'
    labels. A change in the browser calls ``on_edit(row, field, value)`` before the rerun, once ``edit_of`` has
    checked it against these fields and this many rows; anything else the browser sends is ignored."""
    count = len(rows)

    def edited() -> None:
        state = st.session_state.get(key)
        edit = edit_of(state.get("edit") if isinstance(state, Mapping) else None, fields, count)
        if edit is not None:
            on_edit(*edit)

    _component()(key=key, data=editor_data(fields, rows, names, is_dark()), on_edit_change=edited)
