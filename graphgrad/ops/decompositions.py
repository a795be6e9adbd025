"""Matrix inverse, determinants, linear solves and the factorisations (Cholesky, QR, SVD, symmetric
eigendecomposition), batched over leading dims, with their gradients.

Forward runs LAPACK through ``numpy.linalg``; each backward is written with graphgrad ops (matmul,
transpose, these ops themselves), so second derivatives come for free. The formulas are the ones
PyTorch uses (Giles 2008; Seeger et al. 2017 for QR; Townsend 2016 for the SVD). As in PyTorch the
SVD and eigh gradients are only defined when the singular values / eigenvalues are distinct (the
formulas divide by their differences), and ``det``'s gradient needs an invertible matrix.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from .elementwise import _check_tensor


def _mT(t: Tensor) -> Tensor:
    return t.transpose(-2, -1)


def _square(A: Tensor, op: str) -> None:
    _check_tensor(A, op)
    shape = A._data.shape
    if A._data.ndim < 2 or shape[-1] != shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{shape[-2] if A._data.ndim >= 2 else '?'} by {shape[-1] if shape else '?'}"
                           f" matrices (input shape {tuple(shape)})")
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point tensor as input. Got {A.dtype}")


def _lapack(fn, op: str, *args):
    try:
        return fn(*args)
    except np.linalg.LinAlgError as exc:
        raise RuntimeError(f"{op}: {exc} (the matrix is singular or not positive-definite)") from None


class Inv(ArrayFunction):
    @staticmethod
    def forward(ctx, A):
        out = _lapack(np.linalg.inv, "linalg.inv", A)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (inv,) = ctx.saved_tensors
        inv_t = _mT(inv)
        return -(inv_t @ g @ inv_t)


class Det(ArrayFunction):
    @staticmethod
    def forward(ctx, A):
        out = np.linalg.det(A).astype(A.dtype, copy=False)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, det = ctx.saved_tensors
        # d det / dA = det * A^{-T}
        return (g * det).unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))


class Slogdet(ArrayFunction):
    """``(sign, log|det|)``; only ``log|det|`` has a gradient (``A^{-T}``)."""

    @staticmethod
    def forward(ctx, A):
        sign, logabs = np.linalg.slogdet(A)
        ctx.save_for_backward(A)
        ctx.mark_non_differentiable(sign)
        return sign.astype(A.dtype, copy=False), logabs.astype(A.dtype, copy=False)

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        (A,) = ctx.saved_tensors
        return g_logabs.unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))


class Solve(ArrayFunction):
    """``X = A^{-1} B`` for B of shape (..., n, k)."""

    @staticmethod
    def forward(ctx, A, B):
        ctx.shapes = (A.shape, B.shape)
        X = _lapack(np.linalg.solve, "linalg.solve", A, B)
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, g):
        from ._util import sum_to

        A, X = ctx.saved_tensors
        sa, sb = ctx.shapes
        grad_B = Solve.apply(_mT(A), g)
        grad_A = -(grad_B @ _mT(X)) if ctx.needs_input_grad[0] else None
        return (sum_to(grad_A, sa) if grad_A is not None else None), sum_to(grad_B, sb)


class Cholesky(ArrayFunction):
    """The lower factor L of ``A = L L^T`` (A symmetric positive-definite)."""

    @staticmethod
    def forward(ctx, A):
        L = _lapack(np.linalg.cholesky, "linalg.cholesky", A)
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, g):
        (L,) = ctx.saved_tensors
        # S = L^{-T} Phi(L^T g) L^{-1}, Phi = lower triangle with half the diagonal; symmetrised
        phi = (_mT(L) @ g).tril()
        phi = phi - 0.5 * phi.diagonal(0, -2, -1).diag_embed()
        L_inv = inv(L)
        S = _mT(L_inv) @ phi @ L_inv
        return 0.5 * (S + _mT(S))


class QR(ArrayFunction):
    """Reduced QR of (..., m, n) with m >= n: Q (..., m, n) orthonormal, R (..., n, n) upper."""

    @staticmethod
    def forward(ctx, A, mode):
        Q, R = np.linalg.qr(A, mode=mode)
        ctx.save_for_backward(Q, R)
        ctx.mode = mode
        return Q.astype(A.dtype, copy=False), R.astype(A.dtype, copy=False)

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode != "reduced" and m != n or m < n:
            raise RuntimeError("linalg.qr: the derivative is implemented for mode='reduced' "
                               "with m >= n (and square inputs in mode='complete')")
        gQ = gQ if gQ is not None else Q * 0.0
        gR = gR if gR is not None else R * 0.0
        # M = R gR^T - gQ^T Q; gA = (gQ + Q copyltu(M)) R^{-T}, copyltu(M) = tril(M) + tril(M,-1)^T
        M = R @ _mT(gR) - _mT(gQ) @ Q
        sym = M.tril() + _mT(M.tril(-1))
        b = gQ + Q @ sym
        return _mT(Solve.apply(R, _mT(b))), None


class SVD(ArrayFunction):
    """Reduced SVD ``A = U diag(S) Vh``: U (..., m, k), S (..., k), Vh (..., k, n), k = min(m, n)."""

    @staticmethod
    def forward(ctx, A, full_matrices):
        U, S, Vh = _lapack(np.linalg.svd, "linalg.svd", A, full_matrices)
        k = S.shape[-1]
        ctx.save_for_backward(U[..., :k], S, Vh[..., :k, :])
        ctx.k = k
        return U.astype(A.dtype, copy=False), S.astype(A.dtype, copy=False), \
            Vh.astype(A.dtype, copy=False)

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = ctx.k
        V = _mT(Vh)
        # only the first k columns of U / rows of Vh carry a gradient (as in PyTorch)
        gU = gU[..., :k] if gU is not None else None
        gV = _mT(gVh[..., :k, :]) if gVh is not None else None
        Sm = S.diag_embed()
        inner = gS.diag_embed() if gS is not None else Sm * 0.0
        if gU is None and gV is None:
            return U @ inner @ Vh, None
        s2 = S * S
        diff = s2.unsqueeze(-2) - s2.unsqueeze(-1)  # s_j^2 - s_i^2 at (i, j)
        eye = Tensor._make(np.eye(k, dtype=S._data.dtype))
        F = (diff + eye).reciprocal() * (1.0 - eye)
        S_inv = S.reciprocal()
        extra = 0.0
        if gU is not None:
            UtgU = _mT(U) @ gU
            inner = inner + (F * (UtgU - _mT(UtgU))) @ Sm
            if U.shape[-2] > k:  # the part of gU outside span(U)
                extra = extra + (gU - U @ UtgU) * S_inv.unsqueeze(-2) @ Vh
        if gV is not None:
            VtgV = _mT(V) @ gV
            inner = inner + Sm @ (F * (VtgV - _mT(VtgV)))
            if V.shape[-2] > k:
                extra = extra + U @ (_mT(gV - V @ VtgV) * S_inv.unsqueeze(-1))
        return U @ inner @ Vh + extra, None


class Eigh(ArrayFunction):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix."""

    @staticmethod
    def forward(ctx, A, uplo):
        w, V = np.linalg.eigh(A, UPLO=uplo)
        ctx.save_for_backward(w, V)
        return w.astype(A.dtype, copy=False), V.astype(A.dtype, copy=False)

    @staticmethod
    def backward(ctx, gw, gV):
        w, V = ctx.saved_tensors
        n = w.shape[-1]
        inner = gw.diag_embed() if gw is not None else (w * 0.0).diag_embed()
        if gV is not None:
            eye = Tensor._make(np.eye(n, dtype=w._data.dtype))
            E = w.unsqueeze(-2) - w.unsqueeze(-1)  # w_j - w_i at (i, j)
            F = (E + eye).reciprocal() * (1.0 - eye)
            VtgV = _mT(V) @ gV
            inner = inner + F * (VtgV - _mT(VtgV)) * 0.5
        return V @ inner @ _mT(V), None


