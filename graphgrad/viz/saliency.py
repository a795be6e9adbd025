"""Saliency maps (Simonyan, Vedaldi and Zisserman 2013): the gradient of a class score with respect
to the input pixels shows which pixels the score is most sensitive to."""
from __future__ import annotations

import numpy as np

from .. import autograd, tensor as _tensor
from ._figure import pyplot, save_figure


def _as_batch(x):
    if not hasattr(x, "detach"):
        x = _tensor(np.asarray(x, dtype=np.float32))
    return x.detach()


def input_gradient(model, x, target=None) -> np.ndarray:
    """d score[target] / d x for each example of ``x`` (N, C, H, W), as an array of x's shape.

    ``score`` is the model's output (the logits, before any softmax). ``target``: class indices
    (N,), one int for all, or None for each example's predicted class. The model runs in eval mode
    (restored afterwards); its parameters' ``.grad`` are left untouched."""
    x = _as_batch(x).requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        with autograd.enable_grad():
            scores = model(x)
            if scores.ndim != 2:
                raise ValueError(f"input_gradient: the model should return scores (N, classes), "
                                 f"got shape {tuple(scores.shape)}")
            n = scores.shape[0]
            if target is None:
                idx = scores.detach().numpy().argmax(axis=1)
            else:
                idx = np.broadcast_to(np.asarray(target, dtype=np.int64), (n,))
            if (idx < 0).any() or (idx >= scores.shape[1]).any():
                raise IndexError(f"input_gradient: target {idx.tolist()} out of range for "
                                 f"{scores.shape[1]} classes")
            onehot = np.zeros(tuple(scores.shape), dtype=scores.detach().numpy().dtype)
            onehot[np.arange(n), idx] = 1.0
            (grad,) = autograd.grad((scores * _tensor(onehot)).sum(), [x])
    finally:
        model.train(was_training)
    return grad.numpy()


def saliency_map(model, x, target=None) -> np.ndarray:
    """The saliency map (N, H, W): the largest absolute input gradient over the channels."""
    g = input_gradient(model, x, target)
    return np.abs(g).max(axis=1) if g.ndim == 4 else np.abs(g)


def plot_saliency(model, images, targets=None, class_names=None, path: str | None = None,
                  title: str = "Saliency: |d score / d pixel|"):
    """Each image (N, C, H, W) above its saliency map for ``targets`` (default: predicted class)."""
    x = _as_batch(images)
    maps = saliency_map(model, x, targets)
    with autograd.no_grad():
        was = model.training
        model.eval()
        preds = model(x).numpy().argmax(axis=1)
        model.train(was)
    shown = preds if targets is None else np.broadcast_to(np.asarray(targets), preds.shape)
    n = len(maps)
    plt = pyplot()
    fig, axes = plt.subplots(2, n, figsize=(1.5 * n, 3.4), squeeze=False)
    xs = x.numpy()
    for i in range(n):
        img = xs[i, 0] if xs.shape[1] == 1 else xs[i].transpose(1, 2, 0)
        img = (img - img.min()) / (np.ptp(img) or 1)
        axes[0, i].imshow(img, cmap="gray")
        name = class_names[int(shown[i])] if class_names is not None else int(shown[i])
        axes[0, i].set_title(f"class {name}", fontsize=7)
        axes[1, i].imshow(maps[i], cmap="hot")
        for ax in axes[:, i]:
            ax.axis("off")
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path)
    return fig
