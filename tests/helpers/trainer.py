"""The live trainer in AppTest: press Start and rerun the page until the results are up."""

from __future__ import annotations

import time

from tests.conftest import assert_clean, page_texts

POLL_SECONDS = 0.5


def train_until_done(at, polls: int = 360):
    """Press Start, then rerun every ``POLL_SECONDS`` until the results' subheader shows (at most ``polls`` reruns:
    a bound on a hung run, not a measurement)."""
    at.button(key="cnn_trainer_start").click().run()
    assert_clean(at)
    for _ in range(polls):
        if at.subheader:
            break
        time.sleep(POLL_SECONDS)
        at.run()
    assert at.subheader, page_texts(at)
    assert_clean(at)
    return at


def network_maps(model, x) -> list[tuple[str, object]]:
    """Each ``*_act`` layer's output for ``x`` (N, C, H, W) that is still a stack of maps, computed layer by layer
    with plain torch (not with the app's ``feature_maps``)."""
    import torch

    out, maps = x, []
    with torch.no_grad():
        for name, layer in model.eval().named_children():
            out = layer(out)
            if name.endswith("_act") and out.dim() == 4:
                maps.append((name, out[0].numpy()))
    return maps
