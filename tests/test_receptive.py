"""core.receptive: closed-form fields, published values, and the formula against backprop through torch (float64)."""

from collections import OrderedDict

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from core.conv import conv_output_size
from core.models import CNNConfig, ConvBlock, build_model
from core.receptive import (
    field_bounds,
    model_to_stack,
    receptive_field_of,
    receptive_fields,
    stack_to_model,
)


def conv(k, s=1, p=0, d=1, **extra):
    return {"kernel": k, "stride": s, "padding": p, "dilation": d, **extra}


def pool(k, s=None, p=0, d=1, **extra):
    return {"kind": "pool", "kernel": k, "stride": k if s is None else s, "padding": p, "dilation": d, **extra}


def sizes(fields):
    return [f["size"] for f in fields]


def jumps(fields):
    return [f["jump"] for f in fields]


# ---- closed-form cases --------------------------------------------------------------------------------------


def test_three_3x3_convs_see_7_pixels():
    fields = receptive_fields([conv(3)] * 3)
    assert sizes(fields) == [3, 5, 7]
    assert jumps(fields) == [1, 1, 1]
    assert [f["start"] for f in fields] == [1.0, 2.0, 3.0]


def test_conv_pool_conv():
    fields = receptive_fields([conv(3), pool(2, 2), conv(3)])
    assert sizes(fields) == [3, 4, 8]
    assert jumps(fields) == [1, 2, 2]
    assert [f["start"] for f in fields] == [1.0, 1.5, 3.5]
    assert [f["kind"] for f in fields] == ["conv", "pool", "conv"]


def test_dilated_3x3_sees_5_pixels():
    (field,) = receptive_fields([conv(3, d=2)])
    assert (field["size"], field["jump"], field["start"]) == (5, 1, 2.0)
    assert field_bounds(field, 0, 0) == (0, 0, 4, 4)


def test_start_with_padding():
    """conv 3x3 pad 1 keeps unit 0 centred on pixel 0; with no padding it is centred on pixel 1."""
    assert receptive_fields([conv(3, p=1)])[0]["start"] == 0.0
    assert receptive_fields([conv(3, p=0)])[0]["start"] == 1.0
    assert field_bounds(receptive_fields([conv(3, p=1)])[0], 0, 0) == (-1, -1, 1, 1)
    assert field_bounds(receptive_fields([conv(3, p=1)])[0], 0, 0, input_size=8) == (0, 0, 1, 1)
    assert field_bounds(receptive_fields([conv(3, p=1)])[0], 7, 2, input_size=(8, 5)) == (6, 1, 7, 3)


def vgg16():
    """VGG-16 (Simonyan & Zisserman 2015): 3x3 convs with padding 1 in blocks of 2, 2, 3, 3, 3, each then 2x2 pool."""
    layers = []
    for block, n_convs in enumerate((2, 2, 3, 3, 3), start=1):
        layers += [conv(3, p=1, name=f"conv{block}_{c}") for c in range(1, n_convs + 1)]
        layers.append(pool(2, 2, name=f"pool{block}"))
    return layers


def alexnet_v2():
    """TF-Slim alexnet_v2: conv1 11/4 VALID, pool 3/2, conv2 5 SAME, pool 3/2, conv3-5 3 SAME, pool 3/2."""
    return [conv(11, 4, name="conv1"), pool(3, 2, name="pool1"), conv(5, p=2, name="conv2"), pool(3, 2, name="pool2"),
            conv(3, p=1, name="conv3"), conv(3, p=1, name="conv4"), conv(3, p=1, name="conv5"),
            pool(3, 2, name="pool5")]


def test_vgg16_values_from_the_literature():
    fields = {f["name"]: f for f in receptive_fields(vgg16())}
    # Araujo, Norris & Sim 2019 (Distill, "Computing receptive fields of CNNs"; table in
    # github.com/google-research/receptive_field): vgg_16 pool5 r = 212, effective stride 32, effective padding 90.
    pool5 = fields["pool5"]
    assert (pool5["size"], pool5["jump"]) == (212, 32)
    assert field_bounds(pool5, 0, 0)[:2] == (-90, -90)  # effective padding: unit 0's field starts 90 pixels out
    assert pool5["start"] == (212 - 1) / 2 - 90
    # the per-layer sizes of the same recurrence (e.g. Dang Ha The Hien 2017, "A guide to receptive field
    # arithmetic"): 3, 5, 6 | 10, 14, 16 | 24, 32, 40, 44 | 60, 76, 92, 100 | 132, 164, 196, 212
    assert sizes(fields.values()) == [3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212]
    assert fields["conv5_3"]["jump"] == 16


