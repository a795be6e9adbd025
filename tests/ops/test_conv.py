"""conv1d/2d/3d and conv_transpose1d/2d/3d: forward and gradients against PyTorch over a randomised
grid of shapes and options, float64 gradcheck/gradgradcheck, double backward (gradient penalty),
the array fast path against the recorded backward, the lecture's example, and error messages."""
import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")

import graphgrad
import graphgrad.nn.functional as F
from graphgrad.autograd import grad
from parity import check_grads, compare_with_torch, torch_or_skip

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-8, atol=1e-8)}


def _conv_cases(n_cases, seed):
    """Random (nd, shapes, options) covering odd sizes, strides, dilation with padding, groups
    with channel multipliers, 'same'/'valid', batch size 1."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n_cases:
        nd = int(rng.integers(1, 4))
        groups = int(rng.choice([1, 1, 2, 3]))
        cin = groups * int(rng.integers(1, 4))
        cout = groups * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        stride = tuple(int(v) for v in rng.integers(1, 3, nd))
        dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
        mode = rng.choice(["int", "tuple", "same", "valid"])
        if mode == "same":
            stride = (1,) * nd
            padding = "same"
        elif mode == "valid":
            padding = "valid"
        elif mode == "int":
            padding = int(rng.integers(0, 3))
        else:
            padding = tuple(int(v) for v in rng.integers(0, 3, nd))
        size = tuple(int(v) for v in rng.integers(3 if nd == 3 else 4, 8 if nd == 3 else 12, nd))
        pads = (0,) * nd if isinstance(padding, str) else (
            (padding,) * nd if isinstance(padding, int) else padding)
        if any(s + 2 * p < d * (kk - 1) + 1 for s, p, d, kk in zip(size, pads, dilation, k)):
            continue
        n = int(rng.choice([1, 2, 3]))
        cases.append((nd, n, cin, cout, k, size, stride, padding, dilation, groups,
                      bool(rng.integers(0, 2))))
    return cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", _conv_cases(24, 0))
def test_conv_matches_torch(case, dtype):
    torch = torch_or_skip()
    nd, n, cin, cout, k, size, stride, padding, dilation, groups, bias = case
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((n, cin) + size).astype(dtype),
              rng.standard_normal((cout, cin // groups) + k).astype(dtype)]
    if bias:
        arrays.append(rng.standard_normal(cout).astype(dtype))
    gg_fn = getattr(F, f"conv{nd}d")
    th_fn = getattr(torch.nn.functional, f"conv{nd}d")
    compare_with_torch(lambda *a: gg_fn(*a, stride=stride, padding=padding, dilation=dilation,
                                        groups=groups),
                       lambda *a: th_fn(*a, stride=stride, padding=padding, dilation=dilation,
                                        groups=groups),
                       arrays, **TOL[dtype])


def _transpose_cases(n_cases, seed):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n_cases:
        nd = int(rng.integers(1, 4))
        groups = int(rng.choice([1, 1, 2]))
        cin = groups * int(rng.integers(1, 4))
        cout = groups * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        stride = tuple(int(v) for v in rng.integers(1, 4, nd))
        dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
        padding = tuple(int(v) for v in rng.integers(0, 3, nd))
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        size = tuple(int(v) for v in rng.integers(2, 6, nd))
        out = [(i - 1) * s - 2 * p + d * (kk - 1) + q + 1 for i, s, p, d, kk, q
               in zip(size, stride, padding, dilation, k, output_padding)]
        if min(out) < 1:
            continue
        cases.append((nd, int(rng.choice([1, 2])), cin, cout, k, size, stride, padding,
                      output_padding, dilation, groups, bool(rng.integers(0, 2))))
    return cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", _transpose_cases(16, 1))
def test_conv_transpose_matches_torch(case, dtype):
    torch = torch_or_skip()
    nd, n, cin, cout, k, size, stride, padding, output_padding, dilation, groups, bias = case
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((n, cin) + size).astype(dtype),
              rng.standard_normal((cin, cout // groups) + k).astype(dtype)]
    if bias:
        arrays.append(rng.standard_normal(cout).astype(dtype))
    opts = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                dilation=dilation)
    gg_fn = getattr(F, f"conv_transpose{nd}d")
    th_fn = getattr(torch.nn.functional, f"conv_transpose{nd}d")
    compare_with_torch(lambda *a: gg_fn(*a, **opts), lambda *a: th_fn(*a, **opts), arrays,
                       **TOL[dtype])


@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_conv_matches_torch(multiplier):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    c = 6
    arrays = [rng.standard_normal((2, c, 9, 7)).astype(np.float32),
              rng.standard_normal((c * multiplier, 1, 3, 3)).astype(np.float32),
              rng.standard_normal(c * multiplier).astype(np.float32)]
    compare_with_torch(lambda x, w, b: F.conv2d(x, w, b, 2, 1, 1, c),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, 2, 1, 1, c), arrays,
                       **TOL[np.float32])


def test_large_grouped_conv_uses_matmul_and_matches_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((2, 32, 6, 6)).astype(np.float32),
              rng.standard_normal((32, 16, 3, 3)).astype(np.float32)]
    compare_with_torch(lambda x, w: F.conv2d(x, w, groups=2, padding=1),
                       lambda x, w: torch.nn.functional.conv2d(x, w, groups=2, padding=1),
                       arrays, **TOL[np.float32])


def test_unbatched_input():
    torch = torch_or_skip()
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((3, 7, 6)), rng.standard_normal((4, 3, 2, 3))]
    compare_with_torch(lambda x, w: F.conv2d(x, w, padding=1),
                       lambda x, w: torch.nn.functional.conv2d(x, w, padding=1), arrays)
    arrays = [rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 2, 2, 3))]
    compare_with_torch(lambda x, w: F.conv_transpose2d(x, w, stride=2),
                       lambda x, w: torch.nn.functional.conv_transpose2d(x, w, stride=2), arrays)


@pytest.mark.parametrize("fn, x_shape, w_shape, opts", [
    (F.conv1d, (2, 2, 7), (3, 2, 3), dict(stride=2, padding=1)),
    (F.conv2d, (2, 4, 5, 4), (4, 2, 3, 2), dict(stride=(2, 1), padding=1, dilation=(1, 2),
                                               groups=2)),
    (F.conv2d, (1, 2, 4, 4), (2, 2, 2, 2), dict(padding="same", dilation=2)),
    (F.conv3d, (1, 2, 4, 3, 4), (2, 1, 2, 2, 2), dict(padding=1, groups=2)),
    (F.conv_transpose1d, (2, 2, 4), (2, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    (F.conv_transpose2d, (1, 4, 3, 3), (4, 1, 2, 3), dict(stride=(2, 3), groups=2, dilation=2,
                                                          output_padding=1)),
    (F.conv_transpose3d, (1, 2, 2, 3, 2), (2, 2, 2, 2, 2), dict(stride=2, padding=1)),
])
def test_gradcheck_and_gradgradcheck(fn, x_shape, w_shape, opts):
    rng = np.random.default_rng(6)
    c_out = w_shape[0] if fn.__name__.startswith("conv") and "transpose" not in fn.__name__ else \
        w_shape[1] * opts.get("groups", 1)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
              rng.standard_normal(c_out)]
    check_grads(lambda x, w, b: fn(x, w, b, **opts), arrays)


@pytest.mark.parametrize("transpose", [False, True])
def test_array_fast_path_equals_recorded_backward(transpose):
    rng = np.random.default_rng(7)
    x = graphgrad.tensor(rng.standard_normal((2, 4, 7, 6)), requires_grad=True)
    w = graphgrad.tensor(rng.standard_normal((4, 2, 3, 3)), requires_grad=True)
    b = graphgrad.tensor(rng.standard_normal(4), requires_grad=True)
    fn = F.conv_transpose2d if transpose else F.conv2d
    y = fn(x, w, b, stride=2, padding=1, groups=2)
    g = graphgrad.tensor(rng.standard_normal(tuple(y.shape)))
    fast = grad(y, (x, w, b), g, retain_graph=True)
    recorded = grad(y, (x, w, b), g, create_graph=True)
    for a, r in zip(fast, recorded):
        np.testing.assert_allclose(a.numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_gradient_penalty_double_backward_matches_torch():
    """A WGAN-GP style penalty through a conv discriminator: d/dw of ||d D(x) / dx||^2."""
    torch = torch_or_skip()
    rng = np.random.default_rng(8)
    x_np = rng.standard_normal((2, 3, 8, 8))
    w1_np, w2_np = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((1, 4, 4, 4))
    wt_np = rng.standard_normal((3, 3, 2, 2))

    def run(lib, f, x, w1, w2, wt):
        h = f.conv_transpose2d(x, wt, stride=1)
        h = f.conv2d(h, w1, stride=2, padding=1).tanh()
        out = f.conv2d(h, w2).sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        return (gx * gx).sum()

    gg = [graphgrad.tensor(a, requires_grad=True) for a in (x_np, w1_np, w2_np, wt_np)]
    th = [torch.tensor(a, requires_grad=True) for a in (x_np, w1_np, w2_np, wt_np)]
    pg = run(graphgrad, F, *gg)
    pt = run(torch, torch.nn.functional, *th)
    np.testing.assert_allclose(pg.item(), pt.item(), rtol=1e-10)
    pg.backward()
    pt.backward()
    for a, b in zip(gg[1:], th[1:]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nd, k, stride, bias", [(1, (5,), 1, True), (2, (7, 7), 1, False),
                                                 (2, (3, 4), 2, True), (3, (2, 3, 2), 1, True)])
def test_kernel_covering_the_input_is_a_matrix_product_that_matches_torch(nd, k, stride, bias, dtype):
    """A DCGAN's last convolution (7x7 kernel on a 7x7 map) and, transposed, its first layer (a 1x1
    latent to 7x7): the matrix-product path, forward and gradients, float32 and float64."""
    torch = torch_or_skip()
    rng = np.random.default_rng(11)
    conv = [rng.standard_normal((3, 4) + k).astype(dtype), rng.standard_normal((5, 4) + k).astype(dtype)]
    transposed = [rng.standard_normal((3, 5) + (1,) * nd).astype(dtype),
                  rng.standard_normal((5, 4) + k).astype(dtype)]
    if bias:
        conv.append(rng.standard_normal(5).astype(dtype))
        transposed.append(rng.standard_normal(4).astype(dtype))
    compare_with_torch(lambda *a: getattr(F, f"conv{nd}d")(*a, stride=stride),
                       lambda *a: getattr(torch.nn.functional, f"conv{nd}d")(*a, stride=stride),
                       conv, **TOL[dtype])
    compare_with_torch(lambda *a: getattr(F, f"conv_transpose{nd}d")(*a, stride=stride),
                       lambda *a: getattr(torch.nn.functional, f"conv_transpose{nd}d")(*a, stride=stride),
                       transposed, **TOL[dtype])


@pytest.mark.parametrize("transpose", [False, True])
def test_kernel_covering_the_input_gradcheck_and_fast_path(transpose):
    rng = np.random.default_rng(12)
    x_shape = (2, 3, 1, 1) if transpose else (2, 3, 4, 3)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((3, 2, 4, 3)), rng.standard_normal(2)]
    fn = F.conv_transpose2d if transpose else lambda x, w, b: F.conv2d(x, w.transpose(0, 1), b)
    check_grads(fn, arrays)
    x, w, b = (graphgrad.tensor(a, requires_grad=True) for a in arrays)
    y = fn(x, w, b)
    g = graphgrad.tensor(rng.standard_normal(tuple(y.shape)))
    fast = grad(y, (x, w, b), g, retain_graph=True)
    recorded = grad(y, (x, w, b), g, create_graph=True)
    for a, r in zip(fast, recorded):
        np.testing.assert_allclose(a.numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("groups", [1, 2])
def test_batch_chunks_give_the_same_results(monkeypatch, cache, groups):
    """Column matrices built and multiplied a few images at a time (``_conv_arrays.CHUNK_BYTES``),
    with the forward's columns kept for the weight gradient or rebuilt chunk by chunk."""
    from graphgrad.ops import _conv_arrays

    torch = torch_or_skip()
    monkeypatch.setattr(_conv_arrays, "CHUNK_BYTES", 1500)  # 1 to 3 images per chunk
    monkeypatch.setattr(_conv_arrays, "COL_CACHE_BYTES", 2 ** 30 if cache else 0)
    rng = np.random.default_rng(13)
    conv = [rng.standard_normal((7, 4, 6, 5)), rng.standard_normal((6, 4 // groups, 3, 2)),
            rng.standard_normal(6)]
    compare_with_torch(lambda *a: F.conv2d(*a, stride=(1, 2), padding=1, groups=groups),
                       lambda *a: torch.nn.functional.conv2d(*a, stride=(1, 2), padding=1,
                                                             groups=groups), conv)
    transposed = [rng.standard_normal((7, 4, 3, 4)), rng.standard_normal((4, 6 // groups, 4, 3)),
                  rng.standard_normal(6)]
    compare_with_torch(lambda *a: F.conv_transpose2d(*a, stride=2, padding=1, groups=groups),
                       lambda *a: torch.nn.functional.conv_transpose2d(*a, stride=2, padding=1,
                                                                       groups=groups), transposed)


def test_lecture_example_1d_conv_output_size():
    """W=5, F=3, S=2, P=1: (5 - 3 + 2)/2 + 1 = 3 outputs."""
    x = graphgrad.tensor([[[0.0, 1.0, 2.0, -1.0, 1.0]]])
    w = graphgrad.tensor([[[1.0, 0.0, -1.0]]])
    y = F.conv1d(x, w, graphgrad.tensor([1.0]), stride=2, padding=1)
    assert tuple(y.shape) == (1, 1, 3)
    np.testing.assert_allclose(y.numpy(), [[[0.0, 3.0, 0.0]]])


def test_errors_name_the_op_and_shapes():
    x = graphgrad.randn(8, 1, 28, 28)
    with pytest.raises(RuntimeError, match=r"conv2d.*\[8, 1, 28, 28\] to have 3 channels, but "
                                           r"got 1 channels"):
        F.conv2d(x, graphgrad.randn(16, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv2d: Calculated padded input size per channel: "
                                           r"\(2 x 2\). Kernel size: \(3 x 3\)"):
        F.conv2d(graphgrad.randn(1, 1, 2, 2), graphgrad.randn(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv2d: Given groups=2, expected weight to be "
                                           r"divisible by 2 at dimension 0.*\[3, 2, 3, 3\]"):
        F.conv2d(graphgrad.randn(1, 4, 5, 5), graphgrad.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"conv2d: Given groups=2, weight of size \[4, 2, 3, 3\]"
                                           r", expected input\[1, 3, 5, 5\] to have 4 channels"):
        F.conv2d(graphgrad.randn(1, 3, 5, 5), graphgrad.randn(4, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"conv1d: Expected 2D \(unbatched\) or 3D"):
        F.conv1d(graphgrad.randn(1, 1, 2, 5), graphgrad.randn(1, 1, 3))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv2d(x, graphgrad.randn(2, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="same dtype"):
        F.conv2d(x.double(), graphgrad.randn(2, 1, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: Given transposed=1, weight of size "
                                           r"\[2, 4, 3, 3\], expected input\[8, 1, 28, 28\]"):
        F.conv_transpose2d(x, graphgrad.randn(2, 4, 3, 3))
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or "
                                           "dilation"):
        F.conv_transpose2d(x, graphgrad.randn(1, 4, 3, 3), stride=2, output_padding=2)


EMPTY = [  # (x shape, w shape, options) covering each path: per image, position-major (stride 1
    # and 2), channel-major (dilation, groups), a kernel covering its input
    ((0, 1, 28, 28), (8, 1, 3, 3), {}),
    ((0, 8, 14, 14), (16, 8, 4, 4), {"stride": 2, "padding": 1}),
    ((0, 8, 6, 6), (4, 8, 3, 3), {"padding": 1}),
    ((0, 8, 6, 6), (4, 8, 3, 3), {"padding": 1, "dilation": 2}),
    ((0, 4, 6, 6), (4, 2, 3, 3), {"groups": 2}),
    ((0, 8, 7, 7), (1, 8, 7, 7), {}),
]


@pytest.mark.parametrize("case", EMPTY)
@pytest.mark.parametrize("transposed", [False, True])
def test_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients(case, transposed):
    """PyTorch accepts a batch of 0; every convolution path must too (it divided by zero)."""
    torch = torch_or_skip()
    xs, ws, opts = case
    if transposed:  # the same geometry read as a transposed convolution
        opts = {k: v for k, v in opts.items() if k != "dilation"}
        xs = (0, ws[0]) + xs[2:]
    name = "conv_transpose2d" if transposed else "conv2d"
    x = graphgrad.zeros(*xs, requires_grad=True)
    w = graphgrad.randn(*ws, requires_grad=True)
    y = getattr(F, name)(x, w, **opts)
    y.sum().backward()
    expected = getattr(torch.nn.functional, name)(torch.zeros(*xs), torch.zeros(*ws), **opts)
    assert tuple(y.shape) == tuple(expected.shape)
    assert tuple(x.grad.shape) == xs and not w.grad.numpy().any()
