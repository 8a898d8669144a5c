"""The budgets (``core.budgets``): declared once, stated in the README, and enforced before the work is done."""

import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as hs

from core.budgets import (
    BUDGETS,
    BUILT_IN_NODES,
    DESCENT_WORK,
    EVALUATION_WORK,
    TENSOR_PICTURE,
    Budget,
    OverBudget,
    cells,
    check,
    descent_work,
    evaluation_images,
)
from core.data import load_dataset
from core.expr import distinct_nodes, parse_function
from core.model_inside import config_mult_adds
from core.models import CNNConfig, build_model
from core.setup_limits import SETUP
from core.train import evaluate, mistakes
from tests.conftest import ROOT, assert_clean, lesson_app
from tests.helpers.figures import charts
from ui.shell.i18n import translate
from ui.shell.registry import GRADIENT_DESCENT, TENSORS


def test_the_readme_states_every_budget_as_declared():
    rows = re.findall(r"^\| `(\w+)` \| ([\d,]+) ([^|]+?) \| ([^|]+?) \|$", (ROOT / "README.md").read_text(), re.M)
    assert [(name, int(limit.replace(",", "")), unit, counts) for name, limit, unit, counts in rows] == [
        (b.name, b.limit, b.unit, b.counts) for b in BUDGETS]


def test_check_passes_up_to_the_limit_and_refuses_beyond_it_with_the_numbers():
    assert check(DESCENT_WORK, DESCENT_WORK.limit) == DESCENT_WORK.limit
    with pytest.raises(OverBudget) as refused:
        check(DESCENT_WORK, DESCENT_WORK.limit + 1)
    assert refused.value.budget is DESCENT_WORK and refused.value.cost == DESCENT_WORK.limit + 1
    assert cells((10_000, 1)) == 10_000 and cells((20, 10_000, 10_000)) == 2_000_000_000 and cells(()) == 1
    assert descent_work(6, 2000, 33) == 6 * 2001 * 33


def test_distinct_nodes_counts_each_shared_subtree_once():
    expr = parse_function("x*y + sin(x*y)")
    # x*y + sin(x*y): +, two x*y products (distinct objects as parsed), each with x and y, and sin
    assert distinct_nodes(expr.tree) == 1 + 3 + 1 + 3
    shared = expr.tree.left
    assert distinct_nodes(shared, shared) == 3
    assert expr.nodes == distinct_nodes(expr.tree) + distinct_nodes(*expr.partials)


def test_the_tensors_link_of_a_16_gb_broadcast_is_answered_from_the_shapes(monkeypatch):
    """``a=(10000,1)&b=(1,10000)&c=(20,1,1)`` asks for a 20 × 10000 × 10000 result (16 GB of float64): the page
    says how many numbers that is and builds none of it."""
    import ui.lessons.tensors as page

    def refuse(*args, **kwargs):
        raise AssertionError("the page built an operand or the result")

    monkeypatch.setattr(page, "demo_values", refuse)
    monkeypatch.setattr(page, "broadcast_apply", refuse)
    at = lesson_app(TENSORS, {"part": "broadcast", "ex": "custom", "a": "(10000,1)", "b": "(1,10000)",
                              "c": "(20,1,1)"})
    assert_clean(at)
    assert [i.value for i in at.info] == [translate("tensors.cast.too_big", "en", cells="2,000,000,000",
                                                    limit=TENSOR_PICTURE.limit)]
    assert not charts(at)


