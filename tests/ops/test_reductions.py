"""Reductions: var/std, max/min, amax/amin, argmax/argmin, prod, logsumexp, norm, cumsum/cumprod,
all/any, count_nonzero -- values, gradients and dtypes against PyTorch; gradcheck/gradgradcheck."""
import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()

DTYPES = [np.float32, np.float64]
DIMS = [(None, False), (0, False), (1, True), (-1, False), ((0, 2), True), ((0, 2), False)]


def _rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _kwargs(dim, keepdim):
    return {} if dim is None else {"dim": dim, "keepdim": keepdim}


# ------------------------------------------------------------------------------ var / std
@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("dim,keepdim", DIMS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_var_std(name, dim, keepdim, dtype):
    x = _rand((3, 4, 5), dtype=dtype)
    kw = _kwargs(dim, keepdim)
    compare_with_torch(lambda t: getattr(t, name)(**kw), lambda t: getattr(t, name)(**kw), [x])


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("options", [{"correction": 0}, {"correction": 2}, {"unbiased": False},
                                     {"unbiased": True}])
def test_var_correction(name, options):
    x = _rand((4, 6))
    compare_with_torch(lambda t: getattr(graphgrad, name)(t, 1, **options),
                       lambda t: getattr(torch, name)(t, 1, **options), [x])
    compare_with_torch(lambda t: getattr(t, name)(dim=None, **options),
                       lambda t: getattr(t, name)(dim=None, **options), [x])


def test_var_old_overloads():
    x = _rand((4, 6))
    compare_with_torch(lambda t: t.var(False), lambda t: t.var(False), [x])
    compare_with_torch(lambda t: t.std(0, True, True), lambda t: t.std(0, True, True), [x])


def test_var_mean_std_mean():
    x = _rand((4, 6))
    compare_with_torch(lambda t: graphgrad.var_mean(t, 1), lambda t: torch.var_mean(t, 1), [x])
    compare_with_torch(lambda t: graphgrad.std_mean(t, 0, keepdim=True),
                       lambda t: torch.std_mean(t, 0, keepdim=True), [x])


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_gradcheck(name):
    check_grads(lambda t: getattr(t, name)(1), [_rand((3, 4))])
    check_grads(lambda t: getattr(t, name)(correction=0), [_rand((3, 2))])


def test_var_errors():
    with pytest.raises(RuntimeError, match="var: std and var only support floating point"):
        graphgrad.tensor([1, 2, 3]).var()
    with pytest.raises(IndexError, match="var: Dimension out of range"):
        graphgrad.ones(2, 3).var(2)
    with pytest.raises(RuntimeError, match="cannot specify both unbiased and correction"):
        graphgrad.ones(3).var(unbiased=True, correction=0)


# ------------------------------------------------------------------------------- max / min
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ties", [False, True])
def test_max_min_value(name, dtype, ties):
    x = _rand((3, 4), dtype=dtype)
    if ties:
        x = np.round(x).clip(-1, 1)  # many tied extremes: gradient split evenly, as in PyTorch
    compare_with_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])
    compare_with_torch(lambda t: getattr(graphgrad, name)(t), lambda t: getattr(torch, name)(t), [x])


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_max_min_dim(name, dim, keepdim, dtype):
    x = _rand((3, 4, 5), dtype=dtype)
    compare_with_torch(lambda t: tuple(getattr(t, name)(dim, keepdim)),
                       lambda t: tuple(getattr(t, name)(dim, keepdim)), [x])
    compare_with_torch(lambda t: tuple(getattr(graphgrad, name)(t, dim=dim, keepdim=keepdim)),
                       lambda t: tuple(getattr(torch, name)(t, dim=dim, keepdim=keepdim)), [x])


def test_max_dim_named_tuple():
    x = graphgrad.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    result = x.max(dim=1)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert indices.dtype == graphgrad.int64
    np.testing.assert_array_equal(indices.numpy(), [1, 0])  # first of a tie, as PyTorch's CPU
    assert type(result).__name__ == "max" and type(x.min(0)).__name__ == "min"


