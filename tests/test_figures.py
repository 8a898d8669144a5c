"""Shared figure builders: what they draw is what they were given (numbers, labels, order), laid out so that
nothing covers anything else."""

import json

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as hs

from tests.conftest import plotly_array
from ui.plots.charts import bars_figure, confusion_figure, gallery_figure, lines_figure
from ui.plots.grids import image_figure, kernel_figure
from ui.plots.kept import figure_json
from ui.plots.panels import row_of_panels
from ui.shell.theme import LIGHT


def sent(figure) -> dict:
    """A figure as the page receives it: written as the chart component writes it, read back."""
    return json.loads(figure_json(figure, False, LIGHT))


def test_bars_name_every_class_in_order_even_when_the_names_look_like_numbers():
    values = np.linspace(0, 1, 10)
    fig = bars_figure([str(d) for d in range(10)], values, "p").to_plotly_json()
    assert fig["layout"]["xaxis"]["type"] == "category"  # a numeric axis would label only 0, 2, 4, ...
    assert list(fig["data"][0]["x"]) == [str(d) for d in range(10)]
    np.testing.assert_array_equal(plotly_array(fig["data"][0]["y"]), values)  # each bar its own value
    assert list(fig["data"][0]["text"]) == [f"{v:.4g}" for v in values]


def test_percent_bars_write_percentages_and_leave_slivers_blank():
    values = [0.9765, 0.0123, 0.001257, 0.0]
    fig = bars_figure(list("abcd"), values, "p", percent=True).to_plotly_json()
    assert list(fig["data"][0]["text"]) == ["97.7%", "1.2%", "", ""]
    np.testing.assert_array_equal(plotly_array(fig["data"][0]["y"]), values)  # the bars keep the exact values
    assert fig["layout"]["yaxis"]["tickformat"] == ".0%"


def test_lines_draw_each_series_over_x_under_its_name_in_order():
    series = {"train": [0.6, 0.9, 0.95], "test": [0.8, 0.9, 0.96], "3": [0.1, 0.2, 0.3]}
    fig = lines_figure([1, 2, 3], series, "acc", "epoch", "accuracy").to_plotly_json()
    assert [trace["name"] for trace in fig["data"]] == list(series)
    for trace, values in zip(fig["data"], series.values(), strict=True):
        np.testing.assert_array_equal(plotly_array(trace["x"]), [1, 2, 3])
        np.testing.assert_array_equal(plotly_array(trace["y"]), values)
    layout = fig["layout"]
    assert (layout["title"]["text"], layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"]) == (
        "acc", "epoch", "accuracy")


def test_lines_put_the_legend_above_the_plot_and_whole_epochs_on_whole_ticks():
    fig = lines_figure([1, 2, 3], {"train": [0.6, 0.9, 0.95], "test": [0.8, 0.9, 0.96]}, "acc", "epoch", "accuracy",
                       percent=True).to_plotly_json()["layout"]
    assert fig["legend"]["y"] >= 1 and fig["legend"]["yanchor"] == "bottom"  # not under the x axis's title
    assert fig["xaxis"]["dtick"] == 1 and fig["yaxis"]["tickformat"] == ".0%"
    one = lines_figure(np.linspace(0, 1, 50), {"loss": np.ones(50)}, "l", "step", "loss").to_plotly_json()["layout"]
    assert one["showlegend"] is False and one["xaxis"].get("dtick") is None


def test_confusion_writes_each_count_in_its_cell_with_the_classes_on_both_axes():
    counts = np.array([[5, 1, 0], [2, 7, 0], [0, 0, 9]])
    fig = confusion_figure(counts, ["circle", "square", "ring"], "c", "true", "predicted").to_plotly_json()
    heatmap = fig["data"][0]
    np.testing.assert_array_equal(plotly_array(heatmap["z"]), counts)
    assert [list(row) for row in heatmap["text"]] == [["5", "1", "0"], ["2", "7", "0"], ["0", "0", "9"]]
    assert list(heatmap["x"]) == list(heatmap["y"]) == ["circle", "square", "ring"]
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"  # row 0 (the first true class) on top
    assert fig["layout"]["xaxis"]["title"]["text"] == "predicted" and fig["layout"]["yaxis"]["title"]["text"] == "true"


