"""Activation functions: the nonlinearity without which any number of layers is one straight line."""

import streamlit as st

from ui.act_parts import (
    PARTS,
    part_collapse,
    part_feature,
    part_fit,
    part_gallery,
    part_neuron,
    part_quiz,
    part_vanishing,
)
from ui.entry import require_entry_point
from ui.i18n import t, translator
from ui.url_state import url_choice

require_entry_point()

st.title(t("act.title"))
st.markdown(t("act.intro"))
part = url_choice(st.segmented_control, t("conv.part_label"), PARTS, key="act_part", name="part", default="gallery",
                  format_func=translator("act.part."))
st.divider()
RENDER = {"gallery": part_gallery, "neuron": part_neuron, "collapse": part_collapse, "fit": part_fit,
          "vanishing": part_vanishing, "feature": part_feature, "quiz": part_quiz}
RENDER[part]()
