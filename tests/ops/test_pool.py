"""Pooling against PyTorch: max/avg pooling over a grid of options (ceil_mode edge cases, padding,
dilation, return_indices, count_include_pad, divisor_override), adaptive pooling, LP pooling and
max unpooling; gradcheck/gradgradcheck in float64; the lecture's example; error messages."""
import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F
from graphgrad.autograd import grad
from parity import check_grads, compare_with_torch, torch_or_skip

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-8, atol=1e-8)}

MAX_CASES = [  # (spatial size, kernel, stride, padding, dilation, ceil_mode)
    ((8, 8), 2, None, 0, 1, False),
    ((7, 9), 2, None, 0, 1, False),
    ((7, 9), 2, None, 0, 1, True),            # last window hangs past the input
    ((5, 5), 3, 2, 1, 1, True),               # ceil_mode window would start in right padding
    ((6, 6), 3, 2, 1, 1, True),
    ((9, 7), (3, 2), (2, 1), (1, 1), (2, 1), True),   # dilation with padding
    ((10, 11), 3, 1, 1, 2, False),
    ((4, 4), 4, 3, 2, 1, True),
    ((1, 1), 1, 1, 0, 1, False),
]


def _input(shape, dtype, seed=0, n=2, c=3):
    return np.random.default_rng(seed).standard_normal((n, c) + shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool2d_matches_torch(case, dtype):
    torch = torch_or_skip()
    size, k, s, p, d, ceil = case
    opts = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil, return_indices=True)
    out = compare_with_torch(lambda x: F.max_pool2d(x, **opts),
                             lambda x: torch.nn.functional.max_pool2d(x, **opts),
                             [_input(size, dtype)], **TOL[dtype])
    assert out[1].dtype == graphgrad.int64