LONG = "+".join(f"sin(x*y+{i})*cos(x-{i}*y)" for i in range(8))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_descent_link_over_its_budget_is_refused_before_any_step(monkeypatch, lang):
    import ui.lessons.gradient_descent as page

    def refuse(*args, **kwargs):
        raise AssertionError("the page ran an optimizer")

    monkeypatch.setattr(page, "descend", refuse)
    page.cached_runs.clear()
    methods = "sgd,momentum,nesterov,adagrad,rmsprop,adam"
    at = lesson_app(GRADIENT_DESCENT, {"part": "two_d", "plane": "custom", "f": LONG, "methods": methods,
                                       "steps": "2000"}, lang)
    nodes = parse_function(LONG).nodes
    cost = descent_work(6, 2000, nodes)
    assert cost > DESCENT_WORK.limit
    assert [e.value for e in at.error] == [translate("budget.descent_work", lang, cost=f"{cost:,}",
                                                     limit=f"{DESCENT_WORK.limit:,}", nodes=nodes, optimizers=6,
                                                     steps=2000)]
    assert not charts(at)


def test_every_built_in_surface_at_its_largest_settings_is_within_budget():
    assert descent_work(6, 2000, BUILT_IN_NODES) <= DESCENT_WORK.limit


def test_the_same_descent_link_is_computed_once_for_the_whole_class(monkeypatch):
    import ui.lessons.gradient_descent as page

    calls = []
    real = page.descend
    monkeypatch.setattr(page, "descend", lambda *a, **k: calls.append(a[3]) or real(*a, **k))
    page.cached_runs.clear()
    query = {"part": "two_d", "plane": "himmelblau", "steps": "150"}
    first = lesson_app(GRADIENT_DESCENT, query)
    assert calls == ["sgd", "momentum", "adam"]
    second = lesson_app(GRADIENT_DESCENT, query)  # another student, the same link
    assert calls == ["sgd", "momentum", "adam"]
    assert [c.spec for c in charts(second)] == [c.spec for c in charts(first)]


def test_the_trainer_link_that_would_hold_a_slot_for_hours_cannot_start_and_says_why():
    """Six 128-channel 7 × 7 blocks without pooling, 30 epochs, batch 16: 3e9 multiply-adds an image, 25 times the
    per-image limit (and ten times the run's budget)."""
    from core.budgets import TRAINING_WORK, training_work
    from core.model_inside import summarize
    from core.models import CNNConfig, ConvBlock, build_model
    from core.setup_limits import SETUP
    from ui.shell.registry import CNN_TRAINER

    blocks = {f"b{i}": "128-7-relu-none-bn" for i in range(1, 7)}
    at = lesson_app(CNN_TRAINER, {"blocks": "6", **blocks, "gpool": "avg", "epochs": "30", "batch": "16",
                                  "drawn": "0"})
    config = CNNConfig(blocks=(ConvBlock(128, 7, pooling="none"),) * 6, global_pool="avg")
    per_image = sum(row["mult_adds"] for row in summarize(build_model(config), (1, 28, 28)))
    work = training_work(per_image, 1437, 30)
    assert work > 10 * TRAINING_WORK.limit and per_image > SETUP.max_mult_adds
    assert translate("cnn_trainer.too_many_mult_adds", "en", n=f"{per_image:,}", limit=f"{SETUP.max_mult_adds:,}") \
        in [e.value for e in at.error]
    assert at.button(key="cnn_trainer_start").disabled


def test_a_run_on_mnist_at_the_per_image_limit_is_over_the_budget_and_the_default_one_is_not():
    """On the digits (1,437 images, or 3,437 with the drawn ones) no network within the per-image limit reaches the
    run's budget in 30 epochs; on MNIST's 60,000 one does, while the default network's 8 epochs stay far below."""
    from core.budgets import TRAINING_WORK, training_seconds, training_work
    from core.model_inside import config_mult_adds
    from core.models import CNNConfig
    from core.setup_limits import SETUP

    assert training_work(SETUP.max_mult_adds, 3437, 30) <= TRAINING_WORK.limit
    with pytest.raises(OverBudget):
        check(TRAINING_WORK, training_work(SETUP.max_mult_adds, 60_000, 30))
    default = training_work(config_mult_adds(CNNConfig()), 60_000, 8)
    assert check(TRAINING_WORK, default) == default and training_seconds(default, 60_000, 8) < 600


