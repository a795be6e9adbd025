"""The confusion matrix as a heat map with counts."""
from __future__ import annotations

import numpy as np

from ._figure import pyplot, save_figure


def plot_confusion_matrix(confusion, class_names=None, path: str | None = None,
                          title: str = "Confusion matrix (rows: true, columns: predicted)"):
    confusion = np.asarray(confusion)
    n = confusion.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    plt = pyplot()
    size = max(4.0, 0.45 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(confusion, cmap="Blues")
    ax.set_xticks(range(n), names, rotation=45 if n > 10 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    if n <= 20:
        top = confusion.max() or 1
        for i in range(n):
            for j in range(n):
                ax.text(j, i, int(confusion[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if confusion[i, j] > top / 2 else "black")
    save_figure(fig, path)
    return fig
