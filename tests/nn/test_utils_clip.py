"""nn.utils: clip_grad_norm_, clip_grad_value_, get_total_norm vs PyTorch; parameters_to_vector
and vector_to_parameters."""
import math

import numpy as np
import pytest

import graphgrad
from graphgrad.nn import utils

SHAPES = [(3, 4), (5,), (2, 2, 2), ()]


def _pairs(torch, dtype, scale=3.0, seed=0):
    rng = np.random.default_rng(seed)
    grads = [np.asarray(rng.standard_normal(s) * scale, dtype=dtype) for s in SHAPES]
    gg = [graphgrad.zeros(s, dtype=graphgrad.from_numpy(g).dtype, requires_grad=True)
          for s, g in zip(SHAPES, grads)]
    th = [torch.zeros(s, dtype=torch.from_numpy(g).dtype, requires_grad=True)
          for s, g in zip(SHAPES, grads)]
    for a, b, g in zip(gg, th, grads):
        a.grad = graphgrad.tensor(g.copy())
        b.grad = torch.tensor(g.copy())
    return gg, th


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, 0.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 4.0, 1e6])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm, dtype):
    torch = pytest.importorskip("torch")
    gg, th = _pairs(torch, dtype)
    total_g = utils.clip_grad_norm_(gg, max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(th, max_norm, norm_type)
    assert isinstance(total_g, graphgrad.Tensor) and total_g.shape == ()
    assert total_g.dtype == graphgrad.from_numpy(np.zeros(1, dtype)).dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(total_g.item(), total_t.item(), rtol=rtol)
    for a, b in zip(gg, th):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=rtol * 1e-3)


def test_clip_grad_norm_scales_to_the_threshold():
    g = np.array([3.0, 4.0])  # norm 5
    p = graphgrad.zeros(2, requires_grad=True)
    p.grad = graphgrad.tensor(g)
    total = utils.clip_grad_norm_(p, max_norm=1.0)  # a single tensor is accepted
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), g / (5.0 + 1e-6), rtol=1e-12)
    assert np.linalg.norm(p.grad.numpy()) <= 1.0
    p.grad = graphgrad.tensor(g)
    utils.clip_grad_norm_([p], max_norm=10.0)  # below the threshold: untouched
    np.testing.assert_array_equal(p.grad.numpy(), g)


def test_clip_grad_norm_skips_missing_grads_and_accepts_generators():
    a = graphgrad.zeros(2, requires_grad=True)
    b = graphgrad.zeros(2, requires_grad=True)
    a.grad = graphgrad.tensor([6.0, 8.0])
    total = utils.clip_grad_norm_((p for p in [a, b]), 5.0)
    assert total.item() == pytest.approx(10.0) and b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0], rtol=1e-6)
    assert utils.clip_grad_norm_([b], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    p = graphgrad.zeros(2, requires_grad=True)
    p.grad = graphgrad.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    p.grad = graphgrad.tensor([np.nan, 1.0])
    total = utils.clip_grad_norm_([p], 1.0)
    assert math.isnan(total.item()) and np.isnan(p.grad.numpy()).all()


def test_get_total_norm_and_clip_grads_with_norm():
    torch = pytest.importorskip("torch")
    gg, th = _pairs(torch, np.float32)
    total = utils.get_total_norm([p.grad for p in gg], 3.0)
    np.testing.assert_allclose(total.item(),
                               torch.nn.utils.get_total_norm([p.grad for p in th], 3.0).item(),
                               rtol=1e-6)
    utils.clip_grads_with_norm_(gg, 1.0, total)
    assert utils.get_total_norm([p.grad for p in gg], 3.0).item() == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("clip", [0.5, 2.0])
def test_clip_grad_value_matches_pytorch(clip):
    torch = pytest.importorskip("torch")
    gg, th = _pairs(torch, np.float32)
    assert utils.clip_grad_value_(gg, clip) is None
    torch.nn.utils.clip_grad_value_(th, clip)
    for a, b in zip(gg, th):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
        assert np.abs(a.grad.numpy()).max() <= clip


def test_clip_bad_input():
    class Net:
        def parameters(self):
            return iter([])

    with pytest.raises(TypeError, match="got the module Net; pass its .parameters"):
        utils.clip_grad_norm_(Net(), 1.0)
    with pytest.raises(TypeError, match="item 1 is ndarray"):
        utils.clip_grad_value_([graphgrad.zeros(1), np.zeros(1)], 1.0)


def test_parameters_to_vector_and_back():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [np.asarray(rng.standard_normal(s), dtype=np.float32) for s in SHAPES]
    gg = [graphgrad.tensor(a, requires_grad=True) for a in arrays]
    vec = utils.parameters_to_vector(gg)
    ref = torch.nn.utils.parameters_to_vector([torch.tensor(a) for a in arrays])
    np.testing.assert_array_equal(vec.detach().numpy(), ref.numpy())
    assert vec.shape == (sum(a.size for a in arrays),)
    (vec * graphgrad.arange(vec.numel()).float()).sum().backward()  # differentiable
    offset = 0
    for p in gg:
        np.testing.assert_array_equal(p.grad.numpy().reshape(-1),
                                      np.arange(offset, offset + p.numel(), dtype=np.float32))
        offset += p.numel()

    targets = [graphgrad.zeros(s, requires_grad=True) for s in SHAPES]
    before = [t._data for t in targets]
    utils.vector_to_parameters(vec.detach() * 2, targets)
    for t, a, arr in zip(targets, arrays, before):
        np.testing.assert_array_equal(t.detach().numpy(), 2 * a)
        assert t._data is arr  # written in place: optimizers holding the array see it


def test_parameters_to_vector_without_grad_is_a_copy():
    p = graphgrad.tensor([1.0, 2.0], requires_grad=True)
    with graphgrad.no_grad():
        vec = utils.parameters_to_vector([p])
    assert vec.grad_fn is None and not vec.requires_grad
    vec._data[0] = 5.0
    assert p.detach().numpy()[0] == 1.0


def test_vector_to_parameters_errors():
    params = [graphgrad.zeros((2, 2)), graphgrad.zeros(3)]
    with pytest.raises(TypeError, match="expected vec to be a Tensor, but got: list"):
        utils.vector_to_parameters([0.0] * 7, params)
    with pytest.raises(ValueError, match="vec has 6 elements but the parameters have 7"):
        utils.vector_to_parameters(graphgrad.zeros(6), params)
    with pytest.raises(ValueError, match=r"vec must be 1-d, got shape \(7, 1\)"):
        utils.vector_to_parameters(graphgrad.zeros((7, 1)), params)
