"""nn.functional linear, dropout, one_hot, pad, normalize, cosine_similarity, pairwise_distance:
against PyTorch, gradcheck/gradgradcheck in float64, both backward paths, seeding and errors."""
import warnings

import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional


def _rng(seed=0):
    return np.random.default_rng(seed)


def _both_paths(fn, arrays):
    def run(create_graph):
        ts = [graphgrad.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*ts)
        w = graphgrad.tensor(_rng(7).standard_normal(out.shape))
        gs = graphgrad.autograd.grad((out * w).sum(), ts, create_graph=create_graph)
        return [g.detach().numpy() for g in gs]
    for a, b in zip(run(False), run(True)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


# ------------------------------------------------------------------------ linear
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape", [(6, 4), (4,), (2, 3, 4), (2, 1, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(x_shape, bias, dtype):
    rng = _rng(0)
    arrays = [rng.standard_normal(x_shape).astype(dtype), rng.standard_normal((5, 4)).astype(dtype)]
    if bias:
        arrays.append(rng.standard_normal(5).astype(dtype))
    compare_with_torch(F.linear, TF.linear, arrays)
    if dtype == np.float64:
        check_grads(F.linear, arrays)
        _both_paths(F.linear, arrays)


def test_linear_is_one_node():
    x = graphgrad.randn(3, 4, requires_grad=True)
    w = graphgrad.randn(2, 4, requires_grad=True)
    b = graphgrad.randn(2, requires_grad=True)
    out = F.linear(x, w, b)
    assert out.grad_fn.name() == "LinearBackward"
    assert [e[0].name() for e in out.grad_fn.next_functions] == ["AccumulateGrad"] * 3


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"linear: mat1 and mat2 shapes cannot be multiplied "
                                           r"\(64x784 and 10x512\).*\(64, 784\).*\(512, 10\)"):
        F.linear(graphgrad.randn(64, 784), graphgrad.randn(512, 10))
    with pytest.raises(RuntimeError, match=r"linear: bias of shape \(3,\) does not match"):
        F.linear(graphgrad.randn(2, 4), graphgrad.randn(5, 4), graphgrad.randn(3))
    with pytest.raises(RuntimeError, match="linear: expected input, weight and bias of the same "
                                           "dtype, got float64, float32"):
        F.linear(graphgrad.randn(2, 4, dtype=graphgrad.float64), graphgrad.randn(5, 4))


def test_bilinear():
    rng = _rng(0)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal((3, 2)),
              rng.standard_normal((5, 4, 2)), rng.standard_normal(5)]
    compare_with_torch(F.bilinear, TF.bilinear, arrays)


# ------------------------------------------------------------------------ dropout
def test_dropout_statistics_and_gradient():
    x = graphgrad.ones(200, 100, requires_grad=True)
    out = F.dropout(x, p=0.3)
    kept = out.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())
    assert out.dtype == graphgrad.float32


def test_dropout_is_seeded():
    graphgrad.manual_seed(123)
    a = F.dropout(graphgrad.ones(50)).numpy()
    graphgrad.manual_seed(123)
    b = F.dropout(graphgrad.ones(50)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, F.dropout(graphgrad.ones(50)).numpy())


def test_dropout_eval_edge_cases_and_inplace():
    x = graphgrad.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    y = x.clone()
    out = F.dropout(y, 0.5, inplace=True)
    assert out is y and ((y.numpy() == 0) | np.isclose(y.numpy(), 2 * x.numpy())).all()
    with pytest.raises(ValueError, match="dropout: dropout probability has to be between 0 and 1, "
                                         "but got 1.5"):
        F.dropout(x, 1.5)


def test_dropout_gradcheck():
    x = _rng(0).standard_normal((3, 4))

    def fn(t):
        graphgrad.manual_seed(5)  # the same mask on every call
        return F.dropout(t, 0.4)
    check_grads(fn, [x])


@pytest.mark.parametrize("fn,shape,spatial", [(F.dropout1d, (4, 3, 50), 1),
                                              (F.dropout2d, (4, 3, 6, 7), 2),
                                              (F.dropout3d, (4, 3, 2, 3, 4), 3),
                                              (F.dropout2d, (5, 6, 7), 1)])
def test_channel_dropout(fn, shape, spatial):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout2d on 3-D input warns, as PyTorch does
        out = fn(graphgrad.ones(*shape), p=0.5).numpy()
    channels = out.reshape(shape[: len(shape) - spatial] + (-1,))
    # every channel is all-zero or all-scaled, and both happen
    zero, kept = (channels == 0).all(-1), (channels == 2).all(-1)
    assert (zero | kept).all() and zero.any() and kept.any()


