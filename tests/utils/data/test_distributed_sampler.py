"""DistributedSampler against PyTorch's index lists (in this process, no MPI needed), and
DistributedEvalSampler's exactly-once split."""
import itertools

import pytest

import graphgrad as graphgrad_torch
from graphgrad.utils.data import DataLoader, TensorDataset
from graphgrad.utils.data import distributed as gd
from graphgrad.utils.data.distributed import DistributedEvalSampler, DistributedSampler

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler  # noqa: E402

CASES = list(itertools.product([1, 2, 5, 7, 10, 13], [1, 2, 3, 4, 8], [False, True]))


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_unshuffled_indices_are_pytorchs(n, replicas, drop_last):
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_shuffled_padding_and_split_are_pytorchs_given_the_same_permutation(n, replicas, drop_last,
                                                                            monkeypatch):
    # graphgrad's permutation is NumPy's; with PyTorch's randperm swapped in, every list is PyTorch's
    monkeypatch.setattr(gd, "permutation", lambda size, seed: torch.randperm(
        size, generator=torch.Generator().manual_seed(seed)).tolist())
    for rank, epoch in itertools.product(range(replicas), (0, 3)):
        ours = DistributedSampler(range(n), replicas, rank, seed=5, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, seed=5, drop_last=drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs)


def test_shuffled_order_depends_on_seed_and_epoch_only():
    def order(seed, epoch, rank=0):
        s = DistributedSampler(range(100), 2, rank, seed=seed)
        s.set_epoch(epoch)
        return list(s)

    assert order(0, 0) == order(0, 0) and order(0, 0) != order(0, 1) and order(0, 0) != order(1, 0)
    assert sorted(order(0, 2) + order(0, 2, rank=1)) == list(range(100))


def test_invalid_rank_and_missing_process_group_raise_as_pytorch():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="init_process_group"):
        DistributedSampler(range(4))


def test_a_dataloader_with_the_sampler_yields_this_ranks_share():
    data = TensorDataset(graphgrad_torch.arange(10))
    seen = []
    for rank in range(3):
        loader = DataLoader(data, batch_size=2, sampler=DistributedSampler(data, 3, rank, shuffle=False))
        seen.append([int(v) for (batch,) in loader for v in batch])
    assert seen == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]  # padded with 0 and 1, as PyTorch


@pytest.mark.parametrize("n, replicas", [(0, 2), (1, 3), (10, 3), (11, 4), (64, 2)])
def test_the_eval_sampler_covers_every_index_exactly_once(n, replicas):
    shares = [list(DistributedEvalSampler(range(n), replicas, r)) for r in range(replicas)]
    assert sum(shares, []) == list(range(n))
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert [len(DistributedEvalSampler(range(n), replicas, r)) for r in range(replicas)] == list(
        map(len, shares))
