"""Indexing: tensor[...] reads and writes, gather/scatter, index_select/index_add/index_fill,
masked_fill/masked_select, take/take_along_dim, nonzero — against PyTorch, gradcheck, errors."""
import numpy as np
import pytest
from parity import check_grads, compare_with_torch

import graphgrad as gg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
SHAPE = (4, 5, 6)
MASK4 = np.array([True, False, True, False])
MASK45 = RNG.random((4, 5)) > 0.5
MASK456 = RNG.random(SHAPE) > 0.6
MASK5 = np.array([False, True, True, False, True])
MASK6 = np.array([True, False, False, True, True, False])


def _t(m, data, dtype=None):
    """A tensor in module ``m`` (graphgrad or torch) holding ``data``."""
    if dtype is not None:
        return m.tensor(np.asarray(data, dtype=dtype))
    return m.tensor(data)


# Each entry builds the same index for graphgrad and for torch.
INDEXES = {
    "int": lambda m: 0,
    "negative int": lambda m: -1,
    "slice": lambda m: slice(1, 3),
    "slice step": lambda m: slice(None, None, 2),
    "negative start": lambda m: slice(-3, None),
    "slice past end": lambda m: slice(2, 100),
    "empty slice": lambda m: slice(3, 1),
    "slice and int": lambda m: (slice(1, None, 2), 2),
    "ellipsis int": lambda m: (Ellipsis, 1),
    "none": lambda m: None,
    "none int": lambda m: (None, 0),
    "nones between": lambda m: (0, None, slice(None), None),
    "ellipsis none": lambda m: (Ellipsis, None),
    "int ellipsis int": lambda m: (1, Ellipsis, 2),
    "all ints": lambda m: (1, 2, 3),
    "list": lambda m: [0, 2, 2],
    "tensor 2d": lambda m: _t(m, [[0, 1], [3, 3]]),
    "two tensors": lambda m: (_t(m, [0, 1]), _t(m, [2, 3])),
    "split tensors": lambda m: (_t(m, [0, 1]), slice(None), _t(m, [2, 3])),
    "int then slice then tensor": lambda m: (0, slice(None), _t(m, [1, 2])),
    "tensors in the middle": lambda m: (slice(None), _t(m, [1, 1, 2]), _t(m, [0, 0, 5])),
    "broadcast tensors": lambda m: (_t(m, [[0], [1]]), _t(m, [0, 2, 4])),
    "negative in tensor": lambda m: _t(m, [-1, 0, -4]),
    "int tensor slice": lambda m: (1, _t(m, [2, -1]), slice(1, 4)),
    "int32 tensor": lambda m: _t(m, [3, 1], np.int32),
    "numpy array": lambda m: np.array([1, 3]),
    "0-d int tensor": lambda m: _t(m, 2),
    "0-d tensor and list": lambda m: (_t(m, 1), [0, 4]),
    "empty list": lambda m: _t(m, np.zeros(0, dtype=np.int64)),
    "mask 1d": lambda m: _t(m, MASK4),
    "mask 2d": lambda m: _t(m, MASK45),
    "mask full": lambda m: _t(m, MASK456),
    "mask after slice": lambda m: (slice(None), _t(m, MASK5)),
    "mask after ellipsis": lambda m: (Ellipsis, _t(m, MASK6)),
    "mask with tensor": lambda m: (_t(m, MASK4), _t(m, [1, 2])),
    "numpy mask": lambda m: MASK4,
    "True": lambda m: True,
    "False": lambda m: False,
    "0-d bool tensor": lambda m: _t(m, True),
    "none tensor int": lambda m: (None, _t(m, [0, 1]), 0),
    "repeated rows": lambda m: (_t(m, [2, 2, 2, 0]), slice(1, 3), _t(m, [1, 1, 1, 1])),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(INDEXES))
def test_getitem_matches_torch(name, dtype):
    make = INDEXES[name]
    x = RNG.standard_normal(SHAPE).astype(dtype)
    compare_with_torch(lambda t: t[make(gg)], lambda t: t[make(torch)], [x])


@pytest.mark.parametrize("name", ["slice step", "nones between", "split tensors", "tensor 2d",
                                  "tensors in the middle", "mask 2d", "repeated rows",
                                  "int then slice then tensor", "True"])
def test_getitem_gradcheck(name):
    make = INDEXES[name]
    check_grads(lambda t: t[make(gg)] * 1.5, [RNG.standard_normal(SHAPE)])


