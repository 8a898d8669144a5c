"""core.depth: the URL form of a layer, output shapes, the units a deeper unit combines, the question."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.depth import (
    DEFAULT_STACK,
    DILATIONS,
    KERNELS,
    STRIDES,
    StackError,
    field_question,
    format_layer,
    output_shapes,
    parse_layer,
    units_inside,
)
from core.receptive import field_bounds, receptive_fields, stack_to_model

layers = st.builds(lambda kind, k, s, d: {"kind": kind, "kernel": k, "stride": s, "dilation": d},
                   st.sampled_from(["conv", "pool"]), st.sampled_from(KERNELS), st.sampled_from(STRIDES),
                   st.sampled_from(DILATIONS))


@given(layers)
def test_a_layer_survives_its_url_form(layer):
    assert parse_layer(format_layer(layer)) == layer


@given(st.text(max_size=20))
@settings(max_examples=300)
def test_any_text_parses_to_a_valid_layer_or_raises_value_error(text):
    try:
        layer = parse_layer(text)
    except ValueError:
        return
    assert layer["kernel"] in KERNELS and format_layer(layer) == text.strip()


@pytest.mark.parametrize("text", ["conv-4-1-1", "conv-3-0-1", "conv-3-1-4", "relu-3-1-1", "conv-3-1", "conv-33-1-1",
                                  "conv-٣-1-1", ""])
def test_malformed_layers_are_refused(text):
    with pytest.raises(ValueError):
        parse_layer(text)


@given(st.lists(layers, min_size=1, max_size=5), st.integers(8, 64), st.integers(8, 64))
@settings(max_examples=60, deadline=None)
def test_output_shapes_match_torch_or_name_the_layer_that_cannot_fit(stack, h, w):
    try:
        shapes = output_shapes(stack, h, w)
    except StackError as error:
        assert 1 <= error.layer <= len(stack)
        with pytest.raises(RuntimeError):
            stack_to_model(stack[:error.layer])(torch.zeros(1, 1, h, w))
        return
    x = torch.zeros(1, 1, h, w)
    for layer, shape in zip(stack_to_model(stack), shapes, strict=True):
        x = layer(x)
        assert tuple(x.shape[-2:]) == shape


def test_the_default_stack_is_vgg_like_and_its_fields_grow_as_published():
    fields = receptive_fields([parse_layer(s) for s in DEFAULT_STACK])
    # two 3x3 convs: 5; pool 2/2: 6; two more 3x3 at jump 2: 10, 14; pool: 16; 3x3 at jump 4: 24, 32 (VGG's
    # conv3_x after pool2 sees 24 pixels after its first conv in the same counting, Simonyan & Zisserman 2015)
    assert [f["size"] for f in fields] == [3, 5, 6, 10, 14, 16, 24, 32]
    assert [f["jump"] for f in fields] == [1, 1, 2, 2, 2, 4, 4, 4]


def test_units_inside_are_exactly_the_first_layer_fields_within_the_bounds():
    stack = [parse_layer(s) for s in DEFAULT_STACK[:5]]
    fields = receptive_fields(stack)
    shapes = output_shapes(stack, 40, 40)
    bounds = field_bounds(fields[-1], 4, 5, 40)
    inside = units_inside(fields[0], bounds, shapes[0])
    expected = [(i, j) for i in range(shapes[0][0]) for j in range(shapes[0][1])
                if bounds[0] <= field_bounds(fields[0], i, j)[0] and field_bounds(fields[0], i, j)[2] <= bounds[2]
                and bounds[1] <= field_bounds(fields[0], i, j)[1] and field_bounds(fields[0], i, j)[3] <= bounds[3]]
    assert inside == expected and len(inside) == 12 * 12


@pytest.mark.parametrize("seed", range(1, 50))
def test_question_answers_are_the_formula_and_the_measurement(seed):
    from core.receptive import receptive_field_of

    q = field_question(seed)
    stack = [parse_layer(s) for s in q.layers]
    assert 2 <= len(stack) <= 4
    side = 64
    model = stack_to_model(stack)
    shape = output_shapes(stack, side, side)[-1]
    top, _, bottom, _ = receptive_field_of(model, f"layer{len(stack)}", (0, shape[0] // 2, shape[1] // 2),
                                           (1, side, side))
    assert q.answer == bottom - top + 1 == receptive_fields(stack)[-1]["size"]
