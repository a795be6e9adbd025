"""einsum vs PyTorch: forward and gradients over many equations, gradcheck, errors."""
import numpy as np
import pytest
from parity import check_grads, compare_with_torch

import graphgrad as gg

torch = pytest.importorskip("torch")

CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("iij->j", [(3, 3, 2)]),
    ("iii->i", [(3, 3, 3)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,kj->ik", [(3, 4), (5, 4)]),
    ("ijk,ikl,lm->jm", [(2, 3, 4), (2, 4, 5), (5, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("i...->...", [(3, 2, 4)]),
    ("...ij->ij", [(2, 3, 4)]),
    ("...->...", [(2, 3)]),
    ("ij,j->i", [(3, 4), (4,)]),
    ("ij,ij->", [(1, 4), (3, 4)]),
    ("Ab,bA", [(2, 3), (3, 2)]),
    ("ba", [(2, 3)]),
    ("i,i,i->i", [(4,), (4,), (4,)]),
    ("ab,cd->", [(2, 3), (4, 5)]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("eq,shapes", CASES, ids=[c[0] for c in CASES])
def test_einsum_matches_torch(eq, shapes, dtype):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    compare_with_torch(lambda *t: gg.einsum(eq, *t), lambda *t: torch.einsum(eq, *t), arrays,
                       rtol=1e-4 if dtype == np.float32 else None)


@pytest.mark.parametrize("eq,shapes", CASES[::2] + [CASES[9], CASES[17]],
                         ids=[c[0] for c in CASES[::2] + [CASES[9], CASES[17]]])
def test_einsum_gradcheck(eq, shapes):
    rng = np.random.default_rng(1)
    check_grads(lambda *t: gg.einsum(eq, *t), [rng.standard_normal(s) for s in shapes])


def test_einsum_list_and_sublist_forms():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    compare_with_torch(lambda x, y: gg.einsum("ij,jk->ik", [x, y]),
                       lambda x, y: torch.einsum("ij,jk->ik", [x, y]), [a, b])
    compare_with_torch(lambda x, y: gg.einsum(x, [0, 1], y, [1, 2], [0, 2]),
                       lambda x, y: torch.einsum(x, [0, 1], y, [1, 2], [0, 2]), [a, b])
    compare_with_torch(lambda x: gg.einsum(x, [Ellipsis, 1], [1]),
                       lambda x: torch.einsum(x, [Ellipsis, 1], [1]), [a])


def test_einsum_same_tensor_twice_and_spaces():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3))
    compare_with_torch(lambda x: gg.einsum("ij, jk -> ik", x, x),
                       lambda x: torch.einsum("ij,jk->ik", x, x), [a])
    check_grads(lambda x: gg.einsum("ij,ji->", x, x), [a])


def test_einsum_errors():
    a, b = gg.zeros(3, 4), gg.zeros(5, 6)
    with pytest.raises(RuntimeError, match="subscript j has size 5.*previously seen size 4"):
        gg.einsum("ij,jk->ik", a, b)
    with pytest.raises(ValueError, match="2 operands in the equation .* but 1 tensors"):
        gg.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match=r"number of subscripts in 'ijk' \(3\) does not match.*\(3, 4\)"):
        gg.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="output subscript 'z' does not appear"):
        gg.einsum("ij->z", a)
    with pytest.raises(ValueError, match="appears more than once"):
        gg.einsum("ij->ii", a)
    with pytest.raises(RuntimeError, match=r"subscript i is repeated .* sizes don't match, \[3, 4\]"):
        gg.einsum("ii->i", a)
    with pytest.raises(ValueError, match="invalid subscript"):
        gg.einsum("i1->i", a)
