"""Collectives that autograd can differentiate through, as ``torch.distributed.nn.functional``.

``all_reduce(x)`` returns a new tensor (it does not write into ``x``). Its backward is the same
allreduce of the incoming gradient, so every rank must run the backward through it too, as every
rank runs its forward: the gradient that reaches rank r's ``x`` is that of the sum of all ranks'
losses. ``nn.SyncBatchNorm`` computes its batch statistics with it.
"""
from __future__ import annotations

import numpy as np

from ...autograd.function import ArrayFunction
from ...autograd.tensor import Tensor
from .. import _mpi
from ..process_group import ReduceOp, world


class AllReduce(ArrayFunction):
    """``y = sum (or mean) over ranks of x``, the same on every rank; ``dx = allreduce(dy)``."""

    @staticmethod
    def forward(ctx, x, op=ReduceOp.SUM, group=None):
        pg = world(group, "all_reduce")
        MPI = _mpi.load_mpi()
        out = np.array(x, copy=True, order="C")
        pg.comm.Allreduce(MPI.IN_PLACE, out, MPI.SUM)
        if op is ReduceOp.AVG:
            out /= pg.size()
        ctx.op, ctx.group = op, group
        return out

    @staticmethod
    def backward(ctx, g):
        return AllReduce.apply(g, op=ctx.op, group=ctx.group)


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None) -> Tensor:
    """The sum (``ReduceOp.SUM``) or mean (``ReduceOp.AVG``) of ``tensor`` over all ranks, as a new
    tensor connected to the graph. Other ops have no gradient defined here and raise."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"all_reduce: expected a Tensor, got {type(tensor).__name__}")
    if op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise ValueError(f"all_reduce: the differentiable all_reduce supports ReduceOp.SUM and "
                         f"ReduceOp.AVG, got {op!r}")
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"all_reduce: expected a floating-point tensor, got {tensor.dtype}")
    return AllReduce.apply(tensor, op=op, group=group)
