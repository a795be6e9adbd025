"""Layers (Linear, Bilinear, Flatten, activations, dropout, losses): defaults, initialisation, and
outputs and gradients equal to PyTorch's given the same weights."""
import math

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def copy_weights(g, t):
    g.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})


def run_both(g, t, inputs, grad_idx=None, rtol=1e-5, atol=1e-6):
    """Same weights, same inputs: compare outputs, input gradients and parameter gradients."""
    copy_weights(g, t)
    grad_idx = [i for i, a in enumerate(inputs) if a.dtype.kind == "f"] if grad_idx is None \
        else grad_idx
    gi = [gg.tensor(a, requires_grad=i in grad_idx) for i, a in enumerate(inputs)]
    ti = [torch.tensor(a, requires_grad=i in grad_idx) for i, a in enumerate(inputs)]
    go, to = g(*gi), t(*ti)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    if not go.requires_grad:
        return
    w = np.random.default_rng(1).standard_normal(tuple(go.shape)).astype(np.float32)
    (go * gg.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for i in grad_idx:
        np.testing.assert_allclose(gi[i].grad.numpy(), ti[i].grad.numpy(), rtol=rtol * 10,
                                   atol=atol * 10, err_msg=f"input {i}")
    tparams = dict(t.named_parameters())
    for name, p in g.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=rtol * 10,
                                   atol=atol * 10, err_msg=name)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_matches_pytorch(bias, shape):
    run_both(nn.Linear(4, 3, bias=bias), tnn.Linear(4, 3, bias=bias), [randn(*shape)])


def test_bilinear_matches_pytorch():
    run_both(nn.Bilinear(3, 4, 2), tnn.Bilinear(3, 4, 2), [randn(5, 3), randn(5, 4, seed=1)])


def test_linear_default_init_bounds_and_reproducibility():
    gg.manual_seed(3)
    a = nn.Linear(400, 300)
    gg.manual_seed(3)
    b = nn.Linear(400, 300)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    bound = 1 / math.sqrt(400)
    w = a.weight.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound  # U(-b, b) has std b/sqrt(3)
    assert np.abs(a.bias.detach().numpy()).max() <= bound
    assert nn.Linear(2, 2, dtype=gg.float64).weight.dtype == gg.float64


def test_identity_flatten_unflatten():
    x = randn(2, 3, 4, 5)
    run_both(nn.Flatten(), tnn.Flatten(), [x])
    run_both(nn.Flatten(0, 2), tnn.Flatten(0, 2), [x])
    run_both(nn.Unflatten(1, (3, 1)), tnn.Unflatten(1, (3, 1)), [x])
    i = gg.tensor(x)
    assert nn.Identity(3, foo=1)(i) is i
    with pytest.raises(TypeError, match="unflattened_size"):
        nn.Unflatten(1, 3)


ACTIVATIONS = [
    ("ReLU", {}), ("ReLU6", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {"alpha": 0.7}),
    ("SELU", {}), ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Sigmoid", {}),
    ("Tanh", {}), ("Softplus", {"beta": 2.0, "threshold": 5.0}), ("Softmax", {"dim": 1}),
    ("LogSoftmax", {"dim": -1}), ("Hardtanh", {"min_val": -0.5, "max_val": 0.7}),
]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS)
def test_activation_modules_match_pytorch(name, kwargs):
    x = randn(4, 5) * 3
    run_both(getattr(nn, name)(**kwargs), getattr(tnn, name)(**kwargs), [x])
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(tnn, name)(**kwargs))


def test_inplace_activation_module():
    x = gg.tensor([-1.0, 2.0])
    y = nn.ReLU(inplace=True)(x)
    assert x.tolist() == [0.0, 2.0] and y.tolist() == [0.0, 2.0]


