"""The convolution lesson's exercises: their answers against what torch computes."""

import pytest
import torch
import torch.nn.functional as F

from core.questions.convolution import cell_question, size_question


@pytest.mark.parametrize("seed", range(1, 60))
def test_size_answer_is_the_width_torch_returns(seed):
    q = size_question(seed)
    out = F.conv2d(torch.zeros(1, 1, 1, q.n), torch.zeros(1, 1, 1, q.k), stride=(1, q.s), padding=(0, q.p),
                   dilation=(1, q.d))
    assert q.answer == out.shape[-1] >= 1
    assert size_question(seed) == q  # the same seed asks the same question (shared links)


@pytest.mark.parametrize("seed", range(1, 30))
def test_cell_answer_is_torchs_output_value(seed):
    q = cell_question(seed)
    out = F.conv2d(torch.from_numpy(q.x)[None, None], torch.from_numpy(q.w)[None, None])[0, 0]
    assert q.answer == out[q.i, q.j].item()
