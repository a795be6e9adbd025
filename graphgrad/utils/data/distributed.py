"""Samplers that give each rank its own share of a dataset.

``DistributedSampler`` is PyTorch's: every rank gets the same number of indices, padding with
repeated indices (or dropping the tail) to make the dataset divide evenly, so that every rank runs
the same number of steps, which data-parallel training needs. ``DistributedEvalSampler`` is
graphgrad's own, for evaluation: every index exactly once over the ranks, no padding, so metrics
summed over the ranks cover the split exactly once (ranks may then differ by one sample).
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from ... import distributed as dist
from .sampler import Sampler

__all__ = ["DistributedSampler", "DistributedEvalSampler"]


def _replicas_and_rank(num_replicas, rank, op: str) -> tuple[int, int]:
    if num_replicas is None:
        num_replicas = dist.get_world_size()  # raises when no process group is initialised
    if rank is None:
        rank = dist.get_rank()
    if not isinstance(num_replicas, int) or num_replicas < 1:
        raise ValueError(f"{op}: num_replicas must be a positive integer, got {num_replicas!r}")
    if rank >= num_replicas or rank < 0:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
    return num_replicas, rank


def permutation(n: int, seed: int) -> list[int]:
    """The shuffled order of epoch ``seed`` (the sampler's seed plus the epoch): the same on every
    rank. graphgrad's generator is NumPy's, so the order differs from PyTorch's ``randperm``; the
    padding and the split among the ranks are PyTorch's."""
    return np.random.default_rng(seed).permutation(n).tolist()


class DistributedSampler(Sampler):
    """Indices ``rank, rank + num_replicas, rank + 2 * num_replicas, ...`` of the (shuffled, padded)
    dataset order, as ``torch.utils.data.distributed.DistributedSampler``.

    ``num_replicas``/``rank`` default to the process group's. With ``shuffle``, the order is a
    permutation seeded by ``seed + epoch``: call ``set_epoch(epoch)`` before each epoch for a new
    order. Without ``drop_last``, the order is padded with its own first indices to a multiple of
    ``num_replicas``; with it, the tail is dropped. Each rank yields ``len(sampler)`` indices.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        self.num_replicas, self.rank = _replicas_and_rank(num_replicas, rank, "DistributedSampler")
        self.dataset = dataset
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        order = permutation(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if self.drop_last:
            order = order[:self.total_size]
        else:
            missing = self.total_size - n
            order += (order * math.ceil(missing / n))[:missing] if missing > n else order[:missing]
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` next (with ``shuffle``: a different permutation per epoch)."""
        self.epoch = epoch


class DistributedEvalSampler(Sampler):
    """Rank r's contiguous share ``[r * n // R, (r + 1) * n // R)`` of the ``n`` indices, in order:
    every index exactly once over the ``R`` ranks, without padding (graphgrad's own; for evaluating
    a split once, with the per-rank sums combined by ``graphgrad.distributed.mean_over_ranks``).
    Ranks may get one index more than others, so do not run collectives per batch with it (evaluate
    ``ddp.module``, not the ``DistributedDataParallel`` wrapper)."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None):
        self.num_replicas, self.rank = _replicas_and_rank(num_replicas, rank, "DistributedEvalSampler")
        self.dataset = dataset

    def _bounds(self) -> tuple[int, int]:
        n = len(self.dataset)
        return self.rank * n // self.num_replicas, (self.rank + 1) * n // self.num_replicas

    def __iter__(self) -> Iterator[int]:
        return iter(range(*self._bounds()))

    def __len__(self) -> int:
        start, stop = self._bounds()
        return stop - start
