"""Features from a hook, their PCA projection (vs the SVD by hand) and the scatter plot."""
import numpy as np
import pytest

import graphgrad
from graphgrad import nn
from graphgrad.utils.data import TensorDataset
from graphgrad.viz import extract_features, plot_embedding, project_2d


def test_extract_features_from_a_layer_and_a_dataset():
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    x = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    feats, labels = extract_features(model, x, layer="1", batch_size=3)
    expected = np.maximum(x @ model[0].weight.detach().numpy().T + model[0].bias.detach().numpy(), 0)
    np.testing.assert_allclose(feats, expected, rtol=1e-5, atol=1e-6)
    assert labels is None
    ds = TensorDataset(graphgrad.tensor(x), graphgrad.tensor(np.arange(7)))
    out, labels = extract_features(model, ds)
    assert out.shape == (7, 2) and labels.tolist() == list(range(7))
    with pytest.raises(KeyError, match="no module named 'x'"):
        extract_features(model, x, layer="x")


def test_pca_finds_the_direction_of_largest_variance(tmp_path):
    rng = np.random.default_rng(0)
    x = np.zeros((200, 5))
    x[:, 3] = rng.normal(scale=10, size=200)
    x[:, 1] = rng.normal(scale=1, size=200)
    coords = project_2d(x)
    assert abs(np.corrcoef(coords[:, 0], x[:, 3])[0, 1]) > 0.999
    assert abs(np.corrcoef(coords[:, 1], x[:, 1])[0, 1]) > 0.99
    labels = (x[:, 3] > 0).astype(int)
    fig = plot_embedding(x, labels, path=str(tmp_path / "e.png"), class_names=["neg", "pos"])
    assert fig.coords.shape == (200, 2) and (tmp_path / "e.png").exists()
    with pytest.raises(ValueError, match="'pca' or 'tsne'"):
        project_2d(x, "umap")


def test_tsne_when_sklearn_is_installed():
    pytest.importorskip("sklearn")
    x = np.random.default_rng(0).normal(size=(30, 4))
    assert project_2d(x, "tsne").shape == (30, 2)
