"""Issue 2's bad-input checklist in one place: each error names the op and shows what it got."""
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F


def test_matmul_shape_mismatch_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"matmul.*3x4.*5x2"):
        gg.randn(3, 4) @ gg.randn(5, 2)


def test_non_broadcastable_operands():
    with pytest.raises(RuntimeError, match=r"add.*\(3,\).*\(4,\)"):
        gg.randn(3) + gg.randn(4)


def test_backward_on_non_scalar_without_gradient():
    x = gg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(3,\)"):
        (x * 2).backward()


def test_cross_entropy_target_out_of_range():
    with pytest.raises((IndexError, ValueError, RuntimeError), match=r"cross_entropy.*10"):
        F.cross_entropy(gg.randn(2, 10), gg.tensor([1, 10]))


def test_wrong_dtype_for_indices():
    with pytest.raises((TypeError, IndexError, RuntimeError), match=r"index_select.*float"):
        gg.randn(4, 3).index_select(0, gg.tensor([0.0, 1.0]))
    with pytest.raises((TypeError, ValueError, RuntimeError), match=r"cross_entropy|nll_loss"):
        F.cross_entropy(gg.randn(2, 3), gg.tensor([0.0, 1.0, 2.0]))


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        gg.tensor([1, 2, 3], requires_grad=True)
