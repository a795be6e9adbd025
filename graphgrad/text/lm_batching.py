"""Language-model batching: contiguous streams for truncated BPTT, and random windows.

The target of every position is the next token: ``target[t] = input[t + 1]`` along the stream.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor
from ..utils.data import Dataset

__all__ = ["batchify", "get_batch", "BPTTIterator", "random_windows", "LMWindowDataset"]


def _ids(ids) -> np.ndarray:
    a = ids._data if isinstance(ids, Tensor) else np.asarray(ids)
    if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
        raise ValueError(f"expected a 1-D sequence of token ids, got shape {a.shape} of {a.dtype}")
    return a.astype(np.int64, copy=False)


def batchify(ids, batch_size: int) -> np.ndarray:
    """Cut a token stream into ``batch_size`` contiguous streams: an array (steps, batch_size)
    whose column b is the b-th slice of the text; the remainder that does not fill a row is
    dropped."""
    a = _ids(ids)
    steps = len(a) // batch_size
    if steps < 2:
        raise ValueError(f"batchify: {len(a)} tokens are too few for batch_size {batch_size} "
                         "(need at least two steps)")
    return np.ascontiguousarray(a[: steps * batch_size].reshape(batch_size, steps).T)


def get_batch(source: np.ndarray, i: int, seq_len: int):
    """Rows ``i .. i+L`` of a batchified stream and the same rows shifted by one:
    (input (L, batch), target (L, batch)) with ``L = min(seq_len, len(source) - 1 - i)``."""
    length = min(seq_len, len(source) - 1 - i)
    if length <= 0:
        raise IndexError(f"get_batch: start {i} leaves no target in a stream of {len(source)} steps")
    return source[i:i + length], source[i + 1:i + 1 + length]


class BPTTIterator:
    """(input, target) int64 tensors of shape (seq_len, batch) (or (batch, seq_len) with
    ``batch_first``) walking the batchified stream in order; the last chunk may be shorter.
    Consecutive chunks continue each other column by column, so a recurrent state can be carried
    (detached) from one to the next."""

    def __init__(self, ids, batch_size: int, seq_len: int, batch_first: bool = False):
        if seq_len < 1:
            raise ValueError(f"BPTTIterator: seq_len must be at least 1, got {seq_len}")
        self.source = batchify(ids, batch_size)
        self.seq_len = seq_len
        self.batch_first = batch_first

    def __len__(self) -> int:
        return -(-(len(self.source) - 1) // self.seq_len)

    def __iter__(self):
        for i in range(0, len(self.source) - 1, self.seq_len):
            x, y = get_batch(self.source, i, self.seq_len)
            if self.batch_first:
                x, y = x.T, y.T
            yield Tensor._make(np.ascontiguousarray(x)), Tensor._make(np.ascontiguousarray(y))


def random_windows(ids, seq_len: int, batch_size: int, generator=None):
    """``batch_size`` windows at random offsets: (input (batch, seq_len), target (batch,
    seq_len)) int64 tensors, target shifted by one; offsets drawn from graphgrad's generator."""
    a = _ids(ids)
    if len(a) < seq_len + 1:
        raise ValueError(f"random_windows: {len(a)} tokens are too few for windows of "
                         f"{seq_len} + 1")
    starts = backend.rng(generator).integers(0, len(a) - seq_len, size=batch_size)
    idx = starts[:, None] + np.arange(seq_len + 1)
    w = a[idx]
    return Tensor._make(np.ascontiguousarray(w[:, :-1])), Tensor._make(np.ascontiguousarray(w[:, 1:]))


class LMWindowDataset(Dataset):
    """Windows of ``seq_len`` tokens every ``stride`` tokens (default ``seq_len``: no overlap) as
    a dataset of (input (seq_len,), target (seq_len,)) arrays, for a shuffling ``DataLoader``."""

    def __init__(self, ids, seq_len: int, stride: int | None = None):
        self.ids = _ids(ids)
        self.seq_len = seq_len
        self.stride = stride or seq_len
        self._n = max(0, (len(self.ids) - seq_len - 1) // self.stride + 1)
        if self._n == 0:
            raise ValueError(f"LMWindowDataset: {len(self.ids)} tokens are too few for one window "
                             f"of {seq_len} + 1")

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: int):
        if not -self._n <= index < self._n:
            raise IndexError(f"LMWindowDataset: index {index} out of range for {self._n} windows")
        s = (index % self._n) * self.stride
        w = self.ids[s:s + self.seq_len + 1]
        return w[:-1], w[1:]