# ------------------------------------------------------------------------ public functions
def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix of ``A`` (..., n, n)."""
    _square(A, "linalg.inv")
    return Inv.apply(A)


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix of ``A`` (..., n, n): shape (...)."""
    _square(A, "linalg.det")
    return Det.apply(A)


def slogdet(A: Tensor):
    """``(sign, logabsdet)`` of each square matrix; ``logabsdet`` is -inf for a singular one."""
    _square(A, "linalg.slogdet")
    sign, logabsdet = Slogdet.apply(A)
    return _SlogdetResult(sign, logabsdet)


class _SlogdetResult(tuple):
    def __new__(cls, sign, logabsdet):
        return super().__new__(cls, (sign, logabsdet))

    sign = property(lambda self: self[0])
    logabsdet = property(lambda self: self[1])


def logdet(A: Tensor) -> Tensor:
    """``log(det(A))``: nan where the determinant is negative, -inf where it is 0."""
    sign, logabsdet = slogdet(A)
    from .selection import where

    return where(sign < 0, float("nan"), logabsdet)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``); A (..., n, n), B (..., n, k) or (n,)
    (a vector when 1-D, or when its shape is A's without the last dim); batch dims broadcast."""
    _square(A, "linalg.solve")
    _check_tensor(B, "linalg.solve")
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    n = A._data.shape[-1]
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1
                                   and B._data.shape == A._data.shape[:-1])
    rhs = B.unsqueeze(-1) if vector else B
    if rhs._data.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: incompatible shapes of A {tuple(A.shape)} and B "
                           f"{tuple(B.shape)}")
    batch = np.broadcast_shapes(A._data.shape[:-2], rhs._data.shape[:-2])
    A_b = A.expand(tuple(batch) + (n, n))
    rhs = rhs.expand(tuple(batch) + tuple(rhs._data.shape[-2:]))
    X = Solve.apply(A_b, rhs)
    return X.squeeze(-1) if vector else X


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of symmetric positive-definite ``A``: lower L with ``A = L L^T``
    (``upper=True``: ``U = L^T``)."""
    _square(A, "linalg.cholesky")
    L = Cholesky.apply(A)
    return _mT(L) if upper else L


def qr(A: Tensor, mode: str = "reduced"):
    """``(Q, R)`` with ``A = Q R``; ``mode`` 'reduced' (Q (m, k), R (k, n)), 'complete' (Q (m, m))
    or 'r' (R only; Q is an empty tensor)."""
    _check_tensor(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.qr: The input tensor A must have at least 2 dimensions, got "
                           f"shape {tuple(A.shape)}")
    if mode == "r":
        Q, R = QR.apply(A, "reduced")
        return _QRResult(Tensor._make(np.zeros(0, dtype=A._data.dtype)), R)
    return _QRResult(*QR.apply(A, mode))


class _QRResult(tuple):
    def __new__(cls, Q, R):
        return super().__new__(cls, (Q, R))

    Q = property(lambda self: self[0])
    R = property(lambda self: self[1])


class _SVDResult(tuple):
    def __new__(cls, U, S, Vh):
        return super().__new__(cls, (U, S, Vh))

    U = property(lambda self: self[0])
    S = property(lambda self: self[1])
    Vh = property(lambda self: self[2])


def svd(A: Tensor, full_matrices: bool = True):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, S descending; ``full_matrices=False`` gives the
    reduced factors (U (m, k), Vh (k, n), k = min(m, n)). ``torch.linalg.svd``'s signature."""
    _check_tensor(A, "linalg.svd")
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.svd: The input tensor A must have at least 2 dimensions, got "
                           f"shape {tuple(A.shape)}")
    return _SVDResult(*SVD.apply(A, bool(full_matrices)))