@pytest.mark.parametrize(("n", "columns", "rows"), [(1, 6, 1), (6, 6, 1), (7, 6, 2), (12, 6, 2), (13, 4, 4)])
def test_gallery_gives_each_image_its_own_cell_under_its_caption(n, columns, rows):
    images = [np.full((4, 3), k / n, dtype=np.float32) for k in range(n)]  # sent as float32
    fig = gallery_figure(images, [f"{k} → {k + 1}" for k in range(n)], columns).to_plotly_json()
    layout = fig["layout"]
    assert len(fig["data"]) == n and layout["height"] == rows * 120
    boxes = []
    for k, (trace, note) in enumerate(zip(fig["data"], layout["annotations"], strict=True)):
        np.testing.assert_array_equal(plotly_array(trace["z"]), images[k])
        suffix = "" if k == 0 else str(k + 1)
        assert trace["xaxis"] == f"x{suffix}" and trace["yaxis"] == f"y{suffix}"
        x, y = layout[f"xaxis{suffix}"]["domain"], layout[f"yaxis{suffix}"]["domain"]
        assert note["text"] == f"{k} → {k + 1}" and x[0] < note["x"] < x[1] and note["y"] == y[1]
        boxes.append((x, y))
    for a, (xa, ya) in enumerate(boxes):  # no two cells overlap, and all lie inside the figure
        assert 0 <= xa[0] < xa[1] <= 1 + 1e-9 and 0 <= ya[0] < ya[1] <= 1 + 1e-9
        for xb, yb in boxes[a + 1:]:
            assert xa[1] <= xb[0] + 1e-9 or xb[1] <= xa[0] + 1e-9 or ya[1] <= yb[0] + 1e-9 or yb[1] <= ya[0] + 1e-9


def test_an_image_is_drawn_pixel_for_pixel_and_a_kernel_with_its_numbers():
    rng = np.random.default_rng(3)
    gray, signed, rgb = rng.random((5, 7)), rng.standard_normal((4, 6)), rng.random((3, 4, 3))
    for z, kind in ((gray, "gray"), (signed, "auto")):
        trace = image_figure(z, "t", kind=kind).to_plotly_json()["data"][0]
        np.testing.assert_array_equal(plotly_array(trace["z"]), z.astype(np.float32))
    assert image_figure(signed, "t").to_plotly_json()["data"][0]["zmid"] == 0.0  # negative values: diverging
    picture = image_figure(rgb, "t", kind="rgb").to_plotly_json()["data"][0]
    np.testing.assert_array_equal(plotly_array(picture["z"]), np.rint(rgb * 255).astype(np.uint8))
    w = np.array([[1.0, -2.5, 0.125], [0.0, 1e-4, 3.0]])
    kernel = kernel_figure(w, "k").to_plotly_json()["data"][0]
    np.testing.assert_array_equal(plotly_array(kernel["z"]), w)
    assert [list(row) for row in kernel["text"]] == [["1", "-2.5", "0.125"], ["0", "0.0001", "3"]]


