"""Recipe ``resnet-vs-plain``: the He et al. (2015) Fig. 1 / Fig. 6 experiment in small. Plain and
residual CIFAR-style networks of two depths are trained with identical settings, and their training
error curves share one plot: the deeper plain net trains worse than the shallower one, the deeper
residual net does not."""
from __future__ import annotations

import os

from .. import manual_seed
from ..train import RunDir
from ..viz._figure import pyplot, save_figure
from .classification import train_classifier
from .common import finished, start_run, write_report
from .registry import register
from .vision import BASE
from .vision_data import load_vision_data
from .zoo import build_model

DEFAULTS = dict(BASE, dataset="mnist", pad_to=32, model="resnet", depths=[8, 20], epochs=4,
                batch_size=128, lr=0.1, weight_decay=1e-4, scheduler="cosine", val_fraction=0.1)


@register("resnet-vs-plain", "plain vs residual nets of two depths, training-error curves on one "
          "plot (MNIST sample padded to 32x32 by default; CIFAR-10 with --data)", DEFAULTS)
def run(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    if config.get("data") and config["dataset"] == "mnist" and "cifar" in str(config["data"]).lower():
        config = dict(config, dataset="cifar10", pad_to=None)
    start_run(config, run_dir, resume, several=True)
    results = {}
    for depth in config["depths"]:
        for kind in ("plain", "resnet"):
            name = f"{kind}{depth}"
            sub = RunDir(os.path.join(run_dir.path, name))
            done = finished(sub) if resume else None
            if done is not None:
                results[name] = {"history": sub.read_metrics(), **done}
                continue
            manual_seed(config["seed"])
            sub_config = dict(config, model=name, recipe=f"{config['recipe']}/{name}")
            data = load_vision_data(sub_config)
            model = build_model(name, in_channels=data.input_size[0], num_classes=len(data.classes))
            results[name] = train_classifier(sub_config, sub, model, data, resume=resume,
                                             progress=progress)
    plot_path = _plot(results, run_dir)
    lines = ["| network | final training error | test error |", "|---|---|---|"]
    lines += [f"| {name} | {100 * (1 - res['history'][-1]['train_acc']):.2f}% | "
              f"{100 * (1 - res['test_accuracy']):.2f}% |" for name, res in results.items()]
    lines += ["", "![training error](plots/training_error.png)", "",
              "Each network's own run folder (curves, confusion matrix, checkpoint) is a subfolder."]
    write_report(run_dir, "resnet-vs-plain", lines)
    print(f"comparison plot: {plot_path}")
    return results


def _plot(results: dict, run_dir) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, res in results.items():
        epochs = [r["epoch"] for r in res["history"]]
        error = [100 * (1 - r["train_acc"]) for r in res["history"]]
        ax.plot(epochs, error, linestyle="--" if name.startswith("plain") else "-", marker="o",
                markersize=3, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training error (%)")
    ax.set_title("Plain vs residual networks")
    ax.legend()
    ax.grid(alpha=0.3)
    plot_path = os.path.join(run_dir.plots, "training_error.png")
    save_figure(fig, plot_path)
    plt.close(fig)
    return plot_path
