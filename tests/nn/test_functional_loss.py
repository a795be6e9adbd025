"""nn.functional losses against PyTorch (forward and gradients, float32/float64, every reduction
and option), float64 gradcheck/gradgradcheck, both backward paths, stability and error messages."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import graphgrad
import graphgrad.nn.functional as F
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _targets(shape, n_classes, seed=0, ignore=None):
    t = _rng(seed).integers(0, n_classes, size=shape).astype(np.int64)
    if ignore is not None and t.size > 1:
        t.flat[:: 3] = ignore  # some ignored entries
    return t


def _call(fn, *args, **kw):
    return lambda *t: fn(*t, **kw)


# ------------------------------------------------------------------------ cross entropy
CE_SHAPES = [(5, 4), (3, 4, 2), (2, 3, 2, 2), (4,)]


def _ce_case(shape, weight, ignore_index, dtype, seed=0):
    x = (_rng(seed).standard_normal(shape) * 2).astype(dtype)
    c = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    ignore = ignore_index if ignore_index != -100 else None
    t = _targets(tshape, c, seed, ignore)
    w = (_rng(seed + 1).random(c) + 0.5).astype(dtype) if weight else None
    return x, t, w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("shape", CE_SHAPES)
def test_cross_entropy_class_indices(shape, weight, ignore_index, label_smoothing, reduction,
                                     dtype):
    x, t, w = _ce_case(shape, weight, ignore_index, dtype)
    kw = dict(ignore_index=ignore_index, label_smoothing=label_smoothing, reduction=reduction)
    arrays = [x, t] + ([w] if weight else [])
    compare_with_torch(_call(F.cross_entropy, **kw), _call(TF.cross_entropy, **kw), arrays,
                       grad_inputs=[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("shape", CE_SHAPES)
def test_cross_entropy_class_probabilities(shape, weight, label_smoothing, reduction, dtype):
    x = (_rng(0).standard_normal(shape) * 2).astype(dtype)
    axis = 1 if len(shape) > 1 else 0
    p = _rng(1).random(shape)
    p = (p / p.sum(axis=axis, keepdims=True)).astype(dtype)
    c = shape[axis]
    w = (_rng(2).random(c) + 0.5).astype(dtype)
    kw = dict(label_smoothing=label_smoothing, reduction=reduction)
    arrays = [x, p] + ([w] if weight else [])
    compare_with_torch(_call(F.cross_entropy, **kw), _call(TF.cross_entropy, **kw), arrays,
                       grad_inputs=[0, 1])


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck(reduction, weight, label_smoothing):
    x, t, w = _ce_case((3, 4, 2), weight, 1, np.float64)
    kw = dict(ignore_index=1, label_smoothing=label_smoothing, reduction=reduction)
    arrays = [x, t] + ([w] if weight else [])
    check_grads(_call(F.cross_entropy, **kw), arrays, grad_inputs=[0])
    p = _rng(3).random((3, 4))
    p /= p.sum(1, keepdims=True)
    arrays = [x[:, :, 0], p] + ([w] if weight else [])
    check_grads(_call(F.cross_entropy, reduction=reduction, label_smoothing=label_smoothing),
                arrays, grad_inputs=[0, 1])


def _both_paths(fn, arrays, grad_inputs):
    """Gradients from the array fast path (plain backward) and the recorded one agree."""
    def run(create_graph):
        ts = [graphgrad.tensor(a, requires_grad=i in grad_inputs) for i, a in enumerate(arrays)]
        out = fn(*ts)
        w = graphgrad.tensor(_rng(7).standard_normal(out.shape))
        gs = graphgrad.autograd.grad((out * w).sum(), [ts[i] for i in grad_inputs],
                                     create_graph=create_graph)
        return [g.detach().numpy() for g in gs]
    for a, b in zip(run(False), run(True)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_backward_paths_agree(reduction, weight, label_smoothing):
    x, t, w = _ce_case((4, 3, 2), weight, 2, np.float64)
    kw = dict(ignore_index=2, label_smoothing=label_smoothing, reduction=reduction)
    _both_paths(_call(F.cross_entropy, **kw), [x, t] + ([w] if weight else []), [0])
    p = _rng(3).random((4, 3))
    p /= p.sum(1, keepdims=True)
    _both_paths(_call(F.cross_entropy, reduction=reduction, label_smoothing=label_smoothing),
                [x[:, :, 0], p] + ([w] if weight else []), [0, 1])
    _both_paths(_call(F.nll_loss, reduction=reduction, ignore_index=2),
                [x, t] + ([w] if weight else []), [0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_stable_for_large_logits(dtype):
    x = np.array([[1e4, 0.0, -1e4], [1000.0, 1000.0, 999.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    t = np.array([2, 0, 1])
    for reduction in REDUCTIONS:
        out = compare_with_torch(_call(F.cross_entropy, reduction=reduction),
                                 _call(TF.cross_entropy, reduction=reduction), [x, t],
                                 grad_inputs=[0])
        assert np.isfinite(out[0].detach().numpy()).all()


def test_cross_entropy_all_ignored_mean_is_nan():
    x = graphgrad.randn(3, 4)
    t = graphgrad.tensor([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, t).item())
    assert np.isnan(TF.cross_entropy(torch.tensor(x.numpy()), torch.tensor(t.numpy())).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0


def test_cross_entropy_is_one_node():
    x = graphgrad.randn(8, 10, requires_grad=True)
    out = F.cross_entropy(x, graphgrad.randint(0, 10, (8,)))
    assert out.grad_fn.name() == "CrossEntropyBackward"
    assert out.grad_fn.next_functions[0][0].name() == "AccumulateGrad"


def test_cross_entropy_errors():
    x = graphgrad.randn(4, 3)
    with pytest.raises(IndexError, match=r"cross_entropy: target 3 is out of bounds for 3 classes"):
        F.cross_entropy(x, graphgrad.tensor([0, 1, 3, 2]))
    with pytest.raises(IndexError, match=r"target -1 is out of bounds for 3 classes"):
        F.cross_entropy(x, graphgrad.tensor([0, 1, -1, 2]))
    with pytest.raises(TypeError, match=r"cross_entropy: target of shape \(4,\).*float32.*int64"):
        F.cross_entropy(x, graphgrad.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(TypeError, match="cross_entropy: expected a floating-point input, got "
                                        "int64"):
        F.cross_entropy(graphgrad.tensor([[1, 2]]), graphgrad.tensor([0]))
    with pytest.raises(ValueError, match=r"batch_size \(4\) to match target batch_size \(3\).*"
                                         r"\(4, 3\).*\(3,\)"):
        F.cross_entropy(x, graphgrad.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"expected target of shape \(2, 5\) for input of shape "
                                         r"\(2, 3, 5\), got \(2, 4\)"):
        F.cross_entropy(graphgrad.randn(2, 3, 5), graphgrad.zeros(2, 4, dtype=graphgrad.int64))
    with pytest.raises(TypeError, match="expected floating point type for target with class "
                                        "probabilities, got int64"):
        F.cross_entropy(x, graphgrad.zeros(4, 3, dtype=graphgrad.int64))
    with pytest.raises(ValueError, match=r"class-probability target of shape \(4, 2\) must have "
                                         r"the input's shape \(4, 3\)"):
        F.cross_entropy(x, graphgrad.rand(4, 2))
    with pytest.raises(RuntimeError, match=r"weight tensor should be defined either for all 3 "
                                           r"classes.*\(2,\)"):
        F.cross_entropy(x, graphgrad.tensor([0, 1, 2, 0]), weight=graphgrad.ones(2))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.cross_entropy(x, graphgrad.tensor([0, 1, 2, 0]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be between"):
        F.cross_entropy(x, graphgrad.tensor([0, 1, 2, 0]), label_smoothing=1.5)


# ------------------------------------------------------------------------ nll
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [-100, 0])
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("shape", CE_SHAPES)
def test_nll_loss(shape, weight, ignore_index, reduction, dtype):
    x, t, w = _ce_case(shape, weight, ignore_index, dtype)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    compare_with_torch(_call(F.nll_loss, **kw), _call(TF.nll_loss, **kw),
                       [x, t] + ([w] if weight else []), grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_gradcheck(reduction):
    x, t, w = _ce_case((4, 3), True, -100, np.float64)
    check_grads(_call(F.nll_loss, reduction=reduction), [x, t, w], grad_inputs=[0])


def test_nll_loss_errors():
    with pytest.raises(IndexError, match=r"nll_loss: target 7 is out of bounds for 3 classes"):
        F.nll_loss(graphgrad.randn(2, 3), graphgrad.tensor([7, 0]))
    with pytest.raises(TypeError, match=r"nll_loss: expected a target of class indices .*float32"):
        F.nll_loss(graphgrad.randn(2, 3), graphgrad.tensor([1.0, 0.0]))


# ------------------------------------------------------------------------ elementwise losses
def _pair(shape, dtype, seed=0):
    return [(_rng(seed).standard_normal(shape) * 2).astype(dtype),
            (_rng(seed + 1).standard_normal(shape) * 2).astype(dtype)]


REGRESSION = [
    ("mse_loss", {}),
    ("l1_loss", {}),
    ("smooth_l1_loss", {}),
    ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {}),
    ("huber_loss", {"delta": 2.0}),
    ("soft_margin_loss", {}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", REGRESSION, ids=[f"{n}{kw}" for n, kw in REGRESSION])
def test_regression_losses(name, kw, reduction, dtype):
    arrays = _pair((4, 5), dtype)
    if name == "soft_margin_loss":
        arrays[1] = np.sign(arrays[1])
    grad_inputs = [0] if name == "soft_margin_loss" else [0, 1]  # torch: no grad for its target
    compare_with_torch(_call(getattr(F, name), reduction=reduction, **kw),
                       _call(getattr(TF, name), reduction=reduction, **kw), arrays,
                       grad_inputs=grad_inputs)
    if dtype == np.float64:
        check_grads(_call(getattr(F, name), reduction=reduction, **kw), arrays)


def test_mse_broadcast_warns():
    with pytest.warns(UserWarning, match=r"mse_loss: using a target size \(3, 1\)"):
        F.mse_loss(graphgrad.randn(3, 4), graphgrad.randn(3, 1))
    with pytest.raises(RuntimeError, match=r"mse_loss: .*\(3, 4\).*\(2, 4\)"):
        F.mse_loss(graphgrad.randn(3, 4), graphgrad.randn(2, 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [False, True])
def test_binary_cross_entropy(weight, reduction, dtype):
    rng = _rng(0)
    x = rng.uniform(0.02, 0.98, (4, 3)).astype(dtype)
    t = rng.random((4, 3)).astype(dtype)
    w = rng.random((3,)).astype(dtype)
    arrays = [x, t] + ([w] if weight else [])
    compare_with_torch(_call(F.binary_cross_entropy, reduction=reduction),
                       _call(TF.binary_cross_entropy, reduction=reduction), arrays,
                       grad_inputs=[0, 1])
    if dtype == np.float64:
        check_grads(_call(F.binary_cross_entropy, reduction=reduction), arrays, grad_inputs=[0, 1])
        _both_paths(_call(F.binary_cross_entropy, reduction=reduction), arrays, [0, 1])


def test_binary_cross_entropy_log_clamp():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=np.float32)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=np.float32)
    compare_with_torch(_call(F.binary_cross_entropy, reduction="none"),
                       _call(TF.binary_cross_entropy, reduction="none"), [x, t], grad_inputs=[0])


def test_binary_cross_entropy_errors():
    with pytest.raises(RuntimeError, match="binary_cross_entropy: all elements of input should be "
                                           "between 0 and 1"):
        F.binary_cross_entropy(graphgrad.tensor([0.5, 1.5]), graphgrad.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: using a target size \(2, 1\).*"
                                         r"input size \(2,\)"):
        F.binary_cross_entropy(graphgrad.tensor([0.5, 0.5]), graphgrad.tensor([[0.0], [1.0]]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target size \(3,\) "
                                         r"must be the same as input size \(3, 1\)"):
        F.binary_cross_entropy_with_logits(graphgrad.randn(3, 1), graphgrad.rand(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits(weights, reduction, dtype):
    rng = _rng(0)
    x = (rng.standard_normal((4, 3)) * 3).astype(dtype)
    t = rng.random((4, 3)).astype(dtype)
    w = rng.random((4, 1)).astype(dtype) + 0.5
    pw = rng.random((3,)).astype(dtype) + 0.5

    def make(fn):
        def call(x, t, w, pw):
            return fn(x, t, weight=w if weights in ("weight", "both") else None,
                      pos_weight=pw if weights in ("pos_weight", "both") else None,
                      reduction=reduction)
        return call
    compare_with_torch(make(F.binary_cross_entropy_with_logits),
                       make(TF.binary_cross_entropy_with_logits), [x, t, w, pw],
                       grad_inputs=[0, 1])
    if dtype == np.float64:
        check_grads(make(F.binary_cross_entropy_with_logits), [x, t, w, pw], grad_inputs=[0, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_with_logits_stable(dtype):
    x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], dtype=dtype)
    t = np.array([1.0, 1.0, 0.0, 0.5, 1.0, 0.0, 0.0], dtype=dtype)
    out = compare_with_torch(_call(F.binary_cross_entropy_with_logits, reduction="none"),
                             _call(TF.binary_cross_entropy_with_logits, reduction="none"), [x, t])
    assert np.isfinite(out[0].detach().numpy()).all()


# ------------------------------------------------------------------------ margin / distance
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 1.0), (1, 0.3), (2, 2.0)])
def test_multi_margin_loss(p, margin, weight, reduction, dtype):
    rng = _rng(0)
    x = rng.standard_normal((6, 4)).astype(dtype)
    t = rng.integers(0, 4, 6)
    w = (rng.random(4) + 0.5).astype(dtype)
    kw = dict(p=p, margin=margin, reduction=reduction)

    def make(fn):
        return lambda x, t, *w: fn(x, t, weight=w[0] if w else None, **kw)
    arrays = [x, t] + ([w] if weight else [])
    compare_with_torch(make(F.multi_margin_loss), make(TF.multi_margin_loss), arrays,
                       grad_inputs=[0])
    if dtype == np.float64:
        check_grads(make(F.multi_margin_loss), arrays, grad_inputs=[0])
        _both_paths(make(F.multi_margin_loss), arrays, [0])


def test_multi_margin_loss_unbatched_and_errors():
    x = _rng(0).standard_normal(5)
    compare_with_torch(F.multi_margin_loss, TF.multi_margin_loss, [x, np.array(2)],
                       grad_inputs=[0])
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2"):
        F.multi_margin_loss(graphgrad.randn(2, 3), graphgrad.tensor([0, 1]), p=3)
    with pytest.raises(IndexError, match="multi_margin_loss: target 3 is out of bounds for 3"):
        F.multi_margin_loss(graphgrad.randn(2, 3), graphgrad.tensor([0, 3]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(log_target, reduction, dtype):
    rng = _rng(0)
    x = np.log(rng.dirichlet(np.ones(5), 3)).astype(dtype)
    t = rng.dirichlet(np.ones(5), 3)
    t[0, 1] = 0.0  # zero target: contributes 0
    t = (np.log(t + 1e-3) if log_target else t).astype(dtype)
    kw = dict(reduction=reduction, log_target=log_target)
    with np.errstate(divide="ignore"), pytest.warns() if reduction == "mean" else _nothing():
        compare_with_torch(_call(F.kl_div, **kw), _call(TF.kl_div, **kw), [x, t], grad_inputs=[0])
    if dtype == np.float64 and reduction != "mean":
        check_grads(_call(F.kl_div, **kw), [x, np.abs(t) + 0.1 if not log_target else t])


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_loss(margin, reduction, dtype):
    rng = _rng(0)
    a, b = rng.standard_normal((2, 6, 4)).astype(dtype)
    y = np.array([1, -1, 1, -1, -1, 1], dtype=dtype)
    kw = dict(margin=margin, reduction=reduction)
    compare_with_torch(_call(F.cosine_embedding_loss, **kw),
                       _call(TF.cosine_embedding_loss, **kw), [a, b, y], grad_inputs=[0, 1])
    if dtype == np.float64:
        check_grads(_call(F.cosine_embedding_loss, **kw), [a, b, y], grad_inputs=[0, 1])
    compare_with_torch(_call(F.cosine_embedding_loss, **kw),
                       _call(TF.cosine_embedding_loss, **kw), [a[0], b[0], np.array(-1.0, dtype)],
                       grad_inputs=[0, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(margin, reduction, dtype):
    rng = _rng(0)
    a, b = rng.standard_normal((2, 7)).astype(dtype)
    y = np.sign(rng.standard_normal(7)).astype(dtype)
    kw = dict(margin=margin, reduction=reduction)
    compare_with_torch(_call(F.margin_ranking_loss, **kw), _call(TF.margin_ranking_loss, **kw),
                       [a, b, y], grad_inputs=[0, 1])
    if dtype == np.float64:
        check_grads(_call(F.margin_ranking_loss, **kw), [a, b, y], grad_inputs=[0, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap,margin", [(2, False, 1.0), (1, False, 0.5), (2, True, 1.0),
                                           (3, True, 2.0)])
def test_triplet_margin_loss(p, swap, margin, reduction, dtype):
    a, pos, neg = _rng(0).standard_normal((3, 5, 4)).astype(dtype)
    kw = dict(p=p, swap=swap, margin=margin, reduction=reduction)
    compare_with_torch(_call(F.triplet_margin_loss, **kw), _call(TF.triplet_margin_loss, **kw),
                       [a, pos, neg])
    if dtype == np.float64:
        check_grads(_call(F.triplet_margin_loss, **kw), [a, pos, neg])


def test_margin_loss_errors():
    with pytest.raises(RuntimeError, match=r"margin_ranking_loss: all input tensors should have "
                                           r"the same dimension.*\(3,\).*\(3, 1\)"):
        F.margin_ranking_loss(graphgrad.randn(3), graphgrad.randn(3, 1), graphgrad.ones(3))
    with pytest.raises(RuntimeError, match=r"triplet_margin_loss: .*same number of dimensions"):
        F.triplet_margin_loss(graphgrad.randn(3, 2), graphgrad.randn(3, 2), graphgrad.randn(2))
    with pytest.raises(RuntimeError, match=r"cosine_embedding_loss: expected input1 and input2 of "
                                           r"the same shape.*\(3, 2\) and \(3, 4\)"):
        F.cosine_embedding_loss(graphgrad.randn(3, 2), graphgrad.randn(3, 4), graphgrad.ones(3))


def test_other_losses():
    rng = _rng(0)
    x = rng.standard_normal((4, 3))
    y = np.sign(rng.standard_normal((4, 3)))
    for fn in ("hinge_embedding_loss",):
        compare_with_torch(getattr(F, fn), getattr(TF, fn), [x, y], grad_inputs=[0])
    rate = rng.random((4, 3)) * 3
    for log_input in (True, False):
        for full in (False, True):
            xi = x if log_input else np.abs(x) + 0.1
            compare_with_torch(_call(F.poisson_nll_loss, log_input=log_input, full=full),
                               _call(TF.poisson_nll_loss, log_input=log_input, full=full),
                               [xi, rate], grad_inputs=[0])


def test_legacy_size_average_reduce():
    x, t = _pair((3, 4), np.float32)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.mse_loss(graphgrad.tensor(x), graphgrad.tensor(t), size_average=False)
    np.testing.assert_allclose(out.item(), ((x - t) ** 2).sum(), rtol=1e-6)



@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 5),
       extra=st.lists(st.integers(1, 3), max_size=2), seed=st.integers(0, 1000),
       reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.25]))
def test_cross_entropy_property_shapes(n, c, extra, seed, reduction, smoothing):
    """Any (N, C, d...) with class-index targets: value and gradient as PyTorch's."""
    shape = (n, c) + tuple(extra)
    x = _rng(seed).standard_normal(shape)
    t = _rng(seed + 1).integers(0, c, (n,) + tuple(extra))
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    compare_with_torch(_call(F.cross_entropy, **kw), _call(TF.cross_entropy, **kw), [x, t],
                       grad_inputs=[0])