@pytest.mark.parametrize("cls", ["Dropout", "Dropout1d", "Dropout2d"])
def test_dropout_eval_is_identity_and_train_drops(cls):
    shape = (64, 32, 8) if cls == "Dropout1d" else (64, 32, 4, 4)
    layer = getattr(nn, cls)(p=0.25)
    x = gg.ones(*shape)
    y = layer(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.03
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    if cls != "Dropout":  # whole channels are dropped together
        per_channel = kept.reshape(shape[0], shape[1], -1)
        assert np.all(per_channel.all(-1) | ~per_channel.any(-1))
    layer.eval()
    assert np.array_equal(layer(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        getattr(nn, cls)(1.5)


def test_dropout_reproducible_with_manual_seed():
    gg.manual_seed(5)
    a = nn.Dropout()(gg.ones(100)).numpy()
    gg.manual_seed(5)
    b = nn.Dropout()(gg.ones(100)).numpy()
    np.testing.assert_array_equal(a, b)


def _targets():
    rng = np.random.default_rng(2)
    return {
        "cls": rng.integers(0, 5, size=6),
        "prob": rng.uniform(0.05, 0.95, size=(6, 5)).astype(np.float32),
        "sign": np.where(rng.random(6) > 0.5, 1.0, -1.0).astype(np.float32),
    }


def _loss_cases():
    t = _targets()
    x, y, z = randn(6, 5), randn(6, 5, seed=1), randn(6, 5, seed=2)
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    w = np.linspace(0.5, 2.0, 5).astype(np.float32)
    return [
        ("L1Loss", {}, [x, y], None), ("MSELoss", {"reduction": "sum"}, [x, y], None),
        ("SmoothL1Loss", {"beta": 0.5}, [x, y], None), ("HuberLoss", {"delta": 0.7}, [x, y], None),
        ("NLLLoss", {}, [logp, t["cls"]], None),
        ("CrossEntropyLoss", {"label_smoothing": 0.1}, [x, t["cls"]], None),
        ("CrossEntropyLoss", {"weight": w, "reduction": "none"}, [x, t["cls"]], None),
        ("BCELoss", {}, [t["prob"], (y > 0).astype(np.float32)], [0]),
        ("BCEWithLogitsLoss", {"pos_weight": w}, [x, t["prob"]], None),
        ("MultiMarginLoss", {"margin": 0.5}, [x, t["cls"]], None),
        ("KLDivLoss", {"reduction": "batchmean"}, [logp, t["prob"]], None),
        ("CosineEmbeddingLoss", {"margin": 0.1}, [x, y, t["sign"]], [0, 1]),
        ("MarginRankingLoss", {"margin": 0.2}, [x[:, 0], y[:, 0], t["sign"]], [0, 1]),
        ("TripletMarginLoss", {"margin": 0.5}, [x, y, z], None),
    ]


@pytest.mark.parametrize("case", _loss_cases(), ids=lambda c: c[0])
def test_loss_modules_match_pytorch(case):
    name, kwargs, inputs, grad_idx = case
    gk = {k: gg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    g, t = getattr(nn, name)(**gk), getattr(tnn, name)(**tk)
    assert list(g.state_dict()) == list(t.state_dict())
    run_both(g, t, inputs, grad_idx=grad_idx)


def test_loss_reduction_validation_and_legacy_args():
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"


def test_mlp_trains():
    gg.manual_seed(0)
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((64, 4)).astype(np.float32)
    x = gg.tensor(xs)
    y = gg.tensor((xs[:, 0] + xs[:, 1] > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(30):
        loss = loss_fn(model(x), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with gg.no_grad():
            for p in model.parameters():
                p.sub_(p.grad * 0.5)
    assert loss.item() < 0.5 * first


def test_alpha_dropout_keeps_mean_and_variance():
    torch.manual_seed(0)
    x = gg.randn(100_000)
    layer = nn.AlphaDropout(0.2)
    y = layer(x).numpy()
    t = tnn.AlphaDropout(0.2)(torch.tensor(x.numpy())).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02

    def most_common(a):  # the value every dropped unit gets
        values, counts = np.unique(np.round(a, 5), return_counts=True)
        return values[counts.argmax()]

    assert most_common(y) == pytest.approx(most_common(t), abs=1e-4)
    layer.eval()
    assert layer(x) is x
    xg = gg.randn(50, requires_grad=True)
    nn.AlphaDropout(0.5)(xg).sum().backward()
    assert len(np.unique(np.round(xg.grad.numpy(), 6))) == 2  # 0 where dropped, a where kept
