"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median/nanmedian along a dim,
quantile/nanquantile, unique, unique_consecutive, searchsorted and bucketize.

Every op that returns values picks them with ``gather`` at the indices it found, so the gradient
flows back to the elements chosen (as in PyTorch). NaN sorts as the largest value (last ascending,
first descending), as in PyTorch. Sorts are stable: equal elements keep their order, which also
decides which index ``kthvalue``/``median`` report among ties.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.tensor import Tensor
from ._util import register_methods, wrap_dim
from .elementwise import _check_tensor
from .scatter_gather import Gather

sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])
nanmedian_result = namedtuple("nanmedian", ["values", "indices"])


def _argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis``; descending keeps equal elements in their original order too
    (the ascending stable order of the reversed array, reversed back)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    rev = np.flip(x, axis=axis)
    order = n - 1 - np.argsort(rev, axis=axis, kind="stable")
    return np.flip(order, axis=axis)


def _take(input: Tensor, axis: int, idx: np.ndarray) -> Tensor:
    """``gather(input, axis, idx)`` (differentiable); a 0-d input is returned as it is."""
    if input._data.ndim == 0:
        return Gather.apply(input, 0, idx)
    return Gather.apply(input, axis, idx)


def _axis(input: Tensor, dim: int, op: str) -> int:
    _check_tensor(input, op)
    return wrap_dim(dim, input._data.ndim, op)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (both of ``input``'s shape)."""
    axis = _axis(input, dim, "sort")
    if input._data.ndim == 0:
        return sort_result(input.clone(), Tensor._make(np.zeros((), dtype=np.int64)))
    idx = _argsort(input._data, axis, descending).astype(np.int64, copy=False)
    return sort_result(_take(input, axis, idx), Tensor._make(idx))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The int64 indices that sort ``input`` along ``dim``."""
    axis = _axis(input, dim, "argsort")
    if input._data.ndim == 0:
        return Tensor._make(np.zeros((), dtype=np.int64))
    return Tensor._make(_argsort(input._data, axis, descending).astype(np.int64, copy=False))


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension."""
    return sort(input, dim=0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their indices."""
    axis = _axis(input, dim, "topk")
    size = input._data.shape[axis] if input._data.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k={k} out of range for dimension {dim} of size "
                           f"{size} (input shape {tuple(input.shape)})")
    if input._data.ndim == 0:
        return topk_result(input.clone(), Tensor._make(np.zeros((), dtype=np.int64)))
    order = _argsort(input._data, axis, largest)
    idx = np.take(order, np.arange(k), axis=axis).astype(np.int64, copy=False)
    return topk_result(_take(input, axis, idx), Tensor._make(idx))


def _pick(input: Tensor, axis: int, position: np.ndarray, keepdim: bool, result, op: str):
    """Values and indices at ``position`` (an array broadcastable to the reduced shape, keepdim)
    of the ascending stable order along ``axis``."""
    order = _argsort(input._data, axis, False)
    idx = np.take_along_axis(order, position, axis=axis).astype(np.int64, copy=False)
    values = _take(input, axis, idx)
    if not keepdim:
        values, idx = values.squeeze(axis), idx.squeeze(axis)
    return result(values, Tensor._make(idx))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
    axis = _axis(input, dim, "kthvalue")
    size = input._data.shape[axis] if input._data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue: selected number k={k} out of range for dimension {dim} of "
                           f"size {size}")
    if input._data.ndim == 0:
        return kthvalue_result(input.clone(), Tensor._make(np.zeros((), dtype=np.int64)))
    shape = list(input._data.shape)
    shape[axis] = 1
    return _pick(input, axis, np.full(shape, k - 1), keepdim, kthvalue_result, "kthvalue")


def _median(input, dim, keepdim, ignore_nan: bool, op: str):
    _check_tensor(input, op)
    x = input._data
    if dim is None:
        flat = input.reshape(-1)
        if x.size == 0:
            return Tensor._make(np.asarray(np.nan, dtype=x.dtype))
        return _median(flat, 0, False, ignore_nan, op).values
    axis = wrap_dim(dim, x.ndim, op)
    result = nanmedian_result if ignore_nan else median_result
    if x.ndim == 0:
        return result(input.clone(), Tensor._make(np.zeros((), dtype=np.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")
    nan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, dtype=bool)
    n_valid = (~nan).sum(axis=axis, keepdims=True)
    if ignore_nan:  # the lower median of the numbers (NaN sorts last); all-NaN rows give NaN
        position = np.maximum(n_valid - 1, 0) // 2
    else:  # the lower median, or the first NaN (which sorts right after the numbers)
        position = np.where(n_valid < x.shape[axis], n_valid, (x.shape[axis] - 1) // 2)
    return _pick(input, axis, position, keepdim, result, op)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """The lower median: of all elements (a 0-d tensor) or ``(values, indices)`` along ``dim``.
    NaN propagates (see ``nanmedian``)."""
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """``median`` ignoring NaN."""
    return _median(input, dim, keepdim, True, "nanmedian")


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    _check_tensor(input, op)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got "
                           f"{input.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. "
                         f"Got {interpolation!r}")
    scalar_q = not isinstance(q, Tensor)
    qs = np.atleast_1d(np.asarray(q._data if isinstance(q, Tensor) else q, dtype=np.float64))
    if qs.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape {qs.shape}")
    if ((qs < 0) | (qs > 1)).any():
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None else input
    axis = 0 if dim is None else wrap_dim(dim, x._data.ndim, op)
    if x._data.ndim == 0:
        x, axis = x.reshape(1), 0
    n = x._data.shape[axis]
    if n == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    s = sort(x, dim=axis).values  # NaN last
    nan = np.isnan(x._data)
    n_nan = nan.sum(axis=axis, keepdims=True)
    valid = n - n_nan if ignore_nan else np.full(n_nan.shape, n)
    bad = valid == 0 if ignore_nan else n_nan > 0  # all NaN, or any NaN without ignore_nan
    outs = []
    for qv in qs:
        rank = qv * (valid - 1).astype(np.float64)
        if interpolation == "nearest":
            rank = np.round(rank)  # half to even, as PyTorch
        lo = np.clip(np.floor(rank).astype(np.int64), 0, n - 1)
        hi = np.clip(np.ceil(rank).astype(np.int64), 0, n - 1)
        if interpolation in ("lower", "nearest"):
            v = Gather.apply(s, axis, lo)
        elif interpolation == "higher":
            v = Gather.apply(s, axis, hi)
        else:
            weight = 0.5 * (hi > lo) if interpolation == "midpoint" else rank - np.floor(rank)
            w = Tensor._make(np.asarray(weight, dtype=x._data.dtype))
            v = Gather.apply(s, axis, lo).lerp(Gather.apply(s, axis, hi), w)
        if bad.any():
            v = v.masked_fill(Tensor._make(np.broadcast_to(bad, v._data.shape)), float("nan"))
        outs.append(v if keepdim and dim is not None else v.squeeze(axis))
    if dim is None and keepdim:
        outs = [o.reshape((1,) * input._data.ndim) for o in outs]
    if scalar_q:
        return outs[0]
    from .joining import stack

    return stack(outs, 0)


def quantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles (a number or a 1-D tensor in [0, 1]) of ``input`` along ``dim`` (all
    elements when None); with a 1-D ``q`` the quantiles stack along a new first dimension."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """``quantile`` ignoring NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements of ``input`` (sorted), optionally with the inverse indices that
    rebuild ``input`` and the count of each; ``dim`` compares whole slices. Not differentiable."""
    _check_tensor(input, "unique")
    x = input._data
    axis = None if dim is None else wrap_dim(dim, x.ndim, "unique")
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=axis)
    inverse = inverse.reshape(x.shape if axis is None else (x.shape[axis],))
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Collapse runs of equal consecutive elements (of the flattened input, or slices along
    ``dim``) to one; optionally the inverse indices and each run's length."""
    _check_tensor(input, "unique_consecutive")
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        change = np.ones(flat.shape[0], dtype=bool)
        change[1:] = flat[1:] != flat[:-1]
        values, shape = flat[change], x.shape
    else:
        axis = wrap_dim(dim, x.ndim, "unique_consecutive")
        moved = np.moveaxis(x, axis, 0)
        change = np.ones(moved.shape[0], dtype=bool)
        if moved.shape[0] > 1:
            change[1:] = (moved[1:] != moved[:-1]).reshape(moved.shape[0] - 1, -1).any(axis=1)
        values, shape = np.moveaxis(moved[change], 0, axis), (moved.shape[0],)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make((np.cumsum(change) - 1).reshape(shape).astype(np.int64)))
    if return_counts:
        starts = np.flatnonzero(change)
        out.append(Tensor._make(np.diff(np.append(starts, change.size)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter=None) -> Tensor:
    """Indices where ``input`` would be inserted into ``sorted_sequence`` (sorted along its last
    dim; 1-D, or with leading dims matching ``input``'s) to keep it sorted."""
    _check_tensor(sorted_sequence, "searchsorted")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted: side can only be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted: side and right can't be set to opposites")
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, np.asarray(sorter._data if isinstance(sorter, Tensor)
                                                 else sorter), axis=-1)
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._data
    mode = "right" if right else "left"
    if seq.ndim == 1:
        idx = np.searchsorted(seq, vals, side=mode)
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError(
                "searchsorted: boundaries tensor should be 1 dimension or the first N-1 dimensions "
                f"of boundaries tensor and input value tensor must match, but we got boundaries "
                f"tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
        # one search for all rows: offset each row's keys into its own band of a sorted line
        rows = seq.reshape(-1, seq.shape[-1])
        v = vals.reshape(rows.shape[0], -1)
        counts = (v[:, :, None] > rows[:, None, :]) if right is False else (
            v[:, :, None] >= rows[:, None, :])
        idx = counts.sum(axis=2).reshape(vals.shape)
    return Tensor._make(np.asarray(idx, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The index ``i`` of the bucket of ``boundaries`` (1-D, sorted) each element of ``input``
    falls in: ``boundaries[i-1] < x <= boundaries[i]``, or with ``right=True``
    ``boundaries[i-1] <= x < boundaries[i]``."""
    _check_tensor(boundaries, "bucketize")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _sort_method(self, dim=-1, descending=False, *, stable=False):
    return sort(self, dim, descending, stable=stable)


register_methods(sort=_sort_method, argsort=argsort, msort=msort, topk=topk, kthvalue=kthvalue,
                 median=median, nanmedian=nanmedian, quantile=quantile, nanquantile=nanquantile,
                 unique=unique, unique_consecutive=unique_consecutive)

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "quantile",
           "nanquantile", "unique", "unique_consecutive", "searchsorted", "bucketize"]
