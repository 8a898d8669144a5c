""""Show the code": an expander with a runnable NumPy/PyTorch snippet of what is on screen."""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from ui.shell.i18n import t

SNIPPET_DIR = Path(__file__).resolve().parent.parent.parent / "assets" / "snippets"
"""The "show the code" templates, one per lesson view (``<lesson>.py.tmpl``, ``<lesson>_<part>.py.tmpl``)."""


def fill_snippet(template: str, values: Mapping[str, object]) -> str:
    """Put the current parameter values into ``template``'s ``$name`` fields, as Python literals.

    ``repr`` keeps every float exactly (``0.1`` stays ``0.1``; a trained weight keeps all its digits),
    so the snippet reproduces the numbers on screen to the last digit.
    """
    return string.Template(template).substitute({name: repr(value) for name, value in values.items()})


CODE_SHOWN = "_code_shown"
"""The end of the key of a "show the code" expander (``<show_code's key>_code_shown``): True while it is open."""


def show_code(template: str, values: Mapping[str, object], *, filename: str, key: str) -> str:
    """Draw the expander with the filled-in snippet and a download button, and return the snippet.

    The snippet is drawn only while the expander is open (a rerun opens it: ``on_change="rerun"``): closed, it costs
    the browser nothing at a rerun, where a long highlighted snippet that changed with every slider cost 15 to 35 ms
    of each redraw (``bench/latency.py``)."""
    code = fill_snippet(template, values)
    shown = st.expander(t("code.show"), icon=":material/code:", key=key + CODE_SHOWN, on_change="rerun")
    if shown.open:
        with shown:
            st.caption(t("code.caption"))
            st.code(code, language="python")
            st.download_button(t("code.download"), code, file_name=filename, mime="text/x-python",
                               key=key, icon=":material/download:")
    return code
