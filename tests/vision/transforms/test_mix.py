"""MixUp and CutMix: formulas, soft targets, collate use and training on the result."""
import numpy as np
import pytest

import graphgrad
from graphgrad.utils.data import DataLoader, TensorDataset
from graphgrad.vision.transforms import CutMix, MixUp


def _batch(n=8, c=1, h=6, w=6, k=4):
    rng = np.random.default_rng(0)
    return (graphgrad.tensor(rng.random((n, c, h, w)).astype(np.float32)),
            graphgrad.tensor(rng.integers(0, k, n)))


def test_mixup_formula():
    x, y = _batch()
    graphgrad.manual_seed(3)
    mx, my = MixUp(alpha=0.4, num_classes=4)(x, y)
    graphgrad.manual_seed(3)
    lam = graphgrad.default_generator.rng.beta(0.4, 0.4)
    xn = x.numpy()
    assert np.allclose(mx.numpy(), lam * xn + (1 - lam) * np.roll(xn, 1, 0), atol=1e-6)
    onehot = np.eye(4)[y.numpy()]
    assert np.allclose(my.numpy(), lam * onehot + (1 - lam) * np.roll(onehot, 1, 0), atol=1e-6)
    assert np.allclose(my.numpy().sum(1), 1)


def test_lambda_distribution():
    x, _ = _batch()
    # sample 0 (class 0) is mixed with sample 7 (class 3): its class-0 target is lambda
    y2 = graphgrad.tensor([0, 1, 1, 1, 1, 1, 1, 3])
    lams = np.array([MixUp(alpha=2.0, num_classes=4)(x, y2)[1].numpy()[0, 0] for _ in range(3000)])
    assert abs(lams.mean() - 0.5) < 0.02 and abs(lams.var() - 1 / 20) < 0.01  # Beta(2, 2)


def test_cutmix_box_and_lambda():
    x, y = _batch(h=10, w=10)
    graphgrad.manual_seed(0)
    for _ in range(30):
        mx, my = CutMix(alpha=1.0, num_classes=4)(x, y)
        pasted = np.isclose(mx.numpy()[0, 0], np.roll(x.numpy(), 1, 0)[0, 0]) & ~np.isclose(
            x.numpy()[0, 0], np.roll(x.numpy(), 1, 0)[0, 0])
        lam = 1 - pasted.sum() / 100
        onehot = np.eye(4)[y.numpy()]
        expect = lam * onehot + (1 - lam) * np.roll(onehot, 1, 0)
        assert np.allclose(my.numpy(), expect, atol=1e-6)
        if pasted.any():
            r, c = np.flatnonzero(pasted.any(1)), np.flatnonzero(pasted.any(0))
            assert pasted[r[0]:r[-1] + 1, c[0]:c[-1] + 1].all()  # one rectangle
        # every image got the same box: the rest of each image is untouched
        assert np.array_equal(mx.numpy()[:, :, ~pasted], x.numpy()[:, :, ~pasted])


def test_as_collate_fn_and_numpy():
    x, y = _batch(n=10)
    loader = DataLoader(TensorDataset(x, y), batch_size=5, collate_fn=MixUp(1.0, num_classes=4))
    for bx, by in loader:
        assert bx.shape == (5, 1, 6, 6) and by.shape == (5, 4)
        assert np.allclose(by.numpy().sum(1), 1)
    nx, ny = MixUp(1.0, 4)(x.numpy(), y.numpy())
    assert isinstance(nx, np.ndarray) and ny.shape == (10, 4)
    soft = np.full((10, 4), 0.25, np.float32)
    assert np.allclose(CutMix(1.0)(x, soft)[1].numpy(), 0.25)


def test_errors():
    x, y = _batch()
    with pytest.raises(ValueError, match="num_classes is needed"):
        MixUp()(x, y)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        MixUp(num_classes=2)(x, y + 2)
    with pytest.raises(ValueError, match=r"expected a batch of images \(N, C, H, W\)"):
        MixUp(num_classes=4)(x[0], y)
    with pytest.raises(ValueError, match="alpha must be positive"):
        CutMix(0.0)


def test_cross_entropy_with_soft_targets_trains():
    nn = pytest.importorskip("graphgrad.nn")
    Fn = nn.functional
    optim = pytest.importorskip("graphgrad.optim")
    if not hasattr(nn, "Linear") or not hasattr(optim, "SGD"):
        pytest.skip("nn.Linear / optim.SGD not available yet")
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 8)).astype(np.float32) * 3
    labels = rng.integers(0, 3, 96)
    xs = (centers[labels] + rng.normal(size=(96, 8)).astype(np.float32))[:, None, None, :]
    graphgrad.manual_seed(0)
    model = nn.Linear(8, 3)
    opt = optim.SGD(model.parameters(), lr=0.1)
    mix = MixUp(alpha=0.4, num_classes=3)
    losses = []
    for step in range(60):
        bx, by = mix(graphgrad.tensor(xs), graphgrad.tensor(labels))
        loss = Fn.cross_entropy(model(bx.reshape(96, 8)), by)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:5])
