"""The small grid of numbers that the step-by-step views work on: random, a patch of the digit, or typed."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.images import BUILTIN_IMAGES, crop_patch, to_gray
from core.kernel_text import KernelError, parse_kernel
from ui.shell.i18n import t, translator
from ui.shell.url_state import Choice, Number, Text, UrlParam, url_choice, url_slider, url_widget

SOURCES = ("random", "digit", "typed")
DEFAULT_GRID = "1 3 2 4; 5 6 1 2; 7 2 9 0; 3 1 4 8"
MAX_SIDE = 16
DIGIT_SIDE = 128  # the built-in digit picture's side: a patch's corner is at most this far in
GRID_LINK = {"src": Choice(SOURCES), "top": Number(0, DIGIT_SIDE, whole=True), "left": Number(0, DIGIT_SIDE,
                                                                                              whole=True),
             "grid": Text(2000)}
"""What ``grid_source`` reads from a link: where the numbers come from, the digit patch's corner, typed numbers."""


def grid_source(prefix: str, n: int, seed: int) -> np.ndarray | None:
    """Draw the source controls; return the grid (whole numbers 0..9 unless typed), or None after explaining
    what is wrong with typed numbers."""
    source = url_choice(st.selectbox, t("common.grid.source"), SOURCES, key=f"{prefix}_src", name="src",
                        default="random", format_func=translator("common.grid.source_kind."))
    if source == "random":
        return np.random.default_rng(seed).integers(0, 10, (n, n)).astype(float)
    if source == "digit":
        digit = to_gray(BUILTIN_IMAGES["digit"].load())
        top = url_slider(t("common.grid.top"), key=f"{prefix}_top", name="top", min_value=0,
                         max_value=digit.shape[0] - n, default=min(40, digit.shape[0] - n))
        left = url_slider(t("common.grid.left"), key=f"{prefix}_left", name="left", min_value=0,
                          max_value=digit.shape[1] - n, default=min(40, digit.shape[1] - n))
        return np.rint(9 * crop_patch(digit, top, left, n))  # brightness as 0..9: products can be done by hand
    text = url_widget(st.text_area, UrlParam(f"{prefix}_grid", "grid", DEFAULT_GRID, str, accepts=GRID_LINK["grid"]),
                      t("common.grid.numbers"),
                      help=t("common.grid.numbers_help", side=MAX_SIDE))
    try:
        return parse_kernel(text, max_side=MAX_SIDE)
    except KernelError as error:
        st.error(t("common.grid.error." + error.code, row=(error.row or 0) + 1, col=(error.col or 0) + 1,
                   side=MAX_SIDE), icon="🔢")
        return None
