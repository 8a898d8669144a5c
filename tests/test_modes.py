"""The level (beginner / expert) and projector mode: what each hides or enlarges, that a link carries them, and that
a link draws the same figure at either level."""

import copy

import plotly.graph_objects as go
import pytest

from tests.conftest import assert_clean, lesson_app, plotly_array
from tests.helpers.figures import chart, charts
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.modes import FONT_SCALE, LINE_SCALE, MARKER_SCALE, PLOTLY_FONT, PLOTLY_LINE, PLOTLY_MARKER, projected
from ui.shell.registry import CONVOLUTION, GRADIENT_DESCENT, TENSORS


def test_projected_scales_every_font_line_and_marker_and_leaves_the_figure_alone():
    figure = go.Figure([go.Scatter(x=[0, 1], y=[1, 2], mode="lines+markers", name="a"),
                        go.Scatter(x=[0, 1], y=[2, 3], mode="lines", line=dict(width=3)),
                        go.Scatter(x=[0, 1], y=[3, 4], mode="markers", marker=dict(size=[4, 10])),
                        go.Heatmap(z=[[1, 2]], textfont=dict(size=10))],
                       layout=dict(title=dict(text="t", font=dict(size=15)), height=300, margin=dict(t=40),
                                   annotations=[dict(text="n", font=dict(size=11))],
                                   xaxis=dict(tickfont=dict(size=8))),
                       frames=[go.Frame(data=[go.Scatter(x=[0], y=[0], mode="lines")])])
    spec = figure.to_plotly_json()
    before = copy.deepcopy(spec)
    shown = projected(spec)
    assert spec == before
    layout = shown["layout"]
    assert layout["font"]["size"] == PLOTLY_FONT * FONT_SCALE == 18
    assert layout["title"]["font"]["size"] == 15 * FONT_SCALE
    assert layout["annotations"][0]["font"]["size"] == 11 * FONT_SCALE
    assert layout["xaxis"]["tickfont"]["size"] == 8 * FONT_SCALE
    assert layout["height"] == 360 and layout["margin"]["t"] == 40 * FONT_SCALE
    first, second, third, heatmap = shown["data"]
    assert first["line"]["width"] == PLOTLY_LINE * LINE_SCALE
    assert first["marker"]["size"] == PLOTLY_MARKER * MARKER_SCALE
    assert second["line"]["width"] == 3 * LINE_SCALE and "marker" not in second
    assert third["marker"]["size"] == [4 * MARKER_SCALE, 10 * MARKER_SCALE] and "line" not in third
    assert heatmap["textfont"]["size"] == 10 * FONT_SCALE and "line" not in heatmap and "marker" not in heatmap
    assert shown["frames"][0]["data"][0]["line"]["width"] == PLOTLY_LINE * LINE_SCALE


def _slider_keys(at) -> set[str]:
    return {s.key for s in at.slider}


def _in_more_controls(at, lang: str) -> set[str]:
    """The keys of the widgets folded under "More controls"."""
    label = translate("modes.more_controls", lang)
    folded = set()
    for expander in at.expander:
        if expander.label == label:
            folded |= {w.key for w in expander.slider} | {w.key for w in expander.toggle}
    return folded


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_beginner_sees_the_main_controls_and_the_rest_folded_away(lang):
    query = {"part": "steps"}
    beginner = lesson_app(CONVOLUTION, query, lang)
    expert = lesson_app(CONVOLUTION, {**query, "level": "expert"}, lang)
    assert_clean(beginner)
    assert_clean(expert)
    folded = _in_more_controls(beginner, lang)
    assert {"convolution_ss", "convolution_sp", "convolution_sd", "convolution_seed"} <= folded
    assert {"convolution_sn", "convolution_sk", "convolution_cell"}.isdisjoint(folded)
    assert _in_more_controls(expert, lang) == set()
    assert _slider_keys(beginner) == _slider_keys(expert)  # folded, not gone: each keeps its value


