"""Plots of the gradient diagnostics (``graphgrad.train.GradientDiagnostics`` records): per-layer
gradient norms over training, the grad/weight ratio, and dead or saturated activation fractions."""
from __future__ import annotations

import numpy as np

from ..train.diagnostics import read_diagnostics
from ._figure import pyplot, save_figure


def _records(records):
    if isinstance(records, str) or hasattr(records, "path"):
        records = read_diagnostics(records)
    if hasattr(records, "records"):  # a GradientDiagnostics callback
        records = records.records
    return list(records)


def _layer_names(records) -> list:
    names = []
    for r in records:
        for n in r["layers"]:
            if n not in names:
                names.append(n)
    return names


def plot_gradients(records, path: str | None = None, title: str = "Gradient norms per layer"):
    """Three panels against the training step: gradient norm per layer (log scale), gradient/weight
    norm ratio, and the dead-ReLU / saturated fraction per activation layer.

    ``records``: the callback, its ``records`` list, or a run folder with ``diagnostics.jsonl``."""
    records = _records(records)
    plt = pyplot()
    has_act = any(r.get("activations") for r in records)
    ncols = 3 if has_act else 2
    fig, axes = plt.subplots(1, ncols, figsize=(5.2 * ncols, 4))
    if not records:
        for ax in axes:
            ax.axis("off")
        axes[0].text(0.5, 0.5, "no diagnostics recorded", ha="center", va="center")
        save_figure(fig, path)
        return fig
    names = _layer_names(records)
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(names), 1)))
    for name, color in zip(names, colors):
        steps = [r["step"] for r in records if name in r["layers"]]
        grads = [max(r["layers"][name]["grad_norm"], 1e-30) for r in records if name in r["layers"]]
        ratio = [max(r["layers"][name]["ratio"], 1e-30) for r in records if name in r["layers"]]
        axes[0].plot(steps, grads, color=color, label=name, marker="o" if len(steps) < 30 else None,
                     markersize=2)
        axes[1].plot(steps, ratio, color=color, label=name)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("gradient norm")
    axes[0].set_title(title, fontsize=10)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("gradient norm / weight norm")
    axes[1].set_title("Relative gradient size", fontsize=10)
    if has_act:
        act_names = []
        for r in records:
            for n in r.get("activations", {}):
                if n not in act_names:
                    act_names.append(n)
        for n in act_names:
            rows = [(r["step"], r["activations"][n]) for r in records if n in r.get("activations", {})]
            key = "dead" if rows[0][1]["kind"] == "relu" else "saturated"
            axes[2].plot([s for s, _ in rows], [a[key] for _, a in rows],
                         label=f"{n} ({rows[0][1]['kind']}, {key})")
        axes[2].set_ylim(-0.02, 1.02)
        axes[2].set_ylabel("fraction of units")
        axes[2].set_title("Dead ReLU / saturated sigmoid-tanh units", fontsize=10)
        axes[2].legend(fontsize=6)
    for ax in axes:
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=6, ncol=1 if len(names) < 12 else 2)
    fig.tight_layout()
    save_figure(fig, path)
    return fig


def plot_gradient_profiles(profiles: dict, path: str | None = None,
                           title: str = "Gradient norm per layer (first sampled step)"):
    """Side-by-side gradient norm by depth for several runs: ``profiles`` maps a label (e.g. an
    activation name) to ``{layer name: gradient norm}`` in input-to-output order."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, layers in profiles.items():
        values = [max(v, 1e-30) for v in layers.values()]
        ax.plot(range(1, len(values) + 1), values, marker="o", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)
    return fig
