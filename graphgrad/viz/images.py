"""Image grids: samples, misclassified examples and first-layer convolution filters."""
from __future__ import annotations

import math

import numpy as np

from ._figure import pyplot, save_figure


def _to_hwc(image) -> np.ndarray:
    """(C, H, W) or (H, W) array or tensor -> (H, W) or (H, W, 3) floats in [0, 1] for imshow."""
    a = image.detach().numpy() if hasattr(image, "detach") else np.asarray(image)
    a = a.astype(np.float64)
    if a.ndim == 3 and a.shape[0] in (1, 3):
        a = a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)
    lo, hi = a.min(), a.max()
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def image_grid(images, titles=None, ncols: int | None = None, path: str | None = None,
               title: str | None = None, cmap: str = "gray"):
    """Show ``images`` (N, C, H, W) or a list of images in a grid, each scaled to its own range."""
    n = len(images)
    ncols = ncols or min(n, 8)
    nrows = max(1, math.ceil(n / ncols))
    plt = pyplot()
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.45 * nrows + (0.3 if title else 0)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(_to_hwc(images[k]), cmap=cmap, interpolation="nearest")
            if titles is not None:
                ax.set_title(str(titles[k]), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, path)
    return fig


def plot_misclassified(images, targets, predictions, class_names=None, limit: int = 32,
                       path: str | None = None):
    """A grid of the first ``limit`` examples whose prediction differs from the target."""
    targets, predictions = np.asarray(targets), np.asarray(predictions)
    wrong = np.flatnonzero(targets != predictions)[:limit]
    names = (lambda i: class_names[i]) if class_names is not None else str
    titles = [f"true {names(int(targets[i]))}\npred {names(int(predictions[i]))}" for i in wrong]
    shown = [images[int(i)] for i in wrong]
    if not shown:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(3, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified examples", ha="center", va="center")
        save_figure(fig, path)
        return fig
    return image_grid(shown, titles, path=path,
                      title=f"Misclassified: {len(np.flatnonzero(targets != predictions))} "
                            f"of {len(targets)} (first {len(shown)})")


def plot_filters(weight, path: str | None = None, title: str = "First-layer filters"):
    """The filters of a convolution weight (out, in, kh, kw): in=1 or 3 shown directly, else channel 0."""
    w = weight.detach().numpy() if hasattr(weight, "detach") else np.asarray(weight)
    if w.ndim != 4:
        raise ValueError(f"plot_filters: expected a conv weight of shape (out, in, kh, kw), got {w.shape}")
    shown = w if w.shape[1] in (1, 3) else w[:, :1]
    return image_grid(list(shown), path=path, title=title, ncols=min(len(shown), 8))
