"""Picking a kernel: one of ``core.conv.KERNELS``, or a custom grid of numbers typed by the student."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.conv import KERNELS
from core.kernel_text import MAX_KERNEL_SIDE, KernelError, format_kernel, kernel_from_cells, parse_kernel
from ui.shell.i18n import t, translator
from ui.shell.url_state import Choice, Text, UrlParam, check_declared, shown, url_choice, write_to_url

CUSTOM = "custom"
DEFAULT_CUSTOM = "0 -1 0; -1 5 -1; 0 -1 0"
KERNEL_LINK = {"kernel": Choice([*KERNELS, CUSTOM]), "kw": Text(400)}
"""What ``kernel_picker`` reads from a link: the kernel's name, and a custom kernel's numbers."""


def _resized(w: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``w`` cropped or zero-padded at the bottom and right to rows × cols."""
    out = np.zeros((rows, cols))
    r, c = min(rows, w.shape[0]), min(cols, w.shape[1])
    out[:r, :c] = w[:r, :c]
    return out


def kernel_picker(key: str, default: str = "sobel_x") -> np.ndarray | None:
    """The chosen kernel's weights, or None (with a message naming the bad cell) if a custom cell is unusable."""
    name = url_choice(st.selectbox, t("kernel.label"), [*KERNELS, CUSTOM], key=f"{key}_kernel", name="kernel",
                      default=default, format_func=translator("kernel.name."))
    if name != CUSTOM:
        st.caption(t("kernel.desc." + name))
        return np.asarray(KERNELS[name].weights)

    param = UrlParam(f"{key}_w", "kw", DEFAULT_CUSTOM, lambda raw: format_kernel(parse_kernel(raw)),
                     accepts=KERNEL_LINK["kw"])
    check_declared(param.name, param.accepts)
    last = f"{key}_w_last"
    if last not in st.session_state:
        raw = st.query_params.get(param.name)
        value, rejected = param.parse(raw)
        if rejected:
            st.toast(t("url.bad_value", name=param.name, value=shown(raw), default=value), icon="⚠️")
        st.session_state[last] = parse_kernel(value)
    base = st.session_state[last]
    size_rows, size_cols = st.columns(2)
    rows = size_rows.number_input(t("kernel.rows"), 1, MAX_KERNEL_SIDE, base.shape[0], key=f"{key}_rows")
    cols = size_cols.number_input(t("kernel.cols"), 1, MAX_KERNEL_SIDE, base.shape[1], key=f"{key}_cols")
    grid = _resized(base, int(rows), int(cols))
    table = pd.DataFrame([[_cell(v) for v in row] for row in grid], columns=[str(c) for c in range(int(cols))])
    edited = st.data_editor(table, key=f"{key}_grid_{rows}x{cols}_{format_kernel(grid)}", hide_index=True,
                            column_config={c: st.column_config.TextColumn(c, width="small") for c in table.columns})
    st.caption(t("kernel.custom_help"))
    try:
        w = kernel_from_cells(edited.to_numpy().tolist())
    except KernelError as error:
        st.error(t("kernel.error." + error.code, row=(error.row or 0) + 1, col=(error.col or 0) + 1), icon="🔢")
        return None
    st.session_state[last] = w
    write_to_url(param, format_kernel(w))
    return w


def _cell(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.6g}"
