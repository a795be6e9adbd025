"""Fused multiply-add forms of the matrix products and the products built on them: addmm, addmv,
addr, addbmm, baddbmm, addcmul, addcdiv (with in-place forms), tensordot, inner, kron, cross, vdot,
chain_matmul, cdist.

``addmm(input, m1, m2, beta=b, alpha=a) = b * input + a * (m1 @ m2)``; as in PyTorch, ``beta = 0``
ignores ``input`` (nan or inf in it do not propagate). They are written with ``matmul``, ``mul`` and
``add``, so their gradients and double gradients come from those ops.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ._util import register_methods, wrap_dim
from .elementwise import _check_tensor, _inplace


def _scaled_sum(op: str, input: Tensor, product: Tensor, beta, alpha) -> Tensor:
    """``beta * input + alpha * product`` with ``input`` broadcast to ``product``'s shape."""
    _check_tensor(input, op)
    try:
        np.broadcast_to(np.empty(input._data.shape, dtype=bool), product._data.shape)
    except ValueError:
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} can't be broadcast to the "
                           f"product's shape {tuple(product.shape)}") from None
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


def _check_dims(op: str, **tensors) -> None:
    for name, (t, nd) in tensors.items():
        _check_tensor(t, op)
        if t._data.ndim != nd:
            raise RuntimeError(f"{op}: {name} must be a {nd}-D tensor, got shape {tuple(t.shape)}")


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``: mat1 (n, m), mat2 (m, p), input broadcast to (n, p)."""
    _check_dims("addmm", mat1=(mat1, 2), mat2=(mat2, 2))
    return _scaled_sum("addmm", input, mat1.mm(mat2), beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``: mat (n, m), vec (m,), input broadcast to (n,)."""
    _check_dims("addmv", mat=(mat, 2), vec=(vec, 1))
    return _scaled_sum("addmv", input, mat.mv(vec), beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``: vec1 (n,), vec2 (m,), input broadcast to (n, m)."""
    _check_dims("addr", vec1=(vec1, 1), vec2=(vec2, 1))
    return _scaled_sum("addr", input, vec1.outer(vec2), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_b (batch1[b] @ batch2[b])``: batch1 (b, n, m), batch2 (b, m, p)."""
    _check_dims("addbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_sum("addbmm", input, batch1.bmm(batch2).sum(0), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` per batch: (b, n, m) @ (b, m, p) -> (b, n, p)."""
    _check_dims("baddbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_sum("baddbmm", input, batch1.bmm(batch2), beta, alpha)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2`` with broadcasting."""
    _check_tensor(input, "addcmul")
    product = tensor1 * tensor2
    return input + (product if value == 1 else product * value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2`` with broadcasting (integer division is an error)."""
    _check_tensor(input, "addcdiv")
    if tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        raise RuntimeError("addcdiv: integer division with addcdiv is no longer supported; use "
                           "true_divide or floor_divide instead")
    quotient = tensor1 / tensor2
    return input + (quotient if value == 1 else quotient * value)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract ``a``'s last ``dims`` dimensions with ``b``'s first ``dims`` (an int), or the dims
    listed in ``dims = (dims_a, dims_b)``; the result has a's free dims then b's."""
    _check_tensor(a, "tensordot")
    _check_tensor(b, "tensordot")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, but got dims={dims}")
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        da = [wrap_dim(d, a.ndim, "tensordot") for d in da]
        db = [wrap_dim(d, b.ndim, "tensordot") for d in db]
    if len(da) != len(db):
        raise RuntimeError(f"tensordot: both dimension lists should have same length, got {da} "
                           f"and {db}")
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has "
                               f"size {a.shape[i]} in dim {i} and second has size {b.shape[j]} in "
                               f"dim {j}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da], dtype=np.int64))
    left = a.permute(free_a + da).reshape(-1, k)
    right = b.permute(db + free_b).reshape(k, -1)
    return left.mm(right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dimension of both (a product when either is 0-d)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: block ``(i, j)`` of the result is ``input[i, j] * other``."""
    _check_tensor(input, "kron")
    _check_tensor(other, "kron")
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    # interleave the dims: a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...)
    a_shape = [s for d in a.shape for s in (d, 1)]
    b_shape = [s for d in b.shape for s in (1, d)]
    out = a.reshape(a_shape) * b.reshape(b_shape)
    return out.reshape([x * y for x, y in zip(a.shape, b.shape)])


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The 3-D cross product along ``dim`` (default: the first dimension of size 3, as
    ``torch.cross``; ``linalg.cross`` uses -1), with broadcasting."""
    _check_tensor(input, "cross")
    _check_tensor(other, "cross")
    shape = np.broadcast_shapes(input._data.shape, other._data.shape)
    if dim is None:
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {tuple(shape)}")
    d = wrap_dim(dim, len(shape), "cross")
    if shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d] if input.ndim > d else 1} and "
                           f"{other.shape[d] if other.ndim > d else 1}")
    a, b = input.expand(shape), other.expand(shape)
    i1, i2 = Tensor._make(np.array([1, 2, 0])), Tensor._make(np.array([2, 0, 1]))
    return a.index_select(d, i1) * b.index_select(d, i2) - a.index_select(d, i2) * b.index_select(d, i1)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-D tensors (real tensors: the same as ``dot``)."""
    return input.dot(other)


def chain_matmul(*matrices) -> Tensor:
    """``matrices[0] @ matrices[1] @ ...`` (2-D tensors), multiplied in the cheapest order."""
    from .linalg_ops import multi_dot

    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    return multi_dot(list(matrices))


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode=None) -> Tensor:
    """Pairwise p-norm distances between the rows of ``x1`` (B, P, M) and ``x2`` (B, R, M) (or
    2-D without B): shape (B, P, R). The gradient at a zero distance is 0, as in PyTorch."""
    _check_tensor(x1, "cdist")
    _check_tensor(x2, "cdist")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: X1 and X2 must have the same number of columns and at least 2 "
                           f"dims; got shapes {tuple(x1.shape)} and {tuple(x2.shape)}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    from .linalg_ops import vector_norm

    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, dim=-1)


addmm_ = _inplace(addmm, "addmm_")
addmv_ = _inplace(addmv, "addmv_")
addr_ = _inplace(addr, "addr_")
addbmm_ = _inplace(addbmm, "addbmm_")
baddbmm_ = _inplace(baddbmm, "baddbmm_")
addcmul_ = _inplace(addcmul, "addcmul_")
addcdiv_ = _inplace(addcdiv, "addcdiv_")

register_methods(
    addmm=addmm, addmv=addmv, addr=addr, addbmm=addbmm, baddbmm=baddbmm, addcmul=addcmul,
    addcdiv=addcdiv, inner=inner, kron=kron, cross=cross, vdot=vdot,
    addmm_=addmm_, addmv_=addmv_, addr_=addr_, addbmm_=addbmm_, baddbmm_=baddbmm_,
    addcmul_=addcmul_, addcdiv_=addcdiv_,
)

__all__ = ["addmm", "addmv", "addr", "addbmm", "baddbmm", "addcmul", "addcdiv", "tensordot",
           "inner", "kron", "cross", "vdot", "chain_matmul", "cdist", "addmv_"]
