"""FGSM and PGD: the perturbations equal PyTorch's on the same model, stay in the L-inf ball and
the valid range, targeted attacks reach their target, and accuracy falls as eps grows."""
import numpy as np
import pytest

import graphgrad
from graphgrad import nn, optim
from graphgrad.attacks import AdversarialBatch, fgsm, pgd, robust_accuracy
from graphgrad.utils.data import DataLoader, TensorDataset


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, 1, 4, 4)).astype(np.float32)
    y = (x[:, 0, :2].mean(axis=(1, 2)) > x[:, 0, 2:].mean(axis=(1, 2))).astype(np.int64)
    return x, y


def _trained_model():
    graphgrad.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    x, y = _data()
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(100):
        loss = nn.functional.cross_entropy(model(graphgrad.tensor(x)), graphgrad.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.zero_grad()
    return model


def _torch_copy(model):
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
                             torch.nn.Linear(16, 2))
    tm.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in model.state_dict().items()})
    return torch, tm


@pytest.mark.parametrize("targeted", [False, True])
def test_fgsm_equals_the_formula_in_torch(targeted):
    model = _trained_model()
    x, y = _data(16, seed=1)
    torch, tm = _torch_copy(model)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(tm(tx), torch.tensor(y)).backward()
    sign = -1 if targeted else 1
    expected = np.clip(x + sign * 0.1 * np.sign(tx.grad.numpy()), 0, 1)
    adv = fgsm(model, x, y, 0.1, targeted=targeted, clamp=(0, 1))
    np.testing.assert_allclose(adv.numpy(), expected, atol=1e-6)
    assert not adv.requires_grad


def test_fgsm_on_a_cnn_equals_torch():
    """Conv, ReLU, max pooling and linear layers in the input gradient: the adversarial images of
    the mnist-cnn architecture equal PyTorch's (float64, so no gradient sign is lost to rounding)."""
    from graphgrad.models import SimpleCNN

    torch = pytest.importorskip("torch")
    graphgrad.manual_seed(0)
    model = SimpleCNN(channels=(4, 8), hidden=16, image_size=12).double()
    tnn = torch.nn
    tm = tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                        tnn.Conv2d(4, 8, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                        tnn.Linear(72, 16), tnn.ReLU(), tnn.Linear(16, 10)).double()
    weights = [torch.tensor(p.detach().numpy()) for p in model.parameters()]
    tm.load_state_dict(dict(zip(tm.state_dict(), weights)))
    rng = np.random.default_rng(6)
    x, y = rng.uniform(0, 1, size=(20, 1, 12, 12)), rng.integers(0, 10, size=20)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(tm(tx), torch.tensor(y)).backward()
    expected = np.clip(x + 0.1 * np.sign(tx.grad.numpy()), 0, 1)
    adv = fgsm(model, graphgrad.tensor(x), y, 0.1, clamp=(0, 1))
    np.testing.assert_allclose(adv.numpy(), expected, atol=1e-12)


def test_pgd_without_random_start_equals_torch_loop():
    model = _trained_model()
    x, y = _data(16, seed=2)
    torch, tm = _torch_copy(model)
    eps, alpha = 0.1, 0.03
    x0 = torch.tensor(x)
    adv = x0.clone()
    for _ in range(5):
        adv.requires_grad_(True)
        torch.nn.functional.cross_entropy(tm(adv), torch.tensor(y)).backward()
        with torch.no_grad():
            adv = adv + alpha * adv.grad.sign()
            adv = torch.clamp(torch.min(torch.max(adv, x0 - eps), x0 + eps), 0, 1)
    ours = pgd(model, x, y, eps, alpha=alpha, steps=5, random_start=False, clamp=(0, 1))
    np.testing.assert_allclose(ours.numpy(), adv.numpy(), atol=1e-5)


def test_attacks_stay_in_the_ball_and_hurt_more_than_noise():
    model = _trained_model().train()
    x, y = _data(100, seed=3)
    clean = robust_accuracy(model, [(graphgrad.tensor(x), graphgrad.tensor(y))], fgsm, [0.0])[0.0]
    assert clean > 0.85
    for adv in (fgsm(model, x, y, 0.15, clamp=(0, 1)), pgd(model, x, y, 0.15, steps=10, clamp=(0, 1))):
        a = adv.numpy()
        assert np.abs(a - x).max() <= 0.15 + 1e-6 and a.min() >= 0 and a.max() <= 1
    loader = DataLoader(TensorDataset(graphgrad.tensor(x), graphgrad.tensor(y)), batch_size=50)
    f = robust_accuracy(model, loader, fgsm, [0.0, 0.05, 0.15], clamp=(0, 1))
    p = robust_accuracy(model, loader, pgd, [0.15], steps=10, clamp=(0, 1))
    assert f[0.0] == pytest.approx(clean)
    assert f[0.0] > f[0.05] > f[0.15]
    assert p[0.15] <= f[0.15]  # the iterated attack is at least as strong
    noise = np.clip(x + 0.15 * np.sign(np.random.default_rng(0).normal(size=x.shape)), 0, 1)
    noisy = robust_accuracy(model, [(graphgrad.tensor(noise.astype(np.float32)),
                                     graphgrad.tensor(y))], fgsm, [0.0])[0.0]
    assert f[0.15] < noisy  # the gradient's direction, not the noise size, does the damage
    assert model.training and all(p.grad is None for p in model.parameters())


def test_targeted_pgd_reaches_the_target():
    model = _trained_model()
    x, y = _data(50, seed=4)
    target = 1 - y
    adv = pgd(model, x, target, eps=0.5, steps=20, targeted=True, clamp=(0, 1))
    with graphgrad.no_grad():
        pred = model(adv).numpy().argmax(axis=1)
    assert (pred == target).mean() > 0.9


def test_random_start_is_seeded():
    model = _trained_model()
    x, y = _data(8)
    graphgrad.manual_seed(5)
    a = pgd(model, x, y, 0.1, steps=1, alpha=0.0)
    graphgrad.manual_seed(5)
    b = pgd(model, x, y, 0.1, steps=1, alpha=0.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert 0 < np.abs(a.numpy() - x).max() <= 0.1 + 1e-6


def test_adversarial_batch_and_errors():
    model = _trained_model()
    x, y = _data(10)
    xs, ys = AdversarialBatch(model, fgsm, 0.1, fraction=0.5)(graphgrad.tensor(x), graphgrad.tensor(y))
    changed = np.abs(xs.numpy() - x).reshape(10, -1).max(axis=1)
    assert (changed[:5] > 0).all() and (changed[5:] == 0).all()
    assert ys.numpy().tolist() == y.tolist()
    with pytest.raises(ValueError, match="fgsm: eps must be >= 0"):
        fgsm(model, x, y, -0.1)
    with pytest.raises(ValueError, match="pgd: steps must be >= 1"):
        pgd(model, x, y, 0.1, steps=0)
    with pytest.raises(ValueError, match=r"clamp must be \(min, max\)"):
        fgsm(model, x, y, 0.1, clamp=(1, 0))
    with pytest.raises(ValueError, match="fraction must be in"):
        AdversarialBatch(model, fgsm, 0.1, fraction=2)
