"""``graphgrad.linalg``: PyTorch's ``torch.linalg`` (layer 3: the public names of the ops in
``ops/decompositions.py`` and ``ops/linalg_ops.py``). Batched over leading dims, with gradients."""
from .ops.blas import cross as _cross
from .ops.decompositions import (cholesky, det, eigh, eigvalsh, inv, qr, slogdet, solve,  # noqa: F401
                                 svd, svdvals)
from .ops.diagonal import diagonal as _diagonal
from .ops.linalg import matmul  # noqa: F401
from .ops.linalg_ops import (cond, matrix_norm, matrix_power, matrix_rank, multi_dot,  # noqa: F401
                             norm, pinv, vector_norm)


def cross(input, other, *, dim: int = -1):
    """The 3-D cross product along ``dim`` (default -1, unlike ``torch.cross``)."""
    return _cross(input, other, dim)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """The diagonal of the last two dims (a view)."""
    return _diagonal(A, offset, dim1, dim2)


def vecdot(x, y, *, dim: int = -1):
    """The dot product of ``x`` and ``y`` along ``dim``, broadcasting the other dims."""
    return (x * y).sum(dim)


__all__ = ["cholesky", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul",
           "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm"]
