"""AppTest of the live CNN trainer: the block-by-block builder and its links, refusing impossible networks, real
(short) training runs, the views inside the network, the controls reaching the training job, the checkpoint and
script downloads, and "try it"."""

import copy
import dataclasses
import io
import runpy

import numpy as np
import pytest
import torch
from torch import nn

import core.train
from core.checkpoints import load_checkpoint
from core.data import load_dataset
from core.drawn_digits import FOR_TRAINING, drawn_digits
from core.images import mosaic
from core.models import CNNConfig, ConvBlock, MLPConfig, build_model
from core.train import UNSURE_BELOW, TrainConfig, TrainResult, evaluate
from tests.conftest import assert_clean, lesson_runner, page_texts, plotly_array
from tests.helpers.downloads import download, record_downloads
from tests.helpers.editors import editor_keys, shown_rows
from tests.helpers.figures import chart, charts
from tests.helpers.trainer import network_maps, train_until_done
from ui.plots.panels import BANDS_WIDTH_PX, PHONE_BANDS_WIDTH_PX, PROJECTOR_BANDS_WIDTH_PX
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import CNN_TRAINER

lesson = lesson_runner(CNN_TRAINER)
DIGITS = load_dataset("digits")  # the trainer's default data set, as the page loads it
TABLE = "cnn_trainer_block_table"  # the conv blocks' table (ui.widgets.row_editor)


def params_of(config) -> str:
    return f"{sum(p.numel() for p in build_model(config).parameters()):,}"


def summary(at) -> str:
    return next(m.value for m in at.markdown if "multiply-adds" in m.value)


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
    assert shown_rows(at, TABLE) == [dataclasses.asdict(block) for block in blocks]
    assert params_of(CNNConfig(blocks=blocks, dense=(32,), activation="gelu")) in summary(at)


def test_editing_a_block_updates_the_summary_and_the_link():
    """An edit (what ``edit_block`` stores, here set directly: AppTest cannot click the browser's controls;
    tests/test_browser.py does) goes into the link, the table and the summary; fewer blocks leave the link."""
    at = lesson({"blocks": "2"})
    at.session_state["cnn_trainer_b2"] = "64-3-relu-avg-bn"
    at.run()
    assert at.query_params["b2"] == "64-3-relu-avg-bn"
    assert shown_rows(at, TABLE)[1] == dataclasses.asdict(ConvBlock(64, pooling="avg"))
    assert params_of(CNNConfig(blocks=(ConvBlock(16), ConvBlock(64, pooling="avg")))) in summary(at)
    at.slider(key="cnn_trainer_blocks").set_value(1).run()
    assert "b2" not in at.query_params and params_of(CNNConfig(blocks=(ConvBlock(16),))) in summary(at)


@pytest.mark.parametrize("bad", ["16-4-relu-max-bn", "16-3-relu-max", "9999-3-relu-max-bn", "16-3-evil-max-bn",
                                 "16-3-relu-max-maybe", "1e3-3-relu-max-bn", "", "-" * 500])
def test_a_bad_block_in_the_link_falls_back_to_the_default_without_a_traceback(bad):
    at = lesson({"b1": bad})
    assert_clean(at)
    assert shown_rows(at, TABLE)[0] == dataclasses.asdict(ConvBlock(16, 3))


def test_a_network_that_shrinks_below_one_pixel_is_refused_by_name():
    at = lesson({"blocks": "6", "b4": "128-3-relu-max-bn", "b5": "128-3-relu-max-bn"})
    assert at.error and "block5" in at.error[0].value
    # the page stops before the buttons: nothing to start
    assert not [b for b in at.button if b.key == "cnn_trainer_start"]


def test_a_dense_only_network_is_built_from_its_controls():
    at = lesson({"model": "mlp", "layers": "2", "width": "64", "act": "tanh"})
    assert_clean(at)
    assert params_of(MLPConfig(hidden=(64, 64), activation="tanh")) in summary(at)
    assert TABLE not in editor_keys(at)


