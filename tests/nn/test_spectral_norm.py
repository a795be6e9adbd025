"""nn.utils.spectral_norm / remove_spectral_norm vs PyTorch's on the same weights and starting
vectors: outputs, weight gradients and the power iteration's vectors over several training steps,
eval mode, state_dict keys, and errors."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn
from parity import torch_or_skip

LAYERS = [("Linear", (6, 4), (3, 6)), ("Conv2d", (3, 5, 3), (2, 3, 6, 6)),
          ("ConvTranspose2d", (3, 5, 4, 2, 1), (2, 3, 4, 4))]


def _twins(kind, args):
    torch = torch_or_skip()
    gg.manual_seed(0)
    ours = getattr(nn, kind)(*args)
    theirs = getattr(torch.nn, kind)(*args)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy().copy()))
        theirs.bias.copy_(torch.from_numpy(ours.bias.detach().numpy().copy()))
    nn.utils.spectral_norm(ours)
    torch.nn.utils.spectral_norm(theirs)
    with torch.no_grad():  # the same random starting vectors
        theirs.weight_u.copy_(torch.from_numpy(ours.weight_u.numpy().copy()))
        theirs.weight_v.copy_(torch.from_numpy(ours.weight_v.numpy().copy()))
    return torch, ours, theirs


@pytest.mark.parametrize("kind,args,x_shape", LAYERS, ids=[k for k, _, _ in LAYERS])
def test_training_steps_match_torch(kind, args, x_shape):
    torch, ours, theirs = _twins(kind, args)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal(x_shape).astype(np.float32)
        y, y_t = ours(gg.tensor(x)), theirs(torch.from_numpy(x))
        np.testing.assert_allclose(y.detach().numpy(), y_t.detach().numpy(), rtol=1e-4, atol=1e-5)
        w = rng.standard_normal(y.shape).astype(np.float32)
        (y * gg.tensor(w)).sum().backward()
        (y_t * torch.from_numpy(w)).sum().backward()
        np.testing.assert_allclose(ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(),
                                   rtol=1e-4, atol=1e-5)
        for name in ("weight_u", "weight_v"):
            np.testing.assert_allclose(getattr(ours, name).numpy(),
                                       getattr(theirs, name).numpy(), rtol=1e-4, atol=1e-6)
        with gg.no_grad(), torch.no_grad():  # a step of plain SGD on both
            ours.weight_orig -= 0.1 * ours.weight_orig.grad
            theirs.weight_orig -= 0.1 * theirs.weight_orig.grad
        ours.zero_grad()
        theirs.zero_grad()
    ours.eval()
    theirs.eval()
    u_before = ours.weight_u.numpy().copy()
    x = rng.standard_normal(x_shape).astype(np.float32)
    np.testing.assert_allclose(ours(gg.tensor(x)).detach().numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ours.weight_u.numpy(), u_before)  # eval leaves the vectors


def test_the_normalised_weight_has_spectral_norm_one():
    gg.manual_seed(0)
    layer = nn.utils.spectral_norm(nn.Linear(20, 10), n_power_iterations=1)
    for _ in range(30):  # each training forward refines the estimate
        layer(gg.randn(2, 20))
    sigma = np.linalg.svd(layer.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1.0) < 1e-3


def test_remove_spectral_norm_matches_torch():
    torch, ours, theirs = _twins("Conv2d", (3, 5, 3))
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6)).astype(np.float32)
    ours(gg.tensor(x))
    theirs(torch.from_numpy(x))
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict()) == ["bias", "weight"]
    assert isinstance(ours.weight, nn.Parameter)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_errors():
    layer = nn.utils.spectral_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="already spectrally normalised"):
        nn.utils.spectral_norm(layer)
    with pytest.raises(ValueError, match="has no parameter 'kernel'"):
        nn.utils.spectral_norm(nn.Linear(3, 2), name="kernel")
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_spectral_norm(nn.Linear(3, 2))
