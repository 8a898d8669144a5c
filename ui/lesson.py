"""The frame every multi-part lesson shares: title, introduction, a part picker in the URL, the chosen part."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from ui.i18n import t, translator
from ui.url_state import url_choice


def lesson_page(title_key: str, intro_key: str, part_labels: str, key: str,
                parts: Mapping[str, Callable[[], None]]) -> None:
    """Draw the title, the introduction and the part named by ``?part=`` (the first part by default).

    ``part_labels`` is the catalogue prefix of the parts' names; ``key`` the picker's (page-prefixed) widget key.
    """
    st.title(t(title_key))
    st.markdown(t(intro_key))
    names = list(parts)
    part = url_choice(st.segmented_control, t("conv.part_label"), names, key=key, name="part", default=names[0],
                      format_func=translator(part_labels))
    st.divider()
    parts[part]()
