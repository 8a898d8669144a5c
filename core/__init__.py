"""The math of the lessons: pure functions over NumPy arrays and torch tensors.

Nothing here imports streamlit, plotly or ``ui``; every function is testable without a browser.
"""