def test_alexnet_values_from_the_literature():
    fields = {f["name"]: f for f in receptive_fields(alexnet_v2())}
    # Araujo et al. 2019 (same table): alexnet_v2 r = 195, effective stride 32, effective padding 64
    pool5 = fields["pool5"]
    assert (pool5["size"], pool5["jump"]) == (195, 32)
    assert field_bounds(pool5, 0, 0)[:2] == (-64, -64)
    # layer by layer (Krizhevsky et al. 2012's geometry): 11, 19, 51, 67, 99, 131, 163, 195 with jumps 4..32
    assert sizes(fields.values()) == [11, 19, 51, 67, 99, 131, 163, 195]
    assert jumps(fields.values()) == [4, 8, 8, 16, 16, 16, 16, 32]


def test_result_carries_name_kind_and_params():
    (a, b) = receptive_fields([{"kernel": 3}, {"kernel": 2, "stride": 2, "kind": "pool", "name": "p"}])
    assert a == {"name": "layer1", "kind": "conv", "kernel": 3, "stride": 1, "padding": 0, "dilation": 1,
                 "size": 3, "jump": 1, "start": 1.0}
    assert (b["name"], b["kind"], b["kernel"], b["stride"]) == ("p", "pool", 2, 2)
    assert receptive_fields([]) == []


def test_field_bounds_slides_by_jump():
    field = receptive_fields([conv(3), pool(2, 2), conv(3)])[-1]  # size 8, jump 2, start 3.5
    assert field_bounds(field, 0, 0) == (0, 0, 7, 7)
    assert field_bounds(field, 2, 5) == (4, 10, 11, 17)
    assert field_bounds(field, 2, 5, input_size=(10, 16)) == (4, 10, 9, 15)


# ---- the formula against backprop ----------------------------------------------------------------------------


def real_hull(layers, n, u):
    """(lo, hi) of the pixels that reach unit u of the last layer along an n-pixel axis, or None: a chain of real
    (non-padding) units at every layer, the reference for the measurement, computed 1-D without torch."""
    hulls = [(x, x) for x in range(n)]
    for layer in layers:
        k, s, p, d = layer["kernel"], layer["stride"], layer["padding"], layer["dilation"]
        n_out = conv_output_size(len(hulls), k, s, p, d)
        new = []
        for v in range(n_out):
            taps = [hulls[t] for t in (v * s - p + a * d for a in range(k)) if 0 <= t < len(hulls) and hulls[t]]
            new.append((min(t[0] for t in taps), max(t[1] for t in taps)) if taps else None)
        hulls = new
    return hulls[u]


def out_sizes(layers, n):
    for layer in layers:
        n = conv_output_size(n, layer["kernel"], layer["stride"], layer["padding"], layer["dilation"])
    return n