def svdvals(A: Tensor) -> Tensor:
    """The singular values of ``A``, descending."""
    return svd(A, full_matrices=False).S


def svd_legacy(input: Tensor, some: bool = True, compute_uv: bool = True):
    """``torch.svd``: ``(U, S, V)`` (V, not Vh); ``some=True`` gives the reduced factors."""
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return _SVDResultV(U.detach() * 0.0, S, _mT(Vh).detach() * 0.0)
    return _SVDResultV(U, S, _mT(Vh))


class _SVDResultV(tuple):
    def __new__(cls, U, S, V):
        return super().__new__(cls, (U, S, V))

    U = property(lambda self: self[0])
    S = property(lambda self: self[1])
    V = property(lambda self: self[2])


class _EighResult(tuple):
    def __new__(cls, eigenvalues, eigenvectors):
        return super().__new__(cls, (eigenvalues, eigenvectors))

    eigenvalues = property(lambda self: self[0])
    eigenvectors = property(lambda self: self[1])


def eigh(A: Tensor, UPLO: str = "L"):
    """``(eigenvalues, eigenvectors)`` of symmetric ``A`` (only the ``UPLO`` triangle is read);
    eigenvalues ascending, eigenvectors as columns."""
    _square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _EighResult(*Eigh.apply(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of symmetric ``A``, ascending."""
    return eigh(A, UPLO).eigenvalues


__all__: list = []  # exported through graphgrad.linalg (and the torch.* names in linalg_ops)
