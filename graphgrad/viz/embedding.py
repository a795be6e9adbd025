"""Embeddings: hidden features of a model for a dataset, projected to 2-D (PCA, or t-SNE when
scikit-learn is installed) and drawn as points coloured by class."""
from __future__ import annotations

import numpy as np

from .. import autograd, tensor
from ._figure import pyplot, save_figure


def extract_features(model, data, layer: str | None = None, batch_size: int = 256):
    """Run ``data`` (an (N, ...) array/tensor or a dataset of (input, label)) through ``model`` in
    eval mode and return ``(features (N, D), labels (N,) or None)``: the output of the module named
    ``layer`` (via a forward hook), or the model's output when ``layer`` is None."""
    captured = {}
    handle = None
    if layer is not None:
        module = dict(model.named_modules()).get(layer)
        if module is None:
            raise KeyError(f"extract_features: no module named {layer!r}; modules are "
                           f"{[n for n, _ in model.named_modules() if n]}")
        handle = module.register_forward_hook(lambda m, a, out: captured.__setitem__("out", out))
    feats, labels = [], []
    array_input = hasattr(data, "detach") or isinstance(data, np.ndarray)
    if array_input:
        data = data.detach().numpy() if hasattr(data, "detach") else np.asarray(data)
    was_training = model.training
    model.eval()
    try:
        with autograd.no_grad():
            for i in range(0, len(data), batch_size):
                if array_input:
                    xb = data[i:i + batch_size]
                else:
                    items = [data[j] for j in range(i, min(i + batch_size, len(data)))]
                    xb = np.stack([np.asarray(it[0].numpy() if hasattr(it[0], "numpy") else it[0])
                                   for it in items])
                    labels.append(np.array([int(it[1]) for it in items]))
                out = model(tensor(np.asarray(xb, dtype=np.float32)))
                out = captured["out"] if layer is not None else out
                feats.append(out.numpy().reshape(len(xb), -1))
    finally:
        if handle is not None:
            handle.remove()
        model.train(was_training)
    return np.concatenate(feats), (np.concatenate(labels) if labels else None)


def pca_2d(features) -> np.ndarray:
    """Project (N, D) features onto their first two principal components: (N, 2)."""
    x = np.asarray(features, dtype=np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    proj = x @ vt[:2].T
    if proj.shape[1] < 2:
        proj = np.pad(proj, ((0, 0), (0, 2 - proj.shape[1])))
    return proj


def project_2d(features, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(N, 2) coordinates: ``"pca"`` (always available) or ``"tsne"`` (needs scikit-learn)."""
    if method == "pca":
        return pca_2d(features)
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise ImportError("project_2d(method='tsne') needs scikit-learn (pip install "
                              "scikit-learn); method='pca' needs nothing") from None
        x = np.asarray(features, dtype=np.float64)
        return TSNE(2, init="pca", random_state=seed,
                    perplexity=min(30.0, max(2.0, (len(x) - 1) / 3))).fit_transform(x)
    raise ValueError(f"project_2d: method must be 'pca' or 'tsne', got {method!r}")


def plot_embedding(features, labels, method: str = "pca", class_names=None,
                   path: str | None = None, title: str | None = None, seed: int = 0):
    """Scatter the 2-D projection of ``features`` (N, D), coloured by ``labels`` (N,).
    Returns the figure; the coordinates are on ``fig.coords``."""
    coords = np.asarray(features) if np.shape(features)[1] == 2 and method == "none" else \
        project_2d(features, method, seed)
    labels = np.asarray(labels)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.8, 5))
    classes = np.unique(labels)
    cmap = plt.cm.tab10 if len(classes) <= 10 else plt.cm.tab20
    for i, c in enumerate(classes):
        sel = labels == c
        name = class_names[int(c)] if class_names is not None else str(c)
        ax.scatter(coords[sel, 0], coords[sel, 1], s=7, color=cmap(i % cmap.N), label=name, alpha=0.8)
    ax.legend(fontsize=7, markerscale=2, loc="best")
    ax.set_title(title or f"Embedding ({method.upper() if method != 'none' else '2-D'})", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    save_figure(fig, path)
    fig.coords = coords
    return fig
