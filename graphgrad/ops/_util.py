"""Helpers shared by the ops: broadcasting undo, dtype promotion, dims, and method registration."""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import get_default_dtype

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def register_methods(**methods) -> None:
    """Attach functions as ``Tensor`` methods (ops live a layer above ``Tensor``)."""
    for name, fn in methods.items():
        setattr(Tensor, name, fn)


def sum_to_array(array: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``array`` down to ``shape``, undoing broadcasting for any difference in rank."""
    if array.shape == shape:
        return array
    lead = array.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and array.shape[lead + i] != 1)
    out = array.sum(axis=axes, keepdims=True) if axes else array
    if lead:
        out = out.reshape(out.shape[lead:])
    return out.reshape(shape)


def sum_to(t: Tensor, shape: tuple) -> Tensor:
    """Differentiable ``sum_to_array``: used by backward formulas to undo broadcasting."""
    if t._data.shape == tuple(shape):
        return t
    lead = t._data.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and t._data.shape[lead + i] != 1)
    out = t.sum(dim=axes, keepdim=True) if axes else t
    return out.reshape(tuple(shape))


def wrap_dim(dim: int, ndim: int, op: str) -> int:
    """Map a possibly negative ``dim`` into range, with PyTorch's error message."""
    n = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def wrap_dims(dim, ndim: int, op: str):
    """Normalise ``dim`` (None, int, or sequence) to a sorted tuple of axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(dim, ndim, op),)
    dims = tuple(wrap_dim(d, ndim, op) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if dims else None


def _rank(dt: np.dtype) -> int:
    return _KIND_RANK.get(dt.kind, 2)


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promotion between two tensors' dtypes (int64 with float32 gives float32)."""
    if a == b:
        return a
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return a if ra > rb else b
    return np.promote_types(a, b)


def scalar_dtype(value, other: np.dtype) -> np.dtype:
    """The result dtype of a tensor of dtype ``other`` combined with a Python scalar."""
    if isinstance(value, (bool, np.bool_)):
        return other
    if isinstance(value, (int, np.integer)):
        return other if other.kind != "b" else np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return other if other.kind == "f" else get_default_dtype().np
    raise TypeError(f"unsupported operand of type {type(value).__name__}")


def coerce_pair(a, b, op: str):
    """Bring two operands (tensors or Python scalars) to one dtype; return tensors or 0-d arrays."""
    a_t = isinstance(a, Tensor)
    b_t = isinstance(b, Tensor)
    if a_t and b_t:
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return a, b
        if a._data.ndim == 0 and b._data.ndim != 0 and _rank(da) <= _rank(db):
            target = db  # a 0-d tensor does not promote within its category, as in PyTorch
        elif b._data.ndim == 0 and a._data.ndim != 0 and _rank(db) <= _rank(da):
            target = da
        else:
            target = promote_types(da, db)
        return (a if da == target else a.to(target)), (b if db == target else b.to(target))
    if a_t:
        target = a._data.dtype
        if target.kind == "f" and (type(b) is float or type(b) is int):
            return a, np.asarray(b, dtype=target)  # a number keeps a float tensor's dtype
        target = _scalar_target(b, target, op)
        a = a if a._data.dtype == target else a.to(target)
        return a, np.asarray(b, dtype=target)
    if b_t:
        target = b._data.dtype
        if target.kind == "f" and (type(a) is float or type(a) is int):
            return np.asarray(a, dtype=target), b
        target = _scalar_target(a, target, op)
        b = b if b._data.dtype == target else b.to(target)
        return np.asarray(a, dtype=target), b
    raise TypeError(f"{op}: expected at least one Tensor operand")


def _scalar_target(value, other: np.dtype, op: str) -> np.dtype:
    if isinstance(value, np.ndarray):
        return promote_types(other, value.dtype) if value.ndim else other
    try:
        return scalar_dtype(value, other)
    except TypeError:
        raise TypeError(
            f"{op}: unsupported operand type {type(value).__name__}; expected a Tensor or a number")


def broadcast_shapes_checked(a: tuple, b: tuple, op: str) -> tuple:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise RuntimeError(
            f"{op}: the size of tensor a {tuple(a)} must match the size of tensor b {tuple(b)} "
            "at each non-singleton dimension (shapes are not broadcastable)") from None
