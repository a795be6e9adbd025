"""Comparisons, logic and predicates: bool results, broadcasting, scalars, no gradient."""
import operator

import numpy as np
import pytest

import graphgrad
from parity import torch_or_skip

torch = torch_or_skip()

OPS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
       "gt": operator.gt, "ge": operator.ge}
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (5,))]


def _same(ours, theirs):
    theirs = theirs.numpy() if hasattr(theirs, "numpy") else np.asarray(theirs)
    assert ours.numpy().dtype == theirs.dtype
    np.testing.assert_array_equal(ours.numpy(), theirs)


def _ints(shape, seed):
    return np.random.default_rng(seed).integers(-2, 3, shape)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("sa,sb", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_comparisons_match_torch(name, sa, sb, dtype):
    a, b = _ints(sa, 0).astype(dtype), _ints(sb, 1).astype(dtype)
    ta, tb = torch.tensor(a), torch.tensor(b)
    ga, gb = graphgrad.tensor(a), graphgrad.tensor(b)
    expected = getattr(torch, name)(ta, tb)
    _same(getattr(graphgrad, name)(ga, gb), expected)
    _same(getattr(ga, name)(gb), expected)
    _same(OPS[name](ga, gb), expected)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("scalar", [0, 1.5, -1, True])
def test_comparisons_with_scalars(name, scalar):
    a = np.array([[-1, 0, 1], [2, 1, 0]])
    for dtype in (np.int64, np.float32):
        ta, ga = torch.tensor(a.astype(dtype)), graphgrad.tensor(a.astype(dtype))
        _same(OPS[name](ga, scalar), OPS[name](ta, scalar))
        _same(OPS[name](scalar, ga), OPS[name](scalar, ta))


def test_float32_compared_in_float32():
    x = graphgrad.tensor([0.1], dtype=graphgrad.float32)
    assert (x == 0.1).item() == (torch.tensor([0.1]) == 0.1).item()


def test_comparison_results_have_no_grad():
    x = graphgrad.randn(3, requires_grad=True)
    y = x > 0
    assert y.dtype == graphgrad.bool and not y.requires_grad and y.grad_fn is None


def test_eq_operator_is_elementwise_and_hash_kept():
    a = graphgrad.tensor([1.0, 2.0])
    assert (a == a).tolist() == [True, True]
    assert (a == None) is False  # noqa: E711 - PyTorch returns False too
    assert (a != "text") is True
    assert len({a, a}) == 1


def test_comparison_errors():
    with pytest.raises(RuntimeError, match=r"lt: the size of tensor a \(3,\) must match .* \(4,\)"):
        graphgrad.ones(3) < graphgrad.ones(4)
    with pytest.raises(TypeError, match="eq\\(\\): expected a Tensor or a number, got str"):
        graphgrad.eq(graphgrad.ones(3), "x")


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_logical_binary(name, sa, sb):
    a, b = _ints(sa, 0), _ints(sb, 1).astype(np.float32)
    _same(getattr(graphgrad, name)(graphgrad.tensor(a), graphgrad.tensor(b)),
          getattr(torch, name)(torch.tensor(a), torch.tensor(b)))


def test_logical_not():
    a = np.array([0.0, 1.5, -2.0])
    _same(graphgrad.logical_not(graphgrad.tensor(a)), torch.logical_not(torch.tensor(a)))
    _same(graphgrad.tensor(a).logical_not(), torch.tensor(a).logical_not())


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor])
@pytest.mark.parametrize("dtype", [np.bool_, np.int64])
def test_bitwise_operators(op, dtype):
    a, b = _ints((3, 4), 0).astype(dtype), _ints((4,), 1).astype(dtype)
    _same(op(graphgrad.tensor(a), graphgrad.tensor(b)), op(torch.tensor(a), torch.tensor(b)))
    _same(op(graphgrad.tensor(a), True if dtype == np.bool_ else 3),
          op(torch.tensor(a), True if dtype == np.bool_ else 3))


def test_invert_and_masks():
    mask = graphgrad.tensor([True, False, True])
    _same(~mask, ~torch.tensor([True, False, True]))
    _same(~graphgrad.tensor([1, 2]), ~torch.tensor([1, 2]))
    x = graphgrad.tensor([-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(((x > 0) & (x < 1)).numpy(), [False, True, False])
    np.testing.assert_array_equal(((x < 0) | (x > 1)).numpy(), [True, False, True])


def test_bitwise_on_float_is_an_error():
    with pytest.raises(RuntimeError, match="bitwise_and.*not implemented for 'float32'"):
        graphgrad.ones(2) & graphgrad.ones(2)
    with pytest.raises(RuntimeError, match="bitwise_not.*not implemented"):
        ~graphgrad.ones(2)


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
def test_predicates(name):
    a = np.array([0.0, np.nan, np.inf, -np.inf, -1.5], dtype=np.float32)
    _same(getattr(graphgrad, name)(graphgrad.tensor(a)), getattr(torch, name)(torch.tensor(a)))
    _same(getattr(graphgrad.tensor(a), name)(), getattr(torch.tensor(a), name)())
    ints = np.array([1, 2])
    _same(getattr(graphgrad, name)(graphgrad.tensor(ints)), getattr(torch, name)(torch.tensor(ints)))


def test_isclose_allclose_equal():
    a = np.array([1.0, 2.0, np.nan, 1e-9])
    b = np.array([1.0 + 1e-7, 2.1, np.nan, 0.0])
    ga, gb, ta, tb = graphgrad.tensor(a), graphgrad.tensor(b), torch.tensor(a), torch.tensor(b)
    _same(graphgrad.isclose(ga, gb), torch.isclose(ta, tb))
    _same(graphgrad.isclose(ga, gb, equal_nan=True), torch.isclose(ta, tb, equal_nan=True))
    assert graphgrad.allclose(ga, ga, equal_nan=True) is True
    assert graphgrad.allclose(ga, gb) is False
    assert ga.allclose(ga + 1e-9, equal_nan=True)
    assert graphgrad.equal(gb, gb.clone()) is False  # nan != nan
    assert graphgrad.equal(ga[:2], ga[:2].clone()) is True
    assert graphgrad.equal(graphgrad.ones(2), graphgrad.ones(3)) is False
    with pytest.raises(RuntimeError, match="isclose: .*float32 did not match .*float64"):
        graphgrad.isclose(graphgrad.ones(2), ga[:2])
