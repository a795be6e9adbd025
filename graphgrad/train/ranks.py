"""Data-parallel training on the one loop: what ``Loop.fit`` does differently when a process group
of more than one rank exists (``graphgrad run --nproc N``, ``mpiexec -n N ...``).

- The step wraps its model in ``DistributedDataParallel`` (``Step.data_parallel``): backward
  averages the gradients over the ranks, so every rank takes the same optimizer step.
- The training data's batch size is the global batch; each rank gets ``batch_size / N`` of every
  batch. Rank 0's copy of the loader's own sampler draws the epoch's order and sends it to every
  rank, and rank r takes every N-th index of it, so the N shares of batch k are exactly the batch k
  one process makes, for any N (a data set that does not divide among the ranks is padded with its
  first indices, as PyTorch's ``DistributedSampler``).
- Held-out data is split into contiguous shares, every sample on one rank only; the step sums its
  figures over the ranks (``graphgrad.distributed.mean_over_ranks``).
- The ranks agree once per step (one small allreduce) on what ends it: an interrupt or a
  callback's stop on any rank; rank 0's clock for the time limit and for checkpoints.
- A checkpoint holds the unwrapped model (it resumes on any number of ranks), the epoch's running
  figures summed over the ranks, and every rank's random state.

Random state. A new run keeps the process's random state on rank 0 (its draws are those of one
process) and gives rank r > 0 ``for_rank(state, r)``. A resume on as many ranks as the checkpoint
was written with gives every rank its own saved state: bit for bit the uninterrupted run. On
another number of ranks, rank 0 takes the saved rank-0 state and rank r > 0 ``for_rank`` of it:
data order and position, weights, optimizer, schedule and counters continue exactly, while the
draws of ranks > 0 (augmentation, dropout) are new ones.
"""
from __future__ import annotations

import json
import random
import zlib

import numpy as np

from .. import backend
from .. import distributed as dist
from ..autograd.tensor import Tensor
from ..utils.data import DataLoader, Sampler
from . import random_state


