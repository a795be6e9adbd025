"""The fast paths of ReLU and LeakyReLU (maximum against a cached row of the bound, slopes
without a table lookup) against PyTorch on special values, at sizes that take every branch: below
one row, whole rows with a tail, and large enough to be split between threads."""
import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F
from graphgrad.ops._scalar_bounds import ROW, maximum_scalar, minimum_scalar
from parity import torch_or_skip

torch = torch_or_skip()

SIZES = [7, ROW, 3 * ROW + 5, 64 * 32 * 26 * 26 + 3]
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 3.4e38, -3.4e38]


def _with_specials(size, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(size).astype(dtype)
    spots = rng.choice(size, min(size, 4 * len(SPECIAL)), replace=False)
    x[spots] = np.resize(np.array(SPECIAL, dtype), len(spots))
    return x


def _same(a, b):
    return np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", [maximum_scalar, minimum_scalar])
def test_bound_equals_numpy(size, dtype, fn):
    x = _with_specials(size, dtype)
    ufunc = np.maximum if fn is maximum_scalar else np.minimum
    for value in (0, -1.5, 2.0):
        out = np.empty_like(x)
        assert fn(x, value, out) is out
        assert _same(out, ufunc(x, value))


def test_bound_of_a_strided_array_falls_back_exactly():
    x = _with_specials(4 * ROW, np.float32).reshape(4, ROW)[:, ::2]
    out = np.empty(x.shape, np.float32)
    assert _same(maximum_scalar(x, 0, out), np.maximum(x, 0))


@pytest.mark.parametrize("size", SIZES)
def test_relu_forward_and_gradient_like_torch(size):
    x = _with_specials(size, np.float32)
    g = _with_specials(size, np.float32, seed=1)
    a = graphgrad.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ya, yb = F.relu(a), torch.relu(b)
    ya.backward(graphgrad.tensor(g))
    yb.backward(torch.tensor(g))
    assert _same(ya.detach().numpy(), yb.detach().numpy())
    assert _same(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("slope", [0.2, 0.01, 0.7, 1.0, 3.0, 0.0, -0.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_forward_and_gradient_like_torch(size, slope, dtype):
    x = _with_specials(size, dtype)
    g = _with_specials(size, dtype, seed=1)
    a = graphgrad.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    with np.errstate(invalid="ignore"):
        ya = F.leaky_relu(a, slope)
        ya.backward(graphgrad.tensor(g))
    yb = torch.nn.functional.leaky_relu(b, slope)
    yb.backward(torch.tensor(g))
    out_a, out_b = ya.detach().numpy(), yb.detach().numpy()
    assert _same(out_a, out_b)
    assert _same(np.signbit(out_a), np.signbit(out_b))  # -0.0 stays -0.0
    assert _same(a.grad.numpy(), b.grad.numpy())


def test_leaky_relu_without_grad_saves_nothing():
    x = graphgrad.randn(64, ROW)
    with graphgrad.no_grad():
        y = F.leaky_relu(x, 0.2)
    assert y.grad_fn is None
    assert _same(y.numpy(), torch.nn.functional.leaky_relu(torch.tensor(x.numpy()), 0.2).numpy())
