"""Training curves from a run's history (``metrics.jsonl`` rows)."""
from __future__ import annotations

import json
import os

from ._figure import pyplot, save_figure


def read_history(run_dir: str) -> list:
    """The per-epoch rows of ``run_dir/metrics.jsonl``."""
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.exists(path):
        raise FileNotFoundError(f"read_history: {path} does not exist (is {run_dir} a run folder?)")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def plot_curves(history, keys=("train_loss", "val_loss"), ylabel: str = "loss", title=None,
                path: str | None = None, logy: bool = False):
    """Plot the given keys of ``history`` (rows or a run folder path) against epoch."""
    if isinstance(history, str):
        history = read_history(history)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = [row["epoch"] for row in history]
    plotted = False
    for key in keys:
        values = [row.get(key) for row in history]
        if any(v is not None for v in values):
            ax.plot(epochs, values, marker="o", markersize=3, label=key.replace("_", " "))
            plotted = True
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if plotted:
        ax.legend()
    ax.grid(alpha=0.3)
    save_figure(fig, path)
    return fig


def plot_loss_and_accuracy(history, folder: str) -> list:
    """Write ``loss.png`` and ``accuracy.png`` into ``folder``; return their paths."""
    plt = pyplot()
    loss_path = os.path.join(folder, "loss.png")
    acc_path = os.path.join(folder, "accuracy.png")
    plt.close(plot_curves(history, ("train_loss", "val_loss"), "cross-entropy loss", "Loss",
                          loss_path))
    plt.close(plot_curves(history, ("train_acc", "val_acc"), "accuracy", "Accuracy", acc_path))
    return [loss_path, acc_path]
