"""Network configs the model tests share: a few worked ones and hypothesis strategies for any buildable-looking one."""

from hypothesis import strategies as st

from core.activations import ACTIVATIONS
from core.models import CNNConfig, ConvBlock, MLPConfig

SMALL = CNNConfig(blocks=(ConvBlock(4, 3, "relu", "max", True), ConvBlock(6, 5, "tanh", "avg", False)),
                  dense=(12,), dropout=0.2, input_shape=(1, 12, 12), classes=3)
CONFIGS = [CNNConfig(), SMALL, MLPConfig(), MLPConfig(hidden=(8, 5), activation="gelu", dropout=0.5,
                                                      input_shape=(2, 5, 7), classes=4),
           CNNConfig(blocks=(ConvBlock(3, 1, "silu", "none", False),), dense=(), input_shape=(3, 4, 4)),
           CNNConfig(global_pool="max", dense=(8,)), CNNConfig(blocks=(ConvBlock(5),), global_pool="avg", dense=())]

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
