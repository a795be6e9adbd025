"""atleast_nd, stacks and splits, broadcasting helpers, meshgrid, combinations, counting and
statistics helpers (bincount, histc, histogram, cov, corrcoef, renorm, nansum, ...)."""
import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()
rng = np.random.default_rng(0)
V, M, C = rng.standard_normal(5), rng.standard_normal((3, 4)), rng.standard_normal((2, 3, 4))


def _same(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


CALLS = [("atleast_1d", (np.array(1.5),)), ("atleast_2d", (V,)), ("atleast_3d", (M,)),
         ("dstack", ([M, M],)), ("column_stack", ([V, V],)), ("row_stack", ([V, V],)),
         ("hsplit", (M, 2)), ("vsplit", (M, [1])), ("dsplit", (C, 2)),
         ("cartesian_prod", (V[:2], V[:3])), ("combinations", (V, 3)), ("vander", (V,)),
         ("cov", (M,)), ("corrcoef", (M,)), ("renorm", (C, 2, 0, 1.0)), ("dist", (M, M * 2)),
         ("nansum", (M,)), ("nanmean", (M, 1)), ("broadcast_tensors", (M, V[:4]))]


@pytest.mark.parametrize("name,args", CALLS, ids=[c[0] for c in CALLS])
def test_matches_torch(name, args):
    def convert(lib):
        return tuple([lib.tensor(v) for v in a] if isinstance(a, list) else
                     lib.tensor(a) if isinstance(a, np.ndarray) else a for a in args)

    _same(getattr(graphgrad, name)(*convert(graphgrad)), getattr(torch, name)(*convert(torch)))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    _same(graphgrad.meshgrid(*map(graphgrad.tensor, (V[:2], V[:3], V)), indexing=indexing),
          torch.meshgrid(*map(torch.tensor, (V[:2], V[:3], V)), indexing=indexing))


def test_gradients_of_statistics():
    compare_with_torch(graphgrad.cov, torch.cov, [M])
    compare_with_torch(lambda t: graphgrad.renorm(t, 2, 0, 1.0), lambda t: torch.renorm(t, 2, 0, 1.0),
                       [C])
    compare_with_torch(lambda t, f, a: graphgrad.cov(t, correction=0, fweights=f, aweights=a),
                       lambda t, f, a: torch.cov(t, correction=0, fweights=f, aweights=a),
                       [M, np.array([1, 2, 1, 3]), np.array([0.5, 1.0, 2.0, 0.2])], grad_inputs=[0])
    check_grads(graphgrad.corrcoef, [M])


def test_counting_and_queries():
    _same(graphgrad.unravel_index(graphgrad.tensor([5, 7]), (3, 4)),
          torch.unravel_index(torch.tensor([5, 7]), (3, 4)))
    _same(graphgrad.bincount(graphgrad.tensor([1, 1, 3]), minlength=6),
          torch.bincount(torch.tensor([1, 1, 3]), minlength=6))
    _same(graphgrad.histc(graphgrad.tensor(V), 4), torch.histc(torch.tensor(V), 4))
    _same(graphgrad.histogram(graphgrad.tensor(V), 3), torch.histogram(torch.tensor(V), 3))
    got, want = graphgrad.aminmax(graphgrad.tensor(M), dim=1), torch.aminmax(torch.tensor(M), dim=1)
    _same(got, want)
    assert graphgrad.isin(graphgrad.tensor([1, 2, 3]), graphgrad.tensor([2])).tolist() == \
        [False, True, False]
    assert graphgrad.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert graphgrad.result_type(graphgrad.tensor([1]), 1.0) == graphgrad.float32
    assert graphgrad.promote_types(graphgrad.int32, graphgrad.float16) == graphgrad.float16
    assert not graphgrad.can_cast(graphgrad.float32, graphgrad.int32)
    assert graphgrad.can_cast(graphgrad.int32, graphgrad.float32)