def test_a_short_run_trains_and_shows_results_inside_views_and_the_script():
    """Every number shown after the run is the trained network's: its weights read back from the page's checkpoint
    download give the same test accuracy, the same per-class bars, the same first-layer kernels."""
    with record_downloads() as stored:
        at = train_until_done(lesson({"epochs": "1", "blocks": "1", "b1": "4-3-relu-max-bn", "dense": "0"}))
        trained, config = load_checkpoint(io.BytesIO(download(at, stored, "cnn_trainer_download").data))
    assert config == at.session_state["cnn_trainer_run"][0]
    scores = evaluate(trained, DIGITS)
    assert at.subheader[0].value == translate("cnn_trainer.results", "en", accuracy=f"{100 * scores['accuracy']:.2f}")
    assert scores["accuracy"] > 0.5  # one epoch of a 4-channel network on digits: well above chance (10%)
    assert translate("cnn_trainer.inside_final", "en") in page_texts(at)
    kernels = chart(at, translate("cnn_trainer.kernels", "en", n=4))
    np.testing.assert_allclose(kernels.data("z"), mosaic(trained.block1_conv.weight.detach()[:, 0].numpy()),
                               rtol=1e-6, atol=1e-7)  # float32, as trained
    per_class = chart(at, translate("cnn_trainer.per_class", "en"))
    np.testing.assert_allclose(per_class.data("y"), scores["per_class"], rtol=1e-12)
    assert list(per_class.traces[0]["x"]) == DIGITS.classes
    confusion = chart(at, translate("cnn_trainer.confusion", "en"))
    np.testing.assert_array_equal(confusion.data("z"), scores["confusion"])
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


@pytest.fixture
def received(monkeypatch) -> list[tuple[dict, nn.Module, TrainConfig]]:
    """``core.train.train`` replaced for the session's training job: it records what the job handed it (the
    network's initial weights, the network, the training config), then "trains" by moving every weight by a fixed
    amount, so that trained weights differ from the initial ones."""
    calls = []

    def fake_train(model, dataset, config, on_progress=None, stop=None):
        calls.append((copy.deepcopy(model.state_dict()), model, config))
        with torch.no_grad():
            for n, p in enumerate(model.parameters()):
                p.add_(0.01 * (n + 1))
        return TrainResult("finished", f"finished {config.epochs} epochs")

    monkeypatch.setattr(core.train, "train", fake_train)
    return calls


SETTINGS = {"blocks": "1", "b1": "4-3-relu-max-bn", "dense": "16"}
"""A small network for the tests that set the training controls."""


def set_training_controls(at):
    """Optimizer, learning rate, epochs, batch size and dropout, each set with its own control."""
    at.selectbox(key="cnn_trainer_opt").set_value("nesterov").run()
    at.select_slider(key="cnn_trainer_lr").set_value(0.01).run()
    at.slider(key="cnn_trainer_epochs").set_value(3).run()
    at.select_slider(key="cnn_trainer_batch").set_value(32).run()
    at.select_slider(key="cnn_trainer_drop").set_value(0.25).run()
    assert_clean(at)
    return at


EXPECTED_TRAINING = TrainConfig(optimizer="nesterov", lr=0.01, epochs=3, batch_size=32, augment=True)
"""What the controls above ask for, with augmentation on (the digits' default); everything else (the cosine
schedule, which has no control, the seed, the device) at ``TrainConfig``'s defaults."""