def test_getitem_repeated_indices_accumulate():
    x = gg.zeros(5, requires_grad=True)
    x[[1, 1, 1, 3, 3]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 3, 0, 2, 0])
    y = gg.zeros(3, 2, requires_grad=True)
    y[[0, 0, 2], [1, 1, 0]].sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0, 2], [0, 0], [1, 0]])


def test_getitem_backward_graph_and_array_paths_agree():
    x = np.random.default_rng(1).standard_normal(SHAPE)
    idx = (slice(None), [0, 4, 4], slice(1, 5, 2))
    a = gg.tensor(x, requires_grad=True)
    (a[idx] * 3).sum().backward()
    b = gg.tensor(x, requires_grad=True)
    (grad,) = gg.autograd.grad((b[idx] * 3).sum(), b, create_graph=True)
    np.testing.assert_allclose(a.grad.numpy(), grad.detach().numpy())


def test_negative_step_slices_follow_numpy():
    x = np.arange(24.0).reshape(4, 6)
    t = gg.tensor(x, requires_grad=True)
    y = t[::-1, 5:1:-2]
    np.testing.assert_array_equal(y.detach().numpy(), x[::-1, 5:1:-2])
    y.sum().backward()
    expected = np.zeros_like(x)
    expected[::-1, 5:1:-2] = 1
    np.testing.assert_array_equal(t.grad.numpy(), expected)


def test_basic_index_is_a_view_sharing_storage_and_version():
    x = gg.zeros(3, 4)
    row = x[1]
    row.add_(1.0)
    assert x.numpy()[1].tolist() == [1.0] * 4
    assert x._version == row._version == 1
    elem = x[2, 3]
    elem.fill_(7.0)
    assert x.numpy()[2, 3] == 7.0
    picked = x[[0, 1]]
    picked.add_(5.0)  # advanced indexing copies
    assert x.numpy()[0, 0] == 0.0


def test_modifying_base_after_view_was_saved_raises():
    a = gg.randn(3, 4, requires_grad=True)
    b = a * 1
    v = b[0]
    y = (v * v).sum()
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


# ------------------------------------------------------------------------------ __setitem__
SET_CASES = [
    (lambda m: 1, lambda m: 2.5),
    (lambda m: (slice(None), 2), lambda m: m.tensor(np.arange(6.0))),
    (lambda m: (Ellipsis, slice(1, 3)), lambda m: m.tensor(np.ones((5, 1)))),
    (lambda m: [0, 3], lambda m: m.tensor(np.full((5, 6), -1.0))),
    (lambda m: (_t(m, [0, 1]), slice(None), _t(m, [5, 0])),
     lambda m: m.tensor(np.arange(10.0).reshape(2, 5))),
    (lambda m: _t(m, MASK45), lambda m: 0.0),
    (lambda m: _t(m, MASK456), lambda m: m.tensor(np.arange(float(MASK456.sum())))),
    (lambda m: (0, slice(None), _t(m, [1, 2])), lambda m: m.tensor(np.ones((1, 5, 2)))),
]


@pytest.mark.parametrize("case", range(len(SET_CASES)))
def test_setitem_without_grad_matches_torch(case):
    make_index, make_value = SET_CASES[case]
    x = RNG.standard_normal(SHAPE).astype(np.float64)
    a, b = gg.tensor(x.copy()), torch.tensor(x.copy())
    value = make_value(gg)
    a[make_index(gg)] = value.to(gg.float64) if isinstance(value, gg.Tensor) else value
    tv = make_value(torch)
    b[make_index(torch)] = tv.double() if isinstance(tv, torch.Tensor) else tv
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a._version == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(SET_CASES)))
def test_setitem_gradients_match_torch(case, dtype):
    make_index, make_value = SET_CASES[case]
    x = RNG.standard_normal(SHAPE).astype(dtype)
    v_gg, v_th = make_value(gg), make_value(torch)
    tensor_value = isinstance(v_gg, gg.Tensor)
    arrays = [x] + ([v_gg.numpy().astype(dtype)] if tensor_value else [])

    def run(m, index, scalar):
        def fn(t, *v):
            y = t * 2
            y[index] = v[0] if v else scalar
            return y * y
        return fn

    compare_with_torch(run(gg, make_index(gg), v_gg), run(torch, make_index(torch), v_th), arrays)


def test_setitem_gradcheck():
    v = RNG.standard_normal((2, 5))
    idx = ([0, 2], slice(None), [1, 3])

    def fn(x, value):
        y = x.clone()
        y[idx] = value
        return y * y

    check_grads(fn, [RNG.standard_normal(SHAPE), v])


