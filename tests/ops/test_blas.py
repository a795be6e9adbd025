"""addmm/addmv/addr/addbmm/baddbmm, addcmul/addcdiv (and in-place), tensordot, inner, kron, cross,
vdot, chain_matmul, cdist against PyTorch, with gradients."""
import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()
rng = np.random.default_rng(0)


def _r(*shape):
    return rng.standard_normal(shape)


CASES = {
    "addmm": ((_r(3, 5), _r(3, 4), _r(4, 5)), (_r(5), _r(3, 4), _r(4, 5))),
    "addmv": ((_r(3), _r(3, 4), _r(4)),),
    "addr": ((_r(3, 4), _r(3), _r(4)),),
    "addbmm": ((_r(3, 5), _r(2, 3, 4), _r(2, 4, 5)),),
    "baddbmm": ((_r(2, 3, 5), _r(2, 3, 4), _r(2, 4, 5)), (_r(3, 5), _r(2, 3, 4), _r(2, 4, 5))),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, -2.0), (0, 1)])
def test_add_products(name, beta, alpha):
    # beta = 0: input is ignored; PyTorch hands it a zero gradient, graphgrad none
    grads = [1, 2] if beta == 0 else None
    for arrays in CASES[name]:
        compare_with_torch(lambda *t: getattr(graphgrad, name)(*t, beta=beta, alpha=alpha),
                           lambda *t: getattr(torch, name)(*t, beta=beta, alpha=alpha), arrays,
                           grad_inputs=grads)
        compare_with_torch(lambda a, *t: getattr(a, name)(*t, beta=beta, alpha=alpha),
                           lambda a, *t: getattr(a, name)(*t, beta=beta, alpha=alpha), arrays,
                           grad_inputs=grads)
    check_grads(lambda *t: getattr(graphgrad, name)(*t, beta=beta, alpha=alpha), CASES[name][0],
                grad_inputs=grads)


def test_beta_zero_ignores_nan_input():
    bad = np.full((2, 2), np.nan)
    out = graphgrad.addmm(graphgrad.tensor(bad), graphgrad.eye(2, dtype=graphgrad.float64),
                          graphgrad.eye(2, dtype=graphgrad.float64), beta=0)
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_addcdiv(name):
    arrays = (_r(3, 4), _r(3, 4), np.abs(_r(4)) + 0.5)
    compare_with_torch(lambda *t: getattr(graphgrad, name)(*t, value=0.3),
                       lambda *t: getattr(torch, name)(*t, value=0.3), arrays)
    check_grads(lambda *t: getattr(graphgrad, name)(*t, value=-2), arrays)
    g = graphgrad.tensor(arrays[0].copy())
    t = torch.tensor(arrays[0].copy())
    getattr(g, name + "_")(graphgrad.tensor(arrays[1]), graphgrad.tensor(arrays[2]), value=0.1)
    getattr(t, name + "_")(torch.tensor(arrays[1]), torch.tensor(arrays[2]), value=0.1)
    np.testing.assert_allclose(g.numpy(), t.numpy())


@pytest.mark.parametrize("dims", [2, 1, 0, ([1, 0], [0, 1]), ([2], [0])])
def test_tensordot(dims):
    a, b = _r(2, 3, 4), _r(3, 2, 5) if dims == ([1, 0], [0, 1]) else _r(4, 5, 2)
    if dims == 2:
        b = _r(3, 4, 2)
    if dims == 1:
        b = _r(4, 3)
    if dims == ([2], [0]):
        b = _r(4, 6)
    compare_with_torch(lambda x, y: graphgrad.tensordot(x, y, dims),
                       lambda x, y: torch.tensordot(x, y, dims), [a, b])


def test_products_and_distances():
    compare_with_torch(graphgrad.inner, torch.inner, [_r(2, 3), _r(4, 3)])
    compare_with_torch(graphgrad.kron, torch.kron, [_r(2, 3), _r(3, 2)])
    compare_with_torch(graphgrad.kron, torch.kron, [_r(2), _r(2, 2)])
    compare_with_torch(lambda a, b: graphgrad.cross(a, b, dim=1),
                       lambda a, b: torch.cross(a, b, dim=1), [_r(4, 3), _r(4, 3)])
    compare_with_torch(graphgrad.vdot, torch.vdot, [_r(5), _r(5)])
    compare_with_torch(lambda a, b, c: graphgrad.chain_matmul(a, b, c),
                       lambda a, b, c: torch.linalg.multi_dot([a, b, c]),
                       [_r(2, 3), _r(3, 4), _r(4, 5)])
    for p in (2.0, 1.0, 3.0, float("inf")):
        compare_with_torch(lambda a, b: graphgrad.cdist(a, b, p),
                           lambda a, b: torch.cdist(a, b, p), [_r(2, 4, 3), _r(2, 5, 3)])
    check_grads(lambda a, b: graphgrad.cdist(a, b), [_r(3, 2), _r(4, 2)], second_order=False)
    with pytest.raises(RuntimeError, match="addmm: mat1 must be a 2-D tensor"):
        graphgrad.addmm(graphgrad.ones(2), graphgrad.ones(2), graphgrad.ones(2, 2))
