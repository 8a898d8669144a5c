"""The chart that stays on the page (``ui.plots.kept``): what the component is given, what a click it reports is
taken for, the one loader of plotly.js per page with charts, and a chart's identity across reruns (so the browser
redraws it in place; ``tests/test_browser.py`` checks the node itself stays)."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import PAGE_PARTS, PAGES, lesson_app, plotly_array
from tests.helpers.figures import charts, elements
from ui.plots.kept import chart_payload, point_of

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)
"""Anything a browser can send as JSON."""


@given(config=st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5), figure=JSON_VALUES,
       src=st.text(max_size=30), clicks=st.booleans())
def test_the_payload_is_the_json_of_its_parts_with_the_figure_spliced_in(config, figure, src, clicks):
    payload = chart_payload(json.dumps(figure).encode(), src, config, clicks)
    assert isinstance(payload, bytes)
    assert json.loads(payload.decode()) == {"src": src, "config": config, "clicks": clicks, "figure": figure}


@given(value=JSON_VALUES)
def test_a_click_is_a_point_only_when_it_names_x_and_y(value):
    point = point_of({"click": value})
    if isinstance(value, dict) and {"x", "y"} <= value.keys():
        assert point == value
    else:
        assert point is None


@pytest.mark.parametrize("state", [None, 3, "click", [], {"click": None}, {"other": {"x": 1, "y": 2}}])
def test_no_click_without_a_component_state_that_holds_one(state):
    assert point_of(state) is None


def test_a_click_keeps_what_plotly_reports():
    clicked = {"x": 1.5, "y": -0.25, "customdata": ["gradients"], "curve": 2}
    assert point_of({"click": clicked, "some_state": 1}) == clicked


@pytest.mark.parametrize("spec", PAGES, ids=[spec.url_path for spec in PAGES])
def test_a_page_loads_plotly_early_exactly_when_it_draws_charts(spec):
    """The registry's ``charts`` says whether a page draws charts; such a page starts loading plotly.js once, from
    its sidebar, before its first chart; a page without charts does not load it at all."""
    drawn = loaders = 0
    for lesson, part in PAGE_PARTS:
        if lesson is not spec:
            continue
        at = lesson_app(spec, {"part": part} if part else {})
        drawn += len(charts(at))
        loaders += sum("loadPlotly(" in h.proto.body for h in at.sidebar.get("html"))
        assert not [h for h in at.main.get("html") if "loadPlotly(" in h.proto.body]
    views = sum(lesson is spec for lesson, _ in PAGE_PARTS)
    assert loaders == (views if spec.charts else 0)
    assert (drawn > 0) == spec.charts


def test_a_keyed_chart_keeps_its_identity_when_its_figure_changes():
    """The home loop's chart has the same element id before and after a move of the steps slider, though its
    figure changed: the browser's component is handed the new figure and redraws in place (``Plotly.react``)."""
    home = next(spec for spec in PAGES if spec.name == "home")
    at = lesson_app(home)
    before = next(c for c in charts(at) if c.key == "home_flow")
    before_id = next(e.proto.id for e in elements(at, "bidi_component") if e.proto.id.endswith("home_flow"))
    at.slider(key="home_steps").set_value(5).run()
    after = next(c for c in charts(at) if c.key == "home_flow")
    assert before.spec != after.spec
    assert next(e.proto.id for e in elements(at, "bidi_component") if e.proto.id.endswith("home_flow")) == before_id



def _same_json(ours, plotlys, path="figure"):
    """Equal JSON trees, a number equal to float32 precision (orjson writes a float32 array's shortest form, ``0.1``;
    plotly writes it widened, ``0.10000000149011612``), an array equal whether it is written as a list or as a
    typed array (plotly writes every array typed; ``figure_json`` a short one as a list)."""
    import numpy as np

    typed = [isinstance(v, dict) and "bdata" in v for v in (ours, plotlys)]
    if any(typed):
        # not finite: a gap either way (null in a list, NaN or ±inf in a typed array)
        mine, theirs = (np.where(np.isfinite(a), a, np.nan) for a in (plotly_array(ours), plotly_array(plotlys)))
        assert mine.shape == theirs.shape, path
        np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=0, err_msg=path)
        return
    if isinstance(plotlys, dict):
        assert isinstance(ours, dict) and ours.keys() == plotlys.keys(), path
        for key in plotlys:
            _same_json(ours[key], plotlys[key], f"{path}.{key}")
    elif isinstance(plotlys, list):
        assert isinstance(ours, list) and len(ours) == len(plotlys), path
        for n, (a, b) in enumerate(zip(ours, plotlys, strict=True)):
            _same_json(a, b, f"{path}[{n}]")
    elif isinstance(plotlys, float) and not isinstance(plotlys, bool):
        assert isinstance(ours, int | float) and ours == pytest.approx(plotlys, rel=1e-7, abs=0), path
    else:
        assert ours == plotlys and type(ours) is type(plotlys), path


def test_the_figure_json_is_what_plotly_writes():
    """``figure_json`` (orjson, no HTML escaping) reads back as plotly's ``to_json`` of the same figure does: typed
    arrays, a frame's plain float32 arrays with NaN and infinity (null), text arrays, a view that is not contiguous,
    numpy scalars, text that HTML would escape."""
    import numpy as np
    import plotly.graph_objects as go
    import plotly.io as pio

    from ui.plots.charts import figure
    from ui.plots.kept import chart_template, figure_json
    from ui.shell.modes import base_font_px
    from ui.shell.theme import LIGHT

    z = np.arange(24, dtype=np.float64).reshape(4, 6) / 7  # 24 numbers: a typed array
    lit = np.array([[np.nan, 0.1, np.inf], [-np.inf, 1 / 3, 2.5]], dtype=np.float32)
    fig = figure(data=[go.Heatmap(z=z.astype(np.float32), text=np.array([["a", "</script>", "", "b", "c", "d"]] * 4)),
                       dict(type="scatter", x=z[:, ::2][0], y=np.float64(2.5) * np.ones(3), name="<b>x & y</b>",
                            customdata=np.arange(20, dtype=np.int64))],
                 layout=dict(height=np.int64(300), title=dict(text="a/b <i>c</i> \u2028")),
                 frames=[dict(name="(0, 1)", data=[dict(type="heatmap", z=lit, text=[["1×2"]])], traces=[0])])
    pal = LIGHT
    ours = json.loads(figure_json(fig, False, pal))
    spec = fig.to_dict()
    spec["layout"]["template"] = chart_template(pal, False, base_font_px())
    plotlys = json.loads(pio.to_json(spec, validate=False, engine="json"))
    _same_json(ours, plotlys)
    plain = json.loads(figure_json({"data": [dict(type="heatmap", z=lit)], "frames": spec["frames"]}, False, pal))
    assert plain["data"][0]["z"] == [[None, pytest.approx(0.1), None], [None, pytest.approx(1 / 3), 2.5]]


def test_arrays_without_a_typed_array_spec_go_as_lists():
    """Booleans, float16 and integers too large for plotly.js's typed arrays are written as JSON lists by orjson's
    own path (``_plain``), not handed back to it as arrays (which sent the whole figure through plotly's slower
    writer)."""
    import numpy as np

    from ui.plots.kept import _plain

    flags = np.arange(20) > 5
    assert _plain(flags) == flags.tolist()
    assert _plain(np.full(20, 2**63, dtype=np.uint64)) == [2**63] * 20
    assert _plain(np.ones(20, dtype=np.float16)) == [1.0] * 20
    assert _plain(np.arange(20, dtype=np.int64))["dtype"] == "i1"  # and the rest as typed arrays, as before
