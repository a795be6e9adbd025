"""Index-based ops: gather/scatter/scatter_add, index_select/index_add/index_fill,
masked_fill/masked_select, take/take_along_dim, nonzero/argwhere, and their in-place variants.

These take their indices as an argument (``x.gather(dim, index)``) and are kept apart from
subscripting (``x[index]``, in ``indexing``), whose index parser and view semantics they do not need.
They share with it only the low-level pieces imported from there: the index dtypes and bounds check,
the row-summing scatter kernel, and the advanced-index functions that ``masked_select`` and ``take``
are built on.
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._util import broadcast_shapes_checked, register_methods, sum_to, wrap_dim
from .indexing import (_INDEX_DTYPES, AdvancedIndex, SliceScatter, _Advanced, _check_bounds,
                       _scatter_rows)


# ------------------------------------------------------------------------------- helpers
def _check_index_dtype(array: np.ndarray, op: str, error=RuntimeError) -> None:
    if array.dtype not in _INDEX_DTYPES:
        raise error(f"{op}: expected an index tensor of dtype int64 (or int32), got {array.dtype}")


def _index_array(index, op: str) -> np.ndarray:
    """An integer index (Tensor, array or list) as an int64/int32 array, dtype checked."""
    if isinstance(index, Tensor):
        array = index._data
    elif isinstance(index, np.ndarray):
        array = index
    else:
        array = np.asarray(index)
        if array.dtype.kind in "iu" or array.size == 0:
            array = array.astype(np.int64)
    _check_index_dtype(array, op)
    return array


# ------------------------------------------------------------------------------- gather/scatter
def _dim_index(x_shape, dim: int, index: np.ndarray, op: str, src_shape=None) -> None:
    """Check an index for gather/scatter: same rank, no larger than the input off ``dim``."""
    if index.ndim != len(x_shape) and not (index.ndim <= 1 and len(x_shape) <= 1):
        raise RuntimeError(
            f"{op}: Index tensor must have the same number of dimensions as input tensor (index "
            f"shape {tuple(index.shape)}, input shape {tuple(x_shape)})")
    for d, s in enumerate(index.shape):
        if d != dim and s > x_shape[d]:
            raise RuntimeError(
                f"{op}: Size does not match at dimension {d}: expected index {tuple(index.shape)} "
                f"to be no larger than self {tuple(x_shape)} apart from dimension {dim}")
        if src_shape is not None and s > src_shape[d]:
            raise RuntimeError(
                f"{op}: Size does not match at dimension {d}: expected index {tuple(index.shape)} "
                f"to be no larger than src {tuple(src_shape)}")
    _check_bounds(index, x_shape[dim] if x_shape else 1, dim, op, allow_negative=False)


def _full_index(index: np.ndarray, dim: int) -> tuple:
    """The NumPy fancy index that addresses ``x[i][j][index[i][j][k]]``-style positions."""
    grids = list(np.ogrid[tuple(slice(0, s) for s in index.shape)]) if index.ndim else []
    if index.ndim:
        grids[dim] = index
        return tuple(grids)
    return (index,)


def _crop(a: np.ndarray, shape: tuple) -> np.ndarray:
    if a.shape == tuple(shape):
        return a
    return a[tuple(slice(0, s) for s in shape)]


def _scatter_add_into(out: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray) -> None:
    src = _crop(src, index.shape)
    if out.ndim == 0:
        out += src.sum()
        return
    if out.dtype.kind == "f" and out.flags.c_contiguous:
        lin = np.ravel_multi_index(_full_index(index, dim), out.shape).reshape(-1)
        out += np.bincount(lin, weights=src.reshape(-1), minlength=out.size).astype(
            out.dtype).reshape(out.shape)
    else:
        np.add.at(out, _full_index(index, dim), src)


class Gather(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index
        if x.ndim == 0:
            return x.reshape(1)[index]
        return x[_full_index(index, dim)]

    @staticmethod
    def backward(ctx, g):
        return GatherBackward.apply(g, ctx.in_shape, ctx.dim, ctx.index), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        out = np.zeros(ctx.in_shape, dtype=g.dtype)
        _scatter_add_into(out, ctx.dim, ctx.index, g)
        return out, None, None


class GatherBackward(ArrayFunction):
    """zeros(shape).scatter_add(dim, index, g): the adjoint of ``Gather``."""

    @staticmethod
    def forward(ctx, g, shape, dim, index):
        ctx.dim, ctx.index = dim, index
        out = np.zeros(shape, dtype=g.dtype)
        _scatter_add_into(out, dim, index, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return Gather.apply(gg, ctx.dim, ctx.index), None, None, None


def _src_grad(g: Tensor, dim: int, index: np.ndarray, src_shape: tuple) -> Tensor:
    """gather(g, dim, index), zero-padded up to ``src_shape`` (src may be larger than index)."""
    out = Gather.apply(g, dim, index)
    if out._data.shape != tuple(src_shape):
        out = SliceScatter.apply(out, tuple(src_shape), tuple(slice(0, s) for s in index.shape))
    return out


class Scatter(ArrayFunction):
    """A copy of ``x`` with ``src`` (a tensor or a number) written at ``index`` along ``dim``."""

    @staticmethod
    def forward(ctx, x, src, dim, index):
        ctx.dim, ctx.index, ctx.src_shape = dim, index, np.shape(src)
        out = x.copy()
        if out.ndim == 0:
            out[...] = src if np.ndim(src) == 0 else np.reshape(src, -1)[0]
            return out
        out[_full_index(index, dim)] = _crop(src, index.shape) if np.ndim(src) else src
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad[:2]
        gx = Scatter.apply(g, 0.0, ctx.dim, ctx.index) if need_x else None
        gs = _src_grad(g, ctx.dim, ctx.index, ctx.src_shape) if need_src else None
        return gx, gs, None, None


class ScatterAdd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, src, dim, index):
        ctx.dim, ctx.index, ctx.src_shape = dim, index, src.shape
        out = x.copy()
        _scatter_add_into(out, dim, index, src)
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad[:2]
        gs = _src_grad(g, ctx.dim, ctx.index, ctx.src_shape) if need_src else None
        return (g if need_x else None), gs, None, None


def _gather_args(input: Tensor, dim, index, op: str):
    idx = _index_array(index, op)
    d = wrap_dim(dim, input._data.ndim, op)
    return d, idx


def gather(input: Tensor, dim: int, index, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` (for dim=1); ``out`` has ``index``'s shape."""
    d, idx = _gather_args(input, dim, index, "gather")
    _dim_index(input._data.shape, d, idx, "gather")
    return Gather.apply(input, d, idx)


