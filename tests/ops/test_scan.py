"""cummax/cummin, logcumsumexp, diff, trapezoid/cumulative_trapezoid against PyTorch."""
import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_running_extremes(name, dim):
    x = np.random.default_rng(0).permutation(24).reshape(2, 3, 4).astype(np.float64)
    compare_with_torch(lambda t: getattr(graphgrad, name)(t, dim),
                       lambda t: getattr(torch, name)(t, dim), [x])
    ties = np.array([1.0, 3.0, 2.0, 3.0, np.nan, 5.0, np.nan, 0.0])
    got = getattr(graphgrad, name)(graphgrad.tensor(ties), 0)
    want = getattr(torch, name)(torch.tensor(ties), 0)
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    ints = np.array([[3, 1, 4, 1, 5]])
    np.testing.assert_array_equal(getattr(graphgrad, name)(graphgrad.tensor(ints), 1).values.numpy(),
                                  getattr(torch, name)(torch.tensor(ints), 1).values.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logcumsumexp(dtype):
    x = (np.random.default_rng(1).standard_normal((3, 6)) * 20).astype(dtype)
    compare_with_torch(lambda t: graphgrad.logcumsumexp(t, 1), lambda t: torch.logcumsumexp(t, 1),
                       [x], rtol=1e-4 if dtype == np.float32 else None)
    check_grads(lambda t: t.logcumsumexp(0), [x[:, :3].astype(np.float64) / 20],
                second_order=False)


def test_diff_and_trapezoid():
    x = np.random.default_rng(2).standard_normal((3, 5))
    compare_with_torch(lambda t: graphgrad.diff(t, 2, 1), lambda t: torch.diff(t, 2, 1), [x])
    pre, app = np.ones((3, 1)), np.zeros((3, 2))
    compare_with_torch(lambda t, p, a: t.diff(dim=-1, prepend=p, append=a),
                       lambda t, p, a: t.diff(dim=-1, prepend=p, append=a), [x, pre, app])
    b = np.array([True, False, False, True])
    np.testing.assert_array_equal(graphgrad.diff(graphgrad.tensor(b)).numpy(),
                                  torch.diff(torch.tensor(b)).numpy())
    xs = np.sort(np.random.default_rng(3).standard_normal(5))
    compare_with_torch(graphgrad.trapezoid, torch.trapezoid, [x, xs])
    compare_with_torch(lambda t: graphgrad.trapz(t, dx=0.5, dim=0),
                       lambda t: torch.trapz(t, dx=0.5, dim=0), [x])
    compare_with_torch(graphgrad.cumulative_trapezoid, torch.cumulative_trapezoid, [x, xs])
    t = graphgrad.tensor([1.0, 2.0, 3.0])
    assert t.cumsum_(0) is t and t.tolist() == [1.0, 3.0, 6.0]
