"""core.model_inside: the layer table (measured and worked out from the sizes), feature maps and first-layer
pictures, against the real forward pass."""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model_inside import config_mult_adds, config_summary, feature_maps, first_layer_pictures, summarize
from core.models import CNNConfig, ConvBlock, MLPConfig, ModelConfigError, build_model, check_config
from tests.helpers.model_configs import CONFIGS, SMALL, cnns, mlps


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


def test_feature_maps_run_on_one_torch_thread_and_leave_the_setting_as_it_was():
    """A second thread made one digit's stages take up to 64 ms while the other core was busy: each layer runs on
    one thread (read inside the forward pass), and the thread count is restored afterwards."""
    model = build_model(SMALL)
    seen = []
    model[0].register_forward_pre_hook(lambda module, args: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        feature_maps(model, torch.rand(1, *SMALL.input_shape))
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


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


@settings(max_examples=80, deadline=None)
@given(st.one_of(cnns, mlps))
def test_the_summary_worked_out_from_the_sizes_equals_the_built_models_for_any_config(config):
    """``config_summary`` computes the rows from the config (no layers built or run): the same rows, shapes,
    parameters and multiply-adds as ``summarize`` running the built network, and the same refusal."""
    try:
        check_config(config)
    except ModelConfigError as error:
        with pytest.raises(ModelConfigError, match=re.escape(str(error))):
            config_summary(config)
        return
    assert config_summary(config) == summarize(build_model(config), config.input_shape)


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


def test_multiply_adds_of_a_config_too_small_to_build_count_the_vanished_maps_as_nothing():
    """Six pooled blocks on 28×28: the maps go 28, 14, 7, 3, 1, 0; ``check_config`` refuses the sixth, but the count
    still answers (the set-up's limit is checked on it): 3×3 convs with 4 channels, worked by hand."""
    config = CNNConfig(blocks=tuple(ConvBlock(4) for _ in range(6)), dense=(8,))
    with pytest.raises(ModelConfigError):
        check_config(config)
    by_hand = (28 * 28 * 4 * 1 * 9 + 14 * 14 * 4 * 4 * 9 + 7 * 7 * 4 * 4 * 9 + 3 * 3 * 4 * 4 * 9 + 1 * 1 * 4 * 4 * 9
               + 0 + 0 * 8 + 8 * 10)
    assert config_mult_adds(config) == by_hand == 65_024


def test_multiply_adds_of_configs_no_set_up_offers_are_counted_without_failing():
    """An even kernel (padding k // 2 makes its map one larger, as torch sizes it) and an unknown activation: the
    count still answers (the set-up's and the checkpoint loader's limits are checked on it), worked by hand, and
    the even kernel's equals torch's own layer's output size."""
    config = CNNConfig(blocks=(ConvBlock(2, 2, "nope", "none", False),), dense=(), input_shape=(1, 4, 4), classes=3)
    with pytest.raises(ModelConfigError):
        check_config(config)
    assert torch.nn.Conv2d(1, 2, 2, padding=1)(torch.zeros(1, 1, 4, 4)).shape == (1, 2, 5, 5)
    assert config_mult_adds(config) == 5 * 5 * 2 * 1 * 2 * 2 + (2 * 5 * 5) * 3 == 350
