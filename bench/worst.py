"""The most expensive link of each page against its default, and the largest checkpoint against the default one.

A class shares one server, and a link may set every declared parameter at once. For each page (each part where a
part is where the cost is) this runs the part with its default settings and then with every parameter at its most
expensive allowed value (``WORST``), each in a fresh Python process: first a warm-up run of the default link
(imports, built-in pictures, data sets, and what it starts in the background), then the measured run with
``st.cache_data`` emptied (what the first student with that link pays). It reports the measured run's time and the
process's peak resident memory, and the worst link's cost relative to the default's. Target: every worst link within
5× the default's time and within 300 MB of extra memory.

The checkpoint row uploads a checkpoint of a network at the set-up's limits (``core.setup_limits.SETUP``: 128-channel
blocks, 1.07e8 of the 1.2e8 multiply-adds an image allowed, a dense layer of 256) to the trainer page, which loads it,
scores it, keeps its bytes for the download and shows the results, against the same page given the default
network's checkpoint: like every other row, one view with its default input and with its most expensive one.

    python bench/worst.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIME_FACTOR, EXTRA_MB = 5.0, 300.0

LARGEST_BLOCKS = ("128-7-relu-max-bn", "128-5-relu-max-bn", "128-5-relu-max-bn", "128-3-relu-max-bn")
"""A network at the set-up's per-image limit (1.07e8 of 1.2e8 multiply-adds an image); wider ones are refused."""
WORST: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    # row: (page, the part's default link, the worst link)
    "home": ("home", {}, {"steps": "100", "lr": "1.0", "x": "5.0", "phase": "training"}),
    "convolution: image": ("convolution", {"part": "image"}, {
        "part": "image", "image": "photo", "kernel": "gaussian_blur_5", "s": "1", "d": "3", "pad": "same",
        "mode": "reflect", "flip": "1", "colour": "1"}),
    "pooling: image": ("pooling", {"part": "image"}, {"part": "image", "image": "photo", "window": "4",
                                                      "edges": "1"}),
    "depth: stack": ("depth", {"part": "stack"}, {"part": "stack", "side": "128", "layers": "8"}),
    "activations: fit": ("activations", {"part": "fit"}, {"part": "fit", "layers": "4", "fwidth": "32",
                                                          "steps": "2000", "noise": "0.5"}),  # 64 wide: refused
    "tensors: broadcast": ("tensors", {"part": "broadcast"}, {
        "part": "broadcast", "ex": "custom", "a": "(10000,1)", "b": "(1,10000)", "c": "(20,1,1)"}),
    "gradient_descent: two_d": ("gradient_descent", {"part": "two_d"}, {
        "part": "two_d", "plane": "rosenbrock", "methods": "sgd,momentum,nesterov,adagrad,rmsprop,adam",
        "steps": "2000"}),
    "gradient_descent: basins": ("gradient_descent", {"part": "basins"}, {"part": "basins", "bsteps": "1000"}),
    "backprop: two_layer": ("backprop", {"part": "two_layer"}, {"part": "two_layer", "seed": "99"}),
    "fc_conv: fusion": ("fc_conv", {"part": "fusion"}, {"part": "fusion", "image": "photo", "bc": "512",
                                                        "bs": "128", "bk": "7"}),
    "cnn_trainer": ("cnn_trainer", {}, {"blocks": "4", **{f"b{i}": b for i, b in enumerate(LARGEST_BLOCKS, 1)},
                                        "dense": "256", "epochs": "30", "batch": "16"}),
    "glossary": ("glossary", {}, {"q": "x" * 40}),
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_link(page: str, default: dict[str, str], query: dict[str, str]) -> dict:
    """In this process: warm up with ``default``, empty the data cache, then time ``query``."""
    import streamlit as st

    from harness.apptest import app_test, finish_background_work
    from ui.shell.registry import by_name

    script = by_name(page).script
    app_test(default, page=script)
    finish_background_work()
    st.cache_data.clear()
    start = time.perf_counter()
    at = app_test(query, page=script)
    seconds = time.perf_counter() - start
    assert not at.exception, [e.value for e in at.exception]
    return {"seconds": seconds, "peak_mb": peak_mb()}


