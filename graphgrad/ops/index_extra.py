"""More index-based ops: ``select``, ``Tensor.unfold`` (sliding windows), ``index_copy``,
``index_put``, ``masked_scatter``, ``put``, ``scatter_reduce``, ``select_scatter``/``slice_scatter``/
``diagonal_scatter``, ``split_with_sizes``, ``narrow_copy``, ``repeat_interleave`` and ``rot90``;
with the in-place forms PyTorch has.

They are written with the existing indexing ops (``__getitem__``/``__setitem__``, ``index_add``,
``gather``), so gradients flow as PyTorch's do; ``unfold`` is an op of its own (a strided view
forward, a scatter-add of the windows backward).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ._util import register_methods, wrap_dim
from .elementwise import _check_tensor, _inplace
from .indexing import IndexAccumulate, parse_index
from .views import mark_view


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` of dimension ``dim`` (that dim removed): a view."""
    _check_tensor(input, "select")
    d = wrap_dim(dim, input._data.ndim, "select")
    size = input._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return input[(slice(None),) * d + (int(index),)]


class Unfold(ArrayFunction):
    """Windows of ``size`` every ``step`` along ``axis``, as a new last dim (a strided view)."""

    @staticmethod
    def forward(ctx, x, axis, size, step):
        n = (x.shape[axis] - size) // step + 1
        ctx.args, ctx.in_shape = (axis, size, step), x.shape
        shape = x.shape[:axis] + (n,) + x.shape[axis + 1:] + (size,)
        strides = x.strides[:axis] + (x.strides[axis] * step,) + x.strides[axis + 1:] + \
            (x.strides[axis],)
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)

    @staticmethod
    def backward(ctx, g):
        return UnfoldBackward.apply(g, ctx.in_shape, *ctx.args), None, None, None


