"""Every page runs through app.py, even the first request after the server starts."""

from __future__ import annotations

import streamlit as st


def require_entry_point() -> None:
    """Call first in every page script.

    A project with a ``pages/`` folder starts in Streamlit's older multipage mode: until some run of app.py
    has called ``st.navigation``, a request for ``/convolution`` executes ``pages/convolution.py`` alone,
    without app.py (no language, no sidebar switch, no navigation). Only the first request after a server
    start can hit this. Switch that mode off and rerun: the rerun goes through app.py, and because every
    page's ``url_path`` is its file name, it lands on the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
