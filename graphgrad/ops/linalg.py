"""Matrix products: matmul (``@``) with 1-D, 2-D, batched and broadcast operands, mm, bmm, dot,
mv, outer and einsum."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._util import coerce_pair, register_methods, sum_to, sum_to_array


def _shape_error(op, a_shape, b_shape):
    return RuntimeError(
        f"{op}: mat1 and mat2 shapes cannot be multiplied ({_fmt(a_shape)} and {_fmt(b_shape)})")


def _fmt(shape):
    return "x".join(str(s) for s in shape) if shape else "scalar"


class Matmul(ArrayFunction):
    """``a @ b`` with NumPy's (and PyTorch's) matmul rules."""

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise _shape_error("matmul", a.shape, b.shape)
        ctx.save_for_backward(a, b)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise RuntimeError(
                f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} are not "
                "broadcastable") from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = g  # b's axis first: for vector . vector, g is 0-d and becomes (1, 1)
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        if a.ndim == 1:
            g2 = g2.unsqueeze(-2)
        grad_a = grad_b = None
        if need_a:
            grad_a = sum_to(g2 @ b2.transpose(-1, -2), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = sum_to(a2.transpose(-1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b

    @staticmethod
    def backward_arrays(ctx, g):
        a, b = ctx.saved_arrays
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshaping
            return (g @ b.T if need_a else None), (a.T @ g if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g  # b's axis first: for vector . vector, g is 0-d and becomes (1, 1)
        if b.ndim == 1:
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = g2[..., None, :]
        grad_a = grad_b = None
        if need_a:
            grad_a = sum_to_array(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            if a2.ndim > 2 and b2.ndim == 2:
                # fold the batch into rows: one large product instead of a batched one plus a sum
                k = a2.shape[-1]
                grad_b = a2.reshape(-1, k).T @ g2.reshape(-1, g2.shape[-1])
            else:
                grad_b = sum_to_array(np.swapaxes(a2, -1, -2) @ g2, b2.shape)
            grad_b = grad_b.reshape(b.shape)
        return grad_a, grad_b


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with broadcasting of batch dimensions (``input @ other``)."""
    a, b = coerce_pair(input, other, "matmul")
    return Matmul.apply(a, b)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two 2-D tensors."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(
            f"mm: expected 2-D tensors, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    if input.shape[1] != mat2.shape[0]:
        raise _shape_error("mm", input.shape, mat2.shape)
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched product of two 3-D tensors with equal batch size."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(
            f"bmm: expected 3-D tensors, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"bmm: expected shapes (b, n, m) and (b, m, p), got {tuple(input.shape)} and "
            f"{tuple(mat2.shape)}")
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got shapes {tuple(input.shape)} "
                           f"and {tuple(vec.shape)}")
    return matmul(input, vec)


def dot(input: Tensor, other: Tensor) -> Tensor:
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return matmul(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


register_methods(matmul=matmul, __matmul__=matmul,
                 __rmatmul__=lambda self, other: matmul(other, self), mm=mm, bmm=bmm, mv=mv,
                 dot=dot, outer=outer)

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer"]
