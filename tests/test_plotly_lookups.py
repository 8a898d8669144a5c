"""plotly's look-up of an optional module (``get_module(name, should_load=False)``) while another thread is still
importing that module: with ``ui.plots`` imported it waits for the import and gets the whole module, not the
half-made one that made a figure fail when sessions started together (``ui.plots.settle_plotly_lookups``)."""

from __future__ import annotations

import builtins
import importlib
import sys
import threading

import ui.plots  # noqa: F401  (settles plotly's look-ups)

SLOW = "dlp_slow_module_for_test"


def test_a_module_another_thread_is_importing_is_waited_for(tmp_path, monkeypatch):
    from _plotly_utils.optional_imports import get_module

    (tmp_path / f"{SLOW}.py").write_text(
        "import builtins\nbuiltins.dlp_started.set()\nbuiltins.dlp_release.wait(30)\nSeries = 'complete'\n")
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(builtins, "dlp_started", started, raising=False)
    monkeypatch.setattr(builtins, "dlp_release", release, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    importer = threading.Thread(target=importlib.import_module, args=(SLOW,))
    importer.start()
    try:
        assert started.wait(30)
        assert SLOW in sys.modules and not hasattr(sys.modules[SLOW], "Series")  # half-made, as plotly used to see it
        threading.Timer(0.2, release.set).start()
        assert get_module(SLOW, should_load=False).Series == "complete"
        assert get_module("dlp_no_such_module", should_load=False) is None
    finally:
        release.set()
        importer.join(30)
        sys.modules.pop(SLOW, None)



def test_figures_are_built_without_plotlys_default_template_and_written_with_the_apps():
    """``figure`` and ``FramedFigure`` give their layout an empty template (``untemplated``), so plotly copies no
    default into them, and leave plotly's default as Streamlit set it; a figure is written with the app's template."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    from ui.plots.animation import FramedFigure
    from ui.plots.charts import figure
    from ui.plots.kept import chart_template, figure_json
    from ui.shell.modes import base_font_px
    from ui.shell.theme import LIGHT

    assert pio.templates.default == "streamlit"  # st.plotly_chart's theme, untouched
    assert go.Figure(go.Bar(y=[1])).to_dict()["layout"]["template"]  # plotly copies the default in …
    for built in (figure(go.Bar(y=[1, 2]), layout=dict(height=200)), figure(go.Bar(y=[1])),
                  FramedFigure(data=[go.Bar(y=[1])], raw_frames=[dict(name="0", data=[dict(type="bar", y=[2])])])):
        assert built.to_dict()["layout"]["template"] == {}  # … not into ours
        written = json.loads(figure_json(built, False, LIGHT))["layout"]["template"]
        assert written == json.loads(json.dumps(chart_template(LIGHT, False, base_font_px())))
