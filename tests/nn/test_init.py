"""nn.init: distributions (mean, std, bounds) follow PyTorch's formulas; in place; seeded."""
import math

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn
from graphgrad.nn import init


def stats(t):
    a = t.detach().numpy()
    return a.mean(), a.std(), a.min(), a.max()


def test_calculate_gain_matches_pytorch():
    torch = pytest.importorskip("torch")
    cases = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
             ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]
    for name, param in cases:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_uniform_normal_constant():
    t = gg.empty(200, 300)
    assert init.uniform_(t, -2.0, 3.0) is t
    mean, std, lo, hi = stats(t)
    assert -2.0 <= lo and hi <= 3.0 and abs(mean - 0.5) < 0.03
    init.normal_(t, 1.0, 0.5)
    mean, std, _, _ = stats(t)
    assert abs(mean - 1.0) < 0.01 and abs(std - 0.5) < 0.01
    init.constant_(t, 0.3)
    assert np.all(t.numpy() == np.float32(0.3))
    init.zeros_(t)
    assert not t.numpy().any()
    init.ones_(t)
    assert np.all(t.numpy() == 1)
    assert t.dtype == gg.float32


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
def test_xavier(shape):
    t = gg.empty(*shape)
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    std = 1.5 * math.sqrt(2.0 / (fan_in + fan_out))
    init.xavier_uniform_(t, gain=1.5)
    _, s, lo, hi = stats(t)
    assert max(-lo, hi) <= math.sqrt(3) * std and abs(s - std) < 0.03 * std
    init.xavier_normal_(t, gain=1.5)
    m, s, _, _ = stats(t)
    assert abs(s - std) < 0.03 * std and abs(m) < 0.05 * std


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", 0.1), ("tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    t = gg.empty(256, 128, 3)
    fan = (128 if mode == "fan_in" else 256) * 3
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _, s, lo, hi = stats(t)
    assert max(-lo, hi) <= math.sqrt(3) * std and abs(s - std) < 0.03 * std
    init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _, s, _, _ = stats(t)
    assert abs(s - std) < 0.03 * std
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(t, mode="fan_avg")


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(gg.empty(5))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 2)])
def test_orthogonal(shape):
    t = gg.empty(*shape)
    init.orthogonal_(t, gain=2.0)
    flat = t.numpy().reshape(shape[0], -1) / 2.0
    if flat.shape[0] <= flat.shape[1]:
        np.testing.assert_allclose(flat @ flat.T, np.eye(flat.shape[0]), atol=1e-5)
    else:
        np.testing.assert_allclose(flat.T @ flat, np.eye(flat.shape[1]), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(gg.empty(3))


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                          (1.0, 1.0, 3.0, 5.0)])
def test_trunc_normal(mean, std, a, b):
    t = gg.empty(100_000)
    init.trunc_normal_(t, mean, std, a, b)
    x = t.numpy().astype(np.float64)
    assert x.min() >= np.float32(a) and x.max() <= np.float32(b)
    # compare with the truncated normal's mean (a closed form)
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = mean + std * (pdf(alpha) - pdf(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(x.mean() - expected) < 0.02 * std


def test_eye_and_dirac():
    t = gg.empty(3, 4)
    init.eye_(t)
    np.testing.assert_array_equal(t.numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(gg.empty(2, 2, 2))
    w = gg.empty(4, 4, 3, 3)
    init.dirac_(w)
    x = np.random.default_rng(0).standard_normal((4, 5, 5))
    # a 'same' correlation with the dirac kernel returns the input channels unchanged
    centre = w.numpy()[:, :, 1, 1]
    np.testing.assert_array_equal(centre, np.eye(4))
    assert w.numpy().sum() == 4 and x.shape == (4, 5, 5)


def test_sparse():
    t = gg.empty(10, 6)
    init.sparse_(t, 0.3)
    assert np.all((t.numpy() == 0).sum(0) >= 3)


def test_seeded_and_generator():
    gg.manual_seed(11)
    a = init.normal_(gg.empty(5)).numpy().copy()
    gg.manual_seed(11)
    b = init.normal_(gg.empty(5)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = gg.Generator().manual_seed(3), gg.Generator().manual_seed(3)
    np.testing.assert_array_equal(init.uniform_(gg.empty(4), generator=g1).numpy(),
                                  init.uniform_(gg.empty(4), generator=g2).numpy())


def test_init_on_parameter_is_not_recorded():
    lin = nn.Linear(3, 3)
    init.xavier_uniform_(lin.weight)
    assert lin.weight.is_leaf and lin.weight.grad_fn is None and lin.weight.requires_grad
    v = lin.weight._version
    init.zeros_(lin.weight)
    assert lin.weight._version > v