class UnfoldBackward(ArrayFunction):
    """Add each window back where it came from (overlapping windows accumulate): one strided add
    per position inside the window."""

    @staticmethod
    def forward(ctx, g, shape, axis, size, step):
        ctx.args = (axis, size, step)
        out = np.zeros(shape, dtype=g.dtype)
        n = g.shape[axis]
        for k in range(size):
            target = [slice(None)] * len(shape)
            target[axis] = slice(k, k + step * (n - 1) + 1, step)
            out[tuple(target)] += g[..., k]
        return out

    @staticmethod
    def backward(ctx, gg):
        return Unfold.apply(gg, *ctx.args), None, None, None, None


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: every window of ``size`` elements taken each ``step`` along
    ``dimension``; that dim becomes the window count and the windows are a new last dim."""
    _check_tensor(self, "unfold")
    x = self if self._data.ndim else self.reshape(1)
    axis = wrap_dim(dimension, x._data.ndim, "unfold")
    if size < 0 or size > x._data.shape[axis]:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {x._data.shape[axis]} "
                           f"but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return mark_view(Unfold.apply(x, axis, int(size), int(step)), self)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written at positions ``index`` along
    ``dim`` (``index`` 1-D; repeated indices: the result is unspecified, as in PyTorch)."""
    _check_tensor(input, "index_copy")
    d = wrap_dim(dim, max(input._data.ndim, 1), "index_copy")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1 or idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Index should have dimension 1 or 0 and dtype int64, "
                           f"got shape {idx.shape} and dtype {idx.dtype}")
    out = input.clone()
    out[(slice(None),) * d + (Tensor._make(idx.reshape(-1)),)] = source
    return out


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (a tuple of index tensors);
    ``accumulate=True`` adds instead, repeated indices adding up."""
    _check_tensor(input, "index_put")
    indices = tuple(indices)
    if not accumulate:
        out = input.clone()
        out[indices] = values
        return out
    basic, adv = parse_index(input._data.shape, indices, "index_put")
    if basic is not None or adv is None:
        raise RuntimeError("index_put: indices must be a tuple of index (long or bool) tensors")
    if not isinstance(values, Tensor):
        values = Tensor._make(np.asarray(values, dtype=input._data.dtype))
    target_shape = input[indices]._data.shape
    spread = values.to(input._data.dtype).expand(target_shape)
    return input + IndexAccumulate.apply(spread, input._data.shape, adv)


def masked_scatter(input: Tensor, mask, source: Tensor) -> Tensor:
    """A copy of ``input`` with the first elements of ``source`` (in order) written where ``mask``
    (broadcast to ``input``) is True."""
    _check_tensor(input, "masked_scatter")
    m = np.broadcast_to(mask._data if isinstance(mask, Tensor) else np.asarray(mask),
                        input._data.shape)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{m.dtype}")
    count = int(m.sum())
    if source.numel() < count:
        raise RuntimeError(f"masked_scatter: expected source to have at least {count} elements "
                           f"(the number of True in mask), got {source.numel()}")
    out = input.clone()
    out[Tensor._make(np.ascontiguousarray(m))] = source.reshape(-1)[:count]
    return out


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source`` written at the flat positions ``index`` (as if
    ``input`` were 1-D); ``accumulate`` adds."""
    _check_tensor(input, "put")
    flat = index_put(input.reshape(-1), (index.reshape(-1),), source.reshape(-1), accumulate)
    return flat.reshape(input._data.shape)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce the elements of ``src`` into ``input`` at ``index`` along ``dim`` with ``reduce`` in
    'sum', 'prod', 'mean', 'amax', 'amin' (``include_self``: whether ``input``'s own values take
    part). Gradients flow for 'sum' and 'mean'."""
    _check_tensor(input, "scatter_reduce")
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce: reduce argument must be one of {_REDUCTIONS}, got "
                           f"{reduce!r}")
    d = wrap_dim(dim, input._data.ndim, "scatter_reduce")
    idx = index._data
    if reduce in ("sum", "mean"):
        zeros = input * 0.0 if input._data.dtype.kind == "f" else input.new_zeros(input.shape)
        added = zeros.scatter_add(d, index, src)
        base = input if include_self else input.masked_fill(_touched(input, d, idx), 0)
        total = base + added
        if reduce == "sum":
            return total
        counts = _scatter_count(input._data.shape, d, idx) + (1 if include_self else 0)
        counts = np.maximum(counts, 1)
        out = total / Tensor._make(counts.astype(input._data.dtype if input._data.dtype.kind == "f"
                                                 else np.float64))
        return out if input._data.dtype.kind == "f" else out.floor().to(input.dtype)
    if is_grad_enabled() and (input._requires_grad or src._requires_grad):
        raise RuntimeError(f"scatter_reduce: the gradient of reduce={reduce!r} is not implemented "
                           "in graphgrad (only 'sum' and 'mean'); detach the inputs or use those")
    out = input._data.copy()
    ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    if not include_self:
        fill = {"prod": 1, "amax": _lowest(out.dtype), "amin": _highest(out.dtype)}[reduce]
        touched = _touched(input, d, idx)._data
        out[touched] = fill
    full = tuple(np.indices(idx.shape, sparse=True))
    target = full[:d] + (idx,) + full[d + 1:]
    ufunc.at(out, target, src._data[tuple(slice(0, s) for s in idx.shape)])
    return Tensor._make(out)


def _scatter_count(shape, d, idx) -> np.ndarray:
    """How many index entries land on each element of a tensor of ``shape``."""
    counts = np.zeros(shape, dtype=np.int64)
    full = tuple(np.indices(idx.shape, sparse=True))
    np.add.at(counts, full[:d] + (idx,) + full[d + 1:], 1)
    return counts


def _touched(input: Tensor, d: int, idx: np.ndarray) -> Tensor:
    return Tensor._make(_scatter_count(input._data.shape, d, idx) > 0)


def _lowest(dt):
    return -np.inf if dt.kind == "f" else np.iinfo(dt).min


def _highest(dt):
    return np.inf if dt.kind == "f" else np.iinfo(dt).max


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with ``src`` written at ``input.select(dim, index)``."""
    out = input.clone()
    d = wrap_dim(dim, input._data.ndim, "select_scatter")
    out[(slice(None),) * d + (int(index),)] = src
    return out


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start=None, end=None,
                  step: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written at the slice ``start:end:step`` of ``dim``."""
    out = input.clone()
    d = wrap_dim(dim, input._data.ndim, "slice_scatter")
    out[(slice(None),) * d + (slice(start, end, step),)] = src
    return out


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written on its ``offset`` diagonal of dims dim1/dim2."""
    from .diagonal import DiagonalBackward, _diagonal_array

    _check_tensor(input, "diagonal_scatter")
    nd = input._data.ndim
    d1, d2 = wrap_dim(dim1, nd, "diagonal_scatter"), wrap_dim(dim2, nd, "diagonal_scatter")
    mask = np.zeros(input._data.shape, dtype=bool)
    cells = _diagonal_array(mask, offset, d1, d2)
    if tuple(src._data.shape) != cells.shape:
        raise RuntimeError(f"diagonal_scatter: src must have the diagonal's shape {cells.shape}, "
                           f"got {tuple(src.shape)}")
    cells[...] = True
    embedded = DiagonalBackward.apply(src.to(input.dtype), input._data.shape, int(offset), d1, d2)
    return input.masked_fill(Tensor._make(mask), 0) + embedded


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0):
    """Split ``input`` into pieces of the given sizes along ``dim`` (they must add up)."""
    return input.split(list(split_sizes), dim)


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a copy."""
    return input.narrow(dim, start, length).clone()


def repeat_interleave(input, repeats=None, dim: int | None = None, *, output_size=None) -> Tensor:
    """Repeat each element (or each slice along ``dim``) ``repeats`` times (an int or a tensor with
    one count per element). ``repeat_interleave(counts)`` alone gives ``arange`` indices repeated."""
    if repeats is None:  # torch.repeat_interleave(repeats): indices 0.. repeated by the counts
        counts = input._data
        return Tensor._make(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    _check_tensor(input, "repeat_interleave")
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else wrap_dim(dim, x._data.ndim, "repeat_interleave")
    size = x._data.shape[d] if x._data.ndim else 1
    counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.ndim > 1 or (counts.ndim == 1 and counts.size not in (1, size)):
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim "
                           f"({size}), got {counts.shape}")
    if (counts < 0).any():
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    index = np.repeat(np.arange(size, dtype=np.int64), np.broadcast_to(counts, (size,)))
    return x.index_select(d, Tensor._make(index))


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by ``k`` quarter turns in the plane of ``dims``, from the first towards the second."""
    _check_tensor(input, "rot90")
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input._data.ndim
    d0, d1 = wrap_dim(dims[0], nd, "rot90"), wrap_dim(dims[1], nd, "rot90")
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k = k % 4
    if k == 1:
        return input.flip([d1]).transpose(d0, d1)
    if k == 2:
        return input.flip([d0, d1])
    if k == 3:
        return input.flip([d0]).transpose(d0, d1)
    return input.clone()


def _index_copy_method(self, dim, index, source):
    return index_copy(self, dim, index, source)


register_methods(
    select=select, unfold=unfold, index_copy=_index_copy_method, index_put=index_put,
    masked_scatter=masked_scatter, put=put, scatter_reduce=scatter_reduce,
    split_with_sizes=split_with_sizes, narrow_copy=narrow_copy,
    repeat_interleave=repeat_interleave, rot90=rot90,
    index_copy_=_inplace(index_copy, "index_copy_"), index_put_=_inplace(index_put, "index_put_"),
    masked_scatter_=_inplace(masked_scatter, "masked_scatter_"), put_=_inplace(put, "put_"),
    scatter_reduce_=_inplace(scatter_reduce, "scatter_reduce_"),
)

index_put_ = _inplace(index_put, "index_put_")

__all__ = ["select", "index_copy", "index_put", "index_put_", "masked_scatter", "put",
           "scatter_reduce", "select_scatter", "slice_scatter", "diagonal_scatter",
           "split_with_sizes", "narrow_copy", "repeat_interleave", "rot90"]
