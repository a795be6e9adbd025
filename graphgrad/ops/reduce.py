"""Reductions over dimensions: sum and mean (the others live in ``reductions.py``)."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ..backend import to_np_dtype
from ._util import register_methods, wrap_dims


def expand_reduced(g: Tensor, in_shape: tuple, axes, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the reduced axes (differentiable)."""
    if axes is not None and not keepdim:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        g = g.reshape(tuple(shape))
    elif axes is None and not keepdim:
        g = g.reshape((1,) * len(in_shape))
    return g.expand(in_shape)


def expand_reduced_array(g: np.ndarray, in_shape: tuple, axes, keepdim: bool) -> np.ndarray:
    if not keepdim:
        shape = [1] * len(in_shape) if axes is None else list(in_shape)
        if axes is not None:
            for a in axes:
                shape[a] = 1
        g = g.reshape(shape)
    return np.broadcast_to(g, in_shape)


class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim), None, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        return expand_reduced_array(g, ctx.in_shape, ctx.axes, ctx.keepdim), None, None, None


class Mean(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        ctx.count = n
        with np.errstate(invalid="ignore", divide="ignore"):
            return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g / ctx.count, ctx.in_shape, ctx.axes, ctx.keepdim), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        return expand_reduced_array(g / ctx.count, ctx.in_shape, ctx.axes, ctx.keepdim), None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dimensions when None). Bool and integer tensors sum to int64."""
    axes = wrap_dims(dim, input._data.ndim, "sum")
    if dtype is not None:
        dtype = to_np_dtype(dtype)
    elif input._data.dtype.kind in "biu":
        dtype = np.dtype(np.int64)
    return Sum.apply(input, axes, keepdim, dtype)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` (all dimensions when None); needs a floating dtype, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {input.dtype}")
    axes = wrap_dims(dim, input._data.ndim, "mean")
    return Mean.apply(input, axes, keepdim)


register_methods(sum=sum, mean=mean)

__all__ = ["sum", "mean"]
