"""Gradient descent: follow the slope downhill; step size, local minima, momentum and the other optimizers."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import GRADIENT_DESCENT

require_entry_point()
lesson_page(GRADIENT_DESCENT)
