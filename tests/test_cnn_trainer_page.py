"""AppTest of the live CNN trainer: set-up, refusing impossible networks, a real (short) training run."""

import time

import pytest

from core.models import CNNConfig, ConvBlock, build_model
from tests.conftest import assert_clean, lesson_app, page_texts
from ui.i18n import LANGUAGES, translate
from ui.nav import CNN_TRAINER


def lesson(query=None, lang="en"):
    return lesson_app(CNN_TRAINER, query, lang)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_renders_in_both_languages(lang):
    at = lesson({}, lang)
    assert at.title[0].value == translate("cnn.title", lang)
    assert translate("cnn.idle", lang) in page_texts(at)


def test_the_summary_counts_the_real_models_weights():
    at = lesson({"blocks": "3", "channels": "8", "dense": "32"})
    model = build_model(CNNConfig(blocks=tuple(ConvBlock(8 * 2**k) for k in range(3)), dense=(32,)))
    params = sum(p.numel() for p in model.parameters())
    assert any(f"{params:,}" in e.label for e in at.expander)


def test_a_network_that_shrinks_below_one_pixel_is_refused_by_name():
    at = lesson({"blocks": "6", "pool": "max"})
    assert at.error and "block5" in at.error[0].value


def test_a_short_run_trains_and_shows_results():
    at = lesson({"epochs": "1", "blocks": "1", "channels": "4", "dense": "0"})
    at.button(key="cnn_start").click().run()
    assert_clean(at)
    end = time.monotonic() + 120
    while translate("cnn.status.finished", "en", seconds="").split(" ")[0] not in page_texts(at):
        assert time.monotonic() < end, page_texts(at)
        time.sleep(0.5)
        at.run()
    assert_clean(at)
    accuracy = float(at.subheader[0].value.split(": ")[1].rstrip("%"))
    assert accuracy > 50  # one epoch of a 4-channel network on digits: well above chance (10%)
    assert at.get("download_button")
    at.button(key="cnn_reset").click().run()
    assert translate("cnn.idle", "en") in page_texts(at)


def test_after_training_the_builtin_digit_is_classified_with_its_feature_maps():
    at = lesson({"epochs": "2", "blocks": "2", "channels": "8"})
    at.button(key="cnn_start").click().run()
    end = time.monotonic() + 180
    while not at.subheader:
        assert time.monotonic() < end, page_texts(at)
        time.sleep(0.5)
        at.run()
    assert_clean(at)
    assert at.subheader[1].value == translate("cnn.try.title", "en")
    figures = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("block1_act" in spec for spec in figures) and any("block2_act" in spec for spec in figures)
    assert any("The network's answer" in spec for spec in figures)