@pytest.mark.parametrize("nd, size, opts", [
    (1, (11,), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (1, (10,), dict(kernel_size=2, dilation=3, return_indices=True)),
    (3, (5, 6, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True)),
    (3, (4, 4, 4), dict(kernel_size=2)),
])
def test_max_pool_1d_3d_matches_torch(nd, size, opts):
    torch = torch_or_skip()
    name = f"max_pool{nd}d"
    compare_with_torch(lambda x: getattr(F, name)(x, **opts),
                       lambda x: getattr(torch.nn.functional, name)(x, **opts),
                       [_input(size, np.float64)])


def test_max_pool_ties_go_to_the_first_maximum():
    torch = torch_or_skip()
    x = np.zeros((1, 2, 4, 6), np.float32)
    x[0, 1, :2, :2] = 1.0
    out = compare_with_torch(lambda t: F.max_pool2d(t, 2, 1, return_indices=True),
                             lambda t: torch.nn.functional.max_pool2d(t, 2, 1,
                                                                      return_indices=True), [x])
    assert out[1].numpy().min() == 0


def test_lecture_example_224_to_112():
    x = graphgrad.randn(1, 64, 224, 224)
    assert tuple(F.max_pool2d(x, 2, 2).shape) == (1, 64, 112, 112)


AVG_CASES = [  # (size, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    ((8, 8), 2, None, 0, False, True, None),
    ((7, 9), 3, 2, 1, False, True, None),
    ((7, 9), 3, 2, 1, True, True, None),
    ((7, 9), 3, 2, 1, True, False, None),
    ((6, 5), (3, 2), (2, 3), (1, 1), True, False, None),
    ((5, 5), 3, 2, 1, True, True, 4),
    ((5, 6), 2, 1, 1, False, False, None),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool2d_matches_torch(case, dtype):
    torch = torch_or_skip()
    size, k, s, p, ceil, cip, div = case
    opts = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip,
                divisor_override=div)
    compare_with_torch(lambda x: F.avg_pool2d(x, **opts),
                       lambda x: torch.nn.functional.avg_pool2d(x, **opts),
                       [_input(size, dtype)], **TOL[dtype])


def test_avg_pool_1d_3d_matches_torch():
    torch = torch_or_skip()
    tf = torch.nn.functional
    compare_with_torch(lambda x: F.avg_pool1d(x, 3, 2, 1, True, False),
                       lambda x: tf.avg_pool1d(x, 3, 2, 1, True, False), [_input((10,), np.float64)])
    compare_with_torch(lambda x: F.avg_pool3d(x, (2, 3, 2), 2, 1, True),
                       lambda x: tf.avg_pool3d(x, (2, 3, 2), 2, 1, True),
                       [_input((5, 6, 4), np.float64)])


@pytest.mark.parametrize("out", [(3, 5), 1, (4, 4), (9, 7), (2, None), (5, 3), (10, 9)])
def test_adaptive_pool2d_matches_torch(out):
    torch = torch_or_skip()
    tf = torch.nn.functional
    x = _input((9, 7), np.float64)
    compare_with_torch(lambda t: F.adaptive_avg_pool2d(t, out), lambda t: tf.adaptive_avg_pool2d(t, out),
                       [x])
    compare_with_torch(lambda t: F.adaptive_max_pool2d(t, out, True),
                       lambda t: tf.adaptive_max_pool2d(t, out, True), [x])


@pytest.mark.parametrize("out", [1, 3, 4, 11])
def test_adaptive_pool1d_matches_torch(out):
    torch = torch_or_skip()
    tf = torch.nn.functional
    x = _input((11,), np.float32)
    compare_with_torch(lambda t: F.adaptive_avg_pool1d(t, out), lambda t: tf.adaptive_avg_pool1d(t, out),
                       [x], **TOL[np.float32])
    compare_with_torch(lambda t: F.adaptive_max_pool1d(t, out), lambda t: tf.adaptive_max_pool1d(t, out),
                       [x], **TOL[np.float32])


def test_lp_pool_matches_torch():
    torch = torch_or_skip()
    tf = torch.nn.functional
    x = np.abs(_input((7, 8), np.float64)) + 0.1
    compare_with_torch(lambda t: F.lp_pool2d(t, 2, 3, 2), lambda t: tf.lp_pool2d(t, 2, 3, 2), [x])
    compare_with_torch(lambda t: F.lp_pool2d(t, 3, (2, 3), ceil_mode=True),
                       lambda t: tf.lp_pool2d(t, 3, (2, 3), ceil_mode=True), [x])
    compare_with_torch(lambda t: F.lp_pool1d(t, 1.5, 3), lambda t: tf.lp_pool1d(t, 1.5, 3),
                       [x[:, :, 0]])


@pytest.mark.parametrize("size, k, s, p, out", [((8, 6), 2, 2, 0, None), ((7, 7), 3, 2, 1, None),
                                                 ((9, 7), 2, 2, 0, (9, 7))])
def test_max_unpool2d_matches_torch(size, k, s, p, out):
    torch = torch_or_skip()
    tf = torch.nn.functional
    x = torch.tensor(_input(size, np.float64))
    y, idx = tf.max_pool2d(x, k, s, p, return_indices=True)
    gidx = graphgrad.tensor(idx.numpy())
    compare_with_torch(lambda t: F.max_unpool2d(t, gidx, k, s, p, out),
                       lambda t: tf.max_unpool2d(t, idx, k, s, p, out), [y.detach().numpy()])


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: F.max_pool2d(x, 2, 1, dilation=2),
    lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.avg_pool2d(x, 2, 1),
    lambda x: F.adaptive_max_pool2d(x, (3, 4)),
    lambda x: F.adaptive_avg_pool2d(x, (4, 3)),
    lambda x: F.lp_pool2d(x * x + 1, 2, 2),
    lambda x: F.max_pool1d(x.flatten(2), 3, 2, 1),
    lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
])
def test_gradcheck_and_gradgradcheck(fn):
    check_grads(fn, [np.random.default_rng(3).standard_normal((2, 2, 7, 6))])


def test_max_pool_array_fast_path_equals_recorded_backward():
    x = graphgrad.tensor(_input((7, 9), np.float64), requires_grad=True)
    for fn in (lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: F.avg_pool2d(t, 3, 2, 1, True, False)):
        y = fn(x)
        g = graphgrad.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)))
        (fast,) = grad(y, x, g, retain_graph=True)
        (rec,) = grad(y, x, g, create_graph=True)
        np.testing.assert_allclose(fast.numpy(), rec.detach().numpy(), rtol=1e-12)


def test_unbatched_input():
    torch = torch_or_skip()
    x = _input((6, 6), np.float64)[0]
    compare_with_torch(lambda t: F.max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2),
                       [x])


def test_errors_name_the_op_and_shapes():
    x = graphgrad.randn(1, 3, 4, 4)
    with pytest.raises(RuntimeError, match="max_pool2d: pad should be at most half of effective "
                                           "kernel size, but got pad=2, kernel_size=3"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match=r"max_pool2d: Given input size: \(3x1x1\). Calculated "
                                           r"output size: \(3x0x0\). Output size is too small"):
        F.max_pool2d(graphgrad.randn(1, 3, 1, 1), 2)
    with pytest.raises(RuntimeError, match=r"avg_pool2d: Expected 3D \(unbatched\) or 4D"):
        F.avg_pool2d(graphgrad.randn(4, 4), 2)
    with pytest.raises(RuntimeError, match="max_unpool2d: Expected shape of indices"):
        F.max_unpool2d(x, graphgrad.zeros(1, 3, 2, 2, dtype=graphgrad.int64), 2)