def test_the_training_controls_reach_the_job(received):
    at = set_training_controls(lesson(SETTINGS))
    assert dict(at.query_params).items() >= {"opt": "nesterov", "lr": "0.01", "epochs": "3", "batch": "32",
                                             "drop": "0.25"}.items()
    train_until_done(at)
    [(initial, model, config)] = received
    assert config == EXPECTED_TRAINING
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.25]
    expected = build_model(CNNConfig(blocks=(ConvBlock(4),), dense=(16,), dropout=0.25), seed=config.seed)
    assert str(model) == str(expected)
    assert all(torch.equal(initial[k], v) for k, v in expected.state_dict().items())  # a fresh network, seeded
    assert at.session_state["cnn_trainer_run"] == (CNNConfig(blocks=(ConvBlock(4),), dense=(16,), dropout=0.25),
                                                   EXPECTED_TRAINING)


@pytest.mark.parametrize("link, drawn", [({}, FOR_TRAINING), ({"drawn": "0"}, 0)], ids=["default", "off"])
def test_the_drawn_digits_join_the_training_images_unless_turned_off(monkeypatch, link, drawn):
    trained_on = []

    def fake_train(model, dataset, config, on_progress=None, stop=None):
        trained_on.append(dataset)
        return TrainResult("finished", "finished")

    monkeypatch.setattr(core.train, "train", fake_train)
    at = lesson({**SETTINGS, **link})
    assert at.toggle(key="cnn_trainer_drawn").value == bool(drawn)
    train_until_done(at)
    [dataset] = trained_on
    scans = len(DIGITS.y_train)
    assert len(dataset.y_train) == scans + drawn
    assert torch.equal(dataset.x_train[:scans], DIGITS.x_train)
    assert torch.equal(dataset.x_train[scans:], drawn_digits(drawn)[0])
    assert torch.equal(dataset.x_test, DIGITS.x_test)  # tested on the scans alone, either way
    shapes = lesson({**SETTINGS, "data": "shapes"})
    assert "cnn_trainer_drawn" not in [toggle.key for toggle in shapes.toggle]


def test_a_downloaded_checkpoint_holds_the_trained_weights_and_loads_back_into_the_page(received):
    with record_downloads() as stored:
        at = train_until_done(lesson(SETTINGS))
        checkpoint = download(at, stored, "cnn_trainer_download")
    [(initial, model, _)] = received
    loaded, config = load_checkpoint(io.BytesIO(checkpoint.data))  # the app's own loader
    assert checkpoint.filename.endswith(".pt") and config == at.session_state["cnn_trainer_run"][0]
    trained = model.state_dict()
    assert loaded.state_dict().keys() == trained.keys()
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in trained.items())
    assert not all(torch.equal(initial[k], v) for k, v in trained.items())  # the trained weights, not the initial
    accuracy = at.subheader[0].value
    assert accuracy == translate("cnn_trainer.results", "en",
                                 accuracy=f"{100 * evaluate(loaded, DIGITS)['accuracy']:.2f}")

    fresh = lesson({})  # another session uploads the file: the same network, the same results
    fresh.file_uploader(key="cnn_trainer_checkpoint").upload(checkpoint.filename, checkpoint.data,
                                                             "application/octet-stream").run()
    assert_clean(fresh)
    assert translate("cnn_trainer.status.loaded", "en", seconds="0.0", message="") in page_texts(fresh)
    assert fresh.subheader[0].value == accuracy
    assert fresh.session_state["cnn_trainer_run"][0] == config


