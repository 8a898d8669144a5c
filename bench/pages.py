"""Per-page render cost under AppTest, next to the framework's floor measured in the same run.

For every page: the time of its first render in a fresh session, and the median of 10 reruns after
changing its main control. The floor is a minimal one-slider Streamlit script measured the same way.

    python bench/pages.py [--reruns 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.apptest import app_test  # noqa: E402
from ui.shell.registry import all_pages  # noqa: E402

FLOOR_SCRIPT = """
import streamlit as st
x = st.slider("x", 0, 100, 0, key="x")
st.write(x * 2)
"""

# Each page's main control: (URL query, widget kind, key, values to cycle through). A new page adds its line.
MAIN_CONTROLS: dict[str, tuple[dict, str, str, tuple]] = {
    "home": ({}, "slider", "home_steps", (10, 40, 70, 100, 25, 55, 85, 5, 60, 95)),
    # the kernel of the image part, on the 512-pixel photo
    "convolution": ({"part": "image", "image": "photo"}, "selectbox", "convolution_kernel",
                    ("box_blur", "sobel_y", "laplacian", "gaussian_blur_5", "sharpen", "sobel_x", "emboss")),
    # the window size of the image part (conv -> ReLU -> pool) on the 512-pixel photo
    "pooling": ({"part": "image", "image": "photo"}, "slider", "pooling_isize", (3, 2, 4, 3, 2, 4, 3)),
    # the input range of the gallery, with every activation and its slope drawn and checked against torch
    "activations": ({"acts": "identity,sigmoid,tanh,relu,leaky_relu,elu,gelu,softplus,silu"}, "slider",
                    "activations_range",
                    (2.0, 10.0, 4.5, 20.0, 7.0, 1.0, 12.5)),
    # the example of the broadcasting part: steps table, operand pictures and the result redrawn
    "tensors": ({"part": "broadcast"}, "selectbox", "tensors_example",
                ("image_scale", "batch_bias", "dense_bias", "three_way", "row_column", "mismatch")),
    # the step size of the two-dimensional part: three optimizers re-run, contours and animation frames redrawn
    "gradient_descent": ({"part": "two_d"}, "select_slider", "gradient_descent_lr_sgd", (0.001, 0.002, 0.0003, 0.0001,
                                                                                         0.005)),
    # the number of convolution blocks: the model is rebuilt and summarised (no training)
    "cnn_trainer": ({}, "slider", "cnn_trainer_blocks", (1, 3, 2, 4, 1, 3)),
    # the layer looked at: the picture, the unit's field and the first-layer fields inside it redrawn
    "depth": ({"part": "tube"}, "slider", "depth_level", (3, 7, 1, 5, 2, 6)),
    # the number of channels: every channel map, the dense and the 1×1-conv outputs redrawn and compared
    "fc_conv": ({"part": "position"}, "slider", "fc_conv_c", (4, 2, 6, 1, 5, 3)),
    # the step through the graph: the graph rebuilt, its values and gradients redrawn, the step's formula
    "backprop": ({"part": "graph"}, "slider", "backprop_step", (5, 12, 17, 1, 9, 14)),
}
# Further parts worth a row of their own: row label -> (page url_path, query, widget kind, key, values).
EXTRA_CONTROLS: dict[str, tuple[str, dict, str, str, tuple]] = {
    # the weight of one neuron: its curve and its two-input plane (121×121) redrawn
    "activations: neuron": ("activations", {"part": "neuron"}, "slider", "activations_w", (2.0, -1.5, 0.5, 4.0, -3.0)),
    # the size of an axis of the tensor picture, and its reduction
    "tensors: basics": ("tensors", {"part": "basics", "kind": "tensor4"}, "slider", "tensors_n2", (2, 5, 1, 4, 3)),
    # the start of the ball on the curve: two runs and their animation frames
    "gradient_descent: 1-D": ("gradient_descent", {"part": "one_d"}, "slider", "gradient_descent_x0", (-3.0, 1.0, 2.5,
                                                                                                       -1.0, 4.0)),
    # one block's channels in the trainer's block table: the network rebuilt, summarised and its script regenerated
    "cnn_trainer: block 2": ("cnn_trainer", {"blocks": "3"}, "selectbox", "cnn_trainer_b2_channels", (64, 8, 128, 16,
                                                                                                      32)),
    # the input size of the stack part: output sizes, fields by formula and measured by backprop, both figures
    "depth: stack": ("depth", {"part": "stack"}, "slider", "depth_side", (96, 32, 128, 48, 64)),
    # a weight of the optimizer-step part: the step, its table and the losses recomputed
    "backprop: step": ("backprop", {"part": "step"}, "slider", "backprop_w1", (1.0, -0.5, 2.5, 0.0, -2.0)),
    # the shift experiment's settings: the shifted example pictures redrawn (nothing trains until the button)
    "cnn_trainer: position": ("cnn_trainer", {"part": "position"}, "slider", "cnn_trainer_shift_max", (4, 10, 6, 12,
                                                                                                       2)),
}


def change(at, kind: str, key: str, value) -> None:
    widget = next(w for w in at.get(kind) if w.key == key)
    widget.set_value(value).run()


def measure(make, kind: str, key: str, values: tuple, reruns: int) -> tuple[float, float]:
    """(first render, median rerun) in milliseconds."""
    start = time.perf_counter()
    at = make()
    first = time.perf_counter() - start
    assert not at.exception, at.exception
    times = []
    for n in range(reruns):
        start = time.perf_counter()
        change(at, kind, key, values[n % len(values)])
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return first * 1e3, statistics.median(times) * 1e3


def floor_app():
    at = AppTest.from_string(FLOOR_SCRIPT, default_timeout=60)
    return at.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=10)
    args = parser.parse_args()

    missing = [spec.url_path for spec in all_pages() if spec.url_path not in MAIN_CONTROLS]
    if missing:
        sys.exit(f"bench/pages.py: no main control listed for {missing}; add them to MAIN_CONTROLS")

    # Warm the imports (streamlit, plotly, numpy, the app's modules) so that every row pays the same.
    floor_app()
    app_test()

    floor_first, floor_rerun = measure(floor_app, "slider", "x", (10, 20, 30, 40, 50), args.reruns)
    for spec in all_pages():  # warm each page once (imports, cached images), as a running server would be
        app_test(MAIN_CONTROLS[spec.url_path][0], page=spec.script)
    rows = []
    for spec in all_pages():
        query, kind, key, values = MAIN_CONTROLS[spec.url_path]
        first, rerun = measure(lambda spec=spec, query=query: app_test(query, page=spec.script), kind, key, values,
                               args.reruns)
        rows.append((spec.url_path, first, rerun))
    by_path = {spec.url_path: spec for spec in all_pages()}
    for label, (path, query, kind, key, values) in EXTRA_CONTROLS.items():
        spec = by_path[path]
        app_test(query, page=spec.script)
        first, rerun = measure(lambda spec=spec, query=query: app_test(query, page=spec.script), kind, key, values,
                               args.reruns)
        rows.append((label, first, rerun))

    print(f"AppTest, {args.reruns} reruns per page; floor = one-slider script, same run, same process")
    header = (f"| {'page':<20} | {'first render ms':>15} | {'floor ms':>8} | {'ratio':>6} "
              f"| {'rerun median ms':>15} | {'floor ms':>8} | {'ratio':>6} |")
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    print(f"| {'(floor)':<20} | {floor_first:>15.1f} | {floor_first:>8.1f} | {1.0:>6.1f} "
          f"| {floor_rerun:>15.1f} | {floor_rerun:>8.1f} | {1.0:>6.1f} |")
    for name, first, rerun in rows:
        print(f"| {name:<20} | {first:>15.1f} | {floor_first:>8.1f} | {first / floor_first:>6.1f} "
              f"| {rerun:>15.1f} | {floor_rerun:>8.1f} | {rerun / floor_rerun:>6.1f} |")


if __name__ == "__main__":
    main()
