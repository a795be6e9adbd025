"""Gradient averaging for ``DistributedDataParallel``: flat buckets, each allreduced as soon as every
gradient in it has been accumulated during backward.

Parameters are put in buckets in reverse registration order (the order backward tends to produce
their gradients), one dtype per bucket, each closed once it reaches its cap (with the defaults,
1 MiB for the first and ``bucket_cap_mb`` = 25 MiB for the others, as PyTorch's). A parameter's
post-accumulate-grad hook copies its gradient into its bucket; the bucket whose last gradient
arrives starts a non-blocking ``Iallreduce``.
Buckets start strictly in index order, so every rank issues the same collectives in the same order
even when gradients arrive in a different order. When the last bucket has started, the reducer
waits for all of them and writes the averages back into ``.grad``: by the time ``backward()``
returns, every rank holds the same averaged gradients.
"""
from __future__ import annotations

import time
import weakref

import numpy as np

from ...autograd.function import AccumulateGrad
from ...autograd.tensor import Tensor
from ...distributed import _mpi

FIRST_BUCKET_BYTES = 1024 * 1024

_UNFINISHED = (
    "DistributedDataParallel: expected to have finished reduction in the prior iteration before "
    "starting a new one. This error indicates that your module has parameters that were not used in "
    "producing loss ({missing}). You can enable unused parameter detection by passing the keyword "
    "argument `find_unused_parameters=True` to DistributedDataParallel, and by making sure all "
    "forward function outputs participate in calculating loss.")


class _Bucket:
    """Parameters of one dtype whose gradients travel together in one flat array."""

    def __init__(self, params: list, dtype):
        self.params = params
        self.slices = []
        start = 0
        for p in params:
            n = p._data.size
            self.slices.append(slice(start, start + n))
            start += n
        self.buffer = np.zeros(start, dtype=dtype)
        self.pending = len(params)
        self.request = None


def _assign_buckets(params: list, cap_bytes: int, first_cap_bytes: int) -> list:
    """Group ``params`` (already in reverse order) into buckets of one dtype: as in PyTorch, a
    bucket is closed once it holds at least its cap (``first_cap_bytes`` for the first)."""
    buckets, filling = [], {}  # filling: dtype -> (params, bytes) of the bucket being filled
    for p in params:
        dtype = p._data.dtype
        members, size = filling.get(dtype, ([], 0))
        members, size = members + [p], size + p._data.nbytes
        if size >= (first_cap_bytes if not buckets else cap_bytes):
            buckets.append(_Bucket(members, dtype))
            members, size = [], 0
        filling[dtype] = (members, size)
    buckets += [_Bucket(members, dtype) for dtype, (members, _) in filling.items() if members]
    return buckets


def reachable_leaves(outputs) -> set:
    """The ids of the leaf tensors whose gradient some tensor in ``outputs`` (nested lists, tuples,
    dicts) depends on: a walk of the recorded graph, without recursion."""
    stack = [t.grad_fn for t in _tensors(outputs) if t.grad_fn is not None]
    stack += [t._accumulator() for t in _tensors(outputs) if t.grad_fn is None and t.requires_grad]
    seen, leaves = set(), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            leaves.add(id(node.variable))
        stack.extend(edge[0] for edge in node._next if edge is not None)
    return leaves


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


