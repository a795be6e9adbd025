"""where, maximum/minimum and clamp: values, gradients (ties, bounds) and dtypes against PyTorch."""
import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()

PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), ())]


def _rand(shape, seed, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------------------------- where
@pytest.mark.parametrize("sa,sb", PAIRS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_where_broadcasting(sa, sb, dtype):
    a, b = _rand(sa, 0, dtype), _rand(sb, 1, dtype)
    cond = _rand(np.broadcast_shapes(sa, sb), 2) > 0
    compare_with_torch(graphgrad.where, torch.where, [cond, a, b])
    compare_with_torch(lambda c, x, y: x.where(c, y), lambda c, x, y: x.where(c, y), [cond, a, b])


@pytest.mark.parametrize("sa,sb", PAIRS[:3])
def test_where_gradcheck(sa, sb):
    cond = _rand(np.broadcast_shapes(sa, sb), 2) > 0
    check_grads(graphgrad.where, [cond, _rand(sa, 0), _rand(sb, 1)])


@pytest.mark.parametrize("other", [0.0, 2, -1.5])
def test_where_with_scalar(other):
    a = _rand((3, 4), 0, np.float32)
    cond = a > 0
    compare_with_torch(lambda c, x: graphgrad.where(c, x, other), lambda c, x: torch.where(c, x, other),
                       [cond, a])
    compare_with_torch(lambda c, x: graphgrad.where(c, other, x), lambda c, x: torch.where(c, other, x),
                       [cond, a])


@pytest.mark.parametrize("x,y", [(1.0, 0.0), (1, 0), (2, 0.5), (True, False)])
def test_where_two_scalars_dtype(x, y):
    cond = np.array([True, False, True])
    got = graphgrad.where(graphgrad.tensor(cond), x, y)
    expected = torch.where(torch.tensor(cond), x, y)
    assert got.numpy().dtype == expected.numpy().dtype
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_where_mixed_dtypes_promote():
    cond = np.array([True, False])
    got = graphgrad.where(graphgrad.tensor(cond), graphgrad.tensor([1, 2]), graphgrad.tensor([0.5, 1.5]))
    assert got.dtype == graphgrad.float32
    np.testing.assert_array_equal(got.numpy(), [1.0, 1.5])


def test_where_condition_only_is_nonzero():
    cond = np.array([[True, False], [False, True]])
    rows, cols = graphgrad.where(graphgrad.tensor(cond))
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [0, 1])
    assert rows.dtype == graphgrad.int64


def test_where_gradient_ignores_inf_in_the_other_branch():
    cond = np.array([True, False, True])
    g = np.array([np.inf, 1.0, 2.0])
    results = []
    for mod in (graphgrad, torch):
        a = mod.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = mod.tensor([4.0, 5.0, 6.0], requires_grad=True)
        mod.where(mod.tensor(cond), a, b).backward(mod.tensor(g))
        results.append((a.grad.numpy(), b.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_where_errors():
    a = graphgrad.ones(3)
    with pytest.raises(RuntimeError, match="where: expected condition to be a boolean tensor"):
        graphgrad.where(graphgrad.tensor([1, 0, 1]), a, a)
    with pytest.raises(RuntimeError, match=r"where: shapes \(3,\), \(3,\), \(4,\) are not broadcastable"):
        graphgrad.where(a > 0, a, graphgrad.ones(4))
    with pytest.raises(TypeError, match="where\\(\\): argument 'condition' must be Tensor"):
        graphgrad.where([True], a, a)


def test_pow_exponent_gradient_uses_where():
    base = np.array([0.0, 1.0, 2.0, 0.5])
    exponent = np.array([2.0, 3.0, 0.5, -1.0])
    compare_with_torch(lambda a, b: a ** b, lambda a, b: a ** b, [base, exponent])


# ------------------------------------------------------------------------- maximum / minimum
@pytest.mark.parametrize("name", ["maximum", "minimum"])
@pytest.mark.parametrize("sa,sb", PAIRS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maximum_minimum(name, sa, sb, dtype):
    a, b = _rand(sa, 0, dtype), _rand(sb, 1, dtype)
    compare_with_torch(getattr(graphgrad, name), getattr(torch, name), [a, b])
    compare_with_torch(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), [a, b])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_split_the_gradient_like_torch(name):
    a = np.array([1.0, 2.0, 3.0, 2.0, np.nan])
    b = np.array([1.0, 1.0, 4.0, 2.0, 0.0])
    compare_with_torch(getattr(graphgrad, name), getattr(torch, name), [a, b])
    x = graphgrad.tensor([1.0], requires_grad=True)
    getattr(graphgrad, name)(x, graphgrad.tensor([1.0])).sum().backward()
    assert x.grad.item() == 0.5


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_gradcheck(name):
    check_grads(getattr(graphgrad, name), [_rand((3, 4), 0), _rand((4,), 1)])


def test_maximum_integer_and_max_of_two():
    a = graphgrad.tensor([1, 5, 3])
    b = graphgrad.tensor([4, 2, 3])
    np.testing.assert_array_equal(graphgrad.maximum(a, b).numpy(), [4, 5, 3])
    np.testing.assert_array_equal(graphgrad.max(a, b).numpy(), [4, 5, 3])
    np.testing.assert_array_equal(graphgrad.min(a, b).numpy(), [1, 2, 3])


def test_maximum_errors():
    with pytest.raises(RuntimeError, match=r"maximum: the size of tensor a \(3,\) must match .* \(4,\)"):
        graphgrad.maximum(graphgrad.ones(3), graphgrad.ones(4))
    with pytest.raises(TypeError, match="maximum\\(\\): expected Tensor arguments, got float"):
        graphgrad.maximum(graphgrad.ones(3), 1.0)


# ----------------------------------------------------------------------------------- clamp
@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (None, 0.3), (-0.2, None), (0.5, -0.5), (0, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_numbers(lo, hi, dtype):
    x = _rand((3, 4), 0, dtype)
    compare_with_torch(lambda t: graphgrad.clamp(t, lo, hi), lambda t: torch.clamp(t, lo, hi), [x])
    compare_with_torch(lambda t: t.clip(min=lo, max=hi), lambda t: t.clip(min=lo, max=hi), [x])


def test_clamp_gradient_passes_on_the_bounds():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    compare_with_torch(lambda t: t.clamp(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5), [x])


@pytest.mark.parametrize("shapes", [((3, 4), (4,), (3, 1)), ((4,), (3, 4), None), ((3, 4), None, ()),
                                    ((2, 1), (3,), (2, 3))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_tensor_bounds(shapes, dtype):
    sx, slo, shi = shapes
    arrays = [_rand(sx, 0, dtype)]
    if slo is not None:
        arrays.append(_rand(slo, 1, dtype) - 0.5)
    if shi is not None:
        arrays.append(_rand(shi, 2, dtype) + 0.5)

    def call(mod):
        def fn(x, *bounds):
            bounds = list(bounds)
            lo = bounds.pop(0) if slo is not None else None
            hi = bounds.pop(0) if shi is not None else None
            return mod.clamp(x, min=lo, max=hi)
        return fn

    compare_with_torch(call(graphgrad), call(torch), arrays)
    if dtype == np.float64:
        check_grads(call(graphgrad), arrays)


def test_clamp_min_greater_than_max_gives_max_and_gradient_to_max():
    x, lo, hi = np.array([0.0, 2.0, -3.0]), np.array([1.0, 1.0, 1.0]), np.array([0.5, 0.5, 0.5])
    compare_with_torch(lambda a, b, c: a.clamp(b, c), lambda a, b, c: a.clamp(b, c), [x, lo, hi])


@pytest.mark.parametrize("lo,hi", [(1, 3), (1.5, None), (None, 2.5)])
def test_clamp_integer_dtype(lo, hi):
    x = np.array([0, 1, 2, 3, 4])
    compare_with_torch(lambda t: t.clamp(lo, hi), lambda t: t.clamp(lo, hi), [x])


def test_clamp_gradcheck():
    check_grads(lambda t: t.clamp(-0.5, 0.7), [np.array([-1.0, -0.3, 0.2, 0.9, 1.5])])


def test_clamp_inplace():
    x_np = _rand((3, 4), 0, np.float32)
    x = graphgrad.tensor(x_np)
    assert x.clamp_(-0.1, 0.2) is x and x._version == 1
    np.testing.assert_array_equal(x.numpy(), np.clip(x_np, -0.1, 0.2))
    with graphgrad.no_grad():
        w = graphgrad.tensor(x_np, requires_grad=True)
        w.clamp_(min=0)
    np.testing.assert_array_equal(w.detach().numpy(), np.maximum(x_np, 0))

    def run(mod):
        leaf = mod.tensor(x_np.astype(np.float64), requires_grad=True)
        y = leaf * 3
        y.clamp_(-1, 1)
        (y * y).sum().backward()
        return leaf.grad.numpy()

    np.testing.assert_allclose(run(graphgrad), run(torch))


def test_clamp_errors():
    x = graphgrad.ones(3)
    with pytest.raises(RuntimeError, match="clamp: At least one of 'min' or 'max' must not be None"):
        x.clamp()
    with pytest.raises(RuntimeError, match=r"clamp: shapes \(3,\), \(4,\) are not broadcastable"):
        x.clamp(graphgrad.ones(4))
    with pytest.raises(TypeError, match="clamp: min must be a number or a Tensor, got str"):
        x.clamp("0")
    with pytest.raises(RuntimeError, match="clamp_: result type float32 can't be cast"):
        graphgrad.tensor([1, 2]).clamp_(0.5, 1.5)
