"""Activation functions: the nonlinearity without which any number of layers is one straight line."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import ACTIVATIONS

require_entry_point()
lesson_page(ACTIVATIONS)