class Ranks:
    """This process's place among ``size`` ranks, and the collectives the loop and steps use."""

    def __init__(self, rank: int, size: int):
        self.rank, self.size = rank, size

    @classmethod
    def current(cls) -> "Ranks | None":
        """The ranks of the process group; None for one process (no group, or a group of one)."""
        rank, size = dist.rank_and_world_size()
        return cls(rank, size) if size > 1 else None

    def __repr__(self) -> str:
        return f"Ranks(rank={self.rank}, size={self.size})"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    # ------------------------------------------------------------------ collectives
    def agree(self, *flags: bool) -> list[bool]:
        """Each flag OR-ed over the ranks (one allreduce). A flag only rank 0 may raise is passed
        as False by the others."""
        t = Tensor._make(np.array([bool(f) for f in flags], dtype=np.int64))
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return [bool(v) for v in t._data]

    def from_main(self, value):
        """Rank 0's ``value`` (a small Python object) on every rank."""
        return dist.broadcast_from_main(value)

    def gather(self, obj) -> list:
        """Every rank's ``obj`` (small, picklable), in rank order, on every rank."""
        out = [None] * self.size
        dist.all_gather_object(out, obj)
        return out

    def sum_sums(self, sums: dict) -> dict:
        """The loop's epoch sums (``totals``, ``counts``, ``seen``) summed over the ranks."""
        flat = {"seen": sums["seen"]}
        flat.update({f"total/{k}": v for k, v in sums["totals"].items()})
        flat.update({f"count/{k}": v for k, v in sums["counts"].items()})
        summed = dist.all_reduce_sums(flat)
        return {"totals": {k: summed[f"total/{k}"] for k in sums["totals"]},
                "counts": {k: int(round(summed[f"count/{k}"])) for k in sums["counts"]},
                "seen": int(round(summed["seen"]))}

    def wrap(self, module):
        """``module`` in ``DistributedDataParallel`` (rank 0's weights copied to every rank)."""
        from ..nn.parallel import DistributedDataParallel

        return DistributedDataParallel(module)

    # -------------------------------------------------------------- shares of a batch
    def equal_share(self, total: int, what: str) -> slice:
        """This rank's ``total / size`` consecutive positions of ``total`` (streams of a language
        model's batch); raises ``ValueError`` unless ``total`` divides evenly."""
        if total % self.size:
            raise ValueError(f"{what} {total} does not split evenly over {self.size} ranks; make it "
                             f"a multiple of {self.size}")
        n = total // self.size
        return slice(self.rank * n, (self.rank + 1) * n)

    def share(self, total: int) -> slice:
        """This rank's contiguous share of ``total`` positions (shares differ by one at most)."""
        return slice(self.rank * total // self.size, (self.rank + 1) * total // self.size)

    def concat_columns(self, tensor: Tensor) -> Tensor:
        """The ranks' ``tensor`` (shape (a, b, ...)), equal shares of a batch along axis 1 in rank
        order, joined into one (a, size * b, ...) tensor on every rank."""
        parts = [Tensor._make(np.empty_like(tensor._data)) for _ in range(self.size)]
        dist.all_gather(parts, Tensor._make(np.ascontiguousarray(tensor._data)))
        return Tensor._make(np.concatenate([p._data for p in parts], axis=1))

    # ------------------------------------------------------------------- the data
    def shard_train(self, data):
        """This rank's share of every batch of ``data``: a ``DataLoader`` of global batches (see
        ``shard_loader``), or data with a ``shard(ranks)`` method (a language model's streams)."""
        if hasattr(data, "shard"):
            return data.shard(self)
        if isinstance(data, DataLoader):
            return shard_loader(data, self, train=True)
        raise TypeError(f"data-parallel training needs a DataLoader (or data with a shard(ranks) "
                        f"method) to split among {self.size} ranks, got {type(data).__name__}")

    def shard_eval(self, data):
        """A ``DataLoader`` of held-out data split into contiguous shares (each sample on one
        rank); other held-out data unchanged (the step splits it, or every rank scores all)."""
        if isinstance(data, DataLoader):
            return shard_loader(data, self, train=False)
        return data

    # --------------------------------------------------------------- random state
    def random_states(self, rng: dict, epoch_rng: dict | None) -> list:
        """Every rank's boundary and epoch-start random states, for a checkpoint."""
        return self.gather({"rng": rng, "epoch_rng": epoch_rng})

    def restore_random_state(self, saved: list | None, rank0: dict, key: str = "rng") -> dict:
        """This rank's state ``key`` from a checkpoint's ``saved`` per-rank states when they are
        for this number of ranks, else ``for_rank`` of rank 0's state ``rank0``."""
        if saved is not None and len(saved) == self.size:
            return saved[self.rank][key]
        return for_rank(rank0, self.rank)


def for_rank(state: dict, rank: int) -> dict:
    """The random state (as ``random_state.capture`` gives) rank ``rank`` starts from when rank 0
    has ``state``: ``state`` itself for rank 0, for the others states seeded from a hash of
    ``state`` and the rank (different on every rank, the same every time). Python's own
    generator is left out of the hash: ``manual_seed`` does not seed it, so its state differs
    from one process to the next."""
    if rank == 0:
        return state
    seeded = {k: state[k] for k in ("graphgrad", "numpy_legacy")}
    digest = zlib.crc32(json.dumps(seeded, sort_keys=True).encode())
    seeds = np.random.SeedSequence([digest, rank]).generate_state(3, np.uint32)
    saved = random_state.capture()
    try:
        backend.default_generator.manual_seed(int(seeds[0]))
        np.random.seed(int(seeds[1]))
        random.seed(int(seeds[2]))
        return random_state.capture()
    finally:
        random_state.restore(saved)


class GlobalOrderShard(Sampler):
    """Rank ``rank``'s share of the order that ``sampler`` gives on rank 0 (drawn there and sent to
    every rank each epoch, so that a random order is the same everywhere).

    ``interleave=True`` (training): indices ``rank, rank + size, ...`` of the order, padded with its
    first indices to a multiple of ``size`` (or, given ``drop_last_batch``, cut to whole global
    batches of that size), so that batch k of this rank with batch size ``B / size`` is its share
    of global batch k. ``interleave=False`` (held-out data): the contiguous share, each index on one
    rank only. ``share_order(order)`` returns rank 0's order on every rank (default: a broadcast);
    tests pass their own."""

    def __init__(self, sampler, rank: int, size: int, *, interleave: bool,
                 drop_last_batch: int | None = None, share_order=None):
        self.sampler, self.rank, self.size = sampler, rank, size
        self.interleave, self.drop_last_batch = interleave, drop_last_batch
        self.share_order = share_order or _broadcast_order

    def _total(self) -> int:
        n = len(self.sampler)
        if not self.interleave:
            return n
        if self.drop_last_batch:
            return n // self.drop_last_batch * self.drop_last_batch
        return -(-n // self.size) * self.size

    def __iter__(self):
        n = len(self.sampler)
        order = (np.fromiter(iter(self.sampler), dtype=np.int64, count=n) if self.rank == 0
                 else np.zeros(n, dtype=np.int64))
        order = self.share_order(order)
        if not self.interleave:
            return iter(order[self.rank * n // self.size:(self.rank + 1) * n // self.size].tolist())
        total = self._total()
        if total > n:
            order = np.resize(order, total)  # repeats the order from its start
        return iter(order[self.rank:total:self.size].tolist())

    def __len__(self) -> int:
        if not self.interleave:
            n = len(self.sampler)
            return (self.rank + 1) * n // self.size - self.rank * n // self.size
        return self._total() // self.size

    def set_epoch(self, epoch: int) -> None:
        """Passed on to the wrapped sampler, if it has ``set_epoch`` (a ``DistributedSampler``)."""
        inner = getattr(self.sampler, "set_epoch", None)
        if inner is not None:
            inner(epoch)


def _broadcast_order(order: np.ndarray) -> np.ndarray:
    t = Tensor._make(order)
    dist.broadcast(t, src=0)
    return t._data


def shard_loader(loader: DataLoader, ranks: Ranks, *, train: bool) -> DataLoader:
    """A ``DataLoader`` like ``loader`` over this rank's share of its samples (see
    ``GlobalOrderShard``): for training with ``batch_size / size`` per rank, the share of every
    global batch; for held-out data with ``loader``'s batch size, a contiguous share."""
    where = "training" if train else "held-out"
    if loader.batch_size is None or getattr(loader, "_is_iterable", False):
        raise ValueError(f"data-parallel training: the {where} DataLoader must batch a map-style "
                         f"dataset with batch_size (not a batch_sampler or an IterableDataset)")
    sampler = loader.sampler
    if getattr(sampler, "num_replicas", 1) > 1:
        raise ValueError(f"data-parallel training: the {where} DataLoader already has a "
                         f"{type(sampler).__name__} over {sampler.num_replicas} ranks; give the "
                         "loop the whole data set and the global batch size, it splits them")
    batch = loader.batch_size
    if train:
        ranks.equal_share(batch, "the global batch size")
        batch //= ranks.size
    shard = GlobalOrderShard(sampler, ranks.rank, ranks.size, interleave=train,
                             drop_last_batch=loader.batch_size if train and loader.drop_last else None)
    return DataLoader(loader.dataset, batch_size=batch, sampler=shard,
                      num_workers=loader.num_workers, collate_fn=loader.collate_fn,
                      pin_memory=loader.pin_memory, drop_last=loader.drop_last,
                      timeout=loader.timeout, worker_init_fn=loader.worker_init_fn,
                      multiprocessing_context=loader.multiprocessing_context,
                      generator=loader.generator, prefetch_factor=loader.prefetch_factor,
                      persistent_workers=loader.persistent_workers)


__all__ = ["GlobalOrderShard", "Ranks", "for_rank", "shard_loader"]