@st.composite
def stacks(draw):
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        k = draw(st.integers(1, 5))
        layers.append({"kind": draw(st.sampled_from(["conv", "pool"])), "kernel": k, "stride": draw(st.integers(1, 3)),
                       "padding": draw(st.integers(0, k // 2)), "dilation": draw(st.integers(1, 3))})
    return layers


def smallest_n(layers):
    n = 1
    while True:
        try:
            out_sizes(layers, n)
            return n
        except ValueError:
            n += 1


def check_unit(model, fields, layers, upto, unit, shape):
    """Measured == the real-unit reference; inside the clipped formula; equal to it when the field fits the image."""
    _, i, j = unit
    _, h, w = shape
    name = fields[upto]["name"]
    rows, cols = real_hull(layers[: upto + 1], h, i), real_hull(layers[: upto + 1], w, j)
    if rows is None or cols is None:
        with pytest.raises(ValueError, match="sees only padding"):
            receptive_field_of(model, name, unit, shape)
        return
    measured = receptive_field_of(model, name, unit, shape)
    assert measured == (rows[0], cols[0], rows[1], cols[1])
    top, left, bottom, right = field_bounds(fields[upto], i, j, input_size=(h, w))
    assert top <= measured[0] <= measured[2] <= bottom and left <= measured[1] <= measured[3] <= right
    unclipped = field_bounds(fields[upto], i, j)
    if unclipped[0] >= 0 and unclipped[1] >= 0 and unclipped[2] < h and unclipped[3] < w:
        assert measured == unclipped


@settings(max_examples=40, deadline=None)
@given(layers=stacks(), extra=st.tuples(st.integers(0, 6), st.integers(0, 6)), data=st.data())
def test_formula_equals_backprop_on_random_stacks(layers, extra, data):
    while len(layers) > 1 and smallest_n(layers) > 64:  # keep the images small: drop layers from the top
        layers = layers[:-1]
    n = smallest_n(layers)
    shape = (2, n + extra[0], n + extra[1])  # 2 channels in and out: any channel exists after a pool too
    fields = receptive_fields(layers)
    model = stack_to_model(layers, in_channels=2, channels=2)
    upto = data.draw(st.integers(0, len(layers) - 1), label="layer")
    h_out, w_out = out_sizes(layers[: upto + 1], shape[1]), out_sizes(layers[: upto + 1], shape[2])
    for i, j in {(0, 0), (h_out // 2, w_out // 2), (h_out - 1, w_out - 1), (0, w_out - 1)}:
        check_unit(model, fields, layers, upto, (data.draw(st.integers(0, 1), label="channel"), i, j), shape)


def test_formula_equals_backprop_inside_the_image():
    layers = [conv(3), pool(2, 2), conv(3)]
    model, fields = stack_to_model(layers), receptive_fields(layers)
    assert receptive_field_of(model, "layer3", (1, 2, 1), (1, 12, 12)) == field_bounds(fields[2], 2, 1) == (4, 2, 11, 9)
    assert receptive_field_of(model, "layer1", (0, 0, 0), (1, 12, 12)) == (0, 0, 2, 2)


def test_measured_field_smaller_than_clipped_formula_at_the_border():
    """Pixel 4 of a 5-wide input feeds no unit of a 2/2 layer (floor), so the next layer's last unit cannot see it,
    though the formula (its padding unit included) reaches past the image."""
    layers = [conv(2, 2), conv(3, p=1)]
    model, fields = stack_to_model(layers), receptive_fields(layers)
    assert field_bounds(fields[1], 1, 1) == (0, 0, 5, 5)
    assert field_bounds(fields[1], 1, 1, input_size=5) == (0, 0, 4, 4)
    assert receptive_field_of(model, "layer2", (0, 1, 1), (1, 5, 5)) == (0, 0, 3, 3)


def test_max_pool_passes_gradient_to_the_whole_window():
    """A max would pass the gradient to one winner; the measurement averages over the same taps instead."""
    model = stack_to_model([pool(3, 1, d=2)])  # taps 0, 2, 4: the hull is 5 wide
    assert receptive_field_of(model, "layer1", (0, 1, 2), (1, 9, 9)) == (1, 2, 5, 6)


def test_measurement_goes_through_activations_batch_norm_and_ceil_mode():
    model = nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(3, 4, 3, padding=1)), ("bn", nn.BatchNorm2d(4)), ("act", nn.ReLU()),
        ("pool", nn.MaxPool2d(2, 2, ceil_mode=True)), ("conv2", nn.Conv2d(4, 4, 3)), ("act2", nn.Tanh()),
    ]))
    with torch.no_grad():
        model.conv.weight.fill_(-1.0)  # negative weights: ReLU would kill every gradient without the positive copy
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # 9 -> conv 9 -> pool (ceil) 5: its last unit covers pixel 8 alone -> conv2 3; unit 2 sees pool units 2..4
    assert receptive_field_of(model, "act2", (3, 2, 2), (3, 9, 9)) == (3, 3, 8, 8)
    assert receptive_field_of(model, "pool", (0, 4, 0), (3, 9, 9)) == (7, 0, 8, 2)
    assert model.training  # untouched: same mode, same weights, still float32 max pooling
    assert isinstance(model.pool, nn.MaxPool2d) and model.conv.weight.dtype == torch.float32
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_shared_max_pool_is_replaced_in_every_slot():
    shared = nn.MaxPool2d(2, 2)
    model = nn.Sequential(OrderedDict([("a", shared), ("b", nn.Identity()), ("c", shared)]))
    assert receptive_field_of(model, "c", (0, 1, 0), (1, 8, 8)) == (4, 0, 7, 3)


# ---- validation -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("layer", "message"), [
    ({"kernel": 0}, r"layers\[1\] \(layer2\): kernel must be at least 1"),
    ({"kernel": 3, "stride": 0}, r"layers\[1\] \(layer2\): stride"),
    ({"kernel": 3, "dilation": 0}, r"layers\[1\] \(layer2\): dilation"),
    ({"kernel": 3, "padding": -1}, r"layers\[1\] \(layer2\): padding must be 0 or more"),
    ({"kernel": 2.0}, r"layers\[1\] \(layer2\): kernel must be a whole number, at least 1"),
    ({"kernel": True}, r"layers\[1\] \(layer2\): kernel"),
    ({"kernel": 3, "stride": "2"}, r"layers\[1\] \(layer2\): stride"),
    ({"stride": 2}, r"layers\[1\] has no 'kernel'"),
    ({"kernel": 3, "kind": "dense"}, r"layers\[1\]: kind must be one of conv, pool"),
    ({"kernel": 3, "strides": 2}, r"layers\[1\] has unknown keys \['strides'\]"),
    ({"kernel": 3, "name": "layer1"}, r"layers\[1\]: the name 'layer1' is used twice"),
    ({"kernel": 3, "name": "a.b"}, r"layers\[1\]: name must be"),
    ((3, 1), r"layers\[1\] must be a dict"),
])
def test_invalid_layers_name_their_index(layer, message):
    with pytest.raises(ValueError, match=message):
        receptive_fields([conv(3), layer])
    with pytest.raises(ValueError, match=message):
        stack_to_model([conv(3), layer])


