"""Subscripting: ``tensor[index]`` reads (``__getitem__``) and writes (``__setitem__``).

``tensor[index]`` follows PyTorch: integers, slices and ``None`` are applied first and give a view
sharing storage (``BasicIndex``); integer arrays and boolean masks are applied afterwards to that view
and give a copy (``AdvancedIndex``). Because integers are applied first, ``x[0, :, [1, 2]]`` has shape
``(x.shape[1], 2)`` as in PyTorch (NumPy would give ``(2, x.shape[1])``). The gradient of an advanced
index adds into a zero tensor, so repeated indices accumulate.

The index-based ops (gather/scatter, index_select, masked_fill, take, nonzero, ...) live in
``scatter_gather``, which builds on the helpers and functions here.
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._util import register_methods, sum_to, sum_to_array
from .views import mark_view

_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))


# ------------------------------------------------------------------------------- helpers
def _check_bounds(array: np.ndarray, size: int, dim: int, op: str, allow_negative=True) -> None:
    if array.size == 0:
        return
    lo, hi = int(array.min()), int(array.max())
    low = -size if allow_negative else 0
    if hi >= size or lo < low:
        bad = hi if hi >= size else lo
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}")


def _scatter_rows(lin: np.ndarray, rows: np.ndarray, m: int) -> np.ndarray:
    """Sum the rows of ``rows`` (n, r) into ``m`` buckets given by ``lin`` (n,): shape (m, r).
    Vectorised: one sort and one ``add.reduceat`` (``bincount`` for a single column)."""
    n, r = rows.shape
    if rows.dtype.kind == "f" and r == 1:
        return np.bincount(lin, weights=rows[:, 0], minlength=m).astype(rows.dtype).reshape(m, 1)
    out = np.zeros((m, r), dtype=rows.dtype)
    if n == 0:
        return out
    order = np.argsort(lin, kind="stable")
    lin_sorted = lin[order]
    starts = np.flatnonzero(np.concatenate(([True], lin_sorted[1:] != lin_sorted[:-1])))
    out[lin_sorted[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


class _Advanced:
    """Integer index arrays (already broadcast, non-negative) for some dims of a tensor."""

    __slots__ = ("dims", "arrays")

    def __init__(self, dims, arrays):
        self.dims = tuple(dims)
        self.arrays = tuple(arrays)

    def numpy_index(self, ndim: int) -> tuple:
        index = [slice(None)] * ndim
        for d, a in zip(self.dims, self.arrays):
            index[d] = a
        return tuple(index)

    def accumulate(self, g: np.ndarray, shape: tuple) -> np.ndarray:
        """zeros(shape) with ``g`` added at this index (the adjoint of ``x[index]``)."""
        dims = self.dims
        rest = [d for d in range(len(shape)) if d not in dims]
        bshape = self.arrays[0].shape
        nb = len(bshape)
        if dims == tuple(range(dims[0], dims[0] + len(dims))) and dims[0] != 0:
            # NumPy keeps consecutive advanced dims in place: bring them to the front
            g = np.moveaxis(g, tuple(range(dims[0], dims[0] + nb)), tuple(range(nb)))
        sizes = [shape[d] for d in dims]
        rest_sizes = [shape[d] for d in rest]
        lin = np.ravel_multi_index(self.arrays, sizes).reshape(-1)
        r = int(np.prod(rest_sizes, dtype=np.int64))
        m = int(np.prod(sizes, dtype=np.int64))
        rows = np.ascontiguousarray(g).reshape(lin.size, r)
        out = _scatter_rows(lin, rows, m).reshape(sizes + rest_sizes)
        return out.transpose(np.argsort(list(dims) + rest))


# ----------------------------------------------------------------------------------- ops
class BasicIndex(ArrayFunction):
    """``x[index]`` for ints, slices, None and Ellipsis: a view."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return SliceScatter.apply(g, ctx.in_shape, ctx.index), None

    @staticmethod
    def backward_arrays(ctx, g):
        out = np.zeros(ctx.in_shape, dtype=g.dtype)
        out[ctx.index] = g
        return out, None

    def inplace_on_view(self, view: Tensor, result: Tensor, op: str):
        """Write ``result`` into ``view`` (``base[index]``, base requiring grad) as PyTorch's
        CopySlices does: ``base`` becomes an index-put of ``result`` and ``view`` a fresh index of the
        new ``base``. None when the view was not taken directly from its base as it is now."""
        base = view._base
        if base is None or view._out_nr != 0 or self._next[0] != base._edge():
            return None
        from .arithmetic import apply_inplace

        if result._data.dtype != view._data.dtype:
            result = result.to(view._data.dtype)
        apply_inplace(base, IndexPut.apply(base, result, self.index, None), op)
        fresh = BasicIndex.apply(base, self.index)
        view.grad_fn, view._out_nr, view._requires_grad = fresh.grad_fn, 0, True
        return view


class SliceScatter(ArrayFunction):
    """zeros(shape) with ``g`` written at a basic index: the adjoint of ``BasicIndex``."""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
        out[index] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return BasicIndex.apply(gg, ctx.index), None, None


