"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

Semantics follow PyTorch's: ``shuffle=True`` uses a ``RandomSampler`` (seeded from graphgrad's
default generator unless a ``generator`` is given), ``batch_size`` wraps the sampler in a
``BatchSampler``, ``batch_size=None`` turns automatic batching off. With ``num_workers > 0``, each
worker is a separate process seeded with ``base_seed + worker_id`` (``base_seed`` drawn from the
generator when the iterator is made), tasks go out round-robin with ``prefetch_factor`` batches in
flight per worker, and batches come back in sampler order. Before each batch a worker reseeds its
generators from the epoch's base seed and the batch's index (``batch_seed``), so a batch's random
augmentation does not depend on which worker made it or on the batches before it.

``iter_from(start)`` (a graphgrad addition) begins an epoch at batch ``start``, skipping the
earlier ones in the sampler: how a resumed training run continues mid-epoch exactly.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
import multiprocessing.connection
import os
import time
import weakref


import numpy as np

from ... import backend
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker import ExceptionWrapper, IterableStopped, ResumeIteration, make_fetcher, worker_loop

__all__ = ["DataLoader", "batch_seed"]

# How long the main process waits between checks that its workers are alive.
_WAIT_INTERVAL = 1.0
# How long shutdown waits for busy workers to leave on their own before terminating them (an idle
# worker leaves at once; a busy one is in the middle of a sample nobody will read).
_JOIN_TIMEOUT = 1.0