def test_setitem_into_tensor_without_grad_with_value_that_requires_grad():
    out = gg.zeros(3, 2)
    v = gg.tensor([1.0, 2.0], requires_grad=True)
    out[1] = v * 3
    assert out.grad_fn is not None and out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [3.0, 3.0])


def test_setitem_under_no_grad_writes_a_leaf_and_bumps_version():
    w = gg.zeros(4, requires_grad=True)
    with gg.no_grad():
        w[1:3] = 5.0
    assert w.detach().numpy().tolist() == [0.0, 5.0, 5.0, 0.0]
    assert w._version == 1 and w.is_leaf


def test_setitem_on_leaf_that_requires_grad_raises():
    w = gg.zeros(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 1.0


def test_setitem_shape_mismatch_error():
    x = gg.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\]"):
        x[0] = gg.ones(3)


# ------------------------------------------------------------------------------------ errors
def test_index_errors():
    x = gg.zeros(4, 5)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 4"):
        x[4]
    with pytest.raises(IndexError, match="index -6 is out of bounds for dimension 1 with size 5"):
        x[:, -6]
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 1 with size 5"):
        x[:, [1, 7]]
    with pytest.raises(IndexError, match="must be long.*got float32"):
        x[gg.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="got int16"):
        x[gg.tensor(np.array([0, 1], dtype=np.int16))]
    with pytest.raises(IndexError, match=r"shape of the mask \[3\] at index 0 does not match"):
        x[gg.tensor([True, False, True])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(IndexError, match="could not be broadcast"):
        x[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="valid indices"):
        x["a"]


# --------------------------------------------------------------------------- gather & scatter
def _random_index(shape, high, rng):
    return rng.integers(0, high, size=shape).astype(np.int64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_matches_torch(dim, dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    shape = [2, 3, 4]
    shape[dim] = 6
    idx = _random_index(shape, x.shape[dim], rng)
    compare_with_torch(lambda t, i: t.gather(dim, i), lambda t, i: torch.gather(t, dim, i), [x, idx])
    check_grads(lambda t: gg.gather(t, dim, gg.tensor(idx)), [x])


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, 2])
def test_scatter_and_scatter_add_match_torch(dim, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    shape = [2, 3, 4]
    src = rng.standard_normal(shape).astype(dtype)
    # scatter: distinct positions so that the result does not depend on the write order
    perm = np.argsort(rng.random((3, 4, 5)), axis=dim)
    idx = np.take(perm, np.arange(shape[dim]), axis=dim)[:2, :3, :4].astype(np.int64)
    compare_with_torch(lambda t, s, i: t.scatter(dim, i, s), lambda t, s, i: t.scatter(dim, i, s),
                       [x, src, idx])
    compare_with_torch(lambda t, i: t.scatter(dim, i, 1.5), lambda t, i: t.scatter(dim, i, 1.5),
                       [x, idx])
    rep = _random_index(shape, x.shape[dim], rng)
    compare_with_torch(lambda t, s, i: t.scatter_add(dim, i, s),
                       lambda t, s, i: t.scatter_add(dim, i, s), [x, src, rep])
    compare_with_torch(lambda t, s, i: t.scatter(dim, i, s, reduce="add"),
                       lambda t, s, i: t.scatter(dim, i, s, reduce="add"), [x, src, rep], grad=False)
    compare_with_torch(lambda t, s, i: t.scatter(dim, i, s, reduce="multiply"),
                       lambda t, s, i: t.scatter(dim, i, s, reduce="multiply"), [x, src, rep],
                       grad=False)
    check_grads(lambda t, s: gg.scatter(t, dim, gg.tensor(idx), s), [x, src])
    check_grads(lambda t, s: gg.scatter_add(t, dim, gg.tensor(rep), s), [x, src])


def test_scatter_src_larger_than_index_and_in_place_forms():
    x = np.zeros((3, 4))
    src = np.arange(20.0).reshape(4, 5)
    idx = np.array([[2, 0, 1], [1, 2, 0]])
    # (PyTorch's backward fails when src is larger than index; graphgrad's pads with zeros)
    compare_with_torch(lambda t, s, i: t.scatter(0, i, s), lambda t, s, i: t.scatter(0, i, s),
                       [x, src, idx], grad=False)
    check_grads(lambda t, s: gg.scatter(t, 0, gg.tensor(idx), s), [x, src])
    a, b = gg.tensor(x.copy()), torch.tensor(x.copy())
    a.scatter_(0, gg.tensor(idx), gg.tensor(src))
    b.scatter_(0, torch.tensor(idx), torch.tensor(src))
    a.scatter_add_(1, gg.tensor(idx), gg.tensor(src))
    b.scatter_add_(1, torch.tensor(idx), torch.tensor(src))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_gather_scatter_errors():
    x = gg.zeros(3, 4)
    with pytest.raises(RuntimeError, match="gather: expected an index tensor of dtype int64.*float32"):
        x.gather(0, gg.tensor([[0.0]]))
    with pytest.raises(IndexError, match="gather: index 3 is out of bounds for dimension 0 with size 3"):
        x.gather(0, gg.tensor([[3]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(0, gg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="Size does not match at dimension 1"):
        x.gather(0, gg.tensor([[0] * 5]))
    with pytest.raises(RuntimeError, match="scatter_add: Expected self.dtype"):
        x.scatter_add(0, gg.tensor([[0]]), gg.ones(1, 1, dtype=gg.float64))


# --------------------------------------------------------------------- index_select and friends
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_and_index_add_match_torch(dim, dtype):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 5, 3)).astype(dtype)
    idx = rng.integers(0, x.shape[dim], size=7).astype(np.int64)
    compare_with_torch(lambda t, i: t.index_select(dim, i),
                       lambda t, i: torch.index_select(t, dim, i), [x, idx])
    shape = list(x.shape)
    shape[dim] = 7
    src = rng.standard_normal(shape).astype(dtype)
    compare_with_torch(lambda t, s, i: t.index_add(dim, i, s, alpha=2.0),
                       lambda t, s, i: t.index_add(dim, i, s, alpha=2.0), [x, src, idx])
    compare_with_torch(lambda t, i: t.index_fill(dim, i, -2.0),
                       lambda t, i: t.index_fill(dim, i, -2.0), [x, idx])
    check_grads(lambda t: gg.index_select(t, dim, gg.tensor(idx)), [x])
    check_grads(lambda t, s: gg.index_add(t, dim, gg.tensor(idx), s), [x, src])


def test_index_select_accumulates_repeats():
    w = gg.zeros(3, 2, requires_grad=True)
    w.index_select(0, gg.tensor([2, 2, 0, 2])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [0, 0], [3, 3]])


def test_index_select_errors():
    x = gg.zeros(3, 4)
    with pytest.raises(RuntimeError, match="index_select: expected an index tensor of dtype int64"):
        x.index_select(0, gg.tensor([0.5]))
    with pytest.raises(IndexError, match="index_select: index 4 is out of bounds for dimension 1"):
        x.index_select(1, gg.tensor([4]))
    with pytest.raises(IndexError, match="index should have 1 dimension"):
        x.index_select(0, gg.tensor([[0]]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (1, 4), (2, 3, 4)])
def test_masked_fill_and_masked_select_match_torch(mask_shape, dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4)).astype(dtype)
    mask = rng.random(mask_shape) > 0.5
    compare_with_torch(lambda t, m: t.masked_fill(m, 3.0), lambda t, m: t.masked_fill(m, 3.0),
                       [x, mask])
    v = np.array(0.5, dtype=dtype)
    compare_with_torch(lambda t, m, v: t.masked_fill(m, v), lambda t, m, v: t.masked_fill(m, v),
                       [x, mask, v])
    compare_with_torch(lambda t, m: t.masked_select(m), lambda t, m: t.masked_select(m), [x, mask])
    check_grads(lambda t, v: gg.masked_fill(t, gg.tensor(mask), v), [x, v])
    check_grads(lambda t: gg.masked_select(t, gg.tensor(mask)), [x])


def test_masked_fill_in_place_and_errors():
    x = gg.zeros(2, 3)
    x.masked_fill_(gg.tensor([True, False, True]), 1.0)
    assert x.numpy().tolist() == [[1, 0, 1], [1, 0, 1]]
    with pytest.raises(RuntimeError, match="masked_fill: expected a bool mask.*int64"):
        x.masked_fill(gg.tensor([1, 0, 1]), 0.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(gg.tensor([True, False, True]), gg.ones(2))
    with pytest.raises(RuntimeError, match="masked_fill_: output with shape"):
        x.masked_fill_(gg.ones(4, 2, 3, dtype=gg.bool), 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_take_and_take_along_dim_match_torch(dtype):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4)).astype(dtype)
    idx = np.array([[0, -1, 5], [11, 5, 5]])
    compare_with_torch(lambda t, i: t.take(i), lambda t, i: torch.take(t, i), [x, idx])
    along = rng.integers(0, 4, size=(1, 6)).astype(np.int64)
    compare_with_torch(lambda t, i: gg.take_along_dim(t, i, dim=1),
                       lambda t, i: torch.take_along_dim(t, i, dim=1), [x, along])
    flat = rng.integers(0, 12, size=(5,)).astype(np.int64)
    compare_with_torch(lambda t, i: gg.take_along_dim(t, i), lambda t, i: torch.take_along_dim(t, i),
                       [x, flat])
    argmax = x.argmax(axis=0)[None]
    compare_with_torch(lambda t, i: t.take_along_dim(i, 0), lambda t, i: t.take_along_dim(i, 0),
                       [x, argmax])
    check_grads(lambda t: gg.take(t, gg.tensor(idx)), [x])
    with pytest.raises(IndexError, match="take: out of range: tried to access index 12 on a tensor of 12"):
        gg.take(gg.tensor(x), gg.tensor([12]))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), ()])