def test_max_dim_gradient_goes_to_the_index():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    compare_with_torch(lambda t: t.max(1).values, lambda t: t.max(1).values, [x])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_gradcheck(name):
    check_grads(lambda t: getattr(t, name)(), [_rand((3, 4))])
    check_grads(lambda t: getattr(t, name)(1).values, [_rand((3, 4))])


def test_max_min_nan_propagates():
    x = np.array([[1.0, np.nan, 2.0], [0.0, 1.0, -1.0]])
    compare_with_torch(lambda t: t.max(), lambda t: t.max(), [x], grad=False)
    compare_with_torch(lambda t: tuple(t.min(1)), lambda t: tuple(t.min(1)), [x], grad=False)


def test_max_min_errors():
    with pytest.raises(RuntimeError, match="max\\(\\): Expected reduction dim to be specified"):
        graphgrad.ones(0).max()
    with pytest.raises(RuntimeError, match="min\\(\\): Expected reduction dim 1 to have non-zero size"):
        graphgrad.ones(2, 0).min(1)
    with pytest.raises(IndexError, match="max: Dimension out of range"):
        graphgrad.ones(2, 3).max(3)


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim,keepdim", [((), False), (0, True), ((0, 2), False), (-1, False)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_amax_amin_ties(name, dim, keepdim, dtype):
    x = np.round(_rand((3, 4, 5), dtype=dtype)).clip(-1, 1)
    def reduce(t):
        return getattr(t, name)(dim, keepdim)

    compare_with_torch(reduce, reduce, [x])


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_gradcheck(name):
    check_grads(lambda t: getattr(graphgrad, name)(t, (0, 1)), [_rand((3, 4, 2))])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True), (-1, False)])
def test_argmax_argmin(name, dim, keepdim):
    x = np.round(_rand((3, 4, 5)) * 2)
    compare_with_torch(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim),
                       lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), [x], grad=False)
    ints = np.random.default_rng(0).integers(0, 5, (3, 4))
    compare_with_torch(lambda t: getattr(graphgrad, name)(t), lambda t: getattr(torch, name)(t),
                       [ints], grad=False)


# ------------------------------------------------------------------------------------ prod
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
def test_prod(dim, keepdim, dtype, zeros):
    x = _rand((3, 4, 5), dtype=dtype)
    x.reshape(-1)[[7, 13, 31][:zeros]] = 0  # slices with one zero and (for dim=None) several
    if zeros >= 2:
        x[1, :zeros, 2] = 0  # a slice along dim 1 with several zeros
    kw = _kwargs(dim, keepdim)
    compare_with_torch(lambda t: t.prod(**kw), lambda t: t.prod(**kw), [x])


@pytest.mark.parametrize("zeros", [[], [(0, 1)], [(0, 1), (1, 2), (1, 0)], [(0, 0), (0, 1), (0, 2)]])
def test_prod_gradcheck_with_zeros(zeros):
    x = _rand((2, 3)) + 2.0
    for z in zeros:
        x[z] = 0.0
    check_grads(lambda t: t.prod(1), [x])
    check_grads(lambda t: t.prod(), [x[:, :2]])


def test_prod_dtypes():
    assert graphgrad.tensor([1, 2, 3]).prod().dtype == graphgrad.int64
    assert graphgrad.tensor([True, False]).prod().dtype == graphgrad.int64
    assert graphgrad.tensor([2, 3]).prod(dtype=graphgrad.float64).dtype == graphgrad.float64


# ------------------------------------------------------------------------------ logsumexp
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), ((0, 2), False), (-1, True)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp(dim, keepdim, dtype):
    x = _rand((3, 4, 5), dtype=dtype) * 50  # large values: must be computed stably
    compare_with_torch(lambda t: t.logsumexp(dim, keepdim), lambda t: t.logsumexp(dim, keepdim), [x])
    compare_with_torch(lambda t: graphgrad.logsumexp(t, dim=dim, keepdim=keepdim),
                       lambda t: torch.logsumexp(t, dim=dim, keepdim=keepdim), [x])


def test_logsumexp_infinities_and_gradcheck():
    x = np.array([[-np.inf, -np.inf], [1000.0, 1000.0], [np.inf, 0.0]])
    compare_with_torch(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), [x], grad=False)
    check_grads(lambda t: t.logsumexp(1), [_rand((3, 4))])


