"""Two students on one server do not see each other's training: each browser session has its own job, progress,
results and uploaded model, and stopping one run leaves the other going.

The browser test drives two browser contexts (two Streamlit sessions) against the real server; the AppTest one checks
the same at the level of ``ui.jobs.training_job.session_job`` (a job per session token).

No run here is meant to end on its own: each is stopped by the test with its Stop button (the app's own stop flag),
at the moment the test chooses. So nothing depends on one run being slower than the other, only on each lasting
longer than the few clicks before its Stop: both are 30 epochs (the most a link may ask) at batch 16, minutes alone on
2 cores against the seconds the test takes to reach their Stop, and an assertion names the run that ended too soon.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect

from core.block_text import parse_block
from core.models import CNNConfig, ConvBlock, MLPConfig, build_model
from harness.browser import assert_healthy, wait_until_idle, watch_errors
from tests.conftest import assert_clean, lesson_app, page_texts
from ui.shell.i18n import translate
from ui.shell.registry import CNN_TRAINER

# A: a wide three-layer dense network (about 50 s alone on 2 cores), stopped a few seconds after its start.
# B: a three-block CNN (about 10 s an epoch alone on 2 cores: 5 minutes for its 30), stopped by the test at the end.
BLOCKS_B = ("64-5-relu-max-bn", "128-5-relu-max-bn", "128-5-relu-max-bn")
QUERY_A = "lang=en&data=digits&model=mlp&layers=3&width=512&epochs=30&batch=16"
QUERY_B = ("lang=en&data=digits&blocks=3&" + "&".join(f"b{i}={b}" for i, b in enumerate(BLOCKS_B, start=1))
           + "&epochs=30&batch=16")
CONFIG_A = MLPConfig(hidden=(512, 512, 512))
CONFIG_B = CNNConfig(blocks=tuple(parse_block(b) for b in BLOCKS_B))
EPOCHS = 30


def en(key: str) -> str:
    """The fixed start of an English message with ``{fields}``: "Finished in {seconds} s." -> "Finished in"."""
    return translate(key, "en").split("{")[0].strip()


RUNNING, FINISHED, STOPPED = (en(f"cnn_trainer.status.{s}") for s in ("running", "finished", "stopped"))
LOADED = translate("cnn_trainer.status.loaded", "en")
KERNELS, TEMPLATES = en("cnn_trainer.kernels"), en("cnn_trainer.templates")
NO_MAPS = translate("cnn_trainer.no_maps", "en")


def weights(config) -> str:
    return f"{sum(p.numel() for p in build_model(config).parameters()):,}"


def main_text(page: Page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def button(page: Page, key: str):
    """A button of the page itself (the header's own "Stop" stops a script run, not the training)."""
    return page.locator('[data-testid="stMain"]').get_by_role("button", name=translate(key, "en"))


def shown_epoch(page: Page) -> int:
    """The epoch in the progress bar's text ("Epoch 3 · loss …")."""
    text = page.locator('[data-testid="stProgress"]').first.inner_text()
    return int(re.search(r"Epoch (\d+)", text).group(1))


# How many points the loss curve has: it grows while the run trains.
STEPS = """() => { const gd = document.querySelector('.st-key-cnn_trainer_loss_fig .js-plotly-plot');
    return gd && gd.data ? gd.data[0].x.length : 0; }"""


def steps_drawn(page: Page) -> int:
    return page.evaluate(STEPS)

# Every chart's data: a rerun that follows another test image draws other probabilities.
CHARTS = "() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => JSON.stringify(gd.data)).join('|')"


def wait_for_text(page: Page, text: str, timeout: float = 120_000) -> None:
    page.get_by_text(text).first.wait_for(timeout=timeout)


def checkpoint_file(tmp_path):
    from core.checkpoints import save_checkpoint

    config = CNNConfig(blocks=(ConvBlock(4),), dense=())
    buffer = io.BytesIO()
    save_checkpoint(buffer, build_model(config), config)
    path = tmp_path / "model.pt"
    path.write_bytes(buffer.getvalue())
    return path


def still_training(page: Page, name: str) -> None:
    """The run of ``page`` is going: not over on its own (then it is too short for this machine), nor stopped."""
    text = main_text(page)
    assert FINISHED not in text, f"{name}'s run finished on its own before the test stopped it: make it longer"
    assert RUNNING in text and STOPPED not in text, f"{name} is not training:\n{text[:2000]}"
    expect(button(page, "cnn_trainer.stop")).to_be_enabled()


@pytest.mark.browser
def test_two_sessions_train_side_by_side_without_seeing_each_other(browser, server, tmp_path):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US") for _ in range(2)]
    try:
        a, b = (context.new_page() for context in contexts)
        errors_a, errors_b = watch_errors(a), watch_errors(b)
        a.goto(f"{server.url}/cnn_trainer?{QUERY_A}")
        b.goto(f"{server.url}/cnn_trainer?{QUERY_B}")
        for page in (a, b):
            wait_until_idle(page)
        # each page summarises its own network
        assert f"{weights(CONFIG_A)} weights" in main_text(a) and weights(CONFIG_B) not in main_text(a)
        assert f"{weights(CONFIG_B)} weights" in main_text(b) and weights(CONFIG_A) not in main_text(b)

        # both start at once: each sees its own run, with its own network inside
        for page in (a, b):
            button(page, "cnn_trainer.start").click()
        for page in (a, b):
            wait_for_text(page, RUNNING)
            page.locator('[data-testid="stProgress"]').first.wait_for(timeout=120_000)
        wait_for_text(a, TEMPLATES)
        wait_for_text(b, KERNELS)
        assert KERNELS not in main_text(a) and TEMPLATES not in main_text(b)

        # stopping A leaves B training
        still_training(a, "A")
        button(a, "cnn_trainer.stop").click()
        wait_for_text(a, STOPPED)
        wait_until_idle(a)
        assert shown_epoch(a) < EPOCHS
        still_training(b, "B")
        steps = steps_drawn(b)
        b.wait_for_function(f"n => ({STEPS})() > n", arg=steps, timeout=120_000)  # B goes on training

        # a model uploaded in A (a CNN: kernels, where A trained a dense network) is A's alone
        a.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(checkpoint_file(tmp_path)))
        wait_for_text(a, LOADED)
        wait_until_idle(a)
        still_training(b, "B")
        assert LOADED not in main_text(b)

        # the test stops B: B shows its own run (its own test accuracy, its own kind of network), not A's model
        button(b, "cnn_trainer.stop").click()
        wait_for_text(b, STOPPED)
        wait_until_idle(b)
        assert shown_epoch(b) < EPOCHS
        text_b = main_text(b)
        assert "Test accuracy:" in text_b and KERNELS in text_b and NO_MAPS not in text_b
        assert TEMPLATES not in text_b and LOADED not in text_b and FINISHED not in text_b
        # a rerun of B (another test image to follow) after A's upload still shows B's run, not A's model
        charts = b.evaluate(CHARTS)
        slider = b.get_by_role("slider", name=translate("common.network.probe", "en"))
        slider.focus()
        slider.press("ArrowRight")
        expect(slider).to_have_value("1")
        b.wait_for_function(f"before => ({CHARTS})() !== before", arg=charts, timeout=60_000)  # redrawn: it ran
        wait_until_idle(b)
        text_b = main_text(b)
        assert STOPPED in text_b and LOADED not in text_b and KERNELS in text_b

        # A shows the model it loaded, never its own stopped run nor B's
        text_a = main_text(a)
        assert LOADED in text_a and "Test accuracy:" in text_a and KERNELS in text_a
        assert TEMPLATES not in text_a and STOPPED not in text_a and NO_MAPS not in text_a
        assert f"{weights(CONFIG_B)} weights" not in text_a
        assert_healthy(a, errors_a, server)
        assert_healthy(b, errors_b, server)
    finally:
        for context in contexts:
            context.close()


