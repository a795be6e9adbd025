"""The everyday Tensor/torch.* surface a port needs: format specs, range/list indexing, new_*,
legacy constructors (Tensor(2, 3), LongTensor), device queries, in-place random fills and shape
changes, finfo/iinfo, printing options, the random state."""
import io
import warnings

import numpy as np
import pytest

import graphgrad
from parity import torch_or_skip

torch = torch_or_skip()


def test_format_spec_on_scalars_and_pytorch_error_on_others():
    loss = graphgrad.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" and f"{graphgrad.tensor(7):3d}" == "  7"
    assert "{:+.2f}".format(graphgrad.tensor([1.5])[0]) == "+1.50"
    assert format(graphgrad.tensor([1.0, 2.0])) == str(graphgrad.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{graphgrad.tensor([1.0, 2.0]):.2f}"
    with pytest.raises(TypeError):
        f"{torch.tensor([1.0, 2.0]):.2f}"


def test_range_and_list_indexing():
    x = np.arange(12.0).reshape(4, 3)
    g, t = graphgrad.tensor(x), torch.tensor(x)
    y = [0, 2, 1, 0]
    for index in ([0, 2], (range(4), y), (range(3), torch.tensor([0, 1, 2])), range(2)):
        gi = tuple(graphgrad.tensor(i.numpy()) if isinstance(i, torch.Tensor) else i
                   for i in index) if isinstance(index, tuple) else index
        np.testing.assert_array_equal(g[gi].numpy(), t[index].numpy())
    logits = graphgrad.randn(4, 3, requires_grad=True)
    logits[range(4), y].sum().backward()  # the NLL idiom
    assert logits.grad.sum().item() == 4


def test_new_constructors_on_tensors_and_parameters():
    p = graphgrad.nn.Parameter(graphgrad.randn(3, dtype=graphgrad.float64))
    z = p.new_zeros(2, 3)
    assert tuple(z.shape) == (2, 3) and z.dtype == graphgrad.float64 and not z.requires_grad
    assert p.new_zeros((4,)).shape == (4,) and p.new_ones(2, dtype=graphgrad.int64).tolist() == [1, 1]
    assert p.new_full((2,), 7.0).tolist() == [7.0, 7.0] and p.new_empty(5).shape == (5,)
    t = p.new_tensor([1, 2])
    assert t.dtype == graphgrad.float64 and t.tolist() == [1.0, 2.0]
    assert p.new_zeros(2, requires_grad=True).requires_grad


def test_legacy_constructors():
    assert graphgrad.Tensor(2, 3).shape == (2, 3) and graphgrad.Tensor(2, 3).dtype == graphgrad.float32
    assert graphgrad.Tensor([1, 2]).dtype == graphgrad.float32
    assert graphgrad.Tensor().shape == (0,)
    assert graphgrad.Tensor(graphgrad.Size([2, 2])).shape == (2, 2)
    x = graphgrad.LongTensor([1, 2])
    assert x.dtype == graphgrad.int64 and isinstance(x, graphgrad.LongTensor)
    assert not isinstance(x, graphgrad.FloatTensor)
    assert graphgrad.FloatTensor(2, 3).shape == (2, 3)
    assert graphgrad.ByteTensor([1, 2]).dtype == graphgrad.uint8
    assert graphgrad.BoolTensor([1, 0]).tolist() == [True, False]
    assert x.type(graphgrad.FloatTensor).dtype == graphgrad.float32
    assert x.type("torch.DoubleTensor").dtype == graphgrad.float64
    assert x.type() == "graphgrad.LongTensor"


def test_device_queries():
    x = graphgrad.ones(2)
    assert x.is_cpu and not x.is_cuda and not x.is_xpu and not x.is_mps and not x.is_sparse
    assert x.get_device() == -1 and x.nbytes == 8 and x.itemsize == 4
    assert not x.is_complex() and x.is_signed() and x.conj() is x and x.real is x
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        x.imag


def test_random_fills_are_seeded_and_follow_pytorch_rules():
    graphgrad.manual_seed(0)
    x = graphgrad.empty(20000)
    assert abs(x.normal_(2, 3).mean().item() - 2) < 0.1 and abs(x.std().item() - 3) < 0.1
    assert x.uniform_(-1, 3).min().item() >= -1 and x.max().item() < 3
    assert abs(x.bernoulli_(0.3).mean().item() - 0.3) < 0.02
    assert abs(x.exponential_(2).mean().item() - 0.5) < 0.02
    assert abs(x.geometric_(0.25).mean().item() - 4) < 0.15
    assert abs(x.log_normal_(0, 0.5).mean().item() - np.exp(0.125)) < 0.03
    assert abs(x.cauchy_().median().item()) < 0.05
    ints = graphgrad.empty(1000, dtype=graphgrad.int64).random_(5, 8)
    assert set(ints.tolist()) == {5, 6, 7}
    assert set(graphgrad.empty(1000).random_(3).tolist()) == {0.0, 1.0, 2.0}
    graphgrad.manual_seed(1)
    a = graphgrad.empty(3).normal_()
    graphgrad.manual_seed(1)
    assert graphgrad.empty(3).normal_().tolist() == a.tolist()
    w = graphgrad.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.normal_()
    with graphgrad.no_grad():
        w.uniform_(0, 1)
    assert graphgrad.tensor([0.0, 1.0]).bernoulli().tolist() == [0.0, 1.0]
    assert graphgrad.poisson(graphgrad.tensor([0.0, 0.0])).tolist() == [0.0, 0.0]


def test_inplace_shape_changes():
    y = graphgrad.randn(2, 3)
    assert y.t_() is y and y.shape == (3, 2)
    y.unsqueeze_(0)
    assert y.shape == (1, 3, 2)
    y.squeeze_()
    y.transpose_(0, 1)
    assert y.shape == (2, 3)
    z = graphgrad.arange(6)
    z.resize_(2, 2)
    assert z.tolist() == [[0, 1], [2, 3]]
    assert graphgrad.randn(2, 3, 4).sum_to_size(3, 1).shape == (3, 1)
    with pytest.raises(RuntimeError, match="t_: changing a tensor that requires grad"):
        graphgrad.randn(2, 2, requires_grad=True).t_()


def test_runtime_queries():
    assert graphgrad.finfo(graphgrad.float32).eps == torch.finfo(torch.float32).eps
    assert graphgrad.finfo().max == torch.finfo().max
    assert graphgrad.finfo(graphgrad.float16).tiny == torch.finfo(torch.float16).tiny
    assert graphgrad.iinfo(graphgrad.int64).max == torch.iinfo(torch.int64).max
    assert graphgrad.pi == np.pi and graphgrad.inf == np.inf and np.isnan(graphgrad.nan)
    state = graphgrad.get_rng_state()
    a = graphgrad.rand(3)
    graphgrad.set_rng_state(state)
    assert graphgrad.rand(3).tolist() == a.tolist()
    assert graphgrad.is_floating_point(a) and not graphgrad.is_complex(a)
    assert graphgrad.scalar_tensor(2).dtype == graphgrad.float32
    assert graphgrad.get_default_device() == "cpu"
    with pytest.raises(RuntimeError, match="CPU"):
        graphgrad.set_default_device("cuda")


def test_set_printoptions():
    x = graphgrad.tensor([1.123456, 2.5])
    try:
        graphgrad.set_printoptions(precision=2)
        assert repr(x) == "tensor([1.12, 2.50])"
        graphgrad.set_printoptions(sci_mode=True)
        assert "e+00" in repr(x)
    finally:
        graphgrad.set_printoptions(profile="default")
    assert repr(x) == "tensor([1.1235, 2.5000])"
    assert "e+" not in repr(graphgrad.arange(2000.0))  # whole numbers never switch to sci mode


def test_dropout2d_accepts_what_pytorch_accepts():
    F = graphgrad.nn.functional
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        out = F.dropout2d(graphgrad.ones(50, 40), 0.5)
    values = set(np.unique(out.numpy()).tolist())
    assert values == {0.0, 2.0}  # elementwise, as PyTorch's feature dropout on (N, C)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        out = F.dropout2d(graphgrad.ones(30, 8, 5), 0.5)
    assert np.all(out.numpy().std(axis=2) == 0)  # whole (n, c) rows dropped together
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="at least 2 dimensions"):
            F.dropout2d(graphgrad.ones(5))
    assert graphgrad.nn.Dropout2d()(graphgrad.ones(2, 3, 4, 4)).shape == (2, 3, 4, 4)


