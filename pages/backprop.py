"""Gradients and backpropagation: one neuron's computation graph, forward then backward, one optimizer step, and
the same gradients from PyTorch and from "trying both directions"."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import BACKPROP

require_entry_point()
lesson_page(BACKPROP)
