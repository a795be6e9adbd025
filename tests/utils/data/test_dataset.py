"""Datasets, wrappers and random_split."""
import numpy as np
import pytest

import graphgrad
from graphgrad.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                                  StackDataset, Subset, TensorDataset, random_split)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_tensor_dataset_returns_tuples_of_rows():
    x = graphgrad.arange(12).reshape(6, 2)
    y = np.arange(6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    a, b = ds[4]
    assert a.tolist() == [8, 9] and b == 4


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match=r"size mismatch.*\[3, 4\]"):
        TensorDataset(np.zeros(3), np.zeros(4))


def test_concat_and_add():
    ds = Squares(3) + Squares(2)
    assert isinstance(ds, ConcatDataset)
    assert [ds[i] for i in range(len(ds))] == [0, 1, 4, 0, 1]
    assert ds[-1] == 1
    with pytest.raises(IndexError, match="out of range"):
        ds[5]


def test_chain_and_stack():
    assert list(ChainDataset([Count(2), Count(3)])) == [0, 1, 0, 1, 2]
    assert list(Count(2) + Count(1)) == [0, 1, 0]
    s = StackDataset(Squares(3), Squares(3))
    assert s[2] == (4, 4)
    d = StackDataset(a=Squares(2), b=Squares(2))
    assert d[1] == {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="size mismatch"):
        StackDataset(Squares(2), Squares(3))


def test_subset():
    s = Subset(Squares(10), [9, 2, 5])
    assert len(s) == 3 and [s[i] for i in range(3)] == [81, 4, 25]
    assert s.__getitems__([0, 2]) == [81, 25]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.25, 0.25, 0.5], [0.33, 0.33, 0.34]])
def test_random_split_partitions(lengths):
    parts = random_split(Squares(10), lengths)
    idx = [i for p in parts for i in p.indices]
    assert sorted(idx) == list(range(10))
    assert sum(len(p) for p in parts) == 10


def test_random_split_fraction_rounding_matches_torch():
    torch = pytest.importorskip("torch")
    for fr in ([0.33, 0.33, 0.34], [0.1, 0.2, 0.7], [0.5, 0.5]):
        ours = [len(p) for p in random_split(Squares(11), fr)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(11), fr)]
        assert ours == theirs


def test_random_split_seeded():
    graphgrad.manual_seed(3)
    a = [p.indices for p in random_split(Squares(20), [5, 15])]
    graphgrad.manual_seed(3)
    b = [p.indices for p in random_split(Squares(20), [5, 15])]
    c = [p.indices for p in random_split(Squares(20), [5, 15],
                                         generator=graphgrad.Generator().manual_seed(3))]
    assert a == b
    assert c == [p.indices for p in random_split(Squares(20), [5, 15],
                                                 generator=graphgrad.Generator().manual_seed(3))]


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\).*\(10\)"):
        random_split(Squares(10), [4, 5])
