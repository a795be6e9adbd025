"""Intra-op parallelism for large memory-bound array work, as PyTorch's CPU kernels use OpenMP.

The matrix products are threaded by the BLAS library. The rest of a convolutional step (im2col and
col2im copies, layout changes, pooling, ReLU, batch norm's passes) is NumPy loops that run on one
thread; on one thread they are about half of a CNN's step, so with two threads they would bound it.
NumPy releases the GIL inside its loops over large arrays, so plain Python threads run those loops in
parallel: ``parallel_for`` splits one op's work into equal parts, runs one part on the calling thread
and the others on a small pool. Work under ``MIN_BYTES`` a thread stays on the calling thread (a
hand-off costs ~30 us). The thread count is ``graphgrad.get_num_threads()`` (the BLAS library's,
changed by ``graphgrad.set_num_threads``).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from .. import backend

MIN_BYTES = 2 ** 20  # of memory touched per thread (~50 us of copying, against a ~20-30 us hand-off)

_pool: list = [None, 0]  # the executor and its number of workers
_local = threading.local()


def _executor(workers: int) -> ThreadPoolExecutor:
    if _pool[0] is None or _pool[1] < workers:
        if _pool[0] is not None:
            _pool[0].shutdown(wait=False)
        _pool[0] = ThreadPoolExecutor(workers, thread_name_prefix="graphgrad-intra-op")
        _pool[1] = workers
    return _pool[0]


def _forget_pool_after_fork() -> None:  # a forked child (a DataLoader worker) has no pool threads
    _pool[0], _pool[1] = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _run_part(fn, start: int, stop: int) -> None:
    _local.busy = True  # an op inside a part runs serially (no nested hand-offs, no deadlock)
    try:
        fn(start, stop)
    finally:
        _local.busy = False


def parallel_for(fn, n: int, nbytes: int) -> None:
    """Call ``fn(start, stop)`` on equal parts of ``range(n)``, in parallel when ``nbytes`` (the
    memory the whole work touches) is large enough. ``fn`` must only write to its own part."""
    parts = min(backend.intra_op_threads(), n, nbytes // MIN_BYTES)
    if parts <= 1 or getattr(_local, "busy", False):
        fn(0, n)
        return
    bounds = [n * i // parts for i in range(parts + 1)]
    pool = _executor(parts - 1)
    futures = [pool.submit(_run_part, fn, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    try:
        _run_part(fn, bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()


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
