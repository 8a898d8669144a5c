"""core.models: configs, checks, the built network, and summarize/feature_maps against the real forward pass."""

import json
import math
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from core.activations import ACTIVATIONS
from core.models import (
    CNNConfig,
    ConvBlock,
    MLPConfig,
    ModelConfigError,
    build_model,
    check_config,
    feature_maps,
    first_layer_pictures,
    format_block,
    parse_block,
    summarize,
)

SMALL = CNNConfig(blocks=(ConvBlock(4, 3, "relu", "max", True), ConvBlock(6, 5, "tanh", "avg", False)),
                  dense=(12,), dropout=0.2, input_shape=(1, 12, 12), classes=3)
CONFIGS = [CNNConfig(), SMALL, MLPConfig(), MLPConfig(hidden=(8, 5), activation="gelu", dropout=0.5,
                                                      input_shape=(2, 5, 7), classes=4),
           CNNConfig(blocks=(ConvBlock(3, 1, "silu", "none", False),), dense=(), input_shape=(3, 4, 4)),
           CNNConfig(global_pool="max", dense=(8,)), CNNConfig(blocks=(ConvBlock(5),), global_pool="avg", dense=())]


def test_layer_names():
    names = [name for name, _ in build_model(SMALL).named_children()]
    assert names == ["block1_conv", "block1_bn", "block1_act", "block1_pool", "block2_conv", "block2_act",
                     "block2_pool", "flatten", "dense1", "dense1_act", "dense1_drop", "out"]
    assert [n for n, _ in build_model(MLPConfig()).named_children()] == ["flatten", "dense1", "dense1_act", "out"]


@pytest.mark.parametrize("config", CONFIGS, ids=range(len(CONFIGS)))
def test_summarize_matches_the_real_model(config):
    model = build_model(config)
    rows = summarize(model, config.input_shape)
    x = torch.rand(2, *config.input_shape)
    model.eval()
    for row, (name, layer) in zip(rows, model.named_children(), strict=True):
        x = layer(x)
        assert row["name"] == name and row["type"] == type(layer).__name__
        assert row["output_shape"] == tuple(x.shape[1:])
        assert row["params"] == sum(p.numel() for p in layer.parameters())
    assert sum(r["params"] for r in rows) == sum(p.numel() for p in model.parameters())
    assert rows[-1]["output_shape"] == (config.classes,)


@pytest.mark.parametrize("config", [*CONFIGS, MLPConfig()], ids=range(len(CONFIGS) + 1))
def test_the_summary_from_the_config_alone_equals_the_built_models(config):
    """``config_summary`` (worked out from the sizes): the same rows as ``summarize`` on the built network, fresh
    ones at every call."""
    from core.models import config_summary

    expected = summarize(build_model(config), config.input_shape)
    assert config_summary(config) == expected
    config_summary(config)[0]["params"] = -1
    assert config_summary(config) == expected


def test_mult_adds_by_hand():
    rows = {r["name"]: r["mult_adds"] for r in summarize(build_model(SMALL), SMALL.input_shape)}
    # conv1: 12×12×4 outputs × 1 in-channel × 3×3; pool -> 6×6; conv2: 6×6×6 × 4 × 5×5; pool -> 3×3
    assert rows["block1_conv"] == 12 * 12 * 4 * 1 * 9
    assert rows["block2_conv"] == 6 * 6 * 6 * 4 * 25
    assert rows["dense1"] == (6 * 3 * 3) * 12 and rows["out"] == 12 * 3
    assert all(v == 0 for k, v in rows.items() if k not in ("block1_conv", "block2_conv", "dense1", "out"))


def test_feature_maps_count_shapes_and_mode():
    model = build_model(SMALL)
    model.train()
    x = torch.rand(5, *SMALL.input_shape)
    maps = feature_maps(model, x)
    assert model.training  # restored
    assert [n for n, _ in maps] == [n for n, _ in model.named_children()]
    assert [tuple(t.shape[1:]) for _, t in maps] == [r["output_shape"] for r in summarize(model, SMALL.input_shape)]
    assert all(t.shape[0] == 5 and not t.requires_grad for _, t in maps)
    model.eval()
    assert torch.equal(maps[-1][1], model(x).detach())


