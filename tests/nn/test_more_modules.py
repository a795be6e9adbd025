"""Pooling variants (adaptive max 3-D, LP 3-D, fractional max with PyTorch's random samples),
ChannelShuffle, pdist, CrossMapLRN2d, AdaptiveLogSoftmaxWithLoss and Container against PyTorch:
values, indices, input and parameter gradients; gradcheck; errors."""
import numpy as np
import pytest
from module_parity import compare_module
from parity import check_grads, compare_with_torch, torch_or_skip

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn

torch = torch_or_skip()
tnn = torch.nn
TF = torch.nn.functional


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("output_size", [2, (3, 2, 4), (None, 2, 3)])
def test_adaptive_max_pool3d(output_size):
    x = randn(2, 3, 5, 6, 7)
    out = compare_with_torch(lambda x: F.adaptive_max_pool3d(x, output_size, True),
                             lambda x: TF.adaptive_max_pool3d(x, output_size, True), [x])
    assert out[1].dtype == gg.int64
    compare_module(nn.AdaptiveMaxPool3d(output_size), tnn.AdaptiveMaxPool3d(output_size), [x])


def test_lp_pool3d_and_with_indices_names():
    x = np.abs(randn(2, 2, 4, 5, 6)) + 0.1
    compare_module(nn.LPPool3d(2, (2, 2, 3)), tnn.LPPool3d(2, (2, 2, 3)), [x])
    compare_module(nn.LPPool3d(1.5, 2, stride=1), tnn.LPPool3d(1.5, 2, stride=1), [x])
    for name, args in (("max_pool1d_with_indices", (2,)), ("max_pool2d_with_indices", (2,)),
                       ("adaptive_max_pool2d_with_indices", (3,))):
        x = randn(*((2, 3, 8) if "1d" in name else (2, 3, 6, 6)))
        compare_with_torch(lambda x: getattr(F, name)(x, *args),
                           lambda x: getattr(TF, name)(x, *args), [x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nd,kernel,kw", [
    (2, 3, {"output_size": (4, 5)}), (2, (2, 3), {"output_ratio": (0.5, 0.5)}),
    (2, 2, {"output_size": 6}), (3, (2, 3, 2), {"output_size": (3, 4, 5)}),
    (3, 2, {"output_ratio": (0.5, 0.6, 0.7)})])
def test_fractional_max_pool_matches_torch_with_the_same_samples(nd, kernel, kw, dtype):
    shape = (2, 3, 9, 10) if nd == 2 else (2, 2, 7, 9, 10)
    x = randn(*shape).astype(dtype)
    samples = np.random.default_rng(1).random((shape[0], shape[1], nd)).astype(dtype)
    name = f"fractional_max_pool{nd}d"

    def call(fn, framework):
        return lambda x: fn(x, kernel, return_indices=True,
                            _random_samples=framework.tensor(samples), **kw)

    compare_with_torch(call(getattr(F, name), gg), call(getattr(TF, name), torch), [x])
    cls = f"FractionalMaxPool{nd}d"
    g = getattr(nn, cls)(kernel, _random_samples=gg.tensor(samples), **kw)
    t = getattr(tnn, cls)(kernel, _random_samples=torch.tensor(samples), **kw)
    assert list(g.state_dict()) == list(t.state_dict())
    compare_module(g, t, [x], dtype=dtype)


def test_fractional_max_pool_random_windows_and_errors():
    gg.manual_seed(0)
    x = gg.randn(4, 8, 12, 12)
    a = F.fractional_max_pool2d(x, 2, output_size=5)
    b = F.fractional_max_pool2d(x, 2, output_size=5)
    assert tuple(a.shape) == (4, 8, 5, 5) and not np.array_equal(a.numpy(), b.numpy())
    unbatched = F.fractional_max_pool2d(x[0], 2, output_size=5)
    assert tuple(unbatched.shape) == (8, 5, 5)
    with pytest.raises(RuntimeError, match="pool height 5 too large relative to input height"):
        F.fractional_max_pool2d(x, 5, output_size=10)
    with pytest.raises(ValueError, match="requires specifying either an output size"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    check_grads(lambda x: F.fractional_max_pool2d(
        x, 2, output_size=3, _random_samples=gg.tensor(np.full((1, 2, 2), 0.3))),
        [randn(1, 2, 6, 6).astype(np.float64)])


def test_channel_shuffle_and_pdist():
    x = randn(2, 6, 3, 4)
    compare_module(nn.ChannelShuffle(3), tnn.ChannelShuffle(3), [x])
    assert repr(nn.ChannelShuffle(3)) == repr(tnn.ChannelShuffle(3))
    with pytest.raises(ValueError, match="must be divisible by groups"):
        F.channel_shuffle(gg.tensor(x), 4)
    rows = randn(5, 4)
    for p in (2.0, 1.0, 3.0):
        compare_with_torch(lambda r: F.pdist(r, p), lambda r: TF.pdist(r, p), [rows])
    check_grads(lambda r: F.pdist(r), [rows.astype(np.float64)])


@pytest.mark.parametrize("size,channels", [(3, 6), (5, 8), (2, 4), (4, 3)])
def test_cross_map_lrn2d_matches_torch(size, channels):
    g = nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    t = tnn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    assert repr(g) == repr(t)
    compare_module(g, t, [randn(2, channels, 3, 3)], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_matches_torch(head_bias):
    gg.manual_seed(0)
    g = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0, head_bias=head_bias)
    t = tnn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0, head_bias=head_bias)
    assert repr(g) == repr(t)
    x = randn(12, 16)
    target = np.array([0, 3, 4, 9, 10, 14, 15, 19, 1, 12, 5, 17])
    compare_module(g, t, [x, target])
    for method in ("log_prob", "predict"):
        compare_module(g, t, [x], call=lambda m, x: getattr(m, method)(x))
    compare_module(g, t, [x[0], target[0]])  # one sample, a 0-d target
    np.testing.assert_allclose(np.exp(g.log_prob(gg.tensor(x)).detach().numpy()).sum(1), 1,
                               rtol=1e-5)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 19\]"):
        g(gg.tensor(x), gg.tensor(np.full(12, 20)))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(16, 20, [10, 4])


def test_container_is_deprecated_but_works():
    with pytest.warns(UserWarning, match="nn.Container is deprecated"):
        c = nn.Container(fc=nn.Linear(2, 3))
    assert list(c.state_dict()) == ["fc.weight", "fc.bias"]
