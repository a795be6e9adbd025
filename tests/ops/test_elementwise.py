"""Unary elementwise ops: values, gradients and dtypes against PyTorch; gradcheck/gradgradcheck."""
import warnings

import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()

# name -> (low, high) of the inputs, away from kinks and outside the domain's edges
UNARY = {
    "exp": (-3, 3), "expm1": (-2, 2), "log": (0.2, 4), "log1p": (-0.8, 3), "sqrt": (0.2, 4),
    "rsqrt": (0.2, 4), "reciprocal": (0.5, 3), "tanh": (-3, 3), "sigmoid": (-6, 6),
    "relu": (-2, 2), "abs": (-2, 2), "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2),
    "sign": (-2, 2), "floor": (-3, 3), "ceil": (-3, 3), "round": (-3, 3), "trunc": (-3, 3),
    "frac": (-3, 3), "square": (-2, 2),
}
SMOOTH = ["exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "tanh", "sigmoid", "sin",
          "cos", "tan", "square", "relu", "abs", "frac"]
SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


def _inputs(name, shape, dtype, seed=0):
    lo, hi = UNARY[name]
    x = np.random.default_rng(seed).uniform(lo, hi, shape)
    if name in ("relu", "abs", "sign", "frac"):
        x = np.where(np.abs(x) < 0.1, 0.5, x)  # keep finite differences off the kink
    if name in ("floor", "ceil", "round", "trunc", "frac"):
        x = np.where(np.abs(x - np.round(x)) < 0.1, x + 0.25, x)
    return x.astype(dtype)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_unary_matches_torch(name, dtype, shape):
    x = _inputs(name, shape, dtype)
    compare_with_torch(lambda t: getattr(graphgrad, name)(t), lambda t: getattr(torch, name)(t), [x])
    compare_with_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])


@pytest.mark.parametrize("name", SMOOTH)
def test_unary_gradcheck(name):
    check_grads(lambda t: getattr(graphgrad, name)(t), [_inputs(name, (2, 3), np.float64, seed=1)])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "sin", "reciprocal",
                                  "abs", "relu", "sign", "floor", "round", "square"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_bool_dtypes(name, dtype):
    x = np.array([[-2, 0, 3], [1, 4, -1]]).astype(dtype)
    try:
        expected = getattr(torch, name)(torch.tensor(x))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(graphgrad, name)(graphgrad.tensor(x))
        return
    got = getattr(graphgrad, name)(graphgrad.tensor(x))
    assert got.numpy().dtype == expected.numpy().dtype
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_gradient_at_zero_is_zero(name):
    for mod in (graphgrad, torch):
        x = mod.tensor([0.0, 1.0, -1.0], requires_grad=True)
        getattr(mod, name)(x).sum().backward()
        if mod is graphgrad:
            ours = x.grad.numpy()
        else:
            theirs = x.grad.numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert ours[0] == 0


def test_relu_gradient_with_nan_and_inf_like_torch():
    x = np.array([np.nan, -1.0, 2.0, 0.0])
    g = np.array([1.0, np.inf, 1.0, np.nan])
    results = []
    for mod in (graphgrad, torch):
        t = mod.tensor(x, requires_grad=True)
        t.relu().backward(mod.tensor(g))
        results.append(t.grad.numpy())
    np.testing.assert_array_equal(results[0], results[1])


def test_sigmoid_saturates_without_warnings():
    x = graphgrad.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = graphgrad.sigmoid(x)
        y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.25, 0.0])


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "relu", "floor"])
def test_array_backward_equals_recorded_backward(name):
    x_np = np.random.default_rng(3).standard_normal((4, 5))
    g_np = np.random.default_rng(4).standard_normal((4, 5))
    grads = []
    for create_graph in (False, True):
        x = graphgrad.tensor(x_np, requires_grad=True)
        y = getattr(graphgrad, name)(x)
        (gx,) = graphgrad.autograd.grad(y, x, graphgrad.tensor(g_np), create_graph=create_graph)
        grads.append(gx.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), ()), ((3, 1), (4,), (3, 4)), ((4,), (2, 3, 4), (1, 4))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lerp_tensor_weight(shapes, dtype):
    rng = np.random.default_rng(0)
    a, b, w = (rng.uniform(-1, 1, s).astype(dtype) for s in shapes)
    compare_with_torch(graphgrad.lerp, torch.lerp, [a, b, w])
    check_grads(graphgrad.lerp, [a, b, w])


