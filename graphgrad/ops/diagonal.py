"""Diagonals: ``diagonal`` (a writable view, as in PyTorch), ``diag``, ``diag_embed``,
``diagflat``, ``trace``, ``fill_diagonal_``, ``block_diag`` and ``tril_indices``/``triu_indices``.

``diagonal`` and ``diag_embed`` are each other's adjoint, so each one's backward is the other.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ..backend import check_device
from ._util import register_methods, wrap_dim
from .elementwise import _check_tensor, write_inplace
from .views import mark_view


def _diagonal_array(x: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """The diagonal of dims d1, d2 as the last dim, a view that can be written when ``x`` can
    (NumPy hands it out read-only by default)."""
    view = np.diagonal(x, offset, d1, d2)
    if x.flags.writeable:
        view.flags.writeable = True
    return view


def _embed_array(v: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """Zeros with ``v``'s last dim placed on the ``offset`` diagonal of new dims d1 < d2."""
    n = v.shape[-1] + abs(offset)
    shape = list(v.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    out = np.zeros(shape, dtype=v.dtype)
    _diagonal_array(out, offset, d1, d2)[...] = v
    return out


class Diagonal(ArrayFunction):
    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.in_shape, ctx.args = x.shape, (offset, d1, d2)
        return _diagonal_array(x, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return DiagonalBackward.apply(g, ctx.in_shape, *ctx.args), None, None, None


class DiagonalBackward(ArrayFunction):
    """zeros(shape) with ``g`` written on a diagonal: the adjoint of ``Diagonal``."""

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = np.zeros(shape, dtype=g.dtype)
        _diagonal_array(out, offset, d1, d2)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, *ctx.args), None, None, None, None


class DiagEmbed(ArrayFunction):
    @staticmethod
    def forward(ctx, v, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        return _embed_array(v, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return Diagonal.apply(g, *ctx.args), None, None, None


# ------------------------------------------------------------------------ public functions
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of dims ``dim1``/``dim2`` as the last dim: a view sharing storage
    (writing into it writes into ``input``)."""
    _check_tensor(input, "diagonal")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"diagonal: expected a tensor of at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    d1, d2 = wrap_dim(dim1, nd, "diagonal"), wrap_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return mark_view(Diagonal.apply(input, int(offset), d1, d2), input)


_diagonal_of = diagonal  # ``diag``'s argument named ``diagonal`` hides the function there


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Put the last dim of ``input`` on the ``offset`` diagonal of two new dims ``dim1``/``dim2``
    (of size ``n + |offset|``), zeros elsewhere."""
    _check_tensor(input, "diag_embed")
    nd = input._data.ndim + 1
    d1, d2 = wrap_dim(dim1, nd, "diag_embed"), wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if d1 > d2:  # the view of the diagonal is the same; the offset counts from dim1 to dim2
        d1, d2, offset = d2, d1, -offset
    v = input if input._data.ndim else input.reshape(1)
    return DiagEmbed.apply(v, int(offset), d1, d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input becomes a square matrix with it on the ``diagonal``-th diagonal; a 2-D input
    gives its ``diagonal``-th diagonal (a copy)."""
    _check_tensor(input, "diag")
    if input._data.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input._data.ndim == 2:
        return _diagonal_of(input, diagonal).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input._data.ndim}D")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """``diag`` of the flattened input: a square matrix."""
    return diag_embed(input.reshape(-1), offset, 0, 1)


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a 2-D tensor."""
    _check_tensor(input, "trace")
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    return diagonal(input).sum()


def _filled_diagonal(self: Tensor, fill_value, wrap: bool) -> Tensor:
    shape = self._data.shape
    if self._data.ndim < 2:
        raise RuntimeError("fill_diagonal_: dimensions must larger than 1")
    if self._data.ndim > 2 and len(set(shape)) != 1:
        raise RuntimeError("fill_diagonal_: all dimensions of input must be of equal length")
    mask = np.zeros(shape, dtype=bool)
    if self._data.ndim == 2:
        rows, cols = shape
        step = cols + 1  # the flat distance between diagonal elements; wrap continues below
        end = rows * cols if wrap else min(rows, cols) * cols
        mask.reshape(-1)[0:end:step] = True
    else:
        mask[(np.arange(shape[0]),) * self._data.ndim] = True
    return self.masked_fill(Tensor._make(mask), fill_value)


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Write ``fill_value`` on the main diagonal in place (for a tall matrix, ``wrap=True`` starts
    the diagonal again after every ``cols + 1`` rows, as NumPy and PyTorch)."""
    return write_inplace(self, _filled_diagonal, "fill_diagonal_", fill_value, wrap)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the given tensors (0-D, 1-D as a row, or 2-D), zeros elsewhere."""
    from .joining import cat
    from .nn_misc import pad

    mats = []
    for i, t in enumerate(tensors):
        _check_tensor(t, "block_diag")
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
        mats.append(t.reshape(1, -1) if t._data.ndim < 2 else t)
    if not mats:
        return Tensor._make(np.zeros((1, 0), dtype=np.float32))
    from ._util import promote_types

    dtype = mats[0]._data.dtype
    for m in mats[1:]:
        dtype = promote_types(dtype, m._data.dtype)
    total = sum(m._data.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        width = m._data.shape[1]
        rows.append(pad(m.to(dtype), (left, total - left - width)))
        left += width
    return cat(rows, 0)


def _indices(row: int, col: int, offset: int, upper: bool, dtype) -> Tensor:
    from ..backend import to_np_dtype

    r, c = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    dt = np.int64 if dtype is None else to_np_dtype(dtype)
    return Tensor._make(np.stack([r, c]).astype(dt).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) coordinates of the lower triangle of a row x col matrix, row by row."""
    check_device(device, "tril_indices")
    return _indices(row, col, offset, False, dtype)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) coordinates of the upper triangle of a row x col matrix, row by row."""
    check_device(device, "triu_indices")
    return _indices(row, col, offset, True, dtype)


register_methods(diagonal=diagonal, diag_embed=diag_embed, diag=diag, diagflat=diagflat,
                 trace=trace, fill_diagonal_=fill_diagonal_)

__all__ = ["diagonal", "diag_embed", "diag", "diagflat", "trace", "block_diag", "tril_indices",
           "triu_indices"]