def scatter(input: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """A copy of ``input`` with ``self[i][index[i][j]] = src[i][j]`` (for dim=1); ``src`` may be a
    tensor or a number (or pass ``value=``). ``reduce`` 'add' or 'multiply' combines instead."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: expected a src tensor or a value")
    d, idx = _gather_args(input, dim, index, "scatter")
    src_t = isinstance(src, Tensor)
    _dim_index(input._data.shape, d, idx, "scatter", src._data.shape if src_t else None)
    if reduce is None:
        if src_t and src._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"scatter: Expected self.dtype to be equal to src.dtype (got {input.dtype} and "
                f"{src.dtype})")
        return Scatter.apply(input, src, d, idx)
    if reduce == "add":
        s = src if src_t else Tensor._make(np.full(idx.shape, src, dtype=input._data.dtype))
        return ScatterAdd.apply(input, s, d, idx)
    if reduce == "multiply":
        if input._requires_grad or (src_t and src._requires_grad):
            raise RuntimeError("scatter: reduce='multiply' is not differentiable in graphgrad")
        out = input._data.copy()
        s = _crop(src._data, idx.shape) if src_t else src
        np.multiply.at(out, _full_index(idx, d), s)
        return Tensor._make(out)
    raise ValueError(f"scatter: reduce argument must be either 'add' or 'multiply', got {reduce!r}")


def scatter_add(input: Tensor, dim: int, index, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
    d, idx = _gather_args(input, dim, index, "scatter_add")
    _dim_index(input._data.shape, d, idx, "scatter_add", src._data.shape)
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"scatter_add: Expected self.dtype to be equal to src.dtype (got {input.dtype} and "
            f"{src.dtype})")
    return ScatterAdd.apply(input, src, d, idx)


# ---------------------------------------------------------------------- index_select / index_add
def _rows_along(x: np.ndarray, dim: int) -> np.ndarray:
    return np.moveaxis(x, dim, 0)


def _index_add_array(shape, dim: int, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    moved = np.moveaxis(src, dim, 0)
    rest = moved.shape[1:]
    rows = np.ascontiguousarray(moved).reshape(moved.shape[0], -1) if moved.size else \
        np.zeros((moved.shape[0], int(np.prod(rest, dtype=np.int64))), dtype=src.dtype)
    acc = _scatter_rows(index, rows, shape[dim]).reshape((shape[dim],) + rest)
    return np.moveaxis(acc, 0, dim)


class IndexSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index
        return np.take(x, index, axis=dim) if x.ndim else x.reshape(1)[index].reshape(())

    @staticmethod
    def backward(ctx, g):
        return IndexSelectBackward.apply(g, ctx.in_shape, ctx.dim, ctx.index), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        if not ctx.in_shape:
            return np.asarray(g.sum(), dtype=g.dtype), None, None
        return _index_add_array(ctx.in_shape, ctx.dim, ctx.index, g), None, None


class IndexSelectBackward(ArrayFunction):
    """zeros(shape).index_add(dim, index, g): the adjoint of ``IndexSelect``."""

    @staticmethod
    def forward(ctx, g, shape, dim, index):
        ctx.dim, ctx.index = dim, index
        if not shape:
            return np.asarray(g.sum(), dtype=g.dtype)
        return _index_add_array(shape, dim, index, g)

    @staticmethod
    def backward(ctx, gg):
        return IndexSelect.apply(gg, ctx.dim, ctx.index), None, None, None


class IndexAdd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, src, dim, index, alpha):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        if not x.shape:
            return x + src.sum() * alpha
        acc = _index_add_array(x.shape, dim, index, src)
        return x + (acc * alpha if alpha != 1 else acc).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad[:2]
        gs = None
        if need_src:
            gs = IndexSelect.apply(g, ctx.dim, ctx.index)
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
        return (g if need_x else None), gs, None, None, None


def _index_1d(index, op: str, size: int, dim: int) -> np.ndarray:
    idx = _index_array(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}: index should have 1 dimension, got shape {tuple(idx.shape)}")
    idx = idx.reshape(-1)
    _check_bounds(idx, size, dim, op, allow_negative=False)
    return idx


def index_select(input: Tensor, dim: int, index) -> Tensor:
    """The entries of ``input`` at the 1-D ``index`` along ``dim``; that dim gets ``len(index)``."""
    d = wrap_dim(dim, input._data.ndim, "index_select")
    size = input._data.shape[d] if input._data.ndim else 1
    idx = _index_1d(index, "index_select", size, d)
    if not input._data.ndim and idx.size != 1:
        raise RuntimeError(
            f"index_select: Index to scalar can have only 1 value, got {idx.size} value(s)")
    return IndexSelect.apply(input, d, idx)


def index_add(input: Tensor, dim: int, index, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at the 1-D ``index`` along ``dim``
    (repeated indices accumulate)."""
    d = wrap_dim(dim, input._data.ndim, "index_add")
    size = input._data.shape[d] if input._data.ndim else 1
    idx = _index_1d(index, "index_add", size, d)
    expected = list(input._data.shape)
    if expected:
        expected[d] = idx.size
    if list(source._data.shape) != expected and not (not expected and source._data.size == idx.size):
        raise RuntimeError(
            f"index_add: source shape {tuple(source._data.shape)} should be {tuple(expected)} "
            f"(input shape {tuple(input._data.shape)} with dim {d} of size len(index)={idx.size})")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"index_add: self ({input.dtype}) and source ({source.dtype}) must have the same dtype")
    return IndexAdd.apply(input, source, d, idx, alpha)