def test_save_of_numpy_array_through_file_object():
    buf = io.BytesIO()
    graphgrad.save(np.arange(3.0), buf)
    buf.seek(0)
    np.testing.assert_array_equal(graphgrad.load(buf), np.arange(3.0))


@pytest.mark.parametrize("name", ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "logical_and_",
                                  "logical_or_", "logical_xor_", "divide_", "multiply_",
                                  "subtract_", "remainder_", "floor_divide_", "true_divide_"])
def test_inplace_forms_match_torch(name):
    a = np.array([[1.0, 2.0, -3.0], [0.5, 2.0, 4.0]])
    b = np.array([[1.0, 1.0, 3.0], [2.0, 2.0, -1.0]])
    g, t = graphgrad.tensor(a.copy()), torch.tensor(a.copy())
    assert getattr(g, name)(graphgrad.tensor(b)) is g
    getattr(t, name)(torch.tensor(b))
    np.testing.assert_allclose(g.numpy(), t.numpy())


def test_more_method_forms():
    x = np.array([[3, 1, 3, 2, 1, 1, 3], [5, 5, 2, 2, 7, 7, 0]])
    for keepdim in (False, True):
        got, want = graphgrad.mode(graphgrad.tensor(x), 1, keepdim), torch.mode(torch.tensor(x), 1,
                                                                                  keepdim)
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    ints = graphgrad.tensor([1, 2, 8])
    assert ints.bitwise_left_shift(2).tolist() == [4, 8, 32]
    assert ints.bitwise_right_shift_(1).tolist() == [0, 1, 4]
    assert graphgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).triu_().tolist() == [[1.0, 2.0], [0.0, 4.0]]
    assert graphgrad.ger(graphgrad.ones(2), graphgrad.ones(3)).shape == (2, 3)
    assert graphgrad.ones(2).new(3).shape == (3,) and graphgrad.ones(2).new([1, 2]).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="float_power_"):
        graphgrad.ones(2).float_power_(2)
    assert graphgrad.randn(3, requires_grad=True).exp().output_nr == 0


def test_testing_helpers_and_version():
    graphgrad.testing.assert_close(graphgrad.ones(2), graphgrad.ones(2) + 1e-7)
    graphgrad.testing.assert_close({"a": [graphgrad.ones(1)]}, {"a": [graphgrad.ones(1)]})
    with pytest.raises(AssertionError, match="Tensor-likes are not close"):
        graphgrad.testing.assert_close(graphgrad.ones(2), graphgrad.ones(2) * 1.1)
    with pytest.raises(AssertionError, match="dtype"):
        graphgrad.testing.assert_close(graphgrad.ones(2), graphgrad.ones(2, dtype=graphgrad.float64))
    graphgrad.testing.assert_allclose(graphgrad.tensor([np.nan]), graphgrad.tensor([np.nan]))
    assert graphgrad.version.cuda is None and graphgrad.__version__ == graphgrad.version.__version__