def _blocks_by_loop(z: np.ndarray, f: int, signed: bool) -> np.ndarray:
    """The reference: each f × f block (partial at the edges) by Python loops."""
    h, w = z.shape
    out = np.empty((-(-h // f), -(-w // f)))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            block = z[i * f:(i + 1) * f, j * f:(j + 1) * f].ravel()
            out[i, j] = block[np.argmax(np.abs(block))] if signed else block.mean()
    return out


@given(hs.integers(1, 40), hs.integers(1, 40), hs.integers(1, 12), hs.booleans(), hs.integers(0, 2**32 - 1))
def test_shrunk_for_view_is_the_block_mean_or_the_largest_magnitude(h, w, max_side, signed, seed):
    from ui.plots.grids import shrunk_for_view

    z = np.random.default_rng(seed).normal(size=(h, w))
    shrunk, f = shrunk_for_view(z, max_side, signed)
    assert f == max(1, -(-max(h, w) // max_side)) and max(shrunk.shape) <= max(max_side, 1)
    np.testing.assert_allclose(shrunk, _blocks_by_loop(z, f, signed) if f > 1 else z, rtol=1e-12, atol=1e-12)


def test_a_large_map_is_drawn_in_blocks_that_keep_its_extremes():
    z = np.zeros((512, 512))
    z[100, 301] = -3.5  # one thin spike: a block of 2 × 2 keeps it
    figure = image_figure(z, "d", kind="signed", max_side=256).to_dict()
    trace = figure["data"][0]
    shown = plotly_array(trace["z"])
    assert shown.shape == (256, 256) and shown[50, 150] == -3.5 and np.count_nonzero(shown) == 1
    assert plotly_array(trace["x"])[150] == 300 and plotly_array(trace["y"])[50] == 100  # named by its first pixel
    assert "2×2" in trace["hovertemplate"]
    small = image_figure(z[:200, :200], "d", kind="signed", max_side=256).to_dict()["data"][0]
    assert plotly_array(small["z"]).shape == (200, 200) and "x" not in small  # pixel for pixel when it fits


@given(n=hs.integers(1, 9), columns=hs.integers(1, 4), seed=hs.integers(0, 2**16))
def test_panels_of_numbers_share_one_pair_of_axes_each_in_its_own_box_on_its_own_range(n, columns, seed):
    """``panels_figure``: panel k is trace k, filling its box in row k // columns and column k % columns of equal
    cells that do not overlap (x from 0 to 1 across the figure, y in pixels from the top), titled above it by an
    annotation and named by its title, on a scale as wide as its own largest magnitude, with its numbers written in
    and its cell under the mouse read as (row, column) of its grid. All on one pair of axes: each subplot costs
    plotly.js a layout and a drawing at every redraw."""
    from ui.plots.panels import PANEL_GAP_PX, PANEL_TITLE_PX, panels_figure

    rng = np.random.default_rng(seed)
    grids = [rng.normal(size=(int(rng.integers(1, 5)), int(rng.integers(1, 5)))) for _ in range(n)]
    figure = sent(panels_figure([(g, f"panel {k}") for k, g in enumerate(grids)], columns, row_height=150))
    layout = figure["layout"]
    rows = -(-n // columns)
    assert layout["height"] == rows * (150 + PANEL_TITLE_PX)
    assert layout["xaxis"]["range"] == [0, 1] and layout["yaxis"]["range"] == [rows * (150 + PANEL_TITLE_PX), 0]
    assert not any(key.startswith(("xaxis", "yaxis")) and key[5:] for key in layout)
    assert [a["text"] for a in layout["annotations"]] == [f"panel {k}" for k in range(n)]
    boxes = []
    for k, (trace, grid) in enumerate(zip(figure["data"], grids, strict=True)):
        assert trace["name"] == f"panel {k}" and "xaxis" not in trace and "yaxis" not in trace
        np.testing.assert_array_equal(plotly_array(trace["z"]), grid)
        assert trace["zmax"] == -trace["zmin"] == pytest.approx(np.abs(grid).max())
        assert trace["text"] == [[f"{v:.3g}" for v in row] for row in grid]
        assert trace["hovertemplate"].startswith("(%{pointNumber[0]}, %{pointNumber[1]})")
        kh, kw = grid.shape
        x0, x1 = trace["x0"] - trace["dx"] / 2, trace["x0"] + (kw - 0.5) * trace["dx"]
        y0, y1 = trace["y0"] - trace["dy"] / 2, trace["y0"] + (kh - 0.5) * trace["dy"]
        row, column = divmod(k, columns)
        assert column / columns < x0 < x1 < (column + 1) / columns
        assert y0 == pytest.approx(row * (150 + PANEL_TITLE_PX) + PANEL_TITLE_PX)
        assert y1 == pytest.approx((row + 1) * (150 + PANEL_TITLE_PX) - PANEL_GAP_PX)
        title = layout["annotations"][k]
        assert (title["x"], title["y"]) == (pytest.approx((x0 + x1) / 2), pytest.approx(y0))
        boxes.append((x0, x1, y0, y1))
    for a in range(n):
        for b in range(a):
            (ax0, ax1, ay0, ay1), (bx0, bx1, by0, by1) = boxes[a], boxes[b]
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0


def test_picture_panels_keep_square_pixels_and_large_maps_go_in_blocks():
    from ui.plots.grids import shrunk_for_view
    from ui.plots.panels import panels_figure

    big = np.random.default_rng(3).normal(size=(300, 500))
    small = np.linspace(0, 1, 12).reshape(3, 4)
    figure = sent(panels_figure([(big, "big", "signed"), (small, "small")], 2, pictures=True, max_side=100))
    first, second = figure["data"]
    shrunk, f = shrunk_for_view(big, 100, True)
    assert f == 5
    np.testing.assert_allclose(plotly_array(first["z"]), shrunk, rtol=1e-6)  # float32 on the page
    np.testing.assert_array_equal(plotly_array(first["x"]), np.arange(100) * 5)
    assert first["zmid"] == 0 and first["colorscale"][0][1] != second["colorscale"][0][1]
    np.testing.assert_allclose(plotly_array(second["z"]), small, rtol=1e-6)
    for suffix in ("", "2"):
        assert figure["layout"][f"yaxis{suffix}"]["scaleanchor"] == f"x{suffix}"
        assert figure["layout"][f"yaxis{suffix}"]["autorange"] == "reversed"


def test_bands_stack_maps_top_to_bottom_each_under_its_title():
    """A run of pictures on one pair of axes, square cells centred; the strips after it on another, across the
    whole width; each band's cells placed by pixels from the top, its title above it, its cell under the mouse
    read as (row, column) of its own map."""
    from ui.plots.panels import BANDS_WIDTH_PX, PANEL_GAP_PX, PANEL_TITLE_PX, Band, bands_figure

    maps = [np.arange(6.0).reshape(2, 3), -np.arange(20.0)[None], np.array([[0.5, -0.25]]), np.ones((4, 400))]
    figure = sent(bands_figure([Band(maps[0], "picture", 100), Band(maps[3], "wide", 150),
                                Band(maps[1], "strip", 40, square=False),
                                Band(maps[2], "numbers", 50, numbers=True, square=False)]))
    layout, (picture, wide, strip, numbers) = figure["layout"], figure["data"]
    wide_px = BANDS_WIDTH_PX * 4 / 400  # 400 columns in 720 pixels: no taller than keeps its cells square
    pictures_px = 2 * PANEL_TITLE_PX + 90 + wide_px + 2 * PANEL_GAP_PX
    strips_px = 2 * PANEL_TITLE_PX + 40 + 50
    assert layout["height"] == round(pictures_px) + strips_px
    assert [t["xaxis"] + t["yaxis"] for t in figure["data"]] == ["xy", "xy", "x2y2", "x2y2"]
    assert layout["yaxis"]["range"] == [pytest.approx(pictures_px), 0] and layout["yaxis"]["scaleanchor"] == "x"
    assert layout["xaxis"]["range"] == [-BANDS_WIDTH_PX / 2, BANDS_WIDTH_PX / 2]
    assert layout["yaxis2"]["range"] == [strips_px, 0] and "scaleanchor" not in layout["yaxis2"]
    assert layout["xaxis2"]["range"] == [0, 1]
    assert layout["yaxis"]["domain"][1] == 1 and layout["yaxis2"]["domain"][0] == 0
    assert layout["yaxis"]["domain"][0] == pytest.approx(layout["yaxis2"]["domain"][1], abs=1e-12)
    # the picture: 2 × 3 cells of 45 px (90 px tall), centred; the wide map's cells as wide as they are tall
    assert (picture["dx"], picture["dy"]) == (45, 45) and picture["x0"] == pytest.approx(-45)
    assert picture["y0"] == PANEL_TITLE_PX + 22.5
    assert wide["dx"] == pytest.approx(wide_px / 4) == pytest.approx(wide["dy"])
    assert wide["y0"] == pytest.approx(2 * PANEL_TITLE_PX + 90 + PANEL_GAP_PX + wide["dy"] / 2)
    # the strips: 20 and 2 cells across the width
    assert (strip["x0"], strip["dx"], strip["dy"]) == (pytest.approx(1 / 40), pytest.approx(1 / 20), 30)
    assert (numbers["x0"], numbers["dx"]) == (0.25, 0.5) and numbers["y0"] == 2 * PANEL_TITLE_PX + 40 + 20
    assert [(a["text"], a["xref"], a["yref"]) for a in layout["annotations"]] == [
        ("picture", "x", "y"), ("wide", "x", "y"), ("strip", "x2", "y2"), ("numbers", "x2", "y2")]
    assert [a["y"] for a in layout["annotations"]] == [PANEL_TITLE_PX, pytest.approx(2 * PANEL_TITLE_PX + 100),
                                                        PANEL_TITLE_PX, 2 * PANEL_TITLE_PX + 40]
    for trace, z in zip(figure["data"], [maps[0], maps[3], maps[1], maps[2]], strict=True):
        np.testing.assert_allclose(plotly_array(trace["z"]), z)
        assert trace["hovertemplate"].startswith("(%{pointNumber[0]}, %{pointNumber[1]})")
    assert picture["colorscale"][0][1] != strip["colorscale"][0][1]  # grey, then signed
    assert "text" not in strip and numbers["text"] == [["0.5", "-0.25"]]


@settings(max_examples=40, deadline=None)
@given(widths=hs.lists(hs.integers(1, 40), min_size=1, max_size=5), spacing=hs.sampled_from([0.0, 0.02, 0.05, 0.1]))
@example(widths=[1, 2, 1], spacing=0.05)  # unclamped, the last domain would end at 1.0000000000000002
def test_a_row_of_panels_is_laid_out_as_make_subplots_lays_it_out(widths, spacing):
    from plotly.subplots import make_subplots

    titles = [f"panel {k}" for k in range(len(widths))]
    reference = make_subplots(rows=1, cols=len(widths), column_widths=widths, horizontal_spacing=spacing,
                              subplot_titles=titles).to_dict()["layout"]
    ours = row_of_panels(widths, titles, spacing)
    assert ours.keys() == {*reference.keys()} - {"template"}
    for name, axis in reference.items():
        if name == "annotations":
            assert len(ours[name]) == len(axis)
            for mine, theirs in zip(ours[name], axis, strict=True):
                assert {k: v for k, v in mine.items() if k != "x"} == {k: v for k, v in theirs.items() if k != "x"}
                assert mine["x"] == pytest.approx(theirs["x"], abs=1e-12)
        elif name != "template":
            assert ours[name]["anchor"] == axis["anchor"]
            assert ours[name]["domain"] == axis["domain"]  # the same sums, the same rounding


def test_figures_of_many_panels_are_written_as_plotly_checks_them():
    """``bands_figure`` and ``panels_figure`` build their traces as dicts (``heatmap_trace``): plotly.py, checking
    every property of the same figure, writes the same traces and the same layout (a named colour scale included)."""
    import plotly.graph_objects as go

    from ui.plots.panels import Band, bands_figure, panels_figure

    rng = np.random.default_rng(5)
    maps = [rng.normal(size=(3, 4)), rng.uniform(size=(5, 5)), rng.normal(size=(1, 20)), rng.normal(size=(1, 3))]
    figures = [bands_figure([Band(maps[0], "signed", 80), Band(maps[1], "grey", 60, kind="gray"),
                             Band(maps[2], "strip", 40, square=False), Band(maps[3], "n", 40, numbers=True)]),
               panels_figure([(m, f"p{k}") for k, m in enumerate(maps[:2])], 2),
               panels_figure([(rng.normal(size=(40, 30)), "big", "signed"), (maps[1], "small")], 2, pictures=True,
                             max_side=16)]
    for fig in figures:
        checked = go.Figure(fig)  # raises on any property plotly does not know or value it refuses
        assert sent(fig)["data"] == sent(checked)["data"]
        assert sent(fig)["layout"] == sent(checked)["layout"]


def test_the_log_lines_figure_is_written_as_plotly_checks_it_with_its_steps_as_a_typed_array():
    """``log_lines_figure`` is the dict plotly.js reads: plotly.py, checking every property, writes the same figure;
    601 steps go as one typed array of small integers (plotly.py checked them one by one), the values as float32."""
    import plotly.graph_objects as go

    from ui.plots.charts import log_lines_figure

    steps = range(601)
    loss = np.geomspace(1.0, 1e-4, 601)
    fig = log_lines_figure(steps, {"ReLU": loss, "line": loss * 2}, {"ReLU": "#f00"}, title="t", x_title="step",
                           y_title="loss", dashed=["line"])
    assert sent(fig) == sent(go.Figure(fig))
    written = json.loads(figure_json(fig, False, LIGHT))["data"]
    assert written[0]["x"]["dtype"] == "i2" and written[0]["y"]["dtype"] == "f4"
    assert [(t["mode"], t["line"], t["hovertemplate"]) for t in written] == [
        ("lines", {"width": 3, "dash": "solid", "color": "#f00"}, "%{y:.3e}"),
        ("lines", {"width": 2, "dash": "dash"}, "%{y:.3e}")]
    layout = fig["layout"]
    assert layout["yaxis"]["type"] == "log" and layout["hovermode"] == "x unified" and "dtick" not in layout["xaxis"]
    np.testing.assert_array_equal(plotly_array(written[0]["x"]), np.arange(601))
    np.testing.assert_allclose(plotly_array(written[1]["y"]), loss * 2, rtol=1e-7)
    short = log_lines_figure(range(1, 13), {"a": np.ones(12)}, {}, title="t", x_title="l", y_title="g")
    assert short["layout"]["xaxis"]["dtick"] == 1 and short["data"][0]["mode"] == "lines+markers"
    assert sent(short) == sent(go.Figure(short))


def test_the_basin_map_is_written_as_plotly_checks_it():
    """``basin_figure`` is the dict plotly.js reads, its hover text one name per start: plotly.py, checking every
    property, writes the same figure."""
    import plotly.graph_objects as go

    from ui.lessons.gradient_descent_figures import basin_figure

    xs, ys = np.linspace(-2, 2, 30), np.linspace(-1, 1, 20)
    labels = np.random.default_rng(0).integers(-1, 2, size=(20, 30))
    fig = basin_figure(xs, ys, labels, [(0.1, 0.7), (-0.1, -0.7)], "SGD", ["★1", "·2"], "none")
    assert sent(fig) == sent(go.Figure(fig))
    heat = sent(fig)["data"][0]
    assert heat["text"][3][4] == ["none", "★1", "·2"][labels[3, 4] + 1]
    assert heat["hovertemplate"] == "(%{x:.2f}, %{y:.2f}) → %{text}<extra></extra>"
    assert (heat["zmin"], heat["zmax"], heat["showscale"]) == (-0.5, 2.5, False)
    assert sent(fig)["layout"]["yaxis"]["scaleanchor"] == "x"
    np.testing.assert_array_equal(plotly_array(heat["z"]), labels + 1)


def test_the_2d_descent_and_basin_figures_build_no_plotly_object(monkeypatch):
    """The maps redrawn at every move of the 2-D part's and the basins' controls are written as dicts: building
    plotly.py's checked objects was a third of those parts' server runs (cProfile). Any trace or figure object
    built here fails the test."""
    import plotly.basedatatypes

    from ui.lessons.gradient_descent_figures import Path, basin_figure, contour_figure
    from ui.plots.grids import colorscale_stops

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"{type(self).__name__} built")

    colorscale_stops("Viridis")  # a named scale's stops are read from plotly once per process, then kept
    monkeypatch.setattr(plotly.basedatatypes.BaseTraceType, "__init__", refuse)
    monkeypatch.setattr(plotly.basedatatypes.BaseFigure, "__init__", refuse)
    xs, ys = np.linspace(-2, 2, 40), np.linspace(-1, 1, 30)
    z = np.add.outer(ys**2, xs**2)
    path = Path("SGD", "#f00", np.array([[1.5, 0.5], [1.0, 0.3], [0.5, 0.1]]))
    labels = dict(start="start", minimum="min", step="step", loss="loss", click="click")
    contour = contour_figure((xs, ys), z, [path], [(0.0, 0.0)], labels, "play")
    assert len(contour["frames"]) == 3 and contour["data"][0]["type"] == "heatmap"
    basins = basin_figure(xs, ys, np.zeros((30, 40), dtype=int), [(0.0, 0.0)], "t", ["★1"], "none")
    assert basins["data"][0]["type"] == "heatmap"


def test_the_step_by_step_figure_builds_no_plotly_object(monkeypatch):
    """The step-by-step view (convolution, pooling) is written as the dict plotly.js reads, frames and all: plotly.py's
    objects and a walk over the frames for their arrays were half of the part's server run (cProfile). Its named
    scales are written as stops, as plotly.py writes them."""
    import plotly.basedatatypes

    from core.conv import conv2d, conv_steps
    from ui.plots.grids import SIGNED_SCALE, colorscale_stops
    from ui.plots.steps import StepFrame, products_text, step_figure

    x, w = np.arange(16.0).reshape(4, 4), np.array([[1.0, 0.0], [0.0, -1.0]])
    out = conv2d(x, w)
    frames = [StepFrame(i, j, s.rows, s.cols, s.products, products_text(s.window, w), s.value)
              for (i, j), s in zip(np.ndindex(*out.shape), conv_steps(x, w), strict=True)]
    scales = colorscale_stops("gray"), colorscale_stops(SIGNED_SCALE)  # read from plotly once per process, then kept

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"{type(self).__name__} built")

    monkeypatch.setattr(plotly.basedatatypes.BaseTraceType, "__init__", refuse)
    monkeypatch.setattr(plotly.basedatatypes.BaseFigure, "__init__", refuse)
    titles = dict(input="in", middle="products", output="out", cell="cell")
    fig = step_figure(x, np.zeros_like(x, dtype=bool), out, frames, 4, titles, LIGHT, "play")
    assert [f["name"] for f in fig["frames"]] == [f"({i}, {j})" for i, j in np.ndindex(*out.shape)]
    assert fig["data"][0]["colorscale"] == scales[0] and fig["data"][2]["colorscale"] == scales[1]
    assert fig["layout"]["sliders"][0]["active"] == 4