def index_fill(input: Tensor, dim: int, index, value) -> Tensor:
    """A copy of ``input`` with ``value`` at the 1-D ``index`` along ``dim``."""
    d = wrap_dim(dim, input._data.ndim, "index_fill")
    size = input._data.shape[d] if input._data.ndim else 1
    idx = _index_1d(index, "index_fill", size, d)
    mask = np.zeros(input._data.shape, dtype=np.bool_)
    if mask.ndim:
        _rows_along(mask, d)[idx] = True
    else:
        mask[...] = idx.size > 0
    return masked_fill(input, mask, value)


# ----------------------------------------------------------------------------------- masks
class MaskedFill(ArrayFunction):
    @staticmethod
    def forward(ctx, x, value, mask):
        ctx.mask, ctx.in_shape = mask, x.shape
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        need_x, need_v = ctx.needs_input_grad[:2]
        gx = sum_to(MaskedFill.apply(g, 0.0, ctx.mask), ctx.in_shape) if need_x else None
        gv = (g * Tensor._make(ctx.mask.astype(g._data.dtype))).sum() if need_v else None
        return gx, gv, None


def _mask_array(mask, op: str) -> np.ndarray:
    array = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_:
        raise RuntimeError(f"{op}: expected a bool mask, but got mask with dtype {array.dtype}")
    return array


