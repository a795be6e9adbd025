"""matmul and its named forms (mm, bmm, mv, dot, outer, the @ operator) vs PyTorch, forward and
gradients in float32 and float64, gradcheck and gradgradcheck in float64, and shape errors."""
import numpy as np
import pytest

import graphgrad as gg
from parity import check_grads, compare_with_torch, torch_or_skip

# every rank combination matmul distinguishes: vector . vector, vector @ matrix, matrix @ vector,
# matrix @ matrix, batched @ matrix (folded into one product), broadcast batches, vector @ batched
MATMUL_SHAPES = [((4,), (4,)), ((4,), (4, 3)), ((2, 4), (4,)), ((2, 4), (4, 3)),
                 ((5, 2, 4), (4, 3)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)),
                 ((2, 3, 4), (4,))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes, dtype):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    compare_with_torch(lambda a, b: a @ b, lambda a, b: a @ b, arrays)
    compare_with_torch(gg.matmul, torch.matmul, arrays)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradcheck(shapes):
    rng = np.random.default_rng(1)
    check_grads(gg.matmul, [rng.standard_normal(s) for s in shapes])


@pytest.mark.parametrize("name,shapes", [("mm", ((3, 4), (4, 2))), ("bmm", ((2, 3, 4), (2, 4, 5))),
                                         ("mv", ((3, 4), (4,))), ("dot", ((5,), (5,))),
                                         ("outer", ((3,), (4,)))])
def test_named_products_match_torch_and_gradcheck(name, shapes):
    torch = torch_or_skip()
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in shapes]
    compare_with_torch(getattr(gg, name), getattr(torch, name), arrays)
    compare_with_torch(lambda a, b: getattr(a, name)(b), lambda a, b: getattr(a, name)(b),
                       [a.astype(np.float32) for a in arrays])
    check_grads(getattr(gg, name), arrays)


@pytest.mark.parametrize("call,message", [
    (lambda: gg.matmul(gg.ones(2, 3), gg.ones(4, 2)), "matmul"),
    (lambda: gg.mm(gg.ones(2, 3, 1), gg.ones(1, 2)), "mm: expected 2-D"),
    (lambda: gg.bmm(gg.ones(2, 3, 4), gg.ones(3, 4, 5)), "bmm"),
    (lambda: gg.mv(gg.ones(2, 3), gg.ones(2, 3)), "mv: expected a matrix and a vector"),
    (lambda: gg.dot(gg.ones(2, 2), gg.ones(2)), "dot: 1D tensors expected"),
])
def test_shape_errors_name_the_op(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()
