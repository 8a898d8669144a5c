"""Classroom: a teacher opens a room, the class joins it from their phones."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import CLASSROOM

require_entry_point()
lesson_page(CLASSROOM)
