"""Feature maps captured by forward hooks equal the hand-computed convolution outputs."""
import numpy as np
import pytest

import graphgrad
from graphgrad import nn
from graphgrad.models import LeNet5, SimpleCNN
from graphgrad.viz import feature_maps, plot_feature_maps

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


def test_feature_maps_of_the_hand_built_network():
    # [[0*1 + 1*2 + 3*3 + 4*4, 1*1 + 2*2 + 4*3 + 5*4], [3 + 8 + 18 + 28, 4 + 10 + 21 + 32]]
    maps = feature_maps(hand_built(), X[0])  # one image (C, H, W) is batched
    assert list(maps) == ["0"]
    np.testing.assert_allclose(maps["0"], [[[[27.0, 37.0], [57.0, 67.0]]]])


def test_named_modules_and_model_mode_restored():
    model = hand_built().train()
    maps = feature_maps(model, X, names=["1", "3"])
    np.testing.assert_allclose(maps["3"], [[-40.0, 94.0]])
    np.testing.assert_allclose(maps["1"], [[[[27.0, 37.0], [57.0, 67.0]]]])
    assert model.training
    assert all(not m._forward_hooks for m in model.modules())
    with pytest.raises(KeyError, match="no module named"):
        feature_maps(model, X, names=["nope"])
    with pytest.raises(ValueError, match="has no Conv1d/Conv2d/Conv3d layer"):
        feature_maps(nn.Linear(2, 2), np.zeros((1, 2)))


def test_every_conv_layer_of_lenet_and_plot(tmp_path):
    model = LeNet5()
    maps = feature_maps(model, graphgrad.randn(1, 1, 28, 28))
    assert {k: v.shape for k, v in maps.items()} == {
        "c1": (1, 6, 28, 28), "c3": (1, 16, 10, 10), "c5": (1, 120, 1, 1)}
    path = tmp_path / "maps.png"
    plot_feature_maps(SimpleCNN(channels=(4, 8), hidden=8), graphgrad.randn(1, 1, 28, 28),
                      path=str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
