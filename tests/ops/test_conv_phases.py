"""The phase-by-phase input gradient of a strided convolution (``ops/_conv_phases.py``): the array
function against PyTorch's transposed convolution over random geometry (strides above and below
the kernel, padding, output padding, phases no tap reaches), and through the ops that take it
(a DCGAN's 4x4 stride-2 layers) against PyTorch, with gradcheck."""
import numpy as np
import pytest

import graphgrad.nn.functional as F
from graphgrad.ops import _conv_phases as phases
from parity import check_grads, compare_with_torch, torch_or_skip


def _random_geometry(rng):
    while True:
        k = tuple(int(v) for v in rng.integers(1, 6, 2))
        s = (int(rng.integers(2, 4)), int(rng.integers(1, 4)))
        p = tuple(int(v) for v in rng.integers(0, 3, 2))
        op = tuple(int(rng.integers(0, si)) for si in s)
        hq, wq = (int(v) for v in rng.integers(1, 8, 2))
        size = ((hq - 1) * s[0] - 2 * p[0] + k[0] + op[0], (wq - 1) * s[1] - 2 * p[1] + k[1] + op[1])
        if min(size) > 0:
            return k, s, p, op, (hq, wq), size


@pytest.mark.parametrize("seed", range(40))
def test_input_grad_equals_torch_conv_transpose(seed):
    torch = torch_or_skip()
    rng = np.random.default_rng(seed)
    k, s, p, op, (hq, wq), size = _random_geometry(rng)
    n, o, c = int(rng.integers(1, 4)), 8 + int(rng.integers(0, 4)), int(rng.integers(1, 5))
    gy, w = rng.standard_normal((n, o, hq, wq)), rng.standard_normal((o, c) + k)
    bias = rng.standard_normal(c) if seed % 2 else None
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(gy), torch.tensor(w), None if bias is None else torch.tensor(bias), stride=s,
        padding=p, output_padding=op).numpy()
    got = phases.input_grad(gy, w, s, ((p[0], p[0]), (p[1], p[1])), size, bias)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_which_convolutions_take_the_path():
    two = (2, 2)
    assert phases.applies((2, 8, 7, 7), (8, 4, 4, 4), 1, two, (1, 1))
    assert phases.applies((2, 8, 7, 7), (8, 4, 6, 4), 1, (3, 2), (1, 1))
    assert not phases.applies((2, 8, 7, 7), (8, 4, 3, 3), 1, two, (1, 1))  # thin phases
    assert not phases.applies((2, 8, 7, 7), (8, 4, 2, 2), 1, two, (1, 1))  # one tap a phase
    assert not phases.applies((2, 4, 7, 7), (4, 4, 4, 4), 1, two, (1, 1))  # few channels
    assert not phases.applies((2, 8, 7, 7), (8, 4, 4, 4), 1, (1, 1), (1, 1))  # stride 1
    assert not phases.applies((2, 8, 7, 7), (8, 2, 4, 4), 2, two, (1, 1))  # groups
    assert not phases.applies((2, 8, 7, 7), (8, 4, 4, 4), 1, two, (2, 2))  # dilation


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dcgan_layers_match_torch(dtype):
    torch = torch_or_skip()
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else {}
    rng = np.random.default_rng(3)
    generator = [rng.standard_normal((3, 16, 7, 7)).astype(dtype),
                 rng.standard_normal((16, 8, 4, 4)).astype(dtype), rng.standard_normal(8).astype(dtype)]
    compare_with_torch(lambda *a: F.conv_transpose2d(*a, stride=2, padding=1),
                       lambda *a: torch.nn.functional.conv_transpose2d(*a, stride=2, padding=1),
                       generator, **tol)
    discriminator = [rng.standard_normal((3, 8, 14, 14)).astype(dtype),
                     rng.standard_normal((16, 8, 4, 4)).astype(dtype)]
    compare_with_torch(lambda *a: F.conv2d(*a, stride=2, padding=1),
                       lambda *a: torch.nn.functional.conv2d(*a, stride=2, padding=1),
                       discriminator, **tol)


def test_gradcheck_through_the_path():
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((1, 8, 3, 3)), rng.standard_normal((8, 2, 4, 4))]
    check_grads(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), arrays)
