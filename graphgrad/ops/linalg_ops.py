"""``torch.linalg``'s functions built on the decompositions (vector_norm, matrix_norm, norm,
multi_dot, matrix_power, pinv, matrix_rank, cond), and the top-level ``torch.*`` linear-algebra names
(det, logdet, slogdet, inverse, cholesky, qr, svd, pinverse, matrix_power) with their Tensor methods.
``graphgrad.linalg`` is the public namespace."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor
from . import decompositions as dec
from ._util import register_methods, wrap_dim, wrap_dims
from .elementwise import _check_tensor
from .reductions import norm as _vector_p_norm


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements when None): ``sum(|x|^ord)^(1/ord)``,
    max/min of ``|x|`` for +-inf, the count of non-zeros for 0. The gradient at 0 is 0."""
    _check_tensor(x, "linalg.vector_norm")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if x._data.dtype.kind != "f" and dtype is None:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {x.dtype}")
    return _vector_p_norm(x, ord, dim, keepdim, dtype)


def _matrix_dims(A: Tensor, dim, op: str):
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions, got shape "
                           f"{tuple(A.shape)}")
    d = wrap_dims(dim, A._data.ndim, op)
    if d is None or len(d) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {dim}")
    return wrap_dim(dim[0], A._data.ndim, op), wrap_dim(dim[1], A._data.ndim, op)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm of each matrix of ``A`` (over the two dims ``dim``): 'fro', 'nuc', 2/-2
    (largest/smallest singular value), 1/-1 (max/min column abs sum), inf/-inf (rows)."""
    _check_tensor(A, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = _matrix_dims(A, dim, "linalg.matrix_norm")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = dec.svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return out if keepdim else _drop(out, (d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _drop(t: Tensor, dims) -> Tensor:
    for d in sorted(dims, reverse=True):
        t = t.squeeze(d)
    return t


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``linalg.norm``: a vector norm when ``dim`` is an int (or ``A`` is 1-D and ``ord`` a number),
    a matrix norm when ``dim`` is a 2-tuple (or ``A`` is 2-D); with ``ord=None`` the 2-norm of all
    elements (Frobenius for matrices)."""
    _check_tensor(A, "linalg.norm")
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A._data.ndim == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)
        if A._data.ndim != 2:
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                               f"1D or 2D. Got {A._data.ndim}D.")
        dim = (0, 1)
    if len(dim) == 1:
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, dim, keepdim, dtype=dtype)


def multi_dot(tensors) -> Tensor:
    """``tensors[0] @ tensors[1] @ ...`` in the order that costs the fewest multiplications (the
    first may be 1-D, a row vector; the last 1-D, a column vector)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_1d, last_1d = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = [t.unsqueeze(0) if i == 0 and first_1d else t for i, t in enumerate(tensors)]
    if last_1d:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i, m in enumerate(mats):
        if m.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {m.ndim}D")
    dims = [mats[0].shape[0]] + [m.shape[1] for m in mats]
    n = len(mats)
    # the classic matrix-chain dynamic programme over split points
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return product(i, k).mm(product(k + 1, j))

    out = product(0, n - 1)
    if first_1d:
        out = out.squeeze(0)
    if last_1d:
        out = out.squeeze(-1)
    return out


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (``n < 0``: of its inverse; ``n = 0``: identity),
    by repeated squaring."""
    dec._square(A, "linalg.matrix_power")
    if n == 0:
        eye = np.broadcast_to(np.eye(A._data.shape[-1], dtype=A._data.dtype), A._data.shape)
        return Tensor._make(eye.copy())
    base = dec.inv(A) if n < 0 else A
    n = abs(int(n))
    result = None
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse through the SVD; singular values below
    ``max(atol, rtol * largest)`` are treated as zero (default rtol: eps * max(m, n))."""
    _check_tensor(A, "linalg.pinv")
    U, S, Vh = dec.svd(A, full_matrices=False)
    cutoff = _cutoff(A, S, atol, rtol)
    from .selection import where

    keep = S > cutoff
    s_inv = where(keep, 1.0 / where(keep, S, 1.0), 0.0)
    return (Vh.transpose(-2, -1) * s_inv.unsqueeze(-2)) @ U.transpose(-2, -1)


def _cutoff(A: Tensor, S: Tensor, atol, rtol) -> Tensor:
    if rtol is None:
        rtol = 0.0 if atol not in (None, 0) else np.finfo(A._data.dtype).eps * max(A.shape[-2:])
    smax = S.detach().amax(-1, keepdim=True) if S._data.shape[-1] else S.detach().sum(-1, True)
    cutoff = smax * rtol
    if atol is not None:
        cutoff = cutoff.clamp_min(atol) if not isinstance(atol, Tensor) else cutoff.maximum(atol)
    return cutoff


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above the tolerance (int64)."""
    S = dec.svdvals(A.detach())
    return (S > _cutoff(A, S, atol, rtol)).sum(-1)


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number: ``s_max / s_min`` for p None or 2, else ``norm(A) * norm(inv(A))``."""
    if p in (None, 2, -2):
        s = dec.svdvals(A)
        ratio = s.amax(-1) / s.amin(-1)
        return ratio if p != -2 else ratio.reciprocal()
    return matrix_norm(A, p) * matrix_norm(dec.inv(A), p)


# ----------------------------------------------------------- the top-level torch.* names
def inverse(input: Tensor) -> Tensor:
    return dec.inv(input)


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """``torch.cholesky`` (deprecated in PyTorch in favour of ``linalg.cholesky``)."""
    return dec.cholesky(input, upper=upper)


def qr(input: Tensor, some: bool = True):
    """``torch.qr``: ``(Q, R)``, reduced when ``some``."""
    return dec.qr(input, "reduced" if some else "complete")


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    return pinv(input, rtol=rcond)


det, logdet, slogdet, svd = dec.det, dec.logdet, dec.slogdet, dec.svd_legacy


def _method(fn):
    return lambda self, *args, **kwargs: fn(self, *args, **kwargs)


register_methods(det=_method(det), logdet=_method(logdet), slogdet=_method(slogdet),
                 inverse=_method(inverse), cholesky=_method(cholesky), qr=_method(qr),
                 svd=_method(svd), pinverse=_method(pinverse), matrix_power=_method(matrix_power))

__all__ = ["det", "logdet", "slogdet", "inverse", "cholesky", "qr", "svd", "pinverse",
           "matrix_power"]