def test_the_default_run_shows_its_estimate_before_start():
    from core.budgets import training_seconds, training_work
    from core.model_inside import summarize
    from core.models import CNNConfig, build_model
    from ui.shell.registry import CNN_TRAINER

    at = lesson_app(CNN_TRAINER, {"drawn": "0"})
    per_image = sum(row["mult_adds"] for row in summarize(build_model(CNNConfig()), (1, 28, 28)))
    work = training_work(per_image, 1437, 8)
    expected = translate("cnn_trainer.estimate", "en", work=f"{work:.2e}", images="1,437", epochs=8,
                         per_image=f"{per_image:,}", seconds=f"{round(training_seconds(work, 1437, 8)):,}")
    assert expected in [c.value for c in at.caption]
    assert not at.button(key="cnn_trainer_start").disabled


@pytest.mark.parametrize("config", [
    "CNNConfig()", "CNNConfig(blocks=(ConvBlock(64, 5), ConvBlock(128, 5), ConvBlock(128, 5)), dense=())",
    "CNNConfig(blocks=(ConvBlock(8, 7, pooling='none'), ConvBlock(16, 1, pooling='avg')), global_pool='max', "
    "dense=(32,))", "MLPConfig(hidden=(512, 512, 512))", "MLPConfig(hidden=(16,), classes=3)"])
def test_config_mult_adds_counts_what_the_built_network_measures(config):
    """From the sizes alone, the multiply-adds ``summarize`` measures by running the built network."""
    from core.model_inside import config_mult_adds, summarize
    from core.models import CNNConfig, ConvBlock, MLPConfig, build_model

    config = eval(config, {"CNNConfig": CNNConfig, "ConvBlock": ConvBlock, "MLPConfig": MLPConfig})
    assert config_mult_adds(config) == sum(row["mult_adds"] for row in summarize(build_model(config),
                                                                                  config.input_shape))


def test_curve_fit_work_counts_the_weights_torch_builds():
    import torch

    from core.budgets import curve_fit_work

    layers = [torch.nn.Linear(1, 64), torch.nn.Linear(64, 64), torch.nn.Linear(64, 64), torch.nn.Linear(64, 1)]
    assert curve_fit_work((64, 64, 64), 10) == 10 * sum(p.numel() for layer in layers for p in layer.parameters())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_curve_fit_over_its_budget_is_refused_before_fitting(monkeypatch, lang):
    """Four hidden layers of 64 for 2,000 steps: 25 million weight updates, three times the budget."""
    import ui.lessons.activations_training as page
    from core.budgets import FIT_WORK, curve_fit_work
    from ui.shell.registry import ACTIVATIONS

    def refuse(*args, **kwargs):
        raise AssertionError("the page fitted a network")

    monkeypatch.setattr(page, "cached_fits", refuse)
    at = lesson_app(ACTIVATIONS, {"part": "fit", "layers": "4", "fwidth": "64", "steps": "2000"}, lang)
    cost = curve_fit_work((64,) * 4, 2000)
    assert cost > FIT_WORK.limit
    assert [e.value for e in at.error] == [translate("budget.fit_work", lang, cost=f"{cost:,}",
                                                     limit=f"{FIT_WORK.limit:,}", steps=2000, layers=4, width=64)]
    assert curve_fit_work((16, 16), 600) <= FIT_WORK.limit  # the default fit


@given(hs.integers(1, 10**10), hs.integers(1, 100_000))
def test_evaluation_images_is_the_most_first_images_within_the_budget(per_image, test_images):
    n = evaluation_images(per_image, test_images)
    assert 1 <= n <= test_images
    assert n == 1 or n * per_image <= EVALUATION_WORK.limit
    assert n == test_images or (n + 1) * per_image > EVALUATION_WORK.limit


