"""The pooling lesson's exercises: their answers against what torch computes."""

import pytest
import torch
import torch.nn.functional as F

from core.questions.pooling import pool_size_question, pool_winner_question


@pytest.mark.parametrize("seed", range(1, 60))
def test_pool_size_answer_is_the_width_torch_returns(seed):
    q = pool_size_question(seed)
    out = F.max_pool2d(torch.zeros(1, 1, 1, q.n), (1, q.size), stride=(1, q.s), padding=(0, q.p),
                       ceil_mode=q.ceil_mode)
    assert q.answer == out.shape[-1] >= 1
    assert 2 <= q.size <= 5 and 0 <= q.p <= q.size // 2
    assert pool_size_question(seed) == q  # the same seed asks the same question (shared links)


@pytest.mark.parametrize("seed", range(1, 30))
def test_pool_winner_answer_is_torchs_max_pooled_value(seed):
    q = pool_winner_question(seed)
    assert q.x.shape == (4, 4) and q.i in (0, 1) and q.j in (0, 1)
    assert q.answer == F.max_pool2d(torch.from_numpy(q.x)[None], 2)[0, q.i, q.j].item()
    again = pool_winner_question(seed)
    assert (again.x == q.x).all() and (again.i, again.j) == (q.i, q.j)
