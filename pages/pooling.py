"""Pooling: the second way to shrink data, which cuts computation and tolerates small shifts."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import POOLING

require_entry_point()
lesson_page(POOLING)
