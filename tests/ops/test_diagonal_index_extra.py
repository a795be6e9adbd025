"""diagonal (a view), diag/diag_embed/diagflat/trace/fill_diagonal_/block_diag/tril_indices, and
select, Tensor.unfold, index_copy/index_put/masked_scatter/put/scatter_reduce, the *_scatter ops,
repeat_interleave and rot90, against PyTorch with gradients."""
import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()
rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5, 6))


@pytest.mark.parametrize("args", [(0, 0, 1), (1, 1, 2), (-1, 2, 0), (2, -1, -2), (-4, 0, 2)])
def test_diagonal_and_embed(args):
    compare_with_torch(lambda t: t.diagonal(*args), lambda t: t.diagonal(*args), [X])
    d = torch.tensor(X).diagonal(*args)
    v = rng.standard_normal(tuple(d.shape))
    nd = X.ndim
    offset, d1, d2 = args[0], args[1] % nd, args[2] % nd
    compare_with_torch(lambda t: graphgrad.diag_embed(t, offset, d1, d2),
                       lambda t: torch.diag_embed(t, offset, d1, d2), [v])
    check_grads(lambda t: t.diagonal(*args), [X[:2, :3, :3]] if args[0] > -4 else [X])


def test_diagonal_is_a_writable_view():
    x = graphgrad.zeros(3, 3)
    x.diagonal().fill_(5.0)
    np.testing.assert_array_equal(x.numpy(), 5 * np.eye(3, dtype=np.float32))


def test_diag_trace_fill_block():
    compare_with_torch(lambda t: graphgrad.diag(t, 1), lambda t: torch.diag(t, 1), [X[0, 0]])
    compare_with_torch(lambda t: t.diag(-2), lambda t: t.diag(-2), [X[0]])
    compare_with_torch(graphgrad.diagflat, torch.diagflat, [X[0, :2, :2]])
    compare_with_torch(graphgrad.trace, torch.trace, [X[0]])
    for shape, wrap in (((7, 3), True), ((7, 3), False), ((3, 5), False), ((3, 3, 3), False)):
        g, t = graphgrad.zeros(*shape), torch.zeros(*shape)
        g.fill_diagonal_(2.0, wrap)
        t.fill_diagonal_(2.0, wrap)
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    compare_with_torch(lambda a, b, c: graphgrad.block_diag(a, b, c),
                       lambda a, b, c: torch.block_diag(a, b, c), [X[0, :2, :3], X[1, 0], X[2, :3, :1]])
    for fn in ("tril_indices", "triu_indices"):
        for args in ((4, 3, 1), (3, 5, -1), (4, 4)):
            np.testing.assert_array_equal(getattr(graphgrad, fn)(*args).numpy(),
                                          getattr(torch, fn)(*args).numpy())


def test_select_unfold():
    compare_with_torch(lambda t: t.select(1, -2), lambda t: t.select(1, -2), [X])
    compare_with_torch(lambda t: graphgrad.select(t, 0, 3), lambda t: torch.select(t, 0, 3), [X])
    for args in ((2, 3, 2), (0, 2, 1), (1, 5, 3), (-1, 1, 4)):
        compare_with_torch(lambda t: t.unfold(*args), lambda t: t.unfold(*args), [X])
    check_grads(lambda t: t.unfold(1, 3, 1), [X[:2, :4, :2]])
    with pytest.raises(RuntimeError, match="step is 0"):
        graphgrad.tensor(X).unfold(0, 2, 0)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_copy_put_masked_scatter(accumulate):
    idx = np.array([3, 0])
    src = rng.standard_normal((4, 2, 6))
    compare_with_torch(lambda x, s: x.index_copy(1, graphgrad.tensor(idx), s),
                       lambda x, s: x.index_copy(1, torch.tensor(idx), s), [X, src])
    ii = (np.array([0, 1, 0]), np.array([2, 2, 2]))
    vals = rng.standard_normal((3, 6))
    compare_with_torch(
        lambda x, v: x.index_put(tuple(map(graphgrad.tensor, ii)), v, accumulate),
        lambda x, v: x.index_put(tuple(map(torch.tensor, ii)), v, accumulate), [X, vals])
    mask = rng.random(X.shape) > 0.5
    compare_with_torch(lambda x, s: x.masked_scatter(graphgrad.tensor(mask), s),
                       lambda x, s: x.masked_scatter(torch.tensor(mask), s), [X, rng.standard_normal(200)])
    flat = np.array([1, 7, 7])
    compare_with_torch(lambda x, s: x.put(graphgrad.tensor(flat), s, accumulate),
                       lambda x, s: x.put(torch.tensor(flat), s, accumulate),
                       [X, rng.standard_normal(3)], grad_inputs=[0, 1] if accumulate else [0])
    g, t = graphgrad.tensor(X.copy()), torch.tensor(X.copy())
    g.index_copy_(0, graphgrad.tensor([1]), graphgrad.ones(1, 5, 6, dtype=graphgrad.float64))
    t.index_copy_(0, torch.tensor([1]), torch.ones(1, 5, 6, dtype=torch.float64))
    np.testing.assert_array_equal(g.numpy(), t.numpy())


@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    index = rng.integers(0, 5, (4, 3, 6))
    src = rng.standard_normal((4, 3, 6))
    differentiable = reduce in ("sum", "mean")
    compare_with_torch(
        lambda x, s: x.scatter_reduce(1, graphgrad.tensor(index), s, reduce, include_self=include_self),
        lambda x, s: x.scatter_reduce(1, torch.tensor(index), s, reduce, include_self=include_self),
        [X, src], grad=differentiable)
    if not differentiable:
        with pytest.raises(RuntimeError, match="gradient of reduce"):
            graphgrad.tensor(X, requires_grad=True).scatter_reduce(
                1, graphgrad.tensor(index), graphgrad.tensor(src), reduce)


def test_scatter_family_repeat_rot90():
    compare_with_torch(lambda x, s: graphgrad.select_scatter(x, s, 1, 2),
                       lambda x, s: torch.select_scatter(x, s, 1, 2), [X, rng.standard_normal((4, 6))])
    compare_with_torch(lambda x, s: graphgrad.slice_scatter(x, s, 2, 1, 5, 2),
                       lambda x, s: torch.slice_scatter(x, s, 2, 1, 5, 2),
                       [X, rng.standard_normal((4, 5, 2))])
    compare_with_torch(lambda x, s: graphgrad.diagonal_scatter(x, s, 1, 1, 2),
                       lambda x, s: torch.diagonal_scatter(x, s, 1, 1, 2), [X, rng.standard_normal((4, 5))])
    counts = [1, 0, 2, 1, 3]
    compare_with_torch(lambda t: t.repeat_interleave(graphgrad.tensor(counts), dim=1),
                       lambda t: t.repeat_interleave(torch.tensor(counts), dim=1), [X])
    compare_with_torch(lambda t: t.repeat_interleave(2), lambda t: t.repeat_interleave(2), [X])
    np.testing.assert_array_equal(graphgrad.repeat_interleave(graphgrad.tensor([2, 1])).numpy(),
                                  torch.repeat_interleave(torch.tensor([2, 1])).numpy())
    for k in range(-1, 5):
        compare_with_torch(lambda t: t.rot90(k, (2, 0)), lambda t: t.rot90(k, (2, 0)), [X])
    pieces = graphgrad.tensor(X).split_with_sizes([1, 4], 1)
    assert [tuple(p.shape) for p in pieces] == [(4, 1, 6), (4, 4, 6)]