class _InfiniteConstantSampler(Sampler):
    """The 'sampler' of an iterable dataset: ``None`` forever (the dataset decides the order)."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over ``dataset`` in batches (see the module docstring and PyTorch's documentation).

    Each batch is ``collate_fn(list_of_samples)``; with the default ``default_collate``, a dataset
    of ``(image (C, H, W) array, label int)`` gives batches ``[Tensor (B, C, H, W), Tensor (B,)]``.
    ``pin_memory`` and ``pin_memory_device`` are accepted and ignored (there is no GPU).
    With workers, an error (a worker's exception, a dead worker, a timeout, Ctrl-C) reaches the
    caller only once every worker of that iterator is joined; the iterator is then finished.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = ""):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. "
                             "Let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"prefetch_factor option should be a positive integer, got "
                             f"{prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        is_iterable = isinstance(dataset, IterableDataset)
        if is_iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        if isinstance(multiprocessing_context, str):
            multiprocessing_context = mp.get_context(multiprocessing_context)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._is_iterable = is_iterable
        self._iterator = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self):
        return self.iter_from(0)

    def iter_from(self, start: int = 0):
        """An iterator over this epoch's batches that begins at batch ``start`` (0-based).

        A graphgrad addition (PyTorch has none), used to resume training mid-epoch: the first
        ``start`` batches are skipped in the sampler, so none of them is loaded, transformed or
        collated and their augmentation draws no random numbers; the random draws of the epoch
        itself (the base seed, the shuffle) happen as in ``iter(loader)``. With workers, batch
        ``i`` is made with the seed ``batch_seed(base_seed, i)`` either way, so it comes out the
        same as in an epoch read from its start. An ``IterableDataset`` cannot be skipped in a
        sampler: its first ``start`` batches are read and dropped."""
        if not isinstance(start, int) or start < 0:
            raise ValueError(f"DataLoader.iter_from: start must be an int >= 0, got {start!r}")
        if self._is_iterable and start:
            it = self.iter_from(0)
            for _ in itertools.islice(it, start):
                pass
            return it
        if self.num_workers == 0:
            return _SingleProcessIter(self, start)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = _MultiProcessIter(self, start)
            else:
                self._iterator._reset(self, start=start)
            return self._iterator
        return _MultiProcessIter(self, start)

    def _base_seed(self) -> int:
        return int(backend.rng(self.generator).integers(0, 2**62))


def batch_seed(base_seed: int, index: int) -> int:
    """The seed a worker gives its generators before making batch ``index`` of an epoch whose
    base seed is ``base_seed`` (an int in [0, 2**63))."""
    return int(np.random.SeedSequence([int(base_seed), int(index)]).generate_state(1, np.uint64)[0]
               >> np.uint64(1))


class _SingleProcessIter:
    def __init__(self, loader: DataLoader, start: int = 0):
        # Drawn (and unused) as in the multi-process case, so that a seed gives the same batch
        # order whatever num_workers is.
        self._base_seed = loader._base_seed()
        self._sampler_iter = iter(loader._index_sampler)
        for _ in itertools.islice(self._sampler_iter, start):  # skipped: never fetched
            pass
        self._fetcher = make_fetcher(loader._is_iterable, loader.dataset, loader._auto_collation,
                                     loader.collate_fn, loader.drop_last)

    def __iter__(self):
        return self

    def __next__(self):
        index = next(self._sampler_iter)
        data = self._fetcher.fetch(index)  # StopIteration from an iterable dataset ends the loop
        return data


class _MultiProcessIter:
    """Worker processes, their queues and pipes, and the bookkeeping that returns batches in order."""

    def __init__(self, loader: DataLoader, start: int = 0):
        self._finalizer = None  # until the workers exist, there is nothing to shut down
        ctx = loader.multiprocessing_context or mp.get_context()
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._is_iterable = loader._is_iterable
        base_seed = loader._base_seed()
        self._workers, self._index_queues, self._conns = [], [], []
        self._finalizer = weakref.finalize(self, _stop_workers, self._workers, self._index_queues,
                                           self._conns, os.getpid())
        parent = os.getpid()
        for wid in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()  # never block interpreter exit on unsent indices
            reader, writer = ctx.Pipe(duplex=False)
            w = ctx.Process(
                target=worker_loop, daemon=True, name=f"graphgrad-DataLoader-worker-{wid}",
                args=(loader._is_iterable, loader.dataset, index_queue, writer,
                      loader._auto_collation, loader.collate_fn, loader.drop_last,
                      base_seed + wid, loader.worker_init_fn, wid, self._num_workers, parent))
            self._workers.append(w)  # appended before start so that shutdown sees it on failure
            self._index_queues.append(index_queue)
            self._conns.append(reader)
            w.start()
            writer.close()  # the worker holds the writing end now
        self._send_idx = 0
        self._reset(loader, first=True, start=start, base_seed=base_seed)

    # ---------------------------------------------------------------- epochs and tasks
    def _reset(self, loader: DataLoader, first: bool = False, start: int = 0,
               base_seed: int | None = None) -> None:
        # a new epoch of persistent workers draws its own base seed, as a new iterator would
        self._base_seed = loader._base_seed() if base_seed is None else base_seed
        self._sampler_iter = iter(loader._index_sampler)
        for _ in itertools.islice(self._sampler_iter, start):  # skipped: never sent to a worker
            pass
        self._batch_index = start
        self._epoch_start = self._send_idx
        self._rcvd_idx = self._send_idx
        self._task_worker: dict[int, int] = {}
        self._reorder: dict[int, object] = {}
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:
            for q in self._index_queues:
                q.put(ResumeIteration())
        for _ in range(self._prefetch * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if not any(self._active):
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        seed = batch_seed(self._base_seed, self._batch_index)
        self._index_queues[wid].put((self._send_idx, index, seed))
        self._task_worker[self._send_idx] = wid
        self._send_idx += 1
        self._batch_index += 1

    def __iter__(self):
        return self

    def __len__(self):  # pragma: no cover - informative only
        return len(self._task_worker)

    _failed = False  # set once an error has ended this iterator (and stopped its workers)

    def __next__(self):
        if self._failed:
            raise StopIteration  # an earlier error ended this iterator and its workers
        try:
            return self._next()
        except StopIteration:
            raise
        except BaseException:
            # A worker's exception, a dead worker, a timeout or Ctrl-C: every worker is stopped
            # and reaped before the error reaches the caller, so none outlives it (a live one
            # would linger until garbage collection, and a retry's forked workers would inherit it).
            self._failed = True
            self._shutdown_workers()
            raise

    def _next(self):
        while True:
            # Skip tasks given to a worker whose iterable dataset has ended: they get no answer.
            while self._rcvd_idx < self._send_idx:
                wid = self._task_worker[self._rcvd_idx]
                if self._rcvd_idx in self._reorder or self._active[wid]:
                    break
                del self._task_worker[self._rcvd_idx]
                self._rcvd_idx += 1
            if self._rcvd_idx >= self._send_idx:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if self._rcvd_idx in self._reorder:
                data = self._reorder.pop(self._rcvd_idx)
                return self._deliver(data)
            task_id, data = self._get_data()
            if task_id < self._epoch_start:
                continue  # a leftover of an earlier epoch (persistent workers)
            if isinstance(data, IterableStopped):
                self._active[data.worker_id] = False
                continue
            if task_id == self._rcvd_idx:
                return self._deliver(data)
            self._reorder[task_id] = data

    def _deliver(self, data):
        del self._task_worker[self._rcvd_idx]
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _get_data(self):
        start = time.monotonic()
        while True:
            if self._timeout > 0:
                left = self._timeout - (time.monotonic() - start)
                if left <= 0:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
                wait = min(_WAIT_INTERVAL, left)
            else:
                wait = _WAIT_INTERVAL
            ready = mp.connection.wait(self._conns, timeout=wait)
            for conn in ready:
                try:
                    return conn.recv()
                except EOFError:
                    self._raise_worker_died(self._conns.index(conn))
            for wid, w in enumerate(self._workers):
                if not w.is_alive():
                    self._raise_worker_died(wid)

    def _raise_worker_died(self, wid: int):
        w = self._workers[wid]
        w.join(timeout=5.0)
        pid, code = w.pid, w.exitcode
        self._shutdown_workers()
        how = f"exit code {code}" if code is None or code >= 0 else f"signal {-code}"
        raise RuntimeError(f"DataLoader worker (pid {pid}) exited unexpectedly with {how}; if the "
                           "dataset or a transform uses a lot of memory, the system may have "
                           "killed it")

    # ---------------------------------------------------------------- shutdown
    @property
    def _shutdown(self) -> bool:
        return self._finalizer is None or not self._finalizer.alive

    def _shutdown_workers(self) -> None:
        """Stop every worker and reap it, so that no zombie or orphan process is left."""
        if self._finalizer is not None:
            self._finalizer()


def _stop_workers(workers, index_queues, conns, parent_pid: int) -> None:
    """Ask each worker to leave, wait a little, terminate the ones still busy, and reap them all.

    Run through ``weakref.finalize``: it holds the queues and pipes itself, so it still works when
    the iterator is collected as part of a reference cycle (whose other members the garbage
    collector may already have torn down), and it runs at interpreter exit. In a forked child
    (another loader's worker holds a copy of this iterator) it does nothing: only the process
    that started the workers can reap them."""
    if os.getpid() != parent_pid:
        return
    for q in index_queues:
        try:
            q.put(None)
        except (OSError, ValueError):
            pass
    for conn in conns:  # a worker blocked sending a batch gets BrokenPipeError and leaves
        conn.close()
    deadline = time.monotonic() + _JOIN_TIMEOUT
    for w in workers:
        if w.pid is None:
            continue
        w.join(timeout=max(0.0, deadline - time.monotonic()))
        if w.is_alive():
            w.terminate()
            w.join()
    for q in index_queues:
        q.close()