def measure_checkpoint(largest: bool) -> dict:
    """The trainer's results view for an uploaded checkpoint (the set-up's largest network, or the default one), as a
    student gets it: warm up with the page's default link, then upload the checkpoint and time that run, in which the
    page loads it, scores it on the digits' test images (``core.budgets.EVALUATION_WORK``), keeps its bytes for the
    download and draws the results (a refresh then reuses them)."""
    import io

    from core.block_text import parse_block
    from core.checkpoints import save_checkpoint
    from core.models import CNNConfig, build_model
    from core.setup_limits import SETUP, outside_setup
    from harness.apptest import app_test, finish_background_work
    from ui.shell.registry import by_name

    config = CNNConfig()
    if largest:
        config = CNNConfig(blocks=tuple(parse_block(b) for b in LARGEST_BLOCKS), dense=(max(SETUP.dense),))
        assert outside_setup(config) is None
    buffer = io.BytesIO()
    save_checkpoint(buffer, build_model(config), config)
    data = buffer.getvalue()
    script = by_name("cnn_trainer").script
    app_test({}, page=script)
    finish_background_work()
    at = app_test({}, page=script)
    uploader = at.file_uploader(key="cnn_trainer_checkpoint").upload("checkpoint.pt", data, "application/octet-stream")
    start = time.perf_counter()
    uploader.run()
    seconds = time.perf_counter() - start
    assert not at.exception and at.subheader, [e.value for e in at.exception]
    return {"seconds": seconds, "peak_mb": peak_mb(), "file_kb": len(data) / 1024}


def in_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link", nargs=3, metavar=("PAGE", "DEFAULT", "QUERY"), help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", choices=("default", "largest"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.link or args.checkpoint:
        if args.link:
            page, default, query = args.link
            result = measure_link(page, json.loads(default), json.loads(query))
        else:
            result = measure_checkpoint(args.checkpoint == "largest")
        print(json.dumps(result), flush=True)
        os._exit(0)  # the page's background threads (the drawn digits) end with the process, not after it

    print("| link | default: time, peak memory | worst: time, peak memory | time × | extra memory | within target |")
    print("| --- | --- | --- | --- | --- | --- |")
    failures = 0
    rows = [(label, ("--link", page, json.dumps(default), json.dumps(worst)), page)
            for label, (page, default, worst) in WORST.items()]
    for label, (flag, page, default, worst), _ in rows:
        base = in_child(flag, page, default, default)
        bad = in_child(flag, page, default, worst)
        failures += report(label, base, bad)
    base, bad = in_child("--checkpoint", "default"), in_child("--checkpoint", "largest")
    failures += report(f"cnn_trainer results: largest set-up checkpoint ({bad['file_kb']:,.0f} KB; the default "
                       f"network's: {base['file_kb']:,.0f} KB)", base, bad)
    print()
    print(f"Each row: a fresh process per link; the default link is the same part with its own settings. "
          f"Target: time within {TIME_FACTOR:.0f}× and memory within {EXTRA_MB:.0f} MB of the default's.")
    print("OK" if failures == 0 else f"{failures} link(s) over the target")
    return 0


def report(label: str, base: dict, bad: dict) -> int:
    factor = bad["seconds"] / max(base["seconds"], 1e-9)
    extra = bad["peak_mb"] - base["peak_mb"]
    ok = factor <= TIME_FACTOR and extra <= EXTRA_MB
    print(f"| {label} | {base['seconds']:.2f} s, {base['peak_mb']:.0f} MB | {bad['seconds']:.2f} s, "
          f"{bad['peak_mb']:.0f} MB | {factor:.1f} | {extra:+.0f} MB | {'yes' if ok else '**no**'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
