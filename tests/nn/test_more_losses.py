"""The loss modules and functionals added for PyTorch parity (Poisson, Gaussian, soft margin,
hinge embedding, multi-label, triplet with a distance, CTC): values and gradients equal to
PyTorch's in float32 and float64, every reduction, float64 gradcheck, and errors."""
import numpy as np
import pytest
from module_parity import compare_module
from parity import check_grads, compare_with_torch, torch_or_skip

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn

torch = torch_or_skip()
tnn = torch.nn
TF = torch.nn.functional


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def signs(*shape, seed=1):
    return np.where(np.random.default_rng(seed).random(shape) > 0.5, 1.0, -1.0).astype(np.float32)


def _multilabel_targets():
    t = np.full((4, 5), -1, dtype=np.int64)
    t[0, :2] = [3, 0]
    t[1, :1] = [4]
    t[2, :3] = [1, 2, 3]
    t[3, 0] = -1  # no labels
    return t


def _cases():
    x, y = randn(4, 5), randn(4, 5, seed=1)
    counts = np.random.default_rng(2).poisson(2.0, (4, 5)).astype(np.float32)
    var = np.abs(randn(4, 5, seed=3)) + 0.1
    labels = (randn(4, 5, seed=4) > 0).astype(np.float32)
    weight = np.linspace(0.5, 2, 5).astype(np.float32)
    return [
        ("PoissonNLLLoss", {}, [x, counts], None),
        # (PyTorch's gradient for the target is NaN where Stirling's term is masked off)
        ("PoissonNLLLoss", {"log_input": False, "full": True}, [np.abs(x) + 0.1, counts], [0]),
        ("GaussianNLLLoss", {}, [x, y, var], None),
        ("GaussianNLLLoss", {"full": True, "reduction": "sum"}, [x, y, var[:, :1]], None),
        ("GaussianNLLLoss", {"reduction": "none", "eps": 0.5}, [x, y, var[:, 0]], None),
        ("SoftMarginLoss", {}, [x, signs(4, 5)], [0]),
        ("HingeEmbeddingLoss", {"margin": 0.5}, [x, signs(4, 5)], [0]),
        ("MultiLabelSoftMarginLoss", {}, [x, labels], [0]),
        ("MultiLabelSoftMarginLoss", {"weight": weight, "reduction": "none"}, [x, labels], [0]),
        ("MultiLabelMarginLoss", {}, [x, _multilabel_targets()], None),
        ("MultiLabelMarginLoss", {"reduction": "none"}, [x[0], _multilabel_targets()[0]], None),
        ("TripletMarginWithDistanceLoss", {"margin": 0.5, "swap": True},
         [x, y, randn(4, 5, seed=5)], None),
        ("NLLLoss2d", {}, [np.log(np.full((2, 3, 2, 2), 1 / 3, dtype=np.float32)) + randn(2, 3, 2, 2),
                           np.random.default_rng(6).integers(0, 3, (2, 2, 2))], None),
    ]


def _convert(value, framework):
    return framework.tensor(value) if isinstance(value, np.ndarray) else value


@pytest.mark.filterwarnings("ignore:`NLLLoss2d` has been deprecated")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c[0]}-{sorted(c[1])}")
def test_loss_module_matches_torch(case, dtype):
    name, kwargs, inputs, grad_idx = case
    gk = {k: _convert(v, gg) for k, v in kwargs.items()}
    tk = {k: _convert(v, torch) for k, v in kwargs.items()}
    if dtype == np.float64:
        gk = {k: v.double() if isinstance(v, gg.Tensor) else v for k, v in gk.items()}
        tk = {k: v.double() if isinstance(v, torch.Tensor) else v for k, v in tk.items()}
    g, t = getattr(nn, name)(**gk), getattr(tnn, name)(**tk)
    assert repr(g) == repr(t)
    compare_module(g, t, inputs, dtype=dtype, grad_inputs=True if grad_idx is None else grad_idx)


def test_triplet_with_a_custom_distance_and_default_submodule():
    g = nn.TripletMarginWithDistanceLoss()
    assert repr(g) == repr(tnn.TripletMarginWithDistanceLoss())
    a, p, n = randn(6, 4), randn(6, 4, seed=1), randn(6, 4, seed=2)
    compare_with_torch(
        lambda a, p, n: F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v)),
        lambda a, p, n: TF.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda u, v: 1 - TF.cosine_similarity(u, v)), [a, p, n])


def test_gaussian_nll_errors_and_float_var():
    x, y = gg.randn(3, 4), gg.randn(3, 4)
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(x, y, -gg.ones(3, 4))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, y, gg.ones(2, 4))
    want = TF.gaussian_nll_loss(torch.tensor(x.numpy()), torch.tensor(y.numpy()), 0.5)
    assert F.gaussian_nll_loss(x, y, 0.5).item() == pytest.approx(want.item(), rel=1e-6)


