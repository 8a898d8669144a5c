"""``plot(where, figure)``: how every lesson puts a plotly figure on the page, so that projector mode reaches every
figure (``ui.shell.modes.for_the_room``) and every figure gets the one ``CHART`` config."""

from __future__ import annotations

from typing import Any

from ui.plots.charts import CHART
from ui.shell.modes import for_the_room


def plot(where: Any, figure: Any, **kwargs: Any) -> Any:
    """``where.plotly_chart(figure, config=CHART, **kwargs)`` (``where``: ``st``, a column, a container), the figure
    enlarged in projector mode; returns what ``plotly_chart`` returns (a selection, for ``on_select``)."""
    kwargs.setdefault("config", CHART)
    return where.plotly_chart(for_the_room(figure), **kwargs)