def test_the_downloaded_script_has_the_pages_settings_and_starts_from_the_same_weights(tmp_path, received):
    at = set_training_controls(lesson(SETTINGS))
    with record_downloads() as stored:
        at.run()
        script = download(at, stored, "cnn_trainer_script")
    assert script.filename == "train_digits_cnn.py"
    path = tmp_path / script.filename
    path.write_bytes(script.data)
    values = runpy.run_path(str(path))  # defines everything; main() runs only as a program
    c = EXPECTED_TRAINING
    assert {k: values[k] for k in ("DATASET", "OPTIMIZER", "LR", "EPOCHS", "BATCH_SIZE", "SCHEDULE", "SEED",
                                   "MOMENTUM", "WEIGHT_DECAY", "DRAWN")} == {
        "DATASET": "digits", "DRAWN": FOR_TRAINING,
        "OPTIMIZER": c.optimizer, "LR": c.lr, "EPOCHS": c.epochs, "BATCH_SIZE": c.batch_size,
        "SCHEDULE": c.schedule, "SEED": c.seed, "MOMENTUM": c.momentum, "WEIGHT_DECAY": c.weight_decay}
    network = values["build_model"]()
    assert [m.p for m in network.modules() if isinstance(m, nn.Dropout)] == [0.25]
    train_until_done(at)  # what the app trains from: the script's network is the same, weight for weight
    [(initial, _, config)] = received
    assert config == c
    assert network.state_dict().keys() == initial.keys()
    assert all(torch.equal(network.state_dict()[k], v) for k, v in initial.items())


def test_after_training_a_picture_is_classified_with_its_feature_maps():
    from core.drawing import prepare_image
    from core.images import BUILTIN_IMAGES, to_gray

    with record_downloads() as stored:
        at = train_until_done(lesson({"epochs": "2", "blocks": "2", "b1": "8-3-relu-max-bn",
                                      "b2": "16-3-relu-max-bn", "source": "picture"}))
        trained, _ = load_checkpoint(io.BytesIO(download(at, stored, "cnn_trainer_download").data))
    assert at.subheader[1].value == translate("cnn_trainer.try.title", "en")
    prepared = prepare_image(to_gray(BUILTIN_IMAGES["digit"].load()), "digits")  # the picture picked by default
    x = prepared.x
    seen = chart(at, translate("cnn_trainer.try.seen", "en", h=8, w=8))  # digits are 8 × 8 pictures, upsampled
    np.testing.assert_allclose(seen.data("z"), prepared.small, rtol=1e-6, atol=1e-7)
    fitted = chart(at, translate("cnn_trainer.try.fitted", "en", h=32, w=32, slant=f"{prepared.slant:+.2f}"))
    np.testing.assert_allclose(fitted.data("z"), prepared.fitted)  # the steps before: the scans' 32 × 32 bitmap
    h, w = prepared.cropped.shape
    assert chart(at, translate("cnn_trainer.try.cropped", "en", h=h, w=w)).data("z").shape[0] <= 112
    with torch.no_grad():
        p = torch.softmax(trained(x), dim=1)[0].numpy()
    answer = chart(at, key="cnn_trainer_try_probs")
    np.testing.assert_allclose(answer.data("y"), p, rtol=1e-5, atol=1e-7)
    assert answer.title == translate("cnn_trainer.try.probabilities", "en", label=DIGITS.classes[int(p.argmax())],
                                     p=f"{100 * p.max():.1f}")
    # the answer in words: the three most likely digits, or that the network is not sure
    top = np.argsort(-p, kind="stable")[:3]
    words = [f"{DIGITS.classes[i]} ({100 * p[i]:.1f}%)" for i in top]
    if p[top[0]] >= UNSURE_BELOW:
        expected = translate("cnn_trainer.try.answer", "en", label=DIGITS.classes[top[0]], p=f"{100 * p[top[0]]:.1f}",
                             others=", ".join(words[1:]))
        assert [s.value for s in at.success if s.value == expected] == [expected]
    else:
        listed = translate("common.list_separator", "en").join(words)
        expected = translate("cnn_trainer.try.unsure", "en", listed=listed)
        assert [w.value for w in at.warning if w.value == expected] == [expected]
    # the probe image's maps and the picture's maps, block by block: 8 maps of 28 × 28, then (after a 2 × 2 max
    # pool) 16 maps of 14 × 14
    for prefix, image in (("probe", DIGITS.x_test[:1]), ("try", x)):
        for (layer, out), c, side in zip(network_maps(trained, image), (8, 16), (28, 14), strict=True):
            maps = chart(at, key=f"cnn_trainer_{prefix}_maps_{layer}")
            assert maps.title == translate("cnn_trainer.try.maps", "en", layer=layer, c=c, h=side, w=side, n=16)
            np.testing.assert_allclose(maps.data("z"), mosaic(out[:16]), rtol=1e-5, atol=1e-5)
    at.segmented_control(key="cnn_trainer_source").set_value("draw").run()
    assert translate("cnn_trainer.try.draw_something", "en") in page_texts(at)  # an empty pad asks for a drawing
    assert_clean(at)