@pytest.mark.parametrize(("lesson", "query", "key"), [
    (CONVOLUTION, {"part": "image", "s": "2", "d": "2", "flip": "1"}, None),
    (CONVOLUTION, {"part": "steps", "s": "2", "p": "1", "seed": "7"}, "convolution_steps_fig"),
    (GRADIENT_DESCENT, {"part": "two_d", "methods": "sgd,adagrad", "steps": "120"}, "gradient_descent_loss_fig"),
    (TENSORS, {"part": "memory", "dtype": "float64"}, None),
])
def test_an_expert_link_draws_the_same_figures_for_a_beginner(lesson, query, key):
    """The settings a beginner does not see still come from the link: every figure is the same at either level."""
    expert = lesson_app(lesson, {**query, "level": "expert"})
    beginner = lesson_app(lesson, query)
    assert_clean(expert)
    assert_clean(beginner)
    assert [c.spec for c in charts(beginner)] == [c.spec for c in charts(expert)]
    assert {k: v for k, v in beginner.query_params.items() if k != "level"} == {
        k: v for k, v in expert.query_params.items() if k != "level"}
    if key is not None:
        assert any(c.key == key for c in charts(beginner))


def test_the_level_and_projector_mode_travel_in_the_link_and_a_bad_value_falls_back():
    at = lesson_app(CONVOLUTION, {"part": "steps", "level": "expert", "present": "1"})
    assert at.session_state["level"] == "expert" and at.session_state["present"] is True
    assert at.query_params["level"] == "expert" and at.query_params["present"] == "1"
    at = lesson_app(CONVOLUTION, {"part": "steps", "level": "guru", "present": "maybe"})
    assert_clean(at)
    assert at.session_state["level"] == "beginner" and at.session_state["present"] is False
    assert "level" not in at.query_params and "present" not in at.query_params
    assert len(at.toast) == 2


def test_projector_mode_enlarges_every_figure_of_the_page():
    query = {"part": "two_d"}
    plain = lesson_app(GRADIENT_DESCENT, query)
    shown = lesson_app(GRADIENT_DESCENT, {**query, "present": "1"})
    assert_clean(shown)
    before, after = charts(plain), charts(shown)
    assert len(before) == len(after) > 0
    for a, b in zip(before, after, strict=True):
        assert b.layout["font"]["size"] == a.layout.get("font", {}).get("size", PLOTLY_FONT) * FONT_SCALE
        assert b.spec["data"][0].keys() == a.spec["data"][0].keys() | ({"line", "marker"} & b.spec["data"][0].keys())
    loss = chart(shown, key="gradient_descent_loss_fig")
    assert all(trace["line"]["width"] >= PLOTLY_LINE * LINE_SCALE for trace in loss.traces)
    assert any("font-size" in h.proto.body for h in shown.get("html"))  # the page's own text, larger
    assert not any("font-size" in h.proto.body for h in plain.get("html"))


def test_projected_scales_marker_sizes_given_as_an_array_and_shares_the_data_it_does_not_change():
    import numpy as np

    z = np.arange(6.0).reshape(2, 3)
    spec = go.Figure([go.Scatter(x=[0, 1], y=[0, 1], mode="markers", marker=dict(size=np.array([4.0, 10.0]))),
                      go.Heatmap(z=z)]).to_plotly_json()
    shown = projected(spec)
    assert np.array_equal(shown["data"][0]["marker"]["size"], [4 * MARKER_SCALE, 10 * MARKER_SCALE])
    assert np.array_equal(plotly_array(spec["data"][0]["marker"]["size"]), [4.0, 10.0])
    assert shown["data"][1]["z"] == spec["data"][1]["z"]
    assert np.array_equal(plotly_array(shown["data"][1]["z"]), z)


def test_projected_writes_every_uncoloured_text_in_ink_and_keeps_chosen_colours():
    figure = go.Figure(go.Scatter(x=[0], y=[0]), layout=dict(
        title=dict(text="t"), annotations=[dict(text="a"), dict(text="b", font=dict(color="#ff0000"))]))
    shown = projected(figure.to_plotly_json(), ink="#000000")["layout"]
    assert shown["title"]["font"]["color"] == shown["font"]["color"] == "#000000"
    assert [a["font"]["color"] for a in shown["annotations"]] == ["#000000", "#ff0000"]
    assert shown["xaxis"]["tickfont"]["color"] == shown["legend"]["font"]["color"] == "#000000"
    assert "color" not in projected(figure.to_plotly_json())["layout"]["font"]  # no ink: the theme's colours
