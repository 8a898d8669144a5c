"""Shared Streamlit and plotly pieces: translations, URL state, figures, theme, "show the code"."""
