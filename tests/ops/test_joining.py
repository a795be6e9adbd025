"""cat/stack/split/chunk/unbind/flip/roll/tril/triu/repeat/tile/narrow/movedim vs PyTorch,
gradcheck, views and error messages."""
import numpy as np
import pytest
from parity import check_grads, compare_with_torch

import graphgrad as gg

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64]


def _rand(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack_match_torch(dim, dtype):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for k, s in enumerate(shapes):
        s[dim] = k + 1
    arrays = [_rand(*s, dtype=dtype, seed=k) for k, s in enumerate(shapes)]
    compare_with_torch(lambda *t: gg.cat(t, dim), lambda *t: torch.cat(t, dim), arrays)
    compare_with_torch(lambda *t: gg.concat(list(t), dim=dim), lambda *t: torch.concat(t, dim=dim),
                       arrays)
    same = [_rand(2, 3, 4, dtype=dtype, seed=k) for k in range(3)]
    compare_with_torch(lambda *t: gg.stack(t, dim), lambda *t: torch.stack(t, dim), same)
    check_grads(lambda *t: gg.cat(t, dim), arrays)
    check_grads(lambda *t: gg.stack(t, dim), same)


def test_cat_promotes_dtypes_skips_empty_1d_and_grads_only_where_needed():
    a = gg.ones(2, 2, requires_grad=True)
    b = gg.tensor([[1, 2]])
    out = gg.cat([a, gg.tensor([]), b])
    assert out.dtype == gg.float32 and out.shape == (3, 2)
    (out * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 2), 2.0))
    assert gg.stack([gg.tensor([1, 2]), gg.tensor([1.5, 2])]).dtype == gg.float32


