"""Shape helpers and small statistics from ``torch.*``: atleast_1d/2d/3d, dstack, column_stack,
row_stack, hsplit/vsplit/dsplit, broadcast_tensors, broadcast_shapes, meshgrid, cartesian_prod,
combinations, unravel_index, vander, bincount, histc, histogram, cov, corrcoef, renorm, aminmax,
nansum, nanmean, dist, isin, isreal; and the dtype queries result_type, can_cast, promote_types.

The differentiable ones are written with existing ops (``stack``, ``expand``, ``sum``, ...); the
counting ones (bincount, histc, histogram, unravel_index, isin) have no gradient, as in PyTorch.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import from_np_dtype, to_np_dtype
from ._util import promote_types as _promote, register_methods, wrap_dim
from .elementwise import _check_tensor


def _unpack(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tensors


def _atleast(nd: int, tensors):
    out = []
    for t in _unpack(tensors):
        _check_tensor(t, f"atleast_{nd}d")
        if t.ndim == 0:
            t = t.reshape((1,) * nd)
        elif t.ndim == 1 and nd >= 2:
            t = t.unsqueeze(0)
            if nd == 3:
                t = t.unsqueeze(-1)
        elif t.ndim == 2 and nd == 3:
            t = t.unsqueeze(-1)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors):
    """Each input with at least 1 dim (a 0-d tensor becomes shape (1,))."""
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    """Each input with at least 2 dims (1-D (n,) becomes (1, n))."""
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    """Each input with at least 3 dims ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(3, tensors)


def dstack(tensors) -> Tensor:
    """Stack along the third dim (after ``atleast_3d``)."""
    from .joining import cat

    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors) -> Tensor:
    """Join 1-D tensors as columns (and 2-D ones as they are) along dim 1."""
    from .joining import cat

    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


def row_stack(tensors) -> Tensor:
    """``vstack``: join along dim 0 after ``atleast_2d``."""
    from .joining import cat

    return cat([atleast_2d(t) for t in tensors], 0)


def _split_along(input: Tensor, sections, dim: int, op: str, min_dims: int):
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {min_dims} dimension, but "
                           f"got a tensor with {input.ndim} dimensions!")
    if isinstance(sections, int) and input.shape[dim] % sections:
        raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the size of "
                           f"the dimension {input.shape[dim]} is not divisible by the split_size "
                           f"{sections}!")
    return input.tensor_split(sections, dim)


def hsplit(input: Tensor, sections):
    """Split along dim 1 (dim 0 for 1-D input) into equal sections or at indices."""
    return _split_along(input, sections, 0 if input.ndim == 1 else 1, "hsplit", 1)


def vsplit(input: Tensor, sections):
    """Split along dim 0."""
    return _split_along(input, sections, 0, "vsplit", 2)


def dsplit(input: Tensor, sections):
    """Split along dim 2."""
    return _split_along(input, sections, 2, "dsplit", 3)


def broadcast_shapes(*shapes):
    """The shape that all ``shapes`` broadcast to (a ``Size``)."""
    from ..autograd.tensor import Size

    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{shapes}") from None


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views)."""
    tensors = _unpack(tensors)
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids from 1-D tensors; ``indexing`` 'ij' (PyTorch's default, with a warning
    when not given in PyTorch) or 'xy' (the first two dims swapped, as NumPy)."""
    tensors = _unpack(tensors)
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: "
                           f"{indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t.ndim}D")
    flat = [t.reshape(-1) for t in tensors]
    shape = [t.shape[0] for t in flat]
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = -1
        grids.append(t.reshape(view).expand(shape))
    if indexing == "xy" and len(flat) >= 2:  # Cartesian: the first two dims swap roles
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (1-D for a single input)."""
    from .joining import stack

    tensors = _unpack(tensors)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of the elements of 1-D ``input``, as rows (itertools order)."""
    import itertools

    from .joining import stack

    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    if rows.shape[0] == 0:
        return input.new_empty((0, r)) if r else input.new_empty((0,))
    return stack([input[Tensor._make(rows[:, k])] for k in range(r)], 1)


def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in a tensor of ``shape``: one int64 tensor per dim."""
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    size = int(np.prod(shape, dtype=np.int64))
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise RuntimeError("unravel_index: index out of bounds")
    coords = np.unravel_index(np.where(idx < 0, idx + size, idx), shape)
    return tuple(Tensor._make(np.asarray(c, dtype=np.int64)) for c in coords)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix: column ``j`` is ``x ** (N - 1 - j)`` (``increasing``: ``x ** j``)."""
    from .joining import stack

    n = x.shape[0] if N is None else N
    powers = range(n) if increasing else range(n - 1, -1, -1)
    cols = [x ** p if p else x.new_ones(x.shape) for p in powers]
    return stack(cols, 1) if cols else x.new_empty((x.shape[0], 0))


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """Counts of each non-negative integer in 1-D ``input`` (weighted sums with ``weights``)."""
    _check_tensor(input, "bincount")
    x = input._data
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got shape "
                           f"{x.shape} of {x.dtype}")
    if x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    counts = np.bincount(x, weights=w, minlength=minlength)
    dtype = np.int64 if w is None else (w.dtype if w.dtype == np.float32 else np.float64)
    return Tensor._make(counts.astype(dtype))


