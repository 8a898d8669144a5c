"""A page that fails shows the student a friendly message in their language; the traceback goes to
the server log for the teacher."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st
from streamlit.navigation.page import Page

from ui.shell.i18n import t

log = logging.getLogger("dlplayground")


def run_page(page: Page) -> None:
    """Run the selected page; on an unexpected error, log it and show a translated message."""
    with failure_shown(getattr(page, "url_path", "?")):
        page.run()


@contextlib.contextmanager
def failure_shown(what: str) -> Iterator[None]:
    """Around drawing ``what``: an unexpected error is logged and shown as a translated message."""
    try:
        yield
    except Exception:  # Streamlit's rerun/stop signals derive from BaseException and pass through
        log.exception("page %s failed", what)
        st.error(t("app.page_error"), icon="🛠️")