def test_gradcheck_new_losses():
    x, y = randn(3, 4).astype(np.float64), randn(3, 4, seed=1).astype(np.float64)
    var = np.abs(randn(3, 4, seed=2)).astype(np.float64) + 0.5
    check_grads(lambda x, y, v: F.gaussian_nll_loss(x, y, v), [x, y, var])
    check_grads(lambda x: F.multilabel_soft_margin_loss(x, gg.tensor((y > 0) * 1.0)), [x])
    targets = gg.tensor(_multilabel_targets()[:3, :4] % 4)
    check_grads(lambda x: F.multilabel_margin_loss(x * 0.3, targets), [x])


# ----------------------------------------------------------------------------------------- CTC
def _ctc_batch(T=12, N=3, C=6, S=4, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((T, N, C)).astype(np.float32)
    target_lengths = np.array([4, 2, 3])[:N]
    targets = rng.integers(1, C, (N, S))
    targets[0, 1] = targets[0, 0]  # a repeated label needs a blank between the two
    input_lengths = np.array([T, T - 2, T - 5])[:N]
    return logits, targets, input_lengths, target_lengths


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_matches_torch_through_log_softmax(reduction, layout, dtype):
    logits, targets, in_len, tgt_len = _ctc_batch()
    if layout == "concatenated":
        targets = np.concatenate([row[:n] for row, n in zip(targets, tgt_len)])

    def call(module, framework, functional):
        def fn(x):
            lp = functional.log_softmax(x, 2)
            return module(lp, framework.tensor(targets), framework.tensor(in_len),
                          framework.tensor(tgt_len))
        return fn

    g = nn.CTCLoss(reduction=reduction)
    t = tnn.CTCLoss(reduction=reduction)
    compare_with_torch(call(g, gg, F), call(t, torch, TF), [logits.astype(dtype)])


def test_ctc_blank_unbatched_lists_and_zero_infinity():
    logits, targets, in_len, tgt_len = _ctc_batch(N=1)
    for blank in (0, 5):
        t = np.where(targets == blank, 1, targets)
        compare_with_torch(
            lambda x: F.ctc_loss(F.log_softmax(x, 1), gg.tensor(t[0]), [int(in_len[0])],
                                 [int(tgt_len[0])], blank=blank),
            lambda x: TF.ctc_loss(TF.log_softmax(x, 1), torch.tensor(t[0]), [int(in_len[0])],
                                  [int(tgt_len[0])], blank=blank), [logits[:, 0]])
    # the second sample cannot be aligned: 2 steps for 3 labels
    logits, targets, _, _ = _ctc_batch(T=6, N=2, S=3)
    lengths = ([6, 2], [2, 3])
    for zero_infinity in (False, True):
        out = compare_with_torch(
            lambda x: F.ctc_loss(F.log_softmax(x, 2), gg.tensor(targets), *lengths,
                                 reduction="none", zero_infinity=zero_infinity),
            lambda x: TF.ctc_loss(TF.log_softmax(x, 2), torch.tensor(targets), *lengths,
                                  reduction="none", zero_infinity=zero_infinity),
            [logits], grad=zero_infinity)[0]
        assert out.detach().numpy()[1] == (0.0 if zero_infinity else np.inf)


def test_ctc_gradient_is_the_derivative_in_log_probs():
    """Checked numerically on log_probs directly (PyTorch's kernel adds exp(log_probs), which
    log_softmax's backward removes; see graphgrad/ops/ctc.py)."""
    logits, targets, in_len, tgt_len = _ctc_batch(T=7, N=2, C=4, S=2)
    lp = torch.tensor(logits.astype(np.float64)).log_softmax(2).numpy()
    check_grads(lambda lp: F.ctc_loss(lp, gg.tensor(targets[:, :2]), [7, 5], [2, 1]), [lp],
                second_order=False)


def test_ctc_errors():
    lp = gg.randn(5, 2, 4).log_softmax(2)
    with pytest.raises(RuntimeError, match="input_lengths to have values in"):
        F.ctc_loss(lp, gg.tensor([[1, 2], [1, 1]]), [6, 5], [2, 2])
    with pytest.raises(RuntimeError, match="do not hold"):
        F.ctc_loss(lp, gg.tensor([[1, 2], [1, 1]]), [5, 5], [3, 2])
    with pytest.raises(IndexError, match=r"target labels must be in \[0, 3\]"):
        F.ctc_loss(lp, gg.tensor([[1, 7], [1, 1]]), [5, 5], [2, 2])
    x = gg.randn(5, 2, 4, requires_grad=True)
    loss = F.ctc_loss(x.log_softmax(2), gg.tensor([[1, 2], [1, 1]]), [5, 5], [2, 2])
    (g,) = gg.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="double backward is not supported"):
        g.sum().backward()


def test_ctc_trains_a_tiny_model():
    """A linear layer over one-hot frames learns to emit a label sequence."""
    gg.manual_seed(0)
    rng = np.random.default_rng(0)
    frames = gg.tensor(np.eye(8, dtype=np.float32)[rng.integers(0, 8, (10, 4))])  # (T, N, 8)
    targets = gg.tensor(rng.integers(1, 5, (4, 3)))
    layer = nn.Linear(8, 5)
    opt = gg.optim.Adam(layer.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        loss = F.ctc_loss(F.log_softmax(layer(frames), 2), targets, [10] * 4, [3] * 4)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]
