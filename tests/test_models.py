"""core.models: configs, their strict JSON, the checks, and the built network against torch's own layers."""

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from core.models import CNNConfig, ConvBlock, MLPConfig, ModelConfigError, build_model, check_config
from tests.helpers.model_configs import SMALL, cnns, mlps


def test_layer_names():
    names = [name for name, _ in build_model(SMALL).named_children()]
    assert names == ["block1_conv", "block1_bn", "block1_act", "block1_pool", "block2_conv", "block2_act",
                     "block2_pool", "flatten", "dense1", "dense1_act", "dense1_drop", "out"]
    assert [n for n, _ in build_model(MLPConfig()).named_children()] == ["flatten", "dense1", "dense1_act", "out"]


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


def test_an_unknown_global_pooling_is_refused_by_name():
    with pytest.raises(ModelConfigError) as error:
        check_config(CNNConfig(global_pool="median"))
    assert error.value.layer == "global_pool"
