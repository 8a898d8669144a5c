"""AppTest of the live CNN trainer: the block-by-block builder and its links, refusing impossible networks, real
(short) training runs, the views inside the network, and "try it"."""

import time

import pytest

from core.models import CNNConfig, ConvBlock, MLPConfig, build_model
from tests.conftest import assert_clean, lesson_runner, page_texts
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import CNN_TRAINER

lesson = lesson_runner(CNN_TRAINER)


def params_of(config) -> str:
    return f"{sum(p.numel() for p in build_model(config).parameters()):,}"


def summary(at) -> str:
    return next(m.value for m in at.markdown if "multiply-adds" in m.value)


def train_until_done(at, limit: float = 180):
    at.button(key="cnn_trainer_start").click().run()
    assert_clean(at)
    end = time.monotonic() + limit
    while not at.subheader:
        assert time.monotonic() < end, page_texts(at)
        time.sleep(0.5)
        at.run()
    assert_clean(at)
    return at


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_renders_in_both_languages(lang):
    at = lesson({}, lang)
    assert at.title[0].value == translate("cnn_trainer.title", lang)
    assert translate("cnn_trainer.idle", lang) in page_texts(at)
    assert_clean(at)


def test_each_block_comes_from_the_link_and_the_summary_counts_that_network():
    blocks = (ConvBlock(8, 3, "relu", "max", True), ConvBlock(16, 5, "tanh", "avg", False),
              ConvBlock(32, 1, "gelu", "none", True))
    at = lesson({"blocks": "3", "b1": "8-3-relu-max-bn", "b2": "16-5-tanh-avg-nobn", "b3": "32-1-gelu-none-bn",
                 "dense": "32"})
    assert_clean(at)
    assert at.selectbox(key="cnn_trainer_b2_kernel").value == 5
    assert at.checkbox(key="cnn_trainer_b2_batch_norm").value is False
    assert params_of(CNNConfig(blocks=blocks, dense=(32,), activation="gelu")) in summary(at)


def test_editing_a_block_updates_the_summary_and_the_link():
    at = lesson({"blocks": "2"})
    at.selectbox(key="cnn_trainer_b2_channels").set_value(64).run()
    at.selectbox(key="cnn_trainer_b2_pooling").set_value("avg").run()
    assert at.query_params["b2"] == "64-3-relu-avg-bn"
    assert params_of(CNNConfig(blocks=(ConvBlock(16), ConvBlock(64, pooling="avg")))) in summary(at)
    at.slider(key="cnn_trainer_blocks").set_value(1).run()
    assert "b2" not in at.query_params and params_of(CNNConfig(blocks=(ConvBlock(16),))) in summary(at)


@pytest.mark.parametrize("bad", ["16-4-relu-max-bn", "16-3-relu-max", "9999-3-relu-max-bn", "16-3-evil-max-bn",
                                 "16-3-relu-max-maybe", "1e3-3-relu-max-bn", "", "-" * 500])
def test_a_bad_block_in_the_link_falls_back_to_the_default_without_a_traceback(bad):
    at = lesson({"b1": bad})
    assert_clean(at)
    assert at.selectbox(key="cnn_trainer_b1_channels").value == 16
    assert at.selectbox(key="cnn_trainer_b1_kernel").value == 3


def test_a_network_that_shrinks_below_one_pixel_is_refused_by_name():
    at = lesson({"blocks": "6", "b4": "128-3-relu-max-bn", "b5": "128-3-relu-max-bn"})
    assert at.error and "block5" in at.error[0].value
    # the page stops before the buttons: nothing to start
    assert not [b for b in at.button if b.key == "cnn_trainer_start"]


def test_a_dense_only_network_is_built_from_its_controls():
    at = lesson({"model": "mlp", "layers": "2", "width": "64", "act": "tanh"})
    assert_clean(at)
    assert params_of(MLPConfig(hidden=(64, 64), activation="tanh")) in summary(at)
    assert not [s for s in at.selectbox if s.key == "cnn_trainer_b1_channels"]


def test_a_short_run_trains_and_shows_results_inside_views_and_the_script():
    at = train_until_done(lesson({"epochs": "1", "blocks": "1", "b1": "4-3-relu-max-bn", "dense": "0"}))
    accuracy = float(at.subheader[0].value.split(": ")[1].rstrip("%"))
    assert accuracy > 50  # one epoch of a 4-channel network on digits: well above chance (10%)
    texts = page_texts(at)
    assert translate("cnn_trainer.inside_final", "en") in texts
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("First-layer kernels (4 shown" in s for s in specs)
    assert any("Accuracy per class" in s for s in specs)
    assert {b.proto.label for b in at.get("download_button")} >= {translate("cnn_trainer.download", "en"),
                                                                  translate("cnn_trainer.script", "en")}
    at.slider(key="cnn_trainer_probe").set_value(7).run()  # follow another test image through the network
    assert_clean(at)
    at.button(key="cnn_trainer_reset").click().run()
    assert translate("cnn_trainer.idle", "en") in page_texts(at)


