"""core.block_text: one conv block as link text, round trip and refusals."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.activations import ACTIVATIONS
from core.block_text import format_block, parse_block
from core.models import CNNConfig, ConvBlock, check_config

url_blocks = st.builds(ConvBlock, st.integers(1, 512), st.sampled_from([1, 3, 5, 7, 9, 15]),
                       st.sampled_from(sorted(ACTIVATIONS)), st.sampled_from(["none", "max", "avg"]), st.booleans())


@given(url_blocks)
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
