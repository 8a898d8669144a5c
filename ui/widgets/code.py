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


def show_code(template: str, values: Mapping[str, object], *, filename: str, key: str) -> str:
    """Draw the expander with the filled-in snippet and a download button; return the snippet."""
    code = fill_snippet(template, values)
    with st.expander(t("code.show"), icon=":material/code:"):
        st.caption(t("code.caption"))
        st.code(code, language="python")
        st.download_button(t("code.download"), code, file_name=filename, mime="text/x-python",
                           key=key, icon=":material/download:")
    return code
