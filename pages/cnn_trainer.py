"""The live CNN trainer: build a network, train it on real data in this session, look at what it learned; then a
CNN and a dense network side by side on shifted images."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import CNN_TRAINER

require_entry_point()
lesson_page(CNN_TRAINER)
