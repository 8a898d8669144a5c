"""An experiment that trains networks runs only when the student asks: a button first, then the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from ui.shell.i18n import t

T = TypeVar("T")


def _ask(key: str) -> None:
    st.session_state[f"{key}_run"] = True


def measured_on_request(key: str, texts: str, compute: Callable[[], T]) -> T | None:
    """Until the student presses the button ``<key>_button``: the button and a note, and None. Afterwards (the
    session remembers ``<key>_run``): ``compute()`` under a spinner (the caller caches it per server). The labels are
    the catalogue's ``<texts>run``, ``<texts>press`` and ``<texts>running`` (``texts`` ends with a dot)."""
    if not st.session_state.get(f"{key}_run"):
        st.button(t(texts + "run"), type="primary", key=f"{key}_button", icon=":material/science:", on_click=_ask,
                  args=(key,))
        st.info(t(texts + "press"), icon="🧪")
        return None
    with st.spinner(t(texts + "running")):
        return compute()