def test_build_model_deterministic_per_seed_and_leaves_global_rng():
    state = torch.random.get_rng_state()
    a, b, c = build_model(CNNConfig(), seed=1), build_model(CNNConfig(), seed=1), build_model(CNNConfig(), seed=2)
    assert torch.equal(torch.random.get_rng_state(), state)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.block1_conv.weight, c.block1_conv.weight)


def test_build_model_init_within_torch_default_bounds():
    """Conv2d/Linear weights and biases in U(±1/√fan_in) (kaiming_uniform_(a=√5)); batch norm weight 1, bias 0,
    running statistics 0 and 1."""
    model = build_model(SMALL, seed=5)
    for layer in model.modules():
        if isinstance(layer, nn.Conv2d | nn.Linear):
            bound = 1 / math.sqrt(layer.weight[0].numel())
            assert layer.weight.abs().max().item() <= bound
            assert layer.weight.abs().max().item() > 0.8 * bound  # spread over the whole range, not a constant
            if layer.bias is not None:
                assert layer.bias.abs().max().item() <= bound and layer.bias.std().item() > 0
        elif isinstance(layer, nn.BatchNorm2d):
            assert torch.equal(layer.weight, torch.ones_like(layer.weight))
            assert torch.equal(layer.bias, torch.zeros_like(layer.bias))
            assert torch.equal(layer.running_mean, torch.zeros_like(layer.running_mean))
            assert torch.equal(layer.running_var, torch.ones_like(layer.running_var))
            assert layer.num_batches_tracked.item() == 0


def test_build_model_init_statistics_match_torch_default():
    """A 256×256 Linear: the std of its weights within 5% of torch's own default init's (1/√(3·256))."""
    model = build_model(MLPConfig(hidden=(256,), input_shape=(1, 16, 16)), seed=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        reference = nn.Linear(256, 256)
    ours = model.dense1.weight
    assert ours.shape == reference.weight.shape == (256, 256)
    assert ours.std().item() == pytest.approx(reference.weight.std().item(), rel=0.05)
    assert ours.std().item() == pytest.approx(1 / math.sqrt(3 * 256), rel=0.05)
    assert abs(ours.mean().item()) < 0.01
    assert model.dense1.bias.std().item() == pytest.approx(1 / math.sqrt(3 * 256), rel=0.25)  # 256 values only


def test_build_model_equals_torch_default_init_under_a_global_seed():
    """The same numbers as building the layers after ``torch.manual_seed(seed)`` (what the exported script does)."""
    config = CNNConfig(blocks=(ConvBlock(4), ConvBlock(5, 3, "relu", "max", False)), dense=(7,), dropout=0.1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        reference = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Conv2d(4, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(5 * 7 * 7, 7), nn.ReLU(), nn.Dropout(0.1), nn.Linear(7, 10))
    ours = build_model(config, seed=11)
    assert [p.shape for p in ours.parameters()] == [p.shape for p in reference.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), reference.parameters(), strict=True))


def test_build_model_under_a_meta_device_draws_nothing():
    state = torch.random.get_rng_state()
    with torch.device("meta"):
        model = build_model(CNNConfig(), seed=3)
    assert all(p.device.type == "meta" for p in model.parameters())
    assert torch.equal(torch.random.get_rng_state(), state)


def test_too_small_names_the_block():
    config = CNNConfig(blocks=tuple(ConvBlock(4) for _ in range(6)))
    with pytest.raises(ModelConfigError) as e:
        check_config(config)
    assert (e.value.layer, e.value.code) == ("block5", "too_small")
    with pytest.raises(ModelConfigError):
        build_model(config)
    check_config(CNNConfig(blocks=tuple(ConvBlock(4) for _ in range(4))))  # 28 -> 14 -> 7 -> 3 -> 1: fine
    check_config(CNNConfig(blocks=tuple(ConvBlock(4, pooling="none") for _ in range(6))))


