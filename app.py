"""Entry point: page config, the sidebar's switches (language, level, projector mode), and navigation over the
lesson pages."""

import streamlit as st

from ui.shell.classroom import class_sidebar
from ui.shell.errors import run_page
from ui.shell.i18n import LANG_KEY, LANGUAGES, current_language, resolve_language, t
from ui.shell.modes import mode_switches, present_style, presenting
from ui.shell.registry import menu
from ui.shell.theme import is_dark
from ui.shell.url_state import shown

# The language: ?lang= if valid, else the browser locale, else English; then the sidebar switch owns it.
if LANG_KEY not in st.session_state:
    requested = st.query_params.get(LANG_KEY)
    st.session_state[LANG_KEY], rejected = resolve_language(requested, st.context.locale)
    if rejected:
        st.toast(t("url.bad_lang", value=shown(requested, 20)), icon="⚠️")

with st.sidebar:
    st.segmented_control(t("app.language"), list(LANGUAGES), key=LANG_KEY, format_func=LANGUAGES.get,
                         required=True)
    mode_switches()
if st.query_params.get(LANG_KEY) != current_language():
    st.query_params[LANG_KEY] = current_language()  # keep ?lang in every shared link

page = st.navigation({
    t(section): [st.Page(spec.script, title=t(spec.title_key), icon=spec.icon, url_path=spec.url_path,
                         default=spec.default) for spec in specs]
    for section, specs in menu().items()
})
st.set_page_config(page_title=f"{page.title} · {t('app.title')}", page_icon="🧠", layout="wide",
                   initial_sidebar_state="collapsed" if presenting() else "auto")
if presenting():
    present_style(is_dark())
with st.sidebar:
    class_sidebar(page.url_path)
run_page(page)
