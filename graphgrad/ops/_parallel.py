"""Intra-op parallelism for large memory-bound array work, as PyTorch's CPU kernels use OpenMP.

The matrix products are threaded by the BLAS library. The rest of a convolutional step (im2col and
col2im copies, layout changes, pooling, ReLU, batch norm's passes) is NumPy loops that run on one
thread; on one thread they are about half of a CNN's step, so with two threads they would bound it.
NumPy releases the GIL inside its loops over large arrays, so plain Python threads run those loops in
parallel: ``parallel_for`` splits one op's work into equal parts, runs one part on the calling thread
and the others on a few worker threads. Work under ``MIN_BYTES`` a thread stays on the calling
thread. The thread count is ``graphgrad.get_num_threads()`` (the BLAS library's, changed by
``graphgrad.set_num_threads``).

The hand-off is two plain locks per worker (one it waits on for work, one it releases when done):
an empty two-part ``parallel_for`` costs ~15 us that way, against ~44 us through a
``ThreadPoolExecutor`` (a future, a condition and a queue per part), and a training step makes
30-90 hand-offs. One caller at a time uses the workers; a second thread calling meanwhile runs its
work serially.
"""
from __future__ import annotations

import os
import threading

from .. import backend

MIN_BYTES = 2 ** 20  # of memory touched per thread (~50 us of copying, against a ~15-40 us hand-off)

_local = threading.local()
_workers: list = []
_dispatch = threading.Lock()  # held by the one caller whose work is on the workers


class _Worker:
    """A daemon thread that runs one part at a time: ``start`` gives it work, ``join`` waits for it
    and re-raises what the part raised."""

    def __init__(self, index: int):
        self._go = threading.Lock()
        self._go.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._job = None
        self._error = None
        threading.Thread(target=self._loop, name=f"graphgrad-intra-op-{index}", daemon=True).start()

    def _loop(self) -> None:
        _local.busy = True  # an op inside a part runs serially (no nested hand-offs, no deadlock)
        while True:
            self._go.acquire()
            fn, start, stop = self._job
            self._job = None
            try:
                fn(start, stop)
            except BaseException as e:  # re-raised in the caller by join
                self._error = e
            finally:
                self._done.release()

    def start(self, fn, start: int, stop: int) -> None:
        self._job = (fn, start, stop)
        self._go.release()

    def join(self) -> None:
        interrupted = None
        while True:  # a Ctrl-C while waiting must not leave the part's "done" for the next caller
            try:
                self._done.acquire()
                break
            except BaseException as e:  # KeyboardInterrupt: the part still runs; wait for it
                interrupted = e
        error, self._error = self._error, None
        if interrupted is not None:
            raise interrupted
        if error is not None:
            raise error


def _forget_workers_after_fork() -> None:  # a forked child (a DataLoader worker) has no threads
    global _dispatch
    _workers.clear()
    _dispatch = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers_after_fork)


def parallel_for(fn, n: int, nbytes: int) -> None:
    """Call ``fn(start, stop)`` on equal parts of ``range(n)``, in parallel when ``nbytes`` (the
    memory the whole work touches) is large enough. ``fn`` must only write to its own part."""
    parts = min(backend.intra_op_threads(), n, nbytes // MIN_BYTES)
    if parts <= 1 or getattr(_local, "busy", False) or not _dispatch.acquire(blocking=False):
        fn(0, n)
        return
    try:
        while len(_workers) < parts - 1:
            _workers.append(_Worker(len(_workers)))
        bounds = [n * i // parts for i in range(parts + 1)]
        for i in range(1, parts):
            _workers[i - 1].start(fn, bounds[i], bounds[i + 1])
        _local.busy = True
        try:
            fn(bounds[0], bounds[1])
        finally:
            _local.busy = False
            errors = []
            for worker in _workers[:parts - 1]:
                try:
                    worker.join()
                except BaseException as e:
                    errors.append(e)
        if errors:
            raise errors[0]
    finally:
        _dispatch.release()


def parallel_parts(fn, *arrays) -> None:
    """``fn(*parts)`` on matching parts of same-shape ``arrays`` (outputs among them), split along
    the flattened arrays when all are C-contiguous, else along the first axis."""
    first = arrays[0]
    nbytes = 0
    for a in arrays:
        nbytes += a.nbytes
    if first.ndim == 0 or nbytes < 2 * MIN_BYTES:  # one part: no views, no closures (~2 us)
        fn(*arrays)
        return
    if all(a.flags.c_contiguous for a in arrays):
        flat = [a.reshape(-1) for a in arrays]
        parallel_for(lambda lo, hi: fn(*(a[lo:hi] for a in flat)), first.size, nbytes)
        return
    parallel_for(lambda lo, hi: fn(*(a[lo:hi] for a in arrays)), first.shape[0], nbytes)
