"""The pieces of data-parallel training that need no MPI (graphgrad.train.ranks): how a global
batch is split among ranks, held-out data shares, the random state each rank starts from, and the
steps that refuse to train data-parallel."""
import random

import numpy as np
import pytest

import graphgrad
from graphgrad.train import GANStep, Loop
from graphgrad.train import random_state
from graphgrad.train.ranks import GlobalOrderShard, Ranks, for_rank, shard_loader
from graphgrad.utils.data import (DataLoader, RandomSampler, SequentialSampler, TensorDataset,
                                  WeightedRandomSampler)


def _rank_samplers(make_sampler, size, **kwargs):
    """One GlobalOrderShard per rank over the same order: rank 0's, as the broadcast gives it."""
    drawn = {}

    def share(order):  # rank 0 iterates first and its order is what every rank receives
        drawn.setdefault("order", order.copy())
        return drawn["order"]

    return [GlobalOrderShard(make_sampler(), r, size, share_order=share, **kwargs)
            for r in range(size)]


def _batches(indices, batch, drop_last=False):
    out = [indices[i:i + batch] for i in range(0, len(indices), batch)]
    return out[:-1] if drop_last and out and len(out[-1]) < batch else out


@pytest.mark.parametrize("n, size, batch", [(100, 2, 8), (103, 4, 12), (7, 3, 3), (64, 2, 64)])
def test_the_shares_of_batch_k_are_the_batch_k_of_one_process(n, size, batch):
    graphgrad.manual_seed(3)
    whole = list(RandomSampler(range(n)))
    graphgrad.manual_seed(3)  # rank 0 draws the same order as one process would
    samplers = _rank_samplers(lambda: RandomSampler(range(n)), size, interleave=True)
    shares = [list(s) for s in samplers]
    assert {len(s) for s in shares} == {len(samplers[0])} == {-(-n // size)}
    per_rank = [_batches(s, batch // size) for s in shares]
    global_batches = _batches(whole, batch)
    assert {len(b) for b in per_rank} == {len(global_batches)}  # as many steps on every rank
    for k, expected in enumerate(global_batches):
        got = [i for b in per_rank for i in b[k]]
        if k < len(global_batches) - 1 or n % size == 0:
            assert sorted(got) == sorted(expected)
        else:  # the padding repeats the order's first indices, as DistributedSampler's
            assert set(expected) <= set(got) and set(got) - set(expected) <= set(whole[:size])


def test_drop_last_keeps_whole_global_batches_only():
    samplers = _rank_samplers(lambda: SequentialSampler(range(23)), 2, interleave=True,
                              drop_last_batch=8)
    shares = [list(s) for s in samplers]
    assert shares == [[0, 2, 4, 6, 8, 10, 12, 14], [1, 3, 5, 7, 9, 11, 13, 15]]
    assert [len(s) for s in samplers] == [8, 8]


def test_held_out_shares_cover_the_data_exactly_once_in_order():
    samplers = _rank_samplers(lambda: SequentialSampler(range(10)), 3, interleave=False)
    shares = [list(s) for s in samplers]
    assert shares == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    assert [len(s) for s in samplers] == [3, 3, 4]


def test_any_sampler_with_a_length_can_be_shared():
    graphgrad.manual_seed(0)
    weighted = lambda: WeightedRandomSampler([0.1, 0.9, 0.5], num_samples=6)  # noqa: E731
    shares = [list(s) for s in _rank_samplers(weighted, 2, interleave=True)]
    assert [len(s) for s in shares] == [3, 3] and set(shares[0] + shares[1]) <= {0, 1, 2}


def test_a_loader_is_split_into_global_batches_and_refusals_say_why():
    data = TensorDataset(graphgrad.arange(20.0))
    ranks = Ranks(1, 2)
    shard = shard_loader(DataLoader(data, batch_size=8, shuffle=True), ranks, train=True)
    assert shard.batch_size == 4 and isinstance(shard.sampler, GlobalOrderShard)
    assert shard.sampler.rank == 1 and shard.sampler.interleave
    held_out = shard_loader(DataLoader(data, batch_size=8), ranks, train=False)
    assert held_out.batch_size == 8 and not held_out.sampler.interleave
    with pytest.raises(ValueError, match="global batch size 9 does not split evenly over 2 ranks"):
        shard_loader(DataLoader(data, batch_size=9), ranks, train=True)
    from graphgrad.utils.data import DistributedSampler

    split = DataLoader(data, batch_size=4, sampler=DistributedSampler(data, num_replicas=2, rank=0))
    with pytest.raises(ValueError, match="already has a DistributedSampler over 2 ranks"):
        shard_loader(split, ranks, train=True)
    with pytest.raises(TypeError, match="needs a DataLoader"):
        ranks.shard_train([1, 2, 3])


def test_each_rank_starts_from_its_own_random_state():
    graphgrad.manual_seed(5)
    state = random_state.capture()
    assert for_rank(state, 0) is state
    one, two = for_rank(state, 1), for_rank(state, 2)
    assert one == for_rank(state, 1) and one != two and one != state
    assert random_state.capture() == state  # deriving draws nothing from the live generators
    random_state.restore(one)
    a = graphgrad.rand(3).numpy()
    random_state.restore(two)
    assert not np.array_equal(a, graphgrad.rand(3).numpy())
    # manual_seed leaves Python's generator alone: a process's own draws there change nothing
    other = dict(state, python=random_state.capture()["python"])
    random.seed(12345)
    other["python"] = random_state.capture()["python"]
    assert other != state and for_rank(other, 1)["graphgrad"] == one["graphgrad"]


def test_a_saved_state_per_rank_is_taken_only_for_as_many_ranks():
    saved = [{"rng": {"which": r}} for r in range(2)]
    assert Ranks(1, 2).restore_random_state(saved, {"which": 0}) == {"which": 1}
    graphgrad.manual_seed(1)
    rank0 = random_state.capture()
    assert Ranks(2, 3).restore_random_state(saved, rank0) == for_rank(rank0, 2)
    assert Ranks(0, 3).restore_random_state(None, rank0) is rank0


def test_a_step_that_cannot_train_data_parallel_says_so():
    step = GANStep.__new__(GANStep)
    with pytest.raises(NotImplementedError, match="GANStep cannot train data-parallel"):
        step.data_parallel(Ranks(0, 2))
    assert Ranks.current() is None and Loop.is_main_process.fget(object())  # one process
