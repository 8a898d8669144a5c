"""The drawing pad (``streamlit_drawable_canvas``): a black square to draw on with the mouse or a finger, a button that
clears it, and what was drawn read back through the checked path (``core.images.decode_pad_data_url``)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.shell.i18n import t

PAD_MESSAGES = {"too_big_file": "decompression_bomb"}
"""Refusals whose upload message does not fit the pad (it names the 10 MB upload limit) -> the message shown."""


def clear_pad(key: str) -> None:
    """A new, empty pad ``key``: the canvas is keyed by a counter, so a new key draws a fresh one (also the callback
    of a button that sends the drawing)."""
    st.session_state[f"{key}_pads"] = st.session_state.get(f"{key}_pads", 0) + 1


def drawing_pad(key: str) -> np.ndarray | None:
    """The pad ``key`` and its clear button; the drawing as grey ``(H, W)`` in [0, 1] (white ink on black), or None
    while nothing is drawn."""
    from streamlit_drawable_canvas import st_canvas

    from core.images import PAD_SIDE

    pad = st.session_state.get(f"{key}_pads", 0)
    try:
        result = st_canvas(stroke_width=22, stroke_color="#FFFFFF", background_color="#000000", height=PAD_SIDE,
                           width=PAD_SIDE, drawing_mode="freedraw", key=f"{key}_canvas_{pad}",
                           return_image_data=True)
    except (AttributeError, KeyError, TypeError):  # st_canvas reading a value of the wrong shape sent for the pad
        result = None
    st.button(t("common.pad.clear"), on_click=clear_pad, args=(key,), icon=":material/ink_eraser:",
              key=f"{key}_clear")
    return pad_picture(result)


def pad_picture(result) -> np.ndarray | None:
    """What ``st_canvas`` returned, read as the drawing (grey ``(H, W)`` in [0, 1], white ink on black), or None
    while the pad is empty or when what came back is refused (the student is told why). The PNG data URL is read
    raw and decoded only by ``core.images.decode_pad_data_url``: ``CanvasResult.image_data`` would hand text that the
    browser controls to Pillow with its default limits and any format."""
    from core.images import ImageError, decode_pad_data_url
    from ui.widgets.image_input import show_image_error

    url = getattr(result, "_image_data_url", None)  # CanvasResult keeps the data URL the canvas sent there
    if url is None:
        return None
    try:
        gray = decode_pad_data_url(url)
    except ImageError as error:
        show_image_error(error, PAD_MESSAGES.get(error.code))
        return None
    return gray if gray.max() > 0.05 else None
