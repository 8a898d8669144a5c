"""core.models: configs, checks, the built network, and summarize/feature_maps against the real forward pass."""

import json

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
    summarize,
)

SMALL = CNNConfig(blocks=(ConvBlock(4, 3, "relu", "max", True), ConvBlock(6, 5, "tanh", "avg", False)),
                  dense=(12,), dropout=0.2, input_shape=(1, 12, 12), classes=3)
CONFIGS = [CNNConfig(), SMALL, MLPConfig(), MLPConfig(hidden=(8, 5), activation="gelu", dropout=0.5,
                                                      input_shape=(2, 5, 7), classes=4),
           CNNConfig(blocks=(ConvBlock(3, 1, "silu", "none", False),), dense=(), input_shape=(3, 4, 4))]


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
