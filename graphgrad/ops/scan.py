"""Running and difference ops along a dimension: cummax, cummin, logcumsumexp, diff, trapezoid
(trapz) and cumulative_trapezoid, with the in-place ``cumsum_``/``cumprod_`` methods.

``cummax``/``cummin`` return ``(values, indices)``; the values are gathered at the indices, so the
gradient goes to the element that holds the running extreme (the latest one among ties, as in
PyTorch). ``logcumsumexp`` runs ``logaddexp`` along the dim (no overflow), and its backward works in
the log domain too.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._util import register_methods, wrap_dim
from .elementwise import _check_tensor, _floating, _inplace
from .scatter_gather import Gather

cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])


def _running_extreme(input: Tensor, dim: int, largest: bool, op: str):
    _check_tensor(input, op)
    x = input._data
    if x.ndim == 0:
        return input.clone(), Tensor._make(np.zeros((), dtype=np.int64))
    axis = wrap_dim(dim, x.ndim, op)
    n = x.shape[axis]
    if n == 0:
        return input.clone(), Tensor._make(np.zeros(x.shape, dtype=np.int64))
    accumulate = (np.maximum if largest else np.minimum).accumulate  # NaN propagates
    running = accumulate(x, axis=axis)
    before = np.concatenate([np.take(x, [0], axis=axis),
                             np.take(running, np.arange(n - 1), axis=axis)], axis=axis)
    # an element takes over the running extreme when it ties or beats it; every NaN takes over
    takes_over = (x >= before) if largest else (x <= before)
    if x.dtype.kind == "f":
        takes_over |= np.isnan(x)
    positions = np.arange(n).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
    idx = np.maximum.accumulate(np.where(takes_over, positions, 0), axis=axis).astype(np.int64)
    return Gather.apply(input, axis, idx), Tensor._make(idx)


def cummax(input: Tensor, dim: int):
    """Running maximum along ``dim`` and the index where each running maximum was found."""
    return cummax_result(*_running_extreme(input, dim, True, "cummax"))


def cummin(input: Tensor, dim: int):
    """Running minimum along ``dim`` and the index where each running minimum was found."""
    return cummin_result(*_running_extreme(input, dim, False, "cummin"))


class LogCumSumExp(ArrayFunction):
    """``log(cumsum(exp(x)))`` along ``axis``, as a running ``logaddexp``."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        out = np.logaddexp.accumulate(x, axis=axis) if x.shape[axis] else x.copy()
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        # grad_j = sum_{i >= j} g_i exp(x_j - out_i), split by the sign of g so that both halves
        # are reverse log-cum-sum-exps of log|g_i| - out_i: no overflow for any spread of values
        x, out = ctx.saved_tensors
        axis = ctx.axis

        def reverse_lcse(t):
            return LogCumSumExp.apply(t.flip([axis]), axis).flip([axis])

        positive = reverse_lcse(g.clamp_min(0.0).log() - out)
        negative = reverse_lcse((-g).clamp_min(0.0).log() - out)
        return (x + positive).exp() - (x + negative).exp(), None


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))`` computed without overflow."""
    x = _floating(input, "logcumsumexp")
    if x._data.ndim == 0:
        return x.clone()
    return LogCumSumExp.apply(x, wrap_dim(dim, x._data.ndim, "logcumsumexp"))


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``out[i] = x[i+1] - x[i]``), after joining
    ``prepend`` and ``append`` to ``input`` along ``dim``. bool input gives ``!=``, as PyTorch."""
    _check_tensor(input, "diff")
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    axis = wrap_dim(dim, input._data.ndim, "diff")
    from .joining import cat

    parts = [p for p in (prepend, input, append) if p is not None]
    x = cat(parts, axis) if len(parts) > 1 else input
    for _ in range(n):
        length = x._data.shape[axis]
        if length == 0:
            break
        later, earlier = x.narrow(axis, 1, length - 1), x.narrow(axis, 0, length - 1)
        x = later != earlier if x._data.dtype == np.bool_ else later - earlier
    return x


def _spacing(y: Tensor, x, dx, axis: int):
    """The widths between samples: from ``x`` (a tensor) or the constant ``dx``."""
    if x is None:
        return dx
    if not isinstance(x, Tensor):
        raise TypeError(f"trapezoid: x must be a Tensor, got {type(x).__name__}")
    if x._data.ndim == 1:
        shape = [1] * y._data.ndim
        shape[axis] = -1
        return diff(x).reshape(shape)
    return diff(x, dim=axis)


def trapezoid(y: Tensor, x=None, *, dx: float = 1.0, dim: int = -1) -> Tensor:
    """The trapezoidal rule integral of ``y`` along ``dim`` (samples at ``x`` or spaced ``dx``)."""
    _check_tensor(y, "trapezoid")
    axis = wrap_dim(dim, y._data.ndim, "trapezoid")
    n = y._data.shape[axis]
    if n == 0:
        return y.sum(axis)
    mid = (y.narrow(axis, 1, n - 1) + y.narrow(axis, 0, n - 1)) * 0.5
    return (mid * _spacing(y, x, dx, axis)).sum(axis)


def cumulative_trapezoid(y: Tensor, x=None, *, dx: float = 1.0, dim: int = -1) -> Tensor:
    """The running trapezoidal integral of ``y`` along ``dim`` (one element shorter)."""
    _check_tensor(y, "cumulative_trapezoid")
    axis = wrap_dim(dim, y._data.ndim, "cumulative_trapezoid")
    n = y._data.shape[axis]
    if n == 0:
        return y.clone()
    mid = (y.narrow(axis, 1, n - 1) + y.narrow(axis, 0, n - 1)) * 0.5
    return (mid * _spacing(y, x, dx, axis)).cumsum(axis)


def trapz(y: Tensor, x=None, *, dx: float = 1.0, dim: int = -1) -> Tensor:
    """Alias of ``trapezoid``."""
    return trapezoid(y, x, dx=dx, dim=dim)


def _cummax_method(self, dim):
    return cummax(self, dim)


def _cummin_method(self, dim):
    return cummin(self, dim)


cumsum_ = _inplace(lambda t, dim, dtype=None: t.cumsum(dim, dtype=dtype), "cumsum_")
cumprod_ = _inplace(lambda t, dim, dtype=None: t.cumprod(dim, dtype=dtype), "cumprod_")

register_methods(cummax=_cummax_method, cummin=_cummin_method, logcumsumexp=logcumsumexp,
                 diff=diff, cumsum_=cumsum_, cumprod_=cumprod_)

__all__ = ["cummax", "cummin", "logcumsumexp", "diff", "trapezoid", "trapz",
           "cumulative_trapezoid"]