@pytest.mark.parametrize("weight", [0.25, 0.75, 2])
def test_lerp_number_weight(weight):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4,)).astype(np.float32)
    compare_with_torch(lambda x, y: x.lerp(y, weight), lambda x, y: x.lerp(y, weight), [a, b])
    check_grads(lambda x, y: graphgrad.lerp(x, y, weight), [a, b])


def test_lerp_errors():
    a = graphgrad.ones(3)
    message = r"lerp: expected dtype .*float32 for `end` but got dtype .*float64"
    with pytest.raises(RuntimeError, match=message):
        graphgrad.lerp(a, graphgrad.ones(3, dtype=graphgrad.float64), 0.5)
    with pytest.raises(RuntimeError, match=r"lerp: the shapes .*\(3,\).*\(4,\)"):
        graphgrad.lerp(a, graphgrad.ones(4), 0.5)
    with pytest.raises(TypeError, match="lerp: weight must be a number"):
        graphgrad.lerp(a, a, "half")


def test_round_decimals():
    x = np.array([1.2345, -2.5, 0.5, 3.14159])
    compare_with_torch(lambda t: t.round(decimals=2), lambda t: t.round(decimals=2), [x])


def test_double_backward_of_hot_ops():
    x = graphgrad.tensor([0.3, -0.7], dtype=graphgrad.float64, requires_grad=True)
    xt = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    for fn in ("exp", "tanh", "sigmoid"):
        (g,) = graphgrad.autograd.grad(getattr(x, fn)().sum(), x, create_graph=True)
        (h,) = graphgrad.autograd.grad(g.sum(), x)
        (gt,) = torch.autograd.grad(getattr(xt, fn)().sum(), xt, create_graph=True)
        (ht,) = torch.autograd.grad(gt.sum(), xt)
        np.testing.assert_allclose(h.numpy(), ht.numpy(), rtol=1e-10)


# ------------------------------------------------------------------------------- in place
INPLACE = ["exp_", "log_", "sqrt_", "tanh_", "sigmoid_", "relu_", "abs_", "sin_", "cos_",
           "reciprocal_", "floor_", "ceil_", "trunc_", "sign_", "square_", "rsqrt_"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_matches_out_of_place(name):
    x_np = np.random.default_rng(0).uniform(0.2, 2, (3, 4)).astype(np.float32)
    x = graphgrad.tensor(x_np)
    out = getattr(x, name)()
    assert out is x and x._version == 1
    expected = getattr(torch.tensor(x_np), name)()
    np.testing.assert_allclose(x.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["exp_", "tanh_", "sigmoid_", "relu_"])
def test_inplace_in_graph(name):
    x_np = np.random.default_rng(0).standard_normal((3, 4))

    def run(mod):
        leaf = mod.tensor(x_np, requires_grad=True)
        y = leaf * 2
        getattr(y, name)()
        (y * y).sum().backward()
        return y.detach().numpy(), leaf.grad.numpy()

    for a, b in zip(run(graphgrad), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_inplace_errors():
    leaf = graphgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.exp_()
    with pytest.raises(RuntimeError, match="exp_: result type float32 can't be cast"):
        graphgrad.tensor([1, 2]).exp_()
    x = graphgrad.ones(3, requires_grad=True) * 1
    y = x.exp()
    x.exp_()  # x was saved by nothing (exp saves its output), but y's output is fine
    z = x.sigmoid()
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    del y


def test_inplace_under_no_grad_on_leaf():
    w = graphgrad.tensor([-1.0, 2.0], requires_grad=True)
    with graphgrad.no_grad():
        w.relu_()
    assert w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.detach().numpy(), [0.0, 2.0])


@pytest.mark.parametrize("name", ["exp", "relu", "abs", "floor"])
def test_bad_input_type(name):
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' must be Tensor, not list"):
        getattr(graphgrad, name)([1.0, 2.0])