def test_nonzero_and_argwhere_match_torch(shape):
    x = (np.random.default_rng(7).random(shape) > 0.5).astype(np.float32)
    compare_with_torch(lambda t: t.nonzero(), lambda t: t.nonzero(), [x], grad=False)
    compare_with_torch(lambda t: gg.argwhere(t), lambda t: torch.argwhere(t), [x], grad=False)
    compare_with_torch(lambda t: t.nonzero(as_tuple=True), lambda t: t.nonzero(as_tuple=True), [x],
                       grad=False)


# --------------------------------------------------------------------- property-based indexing
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def _shape_and_index(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    items = []
    for n in shape[:draw(st.integers(0, len(shape)))]:
        kind = draw(st.sampled_from(["int", "slice", "list", "none", "full"]))
        if kind == "int":
            items.append(("int", draw(st.integers(-n, n - 1))))
        elif kind == "slice":
            items.append(("slice", slice(draw(st.integers(-n, n)), draw(st.integers(-n, n)),
                                         draw(st.integers(1, 3)))))
        elif kind == "list":
            items.append(("list", draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3))))
        elif kind == "none":
            items.append(("none", None))
            items.append(("full", slice(None)))
        else:
            items.append(("full", slice(None)))
    lists = [v for k, v in items if k == "list"]
    if len({len(v) for v in lists}) > 1:  # advanced indices must broadcast: give them one length
        m = min(len(v) for v in lists)
        items = [(k, v[:m] if k == "list" else v) for k, v in items]
    return shape, items