# ------------------------------------------------------------------------ one_hot
def test_one_hot():
    t = np.array([[0, 2], [1, 3]])
    for n in (-1, 5):
        a = F.one_hot(graphgrad.tensor(t), n)
        b = TF.one_hot(torch.tensor(t), n)
        assert a.dtype == graphgrad.int64 and a.shape == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(RuntimeError, match=r"one_hot: class values must be smaller than "
                                           r"num_classes \(3\), got 3"):
        F.one_hot(graphgrad.tensor(t), 3)
    with pytest.raises(RuntimeError, match="one_hot: class values must be non-negative, got -1"):
        F.one_hot(graphgrad.tensor([-1, 0]))
    with pytest.raises(TypeError, match="one_hot: expected an index tensor of dtype int64, got "
                                        "float32"):
        F.one_hot(graphgrad.tensor([1.0]))


# ------------------------------------------------------------------------ pad
PADS = [
    ("constant", (1, 2), (2, 3, 4)),
    ("constant", (1, 0, 2, 1), (2, 3, 4)),
    ("constant", (-1, 2, 0, -1), (2, 3, 4)),
    ("constant", (1, 1, 1, 1, 1, 1, 0, 1), (2, 3, 4, 2)),
    ("reflect", (2, 1), (2, 3, 4)),
    ("reflect", (1, 2, 2, 1), (1, 2, 3, 4)),
    ("reflect", (1, 1, 2, 0, 1, 2), (1, 2, 3, 4, 3)),
    ("replicate", (2, 3), (2, 3, 4)),
    ("replicate", (1, 2, 3, 0), (1, 2, 3, 4)),
    ("circular", (2, 1), (2, 3, 4)),
    ("circular", (1, 4, 3, 0), (1, 2, 3, 4)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,pad,shape", PADS)
def test_pad(mode, pad, shape, dtype):
    x = _rng(0).standard_normal(shape).astype(dtype)
    compare_with_torch(lambda t: F.pad(t, pad, mode=mode), lambda t: TF.pad(t, pad, mode=mode), [x])
    if dtype == np.float64:
        check_grads(lambda t: F.pad(t, pad, mode=mode), [x])
        _both_paths(lambda t: F.pad(t, pad, mode=mode), [x])


def test_pad_value_and_errors():
    x = _rng(0).standard_normal((2, 3))
    compare_with_torch(lambda t: F.pad(t, (1, 1), value=-2.5),
                       lambda t: TF.pad(t, (1, 1), value=-2.5), [x])
    t = graphgrad.tensor(x)
    with pytest.raises(ValueError, match="pad: padding length must be divisible by 2"):
        F.pad(t, (1, 2, 3))
    with pytest.raises(ValueError, match=r"pad: padding length too large"):
        F.pad(t, (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match=r"pad: padding size should be less than the "
                                           r"corresponding input dimension.*\(3, 0\)"):
        F.pad(t, (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="pad: unsupported mode 'wrap'"):
        F.pad(t, (1, 1), mode="wrap")


# ------------------------------------------------------------------------ norms, distances
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 1), (2.0, 0), (3.0, -1)])
def test_normalize(p, dim, dtype):
    x = _rng(0).standard_normal((4, 5)).astype(dtype)
    x[1] = 0.0  # a zero row: divided by eps, no nan
    compare_with_torch(lambda t: F.normalize(t, p=p, dim=dim),
                       lambda t: TF.normalize(t, p=p, dim=dim), [x])
    if dtype == np.float64:
        check_grads(lambda t: F.normalize(t, p=p, dim=dim), [x + 0.1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes,dim", [(((5, 4), (5, 4)), 1), (((5, 4), (1, 4)), 1),
                                        (((3, 4, 2), (3, 4, 2)), 0), (((6,), (6,)), 0)])
def test_cosine_similarity(shapes, dim, dtype):
    rng = _rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    compare_with_torch(lambda a, b: F.cosine_similarity(a, b, dim=dim),
                       lambda a, b: TF.cosine_similarity(a, b, dim=dim), arrays)
    if dtype == np.float64:
        check_grads(lambda a, b: F.cosine_similarity(a, b, dim=dim), arrays)
    assert np.allclose(graphgrad.cosine_similarity(graphgrad.tensor(arrays[0]),
                                                   graphgrad.tensor(arrays[1]), dim).numpy(),
                       torch.cosine_similarity(torch.tensor(arrays[0]), torch.tensor(arrays[1]),
                                               dim).numpy(), rtol=1e-5)


def test_cosine_similarity_zero_vector():
    a = np.zeros((2, 3))
    b = _rng(0).standard_normal((2, 3))
    compare_with_torch(F.cosine_similarity, TF.cosine_similarity, [a, b])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p,keepdim", [(2.0, False), (1.0, True), (3.0, False)])
@pytest.mark.parametrize("shapes", [((5, 4), (5, 4)), ((5, 4), (4,)), ((4,), (4,))])
def test_pairwise_distance(shapes, p, keepdim, dtype):
    rng = _rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    kw = dict(p=p, keepdim=keepdim)
    compare_with_torch(lambda a, b: F.pairwise_distance(a, b, **kw),
                       lambda a, b: TF.pairwise_distance(a, b, **kw), arrays)
    if dtype == np.float64:
        check_grads(lambda a, b: F.pairwise_distance(a, b, **kw), arrays)
