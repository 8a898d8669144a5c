"""The live CNN trainer: build a network, train it on real data in this session, and look at what it learned."""

import streamlit as st

from ui.entry import require_entry_point
from ui.i18n import t
from ui.trainer_parts import part_trainer

require_entry_point()

st.title(t("cnn.title"))
st.markdown(t("cnn.intro"))
part_trainer()
