"""The reference network, trained once per server and shared read-only by every session (a few seconds)."""

from __future__ import annotations

import streamlit as st


@st.cache_resource(show_spinner=False)
def reference_network():
    """``core.reference.train_reference()``: the trainer's default CNN trained on the offline digits, in eval mode,
    and its test accuracy. Nobody trains it in place: lessons only read it."""
    from core.reference import train_reference

    return train_reference()
