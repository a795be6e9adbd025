"""What a training loop asks about ranks, in calls that also work when no process group exists
(then there is one rank, rank 0, and every reduction returns its input).

- ``is_main_process()``: whether this rank prints progress and writes files (rank 0).
- ``rank_and_world_size()``: ``(rank, world_size)``, ``(0, 1)`` outside a process group.
- ``all_reduce_sums(values)``: a dict of numbers summed over the ranks, in one collective.
- ``mean_over_ranks(totals, count)``: per-sample means of summed metrics over every rank's samples.
- ``broadcast_from_main(obj)``: rank 0's value of a small Python object, on every rank.

These are graphgrad's own helpers (PyTorch has none of these names); the collectives underneath are
``graphgrad.distributed``'s.
"""
from __future__ import annotations

import zlib
from typing import Mapping

import numpy as np

from . import _mpi
from .process_group import group


def rank_and_world_size() -> tuple[int, int]:
    """This process's rank and the number of ranks; ``(0, 1)`` when no process group exists."""
    pg = group.WORLD
    return (0, 1) if pg is None else (pg.rank(), pg.size())


def is_main_process() -> bool:
    """True on rank 0, and in a process that is not part of a process group."""
    return rank_and_world_size()[0] == 0


def all_reduce_sums(values: Mapping[str, float]) -> dict[str, float]:
    """Every value summed over the ranks (as float64), with one allreduce for the whole dict.

    Every rank must pass the same keys; a rank whose keys differ makes every rank raise
    ``RuntimeError`` (checked with one more small allreduce). Values may be numbers, 0-d arrays or
    one-element tensors."""
    keys = sorted(values)
    local = np.array([float(values[k]) for k in keys], dtype=np.float64)
    pg = group.WORLD
    if pg is None or pg.size() == 1:
        return dict(zip(keys, local.tolist()))
    MPI = _mpi.load_mpi()
    # max(crc) == -max(-crc) exactly when every rank has the same crc, i.e. the same keys.
    crc = zlib.crc32("\0".join(keys).encode())
    check = np.array([crc, -crc], dtype=np.int64)
    pg.comm.Allreduce(MPI.IN_PLACE, check, MPI.MAX)
    if check[0] != -check[1]:
        raise RuntimeError(f"all_reduce_sums: the ranks passed different keys (rank {pg.rank()} "
                           f"has {keys})")
    pg.comm.Allreduce(MPI.IN_PLACE, local, MPI.SUM)
    return dict(zip(keys, local.tolist()))


def mean_over_ranks(totals: Mapping[str, float], count: int) -> dict[str, float]:
    """``sum over ranks of totals[k]`` divided by ``sum over ranks of count``, for every key: the mean
    over all samples of metrics that each rank summed over its own ``count`` samples (for example
    the loss summed over a validation shard). Raises ``ValueError`` when no rank saw a sample."""
    if "__count__" in totals:
        raise ValueError("mean_over_ranks: '__count__' is reserved")
    sums = all_reduce_sums({**totals, "__count__": count})
    n = sums.pop("__count__")
    if n <= 0:
        raise ValueError("mean_over_ranks: no rank counted any sample")
    return {k: v / n for k, v in sums.items()}


def broadcast_from_main(obj):
    """Rank 0's ``obj`` on every rank (pickled, as ``broadcast_object_list``: small objects only);
    ``obj`` itself outside a process group."""
    pg = group.WORLD
    if pg is None or pg.size() == 1:
        return obj
    return pg.comm.bcast(obj if pg.rank() == 0 else None, root=0)