def _build(m, items):
    return tuple(m.tensor(v) if k == "list" else v for k, v in items)


@settings(max_examples=40, deadline=None)
@given(case=_shape_and_index(), seed=st.integers(0, 2**16))
def test_getitem_property_matches_torch(case, seed):
    shape, items = case
    x = np.random.default_rng(seed).standard_normal(shape)
    compare_with_torch(lambda t: t[_build(gg, items)], lambda t: t[_build(torch, items)], [x])


def test_zero_dim_inputs_match_torch():
    x = np.array(5.0)
    compare_with_torch(lambda t: t.gather(0, gg.tensor([0, 0])),
                       lambda t: t.gather(0, torch.tensor([0, 0])), [x])
    compare_with_torch(lambda t: t.gather(0, gg.tensor(0)), lambda t: t.gather(0, torch.tensor(0)), [x])
    compare_with_torch(lambda t: t.masked_select(gg.tensor(True)),
                       lambda t: t.masked_select(torch.tensor(True)), [x])
    compare_with_torch(lambda t: t[None], lambda t: t[None], [x])
    compare_with_torch(lambda t: t[...], lambda t: t[...], [x])
    compare_with_torch(lambda t: t.index_select(0, gg.tensor([0])),
                       lambda t: t.index_select(0, torch.tensor([0])), [x])


def test_in_place_on_an_index_view_of_a_tensor_that_requires_grad_matches_torch():
    """``y[0] += v``: the base becomes an index-put of the result (PyTorch's CopySlices)."""
    x = RNG.standard_normal((3, 2))
    v = np.array([1.0, -2.0])

    def run(m):
        def fn(a, b):
            y = a * 2
            y[0] += b
            y[1:] *= 3
            row = y[2]
            row.mul_(2.0)
            y[1].sub_(1.0)
            return y * y
        return fn

    compare_with_torch(run(gg), run(torch), [x, v])
    check_grads(run(gg), [x, v])