def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:  # noqa: A002 - PyTorch's names
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored."""
    _check_tensor(input, "histc")
    x = input._data.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc: min ({lo}) must be less than or equal to max ({hi})")
    counts, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return Tensor._make(counts.astype(input._data.dtype))


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """``(hist, bin_edges)``: ``bins`` an int or a tensor of edges."""
    _check_tensor(input, "histogram")
    b = bins._data if isinstance(bins, Tensor) else bins
    w = None if weight is None else weight._data.reshape(-1)
    hist, edges = np.histogram(input._data.reshape(-1), bins=b, range=range, weights=w,
                               density=density)
    dt = input._data.dtype
    return histogram_result(Tensor._make(hist.astype(dt)), Tensor._make(edges.astype(dt)))


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in columns)."""
    _check_tensor(input, "cov")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    if w is None:
        mean = x.mean(1, keepdim=True)
        norm = n - correction
        c = (x - mean) @ (x - mean).t() / max(norm, 0)
    else:
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        if correction == 0:
            norm = total
        elif aweights is None:
            norm = total - correction
        else:
            norm = total - correction * (w * aweights.to(x.dtype)).sum() / total
        c = ((x - mean) * w) @ (x - mean).t() / norm
    return c.squeeze() if input.ndim < 2 else c


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``input``, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    stddev = d.sqrt()
    return (c / stddev.unsqueeze(1) / stddev.unsqueeze(0)).clamp(-1, 1)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` rescaled so that its p-norm is at most ``maxnorm``."""
    _check_tensor(input, "renorm")
    d = wrap_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norms = input.norm(p, dim=others, keepdim=True)
    scale = (maxnorm / (norms + 1e-7)).clamp_max(1.0)
    return input * scale


aminmax_result = namedtuple("aminmax", ["min", "max"])


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """``(min, max)`` of all elements or along ``dim``."""
    return aminmax_result(input.amin(dim, keepdim) if dim is not None else input.amin(),
                          input.amax(dim, keepdim) if dim is not None else input.amax())


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``sum`` treating NaN as zero (the gradient at a NaN is 0)."""
    x = input.masked_fill(input.isnan(), 0) if input._data.dtype.kind == "f" else input
    return x.sum(dim, keepdim=keepdim, dtype=dtype) if dim is not None else x.sum(dtype=dtype)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``mean`` over the non-NaN elements."""
    keep = ~input.isnan()
    count = keep.sum(dim, keepdim=keepdim) if dim is not None else keep.sum()
    return nansum(input, dim, keepdim, dtype=dtype) / count


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other``."""
    return (input - other).norm(p)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """True where an element of ``elements`` is in ``test_elements``."""
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor._make(np.isin(a, b, assume_unique=assume_unique, invert=invert))


def isreal(input: Tensor) -> Tensor:
    """True everywhere for a real tensor."""
    return Tensor._make(np.ones(input._data.shape, dtype=bool))


def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on the two operands (tensors or numbers) would give."""
    from ._util import coerce_pair

    if not isinstance(tensor1, Tensor) and not isinstance(tensor2, Tensor):
        tensor1 = Tensor._make(np.asarray(tensor1))
    a, b = coerce_pair(tensor1, tensor2, "result_type")
    return from_np_dtype((a if isinstance(a, Tensor) else b)._data.dtype)


def promote_types(type1, type2):
    """The smallest dtype both dtypes convert to without loss of kind."""
    return from_np_dtype(_promote(to_np_dtype(type1), to_np_dtype(type2)))


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` (no float to int, no to bool)."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[to_np_dtype(from_).kind] <= order[to_np_dtype(to).kind]


register_methods(
    renorm=renorm, aminmax=aminmax, nansum=nansum, nanmean=nanmean, dist=dist, bincount=bincount,
    histc=histc, histogram=histogram, cov=cov, corrcoef=corrcoef, hsplit=hsplit, vsplit=vsplit,
    dsplit=dsplit, isreal=isreal,
)

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "dstack", "column_stack", "row_stack",
           "hsplit", "vsplit", "dsplit", "broadcast_shapes", "broadcast_tensors", "meshgrid",
           "cartesian_prod", "combinations", "unravel_index", "vander", "bincount", "histc",
           "histogram", "cov", "corrcoef", "renorm", "aminmax", "nansum", "nanmean", "dist",
           "isin", "isreal", "result_type", "promote_types", "can_cast"]
