"""Depth and receptive fields: many small views put together, layer after layer (管中窥豹)."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import DEPTH

require_entry_point()
lesson_page(DEPTH)
