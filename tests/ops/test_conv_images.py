"""The per-image path of convolution (``ops/_conv_images.py``: few input channels, or a transposed
convolution with few output channels): forward and gradients against PyTorch over 1-3 spatial dims,
strides, dilation, padding and bias, in batch chunks with the columns kept or rebuilt, gradcheck,
and the fast backward against the recorded one."""
import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F
from graphgrad.autograd import grad
from graphgrad.ops import _conv_images as images
from parity import check_grads, compare_with_torch, torch_or_skip

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-9)}

CASES = [  # x shape, w shape, options, bias
    ((3, 1, 28, 28), (8, 1, 3, 3), {}, True),  # an MNIST CNN's first layer
    ((2, 1, 28, 28), (6, 1, 4, 4), {"stride": 2, "padding": 1}, False),  # a DCGAN's first
    ((2, 3, 12, 12), (5, 3, 3, 3), {"padding": 1}, False),  # an RGB image, padded
    ((2, 2, 13, 11), (4, 2, 3, 2), {"stride": (2, 1), "dilation": (1, 2), "padding": (2, 0)}, True),
    ((2, 7, 10, 10), (3, 7, 3, 3), {"padding": "same"}, True),  # MAX_CHANNELS
    ((2, 1, 100), (4, 1, 5), {"stride": 1}, True),  # 1-d
    ((1, 2, 6, 6, 6), (3, 2, 2, 2, 2), {"dilation": 1}, False),  # 3-d, 125 positions
]


def _arrays(xs, ws, bias, dtype, seed=0, transposed=False):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)]
    if bias:
        arrays.append(rng.standard_normal(ws[1] if transposed else ws[0]).astype(dtype))
    return arrays


def _fns(nd, opts, transposed=False):
    torch = torch_or_skip()
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    gg, th = getattr(F, name), getattr(torch.nn.functional, name)
    return (lambda *a: gg(*a, **opts)), (lambda *a: th(*a, **opts))


def test_the_cases_take_the_per_image_path():
    for xs, ws, opts, _ in CASES:
        y = getattr(F, f"conv{len(xs) - 2}d")(graphgrad.zeros(*xs), graphgrad.zeros(*ws), **opts)
        assert images.applies(xs[1], 1, y.shape[2:]), (xs, ws, opts)
    assert not images.applies(8, 1, (10, 10)) and not images.applies(3, 1, (7, 9))
    assert not images.applies(2, 2, (10, 10))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_conv_matches_torch(case, dtype):
    xs, ws, opts, bias = case
    compare_with_torch(*_fns(len(xs) - 2, opts), _arrays(xs, ws, bias, dtype), **TOL[dtype])


TRANSPOSED = [  # x shape, w shape (in, out, *k), options, bias
    ((2, 16, 14, 14), (16, 1, 4, 4), {"stride": 2, "padding": 1}, False),  # a DCGAN's last layer
    ((2, 8, 9, 9), (8, 3, 3, 3), {"padding": 1, "output_padding": 0}, True),
    ((2, 4, 8, 9), (4, 2, 3, 2), {"stride": (2, 3), "dilation": (2, 1), "output_padding": (1, 2)},
     True),
    ((2, 5, 70), (5, 1, 4), {"stride": 3}, False),  # 1-d
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", TRANSPOSED)
def test_conv_transpose_with_few_outputs_matches_torch(case, dtype):
    xs, ws, opts, bias = case
    assert images.applies(ws[1], 1, xs[2:])
    arrays = _arrays(xs, ws, bias, dtype, transposed=True)
    compare_with_torch(*_fns(len(xs) - 2, opts, transposed=True), arrays, **TOL[dtype])


@pytest.mark.parametrize("keep", [True, False])
def test_chunks_and_kept_or_rebuilt_columns(monkeypatch, keep):
    monkeypatch.setattr(images, "CHUNK_BYTES", 2000)  # one image per chunk
    monkeypatch.setattr(images, "COL_CACHE_BYTES", 2 ** 30 if keep else 0)
    xs, ws, opts, bias = CASES[3]
    compare_with_torch(*_fns(2, opts), _arrays((5,) + xs[1:], ws, bias, np.float64, seed=2))
    xs, ws, opts, bias = TRANSPOSED[0]
    compare_with_torch(*_fns(2, opts, transposed=True), _arrays((5,) + xs[1:], ws, bias,
                                                               np.float64, seed=3, transposed=True))


def test_gradcheck_and_fast_path_equal_recorded_backward():
    arrays = _arrays((2, 2, 9, 9), (3, 2, 2, 2), True, np.float64, seed=4)
    check_grads(lambda x, w, b: F.conv2d(x, w, b, padding=1), arrays)
    x, w, b = (graphgrad.tensor(a, requires_grad=True) for a in arrays)
    y = F.conv2d(x, w, b, padding=1)
    g = graphgrad.tensor(np.random.default_rng(5).standard_normal(tuple(y.shape)))
    fast = grad(y, (x, w, b), g, retain_graph=True)
    recorded = grad(y, (x, w, b), g, create_graph=True)
    for a, r in zip(fast, recorded):
        np.testing.assert_allclose(a.numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-12)