def test_a_dense_network_trains_and_shows_its_templates_instead_of_kernels():
    with record_downloads() as stored:
        at = train_until_done(lesson({"model": "mlp", "width": "16", "epochs": "1"}, "zh"))
        trained, _ = load_checkpoint(io.BytesIO(download(at, stored, "cnn_trainer_download").data))
    first = next(m for m in trained.children() if isinstance(m, nn.Linear))
    templates = chart(at, key="cnn_trainer_kernels_fig")
    assert templates.title == translate("cnn_trainer.templates", "zh", n=16)
    # each of the 16 units' 784 weights drawn as a 28 × 28 picture
    np.testing.assert_allclose(templates.data("z"), mosaic(first.weight.detach().reshape(16, 28, 28).numpy()),
                               rtol=1e-6, atol=1e-7)
    assert translate("cnn_trainer.no_maps", "zh") in [c.value for c in at.caption]
    assert not [c for c in charts(at) if c.key and "_maps_" in c.key]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_position_part_shows_shifted_examples_before_anything_trains(lang):
    at = lesson({"part": "position", "shift_max": "6"}, lang)
    assert_clean(at)
    assert translate("cnn_trainer.shift.press", lang) in page_texts(at)
    from core.shift import ShiftExperiment, experiment_data

    x = experiment_data(ShiftExperiment(dataset="digits"))
    assert len(charts(at)) == 3  # the test image at shifts 0, 3 and 6 (right), as the student sees them
    image = x.x_test[0, 0].numpy()
    for s in (0, 3, 6):
        moved = np.zeros_like(image)
        moved[:, s:] = image[:, :image.shape[1] - s]
        shown = chart(at, translate("cnn_trainer.shift.example", lang, s=s))
        np.testing.assert_allclose(shown.data("z"), moved, rtol=1e-6, atol=1e-7)