def masked_fill(input: Tensor, mask, value) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) where the bool ``mask`` (broadcast) holds."""
    m = _mask_array(mask, "masked_fill")
    broadcast_shapes_checked(input._data.shape, m.shape, "masked_fill")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"masked_fill: only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)")
        if value._data.dtype != input._data.dtype:
            value = value.to(input._data.dtype)
    return MaskedFill.apply(input, value, m)


def masked_select(input: Tensor, mask) -> Tensor:
    """The 1-D tensor of the entries of ``input`` where the bool ``mask`` (broadcast) holds."""
    m = _mask_array(mask, "masked_select")
    shape = broadcast_shapes_checked(input._data.shape, m.shape, "masked_select")
    if input._data.shape != shape:
        input = input.expand(shape)
    m = np.broadcast_to(m, shape)
    if not shape:
        return AdvancedIndex.apply(input.reshape(1), _Advanced((0,), np.nonzero(m.reshape(1))))
    return AdvancedIndex.apply(input, _Advanced(range(len(shape)), np.nonzero(m)))


def take(input: Tensor, index) -> Tensor:
    """``input`` viewed as 1-D, read at ``index`` (any shape; the result has ``index``'s shape)."""
    idx = _index_array(index, "take")
    n = input._data.size
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"take: out of range: tried to access index {bad} on a tensor of {n} elements")
    idx = np.where(idx < 0, idx + n, idx)
    return AdvancedIndex.apply(input.reshape(-1), _Advanced((0,), (idx,)))


def take_along_dim(input: Tensor, indices, dim=None) -> Tensor:
    """Gather along ``dim`` with ``input`` and ``indices`` broadcast against each other off ``dim``
    (the flattened input and indices when ``dim`` is None)."""
    idx = _index_array(indices, "take_along_dim")
    if dim is None:
        return gather(input.reshape(-1), 0, idx.reshape(-1))
    ndim = input._data.ndim
    if idx.ndim != ndim:
        raise RuntimeError(
            f"take_along_dim: input and indices should have the same number of dimensions, but got "
            f"{ndim} dimensions for input {tuple(input._data.shape)}, and {idx.ndim} dimensions for "
            f"indices {tuple(idx.shape)}")
    d = wrap_dim(dim, ndim, "take_along_dim")
    in_shape, ix_shape = list(input._data.shape), list(idx.shape)
    in_shape[d] = ix_shape[d] = 1
    common = list(broadcast_shapes_checked(tuple(in_shape), tuple(ix_shape), "take_along_dim"))
    target_in, target_ix = list(common), list(common)
    target_in[d], target_ix[d] = input._data.shape[d], idx.shape[d]
    if tuple(target_in) != input._data.shape:
        input = input.expand(tuple(target_in))
    idx = np.broadcast_to(idx, tuple(target_ix))
    return gather(input, d, idx)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices (int64) of the non-zero entries: shape (n, ndim), or a tuple of 1-D tensors."""
    a = input._data
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(a)))
    return Tensor._make(np.argwhere(a).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ------------------------------------------------------------------------------- in place
def _into(self: Tensor, result: Tensor, op: str) -> Tensor:
    if grad_mode._enabled[0] and (self._requires_grad or result._requires_grad):
        from .arithmetic import apply_inplace

        return apply_inplace(self, result, op)
    from .arithmetic import check_writable

    check_writable(self._data, op)
    if result._data.shape != self._data.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(self._data.shape)} doesn't match the broadcast shape "
            f"{list(result._data.shape)}")
    np.copyto(self._data, result._data, casting="unsafe")
    self._bump_version()
    return self


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    return _into(self, scatter(self, dim, index, src, value=value, reduce=reduce), "scatter_")


def scatter_add_(self, dim, index, src):
    return _into(self, scatter_add(self, dim, index, src), "scatter_add_")


def index_add_(self, dim, index, source, *, alpha=1):
    return _into(self, index_add(self, dim, index, source, alpha=alpha), "index_add_")


def index_fill_(self, dim, index, value):
    return _into(self, index_fill(self, dim, index, value), "index_fill_")


def masked_fill_(self, mask, value):
    return _into(self, masked_fill(self, mask, value), "masked_fill_")


register_methods(
    gather=gather, scatter=scatter, scatter_add=scatter_add, index_select=index_select,
    index_add=index_add, index_fill=index_fill, masked_fill=masked_fill,
    masked_select=masked_select, take=take, take_along_dim=take_along_dim, nonzero=nonzero,
    argwhere=argwhere, scatter_=scatter_, scatter_add_=scatter_add_, index_add_=index_add_,
    index_fill_=index_fill_, masked_fill_=masked_fill_,
)

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill",
           "masked_fill", "masked_select", "take", "take_along_dim", "nonzero", "argwhere"]
