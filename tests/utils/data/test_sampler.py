"""Samplers: index streams and their distributions."""
import numpy as np
import pytest

import graphgrad
from graphgrad.utils.data import (BatchSampler, RandomSampler, SequentialSampler,
                                  SubsetRandomSampler, WeightedRandomSampler)

DATA = list(range(10))


def test_sequential():
    assert list(SequentialSampler(DATA)) == DATA and len(SequentialSampler(DATA)) == 10


def test_random_is_a_permutation_and_seeded():
    graphgrad.manual_seed(5)
    s = RandomSampler(DATA)
    a, b = list(s), list(s)
    assert sorted(a) == DATA and sorted(b) == DATA
    assert a != b  # a new order every epoch
    graphgrad.manual_seed(5)
    assert list(s) == a and list(s) == b


def test_random_num_samples_chains_permutations():
    out = list(RandomSampler(DATA, num_samples=25))
    assert len(out) == 25
    assert sorted(out[:10]) == DATA and sorted(out[10:20]) == DATA
    assert len(set(out[20:])) == 5


def test_random_with_replacement_distribution():
    out = np.array(list(RandomSampler(DATA, replacement=True, num_samples=20000)))
    counts = np.bincount(out, minlength=10)
    assert np.all(np.abs(counts / 20000 - 0.1) < 0.015)


def test_random_first_position_uniform():
    s = RandomSampler(DATA[:4])
    firsts = np.bincount([next(iter(s)) for _ in range(4000)], minlength=4)
    assert np.all(np.abs(firsts / 4000 - 0.25) < 0.04)


def test_random_bad_num_samples():
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler(DATA, num_samples=0)


def test_generator_is_used():
    g1 = graphgrad.Generator().manual_seed(1)
    g2 = graphgrad.Generator().manual_seed(1)
    assert list(RandomSampler(DATA, generator=g1)) == list(RandomSampler(DATA, generator=g2))


def test_subset_random():
    idx = [3, 7, 11, 19]
    out = list(SubsetRandomSampler(idx))
    assert sorted(out) == idx and len(SubsetRandomSampler(idx)) == 4


def test_weighted_distribution_matches_weights_and_torch():
    w = [0.1, 0.0, 0.6, 0.3]
    out = np.array(list(WeightedRandomSampler(w, 20000)))
    freq = np.bincount(out, minlength=4) / 20000
    assert freq[1] == 0
    assert np.allclose(freq, w, atol=0.015)
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tf = np.bincount(list(torch.utils.data.WeightedRandomSampler(w, 20000)), minlength=4) / 20000
    assert np.allclose(freq, tf, atol=0.02)


def test_weighted_without_replacement():
    out = list(WeightedRandomSampler([1, 1, 1, 5], 4, replacement=False))
    assert sorted(out) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([1, 0, 1], 3, replacement=False)
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1, -1], 3)


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("bs", [1, 3, 4, 10, 11])
def test_batch_sampler_matches_torch(bs, drop_last):
    ours = list(BatchSampler(SequentialSampler(DATA), bs, drop_last))
    assert len(BatchSampler(SequentialSampler(DATA), bs, drop_last)) == len(ours)
    torch = pytest.importorskip("torch")
    ref = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(DATA), bs,
                                             drop_last))
    assert ours == ref


def test_batch_sampler_bad_size():
    with pytest.raises(ValueError, match="batch_size=0"):
        BatchSampler(DATA, 0, False)