def test_the_position_experiment_draws_both_curves_with_the_measured_numbers():
    from core.shift import ShiftExperiment, run_shift_experiment

    at = lesson({"part": "position", "shift_max": "4", "shift_epochs": "1", "shift_data": "digits",
                 "shift_dir": "right"})
    at.button(key="cnn_trainer_shift_button").click().run(timeout=300)
    assert_clean(at)
    expected = run_shift_experiment(ShiftExperiment(dataset="digits", max_shift=4, direction="right", epochs=1))
    figure = chart(at, translate("cnn_trainer.shift.title", "en"))
    for n, accuracy in enumerate((expected.cnn_accuracy, expected.mlp_accuracy, expected.pooled_accuracy)):
        np.testing.assert_allclose(figure.data("y", n), accuracy, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(figure.data("x", n), expected.shifts)
    assert figure.trace_names == [translate("cnn_trainer.shift.cnn", "en", params=f"{expected.cnn_params:,}"),
                                  translate("cnn_trainer.shift.mlp", "en", params=f"{expected.mlp_params:,}"),
                                  translate("cnn_trainer.shift.pooled", "en", params=f"{expected.pooled_params:,}")]


def test_global_pooling_is_part_of_the_network_and_the_link():
    at = lesson({"gpool": "max", "dense": "32"})
    assert_clean(at)
    assert params_of(CNNConfig(global_pool="max", dense=(32,))) in summary(at)
    at.selectbox(key="cnn_trainer_gpool").set_value("avg").run()
    assert at.query_params["gpool"] == "avg"
    names = list(at.dataframe[0].value[translate("cnn_trainer.table.name", "en")])
    model = build_model(CNNConfig(global_pool="avg", dense=(32,)))
    assert names == [name for name, _ in model.named_children()] and "global_pool" in names
    assert isinstance(model.global_pool, nn.AdaptiveAvgPool2d)


def first_losses(at) -> list[float]:
    return list(chart(at, translate("cnn_trainer.loss_title", "en")).data("y"))


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


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_scale_part_measures_the_primers_claim_and_corrects_it_with_its_numbers(lang):
    """Before the button nothing trains; after it, both accuracy curves at every size, and the correction quotes
    their values at 0.5×, 1× and 1.5×, and the shift and size errors of a convolution, as core measured them."""
    from core.scale import SCALES, ScaleExperiment
    from tests.helpers.texts import read_fields
    from ui.lessons.cnn_trainer_position import measured_scales

    at = lesson({"part": "scale"}, lang)
    assert not [c for c in charts(at) if c.key == "cnn_trainer_scale_fig"]
    at.button(key="cnn_trainer_scale_button").click().run(timeout=240)
    assert_clean(at)
    figure = chart(at, key="cnn_trainer_scale_fig")
    plain, varied = (trace["y"] for trace in figure.traces[:2])
    assert list(figure.traces[0]["x"]) == list(SCALES)
    result = measured_scales(ScaleExperiment())  # cached: the very run the page drew
    assert plain == pytest.approx(result.plain_accuracy) and varied == pytest.approx(result.varied_accuracy)
    fields = read_fields("cnn_trainer.scale.in_fact", lang, [m.value for m in at.markdown])
    at_scale = dict(zip(SCALES, range(len(SCALES)), strict=True))
    assert fields["plain1"] == f"{100 * plain[at_scale[1.0]]:.0f}"
    assert fields["plain_small"] == f"{100 * plain[at_scale[0.5]]:.0f}"
    assert fields["varied_big"] == f"{100 * varied[at_scale[1.5]]:.0f}"
    assert fields["shift_error"] == "0"
    assert plain[at_scale[0.5]] < 0.5 < plain[at_scale[1.0]] and varied[at_scale[0.5]] > 0.8  # what the text says


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_inside_a_trained_cnn_shows_the_reference_network_end_to_end_before_anything_trains(lang):
    """No training in this session: the server's reference network, each stage linked to its lesson, the learned
    kernels with their nearest hand-made kernels, and the head's weights, scores and reading, all from core."""
    from core.conv import KERNELS
    from core.reference import head, nearest_kernels, stages
    from tests.helpers.texts import read_fields
    from ui.jobs.reference import reference_network
    from ui.shell.registry import by_name

    at = lesson({"part": "inside", "probe": "5"}, lang)
    assert_clean(at)
    model, accuracy = reference_network()
    assert read_fields("cnn_trainer.inside.reference", lang, [c.value for c in at.caption]) == {
        "accuracy": f"{100 * accuracy:.1f}"}
    x = DIGITS.x_test[5:6]
    expected = stages(model, x)
    links = [link for link in at.get("page_link") if " · " in link.proto.label]
    assert [link.proto.label for link in links] == [f"{s.name} · {s.kind}" for s in expected]
    assert [link.proto.page for link in links] == [by_name(s.lesson).url_path if not by_name(s.lesson).default
                                                   else "" for s in expected]
    # every stage is a band of the one pipeline figure, named by the stage and its shape, holding its output
    from core.images import mosaic
    from tests.helpers.figures import panel

    pipeline = chart(at, key="cnn_trainer_inside_stages")
    assert len(pipeline.traces) == len(expected)  # the input, then every stage but the probabilities
    for s in expected[:-1]:
        band = plotly_array(panel(at, f"{s.name} · {s.kind}: {'×'.join(map(str, s.output.shape))}")["z"])
        want = mosaic(s.output[:8]) if s.output.ndim == 3 else s.output[None]
        np.testing.assert_allclose(np.asarray(band, dtype=float), want, rtol=1e-6, atol=1e-6)
    learned = next(m for m in model.modules() if isinstance(m, nn.Conv2d)).weight.detach().numpy()[:8, 0]
    nearest = nearest_kernels(learned, {name: k.weights for name, k in KERNELS.items()})
    for n, (name, similarity) in enumerate(nearest):
        shown = chart(at, key=f"cnn_trainer_inside_nearest_{n}")
        np.testing.assert_allclose(shown.data("z"), np.sign(similarity) * KERNELS[name].weights)
        assert f"{abs(similarity):.2f}" in shown.title
    got = head(model, x)
    np.testing.assert_allclose(chart(at, key="cnn_trainer_inside_head_weights").data("z"), got.weights, rtol=1e-6)
    # the head at work, one figure: the features flowing in, the scores coming out, the softmax's probabilities
    shown = chart(at, key="cnn_trainer_inside_head")
    features, scores, probabilities = shown.traces
    np.testing.assert_allclose(plotly_array(features["z"]), got.features[None], rtol=1e-6)
    assert [str(c) for c in DIGITS.classes] == scores["x"] == probabilities["x"]
    np.testing.assert_allclose(scores["y"], got.logits, rtol=1e-6)
    last = expected[-1]
    assert probabilities["name"] == f"{last.name} · {last.kind}: {last.output.size}"
    np.testing.assert_allclose(probabilities["y"], last.output, rtol=1e-5, atol=1e-6)
    assert probabilities["text"][int(np.argmax(last.output))] == f"{100 * last.output.max():.1f}%"
    fields = read_fields("cnn_trainer.inside.reading", lang, [m.value for m in at.markdown])
    assert fields["label"] == DIGITS.classes[int(np.argmax(got.logits))]
    assert fields["probability"] == f"{100 * got.probabilities.max():.1f}"


@pytest.mark.parametrize("width, stacked", [(PHONE_BANDS_WIDTH_PX, True), (BANDS_WIDTH_PX, False),
                                            (PROJECTOR_BANDS_WIDTH_PX, False)])
def test_the_head_figure_puts_the_features_above_and_the_two_bar_charts_apart(width, stacked):
    """The head's one figure: the features' strip across the top; the scores and the probabilities below it, side by
    side on a laptop or a projector, one above the other on a phone; no two subplots overlap, each title above its
    own."""
    from ui.lessons.cnn_trainer_inside import head_figure

    rng = np.random.default_rng(0)
    scores = rng.normal(size=10)
    probabilities = np.exp(scores) / np.exp(scores).sum()
    fig = head_figure(rng.random(64).astype(np.float32), scores, probabilities, list(range(10)), ("f", "s", "p"),
                      width)
    layout = fig["layout"]
    boxes = {trace["name"]: (layout["xaxis" + trace["xaxis"][1:]]["domain"] if trace["xaxis"] != "x" else [0, 1],
                             layout["yaxis" + trace["yaxis"][1:]]["domain"]) for trace in fig["data"]}
    (fx, fy), (sx, sy), (px, py) = boxes["f"], boxes["s"], boxes["p"]
    assert fy[0] >= max(sy[1], py[1]) and fx == [0, 1]  # the strip above both bar charts, across the width
    if stacked:
        assert sx == px == [0.0, 1.0] and sy[0] >= py[1]
    else:
        assert sx[1] < px[0] and sy == py
    titles = {a["text"]: a for a in layout["annotations"]}
    assert titles["s"]["y"] == sy[1] and titles["p"]["y"] == py[1]
    assert fig["data"][2]["y"] == pytest.approx(probabilities) and layout["yaxis3"]["range"] == [0, 1.05]