# ------------------------------------------------------------------------------------ norm
@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, float("inf"), float("-inf"), 0])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, True), ((0, 2), False)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_norm(p, dim, keepdim, dtype):
    x = _rand((3, 4, 5), dtype=dtype)
    compare_with_torch(lambda t: t.norm(p, dim, keepdim), lambda t: t.norm(p, dim, keepdim), [x])


def test_norm_default_and_zero_vector():
    x = np.zeros((2, 3))
    x[1] = [3.0, 4.0, 0.0]
    compare_with_torch(lambda t: graphgrad.norm(t, dim=1), lambda t: torch.norm(t, dim=1), [x])
    compare_with_torch(lambda t: t.norm(), lambda t: t.norm(), [x[1]])
    compare_with_torch(lambda t: t.norm(3, dim=1), lambda t: t.norm(3, dim=1), [x])


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, float("inf")])
def test_norm_gradcheck(p):
    check_grads(lambda t: t.norm(p, dim=1), [_rand((3, 4))])


def test_norm_errors():
    with pytest.raises(RuntimeError, match="norm: Expected a floating point"):
        graphgrad.tensor([1, 2]).norm()
    with pytest.raises(ValueError, match="norm: unsupported p 'nuc'"):
        graphgrad.ones(2, 2).norm("nuc")


# ------------------------------------------------------------------------- cumulative ops
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cumulative(name, dim, dtype):
    x = _rand((3, 4, 5), dtype=dtype)
    compare_with_torch(lambda t: getattr(t, name)(dim), lambda t: getattr(t, name)(dim), [x])
    compare_with_torch(lambda t: getattr(graphgrad, name)(t, dim=dim),
                       lambda t: getattr(torch, name)(t, dim=dim), [x])


@pytest.mark.parametrize("zeros", [[(0, 1)], [(0, 1), (0, 3)], [(1, 0), (1, 1), (1, 2)], [(0, 4)]])
def test_cumprod_with_zeros(zeros):
    x = _rand((2, 5)) + 1.5
    for z in zeros:
        x[z] = 0.0
    compare_with_torch(lambda t: t.cumprod(1), lambda t: t.cumprod(1), [x])
    check_grads(lambda t: t.cumprod(1), [x])


def test_cumprod_array_and_recorded_backward_agree():
    x_np = _rand((3, 5))
    x_np[0, 1] = x_np[2, 0] = x_np[2, 3] = 0.0
    g_np = _rand((3, 5), seed=1)
    grads = []
    for create_graph in (False, True):
        x = graphgrad.tensor(x_np, requires_grad=True)
        (gx,) = graphgrad.autograd.grad(x.cumprod(1), x, graphgrad.tensor(g_np),
                                        create_graph=create_graph)
        grads.append(gx.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_cumsum_gradcheck_and_dtypes():
    check_grads(lambda t: t.cumsum(0), [_rand((4, 3))])
    assert graphgrad.tensor([1, 2]).cumsum(0).dtype == graphgrad.int64
    assert graphgrad.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert graphgrad.tensor([1, 2]).cumsum(0, dtype=graphgrad.float32).dtype == graphgrad.float32
    with pytest.raises(IndexError, match="cumsum: Dimension out of range"):
        graphgrad.ones(2).cumsum(1)


# ------------------------------------------------------------------------------- logic
@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True)])
@pytest.mark.parametrize("dtype", [np.bool_, np.float32, np.int64])
def test_all_any(name, dim, keepdim, dtype):
    x = (np.random.default_rng(0).integers(0, 3, (4, 3)) > 0).astype(dtype)
    x[0] = 1
    kw = _kwargs(dim, keepdim)
    compare_with_torch(lambda t: getattr(t, name)(**kw), lambda t: getattr(t, name)(**kw), [x],
                       grad=False)


@pytest.mark.parametrize("dim", [None, 0, (0, 1)])
def test_count_nonzero(dim):
    x = np.random.default_rng(0).integers(0, 2, (3, 4)).astype(np.float32)
    kw = {} if dim is None else {"dim": dim}
    compare_with_torch(lambda t: graphgrad.count_nonzero(t, **kw),
                       lambda t: torch.count_nonzero(t, **kw), [x], grad=False)
