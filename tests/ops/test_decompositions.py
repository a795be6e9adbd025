"""graphgrad.linalg against torch.linalg: values and gradients (compared through functions that
do not depend on the sign or order conventions of the factors), gradcheck/gradgradcheck."""
import numpy as np
import pytest

import graphgrad
import graphgrad.linalg as LA
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()
rng = np.random.default_rng(0)
A = rng.standard_normal((2, 4, 4))
B = rng.standard_normal((2, 4, 3))
SPD = A @ A.transpose(0, 2, 1) + 4 * np.eye(4)
TALL = rng.standard_normal((2, 5, 3))


def _sym(t):
    """A symmetric positive-definite function of a free matrix (gradcheck perturbs every entry,
    while cholesky/eigh read one triangle)."""
    return t @ t.transpose(-2, -1) + graphgrad.eye(t.shape[-1], dtype=graphgrad.float64) * 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inverse_determinants_solve(dtype):
    a, b = A.astype(dtype), B.astype(dtype)
    tol = {"rtol": 1e-3, "atol": 1e-4} if dtype == np.float32 else {}
    compare_with_torch(LA.inv, torch.linalg.inv, [a], **tol)
    compare_with_torch(LA.det, torch.linalg.det, [a], **tol)
    compare_with_torch(lambda t: LA.slogdet(t).logabsdet, lambda t: torch.linalg.slogdet(t)[1], [a],
                       **tol)
    compare_with_torch(LA.solve, torch.linalg.solve, [a, b], **tol)
    compare_with_torch(LA.solve, torch.linalg.solve, [a[0], b[0, :, 0]], **tol)
    compare_with_torch(lambda x, y: LA.solve(x, y, left=False),
                       lambda x, y: torch.linalg.solve(x, y, left=False),
                       [a, b.transpose(0, 2, 1).copy()], **tol)
    compare_with_torch(graphgrad.logdet, torch.logdet, [SPD.astype(dtype)], **tol)


def test_factorisations():
    compare_with_torch(LA.cholesky, torch.linalg.cholesky, [SPD])
    compare_with_torch(lambda t: LA.cholesky(t, upper=True),
                       lambda t: torch.linalg.cholesky(t, upper=True), [SPD])
    compare_with_torch(LA.qr, torch.linalg.qr, [TALL])
    compare_with_torch(LA.eigh, torch.linalg.eigh, [SPD])
    compare_with_torch(LA.eigvalsh, torch.linalg.eigvalsh, [SPD])
    compare_with_torch(LA.svdvals, torch.linalg.svdvals, [TALL])
    for m in (TALL, TALL.transpose(0, 2, 1).copy(), A):
        # singular vectors are defined up to sign: compare |U|, |Vh| (and their gradients)
        compare_with_torch(lambda t: [f.abs() for f in LA.svd(t, full_matrices=False)],
                           lambda t: [f.abs() for f in torch.linalg.svd(t, full_matrices=False)],
                           [m])
    U, S, Vh = LA.svd(graphgrad.tensor(TALL))
    assert tuple(U.shape) == (2, 5, 5) and tuple(Vh.shape) == (2, 3, 3)
    np.testing.assert_allclose((U[..., :3] * S.unsqueeze(-2)) @ Vh, TALL, atol=1e-10)


def test_norms_and_derived():
    for ord in ("fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")):
        compare_with_torch(lambda t: LA.matrix_norm(t, ord), lambda t: torch.linalg.matrix_norm(t, ord),
                           [TALL])
    for ord in (2, 1, 3.5, float("inf"), 0):
        compare_with_torch(lambda t: LA.vector_norm(t, ord, dim=(1, 2)),
                           lambda t: torch.linalg.vector_norm(t, ord, dim=(1, 2)), [TALL],
                           grad=ord != 0)
    compare_with_torch(LA.norm, torch.linalg.norm, [TALL])
    compare_with_torch(lambda t: LA.norm(t[0], "nuc"), lambda t: torch.linalg.norm(t[0], "nuc"), [TALL])
    compare_with_torch(LA.pinv, torch.linalg.pinv, [TALL])
    compare_with_torch(LA.cond, torch.linalg.cond, [A])
    compare_with_torch(lambda t: LA.matrix_power(t, -2), lambda t: torch.linalg.matrix_power(t, -2), [A])
    compare_with_torch(lambda t: t.matrix_power(3), lambda t: t.matrix_power(3), [A])
    compare_with_torch(lambda t: LA.cross(t, t.flip(-1)), lambda t: torch.linalg.cross(t, t.flip(-1)),
                       [rng.standard_normal((4, 3))])
    assert LA.matrix_rank(graphgrad.tensor(TALL)).tolist() == [3, 3]
    compare_with_torch(graphgrad.svd, torch.svd, [np.abs(TALL)], grad=False)


def test_gradcheck_and_double_backward():
    a = A[0]
    check_grads(LA.inv, [a])
    check_grads(LA.det, [a])
    check_grads(lambda t: LA.solve(t, graphgrad.tensor(B[0])), [a])
    check_grads(lambda t: LA.cholesky(_sym(t)), [a])
    check_grads(lambda t: LA.eigh(_sym(t)).eigenvalues, [a])
    check_grads(lambda t: LA.eigh(_sym(t)).eigenvectors.abs(), [a], second_order=False)
    check_grads(lambda t: LA.qr(t), [TALL[0]])
    check_grads(lambda t: [f.abs() for f in LA.svd(t, full_matrices=False)], [TALL[0]],
                second_order=False)


def test_errors_name_the_op():
    with pytest.raises(RuntimeError, match="linalg.inv: A must be batches of square matrices"):
        LA.inv(graphgrad.ones(2, 3))
    with pytest.raises(RuntimeError, match="linalg.cholesky"):
        LA.cholesky(-graphgrad.eye(2))
    with pytest.raises(RuntimeError, match="qr received unrecognized mode"):
        LA.qr(graphgrad.ones(2, 2), mode="bad")
