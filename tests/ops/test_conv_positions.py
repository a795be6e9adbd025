"""The position-major path of stride-1 conv2d (``ops/_conv_positions.py``): forward, input gradient
and weight gradient (from the kept columns and rebuilt) against PyTorch, in the shapes that take it
(at least 8 input channels, pads up to k - 1, small maps with O <= C for the input gradient) and the
ones next to them that do not, in batch chunks, and the recorded backward against the fast one."""
import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F
from graphgrad.autograd import grad
from graphgrad.ops import _conv_positions as positions
from parity import check_grads, compare_with_torch, torch_or_skip

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-9)}

CASES = [  # x shape, w shape, padding, bias
    ((2, 8, 9, 7), (5, 8, 3, 3), 1, False),  # O < C: input gradient position-major too
    ((3, 8, 8, 8), (8, 8, 2, 2), "same", True),  # asymmetric padding (0, 1)
    ((2, 10, 8, 9), (4, 10, 3, 2), (2, 1), False),  # pads of k - 1
    ((2, 8, 7, 7), (16, 8, 3, 3), 0, True),  # O > C: input gradient channel-major
    ((2, 9, 6, 6), (3, 9, 1, 1), 0, False),  # 1x1: channel-major
    ((2, 8, 7, 7), (4, 8, 5, 3), (2, 1), False),
    ((2, 8, 5, 5), (3, 8, 3, 3), 3, False),  # pad > k - 1: channel-major throughout
    ((2, 12, 17, 17), (6, 12, 3, 3), 1, True),  # map above SMALL_MAP: input gradient channel-major
    ((2, 4, 6, 6), (4, 4, 3, 3), 1, False),  # fewer than MIN_CHANNELS: channel-major
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_stride_one_conv2d_matches_torch(case, dtype):
    torch = torch_or_skip()
    xs, ws, padding, bias = case
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)]
    if bias:
        arrays.append(rng.standard_normal(ws[0]).astype(dtype))
    compare_with_torch(lambda *a: F.conv2d(*a, padding=padding),
                       lambda *a: torch.nn.functional.conv2d(*a, padding=padding), arrays,
                       **TOL[dtype])


STRIDED = [  # x shape, w shape, stride, padding: the forward runs here, the input gradient not
    ((2, 8, 14, 14), (6, 8, 4, 4), 2, 1),  # a DCGAN discriminator's layer
    ((2, 8, 9, 8), (5, 8, 3, 3), (2, 3), (1, 0)),  # a ResNet's down-sampling layer, odd sizes
    ((3, 9, 7, 7), (4, 9, 2, 3), (3, 1), (3, 2)),  # pads beyond k - 1
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", STRIDED)
def test_strided_conv2d_matches_torch(case, dtype):
    torch = torch_or_skip()
    xs, ws, stride, padding = case
    assert positions.forward_applies(xs, ws[2:], 1, np.broadcast_to(stride, 2), None, (1, 1))
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype),
              rng.standard_normal(ws[0]).astype(dtype)]
    compare_with_torch(lambda *a: F.conv2d(*a, stride=stride, padding=padding),
                       lambda *a: torch.nn.functional.conv2d(*a, stride=stride, padding=padding),
                       arrays, **TOL[dtype])


def test_strided_conv_transpose2d_shares_its_columns():
    """A transposed convolution's backward builds gz's columns once, for both of its gradients."""
    torch = torch_or_skip()
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal((2, 12, 7, 7)), rng.standard_normal((12, 8, 4, 4))]
    compare_with_torch(lambda *a: F.conv_transpose2d(*a, stride=2, padding=1),
                       lambda *a: torch.nn.functional.conv_transpose2d(*a, stride=2, padding=1),
                       arrays)


@pytest.mark.parametrize("cache", [True, False])
def test_batch_chunks_and_rebuilt_columns(monkeypatch, cache):
    torch = torch_or_skip()
    monkeypatch.setattr(positions, "CHUNK_BYTES", 3000)  # a few images per chunk
    monkeypatch.setattr(positions, "COL_CACHE_BYTES", 2 ** 30 if cache else 0)
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((7, 8, 6, 5)), rng.standard_normal((6, 8, 3, 3)),
              rng.standard_normal(6)]
    compare_with_torch(lambda *a: F.conv2d(*a, padding=1),
                       lambda *a: torch.nn.functional.conv2d(*a, padding=1), arrays)


def test_stride_one_conv_transpose2d_matches_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((2, 9, 6, 6)), rng.standard_normal((9, 8, 3, 3))]
    compare_with_torch(lambda *a: F.conv_transpose2d(*a, padding=1),
                       lambda *a: torch.nn.functional.conv_transpose2d(*a, padding=1), arrays)


def test_which_convolutions_take_the_path():
    one, pad1 = (1, 1), ((1, 1), (1, 1))
    assert positions.forward_applies((2, 8, 6, 6), (3, 3), 1, one, pad1, one)
    assert not positions.forward_applies((2, 3, 6, 6), (3, 3), 1, one, pad1, one)
    assert not positions.forward_applies((2, 8, 6, 6), (1, 1), 1, one, ((0, 0), (0, 0)), one)
    assert positions.forward_applies((2, 8, 6, 6), (3, 3), 1, (2, 2), pad1, one)  # strided
    assert positions.forward_applies((2, 8, 6, 6), (3, 3), 1, one, ((3, 3), (1, 1)), one)
    assert not positions.forward_applies((2, 8, 6, 6), (3, 3), 2, one, pad1, one)
    assert not positions.forward_applies((2, 8, 6, 6), (3, 3), 1, one, pad1, (2, 2))
    assert not positions.forward_applies((2, 8, 6), (3,), 1, (1,), ((1, 1),), (1,))
    assert positions.input_grad_applies((2, 8, 6, 6), (8, 8, 3, 3), 1, one, pad1, one, (6, 6))
    assert not positions.input_grad_applies((2, 16, 6, 6), (16, 8, 3, 3), 1, one, pad1, one,
                                            (6, 6))
    assert not positions.input_grad_applies((2, 8, 32, 32), (8, 8, 3, 3), 1, one, pad1, one,
                                            (32, 32))


def test_gradcheck_and_fast_path_equal_recorded_backward():
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal((2, 8, 5, 4)), rng.standard_normal((4, 8, 3, 2)),
              rng.standard_normal(4)]
    check_grads(lambda x, w, b: F.conv2d(x, w, b, padding=1), arrays)
    x, w, b = (graphgrad.tensor(a, requires_grad=True) for a in arrays)
    y = F.conv2d(x, w, b, padding=1)
    g = graphgrad.tensor(rng.standard_normal(tuple(y.shape)))
    fast = grad(y, (x, w, b), g, retain_graph=True)
    recorded = grad(y, (x, w, b), g, create_graph=True)
    for a, r in zip(fast, recorded):
        np.testing.assert_allclose(a.numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-12)