class AdvancedIndex(ArrayFunction):
    """``x[arrays]`` for integer arrays at some dims (a copy); repeated indices accumulate in backward."""

    @staticmethod
    def forward(ctx, x, adv):
        ctx.in_shape, ctx.adv = x.shape, adv
        return x[adv.numpy_index(x.ndim)]

    @staticmethod
    def backward(ctx, g):
        return IndexAccumulate.apply(g, ctx.in_shape, ctx.adv), None

    @staticmethod
    def backward_arrays(ctx, g):
        return ctx.adv.accumulate(g, ctx.in_shape), None


class IndexAccumulate(ArrayFunction):
    """zeros(shape) with ``g`` added at an advanced index: the adjoint of ``AdvancedIndex``."""

    @staticmethod
    def forward(ctx, g, shape, adv):
        ctx.adv = adv
        return adv.accumulate(g, shape)

    @staticmethod
    def backward(ctx, gg):
        return AdvancedIndex.apply(gg, ctx.adv), None, None


class IndexPut(ArrayFunction):
    """A copy of ``x`` with ``value`` written at ``x[basic][adv]`` (the graph form of ``__setitem__``)."""

    @staticmethod
    def forward(ctx, x, value, basic, adv):
        ctx.basic, ctx.adv, ctx.value_shape = basic, adv, np.shape(value)
        out = x.copy()
        _write(out, basic, adv, value)
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_v = ctx.needs_input_grad[:2]
        gx = IndexPut.apply(g, 0.0, ctx.basic, ctx.adv) if need_x else None
        gv = None
        if need_v:
            gv = g
            if ctx.basic is not None:
                gv = BasicIndex.apply(gv, ctx.basic)
            if ctx.adv is not None:
                gv = AdvancedIndex.apply(gv, ctx.adv)
            gv = sum_to(gv, ctx.value_shape)
        return gx, gv, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        need_x, need_v = ctx.needs_input_grad[:2]
        gx = gv = None
        if need_x:
            gx = g.copy()
            _write(gx, ctx.basic, ctx.adv, 0)
        if need_v:
            gv = g[ctx.basic] if ctx.basic is not None else g
            if ctx.adv is not None:
                gv = gv[ctx.adv.numpy_index(gv.ndim)]
            gv = sum_to_array(gv, ctx.value_shape)
        return gx, gv, None, None


def _write(out: np.ndarray, basic, adv, value) -> None:
    from .arithmetic import check_writable

    check_writable(out, "__setitem__")
    target = out[basic] if basic is not None else out
    index = adv.numpy_index(target.ndim) if adv is not None else Ellipsis
    try:
        target[index] = value
    except ValueError:
        shape = target[index].shape
        raise RuntimeError(
            f"__setitem__: shape mismatch: value tensor of shape {list(np.shape(value))} cannot be "
            f"broadcast to indexing result of shape {list(shape)}") from None


# ----------------------------------------------------------------------- parsing an index
def _is_sequence_index(index) -> bool:
    """PyTorch treats a short list holding sequences, tensors, slices, None or ... as a tuple."""
    if not isinstance(index, list) or len(index) >= 32:
        return False
    return any(isinstance(i, (Tensor, np.ndarray, list, tuple, range, slice)) or i is None
               or i is Ellipsis for i in index)


