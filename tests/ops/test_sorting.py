"""sort, argsort, topk, kthvalue, median, quantile, unique, searchsorted, ... against PyTorch:
values, indices (no ties, or the stable order), and gradients."""
import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()


def _distinct(shape, seed=0, dtype=np.float64):
    """Distinct values, so that every sort order is unambiguous."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape).astype(dtype) / n - 0.5


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sort_and_argsort(dim, descending, dtype):
    x = _distinct((3, 4, 5), dtype=dtype)
    compare_with_torch(lambda t: graphgrad.sort(t, dim, descending),
                       lambda t: torch.sort(t, dim, descending), [x])
    compare_with_torch(lambda t: t.argsort(dim, descending), lambda t: t.argsort(dim, descending),
                       [x], grad=False)


def test_stable_sort_keeps_ties_in_order_and_nan_last():
    x = np.array([3.0, 1.0, np.nan, 1.0, 3.0, 2.0])
    for descending in (False, True):
        got = graphgrad.sort(graphgrad.tensor(x), descending=descending, stable=True)
        want = torch.sort(torch.tensor(x), descending=descending, stable=True)
        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    ints = np.array([5, 2, 2, 9, 0, 5], dtype=np.int64)
    got = graphgrad.sort(graphgrad.tensor(ints), descending=True, stable=True).indices
    np.testing.assert_array_equal(got.numpy(), torch.sort(torch.tensor(ints), descending=True,
                                                          stable=True).indices.numpy())


@pytest.mark.parametrize("k,dim,largest", [(1, -1, True), (3, 1, False), (2, 0, True)])
def test_topk_and_msort(k, dim, largest):
    x = _distinct((4, 5, 3))
    compare_with_torch(lambda t: t.topk(k, dim, largest), lambda t: t.topk(k, dim, largest), [x])
    compare_with_torch(graphgrad.msort, torch.msort, [x])
    check_grads(lambda t: graphgrad.topk(t, k, dim, largest).values, [x[:2]])
    with pytest.raises(RuntimeError, match="topk: selected index k=9"):
        graphgrad.tensor(x).topk(9)


@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_median(keepdim):
    x = _distinct((3, 7))
    compare_with_torch(lambda t: graphgrad.kthvalue(t, 3, 1, keepdim),
                       lambda t: torch.kthvalue(t, 3, 1, keepdim), [x])
    compare_with_torch(lambda t: t.median(0, keepdim), lambda t: t.median(0, keepdim), [x])
    compare_with_torch(lambda t: t.median(), lambda t: t.median(), [x])
    compare_with_torch(lambda t: t.nanmedian(1, keepdim), lambda t: t.nanmedian(1, keepdim), [x])
    check_grads(lambda t: graphgrad.median(t, 1).values, [x])


def test_median_with_nan():
    x = _distinct((4, 6))
    x[1, 2] = x[3, 0] = x[3, 4] = np.nan
    for name in ("median", "nanmedian"):
        got = getattr(graphgrad, name)(graphgrad.tensor(x), 1)
        want = getattr(torch, name)(torch.tensor(x), 1)
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(interpolation):
    x = _distinct((4, 9))
    q = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    compare_with_torch(lambda t, qq: graphgrad.quantile(t, qq, 1, interpolation=interpolation),
                       lambda t, qq: torch.quantile(t, qq, 1, interpolation=interpolation),
                       [x, q], grad_inputs=[0])
    compare_with_torch(lambda t: t.quantile(0.3, interpolation=interpolation),
                       lambda t: t.quantile(0.3, interpolation=interpolation), [x])
    y = x.copy()
    y[0, :] = np.nan
    y[2, 3] = np.nan
    compare_with_torch(lambda t: graphgrad.nanquantile(t, 0.4, 1, keepdim=True,
                                                       interpolation=interpolation),
                       lambda t: torch.nanquantile(t, 0.4, 1, keepdim=True,
                                                   interpolation=interpolation), [y], grad=False)


def test_unique_family():
    x = np.array([[3, 1, 2], [3, 1, 2], [0, 5, 1]])
    got = graphgrad.unique(graphgrad.tensor(x), return_inverse=True, return_counts=True)
    want = torch.unique(torch.tensor(x), return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    got = graphgrad.tensor(x).unique(dim=0, return_inverse=True)
    want = torch.tensor(x).unique(dim=0, return_inverse=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    seq = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    got = graphgrad.unique_consecutive(graphgrad.tensor(seq), return_inverse=True,
                                       return_counts=True)
    want = torch.unique_consecutive(torch.tensor(seq), return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_bucketize(right):
    seq = np.array([[1, 3, 5, 7], [2, 4, 6, 8]])
    vals = np.array([[3, 6, 9], [1, 4, 8]])
    np.testing.assert_array_equal(
        graphgrad.searchsorted(graphgrad.tensor(seq), graphgrad.tensor(vals), right=right).numpy(),
        torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).numpy())
    np.testing.assert_array_equal(
        graphgrad.bucketize(graphgrad.tensor(vals), graphgrad.tensor(seq[0]), right=right).numpy(),
        torch.bucketize(torch.tensor(vals), torch.tensor(seq[0]), right=right).numpy())
    assert graphgrad.searchsorted(graphgrad.tensor(seq[0]), graphgrad.tensor([4]),
                                  out_int32=True).dtype == graphgrad.int32
