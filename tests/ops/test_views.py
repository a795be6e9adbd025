"""Shape views (graphgrad/ops/views.py): reshape/view/flatten/unflatten/transpose/permute/t/squeeze/
unsqueeze/expand/contiguous vs PyTorch, gradcheck, storage sharing and errors."""
import numpy as np
import pytest
from parity import check_grads, compare_with_torch

import graphgrad as gg

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64]


def _rand(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# (name, graphgrad/torch function on a tensor of shape (2, 3, 4)); both modules spell it the same.
OPS = {
    "reshape": lambda t: t.reshape(4, -1),
    "reshape tuple": lambda t: t.reshape((6, 4)),
    "reshape same": lambda t: t.reshape(2, 3, 4),
    "view": lambda t: t.view(-1),
    "view 3d": lambda t: t.view(3, 2, 4),
    "view_as": lambda t: t.view_as(t.sum(0)[None].expand(2, 3, 4)),
    "reshape_as": lambda t: t.reshape_as(t.reshape(4, 6)),
    "flatten": lambda t: t.flatten(),
    "flatten 1": lambda t: t.flatten(1),
    "flatten 0..1": lambda t: t.flatten(0, 1),
    "unflatten": lambda t: t.unflatten(2, (2, -1)),
    "transpose": lambda t: t.transpose(0, 2),
    "transpose negative": lambda t: t.transpose(-1, -2),
    "swapaxes": lambda t: t.swapaxes(0, 1),
    "permute": lambda t: t.permute(2, 0, 1),
    "permute tuple": lambda t: t.permute((1, 2, 0)),
    "mT": lambda t: t.mT,
    "t of a matrix": lambda t: t[0].t(),
    "T of a matrix": lambda t: t[0].T,
    "unsqueeze": lambda t: t.unsqueeze(1),
    "unsqueeze last": lambda t: t.unsqueeze(-1),
    "squeeze": lambda t: t.unsqueeze(0).unsqueeze(3).squeeze(),
    "squeeze dim": lambda t: t.unsqueeze(0).squeeze(0),
    "squeeze non-1 dim": lambda t: t.squeeze(1),
    "squeeze dims": lambda t: t[:, :1].unsqueeze(0).squeeze((0, 2)),
    "expand": lambda t: t[:, :1].expand(2, 5, 4),
    "expand new dims": lambda t: t.expand(3, 2, 3, 4),
    "expand -1": lambda t: t[:1].expand(-1, 3, 4),
    "expand_as": lambda t: t[:1].expand_as(t),
    "broadcast_to": lambda t: t[:, :, :1].broadcast_to((2, 3, 6)),
    "contiguous": lambda t: t.transpose(0, 1).contiguous(),
    "chain": lambda t: t.permute(1, 0, 2).reshape(3, 8).t().unsqueeze(0).flatten(0, 1),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(OPS))
def test_view_ops_match_torch(name, dtype):
    fn = OPS[name]
    compare_with_torch(fn, fn, [_rand(2, 3, 4, dtype=dtype)])


@pytest.mark.parametrize("name", ["reshape", "flatten 1", "unflatten", "permute", "expand",
                                  "expand new dims", "squeeze", "contiguous", "chain"])
def test_view_ops_gradcheck(name):
    check_grads(lambda t: OPS[name](t) * 2.0, [_rand(2, 3, 4)])


def test_top_level_functions_match_torch():
    x = _rand(2, 3, 4)
    for fn in ("reshape", "flatten", "squeeze", "t", "permute", "transpose", "unsqueeze",
               "unflatten", "swapaxes", "swapdims", "ravel", "broadcast_to"):
        assert hasattr(gg, fn), fn
    compare_with_torch(lambda t: gg.reshape(t, (4, 6)), lambda t: torch.reshape(t, (4, 6)), [x])
    compare_with_torch(lambda t: gg.permute(t, (2, 1, 0)), lambda t: torch.permute(t, (2, 1, 0)), [x])
    compare_with_torch(lambda t: gg.transpose(t, 0, 1), lambda t: torch.transpose(t, 0, 1), [x])
    compare_with_torch(lambda t: gg.unsqueeze(t, 0), lambda t: torch.unsqueeze(t, 0), [x])
    compare_with_torch(lambda t: gg.flatten(t, 1), lambda t: torch.flatten(t, 1), [x])
    compare_with_torch(lambda t: gg.ravel(t), lambda t: torch.ravel(t), [x])
    compare_with_torch(lambda t: gg.unflatten(t, 1, (3, 1)), lambda t: torch.unflatten(t, 1, (3, 1)), [x])


@pytest.mark.parametrize("shape", [(), (1,), (3,)])
def test_small_ranks_match_torch(shape):
    x = _rand(*shape)
    for fn in (lambda t: t.flatten(), lambda t: t.squeeze(), lambda t: t.unsqueeze(0),
               lambda t: t.reshape(-1), lambda t: t.t(), lambda t: t.view(())
               if t.numel() == 1 else t.view(-1), lambda t: t.expand(2, *t.shape)):
        compare_with_torch(fn, fn, [x])


def test_t_and_T_of_vectors_are_new_views_not_the_input():
    a = gg.zeros(3, requires_grad=True)
    for b in (a.t(), a.T, a.transpose(0, 0)):
        assert b is not a and not b.is_leaf
    s = gg.tensor(1.0, requires_grad=True)
    assert s.transpose(0, -1) is not s


def test_views_share_storage_and_version():
    x = gg.zeros(2, 6)
    for v in (x.view(3, 4), x.reshape(12), x.t(), x.unsqueeze(0), x.flatten(), x.permute(1, 0),
              x[None].squeeze(0), x.unflatten(1, (2, 3))):
        before = x._version
        v.add_(1.0)
        assert x._version == before + 1 == v._version
    np.testing.assert_array_equal(x.numpy(), np.full((2, 6), 8.0))


def test_reshape_of_non_contiguous_copies_and_view_refuses():
    x = gg.tensor(np.arange(6.0).reshape(2, 3))
    y = x.t().reshape(6)
    y.add_(1.0)
    assert x.numpy()[0, 0] == 0.0
    with pytest.raises(RuntimeError, match="view size is not compatible.*Use .reshape"):
        x.t().view(6)


def test_expand_is_read_only_unless_nothing_is_broadcast():
    x = gg.zeros(3, 1)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x.expand(3, 4).add_(1.0)
    x.expand(3, 1).add_(1.0)
    assert x.numpy().tolist() == [[1.0], [1.0], [1.0]]


def test_contiguous():
    x = gg.tensor(_rand(3, 4))
    assert x.contiguous() is x
    y = x.t()
    assert not y.is_contiguous() and y.contiguous().is_contiguous()
    np.testing.assert_array_equal(y.contiguous().numpy(), y.numpy())


def test_view_dtype_reinterprets_bytes_like_torch():
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    compare_with_torch(lambda t: t.view(gg.int32), lambda t: t.view(torch.int32), [x], grad=False)
    compare_with_torch(lambda t: t.view(gg.float64), lambda t: t.view(torch.float64), [x], grad=False)
    with pytest.raises(RuntimeError, match="view: self.size\\(-1\\) must be divisible by 2"):
        gg.zeros(2, 3).view(gg.float64)


def test_errors():
    x = gg.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"shape '\[5, -1\]' is invalid for input of size 24"):
        x.view(5, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match=r"shape '\[7\]' is invalid for input of size 24 "
                                           r"\(input shape \(2, 3, 4\)\)"):
        x.reshape(7)
    with pytest.raises(RuntimeError, match=r"number of dims don't match in permute \(got 2 dims"):
        x.permute(0, 1)
    with pytest.raises(RuntimeError, match="repeated dim"):
        x.permute(0, 1, 1)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-3, 2\], but got 3\)"):
        x.transpose(0, 3)
    with pytest.raises(RuntimeError, match=r"expanded size of the tensor \(3\) must match the "
                                           r"existing size \(2\) at non-singleton dimension 0"):
        gg.zeros(2, 3).expand(3, 3)
    with pytest.raises(RuntimeError, match="number of sizes provided \\(1\\) must be greater"):
        gg.zeros(2, 3).expand(3)
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        x.flatten(2, 0)
    with pytest.raises(RuntimeError, match="t: expects a tensor with <= 2 dimensions, but self is 3D"):
        x.t()
    with pytest.raises(IndexError, match="unsqueeze: Dimension out of range"):
        x.unsqueeze(4)
    with pytest.raises(RuntimeError, match="unflatten: shape '\\[5, -1\\]' is invalid"):
        x.unflatten(2, (5, -1))
