"""Pooling: the second way to shrink data, which cuts computation and tolerates small shifts."""

import streamlit as st

from ui.entry import require_entry_point
from ui.i18n import t, translator
from ui.pool_parts import PARTS, part_global, part_image, part_quiz, part_shift, part_steps
from ui.url_state import url_choice

require_entry_point()

st.title(t("pool.title"))
st.markdown(t("pool.intro"))
part = url_choice(st.segmented_control, t("conv.part_label"), PARTS, key="pool_part", name="part", default="steps",
                  format_func=translator("pool.part."))
st.divider()
RENDER = {"steps": part_steps, "image": part_image, "shift": part_shift, "global": part_global, "quiz": part_quiz}
RENDER[part]()
