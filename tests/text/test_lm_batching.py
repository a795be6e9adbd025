"""Language-model batching: shapes and inputs aligned with targets shifted by one."""
import numpy as np
import pytest

import graphgrad
from graphgrad.text import BPTTIterator, LMWindowDataset, batchify, get_batch, random_windows
from graphgrad.utils.data import DataLoader

IDS = np.arange(103)


def test_batchify_columns_are_contiguous_streams():
    src = batchify(IDS, 4)
    assert src.shape == (25, 4)
    assert src[:, 1].tolist() == list(range(25, 50))


def test_bptt_shapes_and_shift():
    it = BPTTIterator(IDS, batch_size=4, seq_len=7)
    chunks = list(it)
    assert len(chunks) == len(it) == 4  # 24 target steps: 7 + 7 + 7 + 3
    assert [x.shape[0] for x, _ in chunks] == [7, 7, 7, 3]
    xs = np.concatenate([x.numpy() for x, _ in chunks])
    ys = np.concatenate([y.numpy() for _, y in chunks])
    assert np.array_equal(ys, xs + 1)  # target = next token
    assert np.array_equal(xs[:, 2], np.arange(50, 74))  # a column continues across chunks
    x, y = next(iter(BPTTIterator(IDS, 4, 7, batch_first=True)))
    assert x.shape == (4, 7) and x.dtype == graphgrad.int64


def test_get_batch_end():
    src = batchify(IDS, 4)
    x, y = get_batch(src, 20, 10)
    assert x.shape == (4, 4) and np.array_equal(y, x + 1)
    with pytest.raises(IndexError, match="no target"):
        get_batch(src, 24, 5)


def test_random_windows_seeded_and_aligned():
    graphgrad.manual_seed(1)
    x, y = random_windows(IDS, 10, 6)
    graphgrad.manual_seed(1)
    x2, _ = random_windows(IDS, 10, 6)
    assert x.shape == (6, 10) and np.array_equal(x.numpy(), x2.numpy())
    assert np.array_equal(y.numpy(), x.numpy() + 1)
    starts = np.concatenate([random_windows(IDS, 10, 50)[0].numpy()[:, 0] for _ in range(40)])
    assert starts.min() >= 0 and starts.max() <= 102 - 10
    with pytest.raises(ValueError, match="too few"):
        random_windows(IDS[:5], 10, 2)


def test_window_dataset_with_loader():
    ds = LMWindowDataset(IDS, seq_len=8)
    assert len(ds) == 12
    x, y = ds[11]
    assert np.array_equal(y, x + 1) and x[0] == 88
    for bx, by in DataLoader(ds, batch_size=5, shuffle=True):
        assert bx.shape[1] == 8 and np.array_equal(by.numpy(), bx.numpy() + 1)