def test_each_apptest_session_gets_its_own_training_job():
    """Two sessions hold distinct job tokens; a run started in one leaves the other idle, and its Stop stops it (the
    run is B's of the browser test: minutes long, so it is still going when the test stops it)."""
    first = lesson_app(CNN_TRAINER, {"data": "digits", "blocks": "3", "epochs": "30", "batch": "16",
                                     **{f"b{i}": b for i, b in enumerate(BLOCKS_B, start=1)}})
    second = lesson_app(CNN_TRAINER, {"model": "mlp", "width": "16"})
    tokens = [at.session_state["_training_job_token"] for at in (first, second)]
    assert tokens[0] != tokens[1]
    first.button(key="cnn_trainer_start").click().run()
    try:
        assert first.button(key="cnn_trainer_start").disabled and not first.button(key="cnn_trainer_stop").disabled
        second.run()
        assert_clean(second)
        assert translate("cnn_trainer.idle", "en") in page_texts(second)  # nothing of the first session's run
        assert not second.button(key="cnn_trainer_start").disabled and second.button(key="cnn_trainer_stop").disabled
    finally:
        first.button(key="cnn_trainer_stop").click().run()  # frees its slot of the server-wide cap
    assert_clean(first)
    assert STOPPED in page_texts(first) and first.button(key="cnn_trainer_stop").disabled  # the run is over
    second.run()
    assert translate("cnn_trainer.idle", "en") in page_texts(second)
    assert [at.session_state["_training_job_token"] for at in (first, second)] == tokens
