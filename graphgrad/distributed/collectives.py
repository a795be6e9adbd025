"""Collectives on tensors, in place, with ``torch.distributed``'s signatures and semantics.

Every rank must call the same collectives in the same order. The data moves as raw NumPy buffers
through mpi4py's upper-case (buffer) methods: nothing is pickled. A tensor that receives data must be
contiguous. ``async_op=True`` starts MPI's non-blocking form and returns a ``Work`` whose ``wait()``
completes it; the tensors must not be read or written before then.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from . import _mpi
from .process_group import ReduceOp, world


class Work:
    """A collective started with ``async_op=True``: ``wait()`` blocks until it has completed on this
    rank (and finishes what follows it, such as AVG's division); ``is_completed()`` polls."""

    def __init__(self, request, finish=None):
        self._request = request
        self._finish = finish

    def _done(self) -> None:
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()

    def wait(self, timeout=None) -> bool:
        self._request.Wait()
        self._done()
        return True

    def is_completed(self) -> bool:
        if self._finish is None:
            return True
        if self._request.Test():
            self._done()
            return True
        return False

    def is_success(self) -> bool:
        return self.is_completed()


def _launch(async_op: bool, blocking, nonblocking, finish=None):
    """Run a collective now (returning None) or start it and return its ``Work``."""
    if async_op:
        return Work(nonblocking(), finish)
    blocking()
    if finish is not None:
        finish()
    return None


def _target(tensor, op: str, what: str = "tensor") -> np.ndarray:
    """The array of a tensor that a collective writes into."""
    array = _source(tensor, op, what)
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise ValueError(f"{op}: {what} must be a contiguous, writable tensor (got shape "
                         f"{tuple(array.shape)}, strides {array.strides}); call .contiguous() first")
    return array


def _source(tensor, op: str, what: str = "tensor") -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(tensor).__name__}")
    array = tensor._data
    if array.dtype == np.bool_:
        raise TypeError(f"{op}: bool tensors are not supported; convert {what} to uint8 first")
    return array


def _mpi_op(op, dtype, name: str):
    MPI = _mpi.load_mpi()
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{name}: op must be a ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"{name}: ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "iu":
        raise TypeError(f"{name}: {op!r} needs an integer tensor, got {dtype}")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
            ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]


def _written(tensor: Tensor, divide_by: int = 1):
    """What follows a collective that wrote into ``tensor``: AVG's division, the version bump."""
    def finish():
        if divide_by != 1:
            np.divide(tensor._data, divide_by, out=tensor._data)
        tensor._bump_version()
    return finish


def _root(rank, group_rank, size: int, op: str, name: str, default=None) -> int:
    """The root of a rooted collective from PyTorch's pair ``src``/``group_src`` (or ``dst``/...);
    with one group, both mean the same rank."""
    if rank is not None and group_rank is not None and rank != group_rank:
        raise ValueError(f"{op}: {name}={rank} and group_{name}={group_rank} disagree")
    root = rank if rank is not None else group_rank if group_rank is not None else default
    if root is None:
        raise ValueError(f"{op}: either {name} or group_{name} must be given")
    if not isinstance(root, (int, np.integer)) or not 0 <= root < size:
        raise ValueError(f"{op}: {name}={root} is not a rank of this world of {size}")
    return int(root)


def _check_list(tensors, n: int, like: np.ndarray, op: str, what: str) -> list:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"{op}: {what} must be a list of {n} tensors (one per rank), got {got}")
    for i, t in enumerate(tensors):
        array = _source(t, op, f"{what}[{i}]")
        if array.shape != like.shape or array.dtype != like.dtype:
            raise ValueError(f"{op}: {what}[{i}] has shape {tuple(array.shape)} and dtype "
                             f"{array.dtype}, but the tensor has shape {tuple(like.shape)} and "
                             f"dtype {like.dtype}")
    return list(tensors)