def test_cat_and_stack_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 0. "
                                           r"Expected size 3 but got size 4 for tensor number 1.*"
                                           r"\(2, 3\), \(1, 4\)"):
        gg.cat([gg.zeros(2, 3), gg.zeros(1, 4)])
    with pytest.raises(RuntimeError, match="same number of dimensions: got 2 and 1"):
        gg.cat([gg.zeros(2, 3), gg.zeros(3)])
    with pytest.raises(RuntimeError, match="non-empty list"):
        gg.cat([])
    with pytest.raises(IndexError, match="Dimension out of range"):
        gg.cat([gg.zeros(2, 3)], dim=2)
    with pytest.raises(RuntimeError, match=r"stack: expects each tensor to be equal size, but got "
                                           r"\[2, 3\] at entry 0 and \[3, 2\] at entry 1"):
        gg.stack([gg.zeros(2, 3), gg.zeros(3, 2)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("how", [2, 3, [1, 4, 2], [0, 7]])
@pytest.mark.parametrize("dim", [0, 1])
def test_split_matches_torch(dim, how, dtype):
    shape = [7, 7]
    x = _rand(*shape, 3, dtype=dtype)
    compare_with_torch(lambda t: gg.split(t, how, dim), lambda t: torch.split(t, how, dim), [x])
    compare_with_torch(lambda t: t.split(how, dim=dim), lambda t: t.split(how, dim=dim), [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunks", [1, 2, 3, 4, 6])
def test_chunk_and_tensor_split_match_torch(chunks, dtype):
    x = _rand(5, 6, dtype=dtype)
    compare_with_torch(lambda t: t.chunk(chunks, 1), lambda t: t.chunk(chunks, 1), [x])
    compare_with_torch(lambda t: gg.tensor_split(t, chunks, 1),
                       lambda t: torch.tensor_split(t, chunks, 1), [x])
    compare_with_torch(lambda t: gg.tensor_split(t, [1, 4], 0),
                       lambda t: torch.tensor_split(t, [1, 4], 0), [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_matches_torch(dim, dtype):
    x = _rand(3, 4, 2, dtype=dtype)
    compare_with_torch(lambda t: t.unbind(dim), lambda t: t.unbind(dim), [x])
    check_grads(lambda t: gg.unbind(t, dim), [x])


def test_pieces_without_gradient_get_zeros():
    x = gg.tensor(_rand(6, 2), requires_grad=True)
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    expected = np.zeros((6, 2))
    expected[2:4] = 3
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    y = gg.tensor(_rand(3, 2), requires_grad=True)
    parts = y.unbind(0)
    (g,) = gg.autograd.grad(parts[2].sum(), y, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [[0, 0], [0, 0], [1, 1]])
    z = gg.tensor(_rand(4, 4), requires_grad=True)
    first, _ = z.chunk(2, dim=1)
    first.sum().backward()
    np.testing.assert_array_equal(z.grad.numpy()[:, 2:], 0)
    check_grads(lambda t: t.split([1, 3, 2])[1], [_rand(6, 2)])


def test_split_chunk_unbind_narrow_return_views():
    x = gg.zeros(4, 3)
    x.split(2)[1].add_(1.0)
    x.unbind(1)[0].add_(2.0)
    x.narrow(0, 0, 1).add_(4.0)
    expected = np.zeros((4, 3))
    expected[2:] += 1
    expected[:, 0] += 2
    expected[0] += 4
    np.testing.assert_array_equal(x.numpy(), expected)
    assert x._version == 3


def test_split_errors():
    with pytest.raises(RuntimeError, match=r"split_sizes to sum exactly to 5.*\[2, 2\]"):
        gg.zeros(5).split([2, 2])
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        gg.zeros(5).chunk(0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims", [(0,), (1, 2), (-1,), (0, 1, 2)])
def test_flip_matches_torch(dims, dtype):
    x = _rand(2, 3, 4, dtype=dtype)
    compare_with_torch(lambda t: t.flip(dims), lambda t: t.flip(dims), [x])
    check_grads(lambda t: gg.flip(t, dims), [x])


def test_flip_copies():
    x = gg.zeros(3)
    y = x.flip(0)
    y.add_(1.0)
    assert x.numpy().tolist() == [0, 0, 0]
    compare_with_torch(lambda t: gg.fliplr(t), lambda t: torch.fliplr(t), [_rand(2, 3)])
    compare_with_torch(lambda t: gg.flipud(t), lambda t: torch.flipud(t), [_rand(2, 3)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shifts,dims", [(1, 0), (-2, 1), ((1, 3), (0, 2)), (5, None), (7, -1)])
def test_roll_matches_torch(shifts, dims, dtype):
    x = _rand(3, 4, 5, dtype=dtype)
    compare_with_torch(lambda t: t.roll(shifts, dims), lambda t: t.roll(shifts, dims), [x])
    check_grads(lambda t: gg.roll(t, shifts, dims), [x])


def test_roll_error():
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims: 1"):
        gg.zeros(3).roll((1, 2), (0,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("diagonal", [0, 1, -1, 3])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (2, 5, 3)])
def test_tril_triu_match_torch(shape, diagonal, dtype):
    x = _rand(*shape, dtype=dtype)
    compare_with_torch(lambda t: t.tril(diagonal), lambda t: t.tril(diagonal), [x])
    compare_with_torch(lambda t: gg.triu(t, diagonal=diagonal),
                       lambda t: torch.triu(t, diagonal=diagonal), [x])
    check_grads(lambda t: gg.tril(t, diagonal), [x])


def test_tril_error():
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        gg.zeros(3).tril()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,reps", [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3), (3, 1, 2)),
                                        ((2, 1, 3), (1, 4, 2)), ((), (3, 2))])
def test_repeat_and_tile_match_torch(shape, reps, dtype):
    x = _rand(*shape, dtype=dtype)
    compare_with_torch(lambda t: t.repeat(*reps), lambda t: t.repeat(*reps), [x])
    compare_with_torch(lambda t: t.repeat(reps), lambda t: t.repeat(reps), [x])
    compare_with_torch(lambda t: gg.tile(t, reps[-1:]), lambda t: torch.tile(t, reps[-1:]), [x])
    check_grads(lambda t: t.repeat(*reps), [x])


def test_repeat_error():
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims"):
        gg.zeros(2, 3).repeat(2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim,start,length", [(0, 1, 2), (1, -3, 2), (2, 0, 4), (1, 4, 0)])
def test_narrow_matches_torch(dim, start, length, dtype):
    x = _rand(3, 4, 4, dtype=dtype)
    compare_with_torch(lambda t: t.narrow(dim, start, length),
                       lambda t: t.narrow(dim, start, length), [x])
    check_grads(lambda t: gg.narrow(t, dim, start, length), [x])


def test_narrow_error():
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(3\) exceeds dimension size \(4\)"):
        gg.zeros(4).narrow(0, 2, 3)


@pytest.mark.parametrize("src,dst", [(0, 2), (-1, 0), ((0, 1), (2, 0)), ((2, 0), (0, 1))])
def test_movedim_matches_torch(src, dst):
    x = _rand(2, 3, 4)
    compare_with_torch(lambda t: t.movedim(src, dst), lambda t: torch.movedim(t, src, dst), [x])
    compare_with_torch(lambda t: gg.moveaxis(t, src, dst), lambda t: torch.moveaxis(t, src, dst), [x])


def test_hstack_vstack_match_torch():
    a, b = _rand(2, 3), _rand(2, 2)
    compare_with_torch(lambda x, y: gg.hstack([x, y]), lambda x, y: torch.hstack([x, y]), [a, b])
    c, d = _rand(3), _rand(3)
    compare_with_torch(lambda x, y: gg.vstack([x, y]), lambda x, y: torch.vstack([x, y]), [c, d])
    compare_with_torch(lambda x, y: gg.hstack([x, y]), lambda x, y: torch.hstack([x, y]), [c, d])


def test_array_and_graph_backward_agree():
    x = _rand(4, 6)
    results = []
    for create_graph in (False, True):
        t = gg.tensor(x, requires_grad=True)
        parts = t.split([1, 2, 3], 1)
        y = gg.cat([parts[2], parts[0] * 2, t.tril(1)], 1).repeat(2, 1).roll(1, 0)
        w = gg.tensor(_rand(*y.shape, seed=1))
        (g,) = gg.autograd.grad((y * w).sum(), t, create_graph=create_graph)
        results.append(g.detach().numpy())
    np.testing.assert_allclose(results[0], results[1])
