"""nn.functional activations against PyTorch (forward and gradients, float32 and float64), float64
gradcheck/gradgradcheck, both backward paths, and stability for large inputs."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import graphgrad
import graphgrad.nn.functional as F
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional

# name, graphgrad call, torch call (same keyword arguments)
CASES = [
    ("relu", {}),
    ("relu6", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("celu", {"alpha": 2.0}),
    ("gelu", {}),
    ("gelu", {"approximate": "tanh"}),
    ("silu", {}),
    ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("softsign", {}),
    ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("logsigmoid", {}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("softmax", {"dim": 1}),
    ("softmax", {"dim": -1}),
    ("softmax", {"dim": 0}),
    ("log_softmax", {"dim": 1}),
    ("log_softmax", {"dim": -1}),
    ("softmin", {"dim": 1}),
    ("threshold", {"threshold": 0.5, "value": -2.0}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("mish", {}),
    ("tanhshrink", {}),
    ("softshrink", {}),
    ("softshrink", {"lambd": 1.0}),
    ("hardshrink", {}),
    ("glu", {"dim": -1}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


def _inputs(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    # keep samples away from kinks, where finite differences are meaningless
    x[np.abs(x) < 1e-2] += 0.1
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (4, 6), (2, 3, 5)])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_matches_torch(name, kw, shape, dtype):
    if "dim" in kw and kw["dim"] >= len(shape):
        pytest.skip("dim out of range for this shape")
    if name == "glu" and shape[-1] % 2:
        shape = shape[:-1] + (shape[-1] + 1,)
    x = _inputs(shape, dtype)
    compare_with_torch(lambda t: getattr(F, name)(t, **kw), lambda t: getattr(TF, name)(t, **kw),
                       [x])


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_gradcheck(name, kw):
    x = _inputs((3, 4), np.float64, seed=1)
    if name in ("softplus",) and kw.get("threshold") == 3.0:
        x = x * 0.5  # away from the switch to the linear branch
    check_grads(lambda t: getattr(F, name)(t, **kw), [x])


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_backward_paths_agree(name, kw):
    """The array fast path (no graph) and the recorded formula give the same gradient."""
    x = _inputs((5, 6), np.float64, seed=2)
    w = np.random.default_rng(3).standard_normal((5, 3 if name == "glu" else 6))
    a = graphgrad.tensor(x, requires_grad=True)
    (getattr(F, name)(a, **kw) * graphgrad.tensor(w)).sum().backward()
    b = graphgrad.tensor(x, requires_grad=True)
    out = (getattr(F, name)(b, **kw) * graphgrad.tensor(w)).sum()
    (gb,) = graphgrad.autograd.grad(out, b, create_graph=True)
    np.testing.assert_allclose(a.grad.numpy(), gb.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_stable_for_large_logits(dtype):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1e4, 0.0], [1e4, 1e4, -1e4]], dtype=dtype)
    for name in ("softmax", "log_softmax"):
        compare_with_torch(lambda t: getattr(F, name)(t, dim=1),
                           lambda t: getattr(TF, name)(t, dim=1), [x])
        t = graphgrad.tensor(x, requires_grad=True)
        out = getattr(F, name)(t, dim=1)
        out.sum().backward()
        assert np.isfinite(out.detach().numpy()).all() and np.isfinite(t.grad.numpy()).all()


@pytest.mark.parametrize("name", ["logsigmoid", "softplus", "silu", "elu", "selu", "gelu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_for_large_inputs(name, dtype):
    x = np.array([-1e4, -500.0, -80.0, -30.0, 30.0, 80.0, 500.0, 1e4], dtype=dtype)
    compare_with_torch(lambda t: getattr(F, name)(t), lambda t: getattr(TF, name)(t), [x])


def test_gelu_exact_over_a_wide_range():
    x = np.linspace(-12, 12, 4001)
    compare_with_torch(F.gelu, TF.gelu, [x])


def test_tensor_methods():
    x = _inputs((3, 4), np.float32)
    t = graphgrad.tensor(x)
    np.testing.assert_allclose(t.softmax(1).numpy(), TF.softmax(torch.tensor(x), 1).numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(t.log_softmax(dim=0).numpy(),
                               TF.log_softmax(torch.tensor(x), dim=0).numpy(), rtol=1e-6)
    np.testing.assert_allclose(graphgrad.softmax(t, -1).numpy(),
                               torch.softmax(torch.tensor(x), -1).numpy(), rtol=1e-6)


def test_softmax_dtype_and_implicit_dim():
    x = _inputs((3, 4), np.float32)
    out = F.softmax(graphgrad.tensor(x), dim=1, dtype=graphgrad.float64)
    assert out.dtype == graphgrad.float64
    with pytest.warns(UserWarning, match="Implicit dimension"):
        implicit = F.softmax(graphgrad.tensor(x))
    np.testing.assert_allclose(implicit.numpy(), F.softmax(graphgrad.tensor(x), 1).numpy())


def test_softmax_of_scalar():
    t = graphgrad.tensor(3.0, requires_grad=True)
    out = F.softmax(t, dim=0)
    assert out.shape == () and out.item() == 1.0
    out.backward()
    assert t.grad.item() == 0.0


@pytest.mark.parametrize("name", ["relu", "elu", "leaky_relu", "hardtanh", "relu6", "selu", "silu",
                                  "celu", "hardsigmoid", "hardswish", "mish", "threshold"])
def test_inplace(name):
    args = (0.5, -2.0) if name == "threshold" else ()
    x = _inputs((3, 4), np.float32)
    t = graphgrad.tensor(x.copy())
    out = getattr(F, name)(t, *args, inplace=True)
    assert out is t
    expected = getattr(TF, name)(torch.tensor(x), *args).numpy()
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6)
    # on a non-leaf inside the graph, gradients still flow
    leaf = graphgrad.tensor(x, requires_grad=True)
    th_leaf = torch.tensor(x, requires_grad=True)
    getattr(F, name)(leaf * 2, *args, inplace=True).sum().backward()
    getattr(TF, name)(th_leaf * 2, *args, inplace=True).sum().backward()
    # (PyTorch's in-place elu differentiates through its result: float32 rounding differs)
    np.testing.assert_allclose(leaf.grad.numpy(), th_leaf.grad.numpy(), rtol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape,w_shape", [((4, 3, 5), (3,)), ((4, 3), (1,)),
                                             ((2, 3, 2, 2), (3,)), ((5,), (1,))])
def test_prelu(x_shape, w_shape, dtype):
    x = _inputs(x_shape, dtype)
    w = np.random.default_rng(1).random(w_shape).astype(dtype)
    compare_with_torch(F.prelu, TF.prelu, [x, w])
    if dtype == np.float64:
        check_grads(F.prelu, [x, w])


def test_errors():
    with pytest.raises(TypeError, match=r"softmax: expected a floating-point tensor, got int64"):
        F.softmax(graphgrad.tensor([1, 2, 3]), dim=0)
    with pytest.raises(IndexError, match="softmax: Dimension out of range"):
        F.softmax(graphgrad.randn(2, 3), dim=2)
    with pytest.raises(ValueError, match="gelu: approximate must be"):
        F.gelu(graphgrad.randn(2), approximate="fast")
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        F.hardtanh(graphgrad.randn(2), 1.0, -1.0)



@settings(max_examples=30, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5))
def test_softmax_property_shapes(data, shape):
    """On any shape and dim: sums to 1, log_softmax = log(softmax), gradients match PyTorch."""
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-50, 50)))
    y = F.softmax(graphgrad.tensor(x), dim).numpy()
    np.testing.assert_allclose(y.sum(axis=dim), 1.0, rtol=1e-12)
    compare_with_torch(lambda t: F.log_softmax(t, dim), lambda t: TF.log_softmax(t, dim), [x])