def _classify(item):
    """(kind, value) for one entry of an index."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, slice):
        return "slice", item
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, (int, np.integer)):
        return "int", int(item)
    if isinstance(item, Tensor):
        array = item._data
    elif isinstance(item, np.ndarray):
        array = item
    elif isinstance(item, (list, tuple, range)):  # x[range(n), y] indexes like a list, as in PyTorch
        array = np.asarray([i._data if isinstance(i, Tensor) else i for i in item]) if item else \
            np.zeros(0, dtype=np.int64)
        if array.dtype.kind in "iu":
            array = array.astype(np.int64)
    else:
        raise IndexError(
            "__getitem__: only integers, slices (`:`), ellipsis (`...`), None and long or bool "
            f"tensors are valid indices (got {type(item).__name__})")
    if array.dtype == np.bool_:
        return ("bool", bool(array)) if array.ndim == 0 else ("mask", array)
    if array.dtype not in _INDEX_DTYPES:
        raise IndexError(
            "__getitem__: tensors used as indices must be long (int64), int (int32) or bool "
            f"tensors, got {array.dtype}")
    if array.ndim == 0:
        return "int", int(array)
    return "array", array


def parse_index(shape: tuple, index, op: str = "__getitem__"):
    """Split a PyTorch index into a basic part (a NumPy index of ints, slices, None: a view), or None
    when it selects everything, and an advanced part (``_Advanced`` for the dims of the basic
    result), or None."""
    if isinstance(index, tuple):
        items = index
    elif _is_sequence_index(index):
        items = tuple(index)
    else:
        items = (index,)
    parsed = [_classify(i) for i in items]
    ndim = len(shape)
    used = sum(v.ndim if k == "mask" else 1 for k, v in parsed if k in ("int", "slice", "array", "mask"))
    n_ellipsis = sum(1 for k, _ in parsed if k == "ellipsis")
    if n_ellipsis > 1:
        raise IndexError(f"{op}: an index can only have a single ellipsis ('...')")
    if used > ndim:
        raise IndexError(
            f"{op}: too many indices for tensor of dimension {ndim} (got {used} indices for shape "
            f"{tuple(shape)})")
    basic, adv_dims, adv_arrays = [], [], []
    dim = rdim = 0  # position in the input, and in the result of the basic part
    trivial = True
    for kind, value in parsed:
        if kind == "none":
            basic.append(None)
            rdim += 1
            trivial = False
        elif kind == "ellipsis":
            basic.append(Ellipsis)
            skip = ndim - used
            dim += skip
            rdim += skip
        elif kind == "bool":  # a new dim of size 1, indexed by [0] (True) or [] (False)
            basic.append(None)
            adv_dims.append(rdim)
            adv_arrays.append(np.zeros(1 if value else 0, dtype=np.int64))
            rdim += 1
            trivial = False
        elif kind == "int":
            size = shape[dim]
            if not -size <= value < size:
                raise IndexError(
                    f"{op}: index {value} is out of bounds for dimension {dim} with size {size}")
            basic.append(value)
            dim += 1
            trivial = False
        elif kind == "slice":
            basic.append(value)
            if value != slice(None):
                trivial = False
            dim += 1
            rdim += 1
        elif kind == "array":
            size = shape[dim]
            _check_bounds(value, size, dim, op)
            basic.append(slice(None))
            adv_dims.append(rdim)
            adv_arrays.append(np.where(value < 0, value + size, value) if value.size and
                              value.min() < 0 else value)
            dim += 1
            rdim += 1
        else:  # mask
            k = value.ndim
            if value.shape != tuple(shape[dim:dim + k]):
                raise IndexError(
                    f"{op}: The shape of the mask {list(value.shape)} at index {dim} does not match "
                    f"the shape of the indexed tensor {list(shape[dim:dim + k])} (tensor shape "
                    f"{tuple(shape)})")
            basic.extend([slice(None)] * k)
            for j, a in enumerate(np.nonzero(value)):
                adv_dims.append(rdim + j)
                adv_arrays.append(a)
            dim += k
            rdim += k
    basic_index = None
    if not trivial:
        if Ellipsis not in basic:
            basic.append(Ellipsis)  # so that NumPy returns a 0-d view, not a scalar copy
        basic_index = tuple(basic)
    adv = None
    if adv_dims:
        try:
            arrays = np.broadcast_arrays(*adv_arrays)
        except ValueError:
            raise IndexError(
                f"{op}: shape mismatch: indexing tensors could not be broadcast together with shapes "
                f"{', '.join(str(list(a.shape)) for a in adv_arrays)}") from None
        adv = _Advanced(adv_dims, arrays)
    return basic_index, adv


# ------------------------------------------------------------------------ __getitem__/__setitem__
def _getitem(self: Tensor, index) -> Tensor:
    if type(index) is int and self._data.ndim:  # the common x[i]: skip the general parser
        size = self._data.shape[0]
        if not -size <= index < size:
            raise IndexError(
                f"__getitem__: index {index} is out of bounds for dimension 0 with size {size}")
        return mark_view(BasicIndex.apply(self, (index, Ellipsis)), self)
    basic, adv = parse_index(self._data.shape, index)
    out = self
    if basic is not None:
        out = mark_view(BasicIndex.apply(self, basic), self)
    if adv is not None:
        out = AdvancedIndex.apply(out, adv)
    elif basic is None:
        out = mark_view(BasicIndex.apply(self, (Ellipsis,)), self)
    return out


def _setitem(self: Tensor, index, value) -> None:
    basic, adv = parse_index(self._data.shape, index, "__setitem__")
    value_t = isinstance(value, Tensor)
    if not (grad_mode._enabled[0] and (self._requires_grad or (value_t and value._requires_grad))):
        _write(self._data, basic, adv, value._data if value_t else value)
        self._bump_version()
        return
    from .arithmetic import apply_inplace

    if value_t:
        if value._data.dtype != self._data.dtype:
            value = value.to(self._data.dtype)
        lead = value._data.ndim - _result_ndim(self._data.shape, basic, adv)
        if lead > 0 and all(s == 1 for s in value._data.shape[:lead]):
            value = value.reshape(value._data.shape[lead:])
    elif not isinstance(value, (int, float, bool, np.number, np.bool_)):
        value = Tensor._make(np.asarray(value, dtype=self._data.dtype))
    apply_inplace(self, IndexPut.apply(self, value, basic, adv), "__setitem__")


def _result_ndim(shape, basic, adv) -> int:
    probe = np.lib.stride_tricks.as_strided(np.zeros(1, dtype=np.bool_), shape, (0,) * len(shape))
    if basic is not None:
        probe = probe[basic]
    if adv is not None:
        return probe.ndim - len(adv.dims) + adv.arrays[0].ndim
    return probe.ndim


register_methods(__getitem__=_getitem, __setitem__=_setitem)

__all__: list = []  # subscripting adds Tensor methods only
