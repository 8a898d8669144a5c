"""Convolution: from the integral to the kernel sliding over an image, and why CNNs are built on it."""

import streamlit as st

from ui.conv_parts import PARTS, part_channels, part_image, part_integral, part_quiz, part_steps, part_why
from ui.entry import require_entry_point
from ui.i18n import t, translator
from ui.url_state import url_choice

require_entry_point()

st.title(t("conv.title"))
st.markdown(t("conv.intro"))
part = url_choice(st.segmented_control, t("conv.part_label"), PARTS, key="conv_part", name="part",
                  default="integral", format_func=translator("conv.part."))
st.divider()
RENDER = {"integral": part_integral, "image": part_image, "steps": part_steps, "channels": part_channels,
          "why": part_why, "quiz": part_quiz}
RENDER[part]()