def test_the_largest_set_up_network_is_scored_on_every_digit_and_on_part_of_mnist():
    largest = SETUP.max_mult_adds
    assert evaluation_images(largest, 360) == 360  # the digits' test images: all of them
    assert evaluation_images(largest, 10_000) == EVALUATION_WORK.limit // largest == 1_666
    assert evaluation_images(1_117_056, 10_000) == 10_000  # the default network on MNIST: the whole test set


def test_evaluate_on_the_first_images_matches_torch_on_those_images():
    torch.manual_seed(0)
    dataset = load_dataset("digits")
    model = build_model(CNNConfig()).eval()
    scores = evaluate(model, dataset, first=100)
    with torch.no_grad():
        expected = model(dataset.x_test[:100]).argmax(1)
    assert scores["predicted"] == expected.tolist()
    correct = int((expected == dataset.y_test[:100]).sum())
    assert scores["accuracy"] == pytest.approx(correct / 100, abs=1e-7)  # a float32 mean of 100 zeros and ones
    assert np.asarray(scores["confusion"]).sum() == 100
    assert all(0 <= i < 100 for i, _, _ in mistakes(scores, dataset, limit=1000))


def test_a_network_over_the_scoring_budget_is_scored_on_the_first_images_and_the_page_says_so(monkeypatch):
    """With the budget shrunk to 100 images of the default network, a loaded default checkpoint is scored on the
    first 100 of the 360 test digits: the accuracy shown is torch's on those 100, and the page says how many."""
    import io

    import core.budgets
    import ui.lessons.cnn_trainer_results
    from core.checkpoints import save_checkpoint
    from tests.conftest import lesson_runner
    from ui.shell.registry import CNN_TRAINER

    config = CNNConfig()
    per_image = config_mult_adds(config)
    small = Budget(EVALUATION_WORK.name, 100 * per_image, EVALUATION_WORK.unit, EVALUATION_WORK.counts)
    monkeypatch.setattr(core.budgets, "EVALUATION_WORK", small)
    monkeypatch.setattr(ui.lessons.cnn_trainer_results, "EVALUATION_WORK", small)
    torch.manual_seed(1)
    model, buffer = build_model(config).eval(), io.BytesIO()
    save_checkpoint(buffer, model, config)
    at = lesson_runner(CNN_TRAINER)({})
    at.file_uploader(key="cnn_trainer_checkpoint").upload("c.pt", buffer.getvalue(), "application/octet-stream").run()
    assert_clean(at)
    dataset = load_dataset("digits")
    with torch.no_grad():
        expected = float((model(dataset.x_test[:100]).argmax(1) == dataset.y_test[:100]).double().mean())
    assert at.subheader[0].value == translate("cnn_trainer.results", "en", accuracy=f"{100 * expected:.2f}")
    assert [i.value for i in at.info if "100" in i.value] == [translate(
        "cnn_trainer.scored_first", "en", n="100", total="360", work=f"{per_image * 360:,}",
        limit=f"{small.limit:,}")]


def test_a_loaded_network_is_scored_and_saved_once_however_often_the_page_reruns(monkeypatch):
    """The results' scores and the checkpoint's bytes are kept per model in the session: a refresh reuses them."""
    import io

    import ui.lessons.cnn_trainer_results as results
    from core.checkpoints import save_checkpoint
    from tests.conftest import lesson_runner
    from ui.shell.registry import CNN_TRAINER

    calls = {"evaluate": 0, "save_checkpoint": 0}
    for name in calls:
        real = getattr(results, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(results, name, counted)
    config, buffer = CNNConfig(), io.BytesIO()
    save_checkpoint(buffer, build_model(config), config)
    at = lesson_runner(CNN_TRAINER)({})
    at.file_uploader(key="cnn_trainer_checkpoint").upload("c.pt", buffer.getvalue(), "application/octet-stream").run()
    scored = at.subheader[0].value
    for _ in range(3):
        at.run()
    assert_clean(at)
    assert at.subheader[0].value == scored and calls == {"evaluate": 1, "save_checkpoint": 1}
