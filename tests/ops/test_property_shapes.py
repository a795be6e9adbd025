"""Property-based broadcasting tests: for random broadcastable shape pairs, ``+ - * /`` and ``where``
give NumPy's broadcast shape, and every input's gradient has that input's shape."""
import numpy as np
import pytest

import graphgrad

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import mutually_broadcastable_shapes  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None)
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)
triples = mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=4)

BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b}


def _leaf(shape, seed):
    data = np.random.default_rng(seed).uniform(0.5, 2.0, shape)  # away from 0 for division
    return graphgrad.tensor(data, requires_grad=True)


@SETTINGS
@given(shapes=pairs, op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_binary_ops_broadcast(shapes, op, seed):
    (sa, sb), expected = shapes.input_shapes, shapes.result_shape
    a, b = _leaf(sa, seed), _leaf(sb, seed + 1)
    out = BINARY[op](a, b)
    assert tuple(out.shape) == np.broadcast_shapes(sa, sb) == expected
    out.sum().backward()
    assert tuple(a.grad.shape) == sa and tuple(b.grad.shape) == sb
    # each input element is used prod(out) / prod(in) times: the gradient of a + b counts them
    if op == "add":
        n_out = int(np.prod(expected))
        np.testing.assert_allclose(a.grad.numpy().sum(), n_out)


@SETTINGS
@given(shapes=triples, seed=st.integers(0, 2**16))
def test_where_broadcast(shapes, seed):
    sc, sa, sb = shapes.input_shapes
    cond = graphgrad.tensor(np.random.default_rng(seed).random(sc) > 0.5)
    a, b = _leaf(sa, seed), _leaf(sb, seed + 1)
    out = graphgrad.where(cond, a, b)
    assert tuple(out.shape) == np.broadcast_shapes(sc, sa, sb) == shapes.result_shape
    out.sum().backward()
    assert tuple(a.grad.shape) == sa and tuple(b.grad.shape) == sb
    # every output element sends its gradient to exactly one of the two operands
    total = a.grad.numpy().sum() + b.grad.numpy().sum()
    np.testing.assert_allclose(total, np.prod(shapes.result_shape))


@SETTINGS
@given(shapes=pairs, op=st.sampled_from(["maximum", "minimum"]), seed=st.integers(0, 2**16))
def test_maximum_minimum_broadcast(shapes, op, seed):
    (sa, sb) = shapes.input_shapes
    a, b = _leaf(sa, seed), _leaf(sb, seed + 1)
    out = getattr(graphgrad, op)(a, b)
    assert tuple(out.shape) == shapes.result_shape
    out.sum().backward()
    assert tuple(a.grad.shape) == sa and tuple(b.grad.shape) == sb


@SETTINGS
@given(sa=st.lists(st.integers(2, 4), min_size=1, max_size=3),
       sb=st.lists(st.integers(2, 4), min_size=1, max_size=3))
def test_non_broadcastable_shapes_raise(sa, sb):
    sa, sb = tuple(sa), tuple(sb)
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        with pytest.raises(RuntimeError, match="broadcast"):
            _leaf(sa, 0) + _leaf(sb, 1)
        with pytest.raises(RuntimeError, match="broadcast"):
            graphgrad.where(graphgrad.ones(sa) > 0, _leaf(sa, 0), _leaf(sb, 1))