class Reducer:
    """Averages the gradients of ``named_params`` ((name, parameter) pairs) over the ranks of
    ``comm`` during each armed backward."""

    def __init__(self, named_params: list, comm, cap_bytes: int, first_cap_bytes: int = FIRST_BUCKET_BYTES,
                 find_unused_parameters: bool = False, gradient_as_bucket_view: bool = False):
        self.comm = comm
        self.world_size = comm.Get_size()
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        params = [p for _, p in named_params]
        self.names = {id(p): name for name, p in named_params}
        self.buckets = _assign_buckets(list(reversed(params)), cap_bytes, first_cap_bytes)
        self.where = {}
        for b, bucket in enumerate(self.buckets):
            for i, p in enumerate(bucket.params):
                self.where[id(p)] = (b, i)
        self.armed = False
        self.next_to_start = 0
        self._seen = {}
        self.used = None
        self.comm_seconds = 0.0  # time spent in MPI calls (the benchmark reads it)
        # The hooks hold the reducer weakly and go when it goes: a model wrapped again (or unwrapped)
        # keeps no hooks, and no reducer alive, from a DistributedDataParallel that was dropped.
        method = weakref.WeakMethod(self._grad_ready)

        def grad_ready(param):
            ready = method()
            if ready is not None:
                ready(param)

        handles = [p.register_post_accumulate_grad_hook(grad_ready) for p in params]
        weakref.finalize(self, _remove_all, handles)

    # ---------------------------------------------------------------- per iteration
    def prepare_for_backward(self, outputs) -> None:
        """Arm the reducer for the backward of ``outputs`` (called by DDP's forward)."""
        if self.armed and any(b.pending < len(b.params) for b in self.buckets):
            missing = [self.names.get(id(p), f"a parameter of shape {tuple(p.shape)}")
                       for b in self.buckets for p in b.params if not self._seen[id(p)]]
            raise RuntimeError(_UNFINISHED.format(missing="no gradient for: " + ", ".join(missing[:5])))
        for bucket in self.buckets:
            bucket.pending = len(bucket.params)
            bucket.request = None
        self._seen = {pid: False for pid in self.where}
        self.next_to_start = 0
        self.armed = True
        if self.find_unused_parameters:
            reached = reachable_leaves(outputs)
            self.used = np.array([pid in reached for pid in self.where], dtype=np.int32)
            for b, bucket in enumerate(self.buckets):
                for p, s in zip(bucket.params, bucket.slices):
                    if id(p) not in reached:
                        bucket.buffer[s] = 0
                        self._mark(b, p)

    def _grad_ready(self, param: Tensor) -> None:
        if not self.armed:
            return
        b, i = self.where[id(param)]
        bucket = self.buckets[b]
        view = bucket.buffer[bucket.slices[i]]
        grad = param.grad._data
        if not np.shares_memory(view, grad):
            np.copyto(view, grad.reshape(-1))
        self._mark(b, param)

    def _mark(self, b: int, param: Tensor) -> None:
        self._seen[id(param)] = True
        self.buckets[b].pending -= 1
        self._start_ready_buckets()

    def _start_ready_buckets(self) -> None:
        MPI = _mpi.load_mpi()
        started = time.perf_counter()
        while self.next_to_start < len(self.buckets) and self.buckets[self.next_to_start].pending == 0:
            bucket = self.buckets[self.next_to_start]
            bucket.request = self.comm.Iallreduce(MPI.IN_PLACE, bucket.buffer, MPI.SUM)
            self.next_to_start += 1
        if self.next_to_start == len(self.buckets):
            self._finish()
        elif self.next_to_start:
            # MPI moves a non-blocking collective forward only inside MPI calls: poll the ones in
            # flight so that they progress while backward computes the next bucket's gradients.
            MPI.Request.Testall([b.request for b in self.buckets[:self.next_to_start]])
        self.comm_seconds += time.perf_counter() - started

    def _finish(self) -> None:
        MPI = _mpi.load_mpi()
        MPI.Request.Waitall([b.request for b in self.buckets])
        globally_used = None
        if self.find_unused_parameters:
            globally_used = self.used.copy()
            self.comm.Allreduce(MPI.IN_PLACE, globally_used, MPI.MAX)
            globally_used = dict(zip(self.where, globally_used.tolist()))
        for bucket in self.buckets:
            bucket.buffer *= bucket.buffer.dtype.type(1.0 / self.world_size)
            for p, s in zip(bucket.params, bucket.slices):
                if globally_used is not None and not globally_used[id(p)]:
                    continue  # no rank used it: its .grad stays as it was (None), as in PyTorch
                self._write_back(p, bucket.buffer[s].reshape(p._data.shape))
        self.armed = False

    def _write_back(self, param: Tensor, averaged: np.ndarray) -> None:
        grad = param.grad
        if self.gradient_as_bucket_view:
            if grad is not None and np.shares_memory(grad._data, averaged):
                grad._bump_version()  # backward accumulated straight into the bucket
            else:
                param.grad = Tensor._make(averaged)
        elif grad is not None and grad._data.flags.writeable and grad.grad_fn is None:
            np.copyto(grad._data, averaged)
            grad._bump_version()
        else:
            param.grad = Tensor._make(averaged.copy())


def _remove_all(handles) -> None:
    for handle in handles:
        handle.remove()
