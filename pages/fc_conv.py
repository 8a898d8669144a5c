"""Fully-connected = 1×1 convolution: a dense layer over channels, at every position, is a 1×1 convolution; the
classifier after global pooling is one; a dense layer on a flattened map is a convolution with a full-size kernel."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import FC_CONV

require_entry_point()
lesson_page(FC_CONV)