def test_the_results_belong_to_the_trained_network_even_after_the_controls_change():
    at = train_until_done(lesson({"epochs": "1", "blocks": "1", "b1": "4-3-relu-max-bn", "dense": "0"}))
    at.slider(key="cnn_trainer_blocks").set_value(3).run()  # the set-up changes; the trained model does not
    assert_clean(at)
    assert at.subheader  # the results stay
    config = at.session_state["cnn_trainer_run"][0]
    assert config.blocks == (ConvBlock(4, 3, "relu", "max", True),) and config.dense == ()


def test_after_training_a_picture_is_classified_with_its_feature_maps():
    at = train_until_done(lesson({"epochs": "2", "blocks": "2", "b1": "8-3-relu-max-bn", "b2": "16-3-relu-max-bn",
                                  "source": "picture"}))
    assert at.subheader[1].value == translate("cnn_trainer.try.title", "en")
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("What the network sees (8 × 8)" in s for s in specs)
    assert sum("block2_act" in s for s in specs) >= 2  # the probe image's maps and the picture's maps
    at.segmented_control(key="cnn_trainer_source").set_value("draw").run()
    assert translate("cnn_trainer.try.draw_something", "en") in page_texts(at)  # an empty pad asks for a drawing
    assert_clean(at)


def test_a_dense_network_trains_and_shows_its_templates_instead_of_kernels():
    at = train_until_done(lesson({"model": "mlp", "width": "16", "epochs": "1"}, "zh"))
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any(translate("cnn_trainer.templates", "zh", n=16)[:6] in s for s in specs)
    assert translate("cnn_trainer.no_maps", "zh") in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_position_part_shows_shifted_examples_before_anything_trains(lang):
    at = lesson({"part": "position", "shift_max": "6"}, lang)
    assert_clean(at)
    assert translate("cnn_trainer.shift.press", lang) in page_texts(at)
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(specs) == 3  # the test image at shifts 0, 3 and 6


def test_the_position_experiment_draws_both_curves_with_the_measured_numbers():
    from core.shift import ShiftExperiment, run_shift_experiment

    at = lesson({"part": "position", "shift_max": "4", "shift_epochs": "1", "shift_data": "digits",
                 "shift_dir": "right"})
    at.button(key="cnn_trainer_shift_button").click().run(timeout=300)
    assert_clean(at)
    expected = run_shift_experiment(ShiftExperiment(dataset="digits", max_shift=4, direction="right", epochs=1))
    figure = next(c.proto.spec for c in at.get("plotly_chart") if "Test accuracy on shifted" in c.proto.spec)
    import json

    traces = json.loads(figure)["data"]
    assert [round(v, 12) for v in traces[0]["y"]] == [round(v, 12) for v in expected.cnn_accuracy]
    assert [round(v, 12) for v in traces[1]["y"]] == [round(v, 12) for v in expected.mlp_accuracy]
    assert [round(v, 12) for v in traces[2]["y"]] == [round(v, 12) for v in expected.pooled_accuracy]
    assert f"{expected.cnn_params:,}" in traces[0]["name"] and f"{expected.mlp_params:,}" in traces[1]["name"]
    assert f"{expected.pooled_params:,}" in traces[2]["name"]


def test_global_pooling_is_part_of_the_network_and_the_link():
    at = lesson({"gpool": "max", "dense": "32"})
    assert_clean(at)
    assert params_of(CNNConfig(global_pool="max", dense=(32,))) in summary(at)
    at.selectbox(key="cnn_trainer_gpool").set_value("avg").run()
    assert at.query_params["gpool"] == "avg" and "global_pool" in at.dataframe[0].value.to_string()


def first_losses(at) -> list[float]:
    import json

    from tests.conftest import plotly_array

    spec = next(c.proto.spec for c in at.get("plotly_chart") if "Loss on the training batches" in c.proto.spec)
    return list(plotly_array(json.loads(spec)["data"][0]["y"]))


@pytest.mark.parametrize("go_on", [True, False])
def test_training_can_go_on_from_the_trained_network(go_on):
    """A second run that goes on from the trained weights starts at the low loss where the first ended; a fresh
    one starts again near ln(10) ≈ 2.3."""
    query = {"epochs": "2", "blocks": "1", "b1": "8-3-relu-max-bn", "dense": "0", "lr": "0.0003"}
    at = train_until_done(lesson(query))
    start, ended = first_losses(at)[0], first_losses(at)[-1]
    at.toggle(key="cnn_trainer_continue").set_value(go_on).run()
    at = train_until_done(at)
    again = first_losses(at)[0]  # the loss after the second run's first 10 batches
    if go_on:
        assert again < (start + ended) / 2
    else:
        assert again == pytest.approx(start, rel=1e-6)  # the same seed: the same fresh network, the same batches


def test_there_is_nothing_to_continue_before_training_or_after_the_network_changes():
    at = lesson({"epochs": "1"})
    assert not [w for w in at.toggle if w.key == "cnn_trainer_continue"]
