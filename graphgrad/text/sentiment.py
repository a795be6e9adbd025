"""Sentiment data: SST-2 TSV and sentence-polarity readers, token-id datasets, padding helpers."""
from __future__ import annotations

import os

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor
from ..utils.data import Dataset, Sampler
from .tokenize import word_tokenize
from .vocab import SPECIALS, Vocab

__all__ = ["read_sst2", "read_polarity", "SentimentDataset", "pad_sequences", "PadCollate",
           "BucketBatchSampler"]


def read_sst2(path: str, encoding: str = "utf-8"):
    """Read the SST-2 TSV format (a header naming the ``sentence`` and ``label`` columns, then
    ``sentence<TAB>label`` rows) -> (sentences, labels as ints)."""
    with open(path, encoding=encoding) as f:
        lines = f.read().splitlines()
    if not lines:
        raise ValueError(f"{path}: empty file; expected a header 'sentence<TAB>label'")
    header = lines[0].split("\t")
    if "sentence" not in header or "label" not in header:
        raise ValueError(f"{path}: line 1: header {header} must name the 'sentence' and 'label' "
                         "columns (tab separated)")
    si, li = header.index("sentence"), header.index("label")
    sentences, labels = [], []
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != len(header):
            raise ValueError(f"{path}: line {n}: {len(cols)} tab-separated columns, expected "
                             f"{len(header)} ({', '.join(header)})")
        try:
            label = int(cols[li])
        except ValueError:
            raise ValueError(f"{path}: line {n}: label {cols[li]!r} is not an integer") from None
        sentences.append(cols[si])
        labels.append(label)
    return sentences, labels


def read_polarity(pos_path: str, neg_path: str | None = None, encoding: str = "latin-1"):
    """Read the sentence-polarity format: one ``.pos`` and one ``.neg`` file, one sentence per line
    (Pang & Lee's files are Latin-1). ``pos_path`` may be the folder holding ``*.pos``/``*.neg``.
    Returns (sentences, labels): positives (label 1) first, then negatives (0), in file order."""
    if neg_path is None:
        folder = pos_path
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"read_polarity: {folder} is not a folder; pass the .pos and "
                                    ".neg files, or their folder")
        names = sorted(os.listdir(folder))
        pos = [n for n in names if n.endswith(".pos")]
        neg = [n for n in names if n.endswith(".neg")]
        if len(pos) != 1 or len(neg) != 1:
            raise FileNotFoundError(f"read_polarity: expected one .pos and one .neg file in "
                                    f"{folder}, found {pos + neg or 'none'}")
        pos_path, neg_path = os.path.join(folder, pos[0]), os.path.join(folder, neg[0])
    sentences, labels = [], []
    for path, label in ((pos_path, 1), (neg_path, 0)):
        with open(path, encoding=encoding) as f:
            for line in f:
                line = line.strip()
                if line:
                    sentences.append(line)
                    labels.append(label)
    return sentences, labels


class SentimentDataset(Dataset):
    """Sentences as token-id arrays with their labels: ``dataset[i] = (ids (L,) int64, label)``.

    Builds a ``Vocab`` (with ``<pad>``=0, ``<unk>``=1, ``<bos>``, ``<eos>``) from the sentences
    unless one is given (use the training set's vocabulary for the test set)."""

    def __init__(self, sentences, labels, vocab: Vocab | None = None, tokenizer=word_tokenize,
                 min_freq: int = 1, max_size: int | None = None, max_len: int | None = None):
        if len(sentences) != len(labels):
            raise ValueError(f"SentimentDataset: {len(sentences)} sentences but {len(labels)} labels")
        tokens = [tokenizer(s) for s in sentences]
        self.vocab = vocab if vocab is not None else Vocab.build(tokens, min_freq, max_size,
                                                                 SPECIALS)
        self.max_len = max_len
        self.ids = [np.asarray(self.vocab.lookup_indices(t[:max_len] if max_len else t),
                               dtype=np.int64) for t in tokens]
        self.labels = np.asarray(labels, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        return self.ids[index], int(self.labels[index])

    def lengths(self) -> list[int]:
        return [len(i) for i in self.ids]


def pad_sequences(seqs, padding_value: int = 0, batch_first: bool = True,
                  max_len: int | None = None):
    """Pad 1-D sequences to a common length -> (padded int64 array (B, T) or (T, B), lengths (B,)).
    Longer sequences are cut to ``max_len`` when given."""
    arrays = [np.asarray(s._data if isinstance(s, Tensor) else s) for s in seqs]
    lengths = np.array([min(len(a), max_len) if max_len else len(a) for a in arrays],
                       dtype=np.int64)
    t = int(lengths.max()) if len(arrays) else 0
    dtype = np.result_type(*[a.dtype for a in arrays]) if arrays else np.int64
    out = np.full((len(arrays), t), padding_value, dtype=dtype)
    for b, (a, n) in enumerate(zip(arrays, lengths)):  # one copy per sequence
        out[b, :n] = a[:n]
    return (out if batch_first else np.ascontiguousarray(out.T)), lengths


class PadCollate:
    """A ``collate_fn`` for ``(ids, label)`` samples: (padded ids Tensor, lengths Tensor, labels
    Tensor). With ``sort=True`` the batch is ordered by decreasing length, as
    ``pack_padded_sequence(..., enforce_sorted=True)`` needs."""

    def __init__(self, padding_value: int = 0, batch_first: bool = True, sort: bool = False,
                 max_len: int | None = None):
        self.padding_value, self.batch_first = padding_value, batch_first
        self.sort, self.max_len = sort, max_len

    def __call__(self, batch):
        seqs = [s for s, _ in batch]
        labels = np.asarray([y for _, y in batch], dtype=np.int64)
        if self.sort:
            order = np.argsort([-len(s) for s in seqs], kind="stable")
            seqs = [seqs[i] for i in order]
            labels = labels[order]
        padded, lengths = pad_sequences(seqs, self.padding_value, self.batch_first, self.max_len)
        return Tensor._make(padded), Tensor._make(lengths), Tensor._make(labels)


class BucketBatchSampler(Sampler):
    """Batches of indices of similar length (less padding): shuffle, cut into pools of
    ``batch_size * pool`` indices, sort each pool by length, cut into batches, shuffle the
    batches. Draws from graphgrad's generator (or ``generator``)."""

    def __init__(self, lengths, batch_size: int, shuffle: bool = True, drop_last: bool = False,
                 pool: int = 50, generator=None):
        self.lengths = np.asarray(lengths)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.pool, self.generator = pool, generator

    def __iter__(self):
        rng = backend.rng(self.generator)
        idx = rng.permutation(len(self.lengths)) if self.shuffle else np.arange(len(self.lengths))
        size = self.batch_size * self.pool
        batches = []
        for start in range(0, len(idx), size):
            chunk = idx[start:start + size]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            for b in range(0, len(chunk), self.batch_size):
                batches.append(chunk[b:b + self.batch_size].tolist())
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return iter(batches)

    def __len__(self) -> int:
        n = len(self.lengths)
        if not self.drop_last:
            return sum(-(-min(self.batch_size * self.pool, n - s) // self.batch_size)
                       for s in range(0, n, self.batch_size * self.pool))
        return sum(min(self.batch_size * self.pool, n - s) // self.batch_size
                   for s in range(0, n, self.batch_size * self.pool))
