"""The backward engine: accumulation, retain_graph, deep graphs, hooks, autograd.grad."""
import numpy as np
import pytest

import graphgrad as gg


def test_gradient_sums_where_a_value_feeds_two_ops():
    x = gg.tensor([2.0, 3.0], requires_grad=True)
    y = x * x + x * 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([2.0, 3.0]) + 3)


def test_leaf_grad_accumulates_across_calls():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_grad_not_aliased_between_leaves():
    a = gg.tensor([1.0], requires_grad=True)
    b = gg.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(1)
    assert b.grad.item() == 1.0


def test_chain_of_100000_ops_has_no_recursion_error():
    x = gg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_second_backward_through_freed_graph_raises():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_backward_on_non_scalar_needs_gradient():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(gg.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_retain_grad_and_hooks():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 2)
    y.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_autograd_grad_leaves_dot_grad_alone_and_allow_unused():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    z = gg.tensor([1.0], requires_grad=True)
    y = (x ** 2).sum()
    (g,) = gg.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    assert x.grad is None
    with pytest.raises(RuntimeError, match="not have been used"):
        gg.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = gg.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None


def test_hessian_vector_product():
    x = gg.tensor([1.0, 2.0, 3.0], dtype=gg.float64, requires_grad=True)
    v = gg.tensor([1.0, 0.5, -1.0], dtype=gg.float64)
    y = (x ** 3).sum()
    (g,) = gg.autograd.grad(y, x, create_graph=True)
    (hv,) = gg.autograd.grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.numpy(), 6 * x.detach().numpy() * v.numpy())


def test_inplace_on_saved_value_is_detected():
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1.0
    y = x * x
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises_but_not_under_no_grad():
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.add_(1)
    with gg.no_grad():
        w.add_(1)
    np.testing.assert_allclose(w.detach().numpy(), [2.0, 3.0])


def test_inplace_records_graph():
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    x = a * 2
    x.mul_(3)
    x += 1
    x.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 6.0])


def test_no_grad_and_decorators():
    x = gg.tensor([1.0], requires_grad=True)
    with gg.no_grad():
        assert not (x * 2).requires_grad
        with gg.enable_grad():
            assert (x * 2).requires_grad

    @gg.no_grad()
    def f():
        return x * 2

    assert not f().requires_grad
    with gg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with gg.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_detect_anomaly_names_op_and_user_line():
    x = gg.tensor([-1.0], requires_grad=True)
    with gg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="test_engine.py"):
            (x ** 0.5).sum()  # sqrt of a negative number: NaN in forward
