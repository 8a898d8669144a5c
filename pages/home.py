"""Home: what the app teaches, the training/inference loop on one live neuron, and the learning path."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import HOME

require_entry_point()
lesson_page(HOME)