@pytest.mark.parametrize(("config", "layer"), [
    (CNNConfig(blocks=(ConvBlock(16), ConvBlock(0))), "block2"),
    (CNNConfig(blocks=(ConvBlock(16, kernel=4),)), "block1"),
    (CNNConfig(blocks=(ConvBlock(16, kernel=0),)), "block1"),
    (CNNConfig(blocks=(ConvBlock(16, activation="swish"),)), "block1"),
    (CNNConfig(blocks=(ConvBlock(16), ConvBlock(8, pooling="min"))), "block2"),
    (CNNConfig(dropout=1.0), "dense1"),
    (CNNConfig(dropout=-0.1), "dense1"),
    (MLPConfig(hidden=(8, 0)), "dense2"),
    (MLPConfig(activation="nope"), "dense1"),
])
def test_bad_values(config, layer):
    with pytest.raises(ModelConfigError) as e:
        check_config(config)
    assert (e.value.layer, e.value.code) == (layer, "bad_value")
    assert isinstance(e.value, ValueError)


blocks = st.builds(ConvBlock, channels=st.integers(1, 64), kernel=st.sampled_from([1, 3, 5, 7]),
                   activation=st.sampled_from(list(ACTIVATIONS)), pooling=st.sampled_from(["none", "max", "avg"]),
                   batch_norm=st.booleans())
dropouts = st.floats(0.0, 0.99, allow_nan=False)
cnns = st.builds(CNNConfig, blocks=st.lists(blocks, max_size=4).map(tuple),
                 dense=st.lists(st.integers(1, 256), max_size=3).map(tuple),
                 activation=st.sampled_from(list(ACTIVATIONS)), dropout=dropouts,
                 input_shape=st.tuples(st.integers(1, 3), st.integers(16, 32), st.integers(16, 32)),
                 classes=st.integers(2, 20))
mlps = st.builds(MLPConfig, hidden=st.lists(st.integers(1, 256), max_size=3).map(tuple),
                 activation=st.sampled_from(list(ACTIVATIONS)), dropout=dropouts,
                 input_shape=st.tuples(st.integers(1, 3), st.integers(1, 32), st.integers(1, 32)),
                 classes=st.integers(2, 20))


@settings(max_examples=80, deadline=None)
@given(st.one_of(cnns, mlps))
def test_the_summary_worked_out_from_the_sizes_equals_the_built_models_for_any_config(config):
    """``config_summary`` computes the rows from the config (no layers built or run): the same rows, shapes,
    parameters and multiply-adds as ``summarize`` running the built network, and the same refusal."""
    from core.models import config_summary

    try:
        check_config(config)
    except ModelConfigError as error:
        with pytest.raises(ModelConfigError, match=re.escape(str(error))):
            config_summary(config)
        return
    assert config_summary(config) == summarize(build_model(config), config.input_shape)


@settings(max_examples=60, deadline=None)
@given(st.one_of(cnns, mlps))
def test_json_round_trip(config):
    assert type(config).from_json(config.to_json()) == config


@settings(max_examples=40, deadline=None)
@given(cnns, st.sampled_from(["dropout", "classes", "dense", "input_shape", "blocks", "activation"]),
       st.sampled_from(["x", 1.5, True, None, [1, "a"], {"a": 1}]))
def test_from_json_rejects_wrong_types(config, key, bad):
    data = json.loads(config.to_json())
    data[key] = bad
    with pytest.raises(ValueError):
        CNNConfig.from_json(json.dumps(data))


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(extra=1),
    lambda d: d["blocks"][0].update(stride=2),
    lambda d: d["blocks"][0].update(channels=True),
    lambda d: d["blocks"][0].update(kernel=3.0),
    lambda d: d["blocks"][0].update(batch_norm=1),
    lambda d: d.update(input_shape=[1, 28]),
    lambda d: d.update(blocks=[[16, 3]]),
    lambda d: d.update(dropout=float("nan")),
    lambda d: d["blocks"][0].update(kernel=2),  # well typed but unbuildable
])
def test_from_json_strict(mutate):
    data = json.loads(CNNConfig().to_json())
    mutate(data)
    with pytest.raises(ValueError):
        CNNConfig.from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["", "[1]", "{", "null", '{"hidden": [1], "blocks": []}'])
