"""Saliency and input gradients of a hand-built network with known weights equal the hand-computed
arrays (and PyTorch's, when installed)."""
import numpy as np
import pytest

import graphgrad
from graphgrad import nn
from graphgrad.viz import input_gradient, plot_saliency, saliency_map

K = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
V = np.array([[1.0, 0.0, 0.0, -1.0], [0.0, 1.0, 1.0, 0.0]], dtype=np.float32)
X = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)


def hand_built():
    """conv 2x2 (weights K, no bias) -> ReLU -> flatten -> linear (weights V, no bias)."""
    model = nn.Sequential(nn.Conv2d(1, 1, 2, bias=False), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4, 2, bias=False))
    with graphgrad.no_grad():
        model[0].weight.copy_(graphgrad.tensor(K.reshape(1, 1, 2, 2)))
        model[3].weight.copy_(graphgrad.tensor(V))
    return model


def test_scores_of_the_hand_built_network():
    # conv output [[27, 37], [57, 67]] (all positive); scores [27 - 67, 37 + 57]
    out = hand_built()(graphgrad.tensor(X)).detach().numpy()
    np.testing.assert_allclose(out, [[-40.0, 94.0]])


def test_input_gradient_equals_hand_computed():
    model = hand_built()
    # class 1 = conv units (0,1) + (1,0): K placed at offsets (0,1) and (1,0)
    expected1 = np.array([[0, 1, 2], [1, 5, 4], [3, 4, 0]], dtype=np.float32)
    # class 0 = unit (0,0) - unit (1,1)
    expected0 = np.array([[1, 2, 0], [3, 3, -2], [0, -3, -4]], dtype=np.float32)
    np.testing.assert_allclose(input_gradient(model, X)[0, 0], expected1)  # predicted class: 1
    np.testing.assert_allclose(input_gradient(model, X, target=0)[0, 0], expected0)
    np.testing.assert_allclose(saliency_map(model, X, target=0)[0], np.abs(expected0))
    assert saliency_map(model, X).shape == (1, 3, 3)
    assert all(p.grad is None for p in model.parameters())  # parameters untouched


def test_relu_gates_the_gradient():
    model = hand_built()
    x = -X  # conv outputs all negative: ReLU blocks every path
    np.testing.assert_array_equal(input_gradient(model, x, target=1), np.zeros_like(x))


def test_batch_and_per_example_targets_match_torch():
    torch = pytest.importorskip("torch")
    model = hand_built()
    x = np.random.default_rng(0).normal(size=(4, 1, 3, 3)).astype(np.float32)
    targets = np.array([0, 1, 1, 0])
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 2, bias=False), torch.nn.ReLU(),
                             torch.nn.Flatten(), torch.nn.Linear(4, 2, bias=False))
    with torch.no_grad():
        tm[0].weight.copy_(torch.tensor(K.reshape(1, 1, 2, 2)))
        tm[3].weight.copy_(torch.tensor(V))
    tx = torch.tensor(x, requires_grad=True)
    tm(tx)[torch.arange(4), torch.tensor(targets)].sum().backward()
    np.testing.assert_allclose(input_gradient(model, x, targets), tx.grad.numpy(), rtol=1e-6)


def test_errors_and_plot(tmp_path):
    model = hand_built()
    with pytest.raises(IndexError, match="out of range for 2 classes"):
        input_gradient(model, X, target=5)
    with pytest.raises(ValueError, match=r"scores \(N, classes\)"):
        input_gradient(nn.Conv2d(1, 1, 2), X)
    path = tmp_path / "saliency.png"
    plot_saliency(model, np.concatenate([X, -X]), path=str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
