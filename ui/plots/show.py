"""``plot(where, figure)``: how every lesson puts a plotly figure on the page, so that projector mode reaches every
figure (``ui.shell.modes.for_the_room``) and every figure gets the one ``CHART`` config. Every figure is drawn by the
chart that stays on the page between reruns (``ui.plots.kept``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.plots.charts import CHART
from ui.plots.kept import kept_chart
from ui.shell.modes import for_the_room


def plot(where: Any, figure: Any, *, key: str | None = None, config: dict | None = None,
         on_click: Callable[[], None] | None = None, width: int | str = "stretch") -> None:
    """Draw ``figure`` in ``where`` (``st``, a column, a container), enlarged in projector mode, with ``config`` (by
    default ``CHART``), ``width`` pixels wide (by default as wide as its place); ``on_click`` is called when a point
    is clicked (``ui.plots.kept.clicked_point`` says which)."""
    kept_chart(where, for_the_room(figure), key, CHART if config is None else config, on_click, width)