def _copy_into(tensors, stacked: np.ndarray):
    def finish():
        for t, part in zip(tensors, stacked):
            t._data[...] = part
            t._bump_version()
    return finish


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` over all ranks with ``op`` and leave the result in ``tensor`` on every rank."""
    pg = world(group, "all_reduce")
    MPI = _mpi.load_mpi()
    array = _target(tensor, "all_reduce")
    mpi_op = _mpi_op(op, array.dtype, "all_reduce")
    finish = _written(tensor, pg.size() if op is ReduceOp.AVG else 1)
    return _launch(async_op, lambda: pg.comm.Allreduce(MPI.IN_PLACE, array, mpi_op),
                   lambda: pg.comm.Iallreduce(MPI.IN_PLACE, array, mpi_op), finish)


def reduce(tensor: Tensor, dst: int | None = None, op=ReduceOp.SUM, group=None, async_op: bool = False,
           group_dst: int | None = None):
    """Combine ``tensor`` over all ranks with ``op`` into ``tensor`` on rank ``dst`` (default 0);
    the other ranks' tensors are left as they were."""
    pg = world(group, "reduce")
    MPI = _mpi.load_mpi()
    root = _root(dst, group_dst, pg.size(), "reduce", "dst", default=0)
    array = _target(tensor, "reduce")
    mpi_op = _mpi_op(op, array.dtype, "reduce")
    if pg.rank() == root:
        send, finish = MPI.IN_PLACE, _written(tensor, pg.size() if op is ReduceOp.AVG else 1)
    else:
        send, finish = array, None
    return _launch(async_op, lambda: pg.comm.Reduce(send, array, mpi_op, root=root),
                   lambda: pg.comm.Ireduce(send, array, mpi_op, root=root), finish)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    pg = world(group, "broadcast")
    root = _root(src, group_src, pg.size(), "broadcast", "src")
    array = _target(tensor, "broadcast")
    return _launch(async_op, lambda: pg.comm.Bcast(array, root=root),
                   lambda: pg.comm.Ibcast(array, root=root), _written(tensor))


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank."""
    pg = world(group, "all_gather")
    send = np.ascontiguousarray(_source(tensor, "all_gather"))
    targets = _check_list(tensor_list, pg.size(), send, "all_gather", "tensor_list")
    stacked = np.empty((pg.size(),) + send.shape, dtype=send.dtype)
    return _launch(async_op, lambda: pg.comm.Allgather(send, stacked),
                   lambda: pg.comm.Iallgather(send, stacked), _copy_into(targets, stacked))


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False):
    """Concatenate every rank's ``input_tensor`` (in rank order) into ``output_tensor``, shaped either
    ``(world_size * n, ...)`` or ``(world_size, n, ...)`` for an input of shape ``(n, ...)``."""
    pg = world(group, "all_gather_into_tensor")
    send = np.ascontiguousarray(_source(input_tensor, "all_gather_into_tensor", "input_tensor"))
    out = _target(output_tensor, "all_gather_into_tensor", "output_tensor")
    if out.dtype != send.dtype or out.size != pg.size() * send.size:
        raise ValueError(f"all_gather_into_tensor: output_tensor must hold {pg.size()} x the input "
                         f"({pg.size()} x {tuple(send.shape)} of {send.dtype}), got "
                         f"{tuple(out.shape)} of {out.dtype}")
    return _launch(async_op, lambda: pg.comm.Allgather(send, out),
                   lambda: pg.comm.Iallgather(send, out), _written(output_tensor))


def gather(tensor: Tensor, gather_list: list | None = None, dst: int | None = None, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """Collect every rank's ``tensor`` into ``gather_list`` (given on rank ``dst`` only, default 0)."""
    pg = world(group, "gather")
    root = _root(dst, group_dst, pg.size(), "gather", "dst", default=0)
    send = np.ascontiguousarray(_source(tensor, "gather"))
    if pg.rank() == root:
        targets = _check_list(gather_list, pg.size(), send, "gather", "gather_list")
        stacked = np.empty((pg.size(),) + send.shape, dtype=send.dtype)
        finish = _copy_into(targets, stacked)
    else:
        if gather_list:
            raise ValueError("gather: argument gather_list must NOT be specified on non-destination "
                             f"ranks (this is rank {pg.rank()}, dst is {root})")
        stacked, finish = None, None
    return _launch(async_op, lambda: pg.comm.Gather(send, stacked, root=root),
                   lambda: pg.comm.Igather(send, stacked, root=root), finish)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int | None = None, group=None,
            async_op: bool = False, group_src: int | None = None):
    """Copy ``scatter_list[r]`` from rank ``src`` (default 0) into ``tensor`` on rank r."""
    pg = world(group, "scatter")
    root = _root(src, group_src, pg.size(), "scatter", "src", default=0)
    out = _target(tensor, "scatter")
    if pg.rank() == root:
        parts = _check_list(scatter_list, pg.size(), out, "scatter", "scatter_list")
        stacked = np.stack([p._data for p in parts])
    else:
        if scatter_list:
            raise ValueError("scatter: argument scatter_list must NOT be specified on non-source "
                             f"ranks (this is rank {pg.rank()}, src is {root})")
        stacked = None
    return _launch(async_op, lambda: pg.comm.Scatter(stacked, out, root=root),
                   lambda: pg.comm.Iscatter(stacked, out, root=root), _written(tensor))


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Wait until every rank has reached this call."""
    pg = world(group, "barrier")
    return _launch(async_op, pg.comm.Barrier, pg.comm.Ibarrier)