def test_from_json_not_a_config(text):
    with pytest.raises(ValueError):
        MLPConfig.from_json(text)


def test_default_network_outputs_logits():
    model = build_model(CNNConfig())
    assert isinstance(model, nn.Sequential)
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 10)


# ---- first-layer pictures and the URL form of a block ---------------------------------------------------------

def test_first_layer_pictures_are_the_first_convs_kernels():
    model = build_model(SMALL, seed=3)
    torch.testing.assert_close(torch.from_numpy(first_layer_pictures(model, SMALL.input_shape)),
                               model.block1_conv.weight.detach()[:, 0], rtol=0, atol=0)
    assert first_layer_pictures(model, SMALL.input_shape).shape == (4, 3, 3)


def test_an_mlps_first_layer_pictures_are_its_weight_rows_as_images():
    config = MLPConfig(hidden=(5,), input_shape=(1, 6, 4), classes=3)
    model = build_model(config, seed=1)
    pictures = first_layer_pictures(model, config.input_shape)
    assert pictures.shape == (5, 6, 4)
    x = torch.rand(1, 1, 6, 4, dtype=torch.float32)  # unit j's pre-activation = <picture_j, image> + b_j
    expected = model.dense1(torch.flatten(x, 1))[0]
    got = torch.from_numpy((pictures * x[0, 0].numpy()).sum(axis=(1, 2))) + model.dense1.bias.detach()
    torch.testing.assert_close(got, expected.detach(), rtol=1e-5, atol=1e-6)


blocks = st.builds(ConvBlock, st.integers(1, 512), st.sampled_from([1, 3, 5, 7, 9, 15]),
                   st.sampled_from(sorted(ACTIVATIONS)), st.sampled_from(["none", "max", "avg"]), st.booleans())


@given(blocks)
def test_a_block_survives_its_url_form(block):
    assert parse_block(format_block(block)) == block


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_any_text_either_parses_to_a_valid_block_or_raises_value_error(text):
    try:
        block = parse_block(text)
    except ValueError:
        return
    assert format_block(block) == text.strip()
    check_config(CNNConfig(blocks=(block,)))


@pytest.mark.parametrize("text", ["16-4-relu-max-bn", "0-3-relu-max-bn", "16-3-relu-max", "16-3-relu-max-bn-x",
                                  "16-3-nope-max-bn", "16-3-relu-min-bn", "16-3-relu-max-yes", "+16-3-relu-max-bn",
                                  "16-17-relu-max-bn", "513-3-relu-max-bn", "１６-3-relu-max-bn", ""])
def test_malformed_blocks_are_refused(text):
    with pytest.raises(ValueError):
        parse_block(text)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_global_pooling_reduces_each_channel_to_its_max_or_mean(kind):
    config = CNNConfig(blocks=(ConvBlock(6),), global_pool=kind, dense=(), classes=3, input_shape=(1, 10, 10))
    model = build_model(config, seed=2)
    x = torch.rand(4, 1, 10, 10)
    maps = dict(feature_maps(model, x))
    last = maps["block1_pool"]
    expected = last.amax(dim=(2, 3), keepdim=True) if kind == "max" else last.mean(dim=(2, 3), keepdim=True)
    torch.testing.assert_close(maps["global_pool"], expected, rtol=1e-6, atol=1e-7)
    assert [r["output_shape"] for r in summarize(model, (1, 10, 10)) if r["name"] == "global_pool"] == [(6, 1, 1)]
    assert model.out.in_features == 6


def test_an_unknown_global_pooling_is_refused_by_name():
    with pytest.raises(ModelConfigError) as error:
        check_config(CNNConfig(global_pool="median"))
    assert error.value.layer == "global_pool"