def test_other_invalid_arguments():
    with pytest.raises(ValueError, match="list of layer dicts"):
        receptive_fields({"kernel": 3})
    with pytest.raises(ValueError, match=r"pooling padding p=2 is more than half the kernel k=3"):
        stack_to_model([pool(3, 1, p=2)])
    with pytest.raises(ValueError, match="output row i"):
        field_bounds(receptive_fields([conv(3)])[0], -1, 0)


def test_receptive_field_of_rejects_bad_requests():
    model = stack_to_model([conv(3), pool(2, 2)])
    with pytest.raises(ValueError, match="no layer named 'conv9'; the model's layers are layer1, layer2"):
        receptive_field_of(model, "conv9", (0, 0, 0), (1, 8, 8))
    with pytest.raises(ValueError, match=r"outside 'layer2''s output of 2 channels x 3 x 3"):
        receptive_field_of(model, "layer2", (0, 3, 0), (1, 8, 8))
    with pytest.raises(ValueError, match="outside"):
        receptive_field_of(model, "layer2", (2, 0, 0), (1, 8, 8))
    with pytest.raises(ValueError, match="unit entry"):
        receptive_field_of(model, "layer2", (0, -1, 0), (1, 8, 8))
    with pytest.raises(ValueError, match="does not run on an input of shape"):
        receptive_field_of(model, "layer2", (0, 0, 0), (3, 8, 8))
    with pytest.raises(ValueError, match="sees only padding"):
        receptive_field_of(stack_to_model([conv(1, p=1)]), "layer1", (0, 0, 0), (1, 4, 4))
    with pytest.raises(ValueError, match="GroupNorm"):
        receptive_field_of(nn.Sequential(nn.Conv2d(1, 2, 3), nn.GroupNorm(1, 2)), "1", (0, 0, 0), (1, 5, 5))
    with pytest.raises(ValueError, match="no spatial units"):
        receptive_field_of(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), "1", (0, 0, 0), (1, 5, 5))
    with pytest.raises(TypeError, match=r"nn\.Sequential"):
        receptive_field_of(nn.Conv2d(1, 1, 3), "weight", (0, 0, 0), (1, 5, 5))


# ---- a trained network's stack --------------------------------------------------------------------------------


@pytest.mark.parametrize("blocks", [
    (ConvBlock(4, 3, "relu", "max", True), ConvBlock(4, 3, "relu", "max", True)),
    (ConvBlock(2, 5, "tanh", "avg", False), ConvBlock(2, 7, "relu", "none", True)),
    (ConvBlock(2, 1, "relu", "max", False), ConvBlock(2, 3, "relu", "avg", True), ConvBlock(2, 3, "relu", "none")),
])
def test_a_trainer_network_s_stack_gives_the_fields_backprop_measures(blocks):
    """The depth lesson reads the trainer's network as a stack: each conv's formula field (centre unit, 28×28 input)
    is exactly the set of pixels whose gradient reaches that unit."""
    model = build_model(CNNConfig(blocks=blocks))
    stack = model_to_stack(model)
    assert [layer["name"] for layer in stack] == [name for name, layer in model.named_children()
                                                  if isinstance(layer, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d)]
    x = torch.zeros(1, 1, 28, 28)
    for field in receptive_fields(stack):
        y = model[: list(model._modules).index(field["name"]) + 1](x)
        unit = (0, y.shape[-2] // 2, y.shape[-1] // 2)
        measured = receptive_field_of(model, field["name"], unit, (1, 28, 28))
        assert measured == field_bounds(field, *unit[1:], input_size=28), field["name"]


def test_model_to_stack_refuses_unequal_axes_and_stops_at_the_head():
    with pytest.raises(ValueError, match=r"conv: kernel \(3, 5\) differs"):
        model_to_stack(nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 1, (3, 5)))])))
    head = nn.Sequential(OrderedDict([("pool", nn.MaxPool2d(2)), ("flat", nn.Flatten()), ("fc", nn.Linear(4, 2)),
                                      ("late", nn.Conv2d(1, 1, 3))]))
    assert model_to_stack(head) == [{"name": "pool", "kind": "pool", "kernel": 2, "stride": 2, "padding": 0,
                                     "dilation": 1}]
